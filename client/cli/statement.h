// A volunteer's passbook (存折), read like a bank passbook: date, what happened, points in, points
// out, running balance; claims awaiting the council apart, since they are not points yet.
//
// Every line is one posting of the volunteer's account (the ledger's history), so the points in
// minus the points out of all lines is the balance the ledger holds, and the entry number of each
// line names the entry it comes from.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "backend.h"
#include "movements.h"
#include "names_store.h"
#include "street_text.h"

namespace passbook::cli::street {

struct Statement {
  Context context;
  std::string account;
  std::string branch;
  std::optional<PersonName> name;  // from the off-chain store; none: show the opaque id
  std::vector<Movement> lines;
  std::vector<schemas::ClaimView> pending;  // claims awaiting the council
  int64_t available = 0;
  int64_t pending_points = 0;
  bool claims_known = false;  // false: the key may not list claims; only the total is known

  [[nodiscard]] int64_t points_in() const;
  [[nodiscard]] int64_t points_out() const;
};

// `names` may be null (no names store). A damaged names file is reported through `warning`
// and the passbook falls back to the opaque id.
Result<Statement> build_statement(Backend& backend, const std::string& account,
                                  const NamesStore* names, std::string* warning);

std::string statement_table(const Statement& s, Lang lang);
// Columns: section,date,entry,what,category,minutes,points_in,points_out,balance,pending_points
// (section "passbook" for postings, "pending" for claims awaiting the council).
std::string statement_csv(const Statement& s, Lang lang);
std::string statement_html(const Statement& s, Lang lang);

inline constexpr const char* kStatementCsvHeader[] = {
    "section", "date",      "entry",      "what",    "category",
    "minutes", "points_in", "points_out", "balance", "pending_points"};

}  // namespace passbook::cli::street
