#include "paper_import.h"

#include <algorithm>
#include <charconv>
#include <tuple>

#include "csv.h"
#include "passbook/schemas/limits.h"
#include "passbook/schemas/wire.h"
#include "street_text.h"

namespace passbook::cli::street {
namespace {

using schemas::Import;

constexpr size_t kColumns = 6;

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

Result<std::vector<csv::Record>> records_of(std::string_view text) {
  // Bound the work before parsing: a file of more lines than may be imported is refused whole.
  if (text.size() > kImportMaxBytes) {
    return invalid_argument("the file is larger than " +
                            std::to_string(kImportMaxBytes / 1024 / 1024) + " MiB");
  }
  const auto newlines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  if (newlines > kImportMaxLines + 1) {
    return invalid_argument("the file has more than " + std::to_string(kImportMaxLines) +
                            " lines to import; split it into smaller files");
  }
  csv::Limits limits;
  limits.max_bytes = kImportMaxBytes;
  limits.max_records = kImportMaxLines + 1;  // and the header
  limits.max_fields = 16;
  limits.max_field_bytes = 1024;
  PASSBOOK_ASSIGN_OR_RETURN(std::vector<csv::Record> records, csv::parse(text, limits));
  if (records.empty())
    return invalid_argument("the file is empty; it needs the header " + std::string(kImportHeader));
  std::string header;
  for (size_t i = 0; i < records[0].fields.size(); ++i) {
    if (i > 0) header += ",";
    std::string f = trim(records[0].fields[i]);
    for (char& c : f) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    header += f;
  }
  if (header != kImportHeader) {
    return invalid_argument("line " + std::to_string(records[0].line) +
                            ": the header must be exactly " + std::string(kImportHeader) +
                            ", not " + header.substr(0, 200));
  }
  if (records.size() == 1) return invalid_argument("the file has a header but no lines to import");
  return records;
}

Result<int64_t> number(const std::string& text, int64_t min, int64_t max, const char* what) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return invalid_argument(std::string(what) + " must be a whole number, not \"" +
                            text.substr(0, 40) + "\"");
  }
  if (value < min || value > max) {
    return invalid_argument(std::string(what) + " must be between " + std::to_string(min) +
                            " and " + std::to_string(max) + ", not " + text);
  }
  return value;
}

Result<uint32_t> date(const std::string& text, uint32_t today) {
  const bool shape = text.size() == 10 && text[4] == '-' && text[7] == '-';
  if (!shape)
    return invalid_argument("the date must look like 2024-05-17, not \"" + text.substr(0, 40) +
                            "\"");
  PASSBOOK_ASSIGN_OR_RETURN(int64_t y, number(text.substr(0, 4), 2000, 2199, "the year"));
  PASSBOOK_ASSIGN_OR_RETURN(int64_t m, number(text.substr(5, 2), 1, 12, "the month"));
  PASSBOOK_ASSIGN_OR_RETURN(int64_t d, number(text.substr(8, 2), 1, 31, "the day"));
  const auto day = static_cast<uint32_t>(y * 10000 + m * 100 + d);
  if (!day_number(day)) return invalid_argument(text + " is not a date in the calendar");
  if (day > today) return invalid_argument("the date " + text + " is in the future");
  return day;
}

Result<Import> parse_line(const csv::Record& record, const ImportChecks& checks) {
  if (record.fields.size() != kColumns) {
    return invalid_argument(std::to_string(record.fields.size()) + " fields instead of 6 (" +
                            std::string(kImportHeader) + "; quote a paper_ref that holds a comma)");
  }
  Import op;
  op.service.account = trim(record.fields[0]);
  op.service.category = trim(record.fields[1]);
  op.paper_ref = trim(record.fields[5]);
  if (op.service.account.empty()) return invalid_argument("the account is empty");
  PASSBOOK_RETURN_IF_ERROR(check_plain_text(op.service.account, limits::kIdBytes, "the account"));
  if (checks.accounts.count(op.service.account) == 0) {
    return invalid_argument("there is no account " + op.service.account + " in branch " +
                            checks.branch);
  }
  if (op.service.category.empty()) return invalid_argument("the category is empty");
  PASSBOOK_RETURN_IF_ERROR(check_plain_text(op.service.category, limits::kIdBytes, "the category"));
  if (checks.categories.count(op.service.category) == 0) {
    std::string known;
    for (const auto& c : checks.categories) known += (known.empty() ? "" : ", ") + c;
    return invalid_argument("the category " + op.service.category +
                            " has no rule (known: " + known + ")");
  }
  PASSBOOK_ASSIGN_OR_RETURN(int64_t minutes,
                            number(trim(record.fields[2]), 0, limits::kImportMinutes, "minutes"));
  op.service.minutes = static_cast<uint32_t>(minutes);
  PASSBOOK_ASSIGN_OR_RETURN(op.service.service_day, date(trim(record.fields[3]), checks.today));
  PASSBOOK_ASSIGN_OR_RETURN(
      op.points, number(trim(record.fields[4]), 1, limits::kPointsPerOperation, "points"));
  if (op.paper_ref.empty())
    return invalid_argument("paper_ref is empty: say where the line stands on paper");
  PASSBOOK_RETURN_IF_ERROR(check_plain_text(op.paper_ref, limits::kReasonBytes, "paper_ref"));
  return op;
}

