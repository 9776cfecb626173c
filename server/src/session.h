// One client connection: a reader coroutine that takes frames in, a writer coroutine that
// drains the replies (one write in flight), and the limits that keep a slow or hostile peer
// from stalling anyone else: bounded frames, a handshake deadline, idle and per-frame
// timeouts, a cap on requests in flight and on unread replies.
//
// Runs on the single I/O thread; work that may block (signature checks, queries, the writer)
// happens elsewhere and comes back with asio::post.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "backup_service.h"
#include "commit_pipeline.h"
#include "log.h"
#include "passbook/proof/crypto.h"
#include "passbook/schemas/encoding.h"
#include "passbook/schemas/protocol.h"
#include "passbook/server/server.h"
#include "request_handler.h"

namespace passbook::server {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

// What every session shares.
struct ServerContext {
  ledger::Ledger& ledger;
  const ServerOptions& options;
  CommitPipeline& pipeline;
  asio::thread_pool& workers;
  asio::any_io_executor io;
  LedgerId ledger_id{};
  std::string origin;
  std::string verifier_key;
  size_t sessions = 0;
  BackupService* backups = nullptr;  // null: passbookd runs without --backup-dir
};

// Why a backup cannot be made: the server was not told where to store it.
inline Status no_backup_dir() {
  return failed_precondition(
      "this passbookd stores no backups: start it with --backup-dir DIR to allow Backup requests");
}

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, ServerContext& context, std::string peer)
      : stream_(std::move(stream)),
        context_(context),
        peer_(std::move(peer)),
        signal_(context.io),
        deadline_(context.io) {
    signal_.expires_at(asio::steady_timer::time_point::max());
  }

  // Serves the connection to its end. Never throws.
  asio::awaitable<void> run() {
    auto self = this->shared_from_this();
    try {
      asio::co_spawn(context_.io, writer(), asio::detached);
      if (co_await handshake()) {
        while (open_ && co_await read_request()) {
        }
      }
    } catch (const std::exception& e) {
      log(LogLevel::kWarn, "session " + peer_ + " ended by an error: " + e.what());
    }
    if (!draining_) close();
  }

  // Stop reading; close once every reply already queued has been written.
  void drain_and_close() {
    draining_ = true;
    reading_ = false;
    deadline_.cancel();
    if (outbox_.empty() && in_flight_ == 0) close();
  }

  void close() {
    if (!open_) return;
    open_ = false;
    boost::system::error_code ignored;
    stream_.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.lowest_layer().close(ignored);
    signal_.cancel();
    deadline_.cancel();
  }

  [[nodiscard]] bool is_open() const { return open_; }

 private:
  using Timer = asio::steady_timer;

  // Reads exactly n bytes into buf before the timeout; false on timeout, error or close. Bytes
  // come from a small buffer refilled with whatever the socket has (up to kReadChunk), so a
  // pipelining client's frames cost one system call for many, not two each.
  asio::awaitable<bool> read_exact(char* buf, size_t n, std::chrono::milliseconds timeout) {
    deadline_.expires_after(timeout);
    size_t copied = 0;
    while (copied < n) {
      if (in_pos_ == in_.size()) {
        in_.resize(kReadChunk);
        in_pos_ = 0;
        auto result = co_await (stream_.async_read_some(asio::buffer(in_), asio::as_tuple(asio::use_awaitable)) ||
                                deadline_.async_wait(asio::as_tuple(asio::use_awaitable)));
        if (result.index() == 1) {
          in_.clear();
          if (reading_) log(LogLevel::kInfo, "closing " + peer_ + ": no data within the time limit");
          co_return false;
        }
        auto [ec, bytes] = std::get<0>(result);
        in_.resize(ec ? 0 : bytes);
        if (ec || bytes == 0) co_return false;
      }
      const size_t take = std::min(n - copied, in_.size() - in_pos_);
      std::memcpy(buf + copied, in_.data() + in_pos_, take);
      in_pos_ += take;
      copied += take;
    }
    co_return true;
  }

  struct Frame {
    schemas::FrameHeader header;
    std::string body;
  };

  // Reads one frame; nullopt means the connection is over (reported already).
  asio::awaitable<std::optional<Frame>> read_frame(std::chrono::milliseconds wait_for_header) {
    std::string header(schemas::kFrameHeaderBytes, '\0');
    if (!co_await read_exact(header.data(), header.size(), wait_for_header)) co_return std::nullopt;
    auto parsed = schemas::parse_frame_header(header, schemas::kMaxRequestFrame);
    if (!parsed.is_ok()) {
      // The body is never read, so the stream cannot be resynchronised: answer and close.
      log(LogLevel::kWarn, "closing " + peer_ + ": " + parsed.status().message());
      send_error(0, parsed.status());
      drain_and_close();
      co_return std::nullopt;
    }
    Frame frame{*parsed, std::string(parsed->body_length(), '\0')};
    if (!co_await read_exact(frame.body.data(), frame.body.size(), context_.options.frame_timeout)) {
      co_return std::nullopt;
    }
    co_return frame;
  }

  asio::awaitable<bool> handshake() {
    const auto timeout = context_.options.handshake_timeout;
    auto hello_frame = co_await read_frame(timeout);
    if (!hello_frame) co_return false;
    if (hello_frame->header.type != static_cast<uint8_t>(schemas::MessageType::kHello)) {
      co_return refuse(hello_frame->header.id, invalid_argument("the connection must start with Hello"));
    }
    auto hello = schemas::decode<schemas::Hello>(hello_frame->body, "Hello");
    if (!hello.is_ok()) co_return refuse(hello_frame->header.id, hello.status());
    if (hello->magic != schemas::kProtocolMagic || hello->version != schemas::kProtocolVersion) {
      co_return refuse(hello_frame->header.id,
                       invalid_argument("this server speaks passbook protocol version " +
                                        std::to_string(schemas::kProtocolVersion)));
    }
    schemas::HelloReply reply;
    reply.ledger = context_.ledger_id;
    reply.origin = context_.origin;
    reply.verifier_key = context_.verifier_key;
    reply.max_in_flight = context_.options.max_in_flight_per_connection;
    if (Status s = proof::random_bytes(reply.challenge); !s.is_ok()) co_return refuse(hello_frame->header.id, s);
    send(schemas::reply_type(schemas::MessageType::kHello), hello_frame->header.id, schemas::try_encode(reply).value());

    auto auth_frame = co_await read_frame(timeout);
    if (!auth_frame) co_return false;
    if (auth_frame->header.type != static_cast<uint8_t>(schemas::MessageType::kAuthenticate)) {
      co_return refuse(auth_frame->header.id, unauthenticated("authenticate first"));
    }
    auto auth = schemas::decode<schemas::Authenticate>(auth_frame->body, "Authenticate");
    if (!auth.is_ok()) co_return refuse(auth_frame->header.id, auth.status());
    if (!proof::ed25519_verify(auth->key, schemas::auth_message(context_.ledger_id, reply.challenge),
                               auth->signature)) {
      co_return refuse(auth_frame->header.id, unauthenticated("the authentication signature does not verify"));
    }
    auto actor = context_.ledger.actor(auth->key);
    if (!actor.is_ok() && actor.status().code() != Status::Code::kNotFound) {
      co_return refuse(auth_frame->header.id, actor.status());
    }
    if (!actor.is_ok() || actor->revoked_seq) {
      co_return refuse(auth_frame->header.id,
                       unauthenticated("the key " + to_hex(auth->key).substr(0, 16) +
                                       (actor.is_ok() ? " was revoked" : " is not registered on this ledger")));
    }
    principal_ = Principal{auth->key, actor->role, actor->scope, actor->name};
    schemas::AuthenticateReply welcome{actor->role, actor->scope, actor->name};
    send(schemas::reply_type(schemas::MessageType::kAuthenticate), auth_frame->header.id,
         schemas::try_encode(welcome).value());
    log(LogLevel::kDebug, peer_ + " authenticated as " + std::string(schemas::role_name(actor->role)) + " " +
                              actor->scope + " (" + actor->name + ")");
    co_return true;
  }

  bool refuse(uint32_t id, const Status& status) {
    log(LogLevel::kInfo, "refused " + peer_ + ": " + status.message());
    send_error(id, status);
    drain_and_close();
    return false;
  }

  asio::awaitable<bool> read_request() {
    auto frame = co_await read_frame(context_.options.idle_timeout);
    if (!frame) co_return false;
    const uint32_t id = frame->header.id;
    const uint8_t type = frame->header.type;
    if (!schemas::is_request_type(type) || type == static_cast<uint8_t>(schemas::MessageType::kHello) ||
        type == static_cast<uint8_t>(schemas::MessageType::kAuthenticate)) {
      send_error(id, invalid_argument("message type " + std::to_string(type) + " is not a request here"));
      co_return true;
    }
    if (in_flight_ >= context_.options.max_in_flight_per_connection) {
      send_error(id, resource_exhausted("too many requests in flight on this connection (limit " +
                                        std::to_string(context_.options.max_in_flight_per_connection) +
                                        "); wait for replies"));
      co_return true;
    }
    ++in_flight_;
    if (type == static_cast<uint8_t>(schemas::MessageType::kSubmit)) {
      submit(id, frame->body);
    } else if (type == static_cast<uint8_t>(schemas::MessageType::kBackup)) {
      backup(id, frame->body);
    } else {
      query(id, static_cast<schemas::MessageType>(type), std::move(frame->body));
    }
    co_return true;
  }

  void submit(uint32_t id, std::string_view body) {
    auto request = schemas::decode<schemas::Submit>(body, "Submit");
    if (!request.is_ok()) {
      finish(id, reply_type(schemas::MessageType::kSubmit), request.status());
      return;
    }
    const bool want_proof = request->want_proof;
    const uint64_t known_size = request->known_size;
    auto self = this->shared_from_this();
    context_.pipeline.submit(std::move(request->envelope), principal_.key, [self, id, want_proof, known_size](ledger::Outcome outcome) {
      if (!outcome.status.is_ok()) {
        auto status = outcome.status;
        const uint32_t op_index = outcome.op_index;
        asio::post(self->context_.io, [self, id, status, op_index] { self->finish_error(id, status, op_index); });
        return;
      }
      // The proof reads the Merkle tree: do it on the pool, never on the writer or the I/O thread.
      asio::post(self->context_.workers, [self, id, want_proof, known_size, outcome = std::move(outcome)] {
        schemas::SubmitReply reply{outcome.receipt, outcome.duplicate, std::nullopt};
        if (want_proof) {
          auto bundle = receipt_proof(self->context_.ledger, outcome.receipt, known_size);
          if (!bundle.is_ok()) {
            asio::post(self->context_.io, [self, id, s = bundle.status()] { self->finish_error(id, s); });
            return;
          }
          reply.proof = std::move(bundle).value();
        }
        std::string encoded = schemas::try_encode(reply).value();
        asio::post(self->context_.io, [self, id, encoded = std::move(encoded)]() mutable {
          self->finish(id, reply_type(schemas::MessageType::kSubmit), std::move(encoded));
        });
      });
    });
  }

  // A backup runs on the backup service's own thread, not on the pool (it would hold a query
  // thread for the length of the copy) and not here; the reply is posted back when it is stored.
  void backup(uint32_t id, std::string_view body) {
    const uint8_t backup_reply = reply_type(schemas::MessageType::kBackup);
    auto request = schemas::decode<schemas::BackupRequest>(body, "Backup");
    if (!request.is_ok()) return finish(id, backup_reply, request.status());
    // The key is checked again, as for every query: a revoked admin key asks for nothing more.
    if (Status allowed = session_key_allowed(context_.ledger, principal_.key); !allowed.is_ok()) {
      return finish_error(id, allowed);
    }
    if (principal_.role != schemas::Role::kAdmin) {
      return finish_error(id, permission_denied("only an admin key may ask for a backup"));
    }
    if (context_.backups == nullptr) return finish_error(id, no_backup_dir());
    ledger::BackupOptions options;
    options.verify = request->verify;
    auto self = this->shared_from_this();
    Status started = context_.backups->start(
        options, "Backup request from " + principal_.name + " at " + peer_,
        [self, id](Result<ledger::BackupInfo> stored) {
          Result<std::string> reply = encode_backup(stored);
          asio::post(self->context_.io, [self, id, reply = std::move(reply)]() mutable {
            self->finish(id, reply_type(schemas::MessageType::kBackup), std::move(reply));
          });
        });
    if (!started.is_ok()) finish_error(id, started);
  }

  static Result<std::string> encode_backup(const Result<ledger::BackupInfo>& stored) {
    if (!stored.is_ok())
      return stored.status().with_context("the backup failed, nothing was stored");
    const ledger::BackupInfo& b = stored.value();
    schemas::BackupReply reply{b.id,    b.created_unix_s, b.entries, b.root,
                               b.bytes, b.files,          b.verified};
    return schemas::try_encode(reply);
  }

  void query(uint32_t id, schemas::MessageType type, std::string body) {
    auto self = this->shared_from_this();
    asio::post(context_.workers, [self, id, type, body = std::move(body)] {
      Result<std::string> reply = handle_request(self->context_.ledger, self->principal_, type, body);
      asio::post(self->context_.io, [self, id, type, reply = std::move(reply)]() mutable {
        self->finish(id, reply_type(type), std::move(reply));
      });
    });
  }

  static uint8_t reply_type(schemas::MessageType type) { return schemas::reply_type(type); }

  void finish(uint32_t id, uint8_t type, Result<std::string> reply) {
    if (reply.is_ok()) {
      --in_flight_;
      send(type, id, reply.value());
      after_reply();
    } else {
      finish_error(id, reply.status());
    }
  }

  void finish_error(uint32_t id, const Status& status,
                    uint32_t op_index = schemas::ErrorReply::kWholeEnvelope) {
    --in_flight_;
    send_error(id, status, op_index);
    after_reply();
  }

  void after_reply() {
    if (draining_ && outbox_.empty() && in_flight_ == 0) close();
  }

  void send_error(uint32_t id, const Status& status, uint32_t op_index = schemas::ErrorReply::kWholeEnvelope) {
    schemas::ErrorReply error;
    error.code = static_cast<uint16_t>(status.code());
    error.op_index = op_index;
    error.message = schemas::printable_text(status.message(), limits::kMessageBytes);
    send(static_cast<uint8_t>(schemas::MessageType::kError), id, schemas::try_encode(error).value());
  }

  void send(uint8_t type, uint32_t id, std::string_view body) {
    if (!open_) return;
    std::string frame = schemas::encode_frame(type, id, body);
    outbox_bytes_ += frame.size();
    outbox_.push_back(std::move(frame));
    if (outbox_bytes_ > context_.options.max_outbox_bytes) {
      log(LogLevel::kWarn, "closing " + peer_ + ": it does not read its replies");
      close();
      return;
    }
    signal_.cancel();
  }

  asio::awaitable<void> writer() {
    auto self = this->shared_from_this();
    Timer write_deadline(context_.io);
    while (open_) {
      if (outbox_.empty()) {
        if (draining_ && in_flight_ == 0) {
          close();
          break;
        }
        signal_.expires_at(Timer::time_point::max());
        co_await signal_.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      // Replies that are ready go out together: one write (and one system call) for many.
      std::string frame = std::move(outbox_.front());
      outbox_.pop_front();
      while (!outbox_.empty() && frame.size() + outbox_.front().size() <= kCoalesceBytes) {
        frame += outbox_.front();
        outbox_.pop_front();
      }
      outbox_bytes_ -= frame.size();
      write_deadline.expires_after(context_.options.write_timeout);
      auto result = co_await (asio::async_write(stream_, asio::buffer(frame), asio::as_tuple(asio::use_awaitable)) ||
                              write_deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
      if (result.index() == 1) {
        log(LogLevel::kInfo, "closing " + peer_ + ": it took too long to read a reply");
        close();
        break;
      }
      if (std::get<0>(std::get<0>(result))) {
        close();
        break;
      }
    }
  }

  static constexpr size_t kCoalesceBytes = 256 * 1024;
  static constexpr size_t kReadChunk = 64 * 1024;

  Stream stream_;
  ServerContext& context_;
  std::string peer_;
  Timer signal_;    // wakes the writer when a reply is queued
  Timer deadline_;  // the reader's current time limit
  std::string in_;  // bytes read and not yet used, from in_pos_
  size_t in_pos_ = 0;
  std::deque<std::string> outbox_;
  size_t outbox_bytes_ = 0;
  uint32_t in_flight_ = 0;
  Principal principal_;
  bool open_ = true;
  bool reading_ = true;
  bool draining_ = false;
};

}  // namespace passbook::server
