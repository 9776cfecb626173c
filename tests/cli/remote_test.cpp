// The `passbook` commands against a real passbookd on a loopback port, as a user runs them:
// every query says exactly what it says on the data directory itself, every operation is
// recorded with a checked proof and its effect shows, `audit --server` passes on a good ledger
// and names the damaged entry of a bad one, and keys that may not audit, or a ledger key that
// is not the one trusted, are refused with a clear message.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_harness.h"
#include "cli/remote_server.h"
#include "json.h"
#include "ledger/raw_db.h"
#include "passbook/proof/crypto.h"
#include "passbook/proof/note.h"
#include "passbook/schemas/encoding.h"

using namespace passbook;
using passbook::test::contains;
using passbook::test::DemoLedger;
using passbook::test::run_passbook;
using passbook::test::RunResult;
using passbook::test::ServerProcess;
using passbook::test::TempDir;
namespace json = passbook::cli::json;

namespace {

constexpr int kRefused = 3;
constexpr int kDamaged = 4;

using Command = std::vector<std::string>;

Command operator+(Command a, const Command& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string describe(const Command& command) {
  std::string out = "passbook";
  for (const auto& word : command) out += " " + word;
  return out;
}

// A copy of the demo street (30 volunteers, 2 branches, 1 month) of its own, a passbookd for
// it, and a trust file and state directory of its own: nothing touches the user's files.
class Street {
 public:
  Street() : server_(data(), dir_.path() / "passbookd.log") {
    std::filesystem::copy(DemoLedger::get().data(), data(),
                          std::filesystem::copy_options::recursive);
    std::filesystem::create_directories(dir_.path() / "state");
    ::setenv("XDG_STATE_HOME", (dir_.path() / "state").c_str(), 1);
  }
  ~Street() { ::unsetenv("XDG_STATE_HOME"); }

  [[nodiscard]] std::filesystem::path data() const { return dir_.path() / "ledger"; }
  [[nodiscard]] std::string key(const std::string& name) const {
    return (data() / "keys" / (name + ".key")).string();
  }
  [[nodiscard]] std::string trust_file() const { return (dir_.path() / "trust").string(); }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }
  ServerProcess& server() { return server_; }

  void start() { server_.start(); }
  // Stops the server: it must exit 0 and say that it closed the ledger.
  void stop() {
    const int code = server_.stop();
    const std::string log = server_.log();
    BOOST_TEST(code == 0, "passbookd exited with " << code << ": " << log);
    BOOST_TEST(contains(log, "ledger closed"), log);
  }

  // `command` against the server, with `key_name`'s key and this street's trust file.
  RunResult remote(const Command& command, const std::string& key_name = "auditor",
                   const Command& extra = {}) {
    return run_passbook(command +
                        Command{"--server", server_.address(), "--key", key(key_name),
                                "--trust-file", trust_file()} +
                        extra);
  }
  // An operation against the server: it must be recorded with a checked proof. Its entry.
  uint64_t operation(const Command& command, const std::string& key_name) {
    const RunResult result = remote(command, key_name);
    BOOST_REQUIRE_MESSAGE(result.exit_code == 0, describe(command)
                                                     << " failed with " << result.exit_code << ": "
                                                     << result.err);
    BOOST_TEST(result.err.empty(), result.err);
    BOOST_TEST(contains(result.out, "Recorded as entry "), result.out);
    BOOST_TEST(contains(result.out, ", proof checked)."), describe(command) << ": " << result.out);
    uint64_t seq = 0;
    BOOST_REQUIRE(std::sscanf(result.out.c_str(), "Recorded as entry %" SCNu64, &seq) == 1);
    return seq;
  }
  // A query against the server that must succeed: its output.
  std::string query(const Command& command) {
    const RunResult result = remote(command);
    BOOST_REQUIRE_MESSAGE(result.exit_code == 0, describe(command)
                                                     << " --server failed with " << result.exit_code
                                                     << ": " << result.err);
    BOOST_TEST(result.err.empty(), result.err);
    return result.out;
  }
  // The same query on the data directory (the server must be stopped).
  std::string local(const Command& command) const {
    const RunResult result = run_passbook(command + Command{"--data", data().string()});
    BOOST_REQUIRE_MESSAGE(result.exit_code == 0, describe(command)
                                                     << " --data failed with " << result.exit_code
                                                     << ": " << result.err);
    BOOST_TEST(result.err.empty(), result.err);
    return result.out;
  }

 private:
  TempDir dir_;
  ServerProcess server_;
};

// "yzs1-0001 (branch yzs-1): 70 points available, 12 pending ...": the 70.
int64_t available(const std::string& balance_line) {
  const size_t colon = balance_line.find(": ");
  BOOST_REQUIRE_MESSAGE(colon != std::string::npos, balance_line);
  return std::strtoll(balance_line.c_str() + colon + 2, nullptr, 10);
}

// Yesterday in the ledger's local time (UTC+8): never in the future for the server, well within
// the days a credit may be backdated.
std::string yesterday() {
  const auto now =
      std::chrono::system_clock::now() + std::chrono::hours(8) - std::chrono::hours(24);
  const std::chrono::year_month_day day{std::chrono::floor<std::chrono::days>(now)};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(day.year()),
                static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
  return text;
}

// `passbook keygen`: a new key file; its public key in hex.
std::string keygen(const std::filesystem::path& file) {
  const RunResult result = run_passbook({"keygen", "--out", file.string()});
  BOOST_REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  const size_t at = result.out.find("public key ");
  BOOST_REQUIRE(at != std::string::npos);
  return result.out.substr(at + 11, 64);
}

// An export's lines: the entry lines in order, and which checkpoint line follows which entry.
struct ExportLines {
  std::string header;
  std::vector<std::string> entries;
  std::map<uint64_t, std::string> checkpoint_after;  // by the seq of the entry it follows
};

ExportLines split_export(const std::string& out) {
  ExportLines lines;
  std::istringstream in(out);
  std::string line;
  std::optional<uint64_t> last_seq;
  while (std::getline(in, line)) {
    auto value = json::parse(line);
    BOOST_REQUIRE_MESSAGE(value.is_ok(), value.status().message());
    if (lines.header.empty()) {
      lines.header = line;
    } else if (value->find("checkpoint") != nullptr) {
      BOOST_REQUIRE_MESSAGE(last_seq.has_value(), "a checkpoint before any entry");
      BOOST_TEST(lines.checkpoint_after.count(*last_seq) == 0u);
      lines.checkpoint_after[*last_seq] = line;
    } else {
      const auto* seq = value->find("seq");
      BOOST_REQUIRE(seq != nullptr);
      last_seq = json::to_u64(*seq, "seq").value();
      lines.entries.push_back(line);
    }
  }
  return lines;
}

// The sizes the ledger signed checkpoints for, from a local export.
std::vector<uint64_t> checkpoint_sizes(const ExportLines& lines) {
  std::vector<uint64_t> sizes;
  for (const auto& [seq, line] : lines.checkpoint_after) sizes.push_back(seq + 1);
  return sizes;
}

// The ledger's size, as `passbook info` prints it.
uint64_t size_of(const std::string& info) {
  const size_t at = info.find("entries ");
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, info);
  return std::strtoull(info.c_str() + at + 8, nullptr, 10);
}

