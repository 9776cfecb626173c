// Offline verification catches every kind of tampering with a data directory and names the first
// entry it is visible at; rebuild restores the derived state bit for bit. The ledger is damaged
// behind the engine's back, row by row, through raw RocksDB access (raw_db.h).
#include <algorithm>
#include <bit>
#include <boost/test/unit_test.hpp>
#include <set>

#include "ledger/ledger_fixture.h"
#include "ledger/raw_db.h"
#include "passbook/ledger/verify.h"
#include "passbook/proof/note.h"

// The state records are the engine's private types; their encoding is what tampering changes.
#include "../../ledger/src/state_records.h"

using namespace passbook;
using namespace passbook::schemas;
using namespace passbook::testing;

namespace {

// A street after a few weeks of ordinary use: credits of three volunteers (one with a key),
// multi-operation envelopes, one group commit of several envelopes, a claim approved and one
// rejected, an import, redemptions (one co-signed), a reservation delivered and one held, a
// reversal, a settlement, a new actor. Closed, so that the database can be opened raw.
class BusyStreet : public TestStreet {
 public:
  BusyStreet() : volunteer(make_key()) {
    ok(secretary, {OpenAccount{"v3", std::nullopt, volunteer.public_key()}});
    ok(secretary, {SetRule{"b1", "patrol", 10, 240}});
    const char* ids[] = {"v1", "v2", "v3"};
    for (uint32_t day = 0; day < 18; ++day) {
      const uint64_t seq = ok(secretary, {Credit{service(ids[day % 3], 180, ago(day))}});
      if (day == 3) credit_to_reverse = seq;
    }
    ok(secretary,
       {Credit{service("v1", 60, kToday, "patrol")}, Credit{service("v2", 90, kToday, "patrol")}});
    // One group, one write, one checkpoint for five entries.
    std::vector<ledger::Prepared> group;
    for (uint32_t i = 0; i < 5; ++i) {
      group.push_back(ledger::Ledger::prepare(
          sign(secretary, {Credit{service(ids[i % 3], 30, ago(30 + i), "patrol")}})));
    }
    clock.now += 1000;
    for (const auto& outcome : ledger->commit(std::move(group))) {
      BOOST_REQUIRE_MESSAGE(outcome.status.is_ok(), outcome.status.to_string());
      group_end = outcome.receipt.checkpoint_size;
    }
    const uint64_t approved = ok(secretary, {Claim{service("v2", 120, ago(25))}});
    ok(council, {Approve{{approved, 0}}});
    const uint64_t rejected = ok(secretary, {Claim{service("v1", 60, ago(26))}});
    ok(council, {Reject{{rejected, 0}, "no sign-in sheet"}});
    Import paper;
    paper.service = service("v3", 600, 20240315, "property-services");
    paper.points = 75;
    paper.paper_ref = "book 1, page 3";
    ok(secretary, {paper});
    ok(merchant, {Redeem{"v1", "dumplings", 1}});
    cosigned = ok(merchant, {Redeem{"v3", "dumplings", 1}}, {0, {}, {&volunteer}});
    reversal = ok(council, {Reverse{credit_to_reverse, "wrong volunteer"}});
    ok(secretary, {Credit{service("v2", 180, ago(40))}});
    const uint64_t delivered = ok(merchant, {Reserve{"v2", "place", 1}});
    ok(merchant, {Deliver{{delivered, 0}}});
    ok(merchant, {Restock{"place", 1}});
    Import more = paper;
    more.service.account = "v1";
    more.points = 200;
    ok(secretary, {more});
    ok(merchant, {Reserve{"v1", "place", 1}});  // left held
    ok(admin, {Settle{"shop", 300, "voucher 2026-09"}});
    ok(admin, {RegisterActor{make_key().public_key(), Role::kAuditor, "", "district auditor"}});
    for (uint32_t i = 0; i < 4; ++i) {
      last_credit_v1 = ok(secretary, {Credit{service("v1", 60, ago(44 + i), "patrol")}});
      ok(secretary, {Credit{service(ids[1 + i % 2], 60, ago(44 + i), "patrol")}});
    }
    size = ledger->info().size;
    rendered = render();
    close();
    RawDb db(dir.path());
    entries = db.dump(Cf::kEntries);
    BOOST_REQUIRE(entries.size() == size);
  }

  [[nodiscard]] const std::string& entry_bytes(uint64_t seq) const {
    return entries.at(entry_key(seq));
  }

  proof::SigningKey volunteer;  // v3's key: v3 co-signs its redemptions
  uint64_t credit_to_reverse = 0;
  uint64_t reversal = 0;
  uint64_t cosigned = 0;
  uint64_t last_credit_v1 = 0;
  uint64_t group_end = 0;                      // the tree size of the group commit's checkpoint
  uint64_t size = 0;                           // entries in the chain
  std::string rendered;                        // everything a user could see, before any damage
  std::map<std::string, std::string> entries;  // the undamaged entries column
};

ledger::VerifyReport verified(const std::filesystem::path& dir) {
  ledger::VerifyOptions options;
  options.data_dir = dir;
  auto report = ledger::verify(options);
  BOOST_REQUIRE_MESSAGE(report.is_ok(), report.status().to_string());
  return std::move(report).value();
}

// One row to overwrite (value) or delete (nullopt).
struct Change {
  Cf cf;
  std::string key;
  std::optional<std::string> value;
};

void apply_changes(RawDb& db, const std::vector<Change>& changes) {
  for (const Change& c : changes) {
    if (c.value) {
      db.put(c.cf, c.key, *c.value);
    } else {
      db.erase(c.cf, c.key);
    }
  }
}

void apply_changes(const std::filesystem::path& dir, const std::vector<Change>& changes) {
  RawDb db(dir);
  apply_changes(db, changes);
}

// A closed ledger on the bench: damages it, verifies it, and undoes the damage before the next
// one (in the same raw session, to keep many cases cheap), so that one ledger serves many cases.
class Bench {
 public:
  explicit Bench(std::filesystem::path dir) : dir_(std::move(dir)) {}

