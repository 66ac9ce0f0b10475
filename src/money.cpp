#include "funnel/money.h"

#include <charconv>
#include <system_error>

#include <fmt/format.h>

#include "funnel/diagnostics.h"
#include "funnel/text.h"

namespace funnel {
namespace {

using Status = ParsedAmount::Status;

ParsedAmount invalid(const char* problem) {
  ParsedAmount r;
  r.status = Status::invalid;
  r.problem = problem;
  return r;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_letter(char c) {
  auto u = static_cast<unsigned char>(c | 0x20);
  return u >= 'a' && u <= 'z';
}

bool has(std::string_view s, std::size_t i, std::string_view prefix) {
  return i <= s.size() && s.substr(i).starts_with(prefix);
}

constexpr std::string_view kNbsp = "\xC2\xA0";            // U+00A0 no-break space
constexpr std::string_view kNarrowNbsp = "\xE2\x80\xAF";  // U+202F narrow no-break space
constexpr std::string_view kThinSpace = "\xE2\x80\x89";   // U+2009 thin space
constexpr std::string_view kRightQuote = "\xE2\x80\x99";  // U+2019, a Swiss thousands apostrophe
constexpr std::string_view kMinus = "\xE2\x88\x92";       // U+2212 minus sign
constexpr std::string_view kEmDash = "\xE2\x80\x94";      // U+2014, "no value"

/// Bytes of the blank at s[i] (space, tab, NBSP, narrow NBSP, thin space); 0 when none.
std::size_t blank_width(std::string_view s, std::size_t i) {
  if (i >= s.size()) return 0;
  if (s[i] == ' ' || s[i] == '\t') return 1;
  if (has(s, i, kNbsp)) return kNbsp.size();
  if (has(s, i, kNarrowNbsp) || has(s, i, kThinSpace)) return 3;
  return 0;
}

// Not text.h's trim_blanks: amounts from spreadsheets also carry Unicode spaces (NBSP, narrow
// NBSP, thin space) as padding, which cell values in general keep.
std::string_view trim(std::string_view s) {
  while (std::size_t w = blank_width(s, 0)) s.remove_prefix(w);
  for (;;) {
    if (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
      s.remove_suffix(1);
    } else if (s.ends_with(kNbsp)) {
      s.remove_suffix(kNbsp.size());
    } else if (s.ends_with(kNarrowNbsp) || s.ends_with(kThinSpace)) {
      s.remove_suffix(3);
    } else {
      return s;
    }
  }
}

bool is_no_value(std::string_view s) {
  return s.empty() || s == "-" || s == kEmDash || iequals_ascii(s, "n/a") || iequals_ascii(s, "na") ||
         iequals_ascii(s, "null") || iequals_ascii(s, "none");
}

bool is_not_finite(std::string_view word) {
  return iequals_ascii(word, "nan") || iequals_ascii(word, "inf") || iequals_ascii(word, "infinity");
}

/// Bytes of the currency symbol at s[i] ($ € £ ¥ ₹); 0 when none.
std::size_t symbol_width(std::string_view s, std::size_t i) {
  if (i >= s.size()) return 0;
  if (s[i] == '$') return 1;
  for (std::string_view symbol :
       {"\xE2\x82\xAC" /* € */, "\xC2\xA3" /* £ */, "\xC2\xA5" /* ¥ */, "\xE2\x82\xB9" /* ₹ */}) {
    if (has(s, i, symbol)) return symbol.size();
  }
  return 0;
}

/// Bytes of the sign at s[i] ('+', '-', U+2212 minus; '+' only when `plus`); 0 when none.
std::size_t sign_width(std::string_view s, std::size_t i, bool plus, bool& negative) {
  if (i >= s.size()) return 0;
  std::size_t w = s[i] == '-' ? 1 : has(s, i, kMinus) ? kMinus.size() : 0;
  negative = w > 0;
  if (w == 0 && plus && s[i] == '+') w = 1;
  return w;
}

enum class Sep : unsigned char { none, dot, comma, space, apostrophe };

struct SepAt {
  Sep kind = Sep::none;
  std::size_t width = 0;
};

/// The digit separator at s[i], if any.
SepAt separator_at(std::string_view s, std::size_t i) {
  if (i >= s.size()) return {};
  switch (s[i]) {
    case '.': return {Sep::dot, 1};
    case ',': return {Sep::comma, 1};
    case '\'': return {Sep::apostrophe, 1};
    case ' ': return {Sep::space, 1};
    default: break;
  }
  if (has(s, i, kRightQuote)) return {Sep::apostrophe, kRightQuote.size()};
  if (has(s, i, kNbsp)) return {Sep::space, kNbsp.size()};
  if (has(s, i, kNarrowNbsp) || has(s, i, kThinSpace)) return {Sep::space, 3};
  return {};
}

Sep sep_of(DecimalMark mark) {
  return mark == DecimalMark::dot ? Sep::dot : mark == DecimalMark::comma ? Sep::comma : Sep::none;
}

DecimalMark mark_of(Sep sep) {
  return sep == Sep::dot ? DecimalMark::dot : sep == Sep::comma ? DecimalMark::comma : DecimalMark::automatic;
}

/// Reads the currency markers on one side of the number: at most one symbol or run of 1-3
/// ASCII letters (optionally ending in '.'), with blanks around it. Null when fine.
const char* skip_markers(std::string_view s, std::size_t& i, bool before) {
  int markers = 0;
  for (;;) {
    std::size_t w = symbol_width(s, i);
    if (w == 0) {
      while (i + w < s.size() && is_letter(s[i + w])) ++w;
      if (w > 0) {
        if (is_not_finite(s.substr(i, w))) return "not a finite number";
        if (w > 3) return before ? "unexpected text before the number" : "unexpected text after the number";
        if (i + w < s.size() && s[i + w] == '.') ++w;  // "kr."
      }
    }
    if (w == 0) return nullptr;
    if (markers++ > 0) {
      return before ? "more than one currency marker before the number"
                    : "more than one currency marker after the number";
    }
    i += w;
    while (std::size_t b = blank_width(s, i)) i += b;
  }
}

/// The group lengths of an integer part, checked as it is walked: western (1-3 digits, then
/// groups of 3) or Indian (1-2 digits, groups of 2, a last group of 3).
class Grouping {
 public:
  void digit() { ++run_; }
  void separator() {
    end_group();
    ++groups_;
  }
  /// True when the integer part ended is a valid grouping (or has no separator).
  bool valid(bool leading_zero) {
    end_group();
    if (groups_ == 0) return true;
    if (leading_zero || first_ == 0) return false;
    bool western = first_ <= 3 && !not_three_;
    bool indian = first_ <= 2 && groups_ >= 2 && last_ == 3 && !middle_not_two_;
    return western || indian;
  }

 private:
  void end_group() {
    if (counted_ == 0) {
      first_ = run_;
    } else {
      if (counted_ >= 2 && last_ != 2) middle_not_two_ = true;  // the previous group was a middle one
      if (run_ != 3) not_three_ = true;
      last_ = run_;
    }
    ++counted_;
    run_ = 0;
  }

  std::size_t run_ = 0, first_ = 0, last_ = 0, groups_ = 0, counted_ = 0;
  bool not_three_ = false, middle_not_two_ = false;
};

}  // namespace

DecimalMark parse_decimal_mark(std::string_view text) {
  if (text == "auto" || text == "automatic") return DecimalMark::automatic;
  if (text == "." || text == "dot") return DecimalMark::dot;
  if (text == "," || text == "comma") return DecimalMark::comma;
  throw Error(ExitCode::usage, fmt::format("--decimal must be . or , (or auto), not '{}'", text));
}

AmountReader::AmountReader(DecimalMark mark) : given_(mark) {}

ParsedAmount AmountReader::read(std::string_view text) {
  std::string_view s = trim(text);
  if (is_no_value(s)) return {};

  bool negative = false;
  int signs = 0;
  if (s.size() >= 2 && s.front() == '(' && s.back() == ')') {
    negative = true;
    ++signs;
    s = trim(s.substr(1, s.size() - 2));
  }
  const std::size_t n = s.size();
  std::size_t i = 0;
  auto skip_blanks = [&] {
    while (std::size_t b = blank_width(s, i)) i += b;
  };
  // A sign at s[i] ('+' only before the number); false when it is a second one.
  auto take_sign = [&](bool plus) {
    bool minus = false;
    std::size_t w = sign_width(s, i, plus, minus);
    if (w == 0) return true;
    if (signs++ > 0) return false;
    negative = minus;
    i += w;
    skip_blanks();
    return true;
  };

  // Before the number: [sign] [currency] [sign].
  if (!take_sign(true)) return invalid("more than one sign");
  if (const char* problem = skip_markers(s, i, true)) return invalid(problem);
  if (!take_sign(true)) return invalid("more than one sign");

  // The number: digit runs joined by single separators, each followed by a digit.
  const std::size_t body = i;
  if (i >= n) return invalid("no number");
  if (!is_digit(s[i]) && !((s[i] == '.' || s[i] == ',') && i + 1 < n && is_digit(s[i + 1]))) {
    return invalid("unexpected text before the number");
  }
  unsigned count[5] = {};  // separators of each Sep kind
  Sep last_sep = Sep::none, last_dot_or_comma = Sep::none;
  std::size_t first_run = 0, run = 0;  // digits before the first separator; in the current run
  std::size_t digits = 0;
  bool in_first_run = true;
  for (;;) {
    if (i < n && is_digit(s[i])) {
      ++i;
      ++run;
      ++digits;
      if (in_first_run) ++first_run;
      continue;
    }
    SepAt sep = separator_at(s, i);
    if (sep.kind == Sep::none || i + sep.width >= n || !is_digit(s[i + sep.width])) break;
    ++count[static_cast<int>(sep.kind)];
    last_sep = sep.kind;
    if (sep.kind == Sep::dot || sep.kind == Sep::comma) last_dot_or_comma = sep.kind;
    in_first_run = false;
    run = 0;
    i += sep.width;
  }
  const std::size_t body_end = i, last_run = run;
  // Scientific notation: e or E right after the digits, an optional sign, digits.
  std::size_t exponent = 0, exponent_end = i;  // where the 'e' is; 0 when none
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < n && (s[j] == '+' || s[j] == '-')) ++j;
    if (j < n && is_digit(s[j])) {
      exponent = i;
      while (j < n && is_digit(s[j])) ++j;
      exponent_end = j;
    }
  }
  i = exponent_end;
  if (exponent == 0 && i < n && (s[i] == 'e' || s[i] == 'E') && (i + 1 == n || !is_letter(s[i + 1]))) {
    return invalid("no digits after the exponent e");  // "1e", "1e-"; "5EUR" is a currency
  }

