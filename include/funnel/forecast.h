// funnel forecast: expected wins and revenue from the leads still open, with stage win
// probabilities measured on the closed leads of the same data.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "funnel/report.h"
#include "funnel/stats.h"

namespace funnel {

struct ForecastRow {
  std::string segment;
  int stage = 0;                  ///< the open leads' furthest stage
  std::uint64_t open = 0;         ///< open and stalled leads at this stage
  std::uint64_t closed = 0, won = 0;  ///< closed leads that reached this stage, and the won among them
  std::optional<double> probability;  ///< won / closed
  std::optional<Interval> interval;   ///< 95% Wilson interval of the probability
  std::uint64_t without_value = 0;    ///< open leads with no amount (the average won deal stands in)
  double expected_wins = 0, expected_revenue = 0, revenue_low = 0, revenue_high = 0;
};

/// Rows per segment ("(all)" first) and stage, then one total row per segment (stage -1).
std::vector<ForecastRow> build_forecast(const Report& report);
void render_forecast(const Report& report, const std::vector<ForecastRow>& rows, const std::string& format, std::ostream& out);

}  // namespace funnel
