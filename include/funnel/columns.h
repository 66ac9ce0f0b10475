// The vocabulary shared by the reading side and the commands: input shapes, what the user
// said about columns, and one piece of evidence. Small on purpose: headers above ingest use
// these without the record and extraction layers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "funnel/timestamp.h"

namespace funnel {

enum class Shape { long_log, wide, snapshot };
std::string_view shape_name(Shape s);

/// What the user said about columns; empty means "detect".
struct ColumnSpec {
  std::string shape;                     ///< "", "long", "wide", "snapshot"
  std::string id, stage, time;           ///< header names
  std::vector<std::string> stage_times;  ///< "STAGE=COLUMN"
  std::vector<std::string> by;           ///< segment columns
  /// Columns --where names that are not --by columns: read from the row that gives the lead
  /// its segment (attribution), then left out of the segment key.
  std::vector<std::string> attributes;
  std::string probability;               ///< --probability-column; "none": do not look for one
  bool find_probability = false;         ///< funnel forecast: look for a probability column
};

/// What to do with a key that two rows of a lookup table share (--lookup-duplicates).
enum class LookupDuplicates { error, first, last };

/// Between the --by values of a segment key while reading: a byte no field holds (the input
/// layer refuses NUL), so values are carried apart and joined with " / " only for display.
inline constexpr char kSegmentValueSeparator = '\0';

/// One piece of evidence: the lead entered `stage` (or was lost) at `time`.
struct Evidence {
  int stage;
  Timestamp time;
  /// The stage is implied by a row naming a later one (a snapshot row passed it at no known
  /// time), not named by the row: never a repeat (LeadStore::add).
  bool implied = false;
};

/// Each lead's churn, when the data has churn evidence: the earliest churn time (kNoTime:
/// unknown), or nullopt for a lead that did not churn.
using ChurnTimes = std::vector<std::optional<Timestamp>>;

}  // namespace funnel
