#include <fmt/format.h>

#include "funnel/render.h"

namespace funnel {

std::string formula_safe(std::string_view text) {
  std::string cell;
  if (!text.empty() &&
      (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' || text[0] == '\t' || text[0] == '\r')) {
    cell += '\'';
  }
  cell += text;
  return cell;
}

std::string text_cell(std::string_view text, char separator) {
  std::string cell = formula_safe(text);
  if (separator == '\t') {
    for (char& c : cell) {
      if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    }
    return cell;
  }
  bool quote = cell != text || cell.find_first_of(",\"\r\n") != std::string::npos;
  if (!quote) return cell;
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string_view csv_header() {
  return "segment,stage,section,reached,step_conversion,overall_conversion,dropped,lost,open,"
         "stalled,days_to_next_median,days_to_next_p90,days_to_next_mean,days_from_entry_median,"
         "days_from_entry_p90,days_from_entry_mean,step_ci_low,step_ci_high,vs_rest_p";
}

void render_delimited(const Report& report, std::ostream& out, char separator) {
  // Retention columns only when the data can say a customer churned, filled on the won stage's row.
  const bool retention = report.tables.segments.front().overall.retention.present;
  std::string header(csv_header());
  if (retention) header += ",churned,churn_rate,ltv_estimate";
  if (separator != ',') {
    for (char& c : header) {
      if (c == ',') c = separator;
    }
  }
  out << header << '\n';
  const auto& stages = report.model.stages();
  for (const auto& segment : report.tables.segments) {
    for (std::size_t k = 0; k < stages.size(); ++k) {
      const StageRow& row = segment.stages[k];
      out << text_cell(segment.label, separator) << separator << text_cell(stages[k].name, separator) << separator
          << section_name(stages[k].section) << separator << row.reached << separator
          << format_rate(row.step_conversion) << separator << format_rate(row.overall_conversion) << separator
          << row.dropped << separator << row.lost << separator << row.open << separator << row.stalled << separator
          << format_days(row.to_next.median, row.to_next.count) << separator
          << format_days(row.to_next.p90, row.to_next.count) << separator
          << format_days(row.to_next.mean, row.to_next.count) << separator
          << format_days(row.from_entry.median, row.from_entry.count) << separator
          << format_days(row.from_entry.p90, row.from_entry.count) << separator
          << format_days(row.from_entry.mean, row.from_entry.count) << separator
          << (row.step_ci ? fmt::format("{:.6f}", row.step_ci->low) : "") << separator
          << (row.step_ci ? fmt::format("{:.6f}", row.step_ci->high) : "") << separator
          << (row.vs_rest_p ? fmt::format("{:.6f}", *row.vs_rest_p) : "");
      if (retention) {
        const Retention& r = segment.overall.retention;
        if (k + 1 == stages.size()) {
          out << separator << r.churned << separator << format_rate(r.churn_rate) << separator
              << (r.ltv_estimate ? fmt::format("{:.2f}", *r.ltv_estimate) : "");
        } else {
          out << separator << separator << separator;
        }
      }
      out << '\n';
    }
  }
}

std::string format_rate(const std::optional<double>& rate) {
  return rate ? fmt::format("{:.6f}", *rate) : std::string();
}

std::string format_days(double days, std::uint64_t count) {
  return count > 0 ? fmt::format("{:.4f}", days) : std::string();
}

}  // namespace funnel
