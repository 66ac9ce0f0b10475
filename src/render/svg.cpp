// SVG charts drawn by funnel (see charts.h). Coordinates are written with one decimal, so
// the same report gives the same bytes. Text widths are estimated (0.62 em a character,
// wide enough for DejaVu Sans and Liberation Sans digits) to lay labels out without overlap.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "funnel/charts.h"
#include "funnel/diagnostics.h"
#include "funnel/render.h"
#include "funnel/text.h"
#include "funnel/timestamp.h"

namespace funnel {
namespace {

constexpr double kWidth = 860;
constexpr double kFont = 12;
constexpr const char* kInk = "#222";
constexpr const char* kMuted = "#666";
constexpr const char* kSectionColor[] = {"#6baed6", "#3182bd", "#08519c"};  // TOFU, MOFU, BOFU
constexpr const char* kLost = "#d62728";
constexpr const char* kOpen = "#9e9e9e";
constexpr const char* kStalled = "#f0a030";
constexpr const char* kSeries[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

/// Characters (UTF-8 code points) of a label.
std::size_t chars(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

double text_width(std::string_view text, double size = kFont) { return static_cast<double>(chars(text)) * size * 0.62; }

/// A label cut to `max` characters with an ellipsis (whole code points).
std::string shorten(std::string_view text, std::size_t max) {
  if (chars(text) <= max) return std::string(text);
  std::string out;
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool start = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (start && ++n > max - 1) break;
    out += text[i];
  }
  return out + "…";
}

std::string num(double v) { return fmt::format("{:.1f}", v); }

/// A text element; `anchor` is start, middle or end.
std::string text(double x, double y, std::string_view content, std::string_view extra = "",
                 std::string_view anchor = "start") {
  return fmt::format("<text x=\"{}\" y=\"{}\"{}{}>{}</text>\n", num(x), num(y),
                     anchor == "start" ? std::string() : fmt::format(" text-anchor=\"{}\"", anchor),
                     extra.empty() ? std::string() : fmt::format(" {}", extra), xml_escape(content));
}

/// A bar: its value and scale in data attributes, a tooltip in <title>.
std::string bar(double x, double y, double w, double h, const char* fill, std::string_view scale,
                std::string_view value, std::string_view tip, bool vertical = false) {
  return fmt::format(
      "<rect class=\"bar{}\" data-scale=\"{}\" data-value=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
      "fill=\"{}\"><title>{}</title></rect>\n",
      vertical ? " vbar" : "", scale, value, num(x), num(y), num(w), num(h), fill, xml_escape(tip));
}

std::string svg(std::string_view name, double height, std::string_view title, std::string_view desc,
                const std::string& body) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart chart-{0}\" viewBox=\"0 0 {1} {2}\" "
      "width=\"{1}\" height=\"{2}\" role=\"img\" aria-labelledby=\"{0}-title {0}-desc\" "
      "font-family=\"DejaVu Sans, Liberation Sans, Arial, sans-serif\" font-size=\"{3}\" fill=\"{4}\">\n"
      "<title id=\"{0}-title\">{5}</title>\n<desc id=\"{0}-desc\">{6}</desc>\n{7}</svg>\n",
      name, num(kWidth), num(height), num(kFont), kInk, xml_escape(title), xml_escape(desc), body);
}

std::string rate_value(const std::optional<double>& r) { return r ? fmt::format("{:.6f}", *r) : std::string(); }

std::string stage_name(const Report& report, std::size_t k) { return terminal_safe(report.model.stages()[k].name); }

/// Legend entries (colour swatch and text) in a row from x = 0.
std::string legend(double y, const std::vector<std::pair<const char*, std::string>>& items) {
  std::string out;
  double x = 0;
  for (const auto& [color, label] : items) {
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>\n", num(x), num(y - 9), color);
    out += text(x + 14, y, label, "class=\"legend\"");
    x += 14 + text_width(label) + 18;
  }
  return out;
}

}  // namespace

