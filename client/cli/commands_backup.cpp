// backup, backups, restore: copies of the ledger's database kept with RocksDB's backup engine.
#include <iostream>

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

Status run_backup(const Args& args) {
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
      return unavailable(
          made.status().message() +
          ". Stop passbookd for the backup, or run passbookd with --backup-dir " + to +
          " and send it SIGUSR1 (kill -USR1 PID): it stores a backup while it serves");
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

}  // namespace

std::vector<Command> backup_commands() {
  return {
      {"backup",
       "[--data DIR] --to BACKUP_DIR [--verify] [--keep N]",
       "add a backup of the ledger (not in use by passbookd) to a backup directory",
       {data_option(),
        {"to", true,
         "the backup directory (created if needed; backups in it share unchanged files)"},
        {"verify", false, "verify the whole chain before storing the backup"},
        {"keep", true, "then delete all but the N newest backups"}},
       0,
       run_backup},
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
