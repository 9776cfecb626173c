// passbookd over raw frames. The load loop runs on one thread with plain Asio callbacks: it only
// copies pre-encoded frames out and reads reply headers in, so that it stays far below the
// server's cost per envelope.
#include <boost/asio.hpp>
#include <chrono>
#include <cstring>
#include <deque>
#include <iostream>

#include "drivers.h"
#include "passbook/schemas/encoding.h"

namespace passbook::bench {

namespace asio = boost::asio;
using asio::ip::tcp;
using schemas::MessageType;

namespace {

int64_t mono_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Status error_status(const std::string& body) {
  auto error = schemas::decode<schemas::ErrorReply>(body, "error reply");
  if (!error.is_ok()) return error.status();
  return {static_cast<Status::Code>(error->code), error->message};
}

}  // namespace

// ---- WireSession -------------------------------------------------------------------------------

Status WireSession::write_frame(uint8_t type, uint32_t id, const std::string& body) {
  const std::string frame = schemas::encode_frame(type, id, body);
  boost::system::error_code ec;
  asio::write(socket_, asio::buffer(frame), ec);
  if (ec) return unavailable("writing to the server: " + ec.message());
  return Status::ok();
}

Result<std::pair<schemas::FrameHeader, std::string>> WireSession::read_frame() {
  std::string header(schemas::kFrameHeaderBytes, '\0');
  boost::system::error_code ec;
  asio::read(socket_, asio::buffer(header), ec);
  if (ec) return unavailable("reading from the server: " + ec.message());
  PASSBOOK_ASSIGN_OR_RETURN(schemas::FrameHeader parsed, schemas::parse_frame_header(header, schemas::kMaxReplyFrame));
  std::string body(parsed.body_length(), '\0');
  asio::read(socket_, asio::buffer(body), ec);
  if (ec) return unavailable("reading from the server: " + ec.message());
  return std::make_pair(parsed, std::move(body));
}

Result<WireSession> WireSession::open(asio::io_context& io, const std::string& host, uint16_t port,
                                      const proof::SigningKey& key) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return invalid_argument("\"" + host + "\" is not an IP address");
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(address, port), ec);
  if (ec) return unavailable("cannot connect to " + host + ":" + std::to_string(port) + ": " + ec.message());
  socket.set_option(tcp::no_delay(true), ec);
  WireSession session(std::move(socket));
  schemas::Hello hello;
  hello.client = "passbook-bench";
  PASSBOOK_ASSIGN_OR_RETURN(std::string hello_reply, session.call(MessageType::kHello, schemas::try_encode(hello).value()));
  PASSBOOK_ASSIGN_OR_RETURN(session.hello_, schemas::decode<schemas::HelloReply>(hello_reply, "HelloReply"));
  schemas::Authenticate auth{key.public_key(),
                             key.sign(schemas::auth_message(session.hello_.ledger, session.hello_.challenge))};
  PASSBOOK_RETURN_IF_ERROR(session.call(MessageType::kAuthenticate, schemas::try_encode(auth).value()).status());
  return session;
}

Result<std::string> WireSession::call(MessageType type, const std::string& body) {
  const uint32_t id = next_id_++;
  PASSBOOK_RETURN_IF_ERROR(write_frame(static_cast<uint8_t>(type), id, body));
  PASSBOOK_ASSIGN_OR_RETURN(auto reply, read_frame());
  if (reply.first.id != id) return data_loss("the server answered request " + std::to_string(reply.first.id));
  if (reply.first.type == static_cast<uint8_t>(MessageType::kError)) return error_status(reply.second);
  if (reply.first.type != schemas::reply_type(type)) return data_loss("unexpected reply type");
  return std::move(reply.second);
}

Result<schemas::LedgerInfo> WireSession::info() {
  PASSBOOK_ASSIGN_OR_RETURN(std::string body, call(MessageType::kGetInfo, schemas::try_encode(schemas::Empty{}).value()));
  return schemas::decode<schemas::LedgerInfo>(body, "LedgerInfo");
}

