#include "passbook/ledger/ledger.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>
#include <future>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "apply.h"
#include "chain.h"
#include "index_blocks.h"
#include "passbook/proof/crypto.h"
#include "passbook/proof/merkle.h"
#include "passbook/proof/note.h"
#include "passbook/schemas/encoding.h"
#include "state.h"
#include "storage.h"

namespace passbook::ledger {
namespace {

class SystemClock final : public Clock {
 public:
  [[nodiscard]] int64_t now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

std::string nonce_key(const schemas::Envelope& envelope) {
  std::string key(as_chars(envelope.signer));
  key.append(as_chars(envelope.nonce));
  return key;
}

AccountView to_view(const std::string& key, const AccountRecord& record) {
  AccountView view;
  view.kind = static_cast<AccountKind>(key[0]);
  view.id = key.substr(1);
  view.branch = record.branch;
  view.available = record.balance;
  view.pending = record.pending;
  view.active_keys = record.active_keys;
  view.opened_seq = record.opened_seq;
  view.last_seq = record.last_seq;
  return view;
}

// Writes and syncs 1 MiB next to the database, then removes it: whether the disk takes a write
// now. Not a promise for the next one, but it keeps recover() from closing a working database
// while the disk is still full.
Status probe_disk(const std::filesystem::path& dir) {
  const std::filesystem::path file = dir / "PASSBOOK-PROBE";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int error = errno;
    return unavailable("the disk still cannot take a write (" + file.string() + ": " +
                       std::generic_category().message(error) + ")");
  }
  const std::string block(64 << 10, '\0');
  int error = 0;
  for (int i = 0; i < 16 && error == 0; ++i) {
    size_t done = 0;
    while (done < block.size()) {
      const ssize_t n = ::write(fd, block.data() + done, block.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error = n < 0 ? errno : ENOSPC;
        break;
      }
      done += static_cast<size_t>(n);
    }
  }
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  ::close(fd);
  std::error_code ec;
  std::filesystem::remove(file, ec);
  if (error != 0) {
    const std::string why = std::generic_category().message(error);
    return error == ENOSPC || error == EDQUOT
               ? resource_exhausted("the disk is still full (" + why + ")")
               : unavailable("the disk still cannot take a write (" + why + ")");
  }
  return Status::ok();
}

}  // namespace

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

struct Ledger::Impl {
  Options options;
  const Clock* clock = nullptr;
  std::unique_ptr<Storage> storage;
  std::optional<proof::SigningKey> ledger_key;  // absent when read-only

  // Guards everything below. Commit holds it exclusively from apply to the end of its write, so
  // readers never see state that is not durable.
  mutable std::shared_mutex mutex;
  LedgerState state;
  proof::MerkleFrontier frontier;
  Head head;
  uint64_t postings_since_snapshot = 0;
  // Entries whose postings are all in the index column family: queries read the column only
  // below it, so that postings written by a background snapshot are never counted twice.
  uint64_t stored_through = 0;
  Status broken;  // not ok: a write failed; refuse writes until reopened
  bool closed = false;
  bool closing = false;
  // Used by the background snapshot, or by write_snapshot() when none is in flight.
  IndexWriter index_writer;
  // The snapshot being written in the background, if any (at most one). Declared after what
  // it uses.
  std::future<Status> snapshot_in_flight;

  // ---- opening ---------------------------------------------------------------------------

  Status load_ledger_key() {
    const auto file = options.ledger_key_file.empty() ? options.data_dir / "keys" / "ledger.key"
                                                      : options.ledger_key_file;
    auto key = proof::SigningKey::load(file);
    if (!key.is_ok()) return key.status().with_context("the ledger key");
    ledger_key.emplace(std::move(key).value());
    return Status::ok();
  }

  History history(const std::unordered_map<uint64_t, schemas::Entry>* group_entries) const {
    History h;
    h.entry = [this, group_entries](uint64_t seq) -> Result<schemas::Entry> {
      if (group_entries != nullptr) {
        if (auto it = group_entries->find(seq); it != group_entries->end()) return it->second;
      }
      PASSBOOK_ASSIGN_OR_RETURN(StoredEntry stored, read_entry(*storage, seq));
      return std::move(stored.entry);
    };
    h.posting = [this](std::string_view account, uint64_t seq, uint32_t op) {
      return read_posting(*storage, account, seq, op);
    };
    return h;
  }

