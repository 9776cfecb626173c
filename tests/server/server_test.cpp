// passbookd end to end: every request through the wire on a loopback port.
#include <boost/test/unit_test.hpp>

#include "server/server_fixture.h"

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

BOOST_AUTO_TEST_SUITE_END()
