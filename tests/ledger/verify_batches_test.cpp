// Verify reads the chain in batches of 2,048 entries and checks one batch's signatures on other
// threads while it walks the batch before it. A ledger of several batches must verify on any
// number of threads, and damage in any batch must be named at its own entry, with the walk
// stopping there (nothing after the damage is trusted). The Merkle nodes are read in ranges per
// batch and the nonce records in one scan; damage to either is still named at its entry.
#include <boost/test/unit_test.hpp>

#include "ledger/ledger_fixture.h"
#include "ledger/raw_db.h"
#include "passbook/ledger/verify.h"

using namespace passbook;
using namespace passbook::schemas;
using namespace passbook::testing;

namespace {

// A street of about three and a half batches of entries, committed in groups as a server would.
class LongStreet : public TestStreet {
 public:
  static constexpr uint64_t kCredits = 7'000;

  LongStreet() {
    ok(admin, {SetRule{"", "patrol", 60, 0}});  // no daily cap for these credits
    const char* ids[] = {"v1", "v2"};
    for (uint64_t done = 0; done < kCredits;) {
      std::vector<ledger::Prepared> group;
      for (int i = 0; i < 500 && done < kCredits; ++i, ++done) {
        clock.now += 10;
        group.push_back(ledger::Ledger::prepare(
            sign(secretary, {Credit{service(ids[done % 2], 1, kToday, "patrol")}})));
      }
      for (const auto& outcome : ledger->commit(std::move(group))) {
        BOOST_REQUIRE_MESSAGE(outcome.status.is_ok(), outcome.status.to_string());
      }
    }
    size = ledger->info().size;
    close();
  }

  ledger::VerifyReport verify(unsigned threads) {
    ledger::VerifyOptions options;
    options.data_dir = dir.path();
    options.threads = threads;
    auto report = ledger::verify(options);
    BOOST_REQUIRE_MESSAGE(report.is_ok(), report.status().to_string());
    return std::move(report).value();
  }

  uint64_t size = 0;
};

std::string problems(const ledger::VerifyReport& report) {
  std::string out;
  for (const auto& p : report.problems) {
    out += "\n  at " + (p.seq ? std::to_string(*p.seq) : std::string("-")) + ": " + p.message;
  }
  return out.empty() ? "no problems" : out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(verify_batches_test)

BOOST_AUTO_TEST_CASE(a_ledger_of_several_batches_verifies_on_any_number_of_threads) {
  LongStreet t;
  BOOST_REQUIRE_GT(t.size, 3 * 2048u);
  for (unsigned threads : {1u, 2u, 3u}) {
    BOOST_TEST_CONTEXT(threads << " threads") {
      const auto report = t.verify(threads);
      BOOST_TEST(report.ok(), problems(report));
      BOOST_TEST(report.entries == t.size);
      BOOST_TEST(report.signatures >= t.size);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_bad_signature_in_any_batch_is_named_at_its_entry_and_stops_the_walk) {
  LongStreet t;
  // The first batch, the last entry of one batch and the first of the next, the last batch.
  for (const uint64_t seq : {uint64_t{5}, uint64_t{2047}, uint64_t{2048}, t.size - 2}) {
    std::string original;
    {
      RawDb db(t.dir.path());
      original = db.get(Cf::kEntries, entry_key(seq)).value();
      const EntryLayout layout(original);
      db.put(Cf::kEntries, entry_key(seq), flip(original, layout.signature + 7));
    }
    for (unsigned threads : {1u, 2u}) {
      BOOST_TEST_CONTEXT("entry " << seq << ", " << threads << " threads") {
        const auto report = t.verify(threads);
        BOOST_TEST(!report.ok());
        BOOST_TEST(report.first_bad_seq().value_or(0) == seq, problems(report));
        // The walk stopped at the damage: the entries after it were not counted as checked.
        BOOST_TEST(report.entries <= seq + 1);
      }
    }
    RawDb(t.dir.path()).put(Cf::kEntries, entry_key(seq), original);
  }
  BOOST_TEST(t.verify(2).ok());
}

BOOST_AUTO_TEST_CASE(nonce_records_are_checked_in_one_scan_and_damage_is_still_named) {
  // The nonces column is compared with the walk as a whole; a record deleted, pointed at another
  // entry, or invented is still reported, and the first two at their own entry.
  LongStreet t;
  std::string key;
  {
    RawDb db(t.dir.path());
    for (const auto& [k, v] : db.dump(Cf::kNonces)) {
      if (get_u64_be(v) == 3000) key = k;
    }
  }
  BOOST_REQUIRE(!key.empty());
  const auto damaged = [&](const std::optional<std::string>& value, const std::string& other_key) {
    {
      RawDb db(t.dir.path());
      if (value) {
        db.put(Cf::kNonces, other_key, *value);
      } else {
        db.erase(Cf::kNonces, other_key);
      }
    }
    return t.verify(2);
  };
  auto report = damaged(std::nullopt, key);
  BOOST_TEST(report.first_bad_seq().value_or(0) == 3000u, problems(report));
  report = damaged(u64_key(3001), key);
  BOOST_TEST(report.first_bad_seq().value_or(0) == 3000u, problems(report));
  damaged(u64_key(3000), key);
  BOOST_TEST(t.verify(2).ok());
  std::string invented = key;
  invented.back() = static_cast<char>(invented.back() ^ 0x01);
  report = damaged(u64_key(3000), invented);
  BOOST_TEST(!report.ok());
  BOOST_TEST(problems(report).find("nonce records") != std::string::npos, problems(report));
}

BOOST_AUTO_TEST_SUITE_END()
