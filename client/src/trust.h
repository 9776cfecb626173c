// The client's memory of the ledger: the verifier key it pins and the newest checkpoint it has
// verified, kept in a small file so that a server cannot show one history today and another
// tomorrow. Once a server is caught, the file says so and stays that way until a person
// removes it.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "passbook/client/client.h"
#include "passbook/proof/note.h"

namespace passbook::client {

class Trust {
 public:
  // Loads the file if it exists. A pinned verifier key must match `verifier_key` when given.
  static Result<Trust> load(const std::filesystem::path& file, const std::string& verifier_key);

  // Pins the server's verifier key on first use; refuses a different one later.
  Status pin(const std::string& server_verifier_key);
  [[nodiscard]] const proof::NoteVerifier& verifier() const { return verifier_; }
  [[nodiscard]] const TrustedHead& head() const { return head_; }
  [[nodiscard]] bool distrusted() const { return !distrusted_.empty(); }

  // Checks a checkpoint note against the pinned key and the trusted head, with `consistency`
  // proving the smaller of the two trees is a prefix of the larger. Moves the head forward when
  // the note is newer. A contradiction marks the ledger distrusted (DataLoss).
  Result<proof::Checkpoint> accept(const std::string& note, std::span<const Hash32> consistency);

  // The parts of accept(), for receipts checked against the head they were asked with (which
  // pipelined replies may have moved since):
  // the note is signed by the pinned key for the pinned origin;
  Result<proof::Checkpoint> verify_note(const std::string& note) const;
  // the checkpoint and `base` are consistent (smaller a prefix of larger); a contradiction
  // marks the ledger distrusted.
  Status check_consistent(const proof::Checkpoint& checkpoint, std::span<const Hash32> consistency,
                          const TrustedHead& base, const std::string& note);
  // A checkpoint proven consistent with an older head but not yet with the current one: the
  // next refresh links it to the latest or catches the server.
  void remember(const proof::Checkpoint& checkpoint) { unlinked_.push_back(checkpoint); }
  std::vector<proof::Checkpoint> take_unlinked() { return std::exchange(unlinked_, {}); }

 private:
  Status save() const;
  Status caught(const std::string& what, const std::string& note);

  std::filesystem::path file_;
  std::string verifier_key_;
  proof::NoteVerifier verifier_;
  TrustedHead head_;
  std::string distrusted_;
  std::vector<proof::Checkpoint> unlinked_;
};

}  // namespace passbook::client
