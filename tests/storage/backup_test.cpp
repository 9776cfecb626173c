// `passbook backup`, `passbook backups` and `passbook restore`, run as a user runs them: backup,
// more writes, restore into a new directory, verify; the restored ledger equals the ledger as it
// was at the backup, and can be served again. Restores never overwrite a ledger; damaged backups
// and damaged ledgers are refused.
#include <signal.h>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <fstream>
#include <thread>

#include "passbook/ledger/backup.h"
#include "storage/storage_fixture.h"

namespace passbook::storage_test {
namespace {

namespace ut = boost::unit_test;

struct Backups {
  Backups() { street.commit_credits(120, 3); }

  testing::RunResult run(const std::vector<std::string>& args) const {
    return cli(args, scratch.path());
  }

  static bool has(const testing::RunResult& r, const std::string& text) {
    return (r.out + r.err).find(text) != std::string::npos;
  }

  Scratch scratch;
  Street street{scratch.path() / "data"};
  fs::path backups = scratch.path() / "backups";
};

}  // namespace

BOOST_AUTO_TEST_SUITE(backup_test)

BOOST_AUTO_TEST_CASE(backup_more_writes_restore_verify) {
  Backups b;
  const std::string at_backup = render(b.street.data);
  auto made = b.run({"backup", "--data", b.street.data.string(), "--to", b.backups.string()});
  BOOST_REQUIRE_MESSAGE(made.ok(), made.describe());
  BOOST_CHECK(b.has(made, "Backed up"));
  BOOST_CHECK(b.has(made, "123 entries"));  // genesis, actors and rule, accounts, 120 credits

  b.street.commit_credits(40, 2);
  const std::string after = render(b.street.data);
  BOOST_REQUIRE(after != at_backup);

  const auto restored = b.scratch.path() / "restored";
  auto done = b.run({"restore", "--from", b.backups.string(), "--data", restored.string()});
  BOOST_REQUIRE_MESSAGE(done.ok(), done.describe());
  BOOST_CHECK(b.has(done, "The restored ledger verifies"));
  auto verified = b.run({"verify", "--data", restored.string()});
  BOOST_CHECK_MESSAGE(verified.ok(), verified.describe());
  BOOST_CHECK_EQUAL(render(restored), at_backup);
  BOOST_CHECK_EQUAL(render(b.street.data), after);  // the original is untouched
}

BOOST_AUTO_TEST_CASE(restore_never_overwrites_a_ledger) {
  Backups b;
  BOOST_REQUIRE(
      b.run({"backup", "--data", b.street.data.string(), "--to", b.backups.string()}).ok());
  b.street.commit_credits(5);
  const std::string before = render(b.street.data);
  auto onto_original =
      b.run({"restore", "--from", b.backups.string(), "--data", b.street.data.string()});
  BOOST_CHECK_MESSAGE(onto_original.status.exited && onto_original.status.code == 3,
                      onto_original.describe());
  BOOST_CHECK(b.has(onto_original, "never overwrites"));
  BOOST_CHECK_EQUAL(render(b.street.data), before);

  const auto restored = b.scratch.path() / "restored";
  BOOST_REQUIRE(b.run({"restore", "--from", b.backups.string(), "--data", restored.string()}).ok());
  auto twice = b.run({"restore", "--from", b.backups.string(), "--data", restored.string()});
  BOOST_CHECK_MESSAGE(twice.status.exited && twice.status.code == 3, twice.describe());
}

BOOST_AUTO_TEST_CASE(incremental_backups_and_restore_by_id) {
  Backups b;
  const std::string first = render(b.street.data);
  BOOST_REQUIRE(
      b.run({"backup", "--data", b.street.data.string(), "--to", b.backups.string()}).ok());
  b.street.commit_credits(30);
  const std::string second = render(b.street.data);
  BOOST_REQUIRE(
      b.run({"backup", "--data", b.street.data.string(), "--to", b.backups.string(), "--verify"})
          .ok());

  auto listed = b.run({"backups", "--from", b.backups.string()});
  BOOST_REQUIRE_MESSAGE(listed.ok(), listed.describe());
  BOOST_CHECK(b.has(listed, "backup 1: 123 entries"));
  BOOST_CHECK(b.has(listed, "backup 2: 153 entries"));
  BOOST_CHECK(b.has(listed, "verified before it was stored"));

  const auto one = b.scratch.path() / "one";
  const auto two = b.scratch.path() / "two";
  BOOST_REQUIRE(
      b.run({"restore", "--from", b.backups.string(), "--data", one.string(), "--id", "1"}).ok());
  BOOST_REQUIRE(b.run({"restore", "--from", b.backups.string(), "--data", two.string()}).ok());
  BOOST_CHECK_EQUAL(render(one), first);
  BOOST_CHECK_EQUAL(render(two), second);

  auto keep = b.run(
      {"backup", "--data", b.street.data.string(), "--to", b.backups.string(), "--keep", "1"});
  BOOST_REQUIRE(keep.ok());
  auto after_keep = b.run({"backups", "--from", b.backups.string()});
  BOOST_CHECK(!b.has(after_keep, "backup 1:"));
  BOOST_CHECK(b.has(after_keep, "backup 3:"));
}

BOOST_AUTO_TEST_CASE(a_restored_ledger_can_be_served) {
  Backups b;
  BOOST_REQUIRE(
      b.run({"backup", "--data", b.street.data.string(), "--to", b.backups.string()}).ok());
  const auto restored = b.scratch.path() / "restored";
  BOOST_REQUIRE(b.run({"restore", "--from", b.backups.string(), "--data", restored.string()}).ok());
  // The keys come from where they are kept, not from the backup.
  fs::copy(b.street.data / "keys", restored / "keys", fs::copy_options::recursive);
  testing::Daemon daemon(kPassbookd, restored, b.scratch.path() / "passbookd.log");
  const auto failed = daemon.start(std::chrono::seconds(20));
  BOOST_REQUIRE_MESSAGE(!failed, *failed);
  auto c = client::Client::connect(b.street.client_options(daemon.port(), b.street.branch));
  BOOST_REQUIRE_MESSAGE(c.is_ok(), c.status().to_string());
  auto done = (*c)->submit(b.street.credit(1, 10));
  BOOST_CHECK_MESSAGE(done.is_ok(), done.status().to_string());
  if (done.is_ok()) BOOST_CHECK_EQUAL(done->receipt.seq, 123u);
}

BOOST_AUTO_TEST_CASE(backup_is_refused_while_passbookd_serves_the_ledger) {
  // The database is passbookd's while it serves it; a backup from outside would copy files that
  // are changing. (A live backup is made inside passbookd: a_live_backup_while_clients_submit.)
  Backups b;
  testing::Daemon daemon(kPassbookd, b.street.data, b.scratch.path() / "passbookd.log");
  const auto failed = daemon.start(std::chrono::seconds(20));
  BOOST_REQUIRE_MESSAGE(!failed, *failed);
  auto made = b.run({"backup", "--data", b.street.data.string(), "--to", b.backups.string()});
  BOOST_CHECK_MESSAGE(made.status.exited && made.status.code == 5, made.describe());
  BOOST_CHECK(b.has(made, "in use"));
  BOOST_CHECK(b.has(made, "--backup-dir"));  // and how to back up a ledger that is being served
  BOOST_CHECK(!fs::exists(b.backups / "meta"));
}

BOOST_AUTO_TEST_CASE(a_live_backup_while_clients_submit) {
  // passbookd --backup-dir stores a backup on SIGUSR1 while it serves and while a client keeps
  // submitting: the backup restores, verifies, and holds every entry acknowledged before the
  // signal, with the same hash.
  Backups b;
  testing::Daemon daemon(kPassbookd, b.street.data, b.scratch.path() / "passbookd.log");
  daemon.set_extra_args({"--backup-dir", b.backups.string(), "--log-level", "info"});
  const auto failed = daemon.start(std::chrono::seconds(20));
  BOOST_REQUIRE_MESSAGE(!failed, *failed);
  auto c = client::Client::connect(b.street.client_options(daemon.port(), b.street.branch));
  BOOST_REQUIRE_MESSAGE(c.is_ok(), c.status().to_string());
  std::vector<schemas::SignedEnvelope> batch;
  for (int i = 0; i < 40; ++i) batch.push_back(b.street.credit(i, 3, 2));
  std::vector<schemas::Receipt> acknowledged;
  for (auto& r : (*c)->submit_all(std::move(batch))) {
    BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
    acknowledged.push_back(r->receipt);
  }

  std::atomic<bool> stop{false};
  std::atomic<int> during{0};
  std::thread writer([&] {
    auto w = client::Client::connect(b.street.client_options(daemon.port(), b.street.branch));
    if (!w.is_ok()) return;
    for (int i = 40; !stop && i < 4000; ++i) {
      if ((*w)->submit(b.street.credit(i % 100, 1 + static_cast<uint32_t>(i % 50))).is_ok())
        ++during;
    }
  });
  daemon.signal(SIGUSR1);
  std::string log;
  for (int i = 0; i < 600; ++i) {
    log = daemon.new_log();
    if (log.find("backup 1 stored") != std::string::npos ||
        log.find("backup failed") != std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop = true;
  writer.join();
  BOOST_REQUIRE_MESSAGE(log.find("backup 1 stored") != std::string::npos, log);
  BOOST_TEST_MESSAGE(during.load() << " envelopes were acknowledged while the backup ran");
  auto c2 = client::Client::connect(b.street.client_options(daemon.port(), b.street.branch));
  BOOST_REQUIRE_MESSAGE(c2.is_ok(), c2.status().to_string());
  BOOST_CHECK((*c2)->submit(b.street.credit(7, 9)).is_ok());  // still serving

  const auto restored = b.scratch.path() / "restored";
  auto done = b.run({"restore", "--from", b.backups.string(), "--data", restored.string()});
  BOOST_REQUIRE_MESSAGE(done.ok(), done.describe());
  BOOST_CHECK(b.has(done, "The restored ledger verifies"));
  ledger::Options options;
  options.data_dir = restored;
  options.load_ledger_key = false;
  options.read_only = true;
  auto ledger = ledger::Ledger::open(options);
  BOOST_REQUIRE_MESSAGE(ledger.is_ok(), ledger.status().to_string());
  for (const auto& receipt : acknowledged) {
    auto entry = (*ledger)->entry(receipt.seq);
    BOOST_REQUIRE_MESSAGE(entry.is_ok(), entry.status().to_string());
    BOOST_CHECK(entry->leaf_hash == receipt.entry_hash);
  }
  // The copy next to the database is gone.
  BOOST_CHECK(!fs::exists(b.street.data / "backup-copy"));
}

BOOST_AUTO_TEST_CASE(backup_of_a_crashed_ledger) {
  // Backing up the data directory a SIGKILLed passbookd left behind: the copy is recovered like
  // a restart would recover it, and the backup holds every acknowledged entry.
  Backups b;
  testing::Daemon daemon(kPassbookd, b.street.data, b.scratch.path() / "passbookd.log");
  const auto failed = daemon.start(std::chrono::seconds(20));
  BOOST_REQUIRE_MESSAGE(!failed, *failed);
  uint64_t last = 0;
  {
    auto c = client::Client::connect(b.street.client_options(daemon.port(), b.street.branch));
    BOOST_REQUIRE_MESSAGE(c.is_ok(), c.status().to_string());
    std::vector<schemas::SignedEnvelope> batch;
    for (int i = 0; i < 60; ++i) batch.push_back(b.street.credit(i, 3, 2));
    for (auto& r : (*c)->submit_all(std::move(batch))) {
      BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
      last = std::max(last, r->receipt.seq);
    }
  }
  daemon.kill_now();
  auto made =
      b.run({"backup", "--data", b.street.data.string(), "--to", b.backups.string(), "--verify"});
  BOOST_REQUIRE_MESSAGE(made.ok(), made.describe());
  const auto restored = b.scratch.path() / "restored";
  BOOST_REQUIRE(b.run({"restore", "--from", b.backups.string(), "--data", restored.string()}).ok());
  BOOST_CHECK_EQUAL(render(restored), render(b.street.data));
  BOOST_CHECK(render(restored).starts_with("size " + std::to_string(last + 1) + " "));
}

BOOST_AUTO_TEST_CASE(a_damaged_backup_is_refused) {
  Backups b;
  BOOST_REQUIRE(
      b.run({"backup", "--data", b.street.data.string(), "--to", b.backups.string()}).ok());
  // Damage the largest file of the backup.
  fs::path largest;
  uintmax_t size = 0;
  for (const auto& item : fs::recursive_directory_iterator(b.backups)) {
    if (item.is_regular_file() && item.file_size() > size) {
      largest = item.path();
      size = item.file_size();
    }
  }
  BOOST_REQUIRE(!largest.empty());
  {
    std::fstream f(largest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.write("\xA5\xA5\xA5\xA5", 4);
  }
  const auto restored = b.scratch.path() / "restored";
  auto done = b.run({"restore", "--from", b.backups.string(), "--data", restored.string()});
  BOOST_CHECK_MESSAGE(done.status.exited && done.status.code == 4, done.describe());
  BOOST_CHECK(b.has(done, "damaged"));
  BOOST_CHECK_MESSAGE(!fs::exists(restored / "db"), "a failed restore left a half ledger behind");
}

BOOST_AUTO_TEST_CASE(a_damaged_ledger_is_not_backed_up) {
  Backups b;
  // A zeroed CURRENT file: the database does not open.
  {
    const auto current = b.street.data / "db" / "CURRENT";
    const auto size = fs::file_size(current);
    std::ofstream(current, std::ios::binary | std::ios::trunc) << std::string(size, '\0');
  }
  auto made = b.run({"backup", "--data", b.street.data.string(), "--to", b.backups.string()});
  BOOST_CHECK_MESSAGE(!made.ok(), made.describe());
  BOOST_CHECK(b.has(made, "not backed up"));
  auto listed = b.run({"backups", "--from", b.backups.string()});
  BOOST_CHECK(!b.has(listed, "backup 1:"));
}

BOOST_AUTO_TEST_CASE(engine_api_round_trip) {
  // The same through the engine's API, as passbookd would use it.
  Backups b;
  auto made = ledger::backup(b.street.data, b.backups, {.verify = true, .keep = 0});
  BOOST_REQUIRE_MESSAGE(made.is_ok(), made.status().to_string());
  BOOST_CHECK_EQUAL(made->entries, 123u);
  BOOST_CHECK(made->verified);
  auto listed = ledger::list_backups(b.backups);
  BOOST_REQUIRE(listed.is_ok());
  BOOST_REQUIRE_EQUAL(listed->size(), 1u);
  BOOST_CHECK(listed->front().root == made->root);
  auto restored = ledger::restore(b.backups, b.scratch.path() / "r", std::nullopt);
  BOOST_REQUIRE_MESSAGE(restored.is_ok(), restored.status().to_string());
  BOOST_CHECK_EQUAL(render(b.scratch.path() / "r"), render(b.street.data));
  auto missing = ledger::restore(b.backups, b.scratch.path() / "r2", 7);
  BOOST_CHECK(missing.status().code() == Status::Code::kNotFound);
  auto nothing = ledger::list_backups(b.scratch.path() / "none");
  BOOST_CHECK(nothing.status().code() == Status::Code::kNotFound);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace passbook::storage_test
