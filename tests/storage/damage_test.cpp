// A damaged data directory must be refused at start, with a message that says what is wrong
// and how to restore from a backup, and `passbook verify` must report it: never silently served.
//
// Each case damages a copy of one ledger whose older entries are in table files (.sst) and whose
// newest ones are only in the write-ahead log (.log), as a crash leaves it, then runs the real
// passbookd and `passbook verify` on it.
#include <boost/test/unit_test.hpp>
#include <fstream>

#include "storage/storage_fixture.h"

namespace ut = boost::unit_test;

namespace passbook::storage_test {
namespace {

// The ledger every case starts from, made once per process.
class Pristine {
 public:
  static const Pristine& get() {
    static const Pristine pristine;
    return pristine;
  }
  fs::path data() const { return scratch_.path() / "data"; }

 private:
  Pristine() {
    Street street(data());
    // A clean close flushes everything into table files.
    street.commit_credits(300, 2);
    // The last credits come from a writer that stays open while the cases copy the directory:
    // each copy is what a crash leaves, acknowledged entries whose only copy is the synced log.
    writer_ = street.open();
    street.commit_credits(*writer_, 60, 1);
    size_t logs = 0;
    size_t tables = 0;
    for (const auto& item : fs::directory_iterator(data() / "db")) {
      const auto name = item.path().filename().string();
      if (name.ends_with(".log") && item.file_size() > 0) ++logs;
      if (name.ends_with(".sst")) ++tables;
    }
    BOOST_REQUIRE_MESSAGE(logs > 0 && tables > 0,
                          "the pristine ledger needs table files and a log");
  }
  Scratch scratch_;
  std::unique_ptr<ledger::Ledger> writer_;  // after scratch_: closed before the files go
};

// A copy of the pristine ledger to damage.
struct Case {
  Case() {
    fs::copy(Pristine::get().data(), data, fs::copy_options::recursive);
    fs::remove(data / "db" / "LOCK");
  }
  fs::path file(const std::string& suffix, bool largest = true) const {
    fs::path chosen;
    uintmax_t chosen_size = 0;
    for (const auto& item : fs::directory_iterator(data / "db")) {
      const auto name = item.path().filename().string();
      if (!name.ends_with(suffix) && !name.starts_with(suffix)) continue;
      const auto size = item.file_size();
      if (chosen.empty() || (largest ? size > chosen_size : size < chosen_size)) {
        chosen = item.path();
        chosen_size = size;
      }
    }
    BOOST_REQUIRE_MESSAGE(!chosen.empty(), "no " << suffix << " file in " << data / "db");
    return chosen;
  }
  static void overwrite(const fs::path& file, uintmax_t at, const std::string& bytes) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(at));
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    BOOST_REQUIRE(f.good());
  }

  // passbookd must refuse to serve, exit with status 4 (damaged data), name what is wrong
  // (`what`, case-insensitively, any of the alternatives) and point to a backup; verify too.
  void expect_refused(const std::vector<std::string>& what) const {
    testing::Daemon daemon(kPassbookd, data, scratch.path() / "passbookd.log");
    const auto refused = daemon.start(std::chrono::seconds(20));
    BOOST_REQUIRE_MESSAGE(refused.has_value(), "passbookd served the damaged ledger:\n"
                                                   << daemon.new_log());
    BOOST_TEST_MESSAGE(*refused);
    const std::string log = lower(*refused);
    BOOST_CHECK_MESSAGE(log.find("exited with status 4") != std::string::npos,
                        "passbookd should exit with status 4 (damaged data): " << *refused);
    BOOST_CHECK_MESSAGE(mentions(log, what),
                        "passbookd's message does not say what is wrong: " << *refused);
    BOOST_CHECK_MESSAGE(log.find("backup") != std::string::npos,
                        "passbookd's message does not say to restore from a backup: " << *refused);

    auto verified = cli({"verify", "--data", data.string()}, scratch.path());
    BOOST_CHECK_MESSAGE(verified.status.exited && verified.status.code == 4,
                        "passbook verify should exit with status 4: " << verified.describe());
    BOOST_CHECK_MESSAGE(mentions(lower(verified.out + verified.err), what),
                        "passbook verify does not say what is wrong: " << verified.describe());
  }

  static std::string lower(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  }
  static bool mentions(const std::string& text, const std::vector<std::string>& words) {
    for (const auto& w : words) {
      if (text.find(lower(w)) != std::string::npos) return true;
    }
    return false;
  }

  Scratch scratch;
  fs::path data = scratch.path() / "data";
};

}  // namespace

BOOST_AUTO_TEST_SUITE(damage_test)

BOOST_AUTO_TEST_CASE(pristine_copy_is_served) {
  // The control: the undamaged copy opens, verifies and is served.
  Case c;
  testing::Daemon daemon(kPassbookd, c.data, c.scratch.path() / "passbookd.log");
  const auto failed = daemon.start(std::chrono::seconds(20));
  BOOST_REQUIRE_MESSAGE(!failed, *failed);
  daemon.signal(SIGTERM);
  BOOST_REQUIRE(daemon.wait(std::chrono::seconds(30)).value_or(testing::ExitStatus{}).ok());
  auto verified = cli({"verify", "--data", c.data.string()}, c.scratch.path());
  BOOST_CHECK(verified.ok());
}

BOOST_AUTO_TEST_CASE(zeroed_current) {
  Case c;
  const auto current = c.data / "db" / "CURRENT";
  const auto size = fs::file_size(current);
  c.overwrite(current, 0, std::string(size, '\0'));
  c.expect_refused({"CURRENT"});
}

