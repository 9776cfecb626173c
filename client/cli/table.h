// A plain terminal table whose columns line up with Chinese text as well as Latin: width is
// counted in terminal cells (East Asian wide characters take two).
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace passbook::cli {

// Terminal cells the UTF-8 text takes.
size_t display_width(std::string_view text);

class Table {
 public:
  enum class Align { kLeft, kRight };
  struct Column {
    std::string title;
    Align align = Align::kLeft;
  };
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  void print(std::ostream& out) const;
  [[nodiscard]] bool empty() const { return rows_.empty(); }

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace passbook::cli
