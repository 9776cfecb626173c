// Paper passbooks in: a CSV file becomes one Import operation per line, every line checked before
// anything is signed, so a malformed file writes nothing.
//
// The file (UTF-8, RFC 4180, a byte order mark allowed) starts with exactly this header:
//
//   account,category,minutes,date,points,paper_ref
//
//   account    the volunteer's account id, opened in the importing branch
//   category   a service category that has a rule (passbook rules)
//   minutes    minutes of service the paper line records, 0 to 44640 (a month)
//   date       the original service date, YYYY-MM-DD, not in the future
//   points     the points written on paper, 1 to 1,000,000,000
//   paper_ref  where the line stands on paper, e.g. "book 2, page 7, line 3" (quote it: commas)
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "passbook/schemas/operations.h"
#include "passbook/schemas/status.h"

namespace passbook::cli::street {

inline constexpr const char* kImportHeader = "account,category,minutes,date,points,paper_ref";
inline constexpr size_t kImportMaxBytes = 4 * 1024 * 1024;
inline constexpr size_t kImportMaxLines = 20'000;
inline constexpr size_t kImportOpsPerEnvelope = 500;
inline constexpr size_t kImportEnvelopeBytes = 200 * 1024;  // under the ledger's 256 KiB
inline constexpr size_t kImportErrorsShown = 20;

// What the ledger holds that a line is checked against.
struct ImportChecks {
  std::string branch;
  std::set<std::string> accounts;    // the branch's volunteer accounts
  std::set<std::string> categories;  // categories with a rule (street-wide or the branch's)
  uint32_t today = 0;                // YYYYMMDD, local to the ledger
  // Imports already on the chain, per account: (entry seq, the operation).
  std::map<std::string, std::vector<std::pair<uint64_t, schemas::Import>>> existing;
};

struct ImportLine {
  size_t line = 0;  // in the file, from 1
  schemas::Import op;
};

struct ImportPlan {
  std::vector<ImportLine> lines;
  std::vector<std::string> skipped;  // lines already on the chain (with skip_imported)
};

// Parses the file (bounded) into records without consulting the ledger: the accounts it names.
Result<std::set<std::string>> import_accounts(std::string_view text);

// Checks every line; InvalidArgument naming up to kImportErrorsShown bad lines when any is bad.
Result<ImportPlan> plan_import(std::string_view text, const ImportChecks& checks,
                               bool skip_imported);

// Splits the operations into envelopes of at most kImportOpsPerEnvelope operations and
// kImportEnvelopeBytes encoded bytes. Returns [begin, end) index ranges into plan.lines.
std::vector<std::pair<size_t, size_t>> import_batches(const ImportPlan& plan);

}  // namespace passbook::cli::street
