// The account index's rows: the encoding FORMAT.md section 8 gives, the damage a decoder must
// refuse, and rows that do not depend on how postings were split between snapshots.
#include <boost/test/unit_test.hpp>
#include <limits>

#include "../../ledger/src/index_blocks.h"
#include "ledger/ledger_fixture.h"
#include "passbook/schemas/encoding.h"

using namespace passbook;
using namespace passbook::ledger;
using passbook::testing::TempDir;
using namespace std::string_literals;

namespace {

std::string key_of_v0001(uint64_t seq, uint32_t op) {
  return index_block_key(std::string("v") + "v-0001", seq, op);
}

std::unique_ptr<Storage> new_storage(const TempDir& dir) {
  auto storage = Storage::open(dir.path() / "db", Storage::Mode::kCreate);
  BOOST_REQUIRE_MESSAGE(storage.is_ok(), storage.status().to_string());
  return std::move(storage).value();
}

std::map<std::string, std::string> index_rows(const Storage& storage) {
  std::map<std::string, std::string> rows;
  BOOST_REQUIRE(storage
                    .scan(Column::kIndex, "", "",
                          [&](std::string_view k, std::string_view v) {
                            rows.emplace(k, v);
                            return true;
                          })
                    .is_ok());
  return rows;
}

// n postings in chain order: every entry posts twice (two operations), some gaps are wide.
std::vector<Posting> postings_of(size_t n, uint64_t first_seq) {
  std::vector<Posting> out;
  uint64_t seq = first_seq;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && i % 2 == 0) seq += i % 14 == 0 ? 1000 : 3;
    out.push_back(Posting{seq, static_cast<uint32_t>(i % 2), static_cast<int64_t>(i % 5) - 2});
  }
  return out;
}

