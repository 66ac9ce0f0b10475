#include <doctest/doctest.h>

#include <cmath>

#include "funnel/funnel_table.h"

using namespace funnel;

namespace {
constexpr Timestamp day = 86400;
constexpr int lost = -1;
}  // namespace

TEST_SUITE("funnel_table") {
  TEST_CASE("quantiles interpolate between ranks; an even median is the mean of the middle two") {
    std::vector<Duration> v{40, 10, 30, 20};
    // sorted 10 20 30 40: median h = 1.5 -> 20 + 0.5*10 = 25; p90 h = 2.7 -> 30 + 0.7*10 = 37
    CHECK(quantile(v, 0.5) == doctest::Approx(25));
    CHECK(quantile(v, 0.9) == doctest::Approx(37));
    std::vector<Duration> one{7};
    CHECK(quantile(one, 0.9) == 7);
    std::vector<Duration> secs{86400, 3 * 86400, 8 * 86400};
    auto s = duration_stats(secs);
    CHECK(s.count == 3);
    CHECK(s.median == doctest::Approx(3));
    CHECK(s.mean == doctest::Approx(4));  // (1 + 3 + 8) / 3
    CHECK(s.p90 == doctest::Approx(7));   // h = 1.8 -> 3 + 0.8*5
  }

  TEST_CASE("duration_stats over several lists equals the plain quantiles of their union") {
    // The radix selection (over 4,096 values; fewer are copied and selected directly)
    // against nth_element: small and large sets, values that need one
    // and two levels (under and over 2^16), heavy ties, the saturated maximum, one outlier
    // that puts every other value in one bucket, lists left empty.
    std::uint64_t state = 12345;
    auto next = [&] {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      return static_cast<std::uint32_t>(state >> 33);
    };
    const std::uint32_t spans[] = {1, 7, 1000, 65536, 86400 * 400, 0xFFFFFFFFu};
    for (std::size_t n : {1u, 2u, 3u, 5u, 10u, 101u, 4096u, 4097u, 9000u, 30001u}) {
      for (std::uint32_t span : spans) {
        for (int lists = 1; lists <= 4; ++lists) {
          std::vector<std::vector<Duration>> parts(static_cast<std::size_t>(lists) + 1);  // the last stays empty
          std::vector<Duration> all;
          for (std::size_t i = 0; i < n; ++i) {
            Duration v = span == 0xFFFFFFFFu ? (i % 3 == 0 ? 0xFFFFFFFFu : next()) : next() % span;
            if (i % 5 == 0) v = span / 2;                   // ties around the middle
            if (lists == 4 && i == n / 2) v = 0xFFFFFFF0u;  // one outlier: the rest share a top bucket
            parts[i % static_cast<std::size_t>(lists)].push_back(v);
            all.push_back(v);
          }
          std::vector<const std::vector<Duration>*> views;
          for (const auto& p : parts) views.push_back(&p);
          CAPTURE(n);
          CAPTURE(span);
          CAPTURE(lists);
          DurationStats got = duration_stats(views);
          long double sum = 0;
          for (Duration v : all) sum += v;
          CHECK(got.count == n);
          CHECK(got.median == quantile(all, 0.5) / 86400.0);
          CHECK(got.p90 == quantile(all, 0.9) / 86400.0);
          CHECK(got.mean == static_cast<double>(sum / static_cast<long double>(n)) / 86400.0);
          // The same set with its zeros counted, not listed (and some more zeros).
          for (std::uint64_t extra : {std::uint64_t{0}, std::uint64_t{n / 2 + 1}, std::uint64_t{5 * n}}) {
            CAPTURE(extra);
            std::uint64_t zeros = extra;
            std::vector<std::vector<Duration>> listed(parts.size());
            for (std::size_t p = 0; p < parts.size(); ++p) {
              for (Duration v : parts[p]) (v == 0 ? ++zeros : (listed[p].push_back(v), zeros));
            }
            std::vector<const std::vector<Duration>*> listed_views;
            for (const auto& p : listed) listed_views.push_back(&p);
            std::vector<Duration> with_zeros = all;
            with_zeros.insert(with_zeros.end(), extra, 0);
            DurationStats z = duration_stats(listed_views, zeros);
            CHECK(z.count == with_zeros.size());
            CHECK(z.median == quantile(with_zeros, 0.5) / 86400.0);
            CHECK(z.p90 == quantile(with_zeros, 0.9) / 86400.0);
            CHECK(z.mean == static_cast<double>(sum / static_cast<long double>(with_zeros.size())) / 86400.0);
          }
        }
      }
    }
    std::vector<Duration> none;
    CHECK(duration_stats(none).count == 0);
  }

  // Five leads through lead -> mql -> sql (won = sql), as of day 100, stale 30 days:
  //   A: lead d0, mql d2, sql d10            -> won
  //   B: lead d0, mql d4, lost d20           -> dropped at mql, lost
  //   C: lead d1, mql d90                    -> dropped at mql, open (10 days quiet)
  //   D: lead d5                             -> dropped at lead, stalled (95 days quiet)
  //   E: mql d50 (no lead row), sql d60      -> won, skipped lead
  // reached: lead 5, mql 4, sql 2. step: mql 4/5 = 0.8, sql 2/4 = 0.5. overall sql 2/5 = 0.4.
  // dropped: lead 5-4 = 1 (stalled D), mql 4-2 = 2 (lost B, open C).
  // days lead->mql for leads with both times: A 2, B 4, C 89 -> median 4, mean 95/3.
  // days mql->sql: A 8, E 10 -> median 9. days from entry to sql: A 10, E 10 (entry d50).
  // win rate = won / (won + lost) = 2 / 3.
  TEST_CASE("a hand-checked funnel") {
    StageModelSpec spec;
    spec.stages = {"lead,mql,sql"};
    StageModel model = StageModel::build(spec);
    LeadStore store(3);
    auto add = [&](const char* id, int stage, Timestamp t) { store.add(store.intern(id), stage, t); };
    add("A", 0, 0), add("A", 1, 2 * day), add("A", 2, 10 * day);
    add("B", 0, 0), add("B", 1, 4 * day), add("B", lost, 20 * day);
    add("C", 0, 1 * day), add("C", 1, 90 * day);
    add("D", 0, 5 * day);
    add("E", 1, 50 * day), add("E", 2, 60 * day);
    FunnelOptions options;
    options.as_of = 100 * day;
    auto tables = build_tables(store, model, {}, options);
    REQUIRE(tables.segments.size() == 1);
    const auto& t = tables.segments[0];
    CHECK(t.label == "(all)");
    CHECK(t.stages[0].reached == 5);
    CHECK(t.stages[1].reached == 4);
    CHECK(t.stages[2].reached == 2);
    CHECK_FALSE(t.stages[0].step_conversion.has_value());
    CHECK(*t.stages[1].step_conversion == doctest::Approx(0.8));
    CHECK(*t.stages[2].step_conversion == doctest::Approx(0.5));
    CHECK(*t.stages[2].overall_conversion == doctest::Approx(0.4));
    CHECK(t.stages[0].dropped == 1);
    CHECK(t.stages[0].stalled == 1);
    CHECK(t.stages[1].dropped == 2);
    CHECK(t.stages[1].lost == 1);
    CHECK(t.stages[1].open == 1);
    CHECK(t.stages[2].dropped == 0);
    CHECK(t.stages[0].to_next.count == 3);
    CHECK(t.stages[0].to_next.median == doctest::Approx(4));
    CHECK(t.stages[0].to_next.mean == doctest::Approx(95.0 / 3));
    CHECK(t.stages[1].to_next.median == doctest::Approx(9));
    CHECK(t.stages[2].from_entry.median == doctest::Approx(10));
    CHECK(t.overall.leads == 5);
    CHECK(t.overall.won == 2);
    CHECK(t.overall.lost == 1);
    CHECK(t.overall.open == 1);
    CHECK(t.overall.stalled == 1);
    CHECK(*t.overall.win_rate == doctest::Approx(2.0 / 3));
    CHECK(t.overall.cycle.median == doctest::Approx(10));
    CHECK(tables.quality.leads_with_skips == 1);
    // Sections: TOFU lead 5, MOFU mql 4 (0.8), BOFU sql 2 (0.5).
    REQUIRE(t.sections.size() == 3);
    CHECK(t.sections[1].reached == 4);
    CHECK(*t.sections[2].conversion == doctest::Approx(0.5));
  }

  TEST_CASE("ordered mode counts only leads that entered stages in order") {
    StageModelSpec spec;
    spec.stages = {"lead,mql,sql"};
    StageModel model = StageModel::build(spec);
    LeadStore store(3);
    auto add = [&](const char* id, int stage, Timestamp t) { store.add(store.intern(id), stage, t); };
    add("A", 0, 0), add("A", 1, day), add("A", 2, 2 * day);  // in order: sql
    add("B", 0, 0), add("B", 2, day);                        // skip: stops at lead
    add("C", 0, 5 * day), add("C", 1, day);                  // inversion: stops at lead
    add("D", 1, day);                                        // never entered lead: not counted
    FunnelOptions options;
    options.mode = CountMode::ordered;
    auto t = build_tables(store, model, {}, options);
    CHECK(t.segments[0].stages[0].reached == 3);
    CHECK(t.segments[0].stages[1].reached == 1);
    CHECK(t.segments[0].stages[2].reached == 1);
    CHECK(t.quality.leads_out_of_order == 3);  // B, C and D
  }

  TEST_CASE("segments come after (all) in byte order; ids with only lost rows are not leads") {
    StageModelSpec spec;
    StageModel model = StageModel::build(spec);
    LeadStore store(5);
    std::vector<std::string> labels{"web", "(none)", "Ads"};
    auto add = [&](const char* id, std::uint32_t seg, int stage, Timestamp t) {
      auto lead = store.intern(id);
      store.add(lead, stage, t);
      store.touch(lead, seg, labels[seg] == "(none)", t, labels);
    };
    add("A", 0, 0, 0);
    add("B", 1, 0, 0);
    add("C", 2, 0, day);
    add("C", 0, 1, 0);  // C's earliest row is from "web": first touch wins
    add("X", 2, lost, 0);
    auto t = build_tables(store, model, labels, FunnelOptions{});
    REQUIRE(t.segments.size() == 3);
    CHECK(t.segments[0].label == "(all)");
    CHECK(t.segments[1].label == "(none)");
    CHECK(t.segments[2].label == "web");  // "Ads" has no lead left: X is not a lead
    CHECK(t.segments[2].stages[0].reached == 2);
    CHECK(t.quality.lost_without_stage == 1);
  }
}

