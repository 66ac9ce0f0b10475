// funnel inspect, suggesting: see suggest.h. The guesses come from guess.cpp; this file
// decides which to offer, says why, and writes the command line.
#include "suggest.h"

#include "funnel/layouts.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "funnel/diagnostics.h"
#include "funnel/money.h"

namespace funnel::inspecting {
namespace {

/// True when the text holds no control byte, so it can be pasted into a command line.
bool pasteable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u != 0x7f;
  });
}

class Suggester {
 public:
  Suggester(const Sample& sample, const StageValues& values, Suggested& out)
      : sample_(sample), options_(sample.options), values_(values), out_(out) {}

  void run() {
    if (sample_.error && !sample_.schema) {
      if (!suggest_skip_lines()) {
        suggest_lenient();
        suggest_columns();
      }
    } else {
      suggest_lenient();
      if (sample_.schema) {
        suggest_time_column();
        // A known export's stage flags (layouts.h) come before a preset guessed from the values.
        if (!suggest_layout()) suggest_preset();
        suggest_stage_values();
        note_unread_dates();
        suggest_date_format();
      }
    }
    add_notes();
    build_command();
  }

 private:
  void add(std::string flag, std::optional<std::string> value, bool quote, std::string reason) {
    std::string words = flag;
    if (value) words += " " + shell_quote(*value, quote);
    out_.suggestions.push_back({std::move(flag), std::move(value), quote, std::move(reason), std::move(words)});
  }

  const ColumnProfile& profile(int c) const { return sample_.profile[static_cast<std::size_t>(c)]; }
  std::string rows_profiled() const { return plural(sample_.profiled, "row", "rows"); }

  std::string id_reason(int c) const {
    return fmt::format("'{}' looks like the lead id: no empty cell and {} in the first {}", sample_.column_name(c),
                       plural(profile(c).distinct.size(), "distinct value", "distinct values"), rows_profiled());
  }
  std::string stage_reason(int c) const {
    const ColumnProfile& p = profile(c);
    return fmt::format("'{}' holds stage values: {} of {} cells in the first {} name a stage or lost value ({} stages)",
                       sample_.column_name(c), p.stage_hits, p.nonempty, rows_profiled(), p.stages.size());
  }
  std::string time_reason(int c) const {
    const ColumnProfile& p = profile(c);
    return fmt::format("'{}' holds times: {} of {} cells in the first {} read as times", sample_.column_name(c),
                       p.time_hits, p.nonempty, rows_profiled());
  }

  /// The columns could not be mapped: find flags that make detect_schema succeed.
  void suggest_columns() {
    out_.guesses = guess_columns(sample_);
    out_.guessing = true;
    const ColumnGuesses& g = out_.guesses;
    if (auto trial = try_guessed_columns(sample_, g)) {
      if (trial->mask & 1U) add("--id", sample_.column_name(*g.id), false, id_reason(*g.id));
      if (trial->mask & 2U) add("--stage-col", sample_.column_name(*g.stage), false, stage_reason(*g.stage));
      if (trial->mask & 4U) add("--time-col", sample_.column_name(*g.time), false, time_reason(*g.time));
      out_.suggested_shape = trial->shape;
      return;
    }
    // No guesses make the whole schema, but the id guess may get past the first problem
    // (Olist's mql_id beside landing_page_id): offer it, and say what stops next.
    if (g.id && options_.columns.id.empty()) {
      auto next = error_with_id(sample_, *g.id);
      if (next && *next != *sample_.error) {
        add("--id", sample_.column_name(*g.id), false, id_reason(*g.id));
        out_.notes.push_back(fmt::format("with --id {}: {}", shell_quote(sample_.column_name(*g.id), false), *next));
      }
    }
    // Say what the cells look like, so the user can name the other columns.
    std::vector<std::string> timeish;
    for (int c : timeish_columns(sample_)) timeish.push_back(fmt::format("'{}'", sample_.column_name(c)));
    if (!timeish.empty() && !g.stage && options_.columns.stage.empty()) {
      out_.notes.push_back(
          fmt::format("no column holds stage values; {} hold{} times: if they are the dates a lead "
                      "entered each stage, name them with --stage-time STAGE=COLUMN",
                      fmt::join(timeish, ", "), timeish.size() == 1 ? "s" : ""));
    }
  }

  bool suggest_skip_lines() {
    if (!header_may_be_title(sample_)) return false;
    if (sample_.files.front().path == "-") {
      out_.notes.push_back(
          "the header has few columns: if the input starts with a title line, skip it with --skip-lines N");
      return false;
    }
    auto skip = guess_skip_lines(sample_);
    if (!skip) return false;
    std::uint64_t n = skip->lines;
    add("--skip-lines", std::to_string(n), false,
        fmt::format("the first {} not the header: after {}, the header is {} ({} columns) and reads as {} input",
                    n == 1 ? "line is" : fmt::format("{} lines are", n), n == 1 ? "it" : "them",
                    fmt::format("'{}'", fmt::join(skip->header, ", ")), skip->header.size(), shape_name(skip->shape)));
    out_.suggested_shape = skip->shape;
    return true;
  }

