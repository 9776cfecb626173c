#include "json.h"

#include <charconv>

namespace passbook::cli::json {

// ---- writing -------------------------------------------------------------------------------

std::string quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (byte < 0x20 || byte == 0x7F) {
          out += "\\u00";
          out.push_back(kHex[byte >> 4]);
          out.push_back(kHex[byte & 0x0F]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

void ObjectWriter::open_field(std::string_view key) {
  if (!body_.empty()) body_ += pretty_ ? ",\n" : ",";
  if (pretty_) body_ += "  ";
  body_ += quote(key);
  body_ += pretty_ ? ": " : ":";
}

ObjectWriter& ObjectWriter::string(std::string_view key, std::string_view value) {
  open_field(key);
  body_ += quote(value);
  return *this;
}

ObjectWriter& ObjectWriter::number(std::string_view key, uint64_t value) {
  open_field(key);
  body_ += std::to_string(value);
  return *this;
}

ObjectWriter& ObjectWriter::strings(std::string_view key, const std::vector<std::string>& values) {
  open_field(key);
  if (values.empty()) {
    body_ += "[]";
    return *this;
  }
  body_ += "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) body_ += ",";
    if (pretty_) body_ += "\n    ";
    body_ += quote(values[i]);
  }
  body_ += pretty_ ? "\n  ]" : "]";
  return *this;
}

ObjectWriter& ObjectWriter::raw(std::string_view key, std::string_view json) {
  open_field(key);
  body_ += json;
  return *this;
}

std::string ObjectWriter::finish() const {
  if (body_.empty()) return "{}";
  return pretty_ ? "{\n" + body_ + "\n}" : "{" + body_ + "}";
}

// ---- reading -------------------------------------------------------------------------------

const Value* Value::find(std::string_view key) const {
  for (const auto& member : object) {
    if (member.key == key) return &member.value;
  }
  return nullptr;
}

std::string_view kind_name(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::kNull:
      return "null";
    case Value::Kind::kBool:
      return "a boolean";
    case Value::Kind::kNumber:
      return "a number";
    case Value::Kind::kString:
      return "a string";
    case Value::Kind::kArray:
      return "an array";
    case Value::Kind::kObject:
      return "an object";
  }
  return "a value";
}

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Parser {
 public:
  Parser(std::string_view text, const Limits& limits) : text_(text), limits_(limits) {}

  Result<Value> parse_document() {
    if (text_.size() > limits_.max_bytes) {
      return invalid_argument("the JSON text is larger than " + std::to_string(limits_.max_bytes) +
                              " bytes");
    }
    skip_whitespace();
    Value value;
    PASSBOOK_RETURN_IF_ERROR(parse_value(value, 0));
    skip_whitespace();
    if (pos_ != text_.size()) return error("unexpected text after the JSON value");
    return value;
  }

 private:
  Status error(const std::string& what) const {
    return invalid_argument("malformed JSON at byte " + std::to_string(pos_) + ": " + what);
  }

  void skip_whitespace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool consume(std::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) return false;
    pos_ += literal.size();
    return true;
  }

  Status count_value() {
    if (++values_ > limits_.max_values) {
      return invalid_argument("the JSON text has more than " + std::to_string(limits_.max_values) +
                              " values");
    }
    return Status::ok();
  }

  Status parse_value(Value& out, size_t depth) {
    PASSBOOK_RETURN_IF_ERROR(count_value());
    if (pos_ >= text_.size()) return error("the text ends where a value should be");
    const char c = text_[pos_];
    if (c == '{' || c == '[') {
      if (depth >= limits_.max_depth) {
        return error("arrays and objects are nested more than " +
                     std::to_string(limits_.max_depth) + " deep");
      }
      return c == '{' ? parse_object(out, depth + 1) : parse_array(out, depth + 1);
    }
    if (c == '"') {
      out.kind = Value::Kind::kString;
      return parse_string(out.text);
    }
    if (c == '-' || is_digit(c)) return parse_number(out);
    if (consume("true")) {
      out.kind = Value::Kind::kBool;
      out.boolean = true;
      return Status::ok();
    }
    if (consume("false")) {
      out.kind = Value::Kind::kBool;
      return Status::ok();
    }
    if (consume("null")) {
      out.kind = Value::Kind::kNull;
      return Status::ok();
    }
    return error("expected a value");
  }

  Status parse_object(Value& out, size_t depth) {
    out.kind = Value::Kind::kObject;
    ++pos_;  // '{'
    skip_whitespace();
    if (consume("}")) return Status::ok();
    while (true) {
      skip_whitespace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return error("expected a key in quotes");
      Member member;
      PASSBOOK_RETURN_IF_ERROR(parse_string(member.key));
      if (out.find(member.key) != nullptr) {
        return error("the key " + quote(member.key) + " appears twice");
      }
      skip_whitespace();
      if (!consume(":")) return error("expected ':' after a key");
      skip_whitespace();
      PASSBOOK_RETURN_IF_ERROR(parse_value(member.value, depth));
      out.object.push_back(std::move(member));
      skip_whitespace();
      if (consume("}")) return Status::ok();
      if (!consume(",")) return error("expected ',' or '}' in an object");
    }
  }

