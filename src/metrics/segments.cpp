#include "funnel/segments.h"

#include <algorithm>

namespace funnel {

/// --top N: the N segments with the most leads keep their label, the rest become "(other)".
FunnelTables build_top_tables(const LeadStore& store, const StageModel& model, const std::vector<std::string>& labels,
                              std::size_t top, const FunnelOptions& options, const std::vector<double>* amounts,
                              const ChurnTimes* churn) {
  std::vector<std::uint64_t> leads(labels.size());
  for (std::uint32_t lead = 0; lead < store.size(); ++lead) {
    if (judge_lead(store, lead, options, kNoTime).excluded == Exclusion::none) ++leads[store.segment(lead)];
  }
  std::vector<std::uint32_t> order(labels.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  // Most leads first; equal counts in label byte order, so the cut is deterministic.
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return leads[a] != leads[b] ? leads[a] > leads[b] : labels[a] < labels[b];
  });
  std::vector<std::string> kept;
  std::vector<std::uint32_t> remap(labels.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i < top) {
      remap[order[i]] = static_cast<std::uint32_t>(kept.size());
      kept.push_back(labels[order[i]]);
    } else {
      remap[order[i]] = static_cast<std::uint32_t>(top);
    }
  }
  kept.emplace_back("(other)");
  std::vector<std::uint32_t> assignment(store.size());
  for (std::uint32_t lead = 0; lead < store.size(); ++lead) assignment[lead] = remap[store.segment(lead)];
  FunnelTables tables = build_tables(store, model, kept, options, &assignment, amounts, churn);
  // "(other)" goes last, after the kept labels in byte order.
  auto other = std::find_if(tables.segments.begin() + 1, tables.segments.end(),
                            [](const SegmentTable& t) { return t.label == "(other)"; });
  if (other != tables.segments.end()) std::rotate(other, other + 1, tables.segments.end());
  return tables;
}

}  // namespace funnel
