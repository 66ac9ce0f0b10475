#include "funnel/timestamp.h"

#include <cstring>

#include <fmt/format.h>

namespace funnel {
namespace {

/// Reads exactly `n` digits at `pos`; false when any is not a digit.
bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    unsigned d = static_cast<unsigned>(s[pos + i]) - '0';
    if (d > 9) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

ParsedTime invalid(std::string problem) {
  ParsedTime r;
  r.status = ParsedTime::Status::invalid;
  r.problem = std::move(problem);
  return r;
}

}  // namespace

ParsedTime finish_time(std::string_view s, std::size_t pos, std::int64_t days, const char* separator_problem) {
  ParsedTime r;
  r.status = ParsedTime::Status::ok;
  r.local = true;
  std::int64_t seconds = days * 86400;
  if (pos == s.size()) {
    r.value = seconds;
    return r;
  }
  if (s[pos] != 'T' && s[pos] != ' ' && s[pos] != 't') return invalid(separator_problem);
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == 'T' || s[pos] == 't')) ++pos;
  unsigned hour = 0, minute = 0, second = 0;
  std::size_t hour_digits = pos + 1 < s.size() && s[pos + 1] == ':' ? 1 : 2;
  if (!digits(s, pos, hour_digits, hour) || pos + hour_digits >= s.size() || s[pos + hour_digits] != ':' ||
      !digits(s, pos + hour_digits + 1, 2, minute)) {
    return invalid("expected a time like 14:22 or 14:22:01");
  }
  pos += hour_digits + 3;
  if (pos < s.size() && s[pos] == ':') {
    if (!digits(s, pos + 1, 2, second)) return invalid("expected two digits of seconds");
    pos += 3;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      std::size_t start = ++pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
      if (pos == start) return invalid("expected digits after the decimal point");
    }
  }
  std::size_t after_clock = pos;
  while (pos < s.size() && s[pos] == ' ') ++pos;
  if (pos + 2 <= s.size()) {
    char a = static_cast<char>(s[pos] | 0x20), m = static_cast<char>(s[pos + 1] | 0x20);
    if ((a == 'a' || a == 'p') && m == 'm') {
      if (hour < 1 || hour > 12) return invalid(fmt::format("hour {} is not 1..12 before AM/PM", hour));
      hour = hour % 12 + (a == 'p' ? 12 : 0);
      pos += 2;
      after_clock = pos;
    }
  }
  pos = after_clock;
  if (hour > 23) return invalid(fmt::format("hour {} is not 0..23", hour));
  if (minute > 59) return invalid(fmt::format("minute {} is not 0..59", minute));
  if (second > 60) return invalid(fmt::format("second {} is not 0..60", second));
  if (second == 60) second = 59;  // a leap second is read as the second before it
  seconds += hour * 3600 + minute * 60 + second;
  if (pos < s.size()) {
    char z = s[pos];
    if ((z == 'Z' || z == 'z') && pos + 1 == s.size()) {
      r.local = false;
    } else if (z == '+' || z == '-') {
      unsigned oh, om = 0;
      if (!digits(s, pos + 1, 2, oh)) return invalid("expected an offset like +02:00");
      std::size_t after = pos + 3;
      if (after < s.size() && s[after] == ':') {
        ++after;
        if (after == s.size()) return invalid("expected an offset like +02:00");
      }
      if (after < s.size() && !digits(s, after, 2, om)) return invalid("expected an offset like +02:00");
      if (after < s.size()) after += 2;
      if (after != s.size()) return invalid("unexpected text after the offset");
      if (oh > 23 || om > 59) return invalid("offset out of range");
      std::int64_t offset = oh * 3600 + om * 60;
      seconds += z == '+' ? -offset : offset;  // local = UTC + offset
      r.local = false;
    } else {
      return invalid("unexpected text after the time");
    }
  }
  // Keep every instant printable as a four-digit year (an offset can push 0001-01-01 or
  // 9999-12-31 over the edge).
  if (seconds < kEarliest || seconds > kLatest) return invalid("the time falls outside the years 0001..9999");
  r.value = seconds;
  return r;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
  constexpr unsigned table[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : table[m - 1];
}

Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool is_placeholder(std::string_view cell) {
  cell = trim_blanks(cell);
  return cell.empty() || cell == "NULL" || cell == "null" || cell == "Null" || cell == "N/A" || cell == "n/a" ||
         cell == "NA" || cell == "-" || cell == "none" || cell == "None" || cell == "#N/A";  // Excel's "not available"
}

ParsedTime parse_timestamp(std::string_view cell) {
  DateCache cache;
  return parse_timestamp(cell, cache);
}

ParsedTime parse_timestamp(std::string_view cell, DateCache& cache) {
  std::string_view s = trim_blanks(cell);
  std::int64_t days;
  if (cache.valid && s.size() >= 10 && std::memcmp(s.data(), cache.text, 10) == 0) {
    days = cache.days;
  } else {
    if (is_placeholder(s)) {
      ParsedTime r;
      r.status = ParsedTime::Status::empty;
      return r;
    }
    unsigned year, month, day;
    if (!digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
        !digits(s, 8, 2, day)) {
      return invalid("expected a date like 2024-03-05 or 2024-03-05T14:22:01Z");
    }
    if (month < 1 || month > 12) return invalid(fmt::format("month {} is not 1..12", month));
    if (year == 0) return invalid("year 0000 is not a real date");
    if (day < 1 || day > days_in_month(year, month)) {
      return invalid(fmt::format("{:04}-{:02} has no day {}", year, month, day));
    }
    days = days_from_civil(year, month, day);
    std::memcpy(cache.text, s.data(), 10);
    cache.days = days;
    cache.valid = true;
  }
  return finish_time(s, 10, days, "expected 'T' or a space between date and time");
}

bool parse_iso_utc(std::string_view s, DateCache& cache, Timestamp& out) {
  if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z') {
    return false;
  }
  std::int64_t days;
  if (cache.valid && std::memcmp(s.data(), cache.text, 10) == 0) {
    days = cache.days;
  } else {
    unsigned year, month, day;
    if (!digits(s, 0, 4, year) || !digits(s, 5, 2, month) || !digits(s, 8, 2, day) || year == 0 || month < 1 ||
        month > 12 || day < 1 || day > days_in_month(year, month)) {
      return false;
    }
    days = days_from_civil(year, month, day);
    std::memcpy(cache.text, s.data(), 10);
    cache.days = days;
    cache.valid = true;
  }
  unsigned hour, minute, second;
  if (!digits(s, 11, 2, hour) || !digits(s, 14, 2, minute) || !digits(s, 17, 2, second) || hour > 23 || minute > 59 ||
      second > 59) {
    return false;
  }
  out = days * 86400 + hour * 3600 + minute * 60 + second;
  return true;
}

std::string format_timestamp(Timestamp t) {
  std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  std::int64_t rem = t - days * 86400;
  const Civil c = civil_from_days(days);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.year, c.month, c.day, rem / 3600, rem % 3600 / 60,
                     rem % 60);
}

}  // namespace funnel

namespace funnel {
std::optional<std::int64_t> parse_duration(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  std::int64_t unit = 0;
  switch (text.back()) {
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default: return std::nullopt;
  }
  std::int64_t value = 0;
  for (char c : text.substr(0, text.size() - 1)) {
    if (c < '0' || c > '9' || value > 1'000'000) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value * unit;
}
}  // namespace funnel
