#include "passbook/server/server.h"

#include <openssl/ssl.h>

#include <boost/asio/ssl.hpp>
#include <list>

#include "backup_service.h"
#include "commit_pipeline.h"
#include "log.h"
#include "session.h"

namespace passbook::server {

bool is_loopback(const std::string& address) {
  boost::system::error_code ec;
  const auto parsed = asio::ip::make_address(address, ec);
  return !ec && parsed.is_loopback();
}

struct Server::Impl {
  Impl(ledger::Ledger& l, const ServerOptions& o)
      : ledger(l),
        options(o),
        workers(o.worker_threads),
        pipeline(l, workers, o.max_group_envelopes, o.max_queued_envelopes),
        acceptor(io),
        signals(io, SIGINT, SIGTERM),
        tls(asio::ssl::context::tls_server),
        context{l, options, pipeline, workers, io.get_executor(), {}, {}, {}, 0} {
    if (!options.backup_dir.empty()) {
      backups = std::make_unique<BackupService>(l, options.backup_dir);
      context.backups = backups.get();
    }
  }

  ledger::Ledger& ledger;
  ServerOptions options;
  asio::io_context io;
  asio::thread_pool workers;
  CommitPipeline pipeline;
  asio::ip::tcp::acceptor acceptor;
  asio::signal_set signals;
  asio::ssl::context tls;
  bool use_tls = false;
  ServerContext context;
  // Declared after io: destroyed (a backup under way finished) before io, to which it posts.
  std::unique_ptr<BackupService> backups;
  // Every live session, to drain them at shutdown.
  std::list<std::weak_ptr<Session<asio::ip::tcp::socket>>> plain_sessions;
  std::list<std::weak_ptr<Session<asio::ssl::stream<asio::ip::tcp::socket>>>> tls_sessions;
  std::atomic<bool> stopping{false};

  Status set_up() {
    const bool tls_given = !options.tls_cert.empty() || !options.tls_key.empty();
    if (tls_given && (options.tls_cert.empty() || options.tls_key.empty())) {
      return invalid_argument("give both --tls-cert and --tls-key");
    }
    if (!tls_given && !is_loopback(options.listen_address)) {
      return invalid_argument("plain TCP is only allowed on loopback; to listen on " + options.listen_address +
                              " give --tls-cert and --tls-key");
    }
    if (tls_given) PASSBOOK_RETURN_IF_ERROR(load_tls());
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options.listen_address, ec);
    if (ec) return invalid_argument("\"" + options.listen_address + "\" is not an IP address");
    const asio::ip::tcp::endpoint endpoint(address, options.port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return unavailable("cannot listen on " + options.listen_address + ":" + std::to_string(options.port) +
                         ": " + ec.message());
    }
    const auto info = ledger.info();
    context.ledger_id = info.id;
    context.origin = info.origin;
    context.verifier_key = info.verifier_key;
    return Status::ok();
  }

