#include "funnel/events.h"

#include <utility>

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "funnel/diagnostics.h"
#include "funnel/layouts.h"
#include "funnel/lookup.h"
#include "funnel/probability.h"

namespace funnel {
namespace {

// Header names each role is known by, best first; matching normalizes both sides.
const std::vector<std::string> kIdNames = {"lead_id",   "id",          "deal_id", "opportunity_id", "contact_id",
                                           "record_id", "customer_id", "user_id", "account_id"};
const std::vector<std::string> kStageNames = {"stage",        "stage_name", "lifecycle_stage", "deal_stage",
                                              "funnel_stage", "lead_stage", "pipeline_stage"};
const std::vector<std::string> kTimeNames = {"timestamp",    "time",       "date",       "datetime",   "entered_at",
                                             "created_date", "created_at", "changed_at", "event_time", "occurred_at",
                                             "stage_date",   "at",         "ts"};
const std::vector<std::string> kStatusNames = {"status", "deal_status", "outcome", "state"};
const std::vector<std::string> kClosedNames = {"close_date", "closed_date",  "closed_at", "close_time",
                                               "closed_on",  "closing_date", "closed"};
const std::vector<std::string> kCreatedNames = {"deal_add_time", "add_time",     "create_date",
                                                "created_date",  "created_at",   "created_time",
                                                "created",       "deal_created", "created_on"};
// Salesforce's outcome flags (true/false): a snapshot row's won or lost status.
const std::vector<std::string> kWonFlagNames = {"is_won"};
const std::vector<std::string> kClosedFlagNames = {"is_closed"};
// Salesforce "Probability (%)", Pipedrive "Deal - Probability", HubSpot "Deal probability".
const std::vector<std::string> kProbabilityNames = {"probability",          "probability (%)", "deal_probability",
                                                    "deal_probability (%)", "win_probability", "probability_percent"};

[[noreturn]] void schema_error(std::string message) { throw Error(ExitCode::schema, std::move(message)); }

/// Index of the first header matching any name in `names` (in the order of `names`).
int find_role(const std::vector<std::string>& normalized, const std::vector<std::string>& names,
              const std::vector<bool>& taken) {
  for (const auto& name : names) {
    std::string key = normalize_name(name);
    for (std::size_t i = 0; i < normalized.size(); ++i) {
      if (!taken[i] && normalized[i] == key) return static_cast<int>(i);
    }
  }
  return -1;
}

/// A column the user named: must exist, else "did you mean".
int find_named(const std::vector<std::string>& header, const std::string& wanted, std::string_view flag,
               std::string_view file) {
  std::string key = normalize_name(wanted);
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (normalize_name(header[i]) == key) return static_cast<int>(i);
  }
  schema_error(fmt::format("{}: {} names column '{}', which is not in the header{}", file, flag, wanted,
                           did_you_mean(wanted, header)));
}

}  // namespace

std::string_view shape_name(Shape s) {
  switch (s) {
    case Shape::long_log: return "long";
    case Shape::wide: return "wide";
    case Shape::snapshot: return "snapshot";
  }
  return "long";
}

