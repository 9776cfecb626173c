// Who may read what over the wire: a volunteer its own passbook, a branch its own volunteers, a
// merchant its own sales, an auditor (and admin) everything; unknown keys cannot open a session
// and a key revoked during a session loses access on its next request.
#include <boost/test/unit_test.hpp>

#include "server/raw_peer.h"
#include "server/server_fixture.h"
#include "server/wire_checks.h"

using namespace passbook;
using namespace passbook::schemas;
using namespace passbook::testing;

namespace {

// ServedStreet plus: volunteers v3 and v4 of b1 with their own keys, branch b2 with volunteer w1,
// a second merchant "cafe", an auditor; some points moved so every account has a history.
struct ScopedStreet {
  ScopedStreet() {
    auto admin = t.connect(t.admin);
    posted(*admin, t.sign(t.admin, {RegisterActor{auditor.public_key(), Role::kAuditor, "", "auditor"},
                                    RegisterActor{branch2.public_key(), Role::kBranch, "b2", "b2 secretary"},
                                    RegisterActor{cafe.public_key(), Role::kMerchant, "cafe", "the cafe"}}));
    auto secretary = t.connect(t.secretary);
    posted(*secretary, t.sign(t.secretary, {OpenAccount{"v3", std::nullopt, v3.public_key()},
                                            OpenAccount{"v4", std::nullopt, v4.public_key()},
                                            Credit{TestStreet::service("v1", 180)},
                                            Credit{TestStreet::service("v1", 180, ago(2))},
                                            Credit{TestStreet::service("v3", 180)},
                                            Credit{TestStreet::service("v4", 180)}}));
    auto b2 = t.connect(branch2);
    posted(*b2, t.sign(branch2, {OpenAccount{"w1", std::nullopt, std::nullopt}, Credit{TestStreet::service("w1", 180)},
                                 Claim{TestStreet::service("w1", 60, ago(1))}}));
    posted(*secretary, t.sign(t.secretary, {Claim{TestStreet::service("v1", 60, ago(1))}}));
    auto merchant = t.connect(t.merchant);
    posted(*merchant, t.sign(t.merchant, {Reserve{"v1", "dumplings", 1}}));
    auto cafe_client = t.connect(cafe);
    posted(*cafe_client, t.sign(cafe, {ListReward{"coffee", "a coffee", 10, 10, 0, LimitPeriod::kEver}}));
    posted(*cafe_client, t.sign(cafe, {Redeem{"w1", "coffee", 1}, Reserve{"w1", "coffee", 1}}));
  }
  ServedStreet t;
  proof::SigningKey auditor = make_key();
  proof::SigningKey branch2 = make_key();
  proof::SigningKey cafe = make_key();
  proof::SigningKey v3 = make_key();
  proof::SigningKey v4 = make_key();
};

constexpr auto kDenied = Status::Code::kPermissionDenied;

}  // namespace

BOOST_AUTO_TEST_SUITE(scope_test)

