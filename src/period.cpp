#include "funnel/period.h"

#include <fmt/format.h>

#include "funnel/diagnostics.h"
#include "funnel/timestamp.h"

namespace funnel {

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
