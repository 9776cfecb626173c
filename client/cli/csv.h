// RFC 4180 CSV: a writer that quotes what needs quoting, and a strict, bounded reader that says
// which line is wrong. Lines end in CRLF on output (as the RFC says); the reader takes CRLF or LF
// and skips a UTF-8 byte order mark (spreadsheets often write one).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "passbook/schemas/status.h"

namespace passbook::cli::csv {

// One field, quoted when it holds a comma, a quote, CR, LF or leading/trailing spaces.
std::string field(std::string_view value);
// A whole record with its CRLF.
std::string row(const std::vector<std::string>& fields);

struct Record {
  size_t line = 0;  // the line of the file where the record starts, from 1
  std::vector<std::string> fields;
};

struct Limits {
  size_t max_bytes = 4 * 1024 * 1024;
  size_t max_records = 20'000;
  size_t max_fields = 32;
  size_t max_field_bytes = 4096;
};

// Parses every record; refuses the whole text (InvalidArgument naming the line) on the first
// malformed one or on any limit. Empty lines are skipped.
Result<std::vector<Record>> parse(std::string_view text, const Limits& limits = {});

}  // namespace passbook::cli::csv
