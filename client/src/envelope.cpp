#include "passbook/client/envelope.h"

#include <chrono>

#include "passbook/schemas/wire.h"

namespace passbook::client {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<schemas::SignedEnvelope> sign_envelope(const LedgerId& ledger, const proof::SigningKey& signer,
                                              std::vector<schemas::Operation> ops,
                                              const EnvelopeOptions& options) {
  schemas::Envelope envelope;
  envelope.ledger = ledger;
  envelope.signer = signer.public_key();
  if (options.nonce) {
    envelope.nonce = *options.nonce;
  } else {
    PASSBOOK_RETURN_IF_ERROR(proof::random_bytes(envelope.nonce));
  }
  envelope.created_ms = options.created_ms != 0 ? options.created_ms : now_ms();
  envelope.ops = std::move(ops);
  PASSBOOK_ASSIGN_OR_RETURN(std::string bytes, schemas::try_encode(envelope));
  schemas::SignedEnvelope signed_envelope;
  signed_envelope.signature = signer.sign(bytes);
  for (const proof::SigningKey* cosigner : options.cosigners) {
    signed_envelope.cosignatures.push_back({cosigner->public_key(), cosigner->sign(bytes)});
  }
  signed_envelope.envelope = std::move(bytes);
  return signed_envelope;
}

}  // namespace passbook::client
