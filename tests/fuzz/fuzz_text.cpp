// The text rules of the wire format (schemas/wire.h): text_problem must accept exactly
// well-formed UTF-8 (RFC 3629, Unicode table 3-7) without C0 controls, DEL or C1 controls, as
// decided here by an independent table-driven check; printable_text must always return such a
// text within its byte limit, and return a valid text unchanged or cut at a character boundary.
// The first input byte is printable_text's limit; the rest is the text.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "passbook/proof/note.h"
#include "passbook/schemas/wire.h"

using namespace passbook;

namespace {

// The length of the well-formed UTF-8 sequence at s[at] and its code point, or nullopt.
struct Char {
  size_t length;
  uint32_t code_point;
};
std::optional<Char> next_char(std::string_view s, size_t at) {
  const auto b = [&](size_t i) { return static_cast<uint8_t>(s[at + i]); };
  const size_t left = s.size() - at;
  const uint8_t b0 = b(0);
  if (b0 <= 0x7F) return Char{1, b0};
  // Table 3-7: lead byte, the range of the second byte, the number of bytes.
  uint8_t lo = 0x80;
  uint8_t hi = 0xBF;
  size_t length = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 == 0xE0) {
    length = 3, lo = 0xA0;
  } else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
    length = 3;
  } else if (b0 == 0xED) {
    length = 3, hi = 0x9F;
  } else if (b0 == 0xF0) {
    length = 4, lo = 0x90;
  } else if (b0 >= 0xF1 && b0 <= 0xF3) {
    length = 4;
  } else if (b0 == 0xF4) {
    length = 4, hi = 0x8F;
  } else {
    return std::nullopt;
  }
  if (left < length || b(1) < lo || b(1) > hi) return std::nullopt;
  uint32_t cp = b0 & (length == 2 ? 0x1Fu : length == 3 ? 0x0Fu : 0x07u);
  for (size_t i = 1; i < length; ++i) {
    if (b(i) < 0x80 || b(i) > 0xBF) return std::nullopt;
    cp = (cp << 6) | (b(i) & 0x3Fu);
  }
  return Char{length, cp};
}

bool is_control(uint32_t cp) { return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0); }

bool well_formed(std::string_view s) {
  for (size_t at = 0; at < s.size();) {
    auto c = next_char(s, at);
    if (!c) return false;
    at += c->length;
  }
  return true;
}

bool valid_text(std::string_view s) {
  for (size_t at = 0; at < s.size();) {
    auto c = next_char(s, at);
    if (!c || is_control(c->code_point)) return false;
    at += c->length;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t max_bytes = data[0];
  const std::string_view s(reinterpret_cast<const char*>(data) + 1, size - 1);

  const bool valid = valid_text(s);
  const std::string problem = schemas::text_problem(s);
  FUZZ_CHECK(problem.empty() == valid, "text_problem says \"" + problem + "\" of " + fuzz::hex_prefix(s) +
                                           " but the reference says " + (valid ? "valid" : "invalid"));

  const std::string out = schemas::printable_text(s, max_bytes);
  FUZZ_CHECK(out.size() <= max_bytes, "printable_text is over its limit");
  FUZZ_CHECK(schemas::text_problem(out).empty() && valid_text(out),
             "printable_text returned text that is not valid: " + fuzz::hex_prefix(out));
  if (valid) {
    // Unchanged, or cut at the last character boundary within the limit.
    FUZZ_CHECK(s.starts_with(out), "printable_text changed a valid text");
    if (out.size() < s.size()) {
      const auto next = next_char(s, out.size());
      FUZZ_CHECK(next && out.size() + next->length > max_bytes,
                 "printable_text cut a valid text short of its limit");
    }
  }

  // Key names of signed notes are well-formed UTF-8 at least (their other rules differ).
  if (proof::is_valid_note_key_name(s)) {
    FUZZ_CHECK(!s.empty() && well_formed(s), "a key name that is not UTF-8 is called valid");
  }
  return 0;
}
