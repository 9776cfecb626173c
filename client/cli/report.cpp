#include "report.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "args.h"
#include "csv.h"
#include "html.h"
#include "passbook/schemas/encoding.h"
#include "passbook/schemas/records.h"
#include "passbook/schemas/wire.h"
#include "table.h"

namespace passbook::cli::street {
namespace {

using namespace schemas;

std::string ref_text(uint64_t seq, uint32_t op) {
  return std::to_string(seq) + "." + std::to_string(op);
}

std::string month_text(uint32_t yyyymm) {
  const std::string day = day_text(yyyymm * 100 + 1);
  return day.substr(0, 7);
}

// The twelve months (YYYYMM) that end with the month of `day`.
std::vector<uint32_t> twelve_months(uint32_t day) {
  std::vector<uint32_t> months;
  uint32_t y = day / 10000;
  uint32_t m = day / 100 % 100;
  for (int i = 0; i < 12; ++i) {
    months.push_back(y * 100 + m);
    if (--m == 0) {
      m = 12;
      --y;
    }
  }
  std::reverse(months.begin(), months.end());
  return months;
}

std::string period_text(const Period& p) {
  return day_text(p.from) + " – " + day_text(p.to);
}

std::string stock_text(const RewardRow& r, Lang lang) {
  if (r.stock == ListReward::kUnlimitedStock) return tr(lang, "不限", "unlimited");
  return points_text(r.stock) + (r.listed ? "" : tr(lang, "（已下架）", " (delisted)"));
}

using RewardKey = std::pair<std::string, std::string>;

void add_reward(std::map<RewardKey, RewardRow>& rows, const Movement& m, int64_t units,
                int64_t points) {
  RewardRow& row = rows[{m.merchant, m.reward}];
  row.merchant = m.merchant;
  row.reward = m.reward;
  row.units += units;
  row.points += points;
}

std::vector<RewardRow> finish_rewards(std::map<RewardKey, RewardRow> rows, const Context& context,
                                      const std::string& only_merchant) {
  for (const auto& r : context.rewards) {
    if (!only_merchant.empty() && r.merchant != only_merchant) continue;
    if (!r.listed && rows.count({r.merchant, r.reward}) == 0) continue;
    RewardRow& row = rows[{r.merchant, r.reward}];
    row.merchant = r.merchant;
    row.reward = r.reward;
  }
  std::vector<RewardRow> out;
  for (auto& [key, row] : rows) {
    if (const RewardView* view = context.find_reward(row.merchant, row.reward)) {
      row.name = view->name;
      row.stock = view->stock;
      row.listed = view->listed;
      if (row.merchant.empty()) row.merchant = view->merchant;
    } else {
      row.name = row.reward;
      row.stock = ListReward::kUnlimitedStock;
    }
    out.push_back(row);
  }
  return out;
}

// The local date of an entry's commit, cached; nullopt when the key may not read entries.
class EntryDates {
 public:
  EntryDates(Backend& backend, int32_t offset) : backend_(backend), offset_(offset) {}
  void learn(uint64_t seq, uint32_t day) { days_.emplace(seq, day); }
  Result<std::optional<uint32_t>> day(uint64_t seq) {
    if (auto it = days_.find(seq); it != days_.end()) return std::optional<uint32_t>(it->second);
    if (denied_) return std::optional<uint32_t>();
    std::vector<std::string> found;
    PASSBOOK_ASSIGN_OR_RETURN(bool answered, permitted_query(backend_.entries(seq, 1), found));
    if (!answered) {
      denied_ = true;
      return std::optional<uint32_t>();
    }
    if (found.empty()) return not_found("there is no entry " + std::to_string(seq));
    PASSBOOK_ASSIGN_OR_RETURN(Entry entry, decode<Entry>(found.front(), "the entry"));
    const uint32_t d = local_day(entry.commit_ms, offset_);
    days_.emplace(seq, d);
    return std::optional<uint32_t>(d);
  }