Chart parse_chart(std::string_view name) {
  if (name == "funnel") return Chart::funnel;
  if (name == "segments") return Chart::segments;
  if (name == "days") return Chart::days;
  if (name == "cycle") return Chart::cycle;
  if (name == "cohorts") return Chart::cohorts;
  if (name == "trend") return Chart::trend;
  throw Error(ExitCode::usage,
              fmt::format("unknown --chart '{}' (funnel, segments, days, cycle, cohorts, trend){}", name,
                          did_you_mean(name, {"funnel", "segments", "days", "cycle", "cohorts", "trend"})));
}

ReportKind chart_kind(Chart chart) {
  if (chart == Chart::cohorts) return ReportKind::cohorts;
  if (chart == Chart::trend) return ReportKind::trend;
  return ReportKind::funnel;
}

std::string funnel_svg(const Report& report) {
  const auto& stages = report.model.stages();
  const SegmentTable& seg = report.tables.segments.front();
  std::size_t name_chars = 5;
  for (std::size_t k = 0; k < stages.size(); ++k) name_chars = std::max(name_chars, chars(stage_name(report, k)));
  name_chars = std::min<std::size_t>(name_chars, 24);
  const double name_x = 60, x0 = name_x + static_cast<double>(name_chars) * kFont * 0.62 + 12;
  const double right = 230, barmax = kWidth - x0 - right - 10, row = 60, top = 30;
  const double most = static_cast<double>(std::max<std::uint64_t>(1, seg.stages.front().reached));
  auto scaled = [&](std::uint64_t v) { return static_cast<double>(v) / most * barmax; };
  std::string body = legend(14, {{kSectionColor[0], "TOFU"},
                                 {kSectionColor[1], "MOFU"},
                                 {kSectionColor[2], "BOFU"},
                                 {kLost, "lost"},
                                 {kOpen, "open"},
                                 {kStalled, "stalled"}});
  // Section bands first, so bars and text draw over them.
  for (std::size_t k = 0; k < stages.size();) {
    std::size_t end = k;
    while (end < stages.size() && stages[end].section == stages[k].section) ++end;
    double y = top + static_cast<double>(k) * row;
    body += fmt::format("<rect class=\"section\" x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>\n", num(y),
                        num(kWidth), num(static_cast<double>(end - k) * row - 4),
                        static_cast<int>(stages[k].section) % 2 ? "#eef2f8" : "#f7f9fc");
    body += text(6, y + 19, section_label(stages[k].section), "font-weight=\"bold\" class=\"section-label\"");
    k = end;
  }
  for (std::size_t k = 0; k < stages.size(); ++k) {
    const StageRow& r = seg.stages[k];
    const double y = top + static_cast<double>(k) * row;
    const std::string name = stage_name(report, k);
    body += fmt::format("<g class=\"stage\" data-stage=\"{}\">\n", xml_escape(name));
    body += text(name_x, y + 19, shorten(name, name_chars), "class=\"stage-label\"");
    body += bar(x0, y + 5, scaled(r.reached), 20, kSectionColor[static_cast<int>(stages[k].section)], "reached",
                fmt::format("{}", r.reached), fmt::format("{}: {} reached", name, r.reached));
    body += text(x0 + barmax + 10, y + 19,
                 fmt::format("{} reached · {} of entry", r.reached, format_percent(r.overall_conversion)),
                 "class=\"value\"");
    if (k > 0) {
      body += text(
          x0 + barmax + 10, y + 36,
          fmt::format("step {} from {}", format_percent(r.step_conversion), shorten(stage_name(report, k - 1), 12)),
          "class=\"value\" fill=\"#444\"");
    }
    if (k + 1 < stages.size()) {
      // The leads that went no further, split by what became of them, on the same scale.
      double x = x0;
      const std::pair<std::uint64_t, const char*> parts[] = {{r.lost, kLost}, {r.open, kOpen}, {r.stalled, kStalled}};
      const char* names[] = {"lost", "open", "stalled"};
      for (std::size_t i = 0; i < 3; ++i) {
        if (parts[i].first == 0) continue;
        double w = scaled(parts[i].first);
        body += bar(x, y + 29, w, 8, parts[i].second, "reached", fmt::format("{}", parts[i].first),
                    fmt::format("{}: {} {}", name, parts[i].first, names[i]));
        x += w;
      }
      body += text(x0, y + 50,
                   fmt::format("dropped {}: {} lost, {} open, {} stalled", r.dropped, r.lost, r.open, r.stalled),
                   "class=\"drop\" font-size=\"10\" fill=\"#444\"");
    }
    body += "</g>\n";
  }
  const Overall& o = seg.overall;
  std::string desc = fmt::format("{} leads, {} won, win rate {}.", o.leads, o.won, format_percent(o.win_rate));
  for (std::size_t k = 0; k < stages.size(); ++k) {
    const StageRow& r = seg.stages[k];
    desc += fmt::format(" {}: {} reached ({} of entry{}).", stage_name(report, k), r.reached,
                        format_percent(r.overall_conversion),
                        k ? ", step " + format_percent(r.step_conversion) : std::string());
  }
  return svg("funnel", top + static_cast<double>(stages.size()) * row,
             fmt::format("Funnel: {} leads by stage", o.leads), desc, body);
}

