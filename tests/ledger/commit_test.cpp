// Group commit, receipts, durability across restarts and crashes, snapshots and replay.
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <cstring>

#include "ledger/ledger_fixture.h"
#include "passbook/ledger/verify.h"
#include "passbook/proof/crypto.h"
#include "passbook/proof/merkle.h"
#include "passbook/proof/note.h"

using namespace passbook;
using namespace passbook::schemas;
using namespace passbook::testing;

namespace {

std::vector<ledger::Prepared> prepared(std::vector<SignedEnvelope> envelopes) {
  std::vector<ledger::Prepared> group;
  for (auto& e : envelopes) group.push_back(ledger::Ledger::prepare(std::move(e)));
  return group;
}

void require_verifies(const std::filesystem::path& dir) {
  ledger::VerifyOptions options;
  options.data_dir = dir;
  auto report = ledger::verify(options);
  BOOST_REQUIRE_MESSAGE(report.is_ok(), report.status().to_string());
  for (const auto& p : report->problems) BOOST_TEST_MESSAGE(p.message);
  BOOST_TEST(report->ok());
}

// A small tmpfs (root only), to make writes fail the way a full disk does.
class Tmpfs {
 public:
  explicit Tmpfs(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    mounted_ = ::geteuid() == 0 && ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                                           "size=16m,mode=0700") == 0;
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;
  [[nodiscard]] bool mounted() const { return mounted_; }

