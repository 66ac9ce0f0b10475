// funnel explain: one lead's rows and every decision made for it.
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common.h"
#include "funnel/diagnostics.h"
#include "funnel/leads.h"

namespace funnel::commands {
namespace {

/// No --format: the explanation is text only. The lead id is `report.trace_id`.
struct ExplainCommand : ExportOptions {};

}  // namespace

std::unique_ptr<Options> setup_explain(CLI::App& app) {
  auto o = std::make_unique<ExplainCommand>();
  app.add_option("lead", o->report.trace_id, "The lead id")->required();
  app.add_option("files", o->report.files, kFilesHelp);
  app.add_option("-o,--output", o->output, "Write to FILE atomically instead of stdout");
  define_input(app, *o);
  define_metrics(app, *o);
  define_filters(app, *o);
  return o;
}

int run_explain(CLI::App& app, Options& options, Streams& streams) {
  auto& o = static_cast<ExplainCommand&>(options);
  refuse_ignored(app, "explain",
                 {{"--amount", "explain shows the rows as they are and no money figure"},
                  {"--decimal", "it reads --amount, and explain shows no money figure"}});
  load_config(app, o);
  finish_options(o);
  o.report.lead_activity = true;
  Report report = read_input(o, streams);
  if (report.trace.empty()) {
    std::vector<std::string> ids;
    const LeadStore& store = *report.store;
    for (std::uint32_t lead = 0; lead < store.size() && ids.size() < 100000; ++lead) ids.emplace_back(store.id(lead));
    throw Error(ExitCode::no_data, fmt::format("no row has lead id {}{}", quote_cell(o.report.trace_id),
                                               did_you_mean(o.report.trace_id, ids)));
  }
  std::ostringstream text;
  render_explain(report, o.report.trace_id, text);
  emit(o.output, streams, text.str(), o.report.rejects, report.rejects_csv);
  return 0;
}

}  // namespace funnel::commands
