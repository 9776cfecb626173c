#include "dates.h"

#include <cstdio>

namespace passbook::ledger {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days (public domain algorithms).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int64_t days_in_month(int64_t y, int64_t m) {
  static constexpr int64_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

}  // namespace

std::optional<int64_t> day_number(uint32_t yyyymmdd) {
  const int64_t y = yyyymmdd / 10000;
  const int64_t m = (yyyymmdd / 100) % 100;
  const int64_t d = yyyymmdd % 100;
  if (y < 2000 || y > 2199 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) {
    return std::nullopt;
  }
  return days_from_civil(y, m, d);
}

uint32_t day_from_number(int64_t days) {
  const int64_t z = days + 719468;
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

uint32_t local_day(int64_t unix_ms, int32_t utc_offset_minutes) {
  const int64_t local_ms = unix_ms + int64_t{utc_offset_minutes} * 60'000;
  const int64_t ms_per_day = 86'400'000;
  int64_t days = local_ms / ms_per_day;
  if (local_ms % ms_per_day < 0) --days;
  return day_from_number(days);
}

std::string format_day(uint32_t yyyymmdd) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", yyyymmdd / 10000, (yyyymmdd / 100) % 100,
                yyyymmdd % 100);
  return buf;
}

}  // namespace passbook::ledger
