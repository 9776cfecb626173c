// TLS 1.3: a throwaway self-signed certificate for localhost made with the openssl command at test
// time, a server that uses it, clients that check it; plain TCP only on loopback.
#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "server/raw_peer.h"
#include "server/server_fixture.h"
#include "server/wire_checks.h"

using namespace passbook;
using namespace passbook::schemas;
using namespace passbook::testing;
using namespace std::chrono_literals;

namespace {

int shell(const std::string& command) {
  BOOST_TEST_MESSAGE("$ " << command);
  return std::system(command.c_str());
}

// A self-signed Ed25519 certificate and its key, valid for one day.
struct Certificate {
  explicit Certificate(const std::string& name, const std::string& alt = "DNS:localhost,IP:127.0.0.1") {
    cert = dir.path() / "cert.pem";
    key = dir.path() / "key.pem";
    const int status = shell("openssl req -x509 -newkey ed25519 -keyout " + key.string() + " -out " + cert.string() +
                             " -subj /CN=" + name + " -addext subjectAltName=" + alt + " -days 1 -nodes 2>/dev/null");
    BOOST_REQUIRE_MESSAGE(status == 0 && std::filesystem::exists(cert), "openssl could not make a certificate");
  }
  TempDir dir;
  std::filesystem::path cert, key;
};

server::ServerOptions tls_options(const Certificate& c) {
  server::ServerOptions o;
  o.tls_cert = c.cert;
  o.tls_key = c.key;
  o.handshake_timeout = 300ms;
  return o;
}

client::ClientOptions tls_client(ServedStreet& t, const proof::SigningKey& key, const Certificate& ca,
                                 const std::string& host = "localhost") {
  auto o = t.client_options(key);
  o.tls = true;
  o.tls_ca = ca.cert;
  o.host = host;
  o.timeout = 5s;
  o.max_attempts = 1;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls_test)

BOOST_AUTO_TEST_CASE(a_tls_client_gets_a_proven_receipt) {
  Certificate certificate("localhost");
  ServedStreet t(tls_options(certificate));
  for (const char* host : {"localhost", "127.0.0.1"}) {
    auto c = client::Client::connect(tls_client(t, t.secretary, certificate, host));
    BOOST_REQUIRE_MESSAGE(c.is_ok(), host << ": " << c.status().to_string());
    BOOST_TEST((*c)->session().scope == "b1");
    auto result = (*c)->submit(t.sign(t.secretary, {Credit{TestStreet::service(host[0] == 'l' ? "v1" : "v2", 60)}}));
    BOOST_REQUIRE_MESSAGE(result.is_ok(), result.status().to_string());
    BOOST_TEST(result->proven);
    auto account = (*c)->account(AccountKind::kVolunteer, "v1");
    BOOST_REQUIRE(account.is_ok());
    BOOST_TEST(account->available == 12);
  }
}

BOOST_AUTO_TEST_CASE(clients_that_do_not_speak_the_right_tls_fail_cleanly) {
  Certificate certificate("localhost");
  ServedStreet t(tls_options(certificate));

  // Plain TCP against the TLS server.
  auto plain = t.client_options(t.secretary);
  plain.timeout = 3s;
  plain.max_attempts = 1;
  auto refused = client::Client::connect(plain);
  BOOST_TEST(!refused.is_ok());
  if (!refused.is_ok()) BOOST_TEST_MESSAGE(refused.status().to_string());

  // A certificate from an authority the client does not trust.
  Certificate stranger("localhost");
  BOOST_TEST(refused_with(client::Client::connect(tls_client(t, t.secretary, stranger)), Status::Code::kUnavailable,
                          "TLS handshake"));

  // The right authority, the wrong name.
  Certificate misnamed("wrong.example", "DNS:wrong.example");
  ServedStreet other(tls_options(misnamed));
  BOOST_TEST(refused_with(client::Client::connect(tls_client(other, other.secretary, misnamed)),
                          Status::Code::kUnavailable, "TLS handshake"));

  // A peer that opens TCP and never starts TLS is cut off after the handshake timeout.
  RawPeer silent(t.port());
  BOOST_TEST(silent.wait_closed(5s));

  // TLS 1.2 is refused; TLS 1.3 is spoken.
  const std::string s_client = "openssl s_client -connect 127.0.0.1:" + std::to_string(t.port()) +
                               " -CAfile " + certificate.cert.string() + " </dev/null >/dev/null 2>&1";
  BOOST_TEST(shell(s_client + " -tls1_3") == 0);
  BOOST_TEST(shell(s_client + " -tls1_2") != 0);

  // Through all that, a good client is served.
  auto c = client::Client::connect(tls_client(t, t.secretary, certificate));
  BOOST_REQUIRE_MESSAGE(c.is_ok(), c.status().to_string());
  auto result = (*c)->submit(t.sign(t.secretary, {Credit{TestStreet::service("v1", 60)}}));
  BOOST_REQUIRE_MESSAGE(result.is_ok(), result.status().to_string());
  BOOST_TEST(result->proven);
}

BOOST_AUTO_TEST_CASE(a_tls_client_against_a_plain_server_fails_cleanly) {
  ServedStreet t;
  Certificate certificate("localhost");
  BOOST_TEST(refused_with(client::Client::connect(tls_client(t, t.secretary, certificate)), Status::Code::kUnavailable));
  // The plain server goes on serving plain clients.
  auto c = t.connect(t.secretary);
  BOOST_TEST(c->info().is_ok());
}

BOOST_AUTO_TEST_CASE(plain_tcp_is_refused_off_loopback) {
  TestStreet t;
  for (const char* address : {"0.0.0.0", "::", "192.0.2.1"}) {
    server::ServerOptions options;
    options.listen_address = address;
    options.port = 0;
    auto refused = server::Server::create(*t.ledger, options);
    BOOST_TEST(refused_with(refused, Status::Code::kInvalidArgument, "--tls-cert"), address);
  }
  BOOST_TEST(server::is_loopback("127.0.0.1"));
  BOOST_TEST(server::is_loopback("127.3.2.1"));
  BOOST_TEST(server::is_loopback("::1"));
  BOOST_TEST(!server::is_loopback("0.0.0.0"));
  BOOST_TEST(!server::is_loopback("::"));
  BOOST_TEST(!server::is_loopback("localhost"));
  BOOST_TEST(!server::is_loopback(""));

  // Half of the TLS material, or material that is not there, is refused too.
  Certificate certificate("localhost");
  server::ServerOptions half;
  half.port = 0;
  half.tls_cert = certificate.cert;
  BOOST_TEST(refused_with(server::Server::create(*t.ledger, half), Status::Code::kInvalidArgument));
  server::ServerOptions missing;
  missing.port = 0;
  missing.tls_cert = certificate.dir.path() / "nothing.pem";
  missing.tls_key = certificate.key;
  BOOST_TEST(refused_with(server::Server::create(*t.ledger, missing), Status::Code::kInvalidArgument));
  server::ServerOptions swapped;
  swapped.port = 0;
  swapped.tls_cert = certificate.key;
  swapped.tls_key = certificate.cert;
  BOOST_TEST(refused_with(server::Server::create(*t.ledger, swapped), Status::Code::kInvalidArgument));
}

BOOST_AUTO_TEST_SUITE_END()
