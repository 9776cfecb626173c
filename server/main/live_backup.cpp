#include "live_backup.h"

#include <pthread.h>
#include <signal.h>

#include <string>

#include "../src/log.h"
#include "passbook/ledger/backup.h"
#include "passbook/schemas/encoding.h"

namespace passbook::server {
namespace {

sigset_t usr1_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  return set;
}

}  // namespace

void LiveBackups::block_signal() {
  const sigset_t set = usr1_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

LiveBackups::LiveBackups(const ledger::Ledger& ledger, std::filesystem::path data_dir,
                         std::filesystem::path backup_dir)
    : ledger_(ledger), data_dir_(std::move(data_dir)), backup_dir_(std::move(backup_dir)) {}

void LiveBackups::start() {
  thread_ = std::thread([this] {
    const sigset_t set = usr1_set();
    while (true) {
      int signal = 0;
      if (sigwait(&set, &signal) != 0) return;
      if (stopping_) return;
      take_one();
    }
  });
  log(LogLevel::kInfo, "live backups into " + backup_dir_.string() + " on SIGUSR1");
}

LiveBackups::~LiveBackups() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  pthread_kill(thread_.native_handle(), SIGUSR1);
  thread_.join();
}

void LiveBackups::take_one() const {
  log(LogLevel::kInfo, "backup requested (SIGUSR1)");
  // Next to the database, so that the copy is hard links, not a second copy of every file.
  const std::filesystem::path copy = data_dir_ / "backup-copy";
  std::error_code ec;
  std::filesystem::remove_all(copy, ec);  // left by a backup that a crash interrupted
  Status copied = ledger_.copy_database(copy);
  Result<ledger::BackupInfo> stored = copied.is_ok() ? ledger::backup_from_copy(copy, backup_dir_)
                                                     : Result<ledger::BackupInfo>(copied);
  std::filesystem::remove_all(copy, ec);
  if (!stored.is_ok()) {
    log(LogLevel::kError, "backup failed, nothing was stored: " + stored.status().message());
    return;
  }
  log(LogLevel::kInfo, "backup " + std::to_string(stored->id) + " stored in " +
                           backup_dir_.string() + ": " + std::to_string(stored->entries) +
                           " entries, root " + to_hex(stored->root).substr(0, 16));
}

}  // namespace passbook::server
