// Segment ranking: --top keeps the largest segments and folds the rest into "(other)".
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "funnel/funnel_table.h"

namespace funnel {

/// The `top` segments with the most counted leads keep their label (ties in label byte
/// order); the rest become "(other)", which goes last.
FunnelTables build_top_tables(const LeadStore& store, const StageModel& model, const std::vector<std::string>& labels,
                              std::size_t top, const FunnelOptions& options, const std::vector<double>* amounts,
                              const ChurnTimes* churn);

}  // namespace funnel
