// Direct access to a closed ledger's RocksDB database (<data_dir>/db), bypassing the engine, so
// that tamper tests can damage exactly one row the way a person with a hex editor or a buggy
// tool would. Key layouts are those of ledger/src/storage.h and ledger/src/state.h.
//
// Open it only while no Ledger has the directory open (RocksDB's lock refuses a second opener).
// The database is closed when the RawDb goes out of scope; writes are in its log by then (not
// synced: a test's process does not crash between writing and reading them back), so the next
// opener, the engine or another RawDb, sees them.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "passbook/schemas/encoding.h"

namespace passbook::testing {

// The column families of a ledger database, in the order storage.cpp creates them.
enum class Cf { kDefault, kEntries, kMerkle, kCheckpoints, kNonces, kState, kIndex, kMeta };

class RawDb {
 public:
  explicit RawDb(const std::filesystem::path& data_dir) {
    std::vector<rocksdb::ColumnFamilyDescriptor> columns;
    for (const char* name : {rocksdb::kDefaultColumnFamilyName.c_str(), "entries", "merkle",
                             "checkpoints", "nonces", "state", "index", "meta"}) {
      columns.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    rocksdb::DBOptions options;
    options.create_if_missing = false;
    options.max_file_opening_threads = 1;  // RocksDB's 16 threads per open make loops slow
    options.avoid_flush_during_recovery = true;
    rocksdb::DB* raw = nullptr;
    const rocksdb::Status s =
        rocksdb::DB::Open(options, (data_dir / "db").string(), columns, &handles_, &raw);
    BOOST_REQUIRE_MESSAGE(s.ok(), "opening the raw database: " + s.ToString());
    db_.reset(raw);
  }
  ~RawDb() {
    for (auto* handle : handles_) (void)db_->DestroyColumnFamilyHandle(handle);
    (void)db_->Close();
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  [[nodiscard]] std::optional<std::string> get(Cf cf, std::string_view key) const {
    std::string value;
    const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handle(cf), slice(key), &value);
    if (s.IsNotFound()) return std::nullopt;
    BOOST_REQUIRE_MESSAGE(s.ok(), "raw get: " + s.ToString());
    return value;
  }
  // get() of a row that must exist.
  [[nodiscard]] std::string at(Cf cf, std::string_view key) const {
    auto value = get(cf, key);
    BOOST_REQUIRE_MESSAGE(value.has_value(), "no row " + to_hex(key) + " in that column");
    return *value;
  }
  void put(Cf cf, std::string_view key, std::string_view value) {
    const rocksdb::Status s = db_->Put(unsynced(), handle(cf), slice(key), slice(value));
    BOOST_REQUIRE_MESSAGE(s.ok(), "raw put: " + s.ToString());
  }
  void erase(Cf cf, std::string_view key) {
    const rocksdb::Status s = db_->Delete(unsynced(), handle(cf), slice(key));
    BOOST_REQUIRE_MESSAGE(s.ok(), "raw delete: " + s.ToString());
  }
  // Every row of a column, in key order.
  [[nodiscard]] std::map<std::string, std::string> dump(Cf cf) const {
    std::map<std::string, std::string> rows;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle(cf)));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      rows.emplace(it->key().ToString(), it->value().ToString());
    BOOST_REQUIRE_MESSAGE(it->status().ok(), "raw scan: " + it->status().ToString());
    return rows;
  }

 private:
  static rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }
  static rocksdb::WriteOptions unsynced() {
    rocksdb::WriteOptions options;
    options.sync = false;
    return options;
  }
  [[nodiscard]] rocksdb::ColumnFamilyHandle* handle(Cf cf) const {
    return handles_[static_cast<size_t>(cf)];
  }

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

// ---- keys --------------------------------------------------------------------------------

