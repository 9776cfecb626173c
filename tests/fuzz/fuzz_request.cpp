// The server's query path (server/src/request_handler.cpp) on a real ledger: a small street is
// built once in a temporary directory; each input is a principal (first byte), a message type
// (second byte) and a request body (the rest), answered by handle_request as a session would.
// Checked for every answer:
//   - a revoked or unknown key gets Unauthenticated, whatever it asks
//   - an answer decodes as the reply the client expects, and encodes back to the same bytes
//   - reads stay within the principal's scope (a volunteer sees its own passbook, a branch its
//     own volunteers and claims, a merchant its own reservations; raw entries and the key list
//     only for admin and auditor)
//   - pages keep their limits; entries come in order from the one asked for
//   - checkpoints verify with the ledger's key, and inclusion and consistency proofs verify
//     against the ledger's own roots
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "passbook/client/envelope.h"
#include "passbook/ledger/ledger.h"
#include "passbook/proof/merkle.h"
#include "passbook/proof/note.h"
#include "passbook/schemas/protocol.h"
#include "request_handler.h"

using namespace passbook;
using namespace passbook::schemas;
using passbook::fuzz::roundtrip;
using passbook::server::Principal;

namespace {

enum Who : uint8_t { kAdmin, kAuditor, kBranch1, kBranch2, kMerchant, kVolunteer, kRevoked, kUnknown, kWhoCount };

struct Street {
  std::filesystem::path dir;
  std::unique_ptr<ledger::Ledger> ledger;
  std::vector<Principal> principals;
  proof::NoteVerifier verifier;
  std::string origin;

