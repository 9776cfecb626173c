// The records of the chain: envelope (what a client signs), signed envelope (what it submits),
// entry (what the ledger stores), receipt and error (what it answers). FORMAT.md gives their
// exact bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "passbook/schemas/limits.h"
#include "passbook/schemas/operations.h"
#include "passbook/schemas/types.h"
#include "passbook/schemas/wire.h"

namespace passbook::schemas {

inline constexpr uint8_t kEnvelopeVersion = 1;
inline constexpr uint8_t kEntryVersion = 1;

// What a client signs. All operations apply or none.
struct Envelope {
  uint8_t version = kEnvelopeVersion;
  LedgerId ledger{};  // the ledger this envelope is meant for; a copy cannot be replayed elsewhere
  PublicKey signer{};
  Nonce nonce{};       // idempotency key: a resend with the same nonce gets the first receipt
  int64_t created_ms = 0;  // signer's clock, Unix milliseconds; must be near the commit time
  std::vector<Operation> ops;
  template <class A>
  void serialize(A& ar) {
    ar(version);
    if (version != kEnvelopeVersion) {
      throw CodecError("envelope version " + std::to_string(version) + " is not supported");
    }
    ar(ledger, signer, nonce, created_ms, list(ops, 1, limits::kOpsPerEnvelope, "operations"));
  }
  friend bool operator==(const Envelope&, const Envelope&) = default;
};

// A second signature over the same envelope bytes, e.g. a volunteer agreeing to a redemption.
struct CoSignature {
  PublicKey key{};
  Signature signature{};
  template <class A>
  void serialize(A& ar) {
    ar(key, signature);
  }
  friend bool operator==(const CoSignature&, const CoSignature&) = default;
};

// What a client submits: the exact envelope bytes and the signatures over them. The bytes are
// kept as they came so that the signature can be checked again by anyone, forever.
struct SignedEnvelope {
  std::string envelope;
  Signature signature{};
  std::vector<CoSignature> cosignatures;
  template <class A>
  void serialize(A& ar) {
    ar(blob(envelope, limits::kEnvelopeBytes, "envelope"), signature,
       list(cosignatures, 0, limits::kCosignatures, "co-signatures"));
  }
  friend bool operator==(const SignedEnvelope&, const SignedEnvelope&) = default;
};

// One link of the chain. Its hash is SHA-256(0x00 || entry bytes), the RFC 9162 leaf hash.
struct Entry {
  uint8_t version = kEntryVersion;
  uint64_t seq = 0;
  int64_t commit_ms = 0;  // ledger clock, Unix milliseconds, never decreasing along the chain
  Hash32 prev_hash{};     // hash of entry seq-1; zeros for entry 0
  SignedEnvelope signed_envelope;
  template <class A>
  void serialize(A& ar) {
    ar(version);
    if (version != kEntryVersion) {
      throw CodecError("entry version " + std::to_string(version) + " is not supported");
    }
    ar(seq, commit_ms, prev_hash, signed_envelope);
  }
  friend bool operator==(const Entry&, const Entry&) = default;
};

// Proof of acceptance: the entry's place and hash, and the checkpoint (tree size) that covers it.
struct Receipt {
  uint64_t seq = 0;
  Hash32 entry_hash{};
  int64_t commit_ms = 0;
  uint64_t checkpoint_size = 0;
  template <class A>
  void serialize(A& ar) {
    ar(seq, entry_hash, commit_ms, checkpoint_size);
  }
  friend bool operator==(const Receipt&, const Receipt&) = default;
};

// Why an envelope was refused. op_index names the failing operation, or kWholeEnvelope.
struct ErrorReply {
  static constexpr uint32_t kWholeEnvelope = 0xFFFFFFFF;
  uint16_t code = 0;  // Status::Code
  uint32_t op_index = kWholeEnvelope;
  std::string message;
  template <class A>
  void serialize(A& ar) {
    ar(code);
    if (code == 0 || code > Status::kCodeMax) {
      throw CodecError("error code " + std::to_string(code) + " is unknown");
    }
    ar(op_index, text(message, limits::kMessageBytes, "message"));
  }
  friend bool operator==(const ErrorReply&, const ErrorReply&) = default;
};

}  // namespace passbook::schemas
