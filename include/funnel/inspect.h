// funnel inspect: what funnel sees in an export before it counts anything: the dialect,
// shape, column roles, stage values with counts, unmapped values and suggested flags.
#pragma once

#include <istream>
#include <ostream>

#include "funnel/report.h"

namespace funnel {

/// Reads the inputs named in `options` and writes the inspection to `out`, as text or as
/// JSON. Returns the exit code: 0, or ExitCode::schema when the columns cannot be mapped
/// (the inspection is still written, with the problem and what to try).
int inspect(const ReportOptions& options, std::istream* stdin_stream, std::ostream& out, bool json);

}  // namespace funnel
