#include "funnel/funnel_table.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <thread>
#include <bit>

namespace funnel {
namespace {

/// What one segment's leads add up to, gathered lead by lead. The tables keep one per
/// segment (and one for leads without a segment) on each tallying thread; "(all)" is the
/// sum of them all, and its durations the union of their lists.
/// Durations appended in blocks that double up to 64K values: growing never copies (a
/// vector's doubling holds the old and new arrays at once, three times the values), and
/// the blocks are the lists duration_stats() takes. Zeros are only counted: every lead's
/// time from entry to its entry stage is one.
class DurationList {
 public:
  void push_back(Duration d) {
    if (d == 0) {
      ++zeros_;
      return;
    }
    if (blocks_.empty() || blocks_.back().size() == blocks_.back().capacity()) {
      blocks_.emplace_back().reserve(blocks_.size() < 12 ? std::size_t{16} << blocks_.size() : std::size_t{1} << 16);
    }
    blocks_.back().push_back(d);
  }
  const std::vector<std::vector<Duration>>& blocks() const { return blocks_; }
  std::uint64_t zeros() const { return zeros_; }

 private:
  std::vector<std::vector<Duration>> blocks_;
  std::uint64_t zeros_ = 0;
};

struct Accumulator {
  std::vector<std::uint64_t> furthest;             // leads whose furthest stage is k
  std::vector<std::uint64_t> lost, open, stalled;  // by furthest stage
  std::vector<DurationList> to_next, from_entry;
  DurationList cycle;
  std::vector<double> won_amounts;  // in lead order
  double open_pipeline = 0;
  std::uint64_t open_opportunities = 0;
  std::uint64_t churned = 0, churned_not_won = 0;
  std::uint64_t cycle_without_entry = 0, cycle_inverted = 0;  // won leads left out of the cycle

