// Building and signing envelopes: what every writer (CLI, community systems, the demo, the
// benchmark) does before it submits. Pure; thread safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "passbook/proof/crypto.h"
#include "passbook/schemas/records.h"
#include "passbook/schemas/status.h"

namespace passbook::client {

struct EnvelopeOptions {
  int64_t created_ms = 0;       // 0: now
  std::optional<Nonce> nonce;   // absent: a fresh random nonce
  // Keys that co-sign the same envelope bytes (a volunteer agreeing to a redemption).
  std::vector<const proof::SigningKey*> cosigners;
};

// Encodes the operations into an envelope for `ledger`, signed by `signer`. InvalidArgument if an
// operation's field is over its limit or not valid text, naming the field.
Result<schemas::SignedEnvelope> sign_envelope(const LedgerId& ledger, const proof::SigningKey& signer,
                                              std::vector<schemas::Operation> ops,
                                              const EnvelopeOptions& options = {});

int64_t now_ms();

}  // namespace passbook::client
