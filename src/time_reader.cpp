#include "funnel/time_reader.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "funnel/diagnostics.h"

namespace funnel {
namespace {

ParsedTime invalid(std::string problem) {
  ParsedTime r;
  r.status = ParsedTime::Status::invalid;
  r.problem = std::move(problem);
  return r;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Reads 1..max digits at `pos`; returns how many were read (0: none).
std::size_t number(std::string_view s, std::size_t pos, std::size_t max, unsigned& out) {
  std::size_t n = 0;
  unsigned v = 0;
  while (pos + n < s.size() && n < max && is_digit(s[pos + n])) v = v * 10 + static_cast<unsigned>(s[pos + n++] - '0');
  out = v;
  return n;
}

/// Validates a calendar date; empty when fine.
std::string check_date(unsigned y, unsigned m, unsigned d) {
  if (m < 1 || m > 12) return fmt::format("month {} is not 1..12", m);
  if (y == 0) return "year 0000 is not a real date";
  if (d < 1 || d > days_in_month(y, m)) return fmt::format("{:04}-{:02} has no day {}", y, m, d);
  return {};
}

const char* kAccepted =
    "expected e.g. 2024-03-05, 2024-03-05T14:22:01Z, 05.03.2024, 05/03/2024, 3/5/2024 2:22 PM, Mar 5, 2024 or "
    "epoch seconds; or set --date-format";

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/// Reads an English month name or its three-letter abbreviation ("Apr", "april", "SEPT",
/// "Apr."), any case, at `pos`: the month 1..12 and how many characters it took, or 0.
std::size_t month_name(std::string_view s, std::size_t pos, unsigned& month) {
  static constexpr std::string_view kMonths[] = {"january", "february", "march",     "april",   "may",      "june",
                                                 "july",    "august",   "september", "october", "november", "december"};
  std::size_t n = 0;
  char word[10];
  while (pos + n < s.size() && is_alpha(s[pos + n])) {
    if (n == sizeof word) return 0;
    word[n] = static_cast<char>(s[pos + n] | 0x20);
    ++n;
  }
  if (n < 3) return 0;
  std::string_view w(word, n);
  for (unsigned i = 0; i < 12; ++i) {
    if (w == kMonths[i] || w == kMonths[i].substr(0, 3) || (i == 8 && w == "sept")) {
      month = i + 1;
      if (pos + n < s.size() && s[pos + n] == '.') ++n;  // "Apr."
      return n;
    }
  }
  return 0;
}

/// A trailing " UTC" (as warehouses and BigQuery write), any case: the length without it, or
/// npos when there is none.
std::size_t without_utc(std::string_view s) {
  if (s.size() < 5) return std::string_view::npos;
  std::string_view tail = s.substr(s.size() - 4);
  if (tail[0] != ' ' || (tail[1] | 0x20) != 'u' || (tail[2] | 0x20) != 't' || (tail[3] | 0x20) != 'c') {
    return std::string_view::npos;
  }
  return trim_blanks(s.substr(0, s.size() - 4)).size();
}

}  // namespace

unsigned two_digit_year(unsigned yy) { return yy < kTwoDigitPivot ? 2000 + yy : 1900 + yy; }

TimeFormat TimeFormat::parse(std::string_view text) {
  TimeFormat f;
  if (text.empty() || text == "auto") return f;
  if (text == "dmy")
    f.kind = Kind::dmy;
  else if (text == "mdy")
    f.kind = Kind::mdy;
  else if (text == "epoch" || text == "epoch_s" || text == "unix")
    f.kind = Kind::epoch;
  else if (text == "epoch_ms" || text == "unix_ms")
    f.kind = Kind::epoch_ms;
  else if (text == "excel")
    f.kind = Kind::excel;
  else if (text.find('%') != std::string_view::npos) {
    f.kind = Kind::pattern;
    f.pattern = std::string(text);
    for (std::size_t i = 0; i + 1 < text.size(); ++i) {
      if (text[i] != '%') continue;
      char field = text[++i];
      if (std::string_view("YymdbBHIMSp%").find(field) == std::string_view::npos) {
        throw Error(ExitCode::usage,
                    fmt::format("--date-format '{}': unknown field %{}; the fields are %Y %y %m %b %B %d "
                                "%H %I %M %S %p and %% for a percent sign",
                                text, field));
      }
    }
  } else {
    throw Error(ExitCode::usage, fmt::format("--date-format must be auto, dmy, mdy, epoch, epoch_ms, excel or "
                                             "a pattern like '%d.%m.%Y %H:%M', not '{}'",
                                             text));
  }
  return f;
}

ParsedTime TimeReader::read(std::string_view cell) {
  std::string_view s = trim_blanks(cell);
  if (s.size() <= 4 && is_placeholder(s)) {  // every placeholder is short
    ParsedTime r;
    r.status = ParsedTime::Status::empty;
    return r;
  }
  // "2021-04-15 00:03:00 UTC": the time before it is that instant, whatever --tz says.
  const bool numeric = format_.kind == TimeFormat::Kind::epoch || format_.kind == TimeFormat::Kind::epoch_ms ||
                       format_.kind == TimeFormat::Kind::excel;
  bool utc = false;
  if (!numeric && !s.empty() && (s.back() | 0x20) == 'c') {
    if (std::size_t n = without_utc(s); n != std::string_view::npos) {
      if (format_.kind != TimeFormat::Kind::pattern || format_.pattern.size() < 3 ||
          format_.pattern.compare(format_.pattern.size() - 3, 3, "UTC") != 0) {
        s = s.substr(0, n);
        utc = true;
      }
    }
  }
  ParsedTime r = read_local(s);
  if (utc && r.status == ParsedTime::Status::ok) {
    if (!r.local) return invalid("a zone and a trailing UTC");
    r.local = false;
  }
  if (r.status == ParsedTime::Status::ok && r.local && zone_ != nullptr && !zone_->is_utc()) {
    LocalKind kind;
    r.value = zone_->to_utc(r.value, kind);
    gaps_ += kind == LocalKind::gap;
    overlaps_ += kind == LocalKind::overlap;
  }
  if (r.status == ParsedTime::Status::ok && (r.value < kEarliest || r.value > kLatest)) {
    return invalid("the time falls outside the years 0001..9999");
  }
  return r;
}

ParsedTime TimeReader::read_local(std::string_view s) {
  using Kind = TimeFormat::Kind;
  switch (format_.kind) {
    case Kind::epoch:
    case Kind::epoch_ms:
    case Kind::excel: {
      // A plain number; fractions allowed.
      char* end = nullptr;
      std::string text(s);
      double v = std::strtod(text.c_str(), &end);
      if (end != text.c_str() + text.size() || !std::isfinite(v) || text.find_first_of("eExX") != std::string::npos) {
        return invalid(format_.kind == Kind::excel ? "expected an Excel serial day like 45292.5"
                                                   : "expected a number of seconds since 1970");
      }
      // Seconds since 1970 as a double, range-checked before any integer conversion.
      double seconds = format_.kind == Kind::excel
                           ? std::floor(v * 86400.0 + 0.5) + double(days_from_civil(1899, 12, 30)) * 86400.0
                       : format_.kind == Kind::epoch_ms ? std::floor(v / 1000.0)
                                                        : std::floor(v);
      if (!(seconds >= double(kEarliest) && seconds <= double(kLatest))) {
        return invalid("the time falls outside the years 0001..9999");
      }
      ParsedTime r;
      r.status = ParsedTime::Status::ok;
      r.value = static_cast<Timestamp>(seconds);
      r.local = format_.kind == Kind::excel;  // Excel serials are wall-clock time
      return r;
    }
    case Kind::pattern: return read_pattern(s);
    case Kind::automatic:
    case Kind::dmy:
    case Kind::mdy: break;
  }
  if (s.size() >= 10 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3])) {
    if (s[4] == '-') return parse_timestamp(s, cache_);  // ISO
    if (s[4] == '/' || s[4] == '.') {                    // 2024/03/05: year first is never ambiguous
      unsigned y, m, d;
      if (number(s, 0, 4, y) == 4 && number(s, 5, 2, m) == 2 && s.size() > 7 && s[7] == s[4] &&
          number(s, 8, 2, d) == 2) {
        if (auto problem = check_date(y, m, d); !problem.empty()) return invalid(problem);
        return finish_time(s, 10, days_from_civil(y, m, d), "expected a space between date and time");
      }
    }
  }
  // Epoch seconds (9-10 digits) and milliseconds (12-13 digits), as the HubSpot API exports.
  if (format_.kind == TimeFormat::Kind::automatic && std::all_of(s.begin(), s.end(), is_digit)) {
    if (s.size() == 9 || s.size() == 10 || s.size() == 12 || s.size() == 13) {
      ParsedTime r;
      r.status = ParsedTime::Status::ok;
      r.value = std::stoll(std::string(s));
      if (s.size() >= 12) r.value /= 1000;
      return r;
    }
    return invalid(
        fmt::format("{} digits is neither epoch seconds (10) nor milliseconds (13); {}", s.size(), kAccepted));
  }
  // "Apr 15, 2021", "15-Apr-2021", "15 Apr, 2021 00:03:00": a month name, never ambiguous.
  if (!s.empty() && is_alpha(s[0])) return read_month_name(s);
  if (std::size_t i = s.find_first_not_of("0123456789");
      i > 0 && i <= 2 && i + 1 < s.size() && (s[i] == ' ' || s[i] == '-') && is_alpha(s[i + 1])) {
    return read_month_name(s);
  }
  for (char separator : {'.', '/', '-'}) {
    auto first = s.find(separator);
    if (first != std::string_view::npos && first <= 2 && first > 0) return read_slash(s, separator);
  }
  return invalid(kAccepted);
}

