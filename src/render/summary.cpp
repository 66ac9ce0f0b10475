// funnel summary in every format: one row per segment. Only formatting: the figures are
// SummaryRow's (summary.h), which reads them from the report's tables.
#include <fmt/format.h>

#include "funnel/render.h"
#include "funnel/summary.h"

namespace funnel {
namespace {

/// A count, or empty when the figure does not exist.
std::string count_cell(const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : std::string(); }
std::string money_cell(const std::optional<double>& v) { return v ? fmt::format("{:.2f}", *v) : std::string(); }
std::string days_cell(const std::optional<double>& v) { return v ? fmt::format("{:.4f}", *v) : std::string(); }

/// The figures of a row as the CSV writes them, in column order (segment first).
std::vector<std::string> csv_cells(const SummaryRow& r) {
  return {r.segment,
          std::to_string(r.leads),
          std::to_string(r.won),
          std::to_string(r.lost),
          std::to_string(r.open),
          std::to_string(r.stalled),
          format_rate(r.win_rate),
          format_rate(r.conversion),
          money_cell(r.revenue),
          money_cell(r.avg_won_deal),
          days_cell(r.cycle_median),
          days_cell(r.cycle_mean),
          money_cell(r.cost),
          money_cell(r.cost_per_lead),
          money_cell(r.cac),
          format_rate(r.roi),
          count_cell(r.churned),
          format_rate(r.churn_rate),
          money_cell(r.ltv)};
}

/// The columns a table or Markdown shows: the counts and rates always, money, spend and
/// churn only when the data has them (CSV and JSON always have every column).
struct Shown {
  std::vector<std::string> headings;
  std::vector<bool> right;  ///< right-aligned
};

Shown shown_columns(const Summary& s) {
  Shown out;
  auto add = [&](std::string heading, bool right = true) {
    out.headings.push_back(std::move(heading));
    out.right.push_back(right);
  };
  add("segment", false);
  for (const char* h : {"leads", "won", "lost", "open", "stalled", "win rate", "conversion"}) add(h);
  if (s.money) {
    add("revenue");
    add("avg won deal");
  }
  add("cycle median");
  add("cycle mean");
  if (s.spend) {
    for (const char* h : {"cost", "cost/lead", "CAC", "ROI"}) add(h);
  }
  if (s.retention) {
    for (const char* h : {"churned", "churn rate", "LTV"}) add(h);
  }
  return out;
}

/// A row as the table and Markdown show it: percentages, grouped money, days with 2 decimals.
std::vector<std::string> display_cells(const Summary& s, const SummaryRow& r) {
  auto days = [](const std::optional<double>& v) { return v ? fmt::format("{:.2f}", *v) : std::string("-"); };
  std::vector<std::string> cells{terminal_safe(r.segment),   std::to_string(r.leads),     std::to_string(r.won),
                                 std::to_string(r.lost),     std::to_string(r.open),      std::to_string(r.stalled),
                                 format_percent(r.win_rate), format_percent(r.conversion)};
  if (s.money) {
    cells.push_back(format_money(r.revenue));
    cells.push_back(format_money(r.avg_won_deal));
  }
  cells.push_back(days(r.cycle_median));
  cells.push_back(days(r.cycle_mean));
  if (s.spend) {
    for (const auto* v : {&r.cost, &r.cost_per_lead, &r.cac}) cells.push_back(format_money(*v));
    cells.push_back(format_percent(r.roi));
  }
  if (s.retention) {
    cells.push_back(r.churned ? std::to_string(*r.churned) : "-");
    cells.push_back(format_percent(r.churn_rate));
    cells.push_back(format_money(r.ltv));
  }
  return cells;
}

/// The line under the table and Markdown that says what --where left out.
std::string filtered_line(const Summary& s) {
  return s.leads_filtered > 0 ? fmt::format("{} leads left out by --where\n", s.leads_filtered) : std::string();
}

void render_summary_table(const Summary& s, std::ostream& out, bool color) {
  const Shown shown = shown_columns(s);
  std::vector<std::vector<std::string>> rows;
  for (const SummaryRow& r : s.rows) rows.push_back(display_cells(s, r));
  std::vector<std::size_t> width(shown.headings.size());
  auto text_width = [](const std::string& t) {
    std::size_t n = 0;
    for (char c : t) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // code points: labels may be UTF-8
    return n;
  };
  for (std::size_t c = 0; c < width.size(); ++c) {
    width[c] = text_width(shown.headings[c]);
    for (const auto& row : rows) width[c] = std::max(width[c], text_width(row[c]));
  }
  auto line = [&](const std::vector<std::string>& cells, bool bold) {
    std::string text;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(width[c] - text_width(cells[c]), ' ');
      if (c > 0) text += "  ";
      text += shown.right[c] ? pad + cells[c] : cells[c] + pad;
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << (bold && color ? "\x1b[1m" : "") << text << (bold && color ? "\x1b[0m" : "") << '\n';
  };
  line(shown.headings, true);
  for (std::size_t i = 0; i < rows.size(); ++i) line(rows[i], i == 0);
  out << filtered_line(s);
}

void render_summary_markdown(const Summary& s, std::ostream& out) {
  const Shown shown = shown_columns(s);
  auto cell = [](std::string text) {
    std::string escaped;
    for (char c : text) {
      if (c == '|') escaped += '\\';
      escaped += c;
    }
    return escaped;
  };
  out << '|';
  for (const auto& h : shown.headings) out << ' ' << h << " |";
  out << "\n|";
  for (bool right : shown.right) out << (right ? "--:|" : "---|");
  out << '\n';
  for (const SummaryRow& r : s.rows) {
    out << '|';
    for (const auto& c : display_cells(s, r)) out << ' ' << cell(c) << " |";
    out << '\n';
  }
  if (s.leads_filtered > 0) out << '\n' << filtered_line(s);
}

void render_summary_delimited(const Summary& s, std::ostream& out, char separator) {
  out << summary_header(separator) << '\n';
  for (const SummaryRow& r : s.rows) {
    const std::vector<std::string> cells = csv_cells(r);
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) out << separator;
      out << (c == 0 ? text_cell(cells[c], separator) : cells[c]);
    }
    out << '\n';
  }
}

