// SHA-256 and Ed25519, the only primitives the formats use. Pure functions over bytes; thread
// safe. Keys are raw 32-byte Ed25519 keys; key files are PKCS#8 PEM, readable only by their owner.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "passbook/schemas/status.h"
#include "passbook/schemas/types.h"

namespace passbook::proof {

Hash32 sha256(std::string_view bytes);
// The digest of the parts one after the other.
Hash32 sha256(std::span<const std::string_view> parts);
// The same digest through libsodium's portable code: what sha256() falls back to when OpenSSL
// fails. Public so that the fallback is tested.
Hash32 sha256_portable(std::span<const std::string_view> parts);

// RFC 9162 section 2.1.1: leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right).
Hash32 leaf_hash(std::string_view data);
Hash32 node_hash(const Hash32& left, const Hash32& right);

// True when signature is a valid Ed25519 signature of message under key.
[[nodiscard]] bool ed25519_verify(const PublicKey& key, std::string_view message,
                                  const Signature& signature);

// An Ed25519 private key. Not copyable; movable.
class SigningKey {
 public:
  static Result<SigningKey> generate();
  static Result<SigningKey> from_seed(const std::array<uint8_t, 32>& seed);
  // Reads a PKCS#8 PEM file written by save(). Refuses a file others may read.
  static Result<SigningKey> load(const std::filesystem::path& file);

  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

  // Writes the key as PKCS#8 PEM with mode 0600; refuses to overwrite an existing file.
  [[nodiscard]] Status save(const std::filesystem::path& file) const;
  [[nodiscard]] const PublicKey& public_key() const { return public_key_; }
  [[nodiscard]] Signature sign(std::string_view message) const;

 private:
  struct Impl;
  explicit SigningKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  PublicKey public_key_{};
};

// Fills out with cryptographically secure random bytes.
[[nodiscard]] Status random_bytes(std::span<uint8_t> out);

}  // namespace passbook::proof
