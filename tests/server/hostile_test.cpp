// Hostile and broken peers, by hand over raw sockets: oversize, malformed, truncated and random
// frames, requests out of order, too many requests in flight, slow peers, peers that never read,
// too many connections. Each gets a clear error (or is cut off) and an honest client on another
// connection keeps getting proven receipts all the while.
#include <sys/resource.h>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "server/raw_peer.h"
#include "server/server_fixture.h"
#include "server/wire_checks.h"

using namespace passbook;
using namespace passbook::schemas;
using namespace passbook::testing;
using namespace std::chrono_literals;

namespace {

server::ServerOptions short_timeouts() {
  server::ServerOptions o;
  o.handshake_timeout = 300ms;
  o.frame_timeout = 300ms;
  return o;
}

// A served street with an honest branch client that sets its own uncapped rule, so that it can
// post as many one-minute credits as a test likes.
struct Hostile {
  explicit Hostile(server::ServerOptions options = short_timeouts()) : t(std::move(options)) {
    honest = t.connect(t.secretary);
    posted(*honest, t.sign(t.secretary, {SetRule{"b1", "errand", 60, 0}}));
  }

  SignedEnvelope credit() {
    return t.sign(t.secretary, {Credit{TestStreet::service("v1", 1, kToday, "errand")}});
  }

  // The honest client still gets a proven receipt on its own connection.
  void honest_works() {
    auto result = honest->submit(credit());
    BOOST_REQUIRE_MESSAGE(result.is_ok(), result.status().to_string());
    BOOST_TEST(result->proven);
  }

  ServedStreet t;
  std::unique_ptr<client::Client> honest;
};

bool is_error(const std::optional<RawFrame>& frame, Status::Code code) {
  if (!frame) {
    BOOST_TEST_MESSAGE("no frame came back");
    return false;
  }
  BOOST_TEST_MESSAGE("frame type " << int(frame->type) << ": " << frame->error_message());
  return frame->error_code() == code;
}

// A GetInfo round trip on a raw connection: the connection is still usable.
bool usable(RawPeer& raw, uint32_t id) {
  auto reply = raw.request(MessageType::kGetInfo, id, try_encode(Empty{}).value());
  return reply && reply->id == id && reply->type == reply_type(MessageType::kGetInfo) &&
         decode<LedgerInfo>(reply->body, "info").is_ok();
}

// This process's resident memory (the server runs in it), in KiB.
uint64_t resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

// Raises the open-file limit as far as allowed; returns the soft limit now in force.
rlim_t raise_open_files() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  limit.rlim_cur = limit.rlim_max;
  (void)setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hostile_test)

BOOST_AUTO_TEST_CASE(an_oversize_length_prefix_gets_an_error_and_the_connection_closes) {
  Hostile h;
  {
    RawPeer raw(h.t.port());
    BOOST_REQUIRE(
        raw.send(frame_header(0xFFFFFFF0u, static_cast<uint8_t>(MessageType::kHello), 1)));
    auto reply = raw.read_frame();
    BOOST_TEST(is_error(reply, Status::Code::kResourceExhausted));
    BOOST_TEST(raw.wait_closed());
  }
  {
    // After authentication as well.
    RawPeer raw(h.t.port());
    BOOST_REQUIRE(raw.authenticate(h.t.secretary).is_ok());
    BOOST_REQUIRE(raw.send(
        frame_header(kMaxRequestFrame + 1, static_cast<uint8_t>(MessageType::kSubmit), 5)));
    BOOST_TEST(is_error(raw.read_frame(), Status::Code::kResourceExhausted));
    BOOST_TEST(raw.wait_closed());
  }
  {
    // A length under the header's own size.
    RawPeer raw(h.t.port());
    BOOST_REQUIRE(raw.send(frame_header(2, static_cast<uint8_t>(MessageType::kHello), 1)));
    BOOST_TEST(is_error(raw.read_frame(), Status::Code::kInvalidArgument));
    BOOST_TEST(raw.wait_closed());
  }
  {
    // A frame exactly at the limit is read; its nonsense body is refused and the session goes on.
    RawPeer raw(h.t.port());
    BOOST_REQUIRE(raw.authenticate(h.t.secretary).is_ok());
    std::string body(kMaxRequestFrame - 5, '\x07');
    BOOST_REQUIRE(raw.send_frame(MessageType::kSubmit, 6, body));
    auto reply = raw.read_frame();
    BOOST_TEST(is_error(reply, Status::Code::kInvalidArgument));
    BOOST_TEST((reply && reply->id == 6u));
    BOOST_TEST(usable(raw, 7));
  }
  h.honest_works();
}

