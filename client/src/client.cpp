#include "passbook/client/client.h"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <deque>
#include <future>
#include <map>
#include <thread>
#include <variant>

#include "passbook/proof/merkle.h"
#include "passbook/schemas/encoding.h"
#include "trust.h"

namespace passbook::client {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using schemas::MessageType;

namespace {

using Plain = asio::ip::tcp::socket;
using Tls = asio::ssl::stream<asio::ip::tcp::socket>;

Status status_from_error_reply(std::string_view body) {
  auto error = schemas::decode<schemas::ErrorReply>(body, "the server's error");
  if (!error.is_ok()) return data_loss("the server sent a malformed error: " + error.status().message());
  std::string message = error->message;
  if (error->op_index != schemas::ErrorReply::kWholeEnvelope && message.find("operation") == std::string::npos) {
    message = "operation " + std::to_string(error->op_index + 1) + ": " + message;
  }
  return {static_cast<Status::Code>(error->code), message};
}

}  // namespace

// One connection: a writer draining an outbox, a reader matching replies to requests by id.
// Shared, so that the reader and writer coroutines of a connection keep it alive until they
// have ended, even when a failed connect or a close drops the client first.
struct AsyncClient::Impl : std::enable_shared_from_this<AsyncClient::Impl> {
  asio::any_io_executor executor;
  ClientOptions options;
  std::optional<asio::ssl::context> tls_context;
  using Stream = std::variant<Plain, Tls>;
  std::shared_ptr<Stream> stream;
  bool connected = false;
  uint64_t generation = 0;  // which connection the reader and writer belong to
  uint32_t next_id = 1;

  struct Pending {
    explicit Pending(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    std::optional<Result<std::pair<uint8_t, std::string>>> reply;
  };
  std::map<uint32_t, std::shared_ptr<Pending>> pending;
  // Requests waiting for a place under the server's in-flight limit, oldest first.
  std::deque<std::shared_ptr<asio::steady_timer>> slot_waiters;

  // A reply arrived (or a request gave up): let the oldest waiting request go.
  size_t admitted = 0;  // places handed to waiting requests that have not yet taken them
  void free_slot() {
    if (slot_waiters.empty()) return;
    ++admitted;
    slot_waiters.front()->cancel();
    slot_waiters.pop_front();
  }
  std::deque<std::string> outbox;
  std::shared_ptr<asio::steady_timer> wake_writer;

  schemas::HelloReply hello;
  schemas::AuthenticateReply session;
  std::optional<Trust> trust;

  explicit Impl(asio::any_io_executor ex, ClientOptions o)
      : executor(std::move(ex)), options(std::move(o)) {}

  template <class Fn>
  auto with_stream(Fn&& fn) {
    return std::visit(std::forward<Fn>(fn), *stream);
  }

  void fail_all(const Status& status) {
    connected = false;
    for (auto& [id, p] : pending) {
      if (!p->reply) p->reply = status;
      p->timer.cancel();
    }
    pending.clear();
    outbox.clear();
    while (!slot_waiters.empty()) free_slot();
    if (wake_writer) wake_writer->cancel();
  }

  void disconnect(const Status& why) {
    if (stream) {
      boost::system::error_code ignored;
      with_stream([&](auto& s) {
        s.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        s.lowest_layer().close(ignored);
      });
    }
    fail_all(why);
  }

