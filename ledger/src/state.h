// The ledger's derived state in memory: typed tables with an undo log, so that an envelope that
// fails half-way, or a group whose write fails, leaves no trace. Changed rows are remembered and
// written to the `state` column family by a snapshot every so often (not on the commit path):
// after a crash the state is the last snapshot plus a replay of the entries after it.
//
// Not thread safe: the Ledger guards it with its own lock.
#pragma once

#include <cassert>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "index_blocks.h"
#include "passbook/schemas/status.h"
#include "state_records.h"

namespace passbook::ledger {

// Something that keeps its own stack of changes to take back: a table, the index tail. A Txn
// step names the stack instead of holding a function per change (a 100-credit envelope makes
// some 500 changes).
class UndoStack {
 public:
  virtual ~UndoStack() = default;
  // Takes back the newest change still on the stack, or forgets it (Txn only).
  virtual void undo_last() = 0;
  virtual void drop_last() = 0;
};

// An undo log. Every change to the state registers how to take it back: a table row's or a
// posting's change lives on its owner's UndoStack, anything else as a function. Transactions
// nest strictly (an envelope's inside its group's), so a stack's newest entries always belong to
// the innermost open transaction.
class Txn {
 public:
  Txn() = default;
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn() { assert(steps_.empty() && "a Txn must end in rollback(), merge_into() or commit()"); }

  void on_undo(std::function<void()> undo) { steps_.push_back({nullptr, std::move(undo)}); }
  // `stack` pushed one entry.
  void on_stack_undo(UndoStack* stack) { steps_.push_back({stack, {}}); }
  // Takes back every change, newest first.
  void rollback();
  // Hands the changes to an enclosing transaction (an envelope's to its group's).
  void merge_into(Txn& parent);
  // Keeps the changes for good.
  void commit();

 private:
  struct Step {
    UndoStack* stack;            // not null: undo its newest entry
    std::function<void()> undo;  // else this
  };
  std::vector<Step> steps_;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Called with every row to write (value) or delete (nullopt), keyed by its full state key.
using RowSink = std::function<void(const std::string& key, const std::optional<std::string>& value)>;

class TableBase : public UndoStack {
 public:
  explicit TableBase(char prefix) : prefix_(prefix) {}
  [[nodiscard]] char prefix() const { return prefix_; }
  // Writes the rows changed since the last call and forgets that they changed.
  virtual void drain_dirty(const RowSink& sink) = 0;
  // Forgets which rows changed, writing nothing: for a replay that is never stored (verify),
  // whose changed-row list and erased rows would otherwise grow with the whole chain.
  virtual void forget_dirty() = 0;
  // Every row, in no particular order.
  virtual void encode_all(const RowSink& sink) const = 0;
  // One row (key without the prefix), as a snapshot would store it; nullopt if there is none.
  [[nodiscard]] virtual std::optional<std::string> encoded(std::string_view key) const = 0;
  [[nodiscard]] virtual size_t size() const = 0;
  // Loads one stored row (key without the prefix).
  virtual Status load(std::string_view key, std::string_view value) = 0;
  // Forgets every row (before a reload from storage).
  virtual void clear() = 0;

 private:
  char prefix_;
};

// Rows live in hash-map nodes that stay where they are until the row is erased, so the undo
// stack and the dirty list point at nodes instead of copying keys (keys of long ids are heap
// strings, one allocation per copy on every change). An erased row's node is taken out of
// the map whole: an undo puts that same node back, so older undo entries still point at it,
// and once the erase is kept the node waits in graveyard_ until the next drain writes its
// deletion.
//
// The map is Abseil's node_hash_map, not std::unordered_map: the same stable nodes and node
// handles, but a lookup probes a flat array of control bytes where std::unordered_map walks from
// the node before in its bucket's list: one dependent cache miss fewer. A 100-credit replay is
// mostly such misses (three cold rows per credit, 289k rows).
template <class Record>
class Table final : public TableBase {
  struct Row;
  using Map = absl::node_hash_map<std::string, Row, StringHash, std::equal_to<>>;
  using Node = typename Map::value_type;

 public:
  using TableBase::TableBase;

  [[nodiscard]] const Record* find(std::string_view key) const {
    auto it = rows_.find(key);
    return it == rows_.end() ? nullptr : &it->second.record;
  }
  // The row's record, to change in place: its value before is kept for undo. Null if there is
  // no such row.
  Record* update(Txn& txn, std::string_view key) {
    auto it = rows_.find(key);
    if (it == rows_.end()) return nullptr;
    Node* node = &*it;
    const bool was_dirty = node->second.dirty;
    undo_.push_back({Change::kChanged, node, node->second.record, {}, was_dirty, !was_dirty});
    mark_dirty(node);
    txn.on_stack_undo(this);
    return &node->second.record;
  }

