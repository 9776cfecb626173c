// One command per ledger operation; each signs an envelope with --key and submits it.
#include <fstream>
#include <sstream>

#include "backend.h"
#include "cli.h"
#include "passbook/proof/crypto.h"
#include "passbook/schemas/encoding.h"

namespace passbook::cli {
namespace {

using namespace schemas;

std::vector<OptionSpec> with_common(std::vector<OptionSpec> options) {
  std::vector<OptionSpec> common = backend_options();
  common.push_back(key_option());
  options.insert(options.begin(), common.begin(), common.end());
  return options;
}

// --evidence HEX (a SHA-256 someone already computed) or --evidence-file FILE (hashed here).
Result<Hash32> evidence(const Args& args) {
  if (auto hex = args.get("evidence")) {
    auto hash = array_from_hex<32>(*hex);
    if (!hash) return invalid_argument("--evidence must be a SHA-256 hash in 64 hex digits");
    return *hash;
  }
  if (auto file = args.get("evidence-file")) {
    std::ifstream in(*file, std::ios::binary);
    if (!in) return not_found("cannot read the evidence file " + *file);
    std::ostringstream content;
    content << in.rdbuf();
    return proof::sha256(content.str());
  }
  return Hash32{};
}

Result<ServiceRecord> service(const Args& args) {
  ServiceRecord record;
  PASSBOOK_ASSIGN_OR_RETURN(record.account, args.required("account"));
  PASSBOOK_ASSIGN_OR_RETURN(record.category, args.required("category"));
  PASSBOOK_ASSIGN_OR_RETURN(int64_t minutes, args.integer("minutes", 0, limits::kImportMinutes));
  record.minutes = static_cast<uint32_t>(minutes);
  PASSBOOK_ASSIGN_OR_RETURN(std::string day, args.required("date"));
  PASSBOOK_ASSIGN_OR_RETURN(record.service_day, parse_day(day));
  PASSBOOK_ASSIGN_OR_RETURN(record.evidence, evidence(args));
  return record;
}

const std::vector<OptionSpec> kServiceOptions = {
    {"account", true, "the volunteer's account id"},
    {"category", true, "the service category, e.g. elder-visit"},
    {"minutes", true, "minutes of service"},
    {"date", true, "the day of the service, YYYY-MM-DD"},
    {"evidence", true, "SHA-256 of the evidence (sign-in sheet, photo), 64 hex digits"},
    {"evidence-file", true, "a file whose SHA-256 is recorded as evidence"},
};

std::vector<OptionSpec> service_options(std::vector<OptionSpec> extra = {}) {
  std::vector<OptionSpec> options = kServiceOptions;
  options.insert(options.end(), extra.begin(), extra.end());
  return with_common(options);
}

Status run_register(const Args& args) {
  RegisterActor op;
  PASSBOOK_ASSIGN_OR_RETURN(std::string key, args.required("actor-key"));
  PASSBOOK_ASSIGN_OR_RETURN(op.key, parse_public_key(key));
  PASSBOOK_ASSIGN_OR_RETURN(std::string role, args.required("role"));
  PASSBOOK_ASSIGN_OR_RETURN(op.role, parse_role(role));
  op.scope = args.get_or("scope", "");
  PASSBOOK_ASSIGN_OR_RETURN(op.name, args.required("name"));
  return submit_operations(args, {op});
}

Status run_revoke(const Args& args) {
  RevokeActor op;
  PASSBOOK_ASSIGN_OR_RETURN(std::string key, args.required("actor-key"));
  PASSBOOK_ASSIGN_OR_RETURN(op.key, parse_public_key(key));
  PASSBOOK_ASSIGN_OR_RETURN(op.reason, args.required("reason"));
  return submit_operations(args, {op});
}

Status run_open_account(const Args& args) {
  OpenAccount op;
  PASSBOOK_ASSIGN_OR_RETURN(op.account, args.required("account"));
  if (auto key = args.get("volunteer-key")) {
    PASSBOOK_ASSIGN_OR_RETURN(op.volunteer_key, parse_public_key(*key));
  }
  if (auto commitment = args.get("commitment")) {
    auto hash = array_from_hex<32>(*commitment);
    if (!hash) return invalid_argument("--commitment must be 64 hex digits");
    op.commitment = *hash;
  }
  return submit_operations(args, {op});
}

Status run_set_rule(const Args& args) {
  SetRule op;
  op.branch = args.get_or("branch", "");
  PASSBOOK_ASSIGN_OR_RETURN(op.category, args.required("category"));
  PASSBOOK_ASSIGN_OR_RETURN(int64_t pph, args.integer("points-per-hour", 1, limits::kPointsPerHour));
  PASSBOOK_ASSIGN_OR_RETURN(int64_t cap, args.integer("daily-cap-minutes", 0, 1440, 0));
  op.points_per_hour = static_cast<uint32_t>(pph);
  op.daily_cap_minutes = static_cast<uint32_t>(cap);
  return submit_operations(args, {op});
}

Status run_credit(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(ServiceRecord record, service(args));
  return submit_operations(args, {Credit{record}});
}

Status run_claim(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(ServiceRecord record, service(args));
  return submit_operations(args, {Claim{record}});
}

Status run_approve(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::string claim, args.required("claim"));
  PASSBOOK_ASSIGN_OR_RETURN(OpRef ref, parse_op_ref(claim));
  return submit_operations(args, {Approve{ref}});
}

Status run_reject(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::string claim, args.required("claim"));
  PASSBOOK_ASSIGN_OR_RETURN(OpRef ref, parse_op_ref(claim));
  PASSBOOK_ASSIGN_OR_RETURN(std::string reason, args.required("reason"));
  return submit_operations(args, {Reject{ref, reason}});
}

