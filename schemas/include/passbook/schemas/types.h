// Fixed-size values shared by every record.
#pragma once

#include <array>
#include <cstdint>

namespace passbook {

using Hash32 = std::array<uint8_t, 32>;     // SHA-256 output
using PublicKey = std::array<uint8_t, 32>;  // raw Ed25519 public key
using Signature = std::array<uint8_t, 64>;  // raw Ed25519 signature
using Nonce = std::array<uint8_t, 16>;      // client-chosen idempotency key
using LedgerId = std::array<uint8_t, 16>;   // random, fixed at genesis

}  // namespace passbook
