#include "passbook/ledger/verify.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

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

// An order-independent digest of index postings, so that the stored index (sorted by account)
// can be compared with the replay's postings (produced in chain order) without holding either.
struct PostingDigest {
  uint64_t count = 0;
  uint64_t sum = 0;
  uint64_t mixed = 0;
  void add(std::string_view key, int64_t value) {
    add_hash(mix(std::hash<std::string_view>{}(key) + static_cast<uint64_t>(value)));
  }
  // One posting: its account, entry and operation, and the points.
  void add(std::string_view account_key, const Posting& p) {
    uint64_t h = mix(std::hash<std::string_view>{}(account_key) + p.seq);
    h = mix(h + p.op);
    add_hash(mix(h + static_cast<uint64_t>(p.delta)));
  }
  friend bool operator==(const PostingDigest&, const PostingDigest&) = default;

 private:
  // splitmix64's finaliser: every input bit reaches every output bit.
  static uint64_t mix(uint64_t h) {
    h += 0x9E3779B97F4A7C15ull;
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
    return h ^ (h >> 31);
  }
  void add_hash(uint64_t h) {
    ++count;
    sum += h;
    mixed ^= h * 0xC4CEB9FE1A85EC53ull;
  }
};

std::string describe_row(std::string_view key) {
  if (key.empty()) return "an empty key";
  const std::string rest(key.substr(1));
  switch (key[0]) {
    case 'g': return "the ledger record";
    case 'k': return "the actor " + to_hex(rest).substr(0, 16);
    case 'a': {
      if (rest.empty()) return "an account";
      const std::string id = rest.substr(1);
      switch (rest[0]) {
        case 'v': return "the balance of volunteer " + id;
        case 'b': return "the balance of branch " + id;
        case 'm': return "the balance of merchant " + id;
        default: return "the " + id + " account";
      }
    }
    case 'r': return "a rule";
    case 'w': return "a reward";
    case 'd': return "a daily-cap counter";
    case 'u': return "a per-person limit counter";
    case 'c': return "a claim";
    case 'h': return "a reservation";
    case 'x': return "a reversal mark";
    default: return "a row of unknown kind";
  }
}

// The entry that last changed a state row, where the row records it.
std::optional<uint64_t> row_seq(std::string_view key, std::string_view value) {
  if (key.empty()) return std::nullopt;
  if (key[0] == 'a') {
    if (auto record = schemas::decode<AccountRecord>(value, "row"); record.is_ok()) return record->last_seq;
  }
  if (key[0] == 'w') {
    if (auto record = schemas::decode<RewardRecord>(value, "row"); record.is_ok()) return record->last_seq;
  }
  if (key[0] == 'r') {
    if (auto record = schemas::decode<RuleRecord>(value, "row"); record.is_ok()) return record->set_seq;
  }
  if (key[0] == 'k') {
    if (auto record = schemas::decode<ActorRecord>(value, "row"); record.is_ok()) {
      return record->active() ? record->registered_seq : record->revoked_seq;
    }
  }
  if (key[0] == 'c') {
    if (auto record = schemas::decode<ClaimRecord>(value, "row"); record.is_ok() && record->decided_seq != kNever) {
      return record->decided_seq;
    }
  }
  if (key[0] == 'h') {
    if (auto record = schemas::decode<ReservationRecord>(value, "row"); record.is_ok() && record->closed_seq != kNever) {
      return record->closed_seq;
    }
  }
  // Claims and reservations still open are named by the entry that made them (their key).
  if ((key[0] == 'c' || key[0] == 'h') && key.size() == 13) return get_u64_be(key.substr(1));
  if (key[0] == 'x') {
    if (auto record = schemas::decode<Counter>(value, "row"); record.is_ok() && record->value >= 0) {
      return static_cast<uint64_t>(record->value);
    }
  }
  return std::nullopt;
}

