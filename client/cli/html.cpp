#include "html.h"

#include <algorithm>
#include <cstdio>

namespace passbook::cli::html {
namespace {

// Only fonts already on the machine: no @font-face, nothing fetched.
constexpr std::string_view kCss = R"css(
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;padding:8mm;color:#000;background:#fff;
 font-family:"Noto Serif CJK SC","Noto Sans CJK SC","Source Han Serif SC","WenQuanYi Zen Hei",
 "Songti SC","SimSun","Microsoft YaHei",serif;font-size:10pt;line-height:1.35}
.book{max-width:132mm;margin:0 auto}
.report{max-width:190mm;margin:0 auto}
.cover{border:2px solid #b00000;border-radius:3mm;padding:3mm 4mm;margin-bottom:4mm;text-align:center}
.cover h1{margin:0;font-size:18pt;letter-spacing:.05em;color:#b00000}
:lang(zh-CN) .cover h1{letter-spacing:.3em}
.cover .sub{font-size:9pt;letter-spacing:.05em}
dl.owner{display:grid;grid-template-columns:auto 1fr auto 1fr;gap:1mm 3mm;margin:0 0 3mm 0}
dl.owner dt{font-weight:bold}
dl.owner dd{margin:0;border-bottom:1px solid #000;min-height:1.3em;overflow-wrap:anywhere}
h2{font-size:11pt;margin:5mm 0 1.5mm 0;border-bottom:1px solid #000;padding-bottom:.5mm}
table{width:100%;border-collapse:collapse;font-size:8.5pt}
th,td{border:1px solid #000;padding:.8mm 1.2mm;vertical-align:top}
th{font-weight:bold;background:#eee}
td.n,th.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.d{white-space:nowrap}
tr.total td{font-weight:bold;border-top:2px solid #000}
thead{display:table-header-group}
tr{break-inside:avoid}
.note{font-size:7.5pt;margin-top:3mm;color:#000}
.muted{color:#444}
.figures{display:grid;grid-template-columns:repeat(4,1fr);gap:2mm;margin:2mm 0}
.figure{border:1px solid #000;padding:1.5mm 2mm}
.figure .v{font-size:14pt;font-weight:bold;font-variant-numeric:tabular-nums}
.figure .k{font-size:8pt}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:4mm}
figure{margin:0}
figcaption{font-weight:bold;font-size:9pt;margin-bottom:1mm}
svg{width:100%;height:auto;display:block}
svg text{font-size:9px;fill:#000}
@media print{
 body{padding:0}
 .cover{border-color:#000}
 .cover h1{color:#000}
 th{background:#fff}
}
)css";

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string page(std::string_view title, street::Lang lang, const PageSize& size,
                 std::string_view body) {
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"";
  out += lang == street::Lang::kZh ? "zh-CN" : "en";
  out += "\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Nothing may be loaded from anywhere: the page is complete as it is.
  out +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; img-src data:\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  out += escape(title);
  out += "</title>\n<style>\n@page{size:" + size.css + ";margin:10mm}";
  out += kCss;
  out += "</style>\n</head>\n<body>\n";
  out += body;
  out += "</body>\n</html>\n";
  return out;
}

std::string column_chart(std::string_view title, const std::vector<Bar>& bars) {
  const double width = 360;
  const double height = 170;
  const double left = 8;
  const double bottom = 30;
  const double top = 16;
  double max = 0;
  for (const auto& b : bars) max = std::max(max, b.value);
  if (max <= 0) max = 1;
  const double slot = bars.empty() ? width : (width - 2 * left) / static_cast<double>(bars.size());
  std::string svg = "<figure><figcaption>" + escape(title) + "</figcaption>";
  svg += "<svg viewBox=\"0 0 " + number(width) + " " + number(height) +
         "\" role=\"img\" aria-label=\"" + escape(title) + "\">";
  svg += "<line x1=\"" + number(left) + "\" y1=\"" + number(height - bottom) + "\" x2=\"" +
         number(width - left) + "\" y2=\"" + number(height - bottom) +
         "\" stroke=\"#000\" stroke-width=\"1\"/>";
  for (size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const double h = (height - bottom - top) * (b.value / max);
    const double x = left + slot * static_cast<double>(i) + slot * 0.15;
    const double w = slot * 0.7;
    const double y = height - bottom - h;
    svg += "<rect x=\"" + number(x) + "\" y=\"" + number(y) + "\" width=\"" + number(w) +
           "\" height=\"" + number(h) + "\" fill=\"" + (b.highlight ? "#000" : "#aaa") +
           "\" stroke=\"#000\" stroke-width=\"0.6\"/>";
    svg += "<text x=\"" + number(x + w / 2) + "\" y=\"" + number(y - 3) +
           "\" text-anchor=\"middle\">" + escape(b.value_text) + "</text>";
    svg += "<text x=\"" + number(x + w / 2) + "\" y=\"" + number(height - bottom + 12) +
           "\" text-anchor=\"middle\">" + escape(b.label) + "</text>";
  }
  svg += "</svg></figure>\n";
  return svg;
}

std::string bar_chart(std::string_view title, const std::vector<Bar>& bars) {
  const double width = 360;
  const double row = 18;
  const double label_width = 150;  // room for "新鲜时蔬 fresh vegetables"
  const double value_width = 52;
  const double height = std::max(row, row * static_cast<double>(bars.size())) + 8;
  double max = 0;
  for (const auto& b : bars) max = std::max(max, b.value);
  if (max <= 0) max = 1;
  std::string svg = "<figure><figcaption>" + escape(title) + "</figcaption>";
  svg += "<svg viewBox=\"0 0 " + number(width) + " " + number(height) +
         "\" role=\"img\" aria-label=\"" + escape(title) + "\">";
  for (size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const double y = 4 + row * static_cast<double>(i);
    const double w = (width - label_width - value_width) * (b.value / max);
    svg += "<text x=\"" + number(label_width - 4) + "\" y=\"" + number(y + row * 0.65) +
           "\" text-anchor=\"end\">" + escape(b.label) + "</text>";
    svg += "<rect x=\"" + number(label_width) + "\" y=\"" + number(y + 3) + "\" width=\"" +
           number(w) + "\" height=\"" + number(row - 6) + "\" fill=\"" +
           (b.highlight ? "#000" : "#aaa") + "\" stroke=\"#000\" stroke-width=\"0.6\"/>";
    svg += "<text x=\"" + number(label_width + w + 3) + "\" y=\"" + number(y + row * 0.65) + "\">" +
           escape(b.value_text) + "</text>";
  }
  svg += "</svg></figure>\n";
  return svg;
}

}  // namespace passbook::cli::html