// entries: the seq, 8 bytes big-endian.
inline std::string entry_key(uint64_t seq) {
  return u64_key(seq);
}
// checkpoints: the tree size, 8 bytes big-endian.
inline std::string checkpoint_key(uint64_t size) {
  return u64_key(size);
}
// merkle: level (1 byte) || index (8 bytes big-endian) of a complete subtree.
inline std::string merkle_node_key(uint8_t level, uint64_t index) {
  std::string key(1, static_cast<char>(level));
  put_u64_be(key, index);
  return key;
}
// state: 'a' || account kind || id for an account row ('v' volunteer, 'b' branch, 'm' merchant).
inline std::string volunteer_row_key(std::string_view id) {
  std::string key = "av";
  key.append(id);
  return key;
}
// index: one row per block of an account's postings, keyed by its first posting: account key
// (kind || id) || 0x00 || seq (8, BE) || op (4, BE).
inline std::string posting_key(char kind, std::string_view id, uint64_t seq, uint32_t op) {
  std::string key(1, kind);
  key.append(id);
  key.push_back('\0');
  put_u64_be(key, seq);
  put_u32_be(key, op);
  return key;
}

// An index block, written and read here from schemas/FORMAT.md section 8 rather than with the
// engine's code: the first posting's points, then seq gap, op and points of each later posting,
// to the end of the value, all LEB128 varints, points zigzag-encoded.
struct RawPosting {
  uint64_t seq = 0;
  uint32_t op = 0;
  int64_t delta = 0;
  friend bool operator==(const RawPosting&, const RawPosting&) = default;
};

inline void put_raw_varint(std::string& out, uint64_t v) {
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>(0x80 | (v & 0x7F)));
  out.push_back(static_cast<char>(v));
}

inline uint64_t get_raw_varint(std::string_view& in) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    BOOST_REQUIRE(!in.empty() && shift < 64);
    const auto byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    v |= uint64_t{byte & 0x7Fu} << shift;
    if ((byte & 0x80) == 0) return v;
  }
}

inline std::string encode_block(const std::vector<RawPosting>& postings) {
  auto zigzag = [](int64_t d) {
    return (static_cast<uint64_t>(d) << 1) ^ static_cast<uint64_t>(d >> 63);
  };
  std::string out;
  for (size_t i = 0; i < postings.size(); ++i) {
    if (i > 0) {
      put_raw_varint(out, postings[i].seq - postings[i - 1].seq);
      put_raw_varint(out, postings[i].op);
    }
    put_raw_varint(out, zigzag(postings[i].delta));
  }
  return out;
}

inline std::vector<RawPosting> decode_block(std::string_view key, std::string_view value) {
  BOOST_REQUIRE(key.size() > 13);
  auto unzigzag = [](uint64_t v) {
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
  };
  std::vector<RawPosting> out;
  RawPosting p{get_u64_be(key.substr(key.size() - 12)), get_u32_be(key.substr(key.size() - 4)), 0};
  for (size_t i = 0; i == 0 || !value.empty(); ++i) {
    BOOST_REQUIRE(i < 128);
    if (i > 0) {
      p.seq += get_raw_varint(value);
      p.op = static_cast<uint32_t>(get_raw_varint(value));
    }
    p.delta = unzigzag(get_raw_varint(value));
    out.push_back(p);
  }
  return out;
}

// ---- the layout of a stored entry (schemas::Entry, see records.h and wire.h) ------------------
//   version u8 | seq u64 | commit_ms i64 | prev_hash [32] | envelope: u32 length + bytes |
//   signature [64] | co-signatures: u32 count + (key [32] + signature [64]) each
struct EntryLayout {
  static constexpr size_t kVersion = 0;
  static constexpr size_t kSeq = 1;
  static constexpr size_t kCommitMs = 9;
  static constexpr size_t kPrevHash = 17;
  static constexpr size_t kEnvelopeLength = 49;
  static constexpr size_t kEnvelope = 53;

  explicit EntryLayout(std::string_view bytes) : size(bytes.size()) {
    BOOST_REQUIRE(bytes.size() >= kEnvelope + 64 + 4);
    envelope_bytes = get_u32_be(bytes.substr(kEnvelopeLength));
    signature = kEnvelope + envelope_bytes;
    cosignatures = signature + 64;
    BOOST_REQUIRE(cosignatures + 4 <= bytes.size());
  }
  size_t size;
  size_t envelope_bytes;
  size_t signature;     // offset of the envelope signature
  size_t cosignatures;  // offset of the co-signature count
};

inline std::string flip(std::string bytes, size_t offset, uint8_t mask = 0x01) {
  BOOST_REQUIRE(offset < bytes.size());
  bytes[offset] = static_cast<char>(static_cast<uint8_t>(bytes[offset]) ^ mask);
  return bytes;
}

}  // namespace passbook::testing
