// funnel paths: the most common stage sequences.
#include <sstream>

#include <CLI/CLI.hpp>

#include "common.h"
#include "funnel/leads.h"

namespace funnel::commands {
namespace {

struct PathsCommand : ExportOptions {
  PathsCommand() { format = "table"; }
  std::size_t top = 20;  ///< --top: paths shown; the rest summed as (other); 0: all
};

}  // namespace

std::unique_ptr<Options> setup_paths(CLI::App& app) {
  auto o = std::make_unique<PathsCommand>();
  app.add_option("files", o->report.files, kFilesHelp);
  define_output(app, o->format, o->output, format_names<Format>(kTableFormats));
  app.add_option("--top", o->top, "Show this many paths; the rest are summed as (other); 0: all")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{0}, std::size_t{kMaxCount}));
  define_input(app, *o);
  define_metrics(app, *o);
  define_filters(app, *o);
  return o;
}

int run_paths(CLI::App& app, Options& options, Streams& streams) {
  auto& o = static_cast<PathsCommand&>(options);
  refuse_ignored(app, "paths",
                 {{"--by", "paths are counted over all leads"},
                  {"--attribution", "it chooses a lead's --by value, and paths have no --by"},
                  {"--amount", "paths carry no money figure"},
                  {"--decimal", "it reads --amount, and paths carry no money figure"},
                  {"--stale", "paths show stages and (lost), never stalled"},
                  {"--days", "paths show stages, not durations"}});
  load_config(app, o);
  finish_options(o);
  Format format = parse_format(o.format, kTableFormats);
  Report report = read_input(o, streams);
  std::ostringstream text;
  render_paths(report, o.top, format, text);
  emit(o.output, streams, text.str(), o.report.rejects, report.rejects_csv);
  return 0;
}

}  // namespace funnel::commands