std::string segments_svg(const Report& report) {
  if (!report.segmented) throw Error(ExitCode::usage, "--chart segments compares --by segments: add --by");
  const auto& stages = report.model.stages();
  const auto& segments = report.tables.segments;
  std::size_t label_chars = 7;
  for (const auto& s : segments) label_chars = std::max(label_chars, chars(terminal_safe(s.label)));
  label_chars = std::min<std::size_t>(label_chars, 24);
  const double x0 = 8 + static_cast<double>(label_chars) * kFont * 0.62 + 12, barmax = kWidth - x0 - 90, row = 20;
  std::string body;
  std::string desc = "Step conversion per segment with its 95% Wilson interval.";
  double y = 4;
  bool any_marked = false;
  for (std::size_t k = 1; k < stages.size(); ++k) {
    const std::string step = fmt::format("{} → {}", stage_name(report, k - 1), stage_name(report, k));
    body += fmt::format("<g class=\"panel\" data-step=\"{}\">\n", xml_escape(step));
    body += text(0, y + 14, shorten(step, 100), "font-weight=\"bold\" class=\"panel-title\"");
    y += 22;
    body += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#ccc\"/>\n", num(x0), num(y),
                        num(y + row * static_cast<double>(segments.size())));
    for (const auto& s : segments) {
      const StageRow& r = s.stages[k];
      const std::string label = terminal_safe(s.label);
      const bool marked = r.vs_rest_p && *r.vs_rest_p < 0.05;
      any_marked = any_marked || marked;
      body += text(8, y + 14, shorten(label, label_chars), "class=\"segment-label\"");
      if (r.step_conversion) {
        body += bar(x0, y + 4, *r.step_conversion * barmax, 12, &s == &segments.front() ? "#08519c" : "#6baed6", "rate",
                    rate_value(r.step_conversion),
                    fmt::format("{}, {}: {}", label, step, format_percent(r.step_conversion)));
      }
      if (r.step_ci) {
        const double lo = x0 + r.step_ci->low * barmax, hi = x0 + r.step_ci->high * barmax, mid = y + 10;
        body += fmt::format(
            "<path class=\"whisker\" d=\"M{0} {2}H{1}M{0} {3}V{4}M{1} {3}V{4}\" stroke=\"#222\" "
            "stroke-width=\"1.2\" fill=\"none\"><title>95% interval {5} to {6}</title></path>\n",
            num(lo), num(hi), num(mid), num(mid - 5), num(mid + 5), format_percent(r.step_ci->low),
            format_percent(r.step_ci->high));
      }
      body += text(x0 + barmax + 8, y + 14, format_percent(r.step_conversion) + (marked ? " *" : ""),
                   marked ? "class=\"value\" font-weight=\"bold\"" : "class=\"value\"");
      desc += fmt::format(" {}, {}: {}{}.", label, step, format_percent(r.step_conversion),
                          marked ? " (differs from the rest)" : "");
      y += row;
    }
    body += "</g>\n";
    y += 10;
  }
  if (any_marked) {
    body += text(0, y + 10, "* differs from the other leads at p < 0.05 (two-proportion test); whiskers: 95% interval",
                 "class=\"note\" font-size=\"11\" fill=\"#444\"");
  } else {
    body += text(0, y + 10, "whiskers: 95% Wilson interval", "class=\"note\" font-size=\"11\" fill=\"#444\"");
  }
  return svg("segments", y + 18, "Step conversion by segment", desc, body);
}

