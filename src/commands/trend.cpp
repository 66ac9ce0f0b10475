// funnel trend: leads entering each stage per week, month or quarter.
#include <CLI/CLI.hpp>

#include "common.h"

namespace funnel::commands {

std::unique_ptr<Options> setup_trend(CLI::App& app) { return setup_tables(app, ReportKind::trend); }

int run_trend(CLI::App& app, Options& options, Streams& streams) {
  return print_tables(app, static_cast<ExportOptions&>(options), ReportKind::trend, streams);
}

}  // namespace funnel::commands
