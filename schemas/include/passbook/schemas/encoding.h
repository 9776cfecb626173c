// Text forms of bytes (hex, base64), the big-endian fixed-width keys used by storage, so that
// RocksDB's byte order is numeric order, and varints. All byte-level encoding outside the cereal
// archive lives here.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace passbook {

std::string to_hex(std::span<const uint8_t> bytes);
inline std::string to_hex(std::string_view bytes) {
  return to_hex({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
}
// nullopt when s is not an even-length string of hex digits.
std::optional<std::string> from_hex(std::string_view s);

// Standard base64 with padding (RFC 4648 section 4), as C2SP notes use.
std::string to_base64(std::string_view bytes);
std::optional<std::string> from_base64(std::string_view s);

template <size_t N>
std::optional<std::array<uint8_t, N>> array_from_hex(std::string_view s) {
  auto raw = from_hex(s);
  if (!raw || raw->size() != N) return std::nullopt;
  std::array<uint8_t, N> out{};
  for (size_t i = 0; i < N; ++i) out[i] = static_cast<uint8_t>((*raw)[i]);
  return out;
}

template <size_t N>
std::string_view as_chars(const std::array<uint8_t, N>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), N};
}

void put_u64_be(std::string& out, uint64_t value);
void put_u32_be(std::string& out, uint32_t value);
uint64_t get_u64_be(std::string_view in);  // in.size() must be >= 8
uint32_t get_u32_be(std::string_view in);  // in.size() must be >= 4
std::string u64_key(uint64_t value);

// LEB128 varints (7 bits a byte, low bits first, at most 10 bytes), for packed stored rows.
void put_varint(std::string& out, uint64_t value);
// Reads one varint from the front of `in` and drops it from `in`; nullopt (and `in` unchanged)
// when `in` ends inside it, or it is longer than 10 bytes, larger than 64 bits or not in its
// shortest form.
std::optional<uint64_t> get_varint(std::string_view& in);

}  // namespace passbook
