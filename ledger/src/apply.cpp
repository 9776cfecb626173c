#include "apply.h"

#include <algorithm>

#include "dates.h"
#include "passbook/proof/note.h"
#include "passbook/schemas/encoding.h"

namespace passbook::ledger {
namespace {

using namespace schemas;

std::string short_key(const PublicKey& key) { return to_hex(key).substr(0, 16); }

std::string key_string(const PublicKey& key) { return std::string(as_chars(key)); }

std::string op_ref_text(const OpRef& ref) {
  return std::to_string(ref.seq) + "." + std::to_string(ref.op);
}

// Where a limit period starts: 0 for ever, YYYY for a year, YYYYMM for a month.
uint32_t period_key(LimitPeriod period, uint32_t day) {
  switch (period) {
    case LimitPeriod::kEver: return 0;
    case LimitPeriod::kYear: return day / 10000;
    case LimitPeriod::kMonth: return day / 100;
  }
  return 0;
}

std::string_view period_text(LimitPeriod period) {
  switch (period) {
    case LimitPeriod::kEver: return "in all";
    case LimitPeriod::kYear: return "a year";
    case LimitPeriod::kMonth: return "a month";
  }
  return "";
}

class Applier {
 public:
  Applier(LedgerState& state, const EntryContext& ctx, const History& history, Txn& txn)
      : state_(state), ctx_(ctx), history_(history), txn_(txn) {}

  ApplyOutcome run() {
    const Envelope& envelope = *ctx_.envelope;
    if (ctx_.seq != state_.next_seq) {
      return {internal_error("entry " + std::to_string(ctx_.seq) + " applied out of order, expected " +
                             std::to_string(state_.next_seq))};
    }
    if (Status s = check_cosigners(); !s.is_ok()) return {s};
    if (ctx_.seq == 0) {
      if (Status s = check_genesis_envelope(); !s.is_ok()) return {s};
    } else {
      if (Status s = check_envelope(); !s.is_ok()) return {s};
    }
    for (uint32_t i = 0; i < envelope.ops.size(); ++i) {
      op_index_ = i;
      Status s = std::visit([this](const auto& op) { return apply(op); }, envelope.ops[i]);
      if (!s.is_ok()) {
        return {s.with_context("operation " + std::to_string(i + 1) + " (" +
                               std::string(operation_name(envelope.ops[i])) + ")"),
                i};
      }
    }
    advance_day();
    const uint64_t old_next = state_.next_seq;
    state_.next_seq = ctx_.seq + 1;
    // The undo runs when the whole group is rolled back, long after this Applier (a temporary of
    // apply_envelope) is gone: it must hold the state, never `this`.
    txn_.on_undo([&state = state_, old_next] { state.next_seq = old_next; });
    return {};
  }

 private:
  // ---- envelope -------------------------------------------------------------------------

  // A co-signature adds a second person's consent: never the signer's own, never twice.
  Status check_cosigners() const {
    for (size_t i = 0; i < ctx_.cosigners.size(); ++i) {
      if (ctx_.cosigners[i] == ctx_.envelope->signer) {
        return invalid_argument("the signer cannot also co-sign the envelope");
      }
      for (size_t k = 0; k < i; ++k) {
        if (ctx_.cosigners[k] == ctx_.cosigners[i]) return invalid_argument("a key co-signs the envelope twice");
      }
    }
    return Status::ok();
  }

  Status check_genesis_envelope() {
    const Envelope& envelope = *ctx_.envelope;
    if (state_.ledger_record() != nullptr) return internal_error("the ledger already has a genesis");
    const auto* genesis = std::get_if<Genesis>(&envelope.ops.front());
    if (genesis == nullptr) return invalid_argument("entry 0 must begin with a genesis operation");
    if (genesis->admin_key != envelope.signer) {
      return unauthenticated("the genesis envelope must be signed by the first admin key");
    }
    return Status::ok();
  }

  Status check_envelope() {
    const Envelope& envelope = *ctx_.envelope;
    const LedgerRecord* ledger = state_.ledger_record();
    if (ledger == nullptr) return data_loss("the ledger has no genesis");
    if (envelope.ledger != ledger->ledger) {
      return invalid_argument("the envelope is meant for another ledger (" +
                              to_hex(envelope.ledger) + ", this is " + to_hex(ledger->ledger) + ")");
    }
    const int64_t window_ms = int64_t{ledger->time_window_s} * 1000;
    if (envelope.created_ms < ctx_.commit_ms - window_ms) {
      return invalid_argument("the envelope was created " +
                              std::to_string((ctx_.commit_ms - envelope.created_ms) / 1000) +
                              " s ago, more than the " + std::to_string(ledger->time_window_s) +
                              " s allowed; sign it again");
    }
    if (envelope.created_ms > ctx_.commit_ms + window_ms) {
      return invalid_argument("the envelope's time is " +
                              std::to_string((envelope.created_ms - ctx_.commit_ms) / 1000) +
                              " s in the future; check the signer's clock");
    }
    signer_ = state_.actors.find(key_string(envelope.signer));
    if (signer_ == nullptr) {
      return unauthenticated("the key " + short_key(envelope.signer) +
                             " is not registered on this ledger");
    }
    if (!signer_->active()) {
      return unauthenticated("the key " + short_key(envelope.signer) + " (" + signer_->name +
                             ") was revoked at entry " + std::to_string(signer_->revoked_seq));
    }
    return Status::ok();
  }