  // After the number: [",-"] [sign] [currency] [sign].
  if (i + 1 < n && (s[i] == ',' || s[i] == '.') && s[i + 1] == '-') i += 2;  // "100,-": no cents
  skip_blanks();
  if (!take_sign(false)) return invalid("more than one sign");
  if (const char* problem = skip_markers(s, i, false)) return invalid(problem);
  if (!take_sign(false)) return invalid("more than one sign");
  if (i != n) return invalid("unexpected text after the number");

  // Which separator is the decimal mark.
  const unsigned dots = count[static_cast<int>(Sep::dot)], commas = count[static_cast<int>(Sep::comma)];
  const unsigned spaces = count[static_cast<int>(Sep::space)];
  const unsigned apostrophes = count[static_cast<int>(Sep::apostrophe)];
  Sep decimal = Sep::none;
  DecimalMark shown = DecimalMark::automatic;  // the mark this value shows on its own
  char ambiguous = 0;                          // "1,234": the separator, read as thousands until the column decides
  if (given_ != DecimalMark::automatic) {
    decimal = count[static_cast<int>(sep_of(given_))] > 0 ? sep_of(given_) : Sep::none;
  } else if (dots > 0 && commas > 0) {
    decimal = last_dot_or_comma;
    shown = mark_of(decimal);
  } else if (dots + commas > 1) {
    shown = dots > 0 ? DecimalMark::comma : DecimalMark::dot;  // repeated: it groups
  } else if (dots + commas == 1) {
    const Sep sep = last_dot_or_comma;
    const bool can_group = spaces == 0 && apostrophes == 0 && exponent == 0 && last_run == 3 && first_run >= 1 &&
                           first_run <= 3 && s[body] != '0';
    if (!can_group) {
      decimal = sep;
      shown = mark_of(sep);
    } else {
      ambiguous = sep == Sep::comma ? ',' : '.';
    }
  }

