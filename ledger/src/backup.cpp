#include "passbook/ledger/backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/utilities/backup_engine.h>

#include <algorithm>
#include <memory>
#include <sstream>

#include "passbook/ledger/ledger.h"
#include "passbook/ledger/verify.h"
#include "passbook/schemas/encoding.h"

namespace passbook::ledger {
namespace {

namespace fs = std::filesystem;

constexpr char kMetadataHeader[] = "passbook-backup 1";

Status from_rocksdb(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::ok();
  const std::string detail = s.ToString();
  if (s.IsCorruption()) return data_loss(what + ": damaged: " + detail);
  if (s.IsNoSpace() || detail.find("No space") != std::string::npos) {
    return resource_exhausted(what + ": the disk is full: " + detail);
  }
  if (s.IsNotFound() || s.IsPathNotFound()) return not_found(what + ": " + detail);
  if (s.IsIOError() && detail.find("lock") != std::string::npos) {
    return unavailable(what + ": the directory is in use by another process (" + detail + ")");
  }
  return unavailable(what + ": " + detail);
}

// Removes a directory tree when it goes out of scope (the temporary copy).
class RemoveOnExit {
 public:
  explicit RemoveOnExit(fs::path path) : path_(std::move(path)) {}
  ~RemoveOnExit() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  RemoveOnExit(const RemoveOnExit&) = delete;
  RemoveOnExit& operator=(const RemoveOnExit&) = delete;
  void release() { path_.clear(); }

 private:
  fs::path path_;
};

// The database's own lock (RocksDB takes an fcntl write lock on db/LOCK): held, no passbook
// process can open the database; refused, one has it open.
class DbLock {
 public:
  ~DbLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }
  DbLock() = default;
  DbLock(const DbLock&) = delete;
  DbLock& operator=(const DbLock&) = delete;

  Status acquire(const fs::path& db_dir) {
    fd_ = ::open((db_dir / "LOCK").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return unavailable("cannot open " + (db_dir / "LOCK").string());
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (::fcntl(fd_, F_SETLK, &lock) != 0) {
      return unavailable(
          "the ledger in " + db_dir.parent_path().string() +
          " is in use (passbookd is serving it?); a backup of a ledger that is being "
          "served must be made by the process that serves it");
    }
    return Status::ok();
  }

 private:
  int fd_ = -1;
};

// Copies the files of a database no process has open into copy_db: table files as hard links
// (they never change), everything else (MANIFEST, CURRENT, write-ahead logs, OPTIONS) as copies.
// The original is neither opened nor changed.
Status cold_copy(const fs::path& db_dir, const fs::path& copy_db) {
  std::error_code ec;
  if (!fs::exists(db_dir / "CURRENT", ec)) {
    return not_found("there is no ledger database in " + db_dir.string());
  }
  DbLock lock;
  PASSBOOK_RETURN_IF_ERROR(lock.acquire(db_dir));
  fs::create_directories(copy_db, ec);
  if (ec) return unavailable("cannot create " + copy_db.string() + ": " + ec.message());
  for (const auto& item : fs::directory_iterator(db_dir, ec)) {
    const std::string name = item.path().filename().string();
    if (name == "LOCK" || name.starts_with("LOG")) continue;  // the lock and RocksDB's info logs
    if (!item.is_regular_file()) continue;
    const fs::path target = copy_db / name;
    bool linked = false;
    if (name.ends_with(".sst") || name.ends_with(".blob")) {
      fs::create_hard_link(item.path(), target, ec);
      linked = !ec;
    }
    if (!linked) {
      fs::copy_file(item.path(), target, fs::copy_options::overwrite_existing, ec);
      if (ec) return unavailable("cannot copy " + item.path().string() + ": " + ec.message());
    }
  }
  if (ec) return unavailable("cannot read " + db_dir.string() + ": " + ec.message());
  return Status::ok();
}

// A database opened directly (not as a ledger), for the backup engine.
struct RawDb {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ~RawDb() {
    for (auto* handle : handles) {
      if (db && handle) (void)db->DestroyColumnFamilyHandle(handle);
    }
    if (db) (void)db->Close();
  }
};

Status open_raw(const fs::path& db_dir, RawDb& out) {
  rocksdb::DBOptions options;
  options.paranoid_checks = true;
  std::vector<std::string> names;
  PASSBOOK_RETURN_IF_ERROR(
      from_rocksdb(rocksdb::DB::ListColumnFamilies(options, db_dir.string(), &names),
                   "reading " + db_dir.string()));
  std::vector<rocksdb::ColumnFamilyDescriptor> columns;
  columns.reserve(names.size());
  for (const auto& name : names) columns.emplace_back(name, rocksdb::ColumnFamilyOptions());
  rocksdb::DB* raw = nullptr;
  PASSBOOK_RETURN_IF_ERROR(
      from_rocksdb(rocksdb::DB::Open(options, db_dir.string(), columns, &out.handles, &raw),
                   "opening " + db_dir.string()));
  out.db.reset(raw);
  return Status::ok();
}

rocksdb::BackupEngineOptions engine_options(const fs::path& backup_dir) {
  rocksdb::BackupEngineOptions options(backup_dir.string());
  options.share_table_files = true;  // incremental: unchanged table files are stored once
  options.sync = true;
  options.max_background_operations = 2;
  return options;
}

std::string metadata_of(const BackupInfo& info) {
  std::ostringstream out;
  out << kMetadataHeader << "\n"
      << "entries " << info.entries << "\n"
      << "root " << to_hex(info.root) << "\n"
      << "verified " << (info.verified ? 1 : 0) << "\n"
      << "origin " << info.origin << "\n";
  return out.str();
}

BackupInfo info_of(const rocksdb::BackupInfo& raw) {
  BackupInfo info;
  info.id = raw.backup_id;
  info.created_unix_s = raw.timestamp;
  info.bytes = raw.size;
  info.files = raw.number_files;
  std::istringstream lines(raw.app_metadata);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t space = line.find(' ');
    const std::string name = line.substr(0, space);
    const std::string value = space == std::string::npos ? "" : line.substr(space + 1);
    if (name == "entries") info.entries = std::strtoull(value.c_str(), nullptr, 10);
    if (name == "root") info.root = array_from_hex<32>(value).value_or(Hash32{});
    if (name == "verified") info.verified = value == "1";
    if (name == "origin") info.origin = value;
  }
  return info;
}

// Opens the data directory as a ledger (without its key): the snapshot is loaded, the entries
// after it replayed and the tail checked against the last checkpoint. Returns what it holds.
Result<LedgerInfo> open_as_ledger(const fs::path& data_dir) {
  Options options;
  options.data_dir = data_dir;
  options.load_ledger_key = false;
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Ledger> ledger, Ledger::open(options));
  LedgerInfo info = ledger->info();
  PASSBOOK_RETURN_IF_ERROR(ledger->close());
  return info;
}

}  // namespace