  void suggest_time_column() {
    auto column = guess_time_column(sample_);
    if (!column) return;
    add("--time-col", sample_.column_name(*column), false,
        fmt::format("lead ids repeat ({} rows, {} ids), as in an event log, but with no time column the input reads "
                    "as a snapshot (one row per deal); {}: with it the input reads as long",
                    sample_.rows_with_id, sample_.ids.size(), time_reason(*column)));
    out_.suggested_shape = Shape::long_log;
  }

  bool suggest_layout() {
    const StageModelSpec& given = options_.stages;
    if (given.preset != "default" || !given.stages.empty()) return false;
    std::optional<Layout> layout = recognize_layout(sample_.header());
    if (!layout || layout->flags().empty()) return false;
    for (const auto& [flag, value] : layout->flags()) {
      add(flag, value, flag != "--preset", "the stages of a " + layout->name + " export");
    }
    PresetGuess p;
    p.name = layout->name;
    p.model = StageModel::build(layout->stage_spec(given));
    preset_ = std::move(p);
    return true;
  }

  void suggest_preset() {
    preset_ = guess_preset(sample_, values_);
    if (!preset_) return;
    const PresetGuess& p = *preset_;
    std::size_t columns = sample_.schema->stage_times.size();
    std::vector<std::string> parts;
    if (p.unknown_rows < values_.unknown_rows) {
      parts.push_back(fmt::format("leaves {} with an unknown stage instead of {}",
                                  plural(p.unknown_rows, "row", "rows"), values_.unknown_rows));
    }
    if (p.stage_time_columns > columns) {
      parts.push_back(fmt::format("maps {} stage date columns instead of {}", p.stage_time_columns, columns));
    }
    add("--preset", p.name, false, fmt::format("the {} preset {}", p.name, fmt::join(parts, " and ")));
  }

