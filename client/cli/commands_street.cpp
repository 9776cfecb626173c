// What the street uses day to day: printed passbooks (statement), branch and merchant reports,
// paper passbooks brought in (import), and the off-chain names store (name, names, forget).
#include <sys/stat.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "backend.h"
#include "cli.h"
#include "names_store.h"
#include "paper_import.h"
#include "passbook/client/envelope.h"
#include "report.h"
#include "statement.h"
#include "street_text.h"
#include "table.h"

namespace passbook::cli {
namespace {

using namespace schemas;

std::vector<OptionSpec> with_backend(std::vector<OptionSpec> options) {
  std::vector<OptionSpec> all = backend_options();
  all.push_back({"key", true, "with --server: the key file that opens the session"});
  all.insert(all.end(), options.begin(), options.end());
  return all;
}

// The same, for a command that signs with --key.
std::vector<OptionSpec> with_signing_backend(std::vector<OptionSpec> options) {
  std::vector<OptionSpec> all = backend_options();
  all.push_back(key_option());
  all.insert(all.end(), options.begin(), options.end());
  return all;
}

const OptionSpec kNamesOption{"names", true, "the names store (default: DATA/names)"};
const OptionSpec kLangOption{"lang", true,
                             "zh or en (default: Chinese when the locale is Chinese)"};
// `passbook help import` documents the file; kept out of the one-line summary.
constexpr const char* kImportCsvHelp =
    R"(the CSV file (UTF-8; at most 4 MiB and 20000 lines). Its first line is exactly
                              account,category,minutes,date,points,paper_ref
                            then one paper passbook line per line, e.g.
                              yzs3-0042,elder-visit,120,2023-03-05,24,"book 1, page 2"
                            account: opened in this branch; category: one with a rule;
                            minutes: 0 to 44640; date: the service date, YYYY-MM-DD;
                            points: as written on paper, 1 or more; paper_ref: where it
                            stands on paper (quote a field that holds a comma).
                            One signed entry per 500 lines; nothing is written if any
                            line is wrong.)";
const OptionSpec kOutOption{"out", true, "write to this file instead of the terminal"};

NamesStore names_store(const Args& args) {
  if (auto dir = args.get("names")) return NamesStore(*dir);
  return NamesStore(data_dir(args) / "names");
}

Result<std::string> one_positional(const Args& args, const char* what) {
  if (args.positionals().size() != 1) return invalid_argument(std::string("name the ") + what);
  return args.positionals()[0];
}

enum class Format { kTable, kCsv, kHtml };

Result<Format> parse_format(const Args& args) {
  const std::string format = args.get_or("format", "table");
  if (format == "table") return Format::kTable;
  if (format == "csv") return Format::kCsv;
  if (format == "html") return Format::kHtml;
  return invalid_argument("--format must be table, csv or html, not \"" + format + "\"");
}

// Writes to --out (through a temporary file and a rename, so a reader never sees half a page),
// or to standard output.
Status emit(const Args& args, const std::string& text) {
  auto out = args.get("out");
  if (!out) {
    std::cout << text;
    std::cout.flush();
    return std::cout.good() ? Status::ok() : unavailable("cannot write to standard output");
  }
  const std::string tmp = *out + ".tmp";
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    file << text;
    file.flush();
    if (!file.good()) return unavailable("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, *out, ec);
  if (ec) return unavailable("cannot write " + *out + ": " + ec.message());
  std::cerr << "Wrote " << *out << " (" << text.size() << " bytes).\n";
  return Status::ok();
}

// ---- statement -----------------------------------------------------------------------------

Status run_statement(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::string account, one_positional(args, "volunteer's account"));
  PASSBOOK_ASSIGN_OR_RETURN(Format format, parse_format(args));
  PASSBOOK_ASSIGN_OR_RETURN(street::Lang lang, street::pick_lang(args.get("lang")));
  const NamesStore names = names_store(args);
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, open_backend(args, false));
  std::string warning;
  PASSBOOK_ASSIGN_OR_RETURN(street::Statement statement,
                            street::build_statement(*backend, account, &names, &warning));
  PASSBOOK_RETURN_IF_ERROR(backend->close());
  if (!warning.empty()) std::cerr << "passbook statement: " << warning << "\n";
  switch (format) {
    case Format::kTable:
      return emit(args, street::statement_table(statement, lang));
    case Format::kCsv:
      return emit(args, street::statement_csv(statement, lang));
    case Format::kHtml:
      return emit(args, street::statement_html(statement, lang));
  }
  return internal_error("unknown format");
}

