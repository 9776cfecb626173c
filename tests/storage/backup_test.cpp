// `passbook backup`, `passbook backups` and `passbook restore`, run as a user runs them: backup,
// more writes, restore into a new directory, verify; the restored ledger equals the ledger as it
// was at the backup, and can be served again. Restores never overwrite a ledger; damaged backups
// and damaged ledgers are refused.
#include <signal.h>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <boost/asio.hpp>
#include <fstream>
#include <mutex>
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

  // Opens a restored ledger read-only and checks that it holds every receipt's entry, with the
  // receipt's hash.
  static std::unique_ptr<ledger::Ledger> open_holding(
      const fs::path& restored, const std::vector<schemas::Receipt>& receipts) {
    ledger::Options options;
    options.data_dir = restored;
    options.load_ledger_key = false;
    options.read_only = true;
    auto ledger = ledger::Ledger::open(options);
    BOOST_REQUIRE_MESSAGE(ledger.is_ok(), ledger.status().to_string());
    for (const auto& receipt : receipts) {
      auto entry = (*ledger)->entry(receipt.seq);
      BOOST_REQUIRE_MESSAGE(entry.is_ok(), entry.status().to_string());
      BOOST_CHECK(entry->leaf_hash == receipt.entry_hash);
    }
    return std::move(ledger).value();
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
  BOOST_CHECK(b.has(made, "passbook backup --server"));
  BOOST_CHECK(!fs::exists(b.backups / "meta"));
}

