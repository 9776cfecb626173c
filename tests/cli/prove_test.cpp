// passbook prove and passbook check-proof, run as a user runs them: genuine proofs of both kinds
// are accepted for several entries and sizes; a proof with anything altered, a checkpoint that
// is forged or for another root, or the wrong key, is refused with exit code 4; a file that is
// not a well-formed proof gets exit code 2.
#include <boost/test/unit_test.hpp>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_harness.h"
#include "json.h"
#include "passbook/proof/crypto.h"
#include "passbook/proof/note.h"
#include "passbook/schemas/encoding.h"

using namespace passbook;
using passbook::test::contains;
using passbook::test::DemoLedger;
using passbook::test::run_passbook;
using passbook::test::TempDir;
using passbook::test::write_file;
namespace json = passbook::cli::json;

namespace {

constexpr int kHolds = 0;
constexpr int kMalformed = 2;
constexpr int kDoesNotHold = 4;

struct Ledger {
  uint64_t size = 0;
  std::vector<uint64_t> checkpoint_sizes;  // ascending
};

// The demo ledger's size and the sizes it has checkpoints for, from its export.
const Ledger& ledger() {
  static const Ledger info = [] {
    const auto result = run_passbook({"export", "--data", DemoLedger::get().data()});
    BOOST_REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    auto verifier = proof::parse_verifier_key(DemoLedger::get().vkey);
    BOOST_REQUIRE(verifier.is_ok());
    Ledger out;
    std::istringstream in(result.out);
    std::string line;
    while (std::getline(in, line)) {
      auto value = json::parse(line);
      BOOST_REQUIRE(value.is_ok());
      if (const auto* note = value->find("checkpoint")) {
        auto checkpoint = proof::verify_checkpoint(note->text, *verifier, DemoLedger::get().origin);
        BOOST_REQUIRE(checkpoint.is_ok());
        out.checkpoint_sizes.push_back(checkpoint->size);
      } else if (value->find("seq") != nullptr) {
        ++out.size;
      }
    }
    BOOST_REQUIRE(out.checkpoint_sizes.size() > 10u);
    BOOST_REQUIRE_EQUAL(out.checkpoint_sizes.back(), out.size);
    return out;
  }();
  return info;
}

uint64_t first_checkpoint_above(uint64_t seq) {
  for (uint64_t s : ledger().checkpoint_sizes) {
    if (s > seq) return s;
  }
  BOOST_FAIL("no checkpoint above " << seq);
  return 0;
}

// A size between two checkpoints, which has none.
uint64_t size_without_checkpoint() {
  const auto& sizes = ledger().checkpoint_sizes;
  for (size_t i = sizes.size() / 2; i + 1 < sizes.size(); ++i) {
    if (sizes[i + 1] > sizes[i] + 1) return sizes[i] + 1;
  }
  BOOST_FAIL("every size has a checkpoint");
  return 0;
}

std::string prove(const std::vector<std::string>& args) {
  std::vector<std::string> command{"prove", "--data", DemoLedger::get().data()};
  command.insert(command.end(), args.begin(), args.end());
  const auto result = run_passbook(command);
  BOOST_REQUIRE_MESSAGE(result.exit_code == 0, "prove failed: " << result.err);
  return result.out;
}

std::string inclusion(uint64_t seq, uint64_t size) {
  return prove({"--seq", std::to_string(seq), "--size", std::to_string(size)});
}

std::string consistency(uint64_t size1, uint64_t size2) {
  return prove({"--from", std::to_string(size1), "--to", std::to_string(size2)});
}

// check-proof on `proof_text` (through a file, or standard input).
test::RunResult check(const std::string& proof_text,
                      const std::string& key = DemoLedger::get().vkey, bool via_stdin = false) {
  static TempDir dir;
  const auto file = dir.path() / "proof.json";
  write_file(file, proof_text);
  if (via_stdin) return run_passbook({"check-proof", "-", "--key", key}, proof_text);
  return run_passbook({"check-proof", file.string(), "--key", key});
}

json::Value parse(const std::string& text) {
  auto value = json::parse(text);
  BOOST_REQUIRE_MESSAGE(value.is_ok(), value.status().message());
  return std::move(value).value();
}

const std::string& text_of(const json::Value& object, const std::string& key) {
  const auto* value = object.find(key);
  BOOST_REQUIRE_MESSAGE(value != nullptr && value->kind == json::Value::Kind::kString,
                        "no " << key);
  return value->text;
}

std::string replace_once(const std::string& text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos,
                        "\"" << from.substr(0, 80) << "\" is not in the proof");
  BOOST_REQUIRE_MESSAGE(text.find(from, at + 1) == std::string::npos,
                        "\"" << from.substr(0, 80) << "\" twice");
  return text.substr(0, at) + to + text.substr(at + from.size());
}