  // Loads the snapshot, replays the entries after it, and checks the tail against the last
  // checkpoint.
  Status load() {
    PASSBOOK_ASSIGN_OR_RETURN(std::optional<Head> stored_head, read_head(*storage));
    if (!stored_head) return data_loss("the database has no head record; it is not a complete ledger");
    head = *stored_head;
    PASSBOOK_ASSIGN_OR_RETURN(uint64_t through, read_state_through(*storage));
    PASSBOOK_RETURN_IF_ERROR(check_index_format(*storage, through));
    if (through > head.size) {
      return data_loss("the state snapshot is ahead of the chain (" + std::to_string(through) +
                       " > " + std::to_string(head.size) + " entries); restore from a backup");
    }
    if (through > 0) {
      PASSBOOK_RETURN_IF_ERROR(storage->scan(Column::kState, "", "", [&](std::string_view k, std::string_view v) {
        load_status = state.load_row(k, v);
        return load_status.is_ok();
      }));
      PASSBOOK_RETURN_IF_ERROR(load_status);
      state.next_seq = through;
      stored_through = through;
      if (const LedgerRecord* ledger = state.ledger_record()) {
        PASSBOOK_ASSIGN_OR_RETURN(StoredEntry last_applied, read_entry(*storage, through - 1));
        state.current_day = local_day_of(last_applied.entry.commit_ms, *ledger);
      }
    }
    PASSBOOK_ASSIGN_OR_RETURN(frontier, proof::MerkleFrontier::load(head.size, node_reader(*storage)));
    // Replay the entries the snapshot does not cover.
    Hash32 prev{};
    if (state.next_seq > 0) {
      PASSBOOK_ASSIGN_OR_RETURN(StoredEntry before, read_entry(*storage, state.next_seq - 1));
      prev = before.leaf_hash;
    }
    Txn txn;  // one for every entry in turn, keeping the room its steps took
    for (uint64_t seq = state.next_seq; seq < head.size; ++seq) {
      PASSBOOK_ASSIGN_OR_RETURN(StoredEntry stored, read_entry(*storage, seq));
      if (stored.entry.prev_hash != prev) {
        return data_loss("entry " + std::to_string(seq) + " does not link to the entry before it");
      }
      PASSBOOK_ASSIGN_OR_RETURN(Hash32 leaf, read_leaf(*storage, seq));
      if (leaf != stored.leaf_hash) {
        return data_loss("entry " + std::to_string(seq) + " does not match its Merkle leaf");
      }
      PASSBOOK_ASSIGN_OR_RETURN(schemas::Envelope envelope,
                                schemas::decode<schemas::Envelope>(stored.entry.signed_envelope.envelope,
                                                          "entry " + std::to_string(seq) + "'s envelope"));
      std::vector<PublicKey> cosigners;
      for (const auto& c : stored.entry.signed_envelope.cosignatures) cosigners.push_back(c.key);
      EntryContext ctx{seq, stored.entry.commit_ms, &envelope, cosigners};
      ApplyOutcome outcome = apply_envelope(state, ctx, history(nullptr), txn);
      if (!outcome.is_ok()) {
        txn.rollback();
        return data_loss("entry " + std::to_string(seq) + " no longer applies: " +
                         outcome.status.message());
      }
      txn.commit();
      prev = stored.leaf_hash;
      // A long replay (after rebuild) snapshots as it goes, so that memory stays bounded.
      if (!options.read_only && state.index.size() >= options.snapshot_every_postings) {
        PASSBOOK_RETURN_IF_ERROR(write_snapshot());
      }
    }
    postings_since_snapshot = state.index.size();
    return check_tail();
  }
  Status load_status;

  // The head, the Merkle frontier and the last checkpoint must agree.
  Status check_tail() {
    const LedgerRecord* ledger = state.ledger_record();
    if (ledger == nullptr) return data_loss("the ledger has no genesis record");
    if (head.size > 0) {
      PASSBOOK_ASSIGN_OR_RETURN(StoredEntry last, read_entry(*storage, head.size - 1));
      if (last.leaf_hash != head.last_hash || last.entry.commit_ms != head.last_commit_ms) {
        return data_loss("entry " + std::to_string(head.size - 1) +
                         " does not match the head record");
      }
    }
    PASSBOOK_ASSIGN_OR_RETURN(auto latest, storage->last(Column::kCheckpoints));
    if (!latest) return data_loss("the ledger has no checkpoint");
    const proof::NoteVerifier verifier{ledger->origin, proof::note_key_id(ledger->origin, ledger->ledger_key),
                                       ledger->ledger_key};
    auto checkpoint = proof::verify_checkpoint(latest->second, verifier, ledger->origin);
    if (!checkpoint.is_ok()) {
      return data_loss("the latest checkpoint does not verify: " + checkpoint.status().message());
    }
    if (checkpoint->size != head.size || checkpoint->root != frontier.root()) {
      return data_loss("the latest checkpoint (size " + std::to_string(checkpoint->size) +
                       ") does not match the stored tree (size " + std::to_string(head.size) + ")");
    }
    return Status::ok();
  }

  // ---- committing ------------------------------------------------------------------------

