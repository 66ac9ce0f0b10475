// Joins: several exports read as one funnel. Each input's role (evidence about leads by id,
// evidence linked to a lead through another file's column, or a lookup table adding
// attributes) and its column roles are settled from its own header before any row is read.
#pragma once

#include <string>
#include <vector>

#include "funnel/columns.h"
#include "funnel/events.h"
#include "funnel/ingest.h"
#include "funnel/lookup.h"
#include "funnel/stage_model.h"

namespace funnel {

enum class InputRole {
  evidence,  ///< rows about leads by id (the first file's, and any file sharing its ids)
  linked,    ///< rows whose id a column of the first file names (Converted Opportunity ID)
  lookup,    ///< a table adding attributes through a column it shares with the leads' rows
};
std::string_view role_name(InputRole role);

/// One input as the join reads it.
struct PlannedInput {
  std::string path;
  InputRole role = InputRole::evidence;
  bool primary = false;  ///< the first file, or one with its header: its rows name the leads
  std::vector<std::string> header;
  ColumnSpec columns;    ///< evidence and linked: the roles to detect with (--by apart)
  std::string link_out;  ///< primary: the column holding the linked files' ids
  char id_list = 0;      ///< evidence: the id column holds several lead ids separated by this
  std::string key;       ///< lookup: the key column
};

struct JoinPlan {
  bool joined = false;               ///< false: one export, or files sharing one header (read as one)
  std::vector<PlannedInput> inputs;  ///< lookups, then the primary files, then the others
};

/// Reads each input's header and settles the roles: the first file names the leads; a file
/// with another header is evidence when its columns show lead ids and stages, a lookup when
/// they do not and it shares a column with the leads' rows (or --lookup / role = "lookup"
/// says so). A column of the first file whose name ends in another file's id column name
/// (Converted Opportunity ID, Opportunity ID), or one named by --link, links that file's rows
/// to leads; a column of another file holding lead ids (Associated Contact IDs, or --link)
/// becomes that file's id, several ids separated by ';'. The command line's column options
/// apply to each file that has the named column; each must be in at least one.
/// Throws funnel::Error (ExitCode::schema, ::usage) naming the file.
JoinPlan plan_inputs(const IngestOptions& options, const StageModel& model);

/// A join's --by sources for one file: its own column, else a lookup whose key column the
/// file has and which has the column, else none (-1: the file says nothing of that value).
void join_segments(Schema& schema, const std::vector<std::string>& by, const std::vector<LookupTable>& lookups);

}  // namespace funnel
