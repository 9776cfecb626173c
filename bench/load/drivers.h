// The two systems a load run can drive with the same envelopes: passbookd over its wire protocol
// (raw frames, want_proof=false, many requests in flight per connection), and PostgreSQL through
// libpq (one transaction per envelope, one in flight per connection).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "passbook/proof/crypto.h"
#include "passbook/schemas/protocol.h"
#include "stats.h"
#include "workload.h"

namespace passbook::bench {

struct LoadOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 7411;
  unsigned connections = 8;
  unsigned in_flight = 32;  // per connection
  double rate = 0;          // envelopes/s in all; 0: closed loop (as fast as it goes)
  double duration_s = 20;   // of the measured window
  double warmup_s = 2;      // before the window; not measured
  double drain_s = 30;      // after the window, to wait for the last replies
  int server_pid = 0;       // to sample its CPU time and memory, when known
};

// A blocking connection that has said Hello and authenticated: for setup and queries.
class WireSession {
 public:
  static Result<WireSession> open(boost::asio::io_context& io, const std::string& host, uint16_t port,
                                  const proof::SigningKey& key);
  // One request, one reply: (reply type, body). An error reply is returned as its Status.
  Result<std::string> call(schemas::MessageType type, const std::string& body);
  // Submits the envelopes in order, `window` in flight at a time; fails at the first refusal.
  Status submit_in_order(const std::vector<BenchEnvelope>& envelopes, size_t window);
  Result<schemas::LedgerInfo> info();
  [[nodiscard]] const schemas::HelloReply& hello() const { return hello_; }
  boost::asio::ip::tcp::socket& socket() { return socket_; }

  explicit WireSession(boost::asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}

 private:
  Status write_frame(uint8_t type, uint32_t id, const std::string& body);
  Result<std::pair<schemas::FrameHeader, std::string>> read_frame();

  boost::asio::ip::tcp::socket socket_;
  schemas::HelloReply hello_;
  uint32_t next_id_ = 1;
};

// Closed or open loop over already authenticated sockets. The envelopes are encoded into Submit
// frames before the clock starts.
RunResult run_passbookd_load(boost::asio::io_context& io, std::vector<boost::asio::ip::tcp::socket> sockets,
                             const std::vector<BenchEnvelope>& envelopes, const LoadOptions& options);

// PostgreSQL: creates the schema in the database `conninfo` names, loads the street, and runs the
// same envelopes closed loop over options.connections connections.
Result<RunResult> run_postgres_load(const std::string& conninfo, const Street& street,
                                    const WorkloadOptions& workload, const std::vector<BenchEnvelope>& envelopes,
                                    const LoadOptions& options);

}  // namespace passbook::bench