  // ---- helpers --------------------------------------------------------------------------

  [[nodiscard]] Role role() const { return signer_->role; }

  Status require_role(std::initializer_list<Role> roles) const {
    if (std::find(roles.begin(), roles.end(), role()) != roles.end()) return Status::ok();
    std::string allowed;
    for (Role r : roles) {
      if (!allowed.empty()) allowed += " or ";
      allowed += role_name(r);
    }
    return permission_denied("a " + std::string(role_name(role())) + " key may not do this; it needs " +
                             allowed);
  }

  [[nodiscard]] uint32_t today() const {
    return local_day(ctx_.commit_ms, state_.ledger_record()->utc_offset_minutes);
  }

  Status require_id(const std::string& id, const char* what) const {
    if (id.empty()) return invalid_argument(std::string(what) + " must not be empty");
    return Status::ok();
  }

  // A volunteer account of the signer's branch (or, for a volunteer key, its own account).
  Result<const AccountRecord*> volunteer_for_branch_op(const std::string& account) const {
    const AccountRecord* record = state_.accounts.find(account_key(AccountKind::kVolunteer, account));
    if (record == nullptr) return not_found("there is no volunteer account " + account);
    if (role() == Role::kBranch && record->branch != signer_->scope) {
      return permission_denied("account " + account + " belongs to branch " + record->branch +
                               ", not to " + signer_->scope);
    }
    if (role() == Role::kVolunteer && signer_->scope != account) {
      return permission_denied("a volunteer key may only act for its own account");
    }
    return record;
  }

  // The rule in force, remembered for the rest of the envelope (a 100-credit envelope asks for
  // the same one 100 times) until a rule is set. Rows stay put, so the pointer stays good.
  Result<const RuleRecord*> rule_for(std::string_view branch, const std::string& category) {
    if (rule_ != nullptr && rule_branch_ == branch && rule_category_ == category) return rule_;
    const RuleRecord* rule = state_.rules.find(pair_key(branch, category));
    if (rule == nullptr) rule = state_.rules.find(pair_key("", category));
    if (rule == nullptr) {
      return not_found("there is no rule for the service category " + category + " in branch " +
                       std::string(branch) + "; set one first");
    }
    rule_ = rule;
    rule_branch_ = branch;
    rule_category_ = category;
    return rule;
  }

  // A branch's account key, remembered like the rule.
  const std::string& branch_account_key(std::string_view branch) {
    if (branch_key_.empty() || std::string_view(branch_key_).substr(1) != branch) {
      branch_key_ = account_key(AccountKind::kBranch, branch);
    }
    return branch_key_;
  }

  void touch(const std::string& key, AccountRecord record) {
    record.last_seq = ctx_.seq;
    state_.accounts.put(txn_, key, std::move(record));
  }

  // The one place where balances change: a double-entry movement with overflow and sign checks.
  // On failure the caller rolls the envelope back, so the records may be taken for update first.
  Status move_points(const std::string& from, const std::string& to, int64_t points) {
    if (points < 0) return internal_error("negative movement");
    if (points == 0 || from == to) return Status::ok();
    AccountRecord* debited = state_.accounts.update(txn_, from);
    AccountRecord* credited = state_.accounts.update(txn_, to);
    if (debited == nullptr || credited == nullptr) {
      return internal_error("a movement names a missing account");
    }
    int64_t debited_balance = 0;
    int64_t credited_balance = 0;
    if (__builtin_sub_overflow(debited->balance, points, &debited_balance) ||
        __builtin_add_overflow(credited->balance, points, &credited_balance)) {
      return invalid_argument("the movement of " + std::to_string(points) +
                              " points would overflow a balance");
    }
    if (debited->kind != AccountKind::kBranch && debited_balance < 0) {
      return failed_precondition(describe(from) + " has " + std::to_string(debited->balance) +
                                 " points available, " + std::to_string(points) + " are needed");
    }
    debited->balance = debited_balance;
    debited->last_seq = ctx_.seq;
    credited->balance = credited_balance;
    credited->last_seq = ctx_.seq;
    state_.index.add(txn_, from, ctx_.seq, op_index_, -points);
    state_.index.add(txn_, to, ctx_.seq, op_index_, points);
    return Status::ok();
  }

  static std::string describe(const std::string& key) {
    switch (static_cast<AccountKind>(key[0])) {
      case AccountKind::kVolunteer: return "volunteer " + key.substr(1);
      case AccountKind::kBranch: return "branch " + key.substr(1);
      case AccountKind::kMerchant: return "merchant " + key.substr(1);
      case AccountKind::kSystem: return "the " + key.substr(1) + " account";
    }
    return key;
  }

  void ensure_account(AccountKind kind, const std::string& id) {
    const std::string key = account_key(kind, id);
    if (state_.accounts.find(key) != nullptr) return;
    AccountRecord record;
    record.kind = kind;
    record.opened_seq = ctx_.seq;
    touch(key, record);
  }

  void add_counter(Table<Counter>& table, const std::string& key, int64_t delta) {
    if (delta == 0) return;
    Counter* current = table.update(txn_, key);
    if (current == nullptr) {
      table.put(txn_, key, Counter{delta});
    } else if (current->value + delta == 0) {
      table.erase(txn_, key);
    } else {
      current->value += delta;
    }
  }

