#include "passbook/ledger/mirror.h"

#include "chain.h"
#include "passbook/proof/crypto.h"
#include "passbook/proof/merkle.h"
#include "passbook/proof/note.h"
#include "passbook/schemas/encoding.h"
#include "passbook/schemas/records.h"
#include "storage.h"

namespace passbook::ledger {

struct Mirror::Impl {
  std::unique_ptr<Storage> storage;
  Head head;
  proof::MerkleFrontier frontier;
  std::optional<schemas::Genesis> genesis;

  Status load_genesis() {
    if (head.size == 0) return Status::ok();
    PASSBOOK_ASSIGN_OR_RETURN(StoredEntry first, read_entry(*storage, 0));
    PASSBOOK_ASSIGN_OR_RETURN(schemas::Envelope envelope,
                              schemas::decode<schemas::Envelope>(first.entry.signed_envelope.envelope, "entry 0"));
    const auto* g = std::get_if<schemas::Genesis>(&envelope.ops.front());
    if (g == nullptr) return data_loss("entry 0 of the mirror is not a genesis");
    genesis = *g;
    return Status::ok();
  }
};

Mirror::Mirror(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Mirror::~Mirror() = default;

Result<std::unique_ptr<Mirror>> Mirror::open(const std::filesystem::path& data_dir) {
  auto impl = std::make_unique<Impl>();
  const auto db = data_dir / "db";
  std::error_code ec;
  const bool exists = std::filesystem::exists(db / "CURRENT", ec);
  if (!exists) std::filesystem::create_directories(data_dir, ec);
  PASSBOOK_ASSIGN_OR_RETURN(impl->storage,
                            Storage::open(db, exists ? Storage::Mode::kOpenExisting : Storage::Mode::kCreate));
  PASSBOOK_ASSIGN_OR_RETURN(std::optional<Head> head, read_head(*impl->storage));
  if (head) impl->head = *head;
  PASSBOOK_ASSIGN_OR_RETURN(impl->frontier, proof::MerkleFrontier::load(impl->head.size, node_reader(*impl->storage)));
  PASSBOOK_RETURN_IF_ERROR(impl->load_genesis());
  return std::unique_ptr<Mirror>(new Mirror(std::move(impl)));
}

uint64_t Mirror::size() const { return impl_->head.size; }
Hash32 Mirror::root() const { return impl_->frontier.root(); }

Status Mirror::append(std::span<const std::string> entries) {
  Storage::Batch batch(*impl_->storage);
  Head head = impl_->head;
  proof::MerkleFrontier frontier = impl_->frontier;
  std::vector<proof::StoredNode> nodes;
  for (const std::string& bytes : entries) {
    const uint64_t seq = head.size;
    auto entry = schemas::decode<schemas::Entry>(bytes, "entry " + std::to_string(seq));
    if (!entry.is_ok()) return data_loss(entry.status().message());
    if (entry->seq != seq) {
      return data_loss("the server sent entry " + std::to_string(entry->seq) + " where " + std::to_string(seq) +
                       " belongs");
    }
    if (entry->prev_hash != head.last_hash) {
      return data_loss("entry " + std::to_string(seq) + " does not link to the entry before it");
    }
    auto envelope = schemas::decode<schemas::Envelope>(entry->signed_envelope.envelope,
                                                       "the envelope of entry " + std::to_string(seq));
    if (!envelope.is_ok()) return data_loss(envelope.status().message());
    const Hash32 leaf = proof::leaf_hash(bytes);
    nodes.clear();
    frontier.append(leaf, nodes);
    for (const auto& node : nodes) {
      batch.put(Column::kMerkle, merkle_key(node.level, node.index), as_chars(node.hash));
    }
    std::string nonce(as_chars(envelope->signer));
    nonce.append(as_chars(envelope->nonce));
    batch.put(Column::kNonces, nonce, u64_key(seq));
    batch.put(Column::kEntries, u64_key(seq), bytes);
    head = Head{seq + 1, leaf, entry->commit_ms};
  }
  batch.put(Column::kMeta, kHeadKey, schemas::try_encode(head).value());
  PASSBOOK_RETURN_IF_ERROR(impl_->storage->write(batch, /*sync=*/true));
  const bool had_genesis = impl_->head.size > 0;
  impl_->head = head;
  impl_->frontier = frontier;
  if (!had_genesis) PASSBOOK_RETURN_IF_ERROR(impl_->load_genesis());
  return Status::ok();
}

Status Mirror::add_checkpoint(const std::string& note) {
  if (!impl_->genesis) return failed_precondition("the mirror holds no entries yet");
  const schemas::Genesis& g = *impl_->genesis;
  const proof::NoteVerifier verifier{g.origin, proof::note_key_id(g.origin, g.ledger_key), g.ledger_key};
  auto checkpoint = proof::verify_checkpoint(note, verifier, g.origin);
  if (!checkpoint.is_ok()) {
    return data_loss("the checkpoint is not signed by this ledger's key: " + checkpoint.status().message());
  }
  if (checkpoint->size == 0 || checkpoint->size > impl_->head.size) {
    return failed_precondition("the checkpoint is for size " + std::to_string(checkpoint->size) +
                               "; the mirror holds " + std::to_string(impl_->head.size) + " entries");
  }
  PASSBOOK_ASSIGN_OR_RETURN(Hash32 root, proof::tree_root(checkpoint->size, node_reader(*impl_->storage)));
  if (root != checkpoint->root) {
    return data_loss("the signed checkpoint for size " + std::to_string(checkpoint->size) +
                     " does not match the entries the server sent: someone is not telling the truth");
  }
  Storage::Batch batch(*impl_->storage);
  batch.put(Column::kCheckpoints, u64_key(checkpoint->size), note);
  return impl_->storage->write(batch, /*sync=*/true);
}

}  // namespace passbook::ledger
