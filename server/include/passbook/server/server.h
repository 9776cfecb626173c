// passbookd as a library: serves one ledger over TCP (plain on loopback, TLS 1.3 otherwise) with
// the protocol of schemas/protocol.h. main() and the tests build it the same way.
//
// Thread model: one I/O thread runs every session (Asio coroutines); a small pool checks
// signatures and answers queries; one writer thread applies envelopes in arrival order and
// commits them in groups (one fsync, one checkpoint per group). A reply to a submit leaves only
// after the group's write has returned.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "passbook/ledger/backup.h"
#include "passbook/ledger/ledger.h"
#include "passbook/schemas/status.h"

namespace passbook::server {

struct ServerOptions {
  std::string listen_address = "127.0.0.1";
  uint16_t port = 7411;  // 0: any free port (tests)
  // Both or neither. Required for any address that is not loopback.
  std::filesystem::path tls_cert;
  std::filesystem::path tls_key;

  size_t max_connections = 1024;
  uint32_t max_in_flight_per_connection = 256;
  size_t max_group_envelopes = 2048;      // envelopes in one commit group
  size_t max_queued_envelopes = 100'000;  // waiting for the writer, all connections together
  size_t max_outbox_bytes = 64 << 20;     // replies a client has not read yet, per connection
  std::chrono::milliseconds handshake_timeout{10'000};  // for each of Hello and Authenticate
  std::chrono::milliseconds idle_timeout{300'000};      // between frames, once authenticated
  std::chrono::milliseconds frame_timeout{10'000};      // to receive one frame's body
  std::chrono::milliseconds write_timeout{30'000};      // for the client to take one reply
  size_t worker_threads = 2;  // signature checks and queries
  // Where admins' Backup requests (and passbookd's SIGUSR1) store backups; empty: refused.
  std::filesystem::path backup_dir;
};

// Verdict on an address: plain TCP is allowed only on loopback.
bool is_loopback(const std::string& address);

class Server {
 public:
  // Binds the listening socket and loads TLS material; the ledger must outlive the server.
  static Result<std::unique_ptr<Server>> create(ledger::Ledger& ledger, const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves until stop() or SIGINT/SIGTERM (when handle_signals), then stops accepting, finishes
  // and answers the group in flight, refuses what is still queued, and returns.
  Status run(bool handle_signals);
  // Thread safe; makes run() return as above.
  void stop();
  [[nodiscard]] uint16_t port() const;
  // Stores a backup of the ledger as it is now in options.backup_dir, on the calling thread,
  // while the server goes on serving (passbookd's SIGUSR1). FailedPrecondition without a
  // backup_dir, ResourceExhausted while another backup (a Backup request) is under way.
  Result<ledger::BackupInfo> backup(const std::string& requested_by);

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace passbook::server
