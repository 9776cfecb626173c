// Answers every request except Hello, Authenticate and Submit: a plain function from the
// session's principal and the request body to the reply body, testable without sockets. Reads
// are scoped by role: a volunteer sees its own passbook, a branch its own volunteers, a merchant
// its own sales, an auditor or admin everything.
#pragma once

#include <string>
#include <string_view>

#include "passbook/ledger/ledger.h"
#include "passbook/schemas/protocol.h"

namespace passbook::server {

// Who is on the other end, once authenticated.
struct Principal {
  PublicKey key{};
  schemas::Role role = schemas::Role::kAuditor;
  std::string scope;
  std::string name;
};

// Whether a session's key may still ask for anything: Unauthenticated once it is revoked (or
// unknown), and the ledger's own error (a closed ledger, a failed reopen) as it is, never as
// "revoked" and never answered from an empty state. Checked on every request.
Status session_key_allowed(const ledger::Ledger& ledger, const PublicKey& key);

// The reply body, or the Status to send as an error. The principal's key is checked again on
// every request, so a key revoked during a session loses access at once.
Result<std::string> handle_request(ledger::Ledger& ledger, const Principal& principal,
                                   schemas::MessageType type, std::string_view body);

// The proof bundle of a receipt: the checkpoint for receipt.checkpoint_size, the entry's
// inclusion path in it, and a consistency proof between that size and known_size (from the
// smaller to the larger; empty when known_size is 0 or equal).
Result<schemas::ReceiptProof> receipt_proof(ledger::Ledger& ledger, const schemas::Receipt& receipt,
                                            uint64_t known_size);

}  // namespace passbook::server
