#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "backend.h"
#include "cli.h"
#include "passbook/client/envelope.h"
#include "passbook/schemas/encoding.h"

namespace passbook::cli {

int exit_code_for(const Status& status) {
  using Code = Status::Code;
  switch (status.code()) {
    case Code::kOk: return kExitOk;
    case Code::kInvalidArgument:
    case Code::kNotFound:
    case Code::kAlreadyExists:
    case Code::kFailedPrecondition:
    case Code::kPermissionDenied:
    case Code::kUnauthenticated:
    case Code::kResourceExhausted: return kExitRefused;
    case Code::kUnavailable: return kExitUnavailable;
    case Code::kDataLoss: return kExitDamaged;
    case Code::kInternal: return kExitInternal;
  }
  return kExitInternal;
}

OptionSpec data_option() {
  return {"data", true, "the data directory (default: $PASSBOOK_DATA or ./passbook-data)"};
}

OptionSpec key_option() { return {"key", true, "the key file that signs (e.g. DIR/keys/admin.key)"}; }

std::filesystem::path data_dir(const Args& args) {
  if (auto data = args.get("data")) return *data;
  if (const char* env = std::getenv("PASSBOOK_DATA"); env != nullptr && *env != '\0') return env;
  return "passbook-data";
}

Result<std::unique_ptr<ledger::Ledger>> open_ledger(const Args& args, bool writing) {
  ledger::Options options;
  options.data_dir = data_dir(args);
  options.load_ledger_key = writing;
  if (auto key = args.get("ledger-key")) options.ledger_key_file = *key;
  return ledger::Ledger::open(options);
}

Result<proof::SigningKey> load_key(const std::string& file) { return proof::SigningKey::load(file); }

Status submit_operations(const Args& args, std::vector<schemas::Operation> ops,
                         const std::vector<std::string>& cosigner_files) {
  PASSBOOK_ASSIGN_OR_RETURN(std::string key_file, args.required("key"));
  PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey key, load_key(key_file));
  std::vector<proof::SigningKey> cosigners;
  for (const auto& file : cosigner_files) {
    PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey cosigner, load_key(file));
    cosigners.push_back(std::move(cosigner));
  }
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, open_backend(args, true));
  PASSBOOK_ASSIGN_OR_RETURN(schemas::LedgerInfo info, backend->info());
  client::EnvelopeOptions options;
  for (const auto& c : cosigners) options.cosigners.push_back(&c);
  PASSBOOK_ASSIGN_OR_RETURN(schemas::SignedEnvelope envelope,
                            client::sign_envelope(info.id, key, std::move(ops), options));
  PASSBOOK_ASSIGN_OR_RETURN(Submitted done, backend->submit(std::move(envelope)));
  std::cout << (done.duplicate ? "Already recorded as entry " : "Recorded as entry ") << done.receipt.seq
            << " (hash " << to_hex(done.receipt.entry_hash).substr(0, 16) << "…, covered by checkpoint "
            << done.receipt.checkpoint_size << (done.proven ? ", proof checked" : "") << ").\n";
  return backend->close();
}

Result<uint32_t> parse_day(const std::string& text) {
  std::string digits;
  for (char c : text) {
    if (c != '-') digits.push_back(c);
  }
  const bool shape_ok = digits.size() == 8 && (text.size() == 8 || (text.size() == 10 && text[4] == '-' && text[7] == '-'));
  if (!shape_ok) return invalid_argument("\"" + text + "\" is not a date like 2026-11-22");
  PASSBOOK_ASSIGN_OR_RETURN(int64_t value, parse_integer(digits, 20000101, 21991231, "the date"));
  return static_cast<uint32_t>(value);
}

Result<schemas::OpRef> parse_op_ref(const std::string& text) {
  const size_t dot = text.find('.');
  if (dot == std::string::npos) {
    return invalid_argument("\"" + text + "\" is not an entry.operation reference like 42.0");
  }
  PASSBOOK_ASSIGN_OR_RETURN(int64_t seq, parse_integer(text.substr(0, dot), 0, INT64_MAX, "the entry number"));
  PASSBOOK_ASSIGN_OR_RETURN(int64_t op, parse_integer(text.substr(dot + 1), 0, UINT32_MAX, "the operation number"));
  return schemas::OpRef{static_cast<uint64_t>(seq), static_cast<uint32_t>(op)};
}

