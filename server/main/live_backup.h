// Backups of the ledger passbookd serves, taken while it serves it: on SIGUSR1 (with
// --backup-dir), Server::backup stores one (a point-in-time copy of the database, see
// server/src/backup_service.h) on this class's thread, so that neither the I/O threads nor the
// commit writer wait for the copying. One backup at a time, Backup requests included.
#pragma once

#include <atomic>
#include <filesystem>
#include <thread>

#include "passbook/server/server.h"

namespace passbook::server {

class LiveBackups {
 public:
  // Blocks SIGUSR1 in the calling thread and so in every thread started after it: call it first
  // in main, before the ledger (RocksDB) and the server start theirs, so that the signal is
  // only ever taken by start()'s thread and never kills the process.
  static void block_signal();

  LiveBackups(Server& server, std::filesystem::path backup_dir);
  // Listens for SIGUSR1 on a thread of its own.
  void start();
  // Stops listening; a backup under way is finished first.
  ~LiveBackups();
  LiveBackups(const LiveBackups&) = delete;
  LiveBackups& operator=(const LiveBackups&) = delete;

 private:
  void take_one() const;

  Server& server_;
  std::filesystem::path backup_dir_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace passbook::server
