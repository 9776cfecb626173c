#include "workload.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "passbook/schemas/encoding.h"

namespace passbook::bench {

using namespace schemas;

std::string StreetNames::volunteer(uint32_t i) const {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s-v%07u", tag.c_str(), i);
  return buf;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint32_t local_day(int64_t unix_ms, int32_t utc_offset_minutes) {
  constexpr int64_t kDayMs = 86'400'000;
  const int64_t local = unix_ms + int64_t{utc_offset_minutes} * 60'000;
  const int64_t z = (local >= 0 ? local / kDayMs : (local - kDayMs + 1) / kDayMs) + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp + (mp < 10 ? 3 : -9);
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return static_cast<uint32_t>(y * 10000 + m * 100 + d);
}

Result<BenchEnvelope> sign(const LedgerId& ledger, const proof::SigningKey& key, std::vector<Operation> ops,
                           int64_t created_ms) {
  BenchEnvelope out;
  out.envelope.ledger = ledger;
  out.envelope.signer = key.public_key();
  PASSBOOK_RETURN_IF_ERROR(proof::random_bytes(out.envelope.nonce));
  out.envelope.created_ms = created_ms;
  out.envelope.ops = std::move(ops);
  out.ops = static_cast<uint32_t>(out.envelope.ops.size());
  PASSBOOK_ASSIGN_OR_RETURN(out.signed_envelope.envelope, try_encode(out.envelope));
  out.signed_envelope.signature = key.sign(out.signed_envelope.envelope);
  return out;
}

Result<std::vector<BenchEnvelope>> setup_envelopes(const Street& street, const proof::SigningKey& admin,
                                                   const WorkloadOptions& options) {
  const int64_t now = now_ms();
  std::vector<BenchEnvelope> out;
  std::vector<Operation> ops;
  ops.push_back(RegisterActor{street.branch.public_key(), Role::kBranch, street.names.branch(),
                              "benchmark branch " + street.names.tag});
  ops.push_back(RegisterActor{street.merchant.public_key(), Role::kMerchant, street.names.merchant(),
                              "benchmark shop " + street.names.tag});
  // No daily cap: the load must not be refused for hours already credited.
  ops.push_back(SetRule{"", StreetNames::category(), kPointsPerHour, 0});
  PASSBOOK_ASSIGN_OR_RETURN(BenchEnvelope registration, sign(street.ledger, admin, std::move(ops), now));
  out.push_back(std::move(registration));

  ops = {ListReward{StreetNames::reward(), "benchmark item", kRewardPrice, ListReward::kUnlimitedStock, 0,
                    LimitPeriod::kEver}};
  PASSBOOK_ASSIGN_OR_RETURN(BenchEnvelope listing, sign(street.ledger, street.merchant, std::move(ops), now));
  out.push_back(std::move(listing));

  const uint32_t today = local_day(now, street.utc_offset_minutes);
  constexpr uint32_t kPerEnvelope = 100;
  for (uint32_t first = 0; first < options.volunteers; first += kPerEnvelope) {
    const uint32_t end = std::min(options.volunteers, first + kPerEnvelope);
    ops.clear();
    for (uint32_t v = first; v < end; ++v) ops.push_back(OpenAccount{street.names.volunteer(v), std::nullopt, std::nullopt});
    PASSBOOK_ASSIGN_OR_RETURN(BenchEnvelope opening, sign(street.ledger, street.branch, std::move(ops), now));
    out.push_back(std::move(opening));
  }
  // Starting balances, so that redemptions are never refused for want of points.
  for (uint32_t first = 0; first < options.volunteers; first += kPerEnvelope) {
    const uint32_t end = std::min(options.volunteers, first + kPerEnvelope);
    ops.clear();
    for (uint32_t v = first; v < end; ++v) {
      ServiceRecord service{street.names.volunteer(v), StreetNames::category(), 60, today, Hash32{}};
      ops.push_back(Import{service, kStartingPoints, "benchmark starting balance"});
    }
    PASSBOOK_ASSIGN_OR_RETURN(BenchEnvelope import, sign(street.ledger, street.branch, std::move(ops), now));
    out.push_back(std::move(import));
  }
  return out;
}

namespace {

void make_range(const Street& street, const WorkloadOptions& options, uint64_t first, uint64_t count,
                BenchEnvelope* out) {
  std::mt19937_64 rng(options.seed * 0x9E3779B97F4A7C15ULL + first);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const uint32_t hot = std::max<uint32_t>(1, static_cast<uint32_t>(options.volunteers * options.hot_fraction));
  std::uniform_int_distribution<uint32_t> hot_pick(0, hot - 1);
  std::uniform_int_distribution<uint32_t> any_pick(0, options.volunteers - 1);
  std::uniform_int_distribution<int> back_days(0, 29);
  const int64_t now = now_ms();
  for (uint64_t i = 0; i < count; ++i) {
    const bool redemption = unit(rng) < options.redeem_share;
    std::vector<Operation> ops;
    ops.reserve(options.ops_per_envelope);
    for (uint32_t k = 0; k < options.ops_per_envelope; ++k) {
      const uint32_t v = unit(rng) < options.hot_share ? hot_pick(rng) : any_pick(rng);
      const std::string account = street.names.volunteer(v);
      if (redemption) {
        ops.push_back(Redeem{account, StreetNames::reward(), 1});
      } else {
        Hash32 evidence{};
        for (size_t b = 0; b < evidence.size(); b += 8) {
          const uint64_t r = rng();
          for (size_t j = 0; j < 8; ++j) evidence[b + j] = static_cast<uint8_t>(r >> (8 * j));
        }
        const uint32_t day = local_day(now - int64_t{back_days(rng)} * 86'400'000, street.utc_offset_minutes);
        ops.push_back(Credit{ServiceRecord{account, StreetNames::category(), kCreditMinutes, day, evidence}});
      }
    }
    auto signed_envelope = sign(street.ledger, redemption ? street.merchant : street.branch, std::move(ops), now);
    if (!signed_envelope.is_ok()) {
      std::fprintf(stderr, "passbook-bench: cannot sign: %s\n", signed_envelope.status().message().c_str());
      std::abort();
    }
    out[i] = std::move(signed_envelope).value();
    out[i].redemption = redemption;
  }
}

}  // namespace

std::vector<BenchEnvelope> workload_envelopes(const Street& street, const WorkloadOptions& options, uint64_t first,
                                              uint64_t count) {
  std::vector<BenchEnvelope> out(count);
  const unsigned threads = std::max(1u, options.sign_threads);
  const uint64_t per = (count + threads - 1) / threads;
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    const uint64_t begin = std::min(count, per * t);
    const uint64_t end = std::min(count, begin + per);
    if (begin == end) continue;
    workers.emplace_back([&, begin, end] { make_range(street, options, first + begin, end - begin, out.data() + begin); });
  }
  for (auto& w : workers) w.join();
  return out;
}

}  // namespace passbook::bench
