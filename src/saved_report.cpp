#include "funnel/saved_report.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "funnel/csv.h"
#include "funnel/diagnostics.h"
#include "funnel/render.h"
#include "funnel/text.h"

namespace funnel {

const SavedSegment* SavedReport::find(std::string_view label) const {
  for (const auto& segment : segments) {
    if (segment.label == label) return &segment;
  }
  return nullptr;
}

std::vector<std::string> SavedReport::stage_names() const {
  std::vector<std::string> names;
  if (!segments.empty()) {
    for (const auto& stage : segments.front().stages) names.push_back(stage.name);
  }
  return names;
}

namespace {

constexpr const char* kHowToSave = "save one with funnel report -f json or -f csv";
/// Counts above 2^53 cannot come from a report (and doubles stop being whole numbers there).
constexpr double kLargestCount = 9007199254740992.0;

/// Checks that hold for JSON and CSV alike, once the segments are read: the same stages in
/// every segment, no label twice, counts that never grow down the funnel, an "(all)" segment.
/// `where` names a value for messages: (segment, stage or -1, field) -> "file: place".
template <typename Where>
void check_consistent(const SavedReport& report, Where where) {
  if (report.segments.empty())
    throw Error(ExitCode::bad_value, fmt::format("{}: no segments: not a funnel report; {}", report.file, kHowToSave));
  const auto& first = report.segments.front().stages;
  for (std::size_t s = 0; s < report.segments.size(); ++s) {
    const SavedSegment& seg = report.segments[s];
    for (std::size_t t = 0; t < s; ++t) {
      if (report.segments[t].label == seg.label) {
        throw Error(ExitCode::bad_value,
                    fmt::format("{}segment {} appears twice", where(s, -1, "segment"), quote_cell(seg.label)));
      }
    }
    if (seg.stages.empty()) throw Error(ExitCode::bad_value, fmt::format("{}no stages", where(s, -1, "stages")));
    if (seg.stages.size() != first.size()) {
      throw Error(ExitCode::bad_value,
                  fmt::format("{}{} stages, but segment {} has {}", where(s, -1, "stages"), seg.stages.size(),
                              quote_cell(report.segments.front().label), first.size()));
    }
    for (std::size_t k = 0; k < seg.stages.size(); ++k) {
      const SavedStage& stage = seg.stages[k];
      if (stage.name != first[k].name) {
        throw Error(
            ExitCode::bad_value,
            fmt::format("{}expected stage {} (as in segment {}), got {}", where(s, static_cast<int>(k), "stage"),
                        quote_cell(first[k].name), quote_cell(report.segments.front().label), quote_cell(stage.name)));
      }
      if (k > 0 && stage.reached > seg.stages[k - 1].reached) {
        throw Error(ExitCode::bad_value,
                    fmt::format("{}{} leads reached {}, more than the {} that reached {} before it",
                                where(s, static_cast<int>(k), "reached"), stage.reached, quote_cell(stage.name),
                                seg.stages[k - 1].reached, quote_cell(seg.stages[k - 1].name)));
      }
    }
  }
  if (report.find("(all)") == nullptr) {
    throw Error(ExitCode::bad_value,
                fmt::format("{}: no (all) segment: not a funnel report; {}", report.file, kHowToSave));
  }
}

/// Overall counts as funnel_table.cpp derives them from the stages: leads reached the first
/// stage, won the last; lost, open and stalled are sums over the stages before the last.
void derive_overall(SavedSegment& seg) {
  seg.overall.leads = seg.stages.front().reached;
  seg.overall.won = seg.stages.back().reached;
  auto sum = [&](std::optional<std::uint64_t> SavedStage::*field) -> std::optional<std::uint64_t> {
    std::uint64_t total = 0;
    for (std::size_t k = 0; k + 1 < seg.stages.size(); ++k) {
      if (!(seg.stages[k].*field)) return std::nullopt;
      total += *(seg.stages[k].*field);
    }
    return total;
  };
  seg.overall.lost = sum(&SavedStage::lost);
  seg.overall.open = sum(&SavedStage::open);
  seg.overall.stalled = sum(&SavedStage::stalled);
}

// ---- JSON ---------------------------------------------------------------------------------

using nlohmann::json;

class JsonReport {
 public:
  explicit JsonReport(const std::string& file) : file_(file) {}