Status run_import_line(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(ServiceRecord record, service(args));
  Import op;
  op.service = record;
  PASSBOOK_ASSIGN_OR_RETURN(op.points, args.integer("points", 0, limits::kPointsPerOperation));
  PASSBOOK_ASSIGN_OR_RETURN(op.paper_ref, args.required("paper-ref"));
  return submit_operations(args, {op});
}

Result<LimitPeriod> parse_period(const std::string& text) {
  if (text == "ever") return LimitPeriod::kEver;
  if (text == "year") return LimitPeriod::kYear;
  if (text == "month") return LimitPeriod::kMonth;
  return invalid_argument("--per must be ever, year or month, not \"" + text + "\"");
}

Status run_list_reward(const Args& args) {
  ListReward op;
  PASSBOOK_ASSIGN_OR_RETURN(op.reward, args.required("reward"));
  PASSBOOK_ASSIGN_OR_RETURN(op.name, args.required("name"));
  PASSBOOK_ASSIGN_OR_RETURN(op.price, args.integer("price", 1, limits::kPointsPerOperation));
  const std::string stock = args.get_or("stock", "unlimited");
  if (stock == "unlimited") {
    op.stock = ListReward::kUnlimitedStock;
  } else {
    PASSBOOK_ASSIGN_OR_RETURN(op.stock, parse_integer(stock, 0, limits::kStockPerReward, "--stock"));
  }
  PASSBOOK_ASSIGN_OR_RETURN(int64_t limit, args.integer("limit", 0, UINT32_MAX, 0));
  op.per_person_limit = static_cast<uint32_t>(limit);
  PASSBOOK_ASSIGN_OR_RETURN(op.period, parse_period(args.get_or("per", "ever")));
  return submit_operations(args, {op});
}

Status run_restock(const Args& args) {
  Restock op;
  PASSBOOK_ASSIGN_OR_RETURN(op.reward, args.required("reward"));
  PASSBOOK_ASSIGN_OR_RETURN(op.quantity, args.integer("quantity", 1, limits::kStockPerReward));
  return submit_operations(args, {op});
}