 private:
  Backend& backend_;
  int32_t offset_;
  std::map<uint64_t, uint32_t> days_;
  bool denied_ = false;
};

}  // namespace

Result<Period> parse_month(const std::string& text) {
  const bool shape = text.size() == 7 && text[4] == '-';
  if (!shape) return invalid_argument("\"" + text + "\" is not a month like 2026-03");
  PASSBOOK_ASSIGN_OR_RETURN(int64_t year, parse_integer(text.substr(0, 4), 2000, 2199, "the year"));
  PASSBOOK_ASSIGN_OR_RETURN(int64_t month, parse_integer(text.substr(5, 2), 1, 12, "the month"));
  const auto first = static_cast<uint32_t>(year * 10000 + month * 100 + 1);
  return Period{first, month_end(first)};
}

int64_t claim_age_days(const ClaimView& claim, uint32_t today) {
  auto from = day_number(claim.service_day);
  auto to = day_number(today);
  if (!from || !to) return 0;
  return std::max<int64_t>(0, *to - *from);
}

Result<BranchReport> build_branch_report(Backend& backend, const std::string& branch, Period period,
                                         const NamesStore* names) {
  BranchReport r;
  r.branch = branch;
  r.period = period;
  PASSBOOK_ASSIGN_OR_RETURN(r.context, load_context(backend, branch, std::string()));
  {
    auto issuing = backend.account(AccountKind::kBranch, branch);
    if (!issuing.is_ok() && issuing.status().code() == Status::Code::kNotFound) {
      return not_found("there is no branch " + branch);
    }
  }
  PASSBOOK_ASSIGN_OR_RETURN(std::vector<AccountView> accounts, backend.accounts(branch));
  const std::vector<uint32_t> months = twelve_months(period.to);
  std::map<uint32_t, int64_t> month_minutes;
  for (uint32_t m : months) month_minutes[m] = 0;
  std::map<std::string, CategoryRow> categories;
  std::map<std::string, std::set<std::string>> category_volunteers;
  std::map<RewardKey, RewardRow> rewards;
  EntryDates dates(backend, r.context.info.utc_offset_minutes);
  int64_t balances_now = 0;

  for (const auto& account : accounts) {
    PASSBOOK_ASSIGN_OR_RETURN(std::vector<Movement> moves,
                              movements(backend, r.context, AccountKind::kVolunteer, account.id));
    const auto reversed = reversed_seqs(moves);
    VolunteerRow row;
    row.account = account.id;
    row.pending = account.pending;
    balances_now += account.available;
    if (names != nullptr) {
      auto name = names->get(account.id);
      if (name.is_ok() && *name) row.name = (*name)->display;
    }
    for (const auto& m : moves) {
      dates.learn(m.seq, m.commit_day);
      if (m.commit_day < period.from) {
        r.flow.opening += m.delta;
      } else if (m.commit_day <= period.to) {
        switch (m.kind) {
          case MoveKind::kCredit:
            r.flow.credited += m.delta;
            break;
          case MoveKind::kApproved:
            r.flow.approved += m.delta;
            break;
          case MoveKind::kImport:
            r.flow.imported += m.delta;
            break;
          case MoveKind::kRedeem:
          case MoveKind::kReserve:
            r.flow.redeemed -= m.delta;
            add_reward(rewards, m, m.quantity, -m.delta);
            break;
          case MoveKind::kCancel:
            r.flow.returned += m.delta;
            add_reward(rewards, m, -m.quantity, -m.delta);
            break;
          case MoveKind::kReversal:
            r.flow.corrections += m.delta;
            if (m.undid == MoveKind::kRedeem) add_reward(rewards, m, -m.quantity, -m.delta);
            break;
          default:
            r.flow.other += m.delta;
            break;
        }
      }
      if (m.commit_day <= period.to) row.balance_end += m.delta;
      if (!m.is_service() || reversed.count(m.seq) != 0) continue;
      if (auto it = month_minutes.find(m.service_day / 100); it != month_minutes.end()) {
        it->second += m.minutes;
      }
      if (!period.contains(m.service_day)) continue;
      row.active = true;
      row.minutes += m.minutes;
      row.points += m.delta;
      CategoryRow& c = categories[m.category];
      c.category = m.category;
      c.minutes += m.minutes;
      c.points += m.delta;
      c.lines += 1;
      if (m.kind == MoveKind::kImport) {
        c.paper_minutes += m.minutes;
        c.paper_points += m.delta;
      }
      category_volunteers[m.category].insert(account.id);
    }
    r.flow.closing += row.balance_end;
    // On the books: the account was opened by the end of the period.
    bool on_books = !moves.empty() && moves.front().commit_day <= period.to;
    if (!on_books) {
      PASSBOOK_ASSIGN_OR_RETURN(std::optional<uint32_t> opened, dates.day(account.opened_seq));
      if (!opened) r.open_dates_known = false;
      on_books = !opened || *opened <= period.to;
    }
    if (!on_books) continue;
    ++r.on_books;
    if (row.active) {
      ++r.active;
    } else {
      ++r.inactive;
    }
    r.volunteers.push_back(std::move(row));
  }
  const BranchFlow& f = r.flow;
  if (f.opening + f.credited + f.approved + f.imported - f.redeemed + f.returned + f.corrections +
          f.other !=
      f.closing) {
    return internal_error("the branch report's points do not add up");
  }
  if (period.to >= r.context.today && f.closing != balances_now) {
    return data_loss("the postings of branch " + branch + " add up to " +
                     std::to_string(f.closing) + " points but its volunteers hold " +
                     std::to_string(balances_now));
  }
  for (auto& [id, c] : categories) {
    c.volunteers = static_cast<int64_t>(category_volunteers[id].size());
    r.total.minutes += c.minutes;
    r.total.points += c.points;
    r.total.lines += c.lines;
    r.total.paper_minutes += c.paper_minutes;
    r.total.paper_points += c.paper_points;
    r.categories.push_back(c);
  }
  std::sort(r.categories.begin(), r.categories.end(),
            [](const CategoryRow& a, const CategoryRow& b) {
              return a.points != b.points ? a.points > b.points : a.category < b.category;
            });
  r.total.category = "";
  r.total.volunteers = r.active;
  for (const auto& [ref, claim] : r.context.claims) {
    if (claim.branch != branch || claim.decision != ClaimDecision::kPending) continue;
    r.pending.push_back(claim);
    r.pending_points += claim.points;
    r.oldest_pending_days = std::max(r.oldest_pending_days, claim_age_days(claim, r.context.today));
  }
  std::sort(r.pending.begin(), r.pending.end(), [](const ClaimView& a, const ClaimView& b) {
    return a.service_day != b.service_day ? a.service_day < b.service_day : a.ref.seq < b.ref.seq;
  });
  r.rewards = finish_rewards(std::move(rewards), r.context, "");
  for (uint32_t m : months) r.minutes_by_month.emplace_back(m, month_minutes[m]);
  return r;
}

Result<MerchantReport> build_merchant_report(Backend& backend, const std::string& merchant,
                                             Period period) {
  MerchantReport r;
  r.merchant = merchant;
  r.period = period;
  PASSBOOK_ASSIGN_OR_RETURN(r.context, load_context(backend, std::nullopt, merchant));
  PASSBOOK_ASSIGN_OR_RETURN(AccountView account, backend.account(AccountKind::kMerchant, merchant));
  PASSBOOK_ASSIGN_OR_RETURN(std::vector<Movement> moves,
                            movements(backend, r.context, AccountKind::kMerchant, merchant));
  const std::vector<uint32_t> months = twelve_months(period.to);
  std::map<uint32_t, int64_t> month_points;
  for (uint32_t m : months) month_points[m] = 0;
  std::map<RewardKey, RewardRow> rewards;
  for (const auto& m : moves) {
    if ((m.kind == MoveKind::kRedeem || m.kind == MoveKind::kDeliver)) {
      if (auto it = month_points.find(m.commit_day / 100); it != month_points.end())
        it->second += m.delta;
    }
    if (m.commit_day < period.from) {
      r.flow.opening += m.delta;
      continue;
    }
    if (m.commit_day > period.to) continue;
    switch (m.kind) {
      case MoveKind::kRedeem:
      case MoveKind::kDeliver:
        r.flow.taken_in += m.delta;
        add_reward(rewards, m, m.quantity, m.delta);
        r.redemptions.push_back(m);
        break;
      case MoveKind::kReversal:
        r.flow.reversed -= m.delta;
        if (m.undid == MoveKind::kRedeem) add_reward(rewards, m, -m.quantity, m.delta);
        r.redemptions.push_back(m);
        break;
      case MoveKind::kSettle:
        r.flow.settled -= m.delta;
        r.settlements.push_back(m);
        break;
      default:
        r.flow.other += m.delta;
        break;
    }
  }
  MerchantFlow& f = r.flow;
  f.closing = f.opening + f.taken_in - f.reversed - f.settled + f.other;
  if (period.to >= r.context.today && f.closing != account.available) {
    return data_loss("the postings of merchant " + merchant + " add up to " +
                     std::to_string(f.closing) + " points but its balance is " +
                     std::to_string(account.available));
  }
  for (const auto& [ref, reservation] : r.context.reservations) {
    if (reservation.merchant != merchant || reservation.state != ReservationState::kHeld) continue;
    ++r.held_reservations;
    r.held_points += reservation.points;
  }
  r.rewards = finish_rewards(std::move(rewards), r.context, merchant);
  for (uint32_t m : months) r.points_by_month.emplace_back(m, month_points[m]);
  return r;
}

// ---- terminal ------------------------------------------------------------------------------

namespace {

struct FlowLine {
  std::string label;
  int64_t points;
  bool always;
};

std::vector<FlowLine> branch_flow_lines(const BranchFlow& f, Lang lang) {
  return {{tr(lang, "期初余额", "opening balance"), f.opening, true},
          {tr(lang, "+ 服务记入", "+ credited for service"), f.credited, true},
          {tr(lang, "+ 申报审核通过", "+ approved claims"), f.approved, true},
          {tr(lang, "+ 纸质存折转入", "+ imported from paper passbooks"), f.imported, true},
          {tr(lang, "− 兑换奖品", "− redeemed for rewards"), f.redeemed, true},
          {tr(lang, "+ 预约取消退回", "+ returned (cancelled reservations)"), f.returned, true},
          {tr(lang, "± 冲正", "± corrections (reversals)"), f.corrections, true},
          {tr(lang, "± 其他", "± other"), f.other, false},
          {tr(lang, "= 期末余额（未兑换积分）", "= closing balance (points outstanding)"),
           f.closing, true}};
}

std::vector<FlowLine> merchant_flow_lines(const MerchantFlow& f, Lang lang) {
  return {{tr(lang, "期初待结算", "due at the start"), f.opening, true},
          {tr(lang, "+ 兑换收入", "+ taken in for rewards"), f.taken_in, true},
          {tr(lang, "− 冲正退回", "− reversed"), f.reversed, true},
          {tr(lang, "− 已结算", "− settled"), f.settled, true},
          {tr(lang, "± 其他", "± other"), f.other, false},
          {tr(lang, "= 期末待结算", "= due for settlement"), f.closing, true}};
}

// A merchant's own redemption line: the shop's name would only repeat itself.
std::string merchant_line(const Movement& m, const Context& context, Lang lang) {
  if (m.kind != MoveKind::kRedeem) return describe(m, context, lang);
  return context.reward_name(m.merchant, m.reward) + " ×" + std::to_string(m.quantity);
}

std::string volunteer_label(const std::string& account, const std::string& name) {
  return name.empty() ? account : name + " (" + account + ")";
}

}  // namespace

std::string report_table(const BranchReport& r, Lang lang) {
  std::ostringstream out;
  const bool zh = lang == Lang::kZh;
  const std::string branch_name = r.context.branch_name(r.branch);
  out << tr(lang, "网格党支部报表  ", "Branch report  ") << branch_name;
  if (branch_name != r.branch) out << " (" << r.branch << ")";
  out << "\n" << tr(lang, "统计期间 ", "period ") << period_text(r.period) << "\n\n";
  out << (zh ? "在册志愿者 " : "Volunteers on the books: ") << r.on_books
      << (zh ? "，活跃 " : ", active ") << r.active << (zh ? "，未参与 " : ", inactive ")
      << r.inactive << "\n";
  if (!r.open_dates_known) {
    out << tr(lang, "（此密钥无权读取账本条目，开户日期未核对，在册人数含期后开户者）",
              "(this key may not read entries: accounts opened after the period are counted too)")
        << "\n";
  }
  out << "\n"
      << tr(lang, "服务时长与积分（按服务日期）", "Service by category (by service date)") << "\n";
  Table service({{tr(lang, "类别", "category")},
                 {tr(lang, "人数", "volunteers"), Table::Align::kRight},
                 {tr(lang, "笔数", "lines"), Table::Align::kRight},
                 {tr(lang, "小时", "hours"), Table::Align::kRight},
                 {tr(lang, "积分", "points"), Table::Align::kRight},
                 {tr(lang, "其中纸质转入（小时）", "from paper (hours)"), Table::Align::kRight}});
  for (const auto& c : r.categories) {
    service.add_row({category_label(c.category, lang), std::to_string(c.volunteers),
                     std::to_string(c.lines), hours_number(c.minutes), points_text(c.points),
                     hours_number(c.paper_minutes)});
  }
  service.add_row({tr(lang, "合计", "total"), std::to_string(r.total.volunteers),
                   std::to_string(r.total.lines), hours_number(r.total.minutes),
                   points_text(r.total.points), hours_number(r.total.paper_minutes)});
  service.print(out);

  out << "\n" << tr(lang, "积分收支（按记账日期）", "Points (by the date recorded)") << "\n";
  Table flow({{tr(lang, "项目", "item")}, {tr(lang, "积分", "points"), Table::Align::kRight}});
  for (const auto& line : branch_flow_lines(r.flow, lang)) {
    if (line.always || line.points != 0) flow.add_row({line.label, points_text(line.points)});
  }
  flow.print(out);

  out << "\n"
      << (zh ? "待党群理事会审核的申报（截至今日）：" : "Claims awaiting the council (today): ")
      << r.pending.size() << (zh ? " 笔，" : " claims, ") << points_text(r.pending_points)
      << (zh ? " 积分" : " points");
  if (!r.pending.empty()) {
    out << (zh ? "，最久已等待 " : ", the oldest waiting ") << r.oldest_pending_days
        << (zh ? " 天" : " days");
  }
  out << "\n";
  if (!r.pending.empty()) {
    Table pending({{tr(lang, "申报号", "claim")},
                   {tr(lang, "志愿者", "volunteer")},
                   {tr(lang, "类别", "category")},
                   {tr(lang, "小时", "hours"), Table::Align::kRight},
                   {tr(lang, "服务日期", "service date")},
                   {tr(lang, "积分", "points"), Table::Align::kRight},
                   {tr(lang, "已等待（天）", "waiting (days)"), Table::Align::kRight}});
    std::map<std::string, std::string> names;
    for (const auto& v : r.volunteers) names[v.account] = v.name;
    for (const auto& c : r.pending) {
      pending.add_row({ref_text(c.ref.seq, c.ref.op), volunteer_label(c.account, names[c.account]),
                       category_label(c.category, lang), hours_number(c.minutes),
                       day_text(c.service_day), points_text(c.points),
                       std::to_string(claim_age_days(c, r.context.today))});
    }
    pending.print(out);
  }

  out << "\n"
      << tr(lang, "奖品兑换（本支部志愿者，期内）与库存（今日）",
            "Rewards redeemed by this branch's volunteers (period) and stock left (today)")
      << "\n";
  Table rewards({{tr(lang, "商家", "merchant")},
                 {tr(lang, "奖品", "reward")},
                 {tr(lang, "件数", "units"), Table::Align::kRight},
                 {tr(lang, "积分", "points"), Table::Align::kRight},
                 {tr(lang, "库存", "stock left"), Table::Align::kRight}});
  for (const auto& w : r.rewards) {
    rewards.add_row({r.context.merchant_name(w.merchant), w.name, std::to_string(w.units),
                     points_text(w.points), stock_text(w, lang)});
  }
  rewards.print(out);

  out << "\n" << tr(lang, "志愿者明细", "Volunteers") << "\n";
  Table volunteers({{tr(lang, "账号", "account")},
                    {tr(lang, "户名", "name")},
                    {tr(lang, "小时", "hours"), Table::Align::kRight},
                    {tr(lang, "积分", "points"), Table::Align::kRight},
                    {tr(lang, "期末余额", "balance at end"), Table::Align::kRight},
                    {tr(lang, "待审核", "pending"), Table::Align::kRight}});
  for (const auto& v : r.volunteers) {
    volunteers.add_row({v.account, v.name, hours_number(v.minutes), points_text(v.points),
                        points_text(v.balance_end), v.pending != 0 ? points_text(v.pending) : ""});
  }
  volunteers.print(out);
  out << "\n"
      << (zh ? "据账本 " + r.context.info.origin + "（共 " + std::to_string(r.context.info.size) +
                   " 条记录，根哈希 " + to_hex(r.context.info.root).substr(0, 16) + "…）"
             : "From ledger " + r.context.info.origin + " (" + std::to_string(r.context.info.size) +
                   " entries, root " + to_hex(r.context.info.root).substr(0, 16) + "…)")
      << "\n";
  return out.str();
}

std::string report_table(const MerchantReport& r, Lang lang) {
  std::ostringstream out;
  const bool zh = lang == Lang::kZh;
  const std::string name = r.context.merchant_name(r.merchant);
  out << tr(lang, "商家结算报表  ", "Merchant report  ") << name;
  if (name != r.merchant) out << " (" << r.merchant << ")";
  out << "\n" << tr(lang, "统计期间 ", "period ") << period_text(r.period) << "\n\n";
  Table flow({{tr(lang, "项目", "item")}, {tr(lang, "积分", "points"), Table::Align::kRight}});
  for (const auto& line : merchant_flow_lines(r.flow, lang)) {
    if (line.always || line.points != 0) flow.add_row({line.label, points_text(line.points)});
  }
  flow.print(out);
  if (r.held_reservations != 0) {
    out << (zh ? "另有预约冻结（未交付，不计入待结算）："
               : "Held in reservations (not delivered, not due yet): ")
        << r.held_reservations << (zh ? " 笔，" : " reservations, ") << points_text(r.held_points)
        << (zh ? " 积分" : " points") << "\n";
  }
  out << "\n" << tr(lang, "按奖品", "By reward") << "\n";
  Table rewards({{tr(lang, "奖品", "reward")},
                 {tr(lang, "件数", "units"), Table::Align::kRight},
                 {tr(lang, "积分", "points"), Table::Align::kRight},
                 {tr(lang, "库存", "stock left"), Table::Align::kRight}});
  for (const auto& w : r.rewards) {
    rewards.add_row({w.name, std::to_string(w.units), points_text(w.points), stock_text(w, lang)});
  }
  rewards.print(out);
  out << "\n" << tr(lang, "兑换明细", "Redemptions") << "\n";
  Table lines({{tr(lang, "日期", "date")},
               {tr(lang, "记账号", "entry"), Table::Align::kRight},
               {tr(lang, "志愿者账号", "volunteer")},
               {tr(lang, "摘要", "what")},
               {tr(lang, "积分", "points"), Table::Align::kRight}});
  for (const auto& m : r.redemptions) {
    lines.add_row({day_text(m.commit_day), ref_text(m.seq, m.op), m.volunteer,
                   merchant_line(m, r.context, lang), points_text(m.delta)});
  }
  lines.print(out);
  if (!r.settlements.empty()) {
    out << "\n" << tr(lang, "结算", "Settlements") << "\n";
    Table settled({{tr(lang, "日期", "date")},
                   {tr(lang, "记账号", "entry"), Table::Align::kRight},
                   {tr(lang, "凭证", "reference")},
                   {tr(lang, "积分", "points"), Table::Align::kRight}});
    for (const auto& m : r.settlements) {
      settled.add_row(
          {day_text(m.commit_day), ref_text(m.seq, m.op), m.reference, points_text(-m.delta)});
    }
    settled.print(out);
  }
  return out.str();
}

// ---- CSV -----------------------------------------------------------------------------------

namespace {

class LongCsv {
 public:
  LongCsv() { out_ = csv::row({"section", "item", "measure", "value"}); }
  void add(const std::string& section, const std::string& item, const std::string& measure,
           const std::string& value) {
    out_ += csv::row({section, item, measure, value});
  }
  void add(const std::string& section, const std::string& item, const std::string& measure,
           int64_t value) {
    add(section, item, measure, std::to_string(value));
  }
  [[nodiscard]] std::string str() const { return out_; }

