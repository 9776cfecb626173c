// Offline verification and rebuilding of a data directory.
//
// verify() trusts nothing derived: it walks the chain from entry 0 (links, leaf hashes, Merkle
// nodes, signatures, each signer's authority at that point, every rule), recomputes every stored
// checkpoint's root and checks its signature, replays the state from scratch and compares it
// with the stored state and index. It names the first bad sequence number.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "passbook/ledger/ledger.h"
#include "passbook/schemas/status.h"

namespace passbook::ledger {

struct VerifyOptions {
  std::filesystem::path data_dir;
  // Called now and then with (entries checked, entries in the chain).
  std::function<void(uint64_t done, uint64_t total)> progress;
  // Threads that check signatures (a batch of entries ahead of the walk); 0: one per core.
  unsigned threads = 0;
};

struct VerifyProblem {
  std::optional<uint64_t> seq;  // the entry the problem is first visible at, if one is
  std::string message;
};

struct VerifyReport {
  uint64_t entries = 0;      // entries walked
  uint64_t signatures = 0;   // signatures checked (envelopes, co-signatures, checkpoints)
  uint64_t checkpoints = 0;  // checkpoints whose root and signature were checked
  uint64_t state_rows = 0;   // stored state rows compared with the replay
  uint64_t postings = 0;     // index postings compared with the replay
  std::vector<VerifyProblem> problems;
  // The smallest seq among the problems.
  [[nodiscard]] std::optional<uint64_t> first_bad_seq() const;
  [[nodiscard]] bool ok() const { return problems.empty(); }
};

// Runs the checks on the database opened read-only, holding the writer's lock: it changes
// nothing it judges, and no writer changes it meanwhile. The Result fails only when verification
// could not run at all (no ledger, the directory is locked by a writer, the database cannot be
// opened: DataLoss); a damaged ledger that opens is a report with problems.
Result<VerifyReport> verify(const VerifyOptions& options);

// Throws away the stored state and index and replays the chain from entry 0 into fresh ones.
Status rebuild(const std::filesystem::path& data_dir);

}  // namespace passbook::ledger
