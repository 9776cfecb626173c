// The wire protocol as either end reads it: a stream of frames (u32 length, u8 type, u32 id,
// body). Every header goes through parse_frame_header; every body is decoded as the message its
// type names, requests as the server reads them and replies as the client reads them, and what
// they carry inside (envelopes, entries, checkpoints, verifier keys) is decoded further, as the
// server and the client do. Every decoded message must encode back to the same bytes.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "passbook/proof/note.h"
#include "passbook/schemas/protocol.h"

using namespace passbook;
using namespace passbook::schemas;
using passbook::fuzz::roundtrip;

namespace {

// An entry as the client and the mirror read one: the entry, then the envelope inside it.
void entry_inside(std::string_view bytes) {
  if (auto entry = roundtrip<Entry>(bytes, "an entry")) {
    roundtrip<Envelope>(entry->signed_envelope.envelope, "the entry's envelope");
  }
}

void verifier_key_inside(const std::string& vkey) {
  auto verifier = proof::parse_verifier_key(vkey);
  if (verifier.is_ok()) {
    FUZZ_CHECK(proof::format_verifier_key(verifier->name, verifier->key) == vkey,
               "a verifier key parsed but formats differently: " + vkey);
  }
}

void checkpoint_inside(const std::string& note) {
  // The note text (all but the signatures) is what parse_checkpoint sees once a note opens.
  const size_t split = note.rfind("\n\n");
  if (split != std::string::npos) (void)proof::parse_checkpoint(std::string_view(note).substr(0, split + 1));
}

void request(MessageType type, std::string_view body) {
  switch (type) {
    case MessageType::kHello: roundtrip<Hello>(body, "Hello"); break;
    case MessageType::kAuthenticate: roundtrip<Authenticate>(body, "Authenticate"); break;
    case MessageType::kSubmit:
      if (auto submit = roundtrip<Submit>(body, "Submit")) {
        roundtrip<Envelope>(submit->envelope.envelope, "the submitted envelope");
      }
      break;
    case MessageType::kGetInfo: roundtrip<Empty>(body, "GetInfo"); break;
    case MessageType::kGetAccount: roundtrip<GetAccount>(body, "GetAccount"); break;
    case MessageType::kGetHistory: roundtrip<GetHistory>(body, "GetHistory"); break;
    case MessageType::kGetEntries: roundtrip<GetEntries>(body, "GetEntries"); break;
    case MessageType::kGetCheckpoint: roundtrip<GetCheckpoint>(body, "GetCheckpoint"); break;
    case MessageType::kGetInclusionProof: roundtrip<GetInclusionProof>(body, "GetInclusionProof"); break;
    case MessageType::kGetConsistencyProof:
      roundtrip<GetConsistencyProof>(body, "GetConsistencyProof");
      break;
    case MessageType::kListRewards:
    case MessageType::kListActors:
    case MessageType::kListRules:
    case MessageType::kListAccounts:
    case MessageType::kListClaims:
    case MessageType::kListReservations: roundtrip<ListRequest>(body, "a list request"); break;
    case MessageType::kBackup:
      roundtrip<BackupRequest>(body, "Backup");
      break;
    case MessageType::kError: break;
  }
}

void reply(MessageType type, std::string_view body) {
  switch (type) {
    case MessageType::kHello:
      if (auto hello = roundtrip<HelloReply>(body, "HelloReply")) verifier_key_inside(hello->verifier_key);
      break;
    case MessageType::kAuthenticate: roundtrip<AuthenticateReply>(body, "AuthenticateReply"); break;
    case MessageType::kSubmit:
      if (auto submitted = roundtrip<SubmitReply>(body, "SubmitReply"); submitted && submitted->proof) {
        entry_inside(submitted->proof->entry);
        checkpoint_inside(submitted->proof->checkpoint);
      }
      break;
    case MessageType::kGetInfo:
      if (auto info = roundtrip<LedgerInfo>(body, "LedgerInfo")) verifier_key_inside(info->verifier_key);
      break;
    case MessageType::kGetAccount: roundtrip<AccountView>(body, "AccountView"); break;
    case MessageType::kGetHistory: roundtrip<Page<HistoryLine>>(body, "a page of history"); break;
    case MessageType::kGetEntries:
      if (auto page = roundtrip<EntriesPage>(body, "EntriesPage")) {
        for (const EntryBlob& blob : page->entries) entry_inside(blob.bytes);
      }
      break;
    case MessageType::kGetCheckpoint:
      if (auto checkpoint = roundtrip<CheckpointReply>(body, "CheckpointReply")) {
        checkpoint_inside(checkpoint->note);
      }
      break;
    case MessageType::kGetInclusionProof:
    case MessageType::kGetConsistencyProof: roundtrip<ProofReply>(body, "ProofReply"); break;
    case MessageType::kListRewards: roundtrip<Page<RewardView>>(body, "a page of rewards"); break;
    case MessageType::kListActors: roundtrip<Page<ActorView>>(body, "a page of actors"); break;
    case MessageType::kListRules: roundtrip<Page<RuleView>>(body, "a page of rules"); break;
    case MessageType::kListAccounts: roundtrip<Page<AccountView>>(body, "a page of accounts"); break;
    case MessageType::kListClaims: roundtrip<Page<ClaimView>>(body, "a page of claims"); break;
    case MessageType::kListReservations:
      roundtrip<Page<ReservationView>>(body, "a page of reservations");
      break;
    case MessageType::kBackup:
      roundtrip<BackupReply>(body, "BackupReply");
      break;
    case MessageType::kError: break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view stream(reinterpret_cast<const char*>(data), size);
  while (stream.size() >= kFrameHeaderBytes) {
    const std::string_view header = stream.substr(0, kFrameHeaderBytes);
    const uint32_t claimed = get_u32_be(header);
    // The client's limit is the larger one; the server's must refuse whatever is over its own.
    Result<FrameHeader> parsed = parse_frame_header(header, kMaxReplyFrame);
    Result<FrameHeader> as_request = parse_frame_header(header, kMaxRequestFrame);
    if (!parsed.is_ok()) {
      const auto want = claimed < 5 ? Status::Code::kInvalidArgument : Status::Code::kResourceExhausted;
      FUZZ_CHECK(parsed.status().code() == want, "frame of " + std::to_string(claimed) +
                                                     " bytes refused as " + parsed.status().to_string());
      FUZZ_CHECK(claimed < 5 || claimed > kMaxReplyFrame, "a frame within the limits was refused");
      return 0;  // a reader closes the connection here
    }
    FUZZ_CHECK(parsed->length == claimed && claimed >= 5 && claimed <= kMaxReplyFrame,
               "frame length " + std::to_string(parsed->length) + " read from a header that says " +
                   std::to_string(claimed));
    FUZZ_CHECK(as_request.is_ok() == (claimed <= kMaxRequestFrame),
               "the request limit does not hold for a frame of " + std::to_string(claimed));
    FUZZ_CHECK(parsed->type == static_cast<uint8_t>(header[4]) && parsed->id == get_u32_be(header.substr(5)),
               "type or id misread");
    stream.remove_prefix(kFrameHeaderBytes);
    if (stream.size() < parsed->body_length()) return 0;  // a truncated frame: the peer hung up
    const std::string_view body = stream.substr(0, parsed->body_length());
    stream.remove_prefix(parsed->body_length());
    FUZZ_CHECK(encode_frame(parsed->type, parsed->id, body) == std::string(header) + std::string(body),
               "encode_frame does not rebuild the frame it parsed");

    const uint8_t type = parsed->type;
    if (type == static_cast<uint8_t>(MessageType::kError)) {
      roundtrip<ErrorReply>(body, "ErrorReply");
    } else if (is_request_type(type)) {
      request(static_cast<MessageType>(type), body);
    } else if ((type & kReplyBit) != 0 && is_request_type(static_cast<uint8_t>(type & ~kReplyBit))) {
      reply(static_cast<MessageType>(type & ~kReplyBit), body);
    }
  }
  return 0;
}
