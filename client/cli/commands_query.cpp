// Read-only commands: balance, history, accounts, actors, rules, rewards, claims, reservations,
// entry.
#include <iostream>

#include "backend.h"
#include "cli.h"
#include "passbook/schemas/encoding.h"
#include "passbook/proof/crypto.h"
#include "table.h"

namespace passbook::cli {
namespace {

using namespace schemas;

Result<AccountKind> parse_kind(const Args& args) {
  const std::string kind = args.get_or("kind", "volunteer");
  if (kind == "volunteer") return AccountKind::kVolunteer;
  if (kind == "branch") return AccountKind::kBranch;
  if (kind == "merchant") return AccountKind::kMerchant;
  if (kind == "system") return AccountKind::kSystem;
  return invalid_argument("--kind must be volunteer, branch, merchant or system");
}

Result<std::string> one_positional(const Args& args, const char* what) {
  if (args.positionals().size() != 1) return invalid_argument(std::string("name the ") + what);
  return args.positionals()[0];
}

Status run_balance(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::string id, one_positional(args, "account"));
  PASSBOOK_ASSIGN_OR_RETURN(AccountKind kind, parse_kind(args));
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Backend> ledger, open_backend(args, false));
  PASSBOOK_ASSIGN_OR_RETURN(AccountView account, ledger->account(kind, id));
  std::cout << account.id;
  if (!account.branch.empty()) std::cout << " (branch " << account.branch << ")";
  std::cout << ": " << account.available << " points available";
  if (account.pending != 0) std::cout << ", " << account.pending << " pending the council's approval";
  std::cout << ".\n";
  return ledger->close();
}

Status run_history(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::string id, one_positional(args, "account"));
  PASSBOOK_ASSIGN_OR_RETURN(AccountKind kind, parse_kind(args));
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Backend> ledger, open_backend(args, false));
  PASSBOOK_ASSIGN_OR_RETURN(LedgerInfo info, ledger->info());
  const int32_t offset = info.utc_offset_minutes;
  PASSBOOK_ASSIGN_OR_RETURN(std::vector<HistoryLine> lines, ledger->history(kind, id));
  Table table({{"date"}, {"entry", Table::Align::kRight}, {"what"}, {"in", Table::Align::kRight},
               {"out", Table::Align::kRight}, {"balance", Table::Align::kRight}});
  for (const auto& line : lines) {
    table.add_row({format_time(line.commit_ms, offset), std::to_string(line.seq) + "." + std::to_string(line.op),
                   describe_operation(line.operation), line.delta > 0 ? std::to_string(line.delta) : "",
                   line.delta < 0 ? std::to_string(-line.delta) : "", std::to_string(line.balance_after)});
  }
  table.print(std::cout);
  return ledger->close();
}

Status run_accounts(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Backend> ledger, open_backend(args, false));
  Table table({{"account"}, {"branch"}, {"available", Table::Align::kRight},
               {"pending", Table::Align::kRight}, {"key"}});
  PASSBOOK_ASSIGN_OR_RETURN(auto rows, ledger->accounts(args.get_or("branch", "")));
  for (const auto& a : rows) {
    table.add_row({a.id, a.branch, std::to_string(a.available), std::to_string(a.pending),
                   a.active_keys > 0 ? "yes" : ""});
  }
  table.print(std::cout);
  return ledger->close();
}

Status run_actors(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Backend> ledger, open_backend(args, false));
  Table table({{"key"}, {"role"}, {"scope"}, {"name"}, {"since", Table::Align::kRight}, {"revoked"}});
  PASSBOOK_ASSIGN_OR_RETURN(auto rows, ledger->actors());
  for (const auto& a : rows) {
    table.add_row({short_hex(a.key), std::string(role_name(a.role)), a.scope, a.name,
                   std::to_string(a.registered_seq),
                   a.revoked_seq ? "at entry " + std::to_string(*a.revoked_seq) : ""});
  }
  table.print(std::cout);
  return ledger->close();
}

