// The report pipeline end to end: ingest -> tables (per segment, cohort or period) -> spend.
#pragma once

#include <cstddef>
#include <istream>
#include <memory>
#include <string>
#include <vector>

#include "funnel/cohorts.h"
#include "funnel/diagnostics.h"
#include "funnel/funnel_table.h"
#include "funnel/ingest.h"
#include "funnel/period.h"
#include "funnel/where.h"

namespace funnel {

/// What to tabulate.
enum class ReportKind {
  funnel,   ///< funnel report: one funnel per segment
  cohorts,  ///< funnel cohorts: one funnel per entry period
  trend,    ///< funnel trend: leads entering each stage per period
};

/// How to read the exports, and what to build from them.
struct ReportOptions : IngestOptions {
  ReportKind kind = ReportKind::funnel;
  Period every = Period::week;
  FunnelOptions funnel;
  std::size_t top_segments = 0;  ///< --top: keep the N largest segments, fold the rest into (other)
  /// Without --top, more segments than this keep only the largest this many, the rest
  /// folded into (other) with a warning: each segment's tables cost kilobytes, so a --by
  /// column of unique values (an e-mail, an id) would otherwise exhaust memory.
  static constexpr std::size_t kMaxSegments = 10000;
  std::size_t max_segments = kMaxSegments;
  std::string spend;  ///< --spend: a CSV of source,cost[,period]
  std::shared_ptr<const Where> where;  ///< --where: the leads to count; null: all
};

/// A report is the lead data ingest read plus the tables built from it.
struct Report : LeadData {
  FunnelTables tables;
  FunnelOptions options;
  ReportKind kind = ReportKind::funnel;
  Period every = Period::week;
  std::vector<Cohort> cohorts;                      ///< funnel cohorts: one per segment after "(all)"
  Trend trend;                                      ///< funnel trend
  std::vector<std::string> spend_unmatched;         ///< spend sources no segment has
  std::vector<std::string> segments_without_spend;  ///< segments with leads but no spend row
};

/// Reads every input and builds the report. Warnings go to `diagnostics`.
/// Throws funnel::Error for anything that stops the run.
Report build_report(const ReportOptions& options, std::istream* stdin_stream, Diagnostics& diagnostics);

/// The cohorts or the trend (`kind`) of the leads a report already read, per `every`, over
/// all of them (no segments, spend or --top): -f html's companions to a funnel report, with
/// no second read of the input.
Report retabulate(const Report& report, ReportKind kind, Period every);

}  // namespace funnel
