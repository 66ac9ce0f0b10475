// The warnings about what was read: every text ingest prints about the data, in one place.
// Private to ingest.
#pragma once

#include <string>

#include "funnel/diagnostics.h"
#include "funnel/events.h"
#include "funnel/ingest.h"
#include "reader.h"

namespace funnel::ingest_detail {

/// Stage values no stage or alias names, with the flag that would name them.
void warn_unknown_stages(const EventExtractor& extractor, const StageModel& model, Shape shape,
                         Diagnostics& diagnostics);

/// Records skipped, rows not used, time cells read as empty, extra delimiters, daylight-saving
/// gaps, Excel-mangled ids.
void warn_rows(const LeadData& data, const IngestOptions& options, const EventExtractor& extractor,
               Diagnostics& diagnostics);

/// A lead's two amounts at one time that differ: both lines named, and the rule (the larger kept).
void warn_amount_conflicts(const AmountConflicts& conflicts, const std::vector<std::string>& files,
                           const std::string& column, Diagnostics& diagnostics);
/// A join's faults: lookup keys matching no row, repeated or empty lookup keys, link cells
/// pointing nowhere, listed ids naming no lead (rows about unknown ids are in warn_rows).
void warn_joins(const InputCounts& input, Diagnostics& diagnostics);

/// --amount cells that are not a usable value, and ambiguous amounts ("1,234") that no
/// evidence settled or that a column showing both decimal marks settled by majority.
void warn_amounts(const InputCounts& input, const std::string& first_invalid, const AmountEvidence& evidence,
                  const std::string& column, Diagnostics& diagnostics);

/// Probability cells that are not a usable value.
void warn_probabilities(const EventExtractor& extractor, Diagnostics& diagnostics);

}  // namespace funnel::ingest_detail