  explicit Accumulator(std::size_t n) : furthest(n), lost(n), open(n), stalled(n), to_next(n), from_entry(n) {}
};

using Parts = std::vector<const Accumulator*>;

/// Leads from which the tables are tallied on two threads.
constexpr std::uint32_t kLeadsForTwoThreads = 100000;

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
  to.won_without_entry += from.won_without_entry;
  to.won_before_entry += from.won_before_entry;
  to.lost_by_inactivity += from.lost_by_inactivity;
  to.leads_filtered += from.leads_filtered;
}

/// The union of one duration list of every part: its blocks, and its zeros.
struct Union {
  std::vector<const std::vector<Duration>*> blocks;
  std::uint64_t zeros = 0;
};
template <class Pick>
Union lists(const Parts& parts, Pick pick) {
  Union out;
  for (const Accumulator* p : parts) {
    for (const auto& block : pick(*p).blocks()) out.blocks.push_back(&block);
    out.zeros += pick(*p).zeros();
  }
  return out;
}
DurationStats stats_of(const Union& u) { return duration_stats(u.blocks, u.zeros); }

std::optional<double> ratio(std::uint64_t a, std::uint64_t b) {
  if (b == 0) return std::nullopt;
  return static_cast<double>(a) / static_cast<double>(b);
}

/// One segment's table from its parts. `money` holds the won amounts and open pipeline in
/// lead order (sums of doubles depend on order), or is null without --amount.
SegmentTable finish(std::string label, const Parts& parts, Accumulator* money, const StageModel& model, bool churn,
                    bool lost_defined) {
  const std::size_t n = model.stages().size();
  SegmentTable table;
  table.label = std::move(label);
  table.stages.resize(n);
  std::vector<std::uint64_t> furthest(n), lost(n), open(n), stalled(n);
  for (const Accumulator* p : parts) {
    for (std::size_t k = 0; k < n; ++k) {
      furthest[k] += p->furthest[k];
      lost[k] += p->lost[k];
      open[k] += p->open[k];
      stalled[k] += p->stalled[k];
    }
  }
  std::uint64_t running = 0;
  for (std::size_t k = n; k-- > 0;) {
    running += furthest[k];
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
      row.lost = lost[k];
      row.open = open[k];
      row.stalled = stalled[k];
    }
    row.to_next = stats_of(lists(
        parts, [k](const Accumulator& a) -> const auto& { return a.to_next[k]; }));
    row.from_entry = stats_of(lists(
        parts, [k](const Accumulator& a) -> const auto& { return a.from_entry[k]; }));
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
  o.lost = std::accumulate(lost.begin(), lost.end(), std::uint64_t{0});
  o.open = std::accumulate(open.begin(), open.end(), std::uint64_t{0});
  o.stalled = std::accumulate(stalled.begin(), stalled.end(), std::uint64_t{0});
  if (lost_defined) o.win_rate = ratio(o.won, o.won + o.lost);
  for (const Accumulator* p : parts) {
    o.cycle_without_entry += p->cycle_without_entry;
    o.cycle_inverted += p->cycle_inverted;
  }
  const Union cycles = lists(
      parts, [](const Accumulator& a) -> const auto& { return a.cycle; });
  o.cycle_histogram[0] += cycles.zeros;
  for (const auto* block : cycles.blocks) {
    for (Duration seconds : *block) {
      std::size_t bucket = 0;
      while (bucket < kCycleBuckets - 1 && std::int64_t{seconds} >= std::int64_t{kCycleEdges[bucket]} * 86400) ++bucket;
      ++o.cycle_histogram[bucket];
    }
  }
  o.cycle = stats_of(cycles);
  if (money != nullptr) {
    Money& m = o.money;
    std::vector<double>& won = money->won_amounts;
    m.present = true;
    m.won_with_amount = won.size();
    for (double a : won) m.won_revenue += a;
    m.open_pipeline = money->open_pipeline;
    m.open_opportunities = money->open_opportunities;
    if (!won.empty()) {
      m.average_deal = m.won_revenue / static_cast<double>(won.size());
      std::sort(won.begin(), won.end());
      const double h = static_cast<double>(won.size() - 1) * 0.5;
      const auto lo = static_cast<std::size_t>(h);
      const double below = won[lo];
      const double above = won[std::min(lo + 1, won.size() - 1)];
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
    for (const Accumulator* p : parts) {
      r.churned += p->churned;
      r.churned_not_won += p->churned_not_won;
    }
    r.churn_rate = ratio(r.churned, o.won);
    if (o.money.average_deal && r.churn_rate && *r.churn_rate > 0)
      r.ltv_estimate = *o.money.average_deal / *r.churn_rate;
  }
  return table;
}

}  // namespace

Timestamp cycle_start(const LeadPath& path, int won) {
  Timestamp start = kNoTime;
  for (int k = 0; k < won && k <= path.furthest; ++k) {
    const Timestamp t = path.first[k];
    if (t != kNoTime && (start == kNoTime || t < start)) start = t;
  }
  return start;
}

std::string_view exclusion_name(Exclusion e) {
  switch (e) {
    case Exclusion::none: return "";
    case Exclusion::no_stage: return "no stage";
    case Exclusion::outside_period: return "outside period";
    case Exclusion::filtered: return "left out by --where";
    case Exclusion::not_entered: return "first stage not entered";
  }
  return "";
}

LeadVerdict judge_lead(const LeadStore& store, std::uint32_t lead, const FunnelOptions& options, Timestamp as_of) {
  // Built in place: a path is a few hundred bytes, and this runs once per lead per table.
  LeadVerdict v{reconstruct_path(store, lead, options.mode, as_of, options.stale, options.window, options.lost_after),
                Exclusion::none};
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
  if (v.excluded == Exclusion::none && options.where && !(*options.where)[lead]) v.excluded = Exclusion::filtered;
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
  const double above =
      static_cast<double>(*std::min_element(values.begin() + static_cast<std::ptrdiff_t>(lo) + 1, values.end()));
  return below + (h - static_cast<double>(lo)) * (above - below);
}

namespace {

/// The values at `count` (at most 4) ascending 0-based ranks of the union of `lists`, whose
/// largest value is `max`. A count of the values' top 16 significant bits finds the bucket
/// of each rank; the few values in those buckets are then selected exactly.
void select_ranks(const std::vector<const std::vector<Duration>*>& lists, Duration max, const std::uint64_t* ranks,
                  std::size_t count, Duration* out) {
  const int width = static_cast<int>(std::bit_width(max));
  const int shift = width > 16 ? width - 16 : 0;
  // Counts fit 32 bits: a list holds at most one value per lead, and leads are under 2^31.
  std::vector<std::uint32_t> hist((std::size_t{max} >> shift) + 1);
  for (const auto* list : lists) {
    for (Duration v : *list) ++hist[v >> shift];
  }
  std::size_t bucket[4];
  std::uint64_t within[4];
  std::uint64_t below = 0;
  std::size_t b = 0;
  for (std::size_t i = 0; i < count; ++i) {
    while (below + hist[b] <= ranks[i]) below += hist[b++];
    bucket[i] = b;
    within[i] = ranks[i] - below;
  }
  if (shift == 0) {  // a bucket is one value
    for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<Duration>(bucket[i]);
    return;
  }
  std::size_t wanted[4], slot[4], distinct = 0;
  for (std::size_t i = 0; i < count; ++i) {
    slot[i] = distinct;
    for (std::size_t j = 0; j < distinct; ++j) {
      if (wanted[j] == bucket[i]) slot[i] = j;
    }
    if (slot[i] == distinct) wanted[distinct++] = bucket[i];
  }
  std::vector<Duration> picked[4];
  for (std::size_t j = 0; j < distinct; ++j) picked[j].reserve(hist[wanted[j]]);
  for (const auto* list : lists) {
    for (Duration v : *list) {
      const std::size_t h = v >> shift;
      for (std::size_t j = 0; j < distinct; ++j) {
        if (h == wanted[j]) picked[j].push_back(v);
      }
    }
  }
  for (std::size_t i = 0; i < count; ++i) {
    std::vector<Duration>& values = picked[slot[i]];
    const auto at = values.begin() + static_cast<std::ptrdiff_t>(within[i]);
    std::nth_element(values.begin(), at, values.end());
    out[i] = *at;
  }
}

}  // namespace

DurationStats duration_stats(const std::vector<const std::vector<Duration>*>& lists, std::uint64_t zeros) {
  DurationStats stats;
  std::uint64_t n = zeros, sum = 0;  // exact: under 2^32 values of under 2^32 each
  Duration max = 0;
  for (const auto* list : lists) {
    n += list->size();
    for (Duration v : *list) {
      sum += v;
      max = std::max(max, v);
    }
  }
  stats.count = n;
  if (n == 0) return stats;
  constexpr double day = 86400.0;
  stats.mean = static_cast<double>(static_cast<long double>(sum) / static_cast<long double>(n)) / day;
  if (n <= 4096) {
    // Few values: copied together and selected directly, cheaper than a 64K-bucket count.
    std::vector<Duration> all(zeros, 0);
    all.reserve(n);
    for (const auto* list : lists) all.insert(all.end(), list->begin(), list->end());
    stats.median = quantile(all, 0.5) / day;
    stats.p90 = quantile(all, 0.9) / day;
    return stats;
  }
  // Type 7, as quantile(): h = (n-1)q, between the values at ranks floor(h) and floor(h) + 1.
  const double h50 = static_cast<double>(n - 1) * 0.5, h90 = static_cast<double>(n - 1) * 0.9;
  const auto lo50 = static_cast<std::uint64_t>(h50), lo90 = static_cast<std::uint64_t>(h90);
  std::uint64_t ranks[4] = {lo50, std::min(lo50 + 1, n - 1), lo90, std::min(lo90 + 1, n - 1)};
  std::sort(ranks, ranks + 4);
  // The zeros come first: ranks below their count are 0, the others are looked up among
  // the listed values.
  Duration values[4] = {};
  std::size_t listed = 0;
  while (listed < 4 && ranks[listed] < zeros) ++listed;
  std::uint64_t shifted[4];
  for (std::size_t i = listed; i < 4; ++i) shifted[i] = ranks[i] - zeros;
  if (listed < 4) select_ranks(lists, max, shifted + listed, 4 - listed, values + listed);
  auto at = [&](std::uint64_t rank) {
    return static_cast<double>(values[std::lower_bound(ranks, ranks + 4, rank) - ranks]);
  };
  auto interpolate = [&](double h, std::uint64_t lo) {
    const double below = at(lo);
    if (lo + 1 >= n) return below;
    return below + (h - static_cast<double>(lo)) * (at(lo + 1) - below);
  };
  stats.median = interpolate(h50, lo50) / day;
  stats.p90 = interpolate(h90, lo90) / day;
  return stats;
}

DurationStats duration_stats(const std::vector<Duration>& seconds) {
  return duration_stats(std::vector<const std::vector<Duration>*>{&seconds});
}

FunnelTables build_tables(const LeadStore& store, const StageModel& model, const std::vector<std::string>& labels,
                          const FunnelOptions& options, const std::vector<std::uint32_t>* assignment,
                          const std::vector<double>* amounts, const ChurnTimes* churn) {
  FunnelTables out;
  const auto n = static_cast<std::size_t>(model.size());
  out.as_of = options.as_of != kNoTime ? options.as_of : store.latest();

  DataQuality& quality = out.quality;
  quality.lost_defined = options.lost_after > 0;
  for (std::uint32_t lead = 0; lead < store.size() && !quality.lost_defined; ++lead)
    quality.lost_defined = store.lost(lead);
  quality.exact_duplicates = store.exact_duplicates();
  quality.conflicting_repeats = store.conflicting_repeats();

  // Every lead in [begin, end) into its segment's accumulator (the last one: no segment)
  // and the quality counts; with --amount also `money`, the (all) amounts in lead order.
  auto tally = [&](std::uint32_t begin, std::uint32_t end, std::vector<Accumulator>& buckets, Accumulator* money,
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
      if (verdict.excluded == Exclusion::filtered) {
        ++q.leads_filtered;
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
      q.lost_by_inactivity += path.lost_by_inactivity;
      if (verdict.excluded == Exclusion::not_entered) continue;

      const auto f = static_cast<std::size_t>(path.furthest);
      std::size_t bucket = buckets.size() - 1;
      if (!labels.empty()) {
        std::uint32_t segment = assignment != nullptr ? (*assignment)[lead] : store.segment(lead);
        if (segment != kNoSegment) bucket = segment;
      }
      Accumulator& acc = buckets[bucket];
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
        acc.from_entry[static_cast<std::size_t>(k)].push_back(span(path.entry, t, options));
        if (k < path.furthest) {
          Timestamp next = path.first[k + 1];
          if (next != kNoTime && next >= t) {
            acc.to_next[static_cast<std::size_t>(k)].push_back(span(t, next, options));
          }
        }
      }
      if (amounts != nullptr) {
        double amount = (*amounts)[lead];
        bool known = !std::isnan(amount);
        for (Accumulator* to : {&acc, money}) {
          if (path.status == LeadStatus::won && known) to->won_amounts.push_back(amount);
          if ((path.status == LeadStatus::open || path.status == LeadStatus::stalled) && known)
            to->open_pipeline += amount;
          if (path.status == LeadStatus::open && model.stages()[f].section == Section::bofu) ++to->open_opportunities;
        }
      }
      if (path.status == LeadStatus::won) {
        // The cycle runs from the earliest time of a stage before the last: a lead whose
        // only time is its won time has no entry to measure from, and one won before it
        // entered (an inversion) is left out, not counted at 0 days.
        const Timestamp won = path.first[model.won()];
        if (won != kNoTime) {
          const Timestamp start = cycle_start(path, model.won());
          if (start == kNoTime) {
            ++acc.cycle_without_entry;
            ++q.won_without_entry;
          } else if (won < start) {
            ++acc.cycle_inverted;
            ++q.won_before_entry;
          } else {
            acc.cycle.push_back(span(start, won, options));
          }
        }
      }
      if (churn != nullptr && lead < churn->size() && churned_by((*churn)[lead], options)) {
        if (path.status == LeadStatus::won) {
          ++acc.churned;
        } else {
          ++acc.churned_not_won;
        }
      }

      for (int k = 0; k < path.furthest; ++k) {
        Timestamp t = path.first[k], next = path.first[k + 1];
        q.negative_durations += t != kNoTime && next != kNoTime && next < t;
      }
    }
  };

