// funnel inspect: what funnel sees in an export, and the flags to try.
#include <sstream>

#include <CLI/CLI.hpp>

#include "common.h"
#include "funnel/inspect.h"

namespace funnel::commands {
namespace {

/// Whether the format is JSON.
constexpr FormatChoice<bool> kInspectFormats[] = {{"table", false}, {"json", true}};

/// No metric options: inspect reads the columns and values, not the paths.
struct InspectCommand : ExportOptions {
  InspectCommand() { format = "table"; }
};

}  // namespace

std::unique_ptr<Options> setup_inspect(CLI::App& app) {
  auto o = std::make_unique<InspectCommand>();
  app.add_option("files", o->report.files, "CSV files to read; - or none: stdin");
  define_output(app, o->format, o->output, format_names<bool>(kInspectFormats));
  define_input(app, *o);
  return o;
}

int run_inspect(CLI::App& app, Options& options, Streams& streams) {
  auto& o = static_cast<InspectCommand&>(options);
  refuse_ignored(app, "inspect",
                 {{"--rejects", "inspect reads leniently and writes no records; give it to funnel report"}});
  load_config(app, o);
  finish_options(o);
  bool json = parse_format(o.format, kInspectFormats);
  std::ostringstream text;
  int rc = inspect(o.report, streams.in, text, json);
  emit(o.output, streams, text.str());
  return rc;
}

}  // namespace funnel::commands