std::string flip_hex(const std::string& hex) {
  std::string out = hex;
  out[10] = out[10] == '0' ? '1' : '0';
  return out;
}

// The same note with one bit of its Ed25519 signature flipped: still well-formed.
std::string flip_signature(const std::string& note) {
  const size_t space = note.rfind(' ');
  BOOST_REQUIRE(space != std::string::npos);
  auto raw = from_base64(note.substr(space + 1, note.size() - space - 2));
  BOOST_REQUIRE(raw.has_value() && raw->size() == 68);
  (*raw)[20] = static_cast<char>((*raw)[20] ^ 0x01);
  return note.substr(0, space + 1) + to_base64(*raw) + "\n";
}

// A checkpoint for `size` over another root, genuinely signed with the ledger's own key: what
// a ledger that forked its history would sign.
std::string forked_checkpoint(uint64_t size) {
  auto key = proof::SigningKey::load(DemoLedger::get().ledger_key_file());
  BOOST_REQUIRE_MESSAGE(key.is_ok(), key.status().message());
  const proof::Checkpoint checkpoint{
      DemoLedger::get().origin, size, proof::sha256("another history"), {}};
  return proof::sign_note(proof::format_checkpoint(checkpoint), DemoLedger::get().origin, *key);
}

void expect(const test::RunResult& result, int code, const std::string& why) {
  BOOST_TEST(result.exit_code == code, why << ": exit code " << result.exit_code << ", expected "
                                           << code << "; stdout: " << result.out
                                           << "stderr: " << result.err);
  if (code == kHolds) {
    BOOST_TEST(result.err.empty(), why);
  } else {
    BOOST_TEST(contains(result.err, "passbook check-proof: "), why);
  }
  if (code == kDoesNotHold) BOOST_TEST(contains(result.err, "the proof does NOT hold: "), why);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(prove_test)

BOOST_AUTO_TEST_CASE(genuine_inclusion_proofs_hold) {
  const Ledger& l = ledger();
  const auto& sizes = l.checkpoint_sizes;
  for (uint64_t seq : {uint64_t{0}, uint64_t{1}, uint64_t{42}, uint64_t{101}, l.size - 1}) {
    std::set<uint64_t> trees{first_checkpoint_above(seq), sizes[sizes.size() * 3 / 4], l.size};
    for (uint64_t size : trees) {
      if (size <= seq) continue;
      BOOST_TEST_CONTEXT("entry " << seq << " in size " << size) {
        const std::string text = inclusion(seq, size);
        const json::Value p = parse(text);
        BOOST_TEST(text_of(p, "kind") == "inclusion");
        BOOST_TEST(text_of(p, "origin") == DemoLedger::get().origin);
        BOOST_TEST(*json::to_u64(*p.find("index"), "index") == seq);
        BOOST_TEST(*json::to_u64(*p.find("size"), "size") == size);
        BOOST_TEST(text_of(p, "leaf_hash").size() == 64u);
        BOOST_TEST((p.find("path")->kind == json::Value::Kind::kArray));
        const std::string size_line = std::string("\n").append(std::to_string(size)).append("\n");
        BOOST_TEST(contains(text_of(p, "checkpoint"), size_line));
        const auto result = check(text);
        expect(result, kHolds, "genuine proof");
        BOOST_TEST(contains(
            result.out, "Entry " + std::to_string(seq) + " is included in the ledger " +
                            DemoLedger::get().origin + " at size " + std::to_string(size) +
                            ", signed by " +
                            DemoLedger::get().vkey.substr(0, DemoLedger::get().vkey.rfind('+'))));
      }
    }
  }
  // The default size is the latest; standard input works; the key may come from a file.
  const std::string latest = prove({"--seq", "7"});
  BOOST_TEST(*json::to_u64(*parse(latest).find("size"), "size") == l.size);
  expect(check(latest, DemoLedger::get().vkey, true), kHolds, "proof on standard input");
  TempDir dir;
  write_file(dir.path() / "ledger.vkey", DemoLedger::get().vkey + "\n");
  expect(check(latest, (dir.path() / "ledger.vkey").string()), kHolds, "key from a file");
}

BOOST_AUTO_TEST_CASE(genuine_consistency_proofs_hold) {
  const auto& sizes = ledger().checkpoint_sizes;
  const uint64_t latest = ledger().size;
  struct Pair {
    uint64_t size1;
    uint64_t size2;
  };
  for (const Pair pair : {Pair{sizes[0], latest}, Pair{sizes[3], sizes[sizes.size() / 2]},
                          Pair{sizes[sizes.size() / 2], sizes[sizes.size() / 2]},
                          Pair{sizes[5], sizes[6]}, Pair{sizes[sizes.size() - 2], latest}}) {
    BOOST_TEST_CONTEXT("from " << pair.size1 << " to " << pair.size2) {
      const std::string text = consistency(pair.size1, pair.size2);
      const json::Value p = parse(text);
      BOOST_TEST(text_of(p, "kind") == "consistency");
      BOOST_TEST(*json::to_u64(*p.find("size1"), "size1") == pair.size1);
      BOOST_TEST(*json::to_u64(*p.find("size2"), "size2") == pair.size2);
      BOOST_TEST((p.find("proof")->array.empty()) == (pair.size1 == pair.size2));
      const auto result = check(text);
      expect(result, kHolds, "genuine consistency proof");
      BOOST_TEST(contains(result.out, "at size " + std::to_string(pair.size2) +
                                          " extends its checkpoint at size " +
                                          std::to_string(pair.size1)));
    }
  }
  // --to defaults to the latest.
  const json::Value p = parse(prove({"--from", std::to_string(sizes[2])}));
  BOOST_TEST(*json::to_u64(*p.find("size2"), "size2") == latest);
}

BOOST_AUTO_TEST_CASE(altered_inclusion_proofs_are_refused) {
  const uint64_t size = ledger().checkpoint_sizes[ledger().checkpoint_sizes.size() * 3 / 4];
  const std::string genuine = inclusion(42, size);
  const json::Value p = parse(genuine);
  const auto& path = p.find("path")->array;
  BOOST_REQUIRE(path.size() >= 2u);
  const std::string& leaf = text_of(p, "leaf_hash");
  const std::string& entry = text_of(p, "entry");
  const std::string& note = text_of(p, "checkpoint");
  const std::string without_entry =
      replace_once(genuine, "\"entry\": " + json::quote(entry) + ",\n", "");
  expect(check(without_entry), kHolds, "a proof without the entry bytes");

  // A flipped path hash, first or last.
  expect(check(replace_once(genuine, path.front().text, flip_hex(path.front().text))), kDoesNotHold,
         "first path hash flipped");
  expect(check(replace_once(genuine, path.back().text, flip_hex(path.back().text))), kDoesNotHold,
         "last path hash flipped");
  // A path hash left out, or one too many.
  expect(check(replace_once(
             genuine, json::quote(path.back().text) + "\n",
             json::quote(path.back().text) + ",\n" + json::quote(path.back().text) + "\n")),
         kDoesNotHold, "a path hash too many");

  // A wrong leaf: another entry's leaf hash, without the entry bytes or with them.
  const std::string other_leaf = text_of(parse(inclusion(43, size)), "leaf_hash");
  const auto wrong_leaf = check(replace_once(without_entry, leaf, other_leaf));
  expect(wrong_leaf, kDoesNotHold, "another entry's leaf hash");
  BOOST_TEST(contains(wrong_leaf.err, "does not lead to the root"));
  BOOST_TEST(contains(wrong_leaf.out, "What holds:"));
  expect(check(replace_once(genuine, leaf, other_leaf)), kDoesNotHold,
         "leaf hash not of the entry bytes");
  // Entry bytes altered (a byte of the envelope), leaf hash left as it was.
  auto bytes = from_base64(entry);
  BOOST_REQUIRE(bytes.has_value());
  (*bytes)[bytes->size() / 2] = static_cast<char>((*bytes)[bytes->size() / 2] ^ 0x20);
  expect(check(replace_once(genuine, entry, to_base64(*bytes))), kDoesNotHold,
         "entry bytes altered");
  // Another index for the same leaf.
  expect(check(replace_once(without_entry, "\"index\": 42,", "\"index\": 41,")), kDoesNotHold,
         "another index");

  // A forged checkpoint signature.
  const auto forged =
      check(replace_once(genuine, json::quote(note), json::quote(flip_signature(note))));
  expect(forged, kDoesNotHold, "forged checkpoint signature");
  BOOST_TEST(contains(forged.err, "does not verify"));
  // The checkpoint's text altered under its signature (another size).
  std::string altered = note;
  altered = replace_once(altered, "\n" + std::to_string(size) + "\n",
                         "\n" + std::to_string(size + 1) + "\n");
  expect(check(replace_once(genuine, json::quote(note), json::quote(altered))), kDoesNotHold,
         "checkpoint text altered");
  // A checkpoint genuinely signed by the ledger key, but for another root.
  const auto forked =
      check(replace_once(genuine, json::quote(note), json::quote(forked_checkpoint(size))));
  expect(forked, kDoesNotHold, "checkpoint for a different root");
  BOOST_TEST(contains(forked.out, "is genuine"));
  // A genuine checkpoint of another size.
  const std::string other_note = text_of(parse(inclusion(42, ledger().size)), "checkpoint");
  expect(check(replace_once(genuine, json::quote(note), json::quote(other_note))), kDoesNotHold,
         "checkpoint of another size");
  // The proof names another log.
  expect(check(replace_once(genuine, "\"origin\": " + json::quote(DemoLedger::get().origin),
                            "\"origin\": \"elsewhere.example/log\"")),
         kDoesNotHold, "another origin");

  // The wrong key: another key under the same name, and a key of another log.
  auto stranger = proof::SigningKey::generate();
  BOOST_REQUIRE(stranger.is_ok());
  const auto same_name =
      check(genuine, proof::format_verifier_key(DemoLedger::get().origin, stranger->public_key()));
  expect(same_name, kDoesNotHold, "another key with the ledger's name");
  BOOST_TEST(contains(same_name.err, "carries no signature by"));
  expect(
      check(genuine, proof::format_verifier_key("elsewhere.example/log", stranger->public_key())),
      kDoesNotHold, "another log's key");
}

BOOST_AUTO_TEST_CASE(altered_consistency_proofs_are_refused) {
  const auto& sizes = ledger().checkpoint_sizes;
  const uint64_t size1 = sizes[3];
  const uint64_t size2 = sizes[sizes.size() - 3];
  const std::string genuine = consistency(size1, size2);
  const json::Value p = parse(genuine);
  const auto& hashes = p.find("proof")->array;
  BOOST_REQUIRE(!hashes.empty());
  const std::string& note1 = text_of(p, "checkpoint1");
  const std::string& note2 = text_of(p, "checkpoint2");

  expect(check(replace_once(genuine, hashes.front().text, flip_hex(hashes.front().text))),
         kDoesNotHold, "first proof hash flipped");
  expect(check(replace_once(genuine, hashes.back().text, flip_hex(hashes.back().text))),
         kDoesNotHold, "last proof hash flipped");
  expect(check(replace_once(genuine, json::quote(note1), json::quote(flip_signature(note1)))),
         kDoesNotHold, "forged signature on checkpoint1");
  expect(check(replace_once(genuine, json::quote(note2), json::quote(flip_signature(note2)))),
         kDoesNotHold, "forged signature on checkpoint2");
  // The ledger signs a newer checkpoint over a rewritten history: caught.
  const auto forked =
      check(replace_once(genuine, json::quote(note2), json::quote(forked_checkpoint(size2))));
  expect(forked, kDoesNotHold, "checkpoint2 over another history");
  BOOST_TEST(contains(forked.err, "rewrote its history"));
  const auto forked_old =
      check(replace_once(genuine, json::quote(note1), json::quote(forked_checkpoint(size1))));
  expect(forked_old, kDoesNotHold, "checkpoint1 over another history");
  // The two checkpoints swapped.
  std::string swapped = replace_once(genuine, json::quote(note1), "@1@");
  swapped = replace_once(swapped, json::quote(note2), json::quote(note1));
  swapped = replace_once(swapped, "@1@", json::quote(note2));
  expect(check(swapped), kDoesNotHold, "checkpoints swapped");
  auto stranger = proof::SigningKey::generate();
  BOOST_REQUIRE(stranger.is_ok());
  expect(
      check(genuine, proof::format_verifier_key(DemoLedger::get().origin, stranger->public_key())),
      kDoesNotHold, "wrong key");
}

BOOST_AUTO_TEST_CASE(malformed_files_get_exit_code_2) {
  const std::string genuine = inclusion(42, ledger().size);
  const json::Value p = parse(genuine);
  const std::string& leaf = text_of(p, "leaf_hash");
  std::string long_path = "[";
  for (int i = 0; i < 66; ++i) long_path += std::string(i == 0 ? "" : ",") + json::quote(leaf);
  long_path += "]";
  const std::string path_start = "\"path\": [";
  const size_t path_at = genuine.find(path_start);
  const size_t path_end = genuine.find(']', path_at);
  const std::string with_long_path =
      genuine.substr(0, path_at) + "\"path\": " + long_path + genuine.substr(path_end + 1);
  const std::string consistency_text = consistency(ledger().checkpoint_sizes[2], ledger().size);

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty file", ""},
      {"not JSON", "this is not a proof\n"},
      {"cut short", genuine.substr(0, genuine.size() / 2)},
      {"text after the object", genuine + "{}\n"},
      {"a JSON array", "[" + genuine + "]"},
      {"a duplicate key",
       replace_once(genuine, "\"index\": 42,", "\"index\": 42,\n  \"index\": 42,")},
      {"an unknown field",
       replace_once(genuine, "\"index\": 42,", "\"index\": 42,\n  \"note\": \"hi\",")},
      {"a missing field", replace_once(genuine, "\"index\": 42,", "")},
      {"a string for a number", replace_once(genuine, "\"index\": 42,", "\"index\": \"42\",")},
      {"a negative number", replace_once(genuine, "\"index\": 42,", "\"index\": -42,")},
      {"a fraction", replace_once(genuine, "\"index\": 42,", "\"index\": 42.0,")},
      {"an exponent", replace_once(genuine, "\"index\": 42,", "\"index\": 4.2e1,")},
      {"a leading zero", replace_once(genuine, "\"index\": 42,", "\"index\": 042,")},
      {"a number over 64 bits",
       replace_once(genuine, "\"index\": 42,", "\"index\": 18446744073709551616,")},
      {"a hash that is not hex", replace_once(genuine, leaf, "zz" + leaf.substr(2))},
      {"a short hash", replace_once(genuine, leaf, leaf.substr(2))},
      {"a path of 66 hashes", with_long_path},
      {"entry bytes that are not base64", replace_once(genuine, "\"entry\": \"", "\"entry\": \"*")},
      {"an unknown kind", replace_once(genuine, "\"inclusion\"", "\"exclusion\"")},
      {"kind and fields disagree", replace_once(genuine, "\"inclusion\"", "\"consistency\"")},
      {"a raw control character", replace_once(genuine, "\"index\"",
                                               "\"ind\x01"
                                               "ex\"")},
      {"invalid UTF-8", replace_once(genuine, "\"index\"",
                                     "\"ind\xC0\x80"
                                     "ex\"")},
      {"a lone surrogate", replace_once(genuine, "\"inclusion\"", "\"\\ud800\"")},
      {"a consistency proof without checkpoint2",
       replace_once(consistency_text, "\"checkpoint2\"", "\"checkpoint3\"")},
      {"nesting too deep", std::string(100, '[') + std::string(100, ']')},
  };
  for (const auto& [why, text] : cases) expect(check(text), kMalformed, why);
  // Over 16 MiB, even if the start looks right.
  expect(check(genuine + std::string(16 * 1024 * 1024, ' ')), kMalformed, "a file over 16 MiB");

  // The command line: no file, a missing file, no key, a malformed key.
  expect(run_passbook({"check-proof", "--key", DemoLedger::get().vkey}), kMalformed, "no file");
  expect(run_passbook({"check-proof", "/nonexistent/proof.json", "--key", DemoLedger::get().vkey}),
         kMalformed, "a missing file");
  expect(run_passbook({"check-proof", "-"}, genuine), kMalformed, "no key");
  expect(check(genuine, "not-a-key"), kMalformed, "a malformed key");
  const std::string vkey = DemoLedger::get().vkey;
  expect(check(genuine, vkey.substr(0, vkey.size() - 4) + "AAAA"), kMalformed,
         "a key whose id does not match");
}