  std::vector<Outcome> commit(std::vector<Prepared> group) {
    std::vector<Outcome> outcomes(group.size());
    std::unique_lock lock(mutex);
    if (closed || closing) {
      for (auto& o : outcomes) o.status = unavailable("the ledger is closed");
      return outcomes;
    }
    if (!broken.is_ok()) {
      for (auto& o : outcomes) o.status = broken;
      return outcomes;
    }
    if (!ledger_key) {
      for (auto& o : outcomes) {
        o.status = failed_precondition("the ledger was opened without its key, read-only");
      }
      return outcomes;
    }
    const int64_t commit_ms = std::max(clock->now_ms(), head.last_commit_ms);
    Storage::Batch batch(*storage);
    Txn group_txn;
    const proof::MerkleFrontier frontier_before = frontier;
    const Head head_before = head;
    std::unordered_map<std::string, uint64_t> group_nonces;
    std::unordered_map<uint64_t, schemas::Entry> group_entries;
    std::vector<size_t> committed;        // indexes into outcomes of the new entries
    std::vector<size_t> resent_in_group;  // resends of entries new in this group
    std::vector<proof::StoredNode> nodes;
    const size_t index_before = state.index.size();
    Txn txn;  // each envelope's in turn, handed to group_txn or rolled back

    for (size_t i = 0; i < group.size(); ++i) {
      Prepared& prepared = group[i];
      Outcome& outcome = outcomes[i];
      if (!prepared.status.is_ok()) {
        outcome.status = prepared.status;
        continue;
      }
      const std::string nonce = nonce_key(prepared.envelope);
      if (auto seen = find_nonce(nonce, group_nonces, group_entries); !seen.is_ok()) {
        outcome.status = seen.status();
        continue;
      } else if (seen->has_value()) {
        outcome = resend(prepared, **seen, group_entries);
        if (outcome.status.is_ok()) {
          // Its receipt names a checkpoint that exists: the latest one before this group, or, when
          // it resends an entry of this very group, the group's own (filled in once written).
          outcome.receipt.checkpoint_size = head_before.size;
          if (**seen >= head_before.size) resent_in_group.push_back(i);
        }
        continue;
      }
      const uint64_t seq = head.size;
      EntryContext ctx{seq, commit_ms, &prepared.envelope, prepared.cosigners};
      ApplyOutcome applied = apply_envelope(state, ctx, history(&group_entries), txn);
      if (!applied.is_ok()) {
        txn.rollback();
        outcome.status = applied.status;
        outcome.op_index = applied.op_index;
        continue;
      }
      if (seq == 0 && state.ledger_record()->ledger_key != ledger_key->public_key()) {
        txn.rollback();
        outcome.status = invalid_argument("the genesis names a ledger key other than the key file's");
        continue;
      }
      txn.merge_into(group_txn);
      schemas::Entry entry;
      entry.seq = seq;
      entry.commit_ms = commit_ms;
      entry.prev_hash = head.last_hash;
      entry.signed_envelope = std::move(prepared.signed_envelope);
      const std::string bytes = schemas::try_encode(entry).value();
      const Hash32 leaf = proof::leaf_hash(bytes);
      nodes.clear();
      frontier.append(leaf, nodes);
      for (const auto& node : nodes) {
        batch.put(Column::kMerkle, merkle_key(node.level, node.index), as_chars(node.hash));
      }
      batch.put(Column::kEntries, u64_key(seq), bytes);
      batch.put(Column::kNonces, nonce, u64_key(seq));
      group_nonces.emplace(nonce, seq);
      group_entries.emplace(seq, std::move(entry));
      head.size = seq + 1;
      head.last_hash = leaf;
      head.last_commit_ms = commit_ms;
      outcome.receipt = schemas::Receipt{seq, leaf, commit_ms, 0};
      committed.push_back(i);
    }

    if (committed.empty()) {
      group_txn.commit();
      return outcomes;
    }
    const LedgerRecord& ledger = *state.ledger_record();
    const proof::Checkpoint checkpoint{ledger.origin, head.size, frontier.root(), {}};
    const std::string note = proof::sign_note(proof::format_checkpoint(checkpoint), ledger.origin,
                                              *ledger_key);
    batch.put(Column::kCheckpoints, u64_key(head.size), note);
    batch.put(Column::kMeta, kHeadKey, schemas::try_encode(head).value());

    Status written = storage->write(batch, /*sync=*/true);
    if (!written.is_ok()) {
      group_txn.rollback();
      frontier = frontier_before;
      head = head_before;
      // After a failed fsync the batch may be on disk after all: say only what is certain, and
      // how the sender finds out (its resend is idempotent).
      broken = unavailable("the ledger could not write to disk and stopped accepting writes (" +
                           written.message() +
                           "); this envelope was not acknowledged: send the same envelope again "
                           "once the ledger accepts writes, and it returns its receipt if it was "
                           "recorded after all");
      for (size_t i : committed) {
        outcomes[i].status = broken;
        outcomes[i].receipt = {};
      }
      for (size_t i : resent_in_group) {
        outcomes[i].status = broken;
        outcomes[i].receipt = {};
        outcomes[i].duplicate = false;
      }
      return outcomes;
    }
    group_txn.commit();
    for (size_t i : committed) outcomes[i].receipt.checkpoint_size = head.size;
    for (size_t i : resent_in_group) outcomes[i].receipt.checkpoint_size = head.size;
    postings_since_snapshot += state.index.size() - index_before;
    if (postings_since_snapshot >= options.snapshot_every_postings) start_snapshot();
    return outcomes;
  }

