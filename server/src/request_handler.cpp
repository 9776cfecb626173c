#include "request_handler.h"

#include <algorithm>

#include "passbook/schemas/encoding.h"

namespace passbook::server {
namespace {

using namespace schemas;

bool sees_everything(const Principal& p) { return p.role == Role::kAdmin || p.role == Role::kAuditor; }

Status denied(const std::string& what) { return permission_denied("your key may not read " + what); }

// May this principal read this account's balance and history?
Status may_read_account(ledger::Ledger& ledger, const Principal& p, AccountKind kind, const std::string& id) {
  if (sees_everything(p)) return Status::ok();
  switch (p.role) {
    case Role::kVolunteer:
      if (kind == AccountKind::kVolunteer && id == p.scope) return Status::ok();
      return denied("another volunteer's passbook");
    case Role::kBranch: {
      if (kind == AccountKind::kBranch && id == p.scope) return Status::ok();
      if (kind == AccountKind::kVolunteer) {
        auto account = ledger.account(kind, id);
        if (!account.is_ok()) return account.status();
        if (account->branch == p.scope) return Status::ok();
      }
      return denied("accounts of another branch");
    }
    case Role::kMerchant:
      if (kind == AccountKind::kMerchant && id == p.scope) return Status::ok();
      return denied("accounts other than its own sales");
    default: return denied("accounts");
  }
}

// The filter a list request may use: everything for admin and auditor, else only the caller's
// own scope (empty meaning "mine").
Result<std::string> scoped_filter(const Principal& p, const std::string& filter, Role owner_role,
                                  const char* what) {
  if (sees_everything(p)) return filter;
  if (p.role != owner_role) return denied(what);
  if (!filter.empty() && filter != p.scope) return denied(std::string(what) + " of " + filter);
  return p.scope;
}

template <class T>
std::string page(const std::vector<T>& rows, const ListRequest& request) {
  Page<T> out;
  out.total = static_cast<uint32_t>(std::min<size_t>(rows.size(), UINT32_MAX));
  const size_t begin = std::min<size_t>(request.offset, rows.size());
  const size_t end = std::min<size_t>(rows.size(), begin + std::min<uint32_t>(request.limit, kMaxPage));
  out.rows.assign(rows.begin() + static_cast<long>(begin), rows.begin() + static_cast<long>(end));
  return try_encode(out).value();
}

template <class T>
Result<T> body_of(std::string_view body) {
  return decode<T>(body, "the request");
}

Result<std::string> entries(ledger::Ledger& ledger, const GetEntries& request) {
  EntriesPage out;
  const uint64_t size = ledger.info().size;
  size_t bytes = 0;
  const uint32_t count = std::min(request.count, kMaxEntriesPage);
  for (uint64_t seq = request.from; seq < size && out.entries.size() < count; ++seq) {
    PASSBOOK_ASSIGN_OR_RETURN(ledger::StoredEntry stored, ledger.entry(seq));
    // Keep the reply under the frame limit; the client asks again from where this page ends.
    if (bytes + stored.bytes.size() + 64 > kMaxReplyFrame - 1024 && !out.entries.empty()) break;
    bytes += stored.bytes.size() + 4;
    out.entries.push_back({std::move(stored.bytes)});
  }
  if (out.entries.empty() && request.from >= size && request.count > 0) {
    return not_found("there is no entry " + std::to_string(request.from) + "; the ledger has " +
                     std::to_string(size));
  }
  return try_encode(out).value();
}

}  // namespace

Status session_key_allowed(const ledger::Ledger& ledger, const PublicKey& key) {
  auto actor = ledger.actor(key);
  if (!actor.is_ok() && actor.status().code() != Status::Code::kNotFound) return actor.status();
  if (!actor.is_ok() || actor->revoked_seq) {
    return unauthenticated("your key has been revoked; this session can do nothing more");
  }
  return Status::ok();
}

Result<std::string> handle_request(ledger::Ledger& ledger, const Principal& principal,
                                   MessageType type, std::string_view body) {
  PASSBOOK_RETURN_IF_ERROR(session_key_allowed(ledger, principal.key));
  switch (type) {
    case MessageType::kGetInfo: {
      PASSBOOK_RETURN_IF_ERROR(body_of<Empty>(body).status());
      return try_encode(ledger.info()).value();
    }
    case MessageType::kGetAccount: {
      PASSBOOK_ASSIGN_OR_RETURN(GetAccount request, body_of<GetAccount>(body));
      PASSBOOK_RETURN_IF_ERROR(may_read_account(ledger, principal, request.kind, request.id));
      PASSBOOK_ASSIGN_OR_RETURN(AccountView account, ledger.account(request.kind, request.id));
      return try_encode(account).value();
    }
    case MessageType::kGetHistory: {
      PASSBOOK_ASSIGN_OR_RETURN(GetHistory request, body_of<GetHistory>(body));
      PASSBOOK_RETURN_IF_ERROR(may_read_account(ledger, principal, request.kind, request.id));
      PASSBOOK_ASSIGN_OR_RETURN(std::vector<HistoryLine> lines, ledger.history(request.kind, request.id));
      return page(lines, ListRequest{"", request.offset, request.limit});
    }
    case MessageType::kGetEntries: {
      if (!sees_everything(principal)) return denied("the raw entries (auditors and admin only)");
      PASSBOOK_ASSIGN_OR_RETURN(GetEntries request, body_of<GetEntries>(body));
      return entries(ledger, request);
    }
    case MessageType::kGetCheckpoint: {
      PASSBOOK_ASSIGN_OR_RETURN(GetCheckpoint request, body_of<GetCheckpoint>(body));
      PASSBOOK_ASSIGN_OR_RETURN(std::string note, ledger.checkpoint(request.size));
      return try_encode(CheckpointReply{std::move(note)}).value();
    }
    case MessageType::kGetInclusionProof: {
      PASSBOOK_ASSIGN_OR_RETURN(GetInclusionProof request, body_of<GetInclusionProof>(body));
      PASSBOOK_ASSIGN_OR_RETURN(std::vector<Hash32> path, ledger.inclusion_proof(request.index, request.size));
      return try_encode(ProofReply{std::move(path)}).value();
    }
    case MessageType::kGetConsistencyProof: {
      PASSBOOK_ASSIGN_OR_RETURN(GetConsistencyProof request, body_of<GetConsistencyProof>(body));
      PASSBOOK_ASSIGN_OR_RETURN(std::vector<Hash32> proof,
                                ledger.consistency_proof(request.size1, request.size2));
      return try_encode(ProofReply{std::move(proof)}).value();
    }
    case MessageType::kListRewards: {
      PASSBOOK_ASSIGN_OR_RETURN(ListRequest request, body_of<ListRequest>(body));
      return page(ledger.rewards(request.filter), request);
    }
    case MessageType::kListRules: {
      PASSBOOK_ASSIGN_OR_RETURN(ListRequest request, body_of<ListRequest>(body));
      std::vector<RuleView> rules = ledger.rules();
      // A branch filter keeps that branch's own rules and the street-wide ones it inherits.
      if (!request.filter.empty()) {
        std::erase_if(rules, [&](const RuleView& r) { return !r.branch.empty() && r.branch != request.filter; });
      }
      return page(rules, request);
    }
    case MessageType::kListActors: {
      if (!sees_everything(principal)) return denied("the list of keys (auditors and admin only)");
      PASSBOOK_ASSIGN_OR_RETURN(ListRequest request, body_of<ListRequest>(body));
      std::vector<ActorView> actors = ledger.actors();
      if (!request.filter.empty()) {
        std::erase_if(actors, [&](const ActorView& a) { return a.scope != request.filter; });
      }
      return page(actors, request);
    }
    case MessageType::kListAccounts: {
      PASSBOOK_ASSIGN_OR_RETURN(ListRequest request, body_of<ListRequest>(body));
      PASSBOOK_ASSIGN_OR_RETURN(std::string branch,
                                scoped_filter(principal, request.filter, Role::kBranch, "the accounts"));
      return page(ledger.accounts(branch), request);
    }
    case MessageType::kListClaims: {
      PASSBOOK_ASSIGN_OR_RETURN(ListRequest request, body_of<ListRequest>(body));
      PASSBOOK_ASSIGN_OR_RETURN(std::string branch,
                                scoped_filter(principal, request.filter, Role::kBranch, "the claims"));
      return page(ledger.claims(branch), request);
    }
    case MessageType::kListReservations: {
      PASSBOOK_ASSIGN_OR_RETURN(ListRequest request, body_of<ListRequest>(body));
      PASSBOOK_ASSIGN_OR_RETURN(std::string merchant, scoped_filter(principal, request.filter, Role::kMerchant,
                                                                    "the reservations"));
      return page(ledger.reservations(merchant), request);
    }
    default:
      return invalid_argument("message type " + std::to_string(static_cast<int>(type)) +
                              " is not a query");
  }
}

Result<ReceiptProof> receipt_proof(ledger::Ledger& ledger, const Receipt& receipt, uint64_t known_size) {
  ReceiptProof proof;
  const uint64_t size = receipt.checkpoint_size;
  PASSBOOK_ASSIGN_OR_RETURN(ledger::StoredEntry stored, ledger.entry(receipt.seq));
  proof.entry = std::move(stored.bytes);
  PASSBOOK_ASSIGN_OR_RETURN(proof.checkpoint, ledger.checkpoint(size));
  PASSBOOK_ASSIGN_OR_RETURN(proof.inclusion, ledger.inclusion_proof(receipt.seq, size));
  // A client that trusts a larger tree than the server now has gets no proof here: its own
  // check then finds that the server has lost entries it had signed.
  if (known_size != 0 && known_size != size && known_size <= ledger.info().size) {
    PASSBOOK_ASSIGN_OR_RETURN(proof.consistency, ledger.consistency_proof(std::min(known_size, size),
                                                                          std::max(known_size, size)));
  }
  return proof;
}

}  // namespace passbook::server
