// Runs the real `passbook` executable (PASSBOOK_CLI_BINARY, set by CMake) the way a user does,
// and keeps one small demo ledger per test process to run it on.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#ifndef PASSBOOK_CLI_BINARY
#error "PASSBOOK_CLI_BINARY must name the passbook executable"
#endif

namespace passbook::test {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::filesystem::path& file, const std::string& content) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content;
  BOOST_REQUIRE_MESSAGE(out.good(), "cannot write " << file);
}

// A fresh directory under the system's temporary directory, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "passbook-cli-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs `passbook args...` with `input` on its standard input; waits for it.
inline RunResult run_passbook(const std::vector<std::string>& args, const std::string& input = "") {
  static TempDir io;
  static int counter = 0;
  const std::string tag = std::to_string(++counter);
  const auto in_file = io.path() / ("in" + tag);
  const auto out_file = io.path() / ("out" + tag);
  const auto err_file = io.path() / ("err" + tag);
  write_file(in_file, input);
  std::vector<std::string> argv_storage{PASSBOOK_CLI_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    const int in = ::open(in_file.c_str(), O_RDONLY);
    const int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 ||
        ::dup2(err, 2) < 0) {
      ::_exit(127);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  BOOST_REQUIRE(::waitpid(pid, &status, 0) == pid);
  RunResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_file(out_file);
  result.err = read_file(err_file);
  std::filesystem::remove(in_file);
  std::filesystem::remove(out_file);
  std::filesystem::remove(err_file);
  return result;
}

// The demo street of the issue: 30 volunteers, 2 branches, 1 month; made once per process.
class DemoLedger {
 public:
  static const DemoLedger& get() {
    static const DemoLedger demo;
    return demo;
  }
  [[nodiscard]] std::string data() const { return (dir_.path() / "ledger").string(); }
  [[nodiscard]] std::filesystem::path ledger_key_file() const {
    return dir_.path() / "ledger" / "keys" / "ledger.key";
  }
  // The verifier key and origin, as `passbook info` prints them.
  std::string vkey;
  std::string origin;

 private:
  DemoLedger() {
    const RunResult demo = run_passbook(
        {"demo", "--volunteers", "30", "--branches", "2", "--months", "1", "--data", data()});
    BOOST_REQUIRE_MESSAGE(demo.exit_code == 0, "passbook demo failed: " << demo.err);
    const RunResult info = run_passbook({"info", "--data", data()});
    BOOST_REQUIRE_MESSAGE(info.exit_code == 0, "passbook info failed: " << info.err);
    vkey = field(info.out, "verifier key");
    origin = field(info.out, "origin");
    BOOST_REQUIRE(!vkey.empty());
    BOOST_REQUIRE(!origin.empty());
  }
  static std::string field(const std::string& text, const std::string& name) {
    const size_t at = text.find(name + " ");
    if (at == std::string::npos) return "";
    const size_t begin = text.find_first_not_of(' ', at + name.size());
    return text.substr(begin, text.find('\n', begin) - begin);
  }
  TempDir dir_;
};

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace passbook::test
