// A peer that speaks the wire protocol by hand over a plain POSIX socket, so that a test can send
// exactly the bytes it wants (oversize, truncated, malformed, out of order) and read exactly what
// comes back, with time limits on every read. Nothing here asserts: callers check the results on
// the test's own thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "passbook/proof/crypto.h"
#include "passbook/schemas/encoding.h"
#include "passbook/schemas/protocol.h"

namespace passbook::testing {

struct RawFrame {
  uint8_t type = 0;
  uint32_t id = 0;
  std::string body;

  [[nodiscard]] bool is_error() const { return type == static_cast<uint8_t>(schemas::MessageType::kError); }
  // The error's code, or kOk when this is not a (well-formed) error frame.
  [[nodiscard]] Status::Code error_code() const {
    if (!is_error()) return Status::Code::kOk;
    auto error = schemas::decode<schemas::ErrorReply>(body, "error");
    return error.is_ok() ? static_cast<Status::Code>(error->code) : Status::Code::kOk;
  }
  [[nodiscard]] std::string error_message() const {
    auto error = schemas::decode<schemas::ErrorReply>(body, "error");
    return error.is_ok() ? error->message : std::string("(not an error frame)");
  }
};

inline std::string frame_bytes(schemas::MessageType type, uint32_t id, std::string_view body) {
  return schemas::encode_frame(static_cast<uint8_t>(type), id, body);
}

// A frame header claiming `length` bytes (type + id + body) whatever follows.
inline std::string frame_header(uint32_t length, uint8_t type, uint32_t id) {
  std::string out;
  put_u32_be(out, length);
  out.push_back(static_cast<char>(type));
  put_u32_be(out, id);
  return out;
}

class RawPeer {
 public:
  explicit RawPeer(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawPeer() { close(); }
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  [[nodiscard]] bool connected() const { return fd_ >= 0; }
  // True once a read saw the end of the stream or a reset.
  [[nodiscard]] bool saw_close() const { return closed_; }

  // Sends every byte within the time limit; false if the connection is gone or the peer stopped
  // taking bytes.
  bool send(std::string_view bytes, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    if (fd_ < 0) return false;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t sent = 0;
    while (sent < bytes.size()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLOUT, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return false;
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  bool send_frame(schemas::MessageType type, uint32_t id, std::string_view body) {
    return send(frame_bytes(type, id, body));
  }
  bool send_frame(uint8_t type, uint32_t id, std::string_view body) {
    return send(schemas::encode_frame(type, id, body));
  }

  // One whole frame within the time limit; nullopt on close, reset or timeout (see saw_close).
  std::optional<RawFrame> read_frame(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    if (!fill(schemas::kFrameHeaderBytes, deadline)) return std::nullopt;
    const uint32_t length = get_u32_be(buffer_);
    if (length < 5 || length > schemas::kMaxReplyFrame) {
      bad_frame_ = true;
      return std::nullopt;
    }
    if (!fill(4 + static_cast<size_t>(length), deadline)) return std::nullopt;
    RawFrame frame;
    frame.type = static_cast<uint8_t>(buffer_[4]);
    frame.id = get_u32_be(std::string_view(buffer_).substr(5));
    frame.body = buffer_.substr(schemas::kFrameHeaderBytes, length - 5);
    buffer_.erase(0, 4 + static_cast<size_t>(length));
    return frame;
  }

  // Reads (and drops) whatever comes until the server closes the connection; true if it did so
  // within the time limit.
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_) {
      buffer_.clear();
      if (!fill(1, deadline) && !closed_) return false;
    }
    return true;
  }

  [[nodiscard]] bool bad_frame() const { return bad_frame_; }

  void shutdown_write() {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
  }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Closes with a reset (SO_LINGER 0) instead of a FIN: a client killed at once.
  void reset() {
    if (fd_ < 0) return;
    linger hard{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    close();
  }

  // ---- the protocol's opening, by hand ----------------------------------------------------

  // Sends Hello and returns the server's HelloReply, or the error frame's status.
  Result<schemas::HelloReply> hello(uint32_t id = 1) {
    schemas::Hello greeting;
    greeting.client = "raw test peer";
    if (!send_frame(schemas::MessageType::kHello, id, schemas::try_encode(greeting).value())) {
      return unavailable("cannot send Hello");
    }
    auto frame = read_frame();
    if (!frame) return unavailable("no reply to Hello");
    if (frame->is_error()) return Status(frame->error_code(), frame->error_message());
    if (frame->type != schemas::reply_type(schemas::MessageType::kHello)) return internal_error("not a HelloReply");
    return schemas::decode<schemas::HelloReply>(frame->body, "HelloReply");
  }

  // Hello, then Authenticate with the key; the server's welcome or its refusal.
  Result<schemas::AuthenticateReply> authenticate(const proof::SigningKey& key) {
    auto greeting = hello(1);
    if (!greeting.is_ok()) return greeting.status();
    hello_reply_ = *greeting;
    schemas::Authenticate auth{key.public_key(), key.sign(schemas::auth_message(greeting->ledger, greeting->challenge))};
    if (!send_frame(schemas::MessageType::kAuthenticate, 2, schemas::try_encode(auth).value())) {
      return unavailable("cannot send Authenticate");
    }
    auto frame = read_frame();
    if (!frame) return unavailable("no reply to Authenticate");
    if (frame->is_error()) return Status(frame->error_code(), frame->error_message());
    return schemas::decode<schemas::AuthenticateReply>(frame->body, "AuthenticateReply");
  }

  // Sends one request and waits for the frame that answers it.
  std::optional<RawFrame> request(schemas::MessageType type, uint32_t id, std::string_view body,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    if (!send_frame(type, id, body)) return std::nullopt;
    return read_frame(timeout);
  }

  std::optional<RawFrame> request(uint8_t type, uint32_t id, std::string_view body,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    if (!send_frame(type, id, body)) return std::nullopt;
    return read_frame(timeout);
  }

  [[nodiscard]] const schemas::HelloReply& hello_reply() const { return hello_reply_; }

 private:
  // Reads until the buffer holds n bytes or the deadline passes.
  bool fill(size_t n, std::chrono::steady_clock::time_point deadline) {
    while (buffer_.size() < n) {
      if (fd_ < 0 || closed_) return false;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return false;
      char chunk[64 * 1024];
      const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        closed_ = true;
        return false;
      }
      buffer_.append(chunk, static_cast<size_t>(got));
    }
    return true;
  }

  int fd_ = -1;
  bool closed_ = false;
  bool bad_frame_ = false;
  std::string buffer_;
  schemas::HelloReply hello_reply_;
};

}  // namespace passbook::testing
