// Calendar arithmetic for service days (YYYYMMDD) and the ledger's local time. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace passbook::ledger {

// Days since 1970-01-01 of a YYYYMMDD day; nullopt when it is not a real date in 2000..2199.
std::optional<int64_t> day_number(uint32_t yyyymmdd);
// The YYYYMMDD of a day number.
uint32_t day_from_number(int64_t days);
// The local YYYYMMDD of a Unix-milliseconds instant at a fixed UTC offset.
uint32_t local_day(int64_t unix_ms, int32_t utc_offset_minutes);
// "2026-11-22"
std::string format_day(uint32_t yyyymmdd);

}  // namespace passbook::ledger
