// The Red Passbook ledger engine: an append-only, hash-chained log of signed envelopes in RocksDB,
// with a Merkle tree and a signed checkpoint per commit, and the state (balances, actors, rules,
// rewards) derived from it.
//
// Durability: commit() returns a receipt only after the entries, their Merkle nodes, their nonces
// and the checkpoint are on disk in one synced write. The derived state is kept in memory and
// written by periodic snapshots; after a crash it is the last snapshot plus a replay of the
// entries after it, so nothing acknowledged is ever lost and nothing derived is ever trusted
// beyond what the chain says.
//
// Thread safety: prepare() is a pure function and may run on any thread. commit() must be called
// by one thread at a time (the writer). Queries may run on any thread, concurrently with commit();
// they never see an envelope that is not yet durable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "passbook/schemas/records.h"
#include "passbook/schemas/status.h"
#include "passbook/schemas/views.h"

namespace passbook::ledger {

class Clock {
 public:
  virtual ~Clock() = default;
  // Unix time in milliseconds.
  [[nodiscard]] virtual int64_t now_ms() const = 0;
};
const Clock& system_clock();

struct Options {
  // The data directory: the database lives in <data_dir>/db, keys by default in <data_dir>/keys.
  std::filesystem::path data_dir;
  // The ledger's own key, which signs checkpoints. Needed to commit; empty means
  // <data_dir>/keys/ledger.key.
  std::filesystem::path ledger_key_file;
  // false: open without the ledger key (queries, rebuild); commit() then refuses.
  bool load_ledger_key = true;
  // Open without taking the writer's lock: queries only. Undefined if a writer is running
  // (RocksDB's rule), so the CLI uses it only where the user asked for it.
  bool read_only = false;
  const Clock* clock = nullptr;  // system_clock() when null
  // A writer's open reads every table file and checks its checksums, so that a damaged one is
  // refused at start (DataLoss naming the file) instead of served. Reads the whole database:
  // very large ledgers may turn it off and run `passbook verify` instead.
  bool checksum_scan_at_open = true;
  // Write a state snapshot after this many postings (balance movements) since the last one.
  // Each snapshot writes every state row changed since the last one: fewer snapshots write
  // less (t1: 150k operations/s at 200,000, 180-210k at 1,000,000; bench/RESULTS.md), but
  // hold more postings in memory (24 bytes each) and leave more to replay at a start after a
  // crash (a clean close writes one, so a normal start replays nothing).
  uint64_t snapshot_every_postings = 1'000'000;
};

// An envelope after every check that needs no state: decoded within bounds, signature and
// co-signatures verified. Produced by Ledger::prepare on any thread.
struct Prepared {
  schemas::SignedEnvelope signed_envelope;
  schemas::Envelope envelope;
  std::vector<PublicKey> cosigners;  // keys whose co-signatures verified
  Status status;                     // not ok: refused already, commit() will only report it
};

// What happened to one envelope of a group.
struct Outcome {
  Status status;  // ok: committed (or a resend of an envelope committed before)
  uint32_t op_index = schemas::ErrorReply::kWholeEnvelope;  // the failing operation, if any
  schemas::Receipt receipt;                                  // valid when status is ok
  bool duplicate = false;  // the nonce was seen before with the same envelope
};

using schemas::AccountView;
using schemas::ActorView;
using schemas::ClaimView;
using schemas::HistoryLine;
using schemas::LedgerInfo;
using schemas::ReservationView;
using schemas::RewardView;
using schemas::RuleView;

struct StoredEntry {
  schemas::Entry entry;
  std::string bytes;  // exactly as stored
  Hash32 leaf_hash{};
};

class Ledger {
 public:
  // Creates a ledger in options.data_dir whose entry 0 is the given genesis envelope (signed by
  // its first admin key). The ledger key file must exist and match the genesis ledger key.
  static Result<std::unique_ptr<Ledger>> create(const Options& options,
                                                schemas::SignedEnvelope genesis);
  // Opens an existing ledger: loads the last state snapshot, replays the entries after it and
  // checks the tail of the chain against the last checkpoint. A ledger that does not check is
  // refused (DataLoss) with the first bad sequence number.
  static Result<std::unique_ptr<Ledger>> open(const Options& options);

