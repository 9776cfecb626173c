#include "live_backup.h"

#include <pthread.h>
#include <signal.h>

#include <string>

#include "../src/log.h"

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

LiveBackups::LiveBackups(Server& server, std::filesystem::path backup_dir)
    : server_(server), backup_dir_(std::move(backup_dir)) {}

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
  // The service logs what was stored, or why nothing was.
  (void)server_.backup("SIGUSR1");
}

}  // namespace passbook::server
