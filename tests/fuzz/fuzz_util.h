// Shared by every fuzz target (issue 7): the property check that aborts, a reader that takes
// typed values from the fuzzer's bytes, and the decode / encode round trip that every record and
// message must pass.
//
// Each target defines LLVMFuzzerTestOneInput. With clang and PASSBOOK_FUZZ it is a libFuzzer
// target; otherwise replay_main.cpp supplies main() and the same code replays the seed corpus
// and the regression inputs under CTest, in every build.
#pragma once

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "passbook/schemas/encoding.h"
#include "passbook/schemas/wire.h"

namespace passbook::fuzz {

// A property the code under test must keep. A violation is a finding: print it and abort, so
// that libFuzzer (or the replay test) reports the input.
[[noreturn]] inline void fail(const char* file, int line, const char* expr, const std::string& why) {
  std::fprintf(stderr, "%s:%d: fuzz property violated: %s\n  %s\n", file, line, expr, why.c_str());
  std::fflush(stderr);
  std::abort();
}

#define FUZZ_CHECK(cond, why)                                             \
  do {                                                                    \
    if (!(cond)) ::passbook::fuzz::fail(__FILE__, __LINE__, #cond, (why)); \
  } while (false)

// Takes typed values off the front of the input; once it runs out every value is zero or empty.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : in_(reinterpret_cast<const char*>(data), size) {}
  explicit Bytes(std::string_view in) : in_(in) {}

  uint8_t u8() { return static_cast<uint8_t>(in_.empty() ? 0 : take(1)[0]); }
  uint16_t u16() { return static_cast<uint16_t>(uint_be(2)); }
  uint32_t u32() { return static_cast<uint32_t>(uint_be(4)); }
  uint64_t u64() { return uint_be(8); }
  bool boolean() { return (u8() & 1) != 0; }
  // Exactly n bytes, zero-padded when the input runs out.
  std::string fixed(size_t n) {
    std::string out(take(n));
    out.resize(n, '\0');
    return out;
  }
  template <size_t N>
  std::array<uint8_t, N> array() {
    std::array<uint8_t, N> out{};
    const std::string raw = fixed(N);
    for (size_t i = 0; i < N; ++i) out[i] = static_cast<uint8_t>(raw[i]);
    return out;
  }
  std::string_view take(size_t n) {
    n = std::min(n, in_.size());
    std::string_view out = in_.substr(0, n);
    in_.remove_prefix(n);
    return out;
  }
  std::string_view rest() { return take(in_.size()); }
  [[nodiscard]] size_t left() const { return in_.size(); }
  [[nodiscard]] bool empty() const { return in_.empty(); }

 private:
  uint64_t uint_be(size_t n) {
    uint64_t value = 0;
    for (char c : fixed(n)) value = (value << 8) | static_cast<uint8_t>(c);
    return value;
  }
  std::string_view in_;
};

inline std::string hex_prefix(std::string_view bytes, size_t max = 64) {
  std::string out = to_hex(bytes.substr(0, std::min(bytes.size(), max)));
  if (bytes.size() > max) out += "...";
  return out;
}

// Decodes `bytes` as a T. When that succeeds, the value must encode again, to exactly the same
// bytes (the format has one encoding per value: the entry hash and every signature are over
// stored bytes), and those bytes must decode to an equal value. Returns the value, or nullopt
// when the bytes are refused (which is fine: refusing is the decoder's job).
template <class T>
std::optional<T> roundtrip(std::string_view bytes, const char* what) {
  Result<T> decoded = schemas::decode<T>(bytes, what);
  // PASSBOOK_FUZZ_TRACE=1: say what each input decoded to (to check that seeds are valid).
  static const bool trace = std::getenv("PASSBOOK_FUZZ_TRACE") != nullptr;
  if (trace) {
    std::fprintf(stderr, "  %s: %s\n", what, decoded.is_ok() ? "decoded" : decoded.status().message().c_str());
  }
  if (!decoded.is_ok()) {
    FUZZ_CHECK(decoded.status().code() == Status::Code::kInvalidArgument,
               std::string(what) + ": a refused input must be InvalidArgument, got " +
                   decoded.status().to_string());
    return std::nullopt;
  }
  Result<std::string> encoded = schemas::try_encode(*decoded);
  FUZZ_CHECK(encoded.is_ok(), std::string(what) + " decoded but does not encode again: " +
                                  encoded.status().to_string());
  FUZZ_CHECK(*encoded == bytes, std::string(what) + " encodes to other bytes than it was decoded from: in " +
                                    hex_prefix(bytes) + " out " + hex_prefix(*encoded));
  Result<T> again = schemas::decode<T>(*encoded, what);
  FUZZ_CHECK(again.is_ok(), std::string(what) + " re-encoded does not decode: " + again.status().to_string());
  if constexpr (std::equality_comparable<T>) {
    FUZZ_CHECK(*again == *decoded, std::string(what) + " decodes to a different value the second time");
  }
  return std::move(decoded).value();
}

}  // namespace passbook::fuzz
