#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <sys/stat.h>

#include "passbook/proof/crypto.h"
#include "passbook/schemas/encoding.h"

using namespace passbook;
using namespace passbook::proof;

BOOST_AUTO_TEST_SUITE(crypto_test)

BOOST_AUTO_TEST_CASE(sha256_matches_the_standard_vector) {
  BOOST_TEST(to_hex(sha256("abc")) ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 9162: the hash of an empty tree is SHA-256 of the empty string.
  BOOST_TEST(to_hex(sha256("")) ==
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// sha256() falls back to libsodium's code if OpenSSL fails: that digest must be the same one,
// or a ledger's hashes would change with the library that computed them.
BOOST_AUTO_TEST_CASE(the_fallback_sha256_gives_the_same_digests) {
  const std::string_view abc[] = {"abc"};
  BOOST_TEST(to_hex(sha256_portable(abc)) ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(to_hex(sha256_portable({})) ==
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // Parts are hashed one after the other, across block boundaries.
  const std::string long_part(1000, 'x');
  const std::string_view parts[] = {"\x01", long_part, "", "tail"};
  const std::string whole = "\x01" + long_part + "tail";
  BOOST_TEST(sha256_portable(parts) == sha256(whole));
  BOOST_TEST(sha256(parts) == sha256(whole));
}

BOOST_AUTO_TEST_CASE(rfc8032_test_vector_1_signs_and_verifies) {
  // RFC 8032 section 7.1, TEST 1 (empty message).
  auto seed = array_from_hex<32>("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  auto key = SigningKey::from_seed(*seed);
  BOOST_REQUIRE(key.is_ok());
  BOOST_TEST(to_hex(key->public_key()) ==
             "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const Signature sig = key->sign("");
  BOOST_TEST(to_hex(sig) ==
             "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e3970"
             "1cf9b46bd25bf5f0595bbe24655141438e7a100b");
  BOOST_TEST(ed25519_verify(key->public_key(), "", sig));
}

BOOST_AUTO_TEST_CASE(altered_message_or_signature_fails) {
  auto key = SigningKey::generate();
  BOOST_REQUIRE(key.is_ok());
  Signature sig = key->sign("credit 60 minutes");
  BOOST_TEST(ed25519_verify(key->public_key(), "credit 60 minutes", sig));
  BOOST_TEST(!ed25519_verify(key->public_key(), "credit 600 minutes", sig));
  sig[10] ^= 1;
  BOOST_TEST(!ed25519_verify(key->public_key(), "credit 60 minutes", sig));
  PublicKey junk{};
  junk.fill(0xFF);
  BOOST_TEST(!ed25519_verify(junk, "credit 60 minutes", sig));
}

BOOST_AUTO_TEST_CASE(key_file_is_private_and_round_trips) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("passbook-key-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "admin.key";
  auto key = SigningKey::generate();
  BOOST_REQUIRE(key.is_ok());
  BOOST_REQUIRE(key->save(file).is_ok());
  struct stat info {};
  BOOST_REQUIRE(::stat(file.c_str(), &info) == 0);
  BOOST_TEST((info.st_mode & 0777) == 0600);
  BOOST_TEST((key->save(file).code() == Status::Code::kAlreadyExists));
  auto loaded = SigningKey::load(file);
  BOOST_REQUIRE(loaded.is_ok());
  BOOST_TEST((loaded->public_key() == key->public_key()));

  std::filesystem::permissions(file, std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  BOOST_TEST((SigningKey::load(file).status().code() == Status::Code::kPermissionDenied));
  BOOST_TEST((SigningKey::load(dir / "missing.key").status().code() == Status::Code::kNotFound));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