auto identity(const Import& op) {
  return std::tie(op.service.account, op.service.category, op.service.minutes,
                  op.service.service_day, op.points, op.paper_ref);
}

}  // namespace

Result<std::set<std::string>> import_accounts(std::string_view text) {
  PASSBOOK_ASSIGN_OR_RETURN(std::vector<csv::Record> records, records_of(text));
  std::set<std::string> accounts;
  for (size_t i = 1; i < records.size(); ++i) {
    if (!records[i].fields.empty()) accounts.insert(trim(records[i].fields[0]));
  }
  return accounts;
}

Result<ImportPlan> plan_import(std::string_view text, const ImportChecks& checks,
                               bool skip_imported) {
  PASSBOOK_ASSIGN_OR_RETURN(std::vector<csv::Record> records, records_of(text));
  ImportPlan plan;
  std::vector<std::string> errors;
  size_t error_count = 0;
  std::map<std::tuple<std::string, std::string, uint32_t, uint32_t, int64_t, std::string>, size_t>
      seen;
  for (size_t i = 1; i < records.size(); ++i) {
    const csv::Record& record = records[i];
    auto fail = [&](const std::string& why) {
      ++error_count;
      if (errors.size() < kImportErrorsShown)
        errors.push_back("line " + std::to_string(record.line) + ": " + why);
    };
    auto op = parse_line(record, checks);
    if (!op.is_ok()) {
      fail(op.status().message());
      continue;
    }
    const auto key = std::make_tuple(op->service.account, op->service.category, op->service.minutes,
                                     op->service.service_day, op->points, op->paper_ref);
    if (auto [it, fresh] = seen.emplace(key, record.line); !fresh) {
      fail("repeats line " + std::to_string(it->second));
      continue;
    }
    bool on_chain = false;
    if (auto it = checks.existing.find(op->service.account); it != checks.existing.end()) {
      for (const auto& [seq, existing] : it->second) {
        if (identity(existing) != identity(*op)) continue;
        on_chain = true;
        if (skip_imported) {
          plan.skipped.push_back("line " + std::to_string(record.line) + " (entry " +
                                 std::to_string(seq) + ")");
        } else {
          fail("was already imported at entry " + std::to_string(seq) +
               " (remove the line, or run again with --skip-imported)");
        }
        break;
      }
    }
    if (!on_chain) plan.lines.push_back({record.line, std::move(*op)});
  }
  if (error_count > 0) {
    std::string message = "nothing was imported: " + std::to_string(error_count) + " of " +
                          std::to_string(records.size() - 1) + " lines are wrong";
    for (const auto& e : errors) message += "\n  " + e;
    if (error_count > errors.size()) {
      message += "\n  (and " + std::to_string(error_count - errors.size()) + " more)";
    }
    return invalid_argument(message);
  }
  if (plan.lines.empty())
    return failed_precondition("every line of the file is already on the ledger");
  return plan;
}

std::vector<std::pair<size_t, size_t>> import_batches(const ImportPlan& plan) {
  std::vector<std::pair<size_t, size_t>> batches;
  size_t begin = 0;
  size_t bytes = 0;
  for (size_t i = 0; i < plan.lines.size(); ++i) {
    const schemas::Operation op = plan.lines[i].op;
    const size_t size = schemas::try_encode(op).value().size();
    if (i > begin && (i - begin >= kImportOpsPerEnvelope || bytes + size > kImportEnvelopeBytes)) {
      batches.emplace_back(begin, i);
      begin = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (begin < plan.lines.size()) batches.emplace_back(begin, plan.lines.size());
  return batches;
}

}  // namespace passbook::cli::street