  if (decimal != Sep::none) {
    if (count[static_cast<int>(decimal)] > 1) return invalid("more than one decimal mark");
    if (last_sep != decimal) return invalid("thousands separator after the decimal mark");
  }
  int grouping_kinds = 0;
  for (Sep kind : {Sep::dot, Sep::comma, Sep::space, Sep::apostrophe}) {
    if (kind != decimal && count[static_cast<int>(kind)] > 0) ++grouping_kinds;
  }
  if (grouping_kinds > 1) return invalid("mixed thousands separators");
  if (grouping_kinds > 0 && exponent != 0) return invalid("thousands separator in scientific notation");

  // Check the grouping and write the plain number: digits [. digits] [e [-] digits].
  const std::size_t length = digits + 4 + (exponent_end - exponent);
  char stack[64];
  std::string heap;  // only for very long numbers
  char* out = stack;
  if (length > sizeof stack) {
    heap.resize(length);
    out = heap.data();
  }
  std::size_t o = 0;
  out[o++] = '0';  // so that ".5" reads
  Grouping grouping;
  bool in_fraction = false;
  for (std::size_t j = body; j < body_end;) {
    if (is_digit(s[j])) {
      out[o++] = s[j++];
      if (!in_fraction) grouping.digit();
      continue;
    }
    SepAt sep = separator_at(s, j);
    if (sep.kind == decimal) {
      out[o++] = '.';
      in_fraction = true;
    } else {
      grouping.separator();
    }
    j += sep.width;
  }
  if (!grouping.valid(s[body] == '0')) return invalid("misplaced thousands separator");
  bool exponent_negative = false;
  if (exponent != 0) {
    out[o++] = 'e';
    for (std::size_t j = exponent + 1; j < exponent_end; ++j) {
      if (s[j] == '-') exponent_negative = true;
      if (s[j] != '+') out[o++] = s[j];
    }
  }