  Status parse_array(Value& out, size_t depth) {
    out.kind = Value::Kind::kArray;
    ++pos_;  // '['
    skip_whitespace();
    if (consume("]")) return Status::ok();
    while (true) {
      skip_whitespace();
      Value element;
      PASSBOOK_RETURN_IF_ERROR(parse_value(element, depth));
      out.array.push_back(std::move(element));
      skip_whitespace();
      if (consume("]")) return Status::ok();
      if (!consume(",")) return error("expected ',' or ']' in an array");
    }
  }

  // RFC 8259 section 6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  Status parse_number(Value& out) {
    const size_t start = pos_;
    const auto digits = [&] {
      const size_t from = pos_;
      while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
      return pos_ - from;
    };
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '0') {
      ++pos_;
      if (pos_ < text_.size() && is_digit(text_[pos_])) return error("a number has a leading zero");
    } else if (digits() == 0) {
      return error("a number has no digits");
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) return error("a number has no digits after its decimal point");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (digits() == 0) return error("a number has no digits in its exponent");
    }
    out.kind = Value::Kind::kNumber;
    out.text = std::string(text_.substr(start, pos_ - start));
    return Status::ok();
  }

  Status parse_hex4(char32_t& out) {
    if (text_.size() - pos_ < 4) return error("a \\u escape is cut short");
    out = 0;
    for (size_t i = 0; i < 4; ++i) {
      const int v = hex_value(text_[pos_ + i]);
      if (v < 0) return error("a \\u escape has a character that is not a hex digit");
      out = (out << 4) | static_cast<char32_t>(v);
    }
    pos_ += 4;
    return Status::ok();
  }

  Status parse_escape(std::string& out) {
    if (pos_ >= text_.size()) return error("the text ends inside an escape");
    const char c = text_[pos_++];
    switch (c) {
      case '"':
        out.push_back('"');
        return Status::ok();
      case '\\':
        out.push_back('\\');
        return Status::ok();
      case '/':
        out.push_back('/');
        return Status::ok();
      case 'b':
        out.push_back('\b');
        return Status::ok();
      case 'f':
        out.push_back('\f');
        return Status::ok();
      case 'n':
        out.push_back('\n');
        return Status::ok();
      case 'r':
        out.push_back('\r');
        return Status::ok();
      case 't':
        out.push_back('\t');
        return Status::ok();
      case 'u':
        break;
      default:
        --pos_;
        return error("unknown escape");
    }
    char32_t cp = 0;
    PASSBOOK_RETURN_IF_ERROR(parse_hex4(cp));
    if (cp >= 0xDC00 && cp <= 0xDFFF) return error("a \\u escape is a lone low surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (!consume("\\u")) return error("a high surrogate is not followed by a low one");
      char32_t low = 0;
      PASSBOOK_RETURN_IF_ERROR(parse_hex4(low));
      if (low < 0xDC00 || low > 0xDFFF)
        return error("a high surrogate is not followed by a low one");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(out, cp);
    return Status::ok();
  }

  // Copies one UTF-8 sequence starting at pos_, refusing what RFC 3629 forbids.
  Status copy_utf8(std::string& out) {
    const auto byte = [&](size_t i) { return static_cast<uint8_t>(text_[pos_ + i]); };
    const uint8_t b0 = byte(0);
    size_t length = 0;
    uint8_t low = 0x80;
    uint8_t high = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      length = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      length = 3;
      if (b0 == 0xE0) low = 0xA0;   // overlong
      if (b0 == 0xED) high = 0x9F;  // surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      length = 4;
      if (b0 == 0xF0) low = 0x90;   // overlong
      if (b0 == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
      return error("a string is not valid UTF-8");
    }
    if (text_.size() - pos_ < length) return error("a string is not valid UTF-8");
    if (byte(1) < low || byte(1) > high) return error("a string is not valid UTF-8");
    for (size_t i = 2; i < length; ++i) {
      if ((byte(i) & 0xC0) != 0x80) return error("a string is not valid UTF-8");
    }
    out.append(text_.substr(pos_, length));
    pos_ += length;
    return Status::ok();
  }

  Status parse_string(std::string& out) {
    ++pos_;  // '"'
    while (true) {
      if (pos_ >= text_.size()) return error("a string is not closed");
      const char c = text_[pos_];
      const auto byte = static_cast<uint8_t>(c);
      if (c == '"') {
        ++pos_;
        return Status::ok();
      }
      if (c == '\\') {
        ++pos_;
        PASSBOOK_RETURN_IF_ERROR(parse_escape(out));
      } else if (byte < 0x20) {
        return error("a string contains a control character; it must be escaped");
      } else if (byte < 0x80) {
        out.push_back(c);
        ++pos_;
      } else {
        PASSBOOK_RETURN_IF_ERROR(copy_utf8(out));
      }
    }
  }

  std::string_view text_;
  const Limits& limits_;
  size_t pos_ = 0;
  size_t values_ = 0;
};

}  // namespace

Result<Value> parse(std::string_view text, const Limits& limits) {
  return Parser(text, limits).parse_document();
}

Result<uint64_t> to_u64(const Value& value, std::string_view what) {
  const std::string name(what);
  if (value.kind != Value::Kind::kNumber) {
    return invalid_argument(name + " must be a number, not " + std::string(kind_name(value.kind)));
  }
  uint64_t out = 0;
  const std::string& t = value.text;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  if (t.empty() || t[0] == '-' || ec != std::errc() || ptr != t.data() + t.size()) {
    return invalid_argument(name + " must be a whole number from 0 to 2^64 - 1, not " + t);
  }
  return out;
}

}  // namespace passbook::cli::json
