// Every operation of the ledger doing what it should, and refusing what it must.
#include <boost/test/unit_test.hpp>

#include "ledger/ledger_fixture.h"

using namespace passbook;
using namespace passbook::schemas;
using namespace passbook::testing;

namespace {

bool refused_with(const ledger::Outcome& outcome, Status::Code code, const std::string& words) {
  if (outcome.status.is_ok()) {
    BOOST_TEST_MESSAGE("unexpectedly accepted");
    return false;
  }
  BOOST_TEST_MESSAGE(outcome.status.to_string());
  return outcome.status.code() == code && outcome.status.message().find(words) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(operations_test)

BOOST_AUTO_TEST_CASE(genesis_makes_entry_zero_with_the_admin_and_a_checkpoint) {
  TestLedger t;
  const auto info = t.ledger->info();
  BOOST_TEST(info.size == 1u);
  BOOST_TEST(info.origin == "test.example/passbook");
  const auto actors = t.ledger->actors();
  BOOST_REQUIRE(actors.size() == 1u);
  BOOST_TEST((actors[0].role == Role::kAdmin));
  BOOST_TEST((actors[0].key == t.admin.public_key()));
  BOOST_TEST(t.ledger->checkpoint(0).is_ok());
}

BOOST_AUTO_TEST_CASE(credit_moves_points_from_the_branch_to_the_volunteer) {
  TestStreet t;
  const uint64_t seq = t.ok(t.secretary, {Credit{TestStreet::service("v1", 90)}});
  BOOST_TEST(t.balance("v1") == 18);  // 90 minutes at 12 points an hour
  BOOST_TEST(t.ledger->account(AccountKind::kBranch, "b1")->available == -18);
  auto history = t.ledger->history(AccountKind::kVolunteer, "v1");
  BOOST_REQUIRE(history.is_ok());
  BOOST_REQUIRE(history->size() == 1u);
  BOOST_TEST((*history)[0].seq == seq);
  BOOST_TEST((*history)[0].delta == 18);
  BOOST_TEST((*history)[0].balance_after == 18);
  BOOST_TEST(std::holds_alternative<Credit>((*history)[0].operation));
}

BOOST_AUTO_TEST_CASE(branch_rule_overrides_the_street_wide_rule) {
  TestStreet t;
  t.ok(t.secretary, {SetRule{"b1", "elder-visit", 20, 0}});
  t.ok(t.secretary, {Credit{TestStreet::service("v1", 60)}});
  BOOST_TEST(t.balance("v1") == 20);
}

BOOST_AUTO_TEST_CASE(branch_may_not_set_another_branchs_rule_or_a_street_wide_one) {
  TestStreet t;
  BOOST_TEST(refused_with(t.submit(t.secretary, {SetRule{"b2", "patrol", 10, 0}}),
                          Status::Code::kPermissionDenied, "own branch"));
  BOOST_TEST(refused_with(t.submit(t.secretary, {SetRule{"", "patrol", 10, 0}}),
                          Status::Code::kPermissionDenied, "own branch"));
}

BOOST_AUTO_TEST_CASE(credit_without_a_rule_is_refused) {
  TestStreet t;
  BOOST_TEST(refused_with(t.submit(t.secretary, {Credit{TestStreet::service("v1", 60, kToday, "juggling")}}),
                          Status::Code::kNotFound, "no rule"));
}

BOOST_AUTO_TEST_CASE(daily_cap_counts_every_credit_of_the_day) {
  TestStreet t;
  t.ok(t.secretary, {Credit{TestStreet::service("v1", 120)}});
  BOOST_TEST(refused_with(t.submit(t.secretary, {Credit{TestStreet::service("v1", 90)}}),
                          Status::Code::kFailedPrecondition, "daily cap is 180"));
  t.ok(t.secretary, {Credit{TestStreet::service("v1", 60)}});
  // Another day has its own cap.
  t.ok(t.secretary, {Credit{TestStreet::service("v1", 180, kToday - 1)}});
}

BOOST_AUTO_TEST_CASE(service_dates_in_the_future_or_too_old_are_refused) {
  TestStreet t;
  BOOST_TEST(refused_with(t.submit(t.secretary, {Credit{TestStreet::service("v1", 60, kToday + 1)}}),
                          Status::Code::kInvalidArgument, "in the future"));
  BOOST_TEST(refused_with(t.submit(t.secretary, {Credit{TestStreet::service("v1", 60, 20260101)}}),
                          Status::Code::kInvalidArgument, "import"));
  BOOST_TEST(refused_with(t.submit(t.secretary, {Credit{TestStreet::service("v1", 60, 20260231)}}),
                          Status::Code::kInvalidArgument, "not a date"));
}

BOOST_AUTO_TEST_CASE(a_branch_cannot_credit_another_branchs_volunteer) {
  TestStreet t;
  auto other = make_key();
  t.ok(t.admin, {RegisterActor{other.public_key(), Role::kBranch, "b2", "b2 secretary"}});
  BOOST_TEST(refused_with(t.submit(other, {Credit{TestStreet::service("v1", 60)}}),
                          Status::Code::kPermissionDenied, "belongs to branch b1"));
}

BOOST_AUTO_TEST_CASE(wrong_role_is_refused) {
  TestStreet t;
  BOOST_TEST(refused_with(t.submit(t.merchant, {Credit{TestStreet::service("v1", 60)}}),
                          Status::Code::kPermissionDenied, "merchant key may not"));
  BOOST_TEST(refused_with(t.submit(t.secretary, {Redeem{"v1", "dumplings", 1}}),
                          Status::Code::kPermissionDenied, "branch key may not"));
  BOOST_TEST(refused_with(t.submit(t.secretary, {RegisterActor{make_key().public_key(), Role::kAdmin, "", "x"}}),
                          Status::Code::kPermissionDenied, "needs admin"));
  auto auditor = make_key();
  t.ok(t.admin, {RegisterActor{auditor.public_key(), Role::kAuditor, "", "auditor"}});
  BOOST_TEST(refused_with(t.submit(auditor, {SetRule{"", "patrol", 1, 0}}), Status::Code::kPermissionDenied,
                          "auditor key may not"));
}

BOOST_AUTO_TEST_CASE(unregistered_and_revoked_keys_are_refused) {
  TestStreet t;
  BOOST_TEST(refused_with(t.submit(make_key(), {Credit{TestStreet::service("v1", 60)}}),
                          Status::Code::kUnauthenticated, "not registered"));
  const uint64_t revoked_at = t.ok(t.admin, {RevokeActor{t.secretary.public_key(), "left the branch"}});
  BOOST_TEST(refused_with(t.submit(t.secretary, {Credit{TestStreet::service("v1", 60)}}),
                          Status::Code::kUnauthenticated, "revoked at entry " + std::to_string(revoked_at)));
  // The council key of the same branch still works.
  t.ok(t.council, {Credit{TestStreet::service("v1", 60)}});
}

BOOST_AUTO_TEST_CASE(the_last_admin_key_cannot_be_revoked) {
  TestStreet t;
  BOOST_TEST(refused_with(t.submit(t.admin, {RevokeActor{t.admin.public_key(), "oops"}}),
                          Status::Code::kFailedPrecondition, "last admin"));
}

BOOST_AUTO_TEST_CASE(keys_are_never_registered_twice) {
  TestStreet t;
  BOOST_TEST(refused_with(t.submit(t.admin, {RegisterActor{t.secretary.public_key(), Role::kBranch, "b9", "x"}}),
                          Status::Code::kAlreadyExists, "already registered"));
}

BOOST_AUTO_TEST_CASE(bad_signature_is_refused) {
  TestStreet t;
  auto envelope = t.sign(t.secretary, {Credit{TestStreet::service("v1", 60)}});
  envelope.signature[3] ^= 0x40;
  auto outcome = t.ledger->submit(envelope);
  BOOST_TEST(refused_with(outcome, Status::Code::kUnauthenticated, "signature"));
  BOOST_TEST(t.ledger->info().size == 4u);  // nothing written
}

BOOST_AUTO_TEST_CASE(envelope_for_another_ledger_is_refused) {
  TestStreet t;
  LedgerId other{};
  other.fill(0x11);
  auto envelope = client::sign_envelope(other, t.secretary, {Credit{TestStreet::service("v1", 60)}},
                                        {t.clock.now, {}, {}});
  BOOST_TEST(refused_with(t.ledger->submit(*envelope), Status::Code::kInvalidArgument, "another ledger"));
}

BOOST_AUTO_TEST_CASE(stale_and_future_envelopes_are_refused) {
  TestStreet t;
  BOOST_TEST(refused_with(t.submit(t.secretary, {Credit{TestStreet::service("v1", 60)}},
                                   {t.clock.now - 11 * 60'000, {}, {}}),
                          Status::Code::kInvalidArgument, "sign it again"));
  BOOST_TEST(refused_with(t.submit(t.secretary, {Credit{TestStreet::service("v1", 60)}},
                                   {t.clock.now + 20 * 60'000, {}, {}}),
                          Status::Code::kInvalidArgument, "in the future"));
  t.ok(t.secretary, {Credit{TestStreet::service("v1", 60)}}, {t.clock.now - 5 * 60'000, {}, {}});
}

BOOST_AUTO_TEST_CASE(resent_envelope_returns_first_receipt) {
  TestStreet t;
  auto envelope = t.sign(t.secretary, {Credit{TestStreet::service("v1", 60)}});
  auto first = t.ledger->submit(envelope);
  BOOST_REQUIRE(first.status.is_ok());
  t.clock.now += 5000;
  auto again = t.ledger->submit(envelope);
  BOOST_REQUIRE(again.status.is_ok());
  BOOST_TEST(again.duplicate);
  BOOST_TEST(again.receipt.seq == first.receipt.seq);
  BOOST_TEST((again.receipt.entry_hash == first.receipt.entry_hash));
  BOOST_TEST(again.receipt.commit_ms == first.receipt.commit_ms);
  BOOST_TEST(t.balance("v1") == 12);  // credited once
  // Still recognised after a restart, when the nonce is only on disk.
  t.reopen();
  auto after_restart = t.ledger->submit(envelope);
  BOOST_TEST(after_restart.duplicate);
  BOOST_TEST(after_restart.receipt.seq == first.receipt.seq);
  BOOST_TEST(t.balance("v1") == 12);
}

BOOST_AUTO_TEST_CASE(nonce_reused_for_a_different_envelope_is_refused) {
  TestStreet t;
  Nonce nonce{};
  nonce.fill(7);
  t.ok(t.secretary, {Credit{TestStreet::service("v1", 60)}}, {0, nonce, {}});
  BOOST_TEST(refused_with(t.submit(t.secretary, {Credit{TestStreet::service("v2", 60)}}, {0, nonce, {}}),
                          Status::Code::kAlreadyExists, "nonce"));
  BOOST_TEST(t.balance("v2") == 0);
  // Nonces belong to their signer: another key may use the same bytes.
  t.ok(t.council, {Credit{TestStreet::service("v2", 60)}}, {0, nonce, {}});
}

BOOST_AUTO_TEST_CASE(envelope_is_all_or_nothing) {
  TestStreet t;
  const std::string before = t.render();
  auto outcome = t.submit(t.secretary, {Credit{TestStreet::service("v1", 60)}, Credit{TestStreet::service("v2", 60)},
                                        Credit{TestStreet::service("nobody", 60)}});
  BOOST_TEST(refused_with(outcome, Status::Code::kNotFound, "operation 3 (credit)"));
  BOOST_TEST(outcome.op_index == 2u);
  BOOST_TEST(t.render() == before);
}

BOOST_AUTO_TEST_CASE(redeem_moves_points_to_the_merchant_and_takes_stock) {
  TestStreet t;
  t.ok(t.secretary, {Credit{TestStreet::service("v1", 180)}, Credit{TestStreet::service("v1", 180, kToday - 1)}});
  BOOST_TEST(t.balance("v1") == 72);
  t.ok(t.merchant, {Redeem{"v1", "dumplings", 1}});
  BOOST_TEST(t.balance("v1") == 32);
  BOOST_TEST(t.ledger->account(AccountKind::kMerchant, "shop")->available == 40);
  BOOST_TEST(t.ledger->rewards("shop")[0].stock == 4);
}

BOOST_AUTO_TEST_CASE(insufficient_balance_is_refused_and_nothing_moves) {
  TestStreet t;
  t.ok(t.secretary, {Credit{TestStreet::service("v1", 60)}});
  const std::string before = t.render();
  BOOST_TEST(refused_with(t.submit(t.merchant, {Redeem{"v1", "dumplings", 1}}), Status::Code::kFailedPrecondition,
                          "has 12 points available, 40 are needed"));
  BOOST_TEST(t.render() == before);
}

BOOST_AUTO_TEST_CASE(exhausted_stock_is_refused) {
  TestStreet t;
  for (uint32_t day = 0; day < 10; ++day) t.ok(t.secretary, {Credit{TestStreet::service("v1", 180, ago(day))}});
  t.ok(t.merchant, {Redeem{"v1", "dumplings", 5}});
  BOOST_TEST(refused_with(t.submit(t.merchant, {Redeem{"v1", "dumplings", 1}}), Status::Code::kFailedPrecondition,
                          "only 0 of a plate of dumplings left"));
  t.ok(t.merchant, {Restock{"dumplings", 2}});
  t.ok(t.merchant, {Redeem{"v1", "dumplings", 1}});
}

BOOST_AUTO_TEST_CASE(last_kindergarten_place_goes_to_one_buyer) {
  TestStreet t;
  for (uint32_t day = 0; day < 15; ++day) {
    t.ok(t.secretary, {Credit{TestStreet::service("v1", 180, ago(day))}, Credit{TestStreet::service("v2", 180, ago(day))}});
  }
  // Both in one group: the first wins, the second is refused, nothing half-done.
  std::vector<ledger::Prepared> group;
  group.push_back(ledger::Ledger::prepare(t.sign(t.merchant, {Redeem{"v1", "place", 1}})));
  group.push_back(ledger::Ledger::prepare(t.sign(t.merchant, {Redeem{"v2", "place", 1}})));
  auto outcomes = t.ledger->commit(std::move(group));
  BOOST_TEST(outcomes[0].status.is_ok());
  BOOST_TEST(refused_with(outcomes[1], Status::Code::kFailedPrecondition, "only 0"));
  BOOST_TEST(t.ledger->rewards("shop")[1].stock == 0);
  BOOST_TEST(t.balance("v1") == 540 - 300);
  BOOST_TEST(t.balance("v2") == 540);
}

BOOST_AUTO_TEST_CASE(per_person_limit_is_enforced) {
  TestStreet t;
  for (uint32_t day = 0; day < 30; ++day) t.ok(t.secretary, {Credit{TestStreet::service("v1", 180, ago(day))}});
  t.ok(t.merchant, {Restock{"place", 5}});
  t.ok(t.merchant, {Redeem{"v1", "place", 1}});
  BOOST_TEST(refused_with(t.submit(t.merchant, {Redeem{"v1", "place", 1}}), Status::Code::kFailedPrecondition,
                          "the limit is 1 a year"));
}

BOOST_AUTO_TEST_CASE(volunteer_with_a_key_must_cosign_a_redemption) {
  TestStreet t;
  auto volunteer = make_key();
  t.ok(t.secretary, {OpenAccount{"v3", std::nullopt, volunteer.public_key()}});
  t.ok(t.secretary, {Credit{TestStreet::service("v3", 180)}, Credit{TestStreet::service("v3", 180, kToday - 1)}});
  BOOST_TEST(refused_with(t.submit(t.merchant, {Redeem{"v3", "dumplings", 1}}), Status::Code::kPermissionDenied,
                          "co-signature"));
  auto stranger = make_key();
  BOOST_TEST(refused_with(t.submit(t.merchant, {Redeem{"v3", "dumplings", 1}}, {0, {}, {&stranger}}),
                          Status::Code::kPermissionDenied, "co-signature"));
  t.ok(t.merchant, {Redeem{"v3", "dumplings", 1}}, {0, {}, {&volunteer}});
  BOOST_TEST(t.balance("v3") == 72 - 40);
}

BOOST_AUTO_TEST_CASE(a_signer_cannot_cosign_itself_and_no_key_cosigns_twice) {
  TestStreet t;
  auto volunteer = make_key();
  t.ok(t.secretary, {OpenAccount{"v3", std::nullopt, volunteer.public_key()}});
  BOOST_TEST(refused_with(t.submit(t.merchant, {Redeem{"v3", "dumplings", 1}}, {0, {}, {&t.merchant}}),
                          Status::Code::kInvalidArgument, "cannot also co-sign"));
  BOOST_TEST(refused_with(t.submit(t.merchant, {Redeem{"v3", "dumplings", 1}}, {0, {}, {&volunteer, &volunteer}}),
                          Status::Code::kInvalidArgument, "co-signs the envelope twice"));
}

BOOST_AUTO_TEST_CASE(forged_cosignature_is_refused) {
  TestStreet t;
  auto volunteer = make_key();
  t.ok(t.secretary, {OpenAccount{"v3", std::nullopt, volunteer.public_key()}});
  auto envelope = t.sign(t.merchant, {Redeem{"v3", "dumplings", 1}}, {0, {}, {&volunteer}});
  envelope.cosignatures[0].signature[0] ^= 1;
  BOOST_TEST(refused_with(t.ledger->submit(envelope), Status::Code::kUnauthenticated, "co-signature"));
}

BOOST_AUTO_TEST_CASE(claim_counts_only_once_a_different_council_key_approves) {
  TestStreet t;
  const uint64_t claim_seq = t.ok(t.secretary, {Claim{TestStreet::service("v1", 120)}});
  auto account = t.ledger->account(AccountKind::kVolunteer, "v1");
  BOOST_TEST(account->available == 0);
  BOOST_TEST(account->pending == 24);
  const OpRef claim{claim_seq, 0};
  BOOST_TEST(refused_with(t.submit(t.secretary, {Approve{claim}}), Status::Code::kPermissionDenied,
                          "cannot also decide"));
  const uint64_t approved_at = t.ok(t.council, {Approve{claim}});
  account = t.ledger->account(AccountKind::kVolunteer, "v1");
  BOOST_TEST(account->available == 24);
  BOOST_TEST(account->pending == 0);
  BOOST_TEST(refused_with(t.submit(t.council, {Approve{claim}}), Status::Code::kFailedPrecondition,
                          "already approved at entry " + std::to_string(approved_at)));
  BOOST_TEST(refused_with(t.submit(t.council, {Reject{claim, "late"}}), Status::Code::kFailedPrecondition,
                          "already approved"));
}

BOOST_AUTO_TEST_CASE(volunteer_claims_for_own_account_only) {
  TestStreet t;
  auto volunteer = make_key();
  t.ok(t.secretary, {OpenAccount{"v3", std::nullopt, volunteer.public_key()}});
  const uint64_t seq = t.ok(volunteer, {Claim{TestStreet::service("v3", 60)}});
  BOOST_TEST(refused_with(t.submit(volunteer, {Claim{TestStreet::service("v1", 60)}}),
                          Status::Code::kPermissionDenied, "own account"));
  // Any council key of the branch may approve the volunteer's own claim.
  t.ok(t.secretary, {Approve{{seq, 0}}});
  BOOST_TEST(t.balance("v3") == 12);
}

BOOST_AUTO_TEST_CASE(rejected_claim_moves_nothing_and_frees_the_daily_cap) {
  TestStreet t;
  const uint64_t seq = t.ok(t.secretary, {Claim{TestStreet::service("v1", 180)}});
  BOOST_TEST(refused_with(t.submit(t.secretary, {Credit{TestStreet::service("v1", 30)}}),
                          Status::Code::kFailedPrecondition, "daily cap"));
  t.ok(t.council, {Reject{{seq, 0}, "no sign-in sheet"}});
  BOOST_TEST(t.balance("v1") == 0);
  BOOST_TEST(t.ledger->account(AccountKind::kVolunteer, "v1")->pending == 0);
  t.ok(t.secretary, {Credit{TestStreet::service("v1", 180)}});
}

BOOST_AUTO_TEST_CASE(import_keeps_the_paper_date_and_points) {
  TestStreet t;
  Import line;
  line.service = TestStreet::service("v1", 600, 20240315, "property-services");
  line.points = 75;
  line.paper_ref = "book 1, page 3";
  const uint64_t seq = t.ok(t.secretary, {line});
  BOOST_TEST(t.balance("v1") == 75);
  auto history = t.ledger->history(AccountKind::kVolunteer, "v1");
  BOOST_REQUIRE(history->size() == 1u);
  BOOST_TEST((*history)[0].seq == seq);
  BOOST_TEST(std::get<Import>((*history)[0].operation).service.service_day == 20240315u);
}

BOOST_AUTO_TEST_CASE(reserve_then_deliver_or_cancel) {
  TestStreet t;
  for (uint32_t day = 0; day < 20; ++day) t.ok(t.secretary, {Credit{TestStreet::service("v1", 180, ago(day))}});
  BOOST_TEST(t.balance("v1") == 720);
  const uint64_t reserved = t.ok(t.merchant, {Reserve{"v1", "place", 1}});
  BOOST_TEST(t.balance("v1") == 420);
  BOOST_TEST(t.ledger->account(AccountKind::kSystem, "held")->available == 300);
  BOOST_TEST(t.ledger->rewards("shop")[1].stock == 0);
  t.ok(t.merchant, {Cancel{{reserved, 0}, "family moved"}});
  BOOST_TEST(t.balance("v1") == 720);
  BOOST_TEST(t.ledger->rewards("shop")[1].stock == 1);
  BOOST_TEST(t.ledger->account(AccountKind::kSystem, "held")->available == 0);
  // The per-person allowance came back too: the volunteer may reserve again.
  const uint64_t again = t.ok(t.merchant, {Reserve{"v1", "place", 1}});
  t.ok(t.merchant, {Deliver{{again, 0}}});
  BOOST_TEST(t.ledger->account(AccountKind::kMerchant, "shop")->available == 300);
  BOOST_TEST(refused_with(t.submit(t.merchant, {Cancel{{again, 0}, "too late"}}), Status::Code::kFailedPrecondition,
                          "already delivered"));
}

BOOST_AUTO_TEST_CASE(admin_may_cancel_a_reservation_left_too_long) {
  TestStreet t;
  for (uint32_t day = 0; day < 10; ++day) t.ok(t.secretary, {Credit{TestStreet::service("v1", 180, ago(day))}});
  const uint64_t reserved = t.ok(t.merchant, {Reserve{"v1", "place", 1}});
  t.ok(t.admin, {Cancel{{reserved, 0}, "not collected in 30 days"}});
  BOOST_TEST(t.balance("v1") == 360);
}

BOOST_AUTO_TEST_CASE(reverse_compensates_and_only_once) {
  TestStreet t;
  const uint64_t credit = t.ok(t.secretary, {Credit{TestStreet::service("v1", 120)}});
  BOOST_TEST(t.balance("v1") == 24);
  const uint64_t reversal = t.ok(t.council, {Reverse{credit, "wrong volunteer"}});
  BOOST_TEST(t.balance("v1") == 0);
  BOOST_TEST(t.ledger->account(AccountKind::kBranch, "b1")->available == 0);
  BOOST_TEST(refused_with(t.submit(t.admin, {Reverse{credit, "again"}}), Status::Code::kFailedPrecondition,
                          "already reversed by entry " + std::to_string(reversal)));
  BOOST_TEST(refused_with(t.submit(t.admin, {Reverse{reversal, "undo"}}), Status::Code::kFailedPrecondition,
                          "cannot itself be reversed"));
}

BOOST_AUTO_TEST_CASE(reverse_needs_the_original_branch_or_admin) {
  TestStreet t;
  const uint64_t credit = t.ok(t.secretary, {Credit{TestStreet::service("v1", 120)}});
  auto other = make_key();
  t.ok(t.admin, {RegisterActor{other.public_key(), Role::kBranch, "b2", "b2"}});
  BOOST_TEST(refused_with(t.submit(other, {Reverse{credit, "not mine"}}), Status::Code::kPermissionDenied,
                          "only admin or the branch b1"));
  BOOST_TEST(refused_with(t.submit(t.secretary, {Reverse{1, "rules"}}), Status::Code::kPermissionDenied,
                          "only admin"));
  t.ok(t.admin, {Reverse{credit, "street office correction"}});
}

BOOST_AUTO_TEST_CASE(reversing_a_redemption_returns_points_and_stock) {
  TestStreet t;
  t.ok(t.secretary, {Credit{TestStreet::service("v1", 180)}, Credit{TestStreet::service("v1", 180, kToday - 1)}});
  const uint64_t redeemed = t.ok(t.merchant, {Redeem{"v1", "dumplings", 1}});
  t.ok(t.merchant, {Reverse{redeemed, "kitchen closed"}});
  BOOST_TEST(t.balance("v1") == 72);
  BOOST_TEST(t.ledger->rewards("shop")[0].stock == 5);
  BOOST_TEST(t.ledger->account(AccountKind::kMerchant, "shop")->available == 0);
}

BOOST_AUTO_TEST_CASE(reversal_refused_when_points_were_spent) {
  TestStreet t;
  const uint64_t a = t.ok(t.secretary, {Credit{TestStreet::service("v1", 180)}});
  t.ok(t.secretary, {Credit{TestStreet::service("v1", 30, kToday - 1)}});
  t.ok(t.merchant, {Redeem{"v1", "dumplings", 1}});  // 42 - 40 = 2 left
  BOOST_TEST(refused_with(t.submit(t.secretary, {Reverse{a, "mistake"}}), Status::Code::kFailedPrecondition,
                          "has 2 points available, 36 are needed"));
}

BOOST_AUTO_TEST_CASE(settle_retires_a_merchants_points) {
  TestStreet t;
  t.ok(t.secretary, {Credit{TestStreet::service("v1", 180)}, Credit{TestStreet::service("v1", 180, kToday - 1)}});
  t.ok(t.merchant, {Redeem{"v1", "dumplings", 1}});
  t.ok(t.admin, {Settle{"shop", 40, "voucher 2026-09"}});
  BOOST_TEST(t.ledger->account(AccountKind::kMerchant, "shop")->available == 0);
  BOOST_TEST(t.ledger->account(AccountKind::kSystem, "retired")->available == 40);
  BOOST_TEST(refused_with(t.submit(t.admin, {Settle{"shop", 1, "again"}}), Status::Code::kFailedPrecondition,
                          "merchant shop has 0 points"));
}

BOOST_AUTO_TEST_CASE(overflow_is_an_error_not_a_wrap) {
  TestStreet t;
  t.ok(t.merchant, {ListReward{"gold", "gold bar", limits::kPointsPerOperation, 10, 0, LimitPeriod::kEver}});
  // price x quantity within limits, but stock arithmetic and balances stay checked.
  BOOST_TEST(refused_with(t.submit(t.merchant, {Restock{"gold", limits::kStockPerReward}}),
                          Status::Code::kInvalidArgument, "stock of a reward must stay"));
  BOOST_TEST(refused_with(
                 t.submit(t.merchant, {ListReward{"big", "too big", limits::kPointsPerOperation + 1, 1, 0, LimitPeriod::kEver}}),
                 Status::Code::kInvalidArgument, "price"));
  Import huge;
  huge.service = TestStreet::service("v1", 60, 20240101);
  huge.points = limits::kPointsPerOperation;
  huge.paper_ref = "p";
  // Nine imports of a billion points fit in int64; the balances are checked on every move.
  for (int i = 0; i < 9; ++i) t.ok(t.secretary, {huge});
  BOOST_TEST(t.balance("v1") == 9 * limits::kPointsPerOperation);
}

BOOST_AUTO_TEST_CASE(lists_and_delists_rewards) {
  TestStreet t;
  BOOST_TEST(refused_with(t.submit(t.merchant, {ListReward{"dumplings", "again", 10, 1, 0, LimitPeriod::kEver}}),
                          Status::Code::kAlreadyExists, "already listed"));
  t.ok(t.merchant, {Delist{"dumplings"}});
  BOOST_TEST(refused_with(t.submit(t.merchant, {Redeem{"v1", "dumplings", 1}}), Status::Code::kFailedPrecondition,
                          "delisted"));
  t.ok(t.merchant, {ListReward{"dumplings", "dumplings, new recipe", 45, 10, 0, LimitPeriod::kEver}});
  BOOST_TEST(t.ledger->rewards("shop")[0].price == 45);
}

BOOST_AUTO_TEST_CASE(accounts_ids_are_unique_street_wide) {
  TestStreet t;
  auto other = make_key();
  t.ok(t.admin, {RegisterActor{other.public_key(), Role::kBranch, "b2", "b2"}});
  BOOST_TEST(refused_with(t.submit(other, {OpenAccount{"v1", std::nullopt, std::nullopt}}),
                          Status::Code::kAlreadyExists, "already exists (branch b1)"));
}

BOOST_AUTO_TEST_SUITE_END()