  // The value is well formed: it is evidence of the column's mark, whatever its sign or size.
  if (shown == DecimalMark::dot) ++shown_dot_;
  if (shown == DecimalMark::comma) ++shown_comma_;

  ParsedAmount r;
  auto [end, ec] = std::from_chars(out, out + o, r.value);
  if (ec == std::errc::result_out_of_range) {
    if (!exponent_negative) return invalid("too large");
    r.value = 0;  // below the smallest double: zero
  } else if (ec != std::errc{} || end != out + o) {
    return invalid("not a number");  // not reached: the text was checked above
  }
  if (negative && r.value > 0) return invalid("negative amount");
  if (r.value >= 1e15) return invalid("too large");
  r.status = Status::ok;
  r.ambiguous_separator = ambiguous;
  r.shows = shown;
  if (ambiguous != 0) ++ambiguous_;
  return r;
}

DecimalMark AmountReader::column_mark() const {
  if (given_ != DecimalMark::automatic) return given_;
  if (shown_dot_ == shown_comma_) return DecimalMark::automatic;
  return shown_dot_ > shown_comma_ ? DecimalMark::dot : DecimalMark::comma;
}

std::uint64_t AmountReader::shown(DecimalMark mark) const {
  return mark == DecimalMark::dot ? shown_dot_ : mark == DecimalMark::comma ? shown_comma_ : 0;
}

double settle_amount(double thousands, char separator, DecimalMark mark) {
  const bool decimal =
      (separator == ',' && mark == DecimalMark::comma) || (separator == '.' && mark == DecimalMark::dot);
  return decimal ? thousands / 1000 : thousands;  // exactly 3 digits after the separator
}

}  // namespace funnel
