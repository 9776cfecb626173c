// The road from a received envelope to its receipt: signatures are checked on the worker pool,
// in parallel, then one writer thread takes the envelopes in the order they arrived and commits
// them in groups (one WriteBatch, one fsync, one checkpoint each). Arrival order is kept by
// ticket: the writer never skips an envelope whose signature check is still running.
//
// The session's key is checked by the writer, just before the commit, not by the worker: a
// worker reading the ledger waits for its lock, which the writer holds through each group's
// fsync, and two workers waiting there left a core idle in t2 (bench/RESULTS.md).
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "passbook/ledger/ledger.h"

namespace passbook::server {

class CommitPipeline {
 public:
  // Runs once per envelope, on the writer thread (or at once when the envelope is refused before
  // it is queued).
  using Done = std::function<void(ledger::Outcome)>;

  CommitPipeline(ledger::Ledger& ledger, boost::asio::thread_pool& workers, size_t max_group,
                 size_t max_queued);
  ~CommitPipeline();
  CommitPipeline(const CommitPipeline&) = delete;
  CommitPipeline& operator=(const CommitPipeline&) = delete;

  // `session_key` is the key that opened the connection: a key revoked since is refused before
  // its envelope goes further.
  void submit(schemas::SignedEnvelope envelope, const PublicKey& session_key, Done done);
  // Finishes the group being written, answers it, refuses everything still queued (Unavailable)
  // and joins the writer. Idempotent.
  void stop();

  struct Stats {
    uint64_t groups = 0;
    uint64_t envelopes = 0;
  };
  [[nodiscard]] Stats stats() const;

 private:
  struct Item {
    ledger::Prepared prepared;
    PublicKey session_key{};
    Done done;
  };
  void writer_loop();
  // Refuses a prepared envelope whose session key has been revoked (or cannot be looked up).
  void check_session_key(ledger::Prepared& prepared, const PublicKey& session_key) const;

  ledger::Ledger& ledger_;
  boost::asio::thread_pool& workers_;
  const size_t max_group_;
  const size_t max_queued_;

  mutable std::mutex mutex_;
  std::condition_variable ready_cv_;
  std::map<uint64_t, Item> ready_;  // prepared, by arrival ticket
  uint64_t next_ticket_ = 0;
  uint64_t next_to_commit_ = 0;
  size_t queued_ = 0;  // tickets handed out and not yet answered
  bool stopping_ = false;
  Stats stats_;
  std::chrono::steady_clock::time_point last_recovery_{};  // writer thread only
  std::thread writer_;
};

}  // namespace passbook::server