std::string days_svg(const Report& report) {
  const auto& stages = report.model.stages();
  const SegmentTable& seg = report.tables.segments.front();
  std::size_t label_chars = 8;
  std::vector<std::string> labels;
  for (std::size_t k = 0; k + 1 < stages.size(); ++k) {
    labels.push_back(fmt::format("{} → {}", stage_name(report, k), stage_name(report, k + 1)));
    label_chars = std::max(label_chars, chars(labels.back()));
  }
  label_chars = std::min<std::size_t>(label_chars, 30);
  const double x0 = static_cast<double>(label_chars) * kFont * 0.62 + 12, right = 210,
               barmax = kWidth - x0 - right - 10;
  const double row = 30, top = 30;
  double most = 0;
  for (std::size_t k = 0; k + 1 < stages.size(); ++k) {
    if (seg.stages[k].to_next.count) most = std::max(most, seg.stages[k].to_next.p90);
  }
  std::string body = legend(14, {{"#3182bd", "median"}, {"#c6dbef", "90th percentile"}});
  std::string desc = "Days from each stage to the next (leads with both times): median and 90th percentile.";
  for (std::size_t k = 0; k + 1 < stages.size(); ++k) {
    const DurationStats& d = seg.stages[k].to_next;
    const double y = top + static_cast<double>(k) * row;
    body += text(0, y + 16, shorten(labels[k], label_chars), "class=\"step-label\"");
    if (d.count == 0) {
      body += text(x0, y + 16, "no lead with both times", "class=\"value\" fill=\"#666\"");
      continue;
    }
    auto w = [&](double v) { return most > 0 ? v / most * barmax : 0.0; };
    body += bar(x0, y + 4, w(d.p90), 16, "#c6dbef", "days", fmt::format("{:.4f}", d.p90),
                fmt::format("{}: p90 {:.2f} days", labels[k], d.p90));
    body += bar(x0, y + 8, w(d.median), 8, "#3182bd", "days", fmt::format("{:.4f}", d.median),
                fmt::format("{}: median {:.2f} days", labels[k], d.median));
    body += text(x0 + barmax + 10, y + 16, fmt::format("median {:.2f} · p90 {:.2f} days", d.median, d.p90),
                 "class=\"value\"");
    desc += fmt::format(" {}: median {:.2f}, p90 {:.2f} days ({} leads).", labels[k], d.median, d.p90, d.count);
  }
  return svg("days", top + static_cast<double>(stages.size() - 1) * row + 4, "Days between stages", desc, body);
}

