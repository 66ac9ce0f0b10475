// funnel forecast: expected wins and revenue from the open leads.
#include <sstream>

#include <CLI/CLI.hpp>

#include "common.h"
#include "funnel/charts.h"
#include "funnel/forecast.h"

namespace funnel::commands {
namespace {

constexpr FormatChoice<std::string_view> kForecastFormats[] = {
    {"table", "table"}, {"csv", "csv"}, {"json", "json"}, {"html", "html"}, {"svg", "svg"}};

struct ForecastCommand : ExportOptions {
  ForecastCommand() { format = "table"; }
  std::vector<std::string> probabilities;  ///< --probability STAGE=P
};

}  // namespace

std::unique_ptr<Options> setup_forecast(CLI::App& app) {
  auto o = std::make_unique<ForecastCommand>();
  app.add_option("files", o->report.files, kFilesHelp);
  define_output(app, o->format, o->output, format_names<std::string_view>(kForecastFormats));
  app.add_option("--probability", o->probabilities,
                 "STAGE=P: the win probability of an open lead at STAGE (60%, 60 or 0.6; repeatable), instead of the "
                 "measured one")
      ->group("Forecast")
      ->allow_extra_args(false);
  app.add_option("--probability-column", o->report.columns.probability,
                 "Column of each lead's own win probability (default: one named probability or 'Probability (%)'; "
                 "none: ignore it)")
      ->group("Forecast");
  define_input(app, *o);
  define_metrics(app, *o);
  define_filters(app, *o);
  return o;
}

int run_forecast(CLI::App& app, Options& options, Streams& streams) {
  auto& o = static_cast<ForecastCommand&>(options);
  refuse_ignored(app, "forecast", {{"--days", "the forecast counts leads and money, not durations"}});
  load_config(app, o);
  finish_options(o);
  std::string format(parse_format(o.format, kForecastFormats));
  StageProbabilities configured = parse_stage_probabilities(o.probabilities, StageModel::build(o.report.stages));
  o.report.columns.find_probability = true;
  Report report = read_input(o, streams);
  std::ostringstream text;
  const std::vector<ForecastRow> rows = build_forecast(report, configured);
  if (format == "html") {
    render_forecast_html(report, rows, text);
  } else if (format == "svg") {
    text << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" << forecast_svg(report, rows);
  } else {
    render_forecast(report, rows, format, text);
  }
  emit(o.output, streams, text.str(), o.report.rejects, report.rejects_csv);
  return 0;
}

}  // namespace funnel::commands
