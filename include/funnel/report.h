// The report pipeline end to end: files -> records -> evidence -> lead store -> tables.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "funnel/diagnostics.h"
#include "funnel/csv.h"
#include "funnel/events.h"
#include "funnel/funnel_table.h"
#include "funnel/money.h"
#include "funnel/period.h"
#include "funnel/stage_model.h"
#include "funnel/zone.h"

namespace funnel {

/// What to tabulate.
enum class ReportKind {
  funnel,   ///< funnel report: one funnel per segment
  cohorts,  ///< funnel cohorts: one funnel per entry period
  trend,    ///< funnel trend: leads entering each stage per period
};

struct ReportOptions {
  ReportKind kind = ReportKind::funnel;
  Period every = Period::week;
  std::vector<std::string> files;  ///< empty or "-": stdin
  char delimiter = 0;              ///< 0: detect from the header
  Encoding encoding = Encoding::utf8;
  bool lenient = false;            ///< skip malformed records, counted and reported
  bool trust_quotes = false;       ///< --trust-quotes: see ReadOptions::trust_quotes
  bool strict_cells = false;       ///< --strict-cells: placeholder and epoch-zero times are errors
  std::uint64_t skip_lines = 0;    ///< lines before the header in every file
  std::string rejects;             ///< write every rejected record here (CSV), when set
  std::string date_format;         ///< --date-format: auto, dmy, mdy, epoch, epoch_ms, excel, pattern
  std::string tz = "UTC";          ///< zone for naive times
  ColumnSpec columns;
  StageModelSpec stages;
  bool strict_stages = false;
  FunnelOptions funnel;
  int threads = 2;  ///< 1: read and apply on one thread; 2: a reading thread feeds this one
  bool last_touch = false;        ///< --attribution last: a lead's segment from its latest row
  std::size_t top_segments = 0;  ///< --top: keep the N largest segments, fold the rest into (other)
  std::string amount;              ///< --amount: the deal value column
  DecimalMark decimal = DecimalMark::automatic;
  std::string spend;               ///< --spend: a CSV of source,cost[,period]
  std::ostream* progress = nullptr;  ///< a terminal: rows read so far, after the first second
  std::string trace_id;  ///< funnel explain: keep every row of this lead id (Report::trace)
  bool lead_activity = false;  ///< keep every lead's latest row time (funnel leads, explain print it)
};

/// What was read, so that rows read = rows used + rows reported can be checked.
struct InputCounts {
  std::vector<std::string> files;
  std::uint64_t rows_read = 0, rows_used = 0, rows_reported = 0;
  std::map<std::string, std::uint64_t> reported_by_reason;
  std::uint64_t blank_lines = 0;
  std::uint64_t trailing_delimiters = 0;  ///< rows whose extra empty last field was dropped
  std::uint64_t scientific_ids = 0;       ///< ids like 1.23457E+11 (Excel mangled them)
  std::uint64_t dst_gaps = 0;             ///< wall-clock times the clocks skipped (read forward)
  std::uint64_t dst_overlaps = 0;         ///< wall-clock times that happened twice (earlier taken)
  std::uint64_t ids = 0;  ///< distinct lead ids seen
  std::uint64_t invalid_amounts = 0;  ///< --amount cells that are not a usable value
  std::uint64_t guessed_amounts = 0;  ///< "1,234" read before the column showed its decimal mark
  std::uint64_t invalid_probabilities = 0;  ///< forecast: probability cells that are not a usable value
  std::uint64_t placeholder_times = 0;  ///< time cells like NULL, N/A, #N/A, - read as empty
  std::uint64_t epoch_zero_times = 0;   ///< time cells of 1970-01-01T00:00:00Z read as empty
  char delimiter = ',';
  Shape shape = Shape::long_log;
};

/// A rejected record kept for the warnings on stderr.
struct RejectedRow {
  std::string file;
  std::uint64_t line = 0;
  std::string reason;
};

/// An entry cohort: its period and whether its window has elapsed at the as-of time.
struct Cohort {
  std::string label;
  std::int64_t first_day = 0;  ///< local calendar day the period starts
  bool complete = false;
};

/// Leads entering each stage per period (by each stage's first entry time).
struct Trend {
  std::vector<std::string> periods;
  std::vector<std::int64_t> first_days;
  std::vector<std::vector<std::uint64_t>> entered;  ///< [period][stage]
};

/// A row of the lead being explained: where it is, what it says, what funnel made of it.
struct TraceRow {
  std::string file;
  std::uint64_t line = 0;
  std::string raw;                 ///< the record's fields, comma separated and quoted as needed
  std::vector<Evidence> evidence;  ///< empty when the row was not used
  std::string reported;            ///< why it was not used
};

struct Report {
  Zone zone;
  StageModel model;
  FunnelTables tables;
  InputCounts input;
  FunnelOptions options;
  bool segmented = false;  ///< --by was given
  std::vector<RejectedRow> first_rejects;  ///< the first few, for stderr
  std::string rejects_csv;                 ///< every reject as CSV, when --rejects is set
  ReportKind kind = ReportKind::funnel;
  Period every = Period::week;
  std::vector<Cohort> cohorts;  ///< funnel cohorts: one per segment after "(all)"
  Trend trend;                  ///< funnel trend
  std::shared_ptr<const LeadStore> store;  ///< every lead, for leads, paths, explain and check
  std::vector<std::string> labels;         ///< segment labels by store.segment(lead), with --by
  std::vector<TraceRow> trace;             ///< funnel explain: the rows of the traced id
  std::vector<std::string> header;         ///< the first file's header
  std::vector<std::string> spend_unmatched;  ///< spend sources no segment has
  std::vector<std::string> segments_without_spend;  ///< segments with leads but no spend row
  std::vector<double> amounts;             ///< --amount: each lead's deal value, NaN when none
  ChurnTimes churn;                        ///< each lead's churn; empty without churn evidence
  std::vector<double> probabilities;       ///< forecast: each lead's own win probability, NaN when none
};

/// A low guess of the leads in `bytes` of input whose header has `columns` columns, to size
/// the id table before the first lead: one lead per 192 bytes, or per 16 bytes a column
/// when the header has more than 12 (an export of 100 columns has rows of a kilobyte or more).
std::uint64_t likely_leads(std::uint64_t bytes, std::size_t columns);

/// With two threads, the rows of a file read in order before the rest of it is cut into
/// pieces parsed on two threads (16,384: small inputs never are). Tests lower it.
void set_rows_before_pieces(std::uint64_t rows);

/// Reads every input and builds the report. Warnings (unknown stages) go to `diagnostics`.
/// Throws funnel::Error for anything that stops the run.
Report build_report(const ReportOptions& options, std::istream* stdin_stream, Diagnostics& diagnostics);

}  // namespace funnel
