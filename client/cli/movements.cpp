#include "movements.h"

#include <chrono>

#include "street_text.h"

namespace passbook::cli::street {
namespace {

using namespace schemas;

using RefKey = std::pair<uint64_t, uint32_t>;
RefKey key_of(const OpRef& ref) {
  return {ref.seq, ref.op};
}

// The merchant behind a redemption: the signing key's scope when the key list is known, else
// the only merchant that offers a reward of that id.
std::string merchant_for(const Context& context, const PublicKey& signer, const std::string& reward,
                         AccountKind kind, const std::string& id) {
  if (kind == AccountKind::kMerchant) return id;
  if (auto it = context.merchant_of_key.find(signer); it != context.merchant_of_key.end()) {
    return it->second;
  }
  std::string found;
  for (const auto& r : context.rewards) {
    if (r.reward != reward) continue;
    if (!found.empty() && found != r.merchant) return "";  // ambiguous
    found = r.merchant;
  }
  return found;
}

// What two names share, cut at a character boundary and trimmed: "第3网格党支部 书记" and
// "第3网格党支部 党群理事会" name the branch "第3网格党支部".
std::string common_prefix(const std::string& a, const std::string& b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  while (n > 0 && n < a.size() && (static_cast<unsigned char>(a[n]) & 0xC0) == 0x80) --n;
  std::string out = a.substr(0, n);
  while (!out.empty() && (out.back() == ' ' || out.back() == '(' || out.back() == '-'))
    out.pop_back();
  return out;
}

void copy_service(Movement& m, const ServiceRecord& s) {
  m.category = s.category;
  m.minutes = s.minutes;
  m.service_day = s.service_day;
  m.volunteer = s.account;
}

}  // namespace

const RewardView* Context::find_reward(const std::string& merchant,
                                       const std::string& reward) const {
  for (const auto& r : rewards) {
    if (r.reward == reward && (merchant.empty() || r.merchant == merchant)) return &r;
  }
  return nullptr;
}

std::string Context::reward_name(const std::string& merchant, const std::string& reward) const {
  const RewardView* r = find_reward(merchant, reward);
  return r != nullptr ? r->name : reward;
}

std::string Context::branch_name(const std::string& branch) const {
  auto it = branch_names.find(branch);
  return it != branch_names.end() && !it->second.empty() ? it->second : branch;
}

std::string Context::merchant_name(const std::string& merchant) const {
  auto it = merchant_names.find(merchant);
  return it != merchant_names.end() && !it->second.empty() ? it->second : merchant;
}

Result<Context> load_context(Backend& backend, const std::optional<std::string>& claims_branch,
                             const std::optional<std::string>& reservations_merchant) {
  Context context;
  PASSBOOK_ASSIGN_OR_RETURN(context.info, backend.info());
  context.now_ms =
      std::max(context.info.last_commit_ms, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
  context.today = local_day(context.now_ms, context.info.utc_offset_minutes);
  PASSBOOK_ASSIGN_OR_RETURN(context.rewards, backend.rewards(""));
  std::vector<ActorView> actors;
  PASSBOOK_ASSIGN_OR_RETURN(context.keys_known, permitted_query(backend.actors(), actors));
  if (context.keys_known) {
    for (const auto& a : actors) {
      if (a.role != Role::kMerchant && a.role != Role::kBranch) continue;
      if (a.role == Role::kBranch) {
        auto [it, fresh] = context.branch_names.emplace(a.scope, a.name);
        if (!fresh) it->second = common_prefix(it->second, a.name);
        continue;
      }
      context.merchant_of_key[a.key] = a.scope;
      // The first registered key names the merchant; later keys (a new cashier) keep it.
      context.merchant_names.emplace(a.scope, a.name);
    }
  }
  if (claims_branch) {
    std::vector<ClaimView> claims;
    PASSBOOK_ASSIGN_OR_RETURN(context.claims_known,
                              permitted_query(backend.claims(*claims_branch), claims));
    for (auto& c : claims) context.claims.emplace(key_of(c.ref), std::move(c));
  }
  if (reservations_merchant) {
    std::vector<ReservationView> reservations;
    PASSBOOK_ASSIGN_OR_RETURN([[maybe_unused]] bool answered,
                              permitted_query(backend.reservations(*reservations_merchant),
                                              reservations));
    for (auto& r : reservations) context.reservations.emplace(key_of(r.ref), std::move(r));
  }
  return context;
}

Result<std::vector<Movement>> movements(Backend& backend, const Context& context, AccountKind kind,
                                        const std::string& id) {
  PASSBOOK_ASSIGN_OR_RETURN(std::vector<HistoryLine> lines, backend.history(kind, id));
  std::vector<Movement> out;
  out.reserve(lines.size());
  for (const auto& line : lines) {
    Movement m;
    m.seq = line.seq;
    m.op = line.op;
    m.commit_ms = line.commit_ms;
    m.commit_day = local_day(line.commit_ms, context.info.utc_offset_minutes);
    m.delta = line.delta;
    m.balance_after = line.balance_after;
    const Operation& operation = line.operation;
    if (const auto* credit = std::get_if<Credit>(&operation)) {
      m.kind = MoveKind::kCredit;
      copy_service(m, credit->service);
    } else if (const auto* approve = std::get_if<Approve>(&operation)) {
      m.kind = MoveKind::kApproved;
      m.claim = approve->claim;
      if (auto it = context.claims.find(key_of(approve->claim)); it != context.claims.end()) {
        m.category = it->second.category;
        m.minutes = it->second.minutes;
        m.service_day = it->second.service_day;
        m.volunteer = it->second.account;
      }
    } else if (const auto* imported = std::get_if<Import>(&operation)) {
      m.kind = MoveKind::kImport;
      copy_service(m, imported->service);
      m.paper_ref = imported->paper_ref;
    } else if (const auto* redeem = std::get_if<Redeem>(&operation)) {
      m.kind = MoveKind::kRedeem;
      m.volunteer = redeem->account;
      m.reward = redeem->reward;
      m.quantity = redeem->quantity;
      m.merchant = merchant_for(context, line.signer, redeem->reward, kind, id);
    } else if (const auto* reserve = std::get_if<Reserve>(&operation)) {
      m.kind = MoveKind::kReserve;
      m.volunteer = reserve->account;
      m.reward = reserve->reward;
      m.quantity = reserve->quantity;
      m.reservation = OpRef{line.seq, line.op};
      m.merchant = merchant_for(context, line.signer, reserve->reward, kind, id);
    } else if (const auto* deliver = std::get_if<Deliver>(&operation)) {
      m.kind = MoveKind::kDeliver;
      m.reservation = deliver->reservation;
      if (kind == AccountKind::kMerchant) m.merchant = id;
      if (auto it = context.reservations.find(key_of(deliver->reservation));
          it != context.reservations.end()) {
        m.volunteer = it->second.account;
        m.merchant = it->second.merchant;
        m.reward = it->second.reward;
        m.quantity = it->second.quantity;
      }
    } else if (const auto* cancel = std::get_if<Cancel>(&operation)) {
      m.kind = MoveKind::kCancel;
      m.reservation = cancel->reservation;
      m.reason = cancel->reason;
      for (const auto& earlier : out) {
        if (earlier.kind == MoveKind::kReserve && earlier.reservation == cancel->reservation) {
          m.volunteer = earlier.volunteer;
          m.merchant = earlier.merchant;
          m.reward = earlier.reward;
          m.quantity = earlier.quantity;
        }
      }
    } else if (const auto* reverse = std::get_if<Reverse>(&operation)) {
      m.kind = MoveKind::kReversal;
      m.reversed_seq = reverse->seq;
      m.reason = reverse->reason;
      // What it undoes is an earlier posting of this same account.
      for (const auto& earlier : out) {
        if (earlier.seq != reverse->seq) continue;
        m.undid = earlier.kind;
        m.category = earlier.category;
        m.minutes = earlier.minutes;
        m.service_day = 0;  // a correction is dated when it is made
        m.volunteer = earlier.volunteer;
        m.merchant = earlier.merchant;
        m.reward = earlier.reward;
        m.quantity = earlier.quantity;
        break;
      }
    } else if (const auto* settle = std::get_if<Settle>(&operation)) {
      m.kind = MoveKind::kSettle;
      m.merchant = settle->merchant;
      m.reference = settle->reference;
    }
    out.push_back(std::move(m));
  }
  return out;
}

namespace {

std::string ref_text(const OpRef& ref) {
  return std::to_string(ref.seq) + "." + std::to_string(ref.op);
}

std::string service_text(const Movement& m, Lang lang) {
  if (m.category.empty()) return "";
  const std::string cat = category_label(m.category, lang);
  return lang == Lang::kZh ? cat + " " + hours_text(m.minutes, lang)
                           : cat + ", " + hours_text(m.minutes, lang);
}

std::string reward_text(const Movement& m, const Context& context, Lang lang) {
  std::string text = context.reward_name(m.merchant, m.reward) + " ×" + std::to_string(m.quantity);
  if (!m.merchant.empty()) {
    const std::string shop = context.merchant_name(m.merchant);
    text += lang == Lang::kZh ? "（" + shop + "）" : " at " + shop;
  }
  return text;
}

std::string capitalised(std::string text) {
  if (!text.empty() && text[0] >= 'a' && text[0] <= 'z')
    text[0] = static_cast<char>(text[0] - 'a' + 'A');
  return text;
}

}  // namespace

std::string describe(const Movement& m, const Context& context, Lang lang) {
  const bool zh = lang == Lang::kZh;
  std::string text;
  switch (m.kind) {
    case MoveKind::kCredit:
      text = service_text(m, lang);
      break;
    case MoveKind::kApproved: {
      const std::string service = service_text(m, lang);
      if (zh) {
        text = (service.empty() ? "" : service + "（") + "申报 " + ref_text(m.claim) +
               " 经党群理事会审核通过" + (service.empty() ? "" : "）");
      } else {
        text = (service.empty() ? "" : service + " (") + "claim " + ref_text(m.claim) +
               " approved by the council" + (service.empty() ? "" : ")");
      }
      break;
    }
    case MoveKind::kImport:
      text = service_text(m, lang) + (zh ? "（纸质存折转入：" + m.paper_ref + "）"
                                         : " (from the paper passbook: " + m.paper_ref + ")");
      break;
    case MoveKind::kRedeem:
      text = (zh ? "兑换 " : "") + reward_text(m, context, lang);
      break;
    case MoveKind::kReserve: {
      text = (zh ? "预约 " : "reserved ") + reward_text(m, context, lang);
      auto it = context.reservations.find({m.reservation.seq, m.reservation.op});
      const bool delivered = it != context.reservations.end() &&
                             it->second.state == schemas::ReservationState::kDelivered;
      const bool held =
          it != context.reservations.end() && it->second.state == schemas::ReservationState::kHeld;
      if (delivered) {
        text += zh ? "，已于第" + std::to_string(*it->second.closed_seq) + "号记录领取"
                   : ", handed over at entry " + std::to_string(*it->second.closed_seq);
      } else if (held) {
        text += zh ? "，积分冻结待领取" : ", points held until it is handed over";
      }
      break;
    }
    case MoveKind::kDeliver:
      text = zh ? "交付预约 " + ref_text(m.reservation) + "：" +
                      context.reward_name(m.merchant, m.reward) + " ×" + std::to_string(m.quantity)
                : context.reward_name(m.merchant, m.reward) + " ×" + std::to_string(m.quantity) +
                      " handed over (reservation " + ref_text(m.reservation) + ")";
      break;
    case MoveKind::kCancel:
      text =
          zh ? "取消预约 " + context.reward_name(m.merchant, m.reward) + "，积分退回：" + m.reason
             : "reservation of " + context.reward_name(m.merchant, m.reward) +
                   " cancelled, points returned: " + m.reason;
      break;
    case MoveKind::kReversal: {
      std::string what;
      if (m.undid == MoveKind::kCredit || m.undid == MoveKind::kApproved ||
          m.undid == MoveKind::kImport) {
        what = service_text(m, lang);
      } else if (m.undid == MoveKind::kRedeem) {
        what = reward_text(m, context, lang);
      }
      text = zh ? "冲正：撤销第" + std::to_string(m.reversed_seq) + "号记录" +
                      (what.empty() ? "" : "（" + what + "）") + "：" + m.reason
                : "correction: entry " + std::to_string(m.reversed_seq) + " undone" +
                      (what.empty() ? "" : " (" + what + ")") + ": " + m.reason;
      break;
    }
    case MoveKind::kSettle:
      text = (zh ? "结算：" : "settled: ") + m.reference;
      break;
    case MoveKind::kOther:
      text = zh ? "其他记录" : "other entry";
      break;
  }
  return zh ? text : capitalised(text);
}

std::map<uint64_t, uint64_t> reversed_seqs(const std::vector<Movement>& moves) {
  std::map<uint64_t, uint64_t> out;
  for (const auto& m : moves) {
    if (m.kind == MoveKind::kReversal) out.emplace(m.reversed_seq, m.seq);
  }
  return out;
}

}  // namespace passbook::cli::street
