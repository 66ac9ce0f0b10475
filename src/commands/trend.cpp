// funnel trend: leads entering each stage per week, month or quarter.
#include <CLI/CLI.hpp>

#include "common.h"

namespace funnel::commands {
namespace {

struct TrendCommand : ExportOptions {
  TrendCommand() { format = "table"; }
};

}  // namespace

std::unique_ptr<Options> setup_trend(CLI::App& app) {
  auto o = std::make_unique<TrendCommand>();
  app.add_option("files", o->report.files, kFilesHelp);
  define_report_output(app, *o, ReportKind::trend);
  define_input(app, *o);
  define_metrics(app, *o);
  app.add_option("--every", o->every, "Period: week (ISO, Monday start), month or quarter, in --tz")
      ->capture_default_str()
      ->group("Metrics");
  return o;
}

int run_trend(CLI::App& app, Options& options, Streams& streams) {
  return print_tables(app, static_cast<TrendCommand&>(options), ReportKind::trend, streams);
}

}  // namespace funnel::commands
