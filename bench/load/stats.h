// What a load run measured, and how it is printed: throughput over the measured window, latency
// percentiles of acknowledged envelopes (send to receipt), refusals by reason.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace passbook::bench {

struct RunResult {
  std::string target;         // "passbookd" or "postgres"
  double seconds = 0;         // the measured window
  uint64_t envelopes = 0;     // acknowledged in the window
  uint64_t ops = 0;           // operations of those envelopes
  uint64_t sent = 0;          // envelopes sent in all (window, warm-up and drain)
  uint64_t acked_total = 0;   // acknowledged in all
  uint64_t unanswered = 0;    // sent and never answered (connection lost, drain timed out)
  uint64_t not_sent = 0;      // open loop: due, but held back by the in-flight cap until the end
  std::vector<int64_t> latencies_ns;   // acknowledged envelopes in the window
  std::map<std::string, uint64_t> refused;  // reason -> count (all of the run)
  double client_cpu_s = 0;    // user + system time of this process during the run
  double server_cpu_s = -1;   // of the server process, when known
  bool pool_exhausted = false;  // the pre-signed envelopes ran out before the duration
};

// A refusal's reason without its numbers, so that equal reasons count together.
std::string reason_key(uint16_t code, const std::string& message);
std::string status_code_name(uint16_t code);

// Human-readable report, then one line "result: key=value ..." for scripts.
void print_result(const RunResult& r);
double percentile_ms(std::vector<int64_t>& sorted_ns, double p);

// CPU seconds (user + system) of a process from /proc (self when pid is 0); -1 if unknown.
double process_cpu_seconds(int pid);
// VmRSS and VmHWM of a process in KiB; 0 if unknown.
uint64_t process_rss_kib(int pid);
uint64_t process_hwm_kib(int pid);
std::string load_average();

}  // namespace passbook::bench
