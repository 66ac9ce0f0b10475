// -f html: one self-contained page (inline CSS and SVG, no script, no font, no request of any
// kind; a Content-Security-Policy forbids them), the same bytes for the same input. Every
// chart's numbers are also in an HTML table. Each number cell names where the machine-
// readable reports hold the same number: data-src="report|cohorts|trend" with data-key (the
// CSV's first column), data-stage and data-col (a CSV column), or data-src="json" with
// data-path (a path into `funnel report -f json`); the browser tests compare them.
#include <fmt/format.h>

#include "funnel/charts.h"
#include "funnel/render.h"
#include "funnel/text.h"
#include "funnel/timestamp.h"

namespace funnel {
namespace {

constexpr const char* kStyle = R"(
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #222; background: #fff; margin: 0; }
main { max-width: 900px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.5em; margin: 0.2em 0 0.4em; }
h2 { font-size: 1.2em; margin: 1.6em 0 0.4em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; font-size: 0.9em; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.warnings { background: #fff6e5; border-left: 4px solid #f0a030; padding: 4px 12px; margin: 12px 0; font-size: 0.9em; }
.warnings ul { margin: 4px 0; padding-left: 18px; }
figure { margin: 8px 0; }
svg.chart { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 0.85em; color: #555; }
.table-wrap { overflow-x: auto; margin: 8px 0 16px; }
table { border-collapse: collapse; font-size: 0.85em; }
caption { text-align: left; font-weight: bold; padding: 4px 0; }
th, td { padding: 2px 8px; border-bottom: 1px solid #e5e5e5; white-space: nowrap; }
th { text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.incomplete th, tr.incomplete td { font-style: italic; color: #555; }
p.lines { font-size: 0.9em; }
@page { size: auto; margin: 14mm; }
@media print {
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  figure, table, .warnings { break-inside: avoid; }
  .table-wrap { overflow: visible; }
  th, td { white-space: normal; }
}
)";

std::string esc(std::string_view text) { return xml_escape(text); }

/// A number cell that `funnel <src> -f csv` holds in row (key, stage), column `col`.
std::string csv_cell(std::string_view src, std::string_view key, std::string_view stage, std::string_view col,
                     std::string_view shown) {
  return fmt::format("<td class=\"num\" data-src=\"{}\" data-key=\"{}\" data-stage=\"{}\" data-col=\"{}\">{}</td>", src,
                     esc(key), esc(stage), col, esc(shown));
}

/// A number cell that `funnel report -f json` holds at `path` (dot separated).
std::string json_cell(std::string_view path, std::string_view shown) {
  return fmt::format("<td class=\"num\" data-src=\"json\" data-path=\"{}\">{}</td>", esc(path), esc(shown));
}

std::string days(const DurationStats& d, double value) { return d.count ? fmt::format("{:.2f}", value) : "-"; }

std::string figure(const std::string& svg, std::string_view caption) {
  return fmt::format("<figure>\n{}<figcaption>{}</figcaption>\n</figure>\n", svg, esc(caption));
}

void header(const Report& report, std::string_view what, std::ostream& out) {
  const InputCounts& in = report.input;
  const FunnelOptions& o = report.options;
  std::string files;
  for (const auto& f : in.files)
    files += (files.empty() ? "" : ", ") + (f.empty() || f == "-" ? std::string("stdin") : f);
  out << "<header>\n<h1>" << esc(what) << "</h1>\n<dl class=\"meta\">\n";
  out << "<dt>files</dt><dd>" << esc(files) << "</dd>\n";
  std::string reasons;
  for (const auto& [reason, count] : in.reported_by_reason)
    reasons += fmt::format("{}{}: {}", reasons.empty() ? " (" : ", ", reason, count);
  if (!reasons.empty()) reasons += ")";
  out << fmt::format("<dt>rows</dt><dd>{} read, {} used, {} reported{}; {} lead ids</dd>\n", in.rows_read, in.rows_used,
                     in.rows_reported, esc(reasons), in.ids);
  out << "<dt>as of</dt><dd>" << (report.tables.as_of == kNoTime ? "-" : format_timestamp(report.tables.as_of))
      << "</dd>\n";
  out << "<dt>time zone</dt><dd>" << esc(report.zone.name()) << "</dd>\n";
  std::string options =
      fmt::format("count {}, stale after {:g} days", o.mode == CountMode::ordered ? "ordered" : "cumulative",
                  static_cast<double>(o.stale) / 86400.0);
  if (o.window > 0) options += fmt::format(", window {:g} days", static_cast<double>(o.window) / 86400.0);
  if (o.since != kNoTime) options += ", since " + format_timestamp(o.since);
  if (o.until != kNoTime) options += ", until " + format_timestamp(o.until);
  if (report.kind != ReportKind::funnel) options += fmt::format(", per {}", period_name(report.every));
  out << "<dt>options</dt><dd>" << esc(options) << "</dd>\n";
  std::string stages;
  for (const auto& s : report.model.stages()) stages += (stages.empty() ? "" : " → ") + terminal_safe(s.name);
  out << "<dt>stages</dt><dd>" << esc(stages) << "</dd>\n</dl>\n";

  std::vector<std::string> warnings;
  auto warn = [&](std::uint64_t n, std::string_view text) {
    if (n) warnings.push_back(fmt::format("{}: {}", text, n));
  };
  const DataQuality& q = report.tables.quality;
  warn(in.rows_reported, "rows not used (reasons above)");
  warn(q.leads_with_skips, "leads that skipped a stage");
  warn(q.leads_with_repeats, "leads that repeated a stage");
  warn(q.leads_with_regressions, "leads that went back to an earlier stage");
  warn(q.leads_with_inversions, "leads with stage times out of order");
  warn(q.leads_out_of_order, "leads stopped by --count ordered");
  warn(q.lost_without_stage, "ids with lost rows but no stage (not leads)");
  warn(q.won_and_lost, "won leads that also have a lost row");
  warn(q.negative_durations, "stage pairs left out of the days (time inversions)");
  warn(q.leads_beyond_window, "leads that reached a stage only after the window");
  warn(q.leads_outside_period, "leads that entered outside --since/--until");
  warn(q.won_without_entry, "won leads left out of the sales cycle: no time before the last stage");
  warn(q.won_before_entry, "won leads left out of the sales cycle: won before their entry");
  warn(q.lost_by_inactivity, "leads lost by --lost-after (no activity for that long)");
  if (!q.lost_defined) {
    std::string note = lost_undefined_line();
    note.replace(note.find('\n'), 3, "; ");  // one item
    warnings.push_back(note);
  }
  warn(q.leads_filtered, "leads left out by --where");
  warn(in.blank_lines, "blank lines");
  warn(in.trailing_delimiters, "rows that end with an extra delimiter");
  warn(in.scientific_ids, "ids a spreadsheet turned into 1.23E+11 notation");
  warn(in.dst_gaps, "times in a daylight-saving gap (read forward)");
  warn(in.dst_overlaps, "times in a daylight-saving overlap (earlier taken)");
  warn(in.invalid_amounts, "amount cells that are not a usable value");
  warn(in.guessed_amounts, "amounts read before their column showed its decimal mark");
  for (const auto& r : report.first_rejects) warnings.push_back(fmt::format("{}:{}: {}", r.file, r.line, r.reason));
  out << "<section class=\"warnings\" aria-label=\"data quality\">\n<strong>Data quality:</strong> ";
  if (warnings.empty()) {
    out << "no warnings.\n";
  } else {
    out << "\n<ul>\n";
    for (const auto& w : warnings) out << "<li>" << esc(w) << "</li>\n";
    out << "</ul>\n";
  }
  out << "</section>\n</header>\n";
}

void funnel_section(const Report& report, std::ostream& out) {
  const auto& stages = report.model.stages();
  const SegmentTable& seg = report.tables.segments.front();
  const std::string& label = seg.label;
  out << "<section id=\"funnel\">\n<h2>Funnel</h2>\n";
  out << figure(funnel_svg(report),
                "One bar per stage, grouped TOFU, MOFU, BOFU; under each bar the leads that went no further: "
                "lost, open, stalled.");
  out << "<div class=\"table-wrap\"><table class=\"data\">\n<caption>Overall</caption>\n<thead><tr><th "
         "scope=\"col\">leads</th>"
         "<th scope=\"col\">won</th><th scope=\"col\">lost</th><th scope=\"col\">open</th><th "
         "scope=\"col\">stalled</th>"
         "<th scope=\"col\">win rate</th></tr></thead>\n<tbody><tr>";
  const Overall& o = seg.overall;
  out << json_cell("segments.0.overall.leads", fmt::format("{}", o.leads))
      << json_cell("segments.0.overall.won", fmt::format("{}", o.won))
      << json_cell("segments.0.overall.lost", fmt::format("{}", o.lost))
      << json_cell("segments.0.overall.open", fmt::format("{}", o.open))
      << json_cell("segments.0.overall.stalled", fmt::format("{}", o.stalled))
      << json_cell("segments.0.overall.win_rate", format_percent(o.win_rate)) << "</tr></tbody>\n</table></div>\n";
  out << "<div class=\"table-wrap\"><table class=\"data\">\n<caption>Stages</caption>\n<thead><tr><th "
         "scope=\"col\">section</th>"
         "<th scope=\"col\">stage</th><th scope=\"col\">reached</th><th scope=\"col\">step</th><th "
         "scope=\"col\">overall</th>"
         "<th scope=\"col\">dropped</th><th scope=\"col\">lost</th><th scope=\"col\">open</th><th "
         "scope=\"col\">stalled</th></tr></thead>\n<tbody>\n";
  for (std::size_t k = 0; k < stages.size(); ++k) {
    const StageRow& r = seg.stages[k];
    const std::string& name = stages[k].name;
    out << "<tr><td>" << section_label(stages[k].section) << "</td><th scope=\"row\">" << esc(terminal_safe(name))
        << "</th>" << csv_cell("report", label, name, "reached", fmt::format("{}", r.reached))
        << csv_cell("report", label, name, "step_conversion", format_percent(r.step_conversion))
        << csv_cell("report", label, name, "overall_conversion", format_percent(r.overall_conversion))
        << csv_cell("report", label, name, "dropped", fmt::format("{}", r.dropped))
        << csv_cell("report", label, name, "lost", fmt::format("{}", r.lost))
        << csv_cell("report", label, name, "open", fmt::format("{}", r.open))
        << csv_cell("report", label, name, "stalled", fmt::format("{}", r.stalled)) << "</tr>\n";
  }
  out << "</tbody>\n</table></div>\n";
  std::vector<std::string> lines;
  if (o.money.present) lines.push_back(money_line(o.money));
  if (o.spend.present) lines.push_back(spend_line(report, o.spend));
  if (o.retention.present) lines.push_back(retention_line(o));
  for (const auto& line : lines) out << "<p class=\"lines\">" << esc(line) << "</p>\n";
  out << "</section>\n";
}

void segments_section(const Report& report, std::ostream& out) {
  const auto& stages = report.model.stages();
  const auto& segments = report.tables.segments;
  out << "<section id=\"segments\">\n<h2>Segments</h2>\n";
  out << figure(segments_svg(report),
                "Step conversion per segment; whiskers: 95% Wilson interval; *: differs from the other "
                "leads at p < 0.05 (two-proportion test).");
  out << "<div class=\"table-wrap\"><table class=\"data\">\n<caption>Segments</caption>\n<thead><tr><th "
         "scope=\"col\">segment</th>"
         "<th scope=\"col\">leads</th><th scope=\"col\">won</th><th scope=\"col\">win "
         "rate</th></tr></thead>\n<tbody>\n";
  for (std::size_t s = 0; s < segments.size(); ++s) {
    const Overall& o = segments[s].overall;
    out << "<tr><th scope=\"row\">" << esc(terminal_safe(segments[s].label)) << "</th>"
        << json_cell(fmt::format("segments.{}.overall.leads", s), fmt::format("{}", o.leads))
        << json_cell(fmt::format("segments.{}.overall.won", s), fmt::format("{}", o.won))
        << json_cell(fmt::format("segments.{}.overall.win_rate", s), format_percent(o.win_rate)) << "</tr>\n";
  }
  out << "</tbody>\n</table></div>\n";
  out << "<div class=\"table-wrap\"><table class=\"data\">\n<caption>Step conversion by segment</caption>\n<thead><tr>"
         "<th scope=\"col\">segment</th><th scope=\"col\">stage</th><th scope=\"col\">reached</th><th "
         "scope=\"col\">step</th>"
         "<th scope=\"col\">95% low</th><th scope=\"col\">95% high</th><th scope=\"col\">p vs rest</th><th "
         "scope=\"col\">mark</th>"
         "</tr></thead>\n<tbody>\n";
  for (const auto& seg : segments) {
    for (std::size_t k = 1; k < stages.size(); ++k) {
      const StageRow& r = seg.stages[k];
      const std::string& name = stages[k].name;
      const bool marked = r.vs_rest_p && *r.vs_rest_p < 0.05;
      out << "<tr><th scope=\"row\">" << esc(terminal_safe(seg.label)) << "</th><td>" << esc(terminal_safe(name))
          << "</td>" << csv_cell("report", seg.label, name, "reached", fmt::format("{}", r.reached))
          << csv_cell("report", seg.label, name, "step_conversion", format_percent(r.step_conversion))
          << csv_cell("report", seg.label, name, "step_ci_low", r.step_ci ? format_percent(r.step_ci->low) : "-")
          << csv_cell("report", seg.label, name, "step_ci_high", r.step_ci ? format_percent(r.step_ci->high) : "-")
          << csv_cell("report", seg.label, name, "vs_rest_p", r.vs_rest_p ? fmt::format("{:.4f}", *r.vs_rest_p) : "-")
          << "<td>" << (marked ? "*" : "") << "</td></tr>\n";
    }
  }
  out << "</tbody>\n</table></div>\n</section>\n";
}

void days_section(const Report& report, std::ostream& out) {
  const auto& stages = report.model.stages();
  const SegmentTable& seg = report.tables.segments.front();
  out << "<section id=\"days\">\n<h2>Days between stages</h2>\n";
  out << figure(days_svg(report),
                "Days from each stage to the next, for leads with both times: median and 90th percentile.");
  out << "<div class=\"table-wrap\"><table class=\"data\">\n<caption>Days</caption>\n<thead><tr><th "
         "scope=\"col\">stage</th>"
         "<th scope=\"col\">to next: median</th><th scope=\"col\">p90</th><th scope=\"col\">mean</th>"
         "<th scope=\"col\">from entry: median</th><th scope=\"col\">p90</th><th "
         "scope=\"col\">mean</th></tr></thead>\n<tbody>\n";
  for (std::size_t k = 0; k < stages.size(); ++k) {
    const StageRow& r = seg.stages[k];
    const std::string& name = stages[k].name;
    out << "<tr><th scope=\"row\">" << esc(terminal_safe(name)) << "</th>"
        << csv_cell("report", seg.label, name, "days_to_next_median", days(r.to_next, r.to_next.median))
        << csv_cell("report", seg.label, name, "days_to_next_p90", days(r.to_next, r.to_next.p90))
        << csv_cell("report", seg.label, name, "days_to_next_mean", days(r.to_next, r.to_next.mean))
        << csv_cell("report", seg.label, name, "days_from_entry_median", days(r.from_entry, r.from_entry.median))
        << csv_cell("report", seg.label, name, "days_from_entry_p90", days(r.from_entry, r.from_entry.p90))
        << csv_cell("report", seg.label, name, "days_from_entry_mean", days(r.from_entry, r.from_entry.mean))
        << "</tr>\n";
  }
  out << "</tbody>\n</table></div>\n</section>\n";
}

void cycle_section(const Report& report, std::ostream& out) {
  const Overall& o = report.tables.segments.front().overall;
  out << "<section id=\"cycle\">\n<h2>Sales cycle</h2>\n";
  out << figure(cycle_svg(report), "Won leads by days from entry to won.");
  out << "<div class=\"table-wrap\"><table class=\"data\">\n<caption>Sales cycle, entry to won</caption>\n<thead><tr>"
         "<th scope=\"col\">won leads</th><th scope=\"col\">median days</th><th scope=\"col\">p90</th><th "
         "scope=\"col\">mean</th>"
         "</tr></thead>\n<tbody><tr>"
      << json_cell("segments.0.overall.cycle_days.count", fmt::format("{}", o.cycle.count))
      << json_cell("segments.0.overall.cycle_days.median", days(o.cycle, o.cycle.median))
      << json_cell("segments.0.overall.cycle_days.p90", days(o.cycle, o.cycle.p90))
      << json_cell("segments.0.overall.cycle_days.mean", days(o.cycle, o.cycle.mean))
      << "</tr></tbody>\n</table></div>\n";
  out << "<div class=\"table-wrap\"><table class=\"data\">\n<caption>Histogram</caption>\n<thead><tr><th "
         "scope=\"col\">days</th>"
         "<th scope=\"col\">won leads</th></tr></thead>\n<tbody>\n";
  for (std::size_t b = 0; b < kCycleBuckets; ++b) {
    std::string range = b + 1 < kCycleBuckets ? fmt::format("{}-{}", b == 0 ? 0 : kCycleEdges[b - 1], kCycleEdges[b])
                                              : fmt::format("{}+", kCycleEdges[b - 1]);
    out << "<tr><th scope=\"row\">" << range << "</th>"
        << json_cell(fmt::format("segments.0.overall.cycle_histogram.{}", b), fmt::format("{}", o.cycle_histogram[b]))
        << "</tr>\n";
  }
  out << "</tbody>\n</table></div>\n</section>\n";
}

std::string day_text(std::int64_t day) { return format_timestamp(day * 86400).substr(0, 10); }

void cohorts_section(const Report& cohorts, std::ostream& out) {
  const auto& stages = cohorts.model.stages();
  out << "<section id=\"cohorts\">\n<h2>Cohorts</h2>\n";
  out << figure(cohorts_svg(cohorts),
                fmt::format("Share of each {} of entry that reached each stage; a cohort is open until its "
                            "period{} ended by the as-of time.",
                            period_name(cohorts.every), cohorts.options.window > 0 ? " plus the window" : ""));
  out << "<div class=\"table-wrap\"><table class=\"data\">\n<caption>Cohorts: reached and share of the "
         "cohort</caption>\n<thead><tr>"
         "<th scope=\"col\">cohort</th><th scope=\"col\">start</th><th scope=\"col\">complete</th><th "
         "scope=\"col\">leads</th>";
  for (std::size_t k = 1; k < stages.size(); ++k) {
    out << "<th scope=\"col\">" << esc(terminal_safe(stages[k].name)) << "</th><th scope=\"col\">%</th>";
  }
  out << "</tr></thead>\n<tbody>\n";
  for (std::size_t s = 1; s < cohorts.tables.segments.size(); ++s) {
    const SegmentTable& t = cohorts.tables.segments[s];
    const Cohort& c = cohorts.cohorts[s - 1];
    out << "<tr" << (c.complete ? "" : " class=\"incomplete\"") << "><th scope=\"row\">" << esc(c.label)
        << "</th><th scope=\"row\">" << day_text(c.first_day) << "</th><td>" << (c.complete ? "yes" : "no") << "</td>"
        << csv_cell("cohorts", c.label, stages[0].name, "reached", fmt::format("{}", t.stages[0].reached));
    for (std::size_t k = 1; k < stages.size(); ++k) {
      out << csv_cell("cohorts", c.label, stages[k].name, "reached", fmt::format("{}", t.stages[k].reached))
          << csv_cell("cohorts", c.label, stages[k].name, "overall_conversion",
                      format_percent(t.stages[k].overall_conversion));
    }
    out << "</tr>\n";
  }
  out << "</tbody>\n</table></div>\n</section>\n";
}

void trend_section(const Report& trend, std::ostream& out) {
  const auto& stages = trend.model.stages();
  const Trend& t = trend.trend;
  out << "<section id=\"trend\">\n<h2>Trend</h2>\n";
  out << figure(trend_svg(trend),
                fmt::format("Leads entering each stage per {}; shaded, dashed and hollow: a period not over at "
                            "the as-of time.",
                            period_name(trend.every)));
  out << "<div class=\"table-wrap\"><table class=\"data\">\n<caption>Leads entering each stage</caption>\n<thead><tr>"
         "<th scope=\"col\">period</th><th scope=\"col\">start</th><th scope=\"col\">complete</th>";
  for (const auto& st : stages) out << "<th scope=\"col\">" << esc(terminal_safe(st.name)) << "</th>";
  out << "</tr></thead>\n<tbody>\n";
  for (std::size_t p = 0; p < t.periods.size(); ++p) {
    const bool complete = p < t.complete.size() && t.complete[p];
    out << "<tr" << (complete ? "" : " class=\"incomplete\"") << "><th scope=\"row\">" << esc(t.periods[p])
        << "</th><th scope=\"row\">" << day_text(t.first_days[p]) << "</th><td>" << (complete ? "yes" : "no")
        << "</td>";
    for (std::size_t k = 0; k < stages.size(); ++k) {
      out << csv_cell("trend", t.periods[p], stages[k].name, "entered", fmt::format("{}", t.entered[p][k]));
    }
    out << "</tr>\n";
  }
  out << "</tbody>\n</table></div>\n</section>\n";
}

/// The page up to and including the header.
void page_start(const Report& report, std::string_view what, std::ostream& out) {
  std::string files;
  for (const auto& f : report.input.files)
    files += (files.empty() ? "" : ", ") + (f.empty() || f == "-" ? std::string("stdin") : f);
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
         "img-src data:\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta name=\"generator\" content=\"funnel\">\n<title>"
      << esc(what) << ": " << esc(files) << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n<main>\n";
  header(report, what, out);
}

}  // namespace

void render_forecast_html(const Report& report, const std::vector<ForecastRow>& rows, std::ostream& out) {
  const auto& stages = report.model.stages();
  page_start(report, "Funnel forecast", out);
  out << "<section id=\"forecast\">\n<h2>Forecast</h2>\n";
  out << figure(forecast_svg(report, rows),
                "Open leads by their furthest stage, weighted by the stage's (or their own) win "
                "probability; whiskers: the 95% range when measured probabilities vary.");
  out << "<div class=\"table-wrap\"><table class=\"data\">\n<caption>Forecast</caption>\n<thead><tr><th "
         "scope=\"col\">segment</th>"
         "<th scope=\"col\">stage</th><th scope=\"col\">open</th><th scope=\"col\">P(won)</th><th "
         "scope=\"col\">source</th>"
         "<th scope=\"col\">95% low</th><th scope=\"col\">95% high</th><th scope=\"col\">own p</th><th "
         "scope=\"col\">expected wins</th>"
         "<th scope=\"col\">expected revenue</th><th scope=\"col\">low</th><th "
         "scope=\"col\">high</th></tr></thead>\n<tbody>\n";
  for (const auto& r : rows) {
    const std::string stage = r.stage < 0 ? std::string("(total)") : stages[static_cast<std::size_t>(r.stage)].name;
    const bool measured = r.source == ProbabilitySource::measured && r.interval;
    const std::string p = r.stage < 0 ? "" : format_percent(r.probability);
    out << "<tr><th scope=\"row\">" << esc(terminal_safe(r.segment)) << "</th><td>" << esc(terminal_safe(stage))
        << "</td>" << csv_cell("forecast", r.segment, stage, "open", fmt::format("{}", r.open));
    if (r.stage < 0) {
      out << "<td></td><td></td><td></td><td></td>";
    } else {
      out << csv_cell("forecast", r.segment, stage, "p_won", p) << "<td>"
          << (r.source == ProbabilitySource::none ? "-" : std::string(source_name(r.source))) << "</td>"
          << csv_cell("forecast", r.segment, stage, "p_won_low", measured ? format_percent(r.interval->low) : "-")
          << csv_cell("forecast", r.segment, stage, "p_won_high", measured ? format_percent(r.interval->high) : "-");
    }
    out << csv_cell("forecast", r.segment, stage, "own_probability", fmt::format("{}", r.own))
        << csv_cell("forecast", r.segment, stage, "expected_wins", fmt::format("{:.2f}", r.expected_wins))
        << csv_cell("forecast", r.segment, stage, "expected_revenue", format_money(r.expected_revenue))
        << csv_cell("forecast", r.segment, stage, "expected_revenue_low", format_money(r.revenue_low))
        << csv_cell("forecast", r.segment, stage, "expected_revenue_high", format_money(r.revenue_high)) << "</tr>\n";
  }
  out << "</tbody>\n</table></div>\n</section>\n</main>\n</body>\n</html>\n";
}

void render_html(const Report& report, const Report* cohorts, const Report* trend, std::ostream& out) {
  const char* what = report.kind == ReportKind::cohorts ? "Funnel cohorts"
                     : report.kind == ReportKind::trend ? "Funnel trend"
                                                        : "Funnel report";
  page_start(report, what, out);
  switch (report.kind) {
    case ReportKind::funnel:
      funnel_section(report, out);
      if (report.segmented) segments_section(report, out);
      if (cohorts != nullptr) cohorts_section(*cohorts, out);
      if (trend != nullptr) trend_section(*trend, out);
      days_section(report, out);
      cycle_section(report, out);
      break;
    case ReportKind::cohorts: cohorts_section(report, out); break;
    case ReportKind::trend: trend_section(report, out); break;
  }
  out << "</main>\n</body>\n</html>\n";
}

}  // namespace funnel