Result<BackupInfo> backup_from_copy(const fs::path& copy, const fs::path& backup_dir,
                                    const BackupOptions& options) {
  BackupInfo info;
  auto opened = open_as_ledger(copy);
  if (!opened.is_ok()) {
    return opened.status().with_context("the ledger does not open, so it was not backed up");
  }
  info.entries = opened->size;
  info.root = opened->root;
  info.origin = opened->origin;
  if (options.verify) {
    PASSBOOK_ASSIGN_OR_RETURN(VerifyReport report, verify(VerifyOptions{copy, {}}));
    if (!report.ok()) {
      return data_loss("the ledger does not verify (" + report.problems.front().message +
                       "), so it was not backed up; run passbook verify on it");
    }
    info.verified = true;
  }

  std::error_code ec;
  fs::create_directories(backup_dir, ec);
  if (ec) return unavailable("cannot create " + backup_dir.string() + ": " + ec.message());
  RawDb db;
  PASSBOOK_RETURN_IF_ERROR(open_raw(copy / "db", db));
  rocksdb::BackupEngine* raw_engine = nullptr;
  PASSBOOK_RETURN_IF_ERROR(from_rocksdb(
      rocksdb::BackupEngine::Open(engine_options(backup_dir), rocksdb::Env::Default(), &raw_engine),
      "opening the backup directory " + backup_dir.string()));
  std::unique_ptr<rocksdb::BackupEngine> engine(raw_engine);
  rocksdb::CreateBackupOptions create;
  create.flush_before_backup = true;  // the backup is table files and a MANIFEST, no log to replay
  rocksdb::BackupID id = 0;
  PASSBOOK_RETURN_IF_ERROR(
      from_rocksdb(engine->CreateNewBackupWithMetadata(create, db.db.get(), metadata_of(info), &id),
                   "writing the backup to " + backup_dir.string()));
  PASSBOOK_RETURN_IF_ERROR(from_rocksdb(engine->VerifyBackup(id, /*verify_with_checksum=*/true),
                                        "checking the new backup"));
  rocksdb::BackupInfo raw;
  PASSBOOK_RETURN_IF_ERROR(from_rocksdb(engine->GetBackupInfo(id, &raw), "reading the new backup"));
  if (options.keep > 0) {
    PASSBOOK_RETURN_IF_ERROR(
        from_rocksdb(engine->PurgeOldBackups(options.keep), "deleting old backups"));
  }
  BackupInfo stored = info_of(raw);
  return stored;
}