std::string cycle_svg(const Report& report) {
  const Overall& o = report.tables.segments.front().overall;
  const double left = 40, plot = kWidth - left - 10, base = 200, tall = 160;
  const double slot = plot / static_cast<double>(kCycleBuckets);
  std::uint64_t most =
      std::max<std::uint64_t>(1, *std::max_element(std::begin(o.cycle_histogram), std::end(o.cycle_histogram)));
  std::string body;
  std::string desc =
      o.cycle.count
          ? fmt::format("Won leads by days from entry to won: median {:.2f}, p90 {:.2f}, mean {:.2f} days ({} leads).",
                        o.cycle.median, o.cycle.p90, o.cycle.mean, o.cycle.count)
      : o.won > 0 ? fmt::format("No won lead has a sales cycle to show (left out: {}).", cycle_left_out(o))
                  : std::string("No lead was won: no sales cycle to show.");
  body += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#999\"/>\n", num(left), num(base),
                      num(left + plot));
  for (std::size_t b = 0; b < kCycleBuckets; ++b) {
    std::string range = b + 1 < kCycleBuckets ? fmt::format("{}-{}", b == 0 ? 0 : kCycleEdges[b - 1], kCycleEdges[b])
                                              : fmt::format("{}+", kCycleEdges[b - 1]);
    const double x = left + slot * static_cast<double>(b),
                 h = static_cast<double>(o.cycle_histogram[b]) / static_cast<double>(most) * tall;
    const std::uint64_t count = o.cycle_histogram[b];
    body += bar(x + slot * 0.15, base - h, slot * 0.7, h, "#3182bd", "won", fmt::format("{}", count),
                fmt::format("{} days: {} won", range, count), true);
    body += text(x + slot / 2, base - h - 5, fmt::format("{}", count), "class=\"value\"", "middle");
    body += text(x + slot / 2, base + 16, range, "class=\"bucket-label\"", "middle");
    desc += fmt::format(" {} days: {}.", range, count);
  }
  body += text(left + plot / 2, base + 36,
               o.cycle.count ? fmt::format("days from entry to won · median {:.2f}, p90 {:.2f} ({} leads)",
                                           o.cycle.median, o.cycle.p90, o.cycle.count)
               : o.won > 0   ? std::string("days from entry to won · not measured")
                             : std::string("days from entry to won · no lead was won"),
               "class=\"axis-title\" fill=\"#444\"", "middle");
  return svg("cycle", base + 44, "Sales cycle: days from entry to won", desc, body);
}

