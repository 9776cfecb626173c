#include "stats.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "passbook/schemas/status.h"

namespace passbook::bench {

std::string status_code_name(uint16_t code) {
  switch (static_cast<Status::Code>(code)) {
    case Status::Code::kOk: return "ok";
    case Status::Code::kInvalidArgument: return "invalid_argument";
    case Status::Code::kNotFound: return "not_found";
    case Status::Code::kAlreadyExists: return "already_exists";
    case Status::Code::kFailedPrecondition: return "failed_precondition";
    case Status::Code::kPermissionDenied: return "permission_denied";
    case Status::Code::kUnauthenticated: return "unauthenticated";
    case Status::Code::kResourceExhausted: return "resource_exhausted";
    case Status::Code::kUnavailable: return "unavailable";
    case Status::Code::kDataLoss: return "data_loss";
    case Status::Code::kInternal: return "internal";
    default: return "code_" + std::to_string(code);
  }
}

std::string reason_key(uint16_t code, const std::string& message) {
  std::string text;
  bool in_number = false;
  for (char c : message.substr(0, 120)) {
    const bool digit = std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (digit && !in_number) text += '#';
    in_number = digit;
    if (!digit) text += c;
  }
  return status_code_name(code) + ": " + text;
}

double percentile_ms(std::vector<int64_t>& sorted_ns, double p) {
  if (sorted_ns.empty()) return 0;
  const auto rank =
      static_cast<size_t>(std::llround(p * static_cast<double>(sorted_ns.size() - 1)));
  return static_cast<double>(sorted_ns[std::min(rank, sorted_ns.size() - 1)]) / 1e6;
}

void print_result(const RunResult& const_r) {
  RunResult r = const_r;
  std::sort(r.latencies_ns.begin(), r.latencies_ns.end());
  const double ops_s = r.seconds > 0 ? static_cast<double>(r.ops) / r.seconds : 0;
  const double env_s = r.seconds > 0 ? static_cast<double>(r.envelopes) / r.seconds : 0;
  uint64_t refused = 0;
  for (const auto& [reason, n] : r.refused) refused += n;
  char line[512];
  std::printf("== %s ==\n", r.target.c_str());
  std::printf("  window          %.2f s%s\n", r.seconds, r.pool_exhausted ? " (pre-signed envelopes ran out first)" : "");
  std::printf("  acknowledged    %llu envelopes, %llu operations in the window (%llu of %llu sent in all)\n",
              static_cast<unsigned long long>(r.envelopes), static_cast<unsigned long long>(r.ops),
              static_cast<unsigned long long>(r.acked_total), static_cast<unsigned long long>(r.sent));
  std::printf("  throughput      %.0f operations/s, %.0f envelopes/s\n", ops_s, env_s);
  std::printf("  latency (ms)    p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n", percentile_ms(r.latencies_ns, 0.5),
              percentile_ms(r.latencies_ns, 0.99), percentile_ms(r.latencies_ns, 0.999),
              percentile_ms(r.latencies_ns, 1.0));
  std::printf("  refused         %llu\n", static_cast<unsigned long long>(refused));
  for (const auto& [reason, n] : r.refused) {
    std::printf("    %8llu  %s\n", static_cast<unsigned long long>(n), reason.c_str());
  }
  if (r.not_sent > 0) {
    std::printf("  NOT SENT        %llu due in the open loop but held back by the in-flight cap (the server fell behind)\n",
                static_cast<unsigned long long>(r.not_sent));
  }
  if (r.unanswered > 0) std::printf("  UNANSWERED      %llu\n", static_cast<unsigned long long>(r.unanswered));
  std::printf("  cpu             client %.1f s", r.client_cpu_s);
  if (r.server_cpu_s >= 0) std::printf(", server %.1f s", r.server_cpu_s);
  std::printf(" (over %.1f s of wall time in the window)\n", r.seconds);
  if (r.server_cpu_s > 0) {
    // Independent of how busy the machine is: what one core-second of the server buys.
    std::printf("  efficiency      %.0f operations and %.0f envelopes per server CPU-second\n",
                static_cast<double>(r.ops) / r.server_cpu_s, static_cast<double>(r.envelopes) / r.server_cpu_s);
  }
  std::snprintf(line, sizeof line,
                "result: target=%s ops_per_s=%.0f envelopes_per_s=%.0f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f "
                "max_ms=%.3f refused=%llu unanswered=%llu not_sent=%llu",
                r.target.c_str(), ops_s, env_s, percentile_ms(r.latencies_ns, 0.5), percentile_ms(r.latencies_ns, 0.99),
                percentile_ms(r.latencies_ns, 0.999), percentile_ms(r.latencies_ns, 1.0),
                static_cast<unsigned long long>(refused), static_cast<unsigned long long>(r.unanswered),
                static_cast<unsigned long long>(r.not_sent));
  std::printf("%s\n", line);
  std::fflush(stdout);
}

double process_cpu_seconds(int pid) {
  const std::string path = pid == 0 ? "/proc/self/stat" : "/proc/" + std::to_string(pid) + "/stat";
  std::ifstream in(path);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = content.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(content.substr(close + 2));
  std::string field;
  // After the command name: state is field 3; utime and stime are fields 14 and 15.
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

namespace {
uint64_t status_field_kib(int pid, const std::string& name) {
  std::ifstream in(pid == 0 ? "/proc/self/status" : "/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + ":", 0) == 0) {
      std::istringstream value(line.substr(name.size() + 1));
      uint64_t kib = 0;
      value >> kib;
      return kib;
    }
  }
  return 0;
}
}  // namespace

uint64_t process_rss_kib(int pid) { return status_field_kib(pid, "VmRSS"); }
uint64_t process_hwm_kib(int pid) { return status_field_kib(pid, "VmHWM"); }

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

}  // namespace passbook::bench