  // Drops daily-cap counters that fell out of the back-dating window: no credit can reach them.
  void advance_day() {
    const uint32_t day = today();
    if (day == state_.current_day) return;
    const uint32_t old_day = state_.current_day;
    state_.current_day = day;
    txn_.on_undo([&state = state_, old_day] { state.current_day = old_day; });
    const int64_t oldest = *day_number(day) - kBackdateDays;
    auto& by_day = state_.day_minutes_by_day;
    const auto kept = by_day.lower_bound(oldest);
    if (kept == by_day.begin()) return;
    // The expired days leave the list; a rollback puts them back (the rows come back through
    // their own undo).
    std::vector<std::pair<int64_t, std::vector<std::string>>> expired(
        std::make_move_iterator(by_day.begin()), std::make_move_iterator(kept));
    by_day.erase(by_day.begin(), kept);
    for (const auto& [number, keys] : expired) {
      for (const std::string& key : keys) state_.day_minutes.erase(txn_, key);
    }
    txn_.on_undo([&by_day, expired = std::move(expired)]() mutable {
      for (auto& [number, keys] : expired) by_day[number] = std::move(keys);
    });
  }

  // Adds to a daily-cap counter; a new counter is listed under its day for advance_day.
  void add_day_minutes(const std::string& key, int64_t delta) {
    if (state_.day_minutes.find(key) == nullptr && delta != 0) {
      const int64_t number = day_key_number(key);
      state_.day_minutes_by_day[number].push_back(key);
      txn_.on_undo([&by_day = state_.day_minutes_by_day, number] {
        auto it = by_day.find(number);
        it->second.pop_back();
        if (it->second.empty()) by_day.erase(it);
      });
    }
    add_counter(state_.day_minutes, key, delta);
  }

  // Checks a service record against its account, the rule in force and the daily cap, and
  // returns the points it earns. Counts its minutes against the cap.
  Result<int64_t> score_service(const ServiceRecord& service, std::string_view branch) {
    PASSBOOK_RETURN_IF_ERROR(require_id(service.category, "the service category"));
    if (service.minutes == 0 || service.minutes > limits::kMinutesPerOperation) {
      return invalid_argument("minutes must be between 1 and " +
                              std::to_string(limits::kMinutesPerOperation));
    }
    auto service_number = day_number(service.service_day);
    if (!service_number) {
      return invalid_argument(std::to_string(service.service_day) + " is not a date (YYYYMMDD)");
    }
    const uint32_t now = today();
    const int64_t today_number = *day_number(now);
    if (*service_number > today_number) {
      return invalid_argument("the service date " + format_day(service.service_day) +
                              " is in the future");
    }
    if (*service_number < today_number - kBackdateDays) {
      return invalid_argument("the service date " + format_day(service.service_day) +
                              " is more than " + std::to_string(kBackdateDays) +
                              " days ago; bring older service in with import");
    }
    PASSBOOK_ASSIGN_OR_RETURN(const RuleRecord* rule, rule_for(branch, service.category));
    const std::string day = day_key(service.account, service.category, service.service_day);
    const Counter* used = state_.day_minutes.find(day);
    const int64_t used_minutes = used ? used->value : 0;
    if (rule->daily_cap_minutes != 0 && used_minutes + service.minutes > rule->daily_cap_minutes) {
      return failed_precondition("volunteer " + service.account + " already has " +
                                 std::to_string(used_minutes) + " minutes of " + service.category +
                                 " on " + format_day(service.service_day) + "; the daily cap is " +
                                 std::to_string(rule->daily_cap_minutes));
    }
    add_day_minutes(day, service.minutes);
    return static_cast<int64_t>(uint64_t{service.minutes} * rule->points_per_hour / 60);
  }

  // ---- operations -----------------------------------------------------------------------

  Status apply(const Genesis& op) {
    if (ctx_.seq != 0 || op_index_ != 0) {
      return invalid_argument("genesis may only be the first operation of entry 0");
    }
    if (!proof::is_valid_note_key_name(op.origin)) {
      return invalid_argument("the origin \"" + op.origin +
                              "\" cannot name a checkpoint key: it must be non-empty, without "
                              "spaces or '+'");
    }
    if (op.time_window_s == 0 || op.time_window_s > 86'400) {
      return invalid_argument("the time window must be between 1 s and one day");
    }
    if (op.utc_offset_minutes < -14 * 60 || op.utc_offset_minutes > 14 * 60) {
      return invalid_argument("the UTC offset must be within 14 hours");
    }
    LedgerRecord ledger{ctx_.envelope->ledger, op.origin, op.ledger_key, op.utc_offset_minutes,
                        op.time_window_s};
    state_.ledger.put(txn_, "", ledger);
    ActorRecord admin{Role::kAdmin, "", op.admin_name, ctx_.seq, kNever};
    state_.actors.put(txn_, key_string(op.admin_key), admin);
    signer_ = state_.actors.find(key_string(op.admin_key));
    ensure_account(AccountKind::kSystem, kSystemHeld);
    ensure_account(AccountKind::kSystem, kSystemRetired);
    return Status::ok();
  }

