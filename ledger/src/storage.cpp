#include "storage.h"

#include <fcntl.h>
#include <unistd.h>

#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

namespace passbook::ledger {
namespace {

constexpr std::array<const char*, kColumnCount> kColumnNames = {
    "entries", "merkle", "checkpoints", "nonces", "state", "index", "meta"};

Status from_rocksdb(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::ok();
  const std::string detail = s.ToString();
  // A file the MANIFEST (or CURRENT) names is gone: the database lost part of itself.
  if (s.IsPathNotFound()) {
    return data_loss(std::string(what) + ": a file of the database is missing: " + detail);
  }
  if (s.IsIOError() && detail.find("lock") != std::string::npos) {
    return unavailable("the data directory is in use by another passbook process (" + detail + ")");
  }
  if (s.IsCorruption()) return data_loss(std::string(what) + ": the database is damaged: " + detail);
  if (s.IsNoSpace() || detail.find("No space") != std::string::npos) {
    return resource_exhausted(std::string(what) + ": the disk is full: " + detail);
  }
  return unavailable(std::string(what) + ": " + detail);
}

rocksdb::ColumnFamilyOptions column_options(Column column) {
  rocksdb::ColumnFamilyOptions options;
  rocksdb::BlockBasedTableOptions table;
  // Point lookups (nonces, state, merkle nodes) mostly miss or hit one key: bloom filters make
  // the misses cheap.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  if (column == Column::kEntries) {
    options.write_buffer_size = 64 << 20;
  }
  return options;
}

// RocksDB's info log, to stderr (passbookd's log) and never to a file in the data directory: on a
// full disk a failed write to db/LOG left the Debian build's (assertion-enabled) librocksdb
// aborting on the next log line, instead of reporting the write error. Warnings and errors only.
class StderrLogger final : public rocksdb::Logger {
 public:
  StderrLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    static constexpr std::string_view kPrefix = "rocksdb: ";
    std::array<char, 1024> line{};
    std::copy(kPrefix.begin(), kPrefix.end(), line.begin());
    const size_t room = line.size() - kPrefix.size() - 1;  // and one for the newline
    const int n = std::vsnprintf(line.data() + kPrefix.size(), room, format, ap);
    if (n < 0) return;
    // DB::VerifyChecksum (the checksum scan at open, and verify) reads table files outside the
    // manifest's bookkeeping and warns that it had no unique ID to compare, on every run. The
    // file's checksums are still verified; the line would only alarm the people reading stderr.
    if (std::string_view(line.data() + kPrefix.size()).find("opened without unique ID") !=
        std::string_view::npos) {
      return;
    }
    size_t length = kPrefix.size() + std::min(static_cast<size_t>(n), room - 1);
    line[length++] = '\n';
    // One write per line, so that lines from RocksDB's threads do not interleave.
    (void)!::write(STDERR_FILENO, line.data(), length);
  }
};

// A database directory without CURRENT is a new one only if RocksDB never wrote anything there.
bool has_database_files(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = item.path().filename().string();
    if (name.starts_with("MANIFEST-") || name.ends_with(".sst") || name.ends_with(".log"))
      return true;
  }
  return false;
}

// An fcntl lock on db/LOCK, the one RocksDB's writer takes: while it is held no passbook process
// can open the database for writing. Open file description locks, so that the lock belongs to
// this descriptor (a classic POSIX lock would be the whole process's).
class DirLock {
 public:
  DirLock() = default;
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

  Status acquire(const std::filesystem::path& dir) {
    fd_ = ::open((dir / "LOCK").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return unavailable("cannot open " + (dir / "LOCK").string());
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (::fcntl(fd_, F_OFD_SETLK, &lock) != 0) {
      return unavailable("the data directory is in use by another passbook process (" +
                         (dir / "LOCK").string() + " is locked)");
    }
    return Status::ok();
  }

 private:
  int fd_ = -1;
};

}  // namespace

struct Storage::Impl {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // [0] default, then one per Column

