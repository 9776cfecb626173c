// Command-line arguments: `passbook <command> [positionals] [--option value] [--flag]`, checked
// against what the command declares, so a typo is a usage error and not a silent default.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "passbook/schemas/status.h"

namespace passbook::cli {

struct OptionSpec {
  std::string name;  // without the dashes
  bool takes_value = true;
  std::string help;
};

class Args {
 public:
  // argv holds only what follows the command name.
  static Result<Args> parse(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs,
                            size_t max_positionals);

  [[nodiscard]] bool has(const std::string& name) const { return values_.count(name) > 0 || flags_.count(name) > 0; }
  [[nodiscard]] bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  [[nodiscard]] std::optional<std::string> get(const std::string& name) const;
  [[nodiscard]] std::string get_or(const std::string& name, const std::string& fallback) const;
  [[nodiscard]] Result<std::string> required(const std::string& name) const;
  // An integer option within [min, max]; fallback when absent.
  [[nodiscard]] Result<int64_t> integer(const std::string& name, int64_t min, int64_t max,
                                        std::optional<int64_t> fallback = std::nullopt) const;
  [[nodiscard]] const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positionals_;
};

// Parses a decimal integer within [min, max]; `what` names it in the error.
Result<int64_t> parse_integer(const std::string& text, int64_t min, int64_t max, const std::string& what);

}  // namespace passbook::cli