  asio::awaitable<Status> open_connection() {
    asio::ip::tcp::resolver resolver(executor);
    // GCC 12 destroys some temporaries of a co_await expression twice: arguments are named.
    const std::string port = std::to_string(options.port);
    auto [rec, endpoints] = co_await resolver.async_resolve(options.host, port,
                                                            asio::as_tuple(asio::use_awaitable));
    if (rec) co_return unavailable("cannot find the server " + options.host + ": " + rec.message());
    if (!options.tls) {
      for (const auto& endpoint : endpoints) {
        if (!endpoint.endpoint().address().is_loopback()) {
          co_return invalid_argument("plain TCP is only used to a server on this machine (loopback); to reach " +
                                     options.host + " use TLS (--tls-ca)");
        }
      }
    }
    asio::ip::tcp::socket socket(executor);
    asio::steady_timer deadline(executor);
    deadline.expires_after(options.timeout);
    auto connected_or_timeout = co_await (asio::async_connect(socket, endpoints, asio::as_tuple(asio::use_awaitable)) ||
                                          deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (connected_or_timeout.index() == 1) co_return unavailable("the server " + where() + " does not answer");
    if (auto ec = std::get<0>(std::get<0>(connected_or_timeout)); ec) {
      co_return unavailable("cannot connect to " + where() + ": " + ec.message());
    }
    boost::system::error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    if (options.tls) {
      if (!tls_context) {
        tls_context.emplace(asio::ssl::context::tls_client);
        SSL_CTX_set_min_proto_version(tls_context->native_handle(), TLS1_3_VERSION);
        boost::system::error_code ec;
        if (options.tls_ca.empty()) {
          tls_context->set_default_verify_paths(ec);
        } else {
          tls_context->load_verify_file(options.tls_ca.string(), ec);
        }
        if (ec) co_return invalid_argument("cannot load the TLS authority " + options.tls_ca.string());
        tls_context->set_verify_mode(asio::ssl::verify_peer);
      }
      Tls tls(std::move(socket), *tls_context);
      tls.set_verify_callback(asio::ssl::host_name_verification(options.host));
      SSL_set_tlsext_host_name(tls.native_handle(), options.host.c_str());
      auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
      if (hec) co_return unavailable("the TLS handshake with " + where() + " failed: " + hec.message());
      stream = std::make_shared<Stream>(std::in_place_type<Tls>, std::move(tls));
    } else {
      stream = std::make_shared<Stream>(std::in_place_type<Plain>, std::move(socket));
    }
    connected = true;
    wake_writer = std::make_shared<asio::steady_timer>(executor);
    const uint64_t this_connection = ++generation;
    asio::co_spawn(executor, writer(shared_from_this(), stream, wake_writer, this_connection), asio::detached);
    asio::co_spawn(executor, reader(shared_from_this(), stream, this_connection), asio::detached);
    co_return co_await handshake();
  }

  [[nodiscard]] std::string where() const { return options.host + ":" + std::to_string(options.port); }

  asio::awaitable<Status> handshake() {
    schemas::Hello greeting;
    greeting.client = "passbook-client 0.1";
    std::string greeting_bytes = schemas::try_encode(greeting).value();
    auto reply = co_await request(MessageType::kHello, std::move(greeting_bytes));
    if (!reply.is_ok()) co_return reply.status();
    auto decoded = schemas::decode<schemas::HelloReply>(*reply, "the server's Hello");
    if (!decoded.is_ok()) co_return decoded.status();
    hello = *decoded;
    if (!trust) {
      auto loaded = Trust::load(options.state_file, options.verifier_key);
      if (!loaded.is_ok()) co_return loaded.status();
      trust.emplace(std::move(loaded).value());
    }
    PASSBOOK_CO_RETURN_IF_ERROR(trust->pin(hello.verifier_key));
    if (options.key == nullptr) co_return invalid_argument("a key is needed to open a session");
    schemas::Authenticate auth{options.key->public_key(),
                               options.key->sign(schemas::auth_message(hello.ledger, hello.challenge))};
    std::string auth_bytes = schemas::try_encode(auth).value();
    auto welcome = co_await request(MessageType::kAuthenticate, std::move(auth_bytes));
    if (!welcome.is_ok()) co_return welcome.status();
    auto who = schemas::decode<schemas::AuthenticateReply>(*welcome, "the server's welcome");
    if (!who.is_ok()) co_return who.status();
    session = *who;
    co_return Status::ok();
  }

  // `self` and `my_stream` live in the coroutine frame: the client and this connection's socket
  // outlive the coroutine. A coroutine of an older connection only ever ends quietly.
  asio::awaitable<void> writer([[maybe_unused]] std::shared_ptr<Impl> self, std::shared_ptr<Stream> my_stream,
                               std::shared_ptr<asio::steady_timer> wake, uint64_t connection) {
    while (connected && connection == generation) {
      if (outbox.empty()) {
        wake->expires_at(asio::steady_timer::time_point::max());
        co_await wake->async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      // Requests queued together go out in one write.
      std::string frame = std::move(outbox.front());
      outbox.pop_front();
      while (!outbox.empty() && frame.size() + outbox.front().size() <= 256 * 1024) {
        frame += outbox.front();
        outbox.pop_front();
      }
      auto [ec, n] = co_await std::visit(
          [&](auto& s) { return asio::async_write(s, asio::buffer(frame), asio::as_tuple(asio::use_awaitable)); },
          *my_stream);
      if (ec) {
        if (connection == generation) {
          disconnect(unavailable("the connection to " + where() + " was lost: " + ec.message()));
        }
        co_return;
      }
    }
  }

  asio::awaitable<void> reader([[maybe_unused]] std::shared_ptr<Impl> self, std::shared_ptr<Stream> my_stream, uint64_t connection) {
    std::string header(schemas::kFrameHeaderBytes, '\0');
    while (connected && connection == generation) {
      auto [ec, n] = co_await std::visit(
          [&](auto& s) { return asio::async_read(s, asio::buffer(header), asio::as_tuple(asio::use_awaitable)); },
          *my_stream);
      if (connection != generation) co_return;
      if (ec) {
        disconnect(unavailable("the connection to " + where() + " was lost: " + ec.message()));
        co_return;
      }
      auto parsed = schemas::parse_frame_header(header, schemas::kMaxReplyFrame);
      if (!parsed.is_ok()) {
        disconnect(data_loss("the server sent a bad frame: " + parsed.status().message()));
        co_return;
      }
      std::string body(parsed->body_length(), '\0');
      auto [bec, bn] = co_await std::visit(
          [&](auto& s) { return asio::async_read(s, asio::buffer(body), asio::as_tuple(asio::use_awaitable)); },
          *my_stream);
      if (connection != generation) co_return;
      if (bec) {
        disconnect(unavailable("the connection to " + where() + " was lost: " + bec.message()));
        co_return;
      }
      if (parsed->id == 0 && parsed->type == static_cast<uint8_t>(MessageType::kError)) {
        disconnect(status_from_error_reply(body));  // the server refused the connection itself
        co_return;
      }
      auto it = pending.find(parsed->id);
      if (it == pending.end()) continue;  // a reply to a request that timed out
      it->second->reply = std::make_pair(parsed->type, std::move(body));
      it->second->timer.cancel();
      pending.erase(it);
      free_slot();
    }
  }

  // One request, one reply (or an error Status), within the timeout.
  asio::awaitable<Result<std::string>> request(MessageType type, std::string body,
                                               std::chrono::milliseconds timeout = {}) {
    if (!connected) co_return unavailable("not connected to " + where());
    // Keep to the limit the server announced in Hello: wait (in order) for a free place rather
    // than be told to try again.
    const size_t limit = hello.max_in_flight == 0 ? SIZE_MAX : hello.max_in_flight;
    if (pending.size() + admitted >= limit || !slot_waiters.empty()) {
      auto slot = std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
      slot_waiters.push_back(slot);
      co_await slot->async_wait(asio::as_tuple(asio::use_awaitable));
      --admitted;  // free_slot() kept this place for us
      if (!connected) co_return unavailable("the connection to " + where() + " was lost");
    }
    const uint32_t id = next_id++;
    auto waiting = std::make_shared<Pending>(executor);
    pending.emplace(id, waiting);
    outbox.push_back(schemas::encode_frame(static_cast<uint8_t>(type), id, body));
    wake_writer->cancel();
    waiting->timer.expires_after(timeout.count() > 0 ? timeout : options.timeout);
    co_await waiting->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!waiting->reply) {
      pending.erase(id);
      free_slot();
      disconnect(unavailable("the server " + where() + " did not answer in time"));
      co_return unavailable("the server " + where() + " did not answer in time");
    }
    auto& reply = *waiting->reply;
    if (!reply.is_ok()) co_return reply.status();
    auto& [reply_type, reply_body] = reply.value();
    if (reply_type == static_cast<uint8_t>(MessageType::kError)) co_return status_from_error_reply(reply_body);
    if (reply_type != schemas::reply_type(type)) {
      co_return data_loss("the server answered with message type " + std::to_string(reply_type));
    }
    co_return std::move(reply_body);
  }

  template <class Reply, class Request>
  asio::awaitable<Result<Reply>> call(MessageType type, Request body,
                                      std::chrono::milliseconds timeout = {}) {
    auto encoded = schemas::try_encode(body);
    if (!encoded.is_ok()) co_return encoded.status();
    std::string bytes = std::move(encoded).value();
    auto reply = co_await request(type, std::move(bytes), timeout);
    if (!reply.is_ok()) co_return reply.status();
    auto decoded = schemas::decode<Reply>(*reply, "the server's reply");
    if (!decoded.is_ok()) co_return data_loss(decoded.status().message());
    co_return std::move(decoded).value();
  }

  // Every page of a list.
  template <class T>
  asio::awaitable<Result<std::vector<T>>> list(MessageType type, std::string filter) {
    std::vector<T> rows;
    for (uint32_t offset = 0;;) {
      schemas::ListRequest page_request{filter, offset, schemas::kMaxPage};
      auto page = co_await call<schemas::Page<T>>(type, std::move(page_request));
      if (!page.is_ok()) co_return page.status();
      for (auto& row : page->rows) rows.push_back(std::move(row));
      offset += static_cast<uint32_t>(page->rows.size());
      if (page->rows.empty() || offset >= page->total) break;
    }
    co_return rows;
  }

  asio::awaitable<Status> ensure_connected() {
    if (connected) co_return Status::ok();
    co_return co_await open_connection();
  }

  // Checks a receipt's proof bundle: the entry holds our envelope, its hash and time are the
  // receipt's, the checkpoint is signed and of the size the receipt names, the entry is included
  // in it, and it extends the head we asked with (`base`; replies to pipelined submits may have
  // moved the trusted head since, and those checkpoints are linked to it at the next refresh).
  Status check_receipt(const schemas::SignedEnvelope& sent, const schemas::SubmitReply& reply,
                       const TrustedHead& base) {
    if (!reply.proof) return data_loss("the server sent a receipt without the proof that was asked for");
    const schemas::ReceiptProof& bundle = *reply.proof;
    auto entry = schemas::decode<schemas::Entry>(bundle.entry, "the receipt's entry");
    if (!entry.is_ok()) return data_loss(entry.status().message());
    if (entry->signed_envelope.envelope != sent.envelope || entry->seq != reply.receipt.seq) {
      return data_loss("the server's receipt is for an entry that does not hold this envelope");
    }
    if (entry->commit_ms != reply.receipt.commit_ms) {
      return data_loss("the receipt's time is not the time in its entry");
    }
    if (proof::leaf_hash(bundle.entry) != reply.receipt.entry_hash) {
      return data_loss("the receipt's entry hash does not match the entry");
    }
    PASSBOOK_ASSIGN_OR_RETURN(proof::Checkpoint checkpoint, trust->verify_note(bundle.checkpoint));
    if (checkpoint.size != reply.receipt.checkpoint_size) {
      return data_loss("the receipt names checkpoint " + std::to_string(reply.receipt.checkpoint_size) +
                       " but came with checkpoint " + std::to_string(checkpoint.size));
    }
    Status included = proof::verify_inclusion(reply.receipt.entry_hash, reply.receipt.seq, checkpoint.size,
                                              bundle.inclusion, checkpoint.root);
    if (!included.is_ok()) {
      return data_loss("the entry is not provably in the signed checkpoint: " + included.message());
    }
    const TrustedHead& now = trust->head();
    if (now.size == base.size && now.root == base.root) {
      PASSBOOK_ASSIGN_OR_RETURN(proof::Checkpoint accepted, trust->accept(bundle.checkpoint, bundle.consistency));
      (void)accepted;
      return Status::ok();
    }
    PASSBOOK_RETURN_IF_ERROR(trust->check_consistent(checkpoint, bundle.consistency, base, bundle.checkpoint));
    trust->remember(checkpoint);
    return Status::ok();
  }

  asio::awaitable<Result<SubmitResult>> submit(schemas::SignedEnvelope envelope) {
    Status last = unavailable("not tried");
    for (int attempt = 1; attempt <= std::max(1, options.max_attempts); ++attempt) {
      if (attempt > 1) {
        asio::steady_timer backoff(executor);
        backoff.expires_after(std::chrono::milliseconds(50) * (1 << std::min(attempt - 2, 6)));
        co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
      }
      Status ready = co_await ensure_connected();
      if (!ready.is_ok()) {
        last = ready;
        if (ready.code() == Status::Code::kUnavailable) continue;
        co_return ready;
      }
      const TrustedHead base = trust->head();
      schemas::Submit request{envelope, options.check_receipts, base.size};
      auto reply = co_await call<schemas::SubmitReply>(MessageType::kSubmit, request);
      if (!reply.is_ok()) {
        last = reply.status();
        // Lost connections and a busy server are worth another try with the same bytes.
        if (last.code() == Status::Code::kUnavailable || last.code() == Status::Code::kResourceExhausted) continue;
        co_return last;
      }
      SubmitResult result{reply->receipt, reply->duplicate, false, attempt};
      if (options.check_receipts) {
        PASSBOOK_CO_RETURN_IF_ERROR(check_receipt(envelope, *reply, base));
        result.proven = true;
      }
      co_return result;
    }
    co_return last.with_context("gave up after " + std::to_string(options.max_attempts) + " attempts");
  }

  // The signed checkpoint for a size (0: latest), proven consistent with the trusted head.
  asio::awaitable<Result<std::string>> checkpoint(uint64_t size) {
    schemas::GetCheckpoint wanted{size};
    auto reply = co_await call<schemas::CheckpointReply>(MessageType::kGetCheckpoint, wanted);
    if (!reply.is_ok()) co_return reply.status();
    auto parsed = proof::verify_checkpoint(reply->note, trust->verifier(), trust->verifier().name);
    if (!parsed.is_ok()) {
      co_return data_loss("the server sent a checkpoint that does not verify: " + parsed.status().message());
    }
    std::vector<Hash32> consistency;
    const uint64_t known = trust->head().size;
    if (known != 0 && parsed->size != known) {
      schemas::GetConsistencyProof between{std::min(known, parsed->size), std::max(known, parsed->size)};
      auto proof = co_await call<schemas::ProofReply>(MessageType::kGetConsistencyProof, between);
      if (proof.is_ok()) {
        consistency = std::move(proof->hashes);
      } else if (parsed->size >= known) {
        co_return proof.status();
      }
      // A server whose tree is smaller than one it signed before cannot prove anything: with no
      // proof, accept() below catches it as a rewritten history.

    }
    auto accepted = trust->accept(reply->note, consistency);
    if (!accepted.is_ok()) co_return accepted.status();
    co_return std::move(reply->note);
  }

  // Proves the latest checkpoint consistent with the trusted head, then every receipt's
  // checkpoint that was only proven against an older head consistent with the latest.
  asio::awaitable<Result<TrustedHead>> refresh() {
    auto latest = co_await checkpoint(0);
    if (!latest.is_ok()) co_return latest.status();
    const TrustedHead head = trust->head();
    for (const proof::Checkpoint& earlier : trust->take_unlinked()) {
      std::vector<Hash32> consistency;
      if (earlier.size < head.size) {
        schemas::GetConsistencyProof between{earlier.size, head.size};
        auto proof = co_await call<schemas::ProofReply>(MessageType::kGetConsistencyProof, between);
        if (!proof.is_ok()) co_return proof.status();
        consistency = std::move(proof->hashes);
      }
      PASSBOOK_CO_RETURN_IF_ERROR(trust->check_consistent(earlier, consistency, head, head.note));
    }
    co_return trust->head();
  }
};

AsyncClient::AsyncClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
AsyncClient::~AsyncClient() {
  if (impl_) impl_->disconnect(unavailable("closed"));
}

asio::awaitable<Result<std::unique_ptr<AsyncClient>>> AsyncClient::connect(asio::any_io_executor executor,
                                                                          ClientOptions options) {
  auto impl = std::make_shared<Impl>(executor, std::move(options));
  Status opened = co_await impl->open_connection();
  if (!opened.is_ok()) {
    impl->disconnect(opened);
    co_return opened;
  }
  auto client = std::unique_ptr<AsyncClient>(new AsyncClient(std::move(impl)));
  auto head = co_await client->impl_->refresh();
  if (!head.is_ok()) co_return head.status();
  co_return client;
}

asio::awaitable<Result<SubmitResult>> AsyncClient::submit(schemas::SignedEnvelope envelope) {
  co_return co_await impl_->submit(std::move(envelope));
}

asio::awaitable<Result<schemas::LedgerInfo>> AsyncClient::info() {
  schemas::Empty nothing;
  co_return co_await impl_->call<schemas::LedgerInfo>(MessageType::kGetInfo, nothing);
}

asio::awaitable<Result<schemas::AccountView>> AsyncClient::account(schemas::AccountKind kind, std::string id) {
  schemas::GetAccount wanted{kind, std::move(id)};
  co_return co_await impl_->call<schemas::AccountView>(MessageType::kGetAccount, std::move(wanted));
}

asio::awaitable<Result<std::vector<schemas::HistoryLine>>> AsyncClient::history(schemas::AccountKind kind,
                                                                                std::string id) {
  std::vector<schemas::HistoryLine> lines;
  for (uint32_t offset = 0;;) {
    schemas::GetHistory wanted{kind, id, offset, schemas::kMaxPage};
    auto page = co_await impl_->call<schemas::Page<schemas::HistoryLine>>(MessageType::kGetHistory, std::move(wanted));
    if (!page.is_ok()) co_return page.status();
    for (auto& line : page->rows) lines.push_back(std::move(line));
    offset += static_cast<uint32_t>(page->rows.size());
    if (page->rows.empty() || offset >= page->total) break;
  }
  co_return lines;
}

asio::awaitable<Result<std::vector<std::string>>> AsyncClient::entries(uint64_t from, uint32_t count) {
  schemas::GetEntries wanted{from, count};
  auto page = co_await impl_->call<schemas::EntriesPage>(MessageType::kGetEntries, wanted);
  if (!page.is_ok()) co_return page.status();
  std::vector<std::string> out;
  for (auto& e : page->entries) out.push_back(std::move(e.bytes));
  co_return out;
}

asio::awaitable<Result<std::vector<schemas::RewardView>>> AsyncClient::rewards(std::string merchant) {
  co_return co_await impl_->list<schemas::RewardView>(MessageType::kListRewards, std::move(merchant));
}
asio::awaitable<Result<std::vector<schemas::ActorView>>> AsyncClient::actors() {
  std::string all;
  co_return co_await impl_->list<schemas::ActorView>(MessageType::kListActors, std::move(all));
}
asio::awaitable<Result<std::vector<schemas::RuleView>>> AsyncClient::rules() {
  std::string all;
  co_return co_await impl_->list<schemas::RuleView>(MessageType::kListRules, std::move(all));
}
asio::awaitable<Result<std::vector<schemas::AccountView>>> AsyncClient::accounts(std::string branch) {
  co_return co_await impl_->list<schemas::AccountView>(MessageType::kListAccounts, std::move(branch));
}
asio::awaitable<Result<std::vector<schemas::ClaimView>>> AsyncClient::claims(std::string branch) {
  co_return co_await impl_->list<schemas::ClaimView>(MessageType::kListClaims, std::move(branch));
}
asio::awaitable<Result<std::vector<schemas::ReservationView>>> AsyncClient::reservations(std::string merchant) {
  co_return co_await impl_->list<schemas::ReservationView>(MessageType::kListReservations, std::move(merchant));
}

asio::awaitable<Result<std::string>> AsyncClient::checkpoint(uint64_t size) {
  co_return co_await impl_->checkpoint(size);
}

asio::awaitable<Result<std::vector<Hash32>>> AsyncClient::inclusion_proof(uint64_t index, uint64_t size) {
  schemas::GetInclusionProof wanted{index, size};
  auto reply = co_await impl_->call<schemas::ProofReply>(MessageType::kGetInclusionProof, wanted);
  if (!reply.is_ok()) co_return reply.status();
  co_return std::move(reply->hashes);
}

asio::awaitable<Result<std::vector<Hash32>>> AsyncClient::consistency_proof(uint64_t size1, uint64_t size2) {
  schemas::GetConsistencyProof wanted{size1, size2};
  auto reply = co_await impl_->call<schemas::ProofReply>(MessageType::kGetConsistencyProof, wanted);
  if (!reply.is_ok()) co_return reply.status();
  co_return std::move(reply->hashes);
}

asio::awaitable<Result<TrustedHead>> AsyncClient::refresh() { co_return co_await impl_->refresh(); }

asio::awaitable<Result<schemas::BackupReply>> AsyncClient::backup(bool verify) {
  schemas::BackupRequest wanted{verify};
  const std::chrono::milliseconds timeout = impl_->options.backup_timeout;
  co_return co_await impl_->call<schemas::BackupReply>(MessageType::kBackup, wanted, timeout);
}

const TrustedHead& AsyncClient::trusted() const { return impl_->trust->head(); }
const schemas::HelloReply& AsyncClient::hello() const { return impl_->hello; }
const schemas::AuthenticateReply& AsyncClient::session() const { return impl_->session; }
void AsyncClient::close() { impl_->disconnect(unavailable("closed")); }

// ---- the blocking client ---------------------------------------------------------------------

struct Client::Impl {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
  std::unique_ptr<AsyncClient> async;