  rocksdb::ColumnFamilyHandle* cf(Column column) const {
    return handles[static_cast<size_t>(column) + 1];
  }
  bool read_only = false;
  // kInspect only; a member, so released after ~Impl's body has closed the database.
  std::unique_ptr<DirLock> inspect_lock;
  ~Impl() {
    if (db && !read_only) {
      // Flushed memtables mean the next open has no write-ahead log to replay: a restart after a
      // clean stop takes a fraction of a second, not the time to re-read the log.
      std::vector<rocksdb::ColumnFamilyHandle*> all(handles.begin() + (handles.empty() ? 0 : 1),
                                                    handles.end());
      (void)db->Flush(rocksdb::FlushOptions(), all);
    }
    for (auto* handle : handles) {
      if (db && handle) db->DestroyColumnFamilyHandle(handle);
    }
    if (db) db->Close();
  }
};

struct Storage::Batch::Impl {
  rocksdb::WriteBatch batch;
};

Storage::Batch::Batch(Storage& storage) : impl_(std::make_unique<Impl>()), owner_(&storage) {}
Storage::Batch::~Batch() = default;

void Storage::Batch::put(Column column, std::string_view key, std::string_view value) {
  impl_->batch.Put(owner_->impl_->cf(column), rocksdb::Slice(key.data(), key.size()),
                   rocksdb::Slice(value.data(), value.size()));
}

void Storage::Batch::erase(Column column, std::string_view key) {
  impl_->batch.Delete(owner_->impl_->cf(column), rocksdb::Slice(key.data(), key.size()));
}

size_t Storage::Batch::byte_size() const { return impl_->batch.GetDataSize(); }
size_t Storage::Batch::count() const { return static_cast<size_t>(impl_->batch.Count()); }
void Storage::Batch::clear() {
  impl_->batch.Clear();
}

Storage::Storage(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Storage::~Storage() = default;

Result<std::unique_ptr<Storage>> Storage::open(const std::filesystem::path& dir, Mode mode) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(dir / "CURRENT", ec);
  if (!exists && has_database_files(dir)) {
    return data_loss("the database in " + dir.string() +
                     " has lost its CURRENT file (its MANIFEST, table or log files are there): "
                     "it is damaged");
  }
  if (mode == Mode::kCreate && exists) {
    return already_exists("a ledger already exists in " + dir.string());
  }
  if (mode != Mode::kCreate && !exists) {
    return not_found("there is no ledger in " + dir.string() + " (run passbook init first)");
  }
  if (mode == Mode::kCreate) {
    // RocksDB would create it too, but only after logging an ERROR about the missing directory,
    // which `passbook init` would show its user.
    std::filesystem::create_directories(dir, ec);
    if (ec) return unavailable("cannot create " + dir.string() + ": " + ec.message());
  }
  auto impl = std::make_unique<Impl>();
  if (mode == Mode::kInspect) {
    impl->inspect_lock = std::make_unique<DirLock>();
    PASSBOOK_RETURN_IF_ERROR(impl->inspect_lock->acquire(dir));
  }
  rocksdb::DBOptions options;
  options.create_if_missing = mode == Mode::kCreate;
  options.create_missing_column_families = mode == Mode::kCreate;
  options.max_background_jobs = 2;
  options.paranoid_checks = true;
  options.info_log = std::make_shared<StderrLogger>();
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  // Accept only an incomplete last record (a write cut by a crash, never acknowledged). The
  // default (point in time) stops at damage in the middle of the log and silently drops every
  // later record, acknowledged entries included; that must be refused instead.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  // Bounds the log a crash recovery must replay (RocksDB flushes the oldest memtables past it).
  options.max_total_wal_size = 256ull << 20;
  // A write waits for its own memtable inserts, not for those of the writes before it: a state
  // snapshot (one batch of ~60k rows in t1, ~0.5 s of inserts) no longer holds up the commits
  // queued behind it. t1 went from ~85k to ~150k operations/s, p99 from ~500 ms to ~100 ms
  // (bench/RESULTS.md). The price is RocksDB's weaker promise to readers: a batch becomes
  // visible key by key, and a later write may be seen before an earlier one has landed. What
  // the engine reads does not depend on that: every read of rows a commit wrote happens after
  // that commit's write returned (the writer holds the ledger's lock until then, and a write
  // returns once its own rows are in); a snapshot's index rows are read only below the
  // watermark it raises after its write returns, and each row is one value, whole; its state
  // rows are read only when opening. The log stays in write order, each batch whole in it, so
  // recovery after a crash is unchanged, and a flush (a checkpoint for a backup, a clean close)
  // waits for the inserts still under way.
  options.unordered_write = true;
  // All memtables together: without a cap each column may hold two of 64 MiB, and under
  // 100-operation load at 10M entries passbookd's memory went past the 512 MiB it is allowed
  // (bench/RESULTS.md, target 6). Past the cap RocksDB flushes the column with the oldest
  // memtable.
  options.db_write_buffer_size = 128ull << 20;
  std::vector<rocksdb::ColumnFamilyDescriptor> columns;
  columns.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (int i = 0; i < kColumnCount; ++i) {
    columns.emplace_back(kColumnNames[static_cast<size_t>(i)], column_options(static_cast<Column>(i)));
  }
  rocksdb::DB* raw = nullptr;
  const bool read_only = mode == Mode::kReadOnly || mode == Mode::kInspect;
  rocksdb::Status s =
      read_only ? rocksdb::DB::OpenForReadOnly(options, dir.string(), columns, &impl->handles, &raw)
                : rocksdb::DB::Open(options, dir.string(), columns, &impl->handles, &raw);
  if (!s.ok()) {
    if (s.IsInvalidArgument() && s.ToString().find("olumn famil") != std::string::npos) {
      return data_loss("the database in " + dir.string() +
                       " does not have the column families of a passbook ledger: " + s.ToString());
    }
    return from_rocksdb(s, "opening " + dir.string());
  }
  impl->db.reset(raw);
  impl->read_only = read_only;
  return std::unique_ptr<Storage>(new Storage(std::move(impl)));
}