// ---- report --------------------------------------------------------------------------------

Result<street::Period> parse_period(const Args& args) {
  const auto month = args.get("month");
  const auto from = args.get("from");
  const auto to = args.get("to");
  if (month && (from || to)) return invalid_argument("give --month or --from and --to, not both");
  if (month) return street::parse_month(*month);
  if (!from || !to)
    return invalid_argument("give the period: --month YYYY-MM, or --from DATE --to DATE");
  street::Period period;
  PASSBOOK_ASSIGN_OR_RETURN(period.from, parse_day(*from));
  PASSBOOK_ASSIGN_OR_RETURN(period.to, parse_day(*to));
  if (!street::day_number(period.from))
    return invalid_argument(*from + " is not a date in the calendar");
  if (!street::day_number(period.to))
    return invalid_argument(*to + " is not a date in the calendar");
  if (period.from > period.to) return invalid_argument("--from must not be after --to");
  return period;
}

Status run_report(const Args& args) {
  const auto branch = args.get("branch");
  const auto merchant = args.get("merchant");
  if (branch.has_value() == merchant.has_value()) {
    return invalid_argument("report on one --branch B or one --merchant M");
  }
  PASSBOOK_ASSIGN_OR_RETURN(street::Period period, parse_period(args));
  PASSBOOK_ASSIGN_OR_RETURN(Format format, parse_format(args));
  PASSBOOK_ASSIGN_OR_RETURN(street::Lang lang, street::pick_lang(args.get("lang")));
  const NamesStore names = names_store(args);
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, open_backend(args, false));
  std::string text;
  if (branch) {
    PASSBOOK_ASSIGN_OR_RETURN(street::BranchReport report,
                              street::build_branch_report(*backend, *branch, period, &names));
    text = format == Format::kTable ? street::report_table(report, lang)
           : format == Format::kCsv ? street::report_csv(report, lang)
                                    : street::report_html(report, lang);
  } else {
    PASSBOOK_ASSIGN_OR_RETURN(street::MerchantReport report,
                              street::build_merchant_report(*backend, *merchant, period));
    text = format == Format::kTable ? street::report_table(report, lang)
           : format == Format::kCsv ? street::report_csv(report, lang)
                                    : street::report_html(report, lang);
  }
  PASSBOOK_RETURN_IF_ERROR(backend->close());
  return emit(args, text);
}

// ---- import --------------------------------------------------------------------------------

Result<std::string> read_bounded(const std::string& file, size_t max_bytes) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return not_found("cannot read " + file);
  if (!S_ISREG(st.st_mode)) return invalid_argument(file + " is not a regular file");
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return invalid_argument(file + " is larger than " + std::to_string(max_bytes / 1024 / 1024) +
                            " MiB; split it into smaller files");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return not_found("cannot read " + file);
  std::string text(max_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > max_bytes) return invalid_argument(file + " grew while it was read");
  return text;
}

std::string lines_text(const street::ImportPlan& plan, std::pair<size_t, size_t> batch) {
  const size_t first = plan.lines[batch.first].line;
  const size_t last = plan.lines[batch.second - 1].line;
  return first == last ? "line " + std::to_string(first)
                       : "lines " + std::to_string(first) + "–" + std::to_string(last);
}

