// passbook export, run as a user runs it, checked with the library's own verifiers: the lines
// round-trip to the exact stored entries, the chain and the Merkle roots recompute, every
// checkpoint verifies, and --from/--to cut exactly the range asked for.
#include <boost/test/unit_test.hpp>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_harness.h"
#include "json.h"
#include "passbook/proof/crypto.h"
#include "passbook/proof/merkle.h"
#include "passbook/proof/note.h"
#include "passbook/schemas/encoding.h"
#include "passbook/schemas/records.h"
#include "passbook/schemas/wire.h"

using namespace passbook;
using passbook::test::contains;
using passbook::test::DemoLedger;
using passbook::test::run_passbook;

namespace {

struct ExportLine {
  cli::json::Value value;
  std::string text;
};

std::vector<ExportLine> parse_lines(const std::string& out) {
  std::vector<ExportLine> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    auto value = cli::json::parse(line);
    BOOST_REQUIRE_MESSAGE(value.is_ok(), value.status().message()
                                             << " in: " << line.substr(0, 200));
    BOOST_REQUIRE(value->kind == cli::json::Value::Kind::kObject);
    lines.push_back({std::move(value).value(), line});
  }
  BOOST_REQUIRE(!out.empty() && out.back() == '\n');
  return lines;
}

const std::string& text_of(const cli::json::Value& object, const std::string& key) {
  const auto* value = object.find(key);
  BOOST_REQUIRE_MESSAGE(value != nullptr && value->kind == cli::json::Value::Kind::kString,
                        "no string field " << key);
  return value->text;
}

uint64_t number_of(const cli::json::Value& object, const std::string& key) {
  const auto* value = object.find(key);
  BOOST_REQUIRE_MESSAGE(value != nullptr, "no field " << key);
  auto n = cli::json::to_u64(*value, key);
  BOOST_REQUIRE(n.is_ok());
  return *n;
}

Hash32 hash_of(const std::string& hex) {
  auto h = array_from_hex<32>(hex);
  BOOST_REQUIRE_MESSAGE(h.has_value(), "not a hash: " << hex);
  return *h;
}

// The full export, checked line by line; remembers what the range tests compare against.
struct FullExport {
  std::vector<std::string> entry_lines;              // by seq
  std::map<uint64_t, std::string> checkpoint_lines;  // by size
  std::vector<Hash32> roots;                         // roots[n]: root of the first n entries
  std::vector<Hash32> leaves;
};

