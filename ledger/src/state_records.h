// The derived state, record by record. Every record is a function of the chain: `rebuild` must
// reproduce each one bit for bit. Field order is the stored order (same archive as the wire).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "passbook/schemas/operations.h"
#include "passbook/schemas/views.h"
#include "passbook/schemas/wire.h"

namespace passbook::ledger {

using schemas::OpRef;
using schemas::Role;

inline constexpr uint64_t kNever = ~uint64_t{0};  // "not revoked", "not decided"

// What genesis fixed for the life of the ledger.
struct LedgerRecord {
  LedgerId ledger{};
  std::string origin;
  PublicKey ledger_key{};
  int32_t utc_offset_minutes = 0;
  uint32_t time_window_s = 0;
  template <class A>
  void serialize(A& ar) {
    ar(ledger, schemas::text(origin, limits::kOriginBytes, "origin"), ledger_key,
       utc_offset_minutes, time_window_s);
  }
  friend bool operator==(const LedgerRecord&, const LedgerRecord&) = default;
};

struct ActorRecord {
  Role role = Role::kAuditor;
  std::string scope;
  std::string name;
  uint64_t registered_seq = 0;
  uint64_t revoked_seq = kNever;
  [[nodiscard]] bool active() const { return revoked_seq == kNever; }
  template <class A>
  void serialize(A& ar) {
    ar(schemas::enumeration(role, "role"), schemas::text(scope, limits::kIdBytes, "scope"),
       schemas::text(name, limits::kNameBytes, "name"), registered_seq, revoked_seq);
  }
  friend bool operator==(const ActorRecord&, const ActorRecord&) = default;
};

using schemas::AccountKind;
using Decision = schemas::ClaimDecision;
using schemas::ReservationState;

struct AccountRecord {
  AccountKind kind = AccountKind::kVolunteer;
  std::string branch;      // volunteers: the branch that opened the account
  int64_t balance = 0;     // available points
  int64_t pending = 0;     // volunteers: claimed points awaiting the council
  uint32_t active_keys = 0;  // volunteers: registered, unrevoked keys (co-signing needed if > 0)
  std::optional<Hash32> commitment;
  uint64_t opened_seq = 0;
  uint64_t last_seq = 0;  // the entry that last changed this record
  template <class A>
  void serialize(A& ar) {
    ar(schemas::enumeration(kind, "account kind"), schemas::text(branch, limits::kIdBytes, "branch"),
       balance, pending, active_keys, schemas::optional(commitment), opened_seq, last_seq);
  }
  friend bool operator==(const AccountRecord&, const AccountRecord&) = default;
};

struct RuleRecord {
  uint32_t points_per_hour = 0;
  uint32_t daily_cap_minutes = 0;
  uint64_t set_seq = 0;
  template <class A>
  void serialize(A& ar) {
    ar(points_per_hour, daily_cap_minutes, set_seq);
  }
  friend bool operator==(const RuleRecord&, const RuleRecord&) = default;
};

struct RewardRecord {
  std::string name;
  int64_t price = 0;
  int64_t stock = 0;  // schemas::ListReward::kUnlimitedStock for no stock
  uint32_t per_person_limit = 0;
  schemas::LimitPeriod period = schemas::LimitPeriod::kEver;
  bool listed = true;
  int64_t redeemed = 0;  // units handed out or held, for reports
  uint64_t last_seq = 0;
  template <class A>
  void serialize(A& ar) {
    ar(schemas::text(name, limits::kNameBytes, "name"), price, stock, per_person_limit,
       schemas::enumeration(period, "period"), listed, redeemed, last_seq);
  }
  friend bool operator==(const RewardRecord&, const RewardRecord&) = default;
};

struct ClaimRecord {
  std::string account;
  std::string branch;
  std::string category;
  uint32_t minutes = 0;
  uint32_t service_day = 0;
  int64_t points = 0;
  PublicKey claimer{};
  Decision decision = Decision::kPending;
  uint64_t decided_seq = kNever;
  template <class A>
  void serialize(A& ar) {
    ar(schemas::text(account, limits::kIdBytes, "account"),
       schemas::text(branch, limits::kIdBytes, "branch"),
       schemas::text(category, limits::kIdBytes, "category"), minutes, service_day, points,
       claimer, schemas::enumeration(decision, "decision"), decided_seq);
  }
  friend bool operator==(const ClaimRecord&, const ClaimRecord&) = default;
};

struct ReservationRecord {
  std::string account;
  std::string merchant;
  std::string reward;
  uint32_t quantity = 0;
  int64_t points = 0;
  uint32_t period_key = 0;  // the limit period it counted against
  ReservationState state = ReservationState::kHeld;
  uint64_t closed_seq = kNever;
  template <class A>
  void serialize(A& ar) {
    ar(schemas::text(account, limits::kIdBytes, "account"),
       schemas::text(merchant, limits::kIdBytes, "merchant"),
       schemas::text(reward, limits::kIdBytes, "reward"), quantity, points, period_key,
       schemas::enumeration(state, "reservation state"), closed_seq);
  }
  friend bool operator==(const ReservationRecord&, const ReservationRecord&) = default;
};

// A counter (minutes credited on a day, units of a reward used in a period). One field, but a
// struct so that every table stores records the same way.
struct Counter {
  int64_t value = 0;
  template <class A>
  void serialize(A& ar) {
    ar(value);
  }
  friend bool operator==(const Counter&, const Counter&) = default;
};

}  // namespace passbook::ledger
