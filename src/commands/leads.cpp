// funnel leads: one row per lead, filtered.
#include <algorithm>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common.h"
#include "funnel/diagnostics.h"
#include "funnel/leads.h"

namespace funnel::commands {
namespace {

constexpr FormatChoice<LeadFormat> kLeadFormats[] = {
    {"csv", LeadFormat::csv},
    {"tsv", LeadFormat::tsv},
    {"jsonl", LeadFormat::jsonl},
    {"json", LeadFormat::json},
    {"ndjson", LeadFormat::jsonl, true},
};

struct LeadsCommand : ExportOptions {
  LeadsCommand() { format = "csv"; }
  LeadFilter filter;
  bool lost_only = false;  ///< --lost-only
};

/// --lost-only is --status lost.
void finish_filter(LeadsCommand& o) {
  if (o.lost_only) {
    if (!o.filter.status.empty() && o.filter.status != "lost") {
      throw Error(ExitCode::usage, fmt::format("--lost and --status {} contradict each other", o.filter.status));
    }
    o.filter.status = "lost";
  }
}

}  // namespace

std::unique_ptr<Options> setup_leads(CLI::App& app) {
  auto o = std::make_unique<LeadsCommand>();
  app.add_option("files", o->report.files, kFilesHelp);
  define_output(app, o->format, o->output, format_names<LeadFormat>(kLeadFormats));
  define_input(app, *o);
  define_metrics(app, *o);
  define_filters(app, *o);
  app.add_option("--stage", o->filter.stage, "Only leads whose furthest stage is this one")->group("Filters");
  app.add_option("--status", o->filter.status, "Only leads with this status: won, lost, open, stalled")
      ->group("Filters");
  app.add_flag("--lost-only", o->lost_only, "Only lost leads (same as --status lost)")->group("Filters");
  app.add_flag("--all", o->filter.all, "Also leads the tables leave out, with the reason in 'counted'")
      ->group("Filters");
  return o;
}

int run_leads(CLI::App& app, Options& options, Streams& streams) {
  auto& o = static_cast<LeadsCommand&>(options);
  refuse_ignored(app, "leads",
                 {{"--amount", "the lead rows carry no amount"},
                  {"--decimal", "it reads --amount, and the lead rows carry no amount"},
                  {"--days", "the lead rows show times, not durations"}});
  load_config(app, o);
  finish_options(o);
  finish_filter(o);
  LeadFormat format = parse_format(o.format, kLeadFormats);
  check_filter(o.filter, StageModel::build(o.report.stages));
  o.report.lead_activity = true;
  Report report = read_input(o, streams);
  std::ostringstream text;
  render_leads(report, o.filter, format, text);
  emit(o.output, streams, text.str(), o.report.rejects, report.rejects_csv);
  return 0;
}

}  // namespace funnel::commands