BOOST_AUTO_TEST_CASE(a_volunteer_reads_its_own_passbook_and_nobody_elses) {
  ScopedStreet s;
  auto v3 = s.t.connect(s.v3);
  BOOST_TEST(v3->session().role == Role::kVolunteer);
  auto own = v3->account(AccountKind::kVolunteer, "v3");
  BOOST_REQUIRE_MESSAGE(own.is_ok(), own.status().to_string());
  BOOST_TEST(own->available == 36);
  auto history = v3->history(AccountKind::kVolunteer, "v3");
  BOOST_REQUIRE(history.is_ok());
  BOOST_TEST(history->size() == 1u);

  BOOST_TEST(refused_with(v3->account(AccountKind::kVolunteer, "v4"), kDenied, "another volunteer"));
  BOOST_TEST(refused_with(v3->history(AccountKind::kVolunteer, "v4"), kDenied));
  BOOST_TEST(refused_with(v3->account(AccountKind::kVolunteer, "v1"), kDenied));
  BOOST_TEST(refused_with(v3->history(AccountKind::kVolunteer, "w1"), kDenied));
  BOOST_TEST(refused_with(v3->account(AccountKind::kBranch, "b1"), kDenied));
  BOOST_TEST(refused_with(v3->account(AccountKind::kMerchant, "shop"), kDenied));
  BOOST_TEST(refused_with(v3->account(AccountKind::kSystem, "held"), kDenied));
  // Asking about an account that does not exist reveals nothing either.
  BOOST_TEST(refused_with(v3->account(AccountKind::kVolunteer, "nobody"), kDenied));
  BOOST_TEST(refused_with(v3->accounts(""), kDenied));
  BOOST_TEST(refused_with(v3->claims(""), kDenied));
  BOOST_TEST(refused_with(v3->reservations(""), kDenied));
  BOOST_TEST(refused_with(v3->actors(), kDenied));
  BOOST_TEST(refused_with(v3->entries(0, 10), kDenied));
  // What is public to every session: the catalogue, the rules, checkpoints and proofs.
  BOOST_TEST(v3->rewards("").is_ok());
  BOOST_TEST(v3->rules().is_ok());
  BOOST_TEST(v3->refresh().is_ok());
  // The other volunteer's key reads its own and is refused v3's.
  auto v4 = s.t.connect(s.v4);
  BOOST_TEST(v4->account(AccountKind::kVolunteer, "v4").is_ok());
  BOOST_TEST(refused_with(v4->history(AccountKind::kVolunteer, "v3"), kDenied));
}

BOOST_AUTO_TEST_CASE(a_branch_reads_only_its_own_volunteers) {
  ScopedStreet s;
  auto b1 = s.t.connect(s.t.secretary);
  auto b2 = s.t.connect(s.branch2);
  for (const char* volunteer : {"v1", "v2", "v3", "v4"}) {
    BOOST_TEST(b1->account(AccountKind::kVolunteer, volunteer).is_ok());
    BOOST_TEST(b1->history(AccountKind::kVolunteer, volunteer).is_ok());
    BOOST_TEST(refused_with(b2->account(AccountKind::kVolunteer, volunteer), kDenied));
    BOOST_TEST(refused_with(b2->history(AccountKind::kVolunteer, volunteer), kDenied));
  }
  BOOST_TEST(b2->account(AccountKind::kVolunteer, "w1").is_ok());
  BOOST_TEST(refused_with(b1->account(AccountKind::kVolunteer, "w1"), kDenied));
  BOOST_TEST(refused_with(b1->history(AccountKind::kVolunteer, "w1"), kDenied));
  // Its own issuing account, not the other branch's.
  BOOST_TEST(b1->account(AccountKind::kBranch, "b1").is_ok());
  BOOST_TEST(refused_with(b1->account(AccountKind::kBranch, "b2"), kDenied));
  BOOST_TEST(refused_with(b1->account(AccountKind::kMerchant, "shop"), kDenied));

  // Lists: its own accounts and claims only, whatever filter it asks for.
  auto accounts = b1->accounts("");
  BOOST_REQUIRE_MESSAGE(accounts.is_ok(), accounts.status().to_string());
  BOOST_TEST(accounts->size() == 4u);
  for (const auto& a : *accounts) BOOST_TEST(a.branch == "b1");
  BOOST_TEST(b1->accounts("b1").is_ok());
  BOOST_TEST(refused_with(b1->accounts("b2"), kDenied));
  auto theirs = b2->accounts("");
  BOOST_REQUIRE(theirs.is_ok());
  BOOST_TEST(theirs->size() == 1u);
  auto claims = b1->claims("");
  BOOST_REQUIRE(claims.is_ok());
  BOOST_TEST(claims->size() == 1u);
  for (const auto& c : *claims) BOOST_TEST(c.branch == "b1");
  BOOST_TEST(refused_with(b2->claims("b1"), kDenied));
  BOOST_TEST(refused_with(b1->reservations(""), kDenied));
  BOOST_TEST(refused_with(b1->actors(), kDenied));
  BOOST_TEST(refused_with(b1->entries(0, 1), kDenied));
}

