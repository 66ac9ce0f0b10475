// funnel summary: one row per segment, the figures a "report by owner/source" shows side by
// side. Every figure is read from the report's tables (funnel_table.h, spend.h): nothing is
// computed twice. Rendering lives in render.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "funnel/report.h"

namespace funnel {

/// One segment's row. A figure is nullopt where the data has none (no --amount, no --spend,
/// no churn evidence, nothing to divide by).
struct SummaryRow {
  std::string segment;              ///< the label: every --by value, " / " between them; "(all)" for everyone
  std::vector<std::string> values;  ///< each --by value (empty for "(all)")
  std::uint64_t leads = 0, won = 0, lost = 0, open = 0, stalled = 0;
  std::optional<double> win_rate;                       ///< Overall::win_rate
  std::optional<double> conversion;                     ///< the last stage's overall conversion: won / leads
  std::optional<double> revenue;                        ///< Money::won_revenue
  std::optional<double> avg_won_deal;                   ///< Money::average_deal
  std::optional<double> cycle_median, cycle_mean;       ///< Overall::cycle, days
  std::uint64_t cycles = 0;                             ///< won leads whose cycle was measured
  std::optional<double> cost, cost_per_lead, cac, roi;  ///< Spend (cost per lead: the first stage's)
  std::optional<std::uint64_t> churned;                 ///< Retention
  std::optional<double> churn_rate, ltv;                ///< Retention::churn_rate, ltv_estimate
};

/// The columns, in CSV order; `segment` first. Each names a SummaryRow figure.
enum class SummaryColumn {
  segment,
  leads,
  won,
  lost,
  open,
  stalled,
  win_rate,
  conversion,
  revenue,
  avg_won_deal,
  cycle_days_median,
  cycle_days_mean,
  cost,
  cost_per_lead,
  cac,
  roi,
  churned,
  churn_rate,
  ltv,
};
inline constexpr std::size_t kSummaryColumns = 19;
std::string_view summary_column_name(SummaryColumn c);
/// The CSV header: the column names joined by `separator`.
std::string summary_header(char separator);

/// --sort COLUMN[:asc|:desc][,COLUMN...]: numbers sort descending and `segment` ascending
/// unless told; rows without a figure sort last either way; ties keep label order.
struct SummarySortKey {
  SummaryColumn column;
  bool descending;
};
/// Reads --sort; throws funnel::Error(ExitCode::usage) naming the column and the choices.
std::vector<SummarySortKey> parse_summary_sort(std::string_view text);

struct Summary {
  std::vector<std::string> by;                           ///< the --by columns
  bool money = false, spend = false, retention = false;  ///< which figures the data has
  std::uint64_t leads_filtered = 0;                      ///< leads --where left out
  std::vector<SummaryRow> rows;                          ///< "(all)" first, then the segments as sorted
};

/// The summary of a report built by segment (ReportKind::funnel), rows sorted by `sort`
/// ("(all)" stays first).
Summary summarize(const Report& report, const std::vector<std::string>& by, const std::vector<SummarySortKey>& sort);

}  // namespace funnel
