// funnel inspect --format json (schema_version as funnel report's JSON). Only renders an
// Inspection; the strings are written with json_quote.
#include <algorithm>

#include <fmt/format.h>

#include "funnel/inspection.h"
#include "funnel/render.h"

namespace funnel {
namespace {

constexpr std::size_t kMaxValuesShown = 50;  ///< stage values listed, as in the text

std::string json_or_null(const std::optional<std::string>& s) { return s ? json_quote(*s) : "null"; }

std::string json_cell(const std::optional<CellAt>& c, bool problem) {
  if (!c) return "null";
  return fmt::format("{{\"file\": {}, \"line\": {}, \"value\": {}{}}}", json_quote(c->file), c->line,
                     json_quote(c->value), problem ? ", \"problem\": " + json_quote(c->problem) : std::string());
}

void write_files(std::ostream& out, const Inspection& in) {
  for (std::size_t i = 0; i < in.files.size(); ++i) {
    const InspectedFile& f = in.files[i];
    out << "    {\"name\": " << json_quote(f.name) << ", \"rows_read\": " << f.rows_read
        << ", \"rejected\": " << f.rejected << ", \"rejected_by_reason\": {";
    bool first = true;
    for (const auto& [reason, n] : f.rejected_by_reason) {
      out << (first ? "" : ", ") << json_quote(reason) << ": " << n;
      first = false;
    }
    out << "}, \"first_rejected\": "
        << (f.first_rejected ? fmt::format("{{\"line\": {}, \"reason\": {}}}", f.first_rejected->first,
                                           json_quote(f.first_rejected->second))
                             : "null")
        << ", \"blank_lines\": " << f.blank_lines << ", \"trailing_delimiters\": " << f.trailing_delimiters
        << ", \"delimiter\": " << json_quote(std::string(1, f.dialect.delimiter))
        << ", \"delimiter_detected\": " << (f.dialect.detected ? "true" : "false")
        << ", \"same_header\": " << (f.same_header ? "true" : "false") << ",\n     \"columns\": [\n";
    for (std::size_t c = 0; c < f.header.size(); ++c) {
      const ColumnRole& r = f.roles[c];
      out << "       {\"index\": " << c + 1 << ", \"name\": " << json_quote(f.header[c])
          << ", \"role\": " << (r.role.empty() ? "null" : json_quote(r.role))
          << ", \"stage\": " << (r.stage.empty() ? "null" : json_quote(r.stage)) << "}"
          << (c + 1 < f.header.size() ? ",\n" : "\n");
    }
    out << "     ]}" << (i + 1 < in.files.size() ? ",\n" : "\n");
  }
}

void write_values(std::ostream& out, const Inspection& in) {
  const auto& values = in.values;
  std::uint64_t total = 0, more_rows = 0;
  for (const auto& v : values) total += v.rows;
  std::size_t n = std::min(values.size(), kMaxValuesShown);
  for (std::size_t i = n; i < values.size(); ++i) more_rows += values[i].rows;
  out << "{\"column\": " << json_quote(in.column_name(in.schema->stage)) << ", \"distinct\": " << values.size()
      << ", \"rows\": " << total << ", \"empty\": " << in.empty_stages << ", \"more_values\": " << values.size() - n
      << ", \"more_rows\": " << more_rows << ",\n    \"values\": [";
  for (std::size_t i = 0; i < n; ++i) {
    const StageValue& v = values[i];
    out << (i ? ",\n      " : "\n      ") << "{\"value\": " << json_quote(v.value) << ", \"rows\": " << v.rows
        << ", \"maps_to\": " << json_quote(v.maps_to) << ", \"did_you_mean\": " << json_or_null(v.close)
        << ", \"did_you_mean_maps_to\": " << (v.close ? json_quote(v.close_maps_to) : "null") << "}";
  }
  out << (n ? "\n    ]}" : "]}");
}

void write_times(std::ostream& out, const Inspection& in) {
  for (std::size_t i = 0; i < in.times.size(); ++i) {
    const InspectedTimeColumn& t = in.times[i];
    std::string order = t.settled_by      ? (t.order == DateOrder::dmy ? "\"dmy\"" : "\"mdy\"")
                        : t.ambiguous > 0 ? "\"undecided\""
                                          : "null";
    out << (i ? ",\n    " : "\n    ") << "{\"index\": " << t.column + 1
        << ", \"name\": " << json_quote(in.column_name(t.column)) << ", \"role\": " << json_quote(t.role)
        << ", \"stage\": " << (t.stage.empty() ? "null" : json_quote(t.stage)) << ", \"cells\": " << t.cells
        << ", \"readable\": " << t.readable << ", \"empty\": " << t.empty << ", \"unreadable\": " << t.unreadable
        << ", \"undecided\": " << t.ambiguous << ",\n     \"sample\": " << json_or_null(t.sample)
        << ", \"sample_read_as\": " << (t.sample_time ? json_quote(format_timestamp(*t.sample_time)) : "null")
        << ", \"order\": " << order << ", \"order_settled_by\": " << json_cell(t.settled_by, false)
        << ",\n     \"first_unreadable\": " << json_cell(t.first_unreadable, true) << "}";
  }
}

void write_rows_not_used(std::ostream& out, const Inspection& in) {
  const bool long_log = in.schema->shape == Shape::long_log;
  std::vector<std::pair<const char*, std::uint64_t>> unused = {{"empty lead id", in.empty_ids},
                                                               {"empty stage", long_log ? in.empty_stages : 0},
                                                               {"no stage date", in.no_stage_date},
                                                               {"unknown stage", long_log ? in.unknown_rows : 0}};
  bool first = true;
  for (const auto& [reason, n] : unused) {
    if (n == 0) continue;
    out << (first ? "" : ", ") << json_quote(reason) << ": " << n;
    first = false;
  }
}

}  // namespace

void render_inspection_json(const Inspection& in, std::ostream& out) {
  out << "{\n  \"schema_version\": " << kSchemaVersion << ",\n  \"files\": [\n";
  write_files(out, in);
  out << "  ],\n  \"rows_read\": " << in.rows_read << ",\n";
  out << "  \"shape\": " << (in.schema ? json_quote(shape_name(in.schema->shape)) : "null")
      << ",\n  \"shape_reason\": " << (in.schema ? json_quote(in.shape_reason) : "null")
      << ",\n  \"error\": " << json_or_null(in.error) << ",\n  \"stages\": [";
  for (std::size_t k = 0; k < in.stages.size(); ++k) out << (k ? ", " : "") << json_quote(in.stages[k]);
  out << "],\n  \"stage_values\": ";
  if (in.schema && in.schema->stage >= 0) {
    write_values(out, in);
  } else {
    out << "null";
  }
  out << ",\n  \"time_columns\": [";
  write_times(out, in);
  out << (in.times.empty() ? "],\n" : "\n  ],\n");
  out << "  \"ids\": ";
  if (in.schema) {
    out << "{\"column\": " << json_quote(in.column_name(in.schema->id)) << ", \"distinct\": " << in.distinct_ids
        << ", \"empty\": " << in.empty_ids << "}";
  } else {
    out << "null";
  }
  out << ",\n  \"rows_not_used\": {";
  if (in.schema) write_rows_not_used(out, in);
  out << "},\n  \"column_guesses\": ";
  if (in.guessing) {
    auto name = [&](const std::optional<int>& c) { return c ? json_quote(in.column_name(*c)) : std::string("null"); };
    out << "{\"rows\": " << in.profiled << ", \"id\": " << name(in.guessed_id)
        << ", \"stage\": " << name(in.guessed_stage) << ", \"time\": " << name(in.guessed_time) << "}";
  } else {
    out << "null";
  }
  out << ",\n  \"suggestions\": [";
  for (std::size_t i = 0; i < in.suggestions.size(); ++i) {
    const Suggestion& s = in.suggestions[i];
    out << (i ? ",\n    " : "\n    ") << "{\"flag\": " << json_quote(s.flag) << ", \"value\": " << json_or_null(s.value)
        << ", \"reason\": " << json_quote(s.reason) << "}";
  }
  out << (in.suggestions.empty() ? "],\n" : "\n  ],\n");
  out << "  \"suggested_shape\": " << (in.suggested_shape ? json_quote(shape_name(*in.suggested_shape)) : "null")
      << ",\n";
  out << "  \"notes\": [";
  for (std::size_t i = 0; i < in.notes.size(); ++i) out << (i ? ", " : "") << json_quote(in.notes[i]);
  out << "],\n  \"command\": " << json_quote(in.command) << ",\n  \"exit_code\": " << in.exit_code << "\n}\n";
}

}  // namespace funnel
