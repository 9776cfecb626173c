// One line per notable event, to standard error: time, level, message. Thread safe.
#pragma once

#include <string_view>

namespace passbook::server {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

void set_log_level(LogLevel minimum);
void log(LogLevel level, std::string_view message);

}  // namespace passbook::server
