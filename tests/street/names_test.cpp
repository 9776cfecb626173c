// The off-chain names store: names never reach the chain, forget erases them for good (no copy
// anywhere under the data directory) and the chain still verifies, and a damaged names file is
// bounded, refused and never printed.
#include <boost/test/unit_test.hpp>

#include "names_store.h"
#include "street/street_harness.h"

using namespace passbook::test::street;
using passbook::cli::NamesStore;
using passbook::cli::PersonName;

namespace {

// Every file under `dir` whose bytes contain `needle`.
std::vector<std::string> files_holding(const std::filesystem::path& dir,
                                       const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& item : std::filesystem::recursive_directory_iterator(dir)) {
    if (!item.is_regular_file()) continue;
    if (contains(passbook::test::read_file(item.path()), needle))
      found.push_back(item.path().string());
  }
  return found;
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(names_test)

BOOST_AUTO_TEST_CASE(forget_erases_every_copy_and_the_chain_still_verifies) {
  Street street;
  const std::string name = "欧阳明珠";  // not one of the demo's generated names
  const std::string phone = "+86 531 0000 0000";
  street.ok({"name", "yzs1-0003", "--display", name, "--phone", phone});
  BOOST_TEST(contains(street.ok({"name", "yzs1-0003"}), name));
  BOOST_TEST(contains(first_line(street.ok({"statement", "yzs1-0003", "--lang", "zh"})), name));
  // Replacing it leaves one file and no temporary behind.
  street.ok({"name", "yzs1-0003", "--display", name + "（老党员）", "--phone", phone});
  BOOST_TEST(contains(street.ok({"names"}), name + "（老党员）"));
  // Never in an entry: only the names store holds it.
  const auto holders = files_holding(street.data(), name);
  BOOST_REQUIRE_EQUAL(holders.size(), 1u);
  BOOST_TEST(contains(holders.front(), "/names/"));
  BOOST_TEST(files_holding(street.data(), phone).size() == 1u);

  const std::string erased = street.ok({"forget", "yzs1-0003"});
  BOOST_TEST(contains(erased, "Erased"));
  BOOST_TEST(files_holding(street.data(), name).empty());
  BOOST_TEST(files_holding(street.data(), phone).empty());
  BOOST_TEST(files_holding(street.data(), "yzs1-0003\ndisplay").empty());
  BOOST_TEST(contains(street.ok({"name", "yzs1-0003"}), "No name is stored"));
  // The passbook shows the opaque id; the chain is untouched.
  BOOST_TEST(
      contains(first_line(street.ok({"statement", "yzs1-0003", "--lang", "zh"})), "yzs1-0003"));
  const RunResult verify = street.run({"verify"});
  BOOST_TEST(verify.exit_code == 0, verify.err);
  BOOST_TEST(contains(verify.out, "The ledger verifies"));
  // Forgetting again is harmless.
  BOOST_TEST(contains(street.ok({"forget", "yzs1-0003"}), "Nothing was stored"));
}

BOOST_AUTO_TEST_CASE(names_are_checked_before_they_are_stored) {
  Street street;
  const RunResult unknown = street.run({"name", "yzs9-9999", "--display", "张三"});
  BOOST_TEST(unknown.exit_code == 3);
  BOOST_TEST(contains(unknown.err, "yzs9-9999"));
  BOOST_TEST(street.run({"name", "yzs1-0003", "--display", "a\tb"}).exit_code == 3);
  BOOST_TEST(street.run({"name", "yzs1-0003", "--display", std::string(200, 'x')}).exit_code == 3);
  BOOST_TEST(
      street.run({"name", "yzs1-0003", "--display", "张三", "--phone", "call me"}).exit_code == 3);
  BOOST_TEST(street.run({"name", "yzs1-0003", "--display", ""}).exit_code == 3);
  BOOST_TEST(street.run({"name", "yzs1-0003", "--display", "\xff\xfe"}).exit_code == 3);
}

BOOST_AUTO_TEST_CASE(a_damaged_names_file_is_bounded_refused_and_not_printed) {
  Street street;
  NamesStore store(std::filesystem::path(street.data()) / "names");
  const auto file = store.file_for("yzs1-0005");
  BOOST_REQUIRE(std::filesystem::exists(file));  // the demo named this volunteer
  const std::vector<std::pair<std::string, std::string>> damages = {
      {"too big",
       "red-passbook name v1\naccount=yzs1-0005\ndisplay=" + std::string(5000, 'x') + "\n"},
      {"wrong magic", "hello\naccount=yzs1-0005\ndisplay=X\n"},
      {"another account", "red-passbook name v1\naccount=yzs1-0007\ndisplay=Mallory\n"},
      {"control character", "red-passbook name v1\naccount=yzs1-0005\ndisplay=Mal\x1blory\n"},
      {"no newline at the end", "red-passbook name v1\naccount=yzs1-0005\ndisplay=Mallory"},
      {"unknown field", "red-passbook name v1\naccount=yzs1-0005\ndisplay=Mallory\naddress=x\n"},
      {"twice", "red-passbook name v1\naccount=yzs1-0005\ndisplay=Mallory\ndisplay=Eve\n"},
  };
  for (const auto& [what, content] : damages) {
    passbook::test::write_file(file, content);
    auto read = store.get("yzs1-0005");
    BOOST_TEST(!read.is_ok(), what);
    BOOST_TEST((read.status().code() == passbook::Status::Code::kDataLoss), what);
    // The passbook still prints, with the opaque id and a warning.
    const RunResult statement = street.run({"statement", "yzs1-0005", "--lang", "en"});
    BOOST_TEST(statement.exit_code == 0, what);
    BOOST_TEST(contains(first_line(statement.out), "yzs1-0005"), what);
    BOOST_TEST(!contains(statement.out, "Mallory"), what);
    BOOST_TEST(contains(statement.err, "damaged"), what << ": " << statement.err);
    BOOST_TEST(street.run({"name", "yzs1-0005"}).exit_code == 4, what);
  }
  // forget clears a damaged file too.
  BOOST_TEST(contains(street.ok({"forget", "yzs1-0005"}), "Erased"));
  BOOST_TEST(!std::filesystem::exists(file));
}

BOOST_AUTO_TEST_CASE(the_store_round_trips_any_account_id) {
  TempDir dir;
  NamesStore store(dir.path() / "names");
  const std::vector<std::string> accounts{"plain-1", "with/slash", "../escape", "空格 id",
                                          ".hidden"};
  for (const auto& a : accounts)
    BOOST_REQUIRE(store.put(a, PersonName{"名字 " + a, "123"}).is_ok());
  for (const auto& a : accounts) {
    auto got = store.get(a);
    BOOST_REQUIRE(got.is_ok());
    BOOST_REQUIRE(got->has_value());
    BOOST_TEST((*got)->display == "名字 " + a);
    BOOST_TEST((*got)->phone == "123");
  }
  // Every file stays inside the store's directory.
  size_t files = 0;
  for (const auto& item : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (item.is_regular_file()) {
      ++files;
      BOOST_TEST(item.path().parent_path() == dir.path() / "names");
    }
  }
  BOOST_TEST(files == accounts.size());
  auto all = store.list();
  BOOST_REQUIRE(all.is_ok());
  BOOST_TEST(all->size() == accounts.size());
  auto erased = store.forget("with/slash");
  BOOST_REQUIRE(erased.is_ok());
  BOOST_TEST(*erased);
  auto gone = store.get("with/slash");
  BOOST_REQUIRE(gone.is_ok());
  BOOST_TEST(!gone->has_value());
}

BOOST_AUTO_TEST_SUITE_END()