  SavedReport read(std::string_view text) {
    json doc = parse(text);
    SavedReport out;
    out.file = file_;
    out.kind = SavedReport::Kind::json;
    object(doc, "$");
    std::uint64_t version = count(field(doc, "$", "schema_version"), "$.schema_version");
    if (version > static_cast<std::uint64_t>(kSchemaVersion)) {
      fail("$.schema_version",
           fmt::format("schema_version {} is newer than this funnel's {}", version, kSchemaVersion));
    }
    const json& segments = field(doc, "$", "segments");
    if (!segments.is_array()) fail("$.segments", fmt::format("expected an array, got {}", shown(segments)));
    for (std::size_t s = 0; s < segments.size(); ++s)
      out.segments.push_back(segment(segments[s], fmt::format("$.segments[{}]", s)));
    check_consistent(out, [&](std::size_t s, int k, const char* name) {
      return fmt::format(
          "{}: {}: ", file_,
          k < 0 ? fmt::format("$.segments[{}].{}", s, name) : fmt::format("$.segments[{}].stages[{}].{}", s, k, name));
    });
    return out;
  }

 private:
  json parse(std::string_view text) {
    // Reports nest four deep; a limit keeps a hostile file from exhausting the stack.
    auto limit = [this](int depth, json::parse_event_t, json&) {
      if (depth > 64)
        throw Error(ExitCode::bad_value, fmt::format("{}: not a funnel report: nested more than 64 deep", file_));
      return true;
    };
    try {
      return json::parse(text.begin(), text.end(), limit);
    } catch (const json::parse_error& e) {
      // The library counts lines and columns too, but from the byte offset they match ours.
      std::size_t at = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
      std::size_t line =
          1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
      std::size_t line_start = text.rfind('\n', at == 0 ? 0 : at - 1);
      std::size_t column = at - (line_start == std::string_view::npos || at == 0 ? 0 : line_start + 1) + 1;
      std::string what = e.what();
      // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..."
      if (auto c = what.find("column "); c != std::string::npos) {
        if (auto colon = what.find(": ", c); colon != std::string::npos) what = what.substr(colon + 2);
      }
      throw Error(ExitCode::bad_value, fmt::format("{}:{}:{}: not valid JSON: {}", file_, line, column, what));
    }
  }

  [[noreturn]] void fail(const std::string& path, std::string_view what) const {
    throw Error(ExitCode::bad_value, fmt::format("{}: {}: {}", file_, path, what));
  }

  /// A value as the file has it, for messages (cut short when long).
  static std::string shown(const json& v) {
    std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return text;
  }

  void object(const json& v, const std::string& path) const {
    if (!v.is_object()) fail(path, fmt::format("expected an object, got {}", shown(v)));
  }

  const json& field(const json& obj, const std::string& path, const char* key) const {
    auto it = obj.find(key);
    if (it == obj.end()) fail(path, fmt::format("missing field \"{}\"", key));
    return *it;
  }

  std::string text(const json& v, const std::string& path) const {
    if (!v.is_string()) fail(path, fmt::format("expected a string, got {}", shown(v)));
    return v.get<std::string>();
  }

  std::uint64_t count(const json& v, const std::string& path) const {
    if (v.is_number_unsigned()) return v.get<std::uint64_t>();
    if (v.is_number_float()) {
      double d = v.get<double>();
      if (d >= 0 && d <= kLargestCount && d == std::floor(d)) return static_cast<std::uint64_t>(d);
    }
    fail(path, fmt::format("expected a whole count, got {}", shown(v)));
  }

  std::optional<double> rate(const json& v, const std::string& path) const {
    if (v.is_null()) return std::nullopt;
    if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1) {
      fail(path, fmt::format("expected a rate between 0 and 1 (or null), got {}", shown(v)));
    }
    return v.get<double>();
  }

  std::optional<double> days(const json& v, const std::string& path) const {
    if (v.is_null()) return std::nullopt;
    if (!v.is_number() || v.get<double>() < 0)
      fail(path, fmt::format("expected a number of days (or null), got {}", shown(v)));
    return v.get<double>();
  }

  /// Optional fields are checked when present.
  std::optional<std::uint64_t> optional_count(const json& obj, const std::string& path, const char* key) const {
    auto it = obj.find(key);
    if (it == obj.end()) return std::nullopt;
    return count(*it, path + "." + key);
  }
  void optional_rate(const json& obj, const std::string& path, const char* key) const {
    if (auto it = obj.find(key); it != obj.end()) rate(*it, path + "." + key);
  }

