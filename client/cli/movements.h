// The postings of one account, read from the ledger (history) and explained: which service,
// which reward, which correction. Statements and reports are sums over these, so every figure
// they print is the sum of postings of named entries.
//
// Works through the Backend interface, locally or remotely. Lookups that a remote key may not be
// allowed (the list of keys, every claim, every reservation) are optional: without them a line
// says less (e.g. the shop's id instead of its name), never something else.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backend.h"
#include "passbook/schemas/views.h"
#include "street_text.h"

namespace passbook::cli::street {

enum class MoveKind {
  kCredit,    // branch credit: service
  kApproved,  // a claim the council approved: service
  kImport,    // carried over from a paper passbook: service
  kRedeem,    // volunteer -> merchant (a merchant's account sees it as points taken in)
  kReserve,   // volunteer -> held (two-step redemption)
  kDeliver,   // held -> merchant (merchant's account)
  kCancel,    // held -> volunteer (reservation cancelled)
  kReversal,  // a compensating entry for an earlier one
  kSettle,    // merchant -> retired
  kOther,
};

struct Movement {
  uint64_t seq = 0;
  uint32_t op = 0;
  int64_t commit_ms = 0;
  uint32_t commit_day = 0;  // local date of the commit
  int64_t delta = 0;
  int64_t balance_after = 0;
  MoveKind kind = MoveKind::kOther;

  // Service (credit, approved claim, import, or what a reversal undid).
  std::string category;
  int64_t minutes = 0;
  uint32_t service_day = 0;
  std::string paper_ref;
  schemas::OpRef claim;  // kApproved

  // Reward (redeem, reserve, deliver, cancel, or what a reversal undid).
  std::string volunteer;  // the volunteer's account, for a merchant's postings
  std::string merchant;   // empty when it could not be found
  std::string reward;
  int64_t quantity = 0;
  schemas::OpRef reservation;  // kReserve (its own ref), kDeliver, kCancel

  // Reversal: the entry it undoes and why; `undid` is the kind of the original posting.
  uint64_t reversed_seq = 0;
  MoveKind undid = MoveKind::kOther;
  std::string reason;     // reversal, cancellation
  std::string reference;  // settlement

  // The day a passbook shows: the service date for service, else the commit date.
  [[nodiscard]] uint32_t day() const { return service_day != 0 ? service_day : commit_day; }
  [[nodiscard]] bool is_service() const {
    return kind == MoveKind::kCredit || kind == MoveKind::kApproved || kind == MoveKind::kImport;
  }
};

// What the ledger says once per command, for explaining many accounts' postings.
struct Context {
  schemas::LedgerInfo info;
  int64_t now_ms = 0;
  uint32_t today = 0;
  std::map<std::string, std::string> merchant_names;  // merchant id -> registered name
  std::map<std::string, std::string> branch_names;    // branch id -> what its keys' names share
  std::map<PublicKey, std::string> merchant_of_key;   // merchant key -> merchant id
  std::vector<schemas::RewardView> rewards;
  std::map<std::pair<uint64_t, uint32_t>, schemas::ClaimView> claims;
  std::map<std::pair<uint64_t, uint32_t>, schemas::ReservationView> reservations;
  bool keys_known = false;  // the key list could be read
  bool claims_known = false;

  [[nodiscard]] std::string reward_name(const std::string& merchant,
                                        const std::string& reward) const;
  [[nodiscard]] std::string merchant_name(const std::string& merchant) const;
  [[nodiscard]] std::string branch_name(const std::string& branch) const;
  [[nodiscard]] const schemas::RewardView* find_reward(const std::string& merchant,
                                                       const std::string& reward) const;
};

// Reads the context. `claims_branch`: the claims to load ("" all, nullopt none);
// `reservations_merchant` likewise. A query the key may not make is skipped, not an error.
Result<Context> load_context(Backend& backend, const std::optional<std::string>& claims_branch,
                             const std::optional<std::string>& reservations_merchant);

// Every posting of an account, oldest first, explained.
Result<std::vector<Movement>> movements(Backend& backend, const Context& context,
                                        schemas::AccountKind kind, const std::string& id);

// One line of a passbook or report in words, e.g. "探访老人 2小时" or "Elder visit, 2 h".
std::string describe(const Movement& m, const Context& context, Lang lang);

// Seqs of this account's postings that a later reversal undid.
std::map<uint64_t, uint64_t> reversed_seqs(const std::vector<Movement>& moves);

}  // namespace passbook::cli::street