Status run_rules(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Backend> ledger, open_backend(args, false));
  Table table({{"branch"}, {"category"}, {"points/hour", Table::Align::kRight},
               {"daily cap (min)", Table::Align::kRight}, {"set at", Table::Align::kRight}});
  PASSBOOK_ASSIGN_OR_RETURN(auto rows, ledger->rules());
  for (const auto& r : rows) {
    table.add_row({r.branch.empty() ? "(street-wide)" : r.branch, r.category, std::to_string(r.points_per_hour),
                   r.daily_cap_minutes ? std::to_string(r.daily_cap_minutes) : "none",
                   std::to_string(r.set_seq)});
  }
  table.print(std::cout);
  return ledger->close();
}

std::string period_name(LimitPeriod p) {
  switch (p) {
    case LimitPeriod::kEver: return "in all";
    case LimitPeriod::kYear: return "a year";
    case LimitPeriod::kMonth: return "a month";
  }
  return "";
}

Status run_rewards(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Backend> ledger, open_backend(args, false));
  Table table({{"merchant"}, {"reward"}, {"name"}, {"price", Table::Align::kRight},
               {"stock", Table::Align::kRight}, {"limit"}, {"handed out", Table::Align::kRight}});
  PASSBOOK_ASSIGN_OR_RETURN(auto rows, ledger->rewards(args.get_or("merchant", "")));
  for (const auto& r : rows) {
    if (!r.listed && !args.flag("all")) continue;
    table.add_row({r.merchant, r.reward, r.name + (r.listed ? "" : " (delisted)"), std::to_string(r.price),
                   r.stock == ListReward::kUnlimitedStock ? "unlimited" : std::to_string(r.stock),
                   r.per_person_limit ? std::to_string(r.per_person_limit) + " " + period_name(r.period) : "",
                   std::to_string(r.redeemed)});
  }
  table.print(std::cout);
  return ledger->close();
}

Status run_claims(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Backend> ledger, open_backend(args, false));
  Table table({{"claim"}, {"account"}, {"branch"}, {"category"}, {"minutes", Table::Align::kRight},
               {"date"}, {"points", Table::Align::kRight}, {"status"}});
  PASSBOOK_ASSIGN_OR_RETURN(auto rows, ledger->claims(args.get_or("branch", "")));
  for (const auto& c : rows) {
    if (c.decision != ClaimDecision::kPending && !args.flag("all")) continue;
    const std::string status = c.decision == ClaimDecision::kPending   ? "pending"
                               : c.decision == ClaimDecision::kApproved ? "approved at " + std::to_string(*c.decided_seq)
                                                                        : "rejected at " + std::to_string(*c.decided_seq);
    table.add_row({std::to_string(c.ref.seq) + "." + std::to_string(c.ref.op), c.account, c.branch, c.category,
                   std::to_string(c.minutes), std::to_string(c.service_day), std::to_string(c.points), status});
  }
  table.print(std::cout);
  return ledger->close();
}

Status run_reservations(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Backend> ledger, open_backend(args, false));
  Table table({{"reservation"}, {"account"}, {"merchant"}, {"reward"}, {"qty", Table::Align::kRight},
               {"points", Table::Align::kRight}, {"status"}});
  PASSBOOK_ASSIGN_OR_RETURN(auto rows, ledger->reservations(args.get_or("merchant", "")));
  for (const auto& r : rows) {
    if (r.state != ReservationState::kHeld && !args.flag("all")) continue;
    const std::string status = r.state == ReservationState::kHeld        ? "held"
                               : r.state == ReservationState::kDelivered ? "delivered at " + std::to_string(*r.closed_seq)
                                                                         : "cancelled at " + std::to_string(*r.closed_seq);
    table.add_row({std::to_string(r.ref.seq) + "." + std::to_string(r.ref.op), r.account, r.merchant, r.reward,
                   std::to_string(r.quantity), std::to_string(r.points), status});
  }
  table.print(std::cout);
  return ledger->close();
}

