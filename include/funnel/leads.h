// Explaining every number: one row per lead (funnel leads), the most common paths
// (funnel paths), and one lead's evidence and decisions (funnel explain). All three read the
// same judged paths as the tables (judge_lead), so a lead row always agrees with the counts.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "funnel/render.h"
#include "funnel/report.h"

namespace funnel {

/// Which leads `funnel leads` writes; empty fields do not filter.
struct LeadFilter {
  std::string stage;                                       ///< furthest stage reached
  std::string status;                                      ///< won, lost, open, stalled
  bool all = false;                                        ///< also leads the tables leave out (with the reason)
};

/// What `funnel leads --format` selects (the names: src/commands/leads.cpp).
enum class LeadFormat { csv, tsv, jsonl, json };

/// Checks the filter's names against the model; throws funnel::Error(ExitCode::usage).
void check_filter(const LeadFilter& filter, const StageModel& model);

/// funnel leads: one row per lead with its reconstructed path.
void render_leads(const Report& report, const LeadFilter& filter, LeadFormat format, std::ostream& out);

/// A lead's stages in the order it entered them, regressions as "STAGE (again)" and a lost
/// outcome as "(lost)": "lead > mql > opportunity > (lost)".
std::string path_text(const Report& report, std::uint32_t lead, const LeadPath& path);

/// funnel paths: the `top` most common paths with counts and shares; the rest as "(other)".
void render_paths(const Report& report, std::size_t top, Format format, std::ostream& out);

/// funnel explain: the rows of report.trace and every decision made for that lead.
void render_explain(const Report& report, std::string_view id, std::ostream& out);

}  // namespace funnel
