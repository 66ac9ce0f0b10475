#include "funnel/recode.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "funnel/diagnostics.h"
#include "funnel/text.h"

namespace funnel {
namespace {

[[noreturn]] void fail(std::string_view flag, std::string_view text, std::size_t at, const std::string& what) {
  throw Error(ExitCode::usage, fmt::format("{} {}: column {}: {}", flag, quote_cell(text), at + 1, what));
}

/// A number as a band edge or label shows it: integers without decimals, others shortest.
std::string edge_text(double v) { return fmt::format("{}", v); }

/// Reads one --recode text.
void parse_recode(const std::string& text, std::map<std::string, Recoding>& out) {
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos) fail("--recode", text, 0, "expected COLUMN: VALUE -> NEW");
  std::string column(trim_space(std::string_view(text).substr(0, colon)));
  if (column.size() >= 2 && (column.front() == '"' || column.front() == '\'' || column.front() == '`') &&
      column.back() == column.front()) {
    column = column.substr(1, column.size() - 2);
  }
  if (column.empty()) fail("--recode", text, 0, "no column before ':'");
  Recoding& recoding = out[column];
  std::size_t i = colon + 1;
  auto skip = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  };
  // A value: quoted ("..." or '...', the quote doubled stands for itself) or bare up to
  // , ; -> or the end, blanks around it trimmed.
  auto value = [&](bool& quoted) {
    skip();
    quoted = false;
    std::string v;
    if (i < text.size() && (text[i] == '"' || text[i] == '\'')) {
      const char q = text[i];
      const std::size_t start = i++;
      for (;; ++i) {
        if (i >= text.size()) fail("--recode", text, start, fmt::format("the quote {} is never closed", q));
        if (text[i] == q) {
          if (i + 1 < text.size() && text[i + 1] == q) {
            v += q;
            ++i;
            continue;
          }
          ++i;
          break;
        }
        v += text[i];
      }
      quoted = true;
      return v;
    }
    const std::size_t start = i;
    while (i < text.size() && text[i] != ',' && text[i] != ';' && text.compare(i, 2, "->") != 0) ++i;
    return std::string(trim_space(std::string_view(text).substr(start, i - start)));
  };
  for (;;) {
    Recoding::Rule rule;
    for (;;) {
      const std::size_t at = i;
      bool quoted = false;
      std::string v = value(quoted);
      if (!quoted && v == "*") {
        rule.any = true;
      } else if (!quoted && v.empty()) {
        skip();
        fail("--recode", text, at, "expected a value (write \"\" for an empty cell)");
      } else {
        rule.from.push_back(std::move(v));
      }
      skip();
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      break;
    }
    if (text.compare(i, 2, "->") != 0) fail("--recode", text, i, "expected ',' or '->' after a value");
    i += 2;
    const std::size_t at = i;
    bool quoted = false;
    rule.to = value(quoted);
    if (!quoted && rule.to.empty()) fail("--recode", text, at, "expected the new value after '->'");
    recoding.rules.push_back(std::move(rule));
    skip();
    if (i >= text.size()) break;
    if (text[i] != ';') fail("--recode", text, i, "expected ';' before another rule, or the end");
    ++i;
    skip();
    if (i >= text.size()) break;  // a trailing ';'
  }
}

void parse_bucket(const std::string& text, std::map<std::string, Bucketing>& out) {
  const std::size_t eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0) fail("--bucket", text, 0, "expected COLUMN=EDGE,EDGE,...");
  const std::string column(trim_space(std::string_view(text).substr(0, eq)));
  Bucketing b;
  std::size_t start = eq + 1;
  for (;;) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string part(trim_space(std::string_view(text).substr(start, end - start)));
    char* stop = nullptr;
    const double v = part.empty() ? NAN : std::strtod(part.c_str(), &stop);
    if (part.empty() || stop != part.c_str() + part.size() || !std::isfinite(v)) {
      fail("--bucket", text, start, fmt::format("an edge is a number, not '{}'", part));
    }
    if (!b.edges.empty() && v <= b.edges.back()) {
      fail("--bucket", text, start, fmt::format("edges go up: {} after {}", part, edge_text(b.edges.back())));
    }
    b.edges.push_back(v);
    if (end == text.size()) break;
    start = end + 1;
  }
  if (out.count(column)) fail("--bucket", text, 0, fmt::format("column '{}' has bands already", column));
  out.emplace(column, std::move(b));
}

}  // namespace

std::string_view Recoding::apply(std::string_view value) const {
  for (const Rule& rule : rules) {
    if (rule.any || std::find(rule.from.begin(), rule.from.end(), value) != rule.from.end()) return rule.to;
  }
  return value;
}

std::string Bucketing::band(double value) const {
  if (value < edges.front()) return "<" + edge_text(edges.front());
  for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
    if (value < edges[i + 1]) return edge_text(edges[i]) + "-" + edge_text(edges[i + 1]);
  }
  return ">=" + edge_text(edges.back());
}

std::string Bucketing::band(std::string_view cell, DecimalMark decimal) const {
  if (trim_space(cell).empty()) return "";
  AmountReader reader(decimal);
  const ParsedAmount a = reader.read(cell);
  if (a.status == ParsedAmount::Status::empty) return "";
  if (a.status != ParsedAmount::Status::ok) {
    // Amounts are never negative; a band edge may be, so a plain negative number still has a band.
    char* stop = nullptr;
    const std::string copy(trim_space(cell));
    const double v = std::strtod(copy.c_str(), &stop);
    if (stop == copy.c_str() + copy.size() && std::isfinite(v)) return band(v);
    return "(not a number)";
  }
  return band(a.value);
}

Recodes parse_recodes(const std::vector<std::string>& recode, const std::vector<std::string>& bucket) {
  Recodes out;
  for (const auto& text : recode) parse_recode(text, out.recode);
  for (const auto& text : bucket) parse_bucket(text, out.buckets);
  return out;
}

}  // namespace funnel