 private:
  std::string out_;
};

void add_header(LongCsv& csv, const char* kind, const std::string& id, const Period& p,
                const Context& c) {
  csv.add("report", kind, "id", id);
  csv.add("report", "period", "from", day_text(p.from));
  csv.add("report", "period", "to", day_text(p.to));
  csv.add("report", "ledger", "origin", c.info.origin);
  csv.add("report", "ledger", "entries", static_cast<int64_t>(c.info.size));
  csv.add("report", "ledger", "root", to_hex(c.info.root));
  csv.add("report", "printed", "date", day_text(c.today));
}

void add_reward_rows(LongCsv& csv, const std::vector<RewardRow>& rewards) {
  for (const auto& w : rewards) {
    const std::string item = w.merchant + "/" + w.reward;
    csv.add("reward", item, "name", w.name);
    csv.add("reward", item, "units", w.units);
    csv.add("reward", item, "points", w.points);
    csv.add("reward", item, "stock_left",
            w.stock == ListReward::kUnlimitedStock ? "unlimited" : std::to_string(w.stock));
  }
}

}  // namespace

std::string report_csv(const BranchReport& r, Lang lang) {
  LongCsv csv;
  add_header(csv, "branch", r.branch, r.period, r.context);
  csv.add("volunteers", "all", "on_books", r.on_books);
  csv.add("volunteers", "all", "active", r.active);
  csv.add("volunteers", "all", "inactive", r.inactive);
  auto category_rows = [&](const std::string& section, const CategoryRow& c,
                           const std::string& item) {
    csv.add(section, item, "label",
            item == "all" ? tr(lang, "合计", "total") : category_label(c.category, lang));
    csv.add(section, item, "volunteers", c.volunteers);
    csv.add(section, item, "lines", c.lines);
    csv.add(section, item, "minutes", c.minutes);
    csv.add(section, item, "hours", hours_number(c.minutes));
    csv.add(section, item, "points", c.points);
    csv.add(section, item, "paper_minutes", c.paper_minutes);
    csv.add(section, item, "paper_points", c.paper_points);
  };
  for (const auto& c : r.categories) category_rows("service", c, c.category);
  category_rows("service_total", r.total, "all");
  const BranchFlow& f = r.flow;
  for (const auto& [item, value] :
       std::vector<std::pair<std::string, int64_t>>{{"opening", f.opening},
                                                    {"credited", f.credited},
                                                    {"approved", f.approved},
                                                    {"imported", f.imported},
                                                    {"redeemed", f.redeemed},
                                                    {"returned", f.returned},
                                                    {"corrections", f.corrections},
                                                    {"other", f.other},
                                                    {"closing", f.closing}}) {
    csv.add("points", item, "points", value);
  }
  csv.add("pending", "all", "claims", static_cast<int64_t>(r.pending.size()));
  csv.add("pending", "all", "points", r.pending_points);
  csv.add("pending", "all", "oldest_days", r.oldest_pending_days);
  for (const auto& c : r.pending) {
    const std::string item = ref_text(c.ref.seq, c.ref.op);
    csv.add("pending_claim", item, "account", c.account);
    csv.add("pending_claim", item, "category", c.category);
    csv.add("pending_claim", item, "minutes", c.minutes);
    csv.add("pending_claim", item, "service_date", day_text(c.service_day));
    csv.add("pending_claim", item, "points", c.points);
    csv.add("pending_claim", item, "waiting_days", claim_age_days(c, r.context.today));
  }
  add_reward_rows(csv, r.rewards);
  for (const auto& v : r.volunteers) {
    if (!v.name.empty()) csv.add("volunteer", v.account, "name", v.name);
    csv.add("volunteer", v.account, "active", v.active ? 1 : 0);
    csv.add("volunteer", v.account, "minutes", v.minutes);
    csv.add("volunteer", v.account, "points", v.points);
    csv.add("volunteer", v.account, "balance_end", v.balance_end);
    csv.add("volunteer", v.account, "pending", v.pending);
  }
  for (const auto& [month, minutes] : r.minutes_by_month)
    csv.add("month", month_text(month), "minutes", minutes);
  return csv.str();
}

std::string report_csv(const MerchantReport& r, Lang lang) {
  LongCsv csv;
  add_header(csv, "merchant", r.merchant, r.period, r.context);
  const MerchantFlow& f = r.flow;
  for (const auto& [item, value] :
       std::vector<std::pair<std::string, int64_t>>{{"opening", f.opening},
                                                    {"taken_in", f.taken_in},
                                                    {"reversed", f.reversed},
                                                    {"settled", f.settled},
                                                    {"other", f.other},
                                                    {"closing", f.closing}}) {
    csv.add("due", item, "points", value);
  }
  csv.add("held", "all", "reservations", r.held_reservations);
  csv.add("held", "all", "points", r.held_points);
  add_reward_rows(csv, r.rewards);
  for (const auto& m : r.redemptions) {
    const std::string item = ref_text(m.seq, m.op);
    csv.add("redemption", item, "date", day_text(m.commit_day));
    csv.add("redemption", item, "volunteer", m.volunteer);
    csv.add("redemption", item, "reward", m.reward);
    csv.add("redemption", item, "quantity",
            m.kind == MoveKind::kReversal ? -m.quantity : m.quantity);
    csv.add("redemption", item, "points", m.delta);
    csv.add("redemption", item, "what", merchant_line(m, r.context, lang));
  }
  for (const auto& m : r.settlements) {
    const std::string item = ref_text(m.seq, m.op);
    csv.add("settlement", item, "date", day_text(m.commit_day));
    csv.add("settlement", item, "reference", m.reference);
    csv.add("settlement", item, "points", -m.delta);
  }
  for (const auto& [month, points] : r.points_by_month)
    csv.add("month", month_text(month), "points", points);
  return csv.str();
}

// ---- HTML ----------------------------------------------------------------------------------

namespace {

using html::escape;

std::string th(const std::string& text, bool numeric = false) {
  return std::string(numeric ? "<th class=\"n\">" : "<th>") + escape(text) + "</th>";
}
std::string td(const std::string& text, bool numeric = false) {
  return std::string(numeric ? "<td class=\"n\">" : "<td>") + escape(text) + "</td>";
}

std::string figure(const std::string& value, const std::string& label) {
  return "<div class=\"figure\"><div class=\"v\">" + escape(value) + "</div><div class=\"k\">" +
         escape(label) + "</div></div>";
}

std::string flow_table(const std::vector<FlowLine>& lines, Lang lang) {
  std::string out = "<table><thead><tr>" + th(tr(lang, "项目", "Item")) +
                    th(tr(lang, "积分", "Points"), true) + "</tr></thead><tbody>\n";
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].always && lines[i].points == 0) continue;
    out += std::string(i + 1 == lines.size() ? "<tr class=\"total\">" : "<tr>") +
           td(lines[i].label) + td(points_text(lines[i].points), true) + "</tr>\n";
  }
  return out + "</tbody></table>\n";
}

