// Child processes for the tests that drive the real executables (passbookd, passbook): start,
// signal, wait with a deadline, run to completion capturing the output, find a free port.
// Header-only, POSIX; shared by tests/crash and tests/storage.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace passbook::testing {

// How a child ended.
struct ExitStatus {
  bool exited = false;  // false: killed by `signal`
  int code = 0;
  int signal = 0;
  [[nodiscard]] bool ok() const { return exited && code == 0; }
  [[nodiscard]] std::string describe() const {
    return exited ? "exited with status " + std::to_string(code)
                  : "was killed by signal " + std::to_string(signal);
  }
};

inline ExitStatus decode_wait_status(int status) {
  ExitStatus out;
  if (WIFEXITED(status)) {
    out.exited = true;
    out.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    out.signal = WTERMSIG(status);
  }
  return out;
}

// Starts argv (argv[0] is the executable's path) with stdin from /dev/null and stdout, stderr
// appended to the given files (empty path: /dev/null). Returns the pid, or -1 with errno set.
inline pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& out_file,
                   const std::filesystem::path& err_file) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::string out = out_file.empty() ? "/dev/null" : out_file.string();
  const std::string err = err_file.empty() ? "/dev/null" : err_file.string();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  // The child: only async-signal-safe calls from here to exec.
  const int in_fd = ::open("/dev/null", O_RDONLY);
  const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (in_fd < 0 || out_fd < 0 || err_fd < 0) ::_exit(126);
  ::dup2(in_fd, 0);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  ::close_range(3, ~0U, 0);  // no sockets or files of the test leak into the child
  ::execv(args[0], args.data());
  ::_exit(127);
}

// Waits up to `timeout` for pid to end; nullopt if it is still running.
inline std::optional<ExitStatus> wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return decode_wait_status(status);
    if (done < 0 && errno != EINTR) return ExitStatus{true, 255, 0};  // not our child any more
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

inline std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The last `lines` lines of a text.
inline std::string tail(const std::string& text, size_t lines) {
  size_t pos = text.size();
  for (size_t n = 0; n <= lines && pos > 0; ++n) {
    const size_t nl = text.rfind('\n', pos - 1);
    if (nl == std::string::npos) return text;
    if (n < lines) pos = nl;
  }
  return text.substr(pos == 0 ? 0 : pos + 1);
}

struct RunResult {
  ExitStatus status;
  bool timed_out = false;
  std::string out;
  std::string err;
  [[nodiscard]] bool ok() const { return !timed_out && status.ok(); }
  [[nodiscard]] std::string describe() const {
    return (timed_out ? std::string("timed out") : status.describe()) + "\n--- stdout\n" + out +
           "--- stderr\n" + err;
  }
};

// Runs a command to completion (killed after `timeout`), capturing its output through files in
// `scratch_dir`.
inline RunResult run(const std::vector<std::string>& argv, const std::filesystem::path& scratch_dir,
                     std::chrono::milliseconds timeout = std::chrono::seconds(120)) {
  static int counter = 0;
  const std::string stem = "run-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  const auto out_file = scratch_dir / (stem + ".out");
  const auto err_file = scratch_dir / (stem + ".err");
  RunResult result;
  const pid_t pid = spawn(argv, out_file, err_file);
  if (pid < 0) {
    result.status = ExitStatus{true, 127, 0};
    result.err = "cannot start " + argv[0];
    return result;
  }
  auto status = wait_for(pid, timeout);
  if (!status) {
    result.timed_out = true;
    ::kill(pid, SIGKILL);
    status = wait_for(pid, std::chrono::seconds(10));
  }
  result.status = status.value_or(ExitStatus{});
  result.out = read_file(out_file);
  result.err = read_file(err_file);
  std::error_code ec;
  std::filesystem::remove(out_file, ec);
  std::filesystem::remove(err_file, ec);
  return result;
}

// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel's pick).
inline uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

// Whether something accepts connections on 127.0.0.1:port.
inline bool port_open(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return open;
}

// A passbookd child on a loopback port, its stderr kept in `log`.
class Daemon {
 public:
  Daemon(std::filesystem::path binary, std::filesystem::path data, std::filesystem::path log)
      : binary_(std::move(binary)), data_(std::move(data)), log_(std::move(log)) {}
  ~Daemon() { kill_now(); }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  void set_data(std::filesystem::path data) { data_ = std::move(data); }
  void set_extra_args(std::vector<std::string> args) { extra_ = std::move(args); }

  // Starts passbookd without waiting for it.
  bool spawn_only() {
    if (port_ == 0) port_ = free_port();
    std::vector<std::string> argv = {binary_.string(),
                                     "--data",
                                     data_.string(),
                                     "--listen",
                                     "127.0.0.1:" + std::to_string(port_),
                                     "--log-level",
                                     "warn"};
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    log_offset_ = file_size(log_);
    pid_ = spawn(argv, "", log_);
    return pid_ > 0;
  }

  // Starts passbookd and waits until it accepts connections. On failure returns the reason
  // (with the exit status and the end of the log) and leaves no child behind.
  std::optional<std::string> start(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (!spawn_only()) return "cannot start " + binary_.string();
      const auto deadline = std::chrono::steady_clock::now() + timeout;
      while (std::chrono::steady_clock::now() < deadline) {
        if (auto ended = wait_for(pid_, std::chrono::milliseconds(0))) {
          pid_ = -1;
          last_exit_ = *ended;
          const std::string log = new_log();
          if (log.find("cannot listen") != std::string::npos) {  // the port was taken meanwhile
            port_ = 0;
            break;
          }
          return "passbookd " + ended->describe() + " at start:\n" + tail(log, 15);
        }
        if (port_open(port_)) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      if (pid_ > 0) {
        kill_now();
        return "passbookd did not start listening within " + std::to_string(timeout.count()) +
               " ms";
      }
    }
    return "no free port for passbookd";
  }

  // SIGKILL and reap.
  ExitStatus kill_now() {
    if (pid_ <= 0) return last_exit_;
    ::kill(pid_, SIGKILL);
    last_exit_ = wait_for(pid_, std::chrono::seconds(30)).value_or(ExitStatus{});
    pid_ = -1;
    return last_exit_;
  }

  void signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
  }

  // Waits for the child to end on its own (after SIGTERM); nullopt if it is still running.
  std::optional<ExitStatus> wait(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return last_exit_;
    auto ended = wait_for(pid_, timeout);
    if (ended) {
      last_exit_ = *ended;
      pid_ = -1;
    }
    return ended;
  }

  [[nodiscard]] bool running() const { return pid_ > 0; }
  [[nodiscard]] uint16_t port() const { return port_; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  // What passbookd wrote to its log since it was last started.
  [[nodiscard]] std::string new_log() const {
    const std::string all = read_file(log_);
    return log_offset_ < all.size() ? all.substr(log_offset_) : std::string();
  }

 private:
  static size_t file_size(const std::filesystem::path& file) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    return ec ? 0 : static_cast<size_t>(size);
  }

  std::filesystem::path binary_;
  std::filesystem::path data_;
  std::filesystem::path log_;
  std::vector<std::string> extra_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  size_t log_offset_ = 0;
  ExitStatus last_exit_;
};

}  // namespace passbook::testing