std::string cohorts_svg(const Report& cohorts) {
  if (cohorts.kind != ReportKind::cohorts) throw Error(ExitCode::usage, "--chart cohorts is drawn by funnel cohorts");
  const auto& stages = cohorts.model.stages();
  const auto& segments = cohorts.tables.segments;
  const std::size_t columns = stages.size() - 1;
  const double label_w = 150, leads_w = 60, top = 40, row = 26;
  const double cell =
      std::min(130.0, (kWidth - label_w - leads_w) / static_cast<double>(std::max<std::size_t>(1, columns)));
  const std::size_t name_chars = static_cast<std::size_t>((cell - 6) / (kFont * 0.62));
  std::string body;
  std::string desc = "Conversion from entry per entry cohort and stage (leads reached and share of the cohort).";
  body += text(0, 28, "cohort", "font-weight=\"bold\"");
  body += text(label_w + leads_w - 8, 28, "leads", "font-weight=\"bold\"", "end");
  for (std::size_t k = 1; k < stages.size(); ++k) {
    body += text(label_w + leads_w + cell * static_cast<double>(k - 1) + cell / 2, 28,
                 shorten(stage_name(cohorts, k), name_chars), "font-weight=\"bold\" class=\"stage-label\"", "middle");
  }
  bool any_incomplete = false;
  for (std::size_t s = 1; s < segments.size(); ++s) {
    const SegmentTable& t = segments[s];
    const Cohort& c = cohorts.cohorts[s - 1];
    const double y = top + static_cast<double>(s - 1) * row;
    any_incomplete = any_incomplete || !c.complete;
    body += fmt::format("<g class=\"cohort{}\" data-cohort=\"{}\">\n", c.complete ? "" : " incomplete",
                        xml_escape(c.label));
    body += text(0, y + 17, c.complete ? c.label : c.label + " (open)", c.complete ? "" : "font-style=\"italic\"");
    body += text(label_w + leads_w - 8, y + 17, fmt::format("{}", t.stages[0].reached), "class=\"value\"", "end");
    for (std::size_t k = 1; k < stages.size(); ++k) {
      const StageRow& r = t.stages[k];
      const double share = r.overall_conversion.value_or(0.0);
      // White to dark blue by the share of the cohort that reached the stage.
      auto mix = [&](int from, int to) { return static_cast<int>(std::lround(from + (to - from) * share)); };
      const std::string fill = fmt::format("#{:02x}{:02x}{:02x}", mix(0xf4, 0x08), mix(0xf8, 0x51), mix(0xfc, 0x9c));
      const double x = label_w + leads_w + cell * static_cast<double>(k - 1);
      body += fmt::format(
          "<rect class=\"cell\" data-value=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"{}>"
          "<title>{} {}: {} reached, {}</title></rect>\n",
          rate_value(r.overall_conversion), num(x + 1), num(y + 1), num(cell - 2), num(row - 2), fill,
          c.complete ? "" : " fill-opacity=\"0.55\" stroke=\"#555\" stroke-dasharray=\"4 3\"", xml_escape(c.label),
          xml_escape(stage_name(cohorts, k)), r.reached, format_percent(r.overall_conversion));
      body += text(x + cell / 2, y + 17, fmt::format("{} · {}", r.reached, format_percent(r.overall_conversion)),
                   share > 0.5 && c.complete ? "class=\"value\" fill=\"#fff\"" : "class=\"value\"", "middle");
      desc += fmt::format(" {} {}: {} of {} ({}){}.", c.label, stage_name(cohorts, k), r.reached, t.stages[0].reached,
                          format_percent(r.overall_conversion), c.complete ? "" : ", cohort still open");
    }
    body += "</g>\n";
  }
  const double bottom = top + static_cast<double>(segments.size() - 1) * row;
  if (any_incomplete) {
    body += text(
        0, bottom + 18,
        "(open), faded and dashed: the cohort's period had not ended by the as-of time; its numbers can still grow",
        "class=\"note\" font-size=\"11\" fill=\"#444\"");
  }
  return svg("cohorts", bottom + (any_incomplete ? 28 : 8), "Cohorts: conversion from entry by cohort and stage", desc,
             body);
}

