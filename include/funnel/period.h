// Calendar periods for cohorts and trends: ISO weeks (Monday start), months, quarters,
// on the local calendar of --tz.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace funnel {

enum class Period { week, month, quarter };

/// "week", "month", "quarter".
std::string_view period_name(Period period);

/// Parses --every; throws funnel::Error(ExitCode::usage).
Period parse_period(std::string_view text);

/// The period holding a local day (days since 1970-01-01), with its label ("2024-W05",
/// "2024-03", "2024-Q1") and its first and one-past-last local day.
struct PeriodSpan {
  std::string label;
  std::int64_t first_day = 0, end_day = 0;
};
PeriodSpan period_of(std::int64_t local_day, Period period);

/// Days since 1970-01-01 of a local wall-clock time in seconds (floor).
inline std::int64_t day_of(std::int64_t local_seconds) {
  return local_seconds >= 0 ? local_seconds / 86400 : -((-local_seconds + 86399) / 86400);
}

}  // namespace funnel
