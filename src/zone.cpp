#include "funnel/zone.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "funnel/diagnostics.h"
#include "funnel/period.h"

namespace funnel {
namespace {

/// The system's compiled tz database (the tzdata package): $TZDIR, else /usr/share/zoneinfo.
std::filesystem::path zoneinfo_dir() {
  const char* dir = std::getenv("TZDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo";
}

/// An IANA name as a path below the database: letters, digits, '_', '-', '+', and '/'
/// between parts; never absolute and never "..".
bool plausible_name(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.back() == '/') return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '+' || c == '/' || c == '.';
    if (!ok) return false;
  }
  return name.find("..") == std::string_view::npos && name.find("//") == std::string_view::npos;
}

std::int64_t big_endian(const unsigned char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  if (bytes == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  return static_cast<std::int64_t>(v);
}

/// A TZif footer: a POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3"), the zone's rule after
/// its last listed transition (RFC 8536 section 3.3).
class PosixRule {
 public:
  /// False when the text is not a TZ string this reads.
  bool parse(std::string_view s) {
    std::size_t i = 0;
    std::int64_t std_offset = 0;
    if (!name(s, i) || !offset(s, i, std_offset)) return false;
    std_utoff_ = -std_offset;  // POSIX offsets count west of Greenwich
    dst_utoff_ = std_utoff_;
    if (i == s.size()) return true;
    if (!name(s, i)) return false;
    has_dst_ = true;
    dst_utoff_ = std_utoff_ + 3600;
    if (i < s.size() && s[i] != ',') {
      std::int64_t dst_offset = 0;
      if (!offset(s, i, dst_offset)) return false;
      dst_utoff_ = -dst_offset;
    }
    if (i == s.size()) return false;  // a DST name needs rules in a TZif footer
    return s[i++] == ',' && date(s, i, start_) && i < s.size() && s[i++] == ',' && date(s, i, end_) && i == s.size();
  }

  std::int64_t utoff_at(Timestamp utc) const {
    if (!has_dst_) return std_utoff_;
    const std::int64_t year = civil_from_days(day_of(utc + std_utoff_)).year;
    // The transitions of the year before, this one and the next, as instants: DST begins at
    // a local standard time and ends at a local daylight time.
    for (std::int64_t y = year + 1; y >= year - 1; --y) {
      const Timestamp begins = start_.local(y) - std_utoff_, ends = end_.local(y) - dst_utoff_;
      if (begins <= ends) {  // northern: DST inside the year
        if (utc >= ends) return std_utoff_;
        if (utc >= begins) return dst_utoff_;
      } else {  // southern: DST across the new year
        if (utc >= begins) return dst_utoff_;
        if (utc >= ends) return std_utoff_;
      }
    }
    return std_utoff_;
  }

 private:
  struct When {
    enum class Kind { julian_no_leap, julian, month_week_day } kind = Kind::julian;
    int day = 0, month = 0, week = 0;
    std::int64_t time = 2 * 3600;
    /// Local seconds since 1970 of the transition in year y.
    Timestamp local(std::int64_t y) const {
      std::int64_t d = days_from_civil(y, 1, 1);
      switch (kind) {
        case Kind::julian_no_leap: d += day - 1 + (is_leap(y) && day >= 60 ? 1 : 0); break;
        case Kind::julian: d += day; break;
        case Kind::month_week_day: {
          const std::int64_t first = days_from_civil(y, static_cast<unsigned>(month), 1);
          const std::int64_t weekday = floor_mod(first + 4, 7);  // 1970-01-01 was a Thursday
          std::int64_t at = first + floor_mod(day - weekday, 7) + 7 * (week - 1);
          const std::int64_t next_month = first + days_in_month(y, static_cast<unsigned>(month));
          while (at >= next_month) at -= 7;  // week 5: the last such day
          d = at;
          break;
        }
      }
      return d * 86400 + time;
    }
  };

  static bool number(std::string_view s, std::size_t& i, int max_digits, int& out) {
    const std::size_t from = i;
    out = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - from < static_cast<std::size_t>(max_digits)) {
      out = out * 10 + (s[i++] - '0');
    }
    return i > from;
  }
  static bool name(std::string_view s, std::size_t& i) {
    if (i < s.size() && s[i] == '<') {
      const std::size_t close = s.find('>', i);
      if (close == std::string_view::npos) return false;
      i = close + 1;
      return true;
    }
    const std::size_t from = i;
    while (i < s.size() && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))) ++i;
    return i - from >= 3;
  }
  /// [+-]hh[:mm[:ss]], hours up to 167 (RFC 8536's extension for rule times).
  static bool offset(std::string_view s, std::size_t& i, std::int64_t& out) {
    int sign = 1;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) sign = s[i++] == '-' ? -1 : 1;
    int h = 0, m = 0, sec = 0;
    if (!number(s, i, 3, h) || h > 167) return false;
    if (i < s.size() && s[i] == ':') {
      ++i;
      if (!number(s, i, 2, m) || m > 59) return false;
      if (i < s.size() && s[i] == ':') {
        ++i;
        if (!number(s, i, 2, sec) || sec > 59) return false;
      }
    }
    out = sign * (std::int64_t{h} * 3600 + m * 60 + sec);
    return true;
  }
  static bool date(std::string_view s, std::size_t& i, When& w) {
    if (i < s.size() && s[i] == 'M') {
      ++i;
      w.kind = When::Kind::month_week_day;
      if (!number(s, i, 2, w.month) || w.month < 1 || w.month > 12 || i >= s.size() || s[i++] != '.') return false;
      if (!number(s, i, 1, w.week) || w.week < 1 || w.week > 5 || i >= s.size() || s[i++] != '.') return false;
      if (!number(s, i, 1, w.day) || w.day > 6) return false;
    } else if (i < s.size() && s[i] == 'J') {
      ++i;
      w.kind = When::Kind::julian_no_leap;
      if (!number(s, i, 3, w.day) || w.day < 1 || w.day > 365) return false;
    } else {
      w.kind = When::Kind::julian;
      if (!number(s, i, 3, w.day) || w.day > 365) return false;
    }
    if (i < s.size() && s[i] == '/') {
      ++i;
      if (!offset(s, i, w.time)) return false;
    }
    return true;
  }

  std::int64_t std_utoff_ = 0, dst_utoff_ = 0;
  bool has_dst_ = false;
  When start_, end_;
};

}  // namespace

