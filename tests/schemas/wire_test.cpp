#include <boost/test/unit_test.hpp>

#include "passbook/schemas/encoding.h"
#include "passbook/schemas/records.h"

using namespace passbook;
using namespace passbook::schemas;

namespace {

Envelope sample_envelope() {
  Envelope e;
  e.ledger.fill(0x11);
  e.signer.fill(0x22);
  e.nonce.fill(0x33);
  e.created_ms = 1'700'000'000'000;
  Credit credit;
  credit.service = {"v-0001", "elder-visit", 90, 20261101, {}};
  e.ops.push_back(credit);
  e.ops.push_back(Redeem{"v-0001", "dumplings", 2});
  return e;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wire_test)

BOOST_AUTO_TEST_CASE(envelope_round_trips) {
  const Envelope e = sample_envelope();
  auto bytes = try_encode(e);
  BOOST_REQUIRE(bytes.is_ok());
  auto back = decode<Envelope>(*bytes, "envelope");
  BOOST_REQUIRE_MESSAGE(back.is_ok(), back.status().to_string());
  BOOST_TEST((*back == e));
}

BOOST_AUTO_TEST_CASE(integers_are_big_endian) {
  Receipt r;
  r.seq = 0x0102030405060708;
  auto bytes = try_encode(r);
  BOOST_REQUIRE(bytes.is_ok());
  BOOST_TEST(to_hex(bytes->substr(0, 8)) == "0102030405060708");
}

BOOST_AUTO_TEST_CASE(trailing_bytes_are_refused) {
  auto bytes = try_encode(sample_envelope());
  BOOST_REQUIRE(bytes.is_ok());
  auto back = decode<Envelope>(*bytes + "x", "envelope");
  BOOST_TEST(!back.is_ok());
  BOOST_TEST(back.status().message().find("unexpected bytes") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_truncation_is_refused) {
  auto bytes = try_encode(sample_envelope());
  BOOST_REQUIRE(bytes.is_ok());
  for (size_t n = 0; n < bytes->size(); ++n) {
    auto back = decode<Envelope>(std::string_view(*bytes).substr(0, n), "envelope");
    BOOST_TEST(!back.is_ok());
    BOOST_TEST((back.status().code() == Status::Code::kInvalidArgument));
  }
}

BOOST_AUTO_TEST_CASE(huge_count_is_refused_before_allocation) {
  // version, ledger, signer, nonce, time, then an operation count of 2^32-1.
  std::string bytes(1 + 16 + 32 + 16 + 8, '\0');
  bytes[0] = 1;
  bytes += std::string("\xff\xff\xff\xff", 4);
  auto back = decode<Envelope>(bytes, "envelope");
  BOOST_TEST(!back.is_ok());
  BOOST_TEST(back.status().message().find("over its limit") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(count_beyond_remaining_bytes_is_refused) {
  std::string bytes(1 + 16 + 32 + 16 + 8, '\0');
  bytes[0] = 1;
  bytes += std::string("\x00\x00\x03\xe8", 4);  // 1000 operations claimed, none present
  auto back = decode<Envelope>(bytes, "envelope");
  BOOST_TEST(!back.is_ok());
  BOOST_TEST(back.status().message().find("only 0 bytes follow") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_operation_tag_is_refused) {
  Envelope e = sample_envelope();
  auto bytes = try_encode(e);
  BOOST_REQUIRE(bytes.is_ok());
  std::string bad = *bytes;
  bad[1 + 16 + 32 + 16 + 8 + 4] = static_cast<char>(0xEE);  // first operation's tag
  auto back = decode<Envelope>(bad, "envelope");
  BOOST_TEST(!back.is_ok());
  BOOST_TEST(back.status().message().find("tag 238") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(text_over_its_limit_is_refused_on_encode) {
  Envelope e = sample_envelope();
  std::get<Redeem>(e.ops[1]).reward = std::string(limits::kIdBytes + 1, 'x');
  auto bytes = try_encode(e);
  BOOST_TEST(!bytes.is_ok());
  BOOST_TEST(bytes.status().message().find("reward") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(malformed_utf8_and_control_characters_are_refused) {
  BOOST_TEST(text_problem("网格党支部").empty());
  BOOST_TEST(!text_problem("bad\xff").empty());
  BOOST_TEST(!text_problem("tab\there").empty());
  BOOST_TEST(!text_problem("\xc0\xaf").empty());      // overlong '/'
  BOOST_TEST(!text_problem("\xed\xa0\x80").empty());  // surrogate
}

BOOST_AUTO_TEST_CASE(bool_other_than_zero_or_one_is_refused) {
  OpenAccount open{"v-1", std::nullopt, std::nullopt};
  Envelope e = sample_envelope();
  e.ops = {open};
  auto bytes = try_encode(e);
  BOOST_REQUIRE(bytes.is_ok());
  std::string bad = *bytes;
  bad[bad.size() - 2] = 2;  // the commitment's presence flag
  BOOST_TEST(!decode<Envelope>(bad, "envelope").is_ok());
}

BOOST_AUTO_TEST_CASE(error_reply_with_an_unknown_code_is_refused) {
  ErrorReply error{static_cast<uint16_t>(Status::Code::kNotFound), 3, "no such account"};
  auto bytes = try_encode(error);
  BOOST_REQUIRE(bytes.is_ok());
  BOOST_TEST(decode<ErrorReply>(*bytes, "error").is_ok());
  for (uint16_t code : {uint16_t{0}, uint16_t{Status::kCodeMax + 1}, uint16_t{0xFFFF}}) {
    std::string bad = *bytes;
    bad[0] = static_cast<char>(code >> 8);
    bad[1] = static_cast<char>(code & 0xFF);
    BOOST_TEST(!decode<ErrorReply>(bad, "error").is_ok());
  }
}

BOOST_AUTO_TEST_CASE(printable_text_repairs_and_cuts_at_a_character_boundary) {
  BOOST_TEST(printable_text("ok", 10) == "ok");
  BOOST_TEST(printable_text("bad\xff\nline", 20) == "bad??line");
  BOOST_TEST(printable_text("网格党支部", 7) == "网格");  // 3 bytes each: never half a character
  BOOST_TEST(text_problem(printable_text("\xe7\xbd\x91\x01\xc0", 100)).empty());
}

BOOST_AUTO_TEST_CASE(base64_and_hex_round_trip_and_refuse_junk) {
  for (std::string s : {"", "a", "ab", "abc", "abcd", "\x00\xff\x10"}) {
    BOOST_TEST(*from_base64(to_base64(s)) == s);
    BOOST_TEST(*from_hex(to_hex(s)) == s);
  }
  BOOST_TEST(to_base64("abc") == "YWJj");
  BOOST_TEST(!from_base64("YW=j").has_value());
  BOOST_TEST(!from_base64("YR==").has_value());  // non-zero padding bits
  BOOST_TEST(!from_hex("abc").has_value());
  BOOST_TEST(!from_hex("zz").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
