// audit: download a server's whole chain into a mirror and verify it exactly as `verify` checks
// a data directory. With --mirror DIR the copy is kept and the next audit only fetches what is
// new.
#include <unistd.h>

#include <iostream>

#include "backend.h"
#include "cli.h"
#include "passbook/ledger/mirror.h"
#include "passbook/ledger/verify.h"
#include "passbook/schemas/encoding.h"

namespace passbook::cli {
namespace {

class Progress {
 public:
  explicit Progress(std::string what) : what_(std::move(what)), shown_(::isatty(STDERR_FILENO) != 0) {}
  void update(uint64_t done, uint64_t total) {
    if (!shown_ || total == 0) return;
    const uint64_t percent = done * 100 / total;
    if (percent == last_) return;
    last_ = percent;
    std::cerr << "\r" << what_ << ": " << done << " of " << total << " entries (" << percent << "%)" << std::flush;
  }
  ~Progress() {
    if (shown_ && last_ != 101) std::cerr << "\r\033[K" << std::flush;
  }

 private:
  std::string what_;
  bool shown_;
  uint64_t last_ = 101;
};

Status run_audit(const Args& args) {
  if (!args.get("server")) return invalid_argument("audit needs --server HOST:PORT (for a data directory, use verify)");
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Backend> server, open_backend(args, false));
  std::optional<std::filesystem::path> temporary;
  std::filesystem::path dir;
  if (auto mirror_dir = args.get("mirror")) {
    dir = *mirror_dir;
  } else {
    dir = std::filesystem::temp_directory_path() / ("passbook-audit-" + std::to_string(::getpid()));
    temporary = dir;
  }
  struct Cleanup {
    std::optional<std::filesystem::path> dir;
    ~Cleanup() {
      std::error_code ec;
      if (dir) std::filesystem::remove_all(*dir, ec);
    }
  } cleanup{temporary};

  // The latest checkpoint first: the client has already proven it consistent with what this
  // user saw before. The entries must then add up to exactly its root.
  PASSBOOK_ASSIGN_OR_RETURN(std::string note, server->checkpoint(0));
  PASSBOOK_ASSIGN_OR_RETURN(schemas::LedgerInfo info, server->info());
  const uint64_t target = info.size;
  {
    PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<ledger::Mirror> mirror, ledger::Mirror::open(dir));
    Progress progress("downloading");
    while (mirror->size() < target) {
      const uint64_t from = mirror->size();
      PASSBOOK_ASSIGN_OR_RETURN(std::vector<std::string> page, server->entries(from, schemas::kMaxEntriesPage));
      if (page.empty()) return data_loss("the server stopped sending entries at " + std::to_string(from));
      if (page.size() > target - from) page.resize(target - from);
      PASSBOOK_RETURN_IF_ERROR(mirror->append(page));
      progress.update(mirror->size(), target);
    }
    PASSBOOK_RETURN_IF_ERROR(mirror->add_checkpoint(note));
  }
  PASSBOOK_RETURN_IF_ERROR(server->close());

  ledger::VerifyOptions options;
  options.data_dir = dir;
  Progress progress("verifying");
  options.progress = [&progress](uint64_t done, uint64_t total) { progress.update(done, total); };
  PASSBOOK_ASSIGN_OR_RETURN(ledger::VerifyReport report, ledger::verify(options));
  if (report.ok()) {
    std::cout << "The ledger at " << *args.get("server") << " verifies: " << report.entries << " entries, "
              << report.signatures << " signatures checked; the signed checkpoint of size " << target
              << " matches them.\n";
    return Status::ok();
  }
  std::cout << "The ledger at " << *args.get("server") << " does NOT verify.\n";
  if (auto first = report.first_bad_seq()) std::cout << "First bad entry: " << *first << "\n";
  for (size_t i = 0; i < report.problems.size() && i < 20; ++i) {
    std::cout << "  - " << report.problems[i].message << "\n";
  }
  return data_loss("the server's chain does not verify; tell the street office and keep this output");
}

}  // namespace

std::vector<Command> mirror_commands() {
  std::vector<OptionSpec> options = backend_options();
  options.push_back({"key", true, "the auditor's (or admin's) key file that opens the session"});
  options.push_back({"mirror", true, "keep the downloaded copy here; the next audit fetches only what is new"});
  return {{"audit", "--server HOST:PORT --key AUDITOR.key [--mirror DIR]",
           "download a server's whole chain and verify it like verify does", options, 0, run_audit}};
}

}  // namespace passbook::cli
