// Checks the server suites share: a submit that must be posted with a proven receipt, a refusal
// with a given code and words, and independent verification of checkpoints and proofs with
// passbook::proof (never trusting the client library's own checks alone).
#pragma once

#include <boost/test/unit_test.hpp>
#include <ostream>
#include <string>

#include "passbook/client/client.h"
#include "passbook/proof/merkle.h"
#include "passbook/proof/note.h"

// How Boost.Test prints the enums the suites compare.
namespace passbook {
inline std::ostream& boost_test_print_type(std::ostream& out, Status::Code code) { return out << code_name(code); }
}  // namespace passbook
namespace passbook::schemas {
inline std::ostream& boost_test_print_type(std::ostream& out, Role role) { return out << role_name(role); }
inline std::ostream& boost_test_print_type(std::ostream& out, AccountKind kind) {
  return out << static_cast<char>(kind);
}
}  // namespace passbook::schemas

namespace passbook::testing {

// Submits and requires a new entry with a proven receipt.
inline client::SubmitResult posted(client::Client& c, schemas::SignedEnvelope envelope) {
  auto result = c.submit(std::move(envelope));
  BOOST_REQUIRE_MESSAGE(result.is_ok(), result.status().to_string());
  BOOST_TEST(result->proven);
  BOOST_TEST(!result->duplicate);
  BOOST_TEST(result->receipt.seq < result->receipt.checkpoint_size);
  BOOST_TEST(c.trusted().size >= result->receipt.checkpoint_size);
  return std::move(result).value();
}

// A failed Result with this code whose message holds these words (printed either way).
template <class T>
bool refused_with(const Result<T>& result, Status::Code code, const std::string& words = "") {
  if (result.is_ok()) {
    BOOST_TEST_MESSAGE("unexpectedly accepted");
    return false;
  }
  BOOST_TEST_MESSAGE(result.status().to_string());
  return result.status().code() == code && result.status().message().find(words) != std::string::npos;
}

inline bool refused_with(const Status& status, Status::Code code, const std::string& words = "") {
  BOOST_TEST_MESSAGE(status.to_string());
  return !status.is_ok() && status.code() == code && status.message().find(words) != std::string::npos;
}

// A plain sentence for a person: one line, no code name glued in twice, no "operation" prefix
// repeated.
inline bool plain_message(const std::string& message) {
  return !message.empty() && message.find('\n') == std::string::npos &&
         message.find("operation 1: operation") == std::string::npos && message.size() < 1024;
}

// Verifies a checkpoint note with the ledger's verifier key, independently of the client.
inline proof::Checkpoint verified_checkpoint(const std::string& note, const std::string& verifier_key) {
  auto verifier = proof::parse_verifier_key(verifier_key);
  BOOST_REQUIRE_MESSAGE(verifier.is_ok(), verifier.status().to_string());
  auto checkpoint = proof::verify_checkpoint(note, *verifier, verifier->name);
  BOOST_REQUIRE_MESSAGE(checkpoint.is_ok(), checkpoint.status().to_string());
  return std::move(checkpoint).value();
}

}  // namespace passbook::testing