  SavedSegment segment(const json& v, const std::string& path) const {
    object(v, path);
    SavedSegment seg;
    seg.label = text(field(v, path, "segment"), path + ".segment");
    const json& stages = field(v, path, "stages");
    if (!stages.is_array()) fail(path + ".stages", fmt::format("expected an array, got {}", shown(stages)));
    for (std::size_t k = 0; k < stages.size(); ++k)
      seg.stages.push_back(stage(stages[k], fmt::format("{}.stages[{}]", path, k)));
    // A hand-written baseline may give only the stages; then the overall counts are derived.
    if (!seg.stages.empty()) derive_overall(seg);
    auto it = v.find("overall");
    if (it == v.end()) return seg;
    const std::string overall_path = path + ".overall";
    const json& overall = *it;
    object(overall, overall_path);
    auto overall_count = [&](const char* key) {
      return count(field(overall, overall_path, key), overall_path + "." + key);
    };
    seg.overall.leads = overall_count("leads");
    seg.overall.won = overall_count("won");
    seg.overall.lost = overall_count("lost");
    seg.overall.open = overall_count("open");
    seg.overall.stalled = overall_count("stalled");
    optional_rate(overall, overall_path, "win_rate");
    // A null win rate beside won or lost leads: the report found no lost evidence (lost is
    // undefined), and so has no win rate to check.
    if (auto w = overall.find("win_rate");
        w != overall.end() && w->is_null() && seg.overall.won + *seg.overall.lost > 0)
      seg.overall.lost_defined = false;
    return seg;
  }

  SavedStage stage(const json& v, const std::string& path) const {
    object(v, path);
    SavedStage st;
    st.name = text(field(v, path, "stage"), path + ".stage");
    st.reached = count(field(v, path, "reached"), path + ".reached");
    optional_rate(v, path, "step_conversion");
    optional_rate(v, path, "overall_conversion");
    optional_count(v, path, "dropped");
    st.lost = optional_count(v, path, "lost");
    st.open = optional_count(v, path, "open");
    st.stalled = optional_count(v, path, "stalled");
    if (auto it = v.find("days_to_next"); it != v.end()) {
      const std::string days_path = path + ".days_to_next";
      object(*it, days_path);
      st.to_next.count = optional_count(*it, days_path, "count");
      for (auto [key, slot] :
           {std::pair{"median", &st.to_next.median}, {"p90", &st.to_next.p90}, {"mean", &st.to_next.mean}}) {
        if (auto d = it->find(key); d != it->end()) *slot = days(*d, days_path + "." + key);
      }
    }
    return st;
  }

  const std::string& file_;
};

// ---- CSV ----------------------------------------------------------------------------------

/// The columns a CSV report must have; the rest are optional.
constexpr const char* kRequired[] = {"segment", "stage", "reached"};

std::string trim(std::string_view text) { return std::string(trim_blanks(text)); }

/// funnel's CSV writer puts a quote mark before text a spreadsheet would run as a formula
/// (text_cell); a label read back drops it again.
std::string label_cell(std::string_view cell) {
  if (cell.size() > 1 && cell[0] == '\'' && std::strchr("=+-@\t\r", cell[1]) != nullptr) cell.remove_prefix(1);
  return std::string(cell);
}

class CsvReport {
 public:
  CsvReport(const std::string& file) : file_(file) {}

