// The auditor commands' JSON: what the writer emits parses back to the same values, and the
// reader refuses everything RFC 8259 does not allow and everything over its limits.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "json.h"

namespace json = passbook::cli::json;
using Kind = json::Value::Kind;

BOOST_AUTO_TEST_SUITE(json_test)

BOOST_AUTO_TEST_CASE(written_objects_parse_back) {
  const std::string awkward =
      std::string("quote \" backslash \\ newline \n tab \t nul ") + '\0' +
      " del \x7F bell \x07 em dash \xE2\x80\x94 \xE7\xBA\xA2\xE8\x89\xB2 \xF0\x9F\x93\x95";
  for (bool pretty : {false, true}) {
    const std::string text = json::ObjectWriter(pretty)
                                 .string("s", awkward)
                                 .number("n", 18446744073709551615ULL)
                                 .number("zero", 0)
                                 .strings("list", {"a", awkward, ""})
                                 .strings("empty", {})
                                 .raw("nested", json::ObjectWriter(pretty).number("x", 1).finish())
                                 .finish();
    BOOST_TEST(((text.find('\n') != std::string::npos) == pretty));
    auto value = json::parse(text);
    BOOST_REQUIRE_MESSAGE(value.is_ok(), value.status().message());
    BOOST_REQUIRE(value->kind == Kind::kObject);
    BOOST_TEST(value->object.size() == 6u);
    BOOST_TEST(value->find("s")->text == awkward);
    BOOST_TEST(*json::to_u64(*value->find("n"), "n") == 18446744073709551615ULL);
    BOOST_TEST(*json::to_u64(*value->find("zero"), "zero") == 0u);
    const auto& list = value->find("list")->array;
    BOOST_REQUIRE_EQUAL(list.size(), 3u);
    BOOST_TEST(list[1].text == awkward);
    BOOST_TEST(list[2].text.empty());
    BOOST_TEST(value->find("empty")->array.empty());
    BOOST_TEST(*json::to_u64(*value->find("nested")->find("x"), "x") == 1u);
    BOOST_TEST(value->find("missing") == nullptr);
  }
  BOOST_TEST(json::ObjectWriter().finish() == "{}");
}

BOOST_AUTO_TEST_CASE(accepts_what_rfc_8259_allows) {
  auto value = json::parse(
      " \t\r\n{\"a\" : [ 1 , -0.5e+3 , 2E-2 , true , false , null , \"\\u00e9\\ud83d\\udcd5\\/\" , "
      "{} , [] ] } \n");
  BOOST_REQUIRE_MESSAGE(value.is_ok(), value.status().message());
  const auto& a = value->find("a")->array;
  BOOST_REQUIRE_EQUAL(a.size(), 9u);
  BOOST_TEST(a[1].text == "-0.5e+3");
  BOOST_TEST((a[3].kind == Kind::kBool && a[3].boolean));
  BOOST_TEST((a[4].kind == Kind::kBool && !a[4].boolean));
  BOOST_TEST((a[5].kind == Kind::kNull));
  BOOST_TEST(a[6].text == "\xC3\xA9\xF0\x9F\x93\x95/");
  BOOST_TEST(json::parse("\"\xE7\xBA\xA2\"").is_ok());
  BOOST_TEST(json::parse("0").is_ok());
}

BOOST_AUTO_TEST_CASE(refuses_what_rfc_8259_does_not_allow) {
  const std::vector<std::string> bad = {
      "",
      "   ",
      "{",
      "{\"a\":1,}",
      "[1,]",
      "[1 2]",
      "{'a':1}",
      "{a:1}",
      "{\"a\" 1}",
      "{\"a\":1}{}",
      "{\"a\":1} x",
      "01",
      "-",
      "1.",
      ".5",
      "1e",
      "+1",
      "NaN",
      "Infinity",
      "tru",
      "nul",
      "\"unterminated",
      "\"tab\tinside\"",
      "\"newline\ninside\"",
      "\"\\x41\"",
      "\"\\u12\"",
      "\"\\u12G4\"",
      "\"\\ud800\"",
      "\"\\udc00\"",
      "\"\\ud800\\u0041\"",
      "\"\xC0\x80\"",          // overlong NUL
      "\"\xE0\x80\xAF\"",      // overlong '/'
      "\"\xED\xA0\x80\"",      // a surrogate in UTF-8
      "\"\xF4\x90\x80\x80\"",  // above U+10FFFF
      "\"\xE7\xBA\"",          // cut short
      "\"\x80\"",              // a stray continuation byte
      "\"\xFF\"",
      "{\"a\":1,\"a\":2}",  // duplicate keys
  };
  for (const auto& text : bad) {
    auto value = json::parse(text);
    BOOST_TEST(!value.is_ok(), "accepted: " << text);
    if (!value.is_ok())
      BOOST_TEST((value.status().code() == passbook::Status::Code::kInvalidArgument));
  }
}

BOOST_AUTO_TEST_CASE(refuses_input_over_the_limits) {
  json::Limits limits;
  limits.max_bytes = 64;
  limits.max_depth = 3;
  limits.max_values = 10;
  BOOST_TEST(json::parse("[[[1]]]", limits).is_ok());
  BOOST_TEST(!json::parse("[[[[1]]]]", limits).is_ok());
  BOOST_TEST(json::parse("[1,2,3,4,5,6,7,8,9]", limits).is_ok());  // 10 values
  BOOST_TEST(!json::parse("[1,2,3,4,5,6,7,8,9,10]", limits).is_ok());
  BOOST_TEST(!json::parse("\"" + std::string(63, 'a') + "\"", limits).is_ok());
  BOOST_TEST(json::parse("\"" + std::string(62, 'a') + "\"", limits).is_ok());
  // The default depth limit keeps hostile nesting from reaching the stack's end.
  BOOST_TEST(!json::parse(std::string(100000, '[')).is_ok());
}

BOOST_AUTO_TEST_CASE(to_u64_takes_only_whole_numbers_that_fit) {
  const auto number = [](const std::string& text) { return json::parse(text).value(); };
  BOOST_TEST(*json::to_u64(number("0"), "n") == 0u);
  BOOST_TEST(*json::to_u64(number("18446744073709551615"), "n") == 18446744073709551615ULL);
  for (const char* text : {"18446744073709551616", "-1", "-0", "1.0", "1e3", "0.5"}) {
    BOOST_TEST(!json::to_u64(number(text), "n").is_ok(), text);
  }
  BOOST_TEST(!json::to_u64(number("\"5\""), "n").is_ok());
  BOOST_TEST(!json::to_u64(number("null"), "n").is_ok());
}

BOOST_AUTO_TEST_SUITE_END()
