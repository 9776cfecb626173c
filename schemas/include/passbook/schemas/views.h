// What the ledger answers to queries: the same structs locally (the engine's API) and over the
// wire (the server's replies), so the CLI prints one kind of thing whichever way it asked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "passbook/schemas/limits.h"
#include "passbook/schemas/operations.h"
#include "passbook/schemas/types.h"
#include "passbook/schemas/wire.h"

namespace passbook::schemas {

struct LedgerInfo {
  LedgerId id{};
  std::string origin;
  PublicKey ledger_key{};
  std::string verifier_key;  // C2SP form: <origin>+<key id>+<base64(0x01 || key)>
  uint64_t size = 0;         // number of entries
  Hash32 root{};             // Merkle root over all entries
  int64_t last_commit_ms = 0;
  int32_t utc_offset_minutes = 0;
  template <class A>
  void serialize(A& ar) {
    ar(id, text(origin, limits::kOriginBytes, "origin"), ledger_key,
       text(verifier_key, limits::kVerifierKeyBytes, "verifier key"), size, root, last_commit_ms, utc_offset_minutes);
  }
};

enum class AccountKind : char {
  kVolunteer = 'v',
  kBranch = 'b',    // a branch's issuing account: goes negative by the points it has issued
  kMerchant = 'm',  // points taken in by a merchant, until settled
  kSystem = 's',    // "held" (reservations in progress) and "retired" (settled points)
};
inline bool is_valid(AccountKind k) {
  return k == AccountKind::kVolunteer || k == AccountKind::kBranch ||
         k == AccountKind::kMerchant || k == AccountKind::kSystem;
}

struct AccountView {
  AccountKind kind = AccountKind::kVolunteer;
  std::string id;
  std::string branch;  // volunteers: the branch that opened the account
  int64_t available = 0;
  int64_t pending = 0;  // claimed, awaiting the council
  uint32_t active_keys = 0;
  uint64_t opened_seq = 0;
  uint64_t last_seq = 0;
  template <class A>
  void serialize(A& ar) {
    ar(enumeration(kind, "account kind"), text(id, limits::kIdBytes, "account"),
       text(branch, limits::kIdBytes, "branch"), available, pending, active_keys, opened_seq,
       last_seq);
  }
};

// One movement of an account's points: a line of the passbook.
struct HistoryLine {
  uint64_t seq = 0;
  uint32_t op = 0;
  int64_t commit_ms = 0;
  int64_t delta = 0;
  int64_t balance_after = 0;
  PublicKey signer{};
  Operation operation;  // the operation that moved the points
  template <class A>
  void serialize(A& ar) {
    ar(seq, op, commit_ms, delta, balance_after, signer, operation);
  }
};

struct ActorView {
  PublicKey key{};
  Role role = Role::kAuditor;
  std::string scope;
  std::string name;
  uint64_t registered_seq = 0;
  std::optional<uint64_t> revoked_seq;
  template <class A>
  void serialize(A& ar) {
    ar(key, enumeration(role, "role"), text(scope, limits::kIdBytes, "scope"),
       text(name, limits::kNameBytes, "name"), registered_seq, optional(revoked_seq));
  }
};

struct RuleView {
  std::string branch;  // empty: street-wide
  std::string category;
  uint32_t points_per_hour = 0;
  uint32_t daily_cap_minutes = 0;
  uint64_t set_seq = 0;
  template <class A>
  void serialize(A& ar) {
    ar(text(branch, limits::kIdBytes, "branch"), text(category, limits::kIdBytes, "category"),
       points_per_hour, daily_cap_minutes, set_seq);
  }
};

struct RewardView {
  std::string merchant;
  std::string reward;
  std::string name;
  int64_t price = 0;
  int64_t stock = 0;  // ListReward::kUnlimitedStock: no stock kept
  uint32_t per_person_limit = 0;
  LimitPeriod period = LimitPeriod::kEver;
  bool listed = true;
  int64_t redeemed = 0;
  template <class A>
  void serialize(A& ar) {
    ar(text(merchant, limits::kIdBytes, "merchant"), text(reward, limits::kIdBytes, "reward"),
       text(name, limits::kNameBytes, "name"), price, stock, per_person_limit,
       enumeration(period, "period"), listed, redeemed);
  }
};

enum class ClaimDecision : uint8_t { kPending = 0, kApproved = 1, kRejected = 2 };
inline bool is_valid(ClaimDecision d) { return d <= ClaimDecision::kRejected; }

struct ClaimView {
  OpRef ref;
  std::string account;
  std::string branch;
  std::string category;
  uint32_t minutes = 0;
  uint32_t service_day = 0;
  int64_t points = 0;
  PublicKey claimer{};
  ClaimDecision decision = ClaimDecision::kPending;
  std::optional<uint64_t> decided_seq;
  template <class A>
  void serialize(A& ar) {
    ar(ref, text(account, limits::kIdBytes, "account"), text(branch, limits::kIdBytes, "branch"),
       text(category, limits::kIdBytes, "category"), minutes, service_day, points, claimer,
       enumeration(decision, "decision"), optional(decided_seq));
  }
};

enum class ReservationState : uint8_t { kHeld = 0, kDelivered = 1, kCancelled = 2 };
inline bool is_valid(ReservationState s) { return s <= ReservationState::kCancelled; }

struct ReservationView {
  OpRef ref;
  std::string account;
  std::string merchant;
  std::string reward;
  uint32_t quantity = 0;
  int64_t points = 0;
  ReservationState state = ReservationState::kHeld;
  std::optional<uint64_t> closed_seq;
  template <class A>
  void serialize(A& ar) {
    ar(ref, text(account, limits::kIdBytes, "account"), text(merchant, limits::kIdBytes, "merchant"),
       text(reward, limits::kIdBytes, "reward"), quantity, points,
       enumeration(state, "reservation state"), optional(closed_seq));
  }
};

}  // namespace passbook::schemas
