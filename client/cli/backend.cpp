#include "backend.h"

#include <cstdlib>

#include "cli.h"
#include "passbook/client/client.h"
#include "passbook/ledger/ledger.h"

namespace passbook::cli {
namespace {

class LocalBackend final : public Backend {
 public:
  explicit LocalBackend(std::unique_ptr<ledger::Ledger> ledger) : ledger_(std::move(ledger)) {}

  Result<schemas::LedgerInfo> info() override { return ledger_->info(); }
  Result<Submitted> submit(schemas::SignedEnvelope envelope) override {
    ledger::Outcome outcome = ledger_->submit(std::move(envelope));
    if (!outcome.status.is_ok()) return outcome.status;
    return Submitted{outcome.receipt, outcome.duplicate, false};
  }
  Result<schemas::AccountView> account(schemas::AccountKind kind, const std::string& id) override {
    return ledger_->account(kind, id);
  }
  Result<std::vector<schemas::HistoryLine>> history(schemas::AccountKind kind, const std::string& id) override {
    return ledger_->history(kind, id);
  }
  Result<std::vector<schemas::AccountView>> accounts(const std::string& branch) override {
    return ledger_->accounts(branch);
  }
  Result<std::vector<schemas::ActorView>> actors() override { return ledger_->actors(); }
  Result<std::vector<schemas::RuleView>> rules() override { return ledger_->rules(); }
  Result<std::vector<schemas::RewardView>> rewards(const std::string& merchant) override {
    return ledger_->rewards(merchant);
  }
  Result<std::vector<schemas::ClaimView>> claims(const std::string& branch) override { return ledger_->claims(branch); }
  Result<std::vector<schemas::ReservationView>> reservations(const std::string& merchant) override {
    return ledger_->reservations(merchant);
  }
  Result<std::vector<std::string>> entries(uint64_t from, uint32_t count) override {
    std::vector<std::string> out;
    const uint64_t size = ledger_->info().size;
    for (uint64_t seq = from; seq < size && out.size() < count; ++seq) {
      PASSBOOK_ASSIGN_OR_RETURN(ledger::StoredEntry stored, ledger_->entry(seq));
      out.push_back(std::move(stored.bytes));
    }
    if (out.empty() && count > 0) return not_found("there is no entry " + std::to_string(from));
    return out;
  }
  Result<std::string> checkpoint(uint64_t size) override { return ledger_->checkpoint(size); }
  Result<std::vector<Hash32>> inclusion_proof(uint64_t index, uint64_t size) override {
    return ledger_->inclusion_proof(index, size);
  }
  Result<std::vector<Hash32>> consistency_proof(uint64_t size1, uint64_t size2) override {
    return ledger_->consistency_proof(size1, size2);
  }
  Result<schemas::BackupReply> backup(bool /*verify*/) override {
    return failed_precondition("a backup request goes to a server: give --server HOST:PORT");
  }
  Status close() override { return ledger_->close(); }
  [[nodiscard]] bool remote() const override { return false; }

 private:
  std::unique_ptr<ledger::Ledger> ledger_;
};

class RemoteBackend final : public Backend {
 public:
  RemoteBackend(proof::SigningKey key, client::ClientOptions options)
      : key_(std::make_unique<proof::SigningKey>(std::move(key))), options_(std::move(options)) {
    options_.key = key_.get();
  }
  Status connect() {
    PASSBOOK_ASSIGN_OR_RETURN(client_, client::Client::connect(options_));
    return Status::ok();
  }

