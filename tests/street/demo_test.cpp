// passbook demo grows a believable street: even a small one (60 volunteers, 3 branches, 3 months)
// holds every kind of operation the ledger knows, names volunteers off the chain, and verifies.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>

#include "names_store.h"
#include "street/street_harness.h"

using namespace passbook::test::street;

BOOST_AUTO_TEST_SUITE(demo_test)

BOOST_AUTO_TEST_CASE(a_small_street_holds_every_kind_of_operation) {
  Street street({"--volunteers", "60", "--branches", "3", "--months", "3"});
  std::map<std::string, size_t> kinds;
  int64_t last_commit_ms = 0;
  const std::string out = street.ok({"export"});
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    auto value = passbook::cli::json::parse(line);
    BOOST_REQUIRE(value.is_ok());
    const auto* field = value->find("entry");
    if (field == nullptr) continue;
    auto entry = passbook::schemas::decode<passbook::schemas::Entry>(
        *passbook::from_base64(field->text), "entry");
    BOOST_REQUIRE(entry.is_ok());
    last_commit_ms = std::max(last_commit_ms, entry->commit_ms);
    auto envelope = passbook::schemas::decode<passbook::schemas::Envelope>(
        entry->signed_envelope.envelope, "envelope");
    BOOST_REQUIRE(envelope.is_ok());
    for (const auto& op : envelope->ops)
      ++kinds[std::string(passbook::schemas::operation_name(op))];
  }
  for (const char* kind :
       {"genesis", "register_actor", "revoke_actor", "open_account", "set_rule", "credit", "claim",
        "approve", "reject", "import", "list_reward", "restock", "delist", "redeem", "reserve",
        "deliver", "cancel", "reverse", "settle"}) {
    BOOST_TEST(kinds[kind] > 0u, "the demo street has no " << kind);
  }
  BOOST_TEST(kinds["credit"] > 300u);
  // Nothing is dated in the future, whatever the time of day in China: the ledger never dates a
  // commit before its last one, so a future entry made every envelope signed after the demo
  // "too old" until the clock caught up (it did, in the small hours, China time).
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  BOOST_TEST(last_commit_ms <= now_ms);
  // Names live off the chain: one volunteer in twenty has none.
  passbook::cli::NamesStore names(std::filesystem::path(street.data()) / "names");
  auto all = names.list();
  BOOST_REQUIRE(all.is_ok());
  BOOST_TEST(all->size() == 57u);
  const RunResult verify = street.run({"verify"});
  BOOST_TEST(verify.exit_code == 0, verify.err);
  // The street has branches of several communities and merchants with their shop names.
  const std::string report = street.ok({"report", "--branch", "yzs-1", "--from", "2000-01-01",
                                        "--to", "2199-12-31", "--lang", "zh"});
  BOOST_TEST(contains(report, "燕子山社区第1网格党支部"));
  BOOST_TEST(contains(report, "利祥超市"));
}

BOOST_AUTO_TEST_CASE(the_same_seed_makes_the_same_street) {
  Street a;
  Street b;
  const auto head = [](const Street& s) {
    const std::string info = s.ok({"info"});
    return info.substr(info.find("entries"), info.find("last commit") - info.find("entries"));
  };
  // Same events, same keys; the clock (and so the hashes) follows today's date.
  BOOST_TEST(head(a).substr(0, head(a).find('\n')) == head(b).substr(0, head(b).find('\n')));
  BOOST_TEST(a.ok({"accounts"}) == b.ok({"accounts"}));
}

BOOST_AUTO_TEST_SUITE_END()
