// Where a command's ledger is: a data directory opened directly (local mode, one writer at a
// time) or a passbookd reached over the network (--server HOST:PORT, with --key for the session).
// Commands are written once against this interface and work both ways.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "passbook/schemas/protocol.h"
#include "passbook/schemas/records.h"
#include "passbook/schemas/views.h"

namespace passbook::cli {

struct Submitted {
  schemas::Receipt receipt;
  bool duplicate = false;
  bool proven = false;  // remote: the entry, inclusion and checkpoint were verified
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Result<schemas::LedgerInfo> info() = 0;
  virtual Result<Submitted> submit(schemas::SignedEnvelope envelope) = 0;
  virtual Result<schemas::AccountView> account(schemas::AccountKind kind, const std::string& id) = 0;
  virtual Result<std::vector<schemas::HistoryLine>> history(schemas::AccountKind kind, const std::string& id) = 0;
  virtual Result<std::vector<schemas::AccountView>> accounts(const std::string& branch) = 0;
  virtual Result<std::vector<schemas::ActorView>> actors() = 0;
  virtual Result<std::vector<schemas::RuleView>> rules() = 0;
  virtual Result<std::vector<schemas::RewardView>> rewards(const std::string& merchant) = 0;
  virtual Result<std::vector<schemas::ClaimView>> claims(const std::string& branch) = 0;
  virtual Result<std::vector<schemas::ReservationView>> reservations(const std::string& merchant) = 0;
  // Up to `count` consecutive entries' exact bytes from `from`.
  virtual Result<std::vector<std::string>> entries(uint64_t from, uint32_t count) = 0;
  virtual Result<std::string> checkpoint(uint64_t size) = 0;  // 0: latest
  virtual Result<std::vector<Hash32>> inclusion_proof(uint64_t index, uint64_t size) = 0;
  virtual Result<std::vector<Hash32>> consistency_proof(uint64_t size1, uint64_t size2) = 0;
  // Remote: asks passbookd to store a backup while it serves (admin keys, --backup-dir).
  // Local: FailedPrecondition (a data directory is backed up with ledger::backup).
  virtual Result<schemas::BackupReply> backup(bool verify) = 0;
  // Local: writes the state snapshot and releases the directory. Remote: closes the session.
  virtual Status close() = 0;
  [[nodiscard]] virtual bool remote() const = 0;
};

// A query the key may not make (remote scoping) is an empty answer, not a failure: true when
// it was answered (into `out`), false when refused for lack of permission. (An out-parameter
// rather than Result<std::optional<std::vector>>: GCC 12 at -O3 reports a false
// maybe-uninitialized when moving the latter, and warnings are errors.)
template <class T>
Result<bool> permitted_query(Result<T> result, T& out) {
  if (result.is_ok()) {
    out = std::move(result).value();
    return true;
  }
  if (result.status().code() == Status::Code::kPermissionDenied) return false;
  return result.status();
}

// The options every ledger command takes to find its backend.
std::vector<OptionSpec> backend_options();
// --server given: a remote backend (authenticated with --key); else the data directory.
// `writing`: local mode opens the ledger with its key so that it can commit.
Result<std::unique_ptr<Backend>> open_backend(const Args& args, bool writing);

}  // namespace passbook::cli