TEST_SUITE("funnel_table") {
  // Window 10 days from entry:
  //   A: lead d0, mql d5, sql d20  -> mql counts (5 <= 10), sql does not (20 > 10): furthest mql
  //   B: lead d0, mql d10          -> exactly at the window: counts
  //   C: lead d3                   -> lead only
  // reached: lead 3, mql 2, sql 0; A is beyond the window.
  // --since d1 keeps only C (entry d3); --until d1 keeps A and B.
  TEST_CASE("a conversion window counts stages reached within it of the entry; since/until select by entry") {
    StageModelSpec spec;
    spec.stages = {"lead,mql,sql"};
    StageModel model = StageModel::build(spec);
    LeadStore store(3);
    auto add = [&](const char* id, int stage, Timestamp t) { store.add(store.intern(id), stage, t); };
    add("A", 0, 0), add("A", 1, 5 * day), add("A", 2, 20 * day);
    add("B", 0, 0), add("B", 1, 10 * day);
    add("C", 0, 3 * day);
    FunnelOptions options;
    options.window = 10 * day;
    auto t = build_tables(store, model, {}, options);
    CHECK(t.segments[0].stages[0].reached == 3);
    CHECK(t.segments[0].stages[1].reached == 2);
    CHECK(t.segments[0].stages[2].reached == 0);
    CHECK(t.quality.leads_beyond_window == 1);
    FunnelOptions since;
    since.since = 1 * day;
    CHECK(build_tables(store, model, {}, since).segments[0].stages[0].reached == 1);
    FunnelOptions until;
    until.until = 1 * day;
    auto u = build_tables(store, model, {}, until);
    CHECK(u.segments[0].stages[0].reached == 2);
    CHECK(u.segments[0].stages[2].reached == 1);
    CHECK(u.quality.leads_outside_period == 1);
  }

  TEST_CASE("the sales-cycle histogram buckets won leads by days from entry to won") {
    StageModelSpec spec;
    spec.stages = {"lead,won"};
    StageModel model = StageModel::build(spec);
    LeadStore store(2);
    auto add = [&](const char* id, int stage, Timestamp t) { store.add(store.intern(id), stage, t); };
    add("A", 0, 0), add("A", 1, 3 * day);    // 0-7
    add("B", 0, 0), add("B", 1, 7 * day);    // 7-14 (edges belong to the bucket above)
    add("C", 0, 0), add("C", 1, 400 * day);  // 365+
    auto t = build_tables(store, model, {}, FunnelOptions{});
    const auto& h = t.segments[0].overall.cycle_histogram;
    CHECK(h[0] == 1);
    CHECK(h[1] == 1);
    CHECK(h[7] == 1);
    CHECK(h[2] + h[3] + h[4] + h[5] + h[6] == 0);
  }
}

