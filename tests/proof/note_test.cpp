#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "passbook/proof/crypto.h"
#include "passbook/proof/note.h"
#include "passbook/schemas/encoding.h"

using namespace passbook;
using namespace passbook::proof;

namespace {

using Code = Status::Code;

// The example of https://c2sp.org/signed-note ("Verifier keys", "Example"), from
// https://github.com/C2SP/C2SP/blob/5ba5ee830903e91240fc6f9f3a7a9293d49e69c9/signed-note.md
constexpr std::string_view kFooVkey =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
constexpr std::string_view kFooText = "This is an example message.\n";
constexpr std::string_view kFooSignature =
    "\xE2\x80\x94 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM="
    "\n";

// The opening example of the same document: a text with a blank line and non-ASCII letters,
// signed by a key the document does not publish.
constexpr std::string_view kQuasimodoNote =
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed \xC3\xA8 subito sera.\n"
    "\n"
    "\xE2\x80\x94 quasimodo.example/salvatore "
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/"
    "5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";

// golang.org/x/mod/sumdb/note, note.go (package documentation) and note_test.go (TestSign,
// TestOpen, TestNewVerifier), from
// https://github.com/golang/mod/blob/fe2ec04f7c3c3aa6fad97631aafcff6e49e2d1db/sumdb/note/note_test.go
// The signer key is published there, so signing can be checked byte for byte.
constexpr std::string_view kPeterSignerKey =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr std::string_view kPeterVkey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view kEnochVkey =
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
constexpr std::string_view kNeumannText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr std::string_view kPeterSignature =
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
constexpr std::string_view kEnochSignature =
    "\xE2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

// A checkpoint really signed by sum.golang.org (Go's checksum database), as quoted in
// transparency-dev/trillian-tessera internal/parse/checkpoint_test.go (BenchmarkCheckpointUnsafe),
// with the final newline the signed-note format requires (the quote stops short of it). The
// verifier key is the one Go ships, as in golang/mod gosumcheck/main.go.
constexpr std::string_view kSumDbVkey =
    "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";
constexpr std::string_view kSumDbCheckpoint =
    "go.sum database tree\n"
    "31700353\n"
    "qINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=\n"
    "\n"
    "\xE2\x80\x94 sum.golang.org "
    "Az3grnmrIUEDFqHzAElIQCPNoRFRAAdFo47fooyWKMHb89k11GJh5zHIfNCOBmwn/C3YI8oW9/"
    "C8DJ87F61QqspBYwM=\n";

std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out += part;
  return out;
}

NoteVerifier verifier(std::string_view vkey) {
  auto parsed = parse_verifier_key(vkey);
  BOOST_REQUIRE_MESSAGE(parsed.is_ok(), parsed.status().to_string());
  return *parsed;
}

SigningKey key_from_seed(uint8_t fill) {
  std::array<uint8_t, 32> seed{};
  seed.fill(fill);
  auto key = SigningKey::from_seed(seed);
  BOOST_REQUIRE(key.is_ok());
  return std::move(key).value();
}

