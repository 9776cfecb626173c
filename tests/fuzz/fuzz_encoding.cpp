// Text forms of bytes (schemas/encoding.h), on the whole input:
//   - from_hex accepts exactly the even-length strings of hex digits, and to_hex of the result
//     is the input in lowercase; to_hex of any bytes decodes back to them
//   - from_base64 accepts only canonical padded base64 (to_base64 of the result is the input);
//     to_base64 of any bytes decodes back to them
//   - the big-endian helpers and array_from_hex agree with each other
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "passbook/schemas/encoding.h"

using namespace passbook;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);

  // Hex.
  bool all_hex = s.size() % 2 == 0;
  std::string lower;
  for (char c : s) {
    all_hex = all_hex && std::isxdigit(static_cast<unsigned char>(c)) != 0;
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  const std::optional<std::string> from_hex_s = from_hex(s);
  FUZZ_CHECK(from_hex_s.has_value() == all_hex, "from_hex decided wrongly on " + fuzz::hex_prefix(s));
  if (from_hex_s) {
    FUZZ_CHECK(from_hex_s->size() == s.size() / 2 && to_hex(*from_hex_s) == lower, "hex does not round trip");
  }
  const std::string hex = to_hex(s);
  FUZZ_CHECK(hex.size() == 2 * s.size() && from_hex(hex) == std::string(s), "to_hex does not decode back");
  const auto hash = array_from_hex<32>(s);
  FUZZ_CHECK(hash.has_value() == (all_hex && s.size() == 64), "array_from_hex<32> decided wrongly");
  if (hash) FUZZ_CHECK(to_hex(*hash) == lower, "array_from_hex<32> does not round trip");

  // Base64.
  const std::optional<std::string> from_b64 = from_base64(s);
  if (from_b64) {
    FUZZ_CHECK(to_base64(*from_b64) == s, "from_base64 accepted a non-canonical form: " + fuzz::hex_prefix(s));
  }
  const std::string b64 = to_base64(s);
  FUZZ_CHECK(b64.size() == (s.size() + 2) / 3 * 4 && from_base64(b64) == std::string(s),
             "to_base64 does not decode back");

  // Big-endian integers.
  if (s.size() >= 8) {
    const uint64_t v = get_u64_be(s);
    FUZZ_CHECK(u64_key(v) == s.substr(0, 8), "u64 big-endian does not round trip");
    std::string out;
    put_u32_be(out, get_u32_be(s));
    FUZZ_CHECK(out == s.substr(0, 4) && get_u32_be(s) == static_cast<uint32_t>(v >> 32),
               "u32 big-endian does not round trip");
  }
  return 0;
}