  ~Street() {
    if (ledger) (void)ledger->close();
    ledger.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

proof::SigningKey key(uint8_t seed_byte) {
  std::array<uint8_t, 32> seed{};
  seed.fill(seed_byte);
  return proof::SigningKey::from_seed(seed).value();
}

void must(const Status& s, const char* what) {
  if (!s.is_ok()) {
    std::fprintf(stderr, "fuzz_request: cannot build the street (%s): %s\n", what, s.to_string().c_str());
    std::abort();
  }
}

std::unique_ptr<Street> build_street() {
  auto street = std::make_unique<Street>();
  const char* tmp = std::getenv("TMPDIR");
  street->dir = std::filesystem::path(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") /
                ("passbook-fuzz-request-" + std::to_string(::getpid()));
  std::filesystem::remove_all(street->dir);
  std::filesystem::create_directories(street->dir / "keys");

  const proof::SigningKey admin = key(0x41), ledger_key = key(0x4c), auditor = key(0x55), b1 = key(0x42),
                          b1_council = key(0x43), b2 = key(0x44), shop = key(0x4d), volunteer = key(0x56),
                          revoked = key(0x52), unknown = key(0x58);
  must(ledger_key.save(street->dir / "keys" / "ledger.key"), "ledger key");
  LedgerId id{};
  id.fill(0x5A);
  street->origin = "fuzz.example/street";
  Genesis genesis{street->origin, admin.public_key(), "street office", ledger_key.public_key(), 480, 600};
  auto genesis_envelope = client::sign_envelope(id, admin, {genesis});
  must(genesis_envelope.status(), "genesis");
  ledger::Options options;
  options.data_dir = street->dir;
  auto created = ledger::Ledger::create(options, std::move(genesis_envelope).value());
  must(created.status(), "create");
  street->ledger = std::move(created).value();
  ledger::Ledger& ledger = *street->ledger;

  const auto submit = [&](const proof::SigningKey& signer, std::vector<Operation> ops,
                          std::vector<const proof::SigningKey*> cosigners = {}) {
    client::EnvelopeOptions envelope_options;
    envelope_options.cosigners = std::move(cosigners);
    auto envelope = client::sign_envelope(id, signer, std::move(ops), envelope_options);
    must(envelope.status(), "sign");
    must(ledger.submit(std::move(envelope).value()).status, "submit");
  };
  // Service days must be recent: today in the ledger's zone (UTC+8), as YYYYMMDD.
  const std::chrono::year_month_day date{
      std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now() + std::chrono::hours(8))};
  const uint32_t today = static_cast<uint32_t>(static_cast<int>(date.year()) * 10000) +
                         static_cast<uint32_t>(date.month()) * 100 + static_cast<uint32_t>(date.day());
  submit(admin, {RegisterActor{auditor.public_key(), Role::kAuditor, "", "auditor"},
                 RegisterActor{b1.public_key(), Role::kBranch, "b1", "b1 secretary"},
                 RegisterActor{b1_council.public_key(), Role::kBranch, "b1", "b1 council"},
                 RegisterActor{b2.public_key(), Role::kBranch, "b2", "b2 secretary"},
                 RegisterActor{shop.public_key(), Role::kMerchant, "shop", "the shop"},
                 RegisterActor{revoked.public_key(), Role::kAuditor, "", "former auditor"},
                 SetRule{"", "elder-visit", 12, 0}});
  submit(admin, {RevokeActor{revoked.public_key(), "left"}});
  submit(b1, {OpenAccount{"v1", std::nullopt, volunteer.public_key()}, OpenAccount{"v2", std::nullopt, std::nullopt}});
  submit(b2, {OpenAccount{"w1", Hash32{}, std::nullopt}});
  submit(shop, {ListReward{"dumplings", "a plate of dumplings", 40, 50, 0, LimitPeriod::kEver},
                ListReward{"wash", "a car wash", 100, ListReward::kUnlimitedStock, 1, LimitPeriod::kMonth}});
  submit(b1, {Credit{{"v1", "elder-visit", 600, today, Hash32{}}}, Credit{{"v2", "elder-visit", 300, today, Hash32{}}}});
  submit(b2, {Credit{{"w1", "elder-visit", 120, today, Hash32{}}}});
  submit(b1, {Claim{{"v2", "elder-visit", 60, today, Hash32{}}}});
  submit(shop, {Redeem{"v1", "dumplings", 1}}, {&volunteer});
  submit(shop, {Reserve{"v1", "dumplings", 2}}, {&volunteer});
  submit(shop, {Reserve{"v2", "dumplings", 1}});

  const auto principal = [&](const proof::SigningKey& k, Role role, std::string scope) {
    return Principal{k.public_key(), role, std::move(scope), "fuzz"};
  };
  street->principals = {principal(admin, Role::kAdmin, ""),         principal(auditor, Role::kAuditor, ""),
                        principal(b1, Role::kBranch, "b1"),          principal(b2, Role::kBranch, "b2"),
                        principal(shop, Role::kMerchant, "shop"),    principal(volunteer, Role::kVolunteer, "v1"),
                        principal(revoked, Role::kAuditor, ""),      principal(unknown, Role::kAuditor, "")};
  street->verifier = proof::parse_verifier_key(ledger.info().verifier_key).value();
  return street;
}

Street& street() {
  static const std::unique_ptr<Street> s = build_street();
  return *s;
}

bool sees_everything(Who who) { return who == kAdmin || who == kAuditor; }

template <class T>
void check_page(const Page<T>& page, const ListRequest& request) {
  FUZZ_CHECK(page.rows.size() <= kMaxPage && page.rows.size() <= request.limit, "a page over its limit");
  FUZZ_CHECK(page.rows.size() <= page.total, "a page with more rows than its total");
}

void check_reply(Who who, MessageType type, std::string_view body, const std::string& reply) {
  ledger::Ledger& ledger = *street().ledger;
  const Principal& me = street().principals[who];
  switch (type) {
    case MessageType::kGetInfo: roundtrip<LedgerInfo>(reply, "LedgerInfo").value(); break;
    case MessageType::kGetAccount: {
      const GetAccount request = schemas::decode<GetAccount>(body, "").value();
      const AccountView account = roundtrip<AccountView>(reply, "AccountView").value();
      FUZZ_CHECK(account.kind == request.kind && account.id == request.id, "another account than asked for");
      if (who == kVolunteer) FUZZ_CHECK(account.kind == AccountKind::kVolunteer && account.id == me.scope, "volunteer scope");
      if (who == kMerchant) FUZZ_CHECK(account.kind == AccountKind::kMerchant && account.id == me.scope, "merchant scope");
      if (who == kBranch1 || who == kBranch2) {
        FUZZ_CHECK((account.kind == AccountKind::kBranch && account.id == me.scope) ||
                       (account.kind == AccountKind::kVolunteer && account.branch == me.scope),
                   "branch scope: " + account.id);
      }
      break;
    }
    case MessageType::kGetHistory: {
      const GetHistory request = schemas::decode<GetHistory>(body, "").value();
      const auto page = roundtrip<Page<HistoryLine>>(reply, "history").value();
      check_page(page, ListRequest{"", request.offset, request.limit});
      if (who == kVolunteer) FUZZ_CHECK(request.kind == AccountKind::kVolunteer && request.id == me.scope, "volunteer scope");
      if (who == kMerchant) FUZZ_CHECK(request.kind == AccountKind::kMerchant && request.id == me.scope, "merchant scope");
      if (who == kBranch1 || who == kBranch2) {
        const bool own = (request.kind == AccountKind::kBranch && request.id == me.scope) ||
                         (request.kind == AccountKind::kVolunteer &&
                          ledger.account(request.kind, request.id).value().branch == me.scope);
        FUZZ_CHECK(own, "branch scope: history of " + request.id);
      }
      break;
    }
    case MessageType::kGetEntries: {
      FUZZ_CHECK(sees_everything(who), "raw entries for a scoped key");
      const GetEntries request = schemas::decode<GetEntries>(body, "").value();
      const EntriesPage page = roundtrip<EntriesPage>(reply, "EntriesPage").value();
      FUZZ_CHECK(page.entries.size() <= std::min(request.count, kMaxEntriesPage), "too many entries");
      FUZZ_CHECK(reply.size() + kFrameHeaderBytes <= kMaxReplyFrame, "an entries page over the frame limit");
      for (size_t i = 0; i < page.entries.size(); ++i) {
        const Entry entry = roundtrip<Entry>(page.entries[i].bytes, "an entry").value();
        FUZZ_CHECK(entry.seq == request.from + i, "entries out of order");
      }
      break;
    }
    case MessageType::kGetCheckpoint: {
      const GetCheckpoint request = schemas::decode<GetCheckpoint>(body, "").value();
      const CheckpointReply checkpoint = roundtrip<CheckpointReply>(reply, "CheckpointReply").value();
      auto verified = proof::verify_checkpoint(checkpoint.note, street().verifier, street().origin);
      FUZZ_CHECK(verified.is_ok(), "a checkpoint of the ledger does not verify: " + verified.status().to_string());
      FUZZ_CHECK(request.size == 0 || verified->size == request.size, "a checkpoint of another size");
      FUZZ_CHECK(verified->root == ledger.root_at(verified->size).value(), "a checkpoint with another root");
      break;
    }
    case MessageType::kGetInclusionProof: {
      const GetInclusionProof request = schemas::decode<GetInclusionProof>(body, "").value();
      const ProofReply proof = roundtrip<ProofReply>(reply, "ProofReply").value();
      const Hash32 leaf = ledger.entry(request.index).value().leaf_hash;
      const Status s = proof::verify_inclusion(leaf, request.index, request.size, proof.hashes,
                                               ledger.root_at(request.size).value());
      FUZZ_CHECK(s.is_ok(), "the ledger's inclusion proof does not verify: " + s.to_string());
      break;
    }
    case MessageType::kGetConsistencyProof: {
      const GetConsistencyProof request = schemas::decode<GetConsistencyProof>(body, "").value();
      const ProofReply proof = roundtrip<ProofReply>(reply, "ProofReply").value();
      const Status s = proof::verify_consistency(request.size1, request.size2, proof.hashes,
                                                 ledger.root_at(request.size1).value(),
                                                 ledger.root_at(request.size2).value());
      FUZZ_CHECK(s.is_ok(), "the ledger's consistency proof does not verify: " + s.to_string());
      break;
    }
    case MessageType::kListRewards: {
      const ListRequest request = schemas::decode<ListRequest>(body, "").value();
      const auto page = roundtrip<Page<RewardView>>(reply, "rewards").value();
      check_page(page, request);
      for (const auto& row : page.rows) FUZZ_CHECK(request.filter.empty() || row.merchant == request.filter, "filter");
      break;
    }
    case MessageType::kListActors: {
      FUZZ_CHECK(sees_everything(who), "the key list for a scoped key");
      const ListRequest request = schemas::decode<ListRequest>(body, "").value();
      check_page(roundtrip<Page<ActorView>>(reply, "actors").value(), request);
      break;
    }
    case MessageType::kListRules: {
      const ListRequest request = schemas::decode<ListRequest>(body, "").value();
      check_page(roundtrip<Page<RuleView>>(reply, "rules").value(), request);
      break;
    }
    case MessageType::kListAccounts: {
      const ListRequest request = schemas::decode<ListRequest>(body, "").value();
      const auto page = roundtrip<Page<AccountView>>(reply, "accounts").value();
      check_page(page, request);
      FUZZ_CHECK(sees_everything(who) || who == kBranch1 || who == kBranch2, "accounts for " + me.scope);
      for (const auto& row : page.rows) {
        if (!sees_everything(who)) FUZZ_CHECK(row.branch == me.scope, "branch scope: account " + row.id);
        if (!request.filter.empty()) FUZZ_CHECK(row.branch == request.filter, "filter");
      }
      break;
    }
    case MessageType::kListClaims: {
      const ListRequest request = schemas::decode<ListRequest>(body, "").value();
      const auto page = roundtrip<Page<ClaimView>>(reply, "claims").value();
      check_page(page, request);
      FUZZ_CHECK(sees_everything(who) || who == kBranch1 || who == kBranch2, "claims for " + me.scope);
      for (const auto& row : page.rows) {
        if (!sees_everything(who)) FUZZ_CHECK(row.branch == me.scope, "branch scope: claim of " + row.account);
      }
      break;
    }
    case MessageType::kListReservations: {
      const ListRequest request = schemas::decode<ListRequest>(body, "").value();
      const auto page = roundtrip<Page<ReservationView>>(reply, "reservations").value();
      check_page(page, request);
      FUZZ_CHECK(sees_everything(who) || who == kMerchant, "reservations for " + me.scope);
      for (const auto& row : page.rows) {
        if (!sees_everything(who)) FUZZ_CHECK(row.merchant == me.scope, "merchant scope: " + row.merchant);
      }
      break;
    }
    default: FUZZ_CHECK(false, "an answer to message type " + std::to_string(static_cast<int>(type)));
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)street();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const auto who = static_cast<Who>(data[0] % kWhoCount);
  const auto type = static_cast<MessageType>(data[1]);
  const std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);
  Result<std::string> answer = server::handle_request(*street().ledger, street().principals[who], type, body);
  if (who == kRevoked || who == kUnknown) {
    FUZZ_CHECK(answer.status().code() == Status::Code::kUnauthenticated,
               "a revoked or unknown key was answered: " + answer.status().to_string());
    return 0;
  }
  if (answer.is_ok()) {
    check_reply(who, type, body, *answer);
  } else {
    const auto code = answer.status().code();
    FUZZ_CHECK(code != Status::Code::kInternal && code != Status::Code::kDataLoss && code != Status::Code::kUnauthenticated,
               "a query by a valid key failed with " + answer.status().to_string());
    // The message goes into an ErrorReply: it must fit one.
    ErrorReply error{static_cast<uint16_t>(code), ErrorReply::kWholeEnvelope,
                     printable_text(answer.status().message(), limits::kMessageBytes)};
    FUZZ_CHECK(try_encode(error).is_ok(), "an error that cannot be sent");
  }
  return 0;
}