  // The seq an envelope's nonce was used at, if any: in this group or on disk.
  Result<std::optional<uint64_t>> find_nonce(
      const std::string& nonce, const std::unordered_map<std::string, uint64_t>& group_nonces,
      const std::unordered_map<uint64_t, schemas::Entry>&) const {
    if (auto it = group_nonces.find(nonce); it != group_nonces.end()) {
      return std::optional<uint64_t>(it->second);
    }
    PASSBOOK_ASSIGN_OR_RETURN(std::optional<std::string> stored, storage->get(Column::kNonces, nonce));
    if (!stored) return std::optional<uint64_t>();
    if (stored->size() != 8) return data_loss("a stored nonce record has the wrong size");
    return std::optional<uint64_t>(get_u64_be(*stored));
  }

  // A nonce seen before: the first receipt if it is the same envelope, else a refusal.
  Outcome resend(const Prepared& prepared, uint64_t seq,
                 const std::unordered_map<uint64_t, schemas::Entry>& group_entries) const {
    Outcome outcome;
    schemas::Entry original;
    std::string bytes;
    if (auto it = group_entries.find(seq); it != group_entries.end()) {
      original = it->second;
      bytes = schemas::try_encode(original).value();
    } else {
      auto stored = read_entry(*storage, seq);
      if (!stored.is_ok()) {
        outcome.status = stored.status();
        return outcome;
      }
      original = stored->entry;
      bytes = stored->bytes;
    }
    if (original.signed_envelope.envelope != prepared.signed_envelope.envelope) {
      outcome.status = already_exists("this nonce was already used by entry " + std::to_string(seq) +
                                      " for a different envelope; use a new nonce");
      return outcome;
    }
    outcome.duplicate = true;
    outcome.receipt = schemas::Receipt{seq, proof::leaf_hash(bytes), original.commit_ms, 0};  // commit() names the checkpoint
    return outcome;
  }

  // State rows to write (value) or delete (nullopt), by full state key.
  using StateRows = std::vector<std::pair<std::string, std::optional<std::string>>>;