Status WireSession::submit_in_order(const std::vector<BenchEnvelope>& envelopes, size_t window) {
  // The server commits one connection's envelopes in the order they arrive, so pipelining keeps
  // the setup's order (registrations before the accounts that need them).
  size_t sent = 0;
  size_t answered = 0;
  const uint32_t first_id = next_id_;
  while (answered < envelopes.size()) {
    while (sent < envelopes.size() && sent - answered < window) {
      schemas::Submit submit{envelopes[sent].signed_envelope, false, 0};
      PASSBOOK_RETURN_IF_ERROR(write_frame(static_cast<uint8_t>(MessageType::kSubmit),
                                           first_id + static_cast<uint32_t>(sent), schemas::try_encode(submit).value()));
      ++sent;
    }
    PASSBOOK_ASSIGN_OR_RETURN(auto reply, read_frame());
    if (reply.first.type == static_cast<uint8_t>(MessageType::kError)) {
      return error_status(reply.second).with_context("setup envelope " + std::to_string(reply.first.id - first_id));
    }
    ++answered;
  }
  next_id_ = first_id + static_cast<uint32_t>(envelopes.size());
  return Status::ok();
}

// ---- the load loop -----------------------------------------------------------------------------

namespace {

class LoadLoop {
 public:
  LoadLoop(asio::io_context& io, std::vector<tcp::socket> sockets, const std::vector<BenchEnvelope>& envelopes,
           const LoadOptions& options)
      : io_(io), options_(options), tick_(io), drain_timer_(io) {
    frames_.reserve(envelopes.size());
    ops_.reserve(envelopes.size());
    for (size_t i = 0; i < envelopes.size(); ++i) {
      schemas::Submit submit{envelopes[i].signed_envelope, false, 0};
      frames_.push_back(schemas::encode_frame(static_cast<uint8_t>(MessageType::kSubmit), static_cast<uint32_t>(i + 1),
                                              schemas::try_encode(submit).value()));
      ops_.push_back(envelopes[i].ops);
    }
    send_ns_.assign(envelopes.size(), 0);
    for (auto& s : sockets) {
      auto c = std::make_unique<Conn>(std::move(s));
      c->in.resize(256 * 1024);
      conns_.push_back(std::move(c));
    }
    result_.target = "passbookd";
  }

  RunResult run() {
    start_ns_ = mono_ns();
    window_start_ns_ = start_ns_ + static_cast<int64_t>(options_.warmup_s * 1e9);
    deadline_ns_ = window_start_ns_ + static_cast<int64_t>(options_.duration_s * 1e9);
    cpu_client_start_ = process_cpu_seconds(0);
    if (options_.server_pid > 0) cpu_server_start_ = process_cpu_seconds(options_.server_pid);
    for (auto& c : conns_) read(*c);
    if (options_.rate <= 0) {
      for (auto& c : conns_) {
        for (unsigned k = 0; k < options_.in_flight && next_ < frames_.size(); ++k) send(*c, next_++, mono_ns());
        flush(*c);
      }
    }
    schedule_tick();
    io_.run();
    io_.restart();
    finish();
    return std::move(result_);
  }

 private:
  struct Conn {
    explicit Conn(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    std::string pending;
    std::string writing;
    bool write_in_flight = false;
    std::vector<char> in;
    size_t in_len = 0;
    unsigned outstanding = 0;
    std::deque<size_t> backlog;  // open loop: due, but the connection is at its in-flight cap
    bool open = true;
  };

  [[nodiscard]] bool sending() const { return !stopped_sending_; }

  void send(Conn& c, size_t index, int64_t intended_ns) {
    send_ns_[index] = intended_ns;
    c.pending += frames_[index];
    ++c.outstanding;
    ++outstanding_;
    ++result_.sent;
  }

  void flush(Conn& c) {
    if (c.write_in_flight || c.pending.empty() || !c.open) return;
    c.writing.swap(c.pending);
    c.pending.clear();
    c.write_in_flight = true;
    asio::async_write(c.socket, asio::buffer(c.writing), [this, &c](const boost::system::error_code& ec, size_t) {
      c.write_in_flight = false;
      c.writing.clear();
      if (ec) {
        lost(c, "write: " + ec.message());
        return;
      }
      flush(c);
    });
  }

  void read(Conn& c) {
    if (c.in.size() - c.in_len < 64 * 1024) c.in.resize(c.in.size() * 2);
    c.socket.async_read_some(asio::buffer(c.in.data() + c.in_len, c.in.size() - c.in_len),
                             [this, &c](const boost::system::error_code& ec, size_t n) {
                               if (ec) {
                                 if (c.open) lost(c, "read: " + ec.message());
                                 return;
                               }
                               c.in_len += n;
                               consume(c);
                               if (c.open) read(c);
                             });
  }