// Every query of local mode once (some in two forms), on the demo's accounts, branches and
// merchants; the proofs at sizes that have checkpoints.
std::vector<Command> queries(uint64_t size, const std::vector<uint64_t>& checkpoints) {
  BOOST_REQUIRE(checkpoints.size() > 4);
  const std::string mid = std::to_string(size / 2);
  const std::string last = std::to_string(size - 1);
  // A checkpoint in the first third, and the first one that covers entry `mid`.
  const std::string cp1 = std::to_string(checkpoints[checkpoints.size() / 3]);
  std::string cp2;
  for (uint64_t s : checkpoints) {
    if (cp2.empty() && s > size / 2 && s < size) cp2 = std::to_string(s);
  }
  BOOST_REQUIRE(!cp2.empty());
  return {
      {"info"},
      {"balance", "yzs1-0001"},
      {"balance", "yzs-1", "--kind", "branch"},
      {"balance", "lixiang-market", "--kind", "merchant"},
      {"balance", "retired", "--kind", "system"},
      {"history", "yzs1-0001"},
      {"history", "lixiang-market", "--kind", "merchant"},
      {"accounts"},
      {"accounts", "--branch", "yzs-2"},
      {"actors"},
      {"rules"},
      {"rewards", "--all"},
      {"claims", "--all"},
      {"claims", "--branch", "yzs-1"},
      {"reservations", "--all"},
      {"entry", "0"},
      {"entry", last, "--hex"},
      {"prove", "--seq", mid, "--size", cp2},
      {"prove", "--seq", last},
      {"prove", "--from", cp1, "--to", cp2},
      {"export"},
      {"export", "--from", "37", "--to", mid},
  };
}

