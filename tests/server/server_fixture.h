// A real passbookd on a loopback port (port 0: any free one) over a TestStreet ledger, and
// clients that connect to it exactly as community systems do.
#pragma once

#include <thread>

#include "ledger/ledger_fixture.h"
#include "passbook/client/client.h"
#include "passbook/server/server.h"

namespace passbook::testing {

class ServedStreet : public TestStreet {
 public:
  explicit ServedStreet(server::ServerOptions options = {}) : server_options_(std::move(options)) {
    // Envelopes are signed at TestClock time: the server must use the same clock.
    start();
  }
  ~ServedStreet() { stop(); }

  void start() {
    server_options_.port = port_;  // 0 the first time; the same port again after a restart
    auto created = server::Server::create(*ledger, server_options_);
    BOOST_REQUIRE_MESSAGE(created.is_ok(), created.status().to_string());
    server_ = std::move(created).value();
    port_ = server_->port();
    thread_ = std::thread([this] { (void)server_->run(false); });
  }

  void stop() {
    if (!server_) return;
    server_->stop();
    thread_.join();
    server_.reset();
  }

  // Stops the server, closes and reopens the ledger, and serves it again on the same port.
  void restart() {
    stop();
    reopen();
    start();
  }

  client::ClientOptions client_options(const proof::SigningKey& key) {
    client::ClientOptions o;
    o.port = port_;
    o.key = &key;
    o.timeout = std::chrono::seconds(20);
    return o;
  }

  std::unique_ptr<client::Client> connect(const proof::SigningKey& key) {
    auto c = client::Client::connect(client_options(key));
    BOOST_REQUIRE_MESSAGE(c.is_ok(), c.status().to_string());
    return std::move(c).value();
  }

  [[nodiscard]] uint16_t port() const { return port_; }

 private:
  server::ServerOptions server_options_;
  uint16_t port_ = 0;
  std::unique_ptr<server::Server> server_;
  std::thread thread_;
};

}  // namespace passbook::testing
