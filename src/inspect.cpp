// funnel inspect: reads the inputs as funnel report would (leniently, so nothing stops it but
// a missing file or an unreadable header), and says what it found and what to pass to make
// funnel report read the export right. Detection itself is detect_schema's and the stage
// model's; this file only counts, compares and prints.
#include "funnel/inspect.h"

#include <algorithm>
#include <bit>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "funnel/csv.h"
#include "funnel/diagnostics.h"
#include "funnel/events.h"
#include "funnel/render.h"
#include "funnel/stage_model.h"
#include "funnel/time_reader.h"
#include "funnel/timestamp.h"
#include "funnel/zone.h"

namespace funnel {
namespace {

constexpr std::size_t kMaxValuesShown = 50;   ///< stage values listed, most rows first
constexpr std::uint64_t kProfileRows = 1000;  ///< rows looked at to guess columns from their cells
constexpr std::uint64_t kMaxTitleLines = 10;  ///< --skip-lines values tried for a title line
constexpr std::size_t kTextValueWidth = 60;   ///< values are clipped to this many characters in text
constexpr std::size_t kMaxHinted = 1000;      ///< unknown values (most rows first) given a did-you-mean

// ---------------------------------------------------------------------------------------------
// Small text helpers.

/// Characters on screen of UTF-8 text (continuation bytes do not count).
std::size_t width_of(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

/// Data made safe for a terminal and clipped to `max` characters (at a character boundary).
std::string shown(std::string_view s, std::size_t max = kTextValueWidth) {
  std::string safe = terminal_safe(s);
  if (width_of(safe) <= max) return safe;
  std::size_t chars = 0, i = 0;
  for (; i < safe.size(); ++i) {
    if ((static_cast<unsigned char>(safe[i]) & 0xC0) != 0x80 && ++chars > max - 3) break;
  }
  return safe.substr(0, i) + "...";
}

std::string pad(const std::string& s, std::size_t width) {
  std::size_t w = width_of(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

std::string plural(std::uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

/// True when the text holds no control byte, so it can be pasted into a command line.
bool pasteable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u != 0x7f;
  });
}

/// One shell word: bare when it holds only harmless characters, else quoted.
std::string shell_quote(std::string_view s, bool always) {
  bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
  });
  if (plain && !always) return std::string(s);
  if (s.find('!') != std::string_view::npos && s.find('\'') == std::string_view::npos) {
    return fmt::format("'{}'", s);  // no history expansion inside single quotes
  }
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\' || c == '$' || c == '`') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string delimiter_name(char d) {
  switch (d) {
    case ',': return "comma";
    case ';': return "semicolon";
    case '\t': return "tab";
    case '|': return "pipe";
    default: return std::string(1, d);
  }
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

/// A value that reads like an outcome rather than a stage ("Closed - Lost", "Churned").
bool looks_lost(std::string_view value) {
  std::string v = lower_ascii(value);
  for (std::string_view word : {"lost", "disqualif", "unqualif", "churn", "reject"}) {
    if (v.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string json_or_null(const std::optional<std::string>& s) { return s ? json_quote(*s) : "null"; }

// ---------------------------------------------------------------------------------------------
// What is found.

struct FileInfo {
  std::string path;  ///< as given, for the command line
  std::string name;  ///< as in messages ("<stdin>")
  std::uint64_t rows_read = 0;  ///< records, rejected ones included (as funnel report counts them)
  std::uint64_t rejected = 0;
  std::map<std::string, std::uint64_t> rejected_by_reason;
  std::optional<std::pair<std::uint64_t, std::string>> first_rejected;  ///< line, reason
  std::uint64_t blank_lines = 0, trailing_delimiters = 0;
  Dialect dialect;
  std::vector<std::string> header;
  bool same_header = true;  ///< as the first file's (always true for the first)
};

struct CellAt {
  std::string file;
  std::uint64_t line = 0;
  std::string value;
  std::string problem;
};

/// One time column: its cells as funnel report reads them.
struct TimeColumn {
  int column = -1;
  std::string role;   ///< "time", "stage_time", "created", "closed"
  std::string stage;  ///< for stage_time: the stage name or "lost"
  TimeReader reader;
  std::uint64_t cells = 0, readable = 0, empty = 0, unreadable = 0, ambiguous = 0;
  std::optional<CellAt> first_unreadable;
  std::optional<CellAt> settled_by;  ///< the cell that decided the day/month order
  std::optional<std::string> sample;
  std::optional<Timestamp> sample_time;  ///< the sample as read, when it could be
};

/// A column's cells in the first rows, to guess its role when the header does not say.
struct ColumnProfile {
  std::uint64_t nonempty = 0, stage_hits = 0, time_hits = 0;
  std::set<int> stages;            ///< stage indexes named (not lost)
  std::set<std::string> distinct;  ///< at most kProfileRows + 1 values
  std::optional<TimeReader> reader;
};

struct StageValue {
  std::string value;
  std::uint64_t rows = 0;
  StageRef ref;
  std::optional<std::string> close;  ///< the closest spelling of the model, when close
  StageRef close_ref;
};

struct Suggestion {
  std::string flag;
  std::optional<std::string> value;
  bool quote = false;  ///< always quote the value (stage values), as funnel report's warnings do
  std::string reason;
};

struct Inspection {
  const ReportOptions& options;
  Zone zone;
  StageModel model;
  TimeFormat format;

  std::vector<FileInfo> files;
  std::optional<Schema> schema;    ///< the first file's columns, when detected
  std::optional<std::string> error;  ///< why the columns cannot be mapped (exit status 6)
  std::uint64_t rows_read = 0, records = 0;

  // Analysis of the rows that share the first file's header, when the schema is known.
  std::unordered_set<std::string> ids;
  std::uint64_t empty_ids = 0, rows_with_id = 0;
  std::unordered_map<std::string, std::uint64_t> stage_counts;
  std::uint64_t empty_stages = 0;
  std::uint64_t no_stage_date = 0;
  std::vector<StageValue> values;  ///< sorted: rows descending, then value
  std::uint64_t unknown_rows = 0;
  std::deque<TimeColumn> times;
  std::vector<ColumnProfile> profile;
  std::uint64_t profiled = 0;

  struct Guesses {
    std::optional<int> id, stage, time;
  } guesses;
  bool guessing = false;  ///< the schema failed and the guesses were tried

  std::vector<Suggestion> suggestions;
  std::vector<std::string> notes;
  std::vector<std::pair<std::string, bool>> command;  ///< words after "funnel", quote always?
  std::optional<Shape> suggested_shape;  ///< the shape with the suggested column flags
  std::optional<StageModel> suggested_model;  ///< with --preset suggested: its model

  explicit Inspection(const ReportOptions& o)
      : options(o), zone(o.tz), model(StageModel::build(o.stages)), format(TimeFormat::parse(o.date_format)) {}

  const std::vector<std::string>& header() const { return files.front().header; }
  std::string column_name(int column) const { return header()[static_cast<std::size_t>(column)]; }

  // -------------------------------------------------------------------------------------------
  // Reading.

  void read_all(std::istream* stdin_stream) {
    std::vector<std::string> paths = options.files.empty() ? std::vector<std::string>{"-"} : options.files;
    files.reserve(paths.size());
    Record record;
    for (const auto& path : paths) {
      ReadOptions read{options.delimiter, options.encoding, /*lenient=*/true, options.skip_lines, options.trust_quotes};
      RecordReader reader(path, stdin_stream, read);
      files.emplace_back();
      FileInfo& f = files.back();
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
      if (files.size() == 1) {
        detect();
      } else if (!same_header(f.header, header())) {
        f.same_header = false;
        if (!error) {
          error = fmt::format("{}:1: header differs from {}'s: several files must share one header", f.name,
                              files.front().name);
        }
      }
      while (reader.next(record)) {
        ++f.rows_read;
        ++records;
        if (!f.same_header) continue;
        if (profiled < kProfileRows) profile_row(record);
        if (schema) analyze_row(record, f.name);
      }
      f.blank_lines = reader.blank_lines();
      f.trailing_delimiters = reader.trailing_delimiters();
      rows_read += f.rows_read;
    }
    finish_times();
    sort_values();
  }

  void detect() {
    try {
      schema = detect_schema(header(), model, options.columns, files.front().name);
    } catch (const Error& e) {
      if (e.code() != ExitCode::schema) throw;
      error = e.what();
      return;
    }
    const Schema& s = *schema;
    auto add_time = [&](int column, std::string role, std::string stage) {
      if (column < 0) return;
      times.push_back(TimeColumn{column, std::move(role), std::move(stage), TimeReader(format, &zone), 0, 0, 0, 0, 0,
                                 {}, {}, {}, {}});
    };
    add_time(s.time, "time", "");
    add_time(s.created, "created", "");
    add_time(s.closed, "closed", "");
    add_time(s.churned, "churned", "");
    for (const auto& st : s.stage_times) {
      add_time(st.column, "stage_time", st.stage == StageRef::lost ? std::string("lost")
                                                                    : model.stages()[static_cast<std::size_t>(st.stage)].name);
    }
  }

  void profile_row(const Record& record) {
    if (profile.empty()) profile.resize(header().size());
    ++profiled;
    for (std::size_t i = 0; i < profile.size() && i < record.fields.size(); ++i) {
      ColumnProfile& p = profile[i];
      std::string_view cell = trim_blanks(record.fields[i]);
      if (is_placeholder(cell)) continue;
      ++p.nonempty;
      if (p.distinct.size() <= kProfileRows) p.distinct.emplace(cell);
      StageRef ref = model.resolve(cell);
      if (ref.index != StageRef::unknown) ++p.stage_hits;
      if (ref.index >= 0) p.stages.insert(ref.index);
      if (!p.reader) p.reader.emplace(format, &zone);
      auto status = p.reader->read(cell).status;
      p.time_hits += status == ParsedTime::Status::ok || status == ParsedTime::Status::ambiguous;
    }
  }

  TimeColumn& time_column(int column) {
    for (auto& t : times) {
      if (t.column == column) return t;
    }
    throw Error(ExitCode::internal, "inspect: no reader for a time column");
  }

  /// Reads one time cell as funnel report would, counting what it is.
  void read_time(TimeColumn& t, const Record& record, const std::string& file) {
    std::string_view cell = trim_blanks(record.fields[static_cast<std::size_t>(t.column)]);
    ++t.cells;
    DateOrder before = t.reader.order();
    ParsedTime parsed = t.reader.read(cell);
    if (before == DateOrder::undecided && t.reader.order() != DateOrder::undecided) {
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
  void analyze_row(const Record& record, const std::string& file) {
    const Schema& s = *schema;
    std::string_view id = trim_blanks(record.fields[static_cast<std::size_t>(s.id)]);
    if (id.empty()) {
      ++empty_ids;  // funnel report reads nothing else of such a row
      return;
    }
    ++rows_with_id;
    if (ids.find(std::string(id)) == ids.end()) ids.emplace(id);
    auto stage_value = [&]() {
      std::string_view value = trim_blanks(record.fields[static_cast<std::size_t>(s.stage)]);
      if (value.empty()) {
        ++empty_stages;
      } else {
        ++stage_counts[std::string(value)];
      }
      return !value.empty();
    };
    if (s.churned >= 0) read_time(time_column(s.churned), record, file);
    if (s.shape == Shape::long_log) {
      if (stage_value()) read_time(time_column(s.time), record, file);
      return;
    }
    bool any_date = false;
    for (const auto& st : s.stage_times) {
      TimeColumn& t = time_column(st.column);
      std::uint64_t empty_before = t.empty;
      read_time(t, record, file);
      any_date = any_date || t.empty == empty_before;
    }
    if (s.shape == Shape::snapshot) {
      if (s.created >= 0) read_time(time_column(s.created), record, file);
      if (s.closed >= 0) read_time(time_column(s.closed), record, file);
      stage_value();
    } else if (!any_date) {
      ++no_stage_date;
    }
  }

  /// Once the input is read, a settled column reads its waiting cells in its order.
  void finish_times() {
    for (auto& t : times) {
      DateOrder order = t.reader.order();
      if (order == DateOrder::undecided) continue;
      t.readable += t.ambiguous;
      t.ambiguous = 0;
      if (t.sample && !t.sample_time) {
        TimeFormat settled;
        settled.kind = order == DateOrder::dmy ? TimeFormat::Kind::dmy : TimeFormat::Kind::mdy;
        TimeReader again(settled, &zone);
        ParsedTime parsed = again.read(*t.sample);
        if (parsed.status == ParsedTime::Status::ok) t.sample_time = parsed.value;
      }
    }
  }

  /// What a value means under `m`, and the closest spelling of `m` when it means nothing.
  struct Match {
    StageRef ref;
    std::optional<std::string> close;
    StageRef close_ref;
  };
  static Match classify(const StageModel& m, const std::string& value, bool with_hint) {
    Match match{m.resolve(value), {}, {}};
    if (match.ref.index != StageRef::unknown || !with_hint) return match;
    // did_you_mean compares normalized spellings, as funnel report's warning does.
    const std::vector<std::string> spellings = m.spellings();
    std::vector<std::string> normalized;
    for (const auto& s : spellings) normalized.push_back(normalize_name(s));
    std::string hint = did_you_mean(normalize_name(value), normalized);
    constexpr std::string_view open = " (did you mean '", close = "'?)";
    if (hint.size() > open.size() + close.size()) {
      std::string spelling = hint.substr(open.size(), hint.size() - open.size() - close.size());
      auto at = std::find(normalized.begin(), normalized.end(), spelling);
      if (at != normalized.end()) {
        match.close = spellings[static_cast<std::size_t>(at - normalized.begin())];
        match.close_ref = m.resolve(*match.close);
      }
    }
    return match;
  }

  void sort_values() {
    for (auto& [value, rows] : stage_counts) values.push_back({value, rows, model.resolve(value), {}, {}});
    std::sort(values.begin(), values.end(), [](const StageValue& a, const StageValue& b) {
      return a.rows != b.rows ? a.rows > b.rows : a.value < b.value;
    });
    std::size_t hinted = 0;  // a column of free text must not cost a did-you-mean per value
    for (auto& v : values) {
      if (v.ref.index != StageRef::unknown) continue;
      unknown_rows += v.rows;
      if (hinted++ >= kMaxHinted) continue;
      Match m = classify(model, v.value, true);
      v.close = m.close;
      v.close_ref = m.close_ref;
    }
  }

  static std::string ref_name(const StageModel& m, StageRef ref) {
    if (ref.index == StageRef::lost) return "lost";
    if (ref.index == StageRef::churned) return "churned";
    if (ref.index == StageRef::unknown) return "unknown";
    return m.stages()[static_cast<std::size_t>(ref.index)].name;
  }
  std::string ref_name(StageRef ref) const { return ref_name(model, ref); }

  // -------------------------------------------------------------------------------------------
  // Guesses and suggestions.

  /// Content-based guesses at the id, stage and time columns, from the first rows.
  void guess_columns() {
    if (profile.empty()) return;
    const ColumnSpec& spec = options.columns;
    std::optional<int> stage, time, id;
    for (std::size_t i = 0; i < profile.size(); ++i) {
      const ColumnProfile& p = profile[i];
      if (p.stages.size() < 2 || p.stage_hits * 2 < p.nonempty) continue;
      if (!stage || p.stages.size() > profile[static_cast<std::size_t>(*stage)].stages.size()) stage = static_cast<int>(i);
    }
    for (std::size_t i = 0; i < profile.size(); ++i) {
      const ColumnProfile& p = profile[i];
      if (static_cast<int>(i) == stage || p.nonempty == 0 || p.time_hits * 10 < p.nonempty * 9) continue;
      time = static_cast<int>(i);
      break;
    }
    for (int pass = 0; pass < 2 && !id; ++pass) {
      for (std::size_t i = 0; i < profile.size(); ++i) {
        const ColumnProfile& p = profile[i];
        auto column = static_cast<int>(i);
        if (column == stage || column == time || p.nonempty != profiled) continue;
        if (profiled > 1 && p.distinct.size() < 2) continue;
        std::string name = normalize_name(header()[i]);
        bool named = name.find("id") != std::string::npos || name.find("email") != std::string::npos ||
                     name.find("key") != std::string::npos;
        if (pass == 0 && !named) continue;
        id = column;
        break;
      }
    }
    if (spec.id.empty()) guesses.id = id;
    if (spec.stage.empty()) guesses.stage = stage;
    if (spec.time.empty()) guesses.time = time;
  }

  bool ids_repeat_in_profile(int column) const {
    const ColumnProfile& p = profile[static_cast<std::size_t>(column)];
    return p.distinct.size() < p.nonempty;
  }

  std::string id_reason(int c) const {
    const ColumnProfile& p = profile[static_cast<std::size_t>(c)];
    return fmt::format("'{}' looks like the lead id: no empty cell and {} in the first {}", column_name(c),
                       plural(p.distinct.size(), "distinct value", "distinct values"), plural(profiled, "row", "rows"));
  }
  std::string stage_reason(int c) const {
    const ColumnProfile& p = profile[static_cast<std::size_t>(c)];
    return fmt::format("'{}' holds stage values: {} of {} cells in the first {} name a stage or lost value ({} stages)",
                       column_name(c), p.stage_hits, p.nonempty, plural(profiled, "row", "rows"), p.stages.size());
  }
  std::string time_reason(int c) const {
    const ColumnProfile& p = profile[static_cast<std::size_t>(c)];
    return fmt::format("'{}' holds times: {} of {} cells in the first {} read as times", column_name(c), p.time_hits,
                       p.nonempty, plural(profiled, "row", "rows"));
  }

  /// The columns could not be mapped: find flags that make detect_schema succeed.
  void suggest_columns() {
    guess_columns();
    guessing = true;
    struct Option {
      std::optional<int>* guess;
      std::string ColumnSpec::*field;
      const char* flag;
    };
    Option all[] = {{&guesses.id, &ColumnSpec::id, "--id"},
                    {&guesses.stage, &ColumnSpec::stage, "--stage-col"},
                    {&guesses.time, &ColumnSpec::time, "--time-col"}};
    // Fewest flags first; every combination is checked by detect_schema itself.
    for (unsigned size = 1; size <= 3; ++size) {
      for (unsigned mask = 1; mask < 8; ++mask) {
        if (static_cast<unsigned>(std::popcount(mask)) != size) continue;
        ColumnSpec spec = options.columns;
        bool possible = true;
        for (unsigned k = 0; k < 3; ++k) {
          if ((mask & (1U << k)) == 0) continue;
          if (!*all[k].guess) possible = false;
          else spec.*all[k].field = column_name(**all[k].guess);
        }
        if (!possible) continue;
        Schema trial;
        try {
          trial = detect_schema(header(), model, spec, files.front().name);
        } catch (const Error&) {
          continue;
        }
        // A snapshot with repeated ids is an event log whose time column was not found.
        if (trial.shape == Shape::snapshot && guesses.time && (mask & 4U) == 0 && trial.id >= 0 &&
            ids_repeat_in_profile(trial.id)) {
          continue;
        }
        for (unsigned k = 0; k < 3; ++k) {
          if ((mask & (1U << k)) == 0) continue;
          int c = **all[k].guess;
          suggestions.push_back({all[k].flag, column_name(c), false, k == 0 ? id_reason(c) : k == 1 ? stage_reason(c) : time_reason(c)});
        }
        suggested_shape = trial.shape;
        return;
      }
    }
    // Nothing found: say what the cells look like, so the user can name the columns.
    std::vector<std::string> timeish;
    for (std::size_t i = 0; i < profile.size(); ++i) {
      const ColumnProfile& p = profile[i];
      if (p.nonempty > 0 && p.time_hits * 10 >= p.nonempty * 9) timeish.push_back(fmt::format("'{}'", header()[i]));
    }
    if (!timeish.empty() && !guesses.stage && options.columns.stage.empty()) {
      notes.push_back(fmt::format("no column holds stage values; {} hold{} times: if they are the dates a lead entered "
                                  "each stage, name them with --stage-time STAGE=COLUMN",
                                  fmt::join(timeish, ", "), timeish.size() == 1 ? "s" : ""));
    }
  }

  /// A title line above the header: the first --skip-lines that gives a header funnel can map.
  bool suggest_skip_lines() {
    const FileInfo& f = files.front();
    std::uint64_t wrong = f.rejected_by_reason.count("wrong field count") ? f.rejected_by_reason.at("wrong field count") : 0;
    if (f.header.size() > 2 && wrong * 2 <= f.rows_read) return false;
    if (f.path == "-") {
      notes.push_back("the header has few columns: if the input starts with a title line, skip it with --skip-lines N");
      return false;
    }
    for (std::uint64_t n = options.skip_lines + 1; n <= options.skip_lines + kMaxTitleLines; ++n) {
      try {
        RecordReader reader(f.path, nullptr, ReadOptions{options.delimiter, options.encoding, true, n});
        if (reader.header().empty()) return false;
        Schema s = detect_schema(reader.header(), model, options.columns, reader.name());
        suggestions.push_back({"--skip-lines", std::to_string(n), false,
                               fmt::format("the first {} not the header: after {}, the header is {} ({} columns) and "
                                           "reads as {} input",
                                           n == 1 ? "line is" : fmt::format("{} lines are", n),
                                           n == 1 ? "it" : "them",
                                           fmt::format("'{}'", fmt::join(reader.header(), ", ")), reader.header().size(),
                                           shape_name(s.shape))});
        suggested_shape = s.shape;
        return true;
      } catch (const Error&) {
        continue;
      }
    }
    return false;
  }

  /// An event log read as a snapshot because no time column was found by name.
  void suggest_time_column() {
    const Schema& s = *schema;
    if (s.shape != Shape::snapshot || !options.columns.shape.empty() || !options.columns.time.empty()) return;
    if (ids.size() >= rows_with_id || profile.empty()) return;
    std::vector<bool> used(header().size(), false);
    for (int c : {s.id, s.stage, s.time, s.status, s.created, s.closed}) {
      if (c >= 0) used[static_cast<std::size_t>(c)] = true;
    }
    for (const auto& st : s.stage_times) used[static_cast<std::size_t>(st.column)] = true;
    for (std::size_t i = 0; i < profile.size(); ++i) {
      const ColumnProfile& p = profile[i];
      if (used[i] || p.nonempty == 0 || p.time_hits * 10 < p.nonempty * 9) continue;
      ColumnSpec spec = options.columns;
      spec.time = header()[i];
      try {
        if (detect_schema(header(), model, spec, files.front().name).shape != Shape::long_log) continue;
      } catch (const Error&) {
        continue;
      }
      suggestions.push_back(
          {"--time-col", header()[i], false,
           fmt::format("lead ids repeat ({} rows, {} ids), as in an event log, but with no time column the input reads "
                       "as a snapshot (one row per deal); {}: with it the input reads as long",
                       rows_with_id, ids.size(), time_reason(static_cast<int>(i)))});
      suggested_shape = Shape::long_log;
      return;
    }
  }

  /// A preset that knows more of the stage values (or maps more stage date columns) than the
  /// model in use, checked by building it and detecting the columns under it.
  void suggest_preset() {
    if (!options.stages.stages.empty()) return;
    const Schema& s = *schema;
    std::uint64_t best_unknown = unknown_rows;
    std::size_t best_columns = s.stage_times.size();
    std::optional<std::string> best;
    for (const auto& name : StageModel::preset_names()) {
      if (name == options.stages.preset) continue;
      StageModelSpec spec = options.stages;
      spec.preset = name;
      try {
        StageModel m = StageModel::build(spec);
        Schema other = detect_schema(header(), m, options.columns, files.front().name);
        if (other.shape != s.shape || other.stage != s.stage) continue;
        std::uint64_t unknown = 0;
        for (const auto& v : values) unknown += m.resolve(v.value).index == StageRef::unknown ? v.rows : 0;
        std::size_t columns = other.stage_times.size();
        if ((unknown < best_unknown && columns >= best_columns) || (unknown <= best_unknown && columns > best_columns)) {
          best_unknown = unknown;
          best_columns = columns;
          best = name;
          suggested_model = std::move(m);
        }
      } catch (const Error&) {
        continue;  // the user's aliases name stages this preset does not have
      }
    }
    if (!best) return;
    std::vector<std::string> parts;
    if (best_unknown < unknown_rows) {
      parts.push_back(fmt::format("leaves {} with an unknown stage instead of {}", plural(best_unknown, "row", "rows"),
                                  unknown_rows));
    }
    if (best_columns > s.stage_times.size()) {
      parts.push_back(fmt::format("maps {} stage date columns instead of {}", best_columns, s.stage_times.size()));
    }
    suggestions.push_back({"--preset", *best, false, fmt::format("the {} preset {}", *best, fmt::join(parts, " and "))});
  }

  void suggest_stage_values() {
    const StageModel& m = suggested_model ? *suggested_model : model;
    std::set<std::string> done;  // normalized values already given a flag
    std::uint64_t unmatched = 0, unmatched_rows = 0;
    std::string example;
    std::size_t hinted = 0;
    for (const auto& v : values) {
      Match match = classify(m, v.value, hinted < kMaxHinted);
      if (match.ref.index != StageRef::unknown) continue;
      ++hinted;
      std::string key = normalize_name(v.value);
      if (done.count(key)) continue;
      // --lost only for values that say so: "Qualified" is close to "unqualified", and not lost.
      bool lost = looks_lost(v.value);
      bool alias = !lost && match.close && match.close_ref.index >= 0;
      if (!lost && !alias) {
        ++unmatched;
        unmatched_rows += v.rows;
        if (example.empty()) example = v.value;
        continue;
      }
      if (!pasteable(v.value) || (lost && v.value.find(',') != std::string::npos)) {
        notes.push_back(fmt::format("{} cannot be given on the command line{}; rename it in the export",
                                    quote_cell(v.value), pasteable(v.value) ? " to --lost (it holds a comma)" : ""));
        continue;
      }
      done.insert(key);
      std::string rows = plural(v.rows, "row", "rows");
      if (alias) {
        suggestions.push_back({"--alias", fmt::format("{}={}", ref_name(m, match.close_ref), v.value), true,
                               fmt::format("{}: close to '{}' ({})", rows, *match.close, ref_name(m, match.close_ref))});
      } else {
        suggestions.push_back({"--lost", v.value, true, fmt::format("{}: looks like a lost value", rows)});
      }
    }
    if (unmatched > 0) {
      notes.push_back(fmt::format("{} unknown stage {} ({}) {} no close match, e.g. {}: name {} with --alias "
                                  "\"STAGE=VALUE\" or --lost \"VALUE\"",
                                  unmatched, unmatched == 1 ? "value" : "values", plural(unmatched_rows, "row", "rows"),
                                  unmatched == 1 ? "has" : "have", quote_cell(example), unmatched == 1 ? "it" : "them"));
    }
  }

  void suggest_date_format() {
    const TimeColumn* undecided = nullptr;
    const TimeColumn* settled = nullptr;
    for (const auto& t : times) {
      if (t.ambiguous > 0 && !undecided) undecided = &t;
      if (t.reader.order() != DateOrder::undecided && !settled) settled = &t;
    }
    if (!undecided) return;
    std::string value, why;
    if (settled) {
      value = settled->reader.order() == DateOrder::dmy ? "dmy" : "mdy";
      why = fmt::format("'{}' of the same export is {}", column_name(settled->column),
                        value == "dmy" ? "day first" : "month first");
    } else if (files.front().dialect.delimiter == ';') {
      value = "dmy";
      why = "a guess: semicolon files come from Excel in day-first locales";
    } else {
      value = "mdy";
      why = "a guess: nothing in the data tells";
    }
    suggestions.push_back({"--date-format", value, false,
                           fmt::format("{} in '{}' could be day first or month first and no date settles it (funnel "
                                       "report stops, exit 5): check one you know; dmy is day first, mdy month first "
                                       "({} suggested: {})",
                                       plural(undecided->ambiguous, "date", "dates"), column_name(undecided->column),
                                       value, why)});
  }

  void suggest_lenient() {
    if (options.lenient) return;
    std::uint64_t malformed = 0;
    std::vector<std::string> parts;
    std::map<std::string, std::uint64_t> all;
    for (const auto& f : files) {
      for (const auto& [reason, n] : f.rejected_by_reason) all[reason] += n;
    }
    for (const auto& [reason, n] : all) {
      if (reason == "repeated header") continue;  // skipped in both modes
      malformed += n;
      parts.push_back(fmt::format("{} {}", n, reason));
    }
    if (malformed == 0) return;
    suggestions.push_back({"--lenient", {}, false,
                           fmt::format("{} ({}) {} funnel report (exit 4); --lenient skips and counts them",
                                       plural(malformed, "malformed record", "malformed records"), fmt::join(parts, ", "),
                                       malformed == 1 ? "stops" : "stop")});
  }

  void add_notes() {
    for (const auto& t : times) {
      if (t.unreadable == 0) continue;
      notes.push_back(fmt::format("{} in '{}' cannot be read as {} (funnel report stops at the first, exit 5): "
                                  "{}:{}: {}: {}",
                                  plural(t.unreadable, "cell", "cells"), column_name(t.column),
                                  t.unreadable == 1 ? "a time" : "times", t.first_unreadable->file, t.first_unreadable->line,
                                  quote_cell(t.first_unreadable->value), t.first_unreadable->problem));
    }
    if (schema && records == 0) notes.push_back("no data rows: funnel report stops (exit 7)");
  }

  void suggest() {
    if (error && !schema) {
      if (!suggest_skip_lines()) {
        suggest_lenient();
        suggest_columns();
      }
    } else {
      suggest_lenient();
      if (schema) {
        suggest_time_column();
        suggest_preset();
        suggest_stage_values();
        suggest_date_format();
      }
    }
    add_notes();
    build_command();
  }

  /// funnel report with the files, the options given to inspect and the suggestions.
  void build_command() {
    const ReportOptions& o = options;
    auto has = [&](std::string_view flag) {
      return std::any_of(suggestions.begin(), suggestions.end(), [&](const Suggestion& s) { return s.flag == flag; });
    };
    auto add = [&](std::string word, bool quote = false) { command.emplace_back(std::move(word), quote); };
    auto option = [&](const char* flag, const std::string& value, bool quote = false) {
      add(flag);
      add(value, quote);
    };
    add("report");
    for (const auto& f : o.files) add(f);
    if (o.delimiter != 0) option("--delimiter", delimiter_name(o.delimiter));
    if (o.encoding == Encoding::latin1) option("--encoding", "latin1");
    if (o.encoding == Encoding::cp1252) option("--encoding", "cp1252");
    if (o.skip_lines > 0 && !has("--skip-lines")) option("--skip-lines", std::to_string(o.skip_lines));
    if (o.lenient) add("--lenient");
    if (o.trust_quotes) add("--trust-quotes");
    if (o.strict_cells) add("--strict-cells");
    if (!o.date_format.empty() && o.date_format != "auto") option("--date-format", o.date_format);
    if (o.tz != "UTC") option("--tz", o.tz);
    if (!o.columns.shape.empty()) option("--shape", o.columns.shape);
    if (!o.columns.id.empty()) option("--id", o.columns.id);
    if (!o.columns.stage.empty()) option("--stage-col", o.columns.stage);
    if (!o.columns.time.empty()) option("--time-col", o.columns.time);
    for (const auto& st : o.columns.stage_times) option("--stage-time", st);
    for (const auto& by : o.columns.by) option("--by", by);
    if (o.stages.preset != "default" && !has("--preset")) option("--preset", o.stages.preset);
    // Stage lists are comma separated however they were given (flags or a config file's arrays).
    auto list = [&](const char* flag, const std::vector<std::string>& items, bool quote = false) {
      if (!items.empty()) option(flag, fmt::format("{}", fmt::join(items, ",")), quote);
    };
    list("--stages", o.stages.stages);
    list("--tofu", o.stages.tofu);
    list("--mofu", o.stages.mofu);
    list("--bofu", o.stages.bofu);
    for (const auto& s : o.stages.aliases) option("--alias", s, true);  // a VALUE may hold commas
    list("--lost", o.stages.lost, true);
    if (o.strict_stages) add("--strict-stages");
    for (const auto& s : suggestions) {
      add(s.flag);
      if (s.value) add(*s.value, s.quote);
    }
  }

  std::string command_line() const {
    std::string line = "funnel";
    for (const auto& [word, quote] : command) {
      line += ' ';
      line += shell_quote(word, quote);
    }
    return line;
  }

  int exit_code() const { return error ? static_cast<int>(ExitCode::schema) : 0; }

  // -------------------------------------------------------------------------------------------
  // Roles.

  struct Role {
    std::string role;   ///< JSON name; empty when the columns are not mapped
    std::string stage;  ///< for stage_time
  };

  std::vector<Role> roles(const FileInfo& f) const {
    std::vector<Role> out(f.header.size());
    if (!schema || !f.same_header) return out;
    for (auto& r : out) r.role = "unused";
    const Schema& s = *schema;
    auto set = [&](int column, const char* role, std::string stage = {}) {
      if (column < 0) return;
      Role& r = out[static_cast<std::size_t>(column)];
      if (r.role == "unused") r = {role, std::move(stage)};
    };
    set(s.id, "id");
    set(s.stage, "stage");
    set(s.time, "time");
    set(s.status, "status");
    set(s.created, "created");
    set(s.closed, "closed");
    set(s.churned, "churned");
    for (const auto& st : s.stage_times) set(st.column, "stage_time", ref_name(StageRef{st.stage}));
    for (int c : s.segments) set(c, "segment");
    return out;
  }

  static std::string role_text(const Role& r) {
    if (r.role == "stage_time") return "stage time for " + r.stage;
    return r.role;
  }

  std::string shape_reason() const {
    if (!options.columns.shape.empty()) return "given with --shape";
    switch (schema->shape) {
      case Shape::long_log: return "a stage column and a time column: one row per stage entry";
      case Shape::snapshot: return "a stage column and no time column: one row per deal at its current stage";
      case Shape::wide: return "no stage column, date columns named after stages: one row per lead";
    }
    return {};
  }

  std::optional<std::string> guess_text(int column) const {
    if (!guessing) return {};
    if (guesses.id == column) return "looks like the lead id";
    if (guesses.stage == column) return "looks like stage values";
    if (guesses.time == column) return "looks like times";
    return {};
  }

  // -------------------------------------------------------------------------------------------
  // Text.

  void write_text(std::ostream& out) const {
    for (std::size_t i = 0; i < files.size(); ++i) write_file_text(out, files[i], i == 0);
    out << '\n';
    if (schema) {
      out << fmt::format("shape: {} ({})\n", shape_name(schema->shape), shape_reason());
    } else {
      out << "shape: not detected\n";
    }
    if (error) out << "error: " << terminal_safe(*error) << '\n';
    if (schema && schema->stage >= 0) write_values_text(out);
    if (!times.empty()) write_times_text(out);
    if (schema) {
      out << fmt::format("\nlead ids in '{}': {} distinct, {} with an empty id\n", shown(column_name(schema->id)),
                         ids.size(), plural(empty_ids, "row", "rows"));
      std::vector<std::string> unused;
      if (empty_ids > 0) unused.push_back(fmt::format("{} empty lead id", empty_ids));
      if (schema->shape == Shape::long_log && empty_stages > 0) unused.push_back(fmt::format("{} empty stage", empty_stages));
      if (schema->shape == Shape::long_log && unknown_rows > 0) unused.push_back(fmt::format("{} unknown stage", unknown_rows));
      if (no_stage_date > 0) unused.push_back(fmt::format("{} no stage date", no_stage_date));
      if (!unused.empty()) out << fmt::format("rows funnel report will not use: {}\n", fmt::join(unused, ", "));
    }
    if (!notes.empty()) {
      out << "\nnotes:\n";
      for (const auto& n : notes) out << "  - " << terminal_safe(n) << '\n';
    }
    if (suggestions.empty()) {
      out << "\nsuggested flags: none\n";
    } else {
      out << "\nsuggested flags:\n";
      std::vector<std::string> words;
      std::size_t width = 0;
      for (const auto& s : suggestions) {
        words.push_back(s.flag + (s.value ? " " + shell_quote(*s.value, s.quote) : ""));
        width = std::max(width, width_of(terminal_safe(words.back())));
      }
      for (std::size_t i = 0; i < suggestions.size(); ++i) {
        out << "  " << pad(terminal_safe(words[i]), width) << "  " << terminal_safe(suggestions[i].reason) << '\n';
      }
      if (suggested_shape && guessing) {
        out << fmt::format("  (with these the input reads as {})\n", shape_name(*suggested_shape));
      }
    }
    out << "\ncommand: " << terminal_safe(command_line()) << '\n';
  }

  void write_file_text(std::ostream& out, const FileInfo& f, bool first) const {
    std::string extra;
    if (f.rejected > 0) {
      std::vector<std::string> parts;
      for (const auto& [reason, n] : f.rejected_by_reason) parts.push_back(fmt::format("{} {}", n, reason));
      extra += fmt::format(", {} skipped ({})", f.rejected, fmt::join(parts, ", "));
    }
    if (f.blank_lines > 0) extra += ", " + plural(f.blank_lines, "blank line", "blank lines");
    if (f.trailing_delimiters > 0) extra += fmt::format(", {} with a trailing delimiter", plural(f.trailing_delimiters, "row", "rows"));
    out << fmt::format("{}{}: {}{}, delimiter {} ({})\n", first ? "" : "\n", shown(f.name, 200),
                       plural(f.rows_read, "row", "rows"), extra, delimiter_name(f.dialect.delimiter),
                       f.dialect.detected ? "detected" : "given");
    if (f.first_rejected) {
      out << fmt::format("  first skipped: line {}: {}\n", f.first_rejected->first, shown(f.first_rejected->second, 200));
    }
    if (!first && f.same_header) {
      out << fmt::format("  columns as in {}\n", shown(files.front().name, 200));
      return;
    }
    if (!f.same_header) out << "  header differs from the first file's:\n";
    std::vector<Role> r = roles(f);
    std::size_t width = 4;
    for (const auto& h : f.header) width = std::max(width, width_of(shown(h)));
    std::size_t digits = std::to_string(f.header.size()).size();
    for (std::size_t i = 0; i < f.header.size(); ++i) {
      std::string role = r[i].role.empty() ? "-" : role_text(r[i]);
      if (first) {
        if (auto g = guess_text(static_cast<int>(i))) role += " (" + *g + ")";
      }
      out << fmt::format("  {:>{}}  {}  {}\n", i + 1, digits, pad(shown(f.header[i]), width), terminal_safe(role));
    }
  }

  void write_values_text(std::ostream& out) const {
    std::uint64_t total = 0;
    for (const auto& v : values) total += v.rows;
    out << fmt::format("\nstage values in '{}': {} in {}, {} with an empty stage\n", shown(column_name(schema->stage)),
                       plural(values.size(), "distinct value", "distinct values"), plural(total, "row", "rows"),
                       plural(empty_stages, "row", "rows"));
    if (values.empty()) return;
    std::size_t n = std::min(values.size(), kMaxValuesShown);
    std::size_t width = 5, count_width = 4;
    for (std::size_t i = 0; i < n; ++i) {
      width = std::max(width, width_of(shown(values[i].value)));
      count_width = std::max(count_width, std::to_string(values[i].rows).size());
    }
    out << fmt::format("  {:>{}}  {}  maps to\n", "rows", count_width, pad("value", width));
    for (std::size_t i = 0; i < n; ++i) {
      const StageValue& v = values[i];
      std::string to = ref_name(v.ref);
      if (v.close) to += fmt::format(" (did you mean '{}', {}?)", terminal_safe(*v.close), ref_name(v.close_ref));
      out << fmt::format("  {:>{}}  {}  {}\n", v.rows, count_width, pad(shown(v.value), width), to);
    }
    if (values.size() > n) {
      std::uint64_t rows = 0;
      for (std::size_t i = n; i < values.size(); ++i) rows += values[i].rows;
      out << fmt::format("  ... and {} more {} in {}\n", values.size() - n, values.size() - n == 1 ? "value" : "values",
                         plural(rows, "row", "rows"));
    }
  }

  void write_times_text(std::ostream& out) const {
    out << "\ntime columns:\n";
    for (const auto& t : times) {
      std::string role = t.role == "stage_time" ? "stage time for " + t.stage : t.role;
      out << fmt::format("  '{}' ({}): {}, {} readable, {} empty, {} unreadable{}\n", shown(column_name(t.column)),
                         terminal_safe(role), plural(t.cells, "cell", "cells"), t.readable, t.empty, t.unreadable,
                         t.ambiguous > 0 ? fmt::format(", {} undecided", t.ambiguous) : "");
      if (t.sample) {
        out << fmt::format("      sample \"{}\"{}\n", shown(*t.sample),
                           t.sample_time ? " read as " + format_timestamp(*t.sample_time) : std::string());
      }
      if (t.settled_by) {
        out << fmt::format("      day/month order: {}, settled by \"{}\" at {}:{}\n",
                           t.reader.order() == DateOrder::dmy ? "day first" : "month first", shown(t.settled_by->value),
                           shown(t.settled_by->file, 200), t.settled_by->line);
      } else if (t.ambiguous > 0) {
        out << "      day/month order: undecided (every day and month is 12 or less)\n";
      }
      if (t.first_unreadable) {
        out << fmt::format("      first unreadable: {}:{}: \"{}\": {}\n", shown(t.first_unreadable->file, 200),
                           t.first_unreadable->line, shown(t.first_unreadable->value),
                           terminal_safe(t.first_unreadable->problem));
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // JSON.

  static std::string json_cell(const std::optional<CellAt>& c, bool problem) {
    if (!c) return "null";
    return fmt::format("{{\"file\": {}, \"line\": {}, \"value\": {}{}}}", json_quote(c->file), c->line,
                       json_quote(c->value), problem ? ", \"problem\": " + json_quote(c->problem) : std::string());
  }

  void write_json(std::ostream& out) const {
    out << "{\n  \"schema_version\": " << kSchemaVersion << ",\n  \"files\": [\n";
    for (std::size_t i = 0; i < files.size(); ++i) {
      const FileInfo& f = files[i];
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
      std::vector<Role> r = roles(f);
      for (std::size_t c = 0; c < f.header.size(); ++c) {
        out << "       {\"index\": " << c + 1 << ", \"name\": " << json_quote(f.header[c])
            << ", \"role\": " << (r[c].role.empty() ? "null" : json_quote(r[c].role))
            << ", \"stage\": " << (r[c].stage.empty() ? "null" : json_quote(r[c].stage)) << "}"
            << (c + 1 < f.header.size() ? ",\n" : "\n");
      }
      out << "     ]}" << (i + 1 < files.size() ? ",\n" : "\n");
    }
    out << "  ],\n  \"rows_read\": " << rows_read << ",\n";
    out << "  \"shape\": " << (schema ? json_quote(shape_name(schema->shape)) : "null")
        << ",\n  \"shape_reason\": " << (schema ? json_quote(shape_reason()) : "null")
        << ",\n  \"error\": " << json_or_null(error) << ",\n  \"stages\": [";
    for (std::size_t k = 0; k < model.stages().size(); ++k) out << (k ? ", " : "") << json_quote(model.stages()[k].name);
    out << "],\n  \"stage_values\": ";
    if (schema && schema->stage >= 0) {
      std::uint64_t total = 0, more_rows = 0;
      for (const auto& v : values) total += v.rows;
      std::size_t n = std::min(values.size(), kMaxValuesShown);
      for (std::size_t i = n; i < values.size(); ++i) more_rows += values[i].rows;
      out << "{\"column\": " << json_quote(column_name(schema->stage)) << ", \"distinct\": " << values.size()
          << ", \"rows\": " << total << ", \"empty\": " << empty_stages << ", \"more_values\": " << values.size() - n
          << ", \"more_rows\": " << more_rows << ",\n    \"values\": [";
      for (std::size_t i = 0; i < n; ++i) {
        const StageValue& v = values[i];
        out << (i ? ",\n      " : "\n      ") << "{\"value\": " << json_quote(v.value) << ", \"rows\": " << v.rows
            << ", \"maps_to\": " << json_quote(ref_name(v.ref))
            << ", \"did_you_mean\": " << json_or_null(v.close)
            << ", \"did_you_mean_maps_to\": " << (v.close ? json_quote(ref_name(v.close_ref)) : "null") << "}";
      }
      out << (n ? "\n    ]}" : "]}");
    } else {
      out << "null";
    }
    out << ",\n  \"time_columns\": [";
    for (std::size_t i = 0; i < times.size(); ++i) {
      const TimeColumn& t = times[i];
      std::string order = t.settled_by ? (t.reader.order() == DateOrder::dmy ? "\"dmy\"" : "\"mdy\"")
                          : t.ambiguous > 0 ? "\"undecided\""
                                            : "null";
      out << (i ? ",\n    " : "\n    ") << "{\"index\": " << t.column + 1 << ", \"name\": " << json_quote(column_name(t.column))
          << ", \"role\": " << json_quote(t.role) << ", \"stage\": " << (t.stage.empty() ? "null" : json_quote(t.stage))
          << ", \"cells\": " << t.cells << ", \"readable\": " << t.readable << ", \"empty\": " << t.empty
          << ", \"unreadable\": " << t.unreadable << ", \"undecided\": " << t.ambiguous
          << ",\n     \"sample\": " << json_or_null(t.sample)
          << ", \"sample_read_as\": " << (t.sample_time ? json_quote(format_timestamp(*t.sample_time)) : "null")
          << ", \"order\": " << order << ", \"order_settled_by\": " << json_cell(t.settled_by, false)
          << ",\n     \"first_unreadable\": " << json_cell(t.first_unreadable, true) << "}";
    }
    out << (times.empty() ? "],\n" : "\n  ],\n");
    out << "  \"ids\": ";
    if (schema) {
      out << "{\"column\": " << json_quote(column_name(schema->id)) << ", \"distinct\": " << ids.size()
          << ", \"empty\": " << empty_ids << "}";
    } else {
      out << "null";
    }
    out << ",\n  \"rows_not_used\": {";
    if (schema) {
      std::vector<std::pair<const char*, std::uint64_t>> unused = {
          {"empty lead id", empty_ids},
          {"empty stage", schema->shape == Shape::long_log ? empty_stages : 0},
          {"no stage date", no_stage_date},
          {"unknown stage", schema->shape == Shape::long_log ? unknown_rows : 0}};
      bool first = true;
      for (const auto& [reason, n] : unused) {
        if (n == 0) continue;
        out << (first ? "" : ", ") << json_quote(reason) << ": " << n;
        first = false;
      }
    }
    out << "},\n  \"column_guesses\": ";
    if (guessing) {
      auto name = [&](const std::optional<int>& c) { return c ? json_quote(column_name(*c)) : std::string("null"); };
      out << "{\"rows\": " << profiled << ", \"id\": " << name(guesses.id) << ", \"stage\": " << name(guesses.stage)
          << ", \"time\": " << name(guesses.time) << "}";
    } else {
      out << "null";
    }
    out << ",\n  \"suggestions\": [";
    for (std::size_t i = 0; i < suggestions.size(); ++i) {
      const Suggestion& s = suggestions[i];
      out << (i ? ",\n    " : "\n    ") << "{\"flag\": " << json_quote(s.flag) << ", \"value\": " << json_or_null(s.value)
          << ", \"reason\": " << json_quote(s.reason) << "}";
    }
    out << (suggestions.empty() ? "],\n" : "\n  ],\n");
    out << "  \"suggested_shape\": " << (suggested_shape ? json_quote(shape_name(*suggested_shape)) : "null") << ",\n";
    out << "  \"notes\": [";
    for (std::size_t i = 0; i < notes.size(); ++i) out << (i ? ", " : "") << json_quote(notes[i]);
    out << "],\n  \"command\": " << json_quote(command_line()) << ",\n  \"exit_code\": " << exit_code() << "\n}\n";
  }
};

}  // namespace

int inspect(const ReportOptions& options, std::istream* stdin_stream, std::ostream& out, bool json) {
  auto in = std::make_unique<Inspection>(options);
  in->read_all(stdin_stream);
  in->suggest();
  if (json) {
    in->write_json(out);
  } else {
    in->write_text(out);
  }
  return in->exit_code();
}

}  // namespace funnel
