#include "state.h"

#include <algorithm>
#include <limits>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dates.h"
#include "passbook/schemas/encoding.h"

namespace passbook::ledger {

void Txn::rollback() {
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) (*it)();
  undo_.clear();
}

void Txn::merge_into(Txn& parent) {
  parent.undo_.insert(parent.undo_.end(), std::make_move_iterator(undo_.begin()),
                      std::make_move_iterator(undo_.end()));
  undo_.clear();
}

void IndexTail::add(Txn& txn, std::string key, int64_t delta) {
  rows_.emplace_back(std::move(key), delta);
  // Undo runs newest first, so the row to take back is always the last one.
  txn.on_undo([this] { rows_.pop_back(); });
}

std::optional<int64_t> IndexTail::find(std::string_view key) const {
  std::optional<int64_t> sum;
  auto scan = [&](const Rows& rows) {
    for (const auto& [k, delta] : rows) {
      if (k == key) sum = sum.value_or(0) + delta;
    }
  };
  if (frozen_) scan(*frozen_);
  scan(rows_);
  return sum;
}

std::vector<Posting> IndexTail::account(std::string_view account_key) const {
  std::string prefix(account_key);
  prefix.push_back('\0');
  std::vector<Posting> out;
  auto scan = [&](const Rows& rows) {
    for (const auto& [key, delta] : rows) {
      if (key.size() != prefix.size() + 12 || key.compare(0, prefix.size(), prefix) != 0) continue;
      Posting posting = decode_index_key(key, delta);
      if (!out.empty() && out.back().seq == posting.seq && out.back().op == posting.op) {
        out.back().delta += delta;  // the same operation posting twice to one account
      } else {
        out.push_back(posting);
      }
    }
  };
  if (frozen_) scan(*frozen_);
  scan(rows_);
  return out;
}

std::shared_ptr<const IndexTail::Rows> IndexTail::freeze() {
  assert(!frozen_ && "one snapshot at a time");
  frozen_ = std::make_shared<const Rows>(std::move(rows_));
  rows_ = Rows();
  return frozen_;
}

void IndexTail::write_rows(const Rows& rows, const RowSink& sink) {
  // In key order: RocksDB's memtable remembers where its last insert went, so keys that follow
  // each other cost a few comparisons instead of a search from the top of the skip list. In
  // t1 (100-operation envelopes) that search was a quarter of passbookd's time, and sorting the
  // rows first took it from 74k to 138k operations/s (bench/RESULTS.md).
  //
  // Each account's rows were made in (seq, op) order, so only the accounts need sorting: a
  // snapshot of t1 holds ~400k rows over ~10k accounts, and comparing whole keys of every row
  // was a tenth of passbookd's time. An index key is the account key, 0x00, seq and op, and ids
  // hold no control character, so the order of the account keys is the order of the rows.
  std::unordered_map<std::string_view, size_t> ordinal_of;
  std::vector<std::string_view> accounts;
  std::vector<size_t> row_account(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::string& key = rows[i].first;
    const std::string_view account(key.data(), key.size() >= 13 ? key.size() - 13 : 0);
    auto [it, added] = ordinal_of.try_emplace(account, accounts.size());
    if (added) accounts.push_back(account);
    row_account[i] = it->second;
  }
  std::vector<size_t> by_name(accounts.size());
  for (size_t a = 0; a < by_name.size(); ++a) by_name[a] = a;
  std::sort(by_name.begin(), by_name.end(),
            [&](size_t a, size_t b) { return accounts[a] < accounts[b]; });
  // Where each account's rows start in the output, in name order; then the rows, in the order
  // they were made within each account.
  std::vector<size_t> rows_of(accounts.size(), 0);
  for (size_t a : row_account) ++rows_of[a];
  std::vector<size_t> first_of(accounts.size());
  size_t at = 0;
  for (size_t a : by_name) {
    first_of[a] = at;
    at += rows_of[a];
  }
  std::vector<size_t> order(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) order[first_of[row_account[i]]++] = i;

  std::string value;
  for (size_t i = 0; i < order.size();) {
    const std::string& key = rows[order[i]].first;
    int64_t delta = 0;
    size_t same = i;
    for (; same < order.size() && rows[order[same]].first == key; ++same)
      delta += rows[order[same]].second;
    value.clear();
    put_u64_be(value, static_cast<uint64_t>(delta));
    sink(key, value);
    i = same;
  }
}

