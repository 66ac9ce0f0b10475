#include <fmt/format.h>

#include "funnel/render.h"

namespace funnel {

void render_markdown(const Report& report, std::ostream& out) {
  const auto& stages = report.model.stages();
  auto cell = [](std::string_view text) {
    std::string s;
    for (char c : terminal_safe(text)) {
      if (c == '|') s += '\\';
      s += c;
    }
    return s;
  };
  for (std::size_t s = 0; s < report.tables.segments.size(); ++s) {
    const SegmentTable& seg = report.tables.segments[s];
    const Overall& o = seg.overall;
    if (s > 0) out << '\n';
    out << fmt::format("### {}\n\n{} leads, {} won, {} lost, {} open, {} stalled, win rate {}\n\n", cell(seg.label),
                       o.leads, o.won, o.lost, o.open, o.stalled, format_percent(o.win_rate));
    if (s == 0 && !report.tables.quality.lost_defined) {
      std::string note = lost_undefined_line();
      note.replace(note.find('\n'), 3, "; ");  // one paragraph
      out << note << "\n\n";
    }
    out << "| section | stage | reached | step | overall | dropped | lost | open | stalled | days to next (median) | "
           "days from entry (median) |\n";
    out << "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
    for (std::size_t k = 0; k < stages.size(); ++k) {
      const StageRow& r = seg.stages[k];
      bool last = k + 1 == stages.size();
      auto count = [&](std::uint64_t v) { return last ? std::string("-") : fmt::format("{}", v); };
      out << fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", section_label(stages[k].section),
                         cell(stages[k].name), r.reached, format_percent(r.step_conversion),
                         format_percent(r.overall_conversion), count(r.dropped), count(r.lost), count(r.open),
                         count(r.stalled), format_median_days(r.to_next), format_median_days(r.from_entry));
    }
    if (o.money.present) out << '\n' << money_line(o.money) << '\n';
    if (o.spend.present) out << '\n' << spend_line(report, o.spend) << '\n';
    if (o.retention.present) out << '\n' << retention_line(o) << '\n';
  }
}

}  // namespace funnel
