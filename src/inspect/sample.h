// funnel inspect's working state, shared by its rooms: reading the sample (sample.cpp),
// guessing from it (guess.cpp) and suggesting flags (suggest.cpp). The plain result the
// renderers see is funnel::Inspection (include/funnel/inspection.h).
#pragma once

#include <cstdint>
#include <deque>
#include <istream>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "funnel/csv.h"
#include "funnel/events.h"
#include "funnel/inspection.h"
#include "funnel/report.h"
#include "funnel/stage_model.h"
#include "funnel/time_reader.h"
#include "funnel/zone.h"

namespace funnel::inspecting {

constexpr std::uint64_t kProfileRows = 1000;  ///< rows looked at to guess columns from their cells
constexpr std::size_t kMaxHinted = 1000;
constexpr std::uint64_t kJoinRows = 100000;   ///< rows of each file whose values are compared to find join keys      ///< unknown values (most rows first) given a did-you-mean

/// A column's cells in the first rows, to guess its role when the header does not say.
struct ColumnProfile {
  std::uint64_t nonempty = 0, stage_hits = 0, time_hits = 0;
  std::set<int> stages;            ///< stage indexes named (not lost)
  std::set<std::string> distinct;  ///< at most kProfileRows + 1 values
  std::optional<TimeReader> reader;

  /// Nine in ten of its non-empty cells read as times.
  bool timeish() const { return nonempty > 0 && time_hits * 10 >= nonempty * 9; }
};

/// A time column being read: what is found so far, and the reader that settles its order.
struct TimeColumn {
  InspectedTimeColumn found;
  TimeReader reader;
};

/// Everything read from the inputs. Not copyable: the time readers point at `zone`.
struct Sample {
  explicit Sample(const ReportOptions& o)
      : options(o), zone(o.tz), model(StageModel::build(o.stages)), format(TimeFormat::parse(o.date_format)) {}
  Sample(const Sample&) = delete;
  Sample& operator=(const Sample&) = delete;

  const ReportOptions& options;
  Zone zone;
  StageModel model;
  TimeFormat format;

  std::vector<InspectedFile> files;
  std::optional<Schema> schema;      ///< the first file's columns, when detected
  std::optional<std::string> error;  ///< why the columns cannot be mapped (exit status 6)
  std::uint64_t rows_read = 0, records = 0;

  // The rows that share the first file's header, when the schema is known.
  std::unordered_set<std::string> ids;
  std::uint64_t empty_ids = 0, rows_with_id = 0;
  std::unordered_map<std::string, std::uint64_t> stage_counts;
  std::uint64_t empty_stages = 0;
  std::uint64_t no_stage_date = 0;
  std::deque<TimeColumn> times;

  // The first kProfileRows rows of the first file, whatever the schema.
  std::vector<ColumnProfile> profile;
  std::uint64_t profiled = 0;

  /// Each file's columns' distinct values in its first kJoinRows rows, to find join keys.
  std::vector<std::vector<std::unordered_set<std::string>>> column_values;

  const std::vector<std::string>& header() const { return files.front().header; }
  const std::string& column_name(int column) const { return header()[static_cast<std::size_t>(column)]; }
};

/// Reads every input into `sample`: dialect, header, rejects, the schema (or why not), the
/// cells of the id, stage and time columns, and the first rows' profile.
void read_sample(Sample& sample, std::istream* stdin_stream);

/// A stage reference's name under a model: the stage's name, "lost", "churned", "unknown".
std::string ref_name(const StageModel& model, StageRef ref);

}  // namespace funnel::inspecting
