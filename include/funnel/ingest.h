// Ingest: input options in; the lead store, what was read and what was rejected out.
// Files -> records -> evidence -> lead store, on one thread or several (the machinery is
// private to src/ingest/). Every command that reads exports starts here.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "funnel/columns.h"
#include "funnel/diagnostics.h"
#include "funnel/input.h"
#include "funnel/money.h"
#include "funnel/recode.h"
#include "funnel/stage_model.h"
#include "funnel/zone.h"

namespace funnel {

class LeadStore;

/// One input's own column roles ([[input]] in --config), for a join of exports whose headers
/// differ. Empty fields fall back to the command line's column options.
struct InputRoles {
  std::string file;    ///< the input it applies to: a path as given, or its last components
  std::string role;    ///< "", "evidence" or "lookup"
  ColumnSpec columns;  ///< shape, id, stage, time, stage-time
  std::string key;     ///< a lookup's key column (default: the first column it shares with the leads' rows)
  std::string link;    ///< a column holding another file's ids, or lead ids (see --link)
  std::string where;   ///< "CONFIG:LINE", for messages
};

/// How to read the exports and what to keep of them.
struct IngestOptions {
  std::vector<std::string> files;  ///< empty or "-": stdin
  char delimiter = 0;              ///< 0: detect from the header
  Encoding encoding = Encoding::utf8;
  bool lenient = false;          ///< skip malformed records, counted and reported
  bool trust_quotes = false;     ///< --trust-quotes: see ReadOptions::trust_quotes
  bool strict_cells = false;     ///< --strict-cells: placeholder and epoch-zero times are errors
  std::uint64_t skip_lines = 0;  ///< lines before the header in every file
  std::string rejects;           ///< write every rejected record here (CSV), when set
  std::string date_format;       ///< --date-format: auto, dmy, mdy, epoch, epoch_ms, excel, pattern
  std::string tz = "UTC";        ///< zone for naive times
  ColumnSpec columns;
  StageModelSpec stages;
  bool strict_stages = false;
  int threads = 2;          ///< 1: read and apply on one thread; 2: a reading thread feeds this one
  bool last_touch = false;  ///< --attribution last: a lead's segment from its latest row
  std::string amount;       ///< --amount: the deal value column
  DecimalMark decimal = DecimalMark::automatic;
  std::ostream* progress = nullptr;  ///< a terminal: rows read so far, after the first second
  std::string trace_id;              ///< keep every row of this lead id (LeadData::trace; funnel explain)
  bool lead_activity = false;        ///< keep every lead's latest row time (funnel leads, explain print it)
  Recodes recodes;                   ///< --recode, --bucket: values as --by and --where see them
  bool lead_attributes = false;      ///< --where names columns: keep each lead's values (LeadData::lead_attributes)
  // Joins (several exports with their own headers; see joins.h).
  std::vector<InputRoles> input_roles;                           ///< [[input]] tables of --config: one file's own roles
  std::vector<std::string> lookups;                              ///< --lookup FILE: tables that add attributes
  std::vector<std::string> links;                                ///< --link COLUMN: a column holding another file's ids
  LookupDuplicates lookup_duplicates = LookupDuplicates::error;  ///< --lookup-duplicates
};

/// What was read, so that rows read = rows used + rows reported can be checked.
/// A line of an input, named in warnings as file:line.
struct SourceLine {
  std::string file;
  std::uint64_t line = 0;
  bool operator==(const SourceLine&) const = default;
};

/// One input's rows, when several exports are joined: rows_read = rows_used + rows_reported.
struct FileCounts {
  std::string file;
  std::string role;  ///< "leads" (the first file and its header), "evidence", "linked" (ids through a link), "lookup"
  std::uint64_t rows_read = 0, rows_used = 0, rows_reported = 0;
};

/// A lookup's faults: lead rows whose key no row of the table has, and the table's own rows.
struct LookupFaults {
  std::string file, key;
  std::uint64_t misses = 0;              ///< evidence rows whose key cell matched no row
  std::vector<SourceLine> first_misses;  ///< the first kNamedLines of them
  std::vector<std::string> missed_keys;  ///< the first few distinct keys that matched nothing
  std::uint64_t duplicates = 0;          ///< table rows whose key an earlier row had (--lookup-duplicates)
  std::vector<std::uint64_t> first_duplicates;
  std::uint64_t empty_keys = 0;  ///< table rows with an empty key
  std::vector<std::uint64_t> first_empty;
};

struct InputCounts {
  static constexpr std::size_t kNamedLines = 3;  ///< lines a warning names before its count
  std::vector<std::string> files;
  std::uint64_t rows_read = 0, rows_used = 0, rows_reported = 0;
  /// Of rows_reported, the records skipped while reading (malformed, a repeated header): the
  /// rows of the --rejects file. The others were read but gave no evidence (empty id, …).
  std::uint64_t rows_rejected = 0;
  std::map<std::string, std::uint64_t> reported_by_reason;
  std::map<std::string, std::vector<SourceLine>> first_reported;  ///< the first kNamedLines lines of each reason
  std::uint64_t blank_lines = 0;
  std::uint64_t trailing_delimiters = 0;    ///< rows whose extra empty last field was dropped
  std::vector<SourceLine> first_trailing;   ///< the first kNamedLines of them
  std::uint64_t scientific_ids = 0;         ///< ids like 1.23457E+11 (Excel mangled them)
  std::uint64_t dst_gaps = 0;               ///< wall-clock times the clocks skipped (read forward)
  std::uint64_t dst_overlaps = 0;           ///< wall-clock times that happened twice (earlier taken)
  std::uint64_t ids = 0;                    ///< distinct lead ids seen
  std::uint64_t invalid_amounts = 0;        ///< --amount cells that are not a usable value
  std::uint64_t guessed_amounts = 0;        ///< "1,234" read before the column showed its decimal mark
  std::uint64_t conflicting_amounts = 0;    ///< a lead's two amounts at one time (the larger kept)
  std::uint64_t invalid_probabilities = 0;  ///< forecast: probability cells that are not a usable value
  std::uint64_t placeholder_times = 0;      ///< time cells like NULL, N/A, #N/A, - read as empty
  std::uint64_t epoch_zero_times = 0;       ///< time cells of 1970-01-01T00:00:00Z read as empty
  char delimiter = ',';
  Shape shape = Shape::long_log;
  // Joins: set when several exports with their own headers, or lookups, were read.
  bool joined = false;
  std::vector<FileCounts> per_file;  ///< each input, in the order read
  std::vector<LookupFaults> lookups;
  std::uint64_t dangling_links = 0;        ///< link cells naming an id no row of the linked file has
  std::vector<SourceLine> first_dangling;  ///< the first kNamedLines of them
  std::uint64_t unknown_list_ids = 0;      ///< ids in a list of lead ids (Associated Contact IDs) naming no lead
  std::vector<SourceLine> first_unknown_list_ids;
};

/// A rejected record kept for the warnings on stderr.
struct RejectedRow {
  std::string file;
  std::uint64_t line = 0;
  std::string reason;
};

/// A row of the lead being traced: where it is, what it says, what funnel made of it.
struct TraceRow {
  std::string file;
  std::uint64_t line = 0;
  std::string raw;                 ///< the record's fields, comma separated and quoted as needed
  std::vector<Evidence> evidence;  ///< empty when the row was not used
  std::string reported;            ///< why it was not used
};

/// Everything ingest read: the leads and what each one carries beside its stage times.
struct LeadData {
  Zone zone;
  StageModel model;
  InputCounts input;
  bool segmented = false;                  ///< --by was given
  std::shared_ptr<const LeadStore> store;  ///< every lead
  std::vector<std::string> labels;         ///< segment labels by store->segment(lead), with --by ("a / b")
  std::vector<std::vector<std::string>> segment_values;  ///< each segment's --by values, in --by order
  std::vector<std::string> header;                       ///< the first file's header
  std::vector<double> amounts;                           ///< --amount: each lead's deal value, NaN when none
  ChurnTimes churn;                                      ///< each lead's churn; empty without churn evidence
  std::vector<double> probabilities;                     ///< each lead's own win probability, NaN when none
  std::vector<RejectedRow> first_rejects;                ///< the first few, for stderr
  std::string rejects_csv;                               ///< every reject as CSV, when options.rejects is set
  std::vector<TraceRow> trace;                           ///< the rows of options.trace_id
  /// With --where columns, --recode or --bucket: the --by columns then the --where columns,
  /// each lead's key into `attribute_values`, and each key's values recoded (not bucketed;
  /// "" for an empty cell), all read from the row that gives the lead its segment.
  std::vector<std::string> attribute_columns;
  std::vector<std::vector<std::string>> attribute_values;
  std::vector<std::uint32_t> lead_attributes;
};

/// Reads every input into a lead store. Warnings about the data go to `diagnostics`.
/// Throws funnel::Error for anything that stops the run.
LeadData ingest(const IngestOptions& options, std::istream* stdin_stream, Diagnostics& diagnostics);

/// A low guess of the leads in `bytes` of input whose header has `columns` columns, to size
/// the id table before the first lead: one lead per 192 bytes, or per 16 bytes a column
/// when the header has more than 12 (an export of 100 columns has rows of a kilobyte or more).
std::uint64_t likely_leads(std::uint64_t bytes, std::size_t columns);

/// With two threads, the rows of a file read in order before the rest of it is cut into
/// pieces parsed on two threads (16,384: small inputs never are). Tests lower it.
void set_rows_before_pieces(std::uint64_t rows);

}  // namespace funnel
