#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "funnel/charts.h"
#include "funnel/render.h"
#include "funnel/timestamp.h"

namespace funnel {
namespace {

constexpr int kBarWidth = 24;

/// A bar of `value` out of `max`, padded to `width` columns: eighth blocks give it
/// sub-character resolution; ASCII bars are whole '#' characters.
std::string bar(std::uint64_t value, std::uint64_t max, int width = kBarWidth, bool ascii = false) {
  if (max == 0) return std::string(static_cast<std::size_t>(width), ' ');
  static const char* const eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  const int per = ascii ? 1 : 8;
  auto units = static_cast<std::uint64_t>(static_cast<double>(value) / static_cast<double>(max) * width * per + 0.5);
  std::string out;
  for (std::uint64_t i = 0; i < units / static_cast<std::uint64_t>(per); ++i) out += ascii ? "#" : "█";
  if (!ascii) out += eighths[units % 8];
  int used = static_cast<int>(units / static_cast<std::uint64_t>(per)) + (!ascii && units % 8 ? 1 : 0);
  out.append(static_cast<std::size_t>(std::max(0, width - used)), ' ');
  return out;
}

/// Display columns of a cell (code points; the cells are names and numbers).
std::size_t columns_of(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

/// A column of a table laid out to fit a width.
struct Column {
  std::string head, short_head;  ///< short_head: the abbreviation used when the full heads do not fit
  std::vector<std::string> cells;
  bool left = false;
  std::vector<std::uint64_t> bar_values;  ///< a bar column: drawn at the width left over
  std::uint64_t bar_max = 0;
};

/// Lays a table out in at most `width` columns, two spaces between columns, and never wraps a
/// row: first the bar column narrows (down to 8) or goes, then the heads are abbreviated, then
/// columns are left out from the right (named in `left_out`).
std::vector<std::string> fit_columns(std::vector<Column> cols, std::size_t width, const TextLayout& layout,
                                     const char* bold, const char* tint, const char* reset,
                                     std::vector<std::string>& left_out) {
  auto measure = [&](const Column& c, bool abbreviated) {
    std::size_t w = columns_of(abbreviated ? c.short_head : c.head);
    for (const auto& cell : c.cells) w = std::max(w, columns_of(cell));
    return w;
  };
  auto total = [&](bool abbreviated) {
    std::size_t sum = 0, n = 0;
    for (const auto& c : cols) {
      if (!c.bar_values.empty()) continue;
      sum += measure(c, abbreviated);
      ++n;
    }
    return sum + 2 * (n - 1);
  };
  bool abbreviated = false;
  std::size_t bar_width = 0;
  const bool has_bar = std::any_of(cols.begin(), cols.end(), [](const Column& c) { return !c.bar_values.empty(); });
  if (has_bar && total(false) + 2 + 8 <= width) {
    bar_width = std::min<std::size_t>(kBarWidth, width - total(false) - 2);
  } else {
    abbreviated = total(false) > width;
    while (total(abbreviated) > width && cols.size() > 2) {
      left_out.push_back(cols.back().head);
      cols.pop_back();
    }
  }
  std::vector<std::string> lines(cols.front().cells.size() + 1);
  for (std::size_t i = 0; i < cols.size(); ++i) {
    const Column& c = cols[i];
    const bool is_bar = !c.bar_values.empty();
    if (is_bar && bar_width == 0) continue;
    const std::size_t w = is_bar ? bar_width : measure(c, abbreviated);
    auto pad = [&](const std::string& cell) {
      std::string space(w - std::min(w, columns_of(cell)), ' ');
      return c.left ? cell + space : space + cell;
    };
    for (std::size_t r = 0; r < lines.size(); ++r) {
      if (i > 0) lines[r] += "  ";
      if (is_bar) {
        lines[r] +=
            r == 0 ? std::string(w, ' ')
                   : std::string(tint) + bar(c.bar_values[r - 1], c.bar_max, static_cast<int>(w), layout.ascii) + reset;
      } else {
        lines[r] += pad(r == 0 ? (abbreviated ? c.short_head : c.head) : c.cells[r - 1]);
      }
    }
  }
  for (auto& line : lines) {
    while (!line.empty() && line.back() == ' ') line.pop_back();
  }
  lines.front() = bold + lines.front() + reset;
  return lines;
}

/// The line naming the columns a narrow terminal left out.
std::string left_out_line(const std::vector<std::string>& left_out, std::size_t width) {
  std::string names;
  for (auto it = left_out.rbegin(); it != left_out.rend(); ++it) names += (names.empty() ? "" : ", ") + *it;
  return fmt::format("(not shown in {} columns: {}; -f csv has every column)\n", width, names);
}

/// One line per segment: leads, each step conversion (marked * when it differs from the
/// other leads' at p < 0.05), lead-to-won conversion, won and win rate.
void render_segments_side_by_side(const Report& report, std::ostream& out, const char* bold, const char* reset,
                                  const TextLayout& layout) {
  const auto& stages = report.model.stages();
  const auto& segments = report.tables.segments;
  std::size_t label_width = 7;
  for (const auto& seg : segments) label_width = std::max(label_width, terminal_safe(seg.label).size());
  std::vector<std::string> heads;
  for (std::size_t k = 1; k < stages.size(); ++k) heads.push_back(stages[k - 1].name + "->" + stages[k].name);
  heads.push_back("overall");
  std::size_t full_width = label_width + 9 + 18;
  for (const auto& h : heads) full_width += 2 + std::max<std::size_t>(8, h.size());
  if (layout.width > 0 && full_width > layout.width) {
    // Too wide for the terminal: the same cells in columns as narrow as they allow.
    std::vector<Column> cols{{"segment", "segment", {}, true, {}, 0}, {"leads", "leads", {}, false, {}, 0}};
    auto abbreviation = [](const std::string& name) {
      return terminal_safe(name.substr(0, std::min<std::size_t>(4, name.size())));
    };
    for (std::size_t k = 1; k < stages.size(); ++k) {
      cols.push_back({terminal_safe(heads[k - 1]),
                      abbreviation(stages[k - 1].name) + ">" + abbreviation(stages[k].name),
                      {},
                      false,
                      {},
                      0});
    }
    cols.push_back({"overall", "overall", {}, false, {}, 0});
    cols.push_back({"won", "won", {}, false, {}, 0});
    cols.push_back({"win rate", "win", {}, false, {}, 0});
    bool marks = false;
    for (const auto& seg : segments) {
      std::size_t c = 0;
      cols[c++].cells.push_back(terminal_safe(seg.label));
      cols[c++].cells.push_back(fmt::format("{}", seg.overall.leads));
      for (std::size_t k = 1; k < stages.size(); ++k) {
        const StageRow& r = seg.stages[k];
        bool marked = r.vs_rest_p && *r.vs_rest_p < 0.05;
        marks = marks || marked;
        cols[c++].cells.push_back(format_percent(r.step_conversion) + (marked ? "*" : " "));
      }
      cols[c++].cells.push_back(format_percent(seg.stages.back().overall_conversion));
      cols[c++].cells.push_back(fmt::format("{}", seg.overall.won));
      cols[c++].cells.push_back(format_percent(seg.overall.win_rate));
    }
    std::vector<std::string> left_out;
    out << '\n';
    for (const auto& line : fit_columns(std::move(cols), layout.width, layout, bold, "", reset, left_out))
      out << line << '\n';
    if (!left_out.empty()) out << left_out_line(left_out, layout.width);
    if (marks) out << "* differs from the other leads at p < 0.05 (two-proportion test)\n";
    return;
  }
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

/// The stage table of a segment in a terminal narrower than its full layout.
void narrow_stages(const Report& report, const SegmentTable& seg, const TextLayout& layout, const char* bold,
                   const char* tint, const char* reset, std::ostream& out) {
  const auto& stages = report.model.stages();
  std::vector<Column> cols{{"", "", {}, true, {}, 0},
                           {"stage", "stage", {}, true, {}, 0},
                           {"reached", "reach", {}, false, {}, 0},
                           {"", "", {}, false, {}, seg.stages.front().reached},
                           {"step", "step", {}, false, {}, 0},
                           {"overall", "total", {}, false, {}, 0},
                           {"dropped", "drop", {}, false, {}, 0},
                           {"lost", "lost", {}, false, {}, 0},
                           {"open", "open", {}, false, {}, 0},
                           {"stalled", "stall", {}, false, {}, 0},
                           {"days next", "d.next", {}, false, {}, 0},
                           {"days entry", "d.entry", {}, false, {}, 0}};
  for (std::size_t k = 0; k < stages.size(); ++k) {
    const StageRow& r = seg.stages[k];
    const bool last = k + 1 == stages.size();
    const bool new_section = k == 0 || stages[k].section != stages[k - 1].section;
    std::vector<std::string> cells{new_section ? section_label(stages[k].section) : "",
                                   terminal_safe(stages[k].name),
                                   fmt::format("{}", r.reached),
                                   "",
                                   format_percent(r.step_conversion),
                                   format_percent(r.overall_conversion),
                                   last ? "-" : fmt::format("{}", r.dropped),
                                   last ? "-" : fmt::format("{}", r.lost),
                                   last ? "-" : fmt::format("{}", r.open),
                                   last ? "-" : fmt::format("{}", r.stalled),
                                   format_median_days(r.to_next),
                                   format_median_days(r.from_entry)};
    for (std::size_t c = 0; c < cols.size(); ++c) cols[c].cells.push_back(cells[c]);
    cols[3].bar_values.push_back(r.reached);
  }
  std::vector<std::string> left_out;
  for (const auto& line : fit_columns(std::move(cols), layout.width, layout, bold, tint, reset, left_out))
    out << line << '\n';
  if (!left_out.empty()) out << left_out_line(left_out, layout.width);
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
  return fmt::format(
      "money: won revenue {} ({} deals with an amount), average deal {}, median deal {}, "
      "revenue per lead {}; open pipeline {}, {} open opportunities, sales velocity {} per day",
      format_money(m.won_revenue), m.won_with_amount, format_money(m.average_deal), format_money(m.median_deal),
      format_money(m.revenue_per_lead), format_money(m.open_pipeline), m.open_opportunities,
      format_money(m.sales_velocity));
}

std::string retention_line(const Overall& o) {
  const Retention& r = o.retention;
  std::string line = fmt::format(
      "retention: {} of {} won churned, churn rate {}; lifetime value estimate {} "
      "(average deal / churn rate)",
      r.churned, o.won, format_percent(r.churn_rate), format_money(r.ltv_estimate));
  if (r.churned_not_won > 0) {
    line += fmt::format("; churn evidence on {} lead{} not won, ignored", r.churned_not_won,
                        r.churned_not_won == 1 ? "" : "s");
  }
  return line;
}

std::string lost_undefined_line() {
  return "lost is undefined (no lost value, status or closed flag in the data): no win rate\n"
         "  give --lost VALUE, or --lost-after DURATION to close quiet leads as lost";
}

std::string cycle_left_out(const Overall& o) {
  std::string text;
  auto add = [&](std::uint64_t n, std::string_view what) {
    if (n > 0) text += fmt::format("{}{} {}", text.empty() ? "" : ", ", n, what);
  };
  add(o.cycle_without_entry, "with no time before the last stage");
  add(o.cycle_inverted, "won before their entry");
  return text;
}

std::string cycle_line(const Overall& o) {
  const std::string left_out = cycle_left_out(o);
  if (o.cycle.count == 0) {
    if (left_out.empty()) return {};
    return fmt::format("sales cycle, entry to won: not measured; won leads left out: {}", left_out);
  }
  return fmt::format("sales cycle, entry to won: median {:.2f} days, p90 {:.2f}, mean {:.2f} ({} leads{})",
                     o.cycle.median, o.cycle.p90, o.cycle.mean, o.cycle.count,
                     left_out.empty() ? "" : "; left out: " + left_out);
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

std::string format_median_days(const DurationStats& d) { return d.count ? fmt::format("{:.2f}", d.median) : "-"; }

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

namespace {

/// A join's data quality: each file's rows, then each fault with its count and first lines.
void render_joins(const InputCounts& in, std::ostream& out) {
  std::string files;
  for (const FileCounts& f : in.per_file) {
    files += fmt::format("{}{} ({}) {} read, {} used, {} reported", files.empty() ? "" : "; ", f.file, f.role,
                         f.rows_read, f.rows_used, f.rows_reported);
  }
  out << "files: " << files << '\n';
  auto named = [](std::uint64_t count, const std::vector<SourceLine>& lines) {
    std::string text;
    for (const SourceLine& l : lines) text += fmt::format("{}{}:{}", text.empty() ? "" : ", ", l.file, l.line);
    return count > lines.size() ? text + ", ..." : text;
  };
  std::vector<std::string> faults;
  auto add = [&](std::uint64_t count, std::string_view what, const std::string& lines) {
    if (count > 0) faults.push_back(fmt::format("{}: {} ({})", what, count, lines));
  };
  for (const char* reason : {"unknown lead id", "linked to no lead"}) {
    auto it = in.reported_by_reason.find(reason);
    if (it == in.reported_by_reason.end()) continue;
    auto lines = in.first_reported.find(reason);
    add(it->second,
        reason == std::string_view("unknown lead id") ? "rows about unknown lead ids" : "rows linked to no lead",
        named(it->second, lines == in.first_reported.end() ? std::vector<SourceLine>{} : lines->second));
  }
  add(in.dangling_links, "link cells naming no row", named(in.dangling_links, in.first_dangling));
  add(in.unknown_list_ids, "listed ids naming no lead", named(in.unknown_list_ids, in.first_unknown_list_ids));
  for (const LookupFaults& f : in.lookups) {
    add(f.misses, fmt::format("{} keys matching no row of {}", f.key, f.file), named(f.misses, f.first_misses));
    auto file_lines = [&f](const std::vector<std::uint64_t>& lines) {
      std::vector<SourceLine> all;
      for (std::uint64_t line : lines) all.push_back({f.file, line});
      return all;
    };
    add(f.duplicates, fmt::format("repeated {} keys in {}", f.key, f.file),
        named(f.duplicates, file_lines(f.first_duplicates)));
    add(f.empty_keys, fmt::format("empty {} keys in {}", f.key, f.file),
        named(f.empty_keys, file_lines(f.first_empty)));
  }
  out << "joins: " << (faults.empty() ? std::string("no faults") : fmt::format("{}", fmt::join(faults, "; "))) << '\n';
}

}  // namespace

void render_table(const Report& report, std::ostream& out, bool color, const TextLayout& layout) {
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
    if (s == 0 && !report.tables.quality.lost_defined) out << lost_undefined_line() << '\n';
    if (layout.width > 0 && name_width + 120 > layout.width) {
      narrow_stages(report, seg, layout, bold, tint, reset, out);
    } else {
      out << fmt::format("{}{:<7}{:<{}}  {:>9}  {:<{}}  {:>7}  {:>7}  {:>8}  {:>6}  {:>6}  {:>7}  {:>9}  {:>10}{}\n",
                         bold, "", "stage", name_width, "reached", "", kBarWidth, "step", "overall", "dropped", "lost",
                         "open", "stalled", "days next", "days entry", reset);
      std::uint64_t top = seg.stages.front().reached;
      for (std::size_t k = 0; k < stages.size(); ++k) {
        const StageRow& r = seg.stages[k];
        bool new_section = k == 0 || stages[k].section != stages[k - 1].section;
        std::string section = new_section ? section_label(stages[k].section) : "";
        bool last = k + 1 == stages.size();
        out << fmt::format("{:<7}{:<{}}  {:>9}  {}{}{}  {:>7}  {:>7}  {:>8}  {:>6}  {:>6}  {:>7}  {:>9}  {:>10}\n",
                           section, terminal_safe(stages[k].name), name_width, r.reached, tint,
                           bar(r.reached, top, kBarWidth, layout.ascii), reset, format_percent(r.step_conversion),
                           format_percent(r.overall_conversion), last ? "-" : fmt::format("{}", r.dropped),
                           last ? "-" : fmt::format("{}", r.lost), last ? "-" : fmt::format("{}", r.open),
                           last ? "-" : fmt::format("{}", r.stalled), format_median_days(r.to_next),
                           format_median_days(r.from_entry));
      }
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
    if (const std::string line = cycle_line(o); !line.empty()) out << line << '\n';
    if (o.cycle.count > 0) {
      std::uint64_t most = *std::max_element(std::begin(o.cycle_histogram), std::end(o.cycle_histogram));
      for (std::size_t b = 0; b < kCycleBuckets; ++b) {
        std::string range = b + 1 < kCycleBuckets
                                ? fmt::format("{}-{}", b == 0 ? 0 : kCycleEdges[b - 1], kCycleEdges[b])
                                : fmt::format("{}+", kCycleEdges[b - 1]);
        std::string line = fmt::format("  {:>7} days {:>7}  {}{}{}", range, o.cycle_histogram[b], tint,
                                       bar(o.cycle_histogram[b], most, kBarWidth, layout.ascii), reset);
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out << line << '\n';
      }
    }
  }
  if (report.segmented) render_segments_side_by_side(report, out, bold, reset, layout);
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
  if (in.joined) render_joins(in, out);
  out << fmt::format(
      "paths: {} leads skipped stages, {} repeated a stage, {} regressed, {} have "
      "time inversions",
      q.leads_with_skips, q.leads_with_repeats, q.leads_with_regressions, q.leads_with_inversions);
  if (report.options.mode == CountMode::ordered) {
    out << fmt::format(", {} stopped by order", q.leads_out_of_order);
  }
  if (q.won_without_entry > 0) out << fmt::format(", {} won with no time before the last stage", q.won_without_entry);
  if (q.won_before_entry > 0) out << fmt::format(", {} won before their entry", q.won_before_entry);
  if (report.options.lost_after > 0)
    out << fmt::format(", {} lost by --lost-after {:g} days", q.lost_by_inactivity,
                       static_cast<double>(report.options.lost_after) / 86400.0);
  out << '\n';
  if (report.options.where) out << fmt::format("--where: {} leads left out\n", q.leads_filtered);
}

void render(const Report& report, Format format, std::ostream& out, bool color, const TextLayout& layout) {
  if (format == Format::html) return render_html(report, nullptr, nullptr, out);
  if (format == Format::svg) {
    return render_svg(report,
                      report.kind == ReportKind::cohorts ? Chart::cohorts
                      : report.kind == ReportKind::trend ? Chart::trend
                                                         : Chart::funnel,
                      out);
  }
  if (report.kind == ReportKind::cohorts) return render_cohorts(report, format, out, color);
  if (report.kind == ReportKind::trend) return render_trend(report, format, out, color);
  switch (format) {
    case Format::table: render_table(report, out, color, layout); break;
    case Format::html:
    case Format::svg: break;  // above
    case Format::csv: render_delimited(report, out, ','); break;
    case Format::tsv: render_delimited(report, out, '\t'); break;
    case Format::json: render_json(report, out); break;
    case Format::markdown: render_markdown(report, out); break;
  }
}

}  // namespace funnel