  Status register_key(const PublicKey& key, Role role, const std::string& scope,
                      const std::string& name) {
    if (const ActorRecord* existing = state_.actors.find(key_string(key))) {
      return already_exists("the key " + short_key(key) + " is already registered (" +
                            existing->name + "); keys are never reused");
    }
    state_.actors.put(txn_, key_string(key), ActorRecord{role, scope, name, ctx_.seq, kNever});
    return Status::ok();
  }

  Status apply(const RegisterActor& op) {
    PASSBOOK_RETURN_IF_ERROR(require_role({Role::kAdmin}));
    PASSBOOK_RETURN_IF_ERROR(require_id(op.name, "the name"));
    switch (op.role) {
      case Role::kAdmin:
      case Role::kAuditor:
        if (!op.scope.empty()) {
          return invalid_argument("an admin or auditor key has no scope");
        }
        break;
      case Role::kBranch:
        PASSBOOK_RETURN_IF_ERROR(require_id(op.scope, "a branch key's scope (the branch id)"));
        ensure_account(AccountKind::kBranch, op.scope);
        break;
      case Role::kMerchant:
        PASSBOOK_RETURN_IF_ERROR(require_id(op.scope, "a merchant key's scope (the merchant id)"));
        ensure_account(AccountKind::kMerchant, op.scope);
        break;
      case Role::kVolunteer: {
        const std::string key = account_key(AccountKind::kVolunteer, op.scope);
        const AccountRecord* account = state_.accounts.find(key);
        if (account == nullptr) return not_found("there is no volunteer account " + op.scope);
        AccountRecord updated = *account;
        ++updated.active_keys;
        touch(key, updated);
        break;
      }
    }
    return register_key(op.key, op.role, op.scope, op.name);
  }

  Status apply(const RevokeActor& op) {
    PASSBOOK_RETURN_IF_ERROR(require_role({Role::kAdmin}));
    const ActorRecord* actor = state_.actors.find(key_string(op.key));
    if (actor == nullptr) return not_found("the key " + short_key(op.key) + " is not registered");
    if (!actor->active()) {
      return failed_precondition("the key " + short_key(op.key) + " was already revoked at entry " +
                                 std::to_string(actor->revoked_seq));
    }
    if (actor->role == Role::kAdmin) {
      size_t active_admins = 0;
      state_.actors.for_each([&](const std::string&, const ActorRecord& a) {
        if (a.role == Role::kAdmin && a.active()) ++active_admins;
      });
      if (active_admins <= 1) {
        return failed_precondition("the last admin key cannot be revoked; register another first");
      }
    }
    if (actor->role == Role::kVolunteer) {
      const std::string key = account_key(AccountKind::kVolunteer, actor->scope);
      AccountRecord updated = *state_.accounts.find(key);
      --updated.active_keys;
      touch(key, updated);
    }
    ActorRecord revoked = *actor;
    revoked.revoked_seq = ctx_.seq;
    state_.actors.put(txn_, key_string(op.key), revoked);
    return Status::ok();
  }

  Status apply(const OpenAccount& op) {
    PASSBOOK_RETURN_IF_ERROR(require_role({Role::kBranch}));
    PASSBOOK_RETURN_IF_ERROR(require_id(op.account, "the account id"));
    const std::string key = account_key(AccountKind::kVolunteer, op.account);
    if (const AccountRecord* existing = state_.accounts.find(key)) {
      return already_exists("account " + op.account + " already exists (branch " +
                            existing->branch + ")");
    }
    AccountRecord record;
    record.kind = AccountKind::kVolunteer;
    record.branch = signer_->scope;
    record.commitment = op.commitment;
    record.opened_seq = ctx_.seq;
    if (op.volunteer_key) {
      PASSBOOK_RETURN_IF_ERROR(register_key(*op.volunteer_key, Role::kVolunteer, op.account,
                                            "volunteer " + op.account));
      record.active_keys = 1;
    }
    touch(key, record);
    return Status::ok();
  }

  Status apply(const SetRule& op) {
    PASSBOOK_RETURN_IF_ERROR(require_role({Role::kBranch, Role::kAdmin}));
    PASSBOOK_RETURN_IF_ERROR(require_id(op.category, "the service category"));
    if (role() == Role::kBranch && op.branch != signer_->scope) {
      return permission_denied("a branch key may only set rules for its own branch (" +
                               signer_->scope + ")");
    }
    if (!op.branch.empty() && !state_.accounts.find(account_key(AccountKind::kBranch, op.branch))) {
      return not_found("there is no branch " + op.branch);
    }
    if (op.points_per_hour == 0 || op.points_per_hour > limits::kPointsPerHour) {
      return invalid_argument("points per hour must be between 1 and " +
                              std::to_string(limits::kPointsPerHour));
    }
    if (op.daily_cap_minutes > limits::kMinutesPerOperation) {
      return invalid_argument("the daily cap cannot exceed 1440 minutes");
    }
    state_.rules.put(txn_, pair_key(op.branch, op.category),
                     RuleRecord{op.points_per_hour, op.daily_cap_minutes, ctx_.seq});
    rule_ = nullptr;  // a branch's own rule may now come before the street-wide one
    return Status::ok();
  }

