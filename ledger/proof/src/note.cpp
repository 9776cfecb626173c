#include "passbook/proof/note.h"

#include <cassert>
#include <charconv>
#include <optional>

#include "passbook/schemas/encoding.h"
#include "passbook/schemas/limits.h"

namespace passbook::proof {
namespace {

// The signature type byte the signed-note spec assigns to Ed25519.
constexpr uint8_t kEd25519Type = 0x01;
// U+2014 EM DASH and a space open every signature line.
constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";
// A signature line's base64 payload: the 4-byte key id, then the signature.
constexpr size_t kKeyIdBytes = 4;
// Decimal digits of the largest uint64, 18446744073709551615.
constexpr size_t kMaxDecimalDigits = 20;

std::string str(uint64_t value) {
  return std::to_string(value);
}

std::string key_id_hex(uint32_t key_id) {
  std::string bytes;
  put_u32_be(bytes, key_id);
  return to_hex(bytes);
}

struct Rune {
  char32_t value;
  size_t length;
};

bool is_continuation(uint8_t byte) {
  return (byte & 0xC0) == 0x80;
}

// Decodes the UTF-8 sequence starting at s[at]. nullopt for anything RFC 3629 forbids: stray
// continuation bytes, truncation, overlong forms, surrogates, code points above U+10FFFF.
std::optional<Rune> decode_rune(std::string_view s, size_t at) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[at + i]); };
  const uint8_t b0 = byte(0);
  if (b0 < 0x80) return Rune{b0, 1};
  size_t length = 0;
  // The range the second byte must fall in; it is narrower than 0x80..0xBF exactly where a
  // wider range would allow an overlong form, a surrogate or a code point above U+10FFFF.
  uint8_t low = 0x80;
  uint8_t high = 0xBF;
  char32_t value = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
    value = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    value = b0 & 0x0F;
    if (b0 == 0xE0) low = 0xA0;
    if (b0 == 0xED) high = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    value = b0 & 0x07;
    if (b0 == 0xF0) low = 0x90;
    if (b0 == 0xF4) high = 0x8F;
  } else {
    return std::nullopt;
  }
  if (s.size() - at < length) return std::nullopt;
  if (byte(1) < low || byte(1) > high) return std::nullopt;
  for (size_t i = 1; i < length; ++i) {
    if (!is_continuation(byte(i))) return std::nullopt;
    value = (value << 6) | (byte(i) & 0x3F);
  }
  return Rune{value, length};
}

// Unicode White_Space, as Go's unicode.IsSpace sees it (golang.org/x/mod/sumdb/note refuses
// these in key names).
bool is_unicode_space(char32_t c) {
  return c == U'\t' || c == U'\n' || c == U'\v' || c == U'\f' || c == U'\r' || c == U' ' ||
         c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// The signed-note rule for all note text: valid UTF-8, and no ASCII control character except
// newline.
Status check_note_text(std::string_view text, std::string_view what) {
  for (size_t at = 0; at < text.size();) {
    const std::optional<Rune> rune = decode_rune(text, at);
    if (!rune) return invalid_argument(std::string(what) + " is not valid UTF-8");
    if (rune->value < 0x20 && rune->value != U'\n') {
      return invalid_argument(std::string(what) + " contains a control character");
    }
    at += rune->length;
  }
  return Status::ok();
}

// The parts of one signature line.
struct SignatureLine {
  std::string_view name;
  uint32_t key_id = 0;
  std::string signature;  // what follows the key id
};

Result<SignatureLine> parse_signature_line(std::string_view line, size_t number) {
  const std::string where = "signature line " + str(number);
  if (!line.starts_with(kSignaturePrefix)) {
    return invalid_argument(where + " does not start with an em dash and a space");
  }
  line.remove_prefix(kSignaturePrefix.size());
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) {
    return invalid_argument(where + " has no space between the key name and the signature");
  }
  SignatureLine parsed;
  parsed.name = line.substr(0, space);
  if (!is_valid_note_key_name(parsed.name)) {
    return invalid_argument(where + " has an empty key name or one with spaces or '+'");
  }
  std::optional<std::string> raw = from_base64(line.substr(space + 1));
  if (!raw) return invalid_argument(where + " does not end in a base64 signature");
  if (raw->size() <= kKeyIdBytes) {
    return invalid_argument(where + " is too short to hold a key id and a signature");
  }
  parsed.key_id = get_u32_be(*raw);
  parsed.signature = raw->substr(kKeyIdBytes);
  return parsed;
}

// Parses the size line of a checkpoint: ASCII decimal, no sign, no leading zeros.
std::optional<uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > kMaxDecimalDigits) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 10);
  // from_chars takes neither a sign nor whitespace for an unsigned type.
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