// One stored entry on its way through the walk. What does not depend on the entries before it
// (its hash, decoding, the envelope's signatures) is worked out first, for a whole batch on every
// core: Ed25519 checks are most of verify's work and the walk itself is sequential.
struct WalkItem {
  std::string key;
  std::string bytes;
  std::optional<schemas::Entry> entry;
  std::optional<schemas::Envelope> envelope;
  Hash32 leaf{};              // the entry hash of bytes
  Status problem;             // why entry or envelope did not decode
  bool signature_ok = false;  // the signer's signature over the envelope
  bool cosignatures_ok = false;
};

void check_independently(WalkItem& item) {
  item.leaf = proof::leaf_hash(item.bytes);
  const std::string label =
      "entry " + (item.key.size() == 8 ? std::to_string(get_u64_be(item.key)) : std::string("?"));
  auto entry = schemas::decode<schemas::Entry>(item.bytes, label);
  if (!entry.is_ok()) {
    item.problem = entry.status();
    return;
  }
  item.entry = std::move(entry).value();
  const std::string& envelope_bytes = item.entry->signed_envelope.envelope;
  auto envelope = schemas::decode<schemas::Envelope>(envelope_bytes, "the envelope of " + label);
  if (!envelope.is_ok()) {
    item.problem = envelope.status();
    return;
  }
  item.envelope = std::move(envelope).value();
  item.signature_ok = proof::ed25519_verify(item.envelope->signer, envelope_bytes,
                                            item.entry->signed_envelope.signature);
  item.cosignatures_ok = std::all_of(
      item.entry->signed_envelope.cosignatures.begin(),
      item.entry->signed_envelope.cosignatures.end(), [&](const schemas::CoSignature& c) {
        return proof::ed25519_verify(c.key, envelope_bytes, c.signature);
      });
}

// Checks a batch with check_independently on background threads, so that the walk of the
// batch before it goes on meanwhile: the walk is sequential, and without the overlap one core
// waited for it. Whoever finishes first takes the items left (work stealing by index).
class BatchChecker {
 public:
  BatchChecker(std::vector<WalkItem> items, unsigned helpers) : items_(std::move(items)) {
    for (unsigned i = 0; i < helpers; ++i) {
      try {
        threads_.emplace_back([this] { work(); });
      } catch (const std::system_error&) {
        break;  // no thread to be had: finish() does the work on the walk's thread
      }
    }
  }
  BatchChecker(const BatchChecker&) = delete;
  BatchChecker& operator=(const BatchChecker&) = delete;
  // Abandons what is left (the walk has stopped) and waits for the helpers.
  ~BatchChecker() {
    next_.store(items_.size());
    join();
  }

  // Checks what is left on this thread too, waits for the helpers, and hands the items over.
  std::vector<WalkItem> finish() {
    work();
    join();
    return std::move(items_);
  }

 private:
  void work() {
    for (size_t i = next_.fetch_add(1); i < items_.size(); i = next_.fetch_add(1)) {
      check_independently(items_[i]);
    }
  }
  void join() {
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

  std::vector<WalkItem> items_;
  std::atomic<size_t> next_{0};
  std::vector<std::thread> threads_;
};

// The stored index, read and checked against its own shape: each account's postings in chain
// order, in blocks of kPostingsPerBlock but the last, and none of an entry the stored state does
// not cover (a snapshot writes its postings and its watermark in one batch). It depends on
// nothing the walk finds, so it runs on a thread of its own while the walk goes on: read after
// the walk, the 4M postings of a 100-operation ledger kept the other core idle for ≈ 0.1 s.
struct StoredIndex {
  PostingDigest digest;
  std::vector<VerifyProblem> problems;  // at most 100
  bool damaged = false;                 // then the digest says nothing
};

StoredIndex read_stored_index(const Storage& storage, uint64_t through) {
  StoredIndex out;
  std::string account;  // the account of the row before
  Posting last{};       // its last posting
  size_t last_block_size = 0;
  auto index_problem = [&](std::optional<uint64_t> seq, const std::string& what) {
    out.damaged = true;
    out.problems.push_back({seq, what + "; run passbook rebuild"});
    return out.problems.size() < 100;
  };
  Status scanned =
      storage.scan(Column::kIndex, "", "", [&](std::string_view key, std::string_view value) {
        auto block = decode_index_block(key, value);
        if (!block.is_ok()) return index_problem(std::nullopt, block.status().message());
        const Posting& first = block->postings.front();
        if (block->account_key == account &&
            (last_block_size != kPostingsPerBlock || !comes_before(last, first)) &&
            !index_problem(first.seq, "the account index row of entry " +
                                          std::to_string(first.seq) +
                                          " does not follow the row before it")) {
          return false;
        }
        account.assign(block->account_key);
        last = block->postings.back();
        last_block_size = block->postings.size();
        for (const Posting& p : block->postings) {
          if (p.seq >= through) {
            return index_problem(std::nullopt, "the account index has a posting of entry " +
                                                   std::to_string(p.seq) +
                                                   ", which the stored state does not cover");
          }
          out.digest.add(account, p);
        }
        return true;
      });
  if (!scanned.is_ok()) {
    out.problems.push_back({std::nullopt, "reading the index failed: " + scanned.message()});
  }
  return out;
}

class Verifier {
 public:
  Verifier(const Storage& storage, const VerifyOptions& options)
      : storage_(storage), options_(options) {}

