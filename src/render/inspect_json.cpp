// funnel inspect --format json (schema_version as funnel report's JSON). Only renders an
// Inspection, with the JSON writer; long objects break their lines where they always have.
#include <algorithm>

#include "funnel/inspection.h"
#include "funnel/json_writer.h"
#include "funnel/render.h"

namespace funnel {
namespace {

constexpr std::size_t kMaxValuesShown = 50;  ///< stage values listed, as in the text

/// A string, or null when absent (an empty string stays a string).
void optional_string(JsonWriter& w, const std::optional<std::string>& s) { s ? w.string(*s) : w.null(); }

void cell(JsonWriter& w, const std::optional<CellAt>& c, bool problem) {
  if (!c) {
    w.null();
    return;
  }
  w.begin_object().member("file", c->file).member("line", c->line).member("value", c->value);
  if (problem) w.member("problem", c->problem);
  w.end_object();
}

void write_file(JsonWriter& w, const InspectedFile& f) {
  w.begin_object().member("name", f.name).member("rows_read", f.rows_read).member("rejected", f.rejected);
  w.key("rejected_by_reason").begin_object();
  for (const auto& [reason, n] : f.rejected_by_reason) w.member(reason, n);
  w.end_object().key("first_rejected");
  if (f.first_rejected) {
    w.begin_object().member("line", f.first_rejected->first).member("reason", f.first_rejected->second).end_object();
  } else {
    w.null();
  }
  w.member("blank_lines", f.blank_lines).member("trailing_delimiters", f.trailing_delimiters);
  w.member("delimiter", std::string_view(&f.dialect.delimiter, 1)).member("delimiter_detected", f.dialect.detected);
  w.member("same_header", f.same_header).break_line(1).key("columns").begin_array(JsonWriter::block);
  for (std::size_t c = 0; c < f.header.size(); ++c) {
    const ColumnRole& r = f.roles[c];
    w.begin_object().member("index", c + 1).member("name", f.header[c]);
    w.key("role").string_or_null(r.role).key("stage").string_or_null(r.stage).end_object();
  }
  w.end_array().end_object();
}

void write_values(JsonWriter& w, const Inspection& in) {
  const auto& values = in.values;
  std::uint64_t total = 0, more_rows = 0;
  for (const auto& v : values) total += v.rows;
  std::size_t n = std::min(values.size(), kMaxValuesShown);
  for (std::size_t i = n; i < values.size(); ++i) more_rows += values[i].rows;
  w.begin_object().member("column", in.column_name(in.schema->stage)).member("distinct", values.size());
  w.member("rows", total).member("empty", in.empty_stages).member("more_values", values.size() - n);
  w.member("more_rows", more_rows).break_line(2).key("values").begin_array(JsonWriter::lines);
  for (std::size_t i = 0; i < n; ++i) {
    const StageValue& v = values[i];
    w.begin_object().member("value", v.value).member("rows", v.rows).member("maps_to", v.maps_to);
    w.key("did_you_mean");
    optional_string(w, v.close);
    w.key("did_you_mean_maps_to");
    v.close ? w.string(v.close_maps_to) : w.null();
    w.end_object();
  }
  w.end_array().end_object();
}

void write_time(JsonWriter& w, const Inspection& in, const InspectedTimeColumn& t) {
  w.begin_object().member("index", t.column + 1).member("name", in.column_name(t.column)).member("role", t.role);
  w.key("stage").string_or_null(t.stage).member("cells", t.cells).member("readable", t.readable);
  w.member("empty", t.empty).member("unreadable", t.unreadable).member("undecided", t.ambiguous);
  w.break_line(1).key("sample");
  optional_string(w, t.sample);
  w.key("sample_read_as");
  t.sample_time ? w.string(format_timestamp(*t.sample_time)) : w.null();
  w.key("order");
  if (t.settled_by) {
    w.string(t.order == DateOrder::dmy ? "dmy" : "mdy");
  } else if (t.ambiguous > 0) {
    w.string("undecided");
  } else {
    w.null();
  }
  w.key("order_settled_by");
  cell(w, t.settled_by, false);
  w.break_line(1).key("first_unreadable");
  cell(w, t.first_unreadable, true);
  w.end_object();
}

void write_rows_not_used(JsonWriter& w, const Inspection& in) {
  const bool long_log = in.schema->shape == Shape::long_log;
  std::vector<std::pair<const char*, std::uint64_t>> unused = {{"empty lead id", in.empty_ids},
                                                               {"empty stage", long_log ? in.empty_stages : 0},
                                                               {"no stage date", in.no_stage_date},
                                                               {"unknown stage", long_log ? in.unknown_rows : 0}};
  for (const auto& [reason, n] : unused) {
    if (n != 0) w.member(reason, n);
  }
}

}  // namespace

void render_inspection_json(const Inspection& in, std::ostream& out) {
  JsonWriter w(out);
  w.begin_object(JsonWriter::lines).member("schema_version", kSchemaVersion);
  w.key("files").begin_array(JsonWriter::block);
  for (const InspectedFile& f : in.files) write_file(w, f);
  w.end_array().member("rows_read", in.rows_read);
  w.key("shape");
  in.schema ? w.string(shape_name(in.schema->shape)) : w.null();
  w.key("shape_reason");
  in.schema ? w.string(in.shape_reason) : w.null();
  w.key("error");
  optional_string(w, in.error);
  w.key("stages").begin_array();
  for (const std::string& stage : in.stages) w.string(stage);
  w.end_array().key("stage_values");
  if (in.schema && in.schema->stage >= 0) {
    write_values(w, in);
  } else {
    w.null();
  }
  w.key("time_columns").begin_array(JsonWriter::lines);
  for (const InspectedTimeColumn& t : in.times) write_time(w, in, t);
  w.end_array().key("ids");
  if (in.schema) {
    w.begin_object().member("column", in.column_name(in.schema->id)).member("distinct", in.distinct_ids);
    w.member("empty", in.empty_ids).end_object();
  } else {
    w.null();
  }
  w.key("rows_not_used").begin_object();
  if (in.schema) write_rows_not_used(w, in);
  w.end_object().key("column_guesses");
  if (in.guessing) {
    auto name = [&](std::string_view key, const std::optional<int>& c) {
      w.key(key);
      c ? w.string(in.column_name(*c)) : w.null();
    };
    w.begin_object().member("rows", in.profiled);
    name("id", in.guessed_id);
    name("stage", in.guessed_stage);
    name("time", in.guessed_time);
    w.end_object();
  } else {
    w.null();
  }
  w.key("suggestions").begin_array(JsonWriter::lines);
  for (const Suggestion& s : in.suggestions) {
    w.begin_object().member("flag", s.flag).key("value");
    optional_string(w, s.value);
    w.member("reason", s.reason).end_object();
  }
  w.end_array().key("suggested_shape");
  in.suggested_shape ? w.string(shape_name(*in.suggested_shape)) : w.null();
  w.key("notes").begin_array();
  for (const std::string& note : in.notes) w.string(note);
  w.end_array();
  if (!in.joins.empty()) {
    w.key("joins").begin_array(JsonWriter::lines);
    for (const JoinFinding& j : in.joins) {
      w.begin_object().member("file", j.file).key("role");
      j.role.empty() ? w.null() : w.string(j.role);
      w.member("how", j.how).member("shared_column", j.by_name).member("value_column", j.value_column);
      w.member("first_file_column", j.value_first).member("values_sampled", j.sampled);
      w.member("values_matched", j.matched).end_object();
    }
    w.end_array().key("join_error");
    in.join_error ? w.string(*in.join_error) : w.null();
  }
  w.member("command", in.command).member("exit_code", in.exit_code).end_object().finish();
}

}  // namespace funnel