Status run_import(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::string branch, args.required("branch"));
  PASSBOOK_ASSIGN_OR_RETURN(std::string file, args.required("csv"));
  PASSBOOK_ASSIGN_OR_RETURN(std::string key_file, args.required("key"));
  PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey key, load_key(key_file));
  PASSBOOK_ASSIGN_OR_RETURN(std::string text, read_bounded(file, street::kImportMaxBytes));
  // The file's shape first: a malformed file needs no ledger to be refused.
  PASSBOOK_ASSIGN_OR_RETURN(std::set<std::string> named, street::import_accounts(text));

  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, open_backend(args, true));
  PASSBOOK_ASSIGN_OR_RETURN(LedgerInfo info, backend->info());
  street::ImportChecks checks;
  checks.branch = branch;
  checks.today = street::local_day(client::now_ms(), info.utc_offset_minutes);
  PASSBOOK_ASSIGN_OR_RETURN(std::vector<AccountView> accounts, backend->accounts(branch));
  for (const auto& a : accounts) checks.accounts.insert(a.id);
  PASSBOOK_ASSIGN_OR_RETURN(std::vector<RuleView> rules, backend->rules());
  for (const auto& r : rules) {
    if (r.branch.empty() || r.branch == branch) checks.categories.insert(r.category);
  }
  for (const auto& account : named) {
    if (checks.accounts.count(account) == 0) continue;
    PASSBOOK_ASSIGN_OR_RETURN(std::vector<HistoryLine> history,
                              backend->history(AccountKind::kVolunteer, account));
    for (const auto& line : history) {
      if (const auto* imported = std::get_if<Import>(&line.operation)) {
        checks.existing[account].emplace_back(line.seq, *imported);
      }
    }
  }
  // The key must be one of this branch's: say so now rather than after the first envelope.
  if (auto actors = backend->actors(); actors.is_ok()) {
    bool ok = false;
    for (const auto& a : *actors) {
      ok = ok || (a.key == key.public_key() && a.role == Role::kBranch && a.scope == branch &&
                  !a.revoked_seq);
    }
    if (!ok) return permission_denied(key_file + " is not an active key of branch " + branch);
  }
  PASSBOOK_ASSIGN_OR_RETURN(street::ImportPlan plan,
                            street::plan_import(text, checks, args.flag("skip-imported")));
  const auto batches = street::import_batches(plan);
  if (!plan.skipped.empty()) {
    std::cout << "Skipped " << plan.skipped.size()
              << " lines already on the ledger: " << plan.skipped.front()
              << (plan.skipped.size() > 1 ? ", …" : "") << "\n";
  }
  if (args.flag("dry-run")) {
    std::cout << "All " << plan.lines.size() << " lines of " << file << " are fine; "
              << batches.size() << (batches.size() == 1 ? " entry" : " entries")
              << " would be written (dry run: nothing was).\n";
    return backend->close();
  }
  std::vector<std::string> done;
  for (size_t b = 0; b < batches.size(); ++b) {
    std::vector<Operation> ops;
    for (size_t i = batches[b].first; i < batches[b].second; ++i)
      ops.emplace_back(plan.lines[i].op);
    auto envelope = client::sign_envelope(info.id, key, std::move(ops));
    Result<Submitted> submitted = envelope.is_ok() ? backend->submit(std::move(envelope).value())
                                                   : Result<Submitted>(envelope.status());
    if (!submitted.is_ok()) {
      const Status& status = submitted.status();
      if (b == 0) {
        return status.with_context("nothing was imported: the ledger refused " +
                                   lines_text(plan, batches[b]));
      }
      // Earlier envelopes are on the chain; say exactly what is and is not, and how to go on.
      std::string message = "the ledger refused " + lines_text(plan, batches[b]) + " (" +
                            status.message() + "); already recorded: ";
      for (size_t i = 0; i < done.size(); ++i) message += (i > 0 ? ", " : "") + done[i];
      message +=
          ". Fix the problem and run the same command again with --skip-imported: the lines "
          "already recorded are recognised and skipped.";
      return Status(status.code(), message);
    }
    done.push_back(lines_text(plan, batches[b]) + " as entry " +
                   std::to_string(submitted->receipt.seq));
  }
  std::cout << "Imported " << plan.lines.size() << " paper passbook lines from " << file
            << " for branch " << branch << ": ";
  for (size_t i = 0; i < done.size(); ++i) std::cout << (i > 0 ? ", " : "") << done[i];
  std::cout << ".\n";
  return backend->close();
}

// ---- names ---------------------------------------------------------------------------------