BOOST_AUTO_TEST_CASE(a_merchant_reads_only_its_own_account) {
  ScopedStreet s;
  auto shop = s.t.connect(s.t.merchant);
  auto cafe = s.t.connect(s.cafe);
  BOOST_TEST(shop->account(AccountKind::kMerchant, "shop").is_ok());
  auto cafe_account = cafe->account(AccountKind::kMerchant, "cafe");
  BOOST_REQUIRE(cafe_account.is_ok());
  BOOST_TEST(cafe_account->available == 10);
  BOOST_TEST(refused_with(shop->account(AccountKind::kMerchant, "cafe"), kDenied));
  BOOST_TEST(refused_with(cafe->history(AccountKind::kMerchant, "shop"), kDenied));
  BOOST_TEST(cafe->history(AccountKind::kMerchant, "cafe").is_ok());
  BOOST_TEST(refused_with(shop->account(AccountKind::kVolunteer, "v1"), kDenied));
  BOOST_TEST(refused_with(shop->history(AccountKind::kVolunteer, "v1"), kDenied));
  BOOST_TEST(refused_with(shop->account(AccountKind::kBranch, "b1"), kDenied));
  auto reservations = shop->reservations("");
  BOOST_REQUIRE_MESSAGE(reservations.is_ok(), reservations.status().to_string());
  BOOST_TEST(reservations->size() == 1u);
  for (const auto& r : *reservations) BOOST_TEST(r.merchant == "shop");
  BOOST_TEST(refused_with(shop->reservations("cafe"), kDenied));
  BOOST_TEST(refused_with(shop->accounts(""), kDenied));
  BOOST_TEST(refused_with(shop->claims(""), kDenied));
  BOOST_TEST(refused_with(shop->actors(), kDenied));
  BOOST_TEST(refused_with(shop->entries(0, 1), kDenied));
  // Every merchant's catalogue is public.
  auto rewards = shop->rewards("");
  BOOST_REQUIRE(rewards.is_ok());
  BOOST_TEST(rewards->size() == 3u);
}

BOOST_AUTO_TEST_CASE(an_auditor_and_the_admin_read_everything) {
  ScopedStreet s;
  for (const proof::SigningKey* key : {&s.auditor, &s.t.admin}) {
    auto c = s.t.connect(*key);
    for (const char* volunteer : {"v1", "v3", "w1"}) {
      BOOST_TEST(c->account(AccountKind::kVolunteer, volunteer).is_ok());
      BOOST_TEST(c->history(AccountKind::kVolunteer, volunteer).is_ok());
    }
    BOOST_TEST(c->account(AccountKind::kBranch, "b2").is_ok());
    BOOST_TEST(c->account(AccountKind::kMerchant, "cafe").is_ok());
    BOOST_TEST(c->account(AccountKind::kSystem, "held").is_ok());
    auto accounts = c->accounts("");
    BOOST_REQUIRE(accounts.is_ok());
    BOOST_TEST(accounts->size() == 5u);
    BOOST_TEST(c->accounts("b2")->size() == 1u);
    BOOST_TEST(c->claims("")->size() == 2u);
    BOOST_TEST(c->reservations("")->size() == 2u);
    auto actors = c->actors();
    BOOST_REQUIRE_MESSAGE(actors.is_ok(), actors.status().to_string());
    BOOST_TEST(actors->size() == 9u);
    auto size = c->info()->size;
    auto entries = c->entries(0, static_cast<uint32_t>(size));
    BOOST_REQUIRE_MESSAGE(entries.is_ok(), entries.status().to_string());
    BOOST_TEST(entries->size() == size);
  }
}