Result<std::optional<std::string>> Storage::get(Column column, std::string_view key) const {
  std::string value;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), impl_->cf(column),
                                     rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  PASSBOOK_RETURN_IF_ERROR(from_rocksdb(s, "reading"));
  return std::optional<std::string>(std::move(value));
}

Status Storage::write(Batch& batch, bool sync) {
  rocksdb::WriteOptions options;
  options.sync = sync;
  return from_rocksdb(impl_->db->Write(options, &batch.impl_->batch), "writing");
}

Status Storage::scan(Column column, std::string_view start, std::string_view prefix,
                     const std::function<bool(std::string_view, std::string_view)>& fn) const {
  rocksdb::ReadOptions options;
  options.fill_cache = false;  // scans (verify, export, history) should not evict hot rows
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(options, impl_->cf(column)));
  for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    const std::string_view k(key.data(), key.size());
    if (k.substr(0, prefix.size()) != prefix) break;
    const rocksdb::Slice value = it->value();
    if (!fn(k, std::string_view(value.data(), value.size()))) break;
  }
  return from_rocksdb(it->status(), "scanning");
}

Result<std::optional<std::pair<std::string, std::string>>> Storage::last(Column column) const {
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(column)));
  it->SeekToLast();
  PASSBOOK_RETURN_IF_ERROR(from_rocksdb(it->status(), "reading"));
  if (!it->Valid()) return std::optional<std::pair<std::string, std::string>>();
  return std::optional(std::make_pair(it->key().ToString(), it->value().ToString()));
}

Result<std::optional<std::pair<std::string, std::string>>> Storage::last_before(
    Column column, std::string_view before) const {
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(column)));
  it->SeekForPrev(rocksdb::Slice(before.data(), before.size()));
  if (it->Valid() && it->key() == rocksdb::Slice(before.data(), before.size())) it->Prev();
  PASSBOOK_RETURN_IF_ERROR(from_rocksdb(it->status(), "reading"));
  if (!it->Valid()) return std::optional<std::pair<std::string, std::string>>();
  return std::optional(std::make_pair(it->key().ToString(), it->value().ToString()));
}

