// funnel check: rules and baselines that fail the run (exit 1), for CI and cron.
#include <algorithm>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common.h"
#include "funnel/check.h"
#include "funnel/diagnostics.h"

namespace funnel::commands {
namespace {

constexpr FormatChoice<CheckFormat> kCheckFormats[] = {
    {"text", CheckFormat::text},
    {"junit", CheckFormat::junit},
    {"json", CheckFormat::json},
    {"table", CheckFormat::text, true},
};

struct CheckCommand : ExportOptions {
  CheckCommand() { format = "text"; }
  CheckOptions check;
  std::string saved_report;  ///< --report: a saved report instead of exports
};

}  // namespace

std::unique_ptr<Options> setup_check(CLI::App& app) {
  auto o = std::make_unique<CheckCommand>();
  auto& c = o->check;
  app.add_option("files", o->report.files, kFilesHelp);
  define_output(app, o->format, o->output, format_names<CheckFormat>(kCheckFormats));
  app.add_option("--require", c.rules,
                 "A rule like \"mql->sql >= 25%\", \"won >= 40\", \"days sql->customer <= 30\" (repeatable)")
      ->group("Checks")
      ->allow_extra_args(false);
  app.add_option("--baseline", c.baseline,
                 "A saved report FILE (funnel report -f json or -f csv) whose step conversions must not drop")
      ->group("Checks");
  app.add_option("--report", o->saved_report, "Check a saved report FILE (JSON or CSV) instead of reading exports")
      ->group("Checks");
  app.add_option("--max-drop", c.max_drop, "Largest allowed drop from the baseline: points (5pp) or relative (10%)")
      ->capture_default_str()
      ->group("Checks");
  app.add_option("--significance", c.significance,
                 "Fail only when a breach is significant at this level (e.g. 0.05); 0: any breach fails")
      ->group("Checks");
  app.add_option("--min-leads", c.min_leads, "Skip segments with fewer leads than this")->group("Checks");
  define_input(app, *o);
  define_metrics(app, *o);
  define_filters(app, *o);
  return o;
}

int run_check(CLI::App& app, Options& options, Streams& streams) {
  auto& o = static_cast<CheckCommand&>(options);
  refuse_ignored(app, "check",
                 {{"--amount", "no rule reads a money figure"},
                  {"--decimal", "it reads --amount, and no rule reads a money figure"}});
  load_config(app, o);
  finish_options(o, {o.check.baseline, o.saved_report});
  CheckFormat format = parse_format(o.format, kCheckFormats);
  const StageModel model = StageModel::build(o.report.stages);
  if (o.saved_report.empty()) {
    for (const auto& rule : o.check.rules) parse_rule(rule, model);  // refuse a bad rule before reading
  }
  parse_max_drop(o.check.max_drop);
  if (!(o.check.significance >= 0 && o.check.significance < 1)) {
    throw Error(ExitCode::usage,
                fmt::format("--significance must be between 0 and 1, like 0.05, not {:g}", o.check.significance));
  }
  std::vector<Verdict> verdicts;
  std::string rejects_csv;
  if (!o.saved_report.empty()) {
    if (!o.report.files.empty()) throw Error(ExitCode::usage, "funnel check: give exports or --report FILE, not both");
    if (!o.where.empty() || !o.recode.empty() || !o.bucket.empty()) {
      throw Error(ExitCode::usage,
                  "funnel check --report: a saved report has no leads to filter or recode; --where, --recode and "
                  "--bucket work on exports");
    }
    verdicts = funnel::run_check(read_saved_report(o.saved_report), o.check);
  } else {
    Report report = read_input(o, streams);
    verdicts = funnel::run_check(report, o.check);
    rejects_csv = std::move(report.rejects_csv);
  }
  std::ostringstream text;
  render_verdicts(verdicts, format, text);
  emit(o.output, streams, text.str(), o.report.rejects, rejects_csv);
  bool failed =
      std::any_of(verdicts.begin(), verdicts.end(), [](const Verdict& v) { return v.status == Verdict::Status::fail; });
  return failed ? static_cast<int>(ExitCode::rule_failed) : 0;
}

}  // namespace funnel::commands