bool is_valid_note_key_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t at = 0; at < name.size();) {
    const std::optional<Rune> rune = decode_rune(name, at);
    if (!rune || rune->value < 0x20 || rune->value == U'+' || is_unicode_space(rune->value)) {
      return false;
    }
    at += rune->length;
  }
  return true;
}

uint32_t note_key_id(std::string_view name, const PublicKey& key) {
  const char separator[] = {'\n', static_cast<char>(kEd25519Type)};
  const std::string_view parts[] = {name, {separator, sizeof separator}, as_chars(key)};
  const Hash32 digest = sha256(parts);
  return get_u32_be(as_chars(digest));
}

std::string format_verifier_key(std::string_view name, const PublicKey& key) {
  assert(is_valid_note_key_name(name));
  std::string typed_key(1, static_cast<char>(kEd25519Type));
  typed_key += as_chars(key);
  std::string out(name);
  out += '+';
  out += key_id_hex(note_key_id(name, key));
  out += '+';
  out += to_base64(typed_key);
  return out;
}

Result<NoteVerifier> parse_verifier_key(std::string_view vkey) {
  // The base64 key may itself contain '+', so only the first two '+' separate fields.
  const size_t first = vkey.find('+');
  const size_t second = first == std::string_view::npos ? first : vkey.find('+', first + 1);
  if (second == std::string_view::npos) {
    return invalid_argument("a verifier key has the form <name>+<key id>+<key>");
  }
  const std::string_view name = vkey.substr(0, first);
  const std::string_view id_hex = vkey.substr(first + 1, second - first - 1);
  const std::string_view key64 = vkey.substr(second + 1);
  if (!is_valid_note_key_name(name)) {
    return invalid_argument("the verifier key's name is empty or has spaces or control characters");
  }
  // The spec's hex is lowercase and fixed-length; accepting other spellings would give one key
  // several texts.
  const bool id_is_hex = id_hex.size() == 2 * kKeyIdBytes &&
                         id_hex.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  if (!id_is_hex) {
    return invalid_argument("the key id of a verifier key must be 8 lowercase hex digits");
  }
  const std::optional<std::string> typed_key = from_base64(key64);
  if (!typed_key || typed_key->empty()) {
    return invalid_argument("the key part of the verifier key is not base64");
  }
  if (static_cast<uint8_t>((*typed_key)[0]) != kEd25519Type) {
    return invalid_argument("the verifier key is not an Ed25519 key");
  }
  NoteVerifier verifier;
  if (typed_key->size() != 1 + verifier.key.size()) {
    return invalid_argument("an Ed25519 verifier key must hold 32 key bytes, not " +
                            str(typed_key->size() - 1));
  }
  verifier.name = std::string(name);
  for (size_t i = 0; i < verifier.key.size(); ++i) {
    verifier.key[i] = static_cast<uint8_t>((*typed_key)[1 + i]);
  }
  verifier.key_id = get_u32_be(*from_hex(id_hex));
  if (verifier.key_id != note_key_id(name, verifier.key)) {
    return invalid_argument("the key id in the verifier key does not match its name and key");
  }
  return verifier;
}

std::string sign_note(std::string_view body, std::string_view name, const SigningKey& key) {
  assert(!body.empty() && body.back() == '\n');
  assert(check_note_text(body, "the note text").is_ok());
  assert(is_valid_note_key_name(name));
  std::string payload;
  put_u32_be(payload, note_key_id(name, key.public_key()));
  payload += as_chars(key.sign(body));
  std::string note(body);
  note += '\n';
  note += kSignaturePrefix;
  note += name;
  note += ' ';
  note += to_base64(payload);
  note += '\n';
  // What we sign we must be able to open.
  assert(note.size() <= kMaxNoteBytes);
  return note;
}

