// funnel forecast: expected wins and revenue from the leads still open. A lead's win
// probability is its own (a probability column in the export), else its stage's configured
// one (--probability), else the stage's measured on the closed leads of the same data.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "funnel/report.h"
#include "funnel/stats.h"

namespace funnel {

/// Where an open lead's win probability came from, in the order they take precedence.
enum class ProbabilitySource {
  column,    ///< the lead's own value in the export's probability column
  config,    ///< --probability STAGE=P for the lead's stage
  measured,  ///< won / closed among the leads that reached the stage
  none,      ///< none of those: the lead adds nothing
};
std::string_view source_name(ProbabilitySource s);

/// The configured probability of each stage (index by stage; nullopt: not configured).
using StageProbabilities = std::vector<std::optional<double>>;

/// Parses --probability STAGE=P values (P as read_probability reads it: 60%, 60 or 0.6).
/// Throws funnel::Error(ExitCode::usage) for an unknown or won stage, a stage given twice,
/// or a value that is not a probability.
StageProbabilities parse_stage_probabilities(const std::vector<std::string>& specs, const StageModel& model);

struct ForecastRow {
  std::string segment;
  int stage = 0;                                       ///< the open leads' furthest stage
  std::uint64_t open = 0;                              ///< open and stalled leads at this stage
  std::uint64_t closed = 0, won = 0;                   ///< closed leads that reached this stage, and the won among them
  std::optional<double> measured;                      ///< won / closed
  std::optional<Interval> interval;                    ///< 95% Wilson interval of `measured`
  std::optional<double> probability;                   ///< the stage's probability: configured, else measured
  ProbabilitySource source = ProbabilitySource::none;  ///< of `probability`: config, measured or none
  std::uint64_t own = 0;                               ///< open leads with their own probability (source column)
  std::uint64_t without_value = 0;                     ///< open leads with no amount (the average won deal stands in)
  /// The revenue range: measured probabilities at their Wilson bounds; a lead's own or a
  /// configured probability is taken as given.
  double expected_wins = 0, expected_revenue = 0, revenue_low = 0, revenue_high = 0;
};

/// Rows per segment ("(all)" first) and stage, then one total row per segment (stage -1).
std::vector<ForecastRow> build_forecast(const Report& report, const StageProbabilities& configured = {});
void render_forecast(const Report& report, const std::vector<ForecastRow>& rows, const std::string& format,
                     std::ostream& out);

}  // namespace funnel
