#include "passbook/schemas/wire.h"

namespace passbook::schemas {

std::string text_problem(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7F) {
        return "contains a control character at byte " + std::to_string(i);
      }
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t code_point = 0;
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      code_point = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      code_point = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      code_point = c & 0x07u;
    } else {
      return "is not valid UTF-8 at byte " + std::to_string(i);
    }
    if (i + length > s.size()) return "is not valid UTF-8 at byte " + std::to_string(i);
    for (size_t k = 1; k < length; ++k) {
      const auto continuation = static_cast<unsigned char>(s[i + k]);
      if ((continuation & 0xC0) != 0x80) return "is not valid UTF-8 at byte " + std::to_string(i);
      code_point = (code_point << 6) | (continuation & 0x3Fu);
    }
    const bool overlong = (length == 2 && code_point < 0x80) ||
                          (length == 3 && code_point < 0x800) ||
                          (length == 4 && code_point < 0x10000);
    const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
    if (overlong || surrogate || code_point > 0x10FFFF || (code_point >= 0x80 && code_point < 0xA0)) {
      return "is not valid UTF-8 at byte " + std::to_string(i);
    }
    i += length;
  }
  return {};
}

std::string printable_text(std::string_view s, size_t max_bytes) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    // The longest valid character starting here, if any: try 1..4 bytes.
    size_t length = 0;
    for (size_t n = 1; n <= 4 && i + n <= s.size(); ++n) {
      if (text_problem(s.substr(i, n)).empty()) {
        length = n;
        break;
      }
    }
    const std::string_view piece = length ? s.substr(i, length) : std::string_view("?");
    if (out.size() + piece.size() > max_bytes) break;
    out.append(piece);
    i += length ? length : 1;
  }
  return out;
}

namespace detail {

uint32_t checked_length(WireReader& ar, uint32_t max, const char* name) {
  uint32_t length = 0;
  ar(length);
  if (length > max) {
    throw CodecError(std::string(name) + " claims " + std::to_string(length) +
                     " bytes or elements, over its limit of " + std::to_string(max));
  }
  if (length > ar.remaining()) {
    throw CodecError(std::string(name) + " claims " + std::to_string(length) +
                     " bytes or elements but only " + std::to_string(ar.remaining()) +
                     " bytes follow");
  }
  return length;
}

void check_length_for_save(size_t size, uint32_t max, const char* name) {
  if (size > max) {
    throw CodecError(std::string(name) + " is " + std::to_string(size) +
                     " bytes or elements long, over its limit of " + std::to_string(max));
  }
}

}  // namespace detail

void CEREAL_SAVE_FUNCTION_NAME(WireWriter& ar, const TextField& f) {
  detail::check_length_for_save(f.value.size(), f.max_bytes, f.name);
  if (std::string problem = text_problem(f.value); !problem.empty()) {
    throw CodecError(std::string(f.name) + " " + problem);
  }
  ar(static_cast<uint32_t>(f.value.size()));
  ar.write_bytes(f.value.data(), f.value.size());
}

void CEREAL_LOAD_FUNCTION_NAME(WireReader& ar, TextField& f) {
  const uint32_t length = detail::checked_length(ar, f.max_bytes, f.name);
  f.value.assign(ar.take(length));
  if (std::string problem = text_problem(f.value); !problem.empty()) {
    throw CodecError(std::string(f.name) + " " + problem);
  }
}

void CEREAL_SAVE_FUNCTION_NAME(WireWriter& ar, const BlobField& f) {
  detail::check_length_for_save(f.value.size(), f.max_bytes, f.name);
  ar(static_cast<uint32_t>(f.value.size()));
  ar.write_bytes(f.value.data(), f.value.size());
}

void CEREAL_LOAD_FUNCTION_NAME(WireReader& ar, BlobField& f) {
  const uint32_t length = detail::checked_length(ar, f.max_bytes, f.name);
  f.value.assign(ar.take(length));
}

}  // namespace passbook::schemas