std::string ledger_footer(const Context& c, Lang lang) {
  const std::string root = to_hex(c.info.root).substr(0, 16);
  const std::string size = std::to_string(c.info.size);
  return "<p class=\"note\">" +
         escape(lang == Lang::kZh
                    ? "据账本 " + c.info.origin + "（共 " + size + " 条记录，根哈希 " + root +
                          "…）生成于 " + local_time_text(c.now_ms, c.info.utc_offset_minutes) +
                          "。每个数字都是账本条目的合计，可用 passbook report --format csv "
                          "导出逐项核对。"
                    : "Made " + local_time_text(c.now_ms, c.info.utc_offset_minutes) +
                          " from ledger " + c.info.origin + " (" + size + " entries, root " + root +
                          "…). Every figure is a sum over ledger entries; passbook report --format "
                          "csv gives "
                          "them item by item.") +
         "</p>\n";
}

std::string header(const std::string& title, const std::string& who, const Period& p, Lang lang) {
  return "<header class=\"cover\"><h1>" + escape(title) + "</h1><div class=\"sub\">" + escape(who) +
         " · " + escape(tr(lang, "统计期间 ", "Period ") + period_text(p)) + "</div></header>\n";
}

}  // namespace

std::string report_html(const BranchReport& r, Lang lang) {
  const bool zh = lang == Lang::kZh;
  const std::string name = r.context.branch_name(r.branch);
  std::string body = "<main class=\"report\">\n" +
                     header(tr(lang, "网格党支部积分报表", "Branch points report"),
                            name == r.branch ? name : name + " (" + r.branch + ")", r.period, lang);
  body +=
      "<div class=\"figures\">" +
      figure(std::to_string(r.active) + " / " + std::to_string(r.on_books),
             tr(lang, "活跃 / 在册志愿者", "active / volunteers")) +
      figure(hours_number(r.total.minutes), tr(lang, "服务小时", "hours of service")) +
      figure(points_text(r.flow.credited + r.flow.approved + r.flow.imported),
             tr(lang, "期内记入积分", "points credited")) +
      figure(points_text(r.flow.closing), tr(lang, "未兑换积分（期末）", "points outstanding")) +
      "</div>\n";
  std::vector<html::Bar> months;
  for (const auto& [month, minutes] : r.minutes_by_month) {
    const bool in_period = month * 100 + 31 >= r.period.from && month * 100 + 1 <= r.period.to;
    months.push_back({month_text(month).substr(2), static_cast<double>(minutes) / 60.0,
                      hours_number(minutes), in_period});
  }
  std::vector<html::Bar> points;
  for (const auto& c : r.categories) {
    points.push_back({category_label(c.category, lang), static_cast<double>(c.points),
                      points_text(c.points), true});
  }
  body += "<div class=\"charts\">" +
          html::column_chart(tr(lang, "每月服务小时（近十二个月，黑色为统计期间）",
                                "Hours of service by month (twelve months; black: the period)"),
                             months) +
          html::bar_chart(tr(lang, "各类别积分（统计期间）", "Points by category (the period)"),
                          points) +
          "</div>\n";
  body +=
      "<h2>" +
      escape(tr(lang, "服务时长与积分（按服务日期）", "Service by category (by service date)")) +
      "</h2>\n";
  body += "<table><thead><tr>" + th(tr(lang, "类别", "Category")) +
          th(tr(lang, "人数", "Volunteers"), true) + th(tr(lang, "笔数", "Lines"), true) +
          th(tr(lang, "小时", "Hours"), true) + th(tr(lang, "积分", "Points"), true) +
          th(tr(lang, "其中纸质转入（小时）", "From paper (hours)"), true) +
          "</tr></thead><tbody>\n";
  for (const auto& c : r.categories) {
    body += "<tr>" + td(category_label(c.category, lang)) + td(std::to_string(c.volunteers), true) +
            td(std::to_string(c.lines), true) + td(hours_number(c.minutes), true) +
            td(points_text(c.points), true) + td(hours_number(c.paper_minutes), true) + "</tr>\n";
  }
  body += "<tr class=\"total\">" + td(tr(lang, "合计", "Total")) +
          td(std::to_string(r.total.volunteers), true) + td(std::to_string(r.total.lines), true) +
          td(hours_number(r.total.minutes), true) + td(points_text(r.total.points), true) +
          td(hours_number(r.total.paper_minutes), true) + "</tr>\n</tbody></table>\n";
  body += "<p>" +
          escape(zh ? "在册志愿者 " + std::to_string(r.on_books) + " 人，活跃 " +
                          std::to_string(r.active) + " 人，未参与 " + std::to_string(r.inactive) +
                          " 人。"
                    : std::to_string(r.on_books) +
                          " volunteers on the books: " + std::to_string(r.active) + " active, " +
                          std::to_string(r.inactive) + " inactive.") +
          "</p>\n";
  body += "<h2>" + escape(tr(lang, "积分收支（按记账日期）", "Points (by the date recorded)")) +
          "</h2>\n" + flow_table(branch_flow_lines(r.flow, lang), lang);
  body +=
      "<h2>" +
      escape(
          tr(lang, "待党群理事会审核的申报（截至今日）", "Claims awaiting the council (today)")) +
      "</h2>\n<p>" +
      escape(zh ? std::to_string(r.pending.size()) + " 笔，" + points_text(r.pending_points) +
                      " 积分" +
                      (r.pending.empty()
                           ? ""
                           : "，最久已等待 " + std::to_string(r.oldest_pending_days) + " 天")
                : std::to_string(r.pending.size()) + " claims, " + points_text(r.pending_points) +
                      " points" +
                      (r.pending.empty() ? ""
                                         : ", the oldest waiting " +
                                               std::to_string(r.oldest_pending_days) + " days")) +
      "</p>\n";
  if (!r.pending.empty()) {
    std::map<std::string, std::string> names;
    for (const auto& v : r.volunteers) names[v.account] = v.name;
    body += "<table><thead><tr>" + th(tr(lang, "申报号", "Claim")) +
            th(tr(lang, "志愿者", "Volunteer")) + th(tr(lang, "类别", "Category")) +
            th(tr(lang, "小时", "Hours"), true) + th(tr(lang, "服务日期", "Service date")) +
            th(tr(lang, "积分", "Points"), true) +
            th(tr(lang, "已等待（天）", "Waiting (days)"), true) + "</tr></thead><tbody>\n";
    for (const auto& c : r.pending) {
      body += "<tr>" + td(ref_text(c.ref.seq, c.ref.op)) +
              td(volunteer_label(c.account, names[c.account])) +
              td(category_label(c.category, lang)) + td(hours_number(c.minutes), true) +
              td(day_text(c.service_day)) + td(points_text(c.points), true) +
              td(std::to_string(claim_age_days(c, r.context.today)), true) + "</tr>\n";
    }
    body += "</tbody></table>\n";
  }
  body +=
      "<h2>" +
      escape(tr(lang, "奖品兑换（本支部志愿者，期内）与库存（今日）",
                "Rewards redeemed by this branch's volunteers (period) and stock left (today)")) +
      "</h2>\n<table><thead><tr>" + th(tr(lang, "商家", "Merchant")) +
      th(tr(lang, "奖品", "Reward")) + th(tr(lang, "件数", "Units"), true) +
      th(tr(lang, "积分", "Points"), true) + th(tr(lang, "库存", "Stock left"), true) +
      "</tr></thead><tbody>\n";
  for (const auto& w : r.rewards) {
    body += "<tr>" + td(r.context.merchant_name(w.merchant)) + td(w.name) +
            td(std::to_string(w.units), true) + td(points_text(w.points), true) +
            td(stock_text(w, lang), true) + "</tr>\n";
  }
  body += "</tbody></table>\n";
  body += "<h2>" + escape(tr(lang, "志愿者明细", "Volunteers")) + "</h2>\n<table><thead><tr>" +
          th(tr(lang, "账号", "Account")) + th(tr(lang, "户名", "Name")) +
          th(tr(lang, "小时", "Hours"), true) + th(tr(lang, "积分", "Points"), true) +
          th(tr(lang, "期末余额", "Balance at end"), true) +
          th(tr(lang, "待审核", "Pending"), true) + "</tr></thead><tbody>\n";
  for (const auto& v : r.volunteers) {
    body += "<tr>" + td(v.account) + td(v.name) + td(hours_number(v.minutes), true) +
            td(points_text(v.points), true) + td(points_text(v.balance_end), true) +
            td(v.pending != 0 ? points_text(v.pending) : "", true) + "</tr>\n";
  }
  body += "</tbody></table>\n" + ledger_footer(r.context, lang) + "</main>\n";
  return html::page(
      tr(lang, "网格党支部积分报表 ", "Branch report ") + name + " " + period_text(r.period), lang,
      html::kReportPage, body);
}

