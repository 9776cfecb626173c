// The words and numbers street users read in passbooks and reports: Chinese or English labels,
// dates, hours and points, and the names of the service categories the demo street uses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "passbook/schemas/status.h"

namespace passbook::cli::street {

enum class Lang { kZh, kEn };

// --lang zh|en when given; otherwise Chinese when the locale (LC_ALL, then LC_MESSAGES, then LANG)
// names Chinese, else English.
Result<Lang> pick_lang(const std::optional<std::string>& flag);
Lang lang_from_locale(const char* lc_all, const char* lc_messages, const char* lang);

// One label in the chosen language: tr(lang, "余额", "Balance").
inline std::string tr(Lang lang, std::string_view zh, std::string_view en) {
  return std::string(lang == Lang::kZh ? zh : en);
}

// A service category as people say it: "elder-visit" is 探访老人 or "elder visit". Unknown ids
// are shown as they are.
std::string category_label(std::string_view category, Lang lang);

// YYYYMMDD as 2026-11-22.
std::string day_text(uint32_t day);
// Minutes as hours: "1.5" (the number only), always with at most two decimals.
std::string hours_number(int64_t minutes);
// "1 h 30 min" / "1小时30分".
std::string hours_text(int64_t minutes, Lang lang);
// Points with a thousands separator: 12,345 (negative numbers keep their sign).
std::string points_text(int64_t points);

// Calendar arithmetic on local dates (YYYYMMDD).
std::optional<int64_t> day_number(uint32_t day);  // days since 1970-01-01; nullopt if not a date
uint32_t day_from_number(int64_t days);
uint32_t local_day(int64_t unix_ms, int32_t utc_offset_minutes);
// The last day of the month of `day`.
uint32_t month_end(uint32_t day);
// "2026-11-22 14:03" local time.
std::string local_time_text(int64_t unix_ms, int32_t utc_offset_minutes);

// Text a person typed or a file held, checked before it is printed or stored: valid UTF-8, no
// control characters, at most `max_bytes`.
Status check_plain_text(std::string_view text, size_t max_bytes, std::string_view what);

}  // namespace passbook::cli::street