// A remote export against the local one: the same header and entry lines, and a subset of the
// checkpoints (see `passbook help export`), each where the local export has it; the one that
// completes the last entry whenever the ledger signed one there (for a full export: the latest,
// which covers every entry).
void expect_same_export(const std::string& remote_out, const std::string& local_out) {
  const ExportLines remote = split_export(remote_out);
  const ExportLines local = split_export(local_out);
  BOOST_TEST(remote.header == local.header);
  BOOST_TEST(remote.entries == local.entries, boost::test_tools::per_element());
  BOOST_REQUIRE(!local.entries.empty());
  BOOST_TEST(!remote.checkpoint_after.empty());
  for (const auto& [seq, line] : remote.checkpoint_after) {
    const auto found = local.checkpoint_after.find(seq);
    BOOST_TEST_REQUIRE((found != local.checkpoint_after.end()),
                       "no local checkpoint after entry " << seq);
    BOOST_TEST(line == found->second);
  }
  const auto last = json::parse(local.entries.back());
  BOOST_REQUIRE(last.is_ok());
  const uint64_t last_seq = json::to_u64(*last->find("seq"), "seq").value();
  if (local.checkpoint_after.count(last_seq) != 0) {
    BOOST_TEST(remote.checkpoint_after.count(last_seq) == 1u);
  }
}