/// A zone as its TZif file lists it: the UTC offset from each transition on, and the rule
/// after the last one.
struct Zone::Impl {
  std::vector<Timestamp> at;              ///< transition instants, ascending
  std::vector<std::int64_t> utoff_after;  ///< the UTC offset from at[i] on
  std::int64_t utoff_before = 0;          ///< before the first transition: time type 0
  std::optional<PosixRule> rule;          ///< after the last transition

  std::int64_t utoff_at(Timestamp utc) const {
    if (at.empty() || utc < at.front()) return at.empty() && rule ? rule->utoff_at(utc) : utoff_before;
    if (rule && utc >= at.back()) return rule->utoff_at(utc);
    const auto i = static_cast<std::size_t>(std::upper_bound(at.begin(), at.end(), utc) - at.begin()) - 1;
    return utoff_after[i];
  }

  /// Reads a TZif file (RFC 8536, versions 1 to 4); nullopt when it is not one.
  static std::optional<Impl> read(const std::filesystem::path& path) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) return std::nullopt;  // "Europe" is a folder
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t size = bytes.size();
    struct Counts {
      std::size_t isut, isstd, leap, time, type, chars;
    };
    auto header = [&](std::size_t from, Counts& c) {
      if (from + 44 > size || bytes.compare(from, 4, "TZif") != 0) return false;
      std::size_t* fields[] = {&c.isut, &c.isstd, &c.leap, &c.time, &c.type, &c.chars};
      for (int k = 0; k < 6; ++k) *fields[k] = static_cast<std::size_t>(big_endian(p + from + 20 + 4 * k, 4));
      return c.type >= 1;
    };
    auto block_size = [](const Counts& c, std::size_t time_bytes) {
      return c.time * time_bytes + c.time + c.type * 6 + c.chars + c.leap * (time_bytes + 4) + c.isstd + c.isut;
    };
    Counts c{};
    if (!header(0, c)) return std::nullopt;
    std::size_t data = 44, time_bytes = 4;
    if (p[4] >= '2') {  // skip the 32-bit block: the 64-bit one follows with its own header
      const std::size_t second = 44 + block_size(c, 4);
      if (!header(second, c)) return std::nullopt;
      data = second + 44;
      time_bytes = 8;
    }
    if (data + block_size(c, time_bytes) > size) return std::nullopt;
    Impl zone;
    const unsigned char* times = p + data;
    const unsigned char* indexes = times + c.time * time_bytes;
    const unsigned char* types = indexes + c.time;
    auto utoff_of = [&](std::size_t type) { return big_endian(types + 6 * type, 4); };
    zone.utoff_before = utoff_of(0);
    for (std::size_t i = 0; i < c.time; ++i) {
      const std::size_t type = indexes[i];
      if (type >= c.type) return std::nullopt;
      zone.at.push_back(big_endian(times + i * time_bytes, static_cast<int>(time_bytes)));
      zone.utoff_after.push_back(utoff_of(type));
    }
    if (!std::is_sorted(zone.at.begin(), zone.at.end())) return std::nullopt;
    if (time_bytes == 8) {  // the footer: "\n" TZ string "\n"
      const std::size_t footer = data + block_size(c, 8);
      if (footer < size && p[footer] == '\n') {
        const std::size_t end = bytes.find('\n', footer + 1);
        PosixRule rule;
        if (end != std::string::npos && end > footer + 1 &&
            rule.parse(std::string_view(bytes).substr(footer + 1, end - footer - 1))) {
          zone.rule = rule;
        }
      }
    }
    return zone;
  }
};