  Result<schemas::LedgerInfo> info() override { return client_->info(); }
  Result<Submitted> submit(schemas::SignedEnvelope envelope) override {
    PASSBOOK_ASSIGN_OR_RETURN(client::SubmitResult result, client_->submit(std::move(envelope)));
    return Submitted{result.receipt, result.duplicate, result.proven};
  }
  Result<schemas::AccountView> account(schemas::AccountKind kind, const std::string& id) override {
    return client_->account(kind, id);
  }
  Result<std::vector<schemas::HistoryLine>> history(schemas::AccountKind kind, const std::string& id) override {
    return client_->history(kind, id);
  }
  Result<std::vector<schemas::AccountView>> accounts(const std::string& branch) override {
    return client_->accounts(branch);
  }
  Result<std::vector<schemas::ActorView>> actors() override { return client_->actors(); }
  Result<std::vector<schemas::RuleView>> rules() override { return client_->rules(); }
  Result<std::vector<schemas::RewardView>> rewards(const std::string& merchant) override {
    return client_->rewards(merchant);
  }
  Result<std::vector<schemas::ClaimView>> claims(const std::string& branch) override { return client_->claims(branch); }
  Result<std::vector<schemas::ReservationView>> reservations(const std::string& merchant) override {
    return client_->reservations(merchant);
  }
  Result<std::vector<std::string>> entries(uint64_t from, uint32_t count) override {
    return client_->entries(from, count);
  }
  Result<std::string> checkpoint(uint64_t size) override { return client_->checkpoint(size); }
  Result<std::vector<Hash32>> inclusion_proof(uint64_t index, uint64_t size) override {
    return client_->inclusion_proof(index, size);
  }
  Result<std::vector<Hash32>> consistency_proof(uint64_t size1, uint64_t size2) override {
    return client_->consistency_proof(size1, size2);
  }
  Result<schemas::BackupReply> backup(bool verify) override { return client_->backup(verify); }
  Status close() override {
    client_.reset();
    return Status::ok();
  }
  [[nodiscard]] bool remote() const override { return true; }

 private:
  std::unique_ptr<proof::SigningKey> key_;
  client::ClientOptions options_;
  std::unique_ptr<client::Client> client_;
};

// ~/.local/state/passbook/<host>_<port>.trust: the checkpoint this user last verified.
std::filesystem::path default_trust_file(const std::string& host, uint16_t port) {
  std::filesystem::path base;
  if (const char* state = std::getenv("XDG_STATE_HOME"); state != nullptr && *state != '\0') {
    base = state;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    base = std::filesystem::path(home) / ".local" / "state";
  } else {
    base = ".";
  }
  std::string name = host + "_" + std::to_string(port) + ".trust";
  for (char& c : name) {
    if (c == '/' || c == ':') c = '_';
  }
  return base / "passbook" / name;
}

}  // namespace

std::vector<OptionSpec> backend_options() {
  return {data_option(),
          {"server", true, "HOST:PORT of a passbookd instead of a data directory"},
          {"tls-ca", true, "with --server: use TLS and trust this certificate authority file"},
          {"ledger-vkey", true, "with --server: the ledger's verifier key to trust (default: pin on first use)"},
          {"trust-file", true, "with --server: where the last verified checkpoint is kept"}};
}

Result<std::unique_ptr<Backend>> open_backend(const Args& args, bool writing) {
  auto server = args.get("server");
  if (!server) {
    PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<ledger::Ledger> ledger, open_ledger(args, writing));
    return std::unique_ptr<Backend>(std::make_unique<LocalBackend>(std::move(ledger)));
  }
  const size_t colon = server->rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return invalid_argument("--server takes HOST:PORT, e.g. 127.0.0.1:7411");
  }
  PASSBOOK_ASSIGN_OR_RETURN(int64_t port, parse_integer(server->substr(colon + 1), 1, 65535, "the server port"));
  client::ClientOptions options;
  options.host = server->substr(0, colon);
  options.port = static_cast<uint16_t>(port);
  if (auto ca = args.get("tls-ca")) {
    options.tls = true;
    options.tls_ca = *ca;
  }
  options.verifier_key = args.get_or("ledger-vkey", "");
  options.state_file = args.get_or("trust-file", default_trust_file(options.host, options.port).string());
  auto key_file = args.get("key");
  if (!key_file) return invalid_argument("--server needs --key: the key file that opens the session");
  PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey key, load_key(*key_file));
  auto remote = std::make_unique<RemoteBackend>(std::move(key), options);
  PASSBOOK_RETURN_IF_ERROR(remote->connect());
  return std::unique_ptr<Backend>(std::move(remote));
}

}  // namespace passbook::cli