  ledger::VerifyReport verify_with(const std::vector<Change>& changes) {
    {
      RawDb db(dir_);
      apply_changes(db, undo_);
      undo_.clear();
      for (const Change& c : changes) undo_.push_back({c.cf, c.key, db.get(c.cf, c.key)});
      std::reverse(undo_.begin(), undo_.end());
      apply_changes(db, changes);
    }
    return verified(dir_);
  }
  // Puts back what the last damage changed.
  void restore() {
    apply_changes(dir_, undo_);
    undo_.clear();
  }

 private:
  std::filesystem::path dir_;
  std::vector<Change> undo_;
};

// The report's first bad seq as text, "none" if it names none: readable when a check fails.
std::string first_bad(const ledger::VerifyReport& report) {
  const auto seq = report.first_bad_seq();
  return seq ? std::to_string(*seq) : "none";
}

std::string describe(const ledger::VerifyReport& report) {
  std::string out;
  for (const auto& p : report.problems) {
    out += "\n  at " + (p.seq ? std::to_string(*p.seq) : std::string("-")) + ": " + p.message;
  }
  return out.empty() ? "no problems" : out;
}

// The report finds the ledger damaged and names `seq` as the first bad entry.
void expect_first_bad(const ledger::VerifyReport& report, uint64_t seq) {
  BOOST_TEST_CONTEXT("the report: " << describe(report)) {
    BOOST_TEST(!report.ok());
    BOOST_TEST(first_bad(report) == std::to_string(seq));
  }
}

bool mentions(const ledger::VerifyReport& report, const std::string& words) {
  return std::any_of(report.problems.begin(), report.problems.end(),
                     [&](const auto& p) { return p.message.find(words) != std::string::npos; });
}

// The byte offsets of one entry worth flipping, by the field they fall in.
std::vector<std::pair<std::string, size_t>> offsets_in(const std::string& bytes) {
  const EntryLayout layout(bytes);
  std::vector<std::pair<std::string, size_t>> out = {
      {"version", EntryLayout::kVersion},
      {"seq (high byte)", EntryLayout::kSeq},
      {"seq (low byte)", EntryLayout::kSeq + 7},
      {"commit time (high byte)", EntryLayout::kCommitMs},
      {"commit time (low byte)", EntryLayout::kCommitMs + 7},
      {"prev hash (first byte)", EntryLayout::kPrevHash},
      {"prev hash (last byte)", EntryLayout::kPrevHash + 31},
      {"envelope length", EntryLayout::kEnvelopeLength + 3},
      {"envelope (first byte)", EntryLayout::kEnvelope},
      {"envelope (middle)", EntryLayout::kEnvelope + layout.envelope_bytes / 2},
      {"envelope (last byte)", layout.signature - 1},
      {"signature (first byte)", layout.signature},
      {"signature (last byte)", layout.cosignatures - 1},
      {"co-signature count", layout.cosignatures + 3},
  };
  if (layout.size > layout.cosignatures + 4) {
    out.emplace_back("co-signer key", layout.cosignatures + 4);
    out.emplace_back("co-signature", layout.size - 1);
  }
  return out;
}

// The checkpoint note with one bit of its signature flipped (the text left as it was).
std::string with_altered_signature(const std::string& note) {
  const size_t space = note.rfind(' ');
  BOOST_REQUIRE(space != std::string::npos && note.back() == '\n');
  auto raw = from_base64(std::string_view(note).substr(space + 1, note.size() - space - 2));
  BOOST_REQUIRE(raw.has_value());
  BOOST_REQUIRE(raw->size() == 4 + 64);
  (*raw)[4 + 20] = static_cast<char>((*raw)[4 + 20] ^ 0x10);
  return note.substr(0, space + 1) + to_base64(*raw) + "\n";
}

// Every row of one column of a closed ledger.
std::map<std::string, std::string> dump(const std::filesystem::path& dir, Cf cf) {
  RawDb db(dir);
  return db.dump(cf);
}

std::string first_difference(const std::map<std::string, std::string>& a,
                             const std::map<std::string, std::string>& b) {
  for (const auto& [key, value] : a) {
    auto it = b.find(key);
    if (it == b.end()) return "row " + to_hex(key) + " is missing after";
    if (it->second != value) return "row " + to_hex(key) + " differs";
  }
  for (const auto& [key, value] : b) {
    if (!a.contains(key)) return "row " + to_hex(key) + " is new after";
  }
  return "none";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(verify_test)

BOOST_AUTO_TEST_CASE(an_undamaged_ledger_verifies_and_says_what_it_checked) {
  BusyStreet t;
  BOOST_TEST_MESSAGE("the street has " << t.size << " entries");
  BOOST_TEST(t.size >= 30u);
  BOOST_TEST(t.size <= 60u);
  std::vector<std::pair<uint64_t, uint64_t>> progress;
  ledger::VerifyOptions options;
  options.data_dir = t.dir.path();
  options.progress = [&](uint64_t done, uint64_t total) { progress.emplace_back(done, total); };
  auto report = ledger::verify(options);
  BOOST_REQUIRE_MESSAGE(report.is_ok(), report.status().to_string());
  for (const auto& p : report->problems) BOOST_TEST_MESSAGE(p.message);
  BOOST_TEST(report->ok());
  BOOST_TEST(first_bad(*report) == "none");
  BOOST_TEST(report->entries == t.size);
  // Every commit wrote a checkpoint; the group of five wrote one for all of them.
  const auto checkpoints = dump(t.dir.path(), Cf::kCheckpoints);
  BOOST_TEST(report->checkpoints == checkpoints.size());
  BOOST_TEST(report->checkpoints > 0u);
  BOOST_TEST(report->checkpoints == t.size - 4);
  // Each entry's signature, the one co-signature, each checkpoint's signature.
  BOOST_TEST(report->signatures == t.size + 1 + report->checkpoints);
  BOOST_TEST(report->state_rows > 0u);
  BOOST_TEST(report->state_rows == dump(t.dir.path(), Cf::kState).size());
  BOOST_TEST(report->postings > 0u);
  size_t stored_postings = 0;
  for (const auto& [key, value] : dump(t.dir.path(), Cf::kIndex))
    stored_postings += decode_block(key, value).size();
  BOOST_TEST(report->postings == stored_postings);
  BOOST_REQUIRE(!progress.empty());
  BOOST_TEST(progress.back().first == t.size);
  BOOST_TEST(progress.back().second == t.size);
}

BOOST_AUTO_TEST_CASE(a_flipped_byte_in_any_field_of_an_entry_is_reported_at_that_entry) {
  BusyStreet t;
  Bench bench(t.dir.path());
  // Every field of: the first entry after genesis, an entry inside the group commit, the
  // co-signed redemption (its co-signature too), the last entry. Low and high bits in turn.
  for (const uint64_t seq : {uint64_t{1}, t.group_end - 3, t.cosigned, t.size - 1}) {
    const std::string& bytes = t.entry_bytes(seq);
    const auto offsets = offsets_in(bytes);
    for (size_t i = 0; i < offsets.size(); ++i) {
      const auto& [field, offset] = offsets[i];
      const uint8_t mask = i % 2 == 0 ? 0x01 : 0x80;
      BOOST_TEST_CONTEXT("entry " << seq << ", " << field << " (offset " << offset << "), mask "
                                  << int{mask}) {
        expect_first_bad(
            bench.verify_with({{Cf::kEntries, entry_key(seq), flip(bytes, offset, mask)}}), seq);
      }
    }
  }
  BOOST_TEST(offsets_in(t.entry_bytes(t.cosigned)).size() == 16u);  // its co-signature was hit
  // Genesis and every second entry, one field each, the fields taken in turn.
  for (uint64_t seq = 0; seq + 1 < t.size; seq += 2) {
    const std::string& bytes = t.entry_bytes(seq);
    const auto offsets = offsets_in(bytes);
    const auto& [field, offset] = offsets[(seq / 2) % offsets.size()];
    BOOST_TEST_CONTEXT("entry " << seq << ", " << field << " (offset " << offset << ")") {
      expect_first_bad(bench.verify_with({{Cf::kEntries, entry_key(seq), flip(bytes, offset)}}),
                       seq);
    }
  }
  bench.restore();
  BOOST_TEST(verified(t.dir.path()).ok());  // the damage was undone each time
}

BOOST_AUTO_TEST_CASE(an_entry_cut_short_or_lengthened_is_reported_at_that_entry) {
  BusyStreet t;
  Bench bench(t.dir.path());
  for (const uint64_t seq : {uint64_t{1}, t.size / 2, t.size - 1}) {
    const std::string& bytes = t.entry_bytes(seq);
    for (const std::string& damaged :
         {bytes.substr(0, bytes.size() - 1), bytes + std::string(1, '\0'), std::string()}) {
      BOOST_TEST_CONTEXT("entry " << seq << " stored as " << damaged.size() << " bytes") {
        expect_first_bad(bench.verify_with({{Cf::kEntries, entry_key(seq), damaged}}), seq);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(a_deleted_entry_is_reported_at_its_seq) {
  BusyStreet t;
  Bench bench(t.dir.path());
  for (const uint64_t seq : {uint64_t{0}, uint64_t{1}, t.group_end - 2, t.size / 2, t.size - 2}) {
    BOOST_TEST_CONTEXT("entry " << seq << " deleted") {
      auto report = bench.verify_with({{Cf::kEntries, entry_key(seq), std::nullopt}});
      expect_first_bad(report, seq);
      BOOST_TEST(mentions(report, "entry " + std::to_string(seq) + " is missing"));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_deleted_last_entry_is_reported_at_its_seq) {
  BusyStreet t;
  Bench bench(t.dir.path());
  const uint64_t last = t.size - 1;
  auto report = bench.verify_with({{Cf::kEntries, entry_key(last), std::nullopt}});
  expect_first_bad(report, last);
  BOOST_TEST(mentions(report, "head record"));
  expect_first_bad(bench.verify_with({{Cf::kEntries, entry_key(last - 2), std::nullopt},
                                      {Cf::kEntries, entry_key(last - 1), std::nullopt},
                                      {Cf::kEntries, entry_key(last), std::nullopt}}),
                   last - 2);
}

BOOST_AUTO_TEST_CASE(a_head_record_dated_after_the_last_entry_is_reported) {
  BusyStreet t;
  const std::string head = RawDb(t.dir.path()).at(Cf::kMeta, "head");
  // size u64 | last_hash [32] | last_commit_ms i64 (chain.h)
  BOOST_REQUIRE(head.size() == 48u);
  const std::string_view last_entry = t.entry_bytes(t.size - 1);
  BOOST_REQUIRE(head.substr(40) == last_entry.substr(EntryLayout::kCommitMs, 8));
  std::string forged = head.substr(0, 40);
  put_u64_be(forged, get_u64_be(head.substr(40)) + 365ull * 24 * 3600 * 1000);
  Bench bench(t.dir.path());
  expect_first_bad(bench.verify_with({{Cf::kMeta, "head", forged}}), t.size - 1);
  // The parts of the head verify does compare are caught.
  std::string wrong_size = head;
  wrong_size[7] = static_cast<char>(wrong_size[7] + 1);
  expect_first_bad(bench.verify_with({{Cf::kMeta, "head", wrong_size}}), t.size - 1);
  expect_first_bad(bench.verify_with({{Cf::kMeta, "head", flip(head, 8 + 31)}}), t.size - 1);
}

BOOST_AUTO_TEST_CASE(two_swapped_entries_are_reported_at_the_lower_seq) {
  BusyStreet t;
  Bench bench(t.dir.path());
  const std::vector<std::pair<uint64_t, uint64_t>> pairs = {{0, 1},
                                                            {1, 2},
                                                            {5, t.size / 2},
                                                            {t.group_end - 3, t.group_end - 2},
                                                            {t.size - 2, t.size - 1},
                                                            {2, t.size - 1}};
  for (const auto& [low, high] : pairs) {
    BOOST_TEST_CONTEXT("entries " << low << " and " << high << " swapped") {
      expect_first_bad(bench.verify_with({{Cf::kEntries, entry_key(low), t.entry_bytes(high)},
                                          {Cf::kEntries, entry_key(high), t.entry_bytes(low)}}),
                       low);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_hand_edited_balance_names_the_entry_that_last_changed_the_account) {
  BusyStreet t;
  Bench bench(t.dir.path());
  for (const std::string volunteer : {"v1", "v2", "v3"}) {
    const std::string key = volunteer_row_key(volunteer);
    const std::string stored = RawDb(t.dir.path()).at(Cf::kState, key);
    auto record = decode<ledger::AccountRecord>(stored, "account row");
    BOOST_REQUIRE_MESSAGE(record.is_ok(), record.status().to_string());
    BOOST_TEST_MESSAGE(volunteer << " has " << record->balance << ", last changed by entry "
                                 << record->last_seq);
    BOOST_REQUIRE(record->last_seq > record->opened_seq);
    for (const int64_t delta : {int64_t{1}, int64_t{-1}, int64_t{1000}}) {
      ledger::AccountRecord edited = *record;
      edited.balance += delta;
      auto bytes = try_encode(edited);
      BOOST_REQUIRE(bytes.is_ok());
      BOOST_TEST_CONTEXT(volunteer << "'s balance changed by " << delta) {
        auto report = bench.verify_with({{Cf::kState, key, *bytes}});
        expect_first_bad(report, record->last_seq);
        BOOST_TEST(mentions(report, "volunteer " + volunteer));
      }
    }
  }
  // The seq named is the account's last movement, not its opening: for v1, the last credit.
  auto v1 = decode<ledger::AccountRecord>(
      RawDb(t.dir.path()).at(Cf::kState, volunteer_row_key("v1")), "v1");
  BOOST_REQUIRE(v1.is_ok());
  BOOST_TEST(v1->last_seq == t.last_credit_v1);
}

BOOST_AUTO_TEST_CASE(a_damaged_state_row_of_any_kind_is_reported) {
  // The ledger record, actors, accounts, rules, rewards, daily-cap and per-person counters,
  // claims, reservations, reversal marks: one row of each kind altered, and one deleted.
  BusyStreet t;
  const auto state = dump(t.dir.path(), Cf::kState);
  Bench bench(t.dir.path());
  std::set<char> kinds;
  for (const auto& [key, value] : state) {
    if (!kinds.insert(key[0]).second) continue;
    BOOST_TEST_CONTEXT("the first state row of kind '" << key[0] << "'") {
      for (const auto& change : {Change{Cf::kState, key, flip(value, value.size() - 1)},
                                 Change{Cf::kState, key, std::nullopt}}) {
        auto report = bench.verify_with({change});
        BOOST_TEST(!report.ok());
        BOOST_TEST(mentions(report, "run passbook rebuild"), describe(report));
      }
    }
  }
  BOOST_TEST(kinds.size() == 10u);  // the street has rows of every kind
  // A row the chain never made.
  auto invented =
      bench.verify_with({{Cf::kState, volunteer_row_key("v9"), state.at(volunteer_row_key("v1"))}});
  BOOST_TEST(!invented.ok());
  BOOST_TEST(mentions(invented, "volunteer v9 is in the stored state but not in the chain"),
             describe(invented));
}

BOOST_AUTO_TEST_CASE(a_deleted_or_altered_merkle_node_is_reported_where_its_subtree_completes) {
  BusyStreet t;
  const auto nodes = dump(t.dir.path(), Cf::kMerkle);
  // The tree of `size` leaves has 2 * size - popcount(size) complete subtrees, all stored.
  BOOST_TEST(nodes.size() == 2 * t.size - static_cast<uint64_t>(std::popcount(t.size)));
  std::map<uint8_t, std::vector<uint64_t>> levels;  // level -> indexes stored
  for (const auto& [key, hash] : nodes) {
    BOOST_REQUIRE(key.size() == 9u);
    levels[static_cast<uint8_t>(key[0])].push_back(get_u64_be(std::string_view(key).substr(1)));
  }
  BOOST_TEST(levels.size() == 6u);  // more than 32 entries: subtrees up to level 5
  Bench bench(t.dir.path());
  // The first, a middle and the last node of every level, altered and deleted.
  for (const auto& [level, indexes] : levels) {
    for (const uint64_t index :
         std::set<uint64_t>{indexes.front(), indexes[indexes.size() / 2], indexes.back()}) {
      const std::string key = merkle_node_key(level, index);
      const uint64_t completes_at = ((index + 1) << level) - 1;  // the subtree's last leaf
      BOOST_TEST_CONTEXT("the Merkle node at level " << int{level} << ", index " << index) {
        auto altered = bench.verify_with({{Cf::kMerkle, key, flip(nodes.at(key), 31)}});
        expect_first_bad(altered, completes_at);
        if (level > 0) {
          BOOST_TEST(mentions(
              altered, "level " + std::to_string(level) + ", index " + std::to_string(index)));
        }
        expect_first_bad(bench.verify_with({{Cf::kMerkle, key, std::nullopt}}), completes_at);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(a_checkpoint_with_an_altered_signature_is_reported) {
  BusyStreet t;
  Bench bench(t.dir.path());
  for (const uint64_t size : {uint64_t{1}, t.group_end, t.size}) {
    const std::string note = RawDb(t.dir.path()).at(Cf::kCheckpoints, checkpoint_key(size));
    BOOST_TEST_CONTEXT("the checkpoint for size " << size) {
      auto report = bench.verify_with(
          {{Cf::kCheckpoints, checkpoint_key(size), with_altered_signature(note)}});
      expect_first_bad(report, size - 1);
      BOOST_TEST(
          mentions(report, "checkpoint for size " + std::to_string(size) + " does not verify"));
    }
  }
}

BOOST_AUTO_TEST_CASE(
    a_checkpoint_whose_root_does_not_match_is_reported_though_the_ledger_key_signed_it) {
  BusyStreet t;
  const std::vector<uint64_t> sizes = {2, t.group_end, t.size};
  // For each size, the root of the tree one entry smaller: a real root, just not this size's.
  std::vector<Hash32> wrong_roots;
  {
    auto reopened = ledger::Ledger::open(t.options());
    BOOST_REQUIRE(reopened.is_ok());
    for (const uint64_t size : sizes) wrong_roots.push_back((*reopened)->root_at(size - 1).value());
  }
  Bench bench(t.dir.path());
  for (size_t i = 0; i < sizes.size(); ++i) {
    const uint64_t size = sizes[i];
    BOOST_TEST_CONTEXT("the checkpoint for size " << size) {
      const proof::Checkpoint checkpoint{"test.example/passbook", size, wrong_roots[i], {}};
      const std::string forged = proof::sign_note(proof::format_checkpoint(checkpoint),
                                                  "test.example/passbook", t.ledger_key);
      auto report = bench.verify_with({{Cf::kCheckpoints, checkpoint_key(size), forged}});
      expect_first_bad(report, size - 1);
      BOOST_TEST(mentions(report, "does not match the root"));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_checkpoint_signed_by_another_key_is_reported) {
  BusyStreet t;
  const auto impostor = make_key();
  const std::string note = RawDb(t.dir.path()).at(Cf::kCheckpoints, checkpoint_key(t.group_end));
  const std::string text = note.substr(0, note.find("\n\n") + 1);
  const std::string forged = proof::sign_note(text, "test.example/passbook", impostor);
  BOOST_REQUIRE(forged != note);
  Bench bench(t.dir.path());
  expect_first_bad(bench.verify_with({{Cf::kCheckpoints, checkpoint_key(t.group_end), forged}}),
                   t.group_end - 1);
}

BOOST_AUTO_TEST_CASE(a_deleted_latest_checkpoint_is_reported) {
  BusyStreet t;
  apply_changes(t.dir.path(), {{Cf::kCheckpoints, checkpoint_key(t.size), std::nullopt}});
  BOOST_TEST((ledger::Ledger::open(t.options()).status().code() == Status::Code::kDataLoss));
  expect_first_bad(verified(t.dir.path()), t.size - 1);
}

BOOST_AUTO_TEST_CASE(a_deleted_or_altered_nonce_record_is_reported_at_its_entry) {
  // Without its nonce record an envelope could be committed a second time.
  BusyStreet t;
  const auto nonces = dump(t.dir.path(), Cf::kNonces);
  BOOST_REQUIRE(nonces.size() == t.size);
  Bench bench(t.dir.path());
  for (const auto& [key, value] : nonces) {
    const uint64_t seq = get_u64_be(value);
    if (seq % 10 != 7) continue;
    BOOST_TEST_CONTEXT("the nonce record of entry " << seq) {
      expect_first_bad(bench.verify_with({{Cf::kNonces, key, std::nullopt}}), seq);
      expect_first_bad(bench.verify_with({{Cf::kNonces, key, u64_key(seq + 1)}}), seq);
    }
  }
}

// The one index row of an account in BusyStreet (each has fewer than 128 postings).
std::pair<std::string, std::vector<RawPosting>> only_block(const std::filesystem::path& dir,
                                                           std::string_view account_key) {
  std::string prefix(account_key);
  prefix.push_back('\0');
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& [key, value] : dump(dir, Cf::kIndex)) {
    if (key.compare(0, prefix.size(), prefix) == 0) rows.emplace_back(key, value);
  }
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  return {rows[0].first, decode_block(rows[0].first, rows[0].second)};
}

BOOST_AUTO_TEST_CASE(a_tampered_index_posting_makes_verify_fail) {
  BusyStreet t;
  const auto [key, postings] = only_block(t.dir.path(), "vv1");
  auto at = std::find_if(postings.begin(), postings.end(),
                         [&](const RawPosting& p) { return p.seq == t.last_credit_v1; });
  BOOST_REQUIRE(at != postings.end());
  BOOST_TEST(at->delta == 10);  // an hour of patrol
  const size_t i = static_cast<size_t>(at - postings.begin());
  BOOST_REQUIRE(i >= 2 && postings[i - 1].seq < t.last_credit_v1 - 1);
  auto changed = [&](auto edit) {
    std::vector<RawPosting> copy = postings;
    edit(copy);
    return encode_block(copy);
  };
  const std::string value = encode_block(postings);
  BOOST_REQUIRE(value == RawDb(t.dir.path()).at(Cf::kIndex, key));  // FORMAT.md's encoding
  const auto [v2_key, v2_postings] = only_block(t.dir.path(), "vv2");
  std::vector<RawPosting> invented = v2_postings;
  invented.insert(
      std::upper_bound(invented.begin(), invented.end(), RawPosting{t.cosigned, 0, 0},
                       [](const RawPosting& a, const RawPosting& b) { return a.seq < b.seq; }),
      RawPosting{t.cosigned, 0, 36});
  std::vector<RawPosting> too_many;
  for (uint64_t k = 0; k < 129; ++k) too_many.push_back({postings[0].seq + k, 0, 1});
  // A varint that does not end, after the last posting.
  const std::string unfinished = value + '\x81';
  const std::vector<std::pair<std::string, std::vector<Change>>> damages = {
      {"a posting's points changed",
       {{Cf::kIndex, key, changed([&](auto& c) { c[i].delta *= 2; })}}},
      {"a posting deleted", {{Cf::kIndex, key, changed([&](auto& c) { c.erase(c.begin() + i); })}}},
      {"a posting moved to another entry",
       {{Cf::kIndex, key, changed([&](auto& c) { --c[i].seq; })}}},
      {"a posting invented", {{Cf::kIndex, v2_key, encode_block(invented)}}},
      {"an account's row deleted", {{Cf::kIndex, key, std::nullopt}}},
      {"a row cut short", {{Cf::kIndex, key, value.substr(0, value.size() - 1)}}},
      {"a row with a varint cut short", {{Cf::kIndex, key, unfinished}}},
      {"a row with half a posting more", {{Cf::kIndex, key, value + '\x01'}}},
      {"a row with no postings", {{Cf::kIndex, key, std::string()}}},
      {"a row of 129 postings", {{Cf::kIndex, key, encode_block(too_many)}}},
      {"postings out of order",
       {{Cf::kIndex, key, changed([&](auto& c) { std::swap(c[i - 1], c[i]); })}}},
      {"a row split in two",
       {{Cf::kIndex, key, encode_block({postings.begin(), postings.begin() + 1})},
        {Cf::kIndex, posting_key('v', "v1", postings[1].seq, postings[1].op),
         encode_block({postings.begin() + 1, postings.end()})}}},
  };
  Bench bench(t.dir.path());
  for (const auto& [what, changes] : damages) {
    BOOST_TEST_CONTEXT(what) {
      auto report = bench.verify_with(changes);
      BOOST_TEST(!report.ok());
      BOOST_TEST(mentions(report, "account index"), describe(report));
    }
  }
  bench.restore();
  BOOST_TEST(verified(t.dir.path()).ok());
}

BOOST_AUTO_TEST_CASE(
    a_crash_between_snapshots_loses_nothing_and_postings_beyond_the_state_are_refused) {
  // A crash after the last snapshot leaves the postings of later entries unstored: the replay
  // at open makes them again, and the next snapshot stores them as a clean close would have.
  // A snapshot writes postings with its watermark, so a stored posting of an entry the stored
  // state does not cover is damage.
  TestStreet t;  // no snapshot before close: the stored state stays the setup's
  for (uint32_t day = 0; day < 12; ++day) {
    t.ok(t.secretary, {Credit{TestStreet::service(day % 2 ? "v1" : "v2", 60, ago(day))}});
  }
  const uint64_t redeemed = t.ok(t.merchant, {Redeem{"v1", "dumplings", 1}});
  t.ok(t.merchant, {Reverse{redeemed, "returned"}});
  const uint64_t size = t.ledger->info().size;
  const std::string rendered = t.render();
  // Each passbook line, so that a posting counted twice (stored and replayed) would show.
  const auto passbooks = [](const ledger::Ledger& ledger) {
    std::string out;
    for (const char* id : {"v1", "v2"}) {
      auto history = ledger.history(AccountKind::kVolunteer, id);
      BOOST_REQUIRE_MESSAGE(history.is_ok(), history.status().to_string());
      for (const auto& line : *history) {
        out += std::string(id) + " " + std::to_string(line.seq) + "/" + std::to_string(line.op) +
               " " + std::to_string(line.delta) + " " + std::to_string(line.balance_after) + "\n";
      }
    }
    return out;
  };
  const std::string lines = passbooks(*t.ledger);
  TempDir crashed;
  std::filesystem::copy(
      t.dir.path(), crashed.path(),
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
  std::filesystem::remove(crashed.path() / "db" / "LOCK");
  t.close();  // a clean close stores every posting
  const auto every_posting = dump(t.dir.path(), Cf::kIndex);
  const uint64_t through = get_u64_be(RawDb(crashed.path()).at(Cf::kMeta, "state_through"));
  BOOST_REQUIRE(through < size);
  auto report = verified(crashed.path());
  BOOST_TEST(report.ok(), describe(report));

  // A row of the clean index that holds postings of entries after the crashed copy's state.
  std::optional<std::pair<std::string, std::string>> ahead;
  for (const auto& [key, value] : every_posting) {
    const auto postings = decode_block(key, value);
    if (postings.back().seq >= through) ahead.emplace(key, value);
  }
  BOOST_REQUIRE(ahead.has_value());
  Bench bench(crashed.path());
  report = bench.verify_with({{Cf::kIndex, ahead->first, ahead->second}});
  BOOST_TEST(!report.ok());
  BOOST_TEST(mentions(report, "which the stored state does not cover"), describe(report));
  bench.restore();

  // Opened, it serves what it served before the crash; its next snapshot stores every posting.
  ledger::Options options = t.options();
  options.data_dir = crashed.path();
  auto recovered = ledger::Ledger::open(options);
  BOOST_REQUIRE_MESSAGE(recovered.is_ok(), recovered.status().to_string());
  std::swap(t.ledger, *recovered);
  BOOST_TEST(t.render() == rendered);
  std::swap(t.ledger, *recovered);
  BOOST_TEST(passbooks(**recovered) == lines);
  BOOST_REQUIRE((*recovered)->close().is_ok());
  BOOST_TEST(verified(crashed.path()).ok());
  BOOST_TEST((dump(crashed.path(), Cf::kIndex) == every_posting));
}

BOOST_AUTO_TEST_CASE(index_blocks_fill_up_across_snapshots_and_rebuild_makes_the_same_rows) {
  // Snapshots after every few postings, reopens in between: an account's postings still end up
  // in blocks of 128 (the last one shorter), the rows rebuild makes from the chain alone.
  TestStreet t(/*snapshot_every_postings=*/7);
  std::vector<uint64_t> credits;
  for (uint32_t day = 0; day < 10; ++day) {
    for (uint32_t i = 0; i < 3; ++i) {
      std::vector<schemas::Operation> ops;
      for (uint32_t k = 0; k < 10; ++k)
        ops.push_back(Credit{TestStreet::service("v1", 5, ago(day))});
      credits.push_back(t.ok(t.secretary, ops));
    }
    if (day % 4 == 3) t.reopen();
  }
  // A reversal reads the postings of an entry long since stored, in v1's first block.
  t.ok(t.council, {Reverse{credits[1], "entered twice"}});
  const std::string rendered = t.render();
  auto history = t.ledger->history(AccountKind::kVolunteer, "v1");
  BOOST_REQUIRE(history.is_ok());
  BOOST_TEST(history->size() == 301u);  // the ten movements of the reversal add up to one
  BOOST_TEST(history->back().balance_after == 290);
  t.close();

  const auto index = dump(t.dir.path(), Cf::kIndex);
  std::vector<size_t> v1_blocks;
  std::vector<RawPosting> v1;
  for (const auto& [key, value] : index) {
    if (key.compare(0, 4, std::string("vv1\0", 4)) != 0) continue;
    const auto postings = decode_block(key, value);
    v1_blocks.push_back(postings.size());
    v1.insert(v1.end(), postings.begin(), postings.end());
  }
  BOOST_TEST((v1_blocks == std::vector<size_t>{128, 128, 45}));
  BOOST_TEST(v1.size() == history->size());
  for (size_t i = 0; i < v1.size() && i < history->size(); ++i) {
    BOOST_TEST_CONTEXT("posting " << i) {
      BOOST_TEST(v1[i].seq == (*history)[i].seq);
      BOOST_TEST(v1[i].delta == (*history)[i].delta);
    }
  }
  auto report = verified(t.dir.path());
  BOOST_TEST(report.ok(), describe(report));
  BOOST_TEST(report.postings == 602u);  // v1 and the branch, each 301

  BOOST_REQUIRE(ledger::rebuild(t.dir.path()).is_ok());
  const auto rebuilt = dump(t.dir.path(), Cf::kIndex);
  BOOST_TEST((rebuilt == index), first_difference(index, rebuilt));
  t.reopen();
  BOOST_TEST(t.render() == rendered);
}

BOOST_AUTO_TEST_CASE(a_ledger_stored_before_index_blocks_is_refused_until_rebuilt) {
  // Its stored state has no index_format row (and one index row per posting): served as it is,
  // history and reversals would read those rows as damage.
  BusyStreet t;
  RawDb(t.dir.path()).erase(Cf::kMeta, "index_format");
  auto opened = ledger::Ledger::open(t.options());
  BOOST_REQUIRE(!opened.is_ok());
  BOOST_TEST((opened.status().code() == Status::Code::kFailedPrecondition));
  BOOST_TEST(opened.status().message().find("passbook rebuild") != std::string::npos,
             opened.status().message());
  auto report = verified(t.dir.path());
  BOOST_TEST(mentions(report, "passbook rebuild"), describe(report));
  BOOST_REQUIRE(ledger::rebuild(t.dir.path()).is_ok());
  BOOST_TEST(verified(t.dir.path()).ok());
  t.reopen();
  BOOST_TEST(t.render() == t.rendered);
}

BOOST_AUTO_TEST_CASE(rebuild_after_a_hand_edited_balance_restores_what_the_user_saw) {
  BusyStreet t;
  const auto state = dump(t.dir.path(), Cf::kState);
  const auto index = dump(t.dir.path(), Cf::kIndex);
  {
    RawDb db(t.dir.path());
    auto record = decode<ledger::AccountRecord>(db.at(Cf::kState, volunteer_row_key("v2")), "v2");
    BOOST_REQUIRE(record.is_ok());
    record->balance += 500;
    db.put(Cf::kState, volunteer_row_key("v2"), try_encode(*record).value());
  }
  BOOST_TEST(!verified(t.dir.path()).ok());
  // The forged balance is what a ledger opened from this directory would serve.
  t.reopen();
  BOOST_TEST(t.render() != t.rendered);
  t.close();

  BOOST_REQUIRE(ledger::rebuild(t.dir.path()).is_ok());
  BOOST_TEST(verified(t.dir.path()).ok());
  BOOST_TEST((dump(t.dir.path(), Cf::kState) == state));
  BOOST_TEST((dump(t.dir.path(), Cf::kIndex) == index));
  t.reopen();
  BOOST_TEST(t.render() == t.rendered);
}

BOOST_AUTO_TEST_CASE(rebuild_after_damaged_state_and_index_rows_restores_them) {
  BusyStreet t;
  const std::string v1_block = only_block(t.dir.path(), "vv1").first;
  const auto state = dump(t.dir.path(), Cf::kState);
  const auto index = dump(t.dir.path(), Cf::kIndex);
  {
    RawDb db(t.dir.path());
    db.erase(Cf::kState, volunteer_row_key("v3"));
    db.put(Cf::kState, volunteer_row_key("v9"), state.at(volunteer_row_key("v1")));
    db.erase(Cf::kIndex, v1_block);
    db.put(Cf::kIndex, posting_key('v', "v2", t.cosigned, 0), std::string(8, '\x01'));
  }
  BOOST_TEST(!verified(t.dir.path()).ok());
  BOOST_REQUIRE(ledger::rebuild(t.dir.path()).is_ok());
  BOOST_TEST(verified(t.dir.path()).ok());
  const auto rebuilt_state = dump(t.dir.path(), Cf::kState);
  BOOST_TEST((rebuilt_state == state), first_difference(state, rebuilt_state));
  const auto rebuilt_index = dump(t.dir.path(), Cf::kIndex);
  BOOST_TEST((rebuilt_index == index), first_difference(index, rebuilt_index));
  t.reopen();
  BOOST_TEST(t.render() == t.rendered);
}

BOOST_AUTO_TEST_CASE(rebuild_of_an_undamaged_ledger_reproduces_state_and_index_byte_for_byte) {
  BusyStreet t;
  const auto state = dump(t.dir.path(), Cf::kState);
  const auto index = dump(t.dir.path(), Cf::kIndex);
  const auto meta = dump(t.dir.path(), Cf::kMeta);
  const auto entries = dump(t.dir.path(), Cf::kEntries);
  BOOST_REQUIRE(!state.empty());
  BOOST_REQUIRE(!index.empty());
  BOOST_REQUIRE(ledger::rebuild(t.dir.path()).is_ok());
  const auto rebuilt_state = dump(t.dir.path(), Cf::kState);
  const auto rebuilt_index = dump(t.dir.path(), Cf::kIndex);
  BOOST_TEST(rebuilt_state.size() == state.size());
  BOOST_TEST((rebuilt_state == state), first_difference(state, rebuilt_state));
  BOOST_TEST(rebuilt_index.size() == index.size());
  BOOST_TEST((rebuilt_index == index), first_difference(index, rebuilt_index));
  BOOST_TEST((dump(t.dir.path(), Cf::kMeta) == meta));        // head and state watermark
  BOOST_TEST((dump(t.dir.path(), Cf::kEntries) == entries));  // the chain itself is untouched
  BOOST_TEST(verified(t.dir.path()).ok());
}

BOOST_AUTO_TEST_CASE(verify_of_a_directory_without_a_ledger_is_not_found) {
  TempDir empty;
  ledger::VerifyOptions options;
  options.data_dir = empty.path();
  auto report = ledger::verify(options);
  BOOST_TEST((report.status().code() == Status::Code::kNotFound));
  options.data_dir = empty.path() / "no-such-directory";
  report = ledger::verify(options);
  BOOST_TEST((report.status().code() == Status::Code::kNotFound));
  BOOST_TEST((ledger::rebuild(empty.path()).code() == Status::Code::kNotFound));
}

BOOST_AUTO_TEST_CASE(verify_and_rebuild_refuse_a_directory_a_ledger_has_open) {
  TestStreet t;
  t.ok(t.secretary, {Credit{TestStreet::service("v1", 60)}});
  const std::string before = t.render();
  ledger::VerifyOptions options;
  options.data_dir = t.dir.path();
  auto report = ledger::verify(options);
  BOOST_TEST((report.status().code() == Status::Code::kUnavailable));
  BOOST_TEST(report.status().message().find("in use") != std::string::npos);
  const Status rebuilt = ledger::rebuild(t.dir.path());
  BOOST_TEST((rebuilt.code() == Status::Code::kUnavailable));
  BOOST_TEST(rebuilt.message().find("in use") != std::string::npos);
  // The running ledger was not disturbed, and once it is closed the directory verifies.
  BOOST_TEST(t.render() == before);
  t.close();
  BOOST_TEST(verified(t.dir.path()).ok());
}

BOOST_AUTO_TEST_CASE(open_refuses_a_ledger_whose_last_entry_was_altered) {
  // The server opens the ledger before it serves it: a damaged tail must stop it there.
  BusyStreet t;
  const uint64_t last = t.size - 1;
  const std::string& bytes = t.entry_bytes(last);
  auto refusal = [&t]() -> Status {
    auto opened = ledger::Ledger::open(t.options());
    return opened.is_ok() ? Status::ok() : opened.status();
  };
  for (const auto& [field, offset] : offsets_in(bytes)) {
    BOOST_TEST_CONTEXT("entry " << last << ", " << field) {
      apply_changes(t.dir.path(), {{Cf::kEntries, entry_key(last), flip(bytes, offset)}});
      const Status refused = refusal();
      BOOST_TEST((refused.code() == Status::Code::kDataLoss), refused.to_string());
      BOOST_TEST(refused.message().find(std::to_string(last)) != std::string::npos,
                 refused.to_string());
      apply_changes(t.dir.path(), {{Cf::kEntries, entry_key(last), bytes}});
    }
  }
  // Deleted, and a latest checkpoint re-signed over another root: refused as well.
  apply_changes(t.dir.path(), {{Cf::kEntries, entry_key(last), std::nullopt}});
  BOOST_TEST((refusal().code() == Status::Code::kDataLoss));
  apply_changes(t.dir.path(), {{Cf::kEntries, entry_key(last), bytes}});
  const std::string note = RawDb(t.dir.path()).at(Cf::kCheckpoints, checkpoint_key(t.size));
  Hash32 wrong{};
  wrong.fill(0x42);
  apply_changes(
      t.dir.path(),
      {{Cf::kCheckpoints, checkpoint_key(t.size),
        proof::sign_note(proof::format_checkpoint({"test.example/passbook", t.size, wrong, {}}),
                         "test.example/passbook", t.ledger_key)}});
  BOOST_TEST((refusal().code() == Status::Code::kDataLoss));
  apply_changes(t.dir.path(), {{Cf::kCheckpoints, checkpoint_key(t.size), note}});
  // Repaired, it opens and serves what it served before.
  t.reopen();
  BOOST_TEST(t.render() == t.rendered);
}

BOOST_AUTO_TEST_SUITE_END()
