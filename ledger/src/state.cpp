#include "state.h"

#include <algorithm>
#include <limits>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dates.h"
#include "passbook/schemas/encoding.h"

namespace passbook::ledger {

void Txn::rollback() {
  for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
    if (it->stack != nullptr) {
      it->stack->undo_last();
    } else {
      it->undo();
    }
  }
  steps_.clear();
}

void Txn::merge_into(Txn& parent) {
  parent.steps_.insert(parent.steps_.end(), std::make_move_iterator(steps_.begin()),
                       std::make_move_iterator(steps_.end()));
  steps_.clear();
}

void Txn::commit() {
  for (const Step& step : steps_) {
    if (step.stack != nullptr) step.stack->drop_last();
  }
  steps_.clear();
}

void IndexTail::add(Txn& txn, std::string_view account_key, uint64_t seq, uint32_t op,
                    int64_t delta) {
  auto it = current_.find(account_key);
  if (it == current_.end())
    it = current_.emplace(std::string(account_key), std::vector<Posting>()).first;
  std::vector<Posting>* postings = &it->second;
  if (!postings->empty() && postings->back().seq == seq && postings->back().op == op) {
    postings->back().delta += delta;
    undo_.push_back({postings, delta, false});
  } else {
    assert(postings->empty() || comes_before(postings->back(), Posting{seq, op, 0}));
    postings->push_back(Posting{seq, op, delta});
    ++count_;
    undo_.push_back({postings, delta, true});
  }
  txn.on_stack_undo(this);
}

void IndexTail::undo_last() {
  assert(!undo_.empty());
  const Undo& undo = undo_.back();
  if (undo.appended) {
    undo.postings->pop_back();
    --count_;
  } else {
    undo.postings->back().delta -= undo.delta;
  }
  undo_.pop_back();
}

namespace {

const std::vector<Posting>* postings_of(const IndexTail::ByAccount* map, std::string_view key) {
  if (map == nullptr) return nullptr;
  auto it = map->find(key);
  return it == map->end() ? nullptr : &it->second;
}

}  // namespace

std::optional<int64_t> IndexTail::find(std::string_view account_key, uint64_t seq,
                                       uint32_t op) const {
  const Posting wanted{seq, op, 0};
  for (const auto* postings :
       {postings_of(&current_, account_key), postings_of(frozen_.get(), account_key)}) {
    if (postings == nullptr) continue;
    auto it = std::lower_bound(postings->begin(), postings->end(), wanted, comes_before);
    if (it != postings->end() && it->seq == seq && it->op == op) return it->delta;
  }
  return std::nullopt;
}

std::vector<Posting> IndexTail::account(std::string_view account_key) const {
  std::vector<Posting> out;
  for (const auto* postings :
       {postings_of(frozen_.get(), account_key), postings_of(&current_, account_key)}) {
    if (postings != nullptr) out.insert(out.end(), postings->begin(), postings->end());
  }
  return out;
}

std::shared_ptr<const IndexTail::ByAccount> IndexTail::freeze() {
  assert(!frozen_ && "one snapshot at a time");
  assert(undo_.empty() && "a snapshot between transactions only");
  frozen_ = std::make_shared<const ByAccount>(std::move(current_));
  current_ = ByAccount();
  count_ = 0;
  return frozen_;
}

IndexTail::ByAccount IndexTail::take_all() {
  assert(!frozen_ && "no snapshot may be writing");
  assert(undo_.empty() && "between transactions only");
  ByAccount all = std::move(current_);
  current_ = ByAccount();
  count_ = 0;
  return all;
}

std::vector<const IndexTail::ByAccount::value_type*> IndexTail::in_key_order(
    const ByAccount& postings) {
  std::vector<const ByAccount::value_type*> order;
  order.reserve(postings.size());
  for (const auto& account : postings) order.push_back(&account);
  std::sort(order.begin(), order.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  return order;
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

const TableBase* LedgerState::table_of(std::string_view key) const {
  if (key.empty()) return nullptr;
  for (const TableBase* table : tables()) {
    if (table->prefix() == key[0]) return table;
  }
  return nullptr;
}

TableBase* LedgerState::table_of(std::string_view key) {
  return const_cast<TableBase*>(std::as_const(*this).table_of(key));
}

Status LedgerState::load_row(std::string_view key, std::string_view value) {
  if (key.empty()) return data_loss("the stored state has an empty key");
  TableBase* table = table_of(key);
  if (table == nullptr) {
    return data_loss("the stored state has a row of unknown kind '" + std::string(1, key[0]) + "'");
  }
  PASSBOOK_RETURN_IF_ERROR(table->load(key.substr(1), value));
  if (table == &day_minutes) {
    day_minutes_by_day[day_key_number(key.substr(1))].emplace_back(key.substr(1));
  }
  return Status::ok();
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
