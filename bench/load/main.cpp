// passbook-bench: load generator for passbookd (and the same workload against PostgreSQL), plus
// the offline fill and probe modes. `passbook-bench --help` lists the options.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <thread>

#include "drivers.h"
#include "modes.h"
#include "passbook/ledger/verify.h"

namespace {

using namespace passbook;
using namespace passbook::bench;
namespace asio = boost::asio;

constexpr const char* kUsage = R"(usage:
  passbook-bench [load] (--passbookd PATH --data DIR | --server HOST:PORT --admin-key FILE) [options]
  passbook-bench [load] --target postgres --postgres CONNINFO [options]
  passbook-bench init --data DIR
  passbook-bench fill --data DIR --entries N [--ops-per-envelope K] [--volunteers N]
  passbook-bench probe --data DIR [--proofs N]
  passbook-bench verify --data DIR      (ledger::verify, timed, with CPU seconds)

load: sets up its own street (a branch, a merchant, N volunteers with starting balances) with the
admin key, signs every envelope before the clock starts, drives the server, prints operations/s,
envelopes/s, latency of acknowledged envelopes (send to receipt) and refusals by reason. With
--passbookd it starts the server on DIR itself, stops it afterwards (SIGTERM) and verifies the
whole chain with ledger::verify (timed); with --server it leaves verifying to the caller.

  --target passbookd|postgres|both   what to drive (both: passbookd first, then PostgreSQL with
                                 the same envelopes, and their ratio)     [passbookd]
  --postgres CONNINFO            libpq connection string for --target postgres|both
  --port N                       port for a started passbookd             [a free one]
  --connections N                connections                              [8]
  --in-flight N                  requests in flight per connection        [32]
  --ops-per-envelope K           operations per envelope                  [1]
  --volunteers N                 volunteer accounts                       [10000]
  --hot-fraction F               share of volunteers that are hot         [0.01]
  --hot-share F                  share of operations on hot volunteers    [0.5]
  --redeem-share F               share of envelopes that are redemptions  [0.2]
  --rate R                       open loop at R envelopes/s (0: closed)   [0]
  --duration S                   measured seconds                         [20]
  --warmup S                     seconds before the window                [2]
  --envelopes N                  envelopes to pre-sign                    [enough for the run]
  --expect-ops-per-s N           closed loop: sizes the pre-signed pool   [300000]
  --expect-envelopes-per-s N     closed loop: sizes the pre-signed pool   [25000]
  --sign-threads N               threads that sign before the run         [2]
  --seed N                       workload seed                            [1]
  --no-verify                    skip the final ledger::verify (say so in any result)
  --perf FILE                    with --passbookd: `perf record` the server during warm-up and
                                 window into FILE (call graphs by DWARF unwinding, 199 Hz)
)";

struct Args {
  std::map<std::string, std::string> values;
  std::vector<std::string> flags;
  std::string error;

  [[nodiscard]] bool has(const std::string& k) const { return values.count(k) != 0; }
  [[nodiscard]] std::string get(const std::string& k, const std::string& fallback = "") const {
    auto it = values.find(k);
    return it == values.end() ? fallback : it->second;
  }
  template <class T>
  T number(const std::string& k, T fallback) {
    auto it = values.find(k);
    if (it == values.end()) return fallback;
    T out{};
    const char* end = it->second.data() + it->second.size();
    auto [ptr, ec] = std::from_chars(it->second.data(), end, out);
    if (ec != std::errc() || ptr != end) error = "--" + k + " takes a number, not \"" + it->second + "\"";
    return out;
  }
  [[nodiscard]] bool flag(const std::string& f) const {
    return std::find(flags.begin(), flags.end(), f) != flags.end();
  }
};

Args parse(int argc, char** argv, int first) {
  Args args;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      args.error = "unexpected argument " + a;
      break;
    }
    a = a.substr(2);
    if (a == "no-verify" || a == "help") {
      args.flags.push_back(a);
    } else if (i + 1 < argc) {
      args.values[a] = argv[++i];
    } else {
      args.error = "--" + a + " needs a value";
    }
  }
  return args;
}

