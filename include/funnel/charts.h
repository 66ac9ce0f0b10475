// Charts as SVG, drawn by funnel itself (no C++ SVG chart library is packaged in Debian):
// the funnel, segments with their intervals, days between stages, the sales-cycle
// histogram, the cohort heatmap and the trend lines. Each function returns one <svg>
// element that needs no script, font or stylesheet of its own; html.cpp places them in
// the HTML report, render_svg writes one as a file. They only draw numbers that
// funnel_table.h and report.h computed.
//
// Every bar is a <rect class="bar"> with its value in data-value and the bars drawn to one
// scale share data-scale, so a test can check lengths against values from the geometry.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "funnel/forecast.h"
#include "funnel/report.h"

namespace funnel {

enum class Chart { funnel, segments, days, cycle, cohorts, trend };
/// Parses --chart; throws funnel::Error(ExitCode::usage) with a suggestion.
Chart parse_chart(std::string_view name);
/// Whether a chart is drawn from a report of another kind (cohorts, trend) than `funnel report`'s.
ReportKind chart_kind(Chart chart);

std::string funnel_svg(const Report& report);
/// Step conversion per segment with the 95% interval as whiskers; needs --by.
std::string segments_svg(const Report& report);
std::string days_svg(const Report& report);
std::string cycle_svg(const Report& report);
/// From a `funnel cohorts` report.
std::string cohorts_svg(const Report& cohorts);
/// From a `funnel trend` report.
std::string trend_svg(const Report& trend);

/// funnel forecast: expected revenue (or wins, without amounts) of "(all)"'s open leads by
/// stage, with the revenue range as whiskers.
std::string forecast_svg(const Report& report, const std::vector<ForecastRow>& rows);


/// -f svg: one chart as a standalone SVG file. Throws a usage error when the report cannot
/// draw it (segments without --by, cohorts from a funnel report).
void render_svg(const Report& report, Chart chart, std::ostream& out);
/// -f html: one self-contained page. `cohorts` and `trend` (reports of the same input, may be
/// null) add the heatmap and the trend lines to a funnel report.
void render_html(const Report& report, const Report* cohorts, const Report* trend, std::ostream& out);
/// funnel forecast -f html: the header, the forecast chart and its table.
void render_forecast_html(const Report& report, const std::vector<ForecastRow>& rows, std::ostream& out);

}  // namespace funnel
