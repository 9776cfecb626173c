// passbook statement, run as a user runs it, against an independent replay of the chain: every
// line is one posting of the volunteer's account, the points in and out and the running balance
// are the replay's, the pending claims are the claims no council has decided, and the terminal
// table lines up with Chinese text.
#include <boost/test/unit_test.hpp>

#include <cstdlib>

#include "street/street_harness.h"

using namespace passbook::test::street;

namespace {

// Terminal cells of UTF-8 text, counted here independently of the CLI's table code: CJK and
// full-width forms take two cells.
size_t cells(const std::string& text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    uint32_t cp = c;
    size_t n = 1;
    if (c >= 0xF0) {
      n = 4;
      cp = c & 0x07u;
    } else if (c >= 0xE0) {
      n = 3;
      cp = c & 0x0Fu;
    } else if (c >= 0xC0) {
      n = 2;
      cp = c & 0x1Fu;
    }
    for (size_t k = 1; k < n; ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
    i += n;
    const bool wide = (cp >= 0x2E80 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                      (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFE30 && cp <= 0xFE4F);
    width += wide ? 2 : 1;
  }
  return width;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::string ref(uint64_t seq, uint32_t op) {
  return std::to_string(seq) + "." + std::to_string(op);
}

// Environment for one child process run, put back afterwards.
class Locale {
 public:
  Locale(const char* lang) {
    for (const char* name : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
      const char* value = std::getenv(name);
      saved_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
      ::unsetenv(name);
    }
    if (lang != nullptr) ::setenv("LANG", lang, 1);
  }
  ~Locale() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(statement_test)

BOOST_AUTO_TEST_CASE(every_passbook_line_is_a_posting_of_the_chain) {
  Street street({"--volunteers", "40", "--branches", "2", "--months", "2"});
  const Replay replay(street);
  size_t checked = 0;
  int64_t lines_total = 0;
  for (const auto& [account, branch] : replay.branch_of) {
    const auto rows =
        parse_csv(street.ok({"statement", account, "--format", "csv", "--lang", "en"}));
    BOOST_REQUIRE_EQUAL(rows.front().size(), 10u);
    BOOST_TEST(rows.front()[0] == "section");
    const auto postings = replay.of('v', account);
    std::vector<std::vector<std::string>> book;
    std::vector<std::vector<std::string>> pending;
    for (size_t i = 1; i < rows.size(); ++i)
      (rows[i][0] == "passbook" ? book : pending).push_back(rows[i]);
    BOOST_REQUIRE_EQUAL(book.size(), postings.size());
    int64_t running = 0;
    for (size_t i = 0; i < book.size(); ++i) {
      const auto& row = book[i];
      const auto& p = postings[i];
      BOOST_TEST(row[2] == ref(p.seq, p.op));
      BOOST_TEST(to_int(row[6]) - to_int(row[7]) == p.delta, account << " line " << row[2]);
      BOOST_TEST((row[6].empty() || row[7].empty()));
      running += p.delta;
      BOOST_TEST(to_int(row[8]) == running);
      // Service shows its service date; everything else the day it was recorded.
      const bool service =
          p.kind == Kind::kCredit || p.kind == Kind::kApproved || p.kind == Kind::kImport;
      BOOST_TEST(row[1] == day_string(service ? p.service_day : p.commit_day),
                 account << " " << row[2]);
      if (service) {
        BOOST_TEST(row[4] == p.category);
        BOOST_TEST(to_int(row[5]) == p.minutes);
      }
    }
    BOOST_TEST(running == replay.balance('v', account));
    // Claims awaiting the council are apart, not in the balance.
    int64_t pending_points = 0;
    size_t pending_claims = 0;
    for (const auto& [claim_ref, claim] : replay.claims) {
      if (claim.account != account || claim.decided) continue;
      ++pending_claims;
      pending_points += claim.points;
    }
    BOOST_TEST(pending.size() == pending_claims);
    int64_t shown = 0;
    for (const auto& row : pending) shown += to_int(row[9]);
    BOOST_TEST(shown == pending_points);
    // The ledger's own balance says the same.
    const std::string balance = street.ok({"balance", account});
    BOOST_TEST(contains(balance, ": " + std::to_string(running) + " points available"), balance);
    ++checked;
    lines_total += static_cast<int64_t>(book.size());
  }
  BOOST_TEST(checked == 40u);
  BOOST_TEST(lines_total > 100);
}

BOOST_AUTO_TEST_CASE(the_table_lines_up_with_chinese_text) {
  Street street;
  const std::string out = street.ok({"statement", "yzs1-0001", "--lang", "zh"});
  BOOST_TEST(contains(out, "红色存折"));
  BOOST_TEST(contains(out, "余额"));
  const auto lines = lines_of(out);
  size_t header = 0;
  while (header < lines.size() && !contains(lines[header], "记账号")) ++header;
  BOOST_REQUIRE(header + 2 < lines.size());
  // Every row of the table ends with the balance column, right-aligned: same width as the rule.
  const size_t width = cells(lines[header + 1]);
  size_t rows = 0;
  for (size_t i = header; i < lines.size() && !lines[i].empty(); ++i) {
    BOOST_TEST(cells(lines[i]) == width, "line " << i << ": " << lines[i]);
    ++rows;
  }
  BOOST_TEST(rows >= 4u);
  BOOST_TEST(contains(out, "合计"));
}

BOOST_AUTO_TEST_CASE(labels_follow_the_locale_unless_lang_is_given) {
  Street street;
  {
    Locale zh("zh_CN.UTF-8");
    BOOST_TEST(contains(street.ok({"statement", "yzs1-0001"}), "余额"));
    BOOST_TEST(contains(street.ok({"statement", "yzs1-0001", "--lang", "en"}), "balance"));
  }
  {
    Locale c("C.UTF-8");
    const std::string out = street.ok({"statement", "yzs1-0001"});
    BOOST_TEST(contains(out, "balance"));
    BOOST_TEST(!contains(out, "余额"));
    BOOST_TEST(contains(street.ok({"statement", "yzs1-0001", "--lang", "zh"}), "余额"));
  }
  const RunResult wrong = street.run({"statement", "yzs1-0001", "--lang", "fr"});
  BOOST_TEST(wrong.exit_code == 3);
  BOOST_TEST(contains(wrong.err, "--lang must be zh or en"));
}

BOOST_AUTO_TEST_CASE(the_passbook_shows_the_display_name_or_the_opaque_id) {
  Street street;
  // The demo gives most volunteers a name in the off-chain store; the 20th has none.
  const std::string named = street.ok({"statement", "yzs1-0001", "--lang", "zh"});
  BOOST_TEST(!contains(named.substr(0, named.find('\n')), "yzs1-0001"), named.substr(0, 80));
  const std::string unnamed = street.ok({"statement", "yzs2-0020", "--lang", "zh"});
  BOOST_TEST(contains(unnamed.substr(0, unnamed.find('\n')), "yzs2-0020"));
  const RunResult missing = street.run({"statement", "nobody-here"});
  BOOST_TEST(missing.exit_code == 3);
  BOOST_TEST(contains(missing.err, "nobody-here"));
}

BOOST_AUTO_TEST_CASE(out_writes_the_file_and_csv_quotes_commas) {
  Street street;
  const std::string file = (street.dir() / "passbook.csv").string();
  street.ok({"statement", "yzs1-0001", "--format", "csv", "--lang", "en", "--out", file});
  const std::string csv = passbook::test::read_file(file);
  // The demo's paper passbook line has a comma in its reference: quoted, and read back whole.
  BOOST_TEST(contains(
      csv,
      "\"Property services, 3 h (from the paper passbook: 纸质存折第1本第1页 (book 1, page 1))\""));
  const auto rows = parse_csv(csv);
  BOOST_TEST(
      rows[1][3] ==
      "Property services, 3 h (from the paper passbook: 纸质存折第1本第1页 (book 1, page 1))");
  BOOST_TEST(!std::filesystem::exists(file + ".tmp"));
}

BOOST_AUTO_TEST_SUITE_END()
