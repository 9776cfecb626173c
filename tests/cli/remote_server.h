// Runs the real `passbookd` executable (PASSBOOK_SERVER_BINARY, set by CMake) on a loopback port
// the way an operator does: started on a data directory, waited for until it accepts
// connections, stopped with SIGTERM; its log (standard error) is kept in a file.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_harness.h"

#ifndef PASSBOOK_SERVER_BINARY
#error "PASSBOOK_SERVER_BINARY must name the passbookd executable"
#endif

namespace passbook::test {

// A loopback port nobody listens on right now: bound to port 0, read back, released.
inline uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  BOOST_REQUIRE_MESSAGE(ok, "cannot find a free loopback port");
  return ntohs(address.sin_port);
}

// Does something accept TCP connections on 127.0.0.1:port?
inline bool accepts(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool connected =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

class ServerProcess {
 public:
  // How long passbookd may take to open the ledger and listen, or to stop (sanitizer builds
  // are slow).
  static constexpr std::chrono::seconds kPatience{20};

  ServerProcess(std::filesystem::path data_dir, std::filesystem::path log_file)
      : data_dir_(std::move(data_dir)), log_file_(std::move(log_file)) {}
  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts passbookd and waits until it accepts connections. A port taken by someone else in
  // between makes it exit at once: then another port is tried.
  void start() {
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = free_loopback_port();
      spawn();
      const auto deadline = std::chrono::steady_clock::now() + kPatience;
      while (std::chrono::steady_clock::now() < deadline) {
        if (accepts(port_)) return;
        if (auto code = exited()) {
          BOOST_TEST_MESSAGE("passbookd exited with " << *code << " before accepting: " << log());
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        wait_for_exit();
        BOOST_FAIL("passbookd did not accept connections within " << kPatience.count()
                                                                  << " s: " << log());
      }
    }
    BOOST_FAIL("passbookd would not start: " << log());
  }

  // Starts passbookd expecting it to refuse to serve: its exit code.
  int start_expecting_refusal() {
    port_ = free_loopback_port();
    spawn();
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto code = exited()) return *code;
      BOOST_REQUIRE_MESSAGE(!accepts(port_), "passbookd serves a ledger it should refuse");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    BOOST_FAIL("passbookd neither served nor exited within " << kPatience.count() << " s");
    return -1;
  }

  // SIGTERM, and its exit code once it has stopped.
  int stop() {
    BOOST_REQUIRE(pid_ > 0);
    BOOST_REQUIRE(::kill(pid_, SIGTERM) == 0);
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto code = exited()) return *code;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    wait_for_exit();
    BOOST_FAIL("passbookd did not stop within " << kPatience.count() << " s of SIGTERM");
    return -1;
  }

  [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::string log() const { return read_file(log_file_); }

 private:
  void spawn() {
    const std::string listen = address();
    std::vector<std::string> storage{PASSBOOK_SERVER_BINARY, "--data", data_dir_.string(),
                                     "--listen", listen};
    std::vector<char*> argv;
    for (auto& a : storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
      const int in = ::open("/dev/null", O_RDONLY);
      const int out = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (in < 0 || out < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) {
        ::_exit(127);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    pid_ = pid;
  }

  // The exit code if the process has ended (128 + signal if killed); it is then reaped.
  std::optional<int> exited() {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done != pid_) return std::nullopt;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  void wait_for_exit() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::filesystem::path data_dir_;
  std::filesystem::path log_file_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

}  // namespace passbook::test
