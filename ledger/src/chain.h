// Reading the stored chain: entries, Merkle nodes, the head record. Shared by the ledger and by
// verify, which must read the same bytes the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "passbook/ledger/ledger.h"
#include "passbook/proof/merkle.h"
#include "state_records.h"
#include "storage.h"

namespace passbook::ledger {

inline constexpr char kHeadKey[] = "head";
inline constexpr char kStateThroughKey[] = "state_through";
// Written with every snapshot: the layout of the `index` rows it wrote. A ledger whose stored
// state predates it (one row per posting) is refused until `passbook rebuild` rewrites them.
inline constexpr char kIndexFormatKey[] = "index_format";
inline constexpr char kIndexFormat[] = "blocks-128";

// The newest entry, written with every commit.
struct Head {
  uint64_t size = 0;  // entries in the chain
  Hash32 last_hash{};
  int64_t last_commit_ms = 0;
  template <class A>
  void serialize(A& ar) {
    ar(size, last_hash, last_commit_ms);
  }
};

std::string merkle_key(uint8_t level, uint64_t index);
proof::NodeReader node_reader(const Storage& storage);

// The entry at seq, decoded, with its bytes and leaf hash. DataLoss if missing or malformed, or
// if the seq inside the entry is not the seq it is stored under.
Result<StoredEntry> read_entry(const Storage& storage, uint64_t seq);
Result<Hash32> read_leaf(const Storage& storage, uint64_t seq);
Result<std::optional<Head>> read_head(const Storage& storage);
// The number of entries the stored state covers (0: none).
Result<uint64_t> read_state_through(const Storage& storage);
// Ok if nothing is stored yet or the stored index has this version's layout; else
// FailedPrecondition saying to run `passbook rebuild`.
Status check_index_format(const Storage& storage, uint64_t state_through);

uint32_t local_day_of(int64_t commit_ms, const LedgerRecord& ledger);

}  // namespace passbook::ledger
