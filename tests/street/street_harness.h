// What the street suites share: a demo street of their own (they write to it), the real
// `passbook` binary, a CSV reader for its output, and an independent replay of the chain: every
// entry of `passbook export` decoded here and its point movements worked out from the operations
// themselves (rules, prices, claims, reservations, reversals), without the engine's state or
// history. Statements and reports are checked against sums over this replay.
#pragma once

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_harness.h"
#include "csv.h"
#include "json.h"
#include "passbook/schemas/encoding.h"
#include "passbook/schemas/records.h"
#include "passbook/schemas/wire.h"

namespace passbook::test::street {

using passbook::test::contains;
using passbook::test::run_passbook;
using passbook::test::RunResult;
using passbook::test::TempDir;

// A demo street in a temporary directory, made for one test.
class Street {
 public:
  explicit Street(const std::vector<std::string>& size = {"--volunteers", "30", "--branches", "2",
                                                          "--months", "1"}) {
    std::vector<std::string> args{"demo", "--data", data()};
    args.insert(args.end(), size.begin(), size.end());
    const RunResult demo = run_passbook(args);
    BOOST_REQUIRE_MESSAGE(demo.exit_code == 0, "passbook demo failed: " << demo.err);
  }
  [[nodiscard]] std::string data() const { return (dir_.path() / "ledger").string(); }
  [[nodiscard]] std::string key(const std::string& name) const {
    return (dir_.path() / "ledger" / "keys" / (name + ".key")).string();
  }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }
  // `passbook args... --data DIR`, which must succeed.
  std::string ok(std::vector<std::string> args) const {
    args.push_back("--data");
    args.push_back(data());
    const RunResult r = run_passbook(args);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "passbook " << args.front() << " failed ("
                                                        << r.exit_code << "): " << r.err);
    return r.out;
  }
  [[nodiscard]] RunResult run(std::vector<std::string> args) const {
    args.push_back("--data");
    args.push_back(data());
    return run_passbook(args);
  }
  // The number of entries, as `passbook info` says.
  [[nodiscard]] uint64_t size() const {
    const std::string info = ok({"info"});
    const size_t at = info.find("entries");
    BOOST_REQUIRE(at != std::string::npos);
    size_t begin = info.find_first_of("0123456789", at);
    return std::stoull(info.substr(begin));
  }

 private:
  TempDir dir_;
};

// Parses CSV output with the CLI's own RFC 4180 reader; every record must have the header's width.
inline std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  auto records = cli::csv::parse(text);
  BOOST_REQUIRE_MESSAGE(records.is_ok(), records.status().message());
  std::vector<std::vector<std::string>> rows;
  for (auto& r : *records) {
    if (!rows.empty()) BOOST_REQUIRE_EQUAL(r.fields.size(), rows.front().size());
    rows.push_back(std::move(r.fields));
  }
  BOOST_REQUIRE(!rows.empty());
  return rows;
}

inline int64_t to_int(const std::string& s) {
  return s.empty() ? 0 : std::stoll(s);
}

// ---- the independent replay ------------------------------------------------------------------

enum class Kind {
  kCredit,
  kApproved,
  kImport,
  kRedeem,
  kReserve,
  kDeliver,
  kCancel,
  kReversal,
  kSettle
};

struct Posting {
  uint64_t seq = 0;
  uint32_t op = 0;
  uint32_t commit_day = 0;
  char account_kind = 'v';  // v volunteer, b branch, m merchant, s system
  std::string account;
  int64_t delta = 0;
  Kind kind = Kind::kCredit;
  std::string category;  // service
  int64_t minutes = 0;
  uint32_t service_day = 0;
  uint64_t reversed_seq = 0;  // kReversal
  Kind undid = Kind::kCredit;
  std::string reward;  // redeem, reserve, deliver, cancel
  int64_t quantity = 0;
};

struct PendingClaim {
  std::string account;
  std::string branch;
  std::string category;
  int64_t minutes = 0;
  uint32_t service_day = 0;
  int64_t points = 0;
  bool decided = false;
};

inline uint32_t civil_day(int64_t unix_ms, int32_t offset_minutes) {
  const int64_t s = unix_ms / 1000 + int64_t{offset_minutes} * 60;
  int64_t days = s / 86400;
  if (s % 86400 < 0) --days;
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp + (mp < 10 ? 3 : -9);
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return static_cast<uint32_t>(y * 10000 + m * 100 + d);
}

