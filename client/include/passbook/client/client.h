// passbook::client: talking to passbookd, and checking what it says.
//
// A client authenticates with its key, submits signed envelopes (pipelined: many may be in
// flight on one connection) and queries the ledger. It trusts nothing it is told without proof:
// every receipt comes with the entry, its inclusion path and the signed checkpoint that covers
// it, and every newer checkpoint must be consistent with the last one the client saw (kept in a
// small state file). A server that forks or rewrites history is reported as DataLoss and the
// client refuses to go on with it until a person looks.
//
// Two APIs over one implementation: AsyncClient (C++20 coroutines on the caller's executor, for
// servers) and Client (blocking, for scripts and the CLI; it runs its own I/O thread).
// Errors are values; no exception leaves these classes.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "passbook/proof/crypto.h"
#include "passbook/proof/note.h"
#include "passbook/schemas/protocol.h"
#include "passbook/schemas/records.h"
#include "passbook/schemas/status.h"
#include "passbook/schemas/views.h"

namespace passbook::client {

struct ClientOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 7411;
  // TLS 1.3 with the server's certificate checked against tls_ca (and the host name).
  bool tls = false;
  std::filesystem::path tls_ca;
  // The ledger's verifier key (<origin>+<key id>+<base64>). Empty: taken from the server the
  // first time and pinned in the state file (trust on first use).
  std::string verifier_key;
  // Where the last verified checkpoint is kept between runs. Empty: in memory only.
  std::filesystem::path state_file;
  // The key that authenticates the session; must outlive the client.
  const proof::SigningKey* key = nullptr;
  std::chrono::milliseconds timeout{30'000};  // for one request
  // For a Backup request: the server copies the whole database before it answers.
  std::chrono::milliseconds backup_timeout{3'600'000};
  int max_attempts = 6;                        // for submit: first try and retries
  bool check_receipts = true;                  // ask for and check a proof with every receipt
};

// A submitted envelope's fate, checked.
struct SubmitResult {
  schemas::Receipt receipt;
  bool duplicate = false;   // it had been recorded before: this is the first receipt
  bool proven = false;      // the entry, its inclusion and the checkpoint were verified
  int attempts = 1;
};

// The newest checkpoint the client has verified.
struct TrustedHead {
  std::string origin;
  uint64_t size = 0;
  Hash32 root{};
  std::string note;
};

class AsyncClient {
 public:
  // Connects, says Hello, authenticates with options.key and checks the latest checkpoint.
  static boost::asio::awaitable<Result<std::unique_ptr<AsyncClient>>> connect(
      boost::asio::any_io_executor executor, ClientOptions options);
  ~AsyncClient();
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  // Submits one envelope; after a lost connection, reconnects and sends the same bytes again (the
  // ledger answers a resend with the first receipt, so a retry never posts twice).
  boost::asio::awaitable<Result<SubmitResult>> submit(schemas::SignedEnvelope envelope);

  boost::asio::awaitable<Result<schemas::LedgerInfo>> info();
  boost::asio::awaitable<Result<schemas::AccountView>> account(schemas::AccountKind kind, std::string id);
  boost::asio::awaitable<Result<std::vector<schemas::HistoryLine>>> history(schemas::AccountKind kind,
                                                                            std::string id);
  // Up to `count` consecutive entries' exact bytes from `from` (auditors and admin).
  boost::asio::awaitable<Result<std::vector<std::string>>> entries(uint64_t from, uint32_t count);
  boost::asio::awaitable<Result<std::vector<schemas::RewardView>>> rewards(std::string merchant);
  boost::asio::awaitable<Result<std::vector<schemas::ActorView>>> actors();
  boost::asio::awaitable<Result<std::vector<schemas::RuleView>>> rules();
  boost::asio::awaitable<Result<std::vector<schemas::AccountView>>> accounts(std::string branch);
  boost::asio::awaitable<Result<std::vector<schemas::ClaimView>>> claims(std::string branch);
  boost::asio::awaitable<Result<std::vector<schemas::ReservationView>>> reservations(std::string merchant);
  // The signed checkpoint note for a size (0: latest), checked against the trusted head.
  boost::asio::awaitable<Result<std::string>> checkpoint(uint64_t size);
  boost::asio::awaitable<Result<std::vector<Hash32>>> inclusion_proof(uint64_t index, uint64_t size);
  boost::asio::awaitable<Result<std::vector<Hash32>>> consistency_proof(uint64_t size1, uint64_t size2);
  // Fetches the latest checkpoint and proves it consistent with the trusted head.
  boost::asio::awaitable<Result<TrustedHead>> refresh();
  // Asks passbookd (run with --backup-dir; admin keys only) to store a backup of the ledger as
  // it is now, while it goes on serving; `verify`: verify the whole copy before storing it.
  // Answers when it is stored (within options.backup_timeout).
  boost::asio::awaitable<Result<schemas::BackupReply>> backup(bool verify);

  [[nodiscard]] const TrustedHead& trusted() const;
  [[nodiscard]] const schemas::HelloReply& hello() const;
  [[nodiscard]] const schemas::AuthenticateReply& session() const;
  void close();

  struct Impl;

 private:
  explicit AsyncClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// The blocking API: every call waits for its answer. One caller thread at a time.
class Client {
 public:
  static Result<std::unique_ptr<Client>> connect(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Result<SubmitResult> submit(schemas::SignedEnvelope envelope);
  // Many envelopes in flight at once on this connection; results in the same order.
  std::vector<Result<SubmitResult>> submit_all(std::vector<schemas::SignedEnvelope> envelopes);
  Result<schemas::LedgerInfo> info();
  Result<schemas::AccountView> account(schemas::AccountKind kind, const std::string& id);
  Result<std::vector<schemas::HistoryLine>> history(schemas::AccountKind kind, const std::string& id);
  Result<std::vector<std::string>> entries(uint64_t from, uint32_t count);
  Result<std::vector<schemas::RewardView>> rewards(const std::string& merchant);
  Result<std::vector<schemas::ActorView>> actors();
  Result<std::vector<schemas::RuleView>> rules();
  Result<std::vector<schemas::AccountView>> accounts(const std::string& branch);
  Result<std::vector<schemas::ClaimView>> claims(const std::string& branch);
  Result<std::vector<schemas::ReservationView>> reservations(const std::string& merchant);
  Result<std::string> checkpoint(uint64_t size);
  Result<std::vector<Hash32>> inclusion_proof(uint64_t index, uint64_t size);
  Result<std::vector<Hash32>> consistency_proof(uint64_t size1, uint64_t size2);
  Result<TrustedHead> refresh();
  Result<schemas::BackupReply> backup(bool verify);
  [[nodiscard]] const TrustedHead& trusted() const;
  [[nodiscard]] const schemas::HelloReply& hello() const;
  [[nodiscard]] const schemas::AuthenticateReply& session() const;

  struct Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace passbook::client