  // Starts a snapshot of the state as it is now, written in the background so that commits go
  // on: the changed rows are encoded here (they must be this moment's values), the postings are
  // frozen and written by the task. Called with the lock held; skipped while one is in flight.
  void start_snapshot() {
    if (snapshot_in_flight.valid()) {
      if (snapshot_in_flight.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
      if (Status s = snapshot_in_flight.get(); !s.is_ok()) {
        // No snapshot after a failed one: the state rows it drained are lost, so a later
        // watermark would claim rows that were never stored. Reopening replays from the last
        // watermark instead.
        broken = s;
        return;
      }
    }
    auto rows = std::make_shared<StateRows>(drain_state_rows());
    std::shared_ptr<const IndexTail::ByAccount> postings = state.index.freeze();
    const uint64_t through = state.next_seq;
    postings_since_snapshot = 0;
    auto write = [this, rows, postings, through] {
      Status s = write_snapshot_batch(*rows, *postings, through);
      std::unique_lock lock(mutex);
      state.index.release_frozen();
      if (s.is_ok()) {
        stored_through = through;
      } else if (broken.is_ok()) {
        broken = s;  // writes stop now, not at the next snapshot: the drained rows are lost
      }
      return s;
    };
    try {
      snapshot_in_flight = std::async(std::launch::async, std::move(write));
    } catch (const std::system_error& e) {
      // No thread to write it: the drained rows exist only in memory now, so writes stop until a
      // reopen reloads the state from the last snapshot (entries are all on disk already).
      broken = unavailable(std::string("the ledger could not start writing a state snapshot (") +
                           e.what() + ") and stopped accepting writes; reopen it to recover");
    }
  }

  // Takes the background snapshot out (under the lock) and waits for it without the lock, which
  // the task itself needs to finish.
  Status finish_snapshot() {
    std::future<Status> pending;
    {
      std::unique_lock lock(mutex);
      pending = std::move(snapshot_in_flight);
    }
    return pending.valid() ? pending.get() : Status::ok();
  }

  // Writes the rows changed since the last snapshot and the index postings, and records how far
  // the stored state reaches, before returning. Not synced: a lost snapshot only means a longer
  // replay. No background snapshot may be in flight.
  Status write_snapshot() {
    assert(!snapshot_in_flight.valid());
    StateRows rows = drain_state_rows();
    Status s = write_snapshot_batch(rows, state.index.take_all(), state.next_seq);
    postings_since_snapshot = 0;
    if (s.is_ok()) stored_through = state.next_seq;
    return s;
  }

  // Every state row changed since the last snapshot, encoded as it is now (under the lock).
  StateRows drain_state_rows() {
    StateRows rows;
    for (TableBase* table : state.tables()) {
      table->drain_dirty([&](const std::string& key, const std::optional<std::string>& value) {
        rows.emplace_back(key, value);
      });
    }
    return rows;
  }

  // One snapshot, in one batch: `postings` after those already stored, the state rows, and the
  // watermark `through`, so that the index never holds postings the watermark does not cover.
  // The rows go in key order, as IndexTail::in_key_order says why. The batch's memtable inserts
  // take a while (~60k rows in t1), but commits do not wait for them: storage.cpp says why
  // (unordered_write). Needs no lock: the snapshot owns what it writes.
  Status write_snapshot_batch(StateRows& rows, const IndexTail::ByAccount& postings,
                              uint64_t through) {
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    Storage::Batch batch(*storage);
    Status s = add_index_rows(postings, batch);
    if (s.is_ok()) {
      add_state_rows(rows, batch);
      batch.put(Column::kMeta, kStateThroughKey, u64_key(through));
      batch.put(Column::kMeta, kIndexFormatKey, kIndexFormat);
      s = storage->write(batch, /*sync=*/false);
    }
    if (s.is_ok()) return Status::ok();
    index_writer.forget();
    return unavailable("the ledger could not write a state snapshot (" + s.message() +
                       ") and stopped accepting writes; reopen it to recover");
  }

  // The index rows that store `postings` after those already stored.
  Status add_index_rows(const IndexTail::ByAccount& postings, Storage::Batch& batch) {
    for (const auto* account : IndexTail::in_key_order(postings)) {
      PASSBOOK_RETURN_IF_ERROR(index_writer.add(*storage, account->first, account->second, batch));
    }
    return Status::ok();
  }

  // Moves the rows into the batch, freeing each as it goes: at 1,000,000 postings a snapshot's
  // rows are tens of MiB, and holding them twice (here and in the batch) showed in the
  // server's peak memory.
  static void add_state_rows(StateRows& rows, Storage::Batch& batch) {
    for (auto& [key, value] : rows) {
      if (value) {
        batch.put(Column::kState, key, *value);
      } else {
        batch.erase(Column::kState, key);
      }
      std::string().swap(key);
      value.reset();
    }
    rows = {};
  }

  Status recover() {
    Status background = finish_snapshot();
    std::unique_lock lock(mutex);
    if (closed || closing) return unavailable("the ledger is closed");
    if (broken.is_ok() && background.is_ok()) return Status::ok();
    if (broken.is_ok()) broken = background;
    // Letting go of the database is final until a reopen succeeds; on a disk that still cannot
    // take a write, that reopen fails and the ledger would serve nothing at all. So first make
    // sure the disk takes (and syncs) a write; if not, keep serving reads and refusing writes.
    if (Status probe = probe_disk(options.data_dir / "db"); !probe.is_ok()) return probe;
    // Whatever is on disk is the truth: drop the database handle and everything in memory, then
    // load it again exactly as a restart would.
    storage.reset();
    state.clear();
    index_writer.forget();
    head = Head{};
    frontier = proof::MerkleFrontier();
    postings_since_snapshot = 0;
    stored_through = 0;
    auto reopened = Storage::open(options.data_dir / "db", Storage::Mode::kOpenExisting);
    if (!reopened.is_ok()) {
      broken = reopened.status();
      return broken;
    }
    storage = std::move(reopened).value();
    Status loaded = load();
    if (!loaded.is_ok()) {
      broken = loaded;
      return loaded;
    }
    broken = Status::ok();
    return Status::ok();
  }

  Status close() {
    {
      std::unique_lock lock(mutex);
      if (closed) return Status::ok();
      closing = true;  // commit() refuses from here on, so no new snapshot can start
    }
    Status background = finish_snapshot();
    std::unique_lock lock(mutex);
    if (closed) return Status::ok();
    if (!background.is_ok() && broken.is_ok()) broken = background;
    Status s = Status::ok();
    if (!options.read_only && broken.is_ok()) s = write_snapshot();
    closed = true;
    storage.reset();
    return s;
  }

  // ---- reading ---------------------------------------------------------------------------

  Status require_open() const {
    if (closed) return unavailable("the ledger is closed");
    // A reopen in recover() that failed leaves no database to read from.
    if (!storage)
      return unavailable("the ledger's database could not be reopened: " + broken.message());
    return Status::ok();
  }
};

namespace {

// Two, for the two cores of a small server: loading runs beside them, and the scan reads from
// the page cache or one disk, which more threads would not make faster.
constexpr unsigned kScanThreads = 2;

// Reads every table file's checksums on threads of their own. Without a thread to spare it reads
// them here, before the caller goes on.
std::future<Status> start_checksum_scan(const Storage& storage) {
  try {
    return std::async(std::launch::async,
                      [&storage] { return storage.verify_checksums(kScanThreads); });
  } catch (const std::system_error&) {
    std::promise<Status> done;
    done.set_value(storage.verify_checksums(kScanThreads));
    return done.get_future();
  }
}

}  // namespace

// ---- Ledger ------------------------------------------------------------------------------

Ledger::Ledger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Ledger::~Ledger() {
  if (impl_) (void)impl_->close();
}

Result<std::unique_ptr<Ledger>> Ledger::create(const Options& options,
                                               schemas::SignedEnvelope genesis) {
  const std::filesystem::path db_dir = options.data_dir / "db";
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->clock = options.clock ? options.clock : &system_clock();
  PASSBOOK_RETURN_IF_ERROR(impl->load_ledger_key());
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return unavailable("cannot create " + options.data_dir.string() + ": " + ec.message());
  PASSBOOK_ASSIGN_OR_RETURN(impl->storage, Storage::open(db_dir, Storage::Mode::kCreate));
  Outcome outcome = std::move(impl->commit({prepare(std::move(genesis))}).front());
  if (outcome.status.is_ok()) outcome.status = impl->finish_snapshot();
  if (outcome.status.is_ok()) {
    // The first snapshot makes the genesis state part of the stored state at once.
    std::unique_lock lock(impl->mutex);
    outcome.status = impl->write_snapshot();
  }
  if (!outcome.status.is_ok()) {
    impl->storage.reset();
    std::filesystem::remove_all(db_dir, ec);  // nothing was acknowledged: leave no half ledger
    return outcome.status.with_context("the genesis was refused");
  }
  return std::unique_ptr<Ledger>(new Ledger(std::move(impl)));
}

Result<std::unique_ptr<Ledger>> Ledger::open(const Options& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->clock = options.clock ? options.clock : &system_clock();
  if (!options.read_only && options.load_ledger_key) {
    PASSBOOK_RETURN_IF_ERROR(impl->load_ledger_key());
  }
  PASSBOOK_ASSIGN_OR_RETURN(
      impl->storage,
      Storage::open(options.data_dir / "db",
                    options.read_only ? Storage::Mode::kReadOnly : Storage::Mode::kOpenExisting));
  // Opening reads only the tail of the chain: without the scan a damaged table file would be
  // served (and built upon) until someone happened to read the damaged block. The scan reads
  // every table file and loading reads the state and the tail (each about half a second at 10M
  // entries), so they run at once; a damaged file is still refused before anything is served.
  std::future<Status> scan;
  if (!options.read_only && options.checksum_scan_at_open) {
    scan = start_checksum_scan(*impl->storage);
  }
  const Status loaded = impl->load();
  if (scan.valid()) PASSBOOK_RETURN_IF_ERROR(scan.get());
  PASSBOOK_RETURN_IF_ERROR(loaded);
  if (impl->ledger_key && impl->state.ledger_record()->ledger_key != impl->ledger_key->public_key()) {
    return permission_denied("the ledger key file does not belong to this ledger");
  }
  return std::unique_ptr<Ledger>(new Ledger(std::move(impl)));
}

Prepared Ledger::prepare(schemas::SignedEnvelope signed_envelope) {
  Prepared prepared;
  prepared.signed_envelope = std::move(signed_envelope);
  auto envelope = schemas::decode<schemas::Envelope>(prepared.signed_envelope.envelope, "the envelope");
  if (!envelope.is_ok()) {
    prepared.status = envelope.status();
    return prepared;
  }
  prepared.envelope = std::move(envelope).value();
  const std::string& bytes = prepared.signed_envelope.envelope;
  if (!proof::ed25519_verify(prepared.envelope.signer, bytes, prepared.signed_envelope.signature)) {
    prepared.status = unauthenticated("the envelope's signature does not match its signer's key");
    return prepared;
  }
  for (const auto& cosignature : prepared.signed_envelope.cosignatures) {
    if (!proof::ed25519_verify(cosignature.key, bytes, cosignature.signature)) {
      prepared.status = unauthenticated("a co-signature does not match its key " +
                                        to_hex(cosignature.key).substr(0, 16));
      return prepared;
    }
    prepared.cosigners.push_back(cosignature.key);
  }
  return prepared;
}

std::vector<Outcome> Ledger::commit(std::vector<Prepared> group) {
  return impl_->commit(std::move(group));
}

Outcome Ledger::submit(schemas::SignedEnvelope signed_envelope) {
  std::vector<Prepared> group;
  group.push_back(prepare(std::move(signed_envelope)));
  return std::move(commit(std::move(group)).front());
}

Status Ledger::close() { return impl_->close(); }

Status Ledger::copy_database(const std::filesystem::path& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return unavailable("cannot create " + dir.string() + ": " + ec.message());
  std::shared_lock lock(impl_->mutex);
  PASSBOOK_RETURN_IF_ERROR(impl_->require_open());
  return impl_->storage->checkpoint(dir / "db");
}
const std::filesystem::path& Ledger::data_dir() const {
  return impl_->options.data_dir;
}
Status Ledger::recover() { return impl_->recover(); }
bool Ledger::needs_recovery() const {
  std::shared_lock lock(impl_->mutex);
  return !impl_->broken.is_ok();
}

LedgerInfo Ledger::info() const {
  std::shared_lock lock(impl_->mutex);
  LedgerInfo info;
  if (const LedgerRecord* ledger = impl_->state.ledger_record()) {
    info.id = ledger->ledger;
    info.origin = ledger->origin;
    info.ledger_key = ledger->ledger_key;
    info.verifier_key = proof::format_verifier_key(ledger->origin, ledger->ledger_key);
    info.utc_offset_minutes = ledger->utc_offset_minutes;
  }
  info.size = impl_->head.size;
  info.root = impl_->frontier.root();
  info.last_commit_ms = impl_->head.last_commit_ms;
  return info;
}

Result<AccountView> Ledger::account(AccountKind kind, const std::string& id) const {
  std::shared_lock lock(impl_->mutex);
  PASSBOOK_RETURN_IF_ERROR(impl_->require_open());
  const std::string key = account_key(kind, id);
  const AccountRecord* record = impl_->state.accounts.find(key);
  if (record == nullptr) return not_found("there is no account " + id);
  return to_view(key, *record);
}

std::vector<AccountView> Ledger::accounts(const std::string& branch) const {
  std::shared_lock lock(impl_->mutex);
  std::vector<AccountView> out;
  impl_->state.accounts.for_each([&](const std::string& key, const AccountRecord& record) {
    if (record.kind == AccountKind::kVolunteer && (branch.empty() || record.branch == branch)) {
      out.push_back(to_view(key, record));
    }
  });
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

Result<std::vector<HistoryLine>> Ledger::history(AccountKind kind, const std::string& id) const {
  std::shared_lock lock(impl_->mutex);
  PASSBOOK_RETURN_IF_ERROR(impl_->require_open());
  const std::string key = account_key(kind, id);
  if (impl_->state.accounts.find(key) == nullptr) return not_found("there is no account " + id);
  std::vector<Posting> postings;
  PASSBOOK_RETURN_IF_ERROR(read_postings(*impl_->storage, key, impl_->stored_through, postings));
  for (const Posting& p : impl_->state.index.account(key)) postings.push_back(p);
  std::vector<HistoryLine> lines;
  lines.reserve(postings.size());
  int64_t balance = 0;
  uint64_t cached_seq = kNever;
  schemas::Entry cached_entry;
  schemas::Envelope cached_envelope;
  for (const Posting& p : postings) {
    if (p.seq != cached_seq) {
      PASSBOOK_ASSIGN_OR_RETURN(StoredEntry stored, read_entry(*impl_->storage, p.seq));
      PASSBOOK_ASSIGN_OR_RETURN(cached_envelope, schemas::decode<schemas::Envelope>(
                                                     stored.entry.signed_envelope.envelope,
                                                     "entry " + std::to_string(p.seq) + "'s envelope"));
      cached_entry = std::move(stored.entry);
      cached_seq = p.seq;
    }
    if (p.op >= cached_envelope.ops.size()) {
      return data_loss("the index names an operation entry " + std::to_string(p.seq) + " does not have");
    }
    balance += p.delta;
    lines.push_back(HistoryLine{p.seq, p.op, cached_entry.commit_ms, p.delta, balance,
                                cached_envelope.signer, cached_envelope.ops[p.op]});
  }
  return lines;
}

Result<StoredEntry> Ledger::entry(uint64_t seq) const {
  std::shared_lock lock(impl_->mutex);
  PASSBOOK_RETURN_IF_ERROR(impl_->require_open());
  if (seq >= impl_->head.size) {
    return not_found("there is no entry " + std::to_string(seq) + "; the ledger has " +
                     std::to_string(impl_->head.size));
  }
  return read_entry(*impl_->storage, seq);
}

namespace {

ActorView to_view(const std::string& key, const ActorRecord& record) {
  ActorView view;
  std::copy(key.begin(), key.end(), view.key.begin());
  view.role = record.role;
  view.scope = record.scope;
  view.name = record.name;
  view.registered_seq = record.registered_seq;
  if (!record.active()) view.revoked_seq = record.revoked_seq;
  return view;
}

}  // namespace

Result<ActorView> Ledger::actor(const PublicKey& key) const {
  std::shared_lock lock(impl_->mutex);
  // A reopen that failed leaves no state: every key would look unregistered.
  PASSBOOK_RETURN_IF_ERROR(impl_->require_open());
  const std::string id(as_chars(key));
  const ActorRecord* record = impl_->state.actors.find(id);
  if (record == nullptr) return not_found("the key " + to_hex(key).substr(0, 16) + " is not registered");
  return to_view(id, *record);
}

std::vector<ActorView> Ledger::actors() const {
  std::shared_lock lock(impl_->mutex);
  std::vector<ActorView> out;
  impl_->state.actors.for_each([&](const std::string& key, const ActorRecord& record) {
    out.push_back(to_view(key, record));
  });
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.registered_seq < b.registered_seq ||
                                                      (a.registered_seq == b.registered_seq && a.key < b.key); });
  return out;
}

std::vector<RuleView> Ledger::rules() const {
  std::shared_lock lock(impl_->mutex);
  std::vector<RuleView> out;
  impl_->state.rules.for_each([&](const std::string& key, const RuleRecord& record) {
    const size_t split = key.find('\0');
    out.push_back(RuleView{key.substr(0, split), key.substr(split + 1), record.points_per_hour,
                           record.daily_cap_minutes, record.set_seq});
  });
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.branch, a.category) < std::tie(b.branch, b.category);
  });
  return out;
}

