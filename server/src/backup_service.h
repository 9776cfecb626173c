// Backups of the ledger passbookd serves, taken while it serves it (passbookd --backup-dir): a
// point-in-time copy of the database (Ledger::copy_database, a RocksDB checkpoint of hard links
// next to the database) is stored in the backup directory with ledger::backup_from_copy. The
// copy is made under the ledger's shared lock in about the time of one flush, so the commit
// writer waits at most that long; the copying into the backup directory reads only the
// private copy, on a thread that is neither an I/O thread nor the writer. One backup at a time,
// whoever asks (a Backup request or SIGUSR1): the copy's directory and the backup engine's
// directory are not shared between two runs.
#pragma once

#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "passbook/ledger/backup.h"
#include "passbook/ledger/ledger.h"

namespace passbook::server {

class BackupService {
 public:
  using Done = std::function<void(Result<ledger::BackupInfo>)>;

  BackupService(const ledger::Ledger& ledger, std::filesystem::path backup_dir);
  // Waits for a backup under way: its thread uses the ledger.
  ~BackupService();
  BackupService(const BackupService&) = delete;
  BackupService& operator=(const BackupService&) = delete;

  // Starts a backup on a thread of its own and returns at once; `done` runs on that thread when
  // it has been stored or has failed. ResourceExhausted (and `done` is not called) while another
  // backup is under way, Unavailable once the service is stopping.
  Status start(ledger::BackupOptions options, std::string requested_by, Done done);
  // The same on the calling thread (SIGUSR1's thread), with the same refusals.
  Result<ledger::BackupInfo> take(const ledger::BackupOptions& options,
                                  const std::string& requested_by);

  [[nodiscard]] const std::filesystem::path& backup_dir() const { return backup_dir_; }

 private:
  Status reserve();
  void release();
  Result<ledger::BackupInfo> run(const ledger::BackupOptions& options,
                                 const std::string& requested_by) const;

  const ledger::Ledger& ledger_;
  std::filesystem::path backup_dir_;
  std::mutex mutex_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;  // the last started by start(); joined by the next start or at the end
};

}  // namespace passbook::server
