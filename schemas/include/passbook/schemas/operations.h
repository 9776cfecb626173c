// The operations an envelope carries, one struct each (the table in ../DESIGN.md). Field order
// is the wire order; schemas/FORMAT.md gives the byte layout and the reason for each field.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "passbook/schemas/limits.h"
#include "passbook/schemas/types.h"
#include "passbook/schemas/wire.h"

namespace passbook::schemas {

enum class Role : uint8_t {
  kAdmin = 1,      // the street / district office
  kBranch = 2,     // a grid party branch council; scope = branch id
  kMerchant = 3,   // shop, kindergarten, service provider; scope = merchant id
  kAuditor = 4,    // reads everything, writes nothing
  kVolunteer = 5,  // scope = the volunteer's account id
};
inline bool is_valid(Role r) { return r >= Role::kAdmin && r <= Role::kVolunteer; }
std::string_view role_name(Role r);

// How often a reward's per-person limit resets.
enum class LimitPeriod : uint8_t { kEver = 0, kYear = 1, kMonth = 2 };
inline bool is_valid(LimitPeriod p) { return p <= LimitPeriod::kMonth; }

// Names one operation of one entry: claims and reservations are referred to this way.
struct OpRef {
  uint64_t seq = 0;
  uint32_t op = 0;
  template <class A>
  void serialize(A& ar) {
    ar(seq, op);
  }
  friend bool operator==(const OpRef&, const OpRef&) = default;
};

// A volunteer's service, as credits, claims and imports describe it.
struct ServiceRecord {
  std::string account;
  std::string category;
  uint32_t minutes = 0;
  uint32_t service_day = 0;  // YYYYMMDD, local date of the service
  Hash32 evidence{};         // hash of off-chain evidence (photo, sign-in sheet); zeros if none
  template <class A>
  void serialize(A& ar) {
    ar(text(account, limits::kIdBytes, "account"), text(category, limits::kIdBytes, "category"),
       minutes, service_day, evidence);
  }
  friend bool operator==(const ServiceRecord&, const ServiceRecord&) = default;
};

struct Genesis {
  std::string origin;  // checkpoint origin line, e.g. "passbook.example/yanshan"
  PublicKey admin_key{};
  std::string admin_name;
  PublicKey ledger_key{};        // signs checkpoints
  int32_t utc_offset_minutes = 480;  // local time for service days and limit periods (UTC+8)
  uint32_t time_window_s = 600;      // how far an envelope's time may be from the commit time
  template <class A>
  void serialize(A& ar) {
    ar(text(origin, limits::kOriginBytes, "origin"), admin_key,
       text(admin_name, limits::kNameBytes, "admin name"), ledger_key, utc_offset_minutes,
       time_window_s);
  }
  friend bool operator==(const Genesis&, const Genesis&) = default;
};

struct RegisterActor {
  PublicKey key{};
  Role role = Role::kAuditor;
  std::string scope;  // branch id, merchant id or volunteer account; empty for admin and auditor
  std::string name;
  template <class A>
  void serialize(A& ar) {
    ar(key, enumeration(role, "role"), text(scope, limits::kIdBytes, "scope"),
       text(name, limits::kNameBytes, "name"));
  }
  friend bool operator==(const RegisterActor&, const RegisterActor&) = default;
};

struct RevokeActor {
  PublicKey key{};
  std::string reason;
  template <class A>
  void serialize(A& ar) {
    ar(key, text(reason, limits::kReasonBytes, "reason"));
  }
  friend bool operator==(const RevokeActor&, const RevokeActor&) = default;
};

// Opens a volunteer account in the signer's branch. No personal data: an opaque id, optionally a
// salted commitment to the person's details, optionally the volunteer's own key.
struct OpenAccount {
  std::string account;
  std::optional<Hash32> commitment;
  std::optional<PublicKey> volunteer_key;
  template <class A>
  void serialize(A& ar) {
    ar(text(account, limits::kIdBytes, "account"), optional(commitment), optional(volunteer_key));
  }
  friend bool operator==(const OpenAccount&, const OpenAccount&) = default;
};

// Points per hour of a service category, and a daily cap on the minutes credited per volunteer.
// branch empty: street-wide (admin only); a branch's own rule overrides the street-wide one.
struct SetRule {
  std::string branch;
  std::string category;
  uint32_t points_per_hour = 0;
  uint32_t daily_cap_minutes = 0;  // 0: no cap
  template <class A>
  void serialize(A& ar) {
    ar(text(branch, limits::kIdBytes, "branch"), text(category, limits::kIdBytes, "category"),
       points_per_hour, daily_cap_minutes);
  }
  friend bool operator==(const SetRule&, const SetRule&) = default;
};

// Points move now, from the branch's issuing account to the volunteer.
struct Credit {
  ServiceRecord service;
  template <class A>
  void serialize(A& ar) {
    ar(service);
  }
  friend bool operator==(const Credit&, const Credit&) = default;
};

// A pending credit: counted only once a different branch key approves it.
struct Claim {
  ServiceRecord service;
  template <class A>
  void serialize(A& ar) {
    ar(service);
  }
  friend bool operator==(const Claim&, const Claim&) = default;
};

struct Approve {
  OpRef claim;
  template <class A>
  void serialize(A& ar) {
    ar(claim);
  }
  friend bool operator==(const Approve&, const Approve&) = default;
};

struct Reject {
  OpRef claim;
  std::string reason;
  template <class A>
  void serialize(A& ar) {
    ar(claim, text(reason, limits::kReasonBytes, "reason"));
  }
  friend bool operator==(const Reject&, const Reject&) = default;
};

// A credit carried over from a paper passbook: its original date and the points written there.
struct Import {
  ServiceRecord service;
  int64_t points = 0;
  std::string paper_ref;  // where it stands in the paper passbook, e.g. "book 3, page 12"
  template <class A>
  void serialize(A& ar) {
    ar(service, points, text(paper_ref, limits::kReasonBytes, "paper reference"));
  }
  friend bool operator==(const Import&, const Import&) = default;
};

struct ListReward {
  std::string reward;
  std::string name;
  int64_t price = 0;                 // points per unit
  int64_t stock = 0;                 // units available; kUnlimitedStock for services without one
  uint32_t per_person_limit = 0;     // units per volunteer per period; 0: no limit
  LimitPeriod period = LimitPeriod::kEver;
  static constexpr int64_t kUnlimitedStock = -1;
  template <class A>
  void serialize(A& ar) {
    ar(text(reward, limits::kIdBytes, "reward"), text(name, limits::kNameBytes, "reward name"),
       price, stock, per_person_limit, enumeration(period, "limit period"));
  }
  friend bool operator==(const ListReward&, const ListReward&) = default;
};

struct Restock {
  std::string reward;
  int64_t quantity = 0;
  template <class A>
  void serialize(A& ar) {
    ar(text(reward, limits::kIdBytes, "reward"), quantity);
  }
  friend bool operator==(const Restock&, const Restock&) = default;
};

struct Delist {
  std::string reward;
  template <class A>
  void serialize(A& ar) {
    ar(text(reward, limits::kIdBytes, "reward"));
  }
  friend bool operator==(const Delist&, const Delist&) = default;
};

// Volunteer -> signing merchant, stock - quantity.
struct Redeem {
  std::string account;
  std::string reward;
  uint32_t quantity = 1;
  template <class A>
  void serialize(A& ar) {
    ar(text(account, limits::kIdBytes, "account"), text(reward, limits::kIdBytes, "reward"),
       quantity);
  }
  friend bool operator==(const Redeem&, const Redeem&) = default;
};

// First step of a two-step redemption: points and stock are held until deliver or cancel.
struct Reserve {
  std::string account;
  std::string reward;
  uint32_t quantity = 1;
  template <class A>
  void serialize(A& ar) {
    ar(text(account, limits::kIdBytes, "account"), text(reward, limits::kIdBytes, "reward"),
       quantity);
  }
  friend bool operator==(const Reserve&, const Reserve&) = default;
};

struct Deliver {
  OpRef reservation;
  template <class A>
  void serialize(A& ar) {
    ar(reservation);
  }
  friend bool operator==(const Deliver&, const Deliver&) = default;
};

struct Cancel {
  OpRef reservation;
  std::string reason;
  template <class A>
  void serialize(A& ar) {
    ar(reservation, text(reason, limits::kReasonBytes, "reason"));
  }
  friend bool operator==(const Cancel&, const Cancel&) = default;
};

// A compensating entry: undoes every point movement of entry `seq` (the ledger is never edited).
struct Reverse {
  uint64_t seq = 0;
  std::string reason;
  template <class A>
  void serialize(A& ar) {
    ar(seq, text(reason, limits::kReasonBytes, "reason"));
  }
  friend bool operator==(const Reverse&, const Reverse&) = default;
};

// Retires points a merchant has taken in (e.g. the monthly reimbursement).
struct Settle {
  std::string merchant;
  int64_t points = 0;
  std::string reference;
  template <class A>
  void serialize(A& ar) {
    ar(text(merchant, limits::kIdBytes, "merchant"), points,
       text(reference, limits::kReasonBytes, "reference"));
  }
  friend bool operator==(const Settle&, const Settle&) = default;
};

// The wire tag of each alternative is its index + 1 (FORMAT.md lists them). Append only.
using Operation =
    std::variant<Genesis, RegisterActor, RevokeActor, OpenAccount, SetRule, Credit, Claim,
                 Approve, Reject, Import, ListReward, Restock, Delist, Redeem, Reserve, Deliver,
                 Cancel, Reverse, Settle>;

// "credit", "register_actor", ...: the names the CLI and FORMAT.md use.
std::string_view operation_name(const Operation& op);
uint8_t operation_tag(const Operation& op);

}  // namespace passbook::schemas

namespace passbook::schemas {

void save_operation(WireWriter& ar, const Operation& op);
void load_operation(WireReader& ar, Operation& op);

// Templates constrained to Operation itself: a plain overload would also match every alternative
// through std::variant's converting constructor, and cereal would see two candidates.
template <class T>
  requires std::same_as<T, Operation>
void CEREAL_SAVE_FUNCTION_NAME(WireWriter& ar, const T& op) {
  save_operation(ar, op);
}
template <class T>
  requires std::same_as<T, Operation>
void CEREAL_LOAD_FUNCTION_NAME(WireReader& ar, T& op) {
  load_operation(ar, op);
}

}  // namespace passbook::schemas