WorkloadOptions workload_from(Args& args) {
  WorkloadOptions w;
  w.volunteers = args.number<uint32_t>("volunteers", w.volunteers);
  w.hot_fraction = args.number<double>("hot-fraction", w.hot_fraction);
  w.hot_share = args.number<double>("hot-share", w.hot_share);
  w.redeem_share = args.number<double>("redeem-share", w.redeem_share);
  w.ops_per_envelope = args.number<uint32_t>("ops-per-envelope", w.ops_per_envelope);
  w.seed = args.number<uint64_t>("seed", w.seed);
  w.sign_threads = args.number<unsigned>("sign-threads", w.sign_threads);
  if (w.volunteers == 0) args.error = "--volunteers must be at least 1";
  if (w.ops_per_envelope == 0 || w.ops_per_envelope > 1000) args.error = "--ops-per-envelope is 1..1000";
  return w;
}

double elapsed_s(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A passbookd this process started; killed if still running when it goes out of scope.
struct ServerProcess {
  pid_t pid = 0;
  ~ServerProcess() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  // SIGTERM and wait (the server finishes its group in flight and closes the ledger).
  bool stop(double timeout_s) {
    if (pid <= 0) return true;
    ::kill(pid, SIGTERM);
    const auto t0 = std::chrono::steady_clock::now();
    int status = 0;
    while (elapsed_s(t0) < timeout_s) {
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = 0;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
};

uint16_t free_port(asio::io_context& io) {
  asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

Result<double> start_server(ServerProcess& server, const std::string& binary, const std::string& data, uint16_t port,
                            unsigned in_flight, asio::io_context& io) {
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  const std::string max_in_flight = std::to_string(std::max(256u, in_flight));
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) return unavailable("fork failed");
  if (pid == 0) {
    // The server must not outlive the benchmark, however the benchmark ends.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::execl(binary.c_str(), binary.c_str(), "--data", data.c_str(), "--listen", listen.c_str(), "--max-in-flight",
            max_in_flight.c_str(), "--log-level", "warn", static_cast<char*>(nullptr));
    std::perror("passbook-bench: cannot start passbookd");
    ::_exit(127);
  }
  server.pid = pid;
  while (elapsed_s(t0) < 120) {
    asio::ip::tcp::socket probe(io);
    boost::system::error_code ec;
    probe.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (!ec) return elapsed_s(t0);
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      server.pid = 0;
      return unavailable("passbookd exited during start (status " + std::to_string(status) + ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return unavailable("passbookd did not accept connections within 120 s");
}

struct Verdict {
  bool ok = true;
  std::string text;
};

int run_load(Args& args) {
  WorkloadOptions workload = workload_from(args);
  LoadOptions load;
  load.connections = args.number<unsigned>("connections", load.connections);
  load.in_flight = args.number<unsigned>("in-flight", load.in_flight);
  load.rate = args.number<double>("rate", 0);
  load.duration_s = args.number<double>("duration", load.duration_s);
  load.warmup_s = args.number<double>("warmup", load.warmup_s);
  const auto expect_ops = args.number<double>("expect-ops-per-s", 300'000);
  const auto expect_envelopes = args.number<double>("expect-envelopes-per-s", 25'000);
  uint64_t pool = args.number<uint64_t>("envelopes", 0);
  const std::string target = args.get("target", "passbookd");
  if (!args.error.empty()) {
    std::cerr << "passbook-bench: " << args.error << "\n";
    return 2;
  }
  if (target != "passbookd" && target != "postgres" && target != "both") {
    std::cerr << "passbook-bench: --target is passbookd, postgres or both\n";
    return 2;
  }
  const bool drive_passbookd = target != "postgres";
  const bool drive_postgres = target != "passbookd";
  if (drive_postgres && !args.has("postgres")) {
    std::cerr << "passbook-bench: --postgres CONNINFO is needed for --target " << target << "\n";
    return 2;
  }
  const bool spawn = args.has("passbookd");
  if (drive_passbookd && !spawn && !args.has("server")) {
    std::cerr << "passbook-bench: give --passbookd PATH --data DIR, or --server HOST:PORT\n" << kUsage;
    return 2;
  }
  if (pool == 0) {
    const double per_s = load.rate > 0 ? load.rate * 1.02
                                       : std::min(expect_envelopes, expect_ops / workload.ops_per_envelope);
    pool = static_cast<uint64_t>(per_s * (load.duration_s + load.warmup_s)) + 1000;
  }
  std::printf("passbook-bench: target %s, %u connections x %u in flight (PostgreSQL: 1), %u operations per envelope, %s, %u volunteers "
              "(%.0f%% of operations on %.1f%% hot), %.0f%% redemptions, window %.0f s after %.0f s warm-up\n",
              target.c_str(), load.connections, load.in_flight, workload.ops_per_envelope,
              load.rate > 0 ? ("open loop at " + std::to_string(static_cast<long long>(load.rate)) + " envelopes/s").c_str()
                            : "closed loop",
              workload.volunteers, workload.hot_share * 100, workload.hot_fraction * 100, workload.redeem_share * 100,
              load.duration_s, load.warmup_s);
  std::printf("machine: %u cores, load average %s\n", std::thread::hardware_concurrency(), load_average().c_str());

  asio::io_context io;
  ServerProcess server;
  std::string data = args.get("data");
  auto fail = [&](const Status& s) {
    std::cerr << "passbook-bench: " << s.message() << "\n";
    return s.code() == Status::Code::kDataLoss ? 4 : 1;
  };

  std::string tag_hex(6, '0');
  {
    std::array<uint8_t, 3> tag{};
    if (!proof::random_bytes(tag).is_ok()) return 1;
    static const char* digits = "0123456789abcdef";
    for (size_t i = 0; i < 3; ++i) {
      tag_hex[2 * i] = digits[tag[i] >> 4];
      tag_hex[2 * i + 1] = digits[tag[i] & 15];
    }
  }
  auto branch = proof::SigningKey::generate();
  auto merchant = proof::SigningKey::generate();
  if (!branch.is_ok() || !merchant.is_ok()) return 1;
  Street street{StreetNames{tag_hex}, {}, 480, std::move(branch).value(), std::move(merchant).value()};

  std::optional<RunResult> passbookd_result;
  std::optional<RunResult> postgres_result;
  std::vector<Verdict> verdicts;
  uint64_t setup_size = 0;
  std::vector<BenchEnvelope> envelopes;

  if (drive_passbookd) {
    if (spawn) {
      if (data.empty()) {
        std::cerr << "passbook-bench: --passbookd needs --data DIR\n";
        return 2;
      }
      load.port = args.has("port") ? args.number<uint16_t>("port", 0) : free_port(io);
      auto ready = start_server(server, args.get("passbookd"), data, load.port, load.in_flight, io);
      if (!ready.is_ok()) return fail(ready.status());
      load.server_pid = server.pid;
      std::printf("passbookd: accepting connections %.3f s after start (pid %d, port %u, RSS %.1f MiB)\n", *ready,
                  server.pid, load.port, static_cast<double>(process_rss_kib(server.pid)) / 1024);
    } else {
      const std::string where = args.get("server");
      const size_t colon = where.rfind(':');
      if (colon == std::string::npos) {
        std::cerr << "passbook-bench: --server takes HOST:PORT\n";
        return 2;
      }
      load.host = where.substr(0, colon);
      load.port = static_cast<uint16_t>(std::stoul(where.substr(colon + 1)));
    }
    const std::string admin_file = args.get("admin-key", data.empty() ? "" : data + "/keys/admin.key");
    auto admin = proof::SigningKey::load(admin_file);
    if (!admin.is_ok()) return fail(admin.status().with_context("the admin key (--admin-key)"));
    auto admin_session = WireSession::open(io, load.host, load.port, *admin);
    if (!admin_session.is_ok()) return fail(admin_session.status());
    auto info = admin_session->info();
    if (!info.is_ok()) return fail(info.status());
    street.ledger = info->id;
    street.utc_offset_minutes = info->utc_offset_minutes;
    const auto t_setup = std::chrono::steady_clock::now();
    auto setup = setup_envelopes(street, *admin, workload);
    if (!setup.is_ok()) return fail(setup.status());
    if (Status s = admin_session->submit_in_order(*setup, 64); !s.is_ok()) return fail(s);
    auto after_setup = admin_session->info();
    if (!after_setup.is_ok()) return fail(after_setup.status());
    setup_size = after_setup->size;
    std::printf("setup: %zu envelopes (street %s) in %.1f s; the ledger has %llu entries\n", setup->size(),
                tag_hex.c_str(), elapsed_s(t_setup), static_cast<unsigned long long>(setup_size));
  } else {
    if (!proof::random_bytes(street.ledger).is_ok()) return 1;
  }

  {
    const auto t_sign = std::chrono::steady_clock::now();
    envelopes = workload_envelopes(street, workload, 0, pool);
    std::printf("signed %llu envelopes before the clock in %.1f s (%.0f/s on %u threads)\n",
                static_cast<unsigned long long>(pool), elapsed_s(t_sign), static_cast<double>(pool) / elapsed_s(t_sign),
                workload.sign_threads);
  }

  if (drive_passbookd) {
    std::vector<asio::ip::tcp::socket> sockets;
    for (unsigned i = 0; i < load.connections; ++i) {
      auto session = WireSession::open(io, load.host, load.port, street.branch);
      if (!session.is_ok()) return fail(session.status());
      sockets.push_back(std::move(session->socket()));
    }
    std::printf("load average before the run: %s\n", load_average().c_str());
    pid_t perf = 0;
    if (args.has("perf") && server.pid > 0) {
      const std::string seconds = std::to_string(static_cast<int>(load.warmup_s + load.duration_s));
      const std::string pid_text = std::to_string(server.pid);
      const std::string out = args.get("perf");
      perf = ::fork();
      if (perf == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::execlp("perf", "perf", "record", "-q", "-F", "199", "--call-graph", "dwarf,16384", "-p", pid_text.c_str(),
                 "-o", out.c_str(), "--", "sleep", seconds.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
      }
    }
    RunResult r = run_passbookd_load(io, std::move(sockets), envelopes, load);
    if (perf > 0) ::waitpid(perf, nullptr, 0);
    std::printf("load average after the run: %s\n", load_average().c_str());
    uint64_t peak_rss = 0;
    if (server.pid > 0) peak_rss = process_hwm_kib(server.pid);
    auto admin = proof::SigningKey::load(args.get("admin-key", data.empty() ? "" : data + "/keys/admin.key"));
    auto session = WireSession::open(io, load.host, load.port, *admin);
    uint64_t final_size = 0;
    if (session.is_ok()) {
      auto info = session->info();
      if (info.is_ok()) final_size = info->size;
      boost::system::error_code ignored;
      session->socket().close(ignored);
    }
    print_result(r);
    if (peak_rss > 0) std::printf("  server memory   VmHWM %.1f MiB\n", static_cast<double>(peak_rss) / 1024);
    const uint64_t expected_low = setup_size + r.acked_total;
    const uint64_t expected_high = setup_size + r.sent;
    const bool count_ok = final_size >= expected_low && final_size <= expected_high;
    verdicts.push_back({count_ok, "ledger size " + std::to_string(final_size) + " vs " + std::to_string(expected_low) +
                                      " expected from acknowledged receipts"});
    passbookd_result = std::move(r);
    if (spawn) {
      const auto t_stop = std::chrono::steady_clock::now();
      const bool clean = server.stop(120);
      std::printf("passbookd: stopped %s in %.2f s\n", clean ? "cleanly" : "NOT cleanly", elapsed_s(t_stop));
      verdicts.push_back({clean, "server stopped with exit code 0"});
      if (args.flag("no-verify")) {
        std::printf("verify: SKIPPED (--no-verify)\n");
        verdicts.push_back({false, "chain verify skipped"});
      } else {
        ledger::VerifyOptions verify_options;
        verify_options.data_dir = data;
        const auto t_verify = std::chrono::steady_clock::now();
        const double cpu_before = process_cpu_seconds(0);
        auto report = ledger::verify(verify_options);
        const double seconds = elapsed_s(t_verify);
        const double cpu_seconds = process_cpu_seconds(0) - cpu_before;
        if (!report.is_ok()) return fail(report.status());
        std::printf("verify: %s: %llu entries, %llu signatures, %llu checkpoints, %llu state rows, %llu postings in "
                    "%.2f s, %.2f CPU-s (%.0f entries/s, %.0f signatures/s)\n",
                    report->ok() ? "OK" : "FAILED", static_cast<unsigned long long>(report->entries),
                    static_cast<unsigned long long>(report->signatures),
                    static_cast<unsigned long long>(report->checkpoints),
                    static_cast<unsigned long long>(report->state_rows),
                    static_cast<unsigned long long>(report->postings), seconds, cpu_seconds,
                    static_cast<double>(report->entries) / seconds, static_cast<double>(report->signatures) / seconds);
        for (size_t i = 0; i < report->problems.size() && i < 10; ++i) {
          std::printf("  - %s\n", report->problems[i].message.c_str());
        }
        verdicts.push_back({report->ok() && report->entries == final_size,
                            "ledger::verify of " + std::to_string(report->entries) + " entries"});
      }
    } else {
      std::printf("verify: not run here (external server): stop it and run `passbook verify --data DIR`\n");
    }
  }

  if (drive_postgres) {
    std::printf("postgres: loading the schema and the street, then the same envelopes\n");
    std::fflush(stdout);
    auto r = run_postgres_load(args.get("postgres"), street, workload, envelopes, load);
    if (!r.is_ok()) return fail(r.status());
    print_result(*r);
    postgres_result = std::move(r).value();
  }

  if (passbookd_result && postgres_result) {
    auto rate = [](const RunResult& r, bool ops) {
      return r.seconds > 0 ? static_cast<double>(ops ? r.ops : r.envelopes) / r.seconds : 0;
    };
    const double pg_ops = rate(*postgres_result, true);
    const double pg_env = rate(*postgres_result, false);
    std::printf("ratio: passbookd / postgres = %.2fx operations/s, %.2fx envelopes/s\n",
                pg_ops > 0 ? rate(*passbookd_result, true) / pg_ops : 0,
                pg_env > 0 ? rate(*passbookd_result, false) / pg_env : 0);
  }
  bool all_ok = true;
  for (const auto& v : verdicts) {
    std::printf("check: %s %s\n", v.ok ? "ok  " : "FAIL", v.text.c_str());
    all_ok = all_ok && v.ok;
  }
  return all_ok ? 0 : 4;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  const bool has_mode = mode == "load" || mode == "init" || mode == "fill" || mode == "probe" || mode == "verify";
  Args args = parse(argc, argv, has_mode ? 2 : 1);
  if (!has_mode) mode = "load";
  if (args.flag("help") || argc == 1) {
    std::cout << kUsage;
    return argc == 1 ? 2 : 0;
  }
  if (!args.error.empty()) {
    std::cerr << "passbook-bench: " << args.error << "\n";
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  if (mode == "verify") {
    ledger::VerifyOptions options;
    options.data_dir = args.get("data");
    const double cpu0 = process_cpu_seconds(0);
    const auto t0 = std::chrono::steady_clock::now();
    auto report = ledger::verify(options);
    const double seconds = elapsed_s(t0);
    if (!report.is_ok()) {
      std::cerr << "passbook-bench verify: " << report.status().message() << "\n";
      return 1;
    }
    std::printf("verify: %s: %llu entries, %llu signatures in %.2f s wall, %.2f s CPU (%.0f entries/s, "
                "%.0f signatures/s)\n",
                report->ok() ? "OK" : "FAILED", static_cast<unsigned long long>(report->entries),
                static_cast<unsigned long long>(report->signatures), seconds, process_cpu_seconds(0) - cpu0,
                static_cast<double>(report->entries) / seconds, static_cast<double>(report->signatures) / seconds);
    return report->ok() ? 0 : 4;
  }
  if (mode == "init") {
    if (!args.has("data")) {
      std::cerr << "passbook-bench init: --data is required\n";
      return 2;
    }
    Status s = run_init(args.get("data"));
    if (!s.is_ok()) std::cerr << "passbook-bench init: " << s.message() << "\n";
    return s.is_ok() ? 0 : 1;
  }
  if (mode == "fill") {
    FillOptions fill;
    fill.data_dir = args.get("data");
    fill.entries = args.number<uint64_t>("entries", fill.entries);
    fill.group = args.number<size_t>("group", fill.group);
    WorkloadOptions workload = workload_from(args);
    if (fill.data_dir.empty() || !args.error.empty()) {
      std::cerr << "passbook-bench fill: " << (args.error.empty() ? "--data is required" : args.error) << "\n";
      return 2;
    }
    Status s = run_fill(fill, workload);
    if (!s.is_ok()) std::cerr << "passbook-bench fill: " << s.message() << "\n";
    return s.is_ok() ? 0 : 1;
  }
  if (mode == "probe") {
    const auto proofs = args.number<uint64_t>("proofs", 2000);
    if (!args.has("data") || !args.error.empty()) {
      std::cerr << "passbook-bench probe: " << (args.error.empty() ? "--data is required" : args.error) << "\n";
      return 2;
    }
    Status s = run_probe(args.get("data"), proofs, args.number<uint64_t>("seed", 1));
    if (!s.is_ok()) std::cerr << "passbook-bench probe: " << s.message() << "\n";
    return s.is_ok() ? 0 : 1;
  }
  return run_load(args);
}