  void consume(Conn& c) {
    const int64_t now = mono_ns();
    size_t pos = 0;
    while (c.in_len - pos >= schemas::kFrameHeaderBytes) {
      auto header = schemas::parse_frame_header(std::string_view(c.in.data() + pos, schemas::kFrameHeaderBytes),
                                                schemas::kMaxReplyFrame);
      if (!header.is_ok()) {
        lost(c, "bad frame: " + header.status().message());
        return;
      }
      const size_t total = schemas::kFrameHeaderBytes + header->body_length();
      if (c.in_len - pos < total) break;
      reply(c, *header, std::string_view(c.in.data() + pos + schemas::kFrameHeaderBytes, header->body_length()), now);
      pos += total;
    }
    std::memmove(c.in.data(), c.in.data() + pos, c.in_len - pos);
    c.in_len -= pos;
    // Closed loop: one new envelope for each answer.
    if (options_.rate <= 0) {
      while (sending() && c.outstanding < options_.in_flight && next_ < frames_.size()) send(c, next_++, now);
      if (next_ >= frames_.size()) exhausted(now);
    } else {
      while (!c.backlog.empty() && c.outstanding < options_.in_flight) {
        send(c, c.backlog.front(), send_ns_[c.backlog.front()]);
        c.backlog.pop_front();
      }
    }
    flush(c);
    maybe_done();
  }

  void reply(Conn& c, const schemas::FrameHeader& header, std::string_view body, int64_t now) {
    if (header.id == 0 || header.id > frames_.size()) {
      lost(c, "a reply names request " + std::to_string(header.id));
      return;
    }
    const size_t index = header.id - 1;
    --c.outstanding;
    --outstanding_;
    if (header.type == schemas::reply_type(MessageType::kSubmit)) {
      ++result_.acked_total;
      if (now >= window_start_ns_ && now <= window_end_ns()) {
        ++result_.envelopes;
        result_.ops += ops_[index];
      }
      if (send_ns_[index] >= window_start_ns_ && send_ns_[index] <= window_end_ns()) {
        result_.latencies_ns.push_back(now - send_ns_[index]);
      }
    } else if (header.type == static_cast<uint8_t>(MessageType::kError)) {
      auto error = schemas::decode<schemas::ErrorReply>(body, "error reply");
      if (error.is_ok()) {
        ++result_.refused[reason_key(error->code, error->message)];
      } else {
        ++result_.refused["malformed error reply"];
      }
    } else {
      ++result_.refused["unexpected reply type " + std::to_string(header.type)];
    }
  }

  [[nodiscard]] int64_t window_end_ns() const { return exhausted_ns_ != 0 ? std::min(exhausted_ns_, deadline_ns_) : deadline_ns_; }

  void exhausted(int64_t now) {
    if (exhausted_ns_ == 0 && now < deadline_ns_) {
      exhausted_ns_ = now;
      result_.pool_exhausted = true;
    }
  }

  void lost(Conn& c, const std::string& why) {
    if (!c.open) return;
    std::cerr << "passbook-bench: a connection was lost (" << why << ")\n";
    c.open = false;
    boost::system::error_code ignored;
    c.socket.close(ignored);
    result_.unanswered += c.outstanding;
    outstanding_ -= c.outstanding;
    c.outstanding = 0;
    maybe_done();
  }

