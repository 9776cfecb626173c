#include "backup_service.h"

#include "log.h"
#include "passbook/schemas/encoding.h"

namespace passbook::server {

BackupService::BackupService(const ledger::Ledger& ledger, std::filesystem::path backup_dir)
    : ledger_(ledger), backup_dir_(std::move(backup_dir)) {}

BackupService::~BackupService() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

Status BackupService::reserve() {
  std::lock_guard lock(mutex_);
  if (stopping_) return unavailable("the server is shutting down; no backup was started");
  if (busy_) {
    return resource_exhausted(
        "a backup is already under way; ask again when it has finished (it is "
        "stored in " +
        backup_dir_.string() + ")");
  }
  busy_ = true;
  return Status::ok();
}

void BackupService::release() {
  std::lock_guard lock(mutex_);
  busy_ = false;
}

Status BackupService::start(ledger::BackupOptions options, std::string requested_by, Done done) {
  PASSBOOK_RETURN_IF_ERROR(reserve());
  std::lock_guard lock(mutex_);
  // The previous backup's thread has released the service, so it has (nearly) ended.
  if (thread_.joinable()) thread_.join();
  thread_ =
      std::thread([this, options, requested_by = std::move(requested_by), done = std::move(done)] {
        Result<ledger::BackupInfo> stored = run(options, requested_by);
        // Free before answering, so that a client may ask for the next backup as soon as it has
        // this one's reply.
        release();
        done(std::move(stored));
      });
  return Status::ok();
}

Result<ledger::BackupInfo> BackupService::take(const ledger::BackupOptions& options,
                                               const std::string& requested_by) {
  PASSBOOK_RETURN_IF_ERROR(reserve());
  Result<ledger::BackupInfo> stored = run(options, requested_by);
  release();
  return stored;
}

Result<ledger::BackupInfo> BackupService::run(const ledger::BackupOptions& options,
                                              const std::string& requested_by) const {
  log(LogLevel::kInfo, "backup requested (" + requested_by + ")");
  // Next to the database, so that the copy is hard links, not a second copy of every file.
  const std::filesystem::path copy = ledger_.data_dir() / "backup-copy";
  std::error_code ec;
  std::filesystem::remove_all(copy, ec);  // left by a backup that a crash interrupted
  Status copied = ledger_.copy_database(copy);
  Result<ledger::BackupInfo> stored = copied.is_ok()
                                          ? ledger::backup_from_copy(copy, backup_dir_, options)
                                          : Result<ledger::BackupInfo>(copied);
  std::filesystem::remove_all(copy, ec);
  if (!stored.is_ok()) {
    log(LogLevel::kError, "backup failed, nothing was stored: " + stored.status().message());
    return stored;
  }
  log(LogLevel::kInfo, "backup " + std::to_string(stored->id) + " stored in " +
                           backup_dir_.string() + ": " + std::to_string(stored->entries) +
                           " entries, root " + to_hex(stored->root).substr(0, 16));
  return stored;
}

}  // namespace passbook::server