// Each command through the (started) server, then (stopped) on the data directory: the same
// output.
void expect_same_output(Street& street, const std::vector<Command>& commands) {
  std::vector<std::string> remote_out;
  for (const auto& command : commands) remote_out.push_back(street.query(command));
  street.stop();
  for (size_t i = 0; i < commands.size(); ++i) {
    BOOST_TEST_CONTEXT(describe(commands[i])) {
      const std::string local_out = street.local(commands[i]);
      BOOST_TEST(!local_out.empty());
      if (commands[i][0] == "export") {
        expect_same_export(remote_out[i], local_out);
      } else {
        BOOST_TEST(remote_out[i] == local_out);
      }
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(remote_test)

BOOST_AUTO_TEST_CASE(every_query_through_the_server_matches_local_mode) {
  Street street;
  // The sizes with checkpoints, for the proofs, from a local export.
  const uint64_t size = size_of(street.local({"info"}));
  const std::vector<uint64_t> sizes = checkpoint_sizes(split_export(street.local({"export"})));
  BOOST_TEST(sizes.back() == size);
  street.start();
  expect_same_output(street, queries(size, sizes));
  // The help says what a remote export carries.
  const RunResult help = run_passbook({"help", "export"});
  BOOST_TEST(contains(help.out, "--server HOST:PORT --key FILE"));
  BOOST_TEST(contains(help.out, "A remote export has every entry"));
}

BOOST_AUTO_TEST_CASE(every_operation_works_through_the_server) {
  Street street;
  street.start();
  const auto balance = [&](const std::string& account, const std::string& kind = "volunteer") {
    return available(street.query({"balance", account, "--kind", kind}));
  };
  const std::string day = yesterday();
  const std::string volunteer_file = (street.dir() / "volunteer.key").string();
  const std::string volunteer_key = keygen(volunteer_file);
  const std::string spare_file = (street.dir() / "spare-auditor.key").string();
  const std::string spare_key = keygen(spare_file);
  const std::string secretary = "branch-yzs-1-secretary";
  const std::string council = "branch-yzs-1-council";
  const std::string merchant = "merchant-lixiang-market";

  // Keys: a second auditor, registered and revoked by the street office.
  street.operation({"register-actor", "--actor-key", spare_file, "--role", "auditor", "--name",
                    "second auditor"},
                   "admin");
  BOOST_TEST(contains(street.query({"actors"}), spare_key.substr(0, 16)));
  const uint64_t revoked = street.operation(
      {"revoke-actor", "--actor-key", spare_key, "--reason", "left the district"}, "admin");
  BOOST_TEST(contains(street.query({"actors"}), "at entry " + std::to_string(revoked)));

  // An account with the volunteer's own key, and a rule of the branch.
  street.operation({"open-account", "--account", "yzs1-9001", "--volunteer-key", volunteer_file},
                   secretary);
  BOOST_TEST(balance("yzs1-9001") == 0);
  street.operation(
      {"set-rule", "--branch", "yzs-1", "--category", "test-care", "--points-per-hour", "12"},
      secretary);
  BOOST_TEST(contains(street.query({"rules"}), "test-care"));

  // Service: a credit, a claim approved, a claim rejected, a line from a paper passbook.
  const Command service{"--account", "yzs1-9001", "--category", "test-care", "--date", day};
  const uint64_t credit =
      street.operation(Command{"credit", "--minutes", "120"} + service, secretary);
  BOOST_TEST(balance("yzs1-9001") == 24);
  const uint64_t claim = street.operation(Command{"claim", "--minutes", "60"} + service, secretary);
  BOOST_TEST(contains(street.query({"balance", "yzs1-9001"}), "12 pending"));
  street.operation({"approve", "--claim", std::to_string(claim) + ".0"}, council);
  BOOST_TEST(balance("yzs1-9001") == 36);
  BOOST_TEST(contains(street.query({"claims", "--all"}), "approved at"));
  const uint64_t second =
      street.operation(Command{"claim", "--minutes", "30"} + service, secretary);
  const uint64_t rejected = street.operation(
      {"reject", "--claim", std::to_string(second) + ".0", "--reason", "no sign-in sheet"},
      council);
  BOOST_TEST(
      contains(street.query({"claims", "--all"}), "rejected at " + std::to_string(rejected)));
  BOOST_TEST(balance("yzs1-9001") == 36);
  street.operation(
      {"import-line", "--account", "yzs1-9001", "--category", "patrol", "--minutes", "60", "--date",
       "2020-01-01", "--points", "30", "--paper-ref", "book 9, page 1"},
      secretary);
  BOOST_TEST(balance("yzs1-9001") == 66);

  // A shop: a reward listed and restocked, redeemed (with the volunteer's co-signature, which
  // the ledger demands now that the volunteer has a key), reserved twice, delivered once and
  // cancelled once, then delisted.
  street.operation(
      {"list-reward", "--reward", "test-soap", "--name", "soap", "--price", "5", "--stock", "2"},
      merchant);
  street.operation({"restock", "--reward", "test-soap", "--quantity", "3"}, merchant);
  const auto stock = [&] {
    const std::string rewards = street.query({"rewards", "--merchant", "lixiang-market", "--all"});
    const size_t at = rewards.find("test-soap");
    BOOST_REQUIRE(at != std::string::npos);
    return rewards.substr(at, rewards.find('\n', at) - at);
  };
  BOOST_TEST(contains(stock(), " 5 "), stock());
  const Command take{"--account", "yzs1-9001", "--reward", "test-soap"};
  const RunResult unsigned_redeem = street.remote(Command{"redeem"} + take, merchant);
  BOOST_TEST(unsigned_redeem.exit_code == kRefused, unsigned_redeem.err);
  const int64_t shop_before = balance("lixiang-market", "merchant");
  street.operation(Command{"redeem", "--cosign", volunteer_file} + take, merchant);
  BOOST_TEST(balance("yzs1-9001") == 61);
  BOOST_TEST(balance("lixiang-market", "merchant") == shop_before + 5);
  const uint64_t reserved =
      street.operation(Command{"reserve", "--cosign", volunteer_file} + take, merchant);
  BOOST_TEST(balance("yzs1-9001") == 56);
  BOOST_TEST(contains(street.query({"reservations"}), std::to_string(reserved) + ".0"));
  const uint64_t delivered =
      street.operation({"deliver", "--reservation", std::to_string(reserved) + ".0"}, merchant);
  BOOST_TEST(contains(street.query({"reservations", "--all"}),
                      "delivered at " + std::to_string(delivered)));
  const uint64_t held =
      street.operation(Command{"reserve", "--cosign", volunteer_file} + take, merchant);
  BOOST_TEST(balance("yzs1-9001") == 51);
  const uint64_t cancelled = street.operation(
      {"cancel", "--reservation", std::to_string(held) + ".0", "--reason", "changed her mind"},
      merchant);
  BOOST_TEST(contains(street.query({"reservations", "--all"}),
                      "cancelled at " + std::to_string(cancelled)));
  BOOST_TEST(balance("yzs1-9001") == 56);
  BOOST_TEST(contains(stock(), " 3 "), stock());
  street.operation({"delist", "--reward", "test-soap"}, merchant);
  BOOST_TEST(!contains(street.query({"rewards"}), "test-soap"));
  BOOST_TEST(contains(stock(), "(delisted)"));

  // The credit was a mistake: the branch reverses it. The street office settles with the shop.
  street.operation({"reverse", "--seq", std::to_string(credit), "--reason", "wrong volunteer"},
                   secretary);
  BOOST_TEST(balance("yzs1-9001") == 32);
  const int64_t shop = balance("lixiang-market", "merchant");
  BOOST_REQUIRE(shop >= 10);
  street.operation(
      {"settle", "--merchant", "lixiang-market", "--points", "10", "--reference", "voucher 7"},
      "admin");
  BOOST_TEST(balance("lixiang-market", "merchant") == shop - 10);

  // The whole chain still audits, and what the operations changed reads the same through the
  // server and on the data directory.
  const RunResult audit = street.remote({"audit"});
  BOOST_TEST(audit.exit_code == 0, audit.err);
  BOOST_TEST(contains(audit.out, " verifies: "), audit.out);
  const std::string last = std::to_string(size_of(street.query({"info"})) - 1);
  expect_same_output(street, {{"info"},
                              {"history", "yzs1-9001"},
                              {"history", "lixiang-market", "--kind", "merchant"},
                              {"accounts", "--branch", "yzs-1"},
                              {"actors"},
                              {"rules"},
                              {"rewards", "--all"},
                              {"claims", "--all", "--branch", "yzs-1"},
                              {"reservations", "--all"},
                              {"entry", last},
                              {"prove", "--seq", last},
                              {"export", "--from", "200"}});
  BOOST_TEST(available(street.local({"balance", "yzs1-9001"})) == 32);
}

BOOST_AUTO_TEST_CASE(audit_passes_and_names_a_damaged_entry) {
  Street street;
  street.start();
  const RunResult good = street.remote({"audit"});
  BOOST_TEST(good.exit_code == 0, good.err);
  BOOST_TEST(contains(good.out, "verifies"), good.out);
  const uint64_t size = size_of(street.query({"info"}));
  street.stop();

  // One bit of a signature in the middle of the chain: the entry still decodes, and passbookd
  // only checks the tail against its last checkpoint when it starts, so it serves the ledger.
  const uint64_t damaged = size / 2;
  {
    testing::RawDb db(street.data());
    const std::string bytes = db.at(testing::Cf::kEntries, testing::entry_key(damaged));
    const testing::EntryLayout layout(bytes);
    db.put(testing::Cf::kEntries, testing::entry_key(damaged),
           testing::flip(bytes, layout.signature + 7));
  }
  street.start();
  const std::string fresh_trust = (street.dir() / "fresh.trust").string();
  const RunResult bad = run_passbook({"audit", "--server", street.server().address(), "--key",
                                      street.key("auditor"), "--trust-file", fresh_trust});
  BOOST_TEST(bad.exit_code == kDamaged, bad.exit_code << ": " << bad.err);
  // Named either by verify, or already while downloading by the link it breaks to the next
  // entry (the mirror checks links as it appends).
  const bool named_by_verify =
      contains(bad.out, "does NOT verify") &&
      contains(bad.out, "First bad entry: " + std::to_string(damaged) + "\n") &&
      contains(bad.err, "passbook audit: the server's chain does not verify");
  const bool named_by_link =
      contains(bad.err, "passbook audit: entry " + std::to_string(damaged + 1) +
                            " does not link to the entry before it");
  BOOST_TEST((named_by_verify || named_by_link), "stdout: " << bad.out << "stderr: " << bad.err);
  street.stop();

  // The last entry damaged too: passbookd refuses to serve the ledger at all.
  {
    testing::RawDb db(street.data());
    const std::string bytes = db.at(testing::Cf::kEntries, testing::entry_key(size - 1));
    const testing::EntryLayout layout(bytes);
    db.put(testing::Cf::kEntries, testing::entry_key(size - 1),
           testing::flip(bytes, layout.signature + 7));
  }
  const int refused = street.server().start_expecting_refusal();
  BOOST_TEST(refused == kDamaged, refused << ": " << street.server().log());
  BOOST_TEST(contains(street.server().log(), "is damaged and will not be served"),
             street.server().log());
  BOOST_TEST(contains(street.server().log(), "passbook restore"), street.server().log());
}

BOOST_AUTO_TEST_CASE(audit_needs_an_auditor_and_the_trusted_ledger_key) {
  Street street;
  street.start();
  // A volunteer's own key, registered for an account of the demo.
  const auto volunteer_file = street.dir() / "volunteer.key";
  keygen(volunteer_file);
  street.operation({"register-actor", "--actor-key", volunteer_file.string(), "--role", "volunteer",
                    "--scope", "yzs1-0003", "--name", "a phone"},
                   "admin");
  for (const std::string& key : {volunteer_file.string(), street.key("branch-yzs-1-secretary"),
                                 street.key("merchant-dumpling-house")}) {
    BOOST_TEST_CONTEXT(key) {
      const RunResult denied = run_passbook({"audit", "--server", street.server().address(),
                                             "--key", key, "--trust-file", street.trust_file()});
      BOOST_TEST(denied.exit_code == kRefused, denied.exit_code << ": " << denied.err);
      BOOST_TEST(contains(denied.err,
                          "passbook audit: your key may not read the raw entries "
                          "(auditors and admin only)"),
                 denied.err);
      BOOST_TEST(denied.out.empty(), denied.out);
    }
  }
  // The volunteer's key still reads its own passbook.
  const RunResult own =
      run_passbook({"balance", "yzs1-0003", "--server", street.server().address(), "--key",
                    volunteer_file.string(), "--trust-file", street.trust_file()});
  BOOST_TEST(own.exit_code == 0, own.err);

  // Another key's verifier key under the ledger's own name: the server is not the ledger trusted.
  auto stranger = proof::SigningKey::load(street.key("auditor"));
  BOOST_REQUIRE(stranger.is_ok());
  const std::string other_vkey =
      proof::format_verifier_key(DemoLedger::get().origin, stranger->public_key());
  BOOST_REQUIRE(other_vkey != DemoLedger::get().vkey);
  const std::string fresh_trust = (street.dir() / "fresh.trust").string();
  const RunResult wrong =
      run_passbook({"audit", "--server", street.server().address(), "--key", street.key("auditor"),
                    "--trust-file", fresh_trust, "--ledger-vkey", other_vkey});
  BOOST_TEST((wrong.exit_code == kRefused || wrong.exit_code == kDamaged),
             wrong.exit_code << ": " << wrong.err);
  BOOST_TEST(contains(wrong.err, "not the one trusted"), wrong.err);
  BOOST_TEST(wrong.out.empty(), wrong.out);
  // A malformed one is refused before anything is asked.
  const RunResult malformed =
      run_passbook({"audit", "--server", street.server().address(), "--key", street.key("auditor"),
                    "--trust-file", fresh_trust, "--ledger-vkey", "nonsense"});
  BOOST_TEST(malformed.exit_code == kRefused, malformed.exit_code << ": " << malformed.err);
  BOOST_TEST(!malformed.err.empty());
  // The right one passes.
  const RunResult right =
      run_passbook({"audit", "--server", street.server().address(), "--key", street.key("auditor"),
                    "--trust-file", fresh_trust, "--ledger-vkey", DemoLedger::get().vkey});
  BOOST_TEST(right.exit_code == 0, right.err);
  street.stop();
}

BOOST_AUTO_TEST_SUITE_END()
