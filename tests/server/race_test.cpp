// Many callers at once: eight volunteers racing for the last kindergarten place through eight
// connections, and hundreds of envelopes pipelined on one connection.
#include <boost/test/unit_test.hpp>
#include <latch>
#include <set>
#include <thread>

#include "server/server_fixture.h"
#include "server/wire_checks.h"

using namespace passbook;
using namespace passbook::schemas;
using namespace passbook::testing;

BOOST_AUTO_TEST_SUITE(race_test)

BOOST_AUTO_TEST_CASE(eight_clients_race_for_the_last_kindergarten_place_and_one_wins) {
  constexpr int kRacers = 8;
  constexpr int64_t kPoints = 400;
  ServedStreet t;
  std::vector<proof::SigningKey> keys;
  std::vector<std::string> accounts;
  for (int i = 0; i < kRacers; ++i) {
    keys.push_back(make_key());
    accounts.push_back("racer" + std::to_string(i));
  }
  {
    auto secretary = t.connect(t.secretary);
    std::vector<Operation> open, fund;
    for (int i = 0; i < kRacers; ++i) {
      open.push_back(OpenAccount{accounts[i], std::nullopt, keys[i].public_key()});
      Import line;
      line.service = TestStreet::service(accounts[i], 600, 20240315, "property-services");
      line.points = kPoints;
      line.paper_ref = "book " + std::to_string(i);
      fund.push_back(line);
    }
    posted(*secretary, t.sign(t.secretary, open));
    posted(*secretary, t.sign(t.secretary, fund));
  }

  // Envelopes are signed up front, on this thread (the fixture asserts).
  std::vector<SignedEnvelope> envelopes;
  std::vector<client::ClientOptions> options;
  for (int i = 0; i < kRacers; ++i) {
    envelopes.push_back(t.sign(t.merchant, {Redeem{accounts[i], "place", 1}}, {0, {}, {&keys[i]}}));
    options.push_back(t.client_options(keys[i]));
  }
  std::vector<Result<client::SubmitResult>> results(kRacers);
  std::vector<Status> connected(kRacers);
  std::latch ready(kRacers);
  std::vector<std::thread> racers;
  for (int i = 0; i < kRacers; ++i) {
    racers.emplace_back([&, i] {
      auto c = client::Client::connect(options[i]);
      connected[i] = c.status();
      ready.arrive_and_wait();
      if (!c.is_ok()) return;
      results[i] = (*c)->submit(envelopes[i]);
    });
  }
  for (auto& r : racers) r.join();

  int winners = 0, refused = 0;
  int winner = -1;
  for (int i = 0; i < kRacers; ++i) {
    BOOST_REQUIRE_MESSAGE(connected[i].is_ok(), connected[i].to_string());
    if (results[i].is_ok()) {
      ++winners;
      winner = i;
      BOOST_TEST(results[i]->proven);
      BOOST_TEST(!results[i]->duplicate);
    } else {
      BOOST_TEST_MESSAGE("racer " << i << ": " << results[i].status().to_string());
      if (results[i].status().code() == Status::Code::kFailedPrecondition) ++refused;
    }
  }
  BOOST_TEST(winners == 1);
  BOOST_TEST(refused == kRacers - 1);
  BOOST_REQUIRE(winner >= 0);

  auto auditor = t.connect(t.admin);
  auto rewards = auditor->rewards("shop");
  BOOST_REQUIRE(rewards.is_ok());
  for (const auto& r : *rewards) {
    if (r.reward == "place") {
      BOOST_TEST(r.stock == 0);
      BOOST_TEST(r.redeemed == 1);
    }
  }
  int64_t volunteers = 0;
  for (int i = 0; i < kRacers; ++i) {
    auto account = auditor->account(AccountKind::kVolunteer, accounts[i]);
    BOOST_REQUIRE(account.is_ok());
    BOOST_TEST(account->available == (i == winner ? kPoints - 300 : kPoints));
    volunteers += account->available;
  }
  BOOST_TEST(volunteers == kRacers * kPoints - 300);
  BOOST_TEST(auditor->account(AccountKind::kMerchant, "shop")->available == 300);
  BOOST_TEST(auditor->account(AccountKind::kBranch, "b1")->available == -kRacers * kPoints);
  // The winner's entry is the only redemption on the chain after the funding.
  auto history = auditor->history(AccountKind::kVolunteer, accounts[winner]);
  BOOST_REQUIRE(history.is_ok());
  BOOST_TEST(history->size() == 2u);
}

