// The printable pages (a passbook, a branch report, a merchant report) rendered by headless
// Chromium, from Debian's package, to PNG: each page renders, draws something (far more than a
// blank page), logs no console message (a Content-Security-Policy violation or any error would
// be one), and makes no network request. Network requests are read from Chromium's own NetLog:
// a request made for the page carries the page's (file://) isolation key; Chromium's background
// requests, which we also point at a closed loopback proxy so nothing leaves the machine, do
// not. Two deliberately bad pages prove the checks can fail.
//
// Skips (with a message) only when no chromium is installed; CI installs it (install-deps.sh).
// PASSBOOK_KEEP_RENDERS=DIR keeps the PNGs for a person to look at.
#include <boost/test/unit_test.hpp>

#include <cstdlib>

#include "street/street_harness.h"

using namespace passbook::test::street;

namespace {

std::string find_chromium() {
  if (const char* given = std::getenv("PASSBOOK_CHROMIUM"); given != nullptr && *given != '\0')
    return given;
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    for (const char* name : {"chromium", "chromium-browser"}) {
      const auto candidate = std::filesystem::path(dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
  }
  return "";
}

struct Render {
  int exit_code = -1;
  std::string png;
  std::string log;                               // Chromium's standard error
  std::vector<std::string> page_requests;        // network URLs the page itself asked for
  std::vector<std::string> background_requests;  // Chromium's own (sent to a closed proxy)
  size_t netlog_events = 0;
};

constexpr int kWidth = 794;  // A4 at 96 dpi
constexpr int kHeight = 1123;

bool is_local(const std::string& url) {
  for (const char* scheme : {"file:", "data:", "about:", "chrome:", "chrome-error:", "blob:"}) {
    if (url.rfind(scheme, 0) == 0) return true;
  }
  return false;
}

// Reads the NetLog (JSON, one event a line) and sorts the URLs requested.
void read_netlog(const std::filesystem::path& file, Render& render) {
  const std::string text = passbook::test::read_file(file);
  BOOST_REQUIRE_MESSAGE(contains(text, "\"events\""),
                        "Chromium wrote no NetLog events to " << file);
  std::istringstream in(text);
  std::string line;
  passbook::cli::json::Limits limits;
  limits.max_values = 100'000;
  while (std::getline(in, line)) {
    if (line.rfind("{\"params\"", 0) != 0 && line.rfind("{\"phase\"", 0) != 0) continue;
    // An event is one line ending in "," (or "]}" for the last one).
    auto event = passbook::cli::json::parse(line, limits);
    for (int strip = 0; strip < 3 && !event.is_ok() && !line.empty(); ++strip) {
      line.pop_back();
      event = passbook::cli::json::parse(line, limits);
    }
    if (!event.is_ok()) continue;
    ++render.netlog_events;
    const auto* params = event->find("params");
    if (params == nullptr) continue;
    const auto* url = params->find("url");
    if (url == nullptr || url->kind != passbook::cli::json::Value::Kind::kString ||
        is_local(url->text))
      continue;
    const auto* nik = params->find("network_isolation_key");
    const auto* initiator = params->find("initiator");
    const bool for_page = (nik != nullptr && nik->text.rfind("file://", 0) == 0) ||
                          (initiator != nullptr && initiator->text == "null");
    (for_page ? render.page_requests : render.background_requests).push_back(url->text);
  }
}

Render render(const std::string& chromium, const std::filesystem::path& html,
              const std::filesystem::path& work) {
  static int counter = 0;
  const std::string tag = std::to_string(++counter);
  Render r;
  r.png = (work / ("page" + tag + ".png")).string();
  const auto netlog = work / ("net" + tag + ".json");
  const auto err = work / ("err" + tag + ".txt");
  const std::string command =
      "timeout 180 " + chromium +
      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--no-default-browser-check"
      " --disable-background-networking --disable-component-update --disable-sync "
      "--disable-default-apps"
      " --disable-extensions --disable-domain-reliability --no-pings --disable-breakpad"
      // Nothing leaves the machine: every name resolves to nothing, every request goes to a
      // closed port on loopback.
      " --host-resolver-rules='MAP * ~NOTFOUND' --proxy-server=127.0.0.1:9 "
      "--proxy-bypass-list='<-loopback>'"
      " --user-data-dir=" +
      (work / ("profile" + tag)).string() + " --log-net-log=" + netlog.string() +
      " --enable-logging=stderr --log-level=0" + " --window-size=" + std::to_string(kWidth) + "," +
      std::to_string(kHeight) + " --screenshot=" + r.png + " file://" + html.string() +
      " > /dev/null 2> " + err.string();
  const int status = std::system(command.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.log = passbook::test::read_file(err);
  if (std::filesystem::exists(netlog)) read_netlog(netlog, r);
  return r;
}

// Console messages (errors, CSP violations) in Chromium's log.
std::vector<std::string> console_lines(const std::string& log) {
  std::vector<std::string> out;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (contains(line, ":CONSOLE")) out.push_back(line);
  }
  return out;
}

struct Png {
  bool ok = false;
  uint32_t width = 0;
  uint32_t height = 0;
  size_t bytes = 0;
};

Png read_png(const std::string& file) {
  const std::string data = passbook::test::read_file(file);
  Png png;
  png.bytes = data.size();
  if (data.size() < 33 || data.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 ||
      data.compare(12, 4, "IHDR") != 0) {
    return png;
  }
  auto be32 = [&](size_t at) {
    return (uint32_t{static_cast<unsigned char>(data[at])} << 24) |
           (uint32_t{static_cast<unsigned char>(data[at + 1])} << 16) |
           (uint32_t{static_cast<unsigned char>(data[at + 2])} << 8) |
           uint32_t{static_cast<unsigned char>(data[at + 3])};
  };
  png.ok = true;
  png.width = be32(16);
  png.height = be32(20);
  return png;
}

// What every one of our pages must not hold: anything that could load from elsewhere.
void check_self_contained(const std::string& html, const std::string& what) {
  for (const char* banned :
       {"http:", "https:", "//", "<script", "<link", "<img", "<iframe", "<object", "<embed",
        "src=", "href=", "url(", "@import", "@font-face"}) {
    BOOST_TEST(!contains(html, banned), what << " holds " << banned);
  }
  BOOST_TEST(contains(html, "Content-Security-Policy"), what);
  BOOST_TEST(contains(html, "default-src 'none'"), what);
  BOOST_TEST(contains(html, "@page{size:"), what);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(render_test)

BOOST_AUTO_TEST_CASE(pages_render_without_errors_or_network_requests) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    BOOST_WARN_MESSAGE(false,
                       "SKIPPED: chromium is not installed (scripts/install-deps.sh installs it); "
                       "the HTML pages were not rendered");
    return;
  }
  Street street({"--volunteers", "60", "--branches", "3", "--months", "3"});
  TempDir work;
  const std::string month = [&] {
    const std::string info = street.ok({"info"});
    const size_t at = info.find("last commit");
    BOOST_REQUIRE(at != std::string::npos);
    return info.substr(info.find_first_of("0123456789", at), 7);
  }();
  struct Page {
    std::string name;
    std::vector<std::string> args;
  };
  const std::vector<Page> pages = {
      {"passbook-zh", {"statement", "yzs1-0001", "--format", "html", "--lang", "zh"}},
      {"passbook-en", {"statement", "yzs2-0002", "--format", "html", "--lang", "en"}},
      {"branch-report",
       {"report", "--branch", "yzs-1", "--month", month, "--format", "html", "--lang", "zh"}},
      {"merchant-report",
       {"report", "--merchant", "lixiang-market", "--month", month, "--format", "html", "--lang",
        "en"}},
  };
  const auto blank = work.path() / "blank.html";
  passbook::test::write_file(
      blank, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body></body></html>\n");
  const Render baseline = render(chromium, blank, work.path());
  BOOST_REQUIRE_MESSAGE(baseline.exit_code == 0,
                        "chromium failed on a blank page: " << baseline.log);
  const Png blank_png = read_png(baseline.png);
  BOOST_REQUIRE(blank_png.ok);

  const char* keep = std::getenv("PASSBOOK_KEEP_RENDERS");
  for (const auto& page : pages) {
    const auto html = work.path() / (page.name + ".html");
    std::vector<std::string> args = page.args;
    args.push_back("--out");
    args.push_back(html.string());
    (void)street.ok(args);
    check_self_contained(passbook::test::read_file(html), page.name);
    const Render r = render(chromium, html, work.path());
    BOOST_TEST(r.exit_code == 0, page.name << ": " << r.log);
    const Png png = read_png(r.png);
    BOOST_TEST(png.ok, page.name << ": no PNG");
    BOOST_TEST(png.width == static_cast<uint32_t>(kWidth), page.name);
    BOOST_TEST(png.height == static_cast<uint32_t>(kHeight), page.name);
    BOOST_TEST(png.bytes > 3 * blank_png.bytes, page.name << ": " << png.bytes << " bytes vs "
                                                          << blank_png.bytes
                                                          << " for a blank page");
    const auto console = console_lines(r.log);
    BOOST_TEST(console.empty(), page.name << ": " << (console.empty() ? "" : console.front()));
    BOOST_TEST(r.netlog_events > 0u, page.name);
    const std::string asked = r.page_requests.empty() ? "" : r.page_requests.front();
    BOOST_TEST(r.page_requests.empty(), page.name << " asked the network for " << asked);
    if (!r.background_requests.empty()) {
      BOOST_TEST_MESSAGE(
          page.name << ": Chromium's own background requests (sent to a closed loopback proxy): "
                    << r.background_requests.size());
    }
    if (keep != nullptr && *keep != '\0') {
      std::filesystem::create_directories(keep);
      std::filesystem::copy_file(r.png, std::filesystem::path(keep) / (page.name + ".png"),
                                 std::filesystem::copy_options::overwrite_existing);
    }
  }

  // The checks can fail: a page that loads from the network is caught in the NetLog, and a
  // Content-Security-Policy violation shows up as a console message.
  const auto leaky = work.path() / "leaky.html";
  passbook::test::write_file(
      leaky,
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body><p>x</p>"
      "<img src=\"http://example.invalid/pixel.png\"></body></html>\n");
  const Render leak = render(chromium, leaky, work.path());
  BOOST_TEST(!leak.page_requests.empty(), "a page loading http://example.invalid was not caught");
  const auto strict = work.path() / "strict.html";
  passbook::test::write_file(strict,
                             "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta "
                             "http-equiv=\"Content-Security-Policy\" "
                             "content=\"default-src 'none'\"></head><body><p>x</p>"
                             "<img src=\"http://example.invalid/pixel.png\"></body></html>\n");
  const Render blocked = render(chromium, strict, work.path());
  BOOST_TEST(!console_lines(blocked.log).empty(), "a CSP violation left no console message");
  BOOST_TEST(blocked.page_requests.empty());
}

BOOST_AUTO_TEST_SUITE_END()
