#include "funnel/funnel_table.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <thread>

namespace funnel {
namespace {

/// Everything needed to finish one segment's table, gathered lead by lead.
struct Accumulator {
  std::vector<std::uint64_t> furthest;                   // leads whose furthest stage is k
  std::vector<std::uint64_t> lost, open, stalled;        // by furthest stage
  std::vector<std::vector<Duration>> to_next, from_entry;
  std::vector<Duration> cycle;
  std::vector<double> won_amounts;
  double open_pipeline = 0;
  std::uint64_t open_opportunities = 0;
  std::uint64_t churned = 0, churned_not_won = 0;

  explicit Accumulator(std::size_t n)
      : furthest(n), lost(n), open(n), stalled(n), to_next(n), from_entry(n) {}
};

/// Leads from which the tables are tallied on two threads.
constexpr std::uint32_t kLeadsForTwoThreads = 100000;

template <class T>
void append(std::vector<T>& to, const std::vector<T>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

void merge(Accumulator& to, const Accumulator& from) {
  for (std::size_t k = 0; k < to.furthest.size(); ++k) {
    to.furthest[k] += from.furthest[k];
    to.lost[k] += from.lost[k];
    to.open[k] += from.open[k];
    to.stalled[k] += from.stalled[k];
    append(to.to_next[k], from.to_next[k]);
    append(to.from_entry[k], from.from_entry[k]);
  }
  append(to.cycle, from.cycle);
  append(to.won_amounts, from.won_amounts);
  to.open_pipeline += from.open_pipeline;
  to.open_opportunities += from.open_opportunities;
  to.churned += from.churned;
  to.churned_not_won += from.churned_not_won;
}

void merge(DataQuality& to, const DataQuality& from) {
  to.leads_with_skips += from.leads_with_skips;
  to.skipped_stages += from.skipped_stages;
  to.leads_with_repeats += from.leads_with_repeats;
  to.repeated_rows += from.repeated_rows;
  to.leads_with_regressions += from.leads_with_regressions;
  to.leads_with_inversions += from.leads_with_inversions;
  to.leads_out_of_order += from.leads_out_of_order;
  to.lost_without_stage += from.lost_without_stage;
  to.won_and_lost += from.won_and_lost;
  to.negative_durations += from.negative_durations;
  to.leads_beyond_window += from.leads_beyond_window;
  to.leads_outside_period += from.leads_outside_period;
}

std::optional<double> ratio(std::uint64_t a, std::uint64_t b) {
  if (b == 0) return std::nullopt;
  return static_cast<double>(a) / static_cast<double>(b);
}

SegmentTable finish(std::string label, Accumulator& acc, const StageModel& model, bool money, bool churn) {
  const std::size_t n = acc.furthest.size();
  SegmentTable table;
  table.label = std::move(label);
  table.stages.resize(n);
  std::uint64_t running = 0;
  for (std::size_t k = n; k-- > 0;) {
    running += acc.furthest[k];
    table.stages[k].reached = running;
  }
  for (std::size_t k = 0; k < n; ++k) {
    StageRow& row = table.stages[k];
    if (k > 0) {
      row.step_conversion = ratio(row.reached, table.stages[k - 1].reached);
      row.step_ci = wilson(row.reached, table.stages[k - 1].reached);
    }
    row.overall_conversion = ratio(row.reached, table.stages[0].reached);
    if (k + 1 < n) {
      row.dropped = row.reached - table.stages[k + 1].reached;
      row.lost = acc.lost[k];
      row.open = acc.open[k];
      row.stalled = acc.stalled[k];
    }
    row.to_next = duration_stats(acc.to_next[k]);
    row.from_entry = duration_stats(acc.from_entry[k]);
  }
  // Sections: a section is reached when its first stage is.
  for (std::size_t k = 0; k < n; ++k) {
    Section s = model.stages()[k].section;
    if (!table.sections.empty() && table.sections.back().section == s) continue;
    SectionRow row{s, table.stages[k].reached, std::nullopt, std::nullopt};
    if (!table.sections.empty()) row.conversion = ratio(row.reached, table.sections.back().reached);
    row.overall_conversion = ratio(row.reached, table.stages[0].reached);
    table.sections.push_back(row);
  }
  Overall& o = table.overall;
  o.leads = table.stages[0].reached;
  o.won = table.stages[n - 1].reached;
  o.lost = std::accumulate(acc.lost.begin(), acc.lost.end(), std::uint64_t{0});
  o.open = std::accumulate(acc.open.begin(), acc.open.end(), std::uint64_t{0});
  o.stalled = std::accumulate(acc.stalled.begin(), acc.stalled.end(), std::uint64_t{0});
  o.win_rate = ratio(o.won, o.won + o.lost);
  for (Duration seconds : acc.cycle) {
    std::size_t bucket = 0;
    while (bucket < kCycleBuckets - 1 && std::int64_t{seconds} >= std::int64_t{kCycleEdges[bucket]} * 86400) ++bucket;
    ++o.cycle_histogram[bucket];
  }
  o.cycle = duration_stats(acc.cycle);
  if (money) {
    Money& m = o.money;
    m.present = true;
    m.won_with_amount = acc.won_amounts.size();
    for (double a : acc.won_amounts) m.won_revenue += a;
    m.open_pipeline = acc.open_pipeline;
    m.open_opportunities = acc.open_opportunities;
    if (!acc.won_amounts.empty()) {
      m.average_deal = m.won_revenue / static_cast<double>(acc.won_amounts.size());
      std::sort(acc.won_amounts.begin(), acc.won_amounts.end());
      const double h = static_cast<double>(acc.won_amounts.size() - 1) * 0.5;
      const auto lo = static_cast<std::size_t>(h);
      const double below = acc.won_amounts[lo];
      const double above = acc.won_amounts[std::min(lo + 1, acc.won_amounts.size() - 1)];
      m.median_deal = below + (h - static_cast<double>(lo)) * (above - below);
    }
    if (o.leads > 0) m.revenue_per_lead = m.won_revenue / static_cast<double>(o.leads);
    if (m.average_deal && o.win_rate && o.cycle.count > 0 && o.cycle.median > 0) {
      m.sales_velocity = static_cast<double>(m.open_opportunities) * *m.average_deal * *o.win_rate / o.cycle.median;
    }
  }
  if (churn) {
    Retention& r = o.retention;
    r.present = true;
    r.churned = acc.churned;
    r.churned_not_won = acc.churned_not_won;
    r.churn_rate = ratio(r.churned, o.won);
    if (o.money.average_deal && r.churn_rate && *r.churn_rate > 0) r.ltv_estimate = *o.money.average_deal / *r.churn_rate;
  }
  return table;
}

}  // namespace

std::string_view exclusion_name(Exclusion e) {
  switch (e) {
    case Exclusion::none: return "";
    case Exclusion::no_stage: return "no stage";
    case Exclusion::outside_period: return "outside period";
    case Exclusion::not_entered: return "first stage not entered";
  }
  return "";
}

LeadVerdict judge_lead(const LeadStore& store, std::uint32_t lead, const FunnelOptions& options, Timestamp as_of) {
  // Built in place: a path is a few hundred bytes, and this runs once per lead per table.
  LeadVerdict v{reconstruct_path(store, lead, options.mode, as_of, options.stale, options.window), Exclusion::none};
  bool any_stage = false;
  for (int k = 0; k < store.stage_count() && !any_stage; ++k) any_stage = store.entered(lead, k);
  if (!any_stage) {
    v.excluded = Exclusion::no_stage;
  } else if (options.since != kNoTime || options.until != kNoTime) {
    const Timestamp entry = v.path.entry;
    bool inside = entry != kNoTime && (options.since == kNoTime || entry >= options.since) &&
                  (options.until == kNoTime || entry < options.until);
    if (!inside) v.excluded = Exclusion::outside_period;
  }
  if (v.excluded == Exclusion::none && v.path.furthest < 0) v.excluded = Exclusion::not_entered;
  return v;
}

double quantile(std::vector<Duration>& values, double q) {
  // Type 7 (R's default, numpy's "linear"): h = (n-1)q, interpolate between floor and ceil.
  const double h = static_cast<double>(values.size() - 1) * q;
  const auto lo = static_cast<std::size_t>(h);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(lo), values.end());
  const double below = static_cast<double>(values[lo]);
  if (lo + 1 >= values.size()) return below;
  const double above = static_cast<double>(
      *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(lo) + 1, values.end()));
  return below + (h - static_cast<double>(lo)) * (above - below);
}

