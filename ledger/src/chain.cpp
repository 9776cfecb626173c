#include "chain.h"

#include "dates.h"
#include "passbook/proof/crypto.h"
#include "passbook/schemas/encoding.h"

namespace passbook::ledger {

std::string merkle_key(uint8_t level, uint64_t index) {
  std::string key(1, static_cast<char>(level));
  put_u64_be(key, index);
  return key;
}

proof::NodeReader node_reader(const Storage& storage) {
  return [&storage](uint8_t level, uint64_t index) -> Result<Hash32> {
    PASSBOOK_ASSIGN_OR_RETURN(std::optional<std::string> value,
                              storage.get(Column::kMerkle, merkle_key(level, index)));
    if (!value || value->size() != 32) {
      return data_loss("the Merkle node at level " + std::to_string(level) + ", index " +
                       std::to_string(index) + " is missing or damaged");
    }
    Hash32 hash{};
    std::copy(value->begin(), value->end(), hash.begin());
    return hash;
  };
}

Result<StoredEntry> read_entry(const Storage& storage, uint64_t seq) {
  PASSBOOK_ASSIGN_OR_RETURN(std::optional<std::string> bytes, storage.get(Column::kEntries, u64_key(seq)));
  if (!bytes) return data_loss("entry " + std::to_string(seq) + " is missing");
  auto entry = schemas::decode<schemas::Entry>(*bytes, "entry " + std::to_string(seq));
  if (!entry.is_ok()) return data_loss(entry.status().message());
  if (entry->seq != seq) {
    return data_loss("the entry stored at " + std::to_string(seq) + " says it is entry " +
                     std::to_string(entry->seq));
  }
  StoredEntry stored;
  stored.leaf_hash = proof::leaf_hash(*bytes);
  stored.entry = std::move(entry).value();
  stored.bytes = std::move(*bytes);
  return stored;
}

Result<Hash32> read_leaf(const Storage& storage, uint64_t seq) { return node_reader(storage)(0, seq); }

Result<std::optional<Head>> read_head(const Storage& storage) {
  PASSBOOK_ASSIGN_OR_RETURN(std::optional<std::string> bytes, storage.get(Column::kMeta, kHeadKey));
  if (!bytes) return std::optional<Head>();
  auto head = schemas::decode<Head>(*bytes, "the head record");
  if (!head.is_ok()) return data_loss(head.status().message());
  return std::optional<Head>(*head);
}

Result<uint64_t> read_state_through(const Storage& storage) {
  PASSBOOK_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                            storage.get(Column::kMeta, kStateThroughKey));
  if (!bytes) return uint64_t{0};
  if (bytes->size() != 8) return data_loss("the state watermark is damaged");
  return get_u64_be(*bytes);
}

Status check_index_format(const Storage& storage, uint64_t state_through) {
  if (state_through == 0) return Status::ok();
  PASSBOOK_ASSIGN_OR_RETURN(std::optional<std::string> format,
                            storage.get(Column::kMeta, kIndexFormatKey));
  if (format && *format == kIndexFormat) return Status::ok();
  return failed_precondition(
      "this ledger's derived state (balances and the account index) was stored by an older "
      "version of passbook in another layout; run `passbook rebuild` on the data directory once "
      "(it replays the chain, which is unchanged), then open it again");
}

uint32_t local_day_of(int64_t commit_ms, const LedgerRecord& ledger) {
  return local_day(commit_ms, ledger.utc_offset_minutes);
}

}  // namespace passbook::ledger
