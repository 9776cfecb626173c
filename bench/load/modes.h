// The offline modes of passbook-bench: fill (a big ledger, written through the engine) and probe
// (open time, proof latency and memory of a ledger at rest).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "passbook/schemas/status.h"
#include "workload.h"

namespace passbook::bench {

struct FillOptions {
  std::filesystem::path data_dir;
  uint64_t entries = 1'000'000;  // workload entries on top of the setup
  size_t group = 2048;           // envelopes per commit (as passbookd's largest group)
  size_t chunk = 32'768;         // envelopes signed ahead while the previous chunk commits
};

// Creates a fresh ledger in data_dir with only its genesis (keys in data_dir/keys/admin.key and
// ledger.key, as `passbook init` writes them; time window one hour).
Status run_init(const std::filesystem::path& data_dir);

// Creates a fresh ledger in data_dir (keys in data_dir/keys, as `passbook init` does), sets up
// the benchmark street, then commits `entries` workload envelopes through Ledger::commit. The
// signatures are real (verify checks them) but not checked again on the way in.
Status run_fill(const FillOptions& fill, const WorkloadOptions& workload);

// Opens the ledger as passbookd would (timed), then times `proofs` inclusion proofs at random
// indexes of the full tree and checks each against the root; then consistency proofs.
Status run_probe(const std::filesystem::path& data_dir, uint64_t proofs, uint64_t seed);

}  // namespace passbook::bench