BOOST_AUTO_TEST_CASE(an_unregistered_key_cannot_open_a_session) {
  ServedStreet t;
  auto stranger = make_key();
  auto refused = client::Client::connect(t.client_options(stranger));
  BOOST_TEST(refused_with(refused, Status::Code::kUnauthenticated, "not registered"));
  // A raw peer that signs the challenge with one key and claims another is refused too.
  RawPeer raw(t.port());
  auto greeting = raw.hello();
  BOOST_REQUIRE(greeting.is_ok());
  Authenticate lie{t.admin.public_key(), stranger.sign(auth_message(greeting->ledger, greeting->challenge))};
  auto reply = raw.request(MessageType::kAuthenticate, 2, try_encode(lie).value());
  BOOST_REQUIRE(reply.has_value());
  BOOST_TEST(reply->error_code() == Status::Code::kUnauthenticated);
  BOOST_TEST(raw.wait_closed());
  // A signature over another session's challenge is no good either.
  RawPeer first(t.port());
  auto first_hello = first.hello();
  BOOST_REQUIRE(first_hello.is_ok());
  RawPeer second(t.port());
  auto second_hello = second.hello();
  BOOST_REQUIRE(second_hello.is_ok());
  BOOST_TEST((first_hello->challenge != second_hello->challenge));
  Authenticate replayed{t.admin.public_key(), t.admin.sign(auth_message(first_hello->ledger, first_hello->challenge))};
  reply = second.request(MessageType::kAuthenticate, 2, try_encode(replayed).value());
  BOOST_REQUIRE(reply.has_value());
  BOOST_TEST(reply->error_code() == Status::Code::kUnauthenticated);
}

BOOST_AUTO_TEST_CASE(a_key_revoked_during_a_session_loses_access_on_its_next_request) {
  ScopedStreet s;
  auto v3 = s.t.connect(s.v3);
  auto shop = s.t.connect(s.t.merchant);
  BOOST_TEST(v3->account(AccountKind::kVolunteer, "v3").is_ok());
  BOOST_TEST(shop->account(AccountKind::kMerchant, "shop").is_ok());
  auto admin = s.t.connect(s.t.admin);
  posted(*admin, s.t.sign(s.t.admin, {RevokeActor{s.v3.public_key(), "lost phone"},
                                      RevokeActor{s.t.merchant.public_key(), "closed"}}));
  BOOST_TEST(refused_with(v3->account(AccountKind::kVolunteer, "v3"), Status::Code::kUnauthenticated, "revoked"));
  BOOST_TEST(refused_with(v3->rewards(""), Status::Code::kUnauthenticated));
  BOOST_TEST(refused_with(shop->account(AccountKind::kMerchant, "shop"), Status::Code::kUnauthenticated));
  // A new session with the revoked key is refused at once.
  BOOST_TEST(refused_with(client::Client::connect(s.t.client_options(s.v3)), Status::Code::kUnauthenticated, "revoked"));
  // Others are unaffected.
  BOOST_TEST(admin->account(AccountKind::kVolunteer, "v3").is_ok());
}

// A submit is a request too: a session whose key was revoked may not go on feeding envelopes in,
// not even envelopes signed by keys that are still good.
BOOST_AUTO_TEST_CASE(a_revoked_session_cannot_submit_either) {
  ScopedStreet s;
  auto v3 = s.t.connect(s.v3);
  auto admin = s.t.connect(s.t.admin);
  posted(*admin, s.t.sign(s.t.admin, {RevokeActor{s.v3.public_key(), "lost phone"}}));
  const uint64_t size = admin->info()->size;
  auto relayed = v3->submit(s.t.sign(s.t.secretary, {Credit{TestStreet::service("v1", 10, ago(5))}}));
  BOOST_TEST(refused_with(relayed, Status::Code::kUnauthenticated));
  BOOST_TEST(admin->info()->size == size);
}

BOOST_AUTO_TEST_SUITE_END()