BOOST_AUTO_TEST_CASE(a_malformed_hello_is_refused_and_the_connection_closes) {
  Hostile h;
  {
    RawPeer raw(h.t.port());
    BOOST_REQUIRE(raw.send_frame(MessageType::kHello, 1, "\x01\x02\x03"));
    BOOST_TEST(is_error(raw.read_frame(), Status::Code::kInvalidArgument));
    BOOST_TEST(raw.wait_closed());
  }
  {
    RawPeer raw(h.t.port());
    Hello wrong;
    wrong.version = 99;
    BOOST_REQUIRE(raw.send_frame(MessageType::kHello, 1, try_encode(wrong).value()));
    auto reply = raw.read_frame();
    BOOST_TEST(is_error(reply, Status::Code::kInvalidArgument));
    BOOST_TEST((reply && reply->error_message().find("version") != std::string::npos));
    BOOST_TEST(raw.wait_closed());
  }
  {
    RawPeer raw(h.t.port());
    Hello wrong;
    wrong.magic = 0x48545450;  // "HTTP"
    BOOST_REQUIRE(raw.send_frame(MessageType::kHello, 1, try_encode(wrong).value()));
    BOOST_TEST(is_error(raw.read_frame(), Status::Code::kInvalidArgument));
    BOOST_TEST(raw.wait_closed());
  }
  {
    // A good Hello with bytes after it.
    RawPeer raw(h.t.port());
    BOOST_REQUIRE(raw.send_frame(MessageType::kHello, 1, try_encode(Hello{}).value() + "extra"));
    BOOST_TEST(is_error(raw.read_frame(), Status::Code::kInvalidArgument));
    BOOST_TEST(raw.wait_closed());
  }
  {
    // A client name over its limit.
    RawPeer raw(h.t.port());
    std::string body = try_encode(Hello{}).value();
    body.resize(6);  // magic and version
    put_u32_be(body, 100000);
    body += std::string(200, 'a');
    BOOST_REQUIRE(raw.send_frame(MessageType::kHello, 1, body));
    BOOST_TEST(is_error(raw.read_frame(), Status::Code::kInvalidArgument));
    BOOST_TEST(raw.wait_closed());
  }
  {
    // Something that is not our protocol at all.
    RawPeer raw(h.t.port());
    BOOST_REQUIRE(raw.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    BOOST_TEST(raw.wait_closed());
  }
  h.honest_works();
}

BOOST_AUTO_TEST_CASE(a_truncated_frame_then_close_harms_nobody) {
  Hostile h;
  for (int authenticated = 0; authenticated < 2; ++authenticated) {
    RawPeer raw(h.t.port());
    if (authenticated) BOOST_REQUIRE(raw.authenticate(h.t.secretary).is_ok());
    const auto type = authenticated ? MessageType::kSubmit : MessageType::kHello;
    BOOST_REQUIRE(
        raw.send(frame_header(100, static_cast<uint8_t>(type), 3) + std::string(10, 'x')));
    raw.close();
    h.honest_works();
  }
  {
    // A header cut in the middle.
    RawPeer raw(h.t.port());
    BOOST_REQUIRE(raw.send(std::string("\x00\x00", 2)));
    raw.close();
  }
  {
    // A truncated frame, then silence: the frame timeout ends it.
    RawPeer raw(h.t.port());
    BOOST_REQUIRE(raw.authenticate(h.t.secretary).is_ok());
    BOOST_REQUIRE(
        raw.send(frame_header(100, static_cast<uint8_t>(MessageType::kGetInfo), 3) + "abc"));
    BOOST_TEST(raw.wait_closed(5s));
  }
  h.honest_works();
}

BOOST_AUTO_TEST_CASE(random_bytes_are_refused_or_cut_off) {
  Hostile h;
  std::mt19937 random(20261122);
  for (int round = 0; round < 8; ++round) {
    RawPeer raw(h.t.port());
    std::string junk(1 + random() % 2048, '\0');
    for (char& c : junk) c = static_cast<char>(random());
    if (round % 3 == 1) junk[0] = junk[1] = 0;  // a plausible length now and then
    raw.send(junk);                             // the server may close before taking it all
    BOOST_TEST(raw.wait_closed(5s), "round " << round);
  }
  // Random bodies behind good headers, after authentication: every request type answers with
  // the same id and the connection stays usable.
  RawPeer raw(h.t.port());
  BOOST_REQUIRE(raw.authenticate(h.t.secretary).is_ok());
  uint32_t id = 100;
  for (int round = 0; round < 3; ++round) {
    for (uint8_t type = 3; type <= 16; ++type) {
      std::string body(random() % 300, '\0');
      for (char& c : body) c = static_cast<char>(random());
      BOOST_REQUIRE(raw.send_frame(type, ++id, body));
      auto reply = raw.read_frame();
      BOOST_REQUIRE_MESSAGE(reply.has_value(), "type " << int(type) << " got no answer");
      BOOST_TEST(reply->id == id);
      BOOST_TEST((reply->is_error() || reply->type == (type | kReplyBit)));
    }
  }
  BOOST_TEST(usable(raw, 999));
  h.honest_works();
}

BOOST_AUTO_TEST_CASE(a_huge_count_inside_a_valid_submit_body_is_refused) {
  Hostile h;
  RawPeer raw(h.t.port());
  BOOST_REQUIRE(raw.authenticate(h.t.secretary).is_ok());
  const std::string good = try_encode(Submit{h.credit(), true, 0}).value();
  const uint32_t blob = get_u32_be(good);
  // Submit := envelope blob (u32 length + bytes), signature (64), co-signatures (u32 count ...),
  // want_proof, known_size.
  const size_t cosignature_count = 4 + blob + 64;
  BOOST_REQUIRE(get_u32_be(std::string_view(good).substr(cosignature_count)) == 0u);
  {
    std::string body = good;
    body[cosignature_count] = body[cosignature_count + 1] = body[cosignature_count + 2] =
        body[cosignature_count + 3] = '\xFF';
    auto reply = raw.request(MessageType::kSubmit, 10, body);
    BOOST_TEST(is_error(reply, Status::Code::kInvalidArgument));
    BOOST_TEST((reply && reply->id == 10u));
  }
  {
    std::string body = good;
    body[0] = '\x7F';  // an envelope of 2 GiB
    auto reply = raw.request(MessageType::kSubmit, 11, body);
    BOOST_TEST(is_error(reply, Status::Code::kInvalidArgument));
  }
  {
    // A list request asking for four billion rows is answered with one page.
    ListRequest greedy{"", 0, 0xFFFFFFFFu};
    auto reply = raw.request(MessageType::kListRewards, 12, try_encode(greedy).value());
    BOOST_REQUIRE(reply.has_value());
    BOOST_TEST(reply->type == reply_type(MessageType::kListRewards));
    GetEntries many{0, 0xFFFFFFFFu};
    reply = raw.request(MessageType::kGetEntries, 13, try_encode(many).value());
    BOOST_REQUIRE(reply.has_value());
    BOOST_TEST(reply->is_error());  // a branch may not read entries; still an answer, no crash
  }
  BOOST_TEST(usable(raw, 14));

  // Inside the signed envelope: a huge operation count, correctly signed, through the client.
  std::vector<Operation> one{Credit{TestStreet::service("v1", 1, kToday, "errand")}};
  Envelope envelope;
  envelope.ledger = h.t.id;
  envelope.signer = h.t.secretary.public_key();
  envelope.created_ms = h.t.clock.now;
  envelope.ops = one;
  const std::string single = try_encode(envelope).value();
  envelope.ops.push_back(one[0]);
  const std::string twice = try_encode(envelope).value();
  const size_t count_at = single.size() - (twice.size() - single.size()) - 4;
  BOOST_REQUIRE(get_u32_be(std::string_view(single).substr(count_at)) == 1u);
  SignedEnvelope hostile;
  hostile.envelope =
      single.substr(0, count_at) + std::string("\xFF\xFF\xFF\xF0", 4) + single.substr(count_at + 4);
  hostile.signature = h.t.secretary.sign(hostile.envelope);
  BOOST_TEST(refused_with(h.honest->submit(hostile), Status::Code::kInvalidArgument));
  h.honest_works();
}

BOOST_AUTO_TEST_CASE(requests_before_authentication_are_refused) {
  Hostile h;
  {
    RawPeer raw(h.t.port());
    auto reply = raw.request(MessageType::kGetInfo, 1, try_encode(Empty{}).value());
    BOOST_TEST(is_error(reply, Status::Code::kInvalidArgument));
    BOOST_TEST((reply && reply->error_message().find("Hello") != std::string::npos));
    BOOST_TEST(raw.wait_closed());
  }
  {
    RawPeer raw(h.t.port());
    BOOST_REQUIRE(raw.hello().is_ok());
    auto reply = raw.request(MessageType::kGetInfo, 2, try_encode(Empty{}).value());
    BOOST_TEST(is_error(reply, Status::Code::kUnauthenticated));
    BOOST_TEST(raw.wait_closed());
  }
  {
    // A submit is no way in either, even of a well-signed envelope.
    RawPeer raw(h.t.port());
    BOOST_REQUIRE(raw.hello().is_ok());
    const uint64_t size = h.t.ledger->info().size;
    auto reply =
        raw.request(MessageType::kSubmit, 2, try_encode(Submit{h.credit(), false, 0}).value());
    BOOST_TEST(is_error(reply, Status::Code::kUnauthenticated));
    BOOST_TEST(raw.wait_closed());
    BOOST_TEST(h.t.ledger->info().size == size);
  }
  {
    // Authenticate twice.
    RawPeer raw(h.t.port());
    BOOST_REQUIRE(raw.authenticate(h.t.secretary).is_ok());
    Authenticate again{h.t.admin.public_key(), h.t.admin.sign("anything")};
    auto reply = raw.request(MessageType::kAuthenticate, 3, try_encode(again).value());
    BOOST_TEST(is_error(reply, Status::Code::kInvalidArgument));
    BOOST_TEST(usable(raw, 4));
  }
  h.honest_works();
}

BOOST_AUTO_TEST_CASE(
    an_unknown_message_type_after_authentication_gets_an_error_and_the_session_goes_on) {
  Hostile h;
  RawPeer raw(h.t.port());
  BOOST_REQUIRE(raw.authenticate(h.t.secretary).is_ok());
  uint32_t id = 10;
  for (uint8_t type : {uint8_t{0x42}, uint8_t{0}, uint8_t{18}, reply_type(MessageType::kGetInfo),
                       uint8_t{0xFF}, static_cast<uint8_t>(MessageType::kHello)}) {
    auto reply = raw.request(type, ++id, "");
    BOOST_TEST(is_error(reply, Status::Code::kInvalidArgument), "type " << int(type));
    BOOST_TEST((reply && reply->id == id));
    BOOST_TEST(usable(raw, 1000 + id), "after type " << int(type));
  }
  h.honest_works();
}

BOOST_AUTO_TEST_CASE(a_peer_over_the_in_flight_limit_gets_resource_exhausted) {
  auto options = short_timeouts();
  options.max_in_flight_per_connection = 2;
  Hostile h(options);
  RawPeer raw(h.t.port());
  BOOST_REQUIRE(raw.authenticate(h.t.secretary).is_ok());
  BOOST_TEST(raw.hello_reply().max_in_flight == 2u);
  constexpr uint32_t kRequests = 64;
  std::string burst;
  for (uint32_t i = 0; i < kRequests; ++i) {
    burst +=
        frame_bytes(MessageType::kGetEntries, 100 + i, try_encode(GetEntries{0, 1000}).value());
  }
  // Submits too: they hold their slot until the group is written.
  for (uint32_t i = 0; i < 8; ++i) {
    burst +=
        frame_bytes(MessageType::kSubmit, 500 + i, try_encode(Submit{h.credit(), true, 0}).value());
  }
  BOOST_REQUIRE(raw.send(burst));
  std::set<uint32_t> answered;
  int exhausted = 0, other = 0;
  for (uint32_t i = 0; i < kRequests + 8; ++i) {
    auto reply = raw.read_frame();
    BOOST_REQUIRE_MESSAGE(reply.has_value(), "only " << i << " replies");
    answered.insert(reply->id);
    if (reply->error_code() == Status::Code::kResourceExhausted) {
      ++exhausted;
      BOOST_TEST(reply->error_message().find("in flight") != std::string::npos);
    } else {
      ++other;
    }
  }
  BOOST_TEST(answered.size() == kRequests + 8);
  BOOST_TEST(exhausted > 0);
  BOOST_TEST(other >= 2);
  BOOST_TEST(usable(raw, 9999));
  h.honest_works();
}

BOOST_AUTO_TEST_CASE(slow_peers_are_disconnected) {
  Hostile h;
  {
    // Connects and says nothing.
    RawPeer raw(h.t.port());
    BOOST_TEST(raw.wait_closed(5s));
  }
  {
    // Sends a Hello header and never the body.
    RawPeer raw(h.t.port());
    BOOST_REQUIRE(raw.send(frame_header(20, static_cast<uint8_t>(MessageType::kHello), 1)));
    BOOST_TEST(raw.wait_closed(5s));
  }
  {
    // Says Hello and never authenticates.
    RawPeer raw(h.t.port());
    BOOST_REQUIRE(raw.hello().is_ok());
    BOOST_TEST(raw.wait_closed(5s));
  }
  auto dribble = [&](RawPeer& raw, const std::string& frame) {
    // One byte every 50 ms: the whole frame would take far longer than the frame timeout.
    for (char byte : frame) {
      if (!raw.send(std::string(1, byte), 1s)) return true;
      if (raw.wait_closed(50ms)) return true;
    }
    return raw.wait_closed(5s);
  };
  {
    RawPeer raw(h.t.port());
    Hello greeting;
    greeting.client = std::string(100, 's');
    BOOST_TEST(dribble(raw, frame_bytes(MessageType::kHello, 1, try_encode(greeting).value())));
  }
  {
    RawPeer raw(h.t.port());
    BOOST_REQUIRE(raw.authenticate(h.t.secretary).is_ok());
    BOOST_TEST(dribble(raw, frame_bytes(MessageType::kSubmit, 3,
                                        try_encode(Submit{h.credit(), true, 0}).value())));
  }
  h.honest_works();
}

BOOST_AUTO_TEST_CASE(an_idle_session_is_closed_and_a_client_reconnects_to_submit) {
  auto options = short_timeouts();
  options.idle_timeout = 400ms;
  Hostile h(options);
  RawPeer raw(h.t.port());
  BOOST_REQUIRE(raw.authenticate(h.t.secretary).is_ok());
  BOOST_TEST(raw.wait_closed(5s));
  // The honest client has been idle longer (its last request came before the raw peer's
  // Authenticate), so its session was closed first; its next submit reconnects.
  std::this_thread::sleep_for(50ms);
  h.honest_works();
}

BOOST_AUTO_TEST_CASE(a_peer_that_never_reads_its_replies_is_cut_off) {
  auto options = short_timeouts();
  options.write_timeout = 300ms;
  options.max_outbox_bytes = 256 * 1024;
  Hostile h(options);
  // Some entries, so that each GetEntries reply is a few kilobytes.
  for (int i = 0; i < 20; ++i) posted(*h.honest, h.credit());

  RawPeer raw(h.t.port());
  BOOST_REQUIRE(raw.authenticate(h.t.admin).is_ok());
  std::string burst;
  for (uint32_t i = 0; i < 200; ++i) {
    burst += frame_bytes(MessageType::kGetEntries, i, try_encode(GetEntries{0, 1000}).value());
  }
  bool refused = false;
  for (int round = 0; round < 200 && !refused; ++round) {
    refused = !raw.send(burst, 2s);
    std::this_thread::sleep_for(5ms);
  }
  BOOST_TEST(raw.wait_closed(10s));
  h.honest_works();
}

BOOST_AUTO_TEST_CASE(an_honest_client_keeps_getting_receipts_while_peers_misbehave) {
  Hostile h;
  std::atomic<bool> stop{false};
  std::vector<SignedEnvelope> envelopes;
  for (int i = 0; i < 400; ++i) envelopes.push_back(h.credit());
  std::vector<Result<client::SubmitResult>> results;
  std::atomic<size_t> answered{0};
  std::thread honest([&] {
    for (size_t i = 0; i < envelopes.size() && !stop; ++i) {
      results.push_back(h.honest->submit(envelopes[i]));
      ++answered;
    }
  });
  std::mt19937 random(7);
  // Misbehave until the honest client has had a good number of receipts meanwhile.
  for (int round = 0; round < 3000 && (round < 20 || answered < 30); ++round) {
    RawPeer raw(h.t.port());
    switch (round % 5) {
      case 0:
        raw.send(frame_header(0xFFFFFFFFu, 1, 1));
        break;
      case 1:
        raw.send(frame_header(100, 1, 1) + "abc");
        break;
      case 2: {
        std::string junk(512, '\0');
        for (char& c : junk) c = static_cast<char>(random());
        raw.send(junk);
        break;
      }
      case 3:
        if (raw.authenticate(h.t.admin).is_ok()) raw.send_frame(uint8_t{0x55}, 1, "??");
        break;
      case 4:
        break;  // connects and says nothing
    }
    if (round % 2 == 0) raw.reset();
  }
  stop = true;
  honest.join();
  BOOST_TEST(results.size() >= 30u);
  for (auto& r : results) {
    BOOST_TEST_REQUIRE(r.is_ok(), r.status().to_string());
    BOOST_TEST(r->proven);
  }
}

BOOST_AUTO_TEST_CASE(connections_over_the_cap_are_refused_and_existing_ones_keep_working) {
  server::ServerOptions options;  // long timeouts: the raw peers stay
  options.max_connections = 4;
  Hostile h(options);  // the honest client is connection 1
  std::vector<std::unique_ptr<RawPeer>> peers;
  for (int i = 0; i < 3; ++i) {
    peers.push_back(std::make_unique<RawPeer>(h.t.port()));
    BOOST_REQUIRE(peers.back()->authenticate(h.t.admin).is_ok());
  }
  {
    RawPeer fifth(h.t.port());
    auto reply = fifth.read_frame();
    BOOST_TEST(is_error(reply, Status::Code::kResourceExhausted));
    BOOST_TEST((reply && reply->id == 0u));
    BOOST_TEST(fifth.wait_closed());
  }
  auto refused = client::Client::connect(h.t.client_options(h.t.council));
  BOOST_TEST(refused_with(refused, Status::Code::kResourceExhausted, "too many connections"));
  h.honest_works();
  for (auto& peer : peers) BOOST_TEST(usable(*peer, 77));

  // A place frees up when a peer leaves.
  peers.pop_back();
  Result<std::unique_ptr<client::Client>> next = unavailable("not tried");
  for (int attempt = 0; attempt < 100 && !next.is_ok(); ++attempt) {
    next = client::Client::connect(h.t.client_options(h.t.council));
    if (!next.is_ok()) std::this_thread::sleep_for(20ms);
  }
  BOOST_REQUIRE_MESSAGE(next.is_ok(), next.status().to_string());
  BOOST_TEST((*next)->info().is_ok());
  h.honest_works();
}

BOOST_AUTO_TEST_CASE(a_flood_of_invalid_signatures_is_refused_and_records_nothing) {
  Hostile h;
  auto attacker = h.t.connect(h.t.council);
  const uint64_t before = h.honest->info()->size;
  std::vector<SignedEnvelope> forged;
  for (int i = 0; i < 500; ++i) {
    SignedEnvelope e = h.credit();
    e.signature[static_cast<size_t>(i) % e.signature.size()] ^= 0x01;
    forged.push_back(std::move(e));
  }
  std::vector<Result<client::SubmitResult>> refused;
  std::thread flood([&] { refused = attacker->submit_all(forged); });
  for (int i = 0; i < 20; ++i) h.honest_works();
  flood.join();
  BOOST_TEST(refused.size() == forged.size());
  for (const auto& r : refused) {
    BOOST_TEST(refused_with(r, Status::Code::kUnauthenticated, "signature does not match"));
  }
  // Only the honest client's 20 credits were recorded, and the attacker's session still works.
  BOOST_TEST(h.honest->info()->size == before + 20);
  BOOST_TEST(attacker->info().is_ok());
}

BOOST_AUTO_TEST_CASE(thousands_of_idle_connections_cost_little_and_stop_nobody) {
  const rlim_t files = raise_open_files();
  // Both ends of every connection live in this process.
  const size_t wanted = 2000;
  const size_t count = std::min<size_t>(wanted, files > 200 ? (files - 200) / 2 : 0);
  if (count < wanted)
    BOOST_TEST_MESSAGE("open-file limit " << files << ": " << count << " connections");
  BOOST_REQUIRE(count >= 100);
  server::ServerOptions options;  // the default handshake timeout keeps them for 10 s
  options.max_connections = count + 8;
  Hostile h(options);
  h.honest_works();
  const uint64_t rss_before = resident_kib();
  std::vector<std::unique_ptr<RawPeer>> idle;
  for (size_t i = 0; i < count; ++i) {
    idle.push_back(std::make_unique<RawPeer>(h.t.port()));
    BOOST_REQUIRE(idle.back()->connected());
  }
  for (int i = 0; i < 10; ++i) h.honest_works();
  const uint64_t grown = resident_kib() - std::min(rss_before, resident_kib());
  // The silent peers are kept, not dropped: a sample of them can still open a session.
  for (size_t i = 0; i < count; i += count / 10)
    BOOST_TEST(idle[i]->authenticate(h.t.admin).is_ok());
  BOOST_TEST_MESSAGE(count << " idle connections: resident memory grew by " << grown << " KiB");
  // A session that has not said anything must not hold large buffers: well under 256 KiB each
  // (both ends and the test's own bookkeeping included).
  BOOST_TEST(grown < count * 256);
  idle.clear();
  h.honest_works();
}

BOOST_AUTO_TEST_SUITE_END()
