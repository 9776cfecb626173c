// Servers for the trust tests: any ledger served on a loopback port, and a FORK of a TestLedger:
// a second ledger under the same identity (ledger id, origin, admin key and ledger key, the key
// file copied) with entries of its own, as a server that rewrites history would present it.
#pragma once

#include <filesystem>
#include <thread>

#include "ledger/ledger_fixture.h"
#include "passbook/server/server.h"

namespace passbook::testing {

// Serves a ledger (which must outlive it) on 127.0.0.1, any free port, until destroyed.
class LedgerServer {
 public:
  explicit LedgerServer(ledger::Ledger& ledger, server::ServerOptions options = {}) {
    options.port = 0;
    auto created = server::Server::create(ledger, options);
    BOOST_REQUIRE_MESSAGE(created.is_ok(), created.status().to_string());
    server_ = std::move(created).value();
    port_ = server_->port();
    thread_ = std::thread([this] { (void)server_->run(false); });
  }
  ~LedgerServer() {
    server_->stop();
    thread_.join();
  }
  LedgerServer(const LedgerServer&) = delete;
  LedgerServer& operator=(const LedgerServer&) = delete;
  [[nodiscard]] uint16_t port() const { return port_; }

 private:
  std::unique_ptr<server::Server> server_;
  uint16_t port_ = 0;
  std::thread thread_;
};

class ForkedLedger {
 public:
  // Entry 0 names the same origin, admin key and ledger key as the original's and is signed by
  // the same admin; its nonce (and so its bytes) differ, and so does every entry after it.
  explicit ForkedLedger(TestLedger& original) : admin(original.admin), id(original.id) {
    std::filesystem::create_directories(dir.path() / "keys");
    std::filesystem::copy_file(original.key_file(), key_file());
    schemas::Genesis genesis;
    genesis.origin = original.ledger->info().origin;
    genesis.admin_key = admin.public_key();
    genesis.admin_name = "street office";
    genesis.ledger_key = original.ledger_key.public_key();
    auto envelope = client::sign_envelope(id, admin, {genesis}, {clock.now, {}, {}});
    BOOST_REQUIRE(envelope.is_ok());
    auto created = ledger::Ledger::create(options(), std::move(envelope).value());
    BOOST_REQUIRE_MESSAGE(created.is_ok(), created.status().to_string());
    ledger = std::move(created).value();
  }

  [[nodiscard]] std::filesystem::path key_file() const { return dir.path() / "keys" / "ledger.key"; }

  [[nodiscard]] ledger::Options options() {
    ledger::Options o;
    o.data_dir = dir.path();
    o.ledger_key_file = key_file();
    o.clock = &clock;
    return o;
  }

  // Writes an entry directly (before the fork is served); returns its seq.
  uint64_t ok(const proof::SigningKey& signer, std::vector<schemas::Operation> ops) {
    clock.now += 1000;
    auto envelope = client::sign_envelope(id, signer, std::move(ops), {clock.now, {}, {}});
    BOOST_REQUIRE(envelope.is_ok());
    ledger::Outcome outcome = ledger->submit(std::move(envelope).value());
    BOOST_REQUIRE_MESSAGE(outcome.status.is_ok(), outcome.status.to_string());
    return outcome.receipt.seq;
  }

  // Grows the fork to `size` entries with harmless rules.
  void grow_to(uint64_t size) {
    for (int n = 0; ledger->info().size < size; ++n) {
      ok(admin, {schemas::SetRule{"", "fork-rule-" + std::to_string(n), 1, 0}});
    }
  }

  TempDir dir;
  TestClock clock;
  const proof::SigningKey& admin;
  LedgerId id{};
  std::unique_ptr<ledger::Ledger> ledger;
};

}  // namespace passbook::testing
