// Self-contained printable HTML pages: inline CSS only, no scripts, no fonts or images fetched
// from anywhere (a Content-Security-Policy in the page forbids it), black-and-white friendly, and
// simple bar charts drawn as inline SVG.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "street_text.h"

namespace passbook::cli::html {

// Text for element content and attribute values.
std::string escape(std::string_view text);

struct PageSize {
  std::string css;  // the @page size, e.g. "A5 portrait" or "A4 portrait"
};
inline const PageSize kPassbookPage{"A5 portrait"};
inline const PageSize kReportPage{"A4 portrait"};

// A complete document around `body` (already escaped HTML).
std::string page(std::string_view title, street::Lang lang, const PageSize& size,
                 std::string_view body);

struct Bar {
  std::string label;
  double value = 0;
  std::string value_text;  // printed at the end of the bar
  bool highlight = false;  // drawn solid; others hatched (tells them apart in black and white)
};
// Vertical bars (e.g. hours by month).
std::string column_chart(std::string_view title, const std::vector<Bar>& bars);
// Horizontal bars (e.g. points by category).
std::string bar_chart(std::string_view title, const std::vector<Bar>& bars);

}  // namespace passbook::cli::html
