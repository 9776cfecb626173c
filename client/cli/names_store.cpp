#include "names_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <system_error>

#include "passbook/schemas/encoding.h"
#include "street_text.h"

namespace passbook::cli {
namespace {

constexpr std::string_view kMagic = "red-passbook name v1";

// Closes a descriptor on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }

 private:
  int fd_;
};

Status io_error(const std::string& what, const std::filesystem::path& path) {
  // Read before anything here allocates; the category's message is strerror's text, thread-safe.
  const int error = errno;
  return unavailable(what + " " + path.string() + ": " + std::generic_category().message(error));
}

Status write_all(int fd, std::string_view bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write", path);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

Status sync_dir(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return io_error("cannot open", dir);
  if (::fsync(fd.get()) != 0) return io_error("cannot sync", dir);
  return Status::ok();
}

// Overwrites every byte of an open file with zeros and syncs, so that the old text is gone from
// the blocks it occupied (on file systems that overwrite in place).
Status scrub(int fd, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return io_error("cannot inspect", path);
  const auto size = static_cast<size_t>(std::max<off_t>(st.st_size, 0));
  const std::string zeros(std::max<size_t>(size, 1), '\0');
  if (::lseek(fd, 0, SEEK_SET) != 0) return io_error("cannot seek in", path);
  PASSBOOK_RETURN_IF_ERROR(write_all(fd, std::string_view(zeros).substr(0, size), path));
  if (::fsync(fd) != 0) return io_error("cannot sync", path);
  if (::ftruncate(fd, 0) != 0) return io_error("cannot truncate", path);
  if (::fsync(fd) != 0) return io_error("cannot sync", path);
  return Status::ok();
}

Result<std::optional<std::string>> read_bounded(const std::filesystem::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::optional<std::string>();
    return io_error("cannot open", path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_error("cannot inspect", path);
  if (!S_ISREG(st.st_mode)) {
    return data_loss("the names file " + path.string() + " is damaged: it is not a regular file");
  }
  if (st.st_size > static_cast<off_t>(NamesStore::kMaxFileBytes)) {
    return data_loss("the names file " + path.string() + " is damaged: it is larger than " +
                     std::to_string(NamesStore::kMaxFileBytes) + " bytes");
  }
  std::string text(NamesStore::kMaxFileBytes + 1, '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot read", path);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > NamesStore::kMaxFileBytes) {
    return data_loss("the names file " + path.string() + " is damaged: it grew past " +
                     std::to_string(NamesStore::kMaxFileBytes) + " bytes while it was read");
  }
  text.resize(got);
  return std::optional<std::string>(std::move(text));
}

Status check_phone(const std::string& phone) {
  if (phone.size() > NamesStore::kMaxPhoneBytes) {
    return invalid_argument("the phone number is longer than " +
                            std::to_string(NamesStore::kMaxPhoneBytes) + " characters");
  }
  for (char c : phone) {
    const bool ok =
        (c >= '0' && c <= '9') || c == ' ' || c == '+' || c == '-' || c == '(' || c == ')';
    if (!ok) return invalid_argument("a phone number may hold only digits, spaces, + - ( and )");
  }
  return Status::ok();
}

// Parses and checks a names file; the account it names must be the one asked for.
Result<PersonName> parse(const std::string& text, const std::string& account,
                         const std::filesystem::path& path) {
  auto damaged = [&](const std::string& why) {
    return data_loss("the names file " + path.string() + " is damaged: " + why);
  };
  if (text.empty() || text.back() != '\n') return damaged("it does not end with a new line");
  std::map<std::string, std::string> fields;
  size_t begin = 0;
  bool first = true;
  while (begin < text.size()) {
    const size_t end = text.find('\n', begin);
    const std::string line = text.substr(begin, end - begin);
    begin = end + 1;
    if (first) {
      if (line != kMagic) return damaged("the first line is not \"" + std::string(kMagic) + "\"");
      first = false;
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string::npos) return damaged("a line without '='");
    const std::string key = line.substr(0, eq);
    if (key != "account" && key != "display" && key != "phone") {
      return damaged("unknown field \"" + key.substr(0, 32) + "\"");
    }
    if (!fields.emplace(key, line.substr(eq + 1)).second) return damaged(key + " appears twice");
  }
  if (fields["account"] != account) return damaged("it names another account");
  PersonName name{fields["display"], fields["phone"]};
  if (Status s = NamesStore::check(account, name); !s.is_ok()) return damaged(s.message());
  return name;
}

}  // namespace

Status NamesStore::check(const std::string& account, const PersonName& name) {
  PASSBOOK_RETURN_IF_ERROR(street::check_plain_text(account, 64, "the account id"));
  if (account.empty()) return invalid_argument("the account id is empty");
  if (name.display.empty()) return invalid_argument("the display name is empty");
  PASSBOOK_RETURN_IF_ERROR(
      street::check_plain_text(name.display, kMaxDisplayBytes, "the display name"));
  return check_phone(name.phone);
}

std::filesystem::path NamesStore::file_for(const std::string& account) const {
  // Hex: any account id makes a safe file name, and lookups need no index.
  return dir_ / (to_hex(account) + ".name");
}

Result<std::optional<PersonName>> NamesStore::get(const std::string& account) const {
  const auto path = file_for(account);
  PASSBOOK_ASSIGN_OR_RETURN(std::optional<std::string> text, read_bounded(path));
  if (!text) return std::optional<PersonName>();
  PASSBOOK_ASSIGN_OR_RETURN(PersonName name, parse(*text, account, path));
  return std::optional<PersonName>(std::move(name));
}

Status NamesStore::sync() const {
  return sync_dir(dir_);
}

Status NamesStore::put(const std::string& account, const PersonName& name, bool durable) {
  PASSBOOK_RETURN_IF_ERROR(check(account, name));
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return unavailable("cannot create " + dir_.string() + ": " + ec.message());
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  std::string text =
      std::string(kMagic) + "\naccount=" + account + "\ndisplay=" + name.display + "\n";
  if (!name.phone.empty()) text += "phone=" + name.phone + "\n";
  if (text.size() > kMaxFileBytes) return invalid_argument("the name and phone are too long");

  const auto path = file_for(account);
  auto tmp = path;
  tmp.replace_extension(".tmp");
  {
    Fd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out.valid()) return io_error("cannot create", tmp);
    PASSBOOK_RETURN_IF_ERROR(write_all(out.get(), text, tmp));
    if (durable && ::fsync(out.get()) != 0) return io_error("cannot sync", tmp);
  }
  // Hold the old file open across the rename: its bytes are then overwritten where they lie.
  Fd old(::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC));
  if (::rename(tmp.c_str(), path.c_str()) != 0) return io_error("cannot replace", path);
  if (durable) PASSBOOK_RETURN_IF_ERROR(sync_dir(dir_));
  if (old.valid()) PASSBOOK_RETURN_IF_ERROR(scrub(old.get(), path));
  return Status::ok();
}