BOOST_AUTO_TEST_CASE(a_backup_request_while_clients_submit) {
  // An admin's Backup request (Client::backup, then `passbook backup --server`) while another
  // client keeps submitting: the backup restores, verifies, and holds every entry acknowledged
  // before the request was sent, with the same hash; the reply names what it holds.
  Backups b;
  testing::Daemon daemon(kPassbookd, b.street.data, b.scratch.path() / "passbookd.log");
  daemon.set_extra_args({"--backup-dir", b.backups.string()});
  const auto failed = daemon.start(std::chrono::seconds(20));
  BOOST_REQUIRE_MESSAGE(!failed, *failed);
  std::mutex mutex;
  std::vector<schemas::Receipt> acknowledged;
  {
    auto c = client::Client::connect(b.street.client_options(daemon.port(), b.street.branch));
    BOOST_REQUIRE_MESSAGE(c.is_ok(), c.status().to_string());
    std::vector<schemas::SignedEnvelope> batch;
    for (int i = 0; i < 40; ++i) batch.push_back(b.street.credit(i, 3, 2));
    for (auto& r : (*c)->submit_all(std::move(batch))) {
      BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
      acknowledged.push_back(r->receipt);
    }
  }
  std::atomic<bool> stop{false};
  std::atomic<int> during{0};
  std::thread writer([&] {
    auto w = client::Client::connect(b.street.client_options(daemon.port(), b.street.branch));
    if (!w.is_ok()) return;
    for (int i = 40; !stop && i < 4000; ++i) {
      auto r = (*w)->submit(b.street.credit(i % 100, 1 + static_cast<uint32_t>(i % 50)));
      if (!r.is_ok()) continue;
      ++during;
      std::lock_guard lock(mutex);
      acknowledged.push_back(r->receipt);
    }
  });
  // Wait until the writer is submitting (bounded: a writer that cannot connect fails below).
  for (int i = 0; i < 3000 && during < 5; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  BOOST_REQUIRE_GE(during.load(), 5);

  auto admin = client::Client::connect(b.street.client_options(daemon.port(), b.street.admin));
  BOOST_REQUIRE_MESSAGE(admin.is_ok(), admin.status().to_string());
  std::vector<schemas::Receipt> before_request;
  {
    std::lock_guard lock(mutex);
    before_request = acknowledged;
  }
  auto stored = (*admin)->backup(/*verify=*/false);
  stop = true;
  writer.join();
  BOOST_REQUIRE_MESSAGE(stored.is_ok(), stored.status().to_string());
  BOOST_TEST_MESSAGE(during.load() << " envelopes were acknowledged around the backup");
  BOOST_CHECK_EQUAL(stored->id, 1u);
  BOOST_CHECK(!stored->verified);
  BOOST_CHECK_GT(stored->files, 0u);
  BOOST_CHECK_GT(stored->bytes, 0u);
  uint64_t last_before = 0;
  for (const auto& receipt : before_request) last_before = std::max(last_before, receipt.seq);
  BOOST_CHECK_GT(stored->entries, last_before);
  // The backup covers a size the server signed a checkpoint for.
  auto note = (*admin)->checkpoint(stored->entries);
  BOOST_CHECK_MESSAGE(note.is_ok(), note.status().to_string());
  BOOST_CHECK((*admin)->submit(b.street.credit(7, 9)).is_ok());  // still serving

  // The CLI asks the same way, and prints what was stored.
  auto by_cli = b.run({"backup", "--server", "127.0.0.1:" + std::to_string(daemon.port()), "--key",
                       (b.street.data / "keys" / "admin.key").string(), "--ledger-vkey",
                       b.street.verifier_key, "--trust-file",
                       (b.scratch.path() / "cli.trust").string(), "--verify"});
  BOOST_REQUIRE_MESSAGE(by_cli.ok(), by_cli.describe());
  BOOST_CHECK(b.has(by_cli, "stored backup 2"));
  BOOST_CHECK(b.has(by_cli, "verified before it was stored"));

  const auto restored = b.scratch.path() / "restored";
  auto done =
      b.run({"restore", "--from", b.backups.string(), "--data", restored.string(), "--id", "1"});
  BOOST_REQUIRE_MESSAGE(done.ok(), done.describe());
  BOOST_CHECK(b.has(done, "The restored ledger verifies"));
  auto verified = b.run({"verify", "--data", restored.string()});
  BOOST_CHECK_MESSAGE(verified.ok(), verified.describe());
  const auto ledger = Backups::open_holding(restored, before_request);
  BOOST_CHECK_EQUAL(ledger->info().size, stored->entries);
  BOOST_CHECK(ledger->info().root == stored->root);
  BOOST_CHECK(!fs::exists(b.street.data / "backup-copy"));
}

BOOST_AUTO_TEST_CASE(a_backup_request_needs_an_admin_key_and_a_backup_dir) {
  Backups b;
  {
    testing::Daemon daemon(kPassbookd, b.street.data, b.scratch.path() / "passbookd.log");
    daemon.set_extra_args({"--backup-dir", b.backups.string()});
    const auto failed = daemon.start(std::chrono::seconds(20));
    BOOST_REQUIRE_MESSAGE(!failed, *failed);
    auto branch = client::Client::connect(b.street.client_options(daemon.port(), b.street.branch));
    BOOST_REQUIRE_MESSAGE(branch.is_ok(), branch.status().to_string());
    auto refused = (*branch)->backup(false);
    BOOST_CHECK(refused.status().code() == Status::Code::kPermissionDenied);
    BOOST_CHECK_MESSAGE(refused.status().message().find("admin") != std::string::npos,
                        refused.status().to_string());
    auto by_cli =
        b.run({"backup", "--server", "127.0.0.1:" + std::to_string(daemon.port()), "--key",
               (b.street.data / "keys" / "branch.key").string(), "--ledger-vkey",
               b.street.verifier_key, "--trust-file", (b.scratch.path() / "cli.trust").string()});
    BOOST_CHECK_MESSAGE(by_cli.status.exited && by_cli.status.code == 3, by_cli.describe());
    BOOST_CHECK(!fs::exists(b.backups / "meta"));
  }
  testing::Daemon daemon(kPassbookd, b.street.data, b.scratch.path() / "passbookd2.log");
  const auto failed = daemon.start(std::chrono::seconds(20));
  BOOST_REQUIRE_MESSAGE(!failed, *failed);
  auto admin = client::Client::connect(b.street.client_options(daemon.port(), b.street.admin));
  BOOST_REQUIRE_MESSAGE(admin.is_ok(), admin.status().to_string());
  auto refused = (*admin)->backup(false);
  BOOST_CHECK(refused.status().code() == Status::Code::kFailedPrecondition);
  BOOST_CHECK_MESSAGE(refused.status().message().find("--backup-dir") != std::string::npos,
                      refused.status().to_string());
  BOOST_CHECK((*admin)->info().is_ok());  // the session goes on
}

BOOST_AUTO_TEST_CASE(two_concurrent_backup_requests_one_is_refused) {
  // Two Backup requests in flight at once on one connection (they reach the server together,
  // long before the first backup can be stored): one is stored, the other is refused as
  // ResourceExhausted; once the first is stored, the next request is served again.
  Backups b;
  testing::Daemon daemon(kPassbookd, b.street.data, b.scratch.path() / "passbookd.log");
  daemon.set_extra_args({"--backup-dir", b.backups.string()});
  const auto failed = daemon.start(std::chrono::seconds(20));
  BOOST_REQUIRE_MESSAGE(!failed, *failed);
  auto options = b.street.client_options(daemon.port(), b.street.admin);
  options.backup_timeout = std::chrono::seconds(120);
  boost::asio::io_context io;
  Status connected = Status::ok();
  std::vector<Result<schemas::BackupReply>> results;
  auto both = [&]() -> boost::asio::awaitable<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    auto c = co_await client::AsyncClient::connect(executor, options);
    if (!c.is_ok()) {
      connected = c.status();
      co_return;
    }
    client::AsyncClient* async = c->get();
    boost::asio::steady_timer done(executor, boost::asio::steady_timer::time_point::max());
    for (int i = 0; i < 2; ++i) {
      boost::asio::co_spawn(
          executor, async->backup(false),
          [&](const std::exception_ptr& error, Result<schemas::BackupReply> result) {
            results.push_back(error ? Result<schemas::BackupReply>(internal_error("threw"))
                                    : std::move(result));
            if (results.size() == 2) done.cancel();
          });
    }
    co_await done.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    async->close();
  };
  boost::asio::co_spawn(io, both(), boost::asio::detached);
  io.run();
  BOOST_REQUIRE_MESSAGE(connected.is_ok(), connected.to_string());
  BOOST_REQUIRE_EQUAL(results.size(), 2u);
  int stored = 0;
  int busy = 0;
  for (const auto& r : results) {
    if (r.is_ok()) ++stored;
    if (r.status().code() == Status::Code::kResourceExhausted) {
      ++busy;
      BOOST_CHECK_MESSAGE(r.status().message().find("already under way") != std::string::npos,
                          r.status().to_string());
    }
  }
  BOOST_CHECK_EQUAL(stored, 1);
  BOOST_CHECK_EQUAL(busy, 1);
  auto admin = client::Client::connect(options);
  BOOST_REQUIRE_MESSAGE(admin.is_ok(), admin.status().to_string());
  auto next = (*admin)->backup(false);
  BOOST_REQUIRE_MESSAGE(next.is_ok(), next.status().to_string());
  BOOST_CHECK_EQUAL(next->id, 2u);
  auto listed = ledger::list_backups(b.backups);
  BOOST_REQUIRE(listed.is_ok());
  BOOST_CHECK_EQUAL(listed->size(), 2u);
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
  Backups::open_holding(restored, acknowledged);
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