  void put(Txn& txn, std::string_view key, Record record) {
    auto it = rows_.find(key);
    if (it == rows_.end()) {
      Node* node = &*rows_.emplace(std::string(key), Row{std::move(record), true}).first;
      dirty_.push_back(node);
      undo_.push_back({Change::kNew, node, std::nullopt, {}, false, true});
    } else {
      Node* node = &*it;
      const bool was_dirty = node->second.dirty;
      undo_.push_back(
          {Change::kChanged, node, std::move(node->second.record), {}, was_dirty, !was_dirty});
      node->second.record = std::move(record);
      mark_dirty(node);
    }
    txn.on_stack_undo(this);
  }

  void erase(Txn& txn, std::string_view key) {
    auto it = rows_.find(key);
    if (it == rows_.end()) return;
    // Listed before it goes, so that the next drain deletes it.
    Node* node = &*it;
    const bool was_dirty = node->second.dirty;
    mark_dirty(node);
    node->second.erased = true;
    undo_.push_back(
        {Change::kErased, node, std::nullopt, rows_.extract(it), was_dirty, !was_dirty});
    txn.on_stack_undo(this);
  }

  template <class Fn>
  void for_each(Fn&& fn) const {
    for (const auto& [key, row] : rows_) fn(key, row.record);
  }
  [[nodiscard]] size_t size() const override { return rows_.size(); }

  void drain_dirty(const RowSink& sink) override {
    assert(undo_.empty() && "a snapshot between transactions only");
    // A key erased and put again is listed twice, as its old node and its new one: it is
    // written once, as the row. (A snapshot sorts its rows by key, so two writes of one key
    // could land in either order.)
    for (Node* node : dirty_) {
      Row& row = node->second;
      if (row.erased) {
        if (!rows_.contains(std::string_view(node->first)))
          sink(prefix() + node->first, std::nullopt);
      } else if (row.dirty) {
        row.dirty = false;
        sink(prefix() + node->first, schemas::try_encode(row.record).value());
      }
    }
    dirty_.clear();
    graveyard_.clear();
  }

  void forget_dirty() override {
    assert(undo_.empty() && "between transactions only");
    for (Node* node : dirty_) node->second.dirty = false;
    dirty_.clear();
    graveyard_.clear();
  }

  void encode_all(const RowSink& sink) const override {
    for (const auto& [key, row] : rows_) {
      sink(prefix() + key, schemas::try_encode(row.record).value());
    }
  }

  [[nodiscard]] std::optional<std::string> encoded(std::string_view key) const override {
    auto it = rows_.find(key);
    if (it == rows_.end()) return std::nullopt;
    return schemas::try_encode(it->second.record).value();
  }

  void clear() override {
    undo_.clear();
    dirty_.clear();
    graveyard_.clear();
    rows_.clear();
  }

  Status load(std::string_view key, std::string_view value) override {
    auto record = schemas::decode<Record>(value, "stored state row");
    if (!record.is_ok()) return data_loss(record.status().message());
    rows_.insert_or_assign(std::string(key), Row{std::move(record).value(), false});
    return Status::ok();
  }

  // Puts the row and its dirty flag back as they were, and unlists the row if the change
  // listed it: envelopes refused again and again list nothing.
  void undo_last() override {
    assert(!undo_.empty());
    Undo& undo = undo_.back();
    if (undo.listed) {
      assert(!dirty_.empty() && dirty_.back() == undo.node);
      dirty_.pop_back();
    }
    Row& row = undo.node->second;
    switch (undo.kind) {
      case Change::kNew:
        rows_.erase(rows_.find(std::string_view(undo.node->first)));
        break;
      case Change::kChanged:
        row.record = std::move(*undo.old);
        row.dirty = undo.was_dirty;
        break;
      case Change::kErased:
        row.erased = false;
        row.dirty = undo.was_dirty;
        rows_.insert(std::move(undo.erased));
        break;
    }
    undo_.pop_back();
  }
  void drop_last() override {
    assert(!undo_.empty());
    Undo& undo = undo_.back();
    if (undo.kind == Change::kErased) graveyard_.push_back(std::move(undo.erased));
    undo_.pop_back();
  }

 private:
  struct Row {
    Record record;
    bool dirty = false;   // listed in dirty_ since the last drain
    bool erased = false;  // taken out of rows_ (held by an undo entry or graveyard_)
  };
  enum class Change : uint8_t { kNew, kChanged, kErased };
  struct Undo {
    Change kind;
    Node* node;                      // the row changed
    std::optional<Record> old;       // kChanged: its record before
    typename Map::node_type erased;  // kErased: the row's node, to put back
    bool was_dirty = false;          // the row's flag before the change
    bool listed = false;             // the change appended the row to dirty_
  };
  void mark_dirty(Node* node) {
    if (node->second.dirty) return;
    node->second.dirty = true;
    dirty_.push_back(node);
  }

  Map rows_;
  // Rows changed or erased since the last drain, in the order they were first changed.
  std::vector<Node*> dirty_;
  std::vector<Undo> undo_;                          // newest last; the Txn says whose each one is
  std::vector<typename Map::node_type> graveyard_;  // erased rows still listed in dirty_
};

// Postings not yet written to the `index` column family, by account, each account's in chain
// order (so one envelope's postings are taken back from the ends). A snapshot freezes the
// current postings and writes them in the background; frozen postings stay visible to queries
// until that write is done. One operation may post to the same account more than once (a
// reversal of several operations): those add up to one posting.
class IndexTail final : public UndoStack {
 public:
  using ByAccount =
      absl::node_hash_map<std::string, std::vector<Posting>, StringHash, std::equal_to<>>;

