// The binary encoding of every record and message: a cereal archive pair with a fixed, portable
// layout (see schemas/FORMAT.md):
//   - integers are fixed width, big-endian; bool is one byte, 0 or 1
//   - fixed-size byte arrays (keys, hashes, nonces) are written raw
//   - texts and blobs are u32 length + bytes; texts are UTF-8 without control characters
//   - lists are u32 count + elements; optionals are a u8 flag (0 or 1) + value
// Every variable-size field carries its own limit, written where the field is serialised, and
// the reader checks a length against that limit and against the bytes left before allocating.
// cereal's own std::string / std::vector support is deliberately not used: it allocates
// whatever length the input claims.
#pragma once

#include <array>
#include <bit>
#include <cereal/cereal.hpp>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "passbook/schemas/status.h"

namespace passbook::schemas {

// Thrown only inside the codec; encode/decode below turn it into a Status.
class CodecError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class WireWriter : public cereal::OutputArchive<WireWriter, cereal::AllowEmptyClassElision> {
 public:
  explicit WireWriter(std::string& out)
      : cereal::OutputArchive<WireWriter, cereal::AllowEmptyClassElision>(this), out_(out) {}
  void write_bytes(const void* data, size_t size) {
    out_.append(static_cast<const char*>(data), size);
  }