inline std::string day_string(uint32_t day) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", day / 10000, day / 100 % 100, day % 100);
  return buf;
}

class Replay {
 public:
  explicit Replay(const Street& street) {
    const std::string out = street.ok({"export"});
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
      cli::json::Limits limits;
      auto value = cli::json::parse(line, limits);
      BOOST_REQUIRE_MESSAGE(value.is_ok(), value.status().message());
      const auto* entry_field = value->find("entry");
      if (entry_field == nullptr) continue;  // the header and the checkpoints
      auto bytes = from_base64(entry_field->text);
      BOOST_REQUIRE(bytes.has_value());
      auto entry = schemas::decode<schemas::Entry>(*bytes, "entry");
      BOOST_REQUIRE_MESSAGE(entry.is_ok(), entry.status().message());
      auto envelope =
          schemas::decode<schemas::Envelope>(entry->signed_envelope.envelope, "envelope");
      BOOST_REQUIRE_MESSAGE(envelope.is_ok(), envelope.status().message());
      apply(*entry, *envelope);
      ++entries;
    }
    BOOST_REQUIRE(entries > 0);
  }

  uint64_t entries = 0;
  int32_t offset = 480;
  std::vector<Posting> postings;
  std::map<std::string, std::string> branch_of;  // volunteer -> branch
  std::map<std::pair<uint64_t, uint32_t>, PendingClaim> claims;

  [[nodiscard]] std::vector<Posting> of(char kind, const std::string& account) const {
    std::vector<Posting> out;
    for (const auto& p : postings) {
      if (p.account_kind == kind && p.account == account) out.push_back(p);
    }
    return out;
  }
  [[nodiscard]] int64_t balance(char kind, const std::string& account) const {
    int64_t sum = 0;
    for (const auto& p : of(kind, account)) sum += p.delta;
    return sum;
  }
  [[nodiscard]] std::set<std::string> volunteers_of(const std::string& branch) const {
    std::set<std::string> out;
    for (const auto& [v, b] : branch_of) {
      if (b == branch) out.insert(v);
    }
    return out;
  }
  // Seqs some reversal undid.
  [[nodiscard]] std::set<uint64_t> reversed() const {
    std::set<uint64_t> out;
    for (const auto& p : postings) {
      if (p.kind == Kind::kReversal) out.insert(p.reversed_seq);
    }
    return out;
  }

 private:
  void post(uint64_t seq, uint32_t op, uint32_t day, char kind, const std::string& account,
            int64_t delta, Posting details) {
    details.seq = seq;
    details.op = op;
    details.commit_day = day;
    details.account_kind = kind;
    details.account = account;
    details.delta = delta;
    postings.push_back(details);
  }

  int64_t rule(const std::string& branch, const std::string& category) const {
    if (auto it = rules_.find({branch, category}); it != rules_.end()) return it->second;
    auto it = rules_.find({"", category});
    BOOST_REQUIRE_MESSAGE(it != rules_.end(), "no rule for " << category);
    return it->second;
  }

  void apply(const schemas::Entry& entry, const schemas::Envelope& envelope) {
    using namespace schemas;
    const uint32_t day = civil_day(entry.commit_ms, offset);
    const std::string signer_scope = scope_[envelope.signer];
    for (uint32_t i = 0; i < envelope.ops.size(); ++i) {
      const Operation& operation = envelope.ops[i];
      const uint64_t seq = entry.seq;
      if (const auto* g = std::get_if<Genesis>(&operation)) {
        offset = g->utc_offset_minutes;
      } else if (const auto* r = std::get_if<RegisterActor>(&operation)) {
        scope_[r->key] = r->scope;
      } else if (const auto* o = std::get_if<OpenAccount>(&operation)) {
        branch_of[o->account] = signer_scope;
      } else if (const auto* set_rule = std::get_if<SetRule>(&operation)) {
        rules_[{set_rule->branch, set_rule->category}] = set_rule->points_per_hour;
      } else if (const auto* credit = std::get_if<Credit>(&operation)) {
        const ServiceRecord& done = credit->service;
        service(
            seq, i, day, Kind::kCredit, done,
            static_cast<int64_t>(done.minutes) * rule(branch_of[done.account], done.category) / 60);
      } else if (const auto* claim_op = std::get_if<Claim>(&operation)) {
        const ServiceRecord& done = claim_op->service;
        const std::string branch = branch_of[done.account];
        claims[{seq, i}] =
            PendingClaim{done.account,
                         branch,
                         done.category,
                         done.minutes,
                         done.service_day,
                         static_cast<int64_t>(done.minutes) * rule(branch, done.category) / 60,
                         false};
      } else if (const auto* a = std::get_if<Approve>(&operation)) {
        PendingClaim& claim = claims.at({a->claim.seq, a->claim.op});
        claim.decided = true;
        const ServiceRecord record{claim.account,
                                   claim.category,
                                   static_cast<uint32_t>(claim.minutes),
                                   claim.service_day,
                                   {}};
        service(seq, i, day, Kind::kApproved, record, claim.points);
      } else if (const auto* rj = std::get_if<Reject>(&operation)) {
        claims.at({rj->claim.seq, rj->claim.op}).decided = true;
      } else if (const auto* im = std::get_if<Import>(&operation)) {
        service(seq, i, day, Kind::kImport, im->service, im->points);
      } else if (const auto* l = std::get_if<ListReward>(&operation)) {
        prices_[{signer_scope, l->reward}] = l->price;
      } else if (const auto* rd = std::get_if<Redeem>(&operation)) {
        const int64_t points = prices_.at({signer_scope, rd->reward}) * rd->quantity;
        Posting d;
        d.kind = Kind::kRedeem;
        d.reward = rd->reward;
        d.quantity = rd->quantity;
        post(seq, i, day, 'v', rd->account, -points, d);
        post(seq, i, day, 'm', signer_scope, points, d);
      } else if (const auto* rs = std::get_if<Reserve>(&operation)) {
        const int64_t points = prices_.at({signer_scope, rs->reward}) * rs->quantity;
        Posting d;
        d.kind = Kind::kReserve;
        d.reward = rs->reward;
        d.quantity = rs->quantity;
        post(seq, i, day, 'v', rs->account, -points, d);
        post(seq, i, day, 's', "held", points, d);
        reservations_[{seq, i}] = {rs->account, signer_scope, points};
      } else if (const auto* dl = std::get_if<Deliver>(&operation)) {
        const auto& held = reservations_.at({dl->reservation.seq, dl->reservation.op});
        Posting d;
        d.kind = Kind::kDeliver;
        post(seq, i, day, 's', "held", -held.points, d);
        post(seq, i, day, 'm', held.merchant, held.points, d);
      } else if (const auto* cn = std::get_if<Cancel>(&operation)) {
        const auto& held = reservations_.at({cn->reservation.seq, cn->reservation.op});
        Posting d;
        d.kind = Kind::kCancel;
        post(seq, i, day, 's', "held", -held.points, d);
        post(seq, i, day, 'v', held.account, held.points, d);
      } else if (const auto* rv = std::get_if<Reverse>(&operation)) {
        // Undoes every movement of the entry: the same postings with the sign turned.
        std::vector<Posting> undo;
        for (const auto& p : postings) {
          if (p.seq == rv->seq) undo.push_back(p);
        }
        for (auto p : undo) {
          p.undid = p.kind;
          p.kind = Kind::kReversal;
          p.reversed_seq = rv->seq;
          p.service_day = 0;
          post(seq, i, day, p.account_kind, p.account, -p.delta, p);
        }
      } else if (const auto* st = std::get_if<Settle>(&operation)) {
        Posting d;
        d.kind = Kind::kSettle;
        post(seq, i, day, 'm', st->merchant, -st->points, d);
        post(seq, i, day, 's', "retired", st->points, d);
      }
    }
  }

  void service(uint64_t seq, uint32_t op, uint32_t day, Kind kind, const schemas::ServiceRecord& s,
               int64_t points) {
    Posting d;
    d.kind = kind;
    d.category = s.category;
    d.minutes = s.minutes;
    d.service_day = s.service_day;
    post(seq, op, day, 'v', s.account, points, d);
    post(seq, op, day, 'b', branch_of[s.account], -points, d);
  }

  struct Held {
    std::string account;
    std::string merchant;
    int64_t points = 0;
  };
  std::map<PublicKey, std::string> scope_;
  std::map<std::pair<std::string, std::string>, int64_t> rules_;
  std::map<std::pair<std::string, std::string>, int64_t> prices_;
  std::map<std::pair<uint64_t, uint32_t>, Held> reservations_;
};

}  // namespace passbook::test::street