std::string trend_svg(const Report& trend) {
  if (trend.kind != ReportKind::trend) throw Error(ExitCode::usage, "--chart trend is drawn by funnel trend");
  const auto& stages = trend.model.stages();
  const Trend& t = trend.trend;
  const double left = 44, legend_w = 150, top = 16, plot_h = 220;
  const double plot_w = kWidth - left - legend_w - 10, base = top + plot_h;
  std::uint64_t most = 1;
  for (const auto& p : t.entered) most = std::max(most, *std::max_element(p.begin(), p.end()));
  // A round top for the axis: 1, 2 or 5 times a power of ten, in four steps.
  auto round_step = [](std::uint64_t v) {
    for (double power = 1;; power *= 10) {
      for (double m : {1.0, 2.0, 5.0}) {
        if (m * power * 4 >= static_cast<double>(v)) return m * power;
      }
    }
  };
  const double step = round_step(most);
  const double ymax = step * 4;
  const std::size_t n = t.periods.size();
  const double dx = n > 1 ? plot_w / static_cast<double>(n - 1) : 0;
  auto px = [&](std::size_t p) { return n > 1 ? left + dx * static_cast<double>(p) : left + plot_w / 2; };
  auto py = [&](std::uint64_t v) { return base - static_cast<double>(v) / ymax * plot_h; };
  std::string body;
  std::string desc = fmt::format("Leads entering each stage per {}.", period_name(trend.every));
  // Periods not over at the as-of time: shaded, their line segments dashed.
  for (std::size_t p = 0; p < n; ++p) {
    if (p < t.complete.size() && t.complete[p]) continue;
    const double x1 = p == 0 ? left : px(p) - dx / 2, x2 = p + 1 == n ? left + plot_w : px(p) + dx / 2;
    body += fmt::format(
        "<rect class=\"incomplete\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#eee\"><title>{}: not over at "
        "the as-of time</title></rect>\n",
        num(x1), num(top), num(std::max(0.0, x2 - x1)), num(plot_h), xml_escape(t.periods[p]));
  }
  for (int g = 0; g <= 4; ++g) {
    const double v = step * g, y = base - v / ymax * plot_h;
    body += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\"/>\n", num(left), num(y),
                        num(left + plot_w), g == 0 ? "#999" : "#e5e5e5");
    body += text(left - 6, y + 4, fmt::format("{:g}", v), "class=\"axis-label\" fill=\"#444\"", "end");
  }
  // Every m-th period label, so labels keep clear of each other.
  std::size_t widest = 1;
  for (const auto& label : t.periods) widest = std::max(widest, chars(label));
  const double need = static_cast<double>(widest) * kFont * 0.62 + 12;
  const std::size_t every = dx > 0 ? static_cast<std::size_t>(std::ceil(need / dx)) : 1;
  for (std::size_t p = 0; p < n; p += std::max<std::size_t>(1, every)) {
    body += text(px(p), base + 16, t.periods[p], "class=\"period-label\"", "middle");
  }
  for (std::size_t k = 0; k < stages.size(); ++k) {
    const char* color = kSeries[k % std::size(kSeries)];
    body += fmt::format("<g class=\"series\" data-stage=\"{}\">\n", xml_escape(stage_name(trend, k)));
    for (std::size_t p = 0; p + 1 < n; ++p) {
      const bool dashed = !(p + 1 < t.complete.size() && t.complete[p + 1]);
      body += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2\"{}/>\n",
                          num(px(p)), num(py(t.entered[p][k])), num(px(p + 1)), num(py(t.entered[p + 1][k])), color,
                          dashed ? " stroke-dasharray=\"5 4\"" : "");
    }
    for (std::size_t p = 0; p < n; ++p) {
      const bool complete = p < t.complete.size() && t.complete[p];
      body += fmt::format(
          "<circle class=\"point\" data-value=\"{}\" cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\" stroke=\"{}\">"
          "<title>{} {}: {}{}</title></circle>\n",
          t.entered[p][k], num(px(p)), num(py(t.entered[p][k])), complete ? color : "#fff", color,
          xml_escape(t.periods[p]), xml_escape(stage_name(trend, k)), t.entered[p][k],
          complete ? "" : " (period not over)");
    }
    const double ly = top + 8 + 20 * static_cast<double>(k);
    body += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" stroke-width=\"2\"/>\n",
                        num(kWidth - legend_w + 6), num(ly - 4), num(kWidth - legend_w + 26), color);
    body += text(kWidth - legend_w + 32, ly, shorten(stage_name(trend, k), 16), "class=\"legend\"");
    body += "</g>\n";
    desc += fmt::format(" {}:", stage_name(trend, k));
    for (std::size_t p = 0; p < n; ++p)
      desc += fmt::format(" {} {}{}", t.periods[p], t.entered[p][k], p + 1 < n ? "," : ".");
  }
  const double note_y = top + 8 + 20 * static_cast<double>(stages.size()) + 10;
  body += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"#eee\" stroke=\"#ccc\"/>\n",
                      num(kWidth - legend_w + 6), num(note_y - 10));
  body += text(kWidth - legend_w + 24, note_y, "not over yet", "class=\"legend\" font-size=\"11\"");
  return svg("trend", base + 26, fmt::format("Leads entering each stage per {}", period_name(trend.every)), desc, body);
}