  Impl() : thread([this] { io.run(); }) {}
  ~Impl() {
    if (async) {
      // Close on the I/O thread, which owns the sockets, and wait for it.
      asio::post(io, asio::use_future([this] { async->close(); })).get();
    }
    work.reset();
    io.stop();
    thread.join();
  }

  // Runs a coroutine on the client's I/O thread and waits for its result.
  template <class T>
  T run(asio::awaitable<T> operation) {
    return asio::co_spawn(io, std::move(operation), asio::use_future).get();
  }
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::connect(ClientOptions options) {
  auto impl = std::make_unique<Impl>();
  try {
    auto async = impl->run(AsyncClient::connect(impl->io.get_executor(), std::move(options)));
    if (!async.is_ok()) return async.status();
    impl->async = std::move(async).value();
  } catch (const std::exception& e) {
    return internal_error(std::string("the client failed: ") + e.what());
  }
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

namespace {

template <class T, class Fn>
T guarded(Fn&& fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return internal_error(std::string("the client failed: ") + e.what());
  }
}

}  // namespace

#define PASSBOOK_CLIENT_CALL(expr) \
  guarded<decltype(impl_->run(impl_->async->expr))>([&] { return impl_->run(impl_->async->expr); })

Result<SubmitResult> Client::submit(schemas::SignedEnvelope envelope) {
  return PASSBOOK_CLIENT_CALL(submit(std::move(envelope)));
}

std::vector<Result<SubmitResult>> Client::submit_all(std::vector<schemas::SignedEnvelope> envelopes) {
  AsyncClient* async = impl_->async.get();
  auto all = [async](std::vector<schemas::SignedEnvelope> batch) -> asio::awaitable<std::vector<Result<SubmitResult>>> {
    auto executor = co_await asio::this_coro::executor;
    std::vector<std::optional<Result<SubmitResult>>> results(batch.size());
    size_t remaining = batch.size();
    asio::steady_timer done(executor, asio::steady_timer::time_point::max());
    for (size_t i = 0; i < batch.size(); ++i) {
      asio::co_spawn(executor, async->submit(std::move(batch[i])),
                     [&, i](const std::exception_ptr& error, Result<SubmitResult> result) {
                       results[i] = error ? Result<SubmitResult>(internal_error("a submit failed")) : std::move(result);
                       if (--remaining == 0) done.cancel();
                     });
    }
    if (remaining > 0) co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
    std::vector<Result<SubmitResult>> out;
    out.reserve(results.size());
    for (auto& r : results) out.push_back(std::move(*r));
    // Receipts checked against a head that others had moved are linked to the latest now.
    auto linked = co_await async->refresh();
    if (!linked.is_ok()) {
      for (auto& r : out) {
        if (r.is_ok()) r = linked.status();
      }
    }
    co_return out;
  };
  try {
    return impl_->run(all(std::move(envelopes)));
  } catch (const std::exception& e) {
    return {internal_error(std::string("the client failed: ") + e.what())};
  }
}

Result<schemas::LedgerInfo> Client::info() { return PASSBOOK_CLIENT_CALL(info()); }
Result<schemas::AccountView> Client::account(schemas::AccountKind kind, const std::string& id) {
  return PASSBOOK_CLIENT_CALL(account(kind, id));
}
Result<std::vector<schemas::HistoryLine>> Client::history(schemas::AccountKind kind, const std::string& id) {
  return PASSBOOK_CLIENT_CALL(history(kind, id));
}
Result<std::vector<std::string>> Client::entries(uint64_t from, uint32_t count) {
  return PASSBOOK_CLIENT_CALL(entries(from, count));
}
Result<std::vector<schemas::RewardView>> Client::rewards(const std::string& merchant) {
  return PASSBOOK_CLIENT_CALL(rewards(merchant));
}
Result<std::vector<schemas::ActorView>> Client::actors() { return PASSBOOK_CLIENT_CALL(actors()); }
Result<std::vector<schemas::RuleView>> Client::rules() { return PASSBOOK_CLIENT_CALL(rules()); }
Result<std::vector<schemas::AccountView>> Client::accounts(const std::string& branch) {
  return PASSBOOK_CLIENT_CALL(accounts(branch));
}
Result<std::vector<schemas::ClaimView>> Client::claims(const std::string& branch) {
  return PASSBOOK_CLIENT_CALL(claims(branch));
}
Result<std::vector<schemas::ReservationView>> Client::reservations(const std::string& merchant) {
  return PASSBOOK_CLIENT_CALL(reservations(merchant));
}
Result<std::string> Client::checkpoint(uint64_t size) { return PASSBOOK_CLIENT_CALL(checkpoint(size)); }
Result<std::vector<Hash32>> Client::inclusion_proof(uint64_t index, uint64_t size) {
  return PASSBOOK_CLIENT_CALL(inclusion_proof(index, size));
}
Result<std::vector<Hash32>> Client::consistency_proof(uint64_t size1, uint64_t size2) {
  return PASSBOOK_CLIENT_CALL(consistency_proof(size1, size2));
}
Result<TrustedHead> Client::refresh() { return PASSBOOK_CLIENT_CALL(refresh()); }
Result<schemas::BackupReply> Client::backup(bool verify) {
  return PASSBOOK_CLIENT_CALL(backup(verify));
}
const TrustedHead& Client::trusted() const { return impl_->async->trusted(); }
const schemas::HelloReply& Client::hello() const { return impl_->async->hello(); }
const schemas::AuthenticateReply& Client::session() const { return impl_->async->session(); }

}  // namespace passbook::client
