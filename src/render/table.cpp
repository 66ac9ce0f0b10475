#include <algorithm>

#include <fmt/format.h>

#include "funnel/render.h"
#include "funnel/timestamp.h"

namespace funnel {
namespace {

constexpr int kBarWidth = 24;

std::string bar(std::uint64_t value, std::uint64_t max) {
  if (max == 0) return std::string(kBarWidth, ' ');
  // Eighth blocks give the bar sub-character resolution.
  static const char* const eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  auto units = static_cast<std::uint64_t>(static_cast<double>(value) / static_cast<double>(max) * kBarWidth * 8 + 0.5);
  std::string out;
  for (std::uint64_t i = 0; i < units / 8; ++i) out += "█";
  out += eighths[units % 8];
  int used = static_cast<int>(units / 8) + (units % 8 ? 1 : 0);
  out.append(static_cast<std::size_t>(std::max(0, kBarWidth - used)), ' ');
  return out;
}

/// One line per segment: leads, each step conversion (marked * when it differs from the
/// other leads' at p < 0.05), lead-to-won conversion, won and win rate.
void render_segments_side_by_side(const Report& report, std::ostream& out, const char* bold, const char* reset) {
  const auto& stages = report.model.stages();
  const auto& segments = report.tables.segments;
  std::size_t label_width = 7;
  for (const auto& seg : segments) label_width = std::max(label_width, terminal_safe(seg.label).size());
  std::vector<std::string> heads;
  for (std::size_t k = 1; k < stages.size(); ++k) heads.push_back(stages[k - 1].name + "->" + stages[k].name);
  heads.push_back("overall");
  std::string line = fmt::format("{:<{}}  {:>7}", "segment", label_width, "leads");
  for (const auto& h : heads) line += fmt::format("  {:>{}}", terminal_safe(h), std::max<std::size_t>(8, h.size()));
  line += fmt::format("  {:>6}  {:>8}", "won", "win rate");
  out << '\n' << bold << line << reset << '\n';
  bool any_marked = false;
  for (const auto& seg : segments) {
    line = fmt::format("{:<{}}  {:>7}", terminal_safe(seg.label), label_width, seg.overall.leads);
    for (std::size_t k = 1; k <= stages.size(); ++k) {
      const std::size_t width = std::max<std::size_t>(8, heads[k - 1].size());
      if (k == stages.size()) {
        line += fmt::format("  {:>{}}", format_percent(seg.stages.back().overall_conversion), width);
        continue;
      }
      const StageRow& r = seg.stages[k];
      bool marked = r.vs_rest_p && *r.vs_rest_p < 0.05;
      any_marked = any_marked || marked;
      line += fmt::format("  {:>{}}", format_percent(r.step_conversion) + (marked ? "*" : " "), width);
    }
    line += fmt::format("  {:>6}  {:>8}", seg.overall.won, format_percent(seg.overall.win_rate));
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
  if (any_marked) out << "* differs from the other leads at p < 0.05 (two-proportion test)\n";
}

}  // namespace

std::string format_money(const std::optional<double>& value) {
  if (!value) return "-";
  // Thousands grouped with a thin space would not survive every terminal: a comma it is.
  std::string digits = fmt::format("{:.2f}", *value);
  std::size_t dot = digits.find('.');
  std::string out;
  for (std::size_t i = 0; i < dot; ++i) {
    if (i > 0 && (dot - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out + digits.substr(dot);
}

std::string money_line(const Money& m) {
  return fmt::format("money: won revenue {} ({} deals with an amount), average deal {}, median deal {}, "
                     "revenue per lead {}; open pipeline {}, {} open opportunities, sales velocity {} per day",
                     format_money(m.won_revenue), m.won_with_amount, format_money(m.average_deal),
                     format_money(m.median_deal), format_money(m.revenue_per_lead), format_money(m.open_pipeline),
                     m.open_opportunities, format_money(m.sales_velocity));
}

std::string retention_line(const Overall& o) {
  const Retention& r = o.retention;
  std::string line = fmt::format("retention: {} of {} won churned, churn rate {}; lifetime value estimate {} "
                                 "(average deal / churn rate)",
                                 r.churned, o.won, format_percent(r.churn_rate), format_money(r.ltv_estimate));
  if (r.churned_not_won > 0) {
    line += fmt::format("; churn evidence on {} lead{} not won, ignored", r.churned_not_won, r.churned_not_won == 1 ? "" : "s");
  }
  return line;
}

std::string spend_line(const Report& report, const Spend& s) {
  std::string line = fmt::format("spend: cost {}", format_money(s.cost));
  const auto& stages = report.model.stages();
  for (std::size_t k = 0; k < s.per_stage.size() && k < stages.size(); ++k) {
    line += fmt::format(", per {} {}", terminal_safe(stages[k].name), format_money(s.per_stage[k]));
  }
  line += fmt::format("; CAC {}", format_money(s.cac));
  if (s.roi) line += fmt::format(", ROI {}", format_percent(s.roi));
  return line;
}

std::string format_percent(const std::optional<double>& rate) {
  return rate ? fmt::format("{:.1f}%", *rate * 100.0) : std::string("-");
}

std::string format_median_days(const DurationStats& d) {
  return d.count ? fmt::format("{:.2f}", d.median) : "-";
}

std::string section_label(Section s) {
  std::string out(section_name(s));
  for (char& c : out) c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string terminal_safe(std::string_view text) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  return out;
}

void render_table(const Report& report, std::ostream& out, bool color) {
  const auto& stages = report.model.stages();
  const char* bold = color ? "\033[1m" : "";
  const char* tint = color ? "\033[36m" : "";
  const char* reset = color ? "\033[0m" : "";
  std::size_t name_width = 5;
  for (const auto& s : stages) name_width = std::max(name_width, s.name.size());

  // With a breakdown, the full table is for everyone; segments follow side by side.
  const std::size_t full_tables = report.segmented ? 1 : report.tables.segments.size();
  for (std::size_t s = 0; s < full_tables; ++s) {
    const SegmentTable& seg = report.tables.segments[s];
    const Overall& o = seg.overall;
    if (s > 0) out << '\n';
    out << fmt::format("{}{}{}: {} leads, {} won, {} lost, {} open, {} stalled, win rate {}\n", bold,
                       terminal_safe(seg.label), reset, o.leads, o.won, o.lost, o.open, o.stalled,
                       format_percent(o.win_rate));
    out << fmt::format("{}{:<7}{:<{}}  {:>9}  {:<{}}  {:>7}  {:>7}  {:>8}  {:>6}  {:>6}  {:>7}  {:>9}  {:>10}{}\n",
                       bold, "", "stage", name_width, "reached", "", kBarWidth, "step", "overall",
                       "dropped", "lost", "open", "stalled", "days next", "days entry", reset);
    std::uint64_t top = seg.stages.front().reached;
    for (std::size_t k = 0; k < stages.size(); ++k) {
      const StageRow& r = seg.stages[k];
      bool new_section = k == 0 || stages[k].section != stages[k - 1].section;
      std::string section = new_section ? section_label(stages[k].section) : "";
      bool last = k + 1 == stages.size();
      out << fmt::format("{:<7}{:<{}}  {:>9}  {}{}{}  {:>7}  {:>7}  {:>8}  {:>6}  {:>6}  {:>7}  {:>9}  {:>10}\n",
                         section, terminal_safe(stages[k].name), name_width, r.reached, tint,
                         bar(r.reached, top), reset, format_percent(r.step_conversion),
                         format_percent(r.overall_conversion), last ? "-" : fmt::format("{}", r.dropped),
                         last ? "-" : fmt::format("{}", r.lost), last ? "-" : fmt::format("{}", r.open),
                         last ? "-" : fmt::format("{}", r.stalled), format_median_days(r.to_next), format_median_days(r.from_entry));
    }
    std::string flow;
    for (std::size_t i = 0; i < seg.sections.size(); ++i) {
      const SectionRow& sec = seg.sections[i];
      flow += fmt::format("{}{} {}", i ? " -> " : "", section_label(sec.section), sec.reached);
      if (i > 0) flow += fmt::format(" ({})", format_percent(sec.conversion));
    }
    out << "sections: " << flow << '\n';
    if (o.money.present) out << money_line(o.money) << '\n';
    if (o.spend.present) out << spend_line(report, o.spend) << '\n';
    if (o.retention.present) out << retention_line(o) << '\n';
    if (o.cycle.count > 0) {
      out << fmt::format("sales cycle, entry to won: median {:.2f} days, p90 {:.2f}, mean {:.2f} ({} leads)\n",
                         o.cycle.median, o.cycle.p90, o.cycle.mean, o.cycle.count);
      std::uint64_t most = *std::max_element(std::begin(o.cycle_histogram), std::end(o.cycle_histogram));
      for (std::size_t b = 0; b < kCycleBuckets; ++b) {
        std::string range = b + 1 < kCycleBuckets
                                ? fmt::format("{}-{}", b == 0 ? 0 : kCycleEdges[b - 1], kCycleEdges[b])
                                : fmt::format("{}+", kCycleEdges[b - 1]);
        std::string line = fmt::format("  {:>7} days {:>7}  {}{}{}", range, o.cycle_histogram[b], tint,
                                       bar(o.cycle_histogram[b], most), reset);
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out << line << '\n';
      }
    }
  }
  if (report.segmented) render_segments_side_by_side(report, out, bold, reset);
  const InputCounts& in = report.input;
  const DataQuality& q = report.tables.quality;
  std::string reasons;
  for (const auto& [reason, count] : in.reported_by_reason) {
    reasons += fmt::format("{}{}: {}", reasons.empty() ? " (" : ", ", reason, count);
  }
  if (!reasons.empty()) reasons += ")";
  out << fmt::format("\nrows: {} read, {} used, {} reported{}; as of {}\n", in.rows_read, in.rows_used,
                     in.rows_reported, reasons,
                     report.tables.as_of == kNoTime ? "-" : format_timestamp(report.tables.as_of));
  out << fmt::format("paths: {} leads skipped stages, {} repeated a stage, {} regressed, {} have "
                     "time inversions",
                     q.leads_with_skips, q.leads_with_repeats, q.leads_with_regressions,
                     q.leads_with_inversions);
  if (report.options.mode == CountMode::ordered) {
    out << fmt::format(", {} stopped by order", q.leads_out_of_order);
  }
  out << '\n';
}

void render(const Report& report, Format format, std::ostream& out, bool color) {
  if (report.kind == ReportKind::cohorts) return render_cohorts(report, format, out, color);
  if (report.kind == ReportKind::trend) return render_trend(report, format, out, color);
  switch (format) {
    case Format::table: render_table(report, out, color); break;
    case Format::csv: render_delimited(report, out, ','); break;
    case Format::tsv: render_delimited(report, out, '\t'); break;
    case Format::json: render_json(report, out); break;
    case Format::markdown: render_markdown(report, out); break;
  }
}

}  // namespace funnel