Result<BackupInfo> backup(const fs::path& data_dir, const fs::path& backup_dir,
                          const BackupOptions& options) {
  std::error_code ec;
  const fs::path copy = data_dir / (".backup-copy-" + std::to_string(::getpid()));
  fs::remove_all(copy, ec);
  RemoveOnExit remove(copy);
  PASSBOOK_RETURN_IF_ERROR(cold_copy(data_dir / "db", copy / "db"));
  return backup_from_copy(copy, backup_dir, options);
}

Result<std::vector<BackupInfo>> list_backups(const fs::path& backup_dir) {
  std::error_code ec;
  if (!fs::is_directory(backup_dir, ec))
    return not_found("there is no backup directory " + backup_dir.string());
  rocksdb::BackupEngineReadOnly* raw_engine = nullptr;
  PASSBOOK_RETURN_IF_ERROR(
      from_rocksdb(rocksdb::BackupEngineReadOnly::Open(engine_options(backup_dir),
                                                       rocksdb::Env::Default(), &raw_engine),
                   "opening the backup directory " + backup_dir.string()));
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine(raw_engine);
  std::vector<rocksdb::BackupInfo> raw;
  engine->GetBackupInfo(&raw);
  if (raw.empty()) return not_found("there are no backups in " + backup_dir.string());
  std::vector<BackupInfo> out;
  out.reserve(raw.size());
  for (const auto& r : raw) out.push_back(info_of(r));
  return out;
}

Result<BackupInfo> restore(const fs::path& backup_dir, const fs::path& data_dir,
                           std::optional<uint32_t> id) {
  std::error_code ec;
  const fs::path db_dir = data_dir / "db";
  if (fs::exists(db_dir, ec) && !fs::is_empty(db_dir, ec)) {
    return already_exists(
        data_dir.string() +
        " already holds a ledger database; restore never overwrites one: restore into a new "
        "directory");
  }
  PASSBOOK_ASSIGN_OR_RETURN(std::vector<BackupInfo> backups, list_backups(backup_dir));
  BackupInfo chosen = backups.back();
  if (id) {
    auto it = std::find_if(backups.begin(), backups.end(),
                           [&](const BackupInfo& b) { return b.id == *id; });
    if (it == backups.end())
      return not_found("there is no backup " + std::to_string(*id) + " in " + backup_dir.string());
    chosen = *it;
  }
  rocksdb::BackupEngineReadOnly* raw_engine = nullptr;
  PASSBOOK_RETURN_IF_ERROR(
      from_rocksdb(rocksdb::BackupEngineReadOnly::Open(engine_options(backup_dir),
                                                       rocksdb::Env::Default(), &raw_engine),
                   "opening the backup directory " + backup_dir.string()));
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine(raw_engine);
  PASSBOOK_RETURN_IF_ERROR(
      from_rocksdb(engine->VerifyBackup(chosen.id, /*verify_with_checksum=*/true),
                   "backup " + std::to_string(chosen.id) + " is damaged"));
  fs::create_directories(data_dir, ec);
  if (ec) return unavailable("cannot create " + data_dir.string() + ": " + ec.message());
  ::chmod(data_dir.c_str(), 0700);
  RemoveOnExit remove(db_dir);  // a restore that fails leaves no half ledger behind
  PASSBOOK_RETURN_IF_ERROR(
      from_rocksdb(engine->RestoreDBFromBackup(chosen.id, db_dir.string(), db_dir.string()),
                   "restoring backup " + std::to_string(chosen.id)));
  auto opened = open_as_ledger(data_dir);
  if (!opened.is_ok()) return opened.status().with_context("the restored ledger does not open");
  if (opened->size != chosen.entries || opened->root != chosen.root) {
    return data_loss("the restored ledger has " + std::to_string(opened->size) +
                     " entries and root " + to_hex(opened->root).substr(0, 16) +
                     ", the backup says " + std::to_string(chosen.entries) + " and " +
                     to_hex(chosen.root).substr(0, 16));
  }
  remove.release();
  return chosen;
}

}  // namespace passbook::ledger