Schema detect_schema(const std::vector<std::string>& header, const StageModel& model, const ColumnSpec& given,
                     std::string_view file) {
  // A known CRM export settles the roles its header names; the user's flags come first.
  ColumnSpec spec = given;
  if (auto layout = recognize_layout(header)) {
    if (spec.shape.empty()) spec.shape = layout->shape;
    if (spec.id.empty()) spec.id = layout->id;
    if (spec.stage.empty() && layout->shape != "wide") spec.stage = layout->stage;
  }
  Schema schema;
  schema.header = header;
  std::vector<std::string> normalized;
  for (const auto& h : header) normalized.push_back(normalize_name(h));
  std::vector<bool> taken(header.size(), false);
  auto take = [&](int column) {
    if (column >= 0) taken[static_cast<std::size_t>(column)] = true;
    return column;
  };

  schema.id =
      take(spec.id.empty() ? find_role(normalized, kIdNames, taken) : find_named(header, spec.id, "--id", file));
  std::string several_ids;  // the columns ending in "id", when more than one does
  if (schema.id < 0) {
    // Any single column ending in "id" (mql_id, Record ID) is the lead id.
    std::vector<int> ids;
    for (std::size_t i = 0; i < normalized.size(); ++i) {
      auto& n = normalized[i];
      if (n.size() > 2 && n.compare(n.size() - 2, 2, "id") == 0) ids.push_back(static_cast<int>(i));
    }
    if (ids.size() == 1) schema.id = take(ids[0]);
    if (ids.size() > 1) {
      // Say which: "no lead id column" beside mql_id and landing_page_id reads as a contradiction.
      std::vector<std::string> names;
      for (int i : ids) names.push_back(header[static_cast<std::size_t>(i)]);
      several_ids = fmt::format("; {} do: {}", ids.size(), fmt::join(names, ", "));
    }
  }
  if (schema.id < 0) {
    schema_error(
        fmt::format("{}:1: no lead id column (looked for {}, or one column ending in "
                    "'id'{}); name it with --id COLUMN. Header: {}{}",
                    file, fmt::join(kIdNames, ", "), several_ids, fmt::join(header, ", "),
                    header.size() <= 2 ? ". If the file starts with a title line, skip it with --skip-lines N" : ""));
  }
  schema.stage = take(spec.stage.empty() ? find_role(normalized, kStageNames, taken)
                                         : find_named(header, spec.stage, "--stage-col", file));
  int time =
      spec.time.empty() ? find_role(normalized, kTimeNames, taken) : find_named(header, spec.time, "--time-col", file);
  // A churn date column (churned_at, Churn Date) in any shape: retention, not a stage.
  for (std::size_t i = 0; i < header.size() && schema.churned < 0; ++i) {
    if (!taken[i] && static_cast<int>(i) != time && model.resolve_column(header[i]).index == StageRef::churned) {
      schema.churned = take(static_cast<int>(i));
    }
  }

  if (spec.shape == "long") {
    schema.shape = Shape::long_log;
  } else if (spec.shape == "wide") {
    schema.shape = Shape::wide;
  } else if (spec.shape == "snapshot") {
    schema.shape = Shape::snapshot;
  } else if (schema.stage >= 0) {
    schema.shape = time >= 0 ? Shape::long_log : Shape::snapshot;
  } else {
    schema.shape = Shape::wide;
  }

  if (schema.shape == Shape::long_log) {
    if (schema.stage < 0) {
      schema_error(
          fmt::format("{}:1: long input needs a stage column (looked for {}); name it "
                      "with --stage-col",
                      file, fmt::join(kStageNames, ", ")));
    }
    if (time < 0) {
      schema_error(
          fmt::format("{}:1: long input needs a time column (looked for {}); name it "
                      "with --time-col",
                      file, fmt::join(kTimeNames, ", ")));
    }
    schema.time = take(time);
    if (!spec.stage_times.empty()) {
      throw Error(ExitCode::usage,
                  "--stage-time applies to wide and snapshot input; this input is long "
                  "(one row per stage entry): use --shape wide if that is wrong");
    }
  } else {
    if (schema.shape == Shape::wide) schema.stage = -1;
    if (schema.shape == Shape::snapshot) {
      if (schema.stage < 0) {
        schema_error(
            fmt::format("{}:1: snapshot input needs a current-stage column; name it "
                        "with --stage-col",
                        file));
      }
      schema.status = take(find_role(normalized, kStatusNames, taken));
      schema.created = take(find_role(normalized, kCreatedNames, taken));
      schema.closed = take(find_role(normalized, kClosedNames, taken));
      schema.won_flag = take(find_role(normalized, kWonFlagNames, taken));
      schema.closed_flag = take(find_role(normalized, kClosedFlagNames, taken));
    }
    // Stage date columns: given ones first, then every header that names a stage.
    for (const auto& pair : spec.stage_times) {
      auto eq = pair.find('=');
      if (eq == std::string::npos) {
        throw Error(ExitCode::usage, fmt::format("--stage-time wants STAGE=COLUMN, got '{}'", pair));
      }
      StageRef ref = model.resolve(pair.substr(0, eq));
      if (ref.index == StageRef::unknown) {
        throw Error(ExitCode::usage, fmt::format("--stage-time: '{}' is not a stage{}", pair.substr(0, eq),
                                                 did_you_mean(pair.substr(0, eq), model.spellings())));
      }
      int column = take(find_named(header, pair.substr(eq + 1), "--stage-time", file));
      if (ref.index == StageRef::churned) {
        schema.churned = column;
        continue;
      }
      schema.stage_times.push_back({column, ref.index});
      // A column named with --stage-time is that stage's date, not also the created or close date.
      if (schema.created == column) schema.created = -1;
      if (schema.closed == column) schema.closed = -1;
    }
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (taken[i]) continue;
      StageRef ref = model.resolve_column(header[i]);
      if (ref.index == StageRef::unknown) {
        if (auto entered = date_entered_column(header[i])) ref = model.resolve(entered->stage);  // HubSpot
      }
      if (ref.index != StageRef::unknown && ref.index != StageRef::churned) {
        schema.stage_times.push_back({take(static_cast<int>(i)), ref.index});
      }
    }
    bool any_stage = std::any_of(schema.stage_times.begin(), schema.stage_times.end(),
                                 [](const Schema::StageTime& st) { return st.stage >= 0; });
    if (schema.shape == Shape::wide && !any_stage) {
      if (spec.shape == "wide") {
        schema_error(
            fmt::format("{}:1: wide input needs stage date columns (like mql_at, "
                        "lead_date, 'Became a Lead Date') and none of these names a "
                        "stage: {}. Use --stage-time STAGE=COLUMN",
                        file, fmt::join(header, ", ")));
      }
      schema_error(
          fmt::format("{}:1: cannot tell the shape: no stage column (looked for {}) and "
                      "no stage date columns (like mql_at, lead_date, 'Became a Lead "
                      "Date'). Header: {}. Use --stage-col, or --stage-time STAGE=COLUMN",
                      file, fmt::join(kStageNames, ", "), fmt::join(header, ", ")));
    }
  }
  for (const auto& by : spec.by) schema.segments.push_back(find_named(header, by, "--by", file));
  schema.by_columns = schema.segments.size();
  for (const auto& a : spec.attributes) schema.segments.push_back(find_named(header, a, "--where", file));
  if (!spec.probability.empty() && spec.probability != "none") {
    schema.probability = find_named(header, spec.probability, "--probability-column", file);
  } else if (spec.find_probability && spec.probability.empty()) {
    schema.probability = find_role(normalized, kProbabilityNames, taken);
  }
  if (schema.probability >= 0) {
    schema.probability_percent = header[static_cast<std::size_t>(schema.probability)].find('%') != std::string::npos;
  }

  // A column used by name must be the only one with that name; unused duplicates are fine, and
  // so are two date columns of one stage (HubSpot repeats some): its first entry is the earlier.
  std::vector<int> used{schema.id,     schema.stage,   schema.time,        schema.status,   schema.created,
                        schema.closed, schema.churned, schema.probability, schema.won_flag, schema.closed_flag};
  for (const auto& st : schema.stage_times) used.push_back(st.column);
  for (int column : schema.segments) used.push_back(column);
  std::vector<int> stage_by_column(header.size(), StageRef::unknown);
  for (const auto& st : schema.stage_times) stage_by_column[static_cast<std::size_t>(st.column)] = st.stage;
  auto stage_of = [&](std::size_t column) { return stage_by_column[column]; };
  for (int column : used) {
    if (column < 0) continue;
    for (std::size_t j = 0; j < normalized.size(); ++j) {
      if (stage_of(j) != StageRef::unknown && stage_of(j) == stage_of(static_cast<std::size_t>(column))) continue;
      if (static_cast<int>(j) != column && normalized[j] == normalized[static_cast<std::size_t>(column)]) {
        schema_error(
            fmt::format("{}:1: columns {} and {} are both named '{}' and funnel needs that column: "
                        "rename one",
                        file, std::min<std::size_t>(j, static_cast<std::size_t>(column)) + 1,
                        std::max<std::size_t>(j, static_cast<std::size_t>(column)) + 1, header[j]));
      }
    }
  }
  return schema;
}

