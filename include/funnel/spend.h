// Marketing spend joined to segments: cost per lead and per stage, CAC and ROI.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "funnel/funnel_table.h"
#include "funnel/money.h"

namespace funnel {

/// --spend: source,cost rows of a CSV file, summed per source (several rows of a source,
/// e.g. one per period, add up). Throws funnel::Error naming the file and line.
std::map<std::string, double> read_spend(const std::string& path, DecimalMark decimal);

/// What joining spend to segments left over.
struct SpendJoin {
  std::vector<std::string> unmatched;               ///< spend sources no segment has
  std::vector<std::string> segments_without_spend;  ///< segments with leads but no spend row
};

/// Sets each segment's spend: "(all)" gets the total, a segment its source's cost.
SpendJoin join_spend(FunnelTables& tables, const std::map<std::string, double>& spend);

}  // namespace funnel