  void schedule_tick() {
    const auto period = options_.rate > 0 ? std::chrono::microseconds(500) : std::chrono::milliseconds(50);
    tick_.expires_after(period);
    tick_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || done_) return;
      on_tick();
      if (!done_) schedule_tick();
    });
  }

  void on_tick() {
    const int64_t now = mono_ns();
    if (!window_started_ && now >= window_start_ns_) {
      window_started_ = true;
      cpu_client_start_ = process_cpu_seconds(0);
      if (options_.server_pid > 0) cpu_server_start_ = process_cpu_seconds(options_.server_pid);
    }
    if (options_.server_pid > 0 && ++ticks_ % 4 == 0) {
      peak_rss_kib_ = std::max(peak_rss_kib_, process_rss_kib(options_.server_pid));
    }
    if (options_.rate > 0 && sending()) {
      // Open loop: envelope k is due at start + k / rate, whatever happened to the ones before;
      // its latency counts from then (no coordinated omission).
      const auto due = static_cast<uint64_t>(static_cast<double>(std::min(now, deadline_ns_) - start_ns_) * 1e-9 * options_.rate);
      while (scheduled_ < due && next_ < frames_.size()) {
        const int64_t intended = start_ns_ + static_cast<int64_t>(static_cast<double>(scheduled_) * 1e9 / options_.rate);
        Conn& c = *conns_[scheduled_ % conns_.size()];
        ++scheduled_;
        if (!c.open) continue;
        if (c.outstanding < options_.in_flight) {
          send(c, next_++, intended);
        } else {
          send_ns_[next_] = intended;
          c.backlog.push_back(next_++);
        }
      }
      if (next_ >= frames_.size()) exhausted(now);
      for (auto& c : conns_) flush(*c);
    }
    if (sending() && (now >= deadline_ns_ || exhausted_ns_ != 0)) stop_sending(now);
    maybe_done();
  }

  void stop_sending(int64_t now) {
    stopped_sending_ = true;
    window_closed_ns_ = std::min(now, window_end_ns());
    cpu_client_end_ = process_cpu_seconds(0);
    if (options_.server_pid > 0) cpu_server_end_ = process_cpu_seconds(options_.server_pid);
    for (auto& c : conns_) {
      sent_but_backlogged_ += c->backlog.size();
      c->backlog.clear();
    }
    drain_timer_.expires_after(std::chrono::milliseconds(static_cast<int64_t>(options_.drain_s * 1000)));
    drain_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || done_) return;
      std::cerr << "passbook-bench: " << outstanding_ << " envelopes still unanswered after the drain time\n";
      result_.unanswered += outstanding_;
      outstanding_ = 0;
      shut();
    });
    maybe_done();
  }

  void maybe_done() {
    if (done_ || !stopped_sending_) return;
    if (outstanding_ == 0) shut();
  }

  void shut() {
    if (done_) return;
    done_ = true;
    tick_.cancel();
    drain_timer_.cancel();
    for (auto& c : conns_) {
      c->open = false;
      boost::system::error_code ignored;
      c->socket.close(ignored);
    }
  }

  void finish() {
    const int64_t end = window_closed_ns_ != 0 ? window_closed_ns_ : window_end_ns();
    result_.seconds = static_cast<double>(end - window_start_ns_) * 1e-9;
    result_.client_cpu_s = cpu_client_end_ - cpu_client_start_;
    if (options_.server_pid > 0) result_.server_cpu_s = cpu_server_end_ - cpu_server_start_;
    result_.not_sent = sent_but_backlogged_;
    if (peak_rss_kib_ > 0) {
      std::printf("  server RSS      peak %.1f MiB sampled during the run\n", static_cast<double>(peak_rss_kib_) / 1024);
    }
  }

  asio::io_context& io_;
  const LoadOptions& options_;
  asio::steady_timer tick_;
  asio::steady_timer drain_timer_;
  std::vector<std::string> frames_;
  std::vector<uint32_t> ops_;
  std::vector<int64_t> send_ns_;
  std::vector<std::unique_ptr<Conn>> conns_;
  size_t next_ = 0;
  uint64_t scheduled_ = 0;
  uint64_t outstanding_ = 0;
  uint64_t sent_but_backlogged_ = 0;
  uint64_t ticks_ = 0;
  uint64_t peak_rss_kib_ = 0;
  int64_t start_ns_ = 0;
  int64_t window_start_ns_ = 0;
  int64_t deadline_ns_ = 0;
  int64_t exhausted_ns_ = 0;
  int64_t window_closed_ns_ = 0;
  double cpu_client_start_ = 0, cpu_client_end_ = 0, cpu_server_start_ = 0, cpu_server_end_ = 0;
  bool window_started_ = false;
  bool stopped_sending_ = false;
  bool done_ = false;
  RunResult result_;
};

}  // namespace

RunResult run_passbookd_load(asio::io_context& io, std::vector<tcp::socket> sockets,
                             const std::vector<BenchEnvelope>& envelopes, const LoadOptions& options) {
  LoadLoop loop(io, std::move(sockets), envelopes, options);
  return loop.run();
}

}  // namespace passbook::bench