// Stores each account's postings with `writer`, all in one batch, as one snapshot would.
void store(IndexWriter& writer, Storage& storage,
           const std::vector<std::pair<std::string, std::vector<Posting>>>& accounts) {
  Storage::Batch batch(storage);
  for (const auto& [account, postings] : accounts) {
    BOOST_REQUIRE(writer.add(storage, account, postings, batch).is_ok());
  }
  BOOST_REQUIRE(storage.write(batch, false).is_ok());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(index_blocks_test)

BOOST_AUTO_TEST_CASE(the_worked_example_of_format_md_encodes_as_written) {
  const std::vector<Posting> postings = {{5, 0, 10}, {9, 2, 24}, {12, 0, -40}};
  BOOST_TEST(to_hex(key_of_v0001(5, 0)) == "76762d3030303100000000000000000500000000");
  BOOST_TEST(to_hex(encode_index_block(postings)) == "1404023003004f");
  const std::string key = key_of_v0001(5, 0);
  auto decoded = decode_index_block(key, *from_hex("1404023003004f"));
  BOOST_REQUIRE_MESSAGE(decoded.is_ok(), decoded.status().to_string());
  BOOST_TEST(decoded->account_key == "vv-0001");
  BOOST_TEST((decoded->postings == postings));
}

BOOST_AUTO_TEST_CASE(extreme_values_round_trip) {
  const uint64_t big = std::numeric_limits<uint64_t>::max();
  const std::vector<Posting> postings = {
      {0, 0, std::numeric_limits<int64_t>::min()},
      {0, std::numeric_limits<uint32_t>::max(), std::numeric_limits<int64_t>::max()},
      {big - 1, 0, 0},
      {big, 7, -1},
  };
  auto decoded = decode_index_block(index_block_key("bb1", 0, 0), encode_index_block(postings));
  BOOST_REQUIRE_MESSAGE(decoded.is_ok(), decoded.status().to_string());
  BOOST_TEST((decoded->postings == postings));
}

BOOST_AUTO_TEST_CASE(damaged_rows_are_refused_as_data_loss) {
  const std::string key = key_of_v0001(5, 0);
  std::vector<Posting> full;
  for (uint64_t i = 0; i < kPostingsPerBlock; ++i) full.push_back({5 + i, 0, 1});
  const std::string full_value = encode_index_block(full);
  BOOST_REQUIRE(decode_index_block(key, full_value).is_ok());
  struct Damage {
    const char* what;
    std::string key;
    std::string value;
    const char* said;  // in the message
  };
  const std::vector<Damage> damages = {
      {"no posting", key, "", "holds no posting"},
      {"a posting too many", key, full_value + "\x01\x00\x02"s, "more than 128 postings"},
      {"a varint that does not end", key, "\x14\x84", "cut short"},
      {"half a posting", key, "\x14\x04\x02", "cut short"},
      {"a varint not in its shortest form", key, "\x94\x00"s, "holds no posting"},
      {"a varint with bits beyond 64", key, std::string(10, '\xff') + "\x01", "holds no posting"},
      {"the same operation twice", key, "\x14\x00\x00\x02"s, "out of order"},
      {"an op beyond 32 bits", key, "\x14\x01\x80\x80\x80\x80\x10\x02", "out of order"},
      {"a seq beyond 64 bits", index_block_key("vv-0001", std::numeric_limits<uint64_t>::max(), 0),
       "\x14\x01\x00\x02"s, "out of order"},
      {"a key without seq and op", "vv-0001", "\x14", "malformed key"},
      {"a key without its separator", std::string("vv-0001") + std::string(13, '\x01'), "\x14",
       "malformed key"},
  };
  for (const Damage& d : damages) {
    BOOST_TEST_CONTEXT(d.what) {
      auto decoded = decode_index_block(d.key, d.value);
      BOOST_REQUIRE(!decoded.is_ok());
      BOOST_TEST((decoded.status().code() == Status::Code::kDataLoss));
      BOOST_TEST(decoded.status().message().find("account index row") != std::string::npos,
                 decoded.status().message());
      BOOST_TEST(decoded.status().message().find(d.said) != std::string::npos,
                 decoded.status().message());
    }
  }
}

BOOST_AUTO_TEST_CASE(rows_do_not_depend_on_how_the_postings_were_split) {
  // The same postings of two accounts written in one go, in many small snapshots, and in
  // snapshots whose writer was started afresh (as after a reopen, reading the last block back).
  const auto v = postings_of(300, 10);
  const auto b = postings_of(129, 4);
  TempDir whole_dir;
  auto whole = new_storage(whole_dir);
  IndexWriter whole_writer;
  store(whole_writer, *whole, {{"vv1", v}, {"bb1", b}});
  const auto expected = index_rows(*whole);
  BOOST_TEST(expected.size() == 3u + 2u);  // 128 + 128 + 44, and 128 + 1

  for (const size_t step : {1u, 7u, 127u, 128u, 129u}) {
    for (const bool fresh_writer : {false, true}) {
      BOOST_TEST_CONTEXT("snapshots of " << step << (fresh_writer ? ", a new writer each" : "")) {
        TempDir dir;
        auto storage = new_storage(dir);
        auto writer = std::make_unique<IndexWriter>();
        for (size_t at = 0; at < v.size(); at += step) {
          Storage::Batch batch(*storage);
          const std::span<const Posting> all_v(v), all_b(b);
          const size_t n = std::min(step, v.size() - at);
          BOOST_REQUIRE(writer->add(*storage, "vv1", all_v.subspan(at, n), batch).is_ok());
          if (at < b.size()) {
            BOOST_REQUIRE(
                writer
                    ->add(*storage, "bb1", all_b.subspan(at, std::min(step, b.size() - at)), batch)
                    .is_ok());
          }
          BOOST_REQUIRE(storage->write(batch, false).is_ok());
          if (fresh_writer) writer = std::make_unique<IndexWriter>();
        }
        BOOST_TEST((index_rows(*storage) == expected));
        std::vector<Posting> read;
        BOOST_REQUIRE(
            read_postings(*storage, "vv1", std::numeric_limits<uint64_t>::max(), read).is_ok());
        BOOST_TEST((read == v));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(postings_are_found_in_their_block_and_read_below_a_watermark) {
  const auto v = postings_of(300, 10);
  TempDir dir;
  auto storage = new_storage(dir);
  IndexWriter writer;
  // An account whose id begins with the other's: its rows sort right after, and are not its.
  store(writer, *storage, {{"vv1", v}, {"vv10", {{1, 0, 99}}}});
  for (const size_t i : {0u, 1u, 127u, 128u, 200u, 299u}) {
    auto found = read_posting(*storage, "vv1", v[i].seq, v[i].op);
    BOOST_REQUIRE(found.is_ok());
    BOOST_TEST(found->value_or(-999) == v[i].delta);
  }
  auto missing = read_posting(*storage, "vv1", v[5].seq, 9);
  BOOST_REQUIRE(missing.is_ok());
  BOOST_TEST(!missing->has_value());
  BOOST_TEST(!read_posting(*storage, "vv2", 1, 0)->has_value());

  std::vector<Posting> below;
  BOOST_REQUIRE(read_postings(*storage, "vv1", v[150].seq, below).is_ok());
  std::vector<Posting> expected;
  for (const Posting& p : v) {
    if (p.seq < v[150].seq) expected.push_back(p);
  }
  BOOST_TEST((below == expected));

  // A posting at or before the last stored one is refused: the index would hold it twice.
  Storage::Batch again(*storage);
  auto refused = writer.add(*storage, "vv1", std::vector<Posting>{v.back()}, again);
  BOOST_TEST((refused.code() == Status::Code::kDataLoss));
  IndexWriter fresh;
  refused = fresh.add(*storage, "vv1", std::vector<Posting>{v.back()}, again);
  BOOST_TEST((refused.code() == Status::Code::kDataLoss));
}

BOOST_AUTO_TEST_SUITE_END()
