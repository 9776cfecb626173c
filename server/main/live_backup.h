// Backups of the ledger passbookd serves, taken while it serves it: on SIGUSR1 (with
// --backup-dir), a point-in-time copy of the database (Ledger::copy_database, hard links) is
// stored in the backup directory with ledger::backup_from_copy, on a thread of its own, so that
// neither the I/O threads nor the commit writer wait for the copying. One backup at a time.
#pragma once

#include <atomic>
#include <filesystem>
#include <thread>

#include "passbook/ledger/ledger.h"

namespace passbook::server {

class LiveBackups {
 public:
  // Blocks SIGUSR1 in the calling thread and so in every thread started after it: call it first
  // in main, before the ledger (RocksDB) and the server start theirs, so that the signal is
  // only ever taken by start()'s thread and never kills the process.
  static void block_signal();

  LiveBackups(const ledger::Ledger& ledger, std::filesystem::path data_dir,
              std::filesystem::path backup_dir);
  // Listens for SIGUSR1 on a thread of its own.
  void start();
  // Stops listening; a backup under way is finished first.
  ~LiveBackups();
  LiveBackups(const LiveBackups&) = delete;
  LiveBackups& operator=(const LiveBackups&) = delete;

 private:
  void take_one() const;

  const ledger::Ledger& ledger_;
  std::filesystem::path data_dir_;
  std::filesystem::path backup_dir_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace passbook::server
