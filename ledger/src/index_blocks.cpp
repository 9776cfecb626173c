#include "index_blocks.h"

#include <cassert>
#include <limits>

#include "passbook/schemas/encoding.h"

namespace passbook::ledger {
namespace {

// Seq and op after the account key's 0x00 separator.
constexpr size_t kKeyTail = 1 + 8 + 4;

uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t unzigzag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

std::string prefix_of(std::string_view account_key) {
  std::string prefix(account_key);
  prefix.push_back('\0');
  return prefix;
}

// The account's last stored row whose key sorts before `before`, if any.
Result<std::optional<std::pair<std::string, std::string>>> last_row_before(
    const Storage& storage, std::string_view account_key, std::string_view before) {
  PASSBOOK_ASSIGN_OR_RETURN(auto row, storage.last_before(Column::kIndex, before));
  const std::string prefix = prefix_of(account_key);
  if (!row || row->first.compare(0, prefix.size(), prefix) != 0) {
    return std::optional<std::pair<std::string, std::string>>();
  }
  return row;
}

// The last stored row of an account, if any: every key of the account sorts before the
// account key followed by 0x01.
Result<std::optional<std::pair<std::string, std::string>>> last_row(const Storage& storage,
                                                                    std::string_view account_key) {
  std::string after(account_key);
  after.push_back('\x01');
  return last_row_before(storage, account_key, after);
}

}  // namespace

std::string index_block_key(std::string_view account_key, uint64_t seq, uint32_t op) {
  std::string key;
  key.reserve(account_key.size() + kKeyTail);
  key.append(account_key);
  key.push_back('\0');
  put_u64_be(key, seq);
  put_u32_be(key, op);
  return key;
}

namespace {

// Appends `postings` (after `last`, if the block has postings already) to a block's value.
void append_postings(std::string& value, const Posting* last, std::span<const Posting> postings) {
  for (const Posting& p : postings) {
    if (last == nullptr) {
      put_varint(value, zigzag(p.delta));
    } else {
      assert(comes_before(*last, p));
      put_varint(value, p.seq - last->seq);
      put_varint(value, p.op);
      put_varint(value, zigzag(p.delta));
    }
    last = &p;
  }
}

}  // namespace

std::string encode_index_block(std::span<const Posting> postings) {
  assert(!postings.empty() && postings.size() <= kPostingsPerBlock);
  std::string value;
  value.reserve(postings.size() * 5);
  append_postings(value, nullptr, postings);
  return value;
}

Result<IndexBlock> decode_index_block(std::string_view key, std::string_view value) {
  // An account key is a kind byte and an id, which holds no control character.
  if (key.size() < 1 + kKeyTail || key[key.size() - kKeyTail] != '\0') {
    return data_loss("an account index row has a malformed key");
  }
  IndexBlock block;
  block.account_key = key.substr(0, key.size() - kKeyTail);
  const std::string_view tail = key.substr(key.size() - kKeyTail + 1);
  Posting first{get_u64_be(tail), get_u32_be(tail.substr(8)), 0};
  const std::string where = "the account index row of entry " + std::to_string(first.seq);
  std::string_view in = value;
  const auto first_delta = get_varint(in);
  if (!first_delta) return data_loss(where + " holds no posting");
  first.delta = unzigzag(*first_delta);
  block.postings.push_back(first);
  while (!in.empty()) {
    if (block.postings.size() == kPostingsPerBlock) {
      return data_loss(where + " holds more than " + std::to_string(kPostingsPerBlock) +
                       " postings");
    }
    const Posting& previous = block.postings.back();
    const auto gap = get_varint(in);
    const auto op = get_varint(in);
    const auto delta = get_varint(in);
    if (!gap || !op || !delta) return data_loss(where + " is cut short");
    Posting next{previous.seq + *gap, static_cast<uint32_t>(*op), unzigzag(*delta)};
    if (*gap > std::numeric_limits<uint64_t>::max() - previous.seq ||
        *op > std::numeric_limits<uint32_t>::max() || !comes_before(previous, next)) {
      return data_loss(where + " holds postings out of order");
    }
    block.postings.push_back(next);
  }
  return block;
}

Result<std::optional<int64_t>> read_posting(const Storage& storage, std::string_view account_key,
                                            uint64_t seq, uint32_t op) {
  // The block holding (seq, op) is the last one starting at or before it.
  std::string after = index_block_key(account_key, seq, op);
  after.push_back('\0');
  PASSBOOK_ASSIGN_OR_RETURN(auto row, last_row_before(storage, account_key, after));
  if (!row) return std::optional<int64_t>();
  PASSBOOK_ASSIGN_OR_RETURN(IndexBlock block, decode_index_block(row->first, row->second));
  if (block.account_key != account_key) return std::optional<int64_t>();
  for (const Posting& p : block.postings) {
    if (p.seq == seq && p.op == op) return std::optional<int64_t>(p.delta);
  }
  return std::optional<int64_t>();
}

Status read_postings(const Storage& storage, std::string_view account_key, uint64_t below_seq,
                     std::vector<Posting>& out) {
  const std::string prefix = prefix_of(account_key);
  Status problem;
  PASSBOOK_RETURN_IF_ERROR(storage.scan(
      Column::kIndex, prefix, prefix, [&](std::string_view key, std::string_view value) {
        auto block = decode_index_block(key, value);
        if (!block.is_ok()) {
          problem = block.status();
          return false;
        }
        if (block->account_key != account_key) return true;  // another account's id shares ours
        for (const Posting& p : block->postings) {
          if (p.seq >= below_seq) return false;
          if (!out.empty() && !comes_before(out.back(), p)) {
            problem = data_loss("the account index holds entry " + std::to_string(p.seq) +
                                " twice or out of order");
            return false;
          }
          out.push_back(p);
        }
        return true;
      }));
  return problem;
}

Result<IndexWriter::LastBlock*> IndexWriter::last_block(const Storage& storage,
                                                        std::string_view account_key) {
  if (auto it = last_.find(std::string(account_key)); it != last_.end()) return &it->second;
  // Bounded: a street of more accounts than this reads some last blocks back each snapshot.
  if (last_.size() >= kMaxKept) last_.clear();
  auto [it, added] = last_.try_emplace(std::string(account_key));
  auto row = last_row(storage, account_key);
  if (!row.is_ok()) {
    last_.erase(it);
    return row.status();
  }
  LastBlock& block = it->second;
  if (*row) {
    auto decoded = decode_index_block((*row)->first, (*row)->second);
    if (!decoded.is_ok()) {
      last_.erase(it);
      return decoded.status();
    }
    block.key = std::move((*row)->first);
    block.count = decoded->postings.size();
    block.last = decoded->postings.back();
    if (block.count < kPostingsPerBlock) block.value = std::move((*row)->second);
  }
  return &block;
}

Status IndexWriter::add(const Storage& storage, std::string_view account_key,
                        std::span<const Posting> postings, Storage::Batch& batch) {
  if (postings.empty()) return Status::ok();
  PASSBOOK_ASSIGN_OR_RETURN(LastBlock * block, last_block(storage, account_key));
  if (block->count > 0 && !comes_before(block->last, postings.front())) {
    return data_loss("the account index already holds entry " +
                     std::to_string(postings.front().seq));
  }
  size_t next = 0;
  while (next < postings.size()) {
    if (block->count == 0 || block->count == kPostingsPerBlock) {
      // A new block, keyed by its first posting.
      block->key = index_block_key(account_key, postings[next].seq, postings[next].op);
      block->value.clear();
      block->count = 0;
    }
    const size_t n = std::min(kPostingsPerBlock - block->count, postings.size() - next);
    const auto chunk = postings.subspan(next, n);
    append_postings(block->value, block->count == 0 ? nullptr : &block->last, chunk);
    block->count += n;
    block->last = chunk.back();
    batch.put(Column::kIndex, block->key, block->value);
    if (block->count == kPostingsPerBlock) block->value = std::string();  // not needed again
    next += n;
  }
  return Status::ok();
}

}  // namespace passbook::ledger