EventExtractor::EventExtractor(const Schema& schema, const StageModel& model, bool strict_stages,
                               const TimeFormat& format, const Zone* zone, bool strict_cells)
    : schema_(schema), model_(model), strict_stages_(strict_stages), strict_cells_(strict_cells) {
  joined_segments_ = !schema_.looked_up.empty() ||
                     std::any_of(schema_.segments.begin(), schema_.segments.end(), [](int c) { return c < 0; });
  std::vector<int> columns{schema_.time, schema_.created, schema_.closed, schema_.churned};
  for (const auto& st : schema_.stage_times) columns.push_back(st.column);
  for (int column : columns) {
    if (column >= 0) readers_.emplace(column, TimeReader(format, zone));
  }
  index_readers();
}

void EventExtractor::index_readers() {
  reader_of_.clear();
  for (auto& [column, reader] : readers_) {
    if (reader_of_.size() <= static_cast<std::size_t>(column)) reader_of_.resize(static_cast<std::size_t>(column) + 1);
    reader_of_[static_cast<std::size_t>(column)] = &reader;
  }
}

std::size_t EventExtractor::settled_columns() const {
  std::size_t n = 0;
  for (const auto& [column, reader] : readers_) n += reader.order() != DateOrder::undecided;
  return n;
}

std::uint64_t EventExtractor::dst_gaps() const {
  std::uint64_t n = 0;
  for (const auto& [column, reader] : readers_) n += reader.dst_gaps();
  return n;
}