ParsedTime TimeReader::read_slash(std::string_view s, char separator) {
  unsigned a, b, y;
  std::size_t pos = 0, n = number(s, pos, 2, a);
  if (n == 0 || pos + n >= s.size() || s[pos + n] != separator) return invalid(kAccepted);
  pos += n + 1;
  n = number(s, pos, 2, b);
  if (n == 0 || pos + n >= s.size() || s[pos + n] != separator) return invalid(kAccepted);
  pos += n + 1;
  n = number(s, pos, 4, y);
  if (n == 2) {
    y = two_digit_year(y);  // 02/23/26 (US Salesforce reports): Excel's 1930-2029 window
  } else if (n != 4) {
    return invalid("expected a year of four digits (or two: 1930-2029)");
  }
  pos += n;
  // Dotted dates are day-first (German and Nordic Excel); slashes and dashes need an order.
  DateOrder order = separator == '.' ? DateOrder::dmy : order_->load(std::memory_order_relaxed);
  if (format_.kind == TimeFormat::Kind::dmy) order = DateOrder::dmy;
  if (format_.kind == TimeFormat::Kind::mdy) order = DateOrder::mdy;
  if (order == DateOrder::undecided) {
    if (a > 12 && b <= 12)
      order = DateOrder::dmy;
    else if (b > 12 && a <= 12)
      order = DateOrder::mdy;
    if (order != DateOrder::undecided) {
      order_->store(order, std::memory_order_relaxed);
    } else if (a <= 12 && b <= 12) {
      // Both could be the month: check the rest, then wait for the column to decide.
      ParsedTime probe = finish_time(s, pos, 0, "expected a space between date and time");
      if (probe.status != ParsedTime::Status::ok) return probe;
      ParsedTime r;
      r.status = ParsedTime::Status::ambiguous;
      r.problem = "day/month order unknown";
      return r;
    }
  } else if (separator != '.' && format_.kind == TimeFormat::Kind::automatic) {
    // The column is settled: a value that only fits the other order is a contradiction.
    bool fits = order == DateOrder::dmy ? b <= 12 : a <= 12;
    if (!fits) {
      return invalid(
          fmt::format("this column's dates are {} (settled by earlier rows) but this one is not; "
                      "set --date-format",
                      order == DateOrder::dmy ? "day-first" : "month-first"));
    }
  }
  unsigned d = order == DateOrder::dmy ? a : b, m = order == DateOrder::dmy ? b : a;
  if (auto problem = check_date(y, m, d); !problem.empty()) return invalid(problem);
  return finish_time(s, pos, days_from_civil(y, m, d), "expected a space between date and time");
}