void render_summary_json(const Summary& s, std::ostream& out) {
  JsonWriter w(out);
  w.begin_object(JsonWriter::lines).member("schema_version", kSchemaVersion);
  w.key("by").begin_array();
  for (const auto& b : s.by) w.string(b);
  w.end_array();
  w.member("leads_left_out_by_where", s.leads_filtered);
  w.key("segments").begin_array(JsonWriter::lines);
  for (const SummaryRow& r : s.rows) {
    w.begin_object().member("segment", r.segment).key("values").begin_array();
    for (const auto& v : r.values) w.string(v);
    w.end_array();
    w.member("leads", r.leads).member("won", r.won).member("lost", r.lost).member("open", r.open);
    w.member("stalled", r.stalled).key("win_rate").fixed(r.win_rate, 6).key("conversion").fixed(r.conversion, 6);
    w.key("revenue").fixed(r.revenue, 2).key("avg_won_deal").fixed(r.avg_won_deal, 2);
    w.key("cycle_days_median").fixed(r.cycle_median, 4).key("cycle_days_mean").fixed(r.cycle_mean, 4);
    w.key("cost").fixed(r.cost, 2).key("cost_per_lead").fixed(r.cost_per_lead, 2).key("cac").fixed(r.cac, 2);
    w.key("roi").fixed(r.roi, 6);
    if (r.churned) {
      w.member("churned", *r.churned);
    } else {
      w.key("churned").null();
    }
    w.key("churn_rate").fixed(r.churn_rate, 6).key("ltv").fixed(r.ltv, 2).end_object();
  }
  w.end_array().end_object().finish();
}

}  // namespace

void render_summary(const Summary& summary, Format format, std::ostream& out, bool color) {
  switch (format) {
    case Format::table: render_summary_table(summary, out, color); break;
    case Format::csv: render_summary_delimited(summary, out, ','); break;
    case Format::tsv: render_summary_delimited(summary, out, '\t'); break;
    case Format::json: render_summary_json(summary, out); break;
    case Format::markdown: render_summary_markdown(summary, out); break;
    case Format::html:
    case Format::svg: break;  // not offered by funnel summary
  }
}

}  // namespace funnel
