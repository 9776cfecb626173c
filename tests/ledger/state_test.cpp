// The state tables' undo and dirty bookkeeping: what a snapshot writes after changes that were
// kept, taken back, or taken back again and again.
#include <boost/test/unit_test.hpp>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../../ledger/src/state.h"

using namespace passbook;
using namespace passbook::ledger;

namespace {

// What the next snapshot would write: key -> value, or "(deleted)".
std::map<std::string, std::string> drained(Table<Counter>& table) {
  std::map<std::string, std::string> rows;
  size_t calls = 0;
  table.drain_dirty([&](const std::string& key, const std::optional<std::string>& value) {
    ++calls;
    rows[key] =
        value ? std::to_string(schemas::decode<Counter>(*value, "row")->value) : "(deleted)";
  });
  BOOST_TEST(calls >= rows.size());
  return rows;
}

int64_t value_of(const Table<Counter>& table, const std::string& key) {
  const Counter* c = table.find(key);
  return c ? c->value : -1;
}

// A table with rows a=1 and b=2, stored (nothing dirty).
void stored_a_and_b(Table<Counter>& table) {
  Txn txn;
  table.put(txn, "a", Counter{1});
  table.put(txn, "b", Counter{2});
  txn.commit();
  (void)drained(table);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(state_test)

BOOST_AUTO_TEST_CASE(a_rolled_back_envelope_leaves_nothing_to_write) {
  Table<Counter> table('d');
  stored_a_and_b(table);
  Txn txn;
  table.put(txn, "a", Counter{10});  // changed
  table.erase(txn, "b");             // erased
  table.put(txn, "c", Counter{3});   // new
  table.put(txn, "c", Counter{4});   // changed again
  txn.rollback();
  BOOST_TEST(value_of(table, "a") == 1);
  BOOST_TEST(value_of(table, "b") == 2);
  BOOST_TEST(value_of(table, "c") == -1);
  BOOST_TEST(drained(table).empty());
}

BOOST_AUTO_TEST_CASE(kept_changes_are_written_once_each) {
  Table<Counter> table('d');
  stored_a_and_b(table);
  Txn group;
  for (int i = 0; i < 3; ++i) {
    Txn envelope;
    table.put(envelope, "a", Counter{10 + i});
    envelope.merge_into(group);
  }
  {
    Txn envelope;
    table.erase(envelope, "b");
    table.put(envelope, "b", Counter{20});  // erased and put again: listed twice, written once
    table.erase(envelope, "c");             // not there: nothing
    envelope.merge_into(group);
  }
  group.commit();
  const std::map<std::string, std::string> expected = {{"da", "12"}, {"db", "20"}};
  BOOST_TEST((drained(table) == expected));
  BOOST_TEST(drained(table).empty());
}

BOOST_AUTO_TEST_CASE(an_envelope_rolled_back_inside_a_group_keeps_the_groups_changes) {
  Table<Counter> table('d');
  stored_a_and_b(table);
  Txn group;
  {
    Txn first;
    table.put(first, "a", Counter{5});
    first.merge_into(group);
  }
  {
    Txn second;  // refused half-way
    table.put(second, "a", Counter{6});
    table.erase(second, "b");
    second.rollback();
  }
  group.commit();
  const std::map<std::string, std::string> expected = {{"da", "5"}};
  BOOST_TEST((drained(table) == expected));
  BOOST_TEST(value_of(table, "b") == 2);
}

BOOST_AUTO_TEST_CASE(a_group_whose_write_failed_is_taken_back_whole) {
  Table<Counter> table('d');
  stored_a_and_b(table);
  {
    Txn dirty;  // a change kept before the group, not yet written by a snapshot
    table.put(dirty, "a", Counter{7});
    dirty.commit();
  }
  Txn group;
  for (int i = 0; i < 2; ++i) {
    Txn envelope;
    table.put(envelope, "a", Counter{100 + i});
    table.erase(envelope, "b");
    table.put(envelope, "n" + std::to_string(i), Counter{1});
    envelope.merge_into(group);
  }
  group.rollback();
  BOOST_TEST(value_of(table, "a") == 7);
  BOOST_TEST(value_of(table, "b") == 2);
  // The change kept before the group is still to be written; nothing of the group is.
  const std::map<std::string, std::string> expected = {{"da", "7"}};
  BOOST_TEST((drained(table) == expected));
}

BOOST_AUTO_TEST_CASE(a_row_changed_erased_and_put_again_in_one_envelope_comes_back_whole) {
  // The undo entries of one row follow it through its erase: taking them back, newest first,
  // must find the row where the older ones left it.
  Table<Counter> table('d');
  stored_a_and_b(table);
  Txn envelope;
  table.update(envelope, "a")->value = 10;
  table.erase(envelope, "a");
  table.put(envelope, "a", Counter{11});
  table.update(envelope, "a")->value = 12;
  table.erase(envelope, "a");
  BOOST_TEST(value_of(table, "a") == -1);
  envelope.rollback();
  BOOST_TEST(value_of(table, "a") == 1);
  BOOST_TEST(drained(table).empty());
  BOOST_TEST(table.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_kept_erase_is_written_as_a_deletion_unless_the_row_was_put_again) {
  Table<Counter> table('d');
  stored_a_and_b(table);
  {
    Txn envelope;
    table.update(envelope, "b")->value = 5;
    table.erase(envelope, "b");
    BOOST_TEST(table.update(envelope, "b") == nullptr);
    envelope.commit();
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> calls;
  auto record = [&](const std::string& key, const std::optional<std::string>& value) {
    calls.emplace_back(key, value);
  };
  table.drain_dirty(record);
  BOOST_REQUIRE(calls.size() == 1u);
  BOOST_TEST(calls[0].first == "db");
  BOOST_TEST(!calls[0].second.has_value());
  // Erased, then put again before the next snapshot: written once, as the row (a snapshot
  // sorts its rows by key, so a deletion of the same key could land after it).
  calls.clear();
  {
    Txn envelope;
    table.erase(envelope, "a");
    table.put(envelope, "a", Counter{8});
    envelope.commit();
  }
  table.drain_dirty(record);
  BOOST_REQUIRE(calls.size() == 1u);
  BOOST_TEST(calls[0].first == "da");
  BOOST_REQUIRE(calls[0].second.has_value());
  BOOST_TEST(schemas::decode<Counter>(*calls[0].second, "row")->value == 8);
  BOOST_TEST(value_of(table, "a") == 8);
  BOOST_TEST(value_of(table, "b") == -1);
}

BOOST_AUTO_TEST_CASE(envelopes_refused_again_and_again_list_nothing) {
  Table<Counter> table('d');
  stored_a_and_b(table);
  for (int i = 0; i < 10'000; ++i) {
    Txn envelope;
    table.put(envelope, "new", Counter{1});
    table.put(envelope, "a", Counter{i});
    envelope.rollback();
  }
  size_t listed = 0;
  table.drain_dirty([&](const std::string&, const std::optional<std::string>&) { ++listed; });
  BOOST_TEST(listed == 0u);
}

// verify never stores its replay: it forgets what changed, and only what changes after that is
// listed again. The rows themselves stay as they were changed.
BOOST_AUTO_TEST_CASE(forgotten_changes_are_not_written_and_later_ones_are) {
  Table<Counter> table('d');
  stored_a_and_b(table);
  Txn txn;
  table.put(txn, "a", Counter{5});
  table.erase(txn, "b");
  table.put(txn, "c", Counter{3});
  txn.commit();
  table.forget_dirty();
  BOOST_TEST(drained(table).empty());
  BOOST_TEST(value_of(table, "a") == 5);
  BOOST_TEST(value_of(table, "b") == -1);
  BOOST_TEST(value_of(table, "c") == 3);

  Txn later;
  table.put(later, "a", Counter{6});
  table.erase(later, "c");
  later.commit();
  const std::map<std::string, std::string> expected = {{"da", "6"}, {"dc", "(deleted)"}};
  BOOST_TEST((drained(table) == expected));
}

// A history query reads the index tail: a posting taken back must be gone from it, and one
// added onto a posting of the same operation (a reversal of several) must come off that one.
BOOST_AUTO_TEST_CASE(postings_taken_back_leave_the_kept_ones_as_they_were) {
  IndexTail index;
  Txn group;
  Txn first;
  index.add(first, "vamy", 5, 0, 10);
  index.add(first, "bnorth", 5, 0, -10);
  index.add(first, "vamy", 6, 0, 7);
  first.merge_into(group);

  Txn second;
  index.add(second, "vamy", 6, 0, 3);  // onto the posting of 6.0: one posting of 10
  index.add(second, "vamy", 7, 1, 4);
  index.add(second, "bnorth", 7, 1, -4);
  BOOST_TEST(*index.find("vamy", 6, 0) == 10);
  BOOST_TEST(index.size() == 5u);
  second.rollback();

  BOOST_TEST(*index.find("vamy", 6, 0) == 7);
  BOOST_TEST(!index.find("vamy", 7, 1).has_value());
  BOOST_TEST(!index.find("bnorth", 7, 1).has_value());
  BOOST_TEST(index.size() == 3u);
  group.commit();
  const std::vector<Posting> kept = index.account("vamy");
  BOOST_REQUIRE(kept.size() == 2u);
  BOOST_TEST(kept[0].seq == 5u);
  BOOST_TEST(kept[0].delta == 10);
  BOOST_TEST(kept[1].seq == 6u);
  BOOST_TEST(kept[1].delta == 7);
  BOOST_TEST(index.take_all().size() == 2u);
  BOOST_TEST(index.size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