BOOST_AUTO_TEST_CASE(hundreds_of_pipelined_submits_commit_in_order) {
  constexpr size_t kEnvelopes = 300;
  ServedStreet t;
  auto admin = t.connect(t.admin);
  posted(*admin, t.sign(t.admin, {SetRule{"", "errand", 60, 0}}));
  auto secretary = t.connect(t.secretary);
  const uint64_t start = secretary->info()->size;
  std::vector<SignedEnvelope> batch;
  for (size_t i = 0; i < kEnvelopes; ++i) {
    batch.push_back(t.sign(t.secretary, {Credit{TestStreet::service(i % 2 ? "v1" : "v2", 1, kToday, "errand")}}));
  }
  auto results = secretary->submit_all(batch);
  BOOST_REQUIRE(results.size() == kEnvelopes);
  std::set<uint64_t> checkpoints;
  size_t failed = 0;
  for (size_t i = 0; i < kEnvelopes; ++i) {
    if (!results[i].is_ok()) {
      if (failed++ < 5) BOOST_TEST_MESSAGE("envelope " << i << ": " << results[i].status().to_string());
      continue;
    }
    BOOST_TEST(results[i]->receipt.seq == start + i);
    BOOST_TEST(results[i]->proven);
    BOOST_TEST(!results[i]->duplicate);
    checkpoints.insert(results[i]->receipt.checkpoint_size);
  }
  BOOST_TEST(failed == 0u);
  BOOST_TEST_MESSAGE(kEnvelopes << " envelopes in " << checkpoints.size() << " checkpoints");
  BOOST_TEST(checkpoints.size() <= kEnvelopes);
  auto info = admin->info();
  BOOST_REQUIRE(info.is_ok());
  BOOST_TEST(info->size == start + kEnvelopes);
  BOOST_TEST(admin->account(AccountKind::kVolunteer, "v1")->available == static_cast<int64_t>(kEnvelopes / 2));
  BOOST_TEST(admin->account(AccountKind::kVolunteer, "v2")->available == static_cast<int64_t>(kEnvelopes / 2));
  // The client still trusts the server and follows it.
  auto head = secretary->refresh();
  BOOST_REQUIRE_MESSAGE(head.is_ok(), head.status().to_string());
  BOOST_TEST(head->size == info->size);
  // The entries are in the order they were sent.
  auto entries = admin->entries(start, static_cast<uint32_t>(kEnvelopes));
  BOOST_REQUIRE(entries.is_ok());
  BOOST_REQUIRE(entries->size() == kEnvelopes);
  for (size_t i = 0; i < kEnvelopes; ++i) {
    auto entry = decode<Entry>((*entries)[i], "entry");
    BOOST_REQUIRE(entry.is_ok());
    BOOST_TEST((entry->signed_envelope == batch[i]));
  }
}

// A batch larger than the server's in-flight limit: the client is told to wait
// (ResourceExhausted), resends the same bytes, and every envelope is posted exactly once.
BOOST_AUTO_TEST_CASE(pipelining_over_the_in_flight_limit_posts_each_envelope_once) {
  server::ServerOptions options;
  options.max_in_flight_per_connection = 4;
  ServedStreet t(options);
  auto admin = t.connect(t.admin);
  posted(*admin, t.sign(t.admin, {SetRule{"", "errand", 60, 0}}));
  auto secretary = t.connect(t.secretary);
  BOOST_TEST(secretary->hello().max_in_flight == 4u);
  const uint64_t start = secretary->info()->size;
  std::vector<SignedEnvelope> batch;
  for (size_t i = 0; i < 24; ++i) {
    batch.push_back(t.sign(t.secretary, {Credit{TestStreet::service("v1", 1, kToday, "errand")}}));
  }
  auto results = secretary->submit_all(batch);
  std::set<uint64_t> seqs;
  size_t ok = 0;
  size_t in_order = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    auto& r = results[i];
    if (!r.is_ok()) {
      BOOST_TEST_MESSAGE(r.status().to_string());
      BOOST_TEST(r.status().code() == Status::Code::kResourceExhausted);
      continue;
    }
    ++ok;
    seqs.insert(r->receipt.seq);
    if (r->receipt.seq == start + i) ++in_order;
    // The server announced its limit in Hello: a client that keeps to it is never told to wait.
    BOOST_TEST(r->attempts == 1, "envelope " << i << " took " << r->attempts << " attempts");
  }
  // Committed in the order they were given, as when they fit the limit.
  BOOST_TEST(in_order == batch.size());
  BOOST_TEST(seqs.size() == ok);
  // The client knows the limit from the server's Hello: none of the caller's envelopes is lost.
  BOOST_TEST(ok == batch.size());
  // Whatever the client gave up on was never written; what it was told is written once.
  auto info = admin->info();
  BOOST_REQUIRE(info.is_ok());
  BOOST_TEST(info->size == start + ok);
  BOOST_TEST(admin->account(AccountKind::kVolunteer, "v1")->available == static_cast<int64_t>(ok));
}

BOOST_AUTO_TEST_SUITE_END()