Status run_entry(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::string text, one_positional(args, "entry number"));
  PASSBOOK_ASSIGN_OR_RETURN(int64_t seq, parse_integer(text, 0, INT64_MAX, "the entry number"));
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Backend> ledger, open_backend(args, false));
  PASSBOOK_ASSIGN_OR_RETURN(std::vector<std::string> found, ledger->entries(static_cast<uint64_t>(seq), 1));
  if (found.empty()) return not_found("there is no entry " + text);
  const std::string bytes = found.front();
  PASSBOOK_ASSIGN_OR_RETURN(Entry entry, decode<Entry>(bytes, "the entry"));
  PASSBOOK_ASSIGN_OR_RETURN(Envelope envelope, decode<Envelope>(entry.signed_envelope.envelope, "the envelope"));
  PASSBOOK_ASSIGN_OR_RETURN(LedgerInfo info, ledger->info());
  const int32_t offset = info.utc_offset_minutes;
  std::cout << "entry       " << entry.seq << "\n"
            << "committed   " << format_time(entry.commit_ms, offset) << "\n"
            << "hash        " << to_hex(proof::leaf_hash(bytes)) << "\n"
            << "previous    " << to_hex(entry.prev_hash) << "\n"
            << "signer      " << to_hex(envelope.signer) << "\n"
            << "nonce       " << to_hex(envelope.nonce) << "\n";
  for (const auto& c : entry.signed_envelope.cosignatures) {
    std::cout << "co-signer   " << to_hex(c.key) << "\n";
  }
  for (size_t i = 0; i < envelope.ops.size(); ++i) {
    std::cout << "  " << i << ". " << operation_name(envelope.ops[i]) << ": "
              << describe_operation(envelope.ops[i]) << "\n";
  }
  if (args.flag("hex")) std::cout << to_hex(bytes) << "\n";
  return ledger->close();
}

// Local or remote options, and --key (needed for a remote session).
std::vector<OptionSpec> with_backend(std::vector<OptionSpec> options) {
  std::vector<OptionSpec> all = backend_options();
  all.push_back({"key", true, "with --server: the key file that opens the session"});
  all.insert(all.end(), options.begin(), options.end());
  return all;
}

}  // namespace

std::vector<Command> query_commands() {
  const OptionSpec kind{"kind", true, "volunteer (default), branch, merchant or system"};
  const OptionSpec all{"all", false, "include decided / delisted / closed ones"};
  return {
      {"balance", "ACCOUNT [--kind KIND]", "points available and pending", with_backend({kind}), 1, run_balance},
      {"history", "ACCOUNT [--kind KIND]", "every movement of an account's points, with the running balance",
       with_backend({kind}), 1, run_history},
      {"accounts", "[--branch ID]", "volunteer accounts and their balances",
       with_backend({{"branch", true, "only this branch"}}), 0, run_accounts},
      {"actors", "", "registered keys, their roles and scopes", with_backend({}), 0, run_actors},
      {"rules", "", "points per hour and daily caps in force", with_backend({}), 0, run_rules},
      {"rewards", "[--merchant ID] [--all]", "rewards, prices and stock",
       with_backend({{"merchant", true, "only this merchant"}, all}), 0, run_rewards},
      {"claims", "[--branch ID] [--all]", "claims awaiting the council",
       with_backend({{"branch", true, "only this branch"}, all}), 0, run_claims},
      {"reservations", "[--merchant ID] [--all]", "reservations held",
       with_backend({{"merchant", true, "only this merchant"}, all}), 0, run_reservations},
      {"entry", "SEQ [--hex]", "one entry of the chain, decoded",
       with_backend({{"hex", false, "also print the exact stored bytes"}}), 1, run_entry},
  };
}

}  // namespace passbook::cli
