// Every record of the chain and every view, by the first input byte (the tags below; the seed
// corpus carries one of each): decoded from the rest of the input, which must then encode back
// to the same bytes and decode to an equal value. Operations also check their tag dispatch: the
// tag on the wire is the alternative's index + 1 and names it.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "passbook/proof/crypto.h"
#include "passbook/schemas/protocol.h"
#include "passbook/schemas/records.h"
#include "passbook/schemas/views.h"

using namespace passbook;
using namespace passbook::schemas;
using passbook::fuzz::roundtrip;

namespace {

enum Tag : uint8_t {
  kEnvelope = 0,
  kSignedEnvelope = 1,
  kEntry = 2,
  kReceipt = 3,
  kErrorReply = 4,
  kOperation = 5,
  kLedgerInfo = 6,
  kAccountView = 7,
  kHistoryLine = 8,
  kActorView = 9,
  kRuleView = 10,
  kRewardView = 11,
  kClaimView = 12,
  kReservationView = 13,
  kReceiptProof = 14,
};

void check_operation(const Operation& op, std::string_view bytes) {
  FUZZ_CHECK(!bytes.empty() && operation_tag(op) == static_cast<uint8_t>(bytes[0]),
             "operation tag " + std::to_string(operation_tag(op)) + " for wire tag " +
                 std::to_string(bytes.empty() ? 0 : static_cast<uint8_t>(bytes[0])));
  FUZZ_CHECK(operation_tag(op) >= 1 && operation_tag(op) <= std::variant_size_v<Operation>,
             "operation tag out of range");
  static const std::set<std::string_view> kNames = {
      "genesis",     "register_actor", "revoke_actor", "open_account", "set_rule",
      "credit",      "claim",          "approve",      "reject",       "import",
      "list_reward", "restock",        "delist",       "redeem",       "reserve",
      "deliver",     "cancel",         "reverse",      "settle"};
  FUZZ_CHECK(kNames.count(operation_name(op)) == 1, "unknown operation name");
}

void check_envelope(const Envelope& envelope) {
  FUZZ_CHECK(envelope.version == kEnvelopeVersion, "an envelope of another version decoded");
  FUZZ_CHECK(!envelope.ops.empty() && envelope.ops.size() <= limits::kOpsPerEnvelope,
             "an envelope with " + std::to_string(envelope.ops.size()) + " operations decoded");
  for (const Operation& op : envelope.ops) {
    // Each operation on its own encodes to a tag and the body; the tag must name it.
    Result<std::string> alone = try_encode(op);
    FUZZ_CHECK(alone.is_ok(), "an operation of a decoded envelope does not encode");
    check_operation(op, *alone);
  }
}

void check_signed(const SignedEnvelope& signed_envelope) {
  FUZZ_CHECK(signed_envelope.envelope.size() <= limits::kEnvelopeBytes &&
                 signed_envelope.cosignatures.size() <= limits::kCosignatures,
             "a signed envelope over its limits decoded");
  if (auto envelope = roundtrip<Envelope>(signed_envelope.envelope, "the signed envelope")) {
    check_envelope(*envelope);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0]) {
    case kEnvelope:
      if (auto envelope = roundtrip<Envelope>(bytes, "Envelope")) check_envelope(*envelope);
      break;
    case kSignedEnvelope:
      if (auto signed_envelope = roundtrip<SignedEnvelope>(bytes, "SignedEnvelope")) check_signed(*signed_envelope);
      break;
    case kEntry:
      if (auto entry = roundtrip<Entry>(bytes, "Entry")) {
        FUZZ_CHECK(entry->version == kEntryVersion, "an entry of another version decoded");
        check_signed(entry->signed_envelope);
        (void)proof::leaf_hash(bytes);
      }
      break;
    case kReceipt: roundtrip<Receipt>(bytes, "Receipt"); break;
    case kErrorReply:
      if (auto error = roundtrip<ErrorReply>(bytes, "ErrorReply")) {
        FUZZ_CHECK(error->code != 0 && error->code <= Status::kCodeMax, "an unknown error code decoded");
        FUZZ_CHECK(text_problem(error->message).empty(), "an error message that is not text decoded");
      }
      break;
    case kOperation:
      if (auto op = roundtrip<Operation>(bytes, "Operation")) check_operation(*op, bytes);
      break;
    case kLedgerInfo: roundtrip<LedgerInfo>(bytes, "LedgerInfo"); break;
    case kAccountView: roundtrip<AccountView>(bytes, "AccountView"); break;
    case kHistoryLine:
      if (auto line = roundtrip<HistoryLine>(bytes, "HistoryLine")) {
        Result<std::string> op = try_encode(line->operation);
        FUZZ_CHECK(op.is_ok(), "a history line's operation does not encode");
        check_operation(line->operation, *op);
      }
      break;
    case kActorView: roundtrip<ActorView>(bytes, "ActorView"); break;
    case kRuleView: roundtrip<RuleView>(bytes, "RuleView"); break;
    case kRewardView: roundtrip<RewardView>(bytes, "RewardView"); break;
    case kClaimView: roundtrip<ClaimView>(bytes, "ClaimView"); break;
    case kReservationView: roundtrip<ReservationView>(bytes, "ReservationView"); break;
    case kReceiptProof: roundtrip<ReceiptProof>(bytes, "ReceiptProof"); break;
    default: break;
  }
  return 0;
}
