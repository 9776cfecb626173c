// passbookd: serves one ledger. main() only reads the options, opens the ledger, builds the
// server and runs it until SIGINT or SIGTERM; then the ledger is closed cleanly.
#include <charconv>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "../src/log.h"
#include "live_backup.h"
#include "passbook/ledger/ledger.h"
#include "passbook/server/server.h"

namespace {

constexpr const char* kUsage =
    "usage: passbookd --data DIR [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE]\n"
    "                 [--ledger-key FILE] [--max-connections N] [--max-in-flight N]\n"
    "                 [--idle-timeout-s N] [--log-level debug|info|warn|error]\n"
    "                 [--skip-checksum-scan] [--backup-dir DIR] [--snapshot-every-postings N]\n"
    "Serves the ledger in DIR (default listen 127.0.0.1:7411). Plain TCP only on loopback;\n"
    "any other address needs --tls-cert and --tls-key (TLS 1.3). At start every table file's\n"
    "checksums are read (damage is refused, exit status 4); --skip-checksum-scan skips that\n"
    "for a very large ledger (run passbook verify on a copy instead).\n"
    "With --backup-dir, an admin's `passbook backup --server` (a Backup request) or\n"
    "`kill -USR1 PID` stores a backup of the ledger as it is at that moment in DIR while it is\n"
    "being served (list and restore with passbook backups / restore). Without it, Backup\n"
    "requests are refused.\n"
    "--snapshot-every-postings N (default 1000000) stores the derived state after that many\n"
    "postings: fewer means less memory and a shorter replay at a start after a crash, more\n"
    "means less writing (the tests use small values to crash it mid-snapshot).\n";

bool parse_number(const std::string& text, uint64_t max, uint64_t& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return !text.empty() && ec == std::errc() && ptr == end && out <= max;
}

int fail(const std::string& message, int code) {
  std::cerr << "passbookd: " << message << "\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace passbook;
  server::ServerOptions options;
  ledger::Options ledger_options;
  std::filesystem::path backup_dir;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (flag == "--skip-checksum-scan") {
      ledger_options.checksum_scan_at_open = false;
      continue;
    }
    if (i + 1 >= args.size()) return fail(flag + " needs a value\n" + kUsage, 2);
    const std::string value = args[++i];
    uint64_t number = 0;
    if (flag == "--data") {
      ledger_options.data_dir = value;
    } else if (flag == "--listen") {
      const size_t colon = value.rfind(':');
      if (colon == std::string::npos || !parse_number(value.substr(colon + 1), 65535, number)) {
        return fail("--listen takes ADDRESS:PORT, e.g. 127.0.0.1:7411", 2);
      }
      options.listen_address = value.substr(0, colon);
      if (options.listen_address.size() > 2 && options.listen_address.front() == '[') {
        options.listen_address = options.listen_address.substr(1, options.listen_address.size() - 2);
      }
      options.port = static_cast<uint16_t>(number);
    } else if (flag == "--tls-cert") {
      options.tls_cert = value;
    } else if (flag == "--tls-key") {
      options.tls_key = value;
    } else if (flag == "--backup-dir") {
      backup_dir = value;
      options.backup_dir = value;
    } else if (flag == "--ledger-key") {
      ledger_options.ledger_key_file = value;
    } else if (flag == "--max-connections" && parse_number(value, 1'000'000, number) && number > 0) {
      options.max_connections = number;
    } else if (flag == "--max-in-flight" && parse_number(value, 1'000'000, number) && number > 0) {
      options.max_in_flight_per_connection = static_cast<uint32_t>(number);
    } else if (flag == "--snapshot-every-postings" && parse_number(value, 100'000'000, number) &&
               number > 0) {
      ledger_options.snapshot_every_postings = number;
    } else if (flag == "--idle-timeout-s" && parse_number(value, 86'400, number) && number > 0) {
      options.idle_timeout = std::chrono::seconds(number);
    } else if (flag == "--log-level") {
      if (value == "debug") server::set_log_level(server::LogLevel::kDebug);
      else if (value == "info") server::set_log_level(server::LogLevel::kInfo);
      else if (value == "warn") server::set_log_level(server::LogLevel::kWarn);
      else if (value == "error") server::set_log_level(server::LogLevel::kError);
      else return fail("--log-level is debug, info, warn or error", 2);
    } else {
      std::string message = "unknown option or bad value: " + flag;
      message += " ";
      message += value;
      message += "\n";
      message += kUsage;
      return fail(message, 2);
    }
  }
  if (ledger_options.data_dir.empty()) return fail(std::string("--data is required\n") + kUsage, 2);

  if (!backup_dir.empty()) server::LiveBackups::block_signal();
  auto ledger = ledger::Ledger::open(ledger_options);
  if (!ledger.is_ok()) {
    server::log(server::LogLevel::kError, "cannot serve " + ledger_options.data_dir.string() + ": " +
                                              ledger.status().message());
    const bool damaged = ledger.status().code() == Status::Code::kDataLoss;
    if (damaged) {
      std::cerr
          << "passbookd: the ledger in " << ledger_options.data_dir.string()
          << " is damaged and will not be served: " << ledger.status().message()
          << "\nRestore the last good backup: passbook restore --from BACKUP_DIR --data NEWDIR"
             " (then serve NEWDIR). `passbook verify --data "
          << ledger_options.data_dir.string() << "` reports the damage in detail.\n";
    }
    return damaged ? 4 : 5;
  }
  auto server = server::Server::create(**ledger, options);
  if (!server.is_ok()) {
    server::log(server::LogLevel::kError, server.status().message());
    return server.status().code() == Status::Code::kInvalidArgument ? 2 : 5;
  }
  std::optional<server::LiveBackups> backups;
  if (!backup_dir.empty()) {
    backups.emplace(**server, backup_dir);
    backups->start();
  }
  Status served = (*server)->run(/*handle_signals=*/true);
  backups.reset();  // a backup under way is finished before the ledger closes
  server->reset();
  Status closed = (*ledger)->close();
  if (!closed.is_ok()) server::log(server::LogLevel::kError, "closing the ledger failed: " + closed.message());
  server::log(server::LogLevel::kInfo, "ledger closed");
  return served.is_ok() && closed.is_ok() ? 0 : 1;
}