Status run_delist(const Args& args) {
  Delist op;
  PASSBOOK_ASSIGN_OR_RETURN(op.reward, args.required("reward"));
  return submit_operations(args, {op});
}

template <class Op>
Status run_take(const Args& args) {
  Op op;
  PASSBOOK_ASSIGN_OR_RETURN(op.account, args.required("account"));
  PASSBOOK_ASSIGN_OR_RETURN(op.reward, args.required("reward"));
  PASSBOOK_ASSIGN_OR_RETURN(int64_t quantity, args.integer("quantity", 1, limits::kQuantityPerRedemption, 1));
  op.quantity = static_cast<uint32_t>(quantity);
  std::vector<std::string> cosigners;
  if (auto file = args.get("cosign")) cosigners.push_back(*file);
  return submit_operations(args, {op}, cosigners);
}

Status run_deliver(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::string text, args.required("reservation"));
  PASSBOOK_ASSIGN_OR_RETURN(OpRef ref, parse_op_ref(text));
  return submit_operations(args, {Deliver{ref}});
}

Status run_cancel(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::string text, args.required("reservation"));
  PASSBOOK_ASSIGN_OR_RETURN(OpRef ref, parse_op_ref(text));
  PASSBOOK_ASSIGN_OR_RETURN(std::string reason, args.required("reason"));
  return submit_operations(args, {Cancel{ref, reason}});
}

Status run_reverse(const Args& args) {
  Reverse op;
  PASSBOOK_ASSIGN_OR_RETURN(int64_t seq, args.integer("seq", 1, INT64_MAX));
  op.seq = static_cast<uint64_t>(seq);
  PASSBOOK_ASSIGN_OR_RETURN(op.reason, args.required("reason"));
  return submit_operations(args, {op});
}

Status run_settle(const Args& args) {
  Settle op;
  PASSBOOK_ASSIGN_OR_RETURN(op.merchant, args.required("merchant"));
  PASSBOOK_ASSIGN_OR_RETURN(op.points, args.integer("points", 1, limits::kPointsPerOperation));
  PASSBOOK_ASSIGN_OR_RETURN(op.reference, args.required("reference"));
  return submit_operations(args, {op});
}

}  // namespace