  const std::uint32_t total = store.size();
  const bool two = total >= kLeadsForTwoThreads && amounts == nullptr;
  std::vector<Accumulator> buckets(labels.size() + 1, Accumulator(n)), buckets2;
  Accumulator money(n);
  Accumulator* money_of_all = amounts != nullptr ? &money : nullptr;
  if (two) {
    // Two halves on two threads: counts add up and durations are one multiset (quantiles
    // and exact integer sums do not depend on order). Amounts are summed as doubles, whose
    // rounding does depend on order, so they stay on one thread.
    const std::uint32_t half = total / 2;
    buckets2.assign(labels.size() + 1, Accumulator(n));
    DataQuality q2;
    std::thread second([&] { tally(half, total, buckets2, nullptr, q2); });
    tally(0, half, buckets, nullptr, quality);
    second.join();
    merge(quality, q2);
  } else {
    tally(0, total, buckets, money_of_all, quality);
  }
  auto parts_of = [&](std::size_t s) {
    Parts parts{&buckets[s]};
    if (two) parts.push_back(&buckets2[s]);
    return parts;
  };
  Parts all_parts;
  for (std::size_t s = 0; s < buckets.size(); ++s) {
    for (const Accumulator* p : parts_of(s)) all_parts.push_back(p);
  }
  const bool churned = churn != nullptr;
  // The segments hold the same durations as (all) between them: on big inputs they are
  // finished on a second thread while this one finishes (all).
  std::vector<SegmentTable> segments;
  auto finish_segments = [&] {
    std::vector<std::size_t> order(labels.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return labels[a] < labels[b]; });
    for (std::size_t s : order) {
      std::uint64_t leads = 0;
      for (const Accumulator* p : parts_of(s))
        leads += std::accumulate(p->furthest.begin(), p->furthest.end(), std::uint64_t{0});
      if (leads == 0) continue;  // labels seen only on rows that made no lead
      segments.push_back(finish(labels[s], parts_of(s), amounts != nullptr ? &buckets[s] : nullptr, model, churned,
                                quality.lost_defined));
    }
  };
  if (total >= kLeadsForTwoThreads && !labels.empty()) {
    std::thread second(finish_segments);
    out.segments.push_back(finish("(all)", all_parts, money_of_all, model, churned, quality.lost_defined));
    second.join();
  } else {
    out.segments.push_back(finish("(all)", all_parts, money_of_all, model, churned, quality.lost_defined));
    finish_segments();
  }
  for (SegmentTable& table : segments) out.segments.push_back(std::move(table));
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
