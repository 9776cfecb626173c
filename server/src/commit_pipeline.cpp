#include "commit_pipeline.h"

#include <boost/asio/post.hpp>

#include "log.h"

namespace passbook::server {

CommitPipeline::CommitPipeline(ledger::Ledger& ledger, boost::asio::thread_pool& workers,
                               size_t max_group, size_t max_queued)
    : ledger_(ledger), workers_(workers), max_group_(max_group), max_queued_(max_queued) {
  writer_ = std::thread([this] { writer_loop(); });
}

CommitPipeline::~CommitPipeline() { stop(); }

void CommitPipeline::submit(schemas::SignedEnvelope envelope, const PublicKey& session_key, Done done) {
  uint64_t ticket = 0;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ledger::Outcome refused;
      refused.status = unavailable("the server is shutting down; send the envelope again later");
      done(std::move(refused));
      return;
    }
    if (queued_ >= max_queued_) {
      ledger::Outcome refused;
      refused.status = resource_exhausted("the server is busy (" + std::to_string(queued_) +
                                          " envelopes waiting); send the envelope again shortly");
      done(std::move(refused));
      return;
    }
    ticket = next_ticket_++;
    ++queued_;
  }
  boost::asio::post(workers_, [this, ticket, session_key, envelope = std::move(envelope),
                               done = std::move(done)]() mutable {
    ledger::Prepared prepared = ledger::Ledger::prepare(std::move(envelope));
    std::lock_guard lock(mutex_);
    ready_.emplace(ticket, Item{std::move(prepared), session_key, std::move(done)});
    ready_cv_.notify_one();
  });
}

void CommitPipeline::check_session_key(ledger::Prepared& prepared,
                                       const PublicKey& session_key) const {
  if (!prepared.status.is_ok()) return;
  auto actor = ledger_.actor(session_key);
  if (!actor.is_ok() && actor.status().code() != Status::Code::kNotFound) {
    prepared.status = actor.status();
  } else if (!actor.is_ok() || actor->revoked_seq) {
    prepared.status =
        unauthenticated("the key of this session has been revoked; it can submit nothing more");
  }
}

void CommitPipeline::writer_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ready_cv_.wait(lock, [this] {
      return ready_.count(next_to_commit_) > 0 || (stopping_ && queued_ == 0);
    });
    if (stopping_) {
      if (queued_ == 0) return;
      // Everything that arrives after stop() is answered, never written.
      std::vector<Item> refused;
      while (ready_.count(next_to_commit_) > 0) {
        refused.push_back(std::move(ready_.at(next_to_commit_)));
        ready_.erase(next_to_commit_++);
      }
      queued_ -= refused.size();
      lock.unlock();
      for (auto& item : refused) {
        ledger::Outcome outcome;
        outcome.status = unavailable("the server is shutting down; send the envelope again later");
        item.done(std::move(outcome));
      }
      lock.lock();
      continue;
    }
    std::vector<ledger::Prepared> group;
    std::vector<Done> dones;
    std::vector<PublicKey> session_keys;
    while (group.size() < max_group_) {
      auto it = ready_.find(next_to_commit_);
      if (it == ready_.end()) break;
      group.push_back(std::move(it->second.prepared));
      session_keys.push_back(it->second.session_key);
      dones.push_back(std::move(it->second.done));
      ready_.erase(it);
      ++next_to_commit_;
    }
    lock.unlock();
    if (ledger_.needs_recovery() &&
        std::chrono::steady_clock::now() - last_recovery_ >= std::chrono::seconds(1)) {
      last_recovery_ = std::chrono::steady_clock::now();
      // A write failed before (a full disk, an I/O error): reload what is durable and go on if
      // the disk works again; if not, this group is refused like the one that failed.
      if (Status s = ledger_.recover(); s.is_ok()) {
        log(LogLevel::kInfo, "the ledger was reopened after a failed write; accepting writes again");
      }
    }
    // After every earlier group is committed (and after a reopen, which reloads revocations a
    // failed write may have stored after all): a revocation in an earlier group counts. One in
    // this same group does not, as before, unless the revoked key also signed the envelope.
    for (size_t i = 0; i < group.size(); ++i) check_session_key(group[i], session_keys[i]);
    std::vector<ledger::Outcome> outcomes = ledger_.commit(std::move(group));
    bool logged = false;
    for (size_t i = 0; i < outcomes.size(); ++i) {
      if (!logged && outcomes[i].status.code() == Status::Code::kUnavailable) {
        log(LogLevel::kError, "commit failed: " + outcomes[i].status.message());
        logged = true;
      }
      dones[i](std::move(outcomes[i]));
    }
    lock.lock();
    queued_ -= dones.size();
    ++stats_.groups;
    stats_.envelopes += dones.size();
    if (stopping_) ready_cv_.notify_all();
  }
}

void CommitPipeline::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
    ready_cv_.notify_all();
  }
  if (writer_.joinable()) writer_.join();
}

CommitPipeline::Stats CommitPipeline::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace passbook::server
