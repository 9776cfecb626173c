// The RFC 4180 writer and reader the statement, report and import commands use: what is written
// reads back the same, whatever the text holds, and what is malformed is refused with its line.
#include <boost/test/unit_test.hpp>

#include "csv.h"
#include "street_text.h"

using namespace passbook::cli;

BOOST_AUTO_TEST_SUITE(csv_test)

BOOST_AUTO_TEST_CASE(any_text_round_trips) {
  const std::vector<std::vector<std::string>> rows = {
      {"plain", "with, comma", "with \"quotes\"", "two\r\nlines", "lone\nnewline"},
      {" leading space", "trailing space ", "", "红色存折，第1页", "×"},
      {"", "", "", "", ""},
  };
  std::string text;
  for (const auto& r : rows) text += csv::row(r);
  BOOST_TEST(text.find("\"with, comma\"") != std::string::npos);
  BOOST_TEST(text.find("\"with \"\"quotes\"\"\"") != std::string::npos);
  BOOST_TEST(text.find("plain,") == 0u);
  auto back = csv::parse(text);
  BOOST_REQUIRE_MESSAGE(back.is_ok(), back.status().message());
  BOOST_REQUIRE_EQUAL(back->size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) BOOST_TEST(back->at(i).fields == rows[i]);
  BOOST_TEST(back->at(0).line == 1u);
  BOOST_TEST(back->at(1).line == 4u);  // the record before holds two line breaks
}

BOOST_AUTO_TEST_CASE(spreadsheet_files_are_read) {
  auto back = csv::parse(
      "\xEF\xBB\xBF"
      "a,b\r\n\r\n1,2\n3,\"4\"");
  BOOST_REQUIRE(back.is_ok());
  BOOST_REQUIRE_EQUAL(back->size(), 3u);
  BOOST_TEST(back->at(0).fields == (std::vector<std::string>{"a", "b"}));
  BOOST_TEST(back->at(1).line == 3u);
  BOOST_TEST(back->at(2).fields == (std::vector<std::string>{"3", "4"}));
}

BOOST_AUTO_TEST_CASE(malformed_text_is_refused_with_its_line) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"a,b\n\"open,c\n", "line 2: a quoted field is never closed"},
      {"a,b\n\"x\"y,c\n", "line 2: text after a closing quote"},
      {"a,b\nx\"y,c\n", "line 2: a quote inside an unquoted field"},
      {"a,b\nx\ry\n", "line 2: a lone carriage return"},
  };
  for (const auto& [text, message] : bad) {
    auto r = csv::parse(text);
    BOOST_REQUIRE(!r.is_ok());
    BOOST_TEST(r.status().message().find(message) != std::string::npos, r.status().message());
  }
}

BOOST_AUTO_TEST_CASE(limits_are_checked_before_anything_large_is_kept) {
  csv::Limits limits;
  limits.max_bytes = 100;
  limits.max_records = 3;
  limits.max_fields = 4;
  limits.max_field_bytes = 10;
  BOOST_TEST(!csv::parse(std::string(101, 'a'), limits).is_ok());
  BOOST_TEST(!csv::parse("a\nb\nc\nd\n", limits).is_ok());
  BOOST_TEST(csv::parse("a\nb\nc\n", limits).is_ok());
  BOOST_TEST(!csv::parse("a,b,c,d,e\n", limits).is_ok());
  BOOST_TEST(!csv::parse("abcdefghijk\n", limits).is_ok());
  BOOST_TEST(!csv::parse("\"abcdefghijk\"\n", limits).is_ok());
}

BOOST_AUTO_TEST_CASE(plain_text_is_checked) {
  using street::check_plain_text;
  BOOST_TEST(check_plain_text("王秀英 Wang", 64, "name").is_ok());
  BOOST_TEST(!check_plain_text("a\nb", 64, "name").is_ok());
  BOOST_TEST(!check_plain_text("\xC0\xAF", 64, "name").is_ok());      // overlong
  BOOST_TEST(!check_plain_text("\xED\xA0\x80", 64, "name").is_ok());  // a surrogate
  BOOST_TEST(!check_plain_text("\xE4\xB8", 64, "name").is_ok());      // cut short
  BOOST_TEST(!check_plain_text(std::string(65, 'a'), 64, "name").is_ok());
}

BOOST_AUTO_TEST_CASE(numbers_and_dates_read_as_people_write_them) {
  using namespace street;
  BOOST_TEST(hours_number(90) == "1.5");
  BOOST_TEST(hours_number(60) == "1");
  BOOST_TEST(hours_number(20) == "0.33");
  BOOST_TEST(hours_number(-90) == "-1.5");
  BOOST_TEST(hours_text(90, Lang::kZh) == "1小时30分");
  BOOST_TEST(hours_text(30, Lang::kEn) == "30 min");
  BOOST_TEST(points_text(1234567) == "1,234,567");
  BOOST_TEST(points_text(-1000) == "-1,000");
  BOOST_TEST(points_text(999) == "999");
  BOOST_TEST(month_end(20240210) == 20240229u);
  BOOST_TEST(month_end(20231215) == 20231231u);
  BOOST_TEST(!day_number(20230229).has_value());
  BOOST_TEST(day_from_number(*day_number(20261122)) == 20261122u);
  BOOST_TEST(local_day(0, 480) == 19700101u);
  BOOST_TEST(local_day(16 * 3600 * 1000, 480) == 19700102u);
  BOOST_TEST((lang_from_locale(nullptr, nullptr, "zh_CN.UTF-8") == Lang::kZh));
  BOOST_TEST((lang_from_locale("C", nullptr, "zh_CN.UTF-8") == Lang::kEn));
  BOOST_TEST((lang_from_locale("", "zh_TW.UTF-8", "en_US.UTF-8") == Lang::kZh));
  BOOST_TEST((lang_from_locale(nullptr, nullptr, nullptr) == Lang::kEn));
}

BOOST_AUTO_TEST_SUITE_END()
