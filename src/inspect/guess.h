// funnel inspect, guessing: what the sample's cells say beyond the header's names. Column
// roles from the first rows' cells, the shape those roles give (each trial checked by
// detect_schema itself), what stage values mean, a preset that knows more of them, and the
// day/month order of dates no cell settles. Guesses are values; suggest.cpp words them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sample.h"

namespace funnel::inspecting {

/// What a stage value means under a model, and the closest spelling when it means nothing.
struct Match {
  StageRef ref;
  std::optional<std::string> close;
  StageRef close_ref;
};
Match classify(const StageModel& model, const std::string& value, bool with_hint);

/// A value that reads like an outcome rather than a stage ("Closed - Lost", "Churned").
bool looks_lost(std::string_view value);

/// The distinct stage values, most rows first, each with its meaning (and a did-you-mean for
/// the first kMaxHinted unknown ones), and the rows whose value is unknown.
struct StageValues {
  std::vector<StageValue> values;
  std::uint64_t unknown_rows = 0;
};
StageValues guess_stage_values(const Sample& sample);

/// The columns whose cells look like lead ids, stage values and times (only roles the user
/// did not name).
struct ColumnGuesses {
  std::optional<int> id, stage, time;
};
ColumnGuesses guess_columns(const Sample& sample);

/// The fewest guessed columns that make detect_schema succeed: bit 0 the id, 1 the stage,
/// 2 the time column.
struct ColumnTrial {
  unsigned mask = 0;
  Shape shape = Shape::long_log;
};
std::optional<ColumnTrial> try_guessed_columns(const Sample& sample, const ColumnGuesses& guesses);

/// What detect_schema says with `column` named as the lead id (nothing when it succeeds).
std::optional<std::string> error_with_id(const Sample& sample, int column);

/// The profiled columns nine in ten of whose cells read as times.
std::vector<int> timeish_columns(const Sample& sample);

/// A title line above the header: the first --skip-lines that gives a header funnel can map.
struct SkipLines {
  std::uint64_t lines = 0;
  std::vector<std::string> header;
  Shape shape = Shape::long_log;
};
std::optional<SkipLines> guess_skip_lines(const Sample& sample);
/// The header looks like a title line: few columns, or most rows with another field count.
bool header_may_be_title(const Sample& sample);

/// An event log read as a snapshot because no time column was found by name: the unused
/// column of times that makes it long.
std::optional<int> guess_time_column(const Sample& sample);

/// A preset that knows more of the stage values (or maps more stage date columns) than the
/// model in use, checked by building it and detecting the columns under it.
struct PresetGuess {
  std::string name;
  StageModel model;
  std::uint64_t unknown_rows = 0;
  std::size_t stage_time_columns = 0;
};
std::optional<PresetGuess> guess_preset(const Sample& sample, const StageValues& values);

/// A snapshot column of dates that funnel report does not read, in an export with no stage
/// date column: where only each deal's current stage is kept, such columns are often when
/// deals entered earlier stages.
struct UnreadDates {
  int column = -1;
  std::optional<std::string> value;  ///< a stage value the column is named after, if any
};
std::vector<UnreadDates> guess_unread_dates(const Sample& sample, const StageValues& values);

/// A day/month order for a column whose dates never settle it, and why that one.
struct DateOrderGuess {
  const InspectedTimeColumn* undecided = nullptr;
  std::string value;  ///< "dmy" or "mdy"
  std::string why;
};
std::optional<DateOrderGuess> guess_date_order(const Sample& sample);

/// Why the detected shape is what it is.
std::string shape_reason(const Sample& sample);

}  // namespace funnel::inspecting
