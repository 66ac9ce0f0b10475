#include "funnel/period.h"

#include <fmt/format.h>

#include "funnel/diagnostics.h"
#include "funnel/timestamp.h"

namespace funnel {
namespace {

struct Civil {
  std::int64_t year;
  unsigned month, day;
};

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

std::int64_t floor_mod(std::int64_t a, std::int64_t b) { return ((a % b) + b) % b; }

}  // namespace

std::string_view period_name(Period period) {
  switch (period) {
    case Period::week: return "week";
    case Period::month: return "month";
    case Period::quarter: return "quarter";
  }
  return "week";
}

Period parse_period(std::string_view text) {
  if (text == "week" || text == "weekly") return Period::week;
  if (text == "month" || text == "monthly") return Period::month;
  if (text == "quarter" || text == "quarterly") return Period::quarter;
  throw Error(ExitCode::usage, fmt::format("--every must be week, month or quarter, not '{}'", text));
}

PeriodSpan period_of(std::int64_t day, Period period) {
  PeriodSpan span;
  switch (period) {
    case Period::week: {
      // 1970-01-01 was a Thursday; ISO weeks start on Monday and belong to the year of
      // their Thursday.
      std::int64_t monday = day - floor_mod(day + 3, 7);
      std::int64_t thursday = monday + 3;
      Civil t = civil_from_days(thursday);
      std::int64_t week = (thursday - days_from_civil(t.year, 1, 1)) / 7 + 1;
      span.label = fmt::format("{:04}-W{:02}", t.year, week);
      span.first_day = monday;
      span.end_day = monday + 7;
      break;
    }
    case Period::month: {
      Civil c = civil_from_days(day);
      span.label = fmt::format("{:04}-{:02}", c.year, c.month);
      span.first_day = days_from_civil(c.year, c.month, 1);
      span.end_day = c.month == 12 ? days_from_civil(c.year + 1, 1, 1) : days_from_civil(c.year, c.month + 1, 1);
      break;
    }
    case Period::quarter: {
      Civil c = civil_from_days(day);
      unsigned q = (c.month - 1) / 3;
      span.label = fmt::format("{:04}-Q{}", c.year, q + 1);
      span.first_day = days_from_civil(c.year, q * 3 + 1, 1);
      span.end_day = q == 3 ? days_from_civil(c.year + 1, 1, 1) : days_from_civil(c.year, q * 3 + 4, 1);
      break;
    }
  }
  return span;
}

}  // namespace funnel
