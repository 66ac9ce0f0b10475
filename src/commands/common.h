// What the commands that read exports share: the input, stage and metric options, -f and -o,
// --config files, turning option text into ReportOptions, reading and writing.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "funnel/cli.h"
#include "funnel/commands/command.h"
#include "funnel/format.h"
#include "funnel/render.h"
#include "funnel/report.h"

namespace CLI {
class App;
}

namespace funnel::commands {

/// The formats of the commands that print funnel tables: report, cohorts, trend, paths.
inline constexpr FormatChoice<Format> kTableFormats[] = {
    {"table", Format::table}, {"csv", Format::csv},           {"tsv", Format::tsv},
    {"json", Format::json},   {"markdown", Format::markdown}, {"md", Format::markdown, true},
};

/// report, cohorts and trend: the table formats, and the HTML report and SVG charts.
inline constexpr FormatChoice<Format> kReportFormats[] = {
    {"table", Format::table},       {"csv", Format::csv},   {"tsv", Format::tsv}, {"json", Format::json},
    {"markdown", Format::markdown}, {"html", Format::html}, {"svg", Format::svg}, {"md", Format::markdown, true},
};

/// The help line of the positional that names the exports.
inline constexpr const char* kFilesHelp = "CSV files to read (the first names the leads; others with their own header are joined by id); - or none: stdin";

/// The options of a command that reads exports, as text until finish_options reads them.
struct ExportOptions : Options {
  ReportOptions report;
  std::string config;  ///< --config FILE
  bool quiet = false;
  std::string delimiter;
  std::string encoding = "utf8";
  std::string decimal = "auto";
  std::string lookup_duplicates = "error";
  std::string attribution = "first";
  std::string count = "cumulative";
  std::string stale = "30d";
  std::string as_of, window, since, until;
  std::string lost_after;           ///< --lost-after DURATION
  std::string days = "fractional";  ///< --days: fractional or whole
  std::string every = "week";  ///< --every (cohorts, trend); the other commands keep the default
  std::string format;          ///< -f: the command sets its default before define_output
  std::string output;          ///< -o: empty or "-" is stdout
  std::string chart;           ///< report, cohorts, trend: --chart, the chart of -f svg
  bool ascii = false;          ///< report, cohorts, trend: --ascii, table bars in ASCII
  std::vector<std::string> where;   ///< --where EXPR (repeatable: all must hold)
  std::vector<std::string> recode;  ///< --recode 'COLUMN: FROM -> TO'
  std::vector<std::string> bucket;  ///< --bucket COLUMN=EDGE,EDGE,...
};

/// Input, columns and stages: every command that reads exports.
void define_input(CLI::App& app, ExportOptions& o);

/// How leads are counted: every command that rebuilds paths.
void define_metrics(CLI::App& app, ExportOptions& o);

/// --where, --recode and --bucket: every command that counts leads.
void define_filters(CLI::App& app, ExportOptions& o);

/// -f (the help line lists `names`; the default is `format` as it stands) and -o.
void define_output(CLI::App& app, std::string& format, std::string& output, const std::vector<std::string>& names);

/// Applies --config FILE to the options the command line left unset: keys are the long
/// option names, at the top level or under [COMMAND]; other commands' sections are skipped.
void load_config(CLI::App& app, ExportOptions& o);

/// The largest --top and --skip-lines: far beyond any real use, so that a negative number
/// (which would wrap round) or 1e20 is refused with the valid range.
inline constexpr std::uint64_t kMaxCount = 1000000;

/// Refuses, as a usage error naming it, each option of `ignored` given on the command line
/// (flag, then why the command has no use for it): an option a command would ignore is an
/// error, never silence. Called before load_config: a config file's top-level keys apply to
/// the commands that use them.
void refuse_ignored(const CLI::App& app, std::string_view command,
                    std::initializer_list<std::pair<const char*, const char*>> ignored);

/// Reads the option text into `o.report`; throws funnel::Error(ExitCode::usage). -o and
/// --rejects may not name a file the run reads (the exports, --spend, --config, or
/// `more_inputs`, such as a --baseline), nor each other.
void finish_options(ExportOptions& o, const std::vector<std::string>& more_inputs = {});

/// Reads the exports as every data command does: warnings to stderr unless --quiet,
/// progress when stderr is a terminal.
Report read_input(ExportOptions& o, Streams& streams);

/// Whether the text goes to a terminal that takes colours.
bool to_terminal(const std::string& output, const Streams& streams);

/// Writes a command's text to stdout or, with -o FILE, atomically to the file; with
/// `rejects` (--rejects FILE) the rejected records `rejects_csv` too, committed only once
/// the text is written. Every write is checked (exit 3 naming the target). On a terminal
/// the text is made safe (terminal_text) unless it was rendered `colored`: the table
/// renderer makes the data's text safe itself.
void emit(const std::string& output, Streams& streams, const std::string& text, const std::string& rejects = {},
          std::string_view rejects_csv = {}, bool colored = false);

/// report, cohorts and trend: the exports, -f and -o with the HTML and SVG formats, --chart,
/// --ascii, the input and metric options, and --every for the two that tabulate periods.
std::unique_ptr<ExportOptions> setup_tables(CLI::App& app, ReportKind kind);

/// report, cohorts and trend: the tables of `kind` in the chosen format.
int print_tables(CLI::App& app, ExportOptions& o, ReportKind kind, Streams& streams);

}  // namespace funnel::commands
