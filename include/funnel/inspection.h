// What funnel inspect found in an export, as plain values: the files and their dialect, the
// columns' roles, the shape, stage values with counts, time columns, the flags it suggests and
// the funnel report command line. Filled by src/inspect/ (reading, guessing, suggesting) and
// written by the renderers in src/render/inspect_*.cpp, which only render it.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "funnel/csv.h"
#include "funnel/events.h"
#include "funnel/layouts.h"
#include "funnel/report.h"
#include "funnel/time_reader.h"
#include "funnel/timestamp.h"

namespace funnel {

/// The role a column plays under the detected schema, as named in JSON.
struct ColumnRole {
  std::string role;   ///< "id", "stage", "time", "stage_time", ..., "unused"; empty when not mapped
  std::string stage;  ///< for stage_time: the stage name or "lost"
};

struct InspectedFile {
  std::string path;             ///< as given, for the command line
  std::string name;             ///< as in messages ("<stdin>")
  std::uint64_t rows_read = 0;  ///< records, rejected ones included (as funnel report counts them)
  std::uint64_t rejected = 0;
  std::map<std::string, std::uint64_t> rejected_by_reason;
  std::optional<std::pair<std::uint64_t, std::string>> first_rejected;  ///< line, reason
  std::uint64_t blank_lines = 0, trailing_delimiters = 0;
  Dialect dialect;
  std::vector<std::string> header;
  bool same_header = true;        ///< as the first file's (always true for the first)
  std::vector<ColumnRole> roles;  ///< one per header column
};

/// A cell and where it is.
struct CellAt {
  std::string file;
  std::uint64_t line = 0;
  std::string value;
  std::string problem;
};

/// One time column: its cells as funnel report reads them.
struct InspectedTimeColumn {
  int column = -1;
  std::string role;   ///< "time", "stage_time", "created", "closed", "churned"
  std::string stage;  ///< for stage_time: the stage name or "lost"
  std::uint64_t cells = 0, readable = 0, empty = 0, unreadable = 0, ambiguous = 0;
  std::optional<CellAt> first_unreadable;
  std::optional<CellAt> settled_by;  ///< the cell that decided the day/month order
  std::optional<std::string> sample;
  std::optional<Timestamp> sample_time;    ///< the sample as read, when it could be
  DateOrder order = DateOrder::undecided;  ///< once the whole input is read
};

/// A distinct stage value and what the stage model makes of it.
struct StageValue {
  std::string value;
  std::uint64_t rows = 0;
  StageRef ref;
  std::optional<std::string> close;  ///< the closest spelling of the model, when close
  StageRef close_ref;
  std::string maps_to;        ///< ref's stage name, "lost", "churned" or "unknown"
  std::string close_maps_to;  ///< close_ref's, when there is a close spelling
};

/// A flag to add to funnel report, and why.
struct Suggestion {
  std::string flag;
  std::optional<std::string> value;
  bool quote = false;  ///< always quote the value (stage values), as funnel report's warnings do
  std::string reason;
  std::string words;  ///< flag and value as typed in a shell
};

/// How a later file with its own header would join the first (funnel inspect on several files).
struct JoinFinding {
  std::string file;
  std::string role;          ///< "evidence", "linked", "lookup"; empty when the plan failed
  std::string how;           ///< the plan's words: the key or link it uses
  std::string by_name;       ///< a column both files have, when one does
  std::string value_column;  ///< this file's column whose values the first file's value_first holds most
  std::string value_first;
  std::uint64_t sampled = 0, matched = 0;  ///< value_column's distinct values sampled, and found in value_first's
};

struct Inspection {
  std::vector<InspectedFile> files;
  std::vector<JoinFinding> joins;         ///< each later file with another header
  std::optional<std::string> join_error;  ///< why funnel report could not join them as given
  std::vector<std::string> stages;        ///< the stage model's names, in order
  std::optional<Schema> schema;           ///< the first file's columns, when detected
  std::string shape_reason;               ///< why the shape is what it is, when detected
  std::optional<Layout> layout;           ///< the CRM export the header is (funnel/layouts.h)
  std::optional<std::string> error;       ///< why the columns cannot be mapped (exit status 6)
  std::uint64_t rows_read = 0, records = 0;

  // The rows that share the first file's header, when the schema is known.
  std::uint64_t distinct_ids = 0, empty_ids = 0;
  std::uint64_t empty_stages = 0, no_stage_date = 0, unknown_rows = 0;
  std::vector<StageValue> values;  ///< sorted: rows descending, then value
  std::vector<InspectedTimeColumn> times;

  /// Content-based guesses at columns, made when the schema could not be detected.
  bool guessing = false;
  std::uint64_t profiled = 0;  ///< rows looked at for the guesses
  std::optional<int> guessed_id, guessed_stage, guessed_time;

  std::vector<Suggestion> suggestions;
  std::vector<std::string> notes;
  std::optional<Shape> suggested_shape;  ///< the shape with the suggested flags
  std::string command;                   ///< the funnel report command line
  int exit_code = 0;

  const std::string& column_name(int column) const { return files.front().header[static_cast<std::size_t>(column)]; }
};

/// Reads the inputs named in `options` (leniently, as funnel inspect does) and says what it
/// found and what to pass to funnel report. Throws funnel::Error for a missing file or an
/// empty input; a header funnel cannot map is a finding (`error`), not an exception.
Inspection inspect_inputs(const ReportOptions& options, std::istream* stdin_stream);

void render_inspection_text(const Inspection& inspection, std::ostream& out);
void render_inspection_json(const Inspection& inspection, std::ostream& out);

/// "1 row", "2 rows".
std::string plural(std::uint64_t n, std::string_view one, std::string_view many);
/// "comma", "semicolon", "tab", "pipe", or the character itself.
std::string delimiter_name(char delimiter);

}  // namespace funnel
