// init, keygen, info, verify, rebuild: setting a ledger up and checking it.
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>

#include "backend.h"
#include "cli.h"
#include "passbook/client/envelope.h"
#include "passbook/ledger/verify.h"
#include "passbook/proof/crypto.h"
#include "passbook/schemas/encoding.h"

namespace passbook::cli {
namespace {

Status make_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return unavailable("cannot create " + dir.string() + ": " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) return unavailable("cannot restrict " + dir.string());
  return Status::ok();
}

Status run_init(const Args& args) {
  const auto dir = data_dir(args);
  const auto keys = std::filesystem::path(args.get_or("keys", (dir / "keys").string()));
  const std::string origin =
      args.get_or("origin", "red-passbook/" + std::filesystem::absolute(dir).filename().string());
  PASSBOOK_ASSIGN_OR_RETURN(int64_t offset, args.integer("utc-offset-minutes", -14 * 60, 14 * 60, 480));
  PASSBOOK_ASSIGN_OR_RETURN(int64_t window, args.integer("time-window-s", 1, 86'400, 600));
  std::error_code ec;
  if (std::filesystem::exists(dir / "db", ec)) {
    return already_exists("a ledger already exists in " + dir.string());
  }
  PASSBOOK_RETURN_IF_ERROR(make_private_dir(dir));
  PASSBOOK_RETURN_IF_ERROR(make_private_dir(keys));
  const auto admin_file = keys / "admin.key";
  const auto ledger_file = keys / "ledger.key";
  PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey admin, proof::SigningKey::generate());
  PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey ledger_key, proof::SigningKey::generate());
  PASSBOOK_RETURN_IF_ERROR(admin.save(admin_file));
  if (Status s = ledger_key.save(ledger_file); !s.is_ok()) {
    std::filesystem::remove(admin_file, ec);
    return s;
  }
  LedgerId id{};
  PASSBOOK_RETURN_IF_ERROR(proof::random_bytes(id));
  schemas::Genesis genesis;
  genesis.origin = origin;
  genesis.admin_key = admin.public_key();
  genesis.admin_name = args.get_or("admin-name", "street office");
  genesis.ledger_key = ledger_key.public_key();
  genesis.utc_offset_minutes = static_cast<int32_t>(offset);
  genesis.time_window_s = static_cast<uint32_t>(window);
  auto envelope = client::sign_envelope(id, admin, {genesis});
  ledger::Options options;
  options.data_dir = dir;
  options.ledger_key_file = ledger_file;
  Result<std::unique_ptr<ledger::Ledger>> created =
      envelope.is_ok() ? ledger::Ledger::create(options, std::move(envelope).value())
                       : Result<std::unique_ptr<ledger::Ledger>>(envelope.status());
  if (!created.is_ok()) {
    // Nothing was created: take the new keys back so that init can simply be run again.
    std::filesystem::remove(admin_file, ec);
    std::filesystem::remove(ledger_file, ec);
    return created.status();
  }
  const ledger::LedgerInfo info = (*created)->info();
  PASSBOOK_RETURN_IF_ERROR((*created)->close());
  std::cout << "Created the ledger \"" << info.origin << "\" in " << dir.string() << ".\n"
            << "  ledger id     " << to_hex(info.id) << "\n"
            << "  admin key     " << admin_file.string() << " (public key " << to_hex(admin.public_key()) << ")\n"
            << "  ledger key    " << ledger_file.string() << " (signs checkpoints)\n"
            << "  verifier key  " << info.verifier_key << "\n"
            << "Give the verifier key to auditors; keep the key files private and backed up.\n";
  return Status::ok();
}

Status run_keygen(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::string out, args.required("out"));
  PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey key, proof::SigningKey::generate());
  PASSBOOK_RETURN_IF_ERROR(key.save(out));
  std::cout << "Wrote a new key to " << out << ".\n"
            << "public key " << to_hex(key.public_key()) << "\n";
  return Status::ok();
}