  Status load_tls() {
    boost::system::error_code ec;
    SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_3_VERSION);
    tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                    asio::ssl::context::no_tlsv1_2);
    tls.use_certificate_chain_file(options.tls_cert.string(), ec);
    if (ec) return invalid_argument("cannot use the TLS certificate " + options.tls_cert.string() + ": " + ec.message());
    tls.use_private_key_file(options.tls_key.string(), asio::ssl::context::pem, ec);
    if (ec) return invalid_argument("cannot use the TLS key " + options.tls_key.string() + ": " + ec.message());
    use_tls = true;
    return Status::ok();
  }

  template <class List>
  static size_t prune(List& sessions) {
    sessions.remove_if([](const auto& weak) {
      auto s = weak.lock();
      return !s || !s->is_open();
    });
    return sessions.size();
  }

  asio::awaitable<void> listen() {
    while (!stopping) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (stopping || ec == asio::error::operation_aborted) break;
        log(LogLevel::kWarn, "accept failed: " + ec.message());
        continue;
      }
      boost::system::error_code peer_ec;
      const auto remote = socket.remote_endpoint(peer_ec);
      const std::string peer = peer_ec ? "?" : remote.address().to_string() + ":" + std::to_string(remote.port());
      const size_t live = prune(plain_sessions) + prune(tls_sessions);
      if (live >= options.max_connections) {
        log(LogLevel::kWarn, "refused connection from " + peer + ": " + std::to_string(live) +
                                 " connections already (the limit)");
        if (!use_tls) {
          schemas::ErrorReply error{static_cast<uint16_t>(Status::Code::kResourceExhausted),
                                    schemas::ErrorReply::kWholeEnvelope,
                                    "the server has too many connections; try again shortly"};
          const std::string frame = schemas::encode_frame(static_cast<uint8_t>(schemas::MessageType::kError), 0,
                                                          schemas::try_encode(error).value());
          boost::system::error_code ignored;
          socket.non_blocking(true, ignored);
          socket.write_some(asio::buffer(frame), ignored);
        }
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
      socket.set_option(asio::ip::tcp::no_delay(true), peer_ec);
      if (use_tls) {
        asio::co_spawn(io, serve_tls(asio::ssl::stream<asio::ip::tcp::socket>(std::move(socket), tls), peer),
                       asio::detached);
      } else {
        auto session = std::make_shared<Session<asio::ip::tcp::socket>>(std::move(socket), context, peer);
        plain_sessions.push_back(session);
        asio::co_spawn(io, session->run(), asio::detached);
      }
    }
  }

  asio::awaitable<void> serve_tls(asio::ssl::stream<asio::ip::tcp::socket> stream, std::string peer) {
    asio::steady_timer deadline(io);
    deadline.expires_after(options.handshake_timeout);
    auto result = co_await (stream.async_handshake(asio::ssl::stream_base::server, asio::as_tuple(asio::use_awaitable)) ||
                            deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (result.index() == 1 || std::get<0>(std::get<0>(result))) {
      log(LogLevel::kInfo, "TLS handshake with " + peer + " failed");
      co_return;
    }
    auto session = std::make_shared<Session<asio::ssl::stream<asio::ip::tcp::socket>>>(std::move(stream), context, peer);
    tls_sessions.push_back(session);
    co_await session->run();
  }

  // Stop accepting, let the writer finish and answer its group, refuse the rest, then let every
  // session write what it has queued and close.
  void shut_down() {
    if (stopping.exchange(true)) return;
    log(LogLevel::kInfo, "stopping: no new connections; finishing the group in flight");
    boost::system::error_code ignored;
    acceptor.close(ignored);
    signals.cancel(ignored);
    pipeline.stop();
    // Replies of the last group were posted to the I/O thread; sessions close once they are out.
    for (auto& weak : plain_sessions) {
      if (auto s = weak.lock()) s->drain_and_close();
    }
    for (auto& weak : tls_sessions) {
      if (auto s = weak.lock()) s->drain_and_close();
    }
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  if (impl_) {
    impl_->pipeline.stop();
    impl_->workers.join();
  }
}

Result<std::unique_ptr<Server>> Server::create(ledger::Ledger& ledger, const ServerOptions& options) {
  auto impl = std::make_unique<Impl>(ledger, options);
  PASSBOOK_RETURN_IF_ERROR(impl->set_up());
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

uint16_t Server::port() const {
  boost::system::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

Result<ledger::BackupInfo> Server::backup(const std::string& requested_by) {
  if (!impl_->backups) return no_backup_dir();
  return impl_->backups->take({}, requested_by);
}

void Server::stop() {
  asio::post(impl_->io, [impl = impl_.get()] { impl->shut_down(); });
}

Status Server::run(bool handle_signals) {
  Impl& s = *impl_;
  if (handle_signals) {
    s.signals.async_wait([&s](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      log(LogLevel::kInfo, std::string("received ") + (signal == SIGTERM ? "SIGTERM" : "SIGINT"));
      s.shut_down();
    });
  } else {
    boost::system::error_code ignored;
    s.signals.cancel(ignored);
    s.signals.clear(ignored);
  }
  log(LogLevel::kInfo, "serving " + s.context.origin + " (" + std::to_string(s.ledger.info().size) +
                           " entries) on " + s.options.listen_address + ":" + std::to_string(port()) +
                           (s.use_tls ? " with TLS 1.3" : " (plain TCP, loopback only)"));
  asio::co_spawn(s.io, s.listen(), asio::detached);
  try {
    s.io.run();
  } catch (const std::exception& e) {
    log(LogLevel::kError, std::string("the I/O loop failed: ") + e.what());
    s.pipeline.stop();
    return internal_error(std::string("the I/O loop failed: ") + e.what());
  }
  s.pipeline.stop();
  const auto stats = s.pipeline.stats();
  log(LogLevel::kInfo, "stopped after " + std::to_string(stats.envelopes) + " envelopes in " +
                           std::to_string(stats.groups) + " groups");
  return Status::ok();
}

}  // namespace passbook::server