  Status apply(const Credit& op) {
    PASSBOOK_RETURN_IF_ERROR(require_role({Role::kBranch}));
    PASSBOOK_ASSIGN_OR_RETURN(const AccountRecord* account, volunteer_for_branch_op(op.service.account));
    // Scoring changes no account, so the record (and its branch) stays as found.
    PASSBOOK_ASSIGN_OR_RETURN(const int64_t points, score_service(op.service, account->branch));
    return move_points(branch_account_key(account->branch),
                       account_key(AccountKind::kVolunteer, op.service.account), points);
  }

  Status apply(const Claim& op) {
    PASSBOOK_RETURN_IF_ERROR(require_role({Role::kBranch, Role::kVolunteer}));
    PASSBOOK_ASSIGN_OR_RETURN(const AccountRecord* account, volunteer_for_branch_op(op.service.account));
    const std::string branch = account->branch;
    PASSBOOK_ASSIGN_OR_RETURN(const int64_t points, score_service(op.service, branch));
    const std::string key = account_key(AccountKind::kVolunteer, op.service.account);
    AccountRecord updated = *state_.accounts.find(key);
    updated.pending += points;
    touch(key, updated);
    ClaimRecord claim{op.service.account, branch, op.service.category, op.service.minutes,
                      op.service.service_day, points, ctx_.envelope->signer, Decision::kPending,
                      kNever};
    state_.claims.put(txn_, op_key({ctx_.seq, op_index_}), claim);
    return Status::ok();
  }

  // Four eyes: a branch key of the claim's branch that is not the key that claimed it.
  Result<const ClaimRecord*> claim_to_decide(const OpRef& ref) {
    PASSBOOK_RETURN_IF_ERROR(require_role({Role::kBranch}));
    const ClaimRecord* claim = state_.claims.find(op_key(ref));
    if (claim == nullptr) return not_found("there is no claim " + op_ref_text(ref));
    if (claim->branch != signer_->scope) {
      return permission_denied("claim " + op_ref_text(ref) + " belongs to branch " + claim->branch);
    }
    if (claim->decision != Decision::kPending) {
      return failed_precondition(
          "claim " + op_ref_text(ref) + " was already " +
          (claim->decision == Decision::kApproved ? "approved" : "rejected") + " at entry " +
          std::to_string(claim->decided_seq));
    }
    if (claim->claimer == ctx_.envelope->signer) {
      return permission_denied("the key that recorded claim " + op_ref_text(ref) +
                               " cannot also decide it; another council member must");
    }
    return claim;
  }

  Status decide(const OpRef& ref, Decision decision) {
    PASSBOOK_ASSIGN_OR_RETURN(const ClaimRecord* found, claim_to_decide(ref));
    ClaimRecord claim = *found;
    const std::string volunteer = account_key(AccountKind::kVolunteer, claim.account);
    AccountRecord updated = *state_.accounts.find(volunteer);
    updated.pending -= claim.points;
    touch(volunteer, updated);
    if (decision == Decision::kApproved) {
      PASSBOOK_RETURN_IF_ERROR(
          move_points(account_key(AccountKind::kBranch, claim.branch), volunteer, claim.points));
    } else {
      add_day_minutes(day_key(claim.account, claim.category, claim.service_day),
                      -static_cast<int64_t>(claim.minutes));
    }
    claim.decision = decision;
    claim.decided_seq = ctx_.seq;
    state_.claims.put(txn_, op_key(ref), claim);
    return Status::ok();
  }

  Status apply(const Approve& op) { return decide(op.claim, Decision::kApproved); }
  Status apply(const Reject& op) { return decide(op.claim, Decision::kRejected); }

  Status apply(const Import& op) {
    PASSBOOK_RETURN_IF_ERROR(require_role({Role::kBranch}));
    PASSBOOK_ASSIGN_OR_RETURN(const AccountRecord* account, volunteer_for_branch_op(op.service.account));
    PASSBOOK_RETURN_IF_ERROR(require_id(op.service.category, "the service category"));
    if (op.service.minutes > limits::kImportMinutes) {
      return invalid_argument("an imported line may carry at most " +
                              std::to_string(limits::kImportMinutes) + " minutes");
    }
    auto service_number = day_number(op.service.service_day);
    if (!service_number) {
      return invalid_argument(std::to_string(op.service.service_day) + " is not a date (YYYYMMDD)");
    }
    if (*service_number > *day_number(today())) {
      return invalid_argument("the service date " + format_day(op.service.service_day) +
                              " is in the future");
    }
    if (op.points < 0 || op.points > limits::kPointsPerOperation) {
      return invalid_argument("imported points must be between 0 and " +
                              std::to_string(limits::kPointsPerOperation));
    }
    return move_points(account_key(AccountKind::kBranch, account->branch),
                       account_key(AccountKind::kVolunteer, op.service.account), op.points);
  }

  Result<const RewardRecord*> own_reward(const std::string& reward) const {
    const RewardRecord* record = state_.rewards.find(pair_key(signer_->scope, reward));
    if (record == nullptr) {
      return not_found("merchant " + signer_->scope + " has no reward " + reward);
    }
    return record;
  }