BOOST_AUTO_TEST_CASE(a_size_without_a_checkpoint_names_sizes_that_have_one) {
  const uint64_t size = size_without_checkpoint();
  const auto& sizes = ledger().checkpoint_sizes;
  uint64_t below = 0;
  uint64_t above = 0;
  for (uint64_t s : sizes) {
    if (s < size) below = s;
    if (s > size && above == 0) above = s;
  }
  const auto result = run_passbook(
      {"prove", "--data", DemoLedger::get().data(), "--seq", "3", "--size", std::to_string(size)});
  BOOST_TEST(result.exit_code == 3);
  BOOST_TEST(result.out.empty());
  BOOST_TEST(contains(result.err, "there is no checkpoint for size " + std::to_string(size)));
  BOOST_TEST(contains(result.err,
                      "--size " + std::to_string(below) + " or --size " + std::to_string(above)),
             result.err);
  BOOST_TEST(contains(result.err, "the latest, --size " + std::to_string(ledger().size)),
             result.err);
  const auto from =
      run_passbook({"prove", "--data", DemoLedger::get().data(), "--from", std::to_string(size)});
  BOOST_TEST(from.exit_code == 3);
  BOOST_TEST(
      contains(from.err, "--from " + std::to_string(below) + " or --from " + std::to_string(above)),
      from.err);

  // Both kinds at once, or neither, is a usage error.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {}, {"--seq", "3", "--from", "5"}, {"--from", "5", "--size", "9"}, {"--to", "9"}}) {
    std::vector<std::string> command{"prove", "--data", DemoLedger::get().data()};
    command.insert(command.end(), args.begin(), args.end());
    const auto r = run_passbook(command);
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(r.out.empty());
  }
  // An entry past the tree.
  const auto past = run_passbook(
      {"prove", "--data", DemoLedger::get().data(), "--seq", std::to_string(ledger().size)});
  BOOST_TEST(past.exit_code == 3);
  BOOST_TEST(contains(past.err, "the ledger has " + std::to_string(ledger().size) + " entries"));
}

BOOST_AUTO_TEST_SUITE_END()