Status run_name(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::string account, one_positional(args, "volunteer's account"));
  NamesStore names = names_store(args);
  const auto display = args.get("display");
  if (!display) {
    if (args.has("phone")) return invalid_argument("--phone needs --display as well");
    PASSBOOK_ASSIGN_OR_RETURN(std::optional<PersonName> name, names.get(account));
    if (!name) {
      std::cout << "No name is stored for " << account << " (the passbook shows the account id).\n";
      return Status::ok();
    }
    std::cout << account << ": " << name->display;
    if (!name->phone.empty()) std::cout << ", phone " << name->phone;
    std::cout << "\n";
    return Status::ok();
  }
  PersonName name{*display, args.get_or("phone", "")};
  PASSBOOK_RETURN_IF_ERROR(NamesStore::check(account, name));
  // Only for accounts the ledger knows: a typo must not create a stray name.
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, open_backend(args, false));
  PASSBOOK_RETURN_IF_ERROR(backend->account(AccountKind::kVolunteer, account).status());
  PASSBOOK_RETURN_IF_ERROR(backend->close());
  PASSBOOK_RETURN_IF_ERROR(names.put(account, name));
  std::cout << "Stored the name of " << account << " in " << names.dir().string()
            << " (off the chain; passbook forget " << account << " erases it).\n";
  return Status::ok();
}

Status run_forget(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::string account, one_positional(args, "volunteer's account"));
  NamesStore names = names_store(args);
  PASSBOOK_ASSIGN_OR_RETURN(bool erased, names.forget(account));
  if (!erased) {
    std::cout << "Nothing was stored for " << account << "; nothing to erase.\n";
    return Status::ok();
  }
  std::cout
      << "Erased the name and phone of " << account
      << " (overwritten and removed). The ledger keeps only the opaque id and still verifies.\n";
  return Status::ok();
}

Status run_names(const Args& args) {
  NamesStore names = names_store(args);
  PASSBOOK_ASSIGN_OR_RETURN(auto all, names.list());
  Table table({{"account"}, {"name"}, {"phone"}});
  for (const auto& [account, name] : all) table.add_row({account, name.display, name.phone});
  table.print(std::cout);
  return Status::ok();
}

}  // namespace

std::vector<Command> street_commands() {
  const OptionSpec format{"format", true, "table (default), csv or html"};
  return {
      {"statement", "VOLUNTEER [--format table|csv|html] [--lang zh|en] [--out FILE]",
       "a volunteer's passbook: dates, service and rewards, points in and out, running balance",
       with_backend({format, kLangOption, kOutOption, kNamesOption}), 1, run_statement},
      {"report",
       "--branch B|--merchant M --month YYYY-MM|--from D --to D [--format table|csv|html]",
       "a branch's service, points and claims, or a merchant's redemptions and points due, for a "
       "period",
       with_backend({{"branch", true, "the branch to report on"},
                     {"merchant", true, "the merchant to report on"},
                     {"month", true, "the period: a calendar month, YYYY-MM"},
                     {"from", true, "the period's first day, YYYY-MM-DD"},
                     {"to", true, "the period's last day, YYYY-MM-DD"},
                     format,
                     kLangOption,
                     kOutOption,
                     kNamesOption}),
       0, run_report},
      {"import", "--branch B --csv FILE --key BRANCH.key [--dry-run] [--skip-imported]",
       "branch: bring paper passbooks in from a CSV file: every line, or none if any is wrong",
       with_signing_backend(
           {{"branch", true, "the importing branch (its key signs)"},
            {"csv", true, kImportCsvHelp},
            {"dry-run", false, "check every line and say what would be written; write nothing"},
            {"skip-imported", false,
             "skip lines already on the ledger (to finish an interrupted import)"}}),
       0, run_import},
      {"name", "VOLUNTEER [--display NAME [--phone PHONE]]",
       "store (or show) a volunteer's name and phone in the off-chain names store, never on the "
       "chain",
       with_backend({{"display", true, "the name printed on the passbook"},
                     {"phone", true, "a phone number (digits, spaces, + - ( ))"},
                     kNamesOption}),
       1, run_name},
      {"forget",
       "VOLUNTEER",
       "erase a volunteer's name and phone for good; the chain still verifies",
       {data_option(), kNamesOption},
       1,
       run_forget},
      {"names",
       "",
       "the names in the off-chain names store",
       {data_option(), kNamesOption},
       0,
       run_names},
  };
}

}  // namespace passbook::cli
