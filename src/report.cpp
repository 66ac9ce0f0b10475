#include "funnel/report.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "funnel/segments.h"
#include "funnel/spend.h"

#include <algorithm>
#include <limits>

namespace funnel {
namespace {

/// The cohort and trend tables of the leads `report` holds, per report.every.
void tabulate_periods(Report& report) {
  const LeadStore& store = *report.store;
  if (report.kind == ReportKind::cohorts) {
    CohortTables cohorts = build_cohorts(store, report.model, report.zone, report.every, report.options);
    report.tables = std::move(cohorts.tables);
    report.cohorts = std::move(cohorts.cohorts);
  } else {
    report.tables = build_tables(store, report.model, {}, report.options);
    report.trend = build_trend(store, report.zone, report.every, report.options, report.tables.as_of);
  }
}

/// --where: each lead judged as the tables judge it (judge_lead), then asked the expressions.
std::shared_ptr<const std::vector<bool>> apply_where(const Report& report, Where where, const FunnelOptions& counting,
                                                     bool amounts) {
  where.bind_stages(report.model);
  const LeadStore& store = *report.store;
  const Timestamp as_of = counting.as_of != kNoTime ? counting.as_of : store.latest();
  // Where each named column is among the lead's attributes (--by columns, then --where's).
  std::vector<std::size_t> at;
  for (const auto& column : where.columns()) {
    const auto& names = report.attribute_columns;
    at.push_back(static_cast<std::size_t>(std::find(names.begin(), names.end(), column) - names.begin()));
  }
  auto keep = std::make_shared<std::vector<bool>>(store.size(), true);
  LeadFacts facts;
  facts.values.resize(at.size());
  for (std::uint32_t lead = 0; lead < store.size(); ++lead) {
    const LeadVerdict v = judge_lead(store, lead, counting, as_of);
    if (v.excluded != Exclusion::none) continue;  // left out already: counted for that reason
    facts.path = &v.path;
    facts.amount = amounts ? report.amounts[lead] : std::numeric_limits<double>::quiet_NaN();
    if (!report.lead_attributes.empty()) {
      const auto& values = report.attribute_values[report.lead_attributes[lead]];
      for (std::size_t i = 0; i < at.size(); ++i)
        facts.values[i] = at[i] < values.size() ? std::string_view(values[at[i]]) : std::string_view();
    }
    (*keep)[lead] = where.matches(facts);
  }
  return keep;
}

}  // namespace

Report retabulate(const Report& report, ReportKind kind, Period every) {
  Report out;
  out.zone = Zone(report.zone.name());  // move-only: the same zone read again
  out.model = report.model;
  out.input = report.input;
  out.store = report.store;
  out.header = report.header;
  out.options = report.options;
  out.kind = kind;
  out.every = every;
  tabulate_periods(out);
  return out;
}

Report build_report(const ReportOptions& options, std::istream* stdin_stream, Diagnostics& diagnostics) {
  Report report;
  static_cast<LeadData&>(report) = ingest(options, stdin_stream, diagnostics);
  FunnelOptions counting = options.funnel;
  if (options.where && !options.where->empty()) {
    if (options.where->uses_amount() && options.amount.empty()) {
      throw Error(ExitCode::usage, "--where compares amount: add --amount with the deal value column");
    }
    counting.where = apply_where(report, *options.where, counting, !options.amount.empty());
  }
  report.options = counting;
  report.kind = options.kind;
  report.every = options.every;
  const LeadStore& store = *report.store;
  const std::vector<double>* amounts = options.amount.empty() ? nullptr : &report.amounts;
  const ChurnTimes* churn = report.churn.empty() ? nullptr : &report.churn;
  std::size_t top = options.top_segments;
  if (options.kind == ReportKind::funnel && top == 0 && report.labels.size() > options.max_segments) {
    top = options.max_segments;
    diagnostics.warn(
        fmt::format("{} segments by {}: the {} with the most leads are shown and the rest counted "
                    "together as (other); choose how many with --top N",
                    report.labels.size(), fmt::join(options.columns.by, " and "), top));
  }
  if (options.kind == ReportKind::funnel && top > 0 && report.labels.size() > top) {
    report.tables = build_top_tables(store, report.model, report.labels, top, counting, amounts, churn);
  } else if (options.kind == ReportKind::funnel) {
    report.tables = build_tables(store, report.model, report.labels, counting, nullptr, amounts, churn);
  } else {
    tabulate_periods(report);
  }
  if (!options.spend.empty()) {
    if (!report.segmented) {
      throw Error(ExitCode::usage, "--spend joins costs to segments: add --by with the column holding the source");
    }
    SpendJoin join = join_spend(report.tables, read_spend(options.spend, options.decimal));
    report.spend_unmatched = std::move(join.unmatched);
    report.segments_without_spend = std::move(join.segments_without_spend);
    if (!report.spend_unmatched.empty()) {
      diagnostics.warn(fmt::format("{}: no lead has source {}: its cost counts only in (all)", options.spend,
                                   fmt::join(report.spend_unmatched, ", ")));
    }
    if (!report.segments_without_spend.empty()) {
      diagnostics.warn(fmt::format("{}: no cost for {}: those leads still count in (all)", options.spend,
                                   fmt::join(report.segments_without_spend, ", ")));
    }
  }
  if (counting.where) {
    // Said on stderr too: CSV and the period tables have no data-quality section.
    diagnostics.warn(fmt::format("--where left out {} of {} leads", report.tables.quality.leads_filtered,
                                 report.tables.quality.leads_filtered + report.tables.segments.front().overall.leads));
  }
  if (report.tables.segments.front().overall.leads == 0) {
    throw Error(ExitCode::no_data,
                fmt::format("no lead entered any stage: {} rows read, {} used, {} reported", report.input.rows_read,
                            report.input.rows_used, report.input.rows_reported));
  }
  return report;
}

}  // namespace funnel