Status Storage::verify_checksums(unsigned threads) const {
  rocksdb::DB& db = *impl_->db;
  // Compaction replaces table files in the background; while they are being read, none may go.
  // (A read-only database never deletes files, and cannot be asked to hold them.)
  const bool hold_files = !impl_->read_only;
  if (hold_files) {
    PASSBOOK_RETURN_IF_ERROR(from_rocksdb(db.DisableFileDeletions(), "holding the table files"));
  }
  // Whatever happens below, deletions resume: held for the process's life, old files pile up.
  struct ResumeDeletions {
    explicit ResumeDeletions(rocksdb::DB* held) : db(held) {}
    rocksdb::DB* db;
    ResumeDeletions(const ResumeDeletions&) = delete;
    ResumeDeletions& operator=(const ResumeDeletions&) = delete;
    ~ResumeDeletions() {
      if (db != nullptr) (void)db->EnableFileDeletions(/*force=*/false);
    }
  } resume(hold_files ? &db : nullptr);
  std::vector<rocksdb::LiveFileMetaData> files;
  db.GetLiveFilesMetaData(&files);
  std::unordered_map<std::string, rocksdb::Options> options_of;
  for (rocksdb::ColumnFamilyHandle* handle : impl_->handles) {
    options_of.emplace(handle->GetName(), db.GetOptions(handle));
  }
  // Biggest first, each taken by the next free thread: the threads finish close together.
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.size > b.size; });
  std::vector<rocksdb::Status> results(files.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto check_files = [&] {
    for (size_t i = next++; i < files.size() && !failed; i = next++) {
      const rocksdb::LiveFileMetaData& file = files[i];
      try {  // on a helper thread an exception (bad_alloc) would end the process
        auto options = options_of.find(file.column_family_name);
        if (options == options_of.end()) {
          results[i] = rocksdb::Status::Corruption("table file " + file.name +
                                                   " belongs to an unknown column family " +
                                                   file.column_family_name);
        } else {
          results[i] = rocksdb::VerifySstFileChecksum(
              options->second, rocksdb::EnvOptions(options->second), rocksdb::ReadOptions(),
              file.db_path + file.name, file.largest_seqno);
        }
      } catch (const std::exception& e) {
        results[i] = rocksdb::Status::Aborted(e.what());
      }
      if (!results[i].ok()) failed = true;
    }
  };
  std::vector<std::thread> helpers;
  for (unsigned t = 1; t < threads && t < files.size(); ++t) {
    try {
      helpers.emplace_back(check_files);
    } catch (const std::system_error&) {
      break;  // fewer threads, the same checks
    }
  }
  check_files();
  for (std::thread& helper : helpers) helper.join();
  for (const rocksdb::Status& result : results) {
    PASSBOOK_RETURN_IF_ERROR(from_rocksdb(result, "checking the checksums of the table files"));
  }
  return Status::ok();
}

Status Storage::checkpoint(const std::filesystem::path& dir) const {
  rocksdb::Checkpoint* raw = nullptr;
  PASSBOOK_RETURN_IF_ERROR(
      from_rocksdb(rocksdb::Checkpoint::Create(impl_->db.get(), &raw), "preparing a copy"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush 0: memtables are flushed first, so the copy is table files only.
  return from_rocksdb(checkpoint->CreateCheckpoint(dir.string(), 0),
                      "copying the database to " + dir.string());
}

Status Storage::clear(Column column) {
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(column)));
  it->SeekToFirst();
  if (!it->Valid()) return from_rocksdb(it->status(), "clearing");
  const std::string first = it->key().ToString();
  it->SeekToLast();
  std::string end = it->key().ToString();
  end.push_back('\0');  // DeleteRange's end is exclusive
  PASSBOOK_RETURN_IF_ERROR(from_rocksdb(it->status(), "clearing"));
  batch.DeleteRange(impl_->cf(column), first, end);
  rocksdb::WriteOptions options;
  options.sync = true;
  return from_rocksdb(impl_->db->Write(options, &batch), "clearing");
}

}  // namespace passbook::ledger
