// Shared pieces of the `passbook` commands: the command table, opening the ledger, signing and
// submitting operations, and turning a Status into one plain sentence and an exit code.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "passbook/ledger/ledger.h"
#include "passbook/proof/crypto.h"
#include "passbook/schemas/records.h"

namespace passbook::cli {

// Exit codes: what kind of failure, for scripts.
enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,
  kExitUsage = 2,       // the command line is wrong
  kExitRefused = 3,     // the ledger refused the request (rules, permissions, missing things)
  kExitDamaged = 4,     // verification failed or data is damaged
  kExitUnavailable = 5, // the data directory is in use, the disk failed, the server is unreachable
};
int exit_code_for(const Status& status);

struct Command {
  std::string name;
  std::string synopsis;  // e.g. "VOLUNTEER [--data DIR]"
  std::string summary;   // one line
  std::vector<OptionSpec> options;
  size_t max_positionals = 0;
  std::function<Status(const Args&)> run;
};

// All commands, in the order `passbook help` lists them.
std::vector<Command> setup_commands();
std::vector<Command> operation_commands();
std::vector<Command> query_commands();
std::vector<Command> demo_commands();
std::vector<Command> audit_commands();   // export, prove, check-proof
std::vector<Command> mirror_commands();  // audit (a server, through a mirror)
std::vector<Command> backup_commands();  // backup, backups, restore
std::vector<Command> street_commands();  // statement, report, import, name, forget, names

// Options shared by commands that use a data directory.
OptionSpec data_option();
OptionSpec key_option();
std::filesystem::path data_dir(const Args& args);

// Opens the ledger of --data. `writing`: with its key, to commit.
Result<std::unique_ptr<ledger::Ledger>> open_ledger(const Args& args, bool writing);
Result<proof::SigningKey> load_key(const std::string& file);

// Signs the operations with --key (and co-signers), submits them, prints the receipt.
Status submit_operations(const Args& args, std::vector<schemas::Operation> ops,
                         const std::vector<std::string>& cosigner_files = {});

// Parsing user input.
Result<uint32_t> parse_day(const std::string& text);                // YYYY-MM-DD or YYYYMMDD
Result<schemas::OpRef> parse_op_ref(const std::string& text);        // SEQ.OP
Result<PublicKey> parse_public_key(const std::string& text);         // hex, or a key file
Result<schemas::Role> parse_role(const std::string& text);

// Printing.
std::string format_time(int64_t unix_ms, int32_t utc_offset_minutes);  // 2026-11-22 14:03
std::string short_hex(const PublicKey& key);
std::string describe_operation(const schemas::Operation& op);

}  // namespace passbook::cli
