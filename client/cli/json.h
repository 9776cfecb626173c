// A small JSON (RFC 8259) writer and a strict, bounded reader for the auditor commands (export,
// prove, check-proof). Only what those need: objects, arrays, strings and unsigned integers on
// the way out; any JSON on the way in, refused when it is not exactly RFC 8259 or is over the
// limits, before anything large is allocated.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "passbook/schemas/status.h"

namespace passbook::cli::json {

// ---- writing -------------------------------------------------------------------------------

// `text` as a JSON string literal, quotes included. Control characters, '"' and '\' are
// escaped; every other byte is copied, so `text` must be UTF-8 for the output to be JSON.
std::string quote(std::string_view text);

// Builds one JSON object, fields in the order they are added. Compact (one line, as JSON lines
// need) or pretty (two-space indent, one array element per line).
class ObjectWriter {
 public:
  explicit ObjectWriter(bool pretty = false) : pretty_(pretty) {}
  ObjectWriter& string(std::string_view key, std::string_view value);
  ObjectWriter& number(std::string_view key, uint64_t value);
  ObjectWriter& strings(std::string_view key, const std::vector<std::string>& values);
  // `json` must be a complete JSON value (e.g. another ObjectWriter's finish()).
  ObjectWriter& raw(std::string_view key, std::string_view json);
  // The object text, without a trailing newline.
  [[nodiscard]] std::string finish() const;

 private:
  void open_field(std::string_view key);
  bool pretty_;
  std::string body_;
};

// ---- reading -------------------------------------------------------------------------------

struct Limits {
  size_t max_bytes = 16 * 1024 * 1024;  // the whole text
  size_t max_depth = 16;                // nested arrays and objects
  size_t max_values = 4096;             // values of any kind, containers included
};

struct Member;

struct Value {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // a string's decoded UTF-8, or a number's literal as written
  std::vector<Value> array;
  std::vector<Member> object;  // in the order written; keys are unique

  // The member named `key`, or nullptr.
  [[nodiscard]] const Value* find(std::string_view key) const;
};

struct Member {
  std::string key;
  Value value;
};

// Parses exactly one JSON value, with optional whitespace around it. InvalidArgument, naming
// the byte offset, for anything RFC 8259 does not allow (including invalid UTF-8, lone
// surrogates, control characters in strings and leading zeros), for duplicate keys in an
// object, and for input over the limits.
Result<Value> parse(std::string_view text, const Limits& limits = {});

// A number that is a whole number in [0, 2^64): InvalidArgument naming `what` otherwise.
Result<uint64_t> to_u64(const Value& value, std::string_view what);

// Short name of a kind for messages: "a string", "an object", ...
std::string_view kind_name(Value::Kind kind);

}  // namespace passbook::cli::json
