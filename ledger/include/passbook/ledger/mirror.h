// A read-only copy of a ledger that follows the original entry by entry (an auditor's or a
// standby site's mirror, as Certificate Transparency monitors do). It stores the exact entry
// bytes in the same layout as the ledger, so `verify` checks a mirror exactly as it checks the
// original: every signature, rule, link and checkpoint.
//
// Not thread safe. One mirror per directory (RocksDB's lock).
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "passbook/schemas/status.h"
#include "passbook/schemas/types.h"

namespace passbook::ledger {

class Mirror {
 public:
  // Opens the mirror in data_dir, creating it when there is none.
  static Result<std::unique_ptr<Mirror>> open(const std::filesystem::path& data_dir);
  ~Mirror();
  Mirror(const Mirror&) = delete;
  Mirror& operator=(const Mirror&) = delete;

  // Entries held.
  [[nodiscard]] uint64_t size() const;
  [[nodiscard]] Hash32 root() const;
  // Appends the next entries (exact bytes). Each must be the next seq and link to the one before
  // it; anything else is DataLoss naming the seq, and nothing of the batch is kept.
  Status append(std::span<const std::string> entries);
  // Keeps a checkpoint note after checking that the genesis ledger key signed it and that its
  // root is the mirror's own root at that size.
  Status add_checkpoint(const std::string& note);

 private:
  struct Impl;
  explicit Mirror(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace passbook::ledger