BOOST_AUTO_TEST_CASE(truncated_table_file) {
  Case c;
  const auto sst = c.file(".sst");
  fs::resize_file(sst, fs::file_size(sst) / 2);
  c.expect_refused({sst.filename().string(), sst.stem().string()});
}

BOOST_AUTO_TEST_CASE(deleted_table_file) {
  Case c;
  const auto sst = c.file(".sst");
  fs::remove(sst);
  c.expect_refused({sst.stem().string()});
}

BOOST_AUTO_TEST_CASE(deleted_current) {
  Case c;
  fs::remove(c.data / "db" / "CURRENT");
  c.expect_refused({"CURRENT"});
}

BOOST_AUTO_TEST_CASE(deleted_manifest) {
  Case c;
  fs::remove(c.file("MANIFEST-"));
  c.expect_refused({"MANIFEST"});
}

BOOST_AUTO_TEST_CASE(corrupted_table_file) {
  // Bit rot in the middle of the largest table file (entries): the size is right, a block's
  // checksum is not. Opening only reads the tail of the chain, so this needs the checksum scan.
  Case c;
  const auto sst = c.file(".sst");
  c.overwrite(sst, fs::file_size(sst) / 3, std::string(16, '\xA5'));
  c.expect_refused({sst.filename().string(), "checksum", "corrupt"});
}

BOOST_AUTO_TEST_CASE(corrupted_log_middle) {
  // Zeroed bytes in the middle of the write-ahead log: RocksDB's default recovery would stop
  // there and silently drop every later (acknowledged) entry.
  Case c;
  const auto log = c.file(".log");
  c.overwrite(log, fs::file_size(log) / 3, std::string(200, '\0'));
  c.expect_refused({".log", "log", "checksum", "corrupt"});
}

BOOST_AUTO_TEST_CASE(verify_changes_nothing_it_checks) {
  // verify opens read-only: the damaged log it reports is still there, byte for byte, for the
  // next person (or tool) to look at; RocksDB's recovery would have rewritten the directory.
  Case c;
  const auto log = c.file(".log");
  c.overwrite(log, fs::file_size(log) / 3, std::string(200, '\0'));
  std::map<std::string, std::string> before;
  const auto snapshot = [&] {
    std::map<std::string, std::string> files;
    for (const auto& item : fs::directory_iterator(c.data / "db")) {
      const auto name = item.path().filename().string();
      if (name == "LOCK") continue;
      std::ifstream in(item.path(), std::ios::binary);
      files[name] = std::string(std::istreambuf_iterator<char>(in), {});
    }
    return files;
  };
  before = snapshot();
  auto verified = cli({"verify", "--data", c.data.string()}, c.scratch.path());
  BOOST_CHECK(verified.status.exited && verified.status.code == 4);
  const auto after = snapshot();
  BOOST_CHECK(after.size() == before.size());
  for (const auto& [name, bytes] : before) {
    auto it = after.find(name);
    BOOST_CHECK_MESSAGE(it != after.end() && it->second == bytes, "verify changed " << name);
  }
}

BOOST_AUTO_TEST_CASE(verify_refuses_a_ledger_being_served) {
  // While passbookd writes to the ledger, verify cannot judge it (and must not open it): it says
  // the directory is in use instead of reporting a half-written state as damage.
  Case c;
  testing::Daemon daemon(kPassbookd, c.data, c.scratch.path() / "passbookd.log");
  const auto failed = daemon.start(std::chrono::seconds(20));
  BOOST_REQUIRE_MESSAGE(!failed, *failed);
  auto verified = cli({"verify", "--data", c.data.string()}, c.scratch.path());
  BOOST_CHECK(!verified.ok());
  BOOST_CHECK_MESSAGE(verified.status.code != 4, "a served ledger is not damaged");
  BOOST_CHECK_MESSAGE(Case::lower(verified.out + verified.err).find("in use") != std::string::npos,
                      verified.describe());
  daemon.signal(SIGTERM);
  BOOST_CHECK(daemon.wait(std::chrono::seconds(30)).value_or(testing::ExitStatus{}).ok());
}

BOOST_AUTO_TEST_SUITE_END()

// Damage that passbookd serves today (or refuses without saying how to get out): each case
// names the change in tests/storage/README.md it waits for. Not run by CTest; run them with
// `storage_tests --run_test=damage_test_pending` (or `--run_test=@pending`), and move a case up
// into damage_test when its change lands.
BOOST_AUTO_TEST_SUITE(damage_test_pending)

// Pending: tests/storage/README.md, change 5 (clean-shutdown marker).
BOOST_AUTO_TEST_CASE(truncated_log, *ut::disabled() * ut::label("pending")) {
  // The write-ahead log of a cleanly stopped ledger, cut in half: entries that were
  // acknowledged (synced) are gone.
  Case c;
  const auto log = c.file(".log");
  fs::resize_file(log, fs::file_size(log) / 2);
  c.expect_refused({"log", "entries", "missing", "lost"});
}

// Pending: tests/storage/README.md, change 5 (clean-shutdown marker).
BOOST_AUTO_TEST_CASE(deleted_log, *ut::disabled() * ut::label("pending")) {
  Case c;
  fs::remove(c.file(".log"));
  c.expect_refused({"log", "entries", "missing", "lost"});
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace passbook::storage_test
