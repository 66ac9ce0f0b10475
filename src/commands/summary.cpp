// funnel summary: one row per segment (leads, outcomes, rates, revenue, cycle, cost, churn),
// sortable: the "report by owner/source" every CRM offers, in every table format.
#include <sstream>

#include <CLI/CLI.hpp>

#include "common.h"
#include "funnel/summary.h"

namespace funnel::commands {
namespace {

constexpr FormatChoice<Format> kSummaryFormats[] = {
    {"table", Format::table}, {"csv", Format::csv},           {"tsv", Format::tsv},
    {"json", Format::json},   {"markdown", Format::markdown}, {"md", Format::markdown, true},
};

struct SummaryCommand : ExportOptions {
  SummaryCommand() { format = "table"; }
  std::string sort;  ///< --sort COLUMN[:asc|:desc][,...]
};

}  // namespace

std::unique_ptr<Options> setup_summary(CLI::App& app) {
  auto o = std::make_unique<SummaryCommand>();
  app.add_option("files", o->report.files, kFilesHelp);
  define_output(app, o->format, o->output, format_names<Format>(kSummaryFormats));
  define_input(app, *o);
  define_metrics(app, *o);
  define_filters(app, *o);
  app.add_option("--spend", o->report.spend, "A CSV FILE of source,cost: cost, cost per lead, CAC and ROI per segment")
      ->group("Input");
  app.add_option("--top", o->report.top_segments, "Keep the N segments with the most leads; fold the rest into (other)")
      ->group("Input")
      ->check(CLI::Range(std::size_t{1}, std::size_t{kMaxCount}));
  app.add_option("--sort", o->sort,
                 "COLUMN[:asc|:desc][,COLUMN...]: order the segments (numbers descending, segment ascending unless "
                 "told); (all) stays first")
      ->group("Output");
  return o;
}

int run_summary(CLI::App& app, Options& options, Streams& streams) {
  auto& o = static_cast<SummaryCommand&>(options);
  load_config(app, o);
  o.report.kind = ReportKind::funnel;
  finish_options(o);
  const Format format = parse_format(o.format, kSummaryFormats);
  const std::vector<SummarySortKey> sort =
      parse_summary_sort(o.sort.empty() ? std::string_view("segment") : std::string_view(o.sort));
  Report report = read_input(o, streams);
  const Summary summary = summarize(report, o.report.columns.by, sort);
  std::ostringstream text;
  const bool colored = format == Format::table && to_terminal(o.output, streams);
  render_summary(summary, format, text, colored);
  emit(o.output, streams, text.str(), o.report.rejects, report.rejects_csv, colored);
  return 0;
}

}  // namespace funnel::commands
