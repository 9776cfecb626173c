// A small street ledger on the system clock (the real passbookd commits at system time, so the
// envelopes must be signed at system time too), the real executables to run on it, and a tmpfs
// mount for the full-disk tests.
#pragma once

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "crash/process.h"
#include "passbook/client/client.h"
#include "passbook/client/envelope.h"
#include "passbook/ledger/ledger.h"
#include "passbook/proof/crypto.h"
#include "passbook/schemas/encoding.h"

#ifndef PASSBOOK_PASSBOOKD_BINARY
#error "PASSBOOK_PASSBOOKD_BINARY must name the passbookd executable"
#endif
#ifndef PASSBOOK_CLI_BINARY
#error "PASSBOOK_CLI_BINARY must name the passbook executable"
#endif

namespace passbook::storage_test {

namespace fs = std::filesystem;

inline const fs::path kPassbookd = PASSBOOK_PASSBOOKD_BINARY;
inline const fs::path kPassbook = PASSBOOK_CLI_BINARY;

// A fresh directory, removed (after unmounting anything mounted below it) by the destructor.
class Scratch {
 public:
  Scratch() {
    std::string pattern = (fs::temp_directory_path() / "passbook-storage-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// YYYYMMDD of yesterday in UTC+8, always inside the ledger's back-dating window.
inline uint32_t yesterday_utc8() {
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  const int64_t days = (now_s + 8 * 3600) / 86400 - 1;
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp + (mp < 10 ? 3 : -9);
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return static_cast<uint32_t>(y * 10000 + m * 100 + d);
}

// A ledger in data_dir with its keys in data_dir/keys (as `passbook init` lays them out), a
// branch "b1" with volunteers v0..v9 and the street-wide rule "service" (a point a minute).
class Street {
 public:
  explicit Street(fs::path data_dir)
      : data(std::move(data_dir)),
        admin(proof::SigningKey::generate().value()),
        branch(proof::SigningKey::generate().value()) {
    fs::create_directories(data / "keys");
    ::chmod((data / "keys").c_str(), 0700);
    const auto ledger_key = proof::SigningKey::generate().value();
    BOOST_REQUIRE(admin.save(data / "keys" / "admin.key").is_ok());
    BOOST_REQUIRE(branch.save(data / "keys" / "branch.key").is_ok());
    BOOST_REQUIRE(ledger_key.save(data / "keys" / "ledger.key").is_ok());
    BOOST_REQUIRE(proof::random_bytes(id).is_ok());
    schemas::Genesis genesis;
    genesis.origin = "storage.test/passbook";
    genesis.admin_key = admin.public_key();
    genesis.admin_name = "street office";
    genesis.ledger_key = ledger_key.public_key();
    genesis.time_window_s = 3600;
    ledger::Options options;
    options.data_dir = data;
    auto created = ledger::Ledger::create(options, sign(admin, {genesis}));
    BOOST_REQUIRE_MESSAGE(created.is_ok(), created.status().to_string());
    auto& ledger = **created;
    std::vector<schemas::Operation> setup = {
        schemas::RegisterActor{branch.public_key(), schemas::Role::kBranch, "b1", "branch b1"},
        schemas::SetRule{"", "service", 60, 0}};
    BOOST_REQUIRE(ledger.submit(sign(admin, std::move(setup))).status.is_ok());
    std::vector<schemas::Operation> accounts;
    for (int v = 0; v < 10; ++v)
      accounts.push_back(schemas::OpenAccount{volunteer(v), std::nullopt, std::nullopt});
    BOOST_REQUIRE(ledger.submit(sign(branch, std::move(accounts))).status.is_ok());
    verifier_key = ledger.info().verifier_key;
    BOOST_REQUIRE(ledger.close().is_ok());
  }

  static std::string volunteer(int v) { return "v" + std::to_string(v); }

  schemas::SignedEnvelope sign(const proof::SigningKey& signer,
                               std::vector<schemas::Operation> ops) const {
    auto envelope = client::sign_envelope(id, signer, std::move(ops));
    BOOST_REQUIRE_MESSAGE(envelope.is_ok(), envelope.status().to_string());
    return std::move(envelope).value();
  }

  // A credit of `minutes` to volunteer v (with random evidence, so that every one is distinct),
  // `ops` operations to consecutive volunteers.
  schemas::SignedEnvelope credit(int v, uint32_t minutes, int ops = 1) const {
    std::vector<schemas::Operation> list;
    for (int i = 0; i < ops; ++i) {
      Hash32 evidence{};
      (void)proof::random_bytes(evidence);
      list.push_back(schemas::Credit{schemas::ServiceRecord{volunteer((v + i) % 10), "service",
                                                            minutes, yesterday_utc8(), evidence}});
    }
    return sign(branch, std::move(list));
  }

  [[nodiscard]] std::unique_ptr<ledger::Ledger> open(bool read_only = false) const {
    ledger::Options options;
    options.data_dir = data;
    options.read_only = read_only;
    auto opened = ledger::Ledger::open(options);
    BOOST_REQUIRE_MESSAGE(opened.is_ok(), opened.status().to_string());
    return std::move(opened).value();
  }

  // Commits `envelopes` credits of `ops` operations each through the engine, in groups of 50.
  void commit_credits(int envelopes, int ops = 1) const {
    auto ledger = open();
    commit_credits(*ledger, envelopes, ops);
    BOOST_REQUIRE(ledger->close().is_ok());
  }
  // The same through a ledger the caller has open (and keeps open).
  void commit_credits(ledger::Ledger& ledger, int envelopes, int ops = 1) const {
    for (int done = 0; done < envelopes;) {
      std::vector<ledger::Prepared> group;
      for (int i = 0; i < 50 && done < envelopes; ++i, ++done) {
        group.push_back(
            ledger::Ledger::prepare(credit(done, 1 + static_cast<uint32_t>(done % 200), ops)));
      }
      for (const auto& outcome : ledger.commit(std::move(group))) {
        BOOST_REQUIRE_MESSAGE(outcome.status.is_ok(), outcome.status.to_string());
      }
    }
  }

  client::ClientOptions client_options(uint16_t port, const proof::SigningKey& key) const {
    client::ClientOptions o;
    o.port = port;
    o.key = &key;
    o.verifier_key = verifier_key;
    o.timeout = std::chrono::seconds(20);
    return o;
  }

  fs::path data;
  proof::SigningKey admin;
  proof::SigningKey branch;
  LedgerId id{};
  std::string verifier_key;
};

// Everything a user can see of a ledger, as one string: compare whole states, not fields.
inline std::string render(const fs::path& data_dir) {
  ledger::Options options;
  options.data_dir = data_dir;
  options.load_ledger_key = false;
  auto opened = ledger::Ledger::open(options);
  BOOST_REQUIRE_MESSAGE(opened.is_ok(),
                        "opening " << data_dir << ": " << opened.status().to_string());
  auto& ledger = **opened;
  std::ostringstream out;
  const auto info = ledger.info();
  out << "size " << info.size << " root " << to_hex(info.root) << "\n";
  for (const auto& a : ledger.accounts("")) {
    out << "account " << a.id << " " << a.available << " " << a.pending << " " << a.last_seq
        << "\n";
  }
  auto branch = ledger.account(schemas::AccountKind::kBranch, "b1");
  out << "branch " << (branch.is_ok() ? std::to_string(branch->available) : "none") << "\n";
  for (const auto& a : ledger.actors())
    out << "actor " << to_hex(a.key) << " " << a.registered_seq << "\n";
  for (const auto& r : ledger.rules())
    out << "rule " << r.category << " " << r.points_per_hour << "\n";
  BOOST_REQUIRE(ledger.close().is_ok());
  return out.str();
}

// `passbook args...`, to completion.
inline testing::RunResult cli(const std::vector<std::string>& args, const fs::path& scratch) {
  std::vector<std::string> argv = {kPassbook.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto result = testing::run(argv, scratch);
  BOOST_TEST_MESSAGE("$ passbook " <<
                     [&] {
                       std::string line;
                       for (const auto& a : args) line += a + " ";
                       return line;
                     }() << "-> " << result.status.describe()
                                   << "\n"
                                   << result.out << result.err);
  return result;
}

// A tmpfs of `size` mounted on `dir` (root only), unmounted by the destructor.
class Tmpfs {
 public:
  Tmpfs(fs::path dir, const std::string& size) : dir_(std::move(dir)) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (::geteuid() != 0) {
      why_not_ = "not root";
      return;
    }
    const std::string options = "size=" + size + ",mode=0700";
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
      why_not_ = std::string("mount -t tmpfs failed: ") + std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;
  [[nodiscard]] bool mounted() const { return mounted_; }
  [[nodiscard]] const std::string& why_not() const { return why_not_; }
  [[nodiscard]] const fs::path& path() const { return dir_; }

 private:
  fs::path dir_;
  bool mounted_ = false;
  std::string why_not_;
};

}  // namespace passbook::storage_test
