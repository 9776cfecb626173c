// C2SP signed notes, tlog checkpoints and verifier keys (passbook/proof/note.h), all on the whole
// input:
//   - parse_verifier_key: what parses formats back to the same text, with the right key id
//   - is_valid_note_key_name: a valid name survives format_verifier_key + parse_verifier_key
//   - parse_checkpoint: what parses formats back to the same text; signed by the harness it must
//     open and verify to the same checkpoint, and stop opening once a byte of it changes
//   - open_note / verify_checkpoint with the golden ledger key (tests/data/golden): a note opens
//     only with the exact golden text, since nobody else can sign for that key
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "passbook/proof/crypto.h"
#include "passbook/proof/note.h"

using namespace passbook;
using namespace passbook::proof;

namespace {

// tests/data/golden/ledger.vkey and the text of tests/data/golden/checkpoint.note.
constexpr std::string_view kGoldenOrigin = "passbook.example/yanshan";
constexpr std::string_view kGoldenVkey =
    "passbook.example/yanshan+c81b50d5+AZJzCPU9Z2VQPStkwQOrWqRyBqs5UCz+j5hEL9tUMQC3";
constexpr std::string_view kGoldenText =
    "passbook.example/yanshan\n2\n8Y6kW6It+6e2b4xemnq0vEnTnoWzvQJww3pshe3It+Q=\n";
// The harness's own key, for notes it signs itself.
constexpr std::string_view kFuzzName = "fuzz.example/log";

struct Keys {
  NoteVerifier golden;
  SigningKey signer;
  NoteVerifier own;
};

const Keys& keys() {
  static const Keys k = [] {
    std::array<uint8_t, 32> seed{};
    seed.fill(0x46);
    SigningKey signer = SigningKey::from_seed(seed).value();
    NoteVerifier golden = parse_verifier_key(kGoldenVkey).value();
    NoteVerifier own = parse_verifier_key(format_verifier_key(kFuzzName, signer.public_key())).value();
    return Keys{std::move(golden), std::move(signer), std::move(own)};
  }();
  return k;
}

bool expected_note_error(Status::Code code) {
  return code == Status::Code::kInvalidArgument || code == Status::Code::kDataLoss ||
         code == Status::Code::kUnauthenticated;
}

void verifier_key(std::string_view input) {
  Result<NoteVerifier> parsed = parse_verifier_key(input);
  if (!parsed.is_ok()) {
    FUZZ_CHECK(parsed.status().code() == Status::Code::kInvalidArgument, parsed.status().to_string());
    return;
  }
  FUZZ_CHECK(parsed->key_id == note_key_id(parsed->name, parsed->key), "key id does not match");
  FUZZ_CHECK(format_verifier_key(parsed->name, parsed->key) == input,
             "a verifier key parsed but formats differently");
}

void key_name(std::string_view input) {
  if (input.size() > 1024 || !is_valid_note_key_name(input)) return;
  const std::string vkey = format_verifier_key(input, keys().signer.public_key());
  Result<NoteVerifier> parsed = parse_verifier_key(vkey);
  FUZZ_CHECK(parsed.is_ok(), "a valid key name does not survive its verifier key: " + parsed.status().to_string());
  FUZZ_CHECK(parsed->name == input && parsed->key == keys().signer.public_key(),
             "a verifier key parsed to another name or key");
}

void checkpoint(std::string_view input) {
  Result<Checkpoint> parsed = parse_checkpoint(input);
  if (!parsed.is_ok()) {
    FUZZ_CHECK(parsed.status().code() == Status::Code::kInvalidArgument, parsed.status().to_string());
    return;
  }
  FUZZ_CHECK(format_checkpoint(*parsed) == input, "a checkpoint parsed but formats differently");
  if (input.size() > kMaxNoteBytes / 2) return;
  const std::string note = sign_note(input, kFuzzName, keys().signer);
  Result<Checkpoint> verified = verify_checkpoint(note, keys().own, parsed->origin);
  FUZZ_CHECK(verified.is_ok(), "a checkpoint the harness signed does not verify: " + verified.status().to_string());
  FUZZ_CHECK(*verified == *parsed, "a signed checkpoint verifies to another checkpoint");
  Result<std::string> other_key = open_note(note, keys().golden);
  FUZZ_CHECK(!other_key.is_ok() && other_key.status().code() == Status::Code::kUnauthenticated,
             "a note signed by one key opens with another");
  // Any one changed byte: the note no longer opens (the change is in the text, the signature
  // line's name, key id or signature, or breaks the note's form).
  for (size_t at : {size_t{0}, note.size() / 3, input.size() - 1, input.size(), note.size() - 2}) {
    std::string altered = note;
    altered[at] = static_cast<char>(altered[at] ^ 0x01);
    Result<std::string> opened = open_note(altered, keys().own);
    FUZZ_CHECK(!opened.is_ok(), "a note with byte " + std::to_string(at) + " changed still opens");
    FUZZ_CHECK(expected_note_error(opened.status().code()), opened.status().to_string());
  }
}

void golden_note(std::string_view input) {
  Result<std::string> opened = open_note(input, keys().golden);
  if (opened.is_ok()) {
    FUZZ_CHECK(*opened == kGoldenText, "a note opened with the golden key that the golden key never signed");
    FUZZ_CHECK(input.starts_with(*opened + "\n"), "the opened text is not the start of the note");
  } else {
    FUZZ_CHECK(expected_note_error(opened.status().code()), opened.status().to_string());
  }
  Result<Checkpoint> verified = verify_checkpoint(input, keys().golden, kGoldenOrigin);
  if (verified.is_ok()) {
    FUZZ_CHECK(verified->size == 2 && format_checkpoint(*verified) == kGoldenText,
               "verify_checkpoint accepted a checkpoint the golden key never signed");
  } else {
    FUZZ_CHECK(expected_note_error(verified.status().code()), verified.status().to_string());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  verifier_key(input);
  key_name(input);
  checkpoint(input);
  golden_note(input);
  return 0;
}
