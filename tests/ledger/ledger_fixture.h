// A ledger in a temporary directory with a street around it: an admin, two branch keys of
// branch "b1" (a secretary and a council member), a merchant "shop" and a volunteer account
// "v1". Tests submit signed envelopes exactly as a client would.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "passbook/client/envelope.h"
#include "passbook/ledger/ledger.h"
#include "passbook/proof/crypto.h"
#include "passbook/schemas/encoding.h"

namespace passbook::testing {

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("passbook-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class TestClock final : public ledger::Clock {
 public:
  [[nodiscard]] int64_t now_ms() const override { return now; }
  int64_t now = 1'790'038'800'000;  // 2026-09-22 09:00 in UTC+8
};

inline proof::SigningKey make_key() { return proof::SigningKey::generate().value(); }

// 2026-09-22 in the ledger's zone (UTC+8), the day of TestClock's start.
inline constexpr uint32_t kToday = 20260922;
// The service day n days before kToday (n < 52).
inline uint32_t ago(uint32_t n) { return n < 22 ? kToday - n : 20260831 - (n - 22); }

class TestLedger {
 public:
  explicit TestLedger(uint64_t snapshot_every_postings = 200'000)
      : admin(make_key()), ledger_key(make_key()), snapshot_every_(snapshot_every_postings) {
    std::filesystem::create_directories(dir.path() / "keys");
    BOOST_REQUIRE(ledger_key.save(key_file()).is_ok());
    id.fill(0x5A);
    schemas::Genesis genesis;
    genesis.origin = "test.example/passbook";
    genesis.admin_key = admin.public_key();
    genesis.admin_name = "street office";
    genesis.ledger_key = ledger_key.public_key();
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
    o.snapshot_every_postings = snapshot_every_;
    return o;
  }

  void close() {
    BOOST_REQUIRE(ledger->close().is_ok());
    ledger.reset();
  }

  void reopen() {
    if (ledger) close();
    auto opened = ledger::Ledger::open(options());
    BOOST_REQUIRE_MESSAGE(opened.is_ok(), opened.status().to_string());
    ledger = std::move(opened).value();
  }

  schemas::SignedEnvelope sign(const proof::SigningKey& signer, std::vector<schemas::Operation> ops,
                               client::EnvelopeOptions options = {}) {
    if (options.created_ms == 0) options.created_ms = clock.now;
    auto envelope = client::sign_envelope(id, signer, std::move(ops), options);
    BOOST_REQUIRE_MESSAGE(envelope.is_ok(), envelope.status().to_string());
    return std::move(envelope).value();
  }

  ledger::Outcome submit(const proof::SigningKey& signer, std::vector<schemas::Operation> ops,
                         client::EnvelopeOptions options = {}) {
    clock.now += 1000;
    return ledger->submit(sign(signer, std::move(ops), std::move(options)));
  }

  // Submits and requires success; returns the entry's seq.
  uint64_t ok(const proof::SigningKey& signer, std::vector<schemas::Operation> ops,
              client::EnvelopeOptions options = {}) {
    ledger::Outcome outcome = submit(signer, std::move(ops), std::move(options));
    BOOST_REQUIRE_MESSAGE(outcome.status.is_ok(), outcome.status.to_string());
    return outcome.receipt.seq;
  }

  int64_t balance(const std::string& volunteer) {
    auto account = ledger->account(schemas::AccountKind::kVolunteer, volunteer);
    BOOST_REQUIRE_MESSAGE(account.is_ok(), account.status().to_string());
    return account->available;
  }

  // Everything a user can see, rendered to one string: compare whole states, not fields.
  std::string render() {
    std::ostringstream out;
    const auto info = ledger->info();
    out << "size " << info.size << " root " << to_hex(info.root) << "\n";
    for (const auto& a : ledger->actors()) {
      out << "actor " << to_hex(a.key).substr(0, 8) << " " << schemas::role_name(a.role) << " " << a.scope << " "
          << a.registered_seq << " " << (a.revoked_seq ? std::to_string(*a.revoked_seq) : "-") << "\n";
    }
    std::map<std::string, schemas::AccountKind> scoped;
    for (const auto& a : ledger->actors()) {
      if (a.role == schemas::Role::kBranch) scoped["b" + a.scope] = schemas::AccountKind::kBranch;
      if (a.role == schemas::Role::kMerchant) scoped["m" + a.scope] = schemas::AccountKind::kMerchant;
    }
    for (const auto& [key, kind] : scoped) {
      auto account = ledger->account(kind, key.substr(1));
      out << "account " << key << " " << (account.is_ok() ? std::to_string(account->available) : "missing") << "\n";
    }
    for (const char* system : {"held", "retired"}) {
      auto account = ledger->account(schemas::AccountKind::kSystem, system);
      out << "account s" << system << " " << (account.is_ok() ? std::to_string(account->available) : "missing") << "\n";
    }
    for (const auto& a : ledger->accounts("")) {
      out << "account " << a.id << " " << a.branch << " " << a.available << " " << a.pending << " "
          << a.active_keys << " " << a.last_seq << "\n";
    }
    for (const auto& r : ledger->rules()) {
      out << "rule " << r.branch << "/" << r.category << " " << r.points_per_hour << " " << r.daily_cap_minutes << "\n";
    }
    for (const auto& r : ledger->rewards("")) {
      out << "reward " << r.merchant << "/" << r.reward << " " << r.price << " " << r.stock << " " << r.redeemed
          << " " << r.listed << "\n";
    }
    for (const auto& c : ledger->claims("")) {
      out << "claim " << c.ref.seq << "." << c.ref.op << " " << c.account << " " << c.points << " "
          << static_cast<int>(c.decision) << "\n";
    }
    for (const auto& r : ledger->reservations("")) {
      out << "reservation " << r.ref.seq << "." << r.ref.op << " " << r.account << " " << r.points << " "
          << static_cast<int>(r.state) << "\n";
    }
    return out.str();
  }

  TempDir dir;
  TestClock clock;
  proof::SigningKey admin;
  proof::SigningKey ledger_key;
  LedgerId id{};
  std::unique_ptr<ledger::Ledger> ledger;

 private:
  uint64_t snapshot_every_;
};

// TestLedger plus a small street: branch b1 (secretary, council), merchant "shop" with
// "dumplings" (40 points, stock 5) and "place" (300 points, stock 1, one per person per year),
// street-wide rule "elder-visit" 12 points/hour capped at 180 minutes a day, volunteers v1 and v2
// of b1 (without keys).
class TestStreet : public TestLedger {
 public:
  explicit TestStreet(uint64_t snapshot_every_postings = 200'000)
      : TestLedger(snapshot_every_postings), secretary(make_key()), council(make_key()), merchant(make_key()) {
    using namespace schemas;
    ok(admin, {RegisterActor{secretary.public_key(), Role::kBranch, "b1", "b1 secretary"},
               RegisterActor{council.public_key(), Role::kBranch, "b1", "b1 council"},
               RegisterActor{merchant.public_key(), Role::kMerchant, "shop", "the shop"},
               SetRule{"", "elder-visit", 12, 180}});
    ok(secretary, {OpenAccount{"v1", std::nullopt, std::nullopt}, OpenAccount{"v2", std::nullopt, std::nullopt}});
    ok(merchant, {ListReward{"dumplings", "a plate of dumplings", 40, 5, 0, LimitPeriod::kEver},
                  ListReward{"place", "kindergarten place", 300, 1, 1, LimitPeriod::kYear}});
  }

  static schemas::ServiceRecord service(const std::string& account, uint32_t minutes,
                                        uint32_t day = kToday, const std::string& category = "elder-visit") {
    return {account, category, minutes, day, Hash32{}};
  }

  proof::SigningKey secretary;
  proof::SigningKey council;
  proof::SigningKey merchant;
};

}  // namespace passbook::testing
