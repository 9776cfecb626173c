// A full disk: the real passbookd on a small tmpfs (mounted by the test; root only, skipped
// otherwise), filled up by a filler file while clients write. The server must refuse writes with
// a clear error, acknowledge nothing it has not made durable, keep answering reads, and once the
// space is back serve again with nothing lost: every receipt still in the chain, every refused
// envelope accepted when sent again with the same bytes, none twice.
#include <fcntl.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <cstring>
#include <set>

#include "storage/storage_fixture.h"

namespace passbook::storage_test {
namespace {

namespace ut = boost::unit_test;

bool can_mount_tmpfs() {
  static const bool can = [] {
    Scratch scratch;
    Tmpfs probe(scratch.path() / "probe", "1m");
    if (!probe.mounted())
      BOOST_TEST_MESSAGE("the full-disk tests are skipped: " << probe.why_not());
    return probe.mounted();
  }();
  return can;
}

struct IfTmpfs {
  boost::test_tools::assertion_result operator()(ut::test_unit_id) const {
    const bool can = can_mount_tmpfs();
    boost::test_tools::assertion_result result{can};
    if (!can) result.message() << "needs root and mount -t tmpfs (Debian CI runs as root)";
    return result;
  }
};

// Fills the filesystem of `file` until it has no space left but `leave` bytes; returns the
// bytes written.
uintmax_t fill(const fs::path& file, uintmax_t leave = 0) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  BOOST_REQUIRE(fd >= 0);
  uintmax_t written = 0;
  for (size_t chunk : {size_t{1} << 20, size_t{4096}, size_t{512}}) {
    const std::string block(chunk, 'f');
    for (;;) {
      const ssize_t n = ::write(fd, block.data(), block.size());
      if (n <= 0) break;
      written += static_cast<uintmax_t>(n);
    }
  }
  if (leave > 0 && written > leave) {
    BOOST_REQUIRE(::ftruncate(fd, static_cast<off_t>(written - leave)) == 0);
    written -= leave;
  }
  ::fsync(fd);
  ::close(fd);
  return written;
}

struct Sent {
  schemas::SignedEnvelope envelope;
  std::optional<schemas::Receipt> receipt;
};

// A street on a full disk: passbookd serving it, clients writing until the first refusal.
class FullDisk {
 public:
  FullDisk() {
    BOOST_REQUIRE(tmpfs.mounted());
    street = std::make_unique<Street>(tmpfs.path() / "data");
    street->commit_credits(20);
    daemon = std::make_unique<testing::Daemon>(kPassbookd, street->data,
                                               scratch.path() / "passbookd.log");
    start();
  }
  ~FullDisk() {
    if (daemon) daemon->kill_now();
  }

  void start() {
    const auto failed = daemon->start(std::chrono::seconds(20));
    BOOST_REQUIRE_MESSAGE(!failed, *failed);
  }

  // As the admin, who may also read the raw entries (any session may submit any signed envelope).
  std::unique_ptr<client::Client> connect(int attempts) {
    auto options = street->client_options(daemon->port(), street->admin);
    options.max_attempts = attempts;
    auto c = client::Client::connect(options);
    BOOST_REQUIRE_MESSAGE(c.is_ok(), c.status().to_string());
    return std::move(c).value();
  }