std::uint64_t EventExtractor::dst_overlaps() const {
  std::uint64_t n = 0;
  for (const auto& [column, reader] : readers_) n += reader.dst_overlaps();
  return n;
}

void EventExtractor::count_unknown(std::string_view value, std::string_view file, std::uint64_t line) {
  auto it = unknown_.find(value);
  if (it == unknown_.end()) it = unknown_.emplace(std::string(value), UnknownStage{0, std::string(file), line}).first;
  ++it->second.rows;
}

std::unique_ptr<EventExtractor> EventExtractor::clone() const {
  auto copy = std::make_unique<EventExtractor>(*this);
  copy->index_readers();  // the copy's own readers, not this one's
  copy->take_facts();
  return copy;
}

EventExtractor::Facts EventExtractor::take_facts() {
  Facts facts;
  facts.unknown = std::exchange(unknown_, {});
  facts.churned = std::exchange(churned_, {});
  facts.probabilities = std::exchange(probabilities_, {});
  facts.invalid_probabilities = std::exchange(invalid_probabilities_, 0);
  facts.first_invalid_probability = std::exchange(first_invalid_probability_, {});
  facts.placeholders = std::exchange(placeholders_, {});
  facts.epoch_zeros = std::exchange(epoch_zeros_, {});
  return facts;
}

void EventExtractor::merge_facts(Facts later) {
  for (auto& [value, u] : later.unknown) {
    auto [it, added] = unknown_.try_emplace(value, u);
    if (!added) it->second.rows += u.rows;  // the first row stays the earlier part's
  }
  for (const auto& [id, time] : later.churned) note_churn(id, time);
  for (const auto& [id, v] : later.probabilities) keep_probability(id, v);
  if (invalid_probabilities_ == 0) first_invalid_probability_ = std::move(later.first_invalid_probability);
  invalid_probabilities_ += later.invalid_probabilities;
  placeholders_.merge(later.placeholders);
  epoch_zeros_.merge(later.epoch_zeros);
}

void EventExtractor::CellNotes::add(std::uint64_t count, std::uint64_t line, std::string_view file) {
  cells += count;
  // The smallest lines, whatever order rows came in (pieces, rows that waited for dates).
  auto at = std::lower_bound(first.begin(), first.end(), std::make_pair(line, std::string(file)));
  if (at - first.begin() < static_cast<std::ptrdiff_t>(kFirst)) {
    first.emplace(at, line, std::string(file));
    if (first.size() > kFirst) first.pop_back();
  }
}