Status run_info(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, open_backend(args, false));
  PASSBOOK_ASSIGN_OR_RETURN(ledger::LedgerInfo info, backend->info());
  std::cout << "origin        " << info.origin << "\n"
            << "ledger id     " << to_hex(info.id) << "\n"
            << "entries       " << info.size << "\n"
            << "root          " << to_hex(info.root) << "\n"
            << "last commit   " << format_time(info.last_commit_ms, info.utc_offset_minutes) << "\n"
            << "verifier key  " << info.verifier_key << "\n";
  return backend->close();
}

Status run_verify(const Args& args) {
  ledger::VerifyOptions options;
  options.data_dir = data_dir(args);
  const bool show_progress = ::isatty(STDERR_FILENO) != 0;
  uint64_t last_percent = 101;
  options.progress = [&](uint64_t done, uint64_t total) {
    if (!show_progress || total == 0) return;
    const uint64_t percent = done * 100 / total;
    if (percent == last_percent) return;
    last_percent = percent;
    std::cerr << "\rverifying: " << done << " of " << total << " entries (" << percent << "%)"
              << std::flush;
  };
  PASSBOOK_ASSIGN_OR_RETURN(ledger::VerifyReport report, ledger::verify(options));
  if (show_progress) std::cerr << "\r\033[K";
  if (report.ok()) {
    std::cout << "The ledger verifies: " << report.entries << " entries, " << report.signatures
              << " signatures, " << report.checkpoints << " checkpoints, " << report.state_rows
              << " state rows and " << report.postings << " index postings checked.\n";
    return Status::ok();
  }
  std::cout << "The ledger does NOT verify.\n";
  if (auto first = report.first_bad_seq()) std::cout << "First bad entry: " << *first << "\n";
  size_t shown = 0;
  for (const auto& problem : report.problems) {
    if (++shown > 20) {
      std::cout << "  … and " << report.problems.size() - 20 << " more problems\n";
      break;
    }
    std::cout << "  - " << problem.message << "\n";
  }
  const std::string where =
      report.first_bad_seq() ? " from entry " + std::to_string(*report.first_bad_seq()) : "";
  return data_loss("verification failed" + where +
                   "; restore the data directory from a backup, or run passbook rebuild if only the "
                   "state or index is wrong");
}

Status run_rebuild(const Args& args) {
  const auto dir = data_dir(args);
  PASSBOOK_RETURN_IF_ERROR(ledger::rebuild(dir));
  std::cout << "Rebuilt the state of " << dir.string() << " from its chain.\n";
  return Status::ok();
}

}  // namespace

std::vector<Command> setup_commands() {
  return {
      {"init", "[--data DIR] [--origin NAME]", "create a new ledger: keys and entry 0",
       {data_option(),
        {"origin", true, "the ledger's name in checkpoints, e.g. yanshan.example/passbook"},
        {"admin-name", true, "who holds the first admin key (default: street office)"},
        {"keys", true, "where to write the key files (default: DIR/keys)"},
        {"utc-offset-minutes", true, "local time for service dates (default: 480, China)"},
        {"time-window-s", true, "how far an envelope's time may be from the ledger's (default: 600)"}},
       0, run_init},
      {"keygen", "--out FILE", "write a new Ed25519 key file and print its public key",
       {{"out", true, "the key file to create (never overwritten)"}}, 0, run_keygen},
      {"info", "[--data DIR | --server HOST:PORT --key FILE]", "show the ledger's name, size, root and verifier key",
       [] {
         auto options = backend_options();
         options.push_back({"key", true, "with --server: the key file that opens the session"});
         return options;
       }(),
       0, run_info},
      {"verify", "[--data DIR]",
       "check the whole chain, every signature, checkpoint and the stored state",
       {data_option()}, 0, run_verify},
      {"rebuild", "[--data DIR]", "replay the chain into fresh state and index", {data_option()}, 0,
       run_rebuild},
  };
}

}  // namespace passbook::cli
