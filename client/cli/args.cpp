#include "args.h"

#include <charconv>

namespace passbook::cli {

Result<int64_t> parse_integer(const std::string& text, int64_t min, int64_t max, const std::string& what) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return invalid_argument(what + " must be a whole number, not \"" + text + "\"");
  }
  if (value < min || value > max) {
    return invalid_argument(what + " must be between " + std::to_string(min) + " and " +
                            std::to_string(max) + ", not " + text);
  }
  return value;
}

Result<Args> Args::parse(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs,
                         size_t max_positionals) {
  Args args;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& word = argv[i];
    if (word.rfind("--", 0) != 0 || word == "--") {
      if (args.positionals_.size() >= max_positionals) {
        return invalid_argument("unexpected argument \"" + word + "\"");
      }
      args.positionals_.push_back(word);
      continue;
    }
    std::string name = word.substr(2);
    std::optional<std::string> inline_value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const OptionSpec* spec = nullptr;
    for (const auto& s : specs) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) return invalid_argument("unknown option --" + name);
    if (args.has(name)) return invalid_argument("--" + name + " is given twice");
    if (!spec->takes_value) {
      if (inline_value) return invalid_argument("--" + name + " takes no value");
      args.flags_.insert(name);
      continue;
    }
    if (inline_value) {
      args.values_[name] = *inline_value;
    } else if (i + 1 < argv.size()) {
      args.values_[name] = argv[++i];
    } else {
      return invalid_argument("--" + name + " needs a value");
    }
  }
  return args;
}

std::optional<std::string> Args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::get_or(const std::string& name, const std::string& fallback) const {
  return get(name).value_or(fallback);
}

Result<std::string> Args::required(const std::string& name) const {
  auto value = get(name);
  if (!value) return invalid_argument("--" + name + " is required");
  return *value;
}

Result<int64_t> Args::integer(const std::string& name, int64_t min, int64_t max,
                              std::optional<int64_t> fallback) const {
  auto value = get(name);
  if (!value) {
    if (fallback) return *fallback;
    return invalid_argument("--" + name + " is required");
  }
  return parse_integer(*value, min, max, "--" + name);
}

}  // namespace passbook::cli
