// The README's first steps, exactly as a street office types them: init, keygen, register a
// branch, a rule, an account, a credit, the balance and the passbook, verify.
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>

#include "cli/cli_harness.h"

using namespace passbook::test;

namespace {

std::string today_in_china() {
  const std::time_t now = std::time(nullptr) + 8 * 3600;
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &utc);
  return buf;
}

void require_ok(const RunResult& r, const std::string& what) {
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, what << " failed (" << r.exit_code << "): " << r.err << r.out);
}

mode_t mode_of(const std::filesystem::path& file) {
  struct stat info {};
  BOOST_REQUIRE(::stat(file.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(setup_test)

BOOST_AUTO_TEST_CASE(the_readme_first_steps_work) {
  TempDir dir;
  const std::string street = (dir.path() / "street").string();
  const std::string secretary = (dir.path() / "secretary.key").string();
  const std::string admin = street + "/keys/admin.key";
  require_ok(run_passbook({"init", "--data", street, "--origin", "yanshan.example/passbook"}), "init");
  BOOST_TEST(mode_of(street + "/keys/admin.key") == 0600u);
  BOOST_TEST(mode_of(street + "/keys/ledger.key") == 0600u);
  require_ok(run_passbook({"keygen", "--out", secretary}), "keygen");
  BOOST_TEST(mode_of(secretary) == 0600u);
  require_ok(run_passbook({"register-actor", "--data", street, "--key", admin, "--actor-key", secretary, "--role",
                           "branch", "--scope", "yzs-3", "--name", "第三网格党支部 书记"}),
             "register-actor");
  require_ok(run_passbook({"set-rule", "--data", street, "--key", admin, "--category", "elder-visit",
                           "--points-per-hour", "12", "--daily-cap-minutes", "180"}),
             "set-rule");
  require_ok(run_passbook({"open-account", "--data", street, "--key", secretary, "--account", "yzs3-0042"}),
             "open-account");
  require_ok(run_passbook({"credit", "--data", street, "--key", secretary, "--account", "yzs3-0042", "--category",
                           "elder-visit", "--minutes", "90", "--date", today_in_china()}),
             "credit");
  const RunResult balance = run_passbook({"balance", "yzs3-0042", "--data", street});
  require_ok(balance, "balance");
  BOOST_TEST(balance.out.find("18 points available") != std::string::npos, balance.out);
  const RunResult history = run_passbook({"history", "yzs3-0042", "--data", street});
  require_ok(history, "history");
  BOOST_TEST(history.out.find("elder-visit") != std::string::npos);
  const RunResult verify = run_passbook({"verify", "--data", street});
  require_ok(verify, "verify");
  BOOST_TEST(verify.out.find("The ledger verifies: 5 entries") != std::string::npos, verify.out);
}

BOOST_AUTO_TEST_CASE(init_refuses_an_existing_ledger_and_keeps_its_keys) {
  TempDir dir;
  const std::string street = (dir.path() / "street").string();
  require_ok(run_passbook({"init", "--data", street}), "init");
  const std::string key_before = read_file(street + "/keys/admin.key");
  const RunResult again = run_passbook({"init", "--data", street});
  BOOST_TEST(again.exit_code == 3);
  BOOST_TEST(again.err.find("already exists") != std::string::npos, again.err);
  BOOST_TEST(read_file(street + "/keys/admin.key") == key_before);
  require_ok(run_passbook({"verify", "--data", street}), "verify");
}

BOOST_AUTO_TEST_CASE(a_wrong_command_line_is_exit_code_2_with_a_plain_sentence) {
  const RunResult unknown = run_passbook({"credit", "--acount", "x"});
  BOOST_TEST(unknown.exit_code == 2);
  BOOST_TEST(unknown.err.find("unknown option --acount") != std::string::npos, unknown.err);
  const RunResult nothing = run_passbook({"frobnicate"});
  BOOST_TEST(nothing.exit_code == 2);
  TempDir dir;
  const RunResult missing = run_passbook({"balance", "x", "--data", (dir.path() / "none").string()});
  BOOST_TEST(missing.exit_code == 3);
  BOOST_TEST(missing.err.find("there is no ledger") != std::string::npos, missing.err);
}

BOOST_AUTO_TEST_SUITE_END()