  Result<VerifyReport> run() {
    // Every table file, whole: the walk below reads only the entries, not the other columns.
    if (Status s = storage_.verify_checksums(); !s.is_ok()) problem(std::nullopt, s.message());
    PASSBOOK_ASSIGN_OR_RETURN(head_, read_head(storage_));
    PASSBOOK_ASSIGN_OR_RETURN(through_, read_state_through(storage_));
    start_reading_index();
    if (Status s = check_index_format(storage_, through_); !s.is_ok()) {
      problem(std::nullopt, s.message());
    }
    PASSBOOK_RETURN_IF_ERROR(collect_checkpoint_sizes());
    total_ = head_ ? head_->size : 0;
    if (!head_) problem(std::nullopt, "the head record is missing");
    if (through_ == 0) compare_state();  // nothing is stored yet: the stored state must be empty

    Status scanned = storage_.scan(Column::kEntries, "", "", [this](std::string_view k, std::string_view v) {
      WalkItem& item = batch_.emplace_back();
      item.key = k;
      item.bytes = v;
      return batch_.size() < kWalkBatch || walk_batch();
    });
    if (!scanned.is_ok()) problem(next_seq_, "reading the entries failed: " + scanned.message());
    if (chain_intact_ && scanned.is_ok()) walk_batch(/*last=*/true);
    checking_.reset();  // a scan that failed half-way leaves a batch being checked
    if (chain_intact_) finish_chain();
    check_nonces();
    if (options_.progress) options_.progress(report_.entries, total_);
    return std::move(report_);
  }

 private:
  void problem(std::optional<uint64_t> seq, std::string message) {
    report_.problems.push_back({seq, std::move(message)});
  }
  // A problem after which the rest of the chain cannot be trusted: stop the walk.
  bool chain_problem(uint64_t seq, std::string message) {
    problem(seq, std::move(message));
    chain_intact_ = false;
    return false;
  }

  Status collect_checkpoint_sizes() {
    return storage_.scan(Column::kCheckpoints, "", "", [this](std::string_view k, std::string_view) {
      if (k.size() != 8) {
        problem(std::nullopt, "a checkpoint is stored under a malformed key");
      } else {
        checkpoint_sizes_.push_back(get_u64_be(k));
      }
      return true;
    });
  }

  // Starts checking the batch just read in the background, then walks the batch before it (its
  // checks done) in order. False: stop the scan. `last`: no batch follows, walk this one too.
  bool walk_batch(bool last = false) {
    const unsigned threads = options_.threads != 0
                                 ? options_.threads
                                 : std::max(1u, std::thread::hardware_concurrency());
    std::unique_ptr<BatchChecker> previous = std::move(checking_);
    checking_ = std::make_unique<BatchChecker>(std::move(batch_), std::max(1u, threads) - 1);
    batch_.clear();
    bool go_on = previous == nullptr || walk_items(previous->finish());
    if (go_on && last) {
      std::unique_ptr<BatchChecker> final_batch = std::move(checking_);
      go_on = walk_items(final_batch->finish());
    }
    if (!go_on) checking_.reset();
    return go_on;
  }