std::vector<Command> operation_commands() {
  const OptionSpec take_reward_options[] = {
      {"account", true, "the volunteer's account id"},
      {"reward", true, "the reward id"},
      {"quantity", true, "how many (default 1)"},
      {"cosign", true, "the volunteer's key file, when the volunteer has a key"}};
  const std::vector<OptionSpec> take(std::begin(take_reward_options), std::end(take_reward_options));
  return {
      {"register-actor", "--key ADMIN.key --actor-key HEX|FILE --role ROLE [--scope ID] --name NAME",
       "admin: register a key (branch, merchant, auditor, volunteer, admin)",
       with_common({{"actor-key", true, "the new key: 64 hex digits or a key file"},
                    {"role", true, "admin, branch, merchant, auditor or volunteer"},
                    {"scope", true, "branch id, merchant id or volunteer account"},
                    {"name", true, "who holds the key"}}),
       0, run_register},
      {"revoke-actor", "--key ADMIN.key --actor-key HEX|FILE --reason TEXT", "admin: retire a key",
       with_common({{"actor-key", true, "the key to revoke"}, {"reason", true, "why"}}), 0, run_revoke},
      {"open-account", "--key BRANCH.key --account ID [--volunteer-key HEX|FILE]",
       "branch: open a volunteer's account (no personal data on the chain)",
       with_common({{"account", true, "an opaque id, e.g. yzs3-0042"},
                    {"volunteer-key", true, "the volunteer's own key, if they have one"},
                    {"commitment", true, "salted SHA-256 of the person's details, 64 hex digits"}}),
       0, run_open_account},
      {"set-rule", "--key KEY [--branch ID] --category C --points-per-hour N [--daily-cap-minutes M]",
       "branch or admin: points per hour of a service category",
       with_common({{"branch", true, "the branch (default: street-wide, admin only)"},
                    {"category", true, "the service category"},
                    {"points-per-hour", true, "points earned per hour"},
                    {"daily-cap-minutes", true, "most minutes credited per volunteer per day (0: none)"}}),
       0, run_set_rule},
      {"credit", "--key BRANCH.key --account A --category C --minutes M --date D",
       "branch: record service; points move at once", service_options(), 0, run_credit},
      {"claim", "--key KEY --account A --category C --minutes M --date D",
       "volunteer or branch: record service that waits for the council's approval", service_options(), 0,
       run_claim},
      {"approve", "--key BRANCH.key --claim SEQ.OP", "council: approve a pending claim (another key)",
       with_common({{"claim", true, "the claim, as entry.operation"}}), 0, run_approve},
      {"reject", "--key BRANCH.key --claim SEQ.OP --reason TEXT", "council: reject a pending claim",
       with_common({{"claim", true, "the claim, as entry.operation"}, {"reason", true, "why"}}), 0,
       run_reject},
      {"import-line", "--key BRANCH.key --account A --category C --minutes M --date D --points P --paper-ref R",
       "branch: carry one line over from a paper passbook",
       service_options({{"points", true, "the points written in the paper passbook"},
                        {"paper-ref", true, "where it stands on paper, e.g. \"book 2, page 7\""}}),
       0, run_import_line},
      {"list-reward", "--key MERCHANT.key --reward ID --name N --price P [--stock S|unlimited] [--limit N --per year]",
       "merchant: offer a reward",
       with_common({{"reward", true, "the reward id"},
                    {"name", true, "what it is"},
                    {"price", true, "points per unit"},
                    {"stock", true, "units available, or unlimited (default)"},
                    {"limit", true, "units per volunteer per period (0: none)"},
                    {"per", true, "the limit's period: ever, year or month"}}),
       0, run_list_reward},
      {"restock", "--key MERCHANT.key --reward ID --quantity N", "merchant: add stock",
       with_common({{"reward", true, "the reward id"}, {"quantity", true, "units to add"}}), 0, run_restock},
      {"delist", "--key MERCHANT.key --reward ID", "merchant: stop offering a reward",
       with_common({{"reward", true, "the reward id"}}), 0, run_delist},
      {"redeem", "--key MERCHANT.key --account A --reward R [--quantity N] [--cosign VOLUNTEER.key]",
       "merchant: hand out a reward for points", with_common(take), 0, run_take<Redeem>},
      {"reserve", "--key MERCHANT.key --account A --reward R [--quantity N] [--cosign VOLUNTEER.key]",
       "merchant: hold points and stock for a later hand-over", with_common(take), 0, run_take<Reserve>},
      {"deliver", "--key MERCHANT.key --reservation SEQ.OP", "merchant: complete a reservation",
       with_common({{"reservation", true, "the reservation, as entry.operation"}}), 0, run_deliver},
      {"cancel", "--key KEY --reservation SEQ.OP --reason TEXT",
       "merchant or admin: cancel a reservation; points and stock return",
       with_common({{"reservation", true, "the reservation, as entry.operation"}, {"reason", true, "why"}}),
       0, run_cancel},
      {"reverse", "--key KEY --seq N --reason TEXT",
       "admin or the original signer's branch: a compensating entry for entry N",
       with_common({{"seq", true, "the entry to reverse"}, {"reason", true, "why"}}), 0, run_reverse},
      {"settle", "--key ADMIN.key --merchant M --points P --reference R",
       "admin: retire points a merchant has taken in",
       with_common({{"merchant", true, "the merchant id"},
                    {"points", true, "points to retire"},
                    {"reference", true, "e.g. the reimbursement voucher"}}),
       0, run_settle},
  };
}

}  // namespace passbook::cli
