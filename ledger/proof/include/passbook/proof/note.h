// C2SP signed notes (https://c2sp.org/signed-note) with Ed25519, and the transparency-log
// checkpoints carried in them (https://c2sp.org/tlog-checkpoint). The ledger signs a checkpoint
// after each group commit; clients and mirrors check it with the ledger's verifier key.
//
// A signed note is
//   <text, ending in "\n">
//   "\n"
//   one or more lines "— <key name> <base64(4-byte key id, big-endian || signature)>\n"
// and the signature covers the text only (including its final newline).
//
// Pure functions; thread safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "passbook/proof/crypto.h"
#include "passbook/schemas/status.h"
#include "passbook/schemas/types.h"

namespace passbook::proof {

// Limits on what open_note reads. The signed-note spec asks verifiers to bound the signatures of
// a note and to accept at least 16; golang.org/x/mod/sumdb/note refuses more than 100.
inline constexpr size_t kMaxNoteBytes = 1024 * 1024;
inline constexpr size_t kMaxNoteSignatures = 100;

// A key that may sign notes, as named in signature lines and verifier keys.
struct NoteVerifier {
  std::string name;
  uint32_t key_id = 0;
  PublicKey key{};

  friend bool operator==(const NoteVerifier&, const NoteVerifier&) = default;
};

// True when name is usable as a key name: non-empty UTF-8 without control characters, Unicode
// spaces or '+'.
[[nodiscard]] bool is_valid_note_key_name(std::string_view name);

// First 4 bytes, big-endian, of SHA-256(name || 0x0A || 0x01 || key): the signed-note key id of
// an Ed25519 key.
[[nodiscard]] uint32_t note_key_id(std::string_view name, const PublicKey& key);

// "<name>+<key id as 8 lowercase hex digits>+<base64(0x01 || key)>". name must be valid
// (asserted).
[[nodiscard]] std::string format_verifier_key(std::string_view name, const PublicKey& key);

// Parses a verifier key written by format_verifier_key (or any C2SP Ed25519 vkey).
// InvalidArgument when it is malformed: a bad name, a key id that is not 8 lowercase hex digits
// or does not match the name and key, bad base64, a key of the wrong length, or an algorithm
// other than Ed25519 (0x01).
Result<NoteVerifier> parse_verifier_key(std::string_view vkey);

// Signs `body` as a note with one signature line. body must be non-empty valid note text that
// ends in "\n" and name a valid key name (both asserted: a caller passing anything else is a bug).
[[nodiscard]] std::string sign_note(std::string_view body, std::string_view name,
                                    const SigningKey& key);

// Returns the text of `note` when it carries a signature line by `verifier` (same name and key
// id) that verifies. Signature lines by other keys are ignored, as the spec requires.
//   InvalidArgument  not a well-formed note: over kMaxNoteBytes, not UTF-8, a control character
//                    other than newline, no blank line before the signatures, a signature line
//                    that is malformed, more than kMaxNoteSignatures lines, or two lines by the
//                    verifier's key
//   DataLoss         the line by the verifier's key does not verify: the text or the signature
//                    was altered
//   Unauthenticated  no line is by the verifier's key
Result<std::string> open_note(std::string_view note, const NoteVerifier& verifier);

// The text of a tlog checkpoint: a log's tree head.
struct Checkpoint {
  std::string origin;                   // the log's identity; non-empty, one line
  uint64_t size = 0;                    // number of entries
  Hash32 root{};                        // RFC 9162 MTH of those entries
  std::vector<std::string> extensions;  // optional further lines, each non-empty

  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

// "<origin>\n<size in decimal>\n<base64 root>\n" followed by "<extension>\n" for each extension.
// The fields must satisfy what parse_checkpoint checks (asserted).
[[nodiscard]] std::string format_checkpoint(const Checkpoint& checkpoint);

// Parses checkpoint text strictly: a non-empty origin of at most limits::kOriginBytes, a decimal
// size without sign or leading zeros that fits 64 bits, a canonical base64 root of exactly 32
// bytes, non-empty extension lines, every line ending in "\n", and valid note text throughout.
// InvalidArgument otherwise.
Result<Checkpoint> parse_checkpoint(std::string_view body);

// open_note, then parse_checkpoint, then checks that the checkpoint is for `expected_origin`
// (InvalidArgument when it names another log). The text is parsed only after its signature
// verifies.
Result<Checkpoint> verify_checkpoint(std::string_view note, const NoteVerifier& verifier,
                                     std::string_view expected_origin);

}  // namespace passbook::proof
