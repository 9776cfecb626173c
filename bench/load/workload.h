// The benchmark street and its workload: one branch that credits service, one merchant that
// redeems, N volunteer accounts with a hot set, and envelopes of K operations signed before the
// clock starts. Every driver (passbookd, PostgreSQL, fill) uses the same envelopes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "passbook/proof/crypto.h"
#include "passbook/schemas/records.h"

namespace passbook::bench {

struct WorkloadOptions {
  uint32_t volunteers = 10'000;
  double hot_fraction = 0.01;  // share of the volunteers that are hot
  double hot_share = 0.5;      // share of the operations that go to a hot volunteer
  double redeem_share = 0.2;   // share of the envelopes that are redemptions (merchant-signed)
  uint32_t ops_per_envelope = 1;
  uint64_t seed = 1;
  unsigned sign_threads = 2;
};

// Names of one benchmark street. `tag` keeps several runs apart on one ledger.
struct StreetNames {
  std::string tag;
  [[nodiscard]] std::string branch() const { return std::string("bench-branch-").append(tag); }
  [[nodiscard]] std::string merchant() const { return std::string("bench-shop-").append(tag); }
  [[nodiscard]] static std::string reward() { return "bench-item"; }
  [[nodiscard]] static std::string category() { return "bench-service"; }
  [[nodiscard]] std::string volunteer(uint32_t i) const;
};

inline constexpr uint32_t kCreditMinutes = 60;
inline constexpr uint32_t kPointsPerHour = 10;  // a credit earns 10 points
inline constexpr int64_t kRewardPrice = 1;      // a redemption costs 1 point
inline constexpr int64_t kStartingPoints = 1'000'000;  // imported per volunteer in setup

struct Street {
  StreetNames names;
  LedgerId ledger{};
  int32_t utc_offset_minutes = 480;
  proof::SigningKey branch;
  proof::SigningKey merchant;
};

// A signed envelope ready to send, and what it holds.
struct BenchEnvelope {
  schemas::SignedEnvelope signed_envelope;
  schemas::Envelope envelope;  // decoded form (the fill mode skips decoding it again)
  bool redemption = false;
  uint32_t ops = 0;
};

// Local YYYYMMDD of an instant.
uint32_t local_day(int64_t unix_ms, int32_t utc_offset_minutes);
int64_t now_ms();

// Encodes and signs one envelope (fresh random nonce).
Result<BenchEnvelope> sign(const LedgerId& ledger, const proof::SigningKey& key,
                           std::vector<schemas::Operation> ops, int64_t created_ms);

// The setup envelopes of a street: admin's registrations and rule, the merchant's reward, the
// branch's accounts and starting balances (imports). In the order they must be committed.
Result<std::vector<BenchEnvelope>> setup_envelopes(const Street& street, const proof::SigningKey& admin,
                                                   const WorkloadOptions& options);

// `count` workload envelopes, signed on options.sign_threads threads. `first` numbers them so
// that two calls never draw the same random stream.
std::vector<BenchEnvelope> workload_envelopes(const Street& street, const WorkloadOptions& options,
                                              uint64_t first, uint64_t count);

}  // namespace passbook::bench
