// Reports for a branch or a merchant over a period, computed from the postings of the ledger
// (account histories) so that every figure is a sum over named entries:
//
// Branch, "service" (by service date within the period): credited service of the branch's
//   volunteers (credits, approved claims, paper imports) whose entry was not reversed; hours and
//   points by category; active volunteers are those with such service, inactive the others on
//   the books (accounts opened by the end of the period).
// Branch, "points" (by the date the entry was recorded): opening balance of the branch's
//   volunteers + credited + approved + imported - redeemed (redeemed and reserved) + returned
//   (cancelled reservations) + corrections (reversals) = closing balance (points outstanding).
// Branch, now: claims awaiting the council and how long since the service; reward stock left.
// Merchant (by the date recorded): points taken in (redemptions, delivered reservations),
//   reversals and settlements; the closing balance is what is due for settlement.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backend.h"
#include "movements.h"
#include "names_store.h"
#include "street_text.h"

namespace passbook::cli::street {

struct Period {
  uint32_t from = 0;  // YYYYMMDD, inclusive
  uint32_t to = 0;    // YYYYMMDD, inclusive
  [[nodiscard]] bool contains(uint32_t day) const { return day >= from && day <= to; }
};
// "2026-03" or --from/--to.
Result<Period> parse_month(const std::string& text);

struct CategoryRow {
  std::string category;
  int64_t minutes = 0;
  int64_t points = 0;
  int64_t lines = 0;
  int64_t volunteers = 0;
  int64_t paper_minutes = 0;  // of which imported from paper passbooks
  int64_t paper_points = 0;
};

struct VolunteerRow {
  std::string account;
  std::string name;  // display name, or empty
  bool active = false;
  int64_t minutes = 0;  // service in the period
  int64_t points = 0;   // points of that service
  int64_t balance_end = 0;
  int64_t pending = 0;  // now
};

struct RewardRow {
  std::string merchant;
  std::string reward;
  std::string name;
  int64_t units = 0;   // in the period
  int64_t points = 0;  // in the period
  int64_t stock = 0;   // now; ListReward::kUnlimitedStock for none
  bool listed = true;
};

struct BranchFlow {
  int64_t opening = 0;
  int64_t credited = 0;
  int64_t approved = 0;
  int64_t imported = 0;
  int64_t redeemed = 0;  // points out (positive number)
  int64_t returned = 0;
  int64_t corrections = 0;  // signed
  int64_t other = 0;        // signed; zero unless the ledger grows new kinds
  int64_t closing = 0;
};

struct BranchReport {
  Context context;
  std::string branch;
  Period period;
  int64_t on_books = 0;
  int64_t active = 0;
  int64_t inactive = 0;
  bool open_dates_known = true;
  std::vector<CategoryRow> categories;  // most points first
  CategoryRow total;
  BranchFlow flow;
  std::vector<schemas::ClaimView> pending;  // oldest service first
  int64_t pending_points = 0;
  int64_t oldest_pending_days = 0;
  std::vector<RewardRow> rewards;
  std::vector<VolunteerRow> volunteers;
  std::vector<std::pair<uint32_t, int64_t>> minutes_by_month;  // YYYYMM, 12 months to period end
};

struct MerchantFlow {
  int64_t opening = 0;  // due at the start of the period
  int64_t taken_in = 0;
  int64_t reversed = 0;  // points out (positive number)
  int64_t settled = 0;   // points out (positive number)
  int64_t other = 0;     // signed
  int64_t closing = 0;   // due for settlement at the end of the period
};

struct MerchantReport {
  Context context;
  std::string merchant;
  Period period;
  MerchantFlow flow;
  std::vector<RewardRow> rewards;
  std::vector<Movement> redemptions;  // in the period: redeem, deliver, reversal
  std::vector<Movement> settlements;  // in the period
  int64_t held_reservations = 0;      // now
  int64_t held_points = 0;
  std::vector<std::pair<uint32_t, int64_t>> points_by_month;  // taken in, 12 months
};

// waiting days of a claim: from its service date to `today`.
int64_t claim_age_days(const schemas::ClaimView& claim, uint32_t today);

Result<BranchReport> build_branch_report(Backend& backend, const std::string& branch, Period period,
                                         const NamesStore* names);
Result<MerchantReport> build_merchant_report(Backend& backend, const std::string& merchant,
                                             Period period);

std::string report_table(const BranchReport& r, Lang lang);
std::string report_table(const MerchantReport& r, Lang lang);
// Long form, one figure a row: section,item,measure,value.
std::string report_csv(const BranchReport& r, Lang lang);
std::string report_csv(const MerchantReport& r, Lang lang);
std::string report_html(const BranchReport& r, Lang lang);
std::string report_html(const MerchantReport& r, Lang lang);

}  // namespace passbook::cli::street