std::string forecast_svg(const Report& report, const std::vector<ForecastRow>& rows) {
  std::vector<const ForecastRow*> shown;
  bool money = false;
  for (const auto& r : rows) {
    if (r.segment != rows.front().segment || r.stage < 0) continue;
    shown.push_back(&r);
    money = money || r.revenue_high > 0;
  }
  std::size_t label_chars = 8;
  for (const auto* r : shown)
    label_chars = std::max(label_chars, chars(stage_name(report, static_cast<std::size_t>(r->stage))));
  label_chars = std::min<std::size_t>(label_chars, 24);
  const double x0 = static_cast<double>(label_chars) * kFont * 0.62 + 12, right = 260,
               barmax = kWidth - x0 - right - 10;
  const double top = 8;
  double most = 0;
  for (const auto* r : shown) most = std::max(most, money ? r->revenue_high : r->expected_wins);
  const double row = money ? 36 : 24;
  auto w = [&](double v) { return most > 0 ? v / most * barmax : 0.0; };
  std::string body;
  std::string desc = money ? "Expected revenue of the open leads by their furthest stage, with its 95% range."
                           : "Expected wins of the open leads by their furthest stage.";
  for (std::size_t i = 0; i < shown.size(); ++i) {
    const ForecastRow& r = *shown[i];
    const std::string name = stage_name(report, static_cast<std::size_t>(r.stage));
    const double y = top + static_cast<double>(i) * row;
    const double value = money ? r.expected_revenue : r.expected_wins;
    body += text(0, y + 15, shorten(name, label_chars), "class=\"stage-label\"");
    body += bar(x0, y + 4, w(value), 14, "#3182bd", money ? "revenue" : "wins",
                money ? fmt::format("{:.2f}", value) : fmt::format("{:.4f}", value),
                fmt::format("{}: {} open, expected {}", name, r.open,
                            money ? format_money(value) : fmt::format("{:.2f} wins", value)));
    if (money && r.revenue_high > r.revenue_low) {
      const double lo = x0 + w(r.revenue_low), hi = x0 + w(r.revenue_high), mid = y + 11;
      body += fmt::format(
          "<path class=\"whisker\" d=\"M{0} {2}H{1}M{0} {3}V{4}M{1} {3}V{4}\" stroke=\"#222\" stroke-width=\"1.2\" "
          "fill=\"none\"><title>95% range {5} to {6}</title></path>\n",
          num(lo), num(hi), num(mid), num(mid - 5), num(mid + 5), format_money(r.revenue_low),
          format_money(r.revenue_high));
    }
    body += text(x0 + barmax + 10, y + 15,
                 money ? fmt::format("{} · {} open", format_money(value), r.open)
                       : fmt::format("{:.2f} wins · {} open", value, r.open),
                 "class=\"value\"");
    if (money) {
      body += text(x0 + barmax + 10, y + 29,
                   fmt::format("95% range {} to {}", format_money(r.revenue_low), format_money(r.revenue_high)),
                   "class=\"range\" font-size=\"10\" fill=\"#444\"");
    }
    desc +=
        fmt::format(" {}: {} open, {}.", name, r.open, money ? format_money(value) : fmt::format("{:.2f} wins", value));
  }
  return svg("forecast", top + static_cast<double>(shown.size()) * row + 4,
             money ? "Forecast: expected revenue by stage" : "Forecast: expected wins by stage", desc, body);
}

void render_svg(const Report& report, Chart chart, std::ostream& out) {
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  switch (chart) {
    case Chart::funnel: out << funnel_svg(report); return;
    case Chart::segments: out << segments_svg(report); return;
    case Chart::days: out << days_svg(report); return;
    case Chart::cycle: out << cycle_svg(report); return;
    case Chart::cohorts: out << cohorts_svg(report); return;
    case Chart::trend: out << trend_svg(report); return;
  }
}

}  // namespace funnel