  void suggest_stage_values() {
    const StageModel& m = preset_ ? preset_->model : sample_.model;
    std::set<std::string> done;  // normalized values already given a flag
    std::uint64_t unmatched = 0, unmatched_rows = 0;
    std::string example;
    std::size_t hinted = 0;
    for (const auto& v : values_.values) {
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
        out_.notes.push_back(fmt::format("{} cannot be given on the command line{}; rename it in the export",
                                         quote_cell(v.value),
                                         pasteable(v.value) ? " to --lost (it holds a comma)" : ""));
        continue;
      }
      done.insert(key);
      std::string rows = plural(v.rows, "row", "rows");
      if (alias) {
        add("--alias", fmt::format("{}={}", ref_name(m, match.close_ref), v.value), true,
            fmt::format("{}: close to '{}' ({})", rows, *match.close, ref_name(m, match.close_ref)));
      } else {
        add("--lost", v.value, true, fmt::format("{}: looks like a lost value", rows));
      }
    }
    if (unmatched > 0) {
      out_.notes.push_back(
          fmt::format("{} unknown stage {} ({}) {} no close match, e.g. {}: name {} with --alias "
                      "\"STAGE=VALUE\" or --lost \"VALUE\"",
                      unmatched, unmatched == 1 ? "value" : "values", plural(unmatched_rows, "row", "rows"),
                      unmatched == 1 ? "has" : "have", quote_cell(example), unmatched == 1 ? "it" : "them"));
    }
  }

  /// A snapshot's date columns that nothing reads (Maven's engage_date): point at them as the
  /// times deals entered earlier stages, rather than at a preset full of stages nobody is in.
  void note_unread_dates() {
    if (out_.suggested_shape) return;  // --time-col makes it an event log
    const Schema& s = *sample_.schema;
    for (const auto& dates : guess_unread_dates(sample_, values_)) {
      const std::string& name = sample_.column_name(dates.column);
      std::string when = "a stage", stage = "STAGE", how = " (a stage of the model: --stages or --alias)";
      if (dates.value) {
        when = fmt::format("'{}'", *dates.value);
        StageRef ref = sample_.model.resolve(*dates.value);
        if (ref.index >= 0) {
          stage = ref_name(sample_.model, ref);
          how.clear();
        } else {
          how = fmt::format(" (make {} a stage first: --stages or --alias)", quote_cell(*dates.value));
        }
      }
      out_.notes.push_back(fmt::format(
          "'{}' holds dates that funnel report does not read: this export keeps only each deal's current stage, so "
          "columns like it are how funnel can tell that a deal passed an earlier stage; if it is when deals entered "
          "{}, name it with --stage-time {}{}{}",
          name, when, shell_quote(fmt::format("{}={}", stage, name), false), how,
          s.closed >= 0 ? fmt::format("; '{}' is read as when won and lost deals closed", sample_.column_name(s.closed))
                        : std::string()));
    }
  }

  void suggest_date_format() {
    auto guess = guess_date_order(sample_);
    if (!guess) return;
    add("--date-format", guess->value, false,
        fmt::format("{} in '{}' could be day first or month first and no date settles it (funnel report stops, exit "
                    "5): check one you know; dmy is day first, mdy month first ({} suggested: {})",
                    plural(guess->undecided->ambiguous, "date", "dates"), sample_.column_name(guess->undecided->column),
                    guess->value, guess->why));
  }

  void suggest_lenient() {
    if (options_.lenient) return;
    std::uint64_t malformed = 0;
    std::vector<std::string> parts;
    std::map<std::string, std::uint64_t> all;
    for (const auto& f : sample_.files) {
      for (const auto& [reason, n] : f.rejected_by_reason) all[reason] += n;
    }
    for (const auto& [reason, n] : all) {
      if (reason == "repeated header") continue;  // skipped in both modes
      malformed += n;
      parts.push_back(fmt::format("{} {}", n, reason));
    }
    if (malformed == 0) return;
    add("--lenient", {}, false,
        fmt::format("{} ({}) {} funnel report (exit 4); --lenient skips and counts them",
                    plural(malformed, "malformed record", "malformed records"), fmt::join(parts, ", "),
                    malformed == 1 ? "stops" : "stop"));
  }

  void add_notes() {
    for (const auto& column : sample_.times) {
      const InspectedTimeColumn& t = column.found;
      if (t.unreadable == 0) continue;
      out_.notes.push_back(
          fmt::format("{} in '{}' cannot be read as {} (funnel report stops at the first, exit 5): "
                      "{}:{}: {}: {}",
                      plural(t.unreadable, "cell", "cells"), sample_.column_name(t.column),
                      t.unreadable == 1 ? "a time" : "times", t.first_unreadable->file, t.first_unreadable->line,
                      quote_cell(t.first_unreadable->value), t.first_unreadable->problem));
    }
    if (sample_.schema && sample_.records == 0) out_.notes.push_back("no data rows: funnel report stops (exit 7)");
  }

  /// funnel report with the files, the options given to inspect and the suggestions.
  void build_command() {
    const ReportOptions& o = options_;
    const auto& suggestions = out_.suggestions;
    auto has = [&](std::string_view flag) {
      return std::any_of(suggestions.begin(), suggestions.end(), [&](const Suggestion& s) { return s.flag == flag; });
    };
    std::string& line = out_.command;
    line = "funnel";
    auto word = [&](std::string_view w, bool quote = false) {
      line += ' ';
      line += shell_quote(w, quote);
    };
    auto option = [&](const char* flag, const std::string& value, bool quote = false) {
      word(flag);
      word(value, quote);
    };
    word("report");
    for (const auto& f : o.files) word(f);
    if (o.delimiter != 0) option("--delimiter", delimiter_name(o.delimiter));
    if (o.encoding == Encoding::latin1) option("--encoding", "latin1");
    if (o.encoding == Encoding::cp1252) option("--encoding", "cp1252");
    if (o.skip_lines > 0 && !has("--skip-lines")) option("--skip-lines", std::to_string(o.skip_lines));
    if (o.lenient) word("--lenient");
    if (o.trust_quotes) word("--trust-quotes");
    if (o.strict_cells) word("--strict-cells");
    if (!o.date_format.empty() && o.date_format != "auto") option("--date-format", o.date_format);
    if (o.tz != "UTC") option("--tz", o.tz);
    if (!o.columns.shape.empty()) option("--shape", o.columns.shape);
    if (!o.columns.id.empty()) option("--id", o.columns.id);
    if (!o.columns.stage.empty()) option("--stage-col", o.columns.stage);
    if (!o.columns.time.empty()) option("--time-col", o.columns.time);
    for (const auto& st : o.columns.stage_times) option("--stage-time", st);
    for (const auto& by : o.columns.by) option("--by", by);
    if (o.last_touch) option("--attribution", "last");
    if (!o.amount.empty()) option("--amount", o.amount);
    if (o.decimal == DecimalMark::dot) option("--decimal", ".");
    if (o.decimal == DecimalMark::comma) option("--decimal", ",");
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
    if (o.strict_stages) word("--strict-stages");
    for (const auto& s : suggestions) {
      word(s.flag);
      if (s.value) word(*s.value, s.quote);
    }
  }

  const Sample& sample_;
  const ReportOptions& options_;
  const StageValues& values_;
  Suggested& out_;
  std::optional<PresetGuess> preset_;  ///< with --preset suggested: its model
};

}  // namespace

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

Suggested suggest(const Sample& sample, const StageValues& values) {
  Suggested out;
  Suggester(sample, values, out).run();
  return out;
}

}  // namespace funnel::inspecting