  void fill() const {
    const int fd =
        ::open((dir_ / "filler").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    BOOST_REQUIRE(fd >= 0);
    for (size_t chunk : {size_t{1} << 20, size_t{4096}, size_t{512}}) {
      const std::string block(chunk, 'f');
      while (::write(fd, block.data(), block.size()) > 0) {
      }
    }
    ::close(fd);
  }
  void free() const { std::filesystem::remove(dir_ / "filler"); }

 private:
  std::filesystem::path dir_;
  bool mounted_ = false;
};

struct IfRoot {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result result{::geteuid() == 0};
    if (::geteuid() != 0)
      result.message() << "needs root to mount a tmpfs (Debian CI runs as root)";
    return result;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(commit_test)

BOOST_AUTO_TEST_CASE(a_group_whose_write_fails_leaves_the_ledger_as_it_was,
                     *boost::unit_test::precondition(IfRoot())) {
  // The write of a whole group fails (the disk is full): none of it may show, reads go on,
  // recover() changes nothing while the disk is still full, and once there is space the same
  // envelopes go in at the very next sequence numbers, each once. The group's rollback runs
  // long after each envelope was applied (it once wrote through a dangling Applier).
  TestStreet t;
  t.close();
  TempDir scratch;
  Tmpfs tmpfs(scratch.path() / "mnt");
  BOOST_REQUIRE(tmpfs.mounted());
  const auto data = scratch.path() / "mnt" / "data";
  std::filesystem::create_directories(data);
  std::filesystem::copy(t.dir.path() / "db", data / "db", std::filesystem::copy_options::recursive);
  ledger::Options options = t.options();
  options.data_dir = data;
  auto opened = ledger::Ledger::open(options);
  BOOST_REQUIRE_MESSAGE(opened.is_ok(), opened.status().to_string());
  t.ledger = std::move(opened).value();
  tmpfs.fill();

  int accounts = 0;
  const auto group_of_new_accounts = [&] {
    std::vector<SignedEnvelope> group;
    for (int e = 0; e < 5; ++e) {
      std::vector<Operation> ops;
      for (int i = 0; i < 20; ++i) {
        ops.push_back(OpenAccount{"a" + std::to_string(accounts++), std::nullopt, std::nullopt});
      }
      group.push_back(t.sign(t.secretary, std::move(ops)));
    }
    return group;
  };
  std::vector<SignedEnvelope> failed;
  std::string before;
  uint64_t size_before = 0;
  for (int round = 0; round < 2000 && failed.empty(); ++round) {
    before = t.render();
    size_before = t.ledger->info().size;
    // Each group a day later: the rollback also has to take back the ledger's day.
    t.clock.now += 86'400'000;
    std::vector<SignedEnvelope> group = group_of_new_accounts();
    std::vector<ledger::Outcome> outcomes = t.ledger->commit(prepared(group));
    if (!outcomes.front().status.is_ok()) {
      for (const auto& outcome : outcomes) {
        BOOST_TEST((outcome.status.code() == Status::Code::kUnavailable));
        BOOST_TEST(outcome.status.message().find("not acknowledged") != std::string::npos,
                   outcome.status.message());
      }
      failed = std::move(group);
    }
  }
  BOOST_REQUIRE_MESSAGE(!failed.empty(), "2000 groups fitted on a full 16 MiB tmpfs?");
  BOOST_TEST(t.ledger->needs_recovery());
  BOOST_TEST(t.ledger->info().size == size_before);
  BOOST_TEST(t.render() == before);

  // The disk is still full: recover() must keep the open database and the state.
  const Status still_full = t.ledger->recover();
  BOOST_TEST(!still_full.is_ok());
  BOOST_TEST(t.ledger->needs_recovery());
  BOOST_TEST(t.render() == before);
  BOOST_TEST(t.ledger->entry(size_before - 1).is_ok());

  tmpfs.free();
  const Status recovered = t.ledger->recover();
  BOOST_REQUIRE_MESSAGE(recovered.is_ok(), recovered.to_string());
  BOOST_TEST(!t.ledger->needs_recovery());
  std::vector<ledger::Outcome> again = t.ledger->commit(prepared(failed));
  for (size_t i = 0; i < again.size(); ++i) {
    BOOST_REQUIRE_MESSAGE(again[i].status.is_ok(), again[i].status.to_string());
    BOOST_TEST(again[i].receipt.seq == size_before + i);
  }
  BOOST_TEST(t.ledger->info().size == size_before + failed.size());
  t.ok(t.secretary, {OpenAccount{"after", std::nullopt, std::nullopt}});
  const std::string after = t.render();
  t.close();
  require_verifies(data);
  auto reopened = ledger::Ledger::open(options);
  BOOST_REQUIRE_MESSAGE(reopened.is_ok(), reopened.status().to_string());
  t.ledger = std::move(reopened).value();
  BOOST_TEST(t.render() == after);
  t.close();
}

BOOST_AUTO_TEST_CASE(a_group_is_one_write_with_one_checkpoint) {
  TestStreet t;
  const uint64_t before = t.ledger->info().size;
  std::vector<SignedEnvelope> envelopes;
  for (int i = 0; i < 10; ++i) {
    envelopes.push_back(t.sign(t.secretary, {Credit{TestStreet::service(i % 2 ? "v1" : "v2", 10)}}));
  }
  auto outcomes = t.ledger->commit(prepared(std::move(envelopes)));
  const uint64_t after = t.ledger->info().size;
  BOOST_TEST(after == before + 10);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    BOOST_REQUIRE(outcomes[i].status.is_ok());
    BOOST_TEST(outcomes[i].receipt.seq == before + i);
    BOOST_TEST(outcomes[i].receipt.checkpoint_size == after);
  }
  BOOST_TEST(t.ledger->checkpoint(after).is_ok());
  for (uint64_t size = before + 1; size < after; ++size) {
    BOOST_TEST((t.ledger->checkpoint(size).status().code() == Status::Code::kNotFound));
  }
}

BOOST_AUTO_TEST_CASE(checkpoint_signs_the_root_of_the_entries) {
  TestStreet t;
  t.ok(t.secretary, {Credit{TestStreet::service("v1", 60)}});
  const auto info = t.ledger->info();
  auto note = t.ledger->checkpoint(0);
  BOOST_REQUIRE(note.is_ok());
  auto verifier = proof::parse_verifier_key(info.verifier_key);
  BOOST_REQUIRE(verifier.is_ok());
  auto checkpoint = proof::verify_checkpoint(*note, *verifier, info.origin);
  BOOST_REQUIRE_MESSAGE(checkpoint.is_ok(), checkpoint.status().to_string());
  BOOST_TEST(checkpoint->size == info.size);
  // The root is the RFC 9162 root over the leaf hashes of the stored entry bytes.
  std::vector<Hash32> leaves;
  for (uint64_t seq = 0; seq < info.size; ++seq) leaves.push_back(t.ledger->entry(seq)->leaf_hash);
  proof::MerkleFrontier frontier;
  std::vector<proof::StoredNode> nodes;
  for (const auto& leaf : leaves) frontier.append(leaf, nodes);
  BOOST_TEST((checkpoint->root == frontier.root()));
  BOOST_TEST((checkpoint->root == info.root));
}

BOOST_AUTO_TEST_CASE(each_entry_links_to_the_one_before) {
  TestStreet t;
  t.ok(t.secretary, {Credit{TestStreet::service("v1", 60)}});
  Hash32 prev{};
  for (uint64_t seq = 0; seq < t.ledger->info().size; ++seq) {
    auto entry = t.ledger->entry(seq);
    BOOST_REQUIRE(entry.is_ok());
    BOOST_TEST((entry->entry.prev_hash == prev));
    BOOST_TEST((entry->leaf_hash == proof::leaf_hash(entry->bytes)));
    prev = entry->leaf_hash;
  }
}

BOOST_AUTO_TEST_CASE(refused_envelope_in_a_group_leaves_no_trace) {
  TestStreet t;
  const std::string poor = "v2";
  auto refused = t.sign(t.merchant, {Redeem{poor, "dumplings", 1}});
  auto outcomes = t.ledger->commit(prepared(
      {t.sign(t.secretary, {Credit{TestStreet::service("v1", 60)}}), refused,
          t.sign(t.secretary, {Credit{TestStreet::service("v1", 30, ago(1))}})}));
  BOOST_TEST(outcomes[0].status.is_ok());
  BOOST_TEST(!outcomes[1].status.is_ok());
  BOOST_TEST(outcomes[2].status.is_ok());
  BOOST_TEST(outcomes[2].receipt.seq == outcomes[0].receipt.seq + 1);  // no gap in the chain
  // Its nonce was not recorded either: once the volunteer has the points, the same envelope goes through.
  for (uint32_t day = 0; day < 4; ++day) t.ok(t.secretary, {Credit{TestStreet::service(poor, 180, ago(day + 2))}});
  auto later = t.ledger->submit(refused);
  BOOST_TEST_MESSAGE(later.status.to_string());
  BOOST_TEST(later.status.is_ok());
  BOOST_TEST(!later.duplicate);
}

BOOST_AUTO_TEST_CASE(the_same_envelope_twice_in_one_group_is_recorded_once) {
  TestStreet t;
  auto envelope = t.sign(t.secretary, {Credit{TestStreet::service("v1", 60)}});
  auto outcomes = t.ledger->commit(prepared({envelope, envelope}));
  BOOST_REQUIRE(outcomes[0].status.is_ok());
  BOOST_REQUIRE(outcomes[1].status.is_ok());
  BOOST_TEST(outcomes[1].duplicate);
  BOOST_TEST(outcomes[1].receipt.seq == outcomes[0].receipt.seq);
  BOOST_TEST((outcomes[1].receipt.entry_hash == outcomes[0].receipt.entry_hash));
  BOOST_TEST(outcomes[1].receipt.checkpoint_size == outcomes[0].receipt.checkpoint_size);
  BOOST_TEST(t.balance("v1") == 12);
}

BOOST_AUTO_TEST_CASE(every_receipt_of_a_group_names_a_checkpoint_that_exists) {
  // A resend of an older entry in the middle of a group that adds new ones: its receipt must name
  // a stored checkpoint covering it, not the tree size half-way through the group.
  TestStreet t;
  auto old_envelope = t.sign(t.secretary, {Credit{TestStreet::service("v1", 60)}});
  BOOST_REQUIRE(t.ledger->submit(old_envelope).status.is_ok());
  auto outcomes = t.ledger->commit(prepared({t.sign(t.secretary, {Credit{TestStreet::service("v2", 10)}}), old_envelope,
                                             t.sign(t.secretary, {Credit{TestStreet::service("v2", 20)}})}));
  for (const auto& outcome : outcomes) {
    BOOST_REQUIRE(outcome.status.is_ok());
    BOOST_TEST(outcome.receipt.seq < outcome.receipt.checkpoint_size);
    BOOST_TEST(t.ledger->checkpoint(outcome.receipt.checkpoint_size).is_ok());
  }
  BOOST_TEST(outcomes[1].duplicate);
}

BOOST_AUTO_TEST_CASE(malformed_envelope_bytes_are_refused_before_the_writer) {
  TestStreet t;
  SignedEnvelope junk;
  junk.envelope = std::string("\x01garbage", 8);
  auto prepared_junk = ledger::Ledger::prepare(junk);
  BOOST_TEST((prepared_junk.status.code() == Status::Code::kInvalidArgument));
  auto outcomes = t.ledger->commit({std::move(prepared_junk)});
  BOOST_TEST((outcomes[0].status.code() == Status::Code::kInvalidArgument));
  BOOST_TEST(t.ledger->info().size == 4u);
}

BOOST_AUTO_TEST_CASE(reopen_after_close_keeps_everything) {
  TestStreet t;
  const uint64_t claim = t.ok(t.secretary, {Claim{TestStreet::service("v1", 60)}});
  t.ok(t.secretary, {Credit{TestStreet::service("v2", 180)}, Credit{TestStreet::service("v2", 180, ago(1))}});
  t.ok(t.merchant, {Redeem{"v2", "dumplings", 1}});
  t.ok(t.council, {Approve{{claim, 0}}});
  const std::string before = t.render();
  t.reopen();
  BOOST_TEST(t.render() == before);
  auto history = t.ledger->history(AccountKind::kVolunteer, "v2");
  BOOST_REQUIRE(history.is_ok());
  BOOST_TEST(history->size() == 3u);
  // And it keeps working after the restart.
  t.ok(t.secretary, {Credit{TestStreet::service("v1", 60, ago(3))}});
}

BOOST_AUTO_TEST_CASE(state_snapshots_and_replay_agree) {
  // A snapshot after every few postings: reopening replays from the last one.
  TestStreet t(3);
  for (uint32_t day = 0; day < 12; ++day) {
    t.ok(t.secretary, {Credit{TestStreet::service(day % 2 ? "v1" : "v2", 120, ago(day))}});
  }
  const uint64_t redeemed = t.ok(t.merchant, {Redeem{"v1", "dumplings", 1}});
  t.ok(t.merchant, {Reverse{redeemed, "returned"}});
  const std::string before = t.render();
  t.reopen();
  BOOST_TEST(t.render() == before);
  t.close();
  require_verifies(t.dir.path());
}

BOOST_AUTO_TEST_CASE(history_adds_up_to_the_balance_while_snapshots_are_written) {
  // Snapshots every few postings are written in the background; the passbook must never count a
  // posting twice (once from the column, once from memory) nor miss one.
  TestStreet t(4);
  for (uint32_t day = 0; day < 40; ++day) {
    t.ok(t.secretary, {Credit{TestStreet::service("v1", 30, ago(day % 50))}});
    auto history = t.ledger->history(AccountKind::kVolunteer, "v1");
    BOOST_REQUIRE(history.is_ok());
    BOOST_REQUIRE(history->size() == day + 1);
    BOOST_TEST(history->back().balance_after == t.balance("v1"));
  }
}

BOOST_AUTO_TEST_CASE(snapshots_keep_each_accounts_postings_apart) {
  // Snapshots write the index account by account. Ids that begin alike ("v1", "v12", "v1x")
  // must keep their own postings, and a reversal that posts twice to one account in one
  // operation must count both.
  TestStreet t(3);
  t.ok(t.secretary, {OpenAccount{"v12", std::nullopt, std::nullopt},
                     OpenAccount{"v1x", std::nullopt, std::nullopt}});
  const uint64_t twice = t.ok(t.secretary, {Credit{TestStreet::service("v1", 60, ago(30))},
                                            Credit{TestStreet::service("v1", 30, ago(30))},
                                            Credit{TestStreet::service("v12", 60, ago(30))}});
  const std::vector<std::string> ids = {"v12", "v1", "v1x", "v2"};
  for (uint32_t day = 0; day < 24; ++day) {
    t.ok(t.secretary, {Credit{TestStreet::service(ids[day % ids.size()], 10 + day, ago(day))},
                       Credit{TestStreet::service(ids[(day + 1) % ids.size()], 20, ago(day))}});
  }
  t.ok(t.council, {Reverse{twice, "entered twice"}});
  auto check_histories = [&] {
    for (const std::string& id : ids) {
      auto history = t.ledger->history(AccountKind::kVolunteer, id);
      BOOST_REQUIRE_MESSAGE(history.is_ok(), history.status().to_string());
      int64_t sum = 0;
      for (const auto& line : *history) sum += line.delta;
      BOOST_TEST(sum == t.balance(id), id);
      BOOST_TEST(history->back().balance_after == t.balance(id), id);
    }
  };
  check_histories();
  // The reversal took back 90 minutes (18 points) from v1 in one operation, two postings.
  auto v1 = t.ledger->history(AccountKind::kVolunteer, "v1");
  BOOST_REQUIRE(v1.is_ok());
  BOOST_TEST(v1->back().delta == -18);
  const std::string before = t.render();
  t.reopen();
  BOOST_TEST(t.render() == before);
  check_histories();
  t.close();
  require_verifies(t.dir.path());
}

BOOST_AUTO_TEST_CASE(a_snapshot_of_many_postings_is_written_in_parts_and_adds_up) {
  // A background snapshot writes its postings in batches of 16,384 rows, then its state. One of
  // more than 20,000 postings must add up while it is written, after reopening, and in verify.
  TestStreet t(20'000);
  std::vector<std::string> ids;
  std::vector<Operation> open;
  for (int i = 0; i < 200; ++i) {
    ids.push_back("w" + std::to_string(i));
    open.emplace_back(OpenAccount{ids.back(), std::nullopt, std::nullopt});
  }
  t.ok(t.secretary, open);
  for (uint32_t round = 0; round < 60; ++round) {
    std::vector<Operation> credits;
    for (const std::string& id : ids)
      credits.emplace_back(Credit{TestStreet::service(id, 10 + round, ago(round % 40))});
    t.ok(t.secretary, credits);
  }
  auto adds_up = [&](const std::string& id) {
    auto history = t.ledger->history(AccountKind::kVolunteer, id);
    BOOST_REQUIRE_MESSAGE(history.is_ok(), history.status().to_string());
    BOOST_TEST(history->size() == 60u, id);
    int64_t sum = 0;
    for (const auto& line : *history) sum += line.delta;
    BOOST_TEST(sum == t.balance(id), id);
  };
  for (const std::string& id : {ids.front(), ids[77], ids.back()}) adds_up(id);
  const std::string before = t.render();
  t.reopen();
  BOOST_TEST(t.render() == before);
  for (const std::string& id : {ids.front(), ids[77], ids.back()}) adds_up(id);
  t.close();
  require_verifies(t.dir.path());
}

BOOST_AUTO_TEST_CASE(a_copy_taken_while_running_recovers_every_acknowledged_entry) {
  // The files on disk while the ledger runs are what a crash leaves behind: entries are synced,
  // the state snapshot is older. Opening the copy must replay the difference.
  TestStreet t;
  std::vector<ledger::Outcome> receipts;
  for (uint32_t day = 0; day < 8; ++day) {
    receipts.push_back(t.submit(t.secretary, {Credit{TestStreet::service("v1", 60, ago(day))}}));
  }
  const uint64_t claim = t.ok(t.secretary, {Claim{TestStreet::service("v2", 60)}});
  t.ok(t.council, {Approve{{claim, 0}}});
  const std::string running = t.render();
  TempDir copy;
  std::filesystem::copy(t.dir.path(), copy.path(), std::filesystem::copy_options::recursive |
                                                       std::filesystem::copy_options::overwrite_existing);
  std::filesystem::remove(copy.path() / "db" / "LOCK");
  ledger::Options options = t.options();
  options.data_dir = copy.path();
  auto recovered = ledger::Ledger::open(options);
  BOOST_REQUIRE_MESSAGE(recovered.is_ok(), recovered.status().to_string());
  for (const auto& receipt : receipts) {
    BOOST_REQUIRE(receipt.status.is_ok());
    auto entry = (*recovered)->entry(receipt.receipt.seq);
    BOOST_REQUIRE(entry.is_ok());
    BOOST_TEST((entry->leaf_hash == receipt.receipt.entry_hash));
  }
  std::swap(t.ledger, *recovered);
  BOOST_TEST(t.render() == running);
  std::swap(t.ledger, *recovered);
  BOOST_REQUIRE((*recovered)->close().is_ok());
  require_verifies(copy.path());
}

BOOST_AUTO_TEST_CASE(a_second_writer_is_refused_while_the_ledger_is_open) {
  TestStreet t;
  auto second = ledger::Ledger::open(t.options());
  BOOST_TEST((second.status().code() == Status::Code::kUnavailable));
  BOOST_TEST(second.status().message().find("in use") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_ledger_key_must_match_the_genesis) {
  TestStreet t;
  t.close();
  const auto other = t.dir.path() / "keys" / "other.key";
  BOOST_REQUIRE(make_key().save(other).is_ok());
  ledger::Options options = t.options();
  options.ledger_key_file = other;
  auto opened = ledger::Ledger::open(options);
  BOOST_TEST((opened.status().code() == Status::Code::kPermissionDenied));
}

BOOST_AUTO_TEST_CASE(genesis_must_be_signed_by_its_admin) {
  TempDir dir;
  auto admin = make_key();
  auto impostor = make_key();
  auto ledger_key = make_key();
  std::filesystem::create_directories(dir.path() / "keys");
  BOOST_REQUIRE(ledger_key.save(dir.path() / "keys" / "ledger.key").is_ok());
  Genesis genesis;
  genesis.origin = "test.example/x";
  genesis.admin_key = admin.public_key();
  genesis.admin_name = "office";
  genesis.ledger_key = ledger_key.public_key();
  LedgerId id{};
  auto envelope = client::sign_envelope(id, impostor, {genesis});
  ledger::Options options;
  options.data_dir = dir.path();
  auto created = ledger::Ledger::create(options, *envelope);
  BOOST_TEST((created.status().code() == Status::Code::kUnauthenticated));
  // Nothing half-made is left behind: a correct genesis can follow.
  auto good = client::sign_envelope(id, admin, {genesis});
  auto second = ledger::Ledger::create(options, *good);
  BOOST_TEST_MESSAGE(second.status().to_string());
  BOOST_TEST(second.is_ok());
}

BOOST_AUTO_TEST_SUITE_END()