  // Writes until the server refuses; the refusal must be clear, the envelopes before it answered.
  void write_until_refused() {
    auto client = connect(1);
    for (int i = 0; i < 10; ++i) {  // some receipts before the disk fills up
      Sent sent{street->credit(i, 30, 20), std::nullopt};
      auto done = client->submit(sent.envelope);
      BOOST_REQUIRE_MESSAGE(done.is_ok(), done.status().to_string());
      sent.receipt = done->receipt;
      acknowledged.push_back(sent);
    }
    // Leave a little room, so that the last receipts come right before the refusal.
    const uintmax_t filled = fill(tmpfs.path() / "filler", 256 << 10);
    BOOST_TEST_MESSAGE("filled the disk with " << filled << " bytes");
    for (int i = 0; i < 20'000 && !first_refusal; ++i) {
      Sent sent{street->credit(i, 30, 20), std::nullopt};
      auto done = client->submit(sent.envelope);
      if (done.is_ok()) {
        sent.receipt = done->receipt;
        acknowledged.push_back(sent);
      } else {
        first_refusal = done.status();
        refused.push_back(sent);
      }
    }
    BOOST_REQUIRE_MESSAGE(first_refusal, "20000 envelopes fitted on a full disk?");
    BOOST_TEST_MESSAGE("refused after " << acknowledged.size()
                                        << " receipts: " << first_refusal->to_string());
    const auto code = first_refusal->code();
    BOOST_CHECK_MESSAGE(
        code == Status::Code::kUnavailable || code == Status::Code::kResourceExhausted,
        "a full disk must be Unavailable or ResourceExhausted: " << first_refusal->to_string());
    const std::string message = first_refusal->message();
    BOOST_CHECK_MESSAGE(
        message.find("disk") != std::string::npos || message.find("space") != std::string::npos,
        "the refusal does not say the disk is the problem: " << message);
    // Further writes are refused too, at once and as clearly; reads go on.
    for (int i = 0; i < 3; ++i) {
      Sent sent{street->credit(100 + i, 30, 20), std::nullopt};
      auto done = client->submit(sent.envelope);
      BOOST_CHECK_MESSAGE(!done.is_ok(), "a write was acknowledged after the disk filled up");
      if (!done.is_ok()) {
        BOOST_CHECK_MESSAGE(done.status().code() == code, done.status().to_string());
        refused.push_back(sent);
      } else {
        sent.receipt = done->receipt;
        acknowledged.push_back(sent);
      }
    }
    auto info = client->info();
    BOOST_CHECK_MESSAGE(info.is_ok(), "reads stop on a full disk: " << info.status().to_string());
    auto account = client->account(schemas::AccountKind::kVolunteer, "v0");
    BOOST_CHECK_MESSAGE(account.is_ok(),
                        "reads stop on a full disk: " << account.status().to_string());
  }

  // Writes until the first failure of any kind (a refusal, or passbookd dying), and keeps what
  // was acknowledged and what was not.
  void write_until_anything_fails() {
    auto client = connect(1);
    (void)fill(tmpfs.path() / "filler", 256 << 10);
    for (int i = 0; i < 20'000; ++i) {
      Sent sent{street->credit(i, 30, 20), std::nullopt};
      auto done = client->submit(sent.envelope);
      if (!done.is_ok()) {
        BOOST_TEST_MESSAGE("the first failure after "
                           << acknowledged.size() << " receipts: " << done.status().to_string());
        refused.push_back(sent);
        return;
      }
      sent.receipt = done->receipt;
      acknowledged.push_back(sent);
    }
    BOOST_FAIL("20000 envelopes fitted on a full disk?");
  }

  void free_space() { fs::remove(tmpfs.path() / "filler"); }

  // Every receipt is in the chain with its hash; every refused envelope, sent again with the
  // same bytes, is accepted (new, or the first receipt if it was written after all); no
  // envelope is in two entries.
  void check_nothing_lost() {
    auto client = connect(6);
    for (const auto& sent : acknowledged) {
      auto entries = client->entries(sent.receipt->seq, 1);
      BOOST_REQUIRE_MESSAGE(entries.is_ok() && entries->size() == 1,
                            "acknowledged entry " << sent.receipt->seq
                                                  << " is gone: " << entries.status().to_string());
      BOOST_CHECK_MESSAGE(proof::leaf_hash(entries->front()) == sent.receipt->entry_hash,
                          "acknowledged entry " << sent.receipt->seq << " changed");
    }
    std::set<uint64_t> seqs;
    for (const auto& sent : acknowledged) seqs.insert(sent.receipt->seq);
    for (auto& sent : refused) {
      auto done = client->submit(sent.envelope);
      BOOST_REQUIRE_MESSAGE(done.is_ok(),
                            "a refused envelope, sent again: " << done.status().to_string());
      BOOST_CHECK_MESSAGE(seqs.insert(done->receipt.seq).second,
                          "two envelopes got entry " << done->receipt.seq);
      sent.receipt = done->receipt;
    }
    // A new envelope gets in too.
    auto fresh = client->submit(street->credit(7, 5));
    BOOST_CHECK_MESSAGE(fresh.is_ok() && !fresh->duplicate, fresh.status().to_string());
  }

  void stop_and_verify() {
    daemon->signal(SIGTERM);
    auto ended = daemon->wait(std::chrono::seconds(30));
    BOOST_CHECK_MESSAGE(ended.has_value(), "passbookd did not stop on SIGTERM");
    if (!ended) daemon->kill_now();
    auto verified = cli({"verify", "--data", street->data.string()}, scratch.path());
    BOOST_CHECK_MESSAGE(verified.ok(), verified.describe());
  }