 private:
  std::string& out_;
};

class WireReader : public cereal::InputArchive<WireReader, cereal::AllowEmptyClassElision> {
 public:
  explicit WireReader(std::string_view in)
      : cereal::InputArchive<WireReader, cereal::AllowEmptyClassElision>(this), in_(in) {}
  void read_bytes(void* data, size_t size) {
    std::memcpy(data, take(size).data(), size);
  }
  std::string_view take(size_t size) {
    if (size > in_.size() - pos_) {
      throw CodecError("the data ends early (" + std::to_string(size) + " more bytes needed at offset " +
                       std::to_string(pos_) + ")");
    }
    std::string_view out = in_.substr(pos_, size);
    pos_ += size;
    return out;
  }
  [[nodiscard]] size_t remaining() const { return in_.size() - pos_; }
  [[nodiscard]] size_t position() const { return pos_; }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

// ---- integers ------------------------------------------------------------------------------

template <class T>
  requires std::is_integral_v<T> && (!std::is_same_v<T, bool>)
void CEREAL_SAVE_FUNCTION_NAME(WireWriter& ar, const T& value) {
  using U = std::make_unsigned_t<T>;
  auto bits = static_cast<U>(value);
  unsigned char buf[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) {
    buf[sizeof(T) - 1 - i] = static_cast<unsigned char>(bits & 0xFFu);
    if constexpr (sizeof(T) > 1) bits = static_cast<U>(bits >> 8);
  }
  ar.write_bytes(buf, sizeof(T));
}

template <class T>
  requires std::is_integral_v<T> && (!std::is_same_v<T, bool>)
void CEREAL_LOAD_FUNCTION_NAME(WireReader& ar, T& value) {
  using U = std::make_unsigned_t<T>;
  std::string_view raw = ar.take(sizeof(T));
  U bits = 0;
  for (char c : raw) {
    if constexpr (sizeof(T) > 1) bits = static_cast<U>(bits << 8);
    bits = static_cast<U>(bits | static_cast<unsigned char>(c));
  }
  value = static_cast<T>(bits);
}

inline void CEREAL_SAVE_FUNCTION_NAME(WireWriter& ar, const bool& value) {
  const unsigned char b = value ? 1 : 0;
  ar.write_bytes(&b, 1);
}

inline void CEREAL_LOAD_FUNCTION_NAME(WireReader& ar, bool& value) {
  unsigned char b = 0;
  ar.read_bytes(&b, 1);
  if (b > 1) throw CodecError("a yes/no field holds " + std::to_string(b) + ", not 0 or 1");
  value = b == 1;
}

// ---- fixed-size byte arrays (keys, hashes, nonces, signatures) -------------------------------

template <size_t N>
void CEREAL_SAVE_FUNCTION_NAME(WireWriter& ar, const std::array<uint8_t, N>& bytes) {
  ar.write_bytes(bytes.data(), N);
}

template <size_t N>
void CEREAL_LOAD_FUNCTION_NAME(WireReader& ar, std::array<uint8_t, N>& bytes) {
  ar.read_bytes(bytes.data(), N);
}

// ---- bounded fields --------------------------------------------------------------------------

// A UTF-8 text of at most max_bytes bytes, without control characters.
struct TextField {
  std::string& value;
  uint32_t max_bytes;
  const char* name;
};
// Arbitrary bytes, at most max_bytes.
struct BlobField {
  std::string& value;
  uint32_t max_bytes;
  const char* name;
};
// A list of at most max_count elements (and at least min_count).
template <class T>
struct ListField {
  std::vector<T>& value;
  uint32_t min_count;
  uint32_t max_count;
  const char* name;
};
// An enum whose valid values are checked on load by is_valid(E), found by ADL.
template <class E>
struct EnumField {
  E& value;
  const char* name;
};
template <class T>
struct OptionalField {
  std::optional<T>& value;
};

inline TextField text(std::string& v, uint32_t max_bytes, const char* name) {
  return {v, max_bytes, name};
}
inline BlobField blob(std::string& v, uint32_t max_bytes, const char* name) {
  return {v, max_bytes, name};
}
template <class T>
ListField<T> list(std::vector<T>& v, uint32_t min_count, uint32_t max_count, const char* name) {
  return {v, min_count, max_count, name};
}
template <class E>
EnumField<E> enumeration(E& v, const char* name) {
  return {v, name};
}
template <class T>
OptionalField<T> optional(std::optional<T>& v) {
  return {v};
}

// Empty when s is well-formed UTF-8 without control characters; else what is wrong with it.
std::string text_problem(std::string_view s);
// s as a valid text field: malformed bytes and control characters become '?', and it is cut at
// a character boundary to at most max_bytes. For messages built from system errors.
std::string printable_text(std::string_view s, size_t max_bytes);

namespace detail {
uint32_t checked_length(WireReader& ar, uint32_t max, const char* name);
void check_length_for_save(size_t size, uint32_t max, const char* name);
}  // namespace detail

void CEREAL_SAVE_FUNCTION_NAME(WireWriter& ar, const TextField& f);
void CEREAL_LOAD_FUNCTION_NAME(WireReader& ar, TextField& f);
void CEREAL_SAVE_FUNCTION_NAME(WireWriter& ar, const BlobField& f);
void CEREAL_LOAD_FUNCTION_NAME(WireReader& ar, BlobField& f);

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(WireWriter& ar, const ListField<T>& f) {
  detail::check_length_for_save(f.value.size(), f.max_count, f.name);
  if (f.value.size() < f.min_count) {
    throw CodecError(std::string(f.name) + " needs at least " + std::to_string(f.min_count) +
                     " element(s)");
  }
  ar(static_cast<uint32_t>(f.value.size()));
  for (auto& element : f.value) ar(element);
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(WireReader& ar, ListField<T>& f) {
  // Every element takes at least one byte, so the count is also bounded by what is left.
  const uint32_t count = detail::checked_length(ar, f.max_count, f.name);
  if (count < f.min_count) {
    throw CodecError(std::string(f.name) + " needs at least " + std::to_string(f.min_count) +
                     " element(s)");
  }
  f.value.clear();
  f.value.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    f.value.emplace_back();
    ar(f.value.back());
  }
}

template <class E>
void CEREAL_SAVE_FUNCTION_NAME(WireWriter& ar, const EnumField<E>& f) {
  ar(static_cast<std::underlying_type_t<E>>(f.value));
}

template <class E>
void CEREAL_LOAD_FUNCTION_NAME(WireReader& ar, EnumField<E>& f) {
  std::underlying_type_t<E> raw{};
  ar(raw);
  const auto candidate = static_cast<E>(raw);
  if (!is_valid(candidate)) {
    throw CodecError(std::string(f.name) + " has the unknown value " + std::to_string(raw));
  }
  f.value = candidate;
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(WireWriter& ar, const OptionalField<T>& f) {
  ar(f.value.has_value());
  if (f.value) ar(*f.value);
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(WireReader& ar, OptionalField<T>& f) {
  bool present = false;
  ar(present);
  if (!present) {
    f.value.reset();
    return;
  }
  f.value.emplace();
  ar(*f.value);
}

// ---- whole records ---------------------------------------------------------------------------

// Encodes a record whose fields may come from a user: a field over its limit or a malformed text
// is an InvalidArgument naming the field.
template <class T>
Result<std::string> try_encode(const T& record) {
  std::string out;
  try {
    WireWriter writer(out);
    writer(const_cast<T&>(record));  // cereal's serialize takes non-const; nothing is modified.
  } catch (const std::exception& e) {
    return invalid_argument(e.what());
  }
  return out;
}

// Decodes exactly one record from untrusted bytes: a short input, a field over its limit, an
// unknown tag or trailing bytes is an InvalidArgument that says what and where.
template <class T>
Result<T> decode(std::string_view bytes, std::string_view what) {
  T record{};
  try {
    WireReader reader(bytes);
    reader(record);
    if (reader.remaining() != 0) {
      return invalid_argument(std::string(what) + " has " + std::to_string(reader.remaining()) +
                              " unexpected bytes after its end");
    }
  } catch (const std::exception& e) {
    return invalid_argument(std::string(what) + " is malformed: " + e.what());
  }
  return record;
}

}  // namespace passbook::schemas

CEREAL_REGISTER_ARCHIVE(passbook::schemas::WireWriter)
CEREAL_REGISTER_ARCHIVE(passbook::schemas::WireReader)
CEREAL_SETUP_ARCHIVE_TRAITS(passbook::schemas::WireReader, passbook::schemas::WireWriter)