Result<PublicKey> parse_public_key(const std::string& text) {
  if (auto key = array_from_hex<32>(text)) return *key;
  std::error_code ec;
  if (std::filesystem::exists(text, ec)) {
    PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey key, load_key(text));
    return key.public_key();
  }
  return invalid_argument("\"" + text + "\" is neither a 64-digit hex public key nor a key file");
}

Result<schemas::Role> parse_role(const std::string& text) {
  for (auto role : {schemas::Role::kAdmin, schemas::Role::kBranch, schemas::Role::kMerchant,
                    schemas::Role::kAuditor, schemas::Role::kVolunteer}) {
    if (schemas::role_name(role) == text) return role;
  }
  return invalid_argument("the role must be admin, branch, merchant, auditor or volunteer, not \"" +
                          text + "\"");
}

std::string format_time(int64_t unix_ms, int32_t utc_offset_minutes) {
  const int64_t local_s = unix_ms / 1000 + int64_t{utc_offset_minutes} * 60;
  int64_t days = local_s / 86400;
  int64_t seconds = local_s % 86400;
  if (seconds < 0) {
    seconds += 86400;
    --days;
  }
  // civil_from_days (Howard Hinnant)
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp + (mp < 10 ? 3 : -9);
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld %02lld:%02lld", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d),
                static_cast<long long>(seconds / 3600), static_cast<long long>((seconds / 60) % 60));
  return buf;
}

std::string short_hex(const PublicKey& key) { return to_hex(key).substr(0, 16); }

namespace {

std::string day_text(uint32_t day) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", day / 10000, (day / 100) % 100, day % 100);
  return buf;
}

std::string hours_text(uint32_t minutes) {
  char buf[32];
  if (minutes % 60 == 0) {
    std::snprintf(buf, sizeof buf, "%u h", minutes / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%u h %02u min", minutes / 60, minutes % 60);
  }
  return buf;
}

std::string ref_text(const schemas::OpRef& ref) {
  return std::to_string(ref.seq) + "." + std::to_string(ref.op);
}

}  // namespace

std::string describe_operation(const schemas::Operation& op) {
  using namespace schemas;
  struct Describe {
    std::string operator()(const Genesis& o) { return "ledger opened: " + o.origin; }
    std::string operator()(const RegisterActor& o) {
      return "registered " + std::string(role_name(o.role)) + " key " + short_hex(o.key) + " (" + o.name + ")";
    }
    std::string operator()(const RevokeActor& o) { return "revoked key " + short_hex(o.key) + ": " + o.reason; }
    std::string operator()(const OpenAccount& o) { return "opened account " + o.account; }
    std::string operator()(const SetRule& o) {
      return "rule " + o.category + ": " + std::to_string(o.points_per_hour) + " points/hour" +
             (o.branch.empty() ? " (street-wide)" : " in " + o.branch);
    }
    std::string operator()(const Credit& o) {
      return o.service.category + ", " + hours_text(o.service.minutes) + " on " + day_text(o.service.service_day);
    }
    std::string operator()(const Claim& o) {
      return "claim: " + o.service.category + ", " + hours_text(o.service.minutes) + " on " +
             day_text(o.service.service_day);
    }
    std::string operator()(const Approve& o) { return "council approved claim " + ref_text(o.claim); }
    std::string operator()(const Reject& o) { return "council rejected claim " + ref_text(o.claim) + ": " + o.reason; }
    std::string operator()(const Import& o) {
      return "from paper passbook (" + o.paper_ref + "): " + o.service.category + " on " +
             day_text(o.service.service_day);
    }
    std::string operator()(const ListReward& o) { return "listed reward " + o.name; }
    std::string operator()(const Restock& o) { return "restocked " + o.reward + " by " + std::to_string(o.quantity); }
    std::string operator()(const Delist& o) { return "delisted " + o.reward; }
    std::string operator()(const Redeem& o) { return "redeemed " + std::to_string(o.quantity) + " × " + o.reward; }
    std::string operator()(const Reserve& o) { return "reserved " + std::to_string(o.quantity) + " × " + o.reward; }
    std::string operator()(const Deliver& o) { return "delivered reservation " + ref_text(o.reservation); }
    std::string operator()(const Cancel& o) { return "cancelled reservation " + ref_text(o.reservation) + ": " + o.reason; }
    std::string operator()(const Reverse& o) { return "reversal of entry " + std::to_string(o.seq) + ": " + o.reason; }
    std::string operator()(const Settle& o) {
      return "settled " + std::to_string(o.points) + " points of " + o.merchant + " (" + o.reference + ")";
    }
  };
  return std::visit(Describe{}, op);
}

}  // namespace passbook::cli
