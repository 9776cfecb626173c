// Nothing acknowledged is lost and nothing is posted twice: a client killed in the middle of a
// request and retried, a server restarted under load, a client retrying across the restart.
#include <boost/test/unit_test.hpp>
#include <atomic>
#include <set>
#include <thread>

#include "server/raw_peer.h"
#include "server/server_fixture.h"
#include "server/wire_checks.h"

using namespace passbook;
using namespace passbook::schemas;
using namespace passbook::testing;

namespace {

// Waits until the ledger holds `size` entries (the server writes on its own thread).
bool wait_for_size(ServedStreet& t, uint64_t size, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (t.ledger->info().size >= size) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return t.ledger->info().size >= size;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(durability_test)

BOOST_AUTO_TEST_CASE(a_client_killed_mid_request_and_retried_posts_once) {
  ServedStreet t;
  const uint64_t before = t.ledger->info().size;
  auto envelope = t.sign(t.secretary, {Credit{TestStreet::service("v1", 60)}});
  {
    // The first attempt: the whole Submit frame goes out, then the client dies before the reply.
    RawPeer raw(t.port());
    BOOST_REQUIRE(raw.authenticate(t.secretary).is_ok());
    Submit request{envelope, true, 0};
    BOOST_REQUIRE(raw.send_frame(MessageType::kSubmit, 9, try_encode(request).value()));
    raw.close();
  }
  // The server wrote it all the same.
  BOOST_REQUIRE(wait_for_size(t, before + 1));
  // The retry resends the same signed envelope and gets the first receipt.
  auto secretary = t.connect(t.secretary);
  auto retry = secretary->submit(envelope);
  BOOST_REQUIRE_MESSAGE(retry.is_ok(), retry.status().to_string());
  BOOST_TEST(retry->duplicate);
  BOOST_TEST(retry->proven);
  BOOST_TEST(retry->receipt.seq == before);
  BOOST_TEST(secretary->info()->size == before + 1);
  BOOST_TEST(secretary->account(AccountKind::kVolunteer, "v1")->available == 12);
}

BOOST_AUTO_TEST_CASE(a_client_reset_mid_request_posts_once) {
  ServedStreet t;
  const uint64_t before = t.ledger->info().size;
  auto envelope = t.sign(t.secretary, {Credit{TestStreet::service("v1", 60)}});
  {
    RawPeer raw(t.port());
    BOOST_REQUIRE(raw.authenticate(t.secretary).is_ok());
    Submit request{envelope, true, 0};
    BOOST_REQUIRE(raw.send_frame(MessageType::kSubmit, 9, try_encode(request).value()));
    raw.reset();  // RST instead of FIN: the process was killed
  }
  // Whether or not the server read the frame before the reset, a retry posts it exactly once.
  auto secretary = t.connect(t.secretary);
  auto retry = secretary->submit(envelope);
  BOOST_REQUIRE_MESSAGE(retry.is_ok(), retry.status().to_string());
  BOOST_TEST(retry->receipt.seq == before);
  auto again = secretary->submit(envelope);
  BOOST_REQUIRE(again.is_ok());
  BOOST_TEST(again->duplicate);
  BOOST_TEST(again->receipt.seq == before);
  BOOST_TEST(secretary->info()->size == before + 1);
  BOOST_TEST(secretary->account(AccountKind::kVolunteer, "v1")->available == 12);
}

BOOST_AUTO_TEST_CASE(a_frame_cut_short_by_a_dying_client_posts_nothing) {
  ServedStreet t;
  const uint64_t before = t.ledger->info().size;
  auto envelope = t.sign(t.secretary, {Credit{TestStreet::service("v1", 60)}});
  {
    RawPeer raw(t.port());
    BOOST_REQUIRE(raw.authenticate(t.secretary).is_ok());
    Submit request{envelope, true, 0};
    const std::string frame = frame_bytes(MessageType::kSubmit, 9, try_encode(request).value());
    BOOST_REQUIRE(raw.send(std::string_view(frame).substr(0, frame.size() - 1)));
    raw.close();
  }
  // The retry is the first post: not a duplicate.
  auto secretary = t.connect(t.secretary);
  auto retry = secretary->submit(envelope);
  BOOST_REQUIRE_MESSAGE(retry.is_ok(), retry.status().to_string());
  BOOST_TEST(!retry->duplicate);
  BOOST_TEST(retry->receipt.seq == before);
  BOOST_TEST(secretary->info()->size == before + 1);
}

BOOST_AUTO_TEST_CASE(a_restart_keeps_every_acknowledged_entry_and_serves_again) {
  ServedStreet t;
  auto secretary = t.connect(t.secretary);
  std::vector<SignedEnvelope> sent;
  std::vector<Receipt> receipts;
  for (uint32_t i = 0; i < 12; ++i) {
    sent.push_back(t.sign(t.secretary, {Credit{TestStreet::service(i % 2 ? "v1" : "v2", 30, ago(i / 2))}}));
    receipts.push_back(posted(*secretary, sent.back()).receipt);
  }
  const uint64_t size = receipts.back().seq + 1;
  const uint16_t port = t.port();

  t.restart();
  BOOST_TEST(t.port() == port);
  BOOST_TEST(t.ledger->info().size == size);

  // A fresh client sees every acknowledged entry, byte for byte.
  auto admin = t.connect(t.admin);
  auto entries = admin->entries(0, static_cast<uint32_t>(size));
  BOOST_REQUIRE_MESSAGE(entries.is_ok(), entries.status().to_string());
  BOOST_REQUIRE(entries->size() == size);
  for (const Receipt& receipt : receipts) {
    BOOST_TEST(proof::leaf_hash((*entries)[receipt.seq]) == receipt.entry_hash);
  }
  BOOST_TEST(admin->account(AccountKind::kVolunteer, "v1")->available == 36);
  BOOST_TEST(admin->account(AccountKind::kVolunteer, "v2")->available == 36);

  // The old client's connection died with the server; its retry of an acknowledged envelope
  // reconnects and gets the first receipt, proven against the checkpoint it trusted before.
  auto retry = secretary->submit(sent[3]);
  BOOST_REQUIRE_MESSAGE(retry.is_ok(), retry.status().to_string());
  BOOST_TEST(retry->duplicate);
  BOOST_TEST(retry->proven);
  BOOST_TEST(retry->receipt.seq == receipts[3].seq);
  BOOST_TEST(retry->receipt.entry_hash == receipts[3].entry_hash);
  BOOST_TEST(retry->receipt.commit_ms == receipts[3].commit_ms);

  // And the server takes new work.
  auto fresh = posted(*secretary, t.sign(t.secretary, {Credit{TestStreet::service("v1", 30, ago(7))}}));
  BOOST_TEST(fresh.receipt.seq == size);
  BOOST_TEST(admin->info()->size == size + 1);
}

// A writer submits one envelope after another while the server restarts twice: every envelope
// the client was told about is on the chain exactly once, and the client's retries (same bytes)
// carry it across the restarts.
BOOST_AUTO_TEST_CASE(submits_during_restarts_are_kept_and_never_doubled) {
  ServedStreet t;
  {
    auto admin = t.connect(t.admin);
    posted(*admin, t.sign(t.admin, {SetRule{"", "errand", 60, 0}}));
  }
  constexpr size_t kEnvelopes = 60;
  std::vector<SignedEnvelope> batch;
  for (size_t i = 0; i < kEnvelopes; ++i) {
    batch.push_back(t.sign(t.secretary, {Credit{TestStreet::service("v1", 1, kToday, "errand")}}));
  }
  const uint64_t start = t.ledger->info().size;
  auto options = t.client_options(t.secretary);
  options.max_attempts = 12;
  auto connected = client::Client::connect(options);
  BOOST_REQUIRE(connected.is_ok());
  auto& writer_client = *connected;
  std::vector<Result<client::SubmitResult>> results(kEnvelopes);
  std::atomic<size_t> done{0};
  std::thread writer([&] {
    for (size_t i = 0; i < kEnvelopes; ++i) {
      results[i] = writer_client->submit(batch[i]);
      done = i + 1;
    }
  });
  for (int restart = 0; restart < 2; ++restart) {
    const size_t mark = done.load() + 10;
    while (done.load() < std::min(mark, kEnvelopes)) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    t.restart();
  }
  writer.join();

  size_t ok = 0;
  std::set<uint64_t> seqs;
  for (size_t i = 0; i < kEnvelopes; ++i) {
    if (!results[i].is_ok()) {
      BOOST_TEST_MESSAGE("envelope " << i << ": " << results[i].status().to_string());
      continue;
    }
    ++ok;
    BOOST_TEST(results[i]->proven);
    seqs.insert(results[i]->receipt.seq);
  }
  BOOST_TEST(ok == kEnvelopes);
  BOOST_TEST(seqs.size() == ok);
  // One entry per envelope, none twice, in the order they were sent.
  auto admin = t.connect(t.admin);
  auto info = admin->info();
  BOOST_REQUIRE(info.is_ok());
  BOOST_TEST(info->size == start + kEnvelopes);
  BOOST_TEST(admin->account(AccountKind::kVolunteer, "v1")->available == static_cast<int64_t>(kEnvelopes));
  auto entries = admin->entries(start, static_cast<uint32_t>(kEnvelopes));
  BOOST_REQUIRE(entries.is_ok());
  BOOST_REQUIRE(entries->size() == kEnvelopes);
  for (size_t i = 0; i < kEnvelopes; ++i) {
    auto entry = decode<Entry>((*entries)[i], "entry");
    BOOST_REQUIRE(entry.is_ok());
    BOOST_TEST((entry->signed_envelope == batch[i]));
  }
}

BOOST_AUTO_TEST_SUITE_END()