  bool walk_items(const std::vector<WalkItem>& items) {
    read_merkle_nodes(next_seq_, next_seq_ + items.size());
    for (const WalkItem& item : items) {
      if (!walk_entry(item)) return false;
    }
    // The replay is compared, never stored: what changed since a snapshot does not matter here.
    // Kept, the list of changed rows and the rows erased (held for the snapshot that would write
    // their deletion) grew with the whole chain.
    for (TableBase* table : state_.tables()) table->forget_dirty();
    return true;
  }

  bool walk_entry(const WalkItem& item) {
    const uint64_t seq = next_seq_;
    const std::string_view key = item.key;
    if (key.size() != 8) return chain_problem(seq, "an entry is stored under a malformed key");
    const uint64_t stored_at = get_u64_be(key);
    if (stored_at != seq) {
      return chain_problem(seq, "entry " + std::to_string(seq) + " is missing (the next stored entry is " +
                                    std::to_string(stored_at) + ")");
    }
    if (!item.entry) return chain_problem(seq, item.problem.message());
    const schemas::Entry& entry = *item.entry;
    if (entry.seq != seq) {
      return chain_problem(seq, "the entry stored at " + std::to_string(seq) + " says it is entry " +
                                    std::to_string(entry.seq));
    }
    const Hash32& leaf = item.leaf;
    // The leaf is the level-0 node, read with the batch's other nodes.
    const auto stored_leaf = stored_node(0, seq);
    if (!stored_leaf || *stored_leaf != as_chars(leaf)) {
      return chain_problem(seq, "entry " + std::to_string(seq) +
                                    " has been altered: its hash no longer matches the Merkle tree");
    }
    if (entry.prev_hash != prev_hash_) {
      return chain_problem(seq, "entry " + std::to_string(seq) + " does not link to entry " +
                                    std::to_string(seq - 1));
    }
    if (entry.commit_ms < prev_commit_ms_) {
      return chain_problem(seq, "entry " + std::to_string(seq) + " is dated before the entry before it");
    }
    if (!check_merkle(seq, leaf)) return false;
    if (!apply_entry(seq, item)) return false;
    prev_hash_ = leaf;
    prev_commit_ms_ = entry.commit_ms;
    nonces_walked_.add(nonce_key(*item.envelope), static_cast<int64_t>(seq));
    ++next_seq_;
    ++report_.entries;
    if (!check_checkpoints()) return false;
    if (state_.next_seq == through_) compare_state();
    if (options_.progress && report_.entries % 10'000 == 0) options_.progress(report_.entries, total_);
    return true;
  }

  // Reads, one range per level, the stored Merkle nodes that appending leaves [first, end)
  // completes: node (level, i) completes with leaf (i + 1)·2^level − 1, so i runs from
  // first >> level to (end >> level) − 1. A point read per node was ≈ 8% of verify's time.
  void read_merkle_nodes(uint64_t first, uint64_t end) {
    for (auto& level : stored_nodes_) level.hashes.clear();
    for (unsigned level = 0; level < stored_nodes_.size() && (end >> level) > (first >> level);
         ++level) {
      StoredLevel& stored = stored_nodes_[level];
      stored.first = first >> level;
      const uint64_t stop = end >> level;
      stored.hashes.assign(stop - stored.first, std::string());
      const std::string start = merkle_key(static_cast<uint8_t>(level), stored.first);
      Status scanned =
          storage_.scan(Column::kMerkle, start, start.substr(0, 1),
                        [&](std::string_view key, std::string_view value) {
                          if (key.size() != 9)
                            return true;  // not a node's key: the node it hides reads as missing
                          const uint64_t index = get_u64_be(key.substr(1));
                          if (index >= stop) return false;
                          stored.hashes[index - stored.first] = value;
                          return true;
                        });
      if (!scanned.is_ok()) stored.hashes.clear();  // every node of the level then reads as missing
    }
  }

  // A node read by read_merkle_nodes; nullopt if it is not stored.
  [[nodiscard]] std::optional<std::string_view> stored_node(unsigned level, uint64_t index) const {
    const StoredLevel& stored = stored_nodes_[level];
    if (index < stored.first || index - stored.first >= stored.hashes.size()) return std::nullopt;
    const std::string& hash = stored.hashes[index - stored.first];
    if (hash.empty()) return std::nullopt;
    return std::string_view(hash);
  }

  bool check_merkle(uint64_t seq, const Hash32& leaf) {
    nodes_.clear();
    frontier_.append(leaf, nodes_);
    for (const auto& node : nodes_) {
      const auto stored = stored_node(node.level, node.index);
      if (!stored || *stored != as_chars(node.hash)) {
        return chain_problem(seq, "the Merkle node at level " + std::to_string(node.level) + ", index " +
                                      std::to_string(node.index) + " is missing or damaged");
      }
    }
    return true;
  }

  bool apply_entry(uint64_t seq, const WalkItem& item) {
    const schemas::Entry& entry = *item.entry;
    if (!item.envelope) return chain_problem(seq, item.problem.message());
    const schemas::Envelope* envelope = &*item.envelope;
    report_.signatures += 1 + entry.signed_envelope.cosignatures.size();
    if (!item.signature_ok) {
      return chain_problem(seq, "the signature of entry " + std::to_string(seq) + " does not verify");
    }
    if (!item.cosignatures_ok) {
      return chain_problem(seq, "a co-signature of entry " + std::to_string(seq) + " does not verify");
    }
    std::vector<PublicKey> cosigners;
    for (const auto& cosignature : entry.signed_envelope.cosignatures)
      cosigners.push_back(cosignature.key);
    History history;
    history.entry = [this](uint64_t target) -> Result<schemas::Entry> {
      PASSBOOK_ASSIGN_OR_RETURN(StoredEntry stored, read_entry(storage_, target));
      return std::move(stored.entry);
    };
    history.posting = [this](std::string_view account, uint64_t target, uint32_t op) {
      // Postings already folded into the digest: the stored index, itself checked against the
      // digest at the end.
      return read_posting(storage_, account, target, op);
    };
    EntryContext ctx{seq, entry.commit_ms, envelope, cosigners};
    ApplyOutcome outcome = apply_envelope(state_, ctx, history, txn_);
    if (!outcome.is_ok()) {
      txn_.rollback();
      return chain_problem(seq, "entry " + std::to_string(seq) + " breaks the ledger's rules: " +
                                    outcome.status.message());
    }
    txn_.commit();
    if (state_.next_seq <= through_ && state_.index.size() > 100'000) drain_postings();
    return true;
  }

  void drain_postings() {
    for (const auto& [account, postings] : state_.index.take_all()) {
      for (const Posting& p : postings) replay_postings_.add(account, p);
    }
  }

  bool check_checkpoints() {
    while (checkpoint_cursor_ < checkpoint_sizes_.size() &&
           checkpoint_sizes_[checkpoint_cursor_] <= frontier_.size()) {
      const uint64_t size = checkpoint_sizes_[checkpoint_cursor_++];
      if (size != frontier_.size()) {
        problem(size == 0 ? std::optional<uint64_t>() : std::optional<uint64_t>(size - 1),
                "the checkpoint for size " + std::to_string(size) + " cannot be checked");
        continue;
      }
      auto note = storage_.get(Column::kCheckpoints, u64_key(size));
      const LedgerRecord* ledger = state_.ledger_record();
      if (!note.is_ok() || !note->has_value() || ledger == nullptr) {
        problem(size - 1, "the checkpoint for size " + std::to_string(size) + " cannot be read");
        continue;
      }
      ++report_.checkpoints;
      ++report_.signatures;
      const proof::NoteVerifier verifier{
          ledger->origin, proof::note_key_id(ledger->origin, ledger->ledger_key), ledger->ledger_key};
      auto checkpoint = proof::verify_checkpoint(**note, verifier, ledger->origin);
      if (!checkpoint.is_ok()) {
        problem(size - 1, "the checkpoint for size " + std::to_string(size) +
                              " does not verify: " + checkpoint.status().message());
      } else if (checkpoint->size != size || checkpoint->root != frontier_.root()) {
        problem(size - 1, "the checkpoint for size " + std::to_string(size) +
                              " does not match the root recomputed from the entries");
      }
    }
    return true;
  }

  void compare_state() {
    if (compared_) return;
    compared_ = true;
    if (!stored_state_matches()) name_state_differences();
    drain_postings();
    check_index();
  }

  // Whether the stored state holds exactly the replay's rows, byte for byte: each stored row
  // looked up in the replay, then the counts compared. That is the common case, and it needs no
  // sorted copy of the replayed state (building one was a tenth of a 100-op ledger's verify).
  bool stored_state_matches() {
    const std::vector<const TableBase*> tables = std::as_const(state_).tables();
    uint64_t rows = 0;
    bool same = true;
    Status scanned =
        storage_.scan(Column::kState, "", "", [&](std::string_view key, std::string_view value) {
          ++rows;
          const TableBase* table = std::as_const(state_).table_of(key);
          const std::optional<std::string> replayed =
              table == nullptr ? std::nullopt : table->encoded(key.substr(1));
          same = replayed && *replayed == value;
          return same;
        });
    if (!scanned.is_ok() || !same) return false;
    uint64_t replayed_rows = 0;
    for (const TableBase* table : tables) replayed_rows += table->size();
    if (rows != replayed_rows) return false;
    report_.state_rows += rows;
    return true;
  }

  // Every row where the stored state and the replay differ, in key order (up to 100 problems).
  void name_state_differences() {
    const std::map<std::string, std::string> replay = state_.encode_sorted();
    auto it = replay.begin();
    auto mismatch = [this](std::string_view key, std::optional<std::string_view> stored,
                           std::optional<std::string_view> replayed) {
      std::optional<uint64_t> seq;
      if (replayed) seq = row_seq(key, *replayed);
      if (!seq && stored) seq = row_seq(key, *stored);
      std::string what = describe_row(key);
      std::string message = !stored ? what + " is missing from the stored state"
                            : !replayed ? what + " is in the stored state but not in the chain"
                                        : what + " differs from a replay of the chain";
      if (seq) message += " (last changed by entry " + std::to_string(*seq) + ")";
      problem(seq, message + "; run passbook rebuild to restore it from the chain");
    };
    Status scanned = storage_.scan(Column::kState, "", "", [&](std::string_view key, std::string_view value) {
      ++report_.state_rows;
      while (it != replay.end() && it->first < key) {
        mismatch(it->first, std::nullopt, it->second);
        ++it;
      }
      if (it != replay.end() && it->first == key) {
        if (it->second != value) mismatch(key, value, it->second);
        ++it;
      } else {
        mismatch(key, value, std::nullopt);
      }
      return report_.problems.size() < 100;
    });
    if (!scanned.is_ok()) problem(std::nullopt, "reading the stored state failed: " + scanned.message());
    for (; it != replay.end() && report_.problems.size() < 100; ++it)
      mismatch(it->first, std::nullopt, it->second);
  }

  void start_reading_index() {
    try {
      index_reader_ =
          std::jthread([this] { stored_index_ = read_stored_index(storage_, through_); });
    } catch (const std::system_error&) {
      // no thread to be had: check_index reads it on the walk's thread
    }
  }

  // The stored index (read_stored_index) against the replay's postings of every entry before the
  // stored state.
  void check_index() {
    if (index_reader_.joinable()) {
      index_reader_.join();
    } else {
      stored_index_ = read_stored_index(storage_, through_);
    }
    const StoredIndex& stored = *stored_index_;
    report_.problems.insert(report_.problems.end(), stored.problems.begin(), stored.problems.end());
    report_.postings = stored.digest.count;
    if (!stored.damaged && !(stored.digest == replay_postings_)) {
      problem(std::nullopt, "the account index differs from a replay of the chain (" +
                                std::to_string(stored.digest.count) + " stored postings, " +
                                std::to_string(replay_postings_.count) +
                                " replayed); run passbook rebuild");
    }
  }

  static std::string nonce_key(const schemas::Envelope& envelope) {
    std::string key(as_chars(envelope.signer));
    key.append(as_chars(envelope.nonce));
    return key;
  }

  // Each entry walked must have its nonce record (signer ‖ nonce → seq): without it the envelope
  // could be committed a second time. One scan of the column against a digest of the walk; only
  // when they differ are the entries read again, to name the first one whose record is wrong.
  void check_nonces() {
    PostingDigest stored;
    Status scanned =
        storage_.scan(Column::kNonces, "", "", [&](std::string_view key, std::string_view value) {
          if (value.size() == 8 && get_u64_be(value) < next_seq_) {
            stored.add(key, static_cast<int64_t>(get_u64_be(value)));
          }
          return true;
        });
    if (!scanned.is_ok()) {
      problem(std::nullopt, "reading the nonce records failed: " + scanned.message());
      return;
    }
    if (stored == nonces_walked_) return;
    std::optional<uint64_t> bad;
    scanned =
        storage_.scan(Column::kEntries, "", "", [&](std::string_view key, std::string_view value) {
          if (key.size() != 8 || get_u64_be(key) >= next_seq_) return false;
          const uint64_t seq = get_u64_be(key);
          auto entry = schemas::decode<schemas::Entry>(value, "entry");
          if (!entry.is_ok()) return false;  // the walk decoded it: the column changed meanwhile
          auto envelope =
              schemas::decode<schemas::Envelope>(entry->signed_envelope.envelope, "envelope");
          if (!envelope.is_ok()) return false;
          auto record = storage_.get(Column::kNonces, nonce_key(*envelope));
          if (!record.is_ok() || !record->has_value() || **record != u64_key(seq)) {
            bad = seq;
            return false;
          }
          return true;
        });
    if (bad) {
      problem(bad, "the nonce record of entry " + std::to_string(*bad) + " is missing or wrong");
    } else {
      problem(std::nullopt,
              "the nonce records name entries for nonces those entries do not carry (" +
                  std::to_string(stored.count) + " records for " +
                  std::to_string(nonces_walked_.count) + " entries)");
    }
  }

  void finish_chain() {
    if (through_ > next_seq_) {
      problem(std::nullopt, "the stored state claims " + std::to_string(through_) +
                                " entries but the chain has " + std::to_string(next_seq_));
    }
    const bool head_signed = head_ && std::find(checkpoint_sizes_.begin(), checkpoint_sizes_.end(), head_->size) !=
                                          checkpoint_sizes_.end();
    if (head_ && head_->size > next_seq_ && head_signed) {
      // A signed checkpoint covers the head, so entries were lost: the first missing one is bad.
      // (Without one, it is the head record that lies; that is reported below.)
      problem(next_seq_, "entry " + std::to_string(next_seq_) + " is missing: the head record says the chain has " +
                             std::to_string(head_->size) + " entries, only " + std::to_string(next_seq_) +
                             " are stored");
    } else if (head_ && (head_->size != next_seq_ || (next_seq_ > 0 && (head_->last_hash != prev_hash_ ||
                                                                        head_->last_commit_ms != prev_commit_ms_)))) {
      problem(next_seq_ == 0 ? std::optional<uint64_t>() : std::optional<uint64_t>(next_seq_ - 1),
              "the head record (" + std::to_string(head_->size) +
                  " entries) does not match the chain (" + std::to_string(next_seq_) + " entries)");
    }
    if (next_seq_ > 0 && std::find(checkpoint_sizes_.begin(), checkpoint_sizes_.end(), next_seq_) ==
                             checkpoint_sizes_.end()) {
      problem(next_seq_ - 1, "there is no signed checkpoint for the whole chain (size " + std::to_string(next_seq_) +
                                 "); the last commit's checkpoint is missing");
    }
    if (checkpoint_cursor_ < checkpoint_sizes_.size()) {
      problem(std::nullopt, "there is a checkpoint for size " +
                                std::to_string(checkpoint_sizes_[checkpoint_cursor_]) +
                                ", beyond the end of the chain");
    }
    int64_t sum = 0;
    bool overflow = false;
    state_.accounts.for_each([&](const std::string&, const AccountRecord& record) {
      overflow = overflow || __builtin_add_overflow(sum, record.balance, &sum);
    });
    if (overflow || sum != 0) {
      problem(std::nullopt, "the balances do not sum to zero after the replay");
    }
  }

  const Storage& storage_;
  const VerifyOptions& options_;
  VerifyReport report_;
  LedgerState state_;
  // One for every entry in turn: it keeps the room its steps took (an entry makes hundreds).
  Txn txn_;
  proof::MerkleFrontier frontier_;
  std::vector<proof::StoredNode> nodes_;
  // The stored nodes the batch being walked completes, by level (read_merkle_nodes).
  struct StoredLevel {
    uint64_t first = 0;               // the index of hashes[0]
    std::vector<std::string> hashes;  // empty string: not stored
  };
  std::array<StoredLevel, 64> stored_nodes_;
  // (signer ‖ nonce, seq) of every entry walked, to compare with the nonces column in one scan.
  PostingDigest nonces_walked_;
  std::optional<Head> head_;
  uint64_t through_ = 0;
  uint64_t total_ = 0;
  uint64_t next_seq_ = 0;
  Hash32 prev_hash_{};
  int64_t prev_commit_ms_ = 0;
  bool chain_intact_ = true;
  bool compared_ = false;
  std::vector<uint64_t> checkpoint_sizes_;
  size_t checkpoint_cursor_ = 0;
  PostingDigest replay_postings_;
  std::optional<StoredIndex> stored_index_;  // written by index_reader_ until it is joined
  static constexpr size_t kWalkBatch = 2048;
  std::vector<WalkItem> batch_;             // being read from the entries column
  std::unique_ptr<BatchChecker> checking_;  // read, being checked, not yet walked
  // Last, so that it is joined first: it reads storage_ and writes stored_index_.
  std::jthread index_reader_;
};

}  // namespace

std::optional<uint64_t> VerifyReport::first_bad_seq() const {
  std::optional<uint64_t> first;
  for (const auto& p : problems) {
    if (p.seq && (!first || *p.seq < *first)) first = p.seq;
  }
  return first;
}

Result<VerifyReport> verify(const VerifyOptions& options) {
  // Read-only, and holding the writer's lock: opened for writing, RocksDB's recovery would
  // rewrite the directory it is asked to judge (and flush a damaged log's remains into tables).
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage,
                            Storage::open(options.data_dir / "db", Storage::Mode::kInspect));
  return Verifier(*storage, options).run();
}

Status rebuild(const std::filesystem::path& data_dir) {
  {
    PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage,
                              Storage::open(data_dir / "db", Storage::Mode::kOpenExisting));
    PASSBOOK_RETURN_IF_ERROR(storage->clear(Column::kState));
    PASSBOOK_RETURN_IF_ERROR(storage->clear(Column::kIndex));
    Storage::Batch batch(*storage);
    batch.erase(Column::kMeta, kStateThroughKey);
    PASSBOOK_RETURN_IF_ERROR(storage->write(batch, /*sync=*/true));
  }
  Options options;
  options.data_dir = data_dir;
  options.load_ledger_key = false;
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Ledger> ledger, Ledger::open(options));
  return ledger->close();
}

}  // namespace passbook::ledger
