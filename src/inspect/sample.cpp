// funnel inspect, reading: the inputs as funnel report would read them (leniently, so nothing
// stops it but a missing file or an unreadable header), counting ids, stage values and time
// cells, and profiling the first rows' cells for the guesses. Detection itself is
// detect_schema's; this file only counts.
#include "sample.h"

#include <fmt/format.h>

#include "funnel/diagnostics.h"
#include "funnel/timestamp.h"

namespace funnel::inspecting {
namespace {

/// The time columns of the schema, each with its reader.
void add_time_columns(Sample& sample) {
  const Schema& s = *sample.schema;
  auto add = [&](int column, std::string role, std::string stage) {
    if (column < 0) return;
    InspectedTimeColumn found;
    found.column = column;
    found.role = std::move(role);
    found.stage = std::move(stage);
    sample.times.push_back(TimeColumn{std::move(found), TimeReader(sample.format, &sample.zone)});
  };
  add(s.time, "time", "");
  add(s.created, "created", "");
  add(s.closed, "closed", "");
  add(s.churned, "churned", "");
  for (const auto& st : s.stage_times) add(st.column, "stage_time", ref_name(sample.model, StageRef{st.stage}));
}

void detect(Sample& sample) {
  try {
    sample.schema = detect_schema(sample.header(), sample.model, sample.options.columns, sample.files.front().name);
  } catch (const Error& e) {
    if (e.code() != ExitCode::schema) throw;
    sample.error = e.what();
    return;
  }
  add_time_columns(sample);
}

void profile_row(Sample& sample, const Record& record) {
  auto& profile = sample.profile;
  if (profile.empty()) profile.resize(sample.header().size());
  ++sample.profiled;
  for (std::size_t i = 0; i < profile.size() && i < record.fields.size(); ++i) {
    ColumnProfile& p = profile[i];
    std::string_view cell = trim_blanks(record.fields[i]);
    if (is_placeholder(cell)) continue;
    ++p.nonempty;
    if (p.distinct.size() <= kProfileRows) p.distinct.emplace(cell);
    StageRef ref = sample.model.resolve(cell);
    if (ref.index != StageRef::unknown) ++p.stage_hits;
    if (ref.index >= 0) p.stages.insert(ref.index);
    if (!p.reader) p.reader.emplace(sample.format, &sample.zone);
    auto status = p.reader->read(cell).status;
    p.time_hits += status == ParsedTime::Status::ok || status == ParsedTime::Status::ambiguous;
  }
}

TimeColumn& time_column(Sample& sample, int column) {
  for (auto& t : sample.times) {
    if (t.found.column == column) return t;
  }
  throw Error(ExitCode::internal, "inspect: no reader for a time column");
}

/// Reads one time cell as funnel report would, counting what it is.
void read_time(TimeColumn& column, const Record& record, const std::string& file) {
  InspectedTimeColumn& t = column.found;
  std::string_view cell = trim_blanks(record.fields[static_cast<std::size_t>(t.column)]);
  ++t.cells;
  DateOrder before = column.reader.order();
  ParsedTime parsed = column.reader.read(cell);
  if (before == DateOrder::undecided && column.reader.order() != DateOrder::undecided) {
    t.settled_by = CellAt{file, record.line, std::string(cell), {}};
  }
  switch (parsed.status) {
    case ParsedTime::Status::empty: ++t.empty; return;
    case ParsedTime::Status::invalid:
      ++t.unreadable;
      if (!t.first_unreadable) t.first_unreadable = CellAt{file, record.line, std::string(cell), parsed.problem};
      return;
    case ParsedTime::Status::ambiguous: ++t.ambiguous; break;
    case ParsedTime::Status::ok: ++t.readable; break;
  }
  if (!t.sample) {
    t.sample = std::string(cell);
    if (parsed.status == ParsedTime::Status::ok) t.sample_time = parsed.value;
  }
}

/// A row with its time cells empty in every stage date column says nothing in the wide shape.
void analyze_row(Sample& sample, const Record& record, const std::string& file) {
  const Schema& s = *sample.schema;
  std::string_view id = trim_blanks(record.fields[static_cast<std::size_t>(s.id)]);
  if (id.empty()) {
    ++sample.empty_ids;  // funnel report reads nothing else of such a row
    return;
  }
  ++sample.rows_with_id;
  if (sample.ids.find(std::string(id)) == sample.ids.end()) sample.ids.emplace(id);
  auto stage_value = [&]() {
    std::string_view value = trim_blanks(record.fields[static_cast<std::size_t>(s.stage)]);
    if (value.empty()) {
      ++sample.empty_stages;
    } else {
      ++sample.stage_counts[std::string(value)];
    }
    return !value.empty();
  };
  if (s.churned >= 0) read_time(time_column(sample, s.churned), record, file);
  if (s.shape == Shape::long_log) {
    if (stage_value()) read_time(time_column(sample, s.time), record, file);
    return;
  }
  bool any_date = false;
  for (const auto& st : s.stage_times) {
    TimeColumn& t = time_column(sample, st.column);
    std::uint64_t empty_before = t.found.empty;
    read_time(t, record, file);
    any_date = any_date || t.found.empty == empty_before;
  }
  if (s.shape == Shape::snapshot) {
    if (s.created >= 0) read_time(time_column(sample, s.created), record, file);
    if (s.closed >= 0) read_time(time_column(sample, s.closed), record, file);
    stage_value();
  } else if (!any_date) {
    ++sample.no_stage_date;
  }
}

/// Once the input is read, a settled column reads its waiting cells in its order.
void finish_times(Sample& sample) {
  for (auto& column : sample.times) {
    InspectedTimeColumn& t = column.found;
    t.order = column.reader.order();
    if (t.order == DateOrder::undecided) continue;
    t.readable += t.ambiguous;
    t.ambiguous = 0;
    if (t.sample && !t.sample_time) {
      TimeFormat settled;
      settled.kind = t.order == DateOrder::dmy ? TimeFormat::Kind::dmy : TimeFormat::Kind::mdy;
      TimeReader again(settled, &sample.zone);
      ParsedTime parsed = again.read(*t.sample);
      if (parsed.status == ParsedTime::Status::ok) t.sample_time = parsed.value;
    }
  }
}

}  // namespace

std::string ref_name(const StageModel& model, StageRef ref) {
  if (ref.index == StageRef::lost) return "lost";
  if (ref.index == StageRef::churned) return "churned";
  if (ref.index == StageRef::unknown) return "unknown";
  return model.stages()[static_cast<std::size_t>(ref.index)].name;
}

void read_sample(Sample& sample, std::istream* stdin_stream) {
  const ReportOptions& options = sample.options;
  std::vector<std::string> paths = options.files.empty() ? std::vector<std::string>{"-"} : options.files;
  sample.files.reserve(paths.size());
  Record record;
  for (const auto& path : paths) {
    ReadOptions read{options.delimiter, options.encoding, /*lenient=*/true, options.skip_lines, options.trust_quotes};
    RecordReader reader(path, stdin_stream, read);
    sample.files.emplace_back();
    InspectedFile& f = sample.files.back();
    f.path = path;
    f.name = reader.name();
    reader.on_reject([&f](const Reject& r) {
      ++f.rows_read;
      ++f.rejected;
      ++f.rejected_by_reason[r.family];
      if (!f.first_rejected) f.first_rejected = {r.line, r.reason};
    });
    if (reader.header().empty()) {
      throw Error(ExitCode::no_data, fmt::format("{}: empty input: no header line", f.name));
    }
    f.header = reader.header();
    f.dialect = reader.dialect();
    if (sample.files.size() == 1) {
      detect(sample);
    } else if (!same_header(f.header, sample.header())) {
      f.same_header = false;  // another export, joined (see inspect.cpp's join findings)
    }
    sample.column_values.emplace_back(f.header.size());
    auto& values = sample.column_values.back();
    while (reader.next(record)) {
      ++f.rows_read;
      ++sample.records;
      if (paths.size() > 1 && f.rows_read <= kJoinRows) {
        for (std::size_t c = 0; c < values.size() && c < record.fields.size(); ++c) {
          std::string_view cell = trim_blanks(record.fields[c]);
          if (cell.empty()) continue;
          values[c].emplace(cell);
          // A list of ids (Associated Contact IDs): each id too.
          for (std::size_t start = 0; cell.find(';') != std::string_view::npos && start < cell.size();) {
            std::size_t end = std::min(cell.find(';', start), cell.size());
            if (auto id = trim_blanks(cell.substr(start, end - start)); !id.empty()) values[c].emplace(id);
            start = end + 1;
          }
        }
      }
      if (!f.same_header) continue;
      if (sample.profiled < kProfileRows) profile_row(sample, record);
      if (sample.schema) analyze_row(sample, record, f.name);
    }
    f.blank_lines = reader.blank_lines();
    f.trailing_delimiters = reader.trailing_delimiters();
    sample.rows_read += f.rows_read;
  }
  finish_times(sample);
}

}  // namespace funnel::inspecting
