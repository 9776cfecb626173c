// Backups of a ledger's database with RocksDB's BackupEngine: incremental (table files are
// shared between the backups in one backup directory), every file checksummed, restorable into a
// new data directory.
//
// A backup is taken from a consistent copy of the database, never from files that are changing:
// the files of a ledger no process has open are copied under the database's own lock (so no
// passbookd can start meanwhile), without opening, and so without changing, the original. (A
// ledger passbookd serves needs a point-in-time copy made inside passbookd: a RocksDB checkpoint,
// Ledger::copy_database; see backup_from_copy.) The copy is then opened as a ledger (which checks
// the tail of its chain against its last signed checkpoint), optionally verified in full, and only
// then stored as a backup, with the chain's size and root as its metadata. So a backup always holds
// a ledger that opens.
//
// The key files are NOT part of a backup (they are secrets, kept and backed up apart): a
// restored ledger needs its ledger key (keys/ledger.key or --ledger-key) to be served again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "passbook/schemas/status.h"
#include "passbook/schemas/types.h"

namespace passbook::ledger {

struct BackupInfo {
  uint32_t id = 0;
  int64_t created_unix_s = 0;
  uint64_t bytes = 0;  // the backup's files (shared files counted in every backup that uses them)
  uint32_t files = 0;
  uint64_t entries = 0;   // the chain's size in the backup
  Hash32 root{};          // the Merkle root of those entries
  std::string origin;     // the ledger's name
  bool verified = false;  // the copy passed a full verify before it was stored
};

struct BackupOptions {
  // Run the full verify (every entry, signature, checkpoint and state row) on the copy before
  // storing it; a copy that does not verify is not stored (DataLoss).
  bool verify = false;
  // After storing, delete all but this many newest backups (0: keep all).
  uint32_t keep = 0;
};

// Backs up the ledger in data_dir, which no process may have open (a running passbookd holds
// it: back up through the ledger it serves, below). Unavailable if it is in use.
Result<BackupInfo> backup(const std::filesystem::path& data_dir,
                          const std::filesystem::path& backup_dir,
                          const BackupOptions& options = {});

// Stores a backup of `copy`, a consistent copy of a ledger's data directory (copy/db) that this
// process owns, e.g. a RocksDB checkpoint of a ledger passbookd serves: opens it as a ledger,
// verifies it if asked, and adds it to backup_dir. The copy is changed (opened) but not removed.
Result<BackupInfo> backup_from_copy(const std::filesystem::path& copy,
                                    const std::filesystem::path& backup_dir,
                                    const BackupOptions& options = {});

// The backups in backup_dir, oldest first. NotFound if it holds none.
Result<std::vector<BackupInfo>> list_backups(const std::filesystem::path& backup_dir);

// Restores a backup (the newest when id is empty) into data_dir/db, checking every file's
// checksum. Refuses (AlreadyExists) a data_dir that already holds a database: a restore never
// overwrites a ledger. The restored ledger is opened once, which checks the tail of its chain.
Result<BackupInfo> restore(const std::filesystem::path& backup_dir,
                           const std::filesystem::path& data_dir,
                           std::optional<uint32_t> id = std::nullopt);

}  // namespace passbook::ledger
