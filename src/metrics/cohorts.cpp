#include "funnel/cohorts.h"

#include <map>

namespace funnel {
namespace {

/// The earliest known stage time of a lead, or kNoTime.
Timestamp entry_of(const LeadStore& store, std::uint32_t lead) {
  Timestamp entry = kNoTime;
  for (int k = 0; k < store.stage_count(); ++k) {
    Timestamp t = store.entered(lead, k) ? store.first(lead, k) : kNoTime;
    if (t != kNoTime && (entry == kNoTime || t < entry)) entry = t;
  }
  return entry;
}

}  // namespace

/// One funnel per entry period: leads are segmented by the local period of their entry.
CohortTables build_cohorts(const LeadStore& store, const StageModel& model, const Zone& zone, Period every,
                           const FunnelOptions& options) {
  CohortTables out;
  std::vector<std::string> labels;
  std::map<std::string, std::uint32_t> index;
  std::map<std::string, PeriodSpan> spans;
  std::vector<std::uint32_t> assignment(store.size(), kNoSegment);
  for (std::uint32_t lead = 0; lead < store.size(); ++lead) {
    Timestamp entry = entry_of(store, lead);
    if (entry == kNoTime) continue;
    PeriodSpan span = period_of(day_of(zone.to_local(entry)), every);
    auto [it, added] = index.emplace(span.label, static_cast<std::uint32_t>(labels.size()));
    if (added) {
      labels.push_back(span.label);
      spans.emplace(span.label, span);
    }
    assignment[lead] = it->second;
  }
  out.tables = build_tables(store, model, labels, options, &assignment);
  // A cohort is complete when its period, plus the conversion window, ended by the as-of time.
  Timestamp as_of_local = out.tables.as_of == kNoTime ? kNoTime : zone.to_local(out.tables.as_of);
  for (std::size_t s = 1; s < out.tables.segments.size(); ++s) {
    const PeriodSpan& span = spans.at(out.tables.segments[s].label);
    bool complete = as_of_local != kNoTime && span.end_day * 86400 + options.window <= as_of_local;
    out.cohorts.push_back({span.label, span.first_day, complete});
  }
  return out;
}

/// Leads entering each stage per local period, by the stage's first entry time.
Trend build_trend(const LeadStore& store, const Zone& zone, Period every, const FunnelOptions& options,
                  Timestamp as_of) {
  Trend trend;
  const auto n = static_cast<std::size_t>(store.stage_count());
  std::map<std::int64_t, std::pair<std::string, std::vector<std::uint64_t>>> periods;
  for (std::uint32_t lead = 0; lead < store.size(); ++lead) {
    if (options.where && !(*options.where)[lead]) continue;  // left out by --where
    for (std::size_t k = 0; k < n; ++k) {
      if (!store.entered(lead, static_cast<int>(k))) continue;
      Timestamp t = store.first(lead, static_cast<int>(k));
      if (t == kNoTime || (options.since != kNoTime && t < options.since) ||
          (options.until != kNoTime && t >= options.until))
        continue;
      PeriodSpan span = period_of(day_of(zone.to_local(t)), every);
      auto& slot = periods[span.first_day];
      if (slot.second.empty()) slot = {span.label, std::vector<std::uint64_t>(n, 0)};
      ++slot.second[k];
    }
  }
  if (periods.empty()) return trend;
  const Timestamp as_of_local = as_of == kNoTime ? kNoTime : zone.to_local(as_of);
  // Every period from the first to the last, quiet ones as zeros, so a series has no holes.
  for (std::int64_t day = periods.begin()->first; day <= periods.rbegin()->first;) {
    PeriodSpan span = period_of(day, every);
    auto it = periods.find(span.first_day);
    trend.periods.push_back(span.label);
    trend.first_days.push_back(span.first_day);
    trend.entered.push_back(it != periods.end() ? it->second.second : std::vector<std::uint64_t>(n, 0));
    trend.complete.push_back(as_of_local != kNoTime && span.end_day * 86400 <= as_of_local);
    day = span.end_day;
  }
  return trend;
}

}  // namespace funnel