  Status apply(const ListReward& op) {
    PASSBOOK_RETURN_IF_ERROR(require_role({Role::kMerchant}));
    PASSBOOK_RETURN_IF_ERROR(require_id(op.reward, "the reward id"));
    PASSBOOK_RETURN_IF_ERROR(require_id(op.name, "the reward name"));
    if (op.price <= 0 || op.price > limits::kPointsPerOperation) {
      return invalid_argument("the price must be between 1 and " +
                              std::to_string(limits::kPointsPerOperation) + " points");
    }
    if (op.stock != ListReward::kUnlimitedStock && (op.stock < 0 || op.stock > limits::kStockPerReward)) {
      return invalid_argument("the stock must be between 0 and " +
                              std::to_string(limits::kStockPerReward) + ", or unlimited");
    }
    const std::string key = pair_key(signer_->scope, op.reward);
    RewardRecord record;
    if (const RewardRecord* existing = state_.rewards.find(key)) {
      if (existing->listed) {
        return already_exists("reward " + op.reward + " is already listed; restock or delist it");
      }
      record.redeemed = existing->redeemed;  // re-listing keeps the count of what was handed out
    }
    record.name = op.name;
    record.price = op.price;
    record.stock = op.stock;
    record.per_person_limit = op.per_person_limit;
    record.period = op.period;
    record.listed = true;
    record.last_seq = ctx_.seq;
    state_.rewards.put(txn_, key, record);
    return Status::ok();
  }

  Status apply(const Restock& op) {
    PASSBOOK_RETURN_IF_ERROR(require_role({Role::kMerchant}));
    PASSBOOK_ASSIGN_OR_RETURN(const RewardRecord* found, own_reward(op.reward));
    if (!found->listed) return failed_precondition("reward " + op.reward + " is delisted");
    if (found->stock == ListReward::kUnlimitedStock) {
      return failed_precondition("reward " + op.reward + " has no stock to count");
    }
    if (op.quantity <= 0 || op.quantity > limits::kStockPerReward ||
        found->stock + op.quantity > limits::kStockPerReward) {
      return invalid_argument("the stock of a reward must stay between 0 and " +
                              std::to_string(limits::kStockPerReward));
    }
    RewardRecord record = *found;
    record.stock += op.quantity;
    record.last_seq = ctx_.seq;
    state_.rewards.put(txn_, pair_key(signer_->scope, op.reward), record);
    return Status::ok();
  }

  Status apply(const Delist& op) {
    PASSBOOK_RETURN_IF_ERROR(require_role({Role::kMerchant}));
    PASSBOOK_ASSIGN_OR_RETURN(const RewardRecord* found, own_reward(op.reward));
    if (!found->listed) return failed_precondition("reward " + op.reward + " is already delisted");
    RewardRecord record = *found;
    record.listed = false;
    record.last_seq = ctx_.seq;
    state_.rewards.put(txn_, pair_key(signer_->scope, op.reward), record);
    return Status::ok();
  }

  // Checks and takes one redemption's stock and per-person allowance; returns its price.
  struct Taken {
    int64_t points = 0;
    uint32_t period = 0;
  };
  Result<Taken> take_reward(const std::string& account, const std::string& reward,
                            uint32_t quantity) {
    PASSBOOK_RETURN_IF_ERROR(require_role({Role::kMerchant}));
    if (quantity == 0 || quantity > limits::kQuantityPerRedemption) {
      return invalid_argument("the quantity must be between 1 and " +
                              std::to_string(limits::kQuantityPerRedemption));
    }
    PASSBOOK_ASSIGN_OR_RETURN(const RewardRecord* found, own_reward(reward));
    if (!found->listed) return failed_precondition("reward " + reward + " is delisted");
    const AccountRecord* volunteer = state_.accounts.find(account_key(AccountKind::kVolunteer, account));
    if (volunteer == nullptr) return not_found("there is no volunteer account " + account);
    if (volunteer->active_keys > 0 && !cosigned_by_volunteer(account)) {
      return permission_denied("volunteer " + account +
                               " has a key, so the redemption needs the volunteer's co-signature");
    }
    if (found->stock != ListReward::kUnlimitedStock && found->stock < quantity) {
      return failed_precondition("only " + std::to_string(found->stock) + " of " + found->name +
                                 " left, " + std::to_string(quantity) + " asked for");
    }
    Taken taken;
    taken.period = period_key(found->period, today());
    if (found->per_person_limit != 0) {
      const std::string usage = usage_key(signer_->scope, reward, account, taken.period);
      const Counter* used = state_.usage.find(usage);
      const int64_t already = used ? used->value : 0;
      if (already + quantity > found->per_person_limit) {
        return failed_precondition("volunteer " + account + " has already had " +
                                   std::to_string(already) + " of " + found->name + "; the limit is " +
                                   std::to_string(found->per_person_limit) + " " +
                                   std::string(period_text(found->period)));
      }
      add_counter(state_.usage, usage, quantity);
    }
    if (__builtin_mul_overflow(found->price, static_cast<int64_t>(quantity), &taken.points)) {
      return invalid_argument("the price of this quantity overflows");
    }
    RewardRecord record = *found;
    if (record.stock != ListReward::kUnlimitedStock) record.stock -= quantity;
    record.redeemed += quantity;
    record.last_seq = ctx_.seq;
    state_.rewards.put(txn_, pair_key(signer_->scope, reward), record);
    return taken;
  }

