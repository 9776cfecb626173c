#include "street_text.h"

#include <cstdio>
#include <cstdlib>

namespace passbook::cli::street {
namespace {

bool names_chinese(const char* value) {
  if (value == nullptr) return false;
  const std::string_view v(value);
  return v.size() >= 2 && (v[0] == 'z' || v[0] == 'Z') && (v[1] == 'h' || v[1] == 'H');
}

bool set(const char* value) {
  return value != nullptr && *value != '\0';
}

struct CategoryName {
  std::string_view id;
  std::string_view zh;
  std::string_view en;
};
// The categories of the savings rules (储蓄细则) the source documents describe.
constexpr CategoryName kCategoryNames[] = {
    {"property-services", "物业服务", "property services"},
    {"elder-visit", "探访老人", "elder visit"},
    {"garbage-sorting", "垃圾分类", "garbage sorting"},
    {"patrol", "治安巡逻", "patrol"},
    {"mediation", "纠纷调解", "mediation"},
    {"tutoring", "课业辅导", "tutoring"},
    {"haircut", "上门理发", "haircut at home"},
    {"health-check", "健康义诊", "health check"},
    {"building-cleanup", "楼道清洁", "stairwell clean-up"},
    {"flood-watch", "防汛值守", "flood watch"},
};

}  // namespace

Lang lang_from_locale(const char* lc_all, const char* lc_messages, const char* lang) {
  // POSIX precedence: the first one that is set decides.
  if (set(lc_all)) return names_chinese(lc_all) ? Lang::kZh : Lang::kEn;
  if (set(lc_messages)) return names_chinese(lc_messages) ? Lang::kZh : Lang::kEn;
  if (set(lang)) return names_chinese(lang) ? Lang::kZh : Lang::kEn;
  return Lang::kEn;
}

Result<Lang> pick_lang(const std::optional<std::string>& flag) {
  if (flag) {
    if (*flag == "zh") return Lang::kZh;
    if (*flag == "en") return Lang::kEn;
    return invalid_argument("--lang must be zh or en, not \"" + *flag + "\"");
  }
  return lang_from_locale(std::getenv("LC_ALL"), std::getenv("LC_MESSAGES"), std::getenv("LANG"));
}

std::string category_label(std::string_view category, Lang lang) {
  for (const auto& c : kCategoryNames) {
    if (c.id == category) return std::string(lang == Lang::kZh ? c.zh : c.en);
  }
  return std::string(category);
}

std::string day_text(uint32_t day) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", day / 10000 % 10000, (day / 100) % 100,
                day % 100);
  return buf;
}

std::string hours_number(int64_t minutes) {
  const bool negative = minutes < 0;
  const uint64_t m =
      negative ? static_cast<uint64_t>(-(minutes + 1)) + 1 : static_cast<uint64_t>(minutes);
  const uint64_t whole = m / 60;
  const uint64_t hundredths = ((m % 60) * 100 + 30) / 60;  // rounded to 0.01 h
  std::string out = negative ? "-" : "";
  out += std::to_string(whole + hundredths / 100);
  const uint64_t frac = hundredths % 100;
  if (frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%02u", static_cast<unsigned>(frac));
    std::string f = buf;
    if (f.back() == '0') f.pop_back();
    out += f;
  }
  return out;
}

std::string hours_text(int64_t minutes, Lang lang) {
  const int64_t h = minutes / 60;
  const int64_t m = minutes % 60;
  if (lang == Lang::kZh) {
    if (m == 0) return std::to_string(h) + "小时";
    if (h == 0) return std::to_string(m) + "分钟";
    return std::to_string(h) + "小时" + std::to_string(m) + "分";
  }
  if (m == 0) return std::to_string(h) + " h";
  if (h == 0) return std::to_string(m) + " min";
  return std::to_string(h) + " h " + std::to_string(m) + " min";
}

std::string points_text(int64_t points) {
  const bool negative = points < 0;
  std::string digits = std::to_string(points);
  if (negative) digits.erase(0, 1);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return negative ? "-" + out : out;
}

// days_from_civil and civil_from_days (Howard Hinnant's algorithms).
std::optional<int64_t> day_number(uint32_t day) {
  const int64_t y0 = day / 10000;
  const int64_t m = (day / 100) % 100;
  const int64_t d = day % 100;
  if (y0 < 1900 || y0 > 2999 || m < 1 || m > 12 || d < 1) return std::nullopt;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y0 % 4 == 0 && y0 % 100 != 0) || y0 % 400 == 0;
  if (d > kDays[m - 1] + (m == 2 && leap ? 1 : 0)) return std::nullopt;
  const int64_t y = y0 - (m <= 2 ? 1 : 0);
  const int64_t era = y / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
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
  const int64_t local_s = unix_ms / 1000 + int64_t{utc_offset_minutes} * 60;
  int64_t days = local_s / 86400;
  if (local_s % 86400 < 0) --days;
  return day_from_number(days);
}

uint32_t month_end(uint32_t day) {
  const uint32_t first_next =
      (day / 100 % 100 == 12) ? (day / 10000 + 1) * 10000 + 101 : (day / 100 + 1) * 100 + 1;
  return day_from_number(*day_number(first_next) - 1);
}

std::string local_time_text(int64_t unix_ms, int32_t utc_offset_minutes) {
  const int64_t local_s = unix_ms / 1000 + int64_t{utc_offset_minutes} * 60;
  int64_t seconds = local_s % 86400;
  if (seconds < 0) seconds += 86400;
  char buf[16];
  std::snprintf(buf, sizeof buf, " %02d:%02d", static_cast<int>(seconds / 3600),
                static_cast<int>(seconds / 60 % 60));
  return day_text(local_day(unix_ms, utc_offset_minutes)) + buf;
}

Status check_plain_text(std::string_view text, size_t max_bytes, std::string_view what) {
  if (text.size() > max_bytes) {
    return invalid_argument(std::string(what) + " is longer than " + std::to_string(max_bytes) +
                            " bytes");
  }
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      length = 1;
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      length = 2;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      cp = c & 0x07u;
    } else {
      return invalid_argument(std::string(what) + " is not valid UTF-8");
    }
    if (i + length > text.size())
      return invalid_argument(std::string(what) + " is not valid UTF-8");
    for (size_t k = 1; k < length; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return invalid_argument(std::string(what) + " is not valid UTF-8");
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    const bool overlong =
        (length == 2 && cp < 0x80) || (length == 3 && cp < 0x800) || (length == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return invalid_argument(std::string(what) + " is not valid UTF-8");
    }
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0x2028 || cp == 0x2029) {
      return invalid_argument(std::string(what) + " contains a control character");
    }
    i += length;
  }
  return Status::ok();
}

}  // namespace passbook::cli::street
