#include "funnel/cli.h"

#include <algorithm>
#include <sstream>
#include <string_view>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "funnel/check.h"
#include "funnel/completions.h"
#include "funnel/diagnostics.h"
#include "funnel/forecast.h"
#include "funnel/inspect.h"
#include "funnel/leads.h"
#include "funnel/output.h"
#include "funnel/render.h"
#include "funnel/report.h"
#include "funnel/period.h"
#include "funnel/time_reader.h"

namespace funnel {
namespace {

constexpr const char* kVersion = "0.1.0";

struct CommandLine {
  ReportOptions report;
  std::string delimiter;
  std::string format = "table";
  std::string output;
  std::string count = "cumulative";
  std::string stale = "30d";
  std::string as_of;
  bool quiet = false;
  std::string config;
  std::string encoding = "utf8";
  std::string window, since, until;
  std::string every = "week";
  LeadFilter filter;
  bool lost_only = false;
  std::vector<std::string> where;
  std::size_t top = 20;
  std::string attribution = "first";
  std::string decimal = "auto";
  std::string leads_format = "csv", check_format = "text";
  CheckOptions check;
  std::vector<std::string> diff_files;
  std::vector<std::string> probabilities;  ///< forecast: --probability STAGE=P
};

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

/// Whether `name` is another subcommand of the program: one config file can serve several
/// commands, each reading the top level and its own section.
bool other_command(const CLI::App& command, const std::string& name) {
  const CLI::App* program = command.get_parent();
  if (program == nullptr || name == command.get_name()) return false;
  auto all = program->get_subcommands([](const CLI::App*) { return true; });
  return std::any_of(all.begin(), all.end(), [&](const CLI::App* sub) { return sub->get_name() == name; });
}

/// Applies a config file's keys to the options the command line left unset. Keys are the
/// long option names, at the top level or under [report] (the subcommand's name).
void apply_config(CLI::App& command, const std::string& path) {
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_file(path);
  } catch (const CLI::FileError&) {
    throw Error(ExitCode::io, fmt::format("{}: cannot read config file", path));
  }
  std::vector<std::string> keys;
  for (const CLI::Option* opt : command.get_options()) {
    if (!opt->get_lnames().empty() && opt->get_lnames().front() != "config") keys.push_back(opt->get_lnames().front());
  }
  for (const auto& item : items) {
    if (item.name == "++" || item.name == "--") continue;  // section markers
    if (item.parents.size() == 1 && other_command(command, item.parents[0])) continue;
    if (!item.parents.empty() && !(item.parents.size() == 1 && item.parents[0] == command.get_name())) {
      throw Error(ExitCode::usage, fmt::format("{}: unknown section [{}]", path, item.parents[0]));
    }
    CLI::Option* opt = command.get_option_no_throw("--" + item.name);
    if (opt == nullptr || item.name == "config") {
      throw Error(ExitCode::usage, fmt::format("{}: unknown key '{}'{}", path, item.name, did_you_mean(item.name, keys)));
    }
    if (opt->count() > 0) continue;
    opt->add_result(item.inputs);
    opt->run_callback();
  }
}

void load_config(CLI::App& command, const CommandLine& cl) {
  if (cl.config.empty()) return;
  try {
    apply_config(command, cl.config);
  } catch (const CLI::ParseError& e) {
    throw Error(ExitCode::usage, fmt::format("{}: {}", cl.config, e.what()));
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

void finish_options(CommandLine& cl) {
  cl.report.delimiter = parse_delimiter(cl.delimiter);
  if (cl.encoding == "utf8" || cl.encoding == "utf-8") {
    cl.report.encoding = Encoding::utf8;
  } else if (cl.encoding == "latin1" || cl.encoding == "iso-8859-1") {
    cl.report.encoding = Encoding::latin1;
  } else if (cl.encoding == "cp1252" || cl.encoding == "windows-1252") {
    cl.report.encoding = Encoding::cp1252;
  } else {
    throw Error(ExitCode::usage, fmt::format("--encoding must be utf8, latin1 or cp1252, not '{}'", cl.encoding));
  }
  const std::string& shape = cl.report.columns.shape;
  if (!shape.empty() && shape != "long" && shape != "wide" && shape != "snapshot") {
    throw Error(ExitCode::usage, fmt::format("--shape must be long, wide or snapshot, not '{}'", shape));
  }
  if (cl.count == "cumulative") {
    cl.report.funnel.mode = CountMode::cumulative;
  } else if (cl.count == "ordered") {
    cl.report.funnel.mode = CountMode::ordered;
  } else {
    throw Error(ExitCode::usage, fmt::format("--count must be cumulative or ordered, not '{}'", cl.count));
  }
  auto stale = parse_duration(cl.stale);
  if (!stale) throw Error(ExitCode::usage, fmt::format("--stale wants a duration like 30d, 12h or 2w, not '{}'", cl.stale));
  cl.report.funnel.stale = *stale;
  TimeFormat::parse(cl.report.date_format);  // refuse a bad --date-format before reading
  if (!cl.as_of.empty()) cl.report.funnel.as_of = option_time(cl.as_of, "--as-of", cl.report.tz, cl.report.date_format);
  if (!cl.since.empty()) cl.report.funnel.since = option_time(cl.since, "--since", cl.report.tz, cl.report.date_format);
  if (!cl.until.empty()) cl.report.funnel.until = option_time(cl.until, "--until", cl.report.tz, cl.report.date_format);
  if (!cl.window.empty()) {
    auto window = parse_duration(cl.window);
    if (!window || *window == 0) {
      throw Error(ExitCode::usage, fmt::format("--window wants a duration like 30d, 12h or 2w, not '{}'", cl.window));
    }
    cl.report.funnel.window = *window;
  }
  cl.report.every = parse_period(cl.every);
  if (cl.attribution != "first" && cl.attribution != "last") {
    throw Error(ExitCode::usage, fmt::format("--attribution must be first or last, not '{}'", cl.attribution));
  }
  cl.report.last_touch = cl.attribution == "last";
  cl.report.decimal = parse_decimal_mark(cl.decimal);
}

/// Options every command that reads exports shares: input, columns and stages.
void define_input(CLI::App& app, CommandLine& cl) {
  auto& o = cl.report;
  app.add_option("--config", cl.config, "Read options from a TOML or INI file (keys are the long option names; the command line wins)");
  app.add_flag("-q,--quiet", cl.quiet, "No warnings on stderr (errors still print)");
  app.add_option("--threads", o.threads, "1: one thread; 2: one reads and parses while the other counts")->capture_default_str()->check(CLI::Range(1, 2));
  app.add_option("-d,--delimiter", cl.delimiter, "Field delimiter: , ; tab | (default: detected from the header)")->group("Input");
  app.add_option("--encoding", cl.encoding, "Text encoding: utf8, latin1, cp1252 (UTF-16 is recognized by its BOM)")->capture_default_str()->group("Input");
  app.add_option("--date-format", o.date_format, "How times are written: auto, dmy, mdy, epoch, epoch_ms, excel, or a pattern like '%d.%m.%Y %H:%M'")->group("Input");
  app.add_option("--tz", o.tz, "Time zone of times without an offset (IANA name, e.g. Europe/Oslo)")->capture_default_str()->group("Input");
  app.add_option("--skip-lines", o.skip_lines, "Skip this many lines before the header (report titles)")->group("Input");
  app.add_flag("--lenient", o.lenient, "Skip malformed records (counted and reported) instead of stopping")->group("Input");
  app.add_flag("--trust-quotes", o.trust_quotes, "Read a quoted field spanning lines that look like rows as one value, not as a stray quote")->group("Input");
  app.add_flag("--strict-cells", o.strict_cells, "A placeholder (NULL, N/A, #N/A, -) or 1970-01-01T00:00:00Z in a time column is an error, not empty")->group("Input");
  app.add_option("--rejects", o.rejects, "Write every skipped record (file, line, reason, raw text) to FILE as CSV")->group("Input");
  app.add_option("--shape", o.columns.shape, "Input shape: long, wide, snapshot (default: detected)")->group("Input");
  app.add_option("--id", o.columns.id, "Lead id column")->group("Input");
  app.add_option("--stage-col", o.columns.stage, "Stage column (long and snapshot shapes)")->group("Input");
  app.add_option("--time-col", o.columns.time, "Timestamp column (long shape)")->group("Input");
  app.add_option("--stage-time", o.columns.stage_times, "STAGE=COLUMN: a column holding the time a lead entered STAGE (repeatable)")->group("Input")->allow_extra_args(false);
  app.add_option("--by", o.columns.by, "Break the funnel down by this column (repeatable: combinations)")->group("Input")->allow_extra_args(false);
  app.add_option("--amount", o.amount, "Deal value column: won revenue, deal sizes, pipeline, sales velocity")->group("Input");
  app.add_option("--decimal", cl.decimal, "Decimal mark of --amount: auto, . or ,")->capture_default_str()->group("Input");
  app.add_option("--attribution", cl.attribution, "Which row gives a lead its --by value: first (earliest row) or last (latest row)")->capture_default_str()->group("Input");

  app.add_option("--preset", o.stages.preset, "Stage model: default, hubspot, salesforce")->capture_default_str()->group("Stages");
  app.add_option("--stages", o.stages.stages, "Ordered stage names, comma separated (replaces the preset's)")->group("Stages")->allow_extra_args(false);
  app.add_option("--tofu", o.stages.tofu, "Stages in the top of the funnel")->group("Stages")->allow_extra_args(false);
  app.add_option("--mofu", o.stages.mofu, "Stages in the middle of the funnel")->group("Stages")->allow_extra_args(false);
  app.add_option("--bofu", o.stages.bofu, "Stages in the bottom of the funnel")->group("Stages")->allow_extra_args(false);
  app.add_option("--alias", o.stages.aliases, "STAGE=VALUE: another spelling of a stage (repeatable)")->group("Stages")->allow_extra_args(false);
  app.add_option("--lost", o.stages.lost, "A value that marks a lead as lost (repeatable)")->group("Stages")->allow_extra_args(false);
  app.add_flag("--strict-stages", o.strict_stages, "An unknown stage value is an error, not a warning")->group("Stages");
}

/// How leads are counted: shared by every command that rebuilds paths.
void define_metrics(CLI::App& app, CommandLine& cl) {
  app.add_option("--count", cl.count, "Counting mode: cumulative or ordered")->capture_default_str()->group("Metrics");
  app.add_option("--stale", cl.stale, "A lead with no activity for this long before the as-of time is stalled (h, d, w)")->capture_default_str()->group("Metrics");
  app.add_option("--as-of", cl.as_of, "Reference time for open and stalled (default: latest time in the data)")->group("Metrics");
  app.add_option("--window", cl.window, "A stage counts only if reached within this long of the lead's entry (h, d, w)")->group("Metrics");
  app.add_option("--since", cl.since, "Keep leads that entered the funnel at or after this time")->group("Metrics");
  app.add_option("--until", cl.until, "Keep leads that entered the funnel before this time")->group("Metrics");
}

void define_output(CLI::App& app, CommandLine& cl, const char* formats, std::string* format = nullptr) {
  app.add_option("-f,--format", format != nullptr ? *format : cl.format, fmt::format("Output format: {}", formats))->capture_default_str();
  app.add_option("-o,--output", cl.output, "Write to FILE atomically instead of stdout");
}

/// Writes a command's text to stdout or, with -o, atomically to a file.
void emit(const CommandLine& cl, Streams& streams, const std::string& text) {
  if (!cl.output.empty() && cl.output != "-") {
    write_file_atomically(cl.output, text);
  } else {
    streams.out << text;
    streams.out.flush();
  }
}

bool to_terminal(const CommandLine& cl, const Streams& streams) {
  return (cl.output.empty() || cl.output == "-") && streams.out_is_terminal && !streams.no_color;
}

/// Reads the exports as every data command does: warnings to stderr unless --quiet, progress
/// when stderr is a terminal.
Report read_input(CommandLine& cl, Streams& streams) {
  Diagnostics diagnostics(streams.err, cl.quiet);
  if (streams.err_is_terminal && !cl.quiet) cl.report.progress = &streams.err;
  return build_report(cl.report, streams.in, diagnostics);
}

int run_report(CommandLine& cl, Streams& streams) {
  finish_options(cl);
  Format format = parse_format(cl.format);
  Report report = read_input(cl, streams);
  std::ostringstream text;
  render(report, format, text, format == Format::table && to_terminal(cl, streams));
  if (!cl.report.rejects.empty()) write_file_atomically(cl.report.rejects, report.rejects_csv);
  emit(cl, streams, text.str());
  return 0;
}

/// --where COLUMN=VALUE: the column joins the breakdown so each lead carries its value.
void finish_filter(CommandLine& cl) {
  if (cl.lost_only) {
    if (!cl.filter.status.empty() && cl.filter.status != "lost") {
      throw Error(ExitCode::usage, fmt::format("--lost and --status {} contradict each other", cl.filter.status));
    }
    cl.filter.status = "lost";
  }
  auto& by = cl.report.columns.by;
  for (const auto& w : cl.where) {
    auto eq = w.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error(ExitCode::usage, fmt::format("--where wants COLUMN=VALUE, not '{}'", w));
    }
    std::string column = w.substr(0, eq);
    auto it = std::find(by.begin(), by.end(), column);
    if (it == by.end()) it = by.insert(by.end(), column);
    cl.filter.where.emplace_back(static_cast<std::size_t>(it - by.begin()), w.substr(eq + 1));
  }
  cl.filter.by_columns = by.size();
}

int run_leads(CommandLine& cl, Streams& streams) {
  finish_options(cl);
  finish_filter(cl);
  LeadFormat format = parse_lead_format(cl.leads_format);
  check_filter(cl.filter, StageModel::build(cl.report.stages));
  cl.report.lead_activity = true;
  Report report = read_input(cl, streams);
  std::ostringstream text;
  render_leads(report, cl.filter, format, text);
  emit(cl, streams, text.str());
  return 0;
}

int run_paths(CommandLine& cl, Streams& streams) {
  finish_options(cl);
  Format format = parse_format(cl.format);
  Report report = read_input(cl, streams);
  std::ostringstream text;
  render_paths(report, cl.top, format, text);
  emit(cl, streams, text.str());
  return 0;
}

int run_explain(CommandLine& cl, Streams& streams) {
  finish_options(cl);
  cl.report.lead_activity = true;
  Report report = read_input(cl, streams);
  if (report.trace.empty()) {
    std::vector<std::string> ids;
    const LeadStore& store = *report.store;
    for (std::uint32_t lead = 0; lead < store.size() && ids.size() < 100000; ++lead) ids.emplace_back(store.id(lead));
    throw Error(ExitCode::no_data, fmt::format("no row has lead id {}{}", quote_cell(cl.report.trace_id),
                                               did_you_mean(cl.report.trace_id, ids)));
  }
  std::ostringstream text;
  render_explain(report, cl.report.trace_id, text);
  emit(cl, streams, text.str());
  return 0;
}

int run_check(CommandLine& cl, Streams& streams) {
  finish_options(cl);
  CheckFormat format = parse_check_format(cl.check_format);
  const StageModel model = StageModel::build(cl.report.stages);
  for (const auto& rule : cl.check.rules) parse_rule(rule, model);  // refuse a bad rule before reading
  parse_max_drop(cl.check.max_drop);
  if (cl.check.significance < 0 || cl.check.significance >= 1) {
    throw Error(ExitCode::usage, fmt::format("--significance must be between 0 and 1, like 0.05, not {:g}", cl.check.significance));
  }
  Report report = read_input(cl, streams);
  auto verdicts = run_check(report, cl.check);
  std::ostringstream text;
  render_verdicts(verdicts, format, text);
  emit(cl, streams, text.str());
  bool failed = std::any_of(verdicts.begin(), verdicts.end(), [](const Verdict& v) { return v.status == Verdict::Status::fail; });
  return failed ? static_cast<int>(ExitCode::rule_failed) : 0;
}

int run_diff(CommandLine& cl, Streams& streams) {
  double significance = cl.check.significance > 0 ? cl.check.significance : 0.05;
  if (significance >= 1) throw Error(ExitCode::usage, "--significance must be between 0 and 1, like 0.05");
  SavedReport a = read_saved_report(cl.diff_files[0]);
  SavedReport b = read_saved_report(cl.diff_files[1]);
  std::ostringstream text;
  render_diff(a, b, significance, cl.format, text);
  emit(cl, streams, text.str());
  return 0;
}

int run_forecast(CommandLine& cl, Streams& streams) {
  finish_options(cl);
  if (cl.format != "table" && cl.format != "csv" && cl.format != "json") {
    throw Error(ExitCode::usage, fmt::format("funnel forecast: --format must be table, csv or json, not '{}'", cl.format));
  }
  StageProbabilities configured = parse_stage_probabilities(cl.probabilities, StageModel::build(cl.report.stages));
  cl.report.columns.find_probability = true;
  Report report = read_input(cl, streams);
  std::ostringstream text;
  render_forecast(report, build_forecast(report, configured), cl.format, text);
  emit(cl, streams, text.str());
  return 0;
}

int run_inspect(CommandLine& cl, Streams& streams) {
  finish_options(cl);
  if (cl.format != "table" && cl.format != "json") {
    throw Error(ExitCode::usage, fmt::format("funnel inspect: --format must be table or json, not '{}'", cl.format));
  }
  std::ostringstream text;
  int rc = inspect(cl.report, streams.in, text, cl.format == "json");
  emit(cl, streams, text.str());
  return rc;
}

}  // namespace

int run(int argc, const char* const* argv, Streams& streams) {
  CLI::App app{"funnel: conversion and drop-off tables from CRM exports", "funnel"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);
  CommandLine cl;
  struct Command {
    const char* name;
    const char* help;
    ReportKind kind;
    CLI::App* app = nullptr;
  };
  Command commands[] = {
      {"report", "Print conversion and drop-off tables", ReportKind::funnel},
      {"cohorts", "Conversion per entry cohort (week, month or quarter of entry)", ReportKind::cohorts},
      {"trend", "Leads entering each stage per week, month or quarter", ReportKind::trend},
  };
  // Only the command being run gets its options (CLI11 builds some 300 option objects for
  // all of them: more than half the start-up of a small report). The others stay names with
  // help lines, which is all the top-level help and a misspelt command's message use; the
  // completion scripts need every option. The command is the first word that is not an
  // option (the top level has flags only).
  std::string_view chosen;
  for (int i = 1; i < argc && chosen.empty(); ++i) {
    if (argv[i][0] != '-') chosen = argv[i];
  }
  auto wanted = [&](std::string_view name) { return chosen == name || chosen == "completions"; };
  for (Command& command : commands) {
    command.app = app.add_subcommand(command.name, command.help);
    if (!wanted(command.name)) continue;
    command.app->add_option("files", cl.report.files, "CSV files to read (several must share a header); - or none: stdin");
    define_output(*command.app, cl, "table, csv, tsv, json, markdown");
    define_input(*command.app, cl);
    define_metrics(*command.app, cl);
    if (command.kind == ReportKind::funnel) {
      command.app->add_option("--spend", cl.report.spend, "A CSV FILE of source,cost: cost per lead and per stage, CAC and ROI per --by segment")->group("Input");
      command.app->add_option("--top", cl.report.top_segments, "Keep the N segments with the most leads; fold the rest into (other)")->group("Input");
    } else {
      command.app->add_option("--every", cl.every, "Period: week (ISO, Monday start), month or quarter, in --tz")->capture_default_str()->group("Metrics");
    }
  }
  CLI::App* inspect_app = app.add_subcommand("inspect", "Show what funnel sees in an export: dialect, shape, columns, stage values, suggested flags");
  if (wanted("inspect")) {
    inspect_app->add_option("files", cl.report.files, "CSV files to read; - or none: stdin");
    define_output(*inspect_app, cl, "table, json");
    define_input(*inspect_app, cl);
  }
  CLI::App* leads_app = app.add_subcommand("leads", "One row per lead: its path, furthest stage, status, skips and regressions");
  if (wanted("leads")) {
    leads_app->add_option("files", cl.report.files, "CSV files to read (several must share a header); - or none: stdin");
    define_output(*leads_app, cl, "csv, tsv, jsonl, json", &cl.leads_format);
    define_input(*leads_app, cl);
    define_metrics(*leads_app, cl);
    leads_app->add_option("--stage", cl.filter.stage, "Only leads whose furthest stage is this one")->group("Filters");
    leads_app->add_option("--status", cl.filter.status, "Only leads with this status: won, lost, open, stalled")->group("Filters");
    leads_app->add_flag("--lost-only", cl.lost_only, "Only lost leads (same as --status lost)")->group("Filters");
    leads_app->add_option("--where", cl.where, "COLUMN=VALUE: only leads whose first-touch COLUMN is VALUE (repeatable)")->group("Filters")->allow_extra_args(false);
    leads_app->add_flag("--all", cl.filter.all, "Also leads the tables leave out, with the reason in 'counted'")->group("Filters");
  }

  CLI::App* paths_app = app.add_subcommand("paths", "The most common stage sequences, with counts and shares");
  if (wanted("paths")) {
    paths_app->add_option("files", cl.report.files, "CSV files to read (several must share a header); - or none: stdin");
    define_output(*paths_app, cl, "table, csv, tsv, json, markdown");
    paths_app->add_option("--top", cl.top, "Show this many paths; the rest are summed as (other); 0: all")->capture_default_str();
    define_input(*paths_app, cl);
    define_metrics(*paths_app, cl);
  }

  CLI::App* explain_app = app.add_subcommand("explain", "Show one lead's rows (file:line) and every decision made for it");
  if (wanted("explain")) {
    explain_app->add_option("lead", cl.report.trace_id, "The lead id")->required();
    explain_app->add_option("files", cl.report.files, "CSV files to read (several must share a header); - or none: stdin");
    explain_app->add_option("-o,--output", cl.output, "Write to FILE atomically instead of stdout");
    define_input(*explain_app, cl);
    define_metrics(*explain_app, cl);
  }

  CLI::App* check_app = app.add_subcommand("check", "Fail (exit 1) when a rule or a baseline comparison does not hold: for CI and cron");
  if (wanted("check")) {
    check_app->add_option("files", cl.report.files, "CSV files to read (several must share a header); - or none: stdin");
    define_output(*check_app, cl, "text, junit, json", &cl.check_format);
    check_app->add_option("--require", cl.check.rules, "A rule like \"mql->sql >= 25%\", \"won >= 40\", \"days sql->customer <= 30\" (repeatable)")->group("Checks")->allow_extra_args(false);
    check_app->add_option("--baseline", cl.check.baseline, "A JSON report FILE (funnel report -f json) whose step conversions must not drop")->group("Checks");
    check_app->add_option("--max-drop", cl.check.max_drop, "Largest allowed drop from the baseline: points (5pp) or relative (10%)")->capture_default_str()->group("Checks");
    check_app->add_option("--significance", cl.check.significance, "Fail only when a breach is significant at this level (e.g. 0.05); 0: any breach fails")->group("Checks");
    check_app->add_option("--min-leads", cl.check.min_leads, "Skip segments with fewer leads than this")->group("Checks");
    define_input(*check_app, cl);
    define_metrics(*check_app, cl);
  }

  CLI::App* diff_app = app.add_subcommand("diff", "Compare two JSON reports stage by stage, with significance");
  if (wanted("diff")) {
    diff_app->add_option("reports", cl.diff_files, "Two JSON reports written by funnel report -f json: before and after")->required()->expected(2);
    define_output(*diff_app, cl, "table, csv, json");
    diff_app->add_option("--significance", cl.check.significance, "Mark changes significant at this level (default 0.05)");
  }

  CLI::App* forecast_app = app.add_subcommand("forecast", "Expected wins and revenue from the open leads, by stage and segment");
  if (wanted("forecast")) {
    forecast_app->add_option("files", cl.report.files, "CSV files to read (several must share a header); - or none: stdin");
    define_output(*forecast_app, cl, "table, csv, json");
    forecast_app->add_option("--probability", cl.probabilities, "STAGE=P: the win probability of an open lead at STAGE (60%, 60 or 0.6; repeatable), instead of the measured one")->group("Forecast")->allow_extra_args(false);
    forecast_app->add_option("--probability-column", cl.report.columns.probability, "Column of each lead's own win probability (default: one named probability or 'Probability (%)'; none: ignore it)")->group("Forecast");
    define_input(*forecast_app, cl);
    define_metrics(*forecast_app, cl);
  }

  std::string shell;
  CLI::App* completions_app = app.add_subcommand("completions", "Print a shell completion script (bash, zsh, fish)");
  completions_app->add_option("shell", shell, "bash, zsh or fish")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, streams.out, streams.err);
    return code == 0 ? 0 : static_cast<int>(ExitCode::usage);
  }
  try {
    if (completions_app->parsed()) {
      streams.out << completion_script(app, shell);
      streams.out.flush();
      return 0;
    }
    for (Command& command : commands) {
      if (!command.app->parsed()) continue;
      load_config(*command.app, cl);
      cl.report.kind = command.kind;
      return run_report(cl, streams);
    }
    if (inspect_app->parsed()) {
      load_config(*inspect_app, cl);
      return run_inspect(cl, streams);
    }
    if (leads_app->parsed()) {
      load_config(*leads_app, cl);
      return run_leads(cl, streams);
    }
    if (paths_app->parsed()) {
      load_config(*paths_app, cl);
      return run_paths(cl, streams);
    }
    if (check_app->parsed()) {
      load_config(*check_app, cl);
      return run_check(cl, streams);
    }
    if (diff_app->parsed()) return run_diff(cl, streams);
    if (forecast_app->parsed()) {
      load_config(*forecast_app, cl);
      return run_forecast(cl, streams);
    }
    if (explain_app->parsed()) {
      load_config(*explain_app, cl);
      return run_explain(cl, streams);
    }
  } catch (const Error& e) {
    streams.err << "funnel: " << e.what() << '\n';
    return static_cast<int>(e.code());
  } catch (const std::bad_alloc&) {
    streams.err << "funnel: out of memory\n";
    return static_cast<int>(ExitCode::internal);
  } catch (const std::exception& e) {
    streams.err << "funnel: internal error: " << e.what() << '\n';
    return static_cast<int>(ExitCode::internal);
  }
  return static_cast<int>(ExitCode::usage);
}

}  // namespace funnel
