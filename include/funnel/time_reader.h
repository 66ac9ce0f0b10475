// Reading one column of time cells in whatever format a CRM exported: ISO 8601, day-first
// DD.MM.YYYY and DD/MM/YYYY, month-first M/D/YYYY h:mm AM/PM (two-digit years too), month
// names (Apr 15, 2021; 15-Apr-2021), a trailing " UTC", epoch seconds and milliseconds,
// Excel serial days, or an explicit pattern; naive times in --tz.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "funnel/timestamp.h"
#include "funnel/zone.h"

namespace funnel {

/// Two-digit years read as 2000-2029 below this and 1930-1999 from it: the window Excel and
/// Windows use, so a date reads as the people who made the file saw it.
inline constexpr unsigned kTwoDigitPivot = 30;
/// The year of a two-digit year 00..99 (26 -> 2026, 30 -> 1930).
unsigned two_digit_year(unsigned yy);

/// What --date-format asked for.
struct TimeFormat {
  enum class Kind { automatic, dmy, mdy, epoch, epoch_ms, excel, pattern } kind = Kind::automatic;
  std::string pattern;  ///< for Kind::pattern: %Y %y %m %b %B %d %H %M %S %I %p and literal text

  /// Parses a --date-format value; throws funnel::Error(ExitCode::usage).
  static TimeFormat parse(std::string_view text);
};

/// Day/month order of a column's slash dates, once the data has settled it.
enum class DateOrder { undecided, dmy, mdy };

/// Reads the cells of one column. Slash dates whose first two numbers are both 12 or less
/// are ambiguous until a cell with a 13..31 settles the column's order.
class TimeReader {
 public:
  TimeReader(TimeFormat format, const Zone* zone) : format_(std::move(format)), zone_(zone) {}

  ParsedTime read(std::string_view cell);
  /// read() for the common "2024-03-05T14:22:01Z" alone: true and the time when the cell is
  /// one (and the column reads ISO times), false to ask read().
  bool read_iso_utc(std::string_view cell, Timestamp& out) {
    return format_.kind <= TimeFormat::Kind::mdy && parse_iso_utc(cell, cache_, out);
  }
  DateOrder order() const { return order_->load(std::memory_order_relaxed); }
  /// Wall-clock times that fell in a DST gap or overlap, and were resolved by the rule.
  std::uint64_t dst_gaps() const { return gaps_; }
  std::uint64_t dst_overlaps() const { return overlaps_; }

 private:
  ParsedTime read_local(std::string_view s);
  ParsedTime read_slash(std::string_view s, char separator);
  ParsedTime read_month_name(std::string_view s);
  ParsedTime read_pattern(std::string_view s) const;

  TimeFormat format_;
  const Zone* zone_;
  /// Shared by the copies of a reader that parse pieces of one column on several threads:
  /// a cell that settles the order settles it for all of them.
  std::shared_ptr<std::atomic<DateOrder>> order_ = std::make_shared<std::atomic<DateOrder>>(DateOrder::undecided);
  DateCache cache_;
  std::uint64_t gaps_ = 0, overlaps_ = 0;
};

}  // namespace funnel
