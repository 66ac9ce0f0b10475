#include "funnel/forecast.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "funnel/diagnostics.h"
#include "funnel/render.h"

namespace funnel {

std::vector<ForecastRow> build_forecast(const Report& report) {
  const LeadStore& store = *report.store;
  const int n = report.model.size();
  const bool money = !report.amounts.empty();
  // Segment label of each lead: "(all)" always, and its --by label.
  std::vector<std::string> segments{"(all)"};
  std::map<std::string, std::size_t> index{{"(all)", 0}};
  for (const auto& label : report.labels) {
    if (index.emplace(label, segments.size()).second) segments.push_back(label);
  }
  std::sort(segments.begin() + 1, segments.end());
  for (std::size_t i = 0; i < segments.size(); ++i) index[segments[i]] = i;
  struct Cell {
    std::uint64_t open = 0, closed = 0, won = 0, without_value = 0;
    std::vector<double> values;  // open leads' amounts; NaN: none
    double won_total = 0;
    std::uint64_t won_with_amount = 0;
  };
  std::vector<std::vector<Cell>> cells(segments.size(), std::vector<Cell>(static_cast<std::size_t>(n)));
  std::vector<double> won_sum(segments.size(), 0);
  std::vector<std::uint64_t> won_count(segments.size(), 0);
  for (std::uint32_t lead = 0; lead < store.size(); ++lead) {
    LeadVerdict v = judge_lead(store, lead, report.options, report.tables.as_of);
    if (v.excluded != Exclusion::none) continue;
    const LeadPath& p = v.path;
    std::vector<std::size_t> in{0};
    if (!report.labels.empty()) in.push_back(index[report.labels[store.segment(lead)]]);
    double amount = money ? report.amounts[lead] : std::nan("");
    for (std::size_t s : in) {
      auto& row = cells[s];
      if (p.status == LeadStatus::won || p.status == LeadStatus::lost) {
        for (int k = 0; k <= p.furthest; ++k) {
          ++row[static_cast<std::size_t>(k)].closed;
          row[static_cast<std::size_t>(k)].won += p.status == LeadStatus::won;
        }
        if (p.status == LeadStatus::won && !std::isnan(amount)) {
          won_sum[s] += amount;
          ++won_count[s];
        }
      } else {
        Cell& c = row[static_cast<std::size_t>(p.furthest)];
        ++c.open;
        c.values.push_back(amount);
      }
    }
  }
  std::vector<ForecastRow> out;
  for (std::size_t s = 0; s < segments.size(); ++s) {
    std::optional<double> average;
    if (won_count[s] > 0) average = won_sum[s] / static_cast<double>(won_count[s]);
    ForecastRow total;
    total.segment = segments[s];
    total.stage = -1;
    for (int k = 0; k + 1 < n; ++k) {
      const Cell& c = cells[s][static_cast<std::size_t>(k)];
      ForecastRow r;
      r.segment = segments[s];
      r.stage = k;
      r.open = c.open;
      r.closed = c.closed;
      r.won = c.won;
      if (c.closed > 0) {
        r.probability = static_cast<double>(c.won) / static_cast<double>(c.closed);
        r.interval = wilson(c.won, c.closed);
      }
      double value_sum = 0;
      for (double a : c.values) {
        if (std::isnan(a)) {
          ++r.without_value;
          if (average) value_sum += *average;
        } else {
          value_sum += a;
        }
      }
      if (r.probability) {
        r.expected_wins = *r.probability * static_cast<double>(c.open);
        r.expected_revenue = *r.probability * value_sum;
        r.revenue_low = r.interval->low * value_sum;
        r.revenue_high = r.interval->high * value_sum;
      }
      total.open += r.open;
      total.without_value += r.without_value;
      total.expected_wins += r.expected_wins;
      total.expected_revenue += r.expected_revenue;
      total.revenue_low += r.revenue_low;
      total.revenue_high += r.revenue_high;
      out.push_back(r);
    }
    out.push_back(total);
  }
  return out;
}

void render_forecast(const Report& report, const std::vector<ForecastRow>& rows, const std::string& format,
                     std::ostream& out) {
  const auto& stages = report.model.stages();
  auto stage_name = [&](int k) { return k < 0 ? std::string("(total)") : stages[static_cast<std::size_t>(k)].name; };
  auto rate = [](const std::optional<double>& x) { return x ? fmt::format("{:.6f}", *x) : std::string(); };
  if (format == "csv") {
    out << "segment,stage,open,closed,won,p_won,p_won_low,p_won_high,without_value,expected_wins,expected_revenue,"
           "expected_revenue_low,expected_revenue_high\n";
    for (const auto& r : rows) {
      out << text_cell(r.segment, ',') << ',' << text_cell(stage_name(r.stage), ',') << ',' << r.open << ','
          << (r.stage < 0 ? "" : std::to_string(r.closed)) << ',' << (r.stage < 0 ? "" : std::to_string(r.won)) << ','
          << rate(r.probability) << ',' << rate(r.interval ? std::optional<double>(r.interval->low) : std::nullopt) << ','
          << rate(r.interval ? std::optional<double>(r.interval->high) : std::nullopt) << ',' << r.without_value << ','
          << fmt::format("{:.4f},{:.2f},{:.2f},{:.2f}", r.expected_wins, r.expected_revenue, r.revenue_low, r.revenue_high)
          << '\n';
    }
    return;
  }
  if (format == "json") {
    out << "{\"schema_version\": " << kSchemaVersion << ", \"rows\": [";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      out << (i ? ",\n  " : "\n  ") << "{\"segment\": " << json_quote(r.segment) << ", \"stage\": "
          << (r.stage < 0 ? std::string("null") : json_quote(stage_name(r.stage))) << ", \"open\": " << r.open
          << ", \"closed\": " << r.closed << ", \"won\": " << r.won << ", \"p_won\": "
          << (r.probability ? fmt::format("{:.6f}", *r.probability) : "null") << ", \"p_won_ci\": "
          << (r.interval ? fmt::format("[{:.6f}, {:.6f}]", r.interval->low, r.interval->high) : "null")
          << ", \"without_value\": " << r.without_value
          << fmt::format(", \"expected_wins\": {:.4f}, \"expected_revenue\": {:.2f}, \"expected_revenue_ci\": [{:.2f}, {:.2f}]}}",
                         r.expected_wins, r.expected_revenue, r.revenue_low, r.revenue_high);
    }
    out << "\n]}\n";
    return;
  }
  if (format != "table") {
    throw Error(ExitCode::usage, fmt::format("unknown --format '{}' (table, csv, json){}", format,
                                             did_you_mean(format, {"table", "csv", "json"})));
  }
  std::size_t seg_w = 7, stage_w = 7;
  for (const auto& r : rows) seg_w = std::max(seg_w, terminal_safe(r.segment).size());
  for (const auto& s : stages) stage_w = std::max(stage_w, s.name.size());
  out << fmt::format("{:<{}}  {:<{}}  {:>6}  {:>15}  {:>18}  {:>9}  {:>14}  {:>29}\n", "segment", seg_w, "stage", stage_w,
                     "open", "P(won | stage)", "95% CI", "exp. wins", "exp. revenue", "95% CI");
  for (const auto& r : rows) {
    std::string p = r.probability ? fmt::format("{} ({}/{})", format_percent(r.probability), r.won, r.closed) : "-";
    std::string ci = r.interval ? fmt::format("{}-{}", format_percent(r.interval->low), format_percent(r.interval->high)) : "-";
    if (r.stage < 0) p = ci = "";
    out << fmt::format("{:<{}}  {:<{}}  {:>6}  {:>15}  {:>18}  {:>9.2f}  {:>14}  {:>29}\n", terminal_safe(r.segment), seg_w,
                       terminal_safe(stage_name(r.stage)), stage_w, r.open, p, ci, r.expected_wins,
                       format_money(r.expected_revenue),
                       format_money(r.revenue_low) + " - " + format_money(r.revenue_high));
  }
  out << "P(won | stage): won / closed (won or lost) among leads that reached the stage; open leads without an amount\n"
         "count at the average won deal\n";
}

}  // namespace funnel
