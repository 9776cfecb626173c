// A man in the middle for the trust tests: a TCP proxy on 127.0.0.1 that relays a client to a
// passbookd, passes the client's bytes through unchanged and hands every frame the server sends
// to a mutator that may rewrite it. Its upstream can be switched and its connections dropped, so
// that a client's reconnect lands on another server (e.g. a fork) without the client knowing.
// Blocking POSIX sockets, two threads per relayed connection; nothing here asserts.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "server/raw_peer.h"

namespace passbook::testing {

class TamperProxy {
 public:
  // Returns true when it changed the frame.
  using Mutator = std::function<bool(RawFrame& frame)>;

  explicit TamperProxy(uint16_t upstream) : upstream_(upstream) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = 0;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(listen_fd_, 16);
    socklen_t length = sizeof address;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~TamperProxy() {
    stopping_ = true;
    acceptor_.join();
    drop_connections();
    std::vector<std::unique_ptr<Connection>> connections;
    {
      std::lock_guard lock(mutex_);
      connections.swap(connections_);
    }
    for (auto& c : connections) {
      c->up.join();
      c->down.join();
      ::close(c->client);
      ::close(c->server);
    }
    ::close(listen_fd_);
  }

  TamperProxy(const TamperProxy&) = delete;
  TamperProxy& operator=(const TamperProxy&) = delete;

  [[nodiscard]] uint16_t port() const { return port_; }

  // New connections go to this port; existing ones stay where they are.
  void set_upstream(uint16_t port) { upstream_ = port; }

  void set_mutator(Mutator mutator) {
    std::lock_guard lock(mutex_);
    mutator_ = std::move(mutator);
  }

  // Cuts every relayed connection (both sides see the end of the stream).
  void drop_connections() {
    std::lock_guard lock(mutex_);
    for (auto& c : connections_) {
      ::shutdown(c->client, SHUT_RDWR);
      ::shutdown(c->server, SHUT_RDWR);
    }
  }

  // Frames the mutator changed so far.
  [[nodiscard]] int tampered() const { return tampered_; }

 private:
  struct Connection {
    int client = -1;
    int server = -1;
    std::thread up;
    std::thread down;
  };

  void accept_loop() {
    while (!stopping_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int client = ::accept(listen_fd_, nullptr, nullptr);
      if (client < 0) continue;
      const int server = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(upstream_.load());
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(server, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(server);
        ::close(client);
        continue;
      }
      auto connection = std::make_unique<Connection>();
      connection->client = client;
      connection->server = server;
      Connection* c = connection.get();
      std::lock_guard lock(mutex_);
      c->up = std::thread([c] { pump_up(*c); });
      c->down = std::thread([this, c] { pump_down(*c); });
      connections_.push_back(std::move(connection));
    }
  }

  static bool read_all(int fd, char* data, size_t n) {
    size_t got = 0;
    while (got < n) {
      const ssize_t r = ::recv(fd, data + got, n - got, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      got += static_cast<size_t>(r);
    }
    return true;
  }

  static bool write_all(int fd, const char* data, size_t n) {
    size_t sent = 0;
    while (sent < n) {
      const ssize_t r = ::send(fd, data + sent, n - sent, MSG_NOSIGNAL);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      sent += static_cast<size_t>(r);
    }
    return true;
  }

  static void end(Connection& c) {
    ::shutdown(c.client, SHUT_RDWR);
    ::shutdown(c.server, SHUT_RDWR);
  }

  // Client to server: bytes as they come.
  static void pump_up(Connection& c) {
    char buffer[16 * 1024];
    for (;;) {
      const ssize_t n = ::recv(c.client, buffer, sizeof buffer, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || !write_all(c.server, buffer, static_cast<size_t>(n))) break;
    }
    end(c);
  }

  // Server to client: frame by frame, through the mutator.
  void pump_down(Connection& c) {
    std::string header(schemas::kFrameHeaderBytes, '\0');
    for (;;) {
      if (!read_all(c.server, header.data(), header.size())) break;
      const uint32_t length = get_u32_be(header);
      if (length < 5 || length > schemas::kMaxReplyFrame) break;
      RawFrame frame;
      frame.type = static_cast<uint8_t>(header[4]);
      frame.id = get_u32_be(std::string_view(header).substr(5));
      frame.body.resize(length - 5);
      if (!read_all(c.server, frame.body.data(), frame.body.size())) break;
      Mutator mutator;
      {
        std::lock_guard lock(mutex_);
        mutator = mutator_;
      }
      if (mutator && mutator(frame)) ++tampered_;
      const std::string out = schemas::encode_frame(frame.type, frame.id, frame.body);
      if (!write_all(c.client, out.data(), out.size())) break;
    }
    end(c);
  }

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<uint16_t> upstream_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> tampered_{0};
  std::mutex mutex_;
  Mutator mutator_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::thread acceptor_;
};

}  // namespace passbook::testing
