// Funnels over time: one funnel per entry cohort, and leads entering each stage per period.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "funnel/funnel_table.h"
#include "funnel/period.h"
#include "funnel/zone.h"

namespace funnel {

/// An entry cohort: its period and whether its window has elapsed at the as-of time.
struct Cohort {
  std::string label;
  std::int64_t first_day = 0;  ///< local calendar day the period starts
  bool complete = false;
};

/// One funnel per cohort (segments after "(all)", in the order of `cohorts`).
struct CohortTables {
  FunnelTables tables;
  std::vector<Cohort> cohorts;
};

/// Leads entering each stage per period (by each stage's first entry time).
struct Trend {
  std::vector<std::string> periods;
  std::vector<std::int64_t> first_days;
  std::vector<std::vector<std::uint64_t>> entered;  ///< [period][stage]
  std::vector<bool> complete;                       ///< [period]: the period ended by the as-of time
};

/// Leads segmented by the local period (in `zone`) of their earliest stage time.
CohortTables build_cohorts(const LeadStore& store, const StageModel& model, const Zone& zone, Period every,
                           const FunnelOptions& options);

/// Every period from the first to the last stage entry inside --since/--until, quiet ones as
/// zeros; a period is complete when it ended by `as_of` (kNoTime: none is).
Trend build_trend(const LeadStore& store, const Zone& zone, Period every, const FunnelOptions& options,
                  Timestamp as_of);

}  // namespace funnel
