// Reports saved by `funnel report -f json` or `-f csv` (or a warehouse query writing the
// same CSV columns), read back for `funnel check --baseline`, `check --report` and `diff`.
// Every value is checked: an impossible one (a fractional or negative count, a rate outside
// 0..1, a count larger than the stage before) stops with the file and where the value is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace funnel {

/// Time from a stage to the next (JSON `days_to_next`; CSV `days_to_next_*`).
struct SavedDays {
  std::optional<std::uint64_t> count;  ///< leads measured; CSV reports do not say
  std::optional<double> median, p90, mean;
};

/// A stage of a segment as the report gives it.
struct SavedStage {
  std::string name;
  std::uint64_t reached = 0;
  std::optional<std::uint64_t> lost, open, stalled;  ///< leads whose furthest stage this is
  SavedDays to_next;
};

/// A segment's overall counts. A JSON report gives them (`overall`); for a CSV report, or
/// a JSON one without `overall`, they are derived as funnel derives them: leads reached the
/// first stage, won the last, and lost, open and stalled are the sums of the stage columns
/// (absent without the column).
struct SavedOverall {
  std::uint64_t leads = 0, won = 0;
  std::optional<std::uint64_t> lost, open, stalled;
  bool lost_defined = true;  ///< false: the saved JSON's win rate is null beside won or lost leads
};

struct SavedSegment {
  std::string label;
  SavedOverall overall;
  std::vector<SavedStage> stages;
};

/// A saved report: its segments in file order; every segment has the same stages.
struct SavedReport {
  enum class Kind { json, csv };
  std::string file;
  Kind kind = Kind::json;
  std::vector<SavedSegment> segments;

  /// The segment with this label, or null.
  const SavedSegment* find(std::string_view label) const;
  /// The stage names (of the first segment).
  std::vector<std::string> stage_names() const;
};

/// Reads a report written by `funnel report -f json` or `-f csv`, told apart by content (a
/// JSON report starts with '{'; a CSV report has the columns segment, stage and reached,
/// in any order, any other columns ignored). Throws funnel::Error: ExitCode::io when the
/// file cannot be read, ExitCode::bad_value for anything that is not a valid report, naming
/// the file and the JSON path (`$.segments[2].stages[1].reached`) or the CSV line and
/// column of the bad value.
SavedReport read_saved_report(const std::string& path);

/// The same for JSON text already in memory; `name` is used in messages.
SavedReport parse_saved_json(std::string_view text, const std::string& name);

}  // namespace funnel
