#include "trust.h"

#include <fstream>
#include <sstream>

#include "passbook/proof/merkle.h"
#include "passbook/schemas/encoding.h"

namespace passbook::client {
namespace {

constexpr size_t kMaxStateFileBytes = 64 * 1024;
constexpr char kHeader[] = "passbook trust v1";

}  // namespace

Result<Trust> Trust::load(const std::filesystem::path& file, const std::string& verifier_key) {
  Trust trust;
  trust.file_ = file;
  if (!verifier_key.empty()) PASSBOOK_RETURN_IF_ERROR(trust.pin(verifier_key));
  std::error_code ec;
  if (file.empty() || !std::filesystem::exists(file, ec)) return trust;
  if (std::filesystem::file_size(file, ec) > kMaxStateFileBytes) {
    return data_loss("the trust file " + file.string() + " is too large to be ours");
  }
  std::ifstream in(file);
  std::string line;
  if (!std::getline(in, line) || line != kHeader) {
    return data_loss("the trust file " + file.string() + " is not a passbook trust file");
  }
  std::string stored_key;
  while (std::getline(in, line)) {
    const size_t space = line.find(' ');
    const std::string name = line.substr(0, space);
    const std::string value = space == std::string::npos ? "" : line.substr(space + 1);
    if (name == "verifier") {
      stored_key = value;
    } else if (name == "size") {
      trust.head_.size = std::strtoull(value.c_str(), nullptr, 10);
    } else if (name == "root") {
      auto root = from_base64(value);
      if (!root || root->size() != 32) return data_loss("the trust file " + file.string() + " has a bad root");
      std::copy(root->begin(), root->end(), trust.head_.root.begin());
    } else if (name == "note") {
      trust.head_.note = from_base64(value).value_or("");
    } else if (name == "origin") {
      trust.head_.origin = value;
    } else if (name == "distrusted") {
      trust.distrusted_ = value;
    }
  }
  if (!stored_key.empty()) {
    if (!verifier_key.empty() && verifier_key != stored_key) {
      return failed_precondition("the trust file " + file.string() + " is for another ledger key (" +
                                 stored_key + ")");
    }
    PASSBOOK_RETURN_IF_ERROR(trust.pin(stored_key));
  }
  if (trust.distrusted()) {
    return data_loss("this ledger was caught rewriting history before: " + trust.distrusted_ +
                     "; see " + file.string() + ".evidence. Remove " + file.string() +
                     " only once the street office has explained it");
  }
  return trust;
}

Status Trust::pin(const std::string& server_verifier_key) {
  if (!verifier_key_.empty()) {
    if (server_verifier_key != verifier_key_) {
      return unauthenticated("the server presents the ledger key " + server_verifier_key +
                             ", not the one trusted (" + verifier_key_ + ")");
    }
    return Status::ok();
  }
  PASSBOOK_ASSIGN_OR_RETURN(verifier_, proof::parse_verifier_key(server_verifier_key));
  verifier_key_ = server_verifier_key;
  return Status::ok();
}

Result<proof::Checkpoint> Trust::verify_note(const std::string& note) const {
  if (verifier_key_.empty()) return internal_error("no ledger key is pinned");
  if (distrusted()) return data_loss("this ledger is distrusted: " + distrusted_);
  auto checkpoint = proof::verify_checkpoint(note, verifier_, verifier_.name);
  if (!checkpoint.is_ok()) {
    return data_loss("the server sent a checkpoint that does not verify: " + checkpoint.status().message());
  }
  return checkpoint;
}

Status Trust::check_consistent(const proof::Checkpoint& checkpoint, std::span<const Hash32> consistency,
                               const TrustedHead& base, const std::string& note) {
  const uint64_t size = checkpoint.size;
  if (base.size == 0) return Status::ok();  // every tree extends the empty one
  if (size == base.size) {
    if (checkpoint.root != base.root) {
      return caught("two different trees of size " + std::to_string(size) + " were signed", note);
    }
    return Status::ok();
  }
  const bool newer = size > base.size;
  Status consistent = newer ? proof::verify_consistency(base.size, size, consistency, base.root, checkpoint.root)
                            : proof::verify_consistency(size, base.size, consistency, checkpoint.root, base.root);
  if (!consistent.is_ok()) {
    return caught("the checkpoint of size " + std::to_string(size) + " is not consistent with the one of size " +
                      std::to_string(base.size) + " seen before (" + consistent.message() + ")",
                  note);
  }
  return Status::ok();
}

Result<proof::Checkpoint> Trust::accept(const std::string& note, std::span<const Hash32> consistency) {
  PASSBOOK_ASSIGN_OR_RETURN(proof::Checkpoint checkpoint, verify_note(note));
  PASSBOOK_RETURN_IF_ERROR(check_consistent(checkpoint, consistency, head_, note));
  if (checkpoint.size > head_.size) {
    head_ = TrustedHead{checkpoint.origin, checkpoint.size, checkpoint.root, note};
    PASSBOOK_RETURN_IF_ERROR(save());
  }
  return checkpoint;
}

Status Trust::caught(const std::string& what, const std::string& note) {
  distrusted_ = what;
  if (!file_.empty()) {
    std::ofstream evidence(file_.string() + ".evidence", std::ios::app);
    evidence << "== trusted (size " << head_.size << ")\n" << head_.note << "== presented\n" << note;
    (void)save();
  }
  return data_loss("THE SERVER HAS REWRITTEN HISTORY: " + what +
                   ". Stop using it and tell the street office and the auditors.");
}

Status Trust::save() const {
  if (file_.empty()) return Status::ok();
  std::error_code ec;
  std::filesystem::create_directories(file_.parent_path().empty() ? "." : file_.parent_path(), ec);
  const auto temp = file_.string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << kHeader << "\n"
        << "verifier " << verifier_key_ << "\n"
        << "origin " << head_.origin << "\n"
        << "size " << head_.size << "\n"
        << "root " << to_base64(as_chars(head_.root)) << "\n"
        << "note " << to_base64(head_.note) << "\n";
    if (!distrusted_.empty()) out << "distrusted " << distrusted_ << "\n";
    out.flush();
    if (!out) return unavailable("cannot write the trust file " + temp);
  }
  std::filesystem::rename(temp, file_, ec);
  if (ec) return unavailable("cannot replace the trust file " + file_.string() + ": " + ec.message());
  return Status::ok();
}

}  // namespace passbook::client