void EventExtractor::CellNotes::merge(const CellNotes& later) {
  for (const auto& [line, file] : later.first) add(0, line, file);
  cells += later.cells;
}

void EventExtractor::note_cells(std::string_view file, std::uint64_t line) {
  if (row_placeholders_ != 0) placeholders_.add(row_placeholders_, line, file);
  if (row_epoch_zeros_ != 0) epoch_zeros_.add(row_epoch_zeros_, line, file);
}

int EventExtractor::resolve_other_stage(std::string_view value, const Record& record, std::string_view file) {
  auto hit = stage_cache_.find(value);
  if (hit != stage_cache_.end()) {
    if (hit->second == StageRef::unknown) count_unknown(value, file, record.line);
    recent_.put(value, hit->second);
    return hit->second;
  }
  int index = model_.resolve(value).index;
  if (index == StageRef::unknown) {
    if (strict_stages_) {
      throw Error(ExitCode::bad_value,
                  fmt::format("{}unknown stage {} (--strict-stages){}",
                              where({file, record.line, schema_.header[static_cast<std::size_t>(schema_.stage)]}),
                              quote_cell(value), did_you_mean(normalize_name(value), model_.spellings())));
    }
    count_unknown(value, file, record.line);
  }
  stage_cache_.emplace(std::string(value), index);
  recent_.put(value, index);
  return index;
}

Timestamp EventExtractor::read_other_time(TimeReader& reader, const Record& record, int column, std::string_view file,
                                          RowEvidence& out) {
  const std::string_view cell = record.fields[static_cast<std::size_t>(column)];
  ParsedTime parsed = reader.read(cell);
  if (parsed.status == ParsedTime::Status::ambiguous) {
    if (out.pending_column < 0) out.pending_column = column;
    return kNoTime;
  }
  if (parsed.status == ParsedTime::Status::invalid) {
    throw Error(ExitCode::bad_value,
                fmt::format("{}cannot read {} as a time: {}",
                            where({file, record.line, schema_.header[static_cast<std::size_t>(column)]}),
                            quote_cell(cell), parsed.problem));
  }
  // A placeholder (NULL, #N/A) or 1970-01-01T00:00:00Z (what many exports write for "no
  // date") says nothing about when, or in a wide row whether, the lead got there.
  const bool placeholder = parsed.status == ParsedTime::Status::empty && !trim_blanks(cell).empty();
  const bool epoch_zero = parsed.status == ParsedTime::Status::ok && parsed.value == 0;
  if ((placeholder || epoch_zero) && strict_cells_) {
    throw Error(ExitCode::bad_value,
                fmt::format("{}{} {} where a time belongs (--strict-cells; without it the cell counts as empty)",
                            where({file, record.line, schema_.header[static_cast<std::size_t>(column)]}),
                            placeholder ? "placeholder" : "epoch zero", quote_cell(cell)));
  }
  row_placeholders_ += placeholder;
  row_epoch_zeros_ += epoch_zero;
  if (epoch_zero) return kNoTime;
  return parsed.value;  // kNoTime for an empty cell
}