  // Decodes and checks signatures. Pure; any thread.
  static Prepared prepare(schemas::SignedEnvelope signed_envelope);

  // Applies a group of envelopes in order, each all-or-nothing, and makes the accepted ones
  // durable in one synced write with one new checkpoint. One outcome per envelope, in order.
  // If the write fails, no envelope of the group is acknowledged (though after a failed fsync it
  // may be on disk: a resend finds out) and the ledger refuses further writes (Unavailable)
  // until recover() or a reopen.
  std::vector<Outcome> commit(std::vector<Prepared> group);
  // prepare() + commit() of one envelope.
  Outcome submit(schemas::SignedEnvelope signed_envelope);

  // After a failed write (commit() answers Unavailable): closes the database and opens it again,
  // reloading what is durable, so that writes can resume once the cause (a full disk) is gone.
  // Probes the disk first (a synced 1 MiB write): while it still fails, the open database is
  // kept, reads go on, and the probe's error is returned. Ok also when nothing had failed.
  // Single writer thread only, like commit().
  Status recover();
  [[nodiscard]] bool needs_recovery() const;

  // A consistent copy of this ledger's database in dir/db (dir must not hold one), taken while
  // others read and write: what a crash at this moment would leave, which opens like one. For
  // live backups (ledger::backup_from_copy). Any thread.
  [[nodiscard]] Status copy_database(const std::filesystem::path& dir) const;
  // The data directory it was opened from (a copy belongs next to the database: hard links).
  [[nodiscard]] const std::filesystem::path& data_dir() const;

  // Writes a final state snapshot and closes the database. Called by the destructor if needed.
  Status close();
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // ---- queries -----------------------------------------------------------------------------
  [[nodiscard]] LedgerInfo info() const;
  // NotFound if there is no such account.
  [[nodiscard]] Result<AccountView> account(schemas::AccountKind kind, const std::string& id) const;
  // Volunteer accounts, of one branch or (branch empty) all, ordered by id.
  [[nodiscard]] std::vector<AccountView> accounts(const std::string& branch) const;
  // Every movement of an account, oldest first, with the running balance.
  [[nodiscard]] Result<std::vector<HistoryLine>> history(schemas::AccountKind kind,
                                                         const std::string& id) const;
  [[nodiscard]] Result<StoredEntry> entry(uint64_t seq) const;
  [[nodiscard]] std::vector<ActorView> actors() const;
  // One registered key (active or revoked); NotFound if it was never registered.
  [[nodiscard]] Result<ActorView> actor(const PublicKey& key) const;
  [[nodiscard]] std::vector<RuleView> rules() const;
  // merchant empty: every merchant's rewards.
  [[nodiscard]] std::vector<RewardView> rewards(const std::string& merchant) const;
  // branch empty: all branches. Pending and decided claims.
  [[nodiscard]] std::vector<ClaimView> claims(const std::string& branch) const;
  [[nodiscard]] std::vector<ReservationView> reservations(const std::string& merchant) const;
  // The signed checkpoint note for a tree size; size 0 means the latest.
  [[nodiscard]] Result<std::string> checkpoint(uint64_t size) const;
  // RFC 9162 proofs over the stored tree.
  [[nodiscard]] Result<std::vector<Hash32>> inclusion_proof(uint64_t index, uint64_t size) const;
  [[nodiscard]] Result<std::vector<Hash32>> consistency_proof(uint64_t size1, uint64_t size2) const;
  [[nodiscard]] Result<Hash32> root_at(uint64_t size) const;

  struct Impl;

 private:
  explicit Ledger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace passbook::ledger
