// The client trusts nothing it is told without proof: a fork served under the ledger's own keys
// (at connect, or behind a reconnect on submit), a checkpoint or a receipt tampered with on the
// way, a server presenting another ledger key. A caught server is reported as DataLoss, the
// state file remembers it and refuses further connections, and the evidence is kept.
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "server/fork_fixture.h"
#include "server/server_fixture.h"
#include "server/tamper_proxy.h"
#include "server/wire_checks.h"

using namespace passbook;
using namespace passbook::schemas;
using namespace passbook::testing;

namespace {

bool rewritten(const Status& status) {
  BOOST_TEST_MESSAGE(status.to_string());
  std::string lower = status.message();
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return status.code() == Status::Code::kDataLoss && lower.find("rewritten history") != std::string::npos;
}

std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

// The honest street and a client state file that has seen its checkpoint of size 5.
struct Witnessed {
  Witnessed() {
    options = t.client_options(t.admin);
    options.state_file = state.path() / "trust";
    auto c = client::Client::connect(options);
    BOOST_REQUIRE_MESSAGE(c.is_ok(), c.status().to_string());
    posted(**c, t.sign(t.admin, {SetRule{"", "honest-rule", 5, 0}}));
    seen = (*c)->trusted().size;
    BOOST_REQUIRE(seen == 5u);
  }
  ServedStreet t;
  TempDir state;
  client::ClientOptions options;
  uint64_t seen = 0;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(trust_test)

BOOST_AUTO_TEST_CASE(the_state_file_carries_the_trusted_checkpoint_between_clients) {
  Witnessed w;
  BOOST_TEST(slurp(w.options.state_file).find("size 5") != std::string::npos);
  auto again = client::Client::connect(w.options);
  BOOST_REQUIRE_MESSAGE(again.is_ok(), again.status().to_string());
  BOOST_TEST((*again)->trusted().size == 5u);
  posted(**again, w.t.sign(w.t.admin, {SetRule{"", "second-rule", 5, 0}}));
  BOOST_TEST(slurp(w.options.state_file).find("size 6") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_longer_fork_under_the_same_keys_is_caught_at_connect) {
  Witnessed w;
  ForkedLedger fork(w.t);
  fork.grow_to(9);
  LedgerServer forked(*fork.ledger);

  auto options = w.options;
  options.port = forked.port();
  auto caught = client::Client::connect(options);
  BOOST_REQUIRE(!caught.is_ok());
  BOOST_TEST(rewritten(caught.status()));

  // The evidence: what was trusted and what was presented.
  const auto evidence = std::filesystem::path(options.state_file.string() + ".evidence");
  BOOST_REQUIRE(std::filesystem::exists(evidence));
  const std::string kept = slurp(evidence);
  BOOST_TEST(kept.find("== trusted (size 5)") != std::string::npos);
  BOOST_TEST(kept.find("== presented") != std::string::npos);
  BOOST_TEST(kept.find("\n9\n") != std::string::npos);

  // The state file now refuses every connection, to the fork and to the honest server alike.
  auto again = client::Client::connect(options);
  BOOST_TEST(refused_with(again, Status::Code::kDataLoss, "rewriting history before"));
  auto honest = client::Client::connect(w.options);
  BOOST_TEST(refused_with(honest, Status::Code::kDataLoss, "rewriting history before"));
}

BOOST_AUTO_TEST_CASE(a_fork_of_the_same_size_is_caught) {
  Witnessed w;
  ForkedLedger fork(w.t);
  fork.grow_to(w.seen);
  LedgerServer forked(*fork.ledger);
  auto options = w.options;
  options.port = forked.port();
  auto caught = client::Client::connect(options);
  BOOST_REQUIRE(!caught.is_ok());
  BOOST_TEST(rewritten(caught.status()));
  BOOST_TEST(caught.status().message().find("two different trees of size 5") != std::string::npos);
  BOOST_TEST(std::filesystem::exists(options.state_file.string() + ".evidence"));
}

// A server whose latest checkpoint is smaller than one its key signed before has lost (or
// rewritten) entries it had acknowledged: it cannot prove the two consistent, and the client
// must report that as DataLoss, not as a plain "not found", and keep what it trusted.
BOOST_AUTO_TEST_CASE(a_shorter_fork_is_reported_as_data_loss_at_connect) {
  Witnessed w;
  ForkedLedger fork(w.t);
  fork.grow_to(3);
  LedgerServer forked(*fork.ledger);
  auto options = w.options;
  options.port = forked.port();
  auto refused = client::Client::connect(options);
  BOOST_REQUIRE(!refused.is_ok());
  BOOST_TEST(refused_with(refused, Status::Code::kDataLoss));
  BOOST_TEST(slurp(w.options.state_file).find("size 5") != std::string::npos);
}

// The same on the submit path: the receipt's checkpoint is smaller than the trusted head and
// comes without a consistency proof (the server has none to give).
BOOST_AUTO_TEST_CASE(a_shorter_fork_behind_a_reconnect_is_caught_on_submit) {
  Witnessed w;
  ForkedLedger fork(w.t);
  fork.grow_to(3);
  LedgerServer forked(*fork.ledger);
  TamperProxy proxy(w.t.port());
  auto options = w.options;
  options.port = proxy.port();
  auto connected = client::Client::connect(options);
  BOOST_REQUIRE_MESSAGE(connected.is_ok(), connected.status().to_string());
  posted(**connected, w.t.sign(w.t.admin, {SetRule{"", "before-the-switch", 5, 0}}));
  proxy.set_upstream(forked.port());
  proxy.drop_connections();
  auto result = (*connected)->submit(w.t.sign(w.t.admin, {SetRule{"", "after-the-switch", 5, 0}}));
  BOOST_REQUIRE(!result.is_ok());
  BOOST_TEST(rewritten(result.status()));
  BOOST_TEST(slurp(w.options.state_file).find("size 6") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_fork_behind_a_reconnect_is_caught_on_submit) {
  Witnessed w;
  ForkedLedger fork(w.t);
  fork.grow_to(12);
  LedgerServer forked(*fork.ledger);
  TamperProxy proxy(w.t.port());
  auto options = w.options;
  options.port = proxy.port();
  auto connected = client::Client::connect(options);
  BOOST_REQUIRE_MESSAGE(connected.is_ok(), connected.status().to_string());
  auto& c = *connected;
  posted(*c, w.t.sign(w.t.admin, {SetRule{"", "before-the-switch", 5, 0}}));
  BOOST_TEST(c->trusted().size == 6u);

  // The connection drops; the reconnect lands on the fork, which answers under the same keys.
  proxy.set_upstream(forked.port());
  proxy.drop_connections();
  auto result = c->submit(w.t.sign(w.t.admin, {SetRule{"", "after-the-switch", 5, 0}}));
  BOOST_REQUIRE(!result.is_ok());
  BOOST_TEST(rewritten(result.status()));
  BOOST_TEST(std::filesystem::exists(options.state_file.string() + ".evidence"));
  // The client stops trusting it: nothing more is accepted on this connection or a new one.
  BOOST_TEST(refused_with(c->refresh(), Status::Code::kDataLoss));
  BOOST_TEST(refused_with(c->submit(w.t.sign(w.t.admin, {SetRule{"", "third", 5, 0}})), Status::Code::kDataLoss));
  BOOST_TEST(refused_with(client::Client::connect(options), Status::Code::kDataLoss, "rewriting history before"));
}

BOOST_AUTO_TEST_CASE(a_tampered_checkpoint_is_detected) {
  ServedStreet t;
  TamperProxy proxy(t.port());
  proxy.set_mutator([](RawFrame& frame) {
    if (frame.type != reply_type(MessageType::kGetCheckpoint)) return false;
    auto reply = decode<CheckpointReply>(frame.body, "checkpoint");
    if (!reply.is_ok()) return false;
    // The root line is the third; change one of its characters.
    const size_t root = reply->note.find('\n', reply->note.find('\n') + 1) + 1;
    reply->note[root] = reply->note[root] == 'A' ? 'B' : 'A';
    frame.body = try_encode(*reply).value();
    return true;
  });
  auto options = t.client_options(t.admin);
  options.port = proxy.port();
  auto refused = client::Client::connect(options);
  BOOST_TEST(refused_with(refused, Status::Code::kDataLoss, "does not verify"));
  BOOST_TEST(proxy.tampered() >= 1);

  // A clean connection first, then a tampered refresh.
  proxy.set_mutator(nullptr);
  auto connected = client::Client::connect(options);
  BOOST_REQUIRE_MESSAGE(connected.is_ok(), connected.status().to_string());
  const uint64_t trusted = (*connected)->trusted().size;
  proxy.set_mutator([](RawFrame& frame) {
    if (frame.type != reply_type(MessageType::kGetCheckpoint)) return false;
    auto reply = decode<CheckpointReply>(frame.body, "checkpoint");
    if (!reply.is_ok()) return false;
    // Claims a bigger tree under the same signature.
    const size_t size_at = reply->note.find('\n') + 1;
    reply->note.replace(size_at, reply->note.find('\n', size_at) - size_at, "999");
    frame.body = try_encode(*reply).value();
    return true;
  });
  BOOST_TEST(refused_with((*connected)->refresh(), Status::Code::kDataLoss));
  BOOST_TEST((*connected)->trusted().size == trusted);
  BOOST_TEST(refused_with((*connected)->checkpoint(0), Status::Code::kDataLoss));
}

BOOST_AUTO_TEST_CASE(a_tampered_receipt_is_detected) {
  ServedStreet t;
  TamperProxy proxy(t.port());
  auto options = t.client_options(t.secretary);
  options.port = proxy.port();
  options.max_attempts = 1;
  auto connected = client::Client::connect(options);
  BOOST_REQUIRE_MESSAGE(connected.is_ok(), connected.status().to_string());
  auto& c = *connected;
  auto tamper_submit = [&](std::function<void(SubmitReply&)> change) {
    proxy.set_mutator([change](RawFrame& frame) {
      if (frame.type != reply_type(MessageType::kSubmit)) return false;
      auto reply = decode<SubmitReply>(frame.body, "receipt");
      if (!reply.is_ok()) return false;
      change(*reply);
      frame.body = try_encode(*reply).value();
      return true;
    });
  };
  uint32_t day = 0;
  auto submit = [&] { return c->submit(t.sign(t.secretary, {Credit{TestStreet::service("v1", 5, ago(day++))}})); };

  tamper_submit([](SubmitReply& r) { r.proof->inclusion[0][0] ^= 1; });
  BOOST_TEST(refused_with(submit(), Status::Code::kDataLoss, "not provably"));

  tamper_submit([](SubmitReply& r) { r.receipt.seq -= 1; });
  BOOST_TEST(refused_with(submit(), Status::Code::kDataLoss));

  tamper_submit([](SubmitReply& r) { r.receipt.entry_hash[5] ^= 1; });
  BOOST_TEST(refused_with(submit(), Status::Code::kDataLoss));

  tamper_submit([](SubmitReply& r) { r.proof->entry.back() ^= 1; });
  BOOST_TEST(refused_with(submit(), Status::Code::kDataLoss));

  tamper_submit([](SubmitReply& r) { r.proof.reset(); });
  BOOST_TEST(refused_with(submit(), Status::Code::kDataLoss, "without the proof"));

  tamper_submit([](SubmitReply& r) {
    const size_t at = r.proof->checkpoint.find('\n') + 1;
    r.proof->checkpoint[at] = r.proof->checkpoint[at] == '9' ? '8' : '9';
  });
  BOOST_TEST(refused_with(submit(), Status::Code::kDataLoss));

  // Untouched, the same connection proves receipts again: none of the above was the ledger's fault.
  proxy.set_mutator(nullptr);
  auto clean = submit();
  BOOST_REQUIRE_MESSAGE(clean.is_ok(), clean.status().to_string());
  BOOST_TEST(clean->proven);
  BOOST_TEST(proxy.tampered() == 6);
}

BOOST_AUTO_TEST_CASE(a_verifier_key_mismatch_is_refused) {
  ServedStreet t;
  auto impostor = make_key();
  auto options = t.client_options(t.admin);
  options.verifier_key = proof::format_verifier_key("test.example/passbook", impostor.public_key());
  BOOST_TEST(refused_with(client::Client::connect(options), Status::Code::kUnauthenticated, "not the one trusted"));

  // The right key is accepted.
  options.verifier_key = t.ledger->info().verifier_key;
  BOOST_TEST(client::Client::connect(options).is_ok());

  // A state file pinned to this ledger's key refuses a server with another ledger key.
  TempDir state;
  options.verifier_key.clear();
  options.state_file = state.path() / "trust";
  BOOST_REQUIRE(client::Client::connect(options).is_ok());
  ServedStreet other;
  auto elsewhere = other.client_options(other.admin);
  elsewhere.state_file = options.state_file;
  BOOST_TEST(refused_with(client::Client::connect(elsewhere), Status::Code::kUnauthenticated, "not the one trusted"));
}

BOOST_AUTO_TEST_SUITE_END()