void EventExtractor::add_snapshot(const Record& record, std::string_view file, RowEvidence& out) {
  // A row of a snapshot is a deal in the funnel: it entered the first stage (at its created
  // time when the export has one) and every stage before its current one. Its current stage
  // and a won/lost status add what the dated columns did not already say; a won or lost
  // outcome happened at the close time when there is one.
  auto has = [&](int stage) {
    return std::any_of(out.items.begin(), out.items.end(), [&](const Evidence& e) { return e.stage == stage; });
  };
  if (schema_.created >= 0) {
    Timestamp created = read_time(record, schema_.created, file, out);
    if (created != kNoTime && !has(0)) {
      out.items.push_back({0, created});
      if (out.touch == kNoTime || created < out.touch) out.touch = created;
    }
  }
  Timestamp closed = schema_.closed >= 0 ? read_time(record, schema_.closed, file, out) : kNoTime;
  if (out.pending_column >= 0) return;  // resolve nothing until every date can be read
  auto add_outcome = [&](int ref) {
    if (ref == StageRef::churned) {
      // A churned deal was won first.
      note_churn(out.id, kNoTime);
      ref = model_.won();
    }
    if (ref == StageRef::unknown || has(ref)) return;
    bool outcome = ref == model_.won() || ref == StageRef::lost;
    out.items.push_back({ref, outcome ? closed : kNoTime});
  };
  auto value = trim_blanks(record.fields[static_cast<std::size_t>(schema_.stage)]);
  if (!value.empty()) add_outcome(resolve_stage(value, record, file));
  if (schema_.status >= 0) {
    auto status = trim_blanks(record.fields[static_cast<std::size_t>(schema_.status)]);
    int ref = status.empty() ? StageRef::unknown : model_.resolve(status).index;
    if (ref == model_.won() || ref == StageRef::lost || ref == StageRef::churned) add_outcome(ref);
  }
  // IsWon / IsClosed (Salesforce): won, or closed and not won: lost.
  auto flag = [&](int column) {
    if (column < 0) return false;
    auto v = trim_blanks(record.fields[static_cast<std::size_t>(column)]);
    return v == "true" || v == "TRUE" || v == "True" || v == "1";
  };
  if (flag(schema_.won_flag))
    add_outcome(model_.won());
  else if (flag(schema_.closed_flag) && !has(model_.won()))
    add_outcome(StageRef::lost);
  int furthest = 0;
  for (const Evidence& e : out.items) furthest = std::max(furthest, e.stage);
  for (int k = 0; k < furthest; ++k) {
    if (!has(k)) out.items.push_back({k, kNoTime, true});
  }
  if (!has(furthest)) out.items.push_back({furthest, kNoTime});
}

void EventExtractor::extract_row(const Record& record, std::string_view file, RowEvidence& out) {
  out.items.clear();
  out.reported = {};
  out.touch = kNoTime;
  out.pending_column = -1;
  out.id = trim_blanks(record.fields[static_cast<std::size_t>(schema_.id)]);
  if (out.id.empty() || out.id == "\"\"" || is_null_id(out.id)) {
    out.reported = "empty lead id";
    return;
  }
  out.lookup_misses.clear();  // the evidence is reused across rows and, in a join, across files
  if (schema_.segments.empty()) {
    out.segment = {};
  } else if (joined_segments_) {
    joined_segment(record, out);
  } else if (schema_.segments.size() == 1) {
    out.segment = trim_blanks(record.fields[static_cast<std::size_t>(schema_.segments[0])]);
    out.segment_empty = out.segment.empty();
    if (out.segment.empty()) out.segment = "(none)";
  } else {
    segment_scratch_.clear();
    out.segment_empty = true;
    // Which row gives a lead its segment is told by the --by cells alone: a --where column
    // is read from that same row and never moves a lead to another segment.
    const std::size_t telling = schema_.by_columns > 0 ? schema_.by_columns : schema_.segments.size();
    for (std::size_t i = 0; i < schema_.segments.size(); ++i) {
      auto value = trim_blanks(record.fields[static_cast<std::size_t>(schema_.segments[i])]);
      if (i > 0) segment_scratch_ += kSegmentValueSeparator;
      segment_scratch_ += value.empty() ? std::string_view("(none)") : value;
      if (i < telling) out.segment_empty = out.segment_empty && value.empty();
    }
    out.segment = segment_scratch_;
  }

  switch (schema_.shape) {
    case Shape::long_log: {
      auto value = trim_blanks(record.fields[static_cast<std::size_t>(schema_.stage)]);
      if (value.empty()) {
        out.reported = "empty stage";
        return;
      }
      int stage = resolve_stage(value, record, file);
      Timestamp t = read_time(record, schema_.time, file, out);
      if (out.pending_column >= 0) return;
      if (stage == StageRef::unknown) {
        out.reported = "unknown stage";
        return;
      }
      out.touch = t;
      if (stage == StageRef::churned) {
        note_churn(out.id, t);  // used, but no stage evidence: churn changes no funnel number
        break;
      }
      out.items.push_back({stage, t});
      break;
    }
    case Shape::wide:
    case Shape::snapshot: {
      for (const auto& st : schema_.stage_times) {
        Timestamp t = read_time(record, st.column, file, out);
        if (t == kNoTime) continue;
        out.items.push_back({st.stage, t});
        if (st.stage >= 0 && (out.touch == kNoTime || t < out.touch)) out.touch = t;
      }
      if (out.pending_column >= 0) return;
      if (schema_.shape == Shape::snapshot) add_snapshot(record, file, out);
      if (out.pending_column >= 0) return;
      if (out.items.empty()) out.reported = "no stage date";
      break;
    }
  }
  if (!out.reported.empty()) return;
  if (schema_.churned >= 0) {
    Timestamp t = read_time(record, schema_.churned, file, out);
    if (out.pending_column >= 0) return;
    if (!trim_blanks(record.fields[static_cast<std::size_t>(schema_.churned)]).empty()) note_churn(out.id, t);
  }
  if (schema_.probability >= 0) note_probability(record, file, out);
}

