// passbook import: paper passbooks in, all lines or none. A good file becomes Import operations
// with the original dates and paper references; any malformed line writes nothing and is named;
// sizes are bounded before parsing; a file is never imported twice by mistake; a large file is
// split into several envelopes of at most 500 lines.
#include <boost/test/unit_test.hpp>

#include "street/street_harness.h"

using namespace passbook::test::street;

namespace {

const std::string kData = PASSBOOK_TEST_DATA_DIR;
const std::string kGood = kData + "/street/paper_passbook.csv";
const std::string kHeader = "account,category,minutes,date,points,paper_ref\n";

struct Snapshot {
  uint64_t size;
  std::map<std::string, int64_t> balances;
};

Snapshot snapshot(const Street& street) {
  Snapshot s{street.size(), {}};
  for (const std::string a : {"yzs1-0001", "yzs1-0003", "yzs1-0005", "yzs1-0007"}) {
    const std::string out = street.ok({"balance", a});
    s.balances[a] = std::stoll(out.substr(out.find(": ") + 2));
  }
  return s;
}

RunResult import(const Street& street, const std::string& file,
                 std::vector<std::string> extra = {}) {
  std::vector<std::string> args{
      "import", "--branch", "yzs-1", "--csv", file, "--key", street.key("branch-yzs-1-secretary")};
  args.insert(args.end(), extra.begin(), extra.end());
  return street.run(args);
}

std::string write(const Street& street, const std::string& name, const std::string& content) {
  const auto file = street.dir() / name;
  passbook::test::write_file(file, content);
  return file.string();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(import_test)

BOOST_AUTO_TEST_CASE(a_good_file_becomes_one_entry_with_original_dates) {
  Street street;
  const Snapshot before = snapshot(street);
  const RunResult done = import(street, kGood);
  BOOST_REQUIRE_MESSAGE(done.exit_code == 0, done.err);
  BOOST_TEST(contains(done.out, "Imported 6 paper passbook lines"), done.out);
  BOOST_TEST(street.size() == before.size + 1);
  const Snapshot after = snapshot(street);
  BOOST_TEST(after.balances.at("yzs1-0001") == before.balances.at("yzs1-0001") + 39);
  BOOST_TEST(after.balances.at("yzs1-0003") == before.balances.at("yzs1-0003") + 110);
  BOOST_TEST(after.balances.at("yzs1-0005") == before.balances.at("yzs1-0005") + 12);
  BOOST_TEST(after.balances.at("yzs1-0007") == before.balances.at("yzs1-0007") + 11);
  // In the passbook: the original service date, marked as from paper, with its reference.
  const auto rows =
      parse_csv(street.ok({"statement", "yzs1-0007", "--format", "csv", "--lang", "en"}));
  bool seen = false;
  for (const auto& row : rows) {
    if (row[1] != "2024-02-02") continue;
    seen = true;
    BOOST_TEST(contains(
        row[3], "from the paper passbook: book 4, page 1, line 1 — \"borrowed\" hours from 2023"));
    BOOST_TEST(row[6] == "11");
  }
  BOOST_TEST(seen);
  // The replay sees Import operations carrying the points written on paper.
  const Replay replay(street);
  int64_t imported = 0;
  for (const auto& p : replay.postings) {
    if (p.kind == Kind::kImport && p.account_kind == 'v' && p.service_day < 20250101)
      imported += p.delta;
  }
  BOOST_TEST(imported == 24 + 15 + 30 + 80 + 12 + 11);
  BOOST_TEST(street.run({"verify"}).exit_code == 0);
  // The same file again is refused as a whole, naming the lines already imported.
  const RunResult again = import(street, kGood);
  BOOST_TEST(again.exit_code == 3);
  BOOST_TEST(contains(again.err, "line 2: was already imported at entry"), again.err);
  BOOST_TEST(street.size() == before.size + 1);
  const RunResult skipped = import(street, kGood, {"--skip-imported"});
  BOOST_TEST(skipped.exit_code == 3);
  BOOST_TEST(contains(skipped.err, "already on the ledger"), skipped.err);
}

BOOST_AUTO_TEST_CASE(a_malformed_line_writes_nothing_and_is_named) {
  Street street;
  const Snapshot before = snapshot(street);
  const std::string good_line = "yzs1-0001,elder-visit,60,2023-01-01,12,book 9\n";
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"bad date", good_line + "yzs1-0003,patrol,60,2023-02-30,10,book 9\n",
       "line 3: 2023-02-30 is not a date"},
      {"future date", good_line + "yzs1-0003,patrol,60,2199-01-01,10,book 9\n",
       "line 3: the date 2199-01-01 is in the future"},
      {"date shape", good_line + "yzs1-0003,patrol,60,1/2/2023,10,book 9\n",
       "line 3: the date must look like"},
      {"unknown account", good_line + "yzs9-0001,patrol,60,2023-01-02,10,book 9\n",
       "line 3: there is no account yzs9-0001 in branch yzs-1"},
      {"other branch", good_line + "yzs2-0002,patrol,60,2023-01-02,10,book 9\n",
       "line 3: there is no account yzs2-0002"},
      {"unknown category", good_line + "yzs1-0003,knitting,60,2023-01-02,10,book 9\n",
       "line 3: the category knitting has no rule"},
      {"missing field", good_line + "yzs1-0003,patrol,60,2023-01-02,10\n",
       "line 3: 5 fields instead of 6"},
      {"unquoted comma", good_line + "yzs1-0003,patrol,60,2023-01-02,10,book 9, page 1\n",
       "line 3: 7 fields instead of 6"},
      {"negative points", good_line + "yzs1-0003,patrol,60,2023-01-02,-10,book 9\n",
       "line 3: points must be between 1"},
      {"words for minutes", good_line + "yzs1-0003,patrol,an hour,2023-01-02,10,book 9\n",
       "line 3: minutes must be a whole number"},
      {"empty reference", good_line + "yzs1-0003,patrol,60,2023-01-02,10,\n",
       "line 3: paper_ref is empty"},
      {"repeated line", good_line + good_line, "line 3: repeats line 2"},
      {"open quote", good_line + "yzs1-0003,patrol,60,2023-01-02,10,\"book 9\n",
       "line 3: a quoted field is never closed"},
      {"bad header", "account,category,hours,date,points,paper_ref\n" + good_line,
       "line 1: the header must be exactly"},
  };
  for (const auto& [what, body, expected] : cases) {
    const bool headed = what != "bad header";
    const std::string file = write(street, "bad.csv", (headed ? kHeader : "") + body);
    const RunResult refused = import(street, file);
    BOOST_TEST(refused.exit_code == 3, what << ": " << refused.err);
    BOOST_TEST(contains(refused.err, expected), what << ": " << refused.err);
    if (headed && what != "open quote")
      BOOST_TEST(contains(refused.err, "nothing was imported"), what);
  }
  // Many bad lines: all named (up to a limit), still nothing written.
  std::string many = kHeader;
  for (int i = 0; i < 30; ++i)
    many += "yzs1-0001,patrol,60,2023-01-" + std::string(i < 9 ? "0" : "") + std::to_string(i + 1) +
            ",0,book\n";
  const RunResult refused = import(street, write(street, "many.csv", many));
  BOOST_TEST(contains(refused.err, "30 of 30 lines are wrong"));
  BOOST_TEST(contains(refused.err, "line 21:"));
  BOOST_TEST(contains(refused.err, "(and 10 more)"));
  const Snapshot after = snapshot(street);
  BOOST_TEST(after.size == before.size);
  BOOST_TEST(after.balances == before.balances);
}