Result<bool> NamesStore::forget(const std::string& account) {
  bool erased = false;
  const auto path = file_for(account);
  auto tmp = path;
  tmp.replace_extension(".tmp");
  // The temporary file too: a write cut short by a crash may have left one.
  for (const auto& file : {path, tmp}) {
    Fd fd(::open(file.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT) continue;
      return io_error("cannot open", file);
    }
    PASSBOOK_RETURN_IF_ERROR(scrub(fd.get(), file));
    if (::unlink(file.c_str()) != 0) return io_error("cannot remove", file);
    erased = erased || file == path;
  }
  std::error_code ec;
  if (std::filesystem::exists(dir_, ec)) PASSBOOK_RETURN_IF_ERROR(sync_dir(dir_));
  return erased;
}

Result<std::vector<std::pair<std::string, PersonName>>> NamesStore::list() const {
  std::vector<std::pair<std::string, PersonName>> out;
  std::error_code ec;
  if (!std::filesystem::exists(dir_, ec)) return out;
  std::filesystem::directory_iterator it(dir_, ec);
  if (ec) return unavailable("cannot list " + dir_.string() + ": " + ec.message());
  size_t seen = 0;
  for (const auto& item : it) {
    if (++seen > kMaxListed) {
      return resource_exhausted(dir_.string() + " holds more than " + std::to_string(kMaxListed) +
                                " files");
    }
    const auto& path = item.path();
    if (path.extension() != ".name") continue;
    auto account = from_hex(path.stem().string());
    if (!account) continue;  // not ours
    PASSBOOK_ASSIGN_OR_RETURN(std::optional<PersonName> name, get(*account));
    if (name) out.emplace_back(std::move(*account), std::move(*name));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace passbook::cli