/// A join's segment key: each --by value from this file's column, from a lookup table through
/// this file's key cell ("(no match)" when no row has the key), or empty when neither has it.
void EventExtractor::joined_segment(const Record& record, RowEvidence& out) {
  segment_scratch_.clear();
  out.segment_empty = true;
  for (std::size_t i = 0; i < schema_.segments.size(); ++i) {
    std::string_view value;
    if (schema_.segments[i] >= 0) {
      value = trim_blanks(record.fields[static_cast<std::size_t>(schema_.segments[i])]);
    } else {
      for (std::size_t j = 0; j < schema_.looked_up.size(); ++j) {
        const Schema::LookedUp& l = schema_.looked_up[j];
        if (l.segment != i) continue;
        std::string_view key = trim_blanks(record.fields[static_cast<std::size_t>(l.key_column)]);
        if (key.empty()) break;
        if (const std::string* cell = l.table->find(key, l.value_column)) {
          value = *cell;
        } else {
          value = "(no match)";
          out.lookup_misses.emplace_back(j, key);
        }
        break;
      }
    }
    if (i > 0) segment_scratch_ += kSegmentValueSeparator;
    segment_scratch_ += value.empty() ? std::string_view("(none)") : value;
    out.segment_empty = out.segment_empty && value.empty();
  }
  out.segment = segment_scratch_;
}

void EventExtractor::note_churn(std::string_view id, Timestamp time) {
  auto it = churned_.find(id);
  if (it == churned_.end()) {
    churned_.emplace(std::string(id), time);
  } else if (time != kNoTime && (it->second == kNoTime || time < it->second)) {
    it->second = time;  // the earliest known churn
  }
}

void EventExtractor::note_probability(const Record& record, std::string_view file, const RowEvidence& out) {
  const auto column = static_cast<std::size_t>(schema_.probability);
  std::string_view cell = column < record.fields.size() ? record.fields[column] : std::string_view();
  ParsedProbability p = read_probability(cell, schema_.probability_percent);
  if (p.status == ParsedProbability::Status::invalid) {
    if (invalid_probabilities_++ == 0) {
      first_invalid_probability_ = fmt::format("{}{} {}", where({file, record.line, schema_.header[column]}), p.problem,
                                               quote_cell(trim_blanks(cell)));
    }
    return;
  }
  if (p.status != ParsedProbability::Status::ok) return;
  keep_probability(out.id, TimedValue{p.value, out.touch});
}

void EventExtractor::keep_probability(std::string_view id, TimedValue v) {
  // As for amounts: the latest row wins, untimed rows lose to timed ones, equal times keep the
  // larger value, so the row order never matters.
  auto it = probabilities_.find(id);
  if (it == probabilities_.end()) {
    probabilities_.emplace(std::string(id), v);
    return;
  }
  TimedValue& kept = it->second;
  bool later = v.time != kNoTime && (kept.time == kNoTime || v.time > kept.time);
  if (later || (v.time == kept.time && v.value > kept.value)) kept = v;
}

bool same_header(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (normalize_name(a[i]) != normalize_name(b[i])) return false;
  }
  return true;
}

}  // namespace funnel