std::vector<RewardView> Ledger::rewards(const std::string& merchant) const {
  std::shared_lock lock(impl_->mutex);
  std::vector<RewardView> out;
  impl_->state.rewards.for_each([&](const std::string& key, const RewardRecord& record) {
    const size_t split = key.find('\0');
    RewardView view{key.substr(0, split), key.substr(split + 1), record.name, record.price,
                    record.stock, record.per_person_limit, record.period, record.listed,
                    record.redeemed};
    if (merchant.empty() || view.merchant == merchant) out.push_back(std::move(view));
  });
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.merchant, a.reward) < std::tie(b.merchant, b.reward);
  });
  return out;
}

std::vector<ClaimView> Ledger::claims(const std::string& branch) const {
  std::shared_lock lock(impl_->mutex);
  std::vector<ClaimView> out;
  impl_->state.claims.for_each([&](const std::string& key, const ClaimRecord& record) {
    if (!branch.empty() && record.branch != branch) return;
    ClaimView view;
    view.ref = {get_u64_be(key), get_u32_be(std::string_view(key).substr(8))};
    view.account = record.account;
    view.branch = record.branch;
    view.category = record.category;
    view.minutes = record.minutes;
    view.service_day = record.service_day;
    view.points = record.points;
    view.claimer = record.claimer;
    view.decision = record.decision;
    if (record.decided_seq != kNever) view.decided_seq = record.decided_seq;
    out.push_back(std::move(view));
  });
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.ref.seq, a.ref.op) < std::tie(b.ref.seq, b.ref.op);
  });
  return out;
}