ParsedTime TimeReader::read_month_name(std::string_view s) {
  // Month first: "Apr 15, 2021", "April 15 2021 3:04 PM"; day first: "15-Apr-2021",
  // "15 Apr, 2021 00:03:00" (Zoho), "15 April 2021". The year has four digits or two.
  unsigned day = 0, month = 0, year = 0;
  std::size_t pos = 0, n = 0;
  auto separators = [&](std::string_view allowed) {
    std::size_t start = pos;
    while (pos < s.size() && allowed.find(s[pos]) != std::string_view::npos) ++pos;
    return pos > start;
  };
  if (is_alpha(s[0])) {
    if ((n = month_name(s, pos, month)) == 0) return invalid(kAccepted);
    pos += n;
    if (!separators(" -") || (n = number(s, pos, 2, day)) == 0) return invalid("expected a day after the month name");
    pos += n;
    if (!separators(" ,-")) return invalid("expected a year after the day");
  } else {
    n = number(s, pos, 2, day);
    pos += n;
    if (!separators(" -") || (n = month_name(s, pos, month)) == 0) return invalid(kAccepted);
    pos += n;
    if (!separators(" ,-")) return invalid("expected a year after the month name");
  }
  n = number(s, pos, 4, year);
  if (n == 2) {
    year = two_digit_year(year);
  } else if (n != 4) {
    return invalid("expected a year of four digits (or two: 1930-2029)");
  }
  pos += n;
  if (auto problem = check_date(year, month, day); !problem.empty()) return invalid(problem);
  return finish_time(s, pos, days_from_civil(year, month, day), "expected a space between date and time");
}