TEST_SUITE("funnel_table") {
  // lead -> won, amounts and churn per lead:
  //   A: lead d0, won d10, 100, churned d50
  //   B: lead d0, won d12, 300, no churn
  //   C: lead d1, won d20, 200, churned at an unknown time
  //   D: lead d2, won d30, 400, churned d200
  //   E: lead d3, open,    -,   churned d40   -> churn evidence on a lead not won: ignored
  //   F: lead d4, lost d5
  // won 4, average deal (100 + 300 + 200 + 400) / 4 = 250.
  // No --as-of: churned A, C, D = 3; churn rate 3 / 4 = 0.75; LTV 250 / 0.75 = 333.33.
  // --as-of d100: D's churn is later, so churned A, C = 2; rate 2 / 4 = 0.5; LTV 250 / 0.5 = 500.
  TEST_CASE("retention: churned won leads, churn rate and a lifetime value estimate, hand-checked") {
    StageModelSpec spec;
    spec.stages = {"lead,won"};
    StageModel model = StageModel::build(spec);
    LeadStore store(2);
    auto add = [&](const char* id, int stage, Timestamp t) { store.add(store.intern(id), stage, t); };
    add("A", 0, 0), add("A", 1, 10 * day);
    add("B", 0, 0), add("B", 1, 12 * day);
    add("C", 0, 1 * day), add("C", 1, 20 * day);
    add("D", 0, 2 * day), add("D", 1, 30 * day);
    add("E", 0, 3 * day);
    add("F", 0, 4 * day), add("F", lost, 5 * day);
    const double none = std::nan("");
    std::vector<double> amounts{100, 300, 200, 400, none, none};
    ChurnTimes churn{50 * day, std::nullopt, kNoTime, 200 * day, 40 * day, std::nullopt};

    auto t = build_tables(store, model, {}, FunnelOptions{}, nullptr, &amounts, &churn);
    const Retention& r = t.segments[0].overall.retention;
    CHECK(r.present);
    CHECK(r.churned == 3);
    CHECK(r.churned_not_won == 1);
    CHECK(*r.churn_rate == doctest::Approx(0.75));
    CHECK(*r.ltv_estimate == doctest::Approx(250.0 / 0.75));

    FunnelOptions as_of;
    as_of.as_of = 100 * day;
    const Retention later =
        build_tables(store, model, {}, as_of, nullptr, &amounts, &churn).segments[0].overall.retention;
    CHECK(later.churned == 2);
    CHECK(later.churned_not_won == 1);
    CHECK(*later.churn_rate == doctest::Approx(0.5));
    CHECK(*later.ltv_estimate == doctest::Approx(500));

    // No amounts, or nobody churned: the estimate is absent, never infinite or NaN.
    CHECK_FALSE(build_tables(store, model, {}, FunnelOptions{}, nullptr, nullptr, &churn)
                    .segments[0]
                    .overall.retention.ltv_estimate);
    ChurnTimes nobody(6);
    const Retention zero =
        build_tables(store, model, {}, FunnelOptions{}, nullptr, &amounts, &nobody).segments[0].overall.retention;
    CHECK(zero.present);
    CHECK(zero.churned == 0);
    CHECK(*zero.churn_rate == 0);
    CHECK_FALSE(zero.ltv_estimate);
    // Without churn evidence there is no retention at all.
    CHECK_FALSE(
        build_tables(store, model, {}, FunnelOptions{}, nullptr, &amounts).segments[0].overall.retention.present);
  }

  TEST_CASE("churn changes no funnel number: a churned customer still reached customer") {
    StageModelSpec spec;
    spec.stages = {"lead,won"};
    StageModel model = StageModel::build(spec);
    LeadStore store(2);
    auto add = [&](const char* id, int stage, Timestamp t) { store.add(store.intern(id), stage, t); };
    add("A", 0, 0), add("A", 1, 10 * day);
    add("B", 0, 0);
    ChurnTimes churn{5 * day, 3 * day};
    auto with = build_tables(store, model, {}, FunnelOptions{}, nullptr, nullptr, &churn).segments[0];
    auto without = build_tables(store, model, {}, FunnelOptions{}).segments[0];
    CHECK(with.overall.won == 1);
    CHECK(with.overall.won == without.overall.won);
    CHECK(with.overall.open + with.overall.stalled == without.overall.open + without.overall.stalled);
    for (std::size_t k = 0; k < with.stages.size(); ++k) CHECK(with.stages[k].reached == without.stages[k].reached);
  }
}

