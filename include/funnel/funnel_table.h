// Funnel tables: counts, rates and durations per segment and stage, computed from lead
// paths. Everything here is a number; rendering lives in render.h.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "funnel/columns.h"
#include "funnel/lead_path.h"
#include "funnel/stage_model.h"
#include "funnel/stats.h"
#include "funnel/zone.h"

namespace funnel {

/// A non-negative duration in seconds; 32 bits hold 136 years (longer ones saturate), which
/// halves the memory of the duration lists on big inputs.
using Duration = std::uint32_t;
/// The Duration of a non-negative difference of times.
inline Duration to_duration(std::int64_t seconds) {
  return seconds >= 0xFFFFFFFF ? 0xFFFFFFFFu : static_cast<Duration>(seconds);
}

/// Median, 90th percentile and mean of a set of durations, in days.
struct DurationStats {
  std::uint64_t count = 0;
  double median = 0, p90 = 0, mean = 0;  ///< meaningful only when count > 0
};

/// Summarizes durations given in seconds. Percentiles interpolate linearly between the
/// two nearest ranks (the median of an even count is the mean of the middle two).
DurationStats duration_stats(const std::vector<Duration>& seconds);
/// The same over the union of several lists (one multiset), without copying them: the
/// tables keep one list per segment and thread, and "(all)" is their union. The ranks are
/// found by a two-level radix count, two or three passes over the values. `zeros` more
/// values of 0 belong to the set without being listed.
DurationStats duration_stats(const std::vector<const std::vector<Duration>*>& parts, std::uint64_t zeros = 0);

/// `value` at fraction q of the sorted values, linear between ranks; `values` is reordered.
/// The plain definition (nth_element), which duration_stats must agree with.
double quantile(std::vector<Duration>& values, double q);

struct StageRow {
  std::uint64_t reached = 0;
  std::optional<double> step_conversion;     ///< reached / reached of previous stage
  std::optional<double> overall_conversion;  ///< reached / reached of first stage
  std::uint64_t dropped = 0, lost = 0, open = 0, stalled = 0;
  std::optional<Interval> step_ci;  ///< 95% Wilson interval of step_conversion
  /// Two-sided p-value of this segment's step conversion against all other leads' (segments
  /// other than "(all)"; undefined when either side has no leads or the rates are 0 or 1).
  std::optional<double> vs_rest_p;
  DurationStats to_next;     ///< this stage -> next stage, leads with both times
  DurationStats from_entry;  ///< entry -> this stage, leads with a time for this stage
};

struct SectionRow {
  Section section;
  std::uint64_t reached = 0;                 ///< leads that reached the section's first stage
  std::optional<double> conversion;          ///< from the previous section
  std::optional<double> overall_conversion;  ///< from the first stage
};

/// Sales-cycle histogram bucket edges in days: [0,7), [7,14), ... [365, inf).
inline constexpr int kCycleEdges[] = {7, 14, 30, 60, 90, 180, 365};
inline constexpr std::size_t kCycleBuckets = 8;

/// Deal values (with --amount), over the leads of a segment that have one.
struct Money {
  bool present = false;                    ///< --amount was given
  std::uint64_t won_with_amount = 0;       ///< won leads with an amount
  double won_revenue = 0;                  ///< sum of their amounts
  std::optional<double> average_deal;      ///< won_revenue / won_with_amount
  std::optional<double> median_deal;       ///< median amount of won leads (type 7)
  std::optional<double> revenue_per_lead;  ///< won_revenue / leads
  std::uint64_t open_opportunities = 0;    ///< open (not stalled) leads whose furthest stage is in BOFU
  double open_pipeline = 0;                ///< sum of the amounts of open and stalled leads
  /// open_opportunities x average_deal x win_rate / median cycle days: revenue per day.
  std::optional<double> sales_velocity;
};

/// Marketing spend joined to a segment (with --spend).
struct Spend {
  bool present = false;
  double cost = 0;
  std::vector<std::optional<double>> per_stage;  ///< cost / leads that reached each stage
  std::optional<double> cac;                     ///< cost / won
  std::optional<double> roi;                     ///< (won revenue - cost) / cost, with --amount
};

/// Customers who churned after they were won (with churn evidence in the data).
struct Retention {
  bool present = false;               ///< the data can say a customer churned
  std::uint64_t churned = 0;          ///< won leads that churned by the as-of time
  std::uint64_t churned_not_won = 0;  ///< counted leads with churn evidence that are not won (ignored)
  std::optional<double> churn_rate;   ///< churned / won
  /// average_deal / churn_rate (with --amount): a simple lifetime value estimate; undefined
  /// when nobody churned or no won deal has an amount.
  std::optional<double> ltv_estimate;
};

struct Overall {
  std::uint64_t leads = 0, won = 0, lost = 0, open = 0, stalled = 0;
  std::optional<double> win_rate;                     ///< won / (won + lost)
  DurationStats cycle;                                ///< cycle_start -> won
  std::uint64_t cycle_without_entry = 0;              ///< won leads with a won time but no time for an earlier stage
  std::uint64_t cycle_inverted = 0;                   ///< won leads whose won time is before cycle_start
  std::uint64_t cycle_histogram[kCycleBuckets] = {};  ///< won leads by days entry -> won
  Money money;
  Spend spend;
  Retention retention;
};

struct SegmentTable {
  std::string label;  ///< "(all)" for everyone
  std::vector<StageRow> stages;
  std::vector<SectionRow> sections;
  Overall overall;
};

/// Data-quality counts over all leads.
struct DataQuality {
  std::uint64_t leads_with_skips = 0, skipped_stages = 0;
  std::uint64_t leads_with_repeats = 0, repeated_rows = 0;
  std::uint64_t exact_duplicates = 0;     ///< repeated rows at a time already recorded
  std::uint64_t conflicting_repeats = 0;  ///< repeated rows at another time
  std::uint64_t leads_with_regressions = 0;
  std::uint64_t leads_with_inversions = 0;
  std::uint64_t leads_out_of_order = 0;    ///< ordered mode: path stopped by order
  std::uint64_t lost_without_stage = 0;    ///< ids with lost rows but no stage: not leads
  std::uint64_t won_and_lost = 0;          ///< won leads that also have a lost row
  std::uint64_t negative_durations = 0;    ///< stage pairs left out of days because of inversion
  std::uint64_t leads_beyond_window = 0;   ///< reached a stage only after --window
  std::uint64_t leads_outside_period = 0;  ///< entry outside --since/--until (or unknown)
  std::uint64_t won_without_entry = 0;     ///< won leads left out of the sales cycle: no time before the last stage
  std::uint64_t won_before_entry = 0;      ///< won leads left out of the sales cycle: won before their entry
  std::uint64_t lost_by_inactivity = 0;    ///< leads lost by --lost-after, with no lost row
  /// Whether the data can say a lead was lost: some id has lost evidence, or --lost-after
  /// is given. Without it the win rate is undefined (won / won would read 100%).
  bool lost_defined = true;
  std::uint64_t leads_filtered = 0;        ///< counted leads --where left out
};

struct FunnelOptions {
  CountMode mode = CountMode::cumulative;
  Timestamp as_of = kNoTime;  ///< kNoTime: the latest time in the data
  std::int64_t stale = 30 * 86400;
  /// --lost-after, in seconds (0: none): a lead neither won nor lost with no activity for
  /// longer than this before the as-of time is lost.
  std::int64_t lost_after = 0;
  /// --days whole: durations count the calendar days between the two times' local dates in
  /// this zone (--tz); null: --days fractional, elapsed seconds / 86400.
  std::shared_ptr<const Zone> whole_days;
  std::int64_t window = 0;    ///< conversion window in seconds from entry; 0: none
  Timestamp since = kNoTime;  ///< keep leads whose entry is at or after this
  Timestamp until = kNoTime;  ///< keep leads whose entry is before this
  /// --where: which leads pass (by lead index); null: every lead.
  std::shared_ptr<const std::vector<bool>> where;
};

struct FunnelTables {
  std::vector<SegmentTable> segments;  ///< "(all)" first, then labels in byte order
  DataQuality quality;
  Timestamp as_of = kNoTime;
};

/// Why a lead is left out of the tables.
enum class Exclusion {
  none,            ///< counted
  no_stage,        ///< only lost rows: an id, not a lead
  outside_period,  ///< entry outside --since/--until, or unknown while they are set
  filtered,        ///< left out by --where
  not_entered,     ///< ordered mode: never entered the first stage
};
std::string_view exclusion_name(Exclusion e);

/// A lead's path and whether the tables count it: the one rule build_tables and
/// `funnel leads` share.
struct LeadVerdict {
  LeadPath path;
  Exclusion excluded = Exclusion::none;
};
LeadVerdict judge_lead(const LeadStore& store, std::uint32_t lead, const FunnelOptions& options, Timestamp as_of);

/// The duration from `from` to `to` (to >= from) as the tables count it: elapsed seconds, or
/// with --days whole the local calendar days between them times 86400.
inline Duration span(Timestamp from, Timestamp to, const FunnelOptions& options) {
  if (!options.whole_days) return to_duration(to - from);
  const Zone& zone = *options.whole_days;
  const auto local_day = [&](Timestamp t) {
    const Timestamp l = zone.to_local(t);
    return l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
  };
  const std::int64_t days = local_day(to) - local_day(from);
  return to_duration(days > 0 ? days * 86400 : 0);
}

/// Where a won lead's sales cycle starts: the earliest first entry time of the stages before
/// the last (`won`) that the path entered, or kNoTime when none has a time (the cycle is then
/// not measured: a lead whose only time is its close date has no entry time).
Timestamp cycle_start(const LeadPath& path, int won);

/// A lead left out of every segment (for `assignment`).
inline constexpr std::uint32_t kNoSegment = 0xFFFFFFFF;

/// Whether a lead's churn counts: churn after a given --as-of has not happened yet; without
/// one every churn counts (the as-of time is the latest stage time, and a churn date may
/// well be after it).
inline bool churned_by(const std::optional<Timestamp>& churn, const FunnelOptions& options) {
  return churn && (options.as_of == kNoTime || *churn == kNoTime || *churn <= options.as_of);
}

/// Builds the tables. `labels[s]` names segment s; with no breakdown pass an empty vector.
/// Each lead's segment is store.segment(lead), or `(*assignment)[lead]` when given.
/// `amounts` (NaN: none) add the money metrics, `churn` the retention metrics.
FunnelTables build_tables(const LeadStore& store, const StageModel& model, const std::vector<std::string>& labels,
                          const FunnelOptions& options, const std::vector<std::uint32_t>* assignment = nullptr,
                          const std::vector<double>* amounts = nullptr, const ChurnTimes* churn = nullptr);

}  // namespace funnel
