#include "funnel/report.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "funnel/segments.h"
#include "funnel/spend.h"

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
  report.options = options.funnel;
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
    report.tables = build_top_tables(store, report.model, report.labels, top, options.funnel, amounts, churn);
  } else if (options.kind == ReportKind::funnel) {
    report.tables = build_tables(store, report.model, report.labels, options.funnel, nullptr, amounts, churn);
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
  if (report.tables.segments.front().overall.leads == 0) {
    throw Error(ExitCode::no_data,
                fmt::format("no lead entered any stage: {} rows read, {} used, {} reported", report.input.rows_read,
                            report.input.rows_used, report.input.rows_reported));
  }
  return report;
}

}  // namespace funnel