  Scratch scratch;
  Tmpfs tmpfs{scratch.path() / "mnt", "24m"};
  std::unique_ptr<Street> street;
  std::unique_ptr<testing::Daemon> daemon;
  std::vector<Sent> acknowledged;
  std::vector<Sent> refused;
  std::optional<Status> first_refusal;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(disk_full_test, *ut::precondition(IfTmpfs()))

// What holds today whatever passbookd does when the disk fills (refuse, or die): nothing it
// acknowledged is lost, and once there is space it starts and takes every envelope again.
BOOST_AUTO_TEST_CASE(nothing_acknowledged_is_lost_when_the_disk_fills) {
  FullDisk disk;
  disk.write_until_anything_fails();
  disk.daemon->kill_now();
  disk.free_space();
  disk.start();
  disk.check_nothing_lost();
  disk.stop_and_verify();
}

// The behaviour a full disk must have: a clear refusal, reads going on, a clean stop, serving
// again once there is space.
BOOST_AUTO_TEST_CASE(refuses_writes_and_keeps_what_it_acknowledged) {
  FullDisk disk;
  disk.write_until_refused();
  // Crash with the disk still full, then give the space back and start again.
  disk.daemon->kill_now();
  disk.free_space();
  disk.start();
  disk.check_nothing_lost();
  disk.stop_and_verify();
}

BOOST_AUTO_TEST_CASE(stops_cleanly_on_a_full_disk) {
  FullDisk disk;
  disk.write_until_refused();
  disk.daemon->signal(SIGTERM);
  auto ended = disk.daemon->wait(std::chrono::seconds(30));
  BOOST_REQUIRE_MESSAGE(ended.has_value(), "passbookd did not stop on SIGTERM with the disk full");
  BOOST_TEST_MESSAGE("passbookd " << ended->describe() << ":\n" << disk.daemon->new_log());
  disk.free_space();
  disk.start();
  disk.check_nothing_lost();
  disk.stop_and_verify();
}

BOOST_AUTO_TEST_CASE(start_on_a_full_disk) {
  // Starting with no space left: it may serve reads and refuse writes, or refuse to start with
  // a message that says the disk is full; either way, once there is space it serves.
  FullDisk disk;
  disk.daemon->signal(SIGTERM);
  BOOST_REQUIRE(disk.daemon->wait(std::chrono::seconds(30)).has_value());
  (void)fill(disk.tmpfs.path() / "filler");
  const auto failed = disk.daemon->start(std::chrono::seconds(20));
  if (failed) {
    BOOST_TEST_MESSAGE(*failed);
    BOOST_CHECK_MESSAGE(failed->find("disk is full") != std::string::npos ||
                            failed->find("No space") != std::string::npos,
                        "passbookd does not say why it cannot start: " << *failed);
    BOOST_CHECK_MESSAGE(failed->find("status 5") != std::string::npos, *failed);
  } else {
    auto client = disk.connect(1);
    auto done = client->submit(disk.street->credit(3, 10));
    BOOST_CHECK_MESSAGE(!done.is_ok(), "a write was acknowledged on a full disk");
    disk.daemon->kill_now();
  }
  disk.free_space();
  disk.start();
  disk.check_nothing_lost();
  disk.stop_and_verify();
}

// Ledger::recover() probes the disk before it lets go of the open database, so that the retries
// while the disk is still full change nothing, and the first one after works.
BOOST_AUTO_TEST_CASE(serves_again_when_space_returns) {
  FullDisk disk;
  disk.write_until_refused();
  disk.free_space();
  auto client = disk.connect(1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  Result<client::SubmitResult> done = unavailable("not tried");
  int tries = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    ++tries;
    done = client->submit(disk.street->credit(tries % 10, 1));
    if (done.is_ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    client = disk.connect(1);
  }
  BOOST_REQUIRE_MESSAGE(done.is_ok(),
                        "15 s after the space came back passbookd still refuses writes: "
                            << done.status().to_string() << "\npassbookd's log:\n"
                            << disk.daemon->new_log());
  BOOST_CHECK_MESSAGE(disk.daemon->running(), "passbookd restarted itself?");
  disk.check_nothing_lost();
  disk.stop_and_verify();
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace passbook::storage_test