DurationStats duration_stats(std::vector<Duration>& seconds) {
  DurationStats stats;
  stats.count = seconds.size();
  if (seconds.empty()) return stats;
  constexpr double day = 86400.0;
  long double sum = 0;
  for (auto s : seconds) sum += static_cast<long double>(s);
  stats.mean = static_cast<double>(sum / static_cast<long double>(seconds.size())) / day;
  stats.median = quantile(seconds, 0.5) / day;
  stats.p90 = quantile(seconds, 0.9) / day;
  return stats;
}

FunnelTables build_tables(const LeadStore& store, const StageModel& model,
                          const std::vector<std::string>& labels, const FunnelOptions& options,
                          const std::vector<std::uint32_t>* assignment, const std::vector<double>* amounts,
                          const ChurnTimes* churn) {
  FunnelTables out;
  const auto n = static_cast<std::size_t>(model.size());
  out.as_of = options.as_of != kNoTime ? options.as_of : store.latest();

  DataQuality& quality = out.quality;
  quality.exact_duplicates = store.exact_duplicates();
  quality.conflicting_repeats = store.conflicting_repeats();

  // Every lead in [begin, end) into the accumulators and the quality counts.
  auto tally = [&](std::uint32_t begin, std::uint32_t end, Accumulator& all, std::vector<Accumulator>& by_segment,
                   DataQuality& q) {
    for (std::uint32_t lead = begin; lead < end; ++lead) {
      LeadVerdict verdict = judge_lead(store, lead, options, out.as_of);
      const LeadPath& path = verdict.path;
      if (verdict.excluded == Exclusion::no_stage) {
        q.lost_without_stage += store.lost(lead);
        continue;
      }
      if (verdict.excluded == Exclusion::outside_period) {
        ++q.leads_outside_period;
        continue;
      }
      q.leads_beyond_window += path.beyond_window;
      q.leads_with_skips += path.skipped > 0;
      q.skipped_stages += static_cast<std::uint64_t>(path.skipped);
      q.leads_with_repeats += store.repeats(lead) > 0;
      q.repeated_rows += store.repeats(lead);
      q.leads_with_regressions += path.regression;
      q.leads_with_inversions += path.inversion;
      q.leads_out_of_order += path.order_broken;
      q.won_and_lost += path.status == LeadStatus::won && path.lost_evidence;
      if (verdict.excluded == Exclusion::not_entered) continue;

      auto record = [&](Accumulator& acc) {
        const auto f = static_cast<std::size_t>(path.furthest);
        ++acc.furthest[f];
        switch (path.status) {
          case LeadStatus::lost: ++acc.lost[f]; break;
          case LeadStatus::open: ++acc.open[f]; break;
          case LeadStatus::stalled: ++acc.stalled[f]; break;
          case LeadStatus::won: break;
        }
        for (int k = 0; k <= path.furthest; ++k) {
          Timestamp t = path.first[k];
          if (t == kNoTime) continue;
          acc.from_entry[static_cast<std::size_t>(k)].push_back(to_duration(t - path.entry));
          if (k < path.furthest) {
            Timestamp next = path.first[k + 1];
            if (next != kNoTime && next >= t) {
              acc.to_next[static_cast<std::size_t>(k)].push_back(to_duration(next - t));
            }
          }
        }
        if (amounts != nullptr) {
          double amount = (*amounts)[lead];
          bool known = !std::isnan(amount);
          if (path.status == LeadStatus::won && known) acc.won_amounts.push_back(amount);
          if ((path.status == LeadStatus::open || path.status == LeadStatus::stalled) && known) acc.open_pipeline += amount;
          if (path.status == LeadStatus::open && model.stages()[f].section == Section::bofu) ++acc.open_opportunities;
        }
        if (path.status == LeadStatus::won) {
          Timestamp won = path.first[model.won()];
          if (won != kNoTime) acc.cycle.push_back(to_duration(won - path.entry));
        }
        if (churn != nullptr && lead < churn->size() && churned_by((*churn)[lead], options)) {
          if (path.status == LeadStatus::won) {
            ++acc.churned;
          } else {
            ++acc.churned_not_won;
          }
        }
      };
      record(all);
      if (!labels.empty()) {
        std::uint32_t segment = assignment != nullptr ? (*assignment)[lead] : store.segment(lead);
        if (segment != kNoSegment) record(by_segment[segment]);
      }

      for (int k = 0; k < path.furthest; ++k) {
        Timestamp t = path.first[k], next = path.first[k + 1];
        q.negative_durations += t != kNoTime && next != kNoTime && next < t;
      }
    }

  };

  Accumulator all(n);
  std::vector<Accumulator> by_segment(labels.size(), Accumulator(n));
  const std::uint32_t total = store.size();
  if (total >= kLeadsForTwoThreads && amounts == nullptr) {
    // Two halves on two threads, then merged: counts add up, durations are one multiset
    // (quantiles and exact integer sums do not depend on order). Amounts are summed as
    // doubles, whose rounding does depend on order, so they stay on one thread.
    const std::uint32_t half = total / 2;
    Accumulator all2(n);
    std::vector<Accumulator> by_segment2(labels.size(), Accumulator(n));
    DataQuality q2;
    std::thread second([&] { tally(half, total, all2, by_segment2, q2); });
    tally(0, half, all, by_segment, quality);
    second.join();
    merge(all, all2);
    for (std::size_t i = 0; i < by_segment.size(); ++i) merge(by_segment[i], by_segment2[i]);
    merge(quality, q2);
  } else {
    tally(0, total, all, by_segment, quality);
  }

  out.segments.push_back(finish("(all)", all, model, amounts != nullptr, churn != nullptr));
  std::vector<std::size_t> order(labels.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return labels[a] < labels[b]; });
  for (std::size_t s : order) {
    if (by_segment[s].furthest.empty()) continue;
    std::uint64_t leads = std::accumulate(by_segment[s].furthest.begin(), by_segment[s].furthest.end(), std::uint64_t{0});
    if (leads == 0) continue;  // labels seen only on rows that made no lead
    out.segments.push_back(finish(labels[s], by_segment[s], model, amounts != nullptr, churn != nullptr));
  }
  // Each segment's step conversions against everyone else's.
  const SegmentTable& everyone = out.segments.front();
  for (std::size_t s = 1; s < out.segments.size(); ++s) {
    auto& rows = out.segments[s].stages;
    for (std::size_t k = 1; k < rows.size(); ++k) {
      std::uint64_t x = rows[k].reached, m = rows[k - 1].reached;
      const std::uint64_t rest_x = everyone.stages[k].reached - x, rest_m = everyone.stages[k - 1].reached - m;
      // Too few leads for the normal approximation: no test, so no small segment looks like a signal.
      if (!large_enough_for_z(x, m, rest_x, rest_m)) continue;
      if (auto z = two_proportion_z(x, m, rest_x, rest_m)) rows[k].vs_rest_p = two_sided_p(*z);
    }
  }
  return out;
}

}  // namespace funnel