  [[nodiscard]] bool cosigned_by_volunteer(const std::string& account) const {
    for (const PublicKey& key : ctx_.cosigners) {
      const ActorRecord* actor = state_.actors.find(key_string(key));
      if (actor != nullptr && actor->active() && actor->role == Role::kVolunteer &&
          actor->scope == account) {
        return true;
      }
    }
    return false;
  }

  Status apply(const Redeem& op) {
    PASSBOOK_ASSIGN_OR_RETURN(const Taken taken, take_reward(op.account, op.reward, op.quantity));
    return move_points(account_key(AccountKind::kVolunteer, op.account),
                       account_key(AccountKind::kMerchant, signer_->scope), taken.points);
  }

  Status apply(const Reserve& op) {
    PASSBOOK_ASSIGN_OR_RETURN(const Taken taken, take_reward(op.account, op.reward, op.quantity));
    PASSBOOK_RETURN_IF_ERROR(move_points(account_key(AccountKind::kVolunteer, op.account),
                                         account_key(AccountKind::kSystem, kSystemHeld),
                                         taken.points));
    state_.reservations.put(txn_, op_key({ctx_.seq, op_index_}),
                            ReservationRecord{op.account, signer_->scope, op.reward, op.quantity,
                                              taken.points, taken.period, ReservationState::kHeld,
                                              kNever});
    return Status::ok();
  }

  Result<ReservationRecord> held_reservation(const OpRef& ref) const {
    const ReservationRecord* found = state_.reservations.find(op_key(ref));
    if (found == nullptr) return not_found("there is no reservation " + op_ref_text(ref));
    if (role() == Role::kMerchant && found->merchant != signer_->scope) {
      return permission_denied("reservation " + op_ref_text(ref) + " belongs to merchant " +
                               found->merchant);
    }
    if (found->state != ReservationState::kHeld) {
      return failed_precondition(
          "reservation " + op_ref_text(ref) + " was already " +
          (found->state == ReservationState::kDelivered ? "delivered" : "cancelled") + " at entry " +
          std::to_string(found->closed_seq));
    }
    return *found;
  }

  Status apply(const Deliver& op) {
    PASSBOOK_RETURN_IF_ERROR(require_role({Role::kMerchant}));
    PASSBOOK_ASSIGN_OR_RETURN(ReservationRecord reservation, held_reservation(op.reservation));
    PASSBOOK_RETURN_IF_ERROR(move_points(account_key(AccountKind::kSystem, kSystemHeld),
                                         account_key(AccountKind::kMerchant, reservation.merchant),
                                         reservation.points));
    reservation.state = ReservationState::kDelivered;
    reservation.closed_seq = ctx_.seq;
    state_.reservations.put(txn_, op_key(op.reservation), reservation);
    return Status::ok();
  }

  // Gives back a reward's stock and per-person allowance.
  void return_reward(const std::string& merchant, const std::string& reward,
                     const std::string& account, uint32_t quantity, uint32_t period) {
    const std::string key = pair_key(merchant, reward);
    if (const RewardRecord* found = state_.rewards.find(key)) {
      RewardRecord record = *found;
      if (record.stock != ListReward::kUnlimitedStock) record.stock += quantity;
      record.redeemed -= quantity;
      record.last_seq = ctx_.seq;
      state_.rewards.put(txn_, key, record);
      if (record.per_person_limit != 0) {
        const std::string usage = usage_key(merchant, reward, account, period);
        if (state_.usage.find(usage) != nullptr) add_counter(state_.usage, usage, -int64_t{quantity});
      }
    }
  }

  Status apply(const Cancel& op) {
    PASSBOOK_RETURN_IF_ERROR(require_role({Role::kMerchant, Role::kAdmin}));
    PASSBOOK_ASSIGN_OR_RETURN(ReservationRecord reservation, held_reservation(op.reservation));
    PASSBOOK_RETURN_IF_ERROR(move_points(account_key(AccountKind::kSystem, kSystemHeld),
                                         account_key(AccountKind::kVolunteer, reservation.account),
                                         reservation.points));
    return_reward(reservation.merchant, reservation.reward, reservation.account,
                  reservation.quantity, reservation.period_key);
    reservation.state = ReservationState::kCancelled;
    reservation.closed_seq = ctx_.seq;
    state_.reservations.put(txn_, op_key(op.reservation), reservation);
    return Status::ok();
  }

  Result<int64_t> posting(const std::string& account, uint64_t seq, uint32_t op) const {
    if (auto tail = state_.index.find(account, seq, op)) return *tail;
    PASSBOOK_ASSIGN_OR_RETURN(std::optional<int64_t> stored, history_.posting(account, seq, op));
    if (!stored) return data_loss("the index has no posting for entry " + std::to_string(seq));
    return *stored;
  }