ParsedTime TimeReader::read_pattern(std::string_view s) const {
  unsigned y = 0, m = 1, d = 1, hh = 0, mi = 0, ss = 0;
  int pm = -1;
  bool twelve = false;
  std::size_t pos = 0;
  const std::string& p = format_.pattern;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] != '%' || i + 1 == p.size()) {
      if (pos >= s.size() || s[pos] != p[i]) return invalid(fmt::format("does not match --date-format '{}'", p));
      ++pos;
      continue;
    }
    char f = p[++i];
    unsigned v = 0;
    std::size_t n = 0;
    switch (f) {
      case 'Y':
        n = number(s, pos, 4, v);
        if (n != 4) return invalid("expected a four-digit year (%Y)");
        y = v;
        break;
      case 'y':
        n = number(s, pos, 2, v);
        if (n != 2) return invalid("expected a two-digit year (%y)");
        y = two_digit_year(v);
        break;
      case 'b':
      case 'B':
        n = month_name(s, pos, v);
        if (n == 0) return invalid(fmt::format("expected a month name (%{})", f));
        m = v;
        break;
      case 'm':
        n = number(s, pos, 2, v);
        m = v;
        break;
      case 'd':
        n = number(s, pos, 2, v);
        d = v;
        break;
      case 'H':
        n = number(s, pos, 2, v);
        hh = v;
        break;
      case 'I':
        n = number(s, pos, 2, v);
        hh = v;
        twelve = true;
        break;
      case 'M':
        n = number(s, pos, 2, v);
        mi = v;
        break;
      case 'S':
        n = number(s, pos, 2, v);
        ss = v;
        break;
      case 'p':
        if (pos + 2 > s.size()) return invalid("expected AM or PM (%p)");
        pm = (s[pos] | 0x20) == 'p' ? 1 : (s[pos] | 0x20) == 'a' ? 0 : -2;
        if (pm < 0 || (s[pos + 1] | 0x20) != 'm') return invalid("expected AM or PM (%p)");
        n = 2;
        break;
      case '%':
        if (pos >= s.size() || s[pos] != '%') return invalid(fmt::format("does not match --date-format '{}'", p));
        n = 1;
        break;
      default: return invalid(fmt::format("--date-format: unknown field %{}", f));
    }
    if (n == 0) return invalid(fmt::format("does not match --date-format '{}'", p));
    pos += n;
  }
  if (pos != s.size()) return invalid(fmt::format("unexpected text after --date-format '{}'", p));
  if (twelve || pm >= 0) {
    if (hh < 1 || hh > 12) return invalid(fmt::format("hour {} is not 1..12", hh));
    hh = hh % 12 + (pm == 1 ? 12 : 0);
  }
  if (auto problem = check_date(y, m, d); !problem.empty()) return invalid(problem);
  if (hh > 23 || mi > 59 || ss > 59) return invalid("time of day out of range");
  ParsedTime r;
  r.status = ParsedTime::Status::ok;
  r.local = true;
  r.value = days_from_civil(y, m, d) * 86400 + hh * 3600 + mi * 60 + ss;
  return r;
}

}  // namespace funnel
