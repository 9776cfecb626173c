// The cryptographic half of the golden vectors (tests/data/golden): the example keys come from
// their published seeds, the signatures are the deterministic Ed25519 signatures over the exact
// envelope bytes, each entry hash is the RFC 9162 leaf hash of the stored bytes, entry 1 links to
// entry 0, and checkpoint.note is the ledger key's signed tree head of those two entries.
// tests/schemas/golden_test.cpp checks the bytes field by field.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "passbook/proof/crypto.h"
#include "passbook/proof/merkle.h"
#include "passbook/proof/note.h"
#include "passbook/schemas/encoding.h"
#include "passbook/schemas/records.h"

using namespace passbook;
using namespace passbook::proof;

namespace {

const std::filesystem::path kGoldenDir = std::filesystem::path(PASSBOOK_TEST_DATA_DIR) / "golden";
constexpr std::string_view kOrigin = "passbook.example/yanshan";

std::string read_file(const std::string& name) {
  std::ifstream in(kGoldenDir / name, std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in.good(), "cannot open " << name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Annotated hex (tests/data/golden/README.md): '#' starts a comment that runs to the end of the
// line, whitespace is ignored, everything else is hex digits.
std::string golden(const std::string& name) {
  std::string digits;
  bool in_comment = false;
  for (const char c : read_file(name)) {
    if (c == '\n') {
      in_comment = false;
    } else if (!in_comment && c == '#') {
      in_comment = true;
    } else if (!in_comment && c != ' ' && c != '\t' && c != '\r') {
      digits.push_back(c);
    }
  }
  const std::optional<std::string> bytes = from_hex(digits);
  BOOST_REQUIRE_MESSAGE(bytes.has_value() && !bytes->empty(), name << " is not annotated hex");
  return *bytes;
}

template <class T>
T decoded(const std::string& bytes, const std::string& what) {
  Result<T> record = schemas::decode<T>(bytes, what);
  BOOST_REQUIRE_MESSAGE(record.is_ok(), record.status().to_string());
  return std::move(record).value();
}

// The example keys: seed = one byte repeated 32 times (README.md).
SigningKey key_from_seed_byte(uint8_t byte) {
  std::array<uint8_t, 32> seed{};
  seed.fill(byte);
  Result<SigningKey> key = SigningKey::from_seed(seed);
  BOOST_REQUIRE(key.is_ok());
  return std::move(key).value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(golden_chain_test)

BOOST_AUTO_TEST_CASE(example_keys_come_from_their_seeds) {
  const auto genesis_op = decoded<schemas::Operation>(golden("op_genesis.hex"), "genesis");
  const auto& genesis = std::get<schemas::Genesis>(genesis_op);
  BOOST_TEST(to_hex(key_from_seed_byte(0x41).public_key()) == to_hex(genesis.admin_key));
  BOOST_TEST(to_hex(key_from_seed_byte(0x4C).public_key()) == to_hex(genesis.ledger_key));

  const auto register_op =
      decoded<schemas::Operation>(golden("op_register_actor.hex"), "register_actor");
  BOOST_TEST(to_hex(key_from_seed_byte(0x42).public_key()) ==
             to_hex(std::get<schemas::RegisterActor>(register_op).key));

  const auto signed_envelope =
      decoded<schemas::SignedEnvelope>(golden("signed_envelope.hex"), "signed envelope");
  const auto envelope = decoded<schemas::Envelope>(signed_envelope.envelope, "envelope");
  BOOST_TEST(to_hex(key_from_seed_byte(0x4D).public_key()) == to_hex(envelope.signer));
  BOOST_REQUIRE(signed_envelope.cosignatures.size() == 1);
  BOOST_TEST(to_hex(key_from_seed_byte(0x56).public_key()) ==
             to_hex(signed_envelope.cosignatures[0].key));
}

BOOST_AUTO_TEST_CASE(signatures_are_ed25519_over_the_exact_envelope_bytes) {
  const auto signed_envelope =
      decoded<schemas::SignedEnvelope>(golden("signed_envelope.hex"), "signed envelope");
  const std::string& bytes = signed_envelope.envelope;
  // The envelope blob is envelope.hex, byte for byte.
  BOOST_TEST(to_hex(bytes) == to_hex(golden("envelope.hex")));

  // Ed25519 is deterministic: the signer and the co-signer give exactly these signatures.
  const SigningKey merchant = key_from_seed_byte(0x4D);
  const SigningKey volunteer = key_from_seed_byte(0x56);
  BOOST_TEST(to_hex(merchant.sign(bytes)) == to_hex(signed_envelope.signature));
  BOOST_TEST(to_hex(volunteer.sign(bytes)) == to_hex(signed_envelope.cosignatures[0].signature));
  BOOST_TEST(ed25519_verify(merchant.public_key(), bytes, signed_envelope.signature));
  BOOST_TEST(
      ed25519_verify(volunteer.public_key(), bytes, signed_envelope.cosignatures[0].signature));

  // Any other bytes, for instance the same envelope with one more unit redeemed, do not verify.
  std::string altered = bytes;
  altered.back() = static_cast<char>(altered.back() + 1);
  BOOST_TEST(!ed25519_verify(merchant.public_key(), altered, signed_envelope.signature));
  BOOST_TEST(
      !ed25519_verify(volunteer.public_key(), altered, signed_envelope.cosignatures[0].signature));
}

BOOST_AUTO_TEST_CASE(genesis_is_signed_by_the_first_admin_key) {
  const auto entry = decoded<schemas::Entry>(golden("genesis_entry.hex"), "entry 0");
  const auto envelope = decoded<schemas::Envelope>(entry.signed_envelope.envelope, "envelope");
  const SigningKey admin = key_from_seed_byte(0x41);
  BOOST_TEST(to_hex(envelope.signer) == to_hex(admin.public_key()));
  BOOST_TEST(to_hex(admin.sign(entry.signed_envelope.envelope)) ==
             to_hex(entry.signed_envelope.signature));
  BOOST_TEST(entry.signed_envelope.cosignatures.empty());
}

BOOST_AUTO_TEST_CASE(entry_hash_is_the_leaf_hash_of_the_stored_bytes) {
  const std::string entry = golden("entry.hex");
  const auto receipt = decoded<schemas::Receipt>(golden("receipt.hex"), "receipt");
  const std::string prefixed = std::string(1, '\0') + entry;
  BOOST_TEST(to_hex(leaf_hash(entry)) == to_hex(receipt.entry_hash));
  BOOST_TEST(to_hex(sha256(prefixed)) == to_hex(receipt.entry_hash));
  BOOST_TEST(to_hex(receipt.entry_hash) ==
             "4ab4190489c32cc361e9c0655c4e93dff4c6dcf067238bc7a25dcac916083ef2");
  const auto decoded_entry = decoded<schemas::Entry>(entry, "entry 1");
  BOOST_TEST(receipt.seq == decoded_entry.seq);
  BOOST_TEST(receipt.commit_ms == decoded_entry.commit_ms);
  BOOST_TEST(receipt.checkpoint_size == decoded_entry.seq + 1);
}

BOOST_AUTO_TEST_CASE(entry_1_links_to_entry_0) {
  const std::string bytes0 = golden("genesis_entry.hex");
  const auto entry0 = decoded<schemas::Entry>(bytes0, "entry 0");
  const auto entry1 = decoded<schemas::Entry>(golden("entry.hex"), "entry 1");
  BOOST_TEST(entry0.seq == 0u);
  BOOST_TEST(entry1.seq == 1u);
  BOOST_TEST(to_hex(entry0.prev_hash) == to_hex(Hash32{}));
  BOOST_TEST(to_hex(entry1.prev_hash) == to_hex(leaf_hash(bytes0)));
  BOOST_TEST(to_hex(leaf_hash(bytes0)) ==
             "0b4718472c46e536b55b99556e9f87a063404bf55d3cbe09b6eccdd1e3491fde");
  BOOST_TEST(entry1.commit_ms >= entry0.commit_ms);
}

BOOST_AUTO_TEST_CASE(checkpoint_note_signs_the_two_entry_tree) {
  const Hash32 leaf0 = leaf_hash(golden("genesis_entry.hex"));
  const Hash32 leaf1 = leaf_hash(golden("entry.hex"));
  MerkleFrontier frontier;
  std::vector<StoredNode> nodes;
  frontier.append(leaf0, nodes);
  frontier.append(leaf1, nodes);
  BOOST_TEST(to_hex(frontier.root()) == to_hex(node_hash(leaf0, leaf1)));
  BOOST_TEST(to_hex(frontier.root()) ==
             "f18ea45ba22dfba7b66f8c5e9a7ab4bc49d39e85b3bd0270c37a6c85edc8b7e4");

  // The ledger key signs the checkpoint under the origin as key name; the signature is
  // deterministic, so the whole note is.
  const SigningKey ledger_key = key_from_seed_byte(0x4C);
  const std::string note = read_file("checkpoint.note");
  const Checkpoint checkpoint{std::string(kOrigin), 2, frontier.root(), {}};
  BOOST_TEST(sign_note(format_checkpoint(checkpoint), kOrigin, ledger_key) == note);

  std::string vkey = read_file("ledger.vkey");
  BOOST_REQUIRE(!vkey.empty() && vkey.back() == '\n');
  vkey.pop_back();
  BOOST_TEST(vkey == format_verifier_key(kOrigin, ledger_key.public_key()));
  const Result<NoteVerifier> verifier = parse_verifier_key(vkey);
  BOOST_REQUIRE_MESSAGE(verifier.is_ok(), verifier.status().to_string());
  BOOST_TEST(verifier->key_id == 0xc81b50d5u);
  const Result<Checkpoint> opened = verify_checkpoint(note, *verifier, kOrigin);
  BOOST_REQUIRE_MESSAGE(opened.is_ok(), opened.status().to_string());
  BOOST_TEST((*opened == checkpoint));
}

BOOST_AUTO_TEST_SUITE_END()
