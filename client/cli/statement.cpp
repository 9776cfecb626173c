#include "statement.h"

#include <sstream>

#include "csv.h"
#include "html.h"
#include "passbook/schemas/encoding.h"
#include "table.h"

namespace passbook::cli::street {
namespace {

using namespace schemas;

std::string ref_text(uint64_t seq, uint32_t op) {
  return std::to_string(seq) + "." + std::to_string(op);
}

std::string owner_name(const Statement& s) {
  return s.name ? s.name->display : s.account;
}

std::string claim_text(const ClaimView& c, Lang lang) {
  const std::string cat = category_label(c.category, lang);
  return lang == Lang::kZh ? cat + " " + hours_text(c.minutes, lang)
                           : cat + ", " + hours_text(c.minutes, lang);
}

// Days the service has waited for the council, counted from the service date.
int64_t waiting_days(const ClaimView& c, uint32_t today) {
  auto from = day_number(c.service_day);
  auto to = day_number(today);
  if (!from || !to) return 0;
  return std::max<int64_t>(0, *to - *from);
}

std::string signed_minutes(const Movement& m) {
  if (m.category.empty()) return "";
  if (m.kind == MoveKind::kReversal) {
    const bool service = m.undid == MoveKind::kCredit || m.undid == MoveKind::kApproved ||
                         m.undid == MoveKind::kImport;
    return service ? std::to_string(-m.minutes) : "";
  }
  return m.is_service() ? std::to_string(m.minutes) : "";
}

std::string ledger_note(const Statement& s, Lang lang) {
  const std::string root = to_hex(s.context.info.root).substr(0, 16);
  const std::string size = std::to_string(s.context.info.size);
  return lang == Lang::kZh
             ? "据账本 " + s.context.info.origin + "（共 " + size + " 条记录，根哈希 " + root +
                   "…）打印于 " +
                   local_time_text(s.context.now_ms, s.context.info.utc_offset_minutes) +
                   "。每行的记账号即账本条目号，可用 passbook entry 号码 逐条核对。"
             : "Printed " + local_time_text(s.context.now_ms, s.context.info.utc_offset_minutes) +
                   " from ledger " + s.context.info.origin + " (" + size + " entries, root " +
                   root +
                   "…). Each line's entry number names the ledger entry it comes from: check it "
                   "with "
                   "passbook entry NUMBER.";
}

}  // namespace

int64_t Statement::points_in() const {
  int64_t sum = 0;
  for (const auto& m : lines) sum += m.delta > 0 ? m.delta : 0;
  return sum;
}

int64_t Statement::points_out() const {
  int64_t sum = 0;
  for (const auto& m : lines) sum += m.delta < 0 ? -m.delta : 0;
  return sum;
}

Result<Statement> build_statement(Backend& backend, const std::string& account,
                                  const NamesStore* names, std::string* warning) {
  Statement s;
  s.account = account;
  PASSBOOK_ASSIGN_OR_RETURN(AccountView view, backend.account(AccountKind::kVolunteer, account));
  s.branch = view.branch;
  s.available = view.available;
  s.pending_points = view.pending;
  PASSBOOK_ASSIGN_OR_RETURN(s.context, load_context(backend, view.branch, std::string()));
  s.claims_known = s.context.claims_known;
  PASSBOOK_ASSIGN_OR_RETURN(s.lines,
                            movements(backend, s.context, AccountKind::kVolunteer, account));
  for (const auto& [ref, claim] : s.context.claims) {
    if (claim.account == account && claim.decision == ClaimDecision::kPending)
      s.pending.push_back(claim);
  }
  // The passbook must add up to what the ledger holds; anything else is a bug or damage.
  const int64_t last = s.lines.empty() ? 0 : s.lines.back().balance_after;
  if (last != s.available) {
    return data_loss("the history of " + account + " ends at " + std::to_string(last) +
                     " points but the balance is " + std::to_string(s.available));
  }
  if (s.points_in() - s.points_out() != last) {
    return data_loss("the postings of " + account + " do not add up to its balance");
  }
  if (names != nullptr) {
    auto name = names->get(account);
    if (name.is_ok()) {
      s.name = *name;
    } else if (warning != nullptr) {
      *warning = name.status().message() + "; the passbook shows the account id instead";
    }
  }
  return s;
}

std::string statement_table(const Statement& s, Lang lang) {
  std::ostringstream out;
  const bool zh = lang == Lang::kZh;
  out << (zh ? "红色存折  " : "Red Passbook  ") << owner_name(s) << "\n";
  out << (zh ? "账号 " : "account ") << s.account << "    " << (zh ? "网格党支部 " : "branch ")
      << s.context.branch_name(s.branch);
  if (s.context.branch_name(s.branch) != s.branch) out << " (" << s.branch << ")";
  out << "\n\n";
  Table table({{tr(lang, "日期", "date")},
               {tr(lang, "记账号", "entry"), Table::Align::kRight},
               {tr(lang, "摘要", "what")},
               {tr(lang, "存入", "in"), Table::Align::kRight},
               {tr(lang, "支出", "out"), Table::Align::kRight},
               {tr(lang, "余额", "balance"), Table::Align::kRight}});
  for (const auto& m : s.lines) {
    table.add_row({day_text(m.day()), ref_text(m.seq, m.op), describe(m, s.context, lang),
                   m.delta > 0 ? points_text(m.delta) : "",
                   m.delta < 0 ? points_text(-m.delta) : "", points_text(m.balance_after)});
  }
  table.add_row({tr(lang, "合计", "total"), "", "", points_text(s.points_in()),
                 points_text(s.points_out()), points_text(s.available)});
  table.print(out);
  out << "\n" << (zh ? "可用积分 " : "Points available: ") << points_text(s.available);
  if (s.pending_points != 0) {
    out << (zh ? "    待审核积分 " : "    awaiting the council: ") << points_text(s.pending_points);
  }
  out << "\n";
  if (!s.pending.empty()) {
    out << "\n"
        << (zh ? "待党群理事会审核的申报（尚未计入余额）"
               : "Claims awaiting the council (not in the balance yet)")
        << "\n";
    Table pending({{tr(lang, "服务日期", "service date")},
                   {tr(lang, "申报号", "claim"), Table::Align::kRight},
                   {tr(lang, "摘要", "what")},
                   {tr(lang, "积分", "points"), Table::Align::kRight},
                   {tr(lang, "已等待", "waiting"), Table::Align::kRight}});
    for (const auto& c : s.pending) {
      const int64_t days = waiting_days(c, s.context.today);
      pending.add_row({day_text(c.service_day), ref_text(c.ref.seq, c.ref.op), claim_text(c, lang),
                       points_text(c.points),
                       zh ? std::to_string(days) + "天" : std::to_string(days) + " d"});
    }
    pending.print(out);
  } else if (s.pending_points != 0 && !s.claims_known) {
    out << (zh ? "（此密钥无权查看申报明细）" : "(this key may not list the claims themselves)")
        << "\n";
  }
  out << "\n" << ledger_note(s, lang) << "\n";
  return out.str();
}

std::string statement_csv(const Statement& s, Lang lang) {
  std::string out = csv::row({std::begin(kStatementCsvHeader), std::end(kStatementCsvHeader)});
  for (const auto& m : s.lines) {
    out += csv::row(
        {"passbook", day_text(m.day()), ref_text(m.seq, m.op), describe(m, s.context, lang),
         m.category, signed_minutes(m), m.delta > 0 ? std::to_string(m.delta) : "",
         m.delta < 0 ? std::to_string(-m.delta) : "", std::to_string(m.balance_after), ""});
  }
  for (const auto& c : s.pending) {
    out += csv::row({"pending", day_text(c.service_day), ref_text(c.ref.seq, c.ref.op),
                     claim_text(c, lang), c.category, std::to_string(c.minutes), "", "", "",
                     std::to_string(c.points)});
  }
  return out;
}

std::string statement_html(const Statement& s, Lang lang) {
  using html::escape;
  const bool zh = lang == Lang::kZh;
  std::string body = "<main class=\"book\">\n<header class=\"cover\"><h1>" +
                     escape(tr(lang, "红色存折", "Red Passbook")) + "</h1><div class=\"sub\">" +
                     escape(zh ? "志愿服务积分存折 · " + s.context.info.origin
                               : "Volunteer points passbook · " + s.context.info.origin) +
                     "</div></header>\n";
  body += "<dl class=\"owner\"><dt>" + escape(tr(lang, "户名", "Name")) + "</dt><dd>" +
          escape(owner_name(s)) + "</dd><dt>" + escape(tr(lang, "账号", "Account")) + "</dt><dd>" +
          escape(s.account) + "</dd><dt>" + escape(tr(lang, "网格党支部", "Branch")) + "</dt><dd>" +
          escape(s.context.branch_name(s.branch)) + "</dd><dt>" +
          escape(tr(lang, "打印日期", "Printed")) + "</dt><dd>" +
          escape(day_text(s.context.today)) + "</dd></dl>\n";
  body += "<table><thead><tr><th>" + escape(tr(lang, "日期", "Date")) + "</th><th class=\"n\">" +
          escape(tr(lang, "记账号", "Entry")) + "</th><th>" +
          escape(tr(lang, "摘要", "Description")) + "</th><th class=\"n\">" +
          escape(tr(lang, "存入", "In")) + "</th><th class=\"n\">" +
          escape(tr(lang, "支出", "Out")) + "</th><th class=\"n\">" +
          escape(tr(lang, "余额", "Balance")) + "</th></tr></thead>\n<tbody>\n";
  for (const auto& m : s.lines) {
    body += "<tr><td class=\"d\">" + escape(day_text(m.day())) + "</td><td class=\"n\">" +
            escape(ref_text(m.seq, m.op)) + "</td><td>" + escape(describe(m, s.context, lang)) +
            "</td><td class=\"n\">" + (m.delta > 0 ? escape(points_text(m.delta)) : "") +
            "</td><td class=\"n\">" + (m.delta < 0 ? escape(points_text(-m.delta)) : "") +
            "</td><td class=\"n\">" + escape(points_text(m.balance_after)) + "</td></tr>\n";
  }
  if (s.lines.empty()) {
    body +=
        "<tr><td colspan=\"6\">" + escape(tr(lang, "尚无记录", "No entries yet")) + "</td></tr>\n";
  }
  body += "<tr class=\"total\"><td colspan=\"3\">" +
          escape(tr(lang, "合计 · 可用积分", "Total · points available")) +
          "</td><td class=\"n\">" + escape(points_text(s.points_in())) + "</td><td class=\"n\">" +
          escape(points_text(s.points_out())) + "</td><td class=\"n\">" +
          escape(points_text(s.available)) + "</td></tr>\n</tbody></table>\n";
  if (!s.pending.empty() || s.pending_points != 0) {
    body += "<h2>" +
            escape(tr(lang, "待党群理事会审核（尚未计入余额）",
                      "Awaiting the council (not in the balance yet)")) +
            "</h2>\n";
    if (!s.pending.empty()) {
      body += "<table><thead><tr><th>" + escape(tr(lang, "服务日期", "Service date")) +
              "</th><th class=\"n\">" + escape(tr(lang, "申报号", "Claim")) + "</th><th>" +
              escape(tr(lang, "摘要", "Description")) + "</th><th class=\"n\">" +
              escape(tr(lang, "积分", "Points")) + "</th><th class=\"n\">" +
              escape(tr(lang, "已等待", "Waiting")) + "</th></tr></thead>\n<tbody>\n";
      for (const auto& c : s.pending) {
        const int64_t days = waiting_days(c, s.context.today);
        body += "<tr><td class=\"d\">" + escape(day_text(c.service_day)) + "</td><td class=\"n\">" +
                escape(ref_text(c.ref.seq, c.ref.op)) + "</td><td>" + escape(claim_text(c, lang)) +
                "</td><td class=\"n\">" + escape(points_text(c.points)) + "</td><td class=\"n\">" +
                escape(zh ? std::to_string(days) + " 天" : std::to_string(days) + " days") +
                "</td></tr>\n";
      }
      body += "</tbody></table>\n";
    } else {
      body += "<p>" +
              escape(zh ? "待审核积分 " + points_text(s.pending_points)
                        : points_text(s.pending_points) + " points awaiting the council") +
              "</p>\n";
    }
  }
  body += "<p class=\"note\">" + escape(ledger_note(s, lang)) + "</p>\n</main>\n";
  const std::string title = tr(lang, "红色存折 ", "Red Passbook ") + owner_name(s);
  return html::page(title, lang, html::kPassbookPage, body);
}

}  // namespace passbook::cli::street
