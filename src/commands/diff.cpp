// funnel diff: two saved reports (JSON or CSV) compared stage by stage.
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common.h"
#include "funnel/check.h"
#include "funnel/diagnostics.h"
#include "funnel/output.h"

namespace funnel::commands {
namespace {

constexpr FormatChoice<std::string_view> kDiffFormats[] = {{"table", "table"}, {"csv", "csv"}, {"json", "json"}};

/// diff reads saved reports, not exports: none of the input options.
struct DiffCommand : Options {
  std::vector<std::string> files;  ///< before, after
  std::string format = "table";
  std::string output;
  double significance = 0;  ///< 0: the default, 0.05
};

}  // namespace

std::unique_ptr<Options> setup_diff(CLI::App& app) {
  auto o = std::make_unique<DiffCommand>();
  app.add_option("reports", o->files, "Two saved reports (funnel report -f json or -f csv): before and after")
      ->required()
      ->expected(2);
  define_output(app, o->format, o->output, format_names<std::string_view>(kDiffFormats));
  app.add_option("--significance", o->significance, "Mark changes significant at this level (default 0.05)");
  return o;
}

int run_diff(CLI::App&, Options& options, Streams& streams) {
  auto& o = static_cast<DiffCommand&>(options);
  check_output_targets(o.output, {}, o.files);
  if (!(o.significance >= 0 && o.significance < 1)) {
    throw Error(ExitCode::usage,
                fmt::format("--significance must be between 0 and 1, like 0.05, not {:g}", o.significance));
  }
  double significance = o.significance > 0 ? o.significance : 0.05;
  std::string format(parse_format(o.format, kDiffFormats));  // refuse a bad --format before reading
  SavedReport a = read_saved_report(o.files[0]);
  SavedReport b = read_saved_report(o.files[1]);
  std::ostringstream text;
  render_diff(a, b, significance, format, text);
  emit(o.output, streams, text.str());
  return 0;
}

}  // namespace funnel::commands