  Status apply(const Reverse& op) {
    PASSBOOK_RETURN_IF_ERROR(require_role({Role::kAdmin, Role::kBranch, Role::kMerchant}));
    if (op.seq == 0 || op.seq >= ctx_.seq) {
      return invalid_argument("entry " + std::to_string(op.seq) + " cannot be reversed");
    }
    if (const Counter* done = state_.reversed.find(seq_key(op.seq))) {
      return failed_precondition("entry " + std::to_string(op.seq) + " was already reversed by entry " +
                                 std::to_string(done->value));
    }
    PASSBOOK_ASSIGN_OR_RETURN(const schemas::Entry target, history_.entry(op.seq));
    PASSBOOK_ASSIGN_OR_RETURN(const Envelope envelope,
                              decode<Envelope>(target.signed_envelope.envelope, "stored envelope"));
    const ActorRecord* original = state_.actors.find(key_string(envelope.signer));
    if (original == nullptr) return data_loss("the signer of entry " + std::to_string(op.seq) + " is unknown");
    if (role() != Role::kAdmin && (original->role != role() || original->scope != signer_->scope)) {
      return permission_denied("only admin or the " + std::string(role_name(original->role)) + " " +
                               original->scope + " that signed entry " + std::to_string(op.seq) +
                               " may reverse it");
    }
    const uint32_t original_day =
        local_day(target.commit_ms, state_.ledger_record()->utc_offset_minutes);
    bool moved = false;
    for (uint32_t i = 0; i < envelope.ops.size(); ++i) {
      PASSBOOK_ASSIGN_OR_RETURN(const bool reversed,
                                reverse_op(envelope.ops[i], *original, op.seq, i, original_day));
      moved = moved || reversed;
    }
    if (!moved) {
      return failed_precondition("entry " + std::to_string(op.seq) + " moved no points; nothing to reverse");
    }
    state_.reversed.put(txn_, seq_key(op.seq), Counter{static_cast<int64_t>(ctx_.seq)});
    return Status::ok();
  }

  // Undoes the movement of one operation of the reversed entry; false when it moved nothing.
  Result<bool> reverse_op(const Operation& operation, const ActorRecord& original, uint64_t seq,
                          uint32_t op, uint32_t original_day) {
    if (const auto* credit = std::get_if<Credit>(&operation)) {
      return reverse_service(credit->service.account, seq, op);
    }
    if (const auto* imported = std::get_if<Import>(&operation)) {
      return reverse_service(imported->service.account, seq, op);
    }
    if (const auto* approve = std::get_if<Approve>(&operation)) {
      const ClaimRecord* claim = state_.claims.find(op_key(approve->claim));
      if (claim == nullptr) return data_loss("the claim of entry " + std::to_string(seq) + " is gone");
      return reverse_service(claim->account, seq, op);
    }
    if (const auto* redeem = std::get_if<Redeem>(&operation)) {
      const std::string volunteer = account_key(AccountKind::kVolunteer, redeem->account);
      PASSBOOK_ASSIGN_OR_RETURN(const int64_t delta, posting(volunteer, seq, op));
      PASSBOOK_RETURN_IF_ERROR(
          move_points(account_key(AccountKind::kMerchant, original.scope), volunteer, -delta));
      const RewardRecord* reward = state_.rewards.find(pair_key(original.scope, redeem->reward));
      const uint32_t period = reward ? period_key(reward->period, original_day) : 0;
      return_reward(original.scope, redeem->reward, redeem->account, redeem->quantity, period);
      return true;
    }
    if (const auto* settle = std::get_if<Settle>(&operation)) {
      PASSBOOK_RETURN_IF_ERROR(move_points(account_key(AccountKind::kSystem, kSystemRetired),
                                           account_key(AccountKind::kMerchant, settle->merchant),
                                           settle->points));
      return true;
    }
    if (std::holds_alternative<Reverse>(operation)) {
      return failed_precondition("a reversal cannot itself be reversed; record a new entry instead");
    }
    return failed_precondition(std::string("entry ") + std::to_string(seq) + " holds a " +
                               std::string(operation_name(operation)) + ", which cannot be reversed");
  }

  Result<bool> reverse_service(const std::string& account, uint64_t seq, uint32_t op) {
    const std::string volunteer = account_key(AccountKind::kVolunteer, account);
    PASSBOOK_ASSIGN_OR_RETURN(const int64_t delta, posting(volunteer, seq, op));
    const AccountRecord* record = state_.accounts.find(volunteer);
    if (record == nullptr) return data_loss("account " + account + " is gone");
    PASSBOOK_RETURN_IF_ERROR(
        move_points(volunteer, account_key(AccountKind::kBranch, record->branch), delta));
    return delta != 0;
  }

  Status apply(const Settle& op) {
    PASSBOOK_RETURN_IF_ERROR(require_role({Role::kAdmin}));
    const std::string merchant = account_key(AccountKind::kMerchant, op.merchant);
    if (state_.accounts.find(merchant) == nullptr) return not_found("there is no merchant " + op.merchant);
    if (op.points <= 0 || op.points > limits::kPointsPerOperation) {
      return invalid_argument("settled points must be between 1 and " +
                              std::to_string(limits::kPointsPerOperation));
    }
    return move_points(merchant, account_key(AccountKind::kSystem, kSystemRetired), op.points);
  }

  LedgerState& state_;
  const EntryContext& ctx_;
  const History& history_;
  Txn& txn_;
  const ActorRecord* signer_ = nullptr;
  uint32_t op_index_ = 0;
  // rule_for's and branch_account_key's last answers.
  const RuleRecord* rule_ = nullptr;
  std::string rule_branch_;
  std::string rule_category_;
  std::string branch_key_;
};

}  // namespace

ApplyOutcome apply_envelope(LedgerState& state, const EntryContext& ctx, const History& history,
                            Txn& txn) {
  return Applier(state, ctx, history, txn).run();
}

}  // namespace passbook::ledger
