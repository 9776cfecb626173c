// Every operation and every query through the wire, against a real passbookd on a loopback port:
// each write comes back with a receipt the client proved (entry, inclusion, signed checkpoint),
// each query answers what the ledger holds, and the proofs check with passbook::proof alone.
#include <boost/test/unit_test.hpp>

#include "server/raw_peer.h"
#include "server/server_fixture.h"
#include "server/wire_checks.h"

using namespace passbook;
using namespace passbook::schemas;
using namespace passbook::testing;

namespace {

// The street of ServedStreet plus an auditor and a volunteer with a key, each with a client.
struct Street {
  Street() {
    admin = t.connect(t.admin);
    secretary = t.connect(t.secretary);
    council = t.connect(t.council);
    merchant = t.connect(t.merchant);
  }
  ServedStreet t;
  proof::SigningKey auditor_key = make_key();
  proof::SigningKey volunteer_key = make_key();
  std::unique_ptr<client::Client> admin, secretary, council, merchant, auditor, volunteer;
};

std::vector<int64_t> deltas(const std::vector<HistoryLine>& lines) {
  std::vector<int64_t> out;
  for (const auto& line : lines) out.push_back(line.delta);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(operations_wire_test)

BOOST_AUTO_TEST_CASE(every_operation_through_the_wire_with_a_proven_receipt) {
  Street s;
  ServedStreet& t = s.t;
  std::vector<Receipt> receipts;
  auto post = [&](client::Client& c, SignedEnvelope envelope) {
    auto result = posted(c, std::move(envelope));
    receipts.push_back(result.receipt);
    return result.receipt.seq;
  };

  // Actors: register an auditor and a temporary branch key, then revoke the latter.
  auto temp = make_key();
  post(*s.admin, t.sign(t.admin, {RegisterActor{s.auditor_key.public_key(), Role::kAuditor, "", "the auditor"},
                                  RegisterActor{temp.public_key(), Role::kBranch, "b1", "temporary"}}));
  const uint64_t revoked_at = post(*s.admin, t.sign(t.admin, {RevokeActor{temp.public_key(), "left the council"}}));
  s.auditor = t.connect(s.auditor_key);
  BOOST_TEST(s.auditor->session().role == Role::kAuditor);

  // A volunteer account with the volunteer's own key; the key can open a session at once.
  post(*s.secretary, t.sign(t.secretary, {OpenAccount{"v3", std::nullopt, s.volunteer_key.public_key()}}));
  s.volunteer = t.connect(s.volunteer_key);
  BOOST_TEST(s.volunteer->session().role == Role::kVolunteer);
  BOOST_TEST(s.volunteer->session().scope == "v3");

  // Rules: a street-wide one by admin, the branch's own override by the branch.
  post(*s.admin, t.sign(t.admin, {SetRule{"", "errand", 60, 0}}));
  post(*s.secretary, t.sign(t.secretary, {SetRule{"b1", "elder-visit", 15, 240}}));

  // Credit under the branch rule: 240 minutes at 15 points an hour.
  post(*s.secretary, t.sign(t.secretary, {Credit{TestStreet::service("v3", 240)}}));

  // The volunteer claims its own service; a council key approves it.
  const uint64_t claim = post(*s.volunteer, t.sign(s.volunteer_key, {Claim{TestStreet::service("v3", 60, kToday, "errand")}}));
  BOOST_TEST(s.volunteer->account(AccountKind::kVolunteer, "v3")->pending == 60);
  post(*s.council, t.sign(t.council, {Approve{{claim, 0}}}));

  // A claim by the secretary, rejected by the council.
  const uint64_t rejected = post(*s.secretary, t.sign(t.secretary, {Claim{TestStreet::service("v1", 30, kToday, "errand")}}));
  post(*s.council, t.sign(t.council, {Reject{{rejected, 0}, "no sign-in sheet"}}));

  // A line carried over from the paper passbook.
  Import line;
  line.service = TestStreet::service("v3", 600, 20240315, "property-services");
  line.points = 375;
  line.paper_ref = "book 1, page 3";
  post(*s.secretary, t.sign(t.secretary, {line}));

  // The catalogue: list, restock, delist.
  post(*s.merchant, t.sign(t.merchant, {ListReward{"tea", "a pot of tea", 10, 2, 0, LimitPeriod::kEver}}));
  post(*s.merchant, t.sign(t.merchant, {Restock{"tea", 3}}));
  post(*s.merchant, t.sign(t.merchant, {Delist{"tea"}}));

  // A redemption co-signed by the volunteer.
  post(*s.merchant, t.sign(t.merchant, {Redeem{"v3", "dumplings", 1}}, {0, {}, {&s.volunteer_key}}));

  // Two-step redemptions: one delivered, one cancelled.
  const uint64_t place = post(*s.merchant, t.sign(t.merchant, {Reserve{"v3", "place", 1}}, {0, {}, {&s.volunteer_key}}));
  BOOST_TEST(s.auditor->account(AccountKind::kSystem, "held")->available == 300);
  post(*s.merchant, t.sign(t.merchant, {Deliver{{place, 0}}}));
  const uint64_t plates =
      post(*s.merchant, t.sign(t.merchant, {Reserve{"v3", "dumplings", 2}}, {0, {}, {&s.volunteer_key}}));
  post(*s.merchant, t.sign(t.merchant, {Cancel{{plates, 0}, "kitchen closed"}}));

  // A credit to the wrong volunteer, reversed by the council.
  const uint64_t wrong = post(*s.secretary, t.sign(t.secretary, {Credit{TestStreet::service("v1", 60)}}));
  BOOST_TEST(s.secretary->account(AccountKind::kVolunteer, "v1")->available == 15);
  post(*s.council, t.sign(t.council, {Reverse{wrong, "wrong volunteer"}}));

  // The monthly settlement of the shop.
  post(*s.admin, t.sign(t.admin, {Settle{"shop", 340, "voucher 2026-09"}}));

  // Every receipt is for a new entry, in order.
  for (size_t i = 1; i < receipts.size(); ++i) BOOST_TEST(receipts[i].seq == receipts[i - 1].seq + 1);
  BOOST_TEST(receipts.front().seq == 4u);

  // ---- what the ledger holds now, through the wire ----
  auto v3 = s.volunteer->account(AccountKind::kVolunteer, "v3");
  BOOST_REQUIRE_MESSAGE(v3.is_ok(), v3.status().to_string());
  BOOST_TEST(v3->available == 155);
  BOOST_TEST(v3->pending == 0);
  BOOST_TEST(v3->branch == "b1");
  BOOST_TEST(v3->active_keys == 1u);
  auto history = s.volunteer->history(AccountKind::kVolunteer, "v3");
  BOOST_REQUIRE_MESSAGE(history.is_ok(), history.status().to_string());
  BOOST_TEST(deltas(*history) == (std::vector<int64_t>{60, 60, 375, -40, -300, -80, 80}), boost::test_tools::per_element());
  BOOST_TEST(history->back().balance_after == 155);
  BOOST_TEST(std::holds_alternative<Cancel>(history->back().operation));

  BOOST_TEST(s.secretary->account(AccountKind::kVolunteer, "v1")->available == 0);
  BOOST_TEST(s.secretary->account(AccountKind::kBranch, "b1")->available == -495);
  BOOST_TEST(s.merchant->account(AccountKind::kMerchant, "shop")->available == 0);
  BOOST_TEST(s.auditor->account(AccountKind::kSystem, "retired")->available == 340);
  BOOST_TEST(s.auditor->account(AccountKind::kSystem, "held")->available == 0);

  auto rewards = s.volunteer->rewards("shop");
  BOOST_REQUIRE(rewards.is_ok());
  BOOST_REQUIRE(rewards->size() == 3u);
  std::map<std::string, RewardView> by_name;
  for (const auto& r : *rewards) by_name[r.reward] = r;
  BOOST_TEST(by_name["dumplings"].stock == 4);
  BOOST_TEST(by_name["dumplings"].redeemed == 1);
  BOOST_TEST(by_name["place"].stock == 0);
  BOOST_TEST(by_name["tea"].stock == 5);
  BOOST_TEST(!by_name["tea"].listed);

  auto actors = s.auditor->actors();
  BOOST_REQUIRE(actors.is_ok());
  bool saw_temp = false, saw_volunteer = false;
  for (const auto& a : *actors) {
    if (a.key == temp.public_key()) {
      saw_temp = true;
      BOOST_TEST(a.revoked_seq.value_or(0) == revoked_at);
    }
    if (a.key == s.volunteer_key.public_key()) {
      saw_volunteer = true;
      BOOST_TEST((a.role == Role::kVolunteer && a.scope == "v3"));
    }
  }
  BOOST_TEST(saw_temp);
  BOOST_TEST(saw_volunteer);
  BOOST_TEST(actors->size() == 7u);  // admin, secretary, council, merchant, auditor, temp, volunteer

  auto rules = s.merchant->rules();
  BOOST_REQUIRE(rules.is_ok());
  BOOST_TEST(rules->size() == 3u);

  auto accounts = s.secretary->accounts("b1");
  BOOST_REQUIRE(accounts.is_ok());
  BOOST_TEST(accounts->size() == 3u);
  auto all_accounts = s.auditor->accounts("");
  BOOST_REQUIRE(all_accounts.is_ok());
  BOOST_TEST(all_accounts->size() == 3u);

  auto claims = s.council->claims("b1");
  BOOST_REQUIRE(claims.is_ok());
  BOOST_REQUIRE(claims->size() == 2u);
  for (const auto& c : *claims) {
    BOOST_TEST(c.decided_seq.has_value());
    BOOST_TEST((c.ref.seq == claim ? c.decision == ClaimDecision::kApproved : c.decision == ClaimDecision::kRejected));
  }

  auto reservations = s.merchant->reservations("shop");
  BOOST_REQUIRE(reservations.is_ok());
  BOOST_REQUIRE(reservations->size() == 2u);
  for (const auto& r : *reservations) {
    BOOST_TEST((r.ref.seq == place ? r.state == ReservationState::kDelivered : r.state == ReservationState::kCancelled));
  }

  // ---- checkpoints and proofs, checked with passbook::proof ----
  auto info = s.auditor->info();
  BOOST_REQUIRE(info.is_ok());
  BOOST_TEST(info->size == receipts.back().seq + 1);
  BOOST_TEST(info->origin == "test.example/passbook");
  BOOST_TEST(info->verifier_key == s.auditor->hello().verifier_key);
  auto note = s.auditor->checkpoint(0);
  BOOST_REQUIRE_MESSAGE(note.is_ok(), note.status().to_string());
  const proof::Checkpoint latest = verified_checkpoint(*note, info->verifier_key);
  BOOST_TEST(latest.size == info->size);
  BOOST_TEST(latest.root == info->root);
  BOOST_TEST(s.auditor->trusted().size == latest.size);

  auto entries = s.auditor->entries(0, static_cast<uint32_t>(info->size));
  BOOST_REQUIRE_MESSAGE(entries.is_ok(), entries.status().to_string());
  BOOST_REQUIRE(entries->size() == info->size);
  for (size_t i = 1; i < entries->size(); ++i) {
    auto entry = decode<Entry>((*entries)[i], "entry");
    BOOST_REQUIRE(entry.is_ok());
    BOOST_TEST(entry->seq == i);
    BOOST_TEST(entry->prev_hash == proof::leaf_hash((*entries)[i - 1]));
  }
  for (const Receipt& receipt : receipts) {
    BOOST_TEST(proof::leaf_hash((*entries)[receipt.seq]) == receipt.entry_hash);
    auto path = s.volunteer->inclusion_proof(receipt.seq, latest.size);
    BOOST_REQUIRE_MESSAGE(path.is_ok(), path.status().to_string());
    BOOST_TEST(proof::verify_inclusion(receipt.entry_hash, receipt.seq, latest.size, *path, latest.root).is_ok());
    // The checkpoint the receipt names covers the entry too.
    auto named = s.volunteer->checkpoint(receipt.checkpoint_size);
    BOOST_REQUIRE_MESSAGE(named.is_ok(), named.status().to_string());
    const proof::Checkpoint old = verified_checkpoint(*named, info->verifier_key);
    BOOST_TEST(old.size == receipt.checkpoint_size);
    auto old_path = s.volunteer->inclusion_proof(receipt.seq, old.size);
    BOOST_REQUIRE(old_path.is_ok());
    BOOST_TEST(proof::verify_inclusion(receipt.entry_hash, receipt.seq, old.size, *old_path, old.root).is_ok());
    if (old.size < latest.size) {
      auto consistency = s.merchant->consistency_proof(old.size, latest.size);
      BOOST_REQUIRE_MESSAGE(consistency.is_ok(), consistency.status().to_string());
      BOOST_TEST(proof::verify_consistency(old.size, latest.size, *consistency, old.root, latest.root).is_ok());
      // A proof for the wrong sizes does not verify.
      if (old.size > 1) {
        BOOST_TEST(!proof::verify_consistency(old.size - 1, latest.size, *consistency, old.root, latest.root).is_ok());
      }
    }
  }
  // A bad index or size is refused, not answered with nonsense.
  BOOST_TEST(refused_with(s.auditor->inclusion_proof(info->size, info->size), Status::Code::kInvalidArgument));
  BOOST_TEST(refused_with(s.auditor->inclusion_proof(0, info->size + 5), Status::Code::kNotFound));
  BOOST_TEST(refused_with(s.auditor->checkpoint(info->size + 5), Status::Code::kNotFound));
  BOOST_TEST(!s.auditor->consistency_proof(info->size, 2).is_ok());
  BOOST_TEST(refused_with(s.auditor->entries(info->size, 1), Status::Code::kNotFound));
}

BOOST_AUTO_TEST_CASE(history_comes_in_pages) {
  ServedStreet t;
  auto secretary = t.connect(t.secretary);
  for (uint32_t day = 0; day < 5; ++day) {
    posted(*secretary, t.sign(t.secretary, {Credit{TestStreet::service("v1", 60, ago(day))}}));
  }
  RawPeer raw(t.port());
  BOOST_REQUIRE(raw.connected());
  auto welcome = raw.authenticate(t.secretary);
  BOOST_REQUIRE_MESSAGE(welcome.is_ok(), welcome.status().to_string());
  GetHistory request{AccountKind::kVolunteer, "v1", 1, 3};
  auto reply = raw.request(MessageType::kGetHistory, 3, try_encode(request).value());
  BOOST_REQUIRE(reply.has_value());
  BOOST_REQUIRE_MESSAGE(reply->type == reply_type(MessageType::kGetHistory), reply->error_message());
  BOOST_TEST(reply->id == 3u);
  auto page = decode<Page<HistoryLine>>(reply->body, "page");
  BOOST_REQUIRE_MESSAGE(page.is_ok(), page.status().to_string());
  BOOST_TEST(page->total == 5u);
  BOOST_REQUIRE(page->rows.size() == 3u);
  BOOST_TEST(page->rows[0].seq == 5u);
  BOOST_TEST(page->rows[2].seq == 7u);
  BOOST_TEST(page->rows[2].balance_after == 48);
  // Past the end: an empty page with the same total.
  GetHistory beyond{AccountKind::kVolunteer, "v1", 10, 3};
  reply = raw.request(MessageType::kGetHistory, 4, try_encode(beyond).value());
  BOOST_REQUIRE(reply.has_value());
  page = decode<Page<HistoryLine>>(reply->body, "page");
  BOOST_REQUIRE(page.is_ok());
  BOOST_TEST(page->rows.empty());
  BOOST_TEST(page->total == 5u);
  // The whole history through the client, every page.
  auto all = secretary->history(AccountKind::kVolunteer, "v1");
  BOOST_REQUIRE(all.is_ok());
  BOOST_TEST(all->size() == 5u);
  // A list request pages the same way.
  ListRequest accounts{"b1", 1, 1};
  reply = raw.request(MessageType::kListAccounts, 5, try_encode(accounts).value());
  BOOST_REQUIRE(reply.has_value());
  auto rows = decode<Page<AccountView>>(reply->body, "page");
  BOOST_REQUIRE_MESSAGE(rows.is_ok(), rows.status().to_string());
  BOOST_TEST(rows->total == 2u);
  BOOST_REQUIRE(rows->rows.size() == 1u);
  BOOST_TEST(rows->rows[0].id == "v2");
}

BOOST_AUTO_TEST_CASE(refusals_come_back_with_the_right_code_and_name_the_operation) {
  ServedStreet t;
  auto secretary = t.connect(t.secretary);
  auto merchant = t.connect(t.merchant);
  const uint64_t size = secretary->info()->size;

  auto r = merchant->submit(t.sign(t.merchant, {Redeem{"v1", "dumplings", 1}}));
  BOOST_TEST(refused_with(r, Status::Code::kFailedPrecondition, "operation 1 (redeem)"));
  BOOST_TEST(plain_message(r.status().message()));

  r = secretary->submit(t.sign(t.secretary, {Credit{TestStreet::service("v1", 60)}, Credit{TestStreet::service("nobody", 60)}}));
  BOOST_TEST(refused_with(r, Status::Code::kNotFound, "operation 2 (credit)"));
  BOOST_TEST(plain_message(r.status().message()));

  r = secretary->submit(t.sign(t.secretary, {ListReward{"tea", "tea", 10, 1, 0, LimitPeriod::kEver}}));
  BOOST_TEST(refused_with(r, Status::Code::kPermissionDenied, "operation 1 (list_reward)"));

  r = secretary->submit(t.sign(t.secretary, {OpenAccount{"v1", std::nullopt, std::nullopt}}));
  BOOST_TEST(refused_with(r, Status::Code::kAlreadyExists, "operation 1 (open_account)"));

  auto forged = t.sign(t.secretary, {Credit{TestStreet::service("v1", 60)}});
  forged.signature[3] ^= 0x10;
  BOOST_TEST(refused_with(secretary->submit(forged), Status::Code::kUnauthenticated));

  LedgerId other{};
  other.fill(0x11);
  auto elsewhere = client::sign_envelope(other, t.secretary, {Credit{TestStreet::service("v1", 60)}}, {t.clock.now, {}, {}});
  BOOST_REQUIRE(elsewhere.is_ok());
  BOOST_TEST(refused_with(secretary->submit(*elsewhere), Status::Code::kInvalidArgument, "another ledger"));

  // Nothing of the above was written; the connection is still good.
  BOOST_TEST(secretary->info()->size == size);
  auto first = posted(*secretary, t.sign(t.secretary, {Credit{TestStreet::service("v1", 60)}}));
  BOOST_TEST(first.receipt.seq == size);
}

// FORMAT.md: ErrorReply.op_index is "the 0-based index of the operation that failed, or
// ffffffff when the refusal is about the whole envelope".
BOOST_AUTO_TEST_CASE(an_error_reply_names_the_failing_operation_by_index) {
  ServedStreet t;
  RawPeer raw(t.port());
  BOOST_REQUIRE(raw.authenticate(t.secretary).is_ok());
  Submit bad{t.sign(t.secretary, {Credit{TestStreet::service("v1", 60)}, Credit{TestStreet::service("nobody", 60)}}),
             false, 0};
  auto reply = raw.request(MessageType::kSubmit, 7, try_encode(bad).value());
  BOOST_REQUIRE(reply.has_value());
  BOOST_TEST(reply->id == 7u);
  BOOST_REQUIRE(reply->is_error());
  auto error = decode<ErrorReply>(reply->body, "error");
  BOOST_REQUIRE(error.is_ok());
  BOOST_TEST(error->code == static_cast<uint16_t>(Status::Code::kNotFound));
  BOOST_TEST(error->op_index == 1u);

  auto forged = t.sign(t.secretary, {Credit{TestStreet::service("v1", 60)}});
  forged.signature[0] ^= 1;
  Submit whole{forged, false, 0};
  reply = raw.request(MessageType::kSubmit, 8, try_encode(whole).value());
  BOOST_REQUIRE(reply.has_value());
  error = decode<ErrorReply>(reply->body, "error");
  BOOST_REQUIRE(error.is_ok());
  BOOST_TEST(error->code == static_cast<uint16_t>(Status::Code::kUnauthenticated));
  BOOST_TEST(error->op_index == ErrorReply::kWholeEnvelope);
}

BOOST_AUTO_TEST_CASE(a_resent_envelope_gets_its_first_receipt_through_the_wire) {
  ServedStreet t;
  auto secretary = t.connect(t.secretary);
  auto envelope = t.sign(t.secretary, {Credit{TestStreet::service("v1", 60)}});
  auto first = posted(*secretary, envelope);
  posted(*secretary, t.sign(t.secretary, {Credit{TestStreet::service("v2", 60)}}));
  auto again = secretary->submit(envelope);
  BOOST_REQUIRE_MESSAGE(again.is_ok(), again.status().to_string());
  BOOST_TEST(again->duplicate);
  BOOST_TEST(again->proven);
  BOOST_TEST(again->receipt.seq == first.receipt.seq);
  BOOST_TEST(again->receipt.entry_hash == first.receipt.entry_hash);
  BOOST_TEST(again->receipt.commit_ms == first.receipt.commit_ms);
  BOOST_TEST(secretary->account(AccountKind::kVolunteer, "v1")->available == 12);
  // The same nonce with different operations is refused.
  client::EnvelopeOptions same_nonce;
  same_nonce.nonce = decode<Envelope>(envelope.envelope, "envelope")->nonce;
  auto changed = t.sign(t.secretary, {Credit{TestStreet::service("v1", 90)}}, same_nonce);
  BOOST_TEST(refused_with(secretary->submit(changed), Status::Code::kAlreadyExists, "nonce"));
}

BOOST_AUTO_TEST_SUITE_END()
