#include "common.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "funnel/charts.h"
#include "funnel/config.h"
#include "funnel/csv.h"
#include "funnel/layouts.h"
#include "funnel/diagnostics.h"
#include "funnel/money.h"
#include "funnel/output.h"
#include "funnel/period.h"
#include "funnel/terminal.h"
#include "funnel/time_reader.h"
#include "funnel/zone.h"

namespace funnel::commands {
namespace {

/// Reads a time option (--as-of, --since, --until) in --tz; throws a usage error.
Timestamp option_time(const std::string& text, const char* flag, const std::string& tz, const std::string& format) {
  Zone zone(tz);
  TimeReader reader(TimeFormat::parse(format), &zone);
  ParsedTime t = reader.read(text);
  if (t.status != ParsedTime::Status::ok) {
    throw Error(ExitCode::usage, fmt::format("{}: cannot read {} as a time: {}", flag, quote_cell(text),
                                             t.status == ParsedTime::Status::empty ? "empty" : t.problem));
  }
  return t.value;
}

/// Applies a config file's keys to the options the command line left unset. Keys are the
/// long option names, at the top level or under [report] (the subcommand's name); the file
/// is read and checked by read_config().
void apply_config(CLI::App& command, const std::string& path) {
  std::vector<std::string> keys, commands;
  for (const CLI::Option* opt : command.get_options()) {
    if (!opt->get_lnames().empty() && opt->get_lnames().front() != "config") keys.push_back(opt->get_lnames().front());
  }
  if (const CLI::App* program = command.get_parent(); program != nullptr) {
    for (const CLI::App* sub : program->get_subcommands([](const CLI::App*) { return true; })) {
      commands.push_back(sub->get_name());
    }
  }
  for (const ConfigEntry& entry : read_config(path, command.get_name(), commands, keys)) {
    CLI::Option* opt = command.get_option_no_throw("--" + entry.key);
    if (opt->count() > 0) continue;
    try {
      opt->add_result(entry.values);
      opt->run_callback();
    } catch (const CLI::ParseError& e) {
      throw Error(ExitCode::usage, fmt::format("{}: {}", entry.where, e.what()));
    }
  }
}

/// A preset's first stages that a wide export has no column for are left out (HubSpot's
/// Subscriber): the first file's header is read once before the run. Standard input cannot be
/// read twice, so there the preset is used whole.
void fit_preset(ReportOptions& o) {
  if (o.stages.preset == "default" || !o.stages.stages.empty() || o.files.empty()) return;
  std::error_code error;
  if (!std::filesystem::is_regular_file(o.files.front(), error)) return;  // a pipe is read once
  try {
    RecordReader reader(o.files.front(), nullptr, ReadOptions{o.delimiter, o.encoding, true, o.skip_lines});
    o.stages.skip_leading = unused_leading_stages(o.stages, reader.header(), o.columns);
  } catch (const Error&) {
    // unreadable: the run itself says why
  }
}

char parse_delimiter(const std::string& text) {
  if (text.empty()) return 0;
  if (text == "," || text == "comma") return ',';
  if (text == ";" || text == "semicolon") return ';';
  if (text == "\t" || text == "\\t" || text == "tab") return '\t';
  if (text == "|" || text == "pipe") return '|';
  throw Error(ExitCode::usage,
              fmt::format("--delimiter must be one of , ; tab | (or comma, semicolon, tab, pipe), not '{}'", text));
}

/// --where, --recode, --bucket: parsed before any input is read; the columns --where names
/// beyond --by ride along as attributes. A recoded or bucketed column no --by or --where
/// uses would be ignored: an error.
void finish_filters(ExportOptions& o) {
  ReportOptions& r = o.report;
  r.columns.attributes.clear();
  r.lead_attributes = false;
  if (!o.where.empty()) {
    Zone zone(r.tz);
    TimeReader reader(TimeFormat::parse(r.date_format), &zone);
    auto read_time = [&reader](std::string_view text) -> std::optional<Timestamp> {
      ParsedTime t = reader.read(text);
      if (t.status != ParsedTime::Status::ok) return std::nullopt;
      return t.value;
    };
    auto where = std::make_shared<Where>(Where::parse(o.where, read_time));
    where->bind_stages(StageModel::build(r.stages));
    for (const auto& column : where->columns()) {
      if (std::find(r.columns.by.begin(), r.columns.by.end(), column) == r.columns.by.end()) {
        r.columns.attributes.push_back(column);
      }
    }
    r.lead_attributes = !where->columns().empty();
    r.where = std::move(where);
  }
  r.recodes = parse_recodes(o.recode, o.bucket);
  auto used = [&](const std::string& column) {
    return std::find(r.columns.by.begin(), r.columns.by.end(), column) != r.columns.by.end() ||
           std::find(r.columns.attributes.begin(), r.columns.attributes.end(), column) != r.columns.attributes.end();
  };
  for (const auto& [column, recoding] : r.recodes.recode) {
    if (!used(column)) {
      throw Error(ExitCode::usage,
                  fmt::format("--recode {}: no --by or --where names that column, so nothing would change", column));
    }
  }
  for (const auto& [column, bands] : r.recodes.buckets) {
    if (std::find(r.columns.by.begin(), r.columns.by.end(), column) == r.columns.by.end()) {
      throw Error(ExitCode::usage,
                  fmt::format("--bucket {}: bands are --by values: add --by {} (--where compares the number itself)",
                              column, column));
    }
  }
}

}  // namespace

void refuse_ignored(const CLI::App& app, std::string_view command,
                    std::initializer_list<std::pair<const char*, const char*>> ignored) {
  for (const auto& [flag, why] : ignored) {
    const CLI::Option* opt = app.get_option_no_throw(flag);
    if (opt != nullptr && opt->count() > 0)
      throw Error(ExitCode::usage, fmt::format("funnel {}: {} is not supported: {}", command, flag, why));
  }
}

void load_config(CLI::App& app, ExportOptions& o) {
  if (o.config.empty()) return;
  try {
    apply_config(app, o.config);
  } catch (const CLI::ParseError& e) {
    throw Error(ExitCode::usage, fmt::format("{}: {}", o.config, e.what()));
  }
  // [[input]] tables: one input's own roles in a join.
  for (const ConfigInput& table : read_config_inputs(o.config)) {
    InputRoles roles;
    roles.where = table.where;
    for (const ConfigEntry& e : table.entries) {
      auto one = [&]() -> std::string {
        if (e.values.size() != 1) throw Error(ExitCode::usage, fmt::format("{}: '{}' wants one value", e.where, e.key));
        return e.values.front();
      };
      if (e.key == "file") roles.file = one();
      if (e.key == "role") roles.role = one();
      if (e.key == "key") roles.key = one();
      if (e.key == "link") roles.link = one();
      if (e.key == "shape") roles.columns.shape = one();
      if (e.key == "id") roles.columns.id = one();
      if (e.key == "stage-col") roles.columns.stage = one();
      if (e.key == "time-col") roles.columns.time = one();
      if (e.key == "stage-time") roles.columns.stage_times = e.values;
    }
    if (roles.file.empty())
      throw Error(ExitCode::usage, fmt::format("{}: [[input]] needs file = \"NAME\"", table.where));
    o.report.input_roles.push_back(std::move(roles));
  }
}

void finish_options(ExportOptions& o, const std::vector<std::string>& more_inputs) {
  // -o and --rejects may not name a file the run reads, nor each other.
  std::vector<std::string> inputs = o.report.files;
  inputs.insert(inputs.end(), o.report.lookups.begin(), o.report.lookups.end());
  inputs.push_back(o.report.spend);
  inputs.push_back(o.config);
  inputs.insert(inputs.end(), more_inputs.begin(), more_inputs.end());
  check_output_targets(o.output, o.report.rejects, inputs);
  o.report.delimiter = parse_delimiter(o.delimiter);
  if (o.encoding == "utf8" || o.encoding == "utf-8") {
    o.report.encoding = Encoding::utf8;
  } else if (o.encoding == "latin1" || o.encoding == "iso-8859-1") {
    o.report.encoding = Encoding::latin1;
  } else if (o.encoding == "cp1252" || o.encoding == "windows-1252") {
    o.report.encoding = Encoding::cp1252;
  } else {
    throw Error(ExitCode::usage, fmt::format("--encoding must be utf8, latin1 or cp1252, not '{}'", o.encoding));
  }
  const std::string& shape = o.report.columns.shape;
  if (!shape.empty() && shape != "long" && shape != "wide" && shape != "snapshot") {
    throw Error(ExitCode::usage, fmt::format("--shape must be long, wide or snapshot, not '{}'", shape));
  }
  if (o.count == "cumulative") {
    o.report.funnel.mode = CountMode::cumulative;
  } else if (o.count == "ordered") {
    o.report.funnel.mode = CountMode::ordered;
  } else {
    throw Error(ExitCode::usage, fmt::format("--count must be cumulative or ordered, not '{}'", o.count));
  }
  auto stale = parse_duration(o.stale);
  if (!stale)
    throw Error(ExitCode::usage, fmt::format("--stale wants a duration like 30d, 12h or 2w, not '{}'", o.stale));
  o.report.funnel.stale = *stale;
  TimeFormat::parse(o.report.date_format);  // refuse a bad --date-format before reading
  if (!o.as_of.empty()) o.report.funnel.as_of = option_time(o.as_of, "--as-of", o.report.tz, o.report.date_format);
  if (!o.since.empty()) o.report.funnel.since = option_time(o.since, "--since", o.report.tz, o.report.date_format);
  if (!o.until.empty()) o.report.funnel.until = option_time(o.until, "--until", o.report.tz, o.report.date_format);
  if (!o.since.empty() && !o.until.empty() && o.report.funnel.since >= o.report.funnel.until) {
    throw Error(ExitCode::usage,
                fmt::format("--since {} is not before --until {}: no lead could enter between them", o.since, o.until));
  }
  if (!o.window.empty()) {
    auto window = parse_duration(o.window);
    if (!window || *window == 0) {
      throw Error(ExitCode::usage, fmt::format("--window wants a duration like 30d, 12h or 2w, not '{}'", o.window));
    }
    o.report.funnel.window = *window;
  }
  if (!o.lost_after.empty()) {
    auto lost_after = parse_duration(o.lost_after);
    if (!lost_after || *lost_after == 0) {
      throw Error(ExitCode::usage,
                  fmt::format("--lost-after wants a duration like 90d, 12w or 2160h, not '{}'", o.lost_after));
    }
    o.report.funnel.lost_after = *lost_after;
  }
  if (o.days == "whole") {
    o.report.funnel.whole_days = std::make_shared<const Zone>(o.report.tz);
  } else if (o.days != "fractional") {
    throw Error(ExitCode::usage, fmt::format("--days must be fractional or whole, not '{}'", o.days));
  }
  o.report.every = parse_period(o.every);
  if (o.attribution != "first" && o.attribution != "last") {
    throw Error(ExitCode::usage, fmt::format("--attribution must be first or last, not '{}'", o.attribution));
  }
  o.report.last_touch = o.attribution == "last";
  o.report.decimal = parse_decimal_mark(o.decimal);
  if (o.lookup_duplicates == "error") {
    o.report.lookup_duplicates = LookupDuplicates::error;
  } else if (o.lookup_duplicates == "first") {
    o.report.lookup_duplicates = LookupDuplicates::first;
  } else if (o.lookup_duplicates == "last") {
    o.report.lookup_duplicates = LookupDuplicates::last;
  } else {
    throw Error(ExitCode::usage,
                fmt::format("--lookup-duplicates must be error, first or last, not '{}'", o.lookup_duplicates));
  }
  fit_preset(o.report);
  finish_filters(o);
}

void define_input(CLI::App& app, ExportOptions& o) {
  auto& r = o.report;
  app.add_option("--config", o.config,
                 "Read options from a TOML file (keys are the long option names; the command line wins)");
  app.add_flag("-q,--quiet", o.quiet, "No warnings on stderr (errors still print)");
  app.add_option("--threads", r.threads, "1: one thread; 2: one reads and parses while the other counts")
      ->capture_default_str()
      ->check(CLI::Range(1, 2));
  app.add_option("-d,--delimiter", o.delimiter, "Field delimiter: , ; tab | (default: detected from the header)")
      ->group("Input");
  app.add_option("--encoding", o.encoding, "Text encoding: utf8, latin1, cp1252 (UTF-16 is recognized by its BOM)")
      ->capture_default_str()
      ->group("Input");
  app.add_option("--date-format", r.date_format,
                 "How times are written: auto, dmy, mdy, epoch, epoch_ms, excel, or a pattern like '%d.%m.%Y %H:%M'")
      ->group("Input");
  app.add_option("--tz", r.tz, "Time zone of times without an offset (IANA name, e.g. Europe/Oslo)")
      ->capture_default_str()
      ->group("Input");
  app.add_option("--skip-lines", r.skip_lines, "Skip this many lines before the header (report titles)")
      ->group("Input")
      ->check(CLI::Range(std::uint64_t{0}, kMaxCount));
  app.add_flag("--lenient", r.lenient, "Skip malformed records (counted and reported) instead of stopping")
      ->group("Input");
  app.add_flag("--trust-quotes", r.trust_quotes,
               "Read a quoted field spanning lines that look like rows as one value, not as a stray quote")
      ->group("Input");
  app.add_flag("--strict-cells", r.strict_cells,
               "A placeholder (NULL, N/A, #N/A, -) or 1970-01-01T00:00:00Z in a time column is an error, not empty")
      ->group("Input");
  app.add_option("--rejects", r.rejects, "Write every skipped record (file, line, reason, raw text) to FILE as CSV")
      ->group("Input");
  app.add_option("--shape", r.columns.shape, "Input shape: long, wide, snapshot (default: detected)")->group("Input");
  app.add_option("--id", r.columns.id, "Lead id column")->group("Input");
  app.add_option("--stage-col", r.columns.stage, "Stage column (long and snapshot shapes)")->group("Input");
  app.add_option("--time-col", r.columns.time, "Timestamp column (long shape)")->group("Input");
  app.add_option("--stage-time", r.columns.stage_times,
                 "STAGE=COLUMN: a column holding the time a lead entered STAGE (repeatable)")
      ->group("Input")
      ->allow_extra_args(false);
  app.add_option("--by", r.columns.by, "Break the funnel down by this column (repeatable: combinations)")
      ->group("Input")
      ->allow_extra_args(false);
  app.add_option("--amount", r.amount, "Deal value column: won revenue, deal sizes, pipeline, sales velocity")
      ->group("Input");
  app.add_option("--decimal", o.decimal, "Decimal mark of --amount: auto, . or ,")
      ->capture_default_str()
      ->group("Input");
  app.add_option("--lookup", r.lookups,
                 "A table adding columns (for --by) through a column it shares with the leads' rows (repeatable)")
      ->group("Joins")
      ->allow_extra_args(false);
  app.add_option("--link", r.links,
                 "A column holding another file's ids (Converted Opportunity ID) or lead ids (Associated Contact IDs)")
      ->group("Joins")
      ->allow_extra_args(false);
  app.add_option("--lookup-duplicates", o.lookup_duplicates,
                 "A key on two rows of a lookup: error (default), first or last row kept")
      ->capture_default_str()
      ->group("Joins");
  app.add_option("--attribution", o.attribution,
                 "Which row gives a lead its --by value: first (earliest row) or last (latest row)")
      ->capture_default_str()
      ->group("Input");

  app.add_option("--preset", r.stages.preset, "Stage model: default, hubspot, salesforce")
      ->capture_default_str()
      ->group("Stages");
  app.add_option("--stages", r.stages.stages, "Ordered stage names, comma separated (replaces the preset's)")
      ->group("Stages")
      ->allow_extra_args(false);
  app.add_option("--tofu", r.stages.tofu, "Stages in the top of the funnel")->group("Stages")->allow_extra_args(false);
  app.add_option("--mofu", r.stages.mofu, "Stages in the middle of the funnel")
      ->group("Stages")
      ->allow_extra_args(false);
  app.add_option("--bofu", r.stages.bofu, "Stages in the bottom of the funnel")
      ->group("Stages")
      ->allow_extra_args(false);
  app.add_option("--alias", r.stages.aliases, "STAGE=VALUE: another spelling of a stage (repeatable)")
      ->group("Stages")
      ->allow_extra_args(false);
  app.add_option("--lost", r.stages.lost, "A value that marks a lead as lost (repeatable)")
      ->group("Stages")
      ->allow_extra_args(false);
  app.add_flag("--strict-stages", r.strict_stages, "An unknown stage value is an error, not a warning")
      ->group("Stages");
}

void define_metrics(CLI::App& app, ExportOptions& o) {
  app.add_option("--count", o.count, "Counting mode: cumulative or ordered")->capture_default_str()->group("Metrics");
  app.add_option("--stale", o.stale, "A lead with no activity for this long before the as-of time is stalled (h, d, w)")
      ->capture_default_str()
      ->group("Metrics");
  app.add_option("--as-of", o.as_of, "Reference time for open and stalled (default: latest time in the data)")
      ->group("Metrics");
  app.add_option("--window", o.window, "A stage counts only if reached within this long of the lead's entry (h, d, w)")
      ->group("Metrics");
  app.add_option("--lost-after", o.lost_after,
                 "A lead neither won nor lost with no activity for longer than this before the as-of time is lost "
                 "(h, d, w)")
      ->group("Metrics");
  app.add_option("--days", o.days,
                 "Durations in fractional days (elapsed / 86400) or whole days (calendar days between the local "
                 "dates in --tz)")
      ->capture_default_str()
      ->group("Metrics");
  app.add_option("--since", o.since, "Keep leads that entered the funnel at or after this time")->group("Metrics");
  app.add_option("--until", o.until, "Keep leads that entered the funnel before this time")->group("Metrics");
}

void define_filters(CLI::App& app, ExportOptions& o) {
  app.add_option("--where", o.where,
                 "EXPR: count only the leads it holds for, e.g. \"origin in (paid, organic) and status != lost\" "
                 "(repeatable: all must hold)")
      ->group("Filters")
      ->allow_extra_args(false);
  app.add_option("--recode", o.recode,
                 "'COLUMN: FROM[, FROM...] -> TO[; ...]': fold values of a --by or --where column (\"\" is an "
                 "empty cell, * any other value)")
      ->group("Filters")
      ->allow_extra_args(false);
  app.add_option("--bucket", o.bucket, "COLUMN=EDGE,EDGE,...: a --by column's numbers as bands (0-1000, >=1000)")
      ->group("Filters")
      ->allow_extra_args(false);
}

void define_output(CLI::App& app, std::string& format, std::string& output, const std::vector<std::string>& names) {
  app.add_option("-f,--format", format, fmt::format("Output format: {}", format_list(names)))->capture_default_str();
  app.add_option("-o,--output", output, "Write to FILE atomically instead of stdout");
}

void emit(const std::string& output, Streams& streams, const std::string& text, const std::string& rejects,
          std::string_view rejects_csv, bool colored) {
  write_command_output(streams.out, output, text, streams.out_is_terminal && !colored, rejects, rejects_csv);
}

bool to_terminal(const std::string& output, const Streams& streams) {
  return (output.empty() || output == "-") && streams.out_is_terminal && !streams.no_color;
}

Report read_input(ExportOptions& o, Streams& streams) {
  Diagnostics diagnostics(streams.err, o.quiet);
  if (streams.err_is_terminal && !o.quiet) o.report.progress = &streams.err;
  return build_report(o.report, streams.in, diagnostics);
}

std::unique_ptr<ExportOptions> setup_tables(CLI::App& app, ReportKind kind) {
  auto o = std::make_unique<ExportOptions>();
  o->format = "table";
  app.add_option("files", o->report.files, kFilesHelp);
  define_output(app, o->format, o->output, format_names<Format>(kReportFormats));
  app.add_option("--chart", o->chart,
                 kind == ReportKind::funnel ? "With -f svg: funnel (default), segments, days or cycle"
                                            : "With -f svg: the one chart this command draws");
  app.add_flag("--ascii", o->ascii, "Table bars in ASCII (#), as when the terminal's locale is not UTF-8");
  define_input(app, *o);
  define_metrics(app, *o);
  define_filters(app, *o);
  if (kind != ReportKind::funnel) {
    app.add_option("--every", o->every, "Period: week (ISO, Monday start), month or quarter, in --tz")
        ->capture_default_str()
        ->group("Metrics");
  }
  return o;
}

namespace {

/// How a table fits where it is printed: the terminal's width, else COLUMNS, else no limit
/// (files written with -o always get the full layout); ASCII bars with --ascii or when stdout
/// is a terminal whose locale is not UTF-8.
TextLayout text_layout(const ExportOptions& o, const Streams& streams) {
  TextLayout layout;
  const bool to_stdout = o.output.empty() || o.output == "-";
  if (to_stdout) layout.width = table_width(streams.out_is_terminal ? streams.columns : 0, std::getenv("COLUMNS"));
  layout.ascii = o.ascii || (to_stdout && streams.out_is_terminal &&
                             !utf8_locale(std::getenv("LC_ALL"), std::getenv("LC_CTYPE"), std::getenv("LANG")));
  return layout;
}

/// cohorts and trend tabulate periods of stage times: with no time in the data (or none
/// inside --since/--until) there is nothing to tabulate, which is an error, not an empty table.
void require_periods(const Report& report, ReportKind kind, const ColumnSpec& columns) {
  const bool empty = kind == ReportKind::cohorts ? report.cohorts.empty() : report.trend.periods.empty();
  if (!empty) return;
  const char* command = kind == ReportKind::cohorts ? "funnel cohorts" : "funnel trend";
  const LeadStore& store = *report.store;
  bool timed = false;
  for (std::uint32_t lead = 0; lead < store.size() && !timed; ++lead) {
    for (int k = 0; k < store.stage_count() && !timed; ++k) timed = store.first(lead, k) != kNoTime;
  }
  if (timed) {
    throw Error(ExitCode::no_data,
                fmt::format("{}: no lead entered {} inside --since/--until: there is no period to show", command,
                            kind == ReportKind::cohorts ? "the funnel" : "a stage"));
  }
  std::string hint = columns.stage_times.empty() && columns.time.empty()
                         ? "; name the time column with --time-col (long shape) or --stage-time STAGE=COLUMN"
                         : "";
  throw Error(
      ExitCode::no_data,
      fmt::format("{}: no lead has a stage time ({} leads, every one without a time), so no lead has {}{}", command,
                  report.tables.segments.front().overall.leads,
                  kind == ReportKind::cohorts ? "an entry period" : "a period in which it entered a stage", hint));
}

}  // namespace

int print_tables(CLI::App& app, ExportOptions& o, ReportKind kind, Streams& streams) {
  if (kind != ReportKind::funnel) {
    const char* name = kind == ReportKind::cohorts ? "cohorts" : "trend";
    const char* tables = kind == ReportKind::cohorts ? "its tables are one per entry period, for all leads"
                                                     : "its table counts all leads";
    refuse_ignored(app, name,
                   {{"--by", tables},
                    {"--attribution", "it chooses a lead's --by value, and there is no --by here"},
                    {"--amount", "no money figure is in its tables"},
                    {"--decimal", "it reads --amount, and no money figure is in its tables"},
                    {"--ascii", "its tables draw no bars"}});
    if (kind == ReportKind::trend) refuse_ignored(app, name, {{"--days", "its table counts leads, not days"}});
  }
  load_config(app, o);
  o.report.kind = kind;
  finish_options(o);
  Format format = parse_format(o.format, kReportFormats);
  std::optional<Chart> chart;
  if (!o.chart.empty()) {
    if (format != Format::svg) throw Error(ExitCode::usage, "--chart picks the chart of -f svg: add -f svg");
    chart = parse_chart(o.chart);
    if (chart_kind(*chart) != kind) {
      throw Error(ExitCode::usage,
                  fmt::format("--chart {}: funnel report draws funnel, segments, days and cycle; funnel "
                              "cohorts draws cohorts; funnel trend draws trend",
                              o.chart));
    }
  }
  Report report = read_input(o, streams);
  if (kind != ReportKind::funnel) require_periods(report, kind, o.report.columns);
  std::ostringstream text;
  const bool colored = format == Format::table && to_terminal(o.output, streams);
  if (format == Format::html && kind == ReportKind::funnel) {
    // -f html of funnel report also shows the cohorts and the trend of the same leads.
    const Report cohorts = retabulate(report, ReportKind::cohorts, Period::week);
    const Report trend = retabulate(report, ReportKind::trend, Period::week);
    render_html(report, &cohorts, &trend, text);
  } else if (chart) {
    render_svg(report, *chart, text);
  } else {
    render(report, format, text, colored, text_layout(o, streams));
  }
  emit(o.output, streams, text.str(), o.report.rejects, report.rejects_csv, colored);
  return 0;
}

}  // namespace funnel::commands
