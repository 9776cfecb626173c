// backup, backups, restore: copies of the ledger's database kept with RocksDB's backup engine.
#include <iostream>

#include "backend.h"
#include "cli.h"
#include "passbook/ledger/backup.h"
#include "passbook/ledger/verify.h"
#include "passbook/schemas/encoding.h"

namespace passbook::cli {
namespace {

std::string describe(const ledger::BackupInfo& b) {
  return "backup " + std::to_string(b.id) + ": " + std::to_string(b.entries) + " entries of \"" +
         b.origin + "\", root " + to_hex(b.root).substr(0, 16) + "…, " +
         format_time(b.created_unix_s * 1000, 0) + " UTC, " + std::to_string(b.files) + " files, " +
         std::to_string(b.bytes) + " bytes" + (b.verified ? ", verified before it was stored" : "");
}

// --server: passbookd stores the backup in its own --backup-dir while it serves.
Status run_server_backup(const Args& args) {
  if (args.has("to") || args.has("keep")) {
    return invalid_argument(
        "with --server the backup goes into passbookd's --backup-dir: leave out --to and --keep");
  }
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Backend> server, open_backend(args, false));
  PASSBOOK_ASSIGN_OR_RETURN(schemas::BackupReply b, server->backup(args.flag("verify")));
  PASSBOOK_RETURN_IF_ERROR(server->close());
  std::cout << "passbookd at " << *args.get("server") << " stored backup " << b.id
            << " in its backup directory (--backup-dir):\n  " << b.entries
            << " entries (the signed checkpoint of size " << b.entries << "), root "
            << to_hex(b.root).substr(0, 16) << "…, " << format_time(b.created_unix_s * 1000, 0)
            << " UTC, " << b.files << " files, " << b.bytes << " bytes"
            << (b.verified ? ", verified before it was stored" : "") << ".\n"
            << "Restore it on the server's machine with passbook restore --from BACKUP_DIR --data "
               "NEWDIR --id "
            << b.id << ". The key files are not in the backup: keep them backed up apart.\n";
  return Status::ok();
}

Status run_backup(const Args& args) {
  if (args.has("server")) return run_server_backup(args);
  const auto dir = data_dir(args);
  PASSBOOK_ASSIGN_OR_RETURN(std::string to, args.required("to"));
  ledger::BackupOptions options;
  options.verify = args.flag("verify");
  PASSBOOK_ASSIGN_OR_RETURN(int64_t keep, args.integer("keep", 0, 100'000, 0));
  options.keep = static_cast<uint32_t>(keep);
  auto made = ledger::backup(dir, to, options);
  if (!made.is_ok()) {
    if (made.status().code() == Status::Code::kUnavailable &&
        made.status().message().find("in use") != std::string::npos) {
      return unavailable(made.status().message() +
                         ". To back up a ledger while passbookd serves it, ask passbookd: passbook "
                         "backup --server HOST:PORT --key ADMIN_KEY (passbookd must run with "
                         "--backup-dir " +
                         to + "); or stop passbookd for the backup");
    }
    return made.status();
  }
  std::cout << "Backed up " << dir.string() << " to " << to << ".\n  " << describe(*made) << "\n"
            << "The key files are not in the backup: keep " << (dir / "keys").string()
            << " backed up apart.\n";
  return Status::ok();
}

Status run_backups(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::string from, args.required("from"));
  PASSBOOK_ASSIGN_OR_RETURN(std::vector<ledger::BackupInfo> all, ledger::list_backups(from));
  for (const auto& b : all) std::cout << describe(b) << "\n";
  return Status::ok();
}

Status run_restore(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::string from, args.required("from"));
  if (!args.has("data")) return invalid_argument("name the new data directory with --data DIR");
  const auto dir = data_dir(args);
  std::optional<uint32_t> id;
  if (args.has("id")) {
    PASSBOOK_ASSIGN_OR_RETURN(int64_t value, args.integer("id", 1, UINT32_MAX));
    id = static_cast<uint32_t>(value);
  }
  PASSBOOK_ASSIGN_OR_RETURN(ledger::BackupInfo restored, ledger::restore(from, dir, id));
  std::cout << "Restored " << describe(restored) << "\ninto " << dir.string() << ".\n";
  if (!args.flag("no-verify")) {
    PASSBOOK_ASSIGN_OR_RETURN(ledger::VerifyReport report,
                              ledger::verify(ledger::VerifyOptions{dir, {}}));
    if (!report.ok()) {
      std::cout << "The restored ledger does NOT verify:\n";
      for (const auto& problem : report.problems) std::cout << "  - " << problem.message << "\n";
      return data_loss(
          "the restored ledger does not verify; try an older backup (passbook backups --from " +
          from + ")");
    }
    std::cout << "The restored ledger verifies: " << report.entries << " entries, "
              << report.signatures << " signatures, " << report.checkpoints
              << " checkpoints checked.\n";
  }
  std::cout << "To serve it, put the ledger key in " << (dir / "keys" / "ledger.key").string()
            << " (or pass --ledger-key to passbookd).\n";
  return Status::ok();
}

std::vector<OptionSpec> backup_options() {
  std::vector<OptionSpec> options = backend_options();  // --data, --server and its TLS and trust
  options.push_back(key_option());
  options.push_back({"to", true,
                     "the backup directory (created if needed; backups in it share unchanged "
                     "files)"});
  options.push_back({"verify", false, "verify the whole chain before storing the backup"});
  options.push_back({"keep", true, "then delete all but the N newest backups"});
  return options;
}

}  // namespace

std::vector<Command> backup_commands() {
  return {
      {"backup",
       "[--data DIR] --to BACKUP_DIR [--verify] [--keep N] | --server HOST:PORT --key ADMIN_KEY "
       "[--verify]",
       "add a backup of the ledger to a backup directory (with --server: passbookd stores one in "
       "its --backup-dir while it serves)",
       backup_options(), 0, run_backup},
      {"backups",
       "--from BACKUP_DIR",
       "list the backups in a backup directory",
       {{"from", true, "the backup directory"}},
       0,
       run_backups},
      {"restore",
       "--from BACKUP_DIR --data NEWDIR [--id N]",
       "restore a backup (the newest by default) into a new data directory and verify it",
       {data_option(),
        {"from", true, "the backup directory"},
        {"id", true, "the backup to restore (see passbook backups)"},
        {"no-verify", false, "skip the full verify after the restore"}},
       0,
       run_restore},
  };
}

}  // namespace passbook::cli
