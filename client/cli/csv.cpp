#include "csv.h"

namespace passbook::cli::csv {

std::string field(std::string_view value) {
  const bool needs_quotes = value.find_first_of(",\"\r\n") != std::string_view::npos ||
                            (!value.empty() && (value.front() == ' ' || value.back() == ' '));
  if (!needs_quotes) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string row(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += field(fields[i]);
  }
  out += "\r\n";
  return out;
}

Result<std::vector<Record>> parse(std::string_view text, const Limits& limits) {
  if (text.size() > limits.max_bytes) {
    return invalid_argument("the file is larger than " + std::to_string(limits.max_bytes) +
                            " bytes");
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<Record> records;
  size_t line = 1;
  size_t i = 0;
  auto at = [&](size_t l) { return "line " + std::to_string(l) + ": "; };
  while (i < text.size()) {
    // An empty line (LF or CRLF alone) holds no record.
    if (text[i] == '\n') {
      ++i;
      ++line;
      continue;
    }
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      i += 2;
      ++line;
      continue;
    }
    if (records.size() >= limits.max_records) {
      return invalid_argument("the file has more than " + std::to_string(limits.max_records) +
                              " lines");
    }
    Record record;
    record.line = line;
    std::string current;
    bool done = false;
    while (!done) {
      if (record.fields.size() >= limits.max_fields) {
        return invalid_argument(at(record.line) + "more than " + std::to_string(limits.max_fields) +
                                " fields");
      }
      current.clear();
      if (i < text.size() && text[i] == '"') {
        ++i;
        bool closed = false;
        while (i < text.size()) {
          const char c = text[i];
          if (c == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              current.push_back('"');
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          if (c == '\n') ++line;
          current.push_back(c);
          ++i;
          if (current.size() > limits.max_field_bytes) {
            return invalid_argument(at(record.line) + "a field is longer than " +
                                    std::to_string(limits.max_field_bytes) + " bytes");
          }
        }
        if (!closed) return invalid_argument(at(record.line) + "a quoted field is never closed");
        if (i < text.size() && text[i] != ',' && text[i] != '\n' &&
            !(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
          return invalid_argument(at(line) + "text after a closing quote (write \"\" for a quote)");
        }
      } else {
        while (i < text.size() && text[i] != ',' && text[i] != '\n') {
          if (text[i] == '\r') {
            if (i + 1 < text.size() && text[i + 1] == '\n') break;
            return invalid_argument(at(line) + "a lone carriage return");
          }
          if (text[i] == '"') {
            return invalid_argument(at(line) +
                                    "a quote inside an unquoted field (quote the whole field)");
          }
          current.push_back(text[i]);
          ++i;
          if (current.size() > limits.max_field_bytes) {
            return invalid_argument(at(record.line) + "a field is longer than " +
                                    std::to_string(limits.max_field_bytes) + " bytes");
          }
        }
      }
      record.fields.push_back(current);
      if (i >= text.size()) {
        done = true;
      } else if (text[i] == ',') {
        ++i;
      } else {  // end of record: LF or CRLF
        i += text[i] == '\r' ? 2 : 1;
        ++line;
        done = true;
      }
    }
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace passbook::cli::csv