BOOST_AUTO_TEST_CASE(sizes_are_bounded_before_parsing) {
  Street street;
  const uint64_t before = street.size();
  // Over 4 MiB: refused on its size alone.
  const std::string huge =
      write(street, "huge.csv", kHeader + std::string(4 * 1024 * 1024 + 1, 'x'));
  const RunResult big = import(street, huge);
  BOOST_TEST(big.exit_code == 3);
  BOOST_TEST(contains(big.err, "larger than 4 MiB"), big.err);
  // Over 20000 lines.
  std::string lines = kHeader;
  for (int i = 0; i < 20001; ++i) lines += "a,b,1,2023-01-01,1,r\n";
  const RunResult long_file = import(street, write(street, "long.csv", lines));
  BOOST_TEST(long_file.exit_code == 3);
  BOOST_TEST(contains(long_file.err, "more than 20000 lines to import"), long_file.err);
  const RunResult empty = import(street, write(street, "empty.csv", ""));
  BOOST_TEST(empty.exit_code == 3);
  BOOST_TEST(street.size() == before);
}

BOOST_AUTO_TEST_CASE(a_large_file_is_split_into_envelopes_of_500_lines) {
  Street street;
  const uint64_t before = street.size();
  std::string body = "\xEF\xBB\xBF" + kHeader;  // a spreadsheet's byte order mark and CRLF lines
  int64_t points = 0;
  for (int i = 0; i < 1203; ++i) {
    const int day = i % 28 + 1;
    body += "yzs1-000" + std::to_string(1 + 2 * (i % 4)) + ",patrol,30,2022-0" +
            std::to_string(i % 9 + 1) + "-" + (day < 10 ? "0" : "") + std::to_string(day) + "," +
            std::to_string(i % 7 + 1) + ",\"book 5, line " + std::to_string(i) + "\"\r\n";
    points += i % 7 + 1;
  }
  const std::string file = write(street, "year.csv", body);
  const RunResult dry = import(street, file, {"--dry-run"});
  BOOST_TEST(dry.exit_code == 0, dry.err);
  BOOST_TEST(contains(dry.out, "3 entries would be written"), dry.out);
  BOOST_TEST(street.size() == before);
  const RunResult done = import(street, file);
  BOOST_REQUIRE_MESSAGE(done.exit_code == 0, done.err);
  BOOST_TEST(contains(done.out, "lines 2–501 as entry"), done.out);
  BOOST_TEST(contains(done.out, "lines 1002–1204 as entry"), done.out);
  BOOST_TEST(street.size() == before + 3);
  const Replay replay(street);
  int64_t imported = 0;
  for (const auto& p : replay.postings) {
    if (p.kind == Kind::kImport && p.account_kind == 'v' && p.service_day < 20230101)
      imported += p.delta;
  }
  BOOST_TEST(imported == points);
}

BOOST_AUTO_TEST_CASE(only_the_branch_key_may_import) {
  Street street;
  const uint64_t before = street.size();
  const RunResult other = street.run({"import", "--branch", "yzs-1", "--csv", kGood, "--key",
                                      street.key("branch-yzs-2-secretary")});
  BOOST_TEST(other.exit_code == 3);
  BOOST_TEST(contains(other.err, "is not an active key of branch yzs-1"), other.err);
  BOOST_TEST(street.size() == before);
  const RunResult help = run_passbook({"help", "import"});
  BOOST_TEST(contains(help.out, "account,category,minutes,date,points,paper_ref"));
}

BOOST_AUTO_TEST_SUITE_END()
