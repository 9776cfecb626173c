// The golden vectors of tests/data/golden: for each one, the record built here from fixed field
// values must encode to exactly the stored bytes, and the stored bytes must decode to an equal
// record. The worked examples in schemas/FORMAT.md must be the same bytes as the vectors.
//
// The field values below are written out by hand from the comments of each vector file; they
// are never computed from the encoder's output.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "passbook/schemas/encoding.h"
#include "passbook/schemas/protocol.h"
#include "passbook/schemas/records.h"

using namespace passbook;
using namespace passbook::schemas;

namespace {

const std::filesystem::path kDataDir = PASSBOOK_TEST_DATA_DIR;
const std::filesystem::path kGoldenDir = kDataDir / "golden";
const std::filesystem::path kFormatDoc = kDataDir / ".." / ".." / "schemas" / "FORMAT.md";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Annotated hex (tests/data/golden/README.md): '#' starts a comment that runs to the end of the
// line, whitespace is ignored, everything else is hex digits. nullopt for anything else.
std::optional<std::string> parse_annotated_hex(std::string_view text) {
  std::string digits;
  bool in_comment = false;
  for (const char c : text) {
    if (c == '\n') {
      in_comment = false;
    } else if (in_comment || c == ' ' || c == '\t' || c == '\r') {
      continue;
    } else if (c == '#') {
      in_comment = true;
    } else {
      digits.push_back(c);
    }
  }
  return from_hex(digits);
}

std::string golden(const std::string& file) {
  const std::optional<std::string> bytes = parse_annotated_hex(read_file(kGoldenDir / file));
  BOOST_REQUIRE_MESSAGE(bytes.has_value(), file << " is not annotated hex");
  BOOST_REQUIRE_MESSAGE(!bytes->empty(), file << " holds no bytes");
  return *bytes;
}

// A fixed byte value written in hex below. Also used to initialise constants before any test
// runs, so a typo throws instead of using a test assertion.
template <size_t N>
std::array<uint8_t, N> bytes_of(std::string_view hex) {
  const auto bytes = array_from_hex<N>(hex);
  if (!bytes)
    throw std::invalid_argument("not " + std::to_string(N) + " bytes of hex: " + std::string(hex));
  return *bytes;
}

Hash32 hash_of(std::string_view hex) {
  return bytes_of<32>(hex);
}
PublicKey key_of(std::string_view hex) {
  return bytes_of<32>(hex);
}
Signature signature_of(std::string_view hex) {
  return bytes_of<64>(hex);
}

// The example keys of tests/data/golden/README.md.
const PublicKey kKeyA = key_of("db995fe25169d141cab9bbba92baa01f9f2e1ece7df4cb2ac05190f37fcc1f9d");
const PublicKey kKeyB = key_of("2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db12");
const PublicKey kKeyL = key_of("927308f53d6765503d2b64c103ab5aa47206ab39502cfe8f98442fdb543100b7");
const PublicKey kKeyM = key_of("62a611b472d89b0e5fc93c069b9f700b4c552d55bc0e87b56008ef17b6b2bebe");
const PublicKey kKeyV = key_of("88df556413538b002015e9619b01bdb5cc48c7215645792563f5460f7307a763");

const Hash32 kEvidence =
    hash_of("0e9f23ddcb4d2748b67dcaf831c6fe2c237c77646d47fae5ff23b4aaee1d6e29");
const Hash32 kCommitment =
    hash_of("53de7f42f2482549ffebd104b0edab73604828675ac28f643e998d90e534d8e2");

const LedgerId kLedgerId = bytes_of<16>("52656450617373626f6f6b2d32303236");  // "RedPassbook-2026"

// ---- the operations --------------------------------------------------------------------------

ServiceRecord service(std::string account, std::string category, uint32_t minutes,
                      uint32_t service_day, const Hash32& evidence) {
  return {std::move(account), std::move(category), minutes, service_day, evidence};
}

Genesis genesis_op() {
  Genesis g;
  g.origin = "passbook.example/yanshan";
  g.admin_key = kKeyA;
  g.admin_name = "燕山街道办事处";
  g.ledger_key = kKeyL;
  g.utc_offset_minutes = 480;
  g.time_window_s = 600;
  return g;
}

Credit credit_op() {
  return {service("v-0001", "elder-visit", 90, 20261101, kEvidence)};
}
Redeem redeem_op() {
  return {"v-0001", "dumplings", 2};
}

// Every vector file of one operation and the operation it holds.
std::vector<std::pair<std::string, Operation>> golden_operations() {
  return {
      {"op_genesis.hex", genesis_op()},
      {"op_register_actor.hex", RegisterActor{kKeyB, Role::kBranch, "branch-03", "三号网格党支部"}},
      {"op_revoke_actor.hex", RevokeActor{kKeyB, "phone lost; replaced by a new key"}},
      {"op_open_account.hex", OpenAccount{"v-0001", kCommitment, kKeyV}},
      {"op_open_account_bare.hex", OpenAccount{"v-0002", std::nullopt, std::nullopt}},
      {"op_set_rule.hex", SetRule{"branch-03", "elder-visit", 10, 240}},
      {"op_credit.hex", credit_op()},
      {"op_claim.hex", Claim{service("v-0001", "park-cleanup", 120, 20261031, Hash32{})}},
      {"op_approve.hex", Approve{OpRef{40, 0}}},
      {"op_reject.hex", Reject{OpRef{41, 2}, "no sign-in sheet for that day"}},
      {"op_import.hex",
       Import{service("v-0001", "elder-visit", 600, 20240315, Hash32{}), 100, "book 3, page 12"}},
      {"op_list_reward.hex", ListReward{"dumplings", "饺子一份", 30, 50, 2, LimitPeriod::kMonth}},
      {"op_list_reward_unlimited.hex",
       ListReward{"car-wash", "洗车一次", 120, ListReward::kUnlimitedStock, 0, LimitPeriod::kEver}},
      {"op_restock.hex", Restock{"dumplings", 20}},
      {"op_delist.hex", Delist{"dumplings"}},
      {"op_redeem.hex", redeem_op()},
      {"op_reserve.hex", Reserve{"v-0001", "kindergarten-place", 1}},
      {"op_deliver.hex", Deliver{OpRef{43, 0}}},
      {"op_cancel.hex", Cancel{OpRef{44, 0}, "family moved away"}},
      {"op_reverse.hex", Reverse{39, "credit entered twice"}},
      {"op_settle.hex", Settle{"shop-7", 1200, "2026-10 reimbursement"}},
  };
}

// ---- the records -----------------------------------------------------------------------------

// 2026-11-01 09:30:00.000 +08:00, and the commit 1.25 s later.
constexpr int64_t kCreated1Ms = 1'793'496'600'000;
constexpr int64_t kCommit1Ms = 1'793'496'601'250;
// 2026-10-08 08:00:00.000 +08:00, and the commit 0.83 s later.
constexpr int64_t kCreated0Ms = 1'791'417'600'000;
constexpr int64_t kCommit0Ms = 1'791'417'600'830;

Envelope example_envelope() {
  Envelope e;
  e.version = 1;
  e.ledger = kLedgerId;
  e.signer = kKeyM;
  e.nonce = bytes_of<16>("000102030405060708090a0b0c0d0e0f");
  e.created_ms = kCreated1Ms;
  e.ops = {credit_op(), redeem_op()};
  return e;
}

std::string encoded(const Envelope& e) {
  auto bytes = try_encode(e);
  BOOST_REQUIRE_MESSAGE(bytes.is_ok(), bytes.status().to_string());
  return *bytes;
}

SignedEnvelope example_signed_envelope() {
  SignedEnvelope s;
  s.envelope = encoded(example_envelope());
  s.signature = signature_of(
      "2b61976c92b553c39e51607655392bd2638ca8641f324e57e1f691b57c3f690d"
      "483e9dce0c896f07d8ee63d06cdb26a267e0b2c1a7d7a75aaa05f95d08ee220d");
  s.cosignatures = {CoSignature{
      kKeyV, signature_of("9904af1102ba230f1f0153890df7a10a786bb0fb2b62afc0388fdb8c12727c25"
                          "da54cbd888661432ffa41c13adc639525a2d1f87118b957a4b4ff1495d6bd902")}};
  return s;
}

Entry example_entry() {
  Entry e;
  e.version = 1;
  e.seq = 1;
  e.commit_ms = kCommit1Ms;
  e.prev_hash = hash_of("0b4718472c46e536b55b99556e9f87a063404bf55d3cbe09b6eccdd1e3491fde");
  e.signed_envelope = example_signed_envelope();
  return e;
}

Entry genesis_entry() {
  Envelope envelope;
  envelope.version = 1;
  envelope.ledger = kLedgerId;
  envelope.signer = kKeyA;
  envelope.nonce = bytes_of<16>("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
  envelope.created_ms = kCreated0Ms;
  envelope.ops = {genesis_op()};
  Entry e;
  e.version = 1;
  e.seq = 0;
  e.commit_ms = kCommit0Ms;
  e.prev_hash = Hash32{};
  e.signed_envelope.envelope = encoded(envelope);
  e.signed_envelope.signature = signature_of(
      "880bd26198555002fcea415b15a8825cb29b1a0a411aad4fddf6f22254851925"
      "43e593fa70ff3319f028480ace583a274a3f9c908fb77894a9c3f7b1567cf105");
  return e;
}

Receipt example_receipt() {
  return {1, hash_of("4ab4190489c32cc361e9c0655c4e93dff4c6dcf067238bc7a25dcac916083ef2"),
          kCommit1Ms, 2};
}

// ---- checks ----------------------------------------------------------------------------------

// Encodes value, compares with the vector, decodes the vector and compares with value.
template <class T>
void check_golden(const T& value, const std::string& file) {
  BOOST_TEST_CONTEXT(file) {
    const std::string expected = golden(file);
    const Result<std::string> bytes = try_encode(value);
    BOOST_REQUIRE_MESSAGE(bytes.is_ok(), bytes.status().to_string());
    BOOST_TEST(to_hex(*bytes) == to_hex(expected));
    const Result<T> back = decode<T>(expected, file);
    BOOST_REQUIRE_MESSAGE(back.is_ok(), back.status().to_string());
    BOOST_TEST((*back == value));
  }
}

// The fenced block after each "<!-- golden: FILE -->" line of FORMAT.md, by file name.
std::vector<std::pair<std::string, std::string>> format_doc_blocks(std::string_view marker) {
  std::istringstream doc(read_file(kFormatDoc));
  std::vector<std::pair<std::string, std::string>> blocks;
  std::string line;
  const std::string open = "<!-- " + std::string(marker) + ": ";
  while (std::getline(doc, line)) {
    if (!line.starts_with(open) || !line.ends_with(" -->")) continue;
    const std::string file = line.substr(open.size(), line.size() - open.size() - 4);
    BOOST_REQUIRE_MESSAGE(std::getline(doc, line) && line.starts_with("```"),
                          "the marker for " << file << " is not followed by a fenced block");
    std::string block;
    bool closed = false;
    while (std::getline(doc, line)) {
      if (line.starts_with("```")) {
        closed = true;
        break;
      }
      block += line + "\n";
    }
    BOOST_REQUIRE_MESSAGE(closed, "the block for " << file << " is not closed");
    blocks.emplace_back(file, block);
  }
  return blocks;
}


// ---- the wire protocol (FORMAT.md section 12) -----------------------------------------------

// The protocol messages and views have no operator==: compare them field by field here.
bool same(const Hello& a, const Hello& b) {
  return a.magic == b.magic && a.version == b.version && a.client == b.client;
}
bool same(const HelloReply& a, const HelloReply& b) {
  return a.version == b.version && a.ledger == b.ledger && a.origin == b.origin &&
         a.verifier_key == b.verifier_key && a.challenge == b.challenge &&
         a.max_in_flight == b.max_in_flight;
}
bool same(const Authenticate& a, const Authenticate& b) {
  return a.key == b.key && a.signature == b.signature;
}
bool same(const AuthenticateReply& a, const AuthenticateReply& b) {
  return a.role == b.role && a.scope == b.scope && a.name == b.name;
}
bool same(const Submit& a, const Submit& b) {
  return a.envelope == b.envelope && a.want_proof == b.want_proof && a.known_size == b.known_size;
}
bool same(const ReceiptProof& a, const ReceiptProof& b) {
  return a.entry == b.entry && a.checkpoint == b.checkpoint && a.inclusion == b.inclusion &&
         a.consistency == b.consistency;
}
bool same(const SubmitReply& a, const SubmitReply& b) {
  return a.receipt == b.receipt && a.duplicate == b.duplicate &&
         a.proof.has_value() == b.proof.has_value() && (!a.proof || same(*a.proof, *b.proof));
}
bool same(const ErrorReply& a, const ErrorReply& b) {
  return a == b;
}
bool same(const ListRequest& a, const ListRequest& b) {
  return a.filter == b.filter && a.offset == b.offset && a.limit == b.limit;
}
bool same(const RewardView& a, const RewardView& b) {
  return a.merchant == b.merchant && a.reward == b.reward && a.name == b.name &&
         a.price == b.price && a.stock == b.stock && a.per_person_limit == b.per_person_limit &&
         a.period == b.period && a.listed == b.listed && a.redeemed == b.redeemed;
}
template <class T>
bool same(const Page<T>& a, const Page<T>& b) {
  if (a.total != b.total || a.rows.size() != b.rows.size()) return false;
  for (size_t i = 0; i < a.rows.size(); ++i) {
    if (!same(a.rows[i], b.rows[i])) return false;
  }
  return true;
}

// A whole frame vector: the header says (length, type, id) and passes parse_frame_header under
// the limit of its direction, the body is the message encoded, encode_frame gives the whole
// file back, and the body decodes to the same message.
template <class T>
void check_golden_frame(uint8_t type, uint32_t id, const T& message, const std::string& file) {
  BOOST_TEST_CONTEXT(file) {
    const std::string frame = golden(file);
    BOOST_REQUIRE(frame.size() >= kFrameHeaderBytes);
    const bool reply = type >= kReplyBit;
    const auto header = parse_frame_header(std::string_view(frame).substr(0, kFrameHeaderBytes),
                                           reply ? kMaxReplyFrame : kMaxRequestFrame);
    BOOST_REQUIRE_MESSAGE(header.is_ok(), header.status().to_string());
    BOOST_TEST(header->length == frame.size() - 4);
    BOOST_TEST(header->type == type);
    BOOST_TEST(header->id == id);
    const std::string body = frame.substr(kFrameHeaderBytes);
    BOOST_TEST(header->body_length() == body.size());
    const Result<std::string> bytes = try_encode(message);
    BOOST_REQUIRE_MESSAGE(bytes.is_ok(), bytes.status().to_string());
    BOOST_TEST(to_hex(*bytes) == to_hex(body));
    BOOST_TEST(to_hex(encode_frame(type, id, *bytes)) == to_hex(frame));
    const Result<T> back = decode<T>(body, file);
    BOOST_REQUIRE_MESSAGE(back.is_ok(), back.status().to_string());
    BOOST_TEST(same(*back, message));
  }
}

// The one-time challenge of the example session: c0 c1 ... df.
const std::array<uint8_t, 32> kChallenge =
    bytes_of<32>("c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf");

Hello example_hello() {
  return {0x50424B31, 1, "passbook-client 0.1"};
}

HelloReply example_hello_reply() {
  HelloReply r;
  r.version = 1;
  r.ledger = kLedgerId;
  r.origin = "passbook.example/yanshan";
  r.verifier_key = "passbook.example/yanshan+c81b50d5+AZJzCPU9Z2VQPStkwQOrWqRyBqs5UCz+j5hEL9tUMQC3";
  r.challenge = kChallenge;
  r.max_in_flight = 256;
  return r;
}

Authenticate example_authenticate() {
  // Ed25519 by key M (seed 4d x 32) over auth_message(kLedgerId, kChallenge).
  return {kKeyM, signature_of("37b9faf5da8bcebec1a4c0aa0007395317a307e2ec72a05c0e2ab1992454ac40"
                              "68aaacda6a127550a41e30c7f5b55c00804db92ab1095bdfe676454c6b8bc408")};
}

SubmitReply example_submit_reply() {
  ReceiptProof proof;
  proof.entry = golden("entry.hex");                      // the stored bytes of entry 1
  proof.checkpoint = read_file(kGoldenDir / "checkpoint.note");  // the checkpoint of size 2
  // Entry 1's inclusion path in the tree of size 2: its sibling, the entry hash of entry 0.
  proof.inclusion = {hash_of("0b4718472c46e536b55b99556e9f87a063404bf55d3cbe09b6eccdd1e3491fde")};
  // From size 1 (known_size) to size 2: the hash of the subtree [1, 2), entry 1's hash.
  proof.consistency = {hash_of("4ab4190489c32cc361e9c0655c4e93dff4c6dcf067238bc7a25dcac916083ef2")};
  return {example_receipt(), false, std::move(proof)};
}

RewardView reward_view(std::string reward, std::string name, int64_t price, int64_t stock,
                       uint32_t per_person_limit, LimitPeriod period, int64_t redeemed) {
  return {"shop-7", std::move(reward), std::move(name), price, stock, per_person_limit, period,
          true, redeemed};
}

Page<RewardView> example_reward_page() {
  Page<RewardView> page;
  page.rows = {reward_view("car-wash", "洗车一次", 120, -1, 0, LimitPeriod::kEver, 5),
               reward_view("dumplings", "饺子一份", 30, 48, 2, LimitPeriod::kMonth, 2)};
  page.total = 3;
  return page;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(golden_test)

BOOST_AUTO_TEST_CASE(every_operation_matches_its_golden_bytes) {
  for (const auto& [file, operation] : golden_operations()) check_golden(operation, file);
}

BOOST_AUTO_TEST_CASE(golden_operations_cover_every_tag) {
  std::set<uint8_t> tags;
  for (const auto& [file, operation] : golden_operations()) {
    tags.insert(operation_tag(operation));
    // The file is named after the operation, and its first byte is the tag.
    BOOST_TEST(file.starts_with("op_" + std::string(operation_name(operation))));
    BOOST_TEST(static_cast<uint8_t>(golden(file)[0]) == operation_tag(operation));
  }
  BOOST_TEST(tags.size() == std::variant_size_v<Operation>);
  BOOST_TEST(*tags.begin() == 1);
  BOOST_TEST(*tags.rbegin() == std::variant_size_v<Operation>);
}

BOOST_AUTO_TEST_CASE(envelope_matches_its_golden_bytes) {
  check_golden(example_envelope(), "envelope.hex");
}

BOOST_AUTO_TEST_CASE(signed_envelope_matches_its_golden_bytes) {
  check_golden(example_signed_envelope(), "signed_envelope.hex");
}

BOOST_AUTO_TEST_CASE(entries_match_their_golden_bytes) {
  check_golden(genesis_entry(), "genesis_entry.hex");
  check_golden(example_entry(), "entry.hex");
}

BOOST_AUTO_TEST_CASE(receipt_matches_its_golden_bytes) {
  check_golden(example_receipt(), "receipt.hex");
}

BOOST_AUTO_TEST_CASE(error_replies_match_their_golden_bytes) {
  check_golden(
      ErrorReply{static_cast<uint16_t>(Status::Code::kFailedPrecondition), 1,
                 "operation 2 (redeem): volunteer v-0001 has 20 points available, 60 are needed"},
      "error_reply.hex");
  check_golden(
      ErrorReply{static_cast<uint16_t>(Status::Code::kUnauthenticated), ErrorReply::kWholeEnvelope,
                 "the key 2152f8d19b791d24 is not registered on this ledger"},
      "error_reply_whole_envelope.hex");
}

BOOST_AUTO_TEST_CASE(records_nest_each_others_bytes_unchanged) {
  // A signed envelope holds the envelope's bytes after their u32 length; an entry holds the
  // signed envelope's bytes after its 49-byte header (version, seq, commit time, prev hash).
  const std::string envelope = golden("envelope.hex");
  const std::string signed_envelope = golden("signed_envelope.hex");
  const std::string entry = golden("entry.hex");
  BOOST_TEST(to_hex(signed_envelope.substr(4, envelope.size())) == to_hex(envelope));
  BOOST_TEST(to_hex(entry.substr(1 + 8 + 8 + 32)) == to_hex(signed_envelope));
  // Each operation vector is the bytes an envelope's list holds for it.
  const std::string credit = golden("op_credit.hex");
  const std::string redeem = golden("op_redeem.hex");
  BOOST_TEST(to_hex(envelope.substr(1 + 16 + 32 + 16 + 8 + 4)) == to_hex(credit + redeem));
}

BOOST_AUTO_TEST_CASE(format_doc_examples_are_the_golden_vectors) {
  const auto blocks = format_doc_blocks("golden");
  std::set<std::string> shown;
  for (const auto& [file, block] : blocks) {
    BOOST_TEST_CONTEXT("FORMAT.md, block for " << file) {
      const std::optional<std::string> bytes = parse_annotated_hex(block);
      BOOST_REQUIRE(bytes.has_value());
      BOOST_TEST(to_hex(*bytes) == to_hex(golden(file)));
      shown.insert(file);
    }
  }
  for (const char* required : {"envelope.hex", "signed_envelope.hex", "entry.hex"}) {
    BOOST_CHECK_MESSAGE(shown.contains(required),
                        "FORMAT.md shows no worked example of " << required);
  }
}

BOOST_AUTO_TEST_CASE(format_doc_texts_are_the_golden_files) {
  const auto blocks = format_doc_blocks("golden-text");
  BOOST_TEST(!blocks.empty());
  for (const auto& [file, block] : blocks) {
    BOOST_TEST_CONTEXT("FORMAT.md, text for " << file) {
      BOOST_TEST(block == read_file(kGoldenDir / file));
    }
  }
}

// ---- the wire protocol -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(protocol_constants_are_the_documented_ones) {
  BOOST_TEST(kFrameHeaderBytes == 9u);
  BOOST_TEST(kMaxRequestFrame == 327'680u);  // 256 KiB + 64 KiB
  BOOST_TEST(kMaxReplyFrame == 8'388'608u);  // 8 MiB
  BOOST_TEST(kMaxPage == 10'000u);
  BOOST_TEST(kMaxEntriesPage == 1'000u);
  BOOST_TEST(kMaxProofHashes == 65u);
  BOOST_TEST(kProtocolVersion == 1);
  BOOST_TEST(kProtocolMagic == 0x50424B31u);
  BOOST_TEST(kReplyBit == 0x80);
  const std::vector<std::pair<MessageType, int>> types = {{MessageType::kHello, 1},
                                                          {MessageType::kAuthenticate, 2},
                                                          {MessageType::kSubmit, 3},
                                                          {MessageType::kGetInfo, 4},
                                                          {MessageType::kGetAccount, 5},
                                                          {MessageType::kGetHistory, 6},
                                                          {MessageType::kGetEntries, 7},
                                                          {MessageType::kGetCheckpoint, 8},
                                                          {MessageType::kGetInclusionProof, 9},
                                                          {MessageType::kGetConsistencyProof, 10},
                                                          {MessageType::kListRewards, 11},
                                                          {MessageType::kListActors, 12},
                                                          {MessageType::kListRules, 13},
                                                          {MessageType::kListAccounts, 14},
                                                          {MessageType::kListClaims, 15},
                                                          {MessageType::kListReservations, 16},
                                                          {MessageType::kBackup, 17},
                                                          {MessageType::kError, 255}};
  for (const auto& [type, value] : types) {
    BOOST_TEST(static_cast<int>(type) == value);
    if (type != MessageType::kError) {
      BOOST_TEST(is_request_type(static_cast<uint8_t>(value)));
      BOOST_TEST(reply_type(type) == value + 0x80);
    }
  }
  BOOST_TEST(!is_request_type(0));
  BOOST_TEST(!is_request_type(18));
  BOOST_TEST(!is_request_type(0x81));
}

BOOST_AUTO_TEST_CASE(frame_headers_are_checked_before_the_body) {
  // The server answers an over-limit length with proto_error_frame_limit.hex (this message)
  // and a length under 5 with InvalidArgument; in both cases it reads no body.
  std::string header;
  put_u32_be(header, 1'048'576);
  header += '\x03';
  put_u32_be(header, 7);
  const auto over = parse_frame_header(header, kMaxRequestFrame);
  BOOST_REQUIRE(!over.is_ok());
  BOOST_TEST((over.status().code() == Status::Code::kResourceExhausted));
  BOOST_TEST(over.status().message() == "a frame of 1048576 bytes is over the limit of 327680");

  std::string short_header;
  put_u32_be(short_header, 4);
  short_header += '\x04';
  put_u32_be(short_header, 1);
  const auto under = parse_frame_header(short_header, kMaxRequestFrame);
  BOOST_REQUIRE(!under.is_ok());
  BOOST_TEST((under.status().code() == Status::Code::kInvalidArgument));

  // Exactly at the limit is accepted; one byte more is not.
  std::string at_limit;
  put_u32_be(at_limit, kMaxRequestFrame);
  at_limit += '\x03';
  put_u32_be(at_limit, 1);
  BOOST_TEST(parse_frame_header(at_limit, kMaxRequestFrame).is_ok());
  std::string past_limit;
  put_u32_be(past_limit, kMaxRequestFrame + 1);
  past_limit += '\x03';
  put_u32_be(past_limit, 1);
  BOOST_TEST(!parse_frame_header(past_limit, kMaxRequestFrame).is_ok());
}

BOOST_AUTO_TEST_CASE(auth_message_is_the_documented_bytes) {
  // "passbook session v1\n" || ledger id || challenge: 20 + 16 + 32 bytes.
  const std::optional<std::string> expected = from_hex(
      "70617373626f6f6b2073657373696f6e2076310a"
      "52656450617373626f6f6b2d32303236"
      "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf");
  BOOST_REQUIRE(expected.has_value());
  const std::string message = auth_message(kLedgerId, kChallenge);
  BOOST_TEST(message.size() == 68u);
  BOOST_TEST(to_hex(message) == to_hex(*expected));
}

BOOST_AUTO_TEST_CASE(handshake_frames_match_their_golden_bytes) {
  check_golden_frame(1, 1, example_hello(), "proto_hello.hex");
  check_golden_frame(0x81, 1, example_hello_reply(), "proto_hello_reply.hex");
  check_golden_frame(2, 2, example_authenticate(), "proto_authenticate.hex");
  check_golden_frame(0x82, 2, AuthenticateReply{Role::kMerchant, "shop-7", "七号饺子馆"},
                     "proto_authenticate_reply.hex");
}

BOOST_AUTO_TEST_CASE(submit_frames_match_their_golden_bytes) {
  check_golden_frame(3, 3, Submit{example_signed_envelope(), true, 1}, "proto_submit.hex");
  check_golden_frame(0x83, 3, example_submit_reply(), "proto_submit_reply.hex");
  // The Submit body starts with signed_envelope.hex unchanged; the SubmitReply body starts
  // with receipt.hex, and its proof carries entry.hex and checkpoint.note unchanged.
  const std::string submit = golden("proto_submit.hex");
  const std::string signed_envelope = golden("signed_envelope.hex");
  BOOST_TEST(to_hex(submit.substr(kFrameHeaderBytes, signed_envelope.size())) ==
             to_hex(signed_envelope));
  BOOST_TEST(submit.size() == kFrameHeaderBytes + signed_envelope.size() + 1 + 8);
  const std::string reply = golden("proto_submit_reply.hex");
  const std::string receipt = golden("receipt.hex");
  const std::string entry = golden("entry.hex");
  const std::string note = read_file(kGoldenDir / "checkpoint.note");
  BOOST_TEST(to_hex(reply.substr(kFrameHeaderBytes, receipt.size())) == to_hex(receipt));
  const size_t entry_at = kFrameHeaderBytes + receipt.size() + 1 + 1 + 4;
  BOOST_TEST(to_hex(reply.substr(entry_at, entry.size())) == to_hex(entry));
  BOOST_TEST(reply.substr(entry_at + entry.size() + 4, note.size()) == note);
}

BOOST_AUTO_TEST_CASE(error_frames_match_their_golden_bytes) {
  check_golden_frame(0xFF, 0,
                     ErrorReply{static_cast<uint16_t>(Status::Code::kResourceExhausted),
                                ErrorReply::kWholeEnvelope,
                                "a frame of 1048576 bytes is over the limit of 327680"},
                     "proto_error_frame_limit.hex");
  check_golden_frame(0xFF, 5,
                     ErrorReply{static_cast<uint16_t>(Status::Code::kPermissionDenied),
                                ErrorReply::kWholeEnvelope, "your key may not read the accounts"},
                     "proto_error_frame.hex");
}

BOOST_AUTO_TEST_CASE(list_frames_match_their_golden_bytes) {
  check_golden_frame(0x0B, 4, ListRequest{"shop-7", 0, 2}, "proto_list_rewards.hex");
  check_golden_frame(0x8B, 4, example_reward_page(), "proto_page_rewards.hex");
}

BOOST_AUTO_TEST_CASE(format_doc_shows_the_protocol_vectors) {
  std::set<std::string> shown;
  for (const auto& [file, block] : format_doc_blocks("golden")) shown.insert(file);
  for (const char* required :
       {"proto_hello.hex", "proto_hello_reply.hex", "proto_authenticate.hex", "proto_submit.hex",
        "proto_submit_reply.hex"}) {
    BOOST_CHECK_MESSAGE(shown.contains(required),
                        "FORMAT.md shows no worked example of " << required);
  }
  // Every protocol vector is named in FORMAT.md, so a reader finds it.
  const std::string doc = read_file(kFormatDoc);
  for (const auto& item : std::filesystem::directory_iterator(kGoldenDir)) {
    const std::string name = item.path().filename().string();
    if (name.starts_with("proto_")) {
      BOOST_CHECK_MESSAGE(doc.find("`" + name + "`") != std::string::npos,
                          "FORMAT.md does not mention " << name);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
