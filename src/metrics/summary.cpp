#include "funnel/summary.h"

#include <algorithm>
#include <array>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "funnel/diagnostics.h"
#include "funnel/text.h"

namespace funnel {
namespace {

constexpr std::array<std::string_view, kSummaryColumns> kNames{
    "segment",
    "leads",
    "won",
    "lost",
    "open",
    "stalled",
    "win_rate",
    "conversion",
    "revenue",
    "avg_won_deal",
    "cycle_days_median",
    "cycle_days_mean",
    "cost",
    "cost_per_lead",
    "cac",
    "roi",
    "churned",
    "churn_rate",
    "ltv",
};

SummaryRow row_of(const SegmentTable& seg, std::vector<std::string> values) {
  const Overall& o = seg.overall;
  SummaryRow r;
  r.segment = seg.label;
  r.values = std::move(values);
  r.leads = o.leads;
  r.won = o.won;
  r.lost = o.lost;
  r.open = o.open;
  r.stalled = o.stalled;
  r.win_rate = o.win_rate;
  if (!seg.stages.empty()) r.conversion = seg.stages.back().overall_conversion;
  if (o.money.present) {
    r.revenue = o.money.won_revenue;
    r.avg_won_deal = o.money.average_deal;
  }
  r.cycles = o.cycle.count;
  if (o.cycle.count > 0) {
    r.cycle_median = o.cycle.median;
    r.cycle_mean = o.cycle.mean;
  }
  if (o.spend.present) {
    r.cost = o.spend.cost;
    if (!o.spend.per_stage.empty()) r.cost_per_lead = o.spend.per_stage.front();
    r.cac = o.spend.cac;
    r.roi = o.spend.roi;
  }
  if (o.retention.present) {
    r.churned = o.retention.churned;
    r.churn_rate = o.retention.churn_rate;
    r.ltv = o.retention.ltv_estimate;
  }
  return r;
}

/// A row's figure in `column` as a number to sort by; nullopt: no figure.
std::optional<double> figure(const SummaryRow& r, SummaryColumn c) {
  auto count = [](std::uint64_t v) { return std::optional<double>(static_cast<double>(v)); };
  switch (c) {
    case SummaryColumn::segment: return std::nullopt;
    case SummaryColumn::leads: return count(r.leads);
    case SummaryColumn::won: return count(r.won);
    case SummaryColumn::lost: return count(r.lost);
    case SummaryColumn::open: return count(r.open);
    case SummaryColumn::stalled: return count(r.stalled);
    case SummaryColumn::win_rate: return r.win_rate;
    case SummaryColumn::conversion: return r.conversion;
    case SummaryColumn::revenue: return r.revenue;
    case SummaryColumn::avg_won_deal: return r.avg_won_deal;
    case SummaryColumn::cycle_days_median: return r.cycle_median;
    case SummaryColumn::cycle_days_mean: return r.cycle_mean;
    case SummaryColumn::cost: return r.cost;
    case SummaryColumn::cost_per_lead: return r.cost_per_lead;
    case SummaryColumn::cac: return r.cac;
    case SummaryColumn::roi: return r.roi;
    case SummaryColumn::churned: return r.churned ? count(*r.churned) : std::nullopt;
    case SummaryColumn::churn_rate: return r.churn_rate;
    case SummaryColumn::ltv: return r.ltv;
  }
  return std::nullopt;
}

/// Negative when a sorts before b, positive after, 0 when the key does not tell them apart.
int compare(const SummaryRow& a, const SummaryRow& b, const SummarySortKey& key) {
  if (key.column == SummaryColumn::segment) {
    const int c = a.segment.compare(b.segment);
    return key.descending ? -c : c;
  }
  const std::optional<double> x = figure(a, key.column), y = figure(b, key.column);
  if (!x || !y) return x ? -1 : y ? 1 : 0;  // no figure: last, in either direction
  if (*x == *y) return 0;
  return (*x < *y) != key.descending ? -1 : 1;
}

}  // namespace

std::string_view summary_column_name(SummaryColumn c) { return kNames[static_cast<std::size_t>(c)]; }

std::string summary_header(char separator) {
  std::string header;
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (i > 0) header += separator;
    header += kNames[i];
  }
  return header;
}

std::vector<SummarySortKey> parse_summary_sort(std::string_view text) {
  std::vector<SummarySortKey> keys;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = trim_space(text.substr(start, end - start));
    std::string_view name = part, direction;
    if (auto colon = part.find(':'); colon != std::string_view::npos) {
      name = trim_space(part.substr(0, colon));
      direction = trim_space(part.substr(colon + 1));
    }
    auto it = std::find(kNames.begin(), kNames.end(), name);
    if (it == kNames.end()) {
      std::vector<std::string> names(kNames.begin(), kNames.end());
      throw Error(ExitCode::usage, fmt::format("--sort: no column named '{}' (columns: {}){}", name,
                                               fmt::join(names, ", "), did_you_mean(std::string(name), names)));
    }
    const auto column = static_cast<SummaryColumn>(it - kNames.begin());
    bool descending = column != SummaryColumn::segment;
    if (direction == "desc" || direction == "descending") {
      descending = true;
    } else if (direction == "asc" || direction == "ascending") {
      descending = false;
    } else if (!direction.empty()) {
      throw Error(ExitCode::usage, fmt::format("--sort {}: the order is asc or desc, not '{}'", part, direction));
    }
    keys.push_back({column, descending});
    start = end + 1;
  }
  return keys;
}

Summary summarize(const Report& report, const std::vector<std::string>& by, const std::vector<SummarySortKey>& sort) {
  Summary out;
  out.by = by;
  out.leads_filtered = report.tables.quality.leads_filtered;
  const auto& segments = report.tables.segments;
  const Overall& all = segments.front().overall;
  out.money = all.money.present;
  out.spend = all.spend.present;
  out.retention = all.retention.present;
  // A table's label is its --by values joined; the values themselves come from ingest.
  std::map<std::string_view, const std::vector<std::string>*> values;
  for (std::size_t s = 0; s < report.labels.size() && s < report.segment_values.size(); ++s) {
    values.emplace(report.labels[s], &report.segment_values[s]);
  }
  for (std::size_t s = 0; s < segments.size(); ++s) {
    std::vector<std::string> v;
    if (s > 0) {
      if (auto it = values.find(segments[s].label); it != values.end()) {
        v = *it->second;
      } else {
        v.assign(by.size(), segments[s].label);  // (other): every value folded
      }
    }
    out.rows.push_back(row_of(segments[s], std::move(v)));
  }
  std::stable_sort(out.rows.begin() + 1, out.rows.end(), [&](const SummaryRow& a, const SummaryRow& b) {
    for (const SummarySortKey& key : sort) {
      if (int c = compare(a, b, key); c != 0) return c < 0;
    }
    return false;
  });
  return out;
}

}  // namespace funnel
