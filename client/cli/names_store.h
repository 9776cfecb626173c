// The off-chain names store: who is behind an opaque account id (display name, phone), kept next
// to the ledger in <data>/names/ and never in an entry, so that it can be erased when a person
// asks (the chain keeps only the opaque id and still verifies).
//
// One small file per account, <hex of the account id>.name, mode 0600:
//
//   red-passbook name v1
//   account=yzs3-0042
//   display=王秀英
//   phone=138 0000 0000          (optional)
//
// Writing replaces the file atomically (temporary file, fsync, rename, fsync of the directory)
// and then overwrites the replaced file's bytes with zeros through a descriptor held open across
// the rename, so no old copy is left behind. forget() overwrites the file with zeros, fsyncs,
// truncates, unlinks and fsyncs the directory. Reading bounds the file (1 KiB) and validates
// every line before anything is shown.
//
// Limits: a copy-on-write or log-structured file system (btrfs, ZFS, some SSD firmware) may keep
// old blocks that no overwrite from user space can reach; backups made of the directory are
// outside this store's reach too.
//
// Thread safety: none; the CLI uses one store per command.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "passbook/schemas/status.h"

namespace passbook::cli {

struct PersonName {
  std::string display;
  std::string phone;  // empty: none
};

class NamesStore {
 public:
  static constexpr size_t kMaxFileBytes = 1024;
  static constexpr size_t kMaxDisplayBytes = 128;
  static constexpr size_t kMaxPhoneBytes = 32;
  static constexpr size_t kMaxListed = 1'000'000;

  explicit NamesStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // The stored name, nullopt when there is none. DataLoss when the file is damaged.
  [[nodiscard]] Result<std::optional<PersonName>> get(const std::string& account) const;
  // Stores (or replaces) the name of an account. InvalidArgument for text that is too long,
  // not UTF-8 or holds control characters; a phone may hold digits, spaces, + - ( ) only.
  // `durable` false skips the fsyncs (filling a fresh store in bulk; call sync() after).
  Status put(const std::string& account, const PersonName& name, bool durable = true);
  // Makes the directory's entries durable.
  Status sync() const;
  // Erases what is stored for the account; false when nothing was stored.
  Result<bool> forget(const std::string& account);
  // Every stored name, ordered by account id.
  [[nodiscard]] Result<std::vector<std::pair<std::string, PersonName>>> list() const;

  [[nodiscard]] std::filesystem::path file_for(const std::string& account) const;
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

  // The checks put() and get() apply, for callers that validate input early.
  static Status check(const std::string& account, const PersonName& name);

 private:
  std::filesystem::path dir_;
};

}  // namespace passbook::cli
