// passbookd end to end: every request through the wire on a loopback port.
#include <boost/test/unit_test.hpp>

#include "server/server_fixture.h"

// The request handler is the server's own; what it answers for a ledger that cannot be read.
#include "../../server/src/request_handler.h"

using namespace passbook;
using namespace passbook::schemas;
using namespace passbook::testing;

BOOST_AUTO_TEST_SUITE(server_test)

BOOST_AUTO_TEST_CASE(a_credit_through_the_wire_comes_back_with_a_proven_receipt) {
  ServedStreet t;
  auto client = t.connect(t.secretary);
  BOOST_TEST(client->session().scope == "b1");
  auto result = client->submit(t.sign(t.secretary, {Credit{TestStreet::service("v1", 60)}}));
  BOOST_REQUIRE_MESSAGE(result.is_ok(), result.status().to_string());
  BOOST_TEST(result->proven);
  BOOST_TEST(!result->duplicate);
  BOOST_TEST(result->receipt.seq == 4u);
  BOOST_TEST(client->trusted().size == 5u);
  auto account = client->account(AccountKind::kVolunteer, "v1");
  BOOST_REQUIRE(account.is_ok());
  BOOST_TEST(account->available == 12);
}

BOOST_AUTO_TEST_CASE(a_ledger_that_cannot_be_read_is_never_answered_as_empty_or_as_a_revoked_key) {
  // After close (or a recover() whose reopen failed) there is no state to answer from: a query
  // must say so, not answer an empty ledger, and not tell the user their key was revoked.
  TestStreet t;
  const server::Principal admin{t.admin.public_key(), Role::kAdmin, "", "street office"};
  auto answered = server::handle_request(*t.ledger, admin, MessageType::kGetInfo, "");
  BOOST_REQUIRE_MESSAGE(answered.is_ok(), answered.status().to_string());
  BOOST_REQUIRE(t.ledger->close().is_ok());
  for (const auto type :
       {MessageType::kGetInfo, MessageType::kListActors, MessageType::kListRules}) {
    ListRequest list;
    const std::string body = type == MessageType::kGetInfo ? "" : try_encode(list).value();
    auto refused = server::handle_request(*t.ledger, admin, type, body);
    BOOST_CHECK_MESSAGE(refused.status().code() == Status::Code::kUnavailable,
                        refused.status().to_string());
  }
}

BOOST_AUTO_TEST_SUITE_END()
