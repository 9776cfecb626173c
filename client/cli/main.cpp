// passbook: the Red Passbook command line. `main` only finds the command, parses its options
// and turns the outcome into one plain sentence and an exit code.
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"

namespace {

using passbook::cli::Command;

std::vector<Command> all_commands() {
  std::vector<Command> all;
  for (auto group : {passbook::cli::setup_commands(), passbook::cli::operation_commands(),
                     passbook::cli::query_commands(), passbook::cli::demo_commands(),
                     passbook::cli::audit_commands(),
                     passbook::cli::mirror_commands(), passbook::cli::street_commands(),
                     passbook::cli::backup_commands()}) {
    for (auto& command : group) all.push_back(std::move(command));
  }
  return all;
}

void print_help(const std::vector<Command>& commands) {
  std::cout << "passbook: the Red Passbook (红色存折) volunteer points ledger\n\n"
               "usage: passbook COMMAND [arguments]    passbook help COMMAND\n\n";
  size_t width = 0;
  for (const auto& c : commands) width = std::max(width, c.name.size());
  for (const auto& c : commands) {
    std::cout << "  " << c.name << std::string(width - c.name.size() + 2, ' ') << c.summary << "\n";
  }
  std::cout << "\nThe data directory is --data DIR, or $PASSBOOK_DATA, or ./passbook-data.\n"
               "Exit codes: 0 done, 2 wrong command line, 3 refused by the ledger, 4 damaged data,\n"
               "5 unavailable (in use, disk, network), 1 internal error.\n";
}

void print_command_help(const Command& c) {
  std::cout << "usage: passbook " << c.name << " " << c.synopsis << "\n\n" << c.summary << "\n";
  if (!c.options.empty()) std::cout << "\noptions:\n";
  for (const auto& o : c.options) {
    std::string left = "--" + o.name + (o.takes_value ? " VALUE" : "");
    std::cout << "  " << left << std::string(left.size() < 26 ? 26 - left.size() : 1, ' ') << o.help << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<Command> commands = all_commands();
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty() || words[0] == "help" || words[0] == "--help" || words[0] == "-h") {
    if (words.size() >= 2) {
      for (const auto& c : commands) {
        if (c.name == words[1]) {
          print_command_help(c);
          return passbook::cli::kExitOk;
        }
      }
      std::cerr << "passbook: there is no command \"" << words[1] << "\"\n";
      return passbook::cli::kExitUsage;
    }
    print_help(commands);
    return words.empty() ? passbook::cli::kExitUsage : passbook::cli::kExitOk;
  }
  const Command* command = nullptr;
  for (const auto& c : commands) {
    if (c.name == words[0]) command = &c;
  }
  if (command == nullptr) {
    std::cerr << "passbook: there is no command \"" << words[0] << "\"; run passbook help\n";
    return passbook::cli::kExitUsage;
  }
  words.erase(words.begin());
  for (const auto& w : words) {
    if (w == "--help" || w == "-h") {
      print_command_help(*command);
      return passbook::cli::kExitOk;
    }
  }
  auto args = passbook::cli::Args::parse(words, command->options, command->max_positionals);
  if (!args.is_ok()) {
    std::cerr << "passbook " << command->name << ": " << args.status().message()
              << "\nusage: passbook " << command->name << " " << command->synopsis << "\n";
    return passbook::cli::kExitUsage;
  }
  passbook::Status status;
  try {
    status = command->run(*args);
  } catch (const std::exception& e) {
    status = passbook::internal_error(e.what());
  }
  if (!status.is_ok()) {
    std::cerr << "passbook " << command->name << ": " << status.message() << "\n";
    return passbook::cli::exit_code_for(status);
  }
  return passbook::cli::kExitOk;
}
