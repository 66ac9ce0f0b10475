// Timestamps: one instant as whole seconds since 1970-01-01T00:00:00Z. Naive times are UTC.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "funnel/text.h"  // trim_blanks: every cell reader trims times with it

namespace funnel {

/// Seconds since the Unix epoch, UTC. Fractions of a second are dropped (floor).
using Timestamp = std::int64_t;
/// A stage entered at a time the data does not say.
inline constexpr Timestamp kNoTime = std::numeric_limits<Timestamp>::min();

/// The first and last instants funnel reads: 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z,
/// so every time prints with a four-digit year.
inline constexpr Timestamp kEarliest = -62135596800;
inline constexpr Timestamp kLatest = 253402300799;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);

/// A proleptic Gregorian date.
struct Civil {
  std::int64_t year;
  unsigned month, day;
};
/// The date of a day count since 1970-01-01 (the inverse of days_from_civil).
Civil civil_from_days(std::int64_t days);

inline bool is_leap(std::int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }
unsigned days_in_month(std::int64_t year, unsigned month);
/// a mod b with the sign of b (b > 0): weekdays of days before 1970.
inline std::int64_t floor_mod(std::int64_t a, std::int64_t b) { return ((a % b) + b) % b; }

/// True for "", "NULL", "null", "Null", "N/A", "n/a", "NA", "-", "none", "None", "#N/A": cells that
/// mean "no time".
bool is_placeholder(std::string_view cell);

/// The result of reading one cell.
struct ParsedTime {
  enum class Status {
    ok,
    empty,
    invalid,
    ambiguous,  ///< a slash date whose day/month order the column has not settled yet
  } status = Status::invalid;
  Timestamp value = kNoTime;
  bool local = false;   ///< no zone in the cell: `value` is wall-clock time, read in --tz
  std::string problem;  ///< why an invalid cell was refused
};

/// Reads ISO 8601 dates and date-times (T or space, optional seconds and fraction,
/// Z, ±HH:MM or ±HHMM), validating every field (2024-02-30 is invalid, not March 1).
/// Surrounding spaces are ignored; placeholders give Status::empty.
ParsedTime parse_timestamp(std::string_view cell);

/// The last date read, so a column of mostly equal dates skips re-validating them.
struct DateCache {
  char text[10] = {};
  std::int64_t days = 0;
  bool valid = false;
};
/// parse_timestamp() reusing `cache` for the date part.
ParsedTime parse_timestamp(std::string_view cell, DateCache& cache);
/// The shape almost every export writes, exactly "2024-03-05T14:22:01Z" (no spaces): true
/// and the instant in `out` when `cell` is a valid one, false for anything else (which
/// parse_timestamp then reads, or refuses with its message).
bool parse_iso_utc(std::string_view cell, DateCache& cache, Timestamp& out);

/// Reads what may follow a date at `pos` in `s` (nothing, or a time of day with optional
/// AM/PM and zone); `days` is the date's day number. Shared by every date format.
ParsedTime finish_time(std::string_view s, std::size_t pos, std::int64_t days, const char* separator_problem);

/// ISO 8601 UTC form, "2024-03-05T14:22:01Z".
std::string format_timestamp(Timestamp t);

}  // namespace funnel

namespace funnel {
/// Reads a duration like "30d", "12h", "2w" (hours, days, weeks) as seconds; nullopt when
/// malformed.
std::optional<std::int64_t> parse_duration(std::string_view text);
}  // namespace funnel
