// passbook report, run as a user runs it: every figure of the CSV (the long form, one figure a
// row) equals a sum over an independent replay of the chain, for a branch and for a merchant,
// over the whole life of the demo and over a single month; the CSV parses back to the same
// figures the terminal table prints.
#include <boost/test/unit_test.hpp>

#include "street/street_harness.h"

using namespace passbook::test::street;

namespace {

using Figures = std::map<std::tuple<std::string, std::string, std::string>, std::string>;

Figures figures(const std::string& csv) {
  const auto rows = parse_csv(csv);
  BOOST_REQUIRE(rows.front() == (std::vector<std::string>{"section", "item", "measure", "value"}));
  Figures out;
  for (size_t i = 1; i < rows.size(); ++i) {
    const bool fresh =
        out.emplace(std::make_tuple(rows[i][0], rows[i][1], rows[i][2]), rows[i][3]).second;
    BOOST_TEST(fresh, "repeated figure " << rows[i][0] << "/" << rows[i][1] << "/" << rows[i][2]);
  }
  return out;
}

int64_t figure(const Figures& f, const std::string& section, const std::string& item,
               const std::string& measure) {
  auto it = f.find({section, item, measure});
  BOOST_REQUIRE_MESSAGE(it != f.end(), "no figure " << section << "/" << item << "/" << measure);
  return to_int(it->second);
}

struct Window {
  uint32_t from;
  uint32_t to;
  bool contains(uint32_t day) const { return day >= from && day <= to; }
};

bool is_service(Kind k) {
  return k == Kind::kCredit || k == Kind::kApproved || k == Kind::kImport;
}

// The branch report's figures, from the replay.
void check_branch(const Street& street, const Replay& replay, const std::string& branch, Window w) {
  const Figures f =
      figures(street.ok({"report", "--branch", branch, "--from", day_string(w.from), "--to",
                         day_string(w.to), "--format", "csv", "--lang", "en"}));
  const auto volunteers = replay.volunteers_of(branch);
  const auto reversed = replay.reversed();
  int64_t opening = 0, credited = 0, approved = 0, imported = 0, redeemed = 0, returned = 0,
          corrections = 0, closing = 0;
  std::map<std::string, std::array<int64_t, 3>> categories;  // minutes, points, lines
  std::set<std::string> active;
  for (const auto& p : replay.postings) {
    if (p.account_kind != 'v' || volunteers.count(p.account) == 0) continue;
    if (p.commit_day < w.from) opening += p.delta;
    if (p.commit_day <= w.to) closing += p.delta;
    if (w.contains(p.commit_day)) {
      switch (p.kind) {
        case Kind::kCredit:
          credited += p.delta;
          break;
        case Kind::kApproved:
          approved += p.delta;
          break;
        case Kind::kImport:
          imported += p.delta;
          break;
        case Kind::kRedeem:
        case Kind::kReserve:
          redeemed -= p.delta;
          break;
        case Kind::kCancel:
          returned += p.delta;
          break;
        case Kind::kReversal:
          corrections += p.delta;
          break;
        default:
          BOOST_FAIL("unexpected posting on a volunteer");
      }
    }
    if (is_service(p.kind) && reversed.count(p.seq) == 0 && w.contains(p.service_day)) {
      auto& c = categories[p.category];
      c[0] += p.minutes;
      c[1] += p.delta;
      c[2] += 1;
      active.insert(p.account);
    }
  }
  BOOST_TEST(figure(f, "points", "opening", "points") == opening);
  BOOST_TEST(figure(f, "points", "credited", "points") == credited);
  BOOST_TEST(figure(f, "points", "approved", "points") == approved);
  BOOST_TEST(figure(f, "points", "imported", "points") == imported);
  BOOST_TEST(figure(f, "points", "redeemed", "points") == redeemed);
  BOOST_TEST(figure(f, "points", "returned", "points") == returned);
  BOOST_TEST(figure(f, "points", "corrections", "points") == corrections);
  BOOST_TEST(figure(f, "points", "closing", "points") == closing);
  BOOST_TEST(figure(f, "points", "other", "points") == 0);
  int64_t minutes = 0, points = 0, lines = 0;
  for (const auto& [category, c] : categories) {
    BOOST_TEST(figure(f, "service", category, "minutes") == c[0], category);
    BOOST_TEST(figure(f, "service", category, "points") == c[1], category);
    BOOST_TEST(figure(f, "service", category, "lines") == c[2], category);
    minutes += c[0];
    points += c[1];
    lines += c[2];
  }
  size_t category_rows = 0;
  for (const auto& [key, value] : f)
    category_rows += std::get<0>(key) == "service" && std::get<2>(key) == "minutes";
  BOOST_TEST(category_rows == categories.size());
  BOOST_TEST(figure(f, "service_total", "all", "minutes") == minutes);
  BOOST_TEST(figure(f, "service_total", "all", "points") == points);
  BOOST_TEST(figure(f, "service_total", "all", "lines") == lines);
  BOOST_TEST(figure(f, "volunteers", "all", "active") == static_cast<int64_t>(active.size()));
  BOOST_TEST(figure(f, "volunteers", "all", "active") +
                 figure(f, "volunteers", "all", "inactive") ==
             figure(f, "volunteers", "all", "on_books"));
  // Claims awaiting the council today.
  int64_t pending = 0, pending_points = 0;
  for (const auto& [ref, claim] : replay.claims) {
    if (claim.branch == branch && !claim.decided) {
      ++pending;
      pending_points += claim.points;
    }
  }
  BOOST_TEST(figure(f, "pending", "all", "claims") == pending);
  BOOST_TEST(figure(f, "pending", "all", "points") == pending_points);
  // The volunteers' rows add up to the totals.
  int64_t sum_balance = 0, sum_minutes = 0;
  for (const auto& v : volunteers) {
    if (f.count({"volunteer", v, "balance_end"}) == 0) continue;  // opened after the period
    sum_balance += figure(f, "volunteer", v, "balance_end");
    sum_minutes += figure(f, "volunteer", v, "minutes");
  }
  BOOST_TEST(sum_balance == closing);
  BOOST_TEST(sum_minutes == minutes);
}

void check_merchant(const Street& street, const Replay& replay, const std::string& merchant,
                    Window w) {
  const Figures f =
      figures(street.ok({"report", "--merchant", merchant, "--from", day_string(w.from), "--to",
                         day_string(w.to), "--format", "csv", "--lang", "zh"}));
  int64_t opening = 0, taken = 0, reversed = 0, settled = 0, closing = 0, redemptions = 0;
  for (const auto& p : replay.of('m', merchant)) {
    if (p.commit_day < w.from) opening += p.delta;
    if (p.commit_day <= w.to) closing += p.delta;
    if (!w.contains(p.commit_day)) continue;
    if (p.kind == Kind::kRedeem || p.kind == Kind::kDeliver) {
      taken += p.delta;
      ++redemptions;
    } else if (p.kind == Kind::kReversal) {
      reversed -= p.delta;
      ++redemptions;
    } else if (p.kind == Kind::kSettle) {
      settled -= p.delta;
    }
  }
  BOOST_TEST(figure(f, "due", "opening", "points") == opening, merchant);
  BOOST_TEST(figure(f, "due", "taken_in", "points") == taken, merchant);
  BOOST_TEST(figure(f, "due", "reversed", "points") == reversed, merchant);
  BOOST_TEST(figure(f, "due", "settled", "points") == settled, merchant);
  BOOST_TEST(figure(f, "due", "closing", "points") == closing, merchant);
  int64_t listed = 0, listed_points = 0;
  for (const auto& [key, value] : f) {
    if (std::get<0>(key) == "redemption" && std::get<2>(key) == "points") {
      ++listed;
      listed_points += to_int(value);
    }
  }
  BOOST_TEST(listed == redemptions, merchant);
  BOOST_TEST(listed_points == taken - reversed, merchant);
}

uint32_t first_day(const Replay& replay) {
  uint32_t first = 99991231;
  for (const auto& p : replay.postings)
    first = std::min({first, p.commit_day, p.service_day ? p.service_day : first});
  return first;
}

uint32_t last_day(const Replay& replay) {
  uint32_t last = 0;
  for (const auto& p : replay.postings) last = std::max(last, p.commit_day);
  return last;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(report_test)

BOOST_AUTO_TEST_CASE(branch_figures_are_sums_over_the_chain) {
  Street street({"--volunteers", "60", "--branches", "3", "--months", "3"});
  const Replay replay(street);
  const uint32_t last = last_day(replay);
  for (const std::string branch : {"yzs-1", "yzs-2", "yzs-3"}) {
    // The whole life of the street, paper imports included, up to today.
    check_branch(street, replay, branch, {first_day(replay), last});
    // One calendar month in the middle: opening balances and service dates cut at its edges.
    const uint32_t month = (last / 100 - (last / 100 % 100 == 1 ? 89 : 1)) * 100;
    check_branch(street, replay, branch, {month + 1, month + 28});
  }
}

BOOST_AUTO_TEST_CASE(merchant_figures_are_sums_over_the_chain) {
  Street street({"--volunteers", "60", "--branches", "3", "--months", "3"});
  const Replay replay(street);
  const uint32_t last = last_day(replay);
  for (const std::string merchant : {"lixiang-market", "dumpling-house", "starlight-cinema",
                                     "yanshan-kindergarten", "yuanyuan-property"}) {
    check_merchant(street, replay, merchant, {first_day(replay), last});
    const uint32_t month = (last / 100 - (last / 100 % 100 == 1 ? 89 : 1)) * 100;
    check_merchant(street, replay, merchant, {month + 1, month + 28});
  }
}

BOOST_AUTO_TEST_CASE(the_csv_parses_back_to_the_figures_of_the_table) {
  Street street;
  const std::vector<std::string> period{"--from", "2000-01-01", "--to", "2199-12-31"};
  std::vector<std::string> csv_args{"report", "--branch", "yzs-1", "--format",
                                    "csv",    "--lang",   "en"};
  csv_args.insert(csv_args.end(), period.begin(), period.end());
  const Figures f = figures(street.ok(csv_args));
  std::vector<std::string> table_args{"report", "--branch", "yzs-1", "--lang", "en"};
  table_args.insert(table_args.end(), period.begin(), period.end());
  const std::string table = street.ok(table_args);
  auto table_figure = [&](const std::string& label) {
    const size_t at = table.find(label);
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, label);
    std::string line = table.substr(at, table.find('\n', at) - at);
    std::string digits;
    for (char c : line.substr(label.size())) {
      if ((c >= '0' && c <= '9') || c == '-') digits.push_back(c);
    }
    return to_int(digits);
  };
  BOOST_TEST(table_figure("opening balance") == figure(f, "points", "opening", "points"));
  BOOST_TEST(table_figure("+ credited for service") == figure(f, "points", "credited", "points"));
  BOOST_TEST(table_figure("− redeemed for rewards") == figure(f, "points", "redeemed", "points"));
  BOOST_TEST(table_figure("= closing balance (points outstanding)") ==
             figure(f, "points", "closing", "points"));
  // The closing balance is what the branch's volunteers hold today.
  int64_t held = 0;
  const Replay replay(street);
  for (const auto& v : replay.volunteers_of("yzs-1")) held += replay.balance('v', v);
  BOOST_TEST(figure(f, "points", "closing", "points") == held);
  // Identity of the points section.
  BOOST_TEST(
      figure(f, "points", "opening", "points") + figure(f, "points", "credited", "points") +
          figure(f, "points", "approved", "points") + figure(f, "points", "imported", "points") -
          figure(f, "points", "redeemed", "points") + figure(f, "points", "returned", "points") +
          figure(f, "points", "corrections", "points") ==
      figure(f, "points", "closing", "points"));
}

BOOST_AUTO_TEST_CASE(wrong_periods_and_targets_are_refused) {
  Street street;
  BOOST_TEST(street.run({"report", "--branch", "yzs-1"}).exit_code == 3);
  BOOST_TEST(street.run({"report", "--month", "2026-01"}).exit_code == 3);
  BOOST_TEST(street.run({"report", "--branch", "yzs-1", "--month", "2026-13"}).exit_code == 3);
  BOOST_TEST(
      street.run({"report", "--branch", "yzs-1", "--from", "2026-03-02", "--to", "2026-03-01"})
          .exit_code == 3);
  BOOST_TEST(
      street.run({"report", "--branch", "yzs-1", "--from", "2026-02-30", "--to", "2026-03-01"})
          .exit_code == 3);
  const RunResult nowhere =
      street.run({"report", "--branch", "no-such-branch", "--month", "2026-01"});
  BOOST_TEST(nowhere.exit_code == 3);
  BOOST_TEST(contains(nowhere.err, "no-such-branch"));
  BOOST_TEST(street.run({"report", "--merchant", "no-such-shop", "--month", "2026-01"}).exit_code ==
             3);
}

BOOST_AUTO_TEST_SUITE_END()