namespace {

/// Every zone name in the database, for suggestions (only when a name was not found).
std::vector<std::string> zone_names() {
  std::vector<std::string> names;
  std::error_code error;
  const auto dir = zoneinfo_dir();
  for (auto it = std::filesystem::recursive_directory_iterator(dir, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    const std::string name = it->path().lexically_relative(dir).generic_string();
    std::error_code kind_error;
    if (it->is_directory(kind_error) && (name == "posix" || name == "right")) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(kind_error) || name.empty() || !(name[0] >= 'A' && name[0] <= 'Z')) continue;
    std::ifstream in(it->path(), std::ios::binary);
    char magic[4] = {};
    if (in.read(magic, 4) && std::string_view(magic, 4) == "TZif") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

Zone::Zone() = default;
Zone::~Zone() = default;
Zone::Zone(Zone&&) noexcept = default;
Zone& Zone::operator=(Zone&&) noexcept = default;

Zone::Zone(const std::string& name) : name_(name) {
  if (name == "UTC" || name == "utc" || name == "Z" || name == "Etc/UTC") return;
  std::optional<Impl> zone;
  if (plausible_name(name)) zone = Impl::read(zoneinfo_dir() / name);
  if (!zone) {
    throw Error(ExitCode::usage, fmt::format("--tz: unknown time zone '{}' (IANA names like Europe/Oslo "
                                             "or America/New_York){}",
                                             name, did_you_mean(name, zone_names())));
  }
  impl_ = std::make_unique<Impl>(std::move(*zone));
}

Timestamp Zone::to_utc(Timestamp local, LocalKind& kind) const {
  kind = LocalKind::unique;
  if (!impl_) return local;
  // The offsets a day before and after (zones change offset at most once in two days):
  // the wall time maps to an instant under one of them, both (it happened twice), or
  // neither (the clocks skipped it).
  const std::int64_t before = impl_->utoff_at(local - 86400), after = impl_->utoff_at(local + 86400);
  const bool before_fits = impl_->utoff_at(local - before) == before;
  if (before == after) return local - (before_fits ? before : impl_->utoff_at(local - before));
  const bool after_fits = impl_->utoff_at(local - after) == after;
  if (before_fits && after_fits) {
    kind = LocalKind::overlap;
    return local - before;  // the first (earlier) occurrence
  }
  if (before_fits) return local - before;
  if (after_fits) return local - after;
  // In the spring gap: use the offset before the jump, which lands the same distance past
  // the jump (02:30 in a 02:00->03:00 gap is read as 03:30).
  kind = LocalKind::gap;
  return local - before;
}

Timestamp Zone::to_local(Timestamp utc) const {
  if (!impl_) return utc;
  return utc + impl_->utoff_at(utc);
}

}  // namespace funnel