std::string report_html(const MerchantReport& r, Lang lang) {
  const std::string name = r.context.merchant_name(r.merchant);
  std::string body =
      "<main class=\"report\">\n" +
      header(tr(lang, "商家兑换结算报表", "Merchant settlement report"),
             name == r.merchant ? name : name + " (" + r.merchant + ")", r.period, lang);
  body += "<div class=\"figures\">" +
          figure(points_text(r.flow.taken_in), tr(lang, "期内兑换收入", "points taken in")) +
          figure(points_text(r.flow.settled), tr(lang, "期内已结算", "points settled")) +
          figure(points_text(r.flow.closing), tr(lang, "期末待结算", "due for settlement")) +
          figure(std::to_string(r.redemptions.size()), tr(lang, "兑换笔数", "redemptions")) +
          "</div>\n";
  std::vector<html::Bar> months;
  for (const auto& [month, points] : r.points_by_month) {
    const bool in_period = month * 100 + 31 >= r.period.from && month * 100 + 1 <= r.period.to;
    months.push_back(
        {month_text(month).substr(2), static_cast<double>(points), points_text(points), in_period});
  }
  std::vector<html::Bar> by_reward;
  for (const auto& w : r.rewards) {
    if (w.points != 0)
      by_reward.push_back({w.name, static_cast<double>(w.points), points_text(w.points), true});
  }
  body += "<div class=\"charts\">" +
          html::column_chart(
              tr(lang, "每月兑换收入（近十二个月）", "Points taken in by month (twelve months)"),
              months) +
          html::bar_chart(tr(lang, "各奖品积分（统计期间）", "Points by reward (the period)"),
                          by_reward) +
          "</div>\n";
  body += "<h2>" + escape(tr(lang, "待结算积分", "Points due for settlement")) + "</h2>\n" +
          flow_table(merchant_flow_lines(r.flow, lang), lang);
  if (r.held_reservations != 0) {
    body += "<p>" +
            escape(lang == Lang::kZh
                       ? "另有预约冻结 " + std::to_string(r.held_reservations) + " 笔，" +
                             points_text(r.held_points) + " 积分（未交付，不计入待结算）。"
                       : std::to_string(r.held_reservations) + " reservations hold " +
                             points_text(r.held_points) + " points (not delivered, not due yet).") +
            "</p>\n";
  }
  body += "<h2>" + escape(tr(lang, "按奖品", "By reward")) + "</h2>\n<table><thead><tr>" +
          th(tr(lang, "奖品", "Reward")) + th(tr(lang, "件数", "Units"), true) +
          th(tr(lang, "积分", "Points"), true) + th(tr(lang, "库存", "Stock left"), true) +
          "</tr></thead><tbody>\n";
  for (const auto& w : r.rewards) {
    body += "<tr>" + td(w.name) + td(std::to_string(w.units), true) +
            td(points_text(w.points), true) + td(stock_text(w, lang), true) + "</tr>\n";
  }
  body += "</tbody></table>\n<h2>" + escape(tr(lang, "兑换明细", "Redemptions")) +
          "</h2>\n<table><thead><tr>" + th(tr(lang, "日期", "Date")) +
          th(tr(lang, "记账号", "Entry"), true) + th(tr(lang, "志愿者账号", "Volunteer")) +
          th(tr(lang, "摘要", "Description")) + th(tr(lang, "积分", "Points"), true) +
          "</tr></thead><tbody>\n";
  for (const auto& m : r.redemptions) {
    body += "<tr>" + td(day_text(m.commit_day)) + td(ref_text(m.seq, m.op), true) +
            td(m.volunteer) + td(merchant_line(m, r.context, lang)) +
            td(points_text(m.delta), true) + "</tr>\n";
  }
  body += "</tbody></table>\n";
  if (!r.settlements.empty()) {
    body += "<h2>" + escape(tr(lang, "结算", "Settlements")) + "</h2>\n<table><thead><tr>" +
            th(tr(lang, "日期", "Date")) + th(tr(lang, "记账号", "Entry"), true) +
            th(tr(lang, "凭证", "Reference")) + th(tr(lang, "积分", "Points"), true) +
            "</tr></thead><tbody>\n";
    for (const auto& m : r.settlements) {
      body += "<tr>" + td(day_text(m.commit_day)) + td(ref_text(m.seq, m.op), true) +
              td(m.reference) + td(points_text(-m.delta), true) + "</tr>\n";
    }
    body += "</tbody></table>\n";
  }
  body += ledger_footer(r.context, lang) + "</main>\n";
  return html::page(
      tr(lang, "商家结算报表 ", "Merchant report ") + name + " " + period_text(r.period), lang,
      html::kReportPage, body);
}

}  // namespace passbook::cli::street