  void add(Txn& txn, std::string_view account_key, uint64_t seq, uint32_t op, int64_t delta);
  [[nodiscard]] std::optional<int64_t> find(std::string_view account_key, uint64_t seq,
                                            uint32_t op) const;
  // Postings of one account key, oldest first.
  [[nodiscard]] std::vector<Posting> account(std::string_view account_key) const;
  // Hands the postings made so far to a snapshot; they stay readable until release_frozen().
  std::shared_ptr<const ByAccount> freeze();
  void release_frozen() { frozen_.reset(); }
  // Every posting not yet written; then forgets them. No snapshot may hold frozen postings.
  ByAccount take_all();
  // Postings made since the last freeze or take_all.
  [[nodiscard]] size_t size() const { return count_; }
  void clear() {
    undo_.clear();
    current_.clear();
    frozen_.reset();
    count_ = 0;
  }
  // Undo runs newest first, so the posting to take back is always its account's last one.
  void undo_last() override;
  void drop_last() override { undo_.pop_back(); }
  // The accounts of `postings` in key order, for writing: RocksDB's memtable remembers where its
  // last insert went, so keys that follow each other cost a few comparisons instead of a search
  // from the top of its skip list (a quarter of passbookd's time in t1 before they were sorted).
  static std::vector<const ByAccount::value_type*> in_key_order(const ByAccount& postings);

 private:
  struct Undo {
    std::vector<Posting>* postings;  // the account's, in current_ (map nodes stay put)
    int64_t delta;                   // added to its last posting
    bool appended;                   // the last posting is new: take it off
  };
  ByAccount current_;
  std::shared_ptr<const ByAccount> frozen_;
  size_t count_ = 0;
  std::vector<Undo> undo_;  // newest last; the Txn says whose each one is
};

// Keys. Ids never contain control characters, so 0x00 separates parts unambiguously.
std::string account_key(AccountKind kind, std::string_view id);
std::string pair_key(std::string_view a, std::string_view b);
std::string day_key(std::string_view account, std::string_view category, uint32_t day);
std::string usage_key(std::string_view merchant, std::string_view reward, std::string_view account,
                      uint32_t period);
std::string op_key(const OpRef& ref);
std::string seq_key(uint64_t seq);
// The day number of a day_key's service day; the lowest int64_t for a key that names no date.
int64_t day_key_number(std::string_view key);

inline constexpr char kSystemHeld[] = "held";
inline constexpr char kSystemRetired[] = "retired";

struct LedgerState {
  LedgerState();
  LedgerState(const LedgerState&) = delete;
  LedgerState& operator=(const LedgerState&) = delete;

  Table<LedgerRecord> ledger{'g'};  // one row, key ""
  Table<ActorRecord> actors{'k'};   // key: the 32 raw public key bytes
  Table<AccountRecord> accounts{'a'};
  Table<RuleRecord> rules{'r'};       // key: pair_key(branch, category); branch "" = street-wide
  Table<RewardRecord> rewards{'w'};   // key: pair_key(merchant, reward)
  Table<Counter> day_minutes{'d'};    // key: day_key(...)
  Table<Counter> usage{'u'};          // key: usage_key(...)
  Table<ClaimRecord> claims{'c'};     // key: op_key(claim)
  Table<ReservationRecord> reservations{'h'};  // key: op_key(reserve)
  Table<Counter> reversed{'x'};       // key: seq_key(reversed entry) -> reversing seq
  IndexTail index;

  // The state has applied every entry with seq < next_seq.
  uint64_t next_seq = 0;
  // The local day of the last entry applied; day_minutes rows older than the back-dating window
  // are dropped when it advances.
  uint32_t current_day = 0;
  // day_minutes keys by the day number of their service day (a key may be listed twice), so that
  // advancing the day finds the expired counters without reading every counter: a replay of a
  // year spent 9% of its time in that scan. Not stored: built again as rows are loaded.
  std::map<int64_t, std::vector<std::string>> day_minutes_by_day;

  [[nodiscard]] const LedgerRecord* ledger_record() const { return ledger.find(""); }
  [[nodiscard]] std::vector<TableBase*> tables();
  [[nodiscard]] std::vector<const TableBase*> tables() const;
  // The table a full state key (prefix first) belongs to; null for an empty key or an unknown
  // prefix.
  [[nodiscard]] TableBase* table_of(std::string_view key);
  [[nodiscard]] const TableBase* table_of(std::string_view key) const;
  // Forgets everything (before a reload from storage).
  void clear();
  // Loads one row of the `state` column family (full key, prefix first).
  Status load_row(std::string_view key, std::string_view value);
  // Every row of the state in key order, as a snapshot would store it (for verify).
  [[nodiscard]] std::map<std::string, std::string> encode_sorted() const;
};

}  // namespace passbook::ledger