std::vector<ReservationView> Ledger::reservations(const std::string& merchant) const {
  std::shared_lock lock(impl_->mutex);
  std::vector<ReservationView> out;
  impl_->state.reservations.for_each([&](const std::string& key, const ReservationRecord& record) {
    if (!merchant.empty() && record.merchant != merchant) return;
    ReservationView view;
    view.ref = {get_u64_be(key), get_u32_be(std::string_view(key).substr(8))};
    view.account = record.account;
    view.merchant = record.merchant;
    view.reward = record.reward;
    view.quantity = record.quantity;
    view.points = record.points;
    view.state = record.state;
    if (record.closed_seq != kNever) view.closed_seq = record.closed_seq;
    out.push_back(std::move(view));
  });
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.ref.seq, a.ref.op) < std::tie(b.ref.seq, b.ref.op);
  });
  return out;
}

Result<std::string> Ledger::checkpoint(uint64_t size) const {
  std::shared_lock lock(impl_->mutex);
  PASSBOOK_RETURN_IF_ERROR(impl_->require_open());
  const uint64_t wanted = size == 0 ? impl_->head.size : size;
  PASSBOOK_ASSIGN_OR_RETURN(std::optional<std::string> note,
                            impl_->storage->get(Column::kCheckpoints, u64_key(wanted)));
  if (!note) return not_found("there is no checkpoint for tree size " + std::to_string(wanted));
  return *note;
}

