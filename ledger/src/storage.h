// The narrow storage interface the engine uses: a few named key spaces (RocksDB column families),
// point reads, ordered scans and atomic batches. Nothing else of RocksDB leaks past storage.cpp,
// so a replicated store could take its place.
//
// Thread safety: all methods may be called concurrently; a Batch belongs to one thread.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "passbook/schemas/status.h"

namespace passbook::ledger {

enum class Column {
  kEntries,      // seq (u64 BE) -> exact entry bytes
  kMerkle,       // level (u8) || index (u64 BE) -> hash of that complete subtree
  kCheckpoints,  // tree size (u64 BE) -> signed checkpoint note
  kNonces,       // signer (32) || nonce (16) -> seq (u64 BE)
  kState,        // derived state rows, written by snapshots
  kIndex,        // account key || 0x00 || seq || op of a block's first posting -> the block of
                 // up to 128 postings (index_blocks.h), written by snapshots
  kMeta,         // "head", "state_through"
};
inline constexpr int kColumnCount = 7;

class Storage {
 public:
  // kReadOnly takes no lock (a writer may be running: queries only). kInspect is read-only too,
  // and holds the writer's lock so that no writer changes the database while it is judged:
  // verification must neither modify nor race what it checks.
  enum class Mode { kCreate, kOpenExisting, kReadOnly, kInspect };

  class Batch {
   public:
    explicit Batch(Storage& storage);
    ~Batch();
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    void put(Column column, std::string_view key, std::string_view value);
    void erase(Column column, std::string_view key);
    [[nodiscard]] size_t byte_size() const;
    [[nodiscard]] size_t count() const;
    // Empties the batch for reuse.
    void clear();

   private:
    friend class Storage;
    struct Impl;
    std::unique_ptr<Impl> impl_;
    Storage* owner_;
  };

  // Opens (or creates) the database in dir. kCreate refuses a directory that already holds one;
  // kOpenExisting refuses one that does not. Another process holding the database is Unavailable;
  // a damaged one (a file missing, a checksum wrong, a log damaged before its last record) is
  // DataLoss.
  static Result<std::unique_ptr<Storage>> open(const std::filesystem::path& dir, Mode mode);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  Result<std::optional<std::string>> get(Column column, std::string_view key) const;
  // Applies the batch atomically; with sync, returns only once it is on disk.
  Status write(Batch& batch, bool sync);
  // Calls fn for each key >= start in order, while fn returns true and keys start with prefix.
  Status scan(Column column, std::string_view start, std::string_view prefix,
              const std::function<bool(std::string_view key, std::string_view value)>& fn) const;
  // The last key of a column and its value, if any.
  Result<std::optional<std::pair<std::string, std::string>>> last(Column column) const;
  // The last key < before, if any.
  Result<std::optional<std::pair<std::string, std::string>>> last_before(Column column,
                                                                         std::string_view before) const;
  // Reads every table file and checks its block checksums (the whole database: slow on a big
  // one), on up to `threads` threads. Damage is DataLoss naming the file.
  [[nodiscard]] Status verify_checksums(unsigned threads = 1) const;
  // A point-in-time copy of the open database in `dir` (which must not exist): a RocksDB
  // checkpoint, hard links where the file system allows. Safe while others write.
  [[nodiscard]] Status checkpoint(const std::filesystem::path& dir) const;
  // Drops every row of a column (rebuild).
  Status clear(Column column);

 private:
  struct Impl;
  explicit Storage(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace passbook::ledger
