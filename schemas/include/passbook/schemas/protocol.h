// The wire protocol between passbook clients and passbookd. Every frame is
//
//   u32 length   bytes that follow (type + request id + body), at most kMaxRequestFrame from a
//                client and kMaxReplyFrame from the server; a larger length is refused unread
//   u8  type     a MessageType; a reply has the request's type | 0x80, an error is kError
//   u32 id       chosen by the client, echoed in the reply: many requests may be in flight
//   body         the message below, in the archive of wire.h (FORMAT.md)
//
// A connection starts with Hello, then Authenticate; nothing else is answered before that.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "passbook/schemas/limits.h"
#include "passbook/schemas/records.h"
#include "passbook/schemas/views.h"
#include "passbook/schemas/wire.h"

namespace passbook::schemas {

inline constexpr uint16_t kProtocolVersion = 1;
inline constexpr uint32_t kProtocolMagic = 0x50424B31;  // "PBK1"
inline constexpr uint32_t kFrameHeaderBytes = 4 + 1 + 4;
inline constexpr uint32_t kMaxRequestFrame = limits::kEnvelopeBytes + 64 * 1024;
inline constexpr uint32_t kMaxReplyFrame = 8 * 1024 * 1024;
inline constexpr uint32_t kMaxPage = 10'000;        // rows in one list or history reply
inline constexpr uint32_t kMaxEntriesPage = 1'000;  // entries in one reply (and kMaxReplyFrame)
inline constexpr uint32_t kMaxProofHashes = 65;

enum class MessageType : uint8_t {
  kHello = 1,
  kAuthenticate = 2,
  kSubmit = 3,
  kGetInfo = 4,
  kGetAccount = 5,
  kGetHistory = 6,
  kGetEntries = 7,
  kGetCheckpoint = 8,
  kGetInclusionProof = 9,
  kGetConsistencyProof = 10,
  kListRewards = 11,
  kListActors = 12,
  kListRules = 13,
  kListAccounts = 14,
  kListClaims = 15,
  kListReservations = 16,
  kBackup = 17,
  kError = 0xFF,
};
inline constexpr uint8_t kReplyBit = 0x80;
inline bool is_request_type(uint8_t t) {
  return t >= 1 && t <= 17;
}
inline uint8_t reply_type(MessageType request) { return static_cast<uint8_t>(request) | kReplyBit; }

struct Hello {
  uint32_t magic = kProtocolMagic;
  uint16_t version = kProtocolVersion;
  std::string client;  // free text for logs, e.g. "passbook-cli 0.1"
  template <class A>
  void serialize(A& ar) {
    ar(magic, version, text(client, limits::kNameBytes, "client name"));
  }
};

struct HelloReply {
  uint16_t version = kProtocolVersion;
  LedgerId ledger{};
  std::string origin;
  std::string verifier_key;
  std::array<uint8_t, 32> challenge{};  // sign it to authenticate (see auth_message)
  uint32_t max_in_flight = 0;
  template <class A>
  void serialize(A& ar) {
    ar(version, ledger, text(origin, limits::kOriginBytes, "origin"),
       text(verifier_key, limits::kVerifierKeyBytes, "verifier key"), challenge, max_in_flight);
  }
};

// The bytes a client signs to prove it holds a registered key: a fixed prefix, the ledger id and
// the server's one-time challenge, so the signature is good for this session only.
std::string auth_message(const LedgerId& ledger, const std::array<uint8_t, 32>& challenge);

struct Authenticate {
  PublicKey key{};
  Signature signature{};
  template <class A>
  void serialize(A& ar) {
    ar(key, signature);
  }
};

struct AuthenticateReply {
  Role role = Role::kAuditor;
  std::string scope;
  std::string name;
  template <class A>
  void serialize(A& ar) {
    ar(enumeration(role, "role"), text(scope, limits::kIdBytes, "scope"),
       text(name, limits::kNameBytes, "name"));
  }
};

struct Submit {
  SignedEnvelope envelope;
  // Ask for the proof bundle: the checkpoint that covers the entry, its inclusion path and a
  // consistency proof from known_size (the newest tree size the client has verified; 0: none).
  bool want_proof = false;
  uint64_t known_size = 0;
  template <class A>
  void serialize(A& ar) {
    ar(envelope, want_proof, known_size);
  }
};

struct ReceiptProof {
  std::string entry;       // the exact entry bytes: the client checks its envelope is in them
  std::string checkpoint;  // signed note for receipt.checkpoint_size
  std::vector<Hash32> inclusion;
  std::vector<Hash32> consistency;  // between known_size and checkpoint_size, smaller first
  template <class A>
  void serialize(A& ar) {
    ar(blob(entry, limits::kEntryBytes, "entry"), blob(checkpoint, 64 * 1024, "checkpoint"),
       list(inclusion, 0, kMaxProofHashes, "inclusion path"),
       list(consistency, 0, kMaxProofHashes, "consistency proof"));
  }
};

struct SubmitReply {
  Receipt receipt;
  bool duplicate = false;  // the envelope had been committed before; this is its first receipt
  std::optional<ReceiptProof> proof;
  template <class A>
  void serialize(A& ar) {
    ar(receipt, duplicate, optional(proof));
  }
};

struct Empty {
  template <class A>
  void serialize(A&) {}
};

struct GetAccount {
  AccountKind kind = AccountKind::kVolunteer;
  std::string id;
  template <class A>
  void serialize(A& ar) {
    ar(enumeration(kind, "account kind"), text(id, limits::kIdBytes, "account"));
  }
};

struct GetHistory {
  AccountKind kind = AccountKind::kVolunteer;
  std::string id;
  uint32_t offset = 0;
  uint32_t limit = kMaxPage;
  template <class A>
  void serialize(A& ar) {
    ar(enumeration(kind, "account kind"), text(id, limits::kIdBytes, "account"), offset, limit);
  }
};

struct GetEntries {
  uint64_t from = 0;
  uint32_t count = kMaxEntriesPage;
  template <class A>
  void serialize(A& ar) {
    ar(from, count);
  }
};

// One entry's exact stored bytes.
struct EntryBlob {
  std::string bytes;
  template <class A>
  void serialize(A& ar) {
    ar(blob(bytes, limits::kEntryBytes, "entry"));
  }
};

struct EntriesPage {
  std::vector<EntryBlob> entries;  // consecutive, from the requested seq
  template <class A>
  void serialize(A& ar) {
    ar(list(entries, 0, kMaxEntriesPage, "entries"));
  }
};

struct GetCheckpoint {
  uint64_t size = 0;  // 0: the latest
  template <class A>
  void serialize(A& ar) {
    ar(size);
  }
};

struct CheckpointReply {
  std::string note;
  template <class A>
  void serialize(A& ar) {
    ar(blob(note, 64 * 1024, "checkpoint"));
  }
};

struct GetInclusionProof {
  uint64_t index = 0;
  uint64_t size = 0;
  template <class A>
  void serialize(A& ar) {
    ar(index, size);
  }
};

struct GetConsistencyProof {
  uint64_t size1 = 0;
  uint64_t size2 = 0;
  template <class A>
  void serialize(A& ar) {
    ar(size1, size2);
  }
};

struct ProofReply {
  std::vector<Hash32> hashes;
  template <class A>
  void serialize(A& ar) {
    ar(list(hashes, 0, kMaxProofHashes, "proof"));
  }
};

// Every list request: a filter (merchant or branch id, or empty for all the caller may see) and
// a page.
struct ListRequest {
  std::string filter;
  uint32_t offset = 0;
  uint32_t limit = kMaxPage;
  template <class A>
  void serialize(A& ar) {
    ar(text(filter, limits::kIdBytes, "filter"), offset, limit);
  }
};

template <class T>
struct Page {
  std::vector<T> rows;
  uint32_t total = 0;  // rows in all pages
  template <class A>
  void serialize(A& ar) {
    ar(list(rows, 0, kMaxPage, "rows"), total);
  }
};

// Admin only, and only when passbookd runs with --backup-dir: store a backup of the ledger as it
// is now in that directory, while it goes on serving (FORMAT.md 12.4).
struct BackupRequest {
  bool verify = false;  // verify the whole chain of the copy before storing it
  template <class A>
  void serialize(A& ar) {
    ar(verify);
  }
};

struct BackupReply {
  uint32_t id = 0;             // the backup's id in the backup directory (passbook restore --id)
  int64_t created_unix_s = 0;  // when it was stored
  uint64_t entries = 0;        // the chain's size in the backup: a prefix of the served chain
  Hash32 root{};               // the Merkle root of those entries (a checkpoint of that size)
  uint64_t bytes = 0;          // the backup's files
  uint32_t files = 0;
  bool verified = false;  // the copy passed a full verify before it was stored
  template <class A>
  void serialize(A& ar) {
    ar(id, created_unix_s, entries, root, bytes, files, verified);
  }
};

struct FrameHeader {
  uint32_t length = 0;  // type + id + body
  uint8_t type = 0;
  uint32_t id = 0;
  [[nodiscard]] uint32_t body_length() const { return length - 5; }
};

// Parses the 9 header bytes; refuses a length under 5 or over max_length before anything else
// is read or allocated.
Result<FrameHeader> parse_frame_header(std::string_view header, uint32_t max_length);
// The whole frame: header and body.
std::string encode_frame(uint8_t type, uint32_t id, std::string_view body);

}  // namespace passbook::schemas
