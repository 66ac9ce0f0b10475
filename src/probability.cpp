#include "funnel/probability.h"

#include <charconv>
#include <string>
#include <system_error>

#include "funnel/text.h"

namespace funnel {
namespace {

bool no_value(std::string_view s) {
  return s == "-" || iequals_ascii(s, "n/a") || iequals_ascii(s, "na") || iequals_ascii(s, "null") ||
         iequals_ascii(s, "none");
}

ParsedProbability invalid(std::string problem) { return {ParsedProbability::Status::invalid, 0, std::move(problem)}; }

}  // namespace

ParsedProbability read_probability(std::string_view text, bool percent) {
  std::string_view s = trim_blanks(text);
  if (s.empty() || no_value(s)) return {};
  bool negative = false;
  if (s.front() == '-' || s.front() == '+') {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (!s.empty() && s.back() == '%') {
    percent = true;
    s.remove_suffix(1);
    s = trim_blanks(s);
  }
  // Digits with at most one decimal mark: no grouping, no exponent, no currency.
  std::string number;
  bool digits = false, mark = false;
  for (char c : s) {
    if (c == '.' || c == ',') {
      if (mark) return invalid("not a number");
      mark = true;
      number += '.';
    } else if (c >= '0' && c <= '9') {
      digits = true;
      number += c;
    } else {
      return invalid("not a number");
    }
  }
  if (!digits) return invalid("not a number");
  if (number.front() == '.') number.insert(number.begin(), '0');
  double value = 0;
  if (std::from_chars(number.data(), number.data() + number.size(), value).ec != std::errc()) {
    return invalid("not a number");
  }
  if (negative && value > 0) return invalid("negative probability");
  if (percent || value > 1) value /= 100;
  if (value > 1) return invalid("more than 100%");
  return {ParsedProbability::Status::ok, value, {}};
}

}  // namespace funnel