  SavedReport read() {
    RecordReader reader(file_, nullptr, ReadOptions{});
    std::map<std::string, std::size_t> column;
    for (std::size_t c = 0; c < reader.header().size(); ++c) column.emplace(lower_ascii(trim_blanks(reader.header()[c])), c);
    std::vector<std::string> missing;
    for (const char* name : kRequired) {
      if (column.find(name) == column.end()) missing.emplace_back(name);
    }
    if (!missing.empty()) {
      throw Error(ExitCode::bad_value,
                  fmt::format("{}: not a saved funnel report: not JSON, and not a CSV report with the columns segment, "
                              "stage and reached (no {}); {}",
                              file_, fmt::join(missing, ", "), kHowToSave));
    }
    auto find = [&](const char* name) -> std::optional<std::size_t> {
      auto it = column.find(name);
      return it == column.end() ? std::nullopt : std::optional<std::size_t>(it->second);
    };
    const std::size_t seg_col = *find("segment"), stage_col = *find("stage"), reached_col = *find("reached");
    const auto lost_col = find("lost"), open_col = find("open"), stalled_col = find("stalled");
    const auto median_col = find("days_to_next_median"), p90_col = find("days_to_next_p90"),
               mean_col = find("days_to_next_mean");
    const auto step_col = find("step_conversion"), overall_col = find("overall_conversion");

    SavedReport out;
    out.file = file_;
    out.kind = SavedReport::Kind::csv;
    std::vector<std::uint64_t> first_line;          // per segment, for messages
    std::vector<std::vector<std::uint64_t>> lines;  // per segment and stage
    Record record;
    while (reader.next(record)) {
      auto cell = [&](std::size_t c) { return trim(record.fields[c]); };
      std::string label = label_cell(cell(seg_col));
      auto it = std::find_if(out.segments.begin(), out.segments.end(),
                             [&](const SavedSegment& s) { return s.label == label; });
      if (it == out.segments.end()) {
        out.segments.push_back({label, {}, {}});
        lines.emplace_back();
        it = out.segments.end() - 1;
      }
      lines[static_cast<std::size_t>(it - out.segments.begin())].push_back(record.line);
      SavedStage stage;
      stage.name = cell(stage_col);
      stage.reached = count(cell(reached_col), record.line, "reached");
      if (lost_col) stage.lost = count(cell(*lost_col), record.line, "lost");
      if (open_col) stage.open = count(cell(*open_col), record.line, "open");
      if (stalled_col) stage.stalled = count(cell(*stalled_col), record.line, "stalled");
      if (median_col) stage.to_next.median = days(cell(*median_col), record.line, "days_to_next_median");
      if (p90_col) stage.to_next.p90 = days(cell(*p90_col), record.line, "days_to_next_p90");
      if (mean_col) stage.to_next.mean = days(cell(*mean_col), record.line, "days_to_next_mean");
      if (step_col) rate(cell(*step_col), record.line, "step_conversion");
      if (overall_col) rate(cell(*overall_col), record.line, "overall_conversion");
      it->stages.push_back(std::move(stage));
    }
    if (out.segments.empty())
      throw Error(ExitCode::bad_value, fmt::format("{}: a CSV report with no rows; {}", file_, kHowToSave));
    check_consistent(out, [&](std::size_t s, int k, const char* name) {
      std::uint64_t line = lines[s][k < 0 ? 0 : std::min(static_cast<std::size_t>(k), lines[s].size() - 1)];
      return where(
          {file_, line, std::string_view(name) == "stages" ? std::string_view("stage") : std::string_view(name)});
    });
    for (SavedSegment& seg : out.segments) derive_overall(seg);
    return out;
  }

 private:
  [[noreturn]] void fail(std::uint64_t line, std::string_view column, std::string_view what) const {
    throw Error(ExitCode::bad_value, fmt::format("{}{}", where({file_, line, column}), what));
  }

  std::optional<double> number(const std::string& text) const {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
    return value;
  }

  std::uint64_t count(const std::string& text, std::uint64_t line, std::string_view column) const {
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
        static_cast<double>(value) > kLargestCount) {
      fail(line, column, fmt::format("expected a whole count, got {}", quote_cell(text)));
    }
    return value;
  }

  std::optional<double> rate(const std::string& text, std::uint64_t line, std::string_view column) const {
    if (text.empty()) return std::nullopt;
    auto value = number(text);
    if (!value || *value < 0 || *value > 1) {
      fail(line, column, fmt::format("expected a rate between 0 and 1 (or an empty cell), got {}", quote_cell(text)));
    }
    return value;
  }

  std::optional<double> days(const std::string& text, std::uint64_t line, std::string_view column) const {
    if (text.empty()) return std::nullopt;
    auto value = number(text);
    if (!value || *value < 0)
      fail(line, column, fmt::format("expected a number of days (or an empty cell), got {}", quote_cell(text)));
    return value;
  }

  const std::string& file_;
};

}  // namespace

SavedReport parse_saved_json(std::string_view text, const std::string& name) { return JsonReport(name).read(text); }

SavedReport read_saved_report(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ExitCode::io, fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw Error(ExitCode::io, fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  const std::string text = buffer.str();
  // Told apart by content, not by name: JSON starts with '{' (after a BOM and spaces).
  std::string_view rest = text;
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);
  std::size_t first = rest.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    throw Error(ExitCode::bad_value, fmt::format("{}: empty: not a saved funnel report; {}", path, kHowToSave));
  }
  if (rest[first] == '{' || rest[first] == '[') return parse_saved_json(rest, path);
  return CsvReport(path).read();
}

}  // namespace funnel