Result<std::vector<Hash32>> Ledger::inclusion_proof(uint64_t index, uint64_t size) const {
  std::shared_lock lock(impl_->mutex);
  PASSBOOK_RETURN_IF_ERROR(impl_->require_open());
  if (size > impl_->head.size) {
    return not_found("the tree has only " + std::to_string(impl_->head.size) + " entries");
  }
  return proof::inclusion_proof(index, size, node_reader(*impl_->storage));
}

Result<std::vector<Hash32>> Ledger::consistency_proof(uint64_t size1, uint64_t size2) const {
  std::shared_lock lock(impl_->mutex);
  PASSBOOK_RETURN_IF_ERROR(impl_->require_open());
  if (size2 > impl_->head.size) {
    return not_found("the tree has only " + std::to_string(impl_->head.size) + " entries");
  }
  return proof::consistency_proof(size1, size2, node_reader(*impl_->storage));
}

Result<Hash32> Ledger::root_at(uint64_t size) const {
  std::shared_lock lock(impl_->mutex);
  PASSBOOK_RETURN_IF_ERROR(impl_->require_open());
  if (size > impl_->head.size) {
    return not_found("the tree has only " + std::to_string(impl_->head.size) + " entries");
  }
  return proof::tree_root(size, node_reader(*impl_->storage));
}

}  // namespace passbook::ledger