const FullExport& full_export() {
  static const FullExport full = [] {
    const auto& demo = DemoLedger::get();
    const auto result = run_passbook({"export", "--data", demo.data()});
    BOOST_REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    const auto lines = parse_lines(result.out);
    BOOST_REQUIRE(lines.size() > 2);

    const auto& header = lines[0].value;
    BOOST_TEST(text_of(header, "origin") == demo.origin);
    BOOST_TEST(text_of(header, "ledger_key") == demo.vkey);
    BOOST_TEST(header.find("start") == nullptr);
    const uint64_t size = number_of(header, "size");
    BOOST_TEST(number_of(header, "from") == 0u);
    BOOST_TEST(number_of(header, "to") == size - 1);
    auto verifier = proof::parse_verifier_key(demo.vkey);
    BOOST_REQUIRE(verifier.is_ok());

    FullExport out;
    proof::MerkleFrontier frontier;
    std::vector<proof::StoredNode> scratch;
    out.roots.push_back(frontier.root());
    Hash32 prev{};  // entry 0 links to zeros
    int64_t last_commit = INT64_MIN;
    for (size_t i = 1; i < lines.size(); ++i) {
      const auto& line = lines[i].value;
      if (line.find("checkpoint") != nullptr) {
        BOOST_REQUIRE_EQUAL(line.object.size(), 1u);
        auto checkpoint =
            proof::verify_checkpoint(text_of(line, "checkpoint"), *verifier, demo.origin);
        BOOST_REQUIRE_MESSAGE(checkpoint.is_ok(), checkpoint.status().message());
        // Right after the entry that completes its size, and over the recomputed root.
        BOOST_TEST(checkpoint->size == frontier.size());
        BOOST_TEST(to_hex(checkpoint->root) == to_hex(frontier.root()));
        BOOST_TEST(out.checkpoint_lines.count(checkpoint->size) == 0u);
        out.checkpoint_lines[checkpoint->size] = lines[i].text;
        continue;
      }
      BOOST_REQUIRE_EQUAL(line.object.size(), 3u);
      const uint64_t seq = number_of(line, "seq");
      BOOST_REQUIRE_EQUAL(seq, out.entry_lines.size());
      auto bytes = from_base64(text_of(line, "entry"));
      BOOST_REQUIRE(bytes.has_value());
      const Hash32 leaf = proof::leaf_hash(*bytes);
      BOOST_TEST(to_hex(leaf) == text_of(line, "leaf_hash"));
      auto entry = schemas::decode<schemas::Entry>(*bytes, "the exported entry");
      BOOST_REQUIRE_MESSAGE(entry.is_ok(), entry.status().message());
      BOOST_TEST(entry->seq == seq);
      BOOST_TEST(to_hex(entry->prev_hash) == to_hex(prev));
      BOOST_TEST(entry->commit_ms >= last_commit);
      // The bytes are exactly what the ledger stores: decoding and encoding again changes nothing.
      auto again = schemas::try_encode(*entry);
      BOOST_REQUIRE(again.is_ok());
      BOOST_TEST(*again == *bytes);
      prev = leaf;
      last_commit = entry->commit_ms;
      frontier.append(leaf, scratch);
      out.roots.push_back(frontier.root());
      out.leaves.push_back(leaf);
      out.entry_lines.push_back(lines[i].text);
    }
    BOOST_TEST(out.entry_lines.size() == size);
    // The latest checkpoint is always there, and there are others before it.
    BOOST_TEST(out.checkpoint_lines.count(size) == 1u);
    BOOST_TEST(out.checkpoint_lines.size() > 10u);
    return out;
  }();
  return full;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(export_test)

BOOST_AUTO_TEST_CASE(full_export_round_trips) {
  const auto& full = full_export();
  // Every entry of the ledger, and each one as `passbook entry --hex` shows the stored bytes.
  for (uint64_t seq : {uint64_t{0}, uint64_t{1}, uint64_t{full.entry_lines.size() - 1}}) {
    const auto shown =
        run_passbook({"entry", std::to_string(seq), "--hex", "--data", DemoLedger::get().data()});
    BOOST_REQUIRE_EQUAL(shown.exit_code, 0);
    auto line = cli::json::parse(full.entry_lines[seq]);
    BOOST_REQUIRE(line.is_ok());
    auto bytes = from_base64(text_of(*line, "entry"));
    BOOST_REQUIRE(bytes.has_value());
    BOOST_TEST(contains(shown.out, to_hex(*bytes) + "\n"));
  }
}

BOOST_AUTO_TEST_CASE(from_and_to_limit_the_range) {
  const auto& full = full_export();
  const auto& demo = DemoLedger::get();
  const uint64_t size = full.entry_lines.size();
  struct Range {
    uint64_t from;
    uint64_t to;
  };
  for (const Range r :
       {Range{0, 0}, Range{37, 150}, Range{1, 1}, Range{size - 1, size - 1}, Range{5, size - 1}}) {
    BOOST_TEST_CONTEXT("--from " << r.from << " --to " << r.to) {
      const auto result = run_passbook({"export", "--data", demo.data(), "--from",
                                        std::to_string(r.from), "--to", std::to_string(r.to)});
      BOOST_REQUIRE_MESSAGE(result.exit_code == 0, result.err);
      const auto lines = parse_lines(result.out);
      const auto& header = lines[0].value;
      BOOST_TEST(number_of(header, "from") == r.from);
      BOOST_TEST(number_of(header, "to") == r.to);
      BOOST_TEST(number_of(header, "size") == size);
      const auto* start = header.find("start");
      if (r.from == 0) {
        BOOST_TEST(start == nullptr);
      } else {
        // The start is entry from-1's leaf and its inclusion proof in the tree of `from`.
        BOOST_REQUIRE(start != nullptr);
        BOOST_TEST(number_of(*start, "size") == r.from);
        const Hash32 leaf = hash_of(text_of(*start, "leaf_hash"));
        BOOST_TEST(to_hex(leaf) == to_hex(full.leaves[r.from - 1]));
        std::vector<Hash32> path;
        for (const auto& h : start->find("path")->array) path.push_back(hash_of(h.text));
        BOOST_TEST(
            proof::verify_inclusion(leaf, r.from - 1, r.from, path, full.roots[r.from]).is_ok());
      }
      // Exactly the entries of the range, byte for byte as in the full export, each followed by
      // the checkpoint it completes when there is one.
      std::vector<std::string> expected;
      for (uint64_t seq = r.from; seq <= r.to; ++seq) {
        expected.push_back(full.entry_lines[seq]);
        if (auto it = full.checkpoint_lines.find(seq + 1); it != full.checkpoint_lines.end()) {
          expected.push_back(it->second);
        }
      }
      std::vector<std::string> got;
      for (size_t i = 1; i < lines.size(); ++i) got.push_back(lines[i].text);
      BOOST_TEST(got == expected, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_range_outside_the_ledger_is_refused) {
  const auto& demo = DemoLedger::get();
  const std::string size = std::to_string(full_export().entry_lines.size());
  for (const auto& args : std::vector<std::vector<std::string>>{{"--from", "10", "--to", "9"},
                                                                {"--to", size},
                                                                {"--from", size},
                                                                {"--from", "-1"},
                                                                {"--to", "x"}}) {
    std::vector<std::string> command{"export", "--data", demo.data()};
    command.insert(command.end(), args.begin(), args.end());
    const auto result = run_passbook(command);
    BOOST_TEST(result.exit_code == 3,
               "exit code " << result.exit_code << " for " << args[0] << " " << args[1]);
    BOOST_TEST(result.out.empty());
    BOOST_TEST(!result.err.empty());
  }
  const auto result = run_passbook({"export", "--data", demo.data(), "--to", size});
  BOOST_TEST(contains(result.err, "the ledger has " + size + " entries"));
}

BOOST_AUTO_TEST_SUITE_END()
