// The account index in the `index` column family: every posting (an operation moving points into
// or out of an account) of entries before the stored state's watermark, packed in blocks.
//
// An account's postings, oldest first, are cut into blocks of kPostingsPerBlock; only the last
// block of an account may hold fewer. So the rows are a function of the chain alone, however
// the snapshots that wrote them fell (rebuild reproduces them byte for byte), and a snapshot
// writes one row per account it touched instead of one per posting: in t1 (100-operation
// envelopes) ~10k rows instead of ~400k, which were half of passbookd's time (bench/RESULTS.md).
//
// Row: key = account key ‖ 00 ‖ seq u64 ‖ op u32 of the block's first posting; value = the
// first posting's delta:zigzag, then for each later posting seq_gap:varint op:varint
// delta:zigzag, to the end of the value (schemas/FORMAT.md section 8). Postings are appended to
// a block by appending bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "passbook/schemas/status.h"
#include "storage.h"

namespace passbook::ledger {

// One line of an account's history: the entry and operation that moved its points.
struct Posting {
  uint64_t seq = 0;
  uint32_t op = 0;
  int64_t delta = 0;
  friend bool operator==(const Posting&, const Posting&) = default;
};

// Orders postings as the chain made them.
[[nodiscard]] inline bool comes_before(const Posting& a, const Posting& b) {
  return a.seq < b.seq || (a.seq == b.seq && a.op < b.op);
}

inline constexpr size_t kPostingsPerBlock = 128;

// The key of the block whose first posting is (seq, op).
std::string index_block_key(std::string_view account_key, uint64_t seq, uint32_t op);
// The block's value for 1..kPostingsPerBlock postings in chain order.
std::string encode_index_block(std::span<const Posting> postings);

// A stored row, decoded and checked: the postings strictly in chain order, the first one the
// key's, at most kPostingsPerBlock of them, nothing left over.
struct IndexBlock {
  std::string_view account_key;  // points into the row's key
  std::vector<Posting> postings;
};
// DataLoss naming what is wrong with the row.
Result<IndexBlock> decode_index_block(std::string_view key, std::string_view value);

// The stored posting of one operation to one account; nullopt if the index has none.
Result<std::optional<int64_t>> read_posting(const Storage& storage, std::string_view account_key,
                                            uint64_t seq, uint32_t op);
// Appends the account's stored postings of entries before `below_seq` to `out`, oldest first.
// (A snapshot's rows reach the disk a moment before its watermark is raised; the caller has
// those postings in memory until then, and passes the watermark it read.)
Status read_postings(const Storage& storage, std::string_view account_key, uint64_t below_seq,
                     std::vector<Posting>& out);
// Writes postings to the index, snapshot after snapshot. It keeps the last block of each account
// it wrote to, so that the next snapshot appends to it without reading it back: one SeekForPrev
// per account touched was 44% of a snapshot's time in t1. Only one snapshot at a time may use it.
class IndexWriter {
 public:
  // Adds to `batch` the rows that store `postings` (chain order, all after every stored posting
  // of the account): the account's last block is filled up first, then new blocks follow.
  Status add(const Storage& storage, std::string_view account_key,
             std::span<const Posting> postings, Storage::Batch& batch);
  // After a batch from add() failed to be written: what is kept may not be what is stored.
  void forget() { last_.clear(); }

 private:
  struct LastBlock {
    std::string key;
    std::string value;  // empty once the block is full: the next posting starts a new one
    size_t count = 0;
    Posting last;
  };
  // The account's last stored block, read from storage the first time.
  Result<LastBlock*> last_block(const Storage& storage, std::string_view account_key);

  // By account key, at most kMaxKept (then emptied: a miss costs one read); count 0: the
  // account has no stored block.
  static constexpr size_t kMaxKept = 100'000;
  std::unordered_map<std::string, LastBlock> last_;
};

}  // namespace passbook::ledger