Code open_code(std::string_view note, const NoteVerifier& by) {
  return open_note(note, by).status().code();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(note_test)

BOOST_AUTO_TEST_CASE(c2sp_example_note_verifies) {
  const NoteVerifier foo = verifier(kFooVkey);
  BOOST_TEST(foo.name == "example.com/foo");
  BOOST_TEST(foo.key_id == 0x530d903au);
  BOOST_TEST(note_key_id(foo.name, foo.key) == 0x530d903au);
  BOOST_TEST(format_verifier_key(foo.name, foo.key) == kFooVkey);

  const auto text = open_note(cat({kFooText, "\n", kFooSignature}), foo);
  BOOST_REQUIRE_MESSAGE(text.is_ok(), text.status().to_string());
  BOOST_TEST(*text == kFooText);
}

BOOST_AUTO_TEST_CASE(go_sumdb_note_example_is_reproduced_byte_for_byte) {
  // The signer key is "PRIVATE+KEY+<name>+<id>+base64(0x01 || Ed25519 seed)"; the base64 may
  // hold '+' too, so skip exactly four separators.
  size_t fields_at = 0;
  for (int separator = 0; separator < 4; ++separator) {
    fields_at = kPeterSignerKey.find('+', fields_at) + 1;
  }
  const std::string_view seed64 = kPeterSignerKey.substr(fields_at);
  const auto typed_seed = from_base64(seed64);
  BOOST_REQUIRE(typed_seed && typed_seed->size() == 33 && (*typed_seed)[0] == 0x01);
  std::array<uint8_t, 32> seed{};
  std::copy(typed_seed->begin() + 1, typed_seed->end(), seed.begin());
  auto key = SigningKey::from_seed(seed);
  BOOST_REQUIRE(key.is_ok());

  BOOST_TEST(note_key_id("PeterNeumann", key->public_key()) == 0xc74f20a3u);
  BOOST_TEST(format_verifier_key("PeterNeumann", key->public_key()) == kPeterVkey);
  // Ed25519 is deterministic, so the note must match Go's TestSign output exactly.
  BOOST_TEST(sign_note(kNeumannText, "PeterNeumann", *key) ==
             cat({kNeumannText, "\n", kPeterSignature}));
}

BOOST_AUTO_TEST_CASE(signatures_by_other_keys_are_ignored) {
  const NoteVerifier peter = verifier(kPeterVkey);
  const NoteVerifier enoch = verifier(kEnochVkey);
  const std::string both = cat({kNeumannText, "\n", kPeterSignature, kEnochSignature});
  BOOST_TEST(*open_note(both, peter) == kNeumannText);
  BOOST_TEST(*open_note(both, enoch) == kNeumannText);
  BOOST_TEST((open_code(both, verifier(kFooVkey)) == Code::kUnauthenticated));

  // A key that shares only the name, or only the id, with a signature is not its signer.
  NoteVerifier same_name = enoch;
  same_name.name = "PeterNeumann";
  BOOST_TEST((open_code(both, same_name) == Code::kUnauthenticated));
  NoteVerifier same_id = enoch;
  same_id.key_id = peter.key_id;
  BOOST_TEST((open_code(both, same_id) == Code::kUnauthenticated));
}

BOOST_AUTO_TEST_CASE(text_ends_at_the_last_blank_line) {
  // The quasimodo note has a blank line inside its text; its signer's key is not published, so
  // pose as that signer with the right name and key id but another key: the line is found and
  // its signature checked (and refused), which shows the text was split at the right place.
  const std::string_view line = kQuasimodoNote.substr(kQuasimodoNote.rfind("\xE2\x80\x94"));
  const auto raw = from_base64(line.substr(line.rfind(' ') + 1, line.size() - line.rfind(' ') - 2));
  BOOST_REQUIRE(raw);
  NoteVerifier impostor{"quasimodo.example/salvatore", get_u32_be(*raw),
                        key_from_seed(7).public_key()};
  BOOST_TEST(impostor.key_id == 0x367ba04bu);
  BOOST_TEST((open_code(kQuasimodoNote, impostor) == Code::kDataLoss));
  BOOST_TEST((open_code(kQuasimodoNote, verifier(kFooVkey)) == Code::kUnauthenticated));

  // With a known key, a text with blank lines of its own opens to exactly that text.
  const SigningKey key = key_from_seed(1);
  const NoteVerifier mine{"poet", note_key_id("poet", key.public_key()), key.public_key()};
  const std::string poem = "first\n\nsecond\n\n";
  BOOST_TEST(*open_note(sign_note(poem, "poet", key), mine) == poem);
}

BOOST_AUTO_TEST_CASE(forged_or_altered_notes_are_refused) {
  const NoteVerifier peter = verifier(kPeterVkey);
  // Go's TestOpen "invalid signature": four base64 characters inserted into the signature.
  const std::string forged =
      cat({kNeumannText, "\n", kPeterSignature.substr(0, 60), "ABCD", kPeterSignature.substr(60)});
  BOOST_TEST((open_code(forged, peter) == Code::kDataLoss));

  // One flipped bit in the signature, and one in the text.
  const SigningKey key = key_from_seed(2);
  const NoteVerifier mine{"ledger.example/red", note_key_id("ledger.example/red", key.public_key()),
                          key.public_key()};
  const std::string good = sign_note("credit 60 minutes\n", "ledger.example/red", key);
  BOOST_TEST(*open_note(good, mine) == "credit 60 minutes\n");
  const size_t signature_at = good.rfind(' ') + 1;
  auto raw = *from_base64(good.substr(signature_at, good.size() - signature_at - 1));
  raw[20] = static_cast<char>(raw[20] ^ 0x01);
  const std::string bad_signature = good.substr(0, signature_at) + to_base64(raw) + "\n";
  BOOST_TEST((open_code(bad_signature, mine) == Code::kDataLoss));
  std::string bad_text = good;
  bad_text[8] = '9';  // "credit 69 minutes"
  BOOST_TEST((open_code(bad_text, mine) == Code::kDataLoss));

  // Signed by another key under our name: a different key id, so no signature by our key.
  const SigningKey other = key_from_seed(3);
  const std::string by_other = sign_note("credit 60 minutes\n", "ledger.example/red", other);
  BOOST_TEST((open_code(by_other, mine) == Code::kUnauthenticated));
  // ... and if the impostor also copies our key id, the signature itself fails.
  std::string payload;
  put_u32_be(payload, mine.key_id);
  payload += as_chars(other.sign("credit 60 minutes\n"));
  const std::string stolen_id =
      "credit 60 minutes\n\n\xE2\x80\x94 ledger.example/red " + to_base64(payload) + "\n";
  BOOST_TEST((open_code(stolen_id, mine) == Code::kDataLoss));
  // A signature of the wrong length by our key is refused as one that does not verify.
  std::string short_payload;
  put_u32_be(short_payload, mine.key_id);
  short_payload += "tiny";
  BOOST_TEST((open_code("credit 60 minutes\n\n\xE2\x80\x94 ledger.example/red " +
                            to_base64(short_payload) + "\n",
                        mine) == Code::kDataLoss));
}

BOOST_AUTO_TEST_CASE(malformed_notes_are_refused) {
  const NoteVerifier peter = verifier(kPeterVkey);
  const std::string signed_note = cat({kNeumannText, "\n", kPeterSignature});
  // Go's TestOpen "invalid encoded message syntax" cases.
  const std::vector<std::string> bad = {
      std::string(kNeumannText),
      cat({kNeumannText, "\n"}),
      cat({kNeumannText, "\n", kPeterSignature.substr(0, kPeterSignature.size() - 1)}),
      cat({"\x01", kNeumannText, "\n", kPeterSignature}),
      cat({"\xff", kNeumannText, "\n", kPeterSignature}),
      cat({kNeumannText, "\n",
           "\xE2\x80\x94 Bad Name "
           "x08go/ZJkuBS9UG/"
           "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="}),
      cat({kNeumannText, "\n", kPeterSignature, "Unexpected line.\n"}),
      // And more: a hyphen for the em dash, no signature, a short or non-base64 signature,
      // overlong UTF-8 (2, 3 and 4 bytes), a lone continuation byte, a UTF-16 surrogate, a code
      // point above U+10FFFF, a truncated sequence, a tab.
      cat({kNeumannText, "\n", "- PeterNeumann x08go/ZJku=\n"}),
      cat({kNeumannText, "\n", "\xE2\x80\x94 PeterNeumann\n"}),
      cat({kNeumannText, "\n", "\xE2\x80\x94 PeterNeumann AAAA\n"}),
      cat({kNeumannText, "\n", "\xE2\x80\x94 PeterNeumann x08go/ZJku!\n"}),
      cat({kNeumannText, "\n", "\xE2\x80\x94 Peter+Neumann x08go/ZJkuBS9UG/Sffc=\n"}),
      cat({"\xC0\xAF", kNeumannText, "\n", kPeterSignature}),
      cat({"\xE0\x80\xAF", kNeumannText, "\n", kPeterSignature}),
      cat({"\xF0\x80\x80\xAF", kNeumannText, "\n", kPeterSignature}),
      cat({"\x80", kNeumannText, "\n", kPeterSignature}),
      cat({"\xED\xA0\x80", kNeumannText, "\n", kPeterSignature}),
      cat({"\xF4\x90\x80\x80", kNeumannText, "\n", kPeterSignature}),
      cat({kNeumannText, "\n", kPeterSignature, "\xE2\x80"}),
      cat({"\t", kNeumannText, "\n", kPeterSignature}),
      "",
  };
  for (const std::string& note : bad) {
    BOOST_TEST((open_code(note, peter) == Code::kInvalidArgument), "note: " << note);
  }
  BOOST_TEST((open_code(signed_note, peter) == Code::kOk));
  // Two lines by the same key: refused rather than picking one.
  BOOST_TEST(
      (open_code(signed_note + std::string(kPeterSignature), peter) == Code::kInvalidArgument));
}

BOOST_AUTO_TEST_CASE(signature_count_and_note_size_are_bounded) {
  const NoteVerifier peter = verifier(kPeterVkey);
  std::string others;
  for (size_t i = 0; i < kMaxNoteSignatures - 1; ++i) others += kEnochSignature;
  // 100 lines: accepted.
  BOOST_TEST(open_note(cat({kNeumannText, "\n", others, kPeterSignature}), peter).is_ok());
  // 101 lines: refused, wherever our line is (Go's TestOpen "too many signatures").
  const std::string one_more = others + std::string(kEnochSignature);
  BOOST_TEST((open_code(cat({kNeumannText, "\n", one_more, kPeterSignature}), peter) ==
              Code::kInvalidArgument));
  BOOST_TEST((open_code(cat({kNeumannText, "\n", kPeterSignature, one_more}), peter) ==
              Code::kInvalidArgument));

  const std::string big_text = std::string(kMaxNoteBytes, 'a') + "\n";
  BOOST_TEST((open_code(cat({big_text, "\n", kPeterSignature}), peter) == Code::kInvalidArgument));
}

BOOST_AUTO_TEST_CASE(malformed_verifier_keys_are_refused) {
  BOOST_TEST(parse_verifier_key(kPeterVkey).is_ok());
  // Go's TestNewVerifier: every proper substring, and every single byte changed.
  for (size_t i = 0; i <= kPeterVkey.size(); ++i) {
    for (size_t j = i + 1; j <= kPeterVkey.size(); ++j) {
      if (i == 0 && j == kPeterVkey.size()) continue;
      const std::string_view part = kPeterVkey.substr(i, j - i);
      BOOST_TEST((parse_verifier_key(part).status().code() == Code::kInvalidArgument),
                 "vkey: " << part);
    }
  }
  for (size_t i = 0; i < kPeterVkey.size(); ++i) {
    std::string changed(kPeterVkey);
    ++changed[i];
    BOOST_TEST((parse_verifier_key(changed).status().code() == Code::kInvalidArgument),
               "vkey: " << changed);
  }
  const std::vector<std::string_view> bad = {
      // Go's: a key of the wrong length and an unknown algorithm, each with a matching key id.
      "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
      "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
      // Ours: uppercase or short key ids, names with spaces, no key, no fields.
      "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
      "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
      "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
      "Peter\xC2\xA0Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
      "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
      "PeterNeumann+c74f20a3+",
      "PeterNeumann",
      "",
  };
  for (std::string_view vkey : bad) {
    BOOST_TEST((parse_verifier_key(vkey).status().code() == Code::kInvalidArgument),
               "vkey: " << vkey);
  }
  BOOST_TEST(is_valid_note_key_name("sum.golang.org"));
  BOOST_TEST(is_valid_note_key_name("\xE7\xBA\xA2\xE8\x89\xB2"));  // 红色
  BOOST_TEST(!is_valid_note_key_name(""));
  BOOST_TEST(!is_valid_note_key_name("a+b"));
  BOOST_TEST(!is_valid_note_key_name("a\xE3\x80\x80"));  // ideographic space
  BOOST_TEST(!is_valid_note_key_name("a\x01"));
  // A sequence cut short by the end of the view, even though the byte after it would complete it.
  const std::string_view red = "a\xE7\xBA\xA2";
  BOOST_TEST(is_valid_note_key_name(red));
  BOOST_TEST(!is_valid_note_key_name(red.substr(0, 3)));
}

BOOST_AUTO_TEST_CASE(checkpoint_text_matches_published_examples) {
  // golang.org/x/mod sumdb/tlog note_test.go TestFormatTree: the tree head of size 123456789012
  // whose root is the record hash (RFC 6962 leaf hash) of "hello world".
  const Checkpoint go_tree{"go.sum database tree", 123456789012, leaf_hash("hello world"), {}};
  const std::string go_text =
      "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";
  BOOST_TEST(format_checkpoint(go_tree) == go_text);
  BOOST_TEST((*parse_checkpoint(go_text) == go_tree));

  // https://c2sp.org/tlog-checkpoint, the example at the top.
  const std::string c2sp_text =
      "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
  const auto parsed = parse_checkpoint(c2sp_text);
  BOOST_REQUIRE(parsed.is_ok());
  BOOST_TEST(parsed->origin == "example.com/behind-the-sofa");
  BOOST_TEST(parsed->size == 20852163u);
  BOOST_TEST(to_hex(parsed->root) ==
             "0ac5186a91863e8e1d90c808014aa89bf5da8e3ee1d9f07630f0378f68f1ab62");
  BOOST_TEST(parsed->extensions.empty());
  BOOST_TEST(format_checkpoint(*parsed) == c2sp_text);
}

BOOST_AUTO_TEST_CASE(checkpoint_round_trips_with_extensions) {
  const Checkpoint checkpoint{"passbook.example/street-7", 0, sha256(""), {"rotation 2", "x"}};
  const std::string text = format_checkpoint(checkpoint);
  BOOST_TEST(text ==
             "passbook.example/street-7\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
             "rotation 2\nx\n");
  BOOST_TEST((*parse_checkpoint(text) == checkpoint));
  const Checkpoint largest{"o", UINT64_MAX, Hash32{}, {}};
  BOOST_TEST((*parse_checkpoint(format_checkpoint(largest)) == largest));
}

BOOST_AUTO_TEST_CASE(malformed_checkpoints_are_refused) {
  const std::string root = "qINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=";
  const std::vector<std::string> bad = {
      // From trillian-tessera internal/parse/checkpoint_test.go; tessera accepts the empty
      // origin, the C2SP spec does not.
      "original.example.com\n-42\n" + root + "\n",
      "original.example.com\n42\nthisisnotright\n",
      "\n42\n" + root + "\n",
      "42\n" + root + "\n",
      // From golang.org/x/mod sumdb/tlog note_test.go TestParseTree.
      "go.sum database tree\n0xabcdef\n" + root + "\n",
      "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n",
      // Sizes: leading zero, sign, spaces, overflow, empty.
      "o\n012\n" + root + "\n",
      "o\n+12\n" + root + "\n",
      "o\n 12\n" + root + "\n",
      "o\n12 \n" + root + "\n",
      "o\n18446744073709551616\n" + root + "\n",
      "o\n\n" + root + "\n",
      // Roots: 31 bytes, 33 bytes, non-canonical padding bits, missing.
      "o\n1\nqINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVQ==\n",
      "o\n1\nqINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcsA\n",
      "o\n1\nqINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVct=\n",
      "o\n1\n",
      // Layout: no final newline, an empty extension, control characters, an origin too long.
      "o\n1\n" + root,
      "o\n1\n" + root + "\n\n",
      "o\n1\n" + root + "\next\n\n",
      "o\r\n1\n" + root + "\n",
      std::string(129, 'o') + "\n1\n" + root + "\n",
      "",
  };
  for (const std::string& text : bad) {
    BOOST_TEST((parse_checkpoint(text).status().code() == Code::kInvalidArgument),
               "checkpoint: " << text);
  }
  BOOST_TEST(parse_checkpoint(std::string(128, 'o') + "\n1\n" + root + "\n").is_ok());
}

BOOST_AUTO_TEST_CASE(real_sum_golang_org_checkpoint_verifies) {
  const NoteVerifier sumdb = verifier(kSumDbVkey);
  BOOST_TEST(sumdb.key_id == 0x033de0aeu);
  const auto checkpoint = verify_checkpoint(kSumDbCheckpoint, sumdb, "go.sum database tree");
  BOOST_REQUIRE_MESSAGE(checkpoint.is_ok(), checkpoint.status().to_string());
  BOOST_TEST(checkpoint->size == 31700353u);
  BOOST_TEST(to_hex(checkpoint->root) ==
             "a88352d464458561f076451ea8b1283f8c843244c1073c41906c0642556555cb");

  // The same note claiming one entry more no longer verifies.
  std::string grown(kSumDbCheckpoint);
  grown.replace(grown.find("31700353"), 8, "31700354");
  BOOST_TEST(
      (verify_checkpoint(grown, sumdb, "go.sum database tree").status().code() == Code::kDataLoss));
  // A valid checkpoint of another log is refused.
  BOOST_TEST((verify_checkpoint(kSumDbCheckpoint, sumdb, "sum.golang.org").status().code() ==
              Code::kInvalidArgument));
}

BOOST_AUTO_TEST_CASE(ledger_checkpoints_sign_and_verify) {
  const SigningKey key = key_from_seed(9);
  const std::string origin = "passbook.example/street-7";
  const auto ledger = parse_verifier_key(format_verifier_key(origin, key.public_key()));
  BOOST_REQUIRE(ledger.is_ok());
  const Checkpoint checkpoint{origin, 42, sha256("tree"), {}};
  const std::string note = sign_note(format_checkpoint(checkpoint), origin, key);

  const auto verified = verify_checkpoint(note, *ledger, origin);
  BOOST_REQUIRE_MESSAGE(verified.is_ok(), verified.status().to_string());
  BOOST_TEST((*verified == checkpoint));

  // Body altered: the size, then the root.
  std::string altered = note;
  altered.replace(altered.find("\n42\n"), 4, "\n43\n");
  BOOST_TEST((verify_checkpoint(altered, *ledger, origin).status().code() == Code::kDataLoss));
  altered = note;
  altered[origin.size() + 4] = altered[origin.size() + 4] == 'A' ? 'B' : 'A';
  BOOST_TEST((verify_checkpoint(altered, *ledger, origin).status().code() == Code::kDataLoss));
  // Signed by another key, under the same name.
  const std::string by_other = sign_note(format_checkpoint(checkpoint), origin, key_from_seed(10));
  BOOST_TEST(
      (verify_checkpoint(by_other, *ledger, origin).status().code() == Code::kUnauthenticated));
  // A signed body that is not a checkpoint.
  const std::string not_a_checkpoint = sign_note("hello\n", origin, key);
  BOOST_TEST((verify_checkpoint(not_a_checkpoint, *ledger, origin).status().code() ==
              Code::kInvalidArgument));
}

BOOST_AUTO_TEST_SUITE_END()