TEST_SUITE("funnel_table") {
  TEST_CASE("the sales cycle needs an entry time: close-date-only and inverted won leads are left out and counted") {
    StageModelSpec spec;
    spec.stages = {"lead,won"};
    StageModel model = StageModel::build(spec);
    LeadStore store(2);
    auto add = [&](const char* id, int stage, Timestamp t) { store.add(store.intern(id), stage, t); };
    add("A", 0, 0), add("A", 1, 10 * day);         // 10 days
    add("B", 1, 5 * day);                          // only a close date: not measured
    add("C", 0, 20 * day), add("C", 1, 18 * day);  // won before its entry: left out, not 0 days
    add("D", 0, 2 * day), add("D", 1, 6 * day);    // 4 days
    add("E", 0, kNoTime), add("E", 1, 9 * day);    // entered without a time: no entry time either
    add("F", 0, 3 * day);                          // open
    auto t = build_tables(store, model, {}, FunnelOptions{});
    const Overall& o = t.segments[0].overall;
    CHECK(o.won == 5);
    CHECK(o.cycle.count == 2);                    // A and D
    CHECK(o.cycle.median == doctest::Approx(7));  // (4 + 10) / 2
    CHECK(o.cycle.mean == doctest::Approx(7));
    CHECK(o.cycle_without_entry == 2);  // B, E
    CHECK(o.cycle_inverted == 1);       // C
    CHECK(t.quality.won_without_entry == 2);
    CHECK(t.quality.won_before_entry == 1);
    CHECK(o.cycle_histogram[0] + o.cycle_histogram[1] == 2);  // 4 -> [0,7), 10 -> [7,14); nobody at 0 days
    CHECK(o.cycle_histogram[0] == 1);
  }

  TEST_CASE("lost is undefined without lost evidence: no win rate; --lost-after defines it") {
    StageModelSpec spec;
    spec.stages = {"lead,won"};
    StageModel model = StageModel::build(spec);
    LeadStore store(2);
    auto add = [&](const char* id, int stage, Timestamp t) { store.add(store.intern(id), stage, t); };
    add("A", 0, 0), add("A", 1, 19 * day);
    add("B", 0, 1 * day);   // 90 days quiet at as-of 91
    add("C", 0, 50 * day);  // 41 days quiet
    add("D", 0, 84 * day);  // 7 days quiet
    add("E", 0, 60 * day), add("E", 1, 91 * day);
    FunnelOptions options;
    auto t = build_tables(store, model, {}, options);
    CHECK_FALSE(t.quality.lost_defined);
    CHECK_FALSE(t.segments[0].overall.win_rate);  // not won / won = 100%
    CHECK(t.segments[0].overall.stalled == 2);
    options.lost_after = 60 * day;
    t = build_tables(store, model, {}, options);
    CHECK(t.quality.lost_defined);
    CHECK(t.quality.lost_by_inactivity == 1);  // B
    const Overall& o = t.segments[0].overall;
    CHECK(o.lost == 1);
    CHECK(o.stalled == 1);  // C: 41 days is past --stale 30d, not past 60d
    CHECK(o.open == 1);     // D
    REQUIRE(o.win_rate);
    CHECK(*o.win_rate == doctest::Approx(2.0 / 3));
    // One lost row anywhere defines lost for the whole data.
    store.add(store.intern("Z"), lost, 2 * day);
    CHECK(build_tables(store, model, {}, FunnelOptions{}).quality.lost_defined);
  }

  TEST_CASE("--days whole counts calendar days between local dates; fractional counts elapsed / 86400") {
    FunnelOptions fractional, utc, oslo;
    utc.whole_days = std::make_shared<const Zone>("UTC");
    oslo.whole_days = std::make_shared<const Zone>("Europe/Oslo");
    const Timestamp mar1 = 1709251200;  // 2024-03-01T00:00:00Z
    const Timestamp h = 3600;
    // 23:00 to 01:00 the next day (UTC): 2 hours, 1 calendar day in UTC; in Oslo (UTC+1)
    // both are on 2 March: 0 days.
    CHECK(span(mar1 + 23 * h, mar1 + 25 * h, fractional) == 2 * h);
    CHECK(span(mar1 + 23 * h, mar1 + 25 * h, utc) == 86400);
    CHECK(span(mar1 + 23 * h, mar1 + 25 * h, oslo) == 0);
    // 1 March 01:00 to 3 March 00:30: 47.5 hours, 2 calendar days (in both zones).
    CHECK(span(mar1 + h, mar1 + 48 * h + h / 2, fractional) == 47 * h + h / 2);
    CHECK(span(mar1 + h, mar1 + 48 * h + h / 2, utc) == 2 * 86400);
    CHECK(span(mar1 + h, mar1 + 48 * h + h / 2, oslo) == 2 * 86400);
    // Same day: 0 whole days, however many hours.
    CHECK(span(mar1 + 9 * 24 * h + 12 * h, mar1 + 9 * 24 * h + 18 * h, utc) == 0);
    // Across the spring-forward night in Oslo (31 March 2024, 02:00 -> 03:00): 23 hours
    // from 30 March 12:00 local to 31 March 12:00 local is 1 day.
    const Timestamp mar30_noon_oslo = mar1 + 29 * 86400 + 11 * h;  // 12:00 CET = 11:00Z
    CHECK(span(mar30_noon_oslo, mar30_noon_oslo + 23 * h, oslo) == 86400);
  }
}