void IndexTail::drain(const RowSink& sink) {
  Rows all;
  if (frozen_) all = *frozen_;
  all.insert(all.end(), std::make_move_iterator(rows_.begin()), std::make_move_iterator(rows_.end()));
  write_rows(all, sink);
  rows_.clear();
  frozen_.reset();
}

std::string account_key(AccountKind kind, std::string_view id) {
  std::string key(1, static_cast<char>(kind));
  key.append(id);
  return key;
}

std::string pair_key(std::string_view a, std::string_view b) {
  std::string key(a);
  key.push_back('\0');
  key.append(b);
  return key;
}

std::string day_key(std::string_view account, std::string_view category, uint32_t day) {
  std::string key = pair_key(account, category);
  key.push_back('\0');
  put_u32_be(key, day);
  return key;
}

int64_t day_key_number(std::string_view key) {
  if (key.size() < 4) return std::numeric_limits<int64_t>::min();
  return day_number(get_u32_be(key.substr(key.size() - 4)))
      .value_or(std::numeric_limits<int64_t>::min());
}

std::string usage_key(std::string_view merchant, std::string_view reward, std::string_view account,
                      uint32_t period) {
  std::string key = pair_key(merchant, reward);
  key.push_back('\0');
  key.append(account);
  key.push_back('\0');
  put_u32_be(key, period);
  return key;
}

std::string op_key(const OpRef& ref) {
  std::string key;
  put_u64_be(key, ref.seq);
  put_u32_be(key, ref.op);
  return key;
}

std::string seq_key(uint64_t seq) { return u64_key(seq); }

std::string index_key(std::string_view account_key, uint64_t seq, uint32_t op) {
  std::string key(account_key);
  key.push_back('\0');
  put_u64_be(key, seq);
  put_u32_be(key, op);
  return key;
}

Posting decode_index_key(std::string_view key, int64_t delta) {
  assert(key.size() >= 12);
  const std::string_view tail = key.substr(key.size() - 12);
  return {get_u64_be(tail), get_u32_be(tail.substr(8)), delta};
}

LedgerState::LedgerState() = default;

std::vector<TableBase*> LedgerState::tables() {
  return {&ledger, &actors, &accounts, &rules, &rewards, &day_minutes, &usage, &claims,
          &reservations, &reversed};
}

std::vector<const TableBase*> LedgerState::tables() const {
  return {&ledger, &actors, &accounts, &rules, &rewards, &day_minutes, &usage, &claims,
          &reservations, &reversed};
}

void LedgerState::clear() {
  for (TableBase* table : tables()) table->clear();
  index.clear();
  day_minutes_by_day.clear();
  next_seq = 0;
  current_day = 0;
}

Status LedgerState::load_row(std::string_view key, std::string_view value) {
  if (key.empty()) return data_loss("the stored state has an empty key");
  for (TableBase* table : tables()) {
    if (table->prefix() != key[0]) continue;
    PASSBOOK_RETURN_IF_ERROR(table->load(key.substr(1), value));
    if (table == &day_minutes) {
      day_minutes_by_day[day_key_number(key.substr(1))].emplace_back(key.substr(1));
    }
    return Status::ok();
  }
  return data_loss("the stored state has a row of unknown kind '" + std::string(1, key[0]) + "'");
}

std::map<std::string, std::string> LedgerState::encode_sorted() const {
  std::map<std::string, std::string> out;
  for (const TableBase* table : tables()) {
    table->encode_all([&out](const std::string& key, const std::optional<std::string>& value) {
      out.emplace(key, *value);
    });
  }
  return out;
}

}  // namespace passbook::ledger
