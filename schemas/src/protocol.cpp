#include "passbook/schemas/protocol.h"

#include "passbook/schemas/encoding.h"

namespace passbook::schemas {

std::string auth_message(const LedgerId& ledger, const std::array<uint8_t, 32>& challenge) {
  std::string message = "passbook session v1\n";
  message.append(as_chars(ledger));
  message.append(as_chars(challenge));
  return message;
}

Result<FrameHeader> parse_frame_header(std::string_view header, uint32_t max_length) {
  if (header.size() != kFrameHeaderBytes) return internal_error("a frame header is 9 bytes");
  FrameHeader out;
  out.length = get_u32_be(header);
  if (out.length < 5) {
    return invalid_argument("a frame claims " + std::to_string(out.length) +
                            " bytes, fewer than its own header");
  }
  if (out.length > max_length) {
    return resource_exhausted("a frame of " + std::to_string(out.length) +
                              " bytes is over the limit of " + std::to_string(max_length));
  }
  out.type = static_cast<uint8_t>(header[4]);
  out.id = get_u32_be(header.substr(5));
  return out;
}

std::string encode_frame(uint8_t type, uint32_t id, std::string_view body) {
  std::string frame;
  frame.reserve(kFrameHeaderBytes + body.size());
  put_u32_be(frame, static_cast<uint32_t>(body.size() + 5));
  frame.push_back(static_cast<char>(type));
  put_u32_be(frame, id);
  frame.append(body);
  return frame;
}

}  // namespace passbook::schemas