Result<std::string> open_note(std::string_view note, const NoteVerifier& verifier) {
  if (note.size() > kMaxNoteBytes) {
    return invalid_argument("the note is " + str(note.size()) + " bytes, over the limit of " +
                            str(kMaxNoteBytes));
  }
  PASSBOOK_RETURN_IF_ERROR(check_note_text(note, "the note"));
  // The text ends at the last blank line; it may contain blank lines of its own.
  const size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) {
    return invalid_argument("the note has no blank line before its signatures");
  }
  const std::string_view text = note.substr(0, split + 1);
  std::string_view lines = note.substr(split + 2);
  if (lines.empty()) return invalid_argument("the note has no signature lines");
  if (lines.back() != '\n') {
    return invalid_argument("the note's last signature line does not end in a newline");
  }

  std::optional<std::string> signature;  // the one line by the verifier's key
  for (size_t number = 1; !lines.empty(); ++number) {
    if (number > kMaxNoteSignatures) {
      return invalid_argument("the note has more than " + str(kMaxNoteSignatures) +
                              " signature lines");
    }
    const size_t newline = lines.find('\n');
    PASSBOOK_ASSIGN_OR_RETURN(SignatureLine line,
                              parse_signature_line(lines.substr(0, newline), number));
    lines.remove_prefix(newline + 1);
    // The spec: ignore lines whose name or key id (but not both) match a known key.
    if (line.name != verifier.name || line.key_id != verifier.key_id) continue;
    if (signature) {
      return invalid_argument("the note has two signature lines by " + verifier.name);
    }
    signature = std::move(line.signature);
  }

  const std::string key_name = verifier.name + "+" + key_id_hex(verifier.key_id);
  if (!signature) return unauthenticated("the note carries no signature by " + key_name);
  Signature ed25519{};
  if (signature->size() != ed25519.size()) {
    return data_loss("the signature by " + key_name + " is not an Ed25519 signature");
  }
  for (size_t i = 0; i < ed25519.size(); ++i) ed25519[i] = static_cast<uint8_t>((*signature)[i]);
  if (!ed25519_verify(verifier.key, text, ed25519)) {
    return data_loss("the signature by " + key_name +
                     " does not verify: the note was altered or signed by another key");
  }
  return std::string(text);
}

std::string format_checkpoint(const Checkpoint& checkpoint) {
  std::string out = checkpoint.origin;
  out += '\n';
  out += str(checkpoint.size);
  out += '\n';
  out += to_base64(as_chars(checkpoint.root));
  out += '\n';
  for (const std::string& extension : checkpoint.extensions) {
    out += extension;
    out += '\n';
  }
  // Catches an empty origin, a newline inside a field, or an empty extension: text that would
  // parse back as another checkpoint, or not at all.
  assert(parse_checkpoint(out).is_ok() && *parse_checkpoint(out) == checkpoint);
  return out;
}

Result<Checkpoint> parse_checkpoint(std::string_view body) {
  if (body.size() > kMaxNoteBytes) {
    return invalid_argument("the checkpoint is " + str(body.size()) + " bytes, over the limit of " +
                            str(kMaxNoteBytes));
  }
  PASSBOOK_RETURN_IF_ERROR(check_note_text(body, "the checkpoint"));
  if (body.empty() || body.back() != '\n') {
    return invalid_argument("the checkpoint text does not end in a newline");
  }
  // Splits off the next line; body ends in '\n', so every line has one.
  const auto next_line = [&body]() {
    const size_t newline = body.find('\n');
    const std::string_view line = body.substr(0, newline);
    body.remove_prefix(newline + 1);
    return line;
  };
  const std::string_view origin = next_line();
  if (origin.empty()) return invalid_argument("the checkpoint's origin line is empty");
  if (origin.size() > limits::kOriginBytes) {
    return invalid_argument("the checkpoint's origin is longer than " + str(limits::kOriginBytes) +
                            " bytes");
  }
  if (body.empty()) return invalid_argument("the checkpoint has no size line");
  const std::optional<uint64_t> size = parse_decimal(next_line());
  if (!size) {
    return invalid_argument(
        "the checkpoint's size is not a decimal number without leading zeros that fits 64 bits");
  }
  if (body.empty()) return invalid_argument("the checkpoint has no root hash line");
  const std::optional<std::string> root = from_base64(next_line());
  Checkpoint checkpoint;
  if (!root || root->size() != checkpoint.root.size()) {
    return invalid_argument("the checkpoint's root is not the base64 of a 32-byte hash");
  }
  checkpoint.origin = std::string(origin);
  checkpoint.size = *size;
  for (size_t i = 0; i < checkpoint.root.size(); ++i) {
    checkpoint.root[i] = static_cast<uint8_t>((*root)[i]);
  }
  while (!body.empty()) {
    const std::string_view extension = next_line();
    if (extension.empty()) return invalid_argument("the checkpoint has an empty extension line");
    checkpoint.extensions.emplace_back(extension);
  }
  return checkpoint;
}

Result<Checkpoint> verify_checkpoint(std::string_view note, const NoteVerifier& verifier,
                                     std::string_view expected_origin) {
  PASSBOOK_ASSIGN_OR_RETURN(std::string body, open_note(note, verifier));
  PASSBOOK_ASSIGN_OR_RETURN(Checkpoint checkpoint, parse_checkpoint(body));
  if (checkpoint.origin != expected_origin) {
    return invalid_argument("the checkpoint is for the log \"" + checkpoint.origin +
                            "\", not for \"" + std::string(expected_origin) + "\"");
  }
  return checkpoint;
}

}  // namespace passbook::proof
