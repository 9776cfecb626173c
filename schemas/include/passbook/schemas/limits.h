// Every size limit of the formats, in one place. Decoders check against these before they
// allocate; FORMAT.md lists the same numbers.
#pragma once

#include <cstdint>

namespace passbook::limits {

inline constexpr uint32_t kIdBytes = 64;         // account, branch, merchant, reward, category ids
inline constexpr uint32_t kNameBytes = 128;      // display names of actors and rewards
inline constexpr uint32_t kReasonBytes = 256;    // reasons, paper references, settlement refs
inline constexpr uint32_t kOriginBytes = 128;    // checkpoint origin line
inline constexpr uint32_t kMessageBytes = 1024;  // an error message
inline constexpr uint32_t kVerifierKeyBytes = 512;  // <origin>+<key id>+<base64 key>
inline constexpr uint32_t kOpsPerEnvelope = 1000;
inline constexpr uint32_t kEnvelopeBytes = 256 * 1024;
inline constexpr uint32_t kCosignatures = 4;
// An entry is an envelope plus a fixed header and its signatures (505 bytes at most today).
inline constexpr uint32_t kEntryBytes = kEnvelopeBytes + 1024;

inline constexpr uint32_t kMinutesPerOperation = 24 * 60;  // one day of service at most
inline constexpr uint32_t kImportMinutes = 31 * 24 * 60;     // a paper line may sum up a month
inline constexpr uint32_t kQuantityPerRedemption = 1000;
// Points and stock stay far from int64 overflow; sums are checked as well.
inline constexpr int64_t kPointsPerOperation = 1'000'000'000;
inline constexpr int64_t kStockPerReward = 1'000'000'000;
inline constexpr uint32_t kPointsPerHour = 1'000'000;

}  // namespace passbook::limits
