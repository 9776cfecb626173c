// The rules of the ledger: applies one envelope's operations to the state, all or none. The same
// code runs on the commit path, on replay after a restart, and in `verify`, so the three cannot
// disagree. Signatures and nonces are checked by the caller; everything that depends on the state
// (who may do what, balances, stock, caps, four eyes) is checked here.
#pragma once

#include <functional>
#include <span>

#include "passbook/schemas/records.h"
#include "state.h"

namespace passbook::ledger {

// How far back a credit or claim may date its service; older service comes in with `import`.
inline constexpr int64_t kBackdateDays = 92;

struct EntryContext {
  uint64_t seq = 0;
  int64_t commit_ms = 0;
  const schemas::Envelope* envelope = nullptr;
  // Keys whose co-signatures over the envelope bytes verified.
  std::span<const PublicKey> cosigners;
};

// Access to what the state does not keep in memory: earlier entries, and postings already
// written to the index column family.
struct History {
  std::function<Result<schemas::Entry>(uint64_t seq)> entry;
  std::function<Result<std::optional<int64_t>>(std::string_view account_key, uint64_t seq,
                                               uint32_t op)>
      posting;
};

struct ApplyOutcome {
  Status status;
  uint32_t op_index = schemas::ErrorReply::kWholeEnvelope;
  [[nodiscard]] bool is_ok() const { return status.is_ok(); }
};

// Applies the envelope as entry ctx.seq. On success the changes are in txn; on failure the caller
// must roll txn back. Advances state.next_seq on success only.
ApplyOutcome apply_envelope(LedgerState& state, const EntryContext& ctx, const History& history,
                            Txn& txn);

}  // namespace passbook::ledger
