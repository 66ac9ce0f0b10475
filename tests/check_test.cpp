#include <cmath>
#include <sstream>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "funnel/check.h"
#include "funnel/diagnostics.h"
#include "support.h"

using namespace funnel;
using namespace funnel::test;

namespace {

const StageModel& model() {
  static const StageModel m = StageModel::build(StageModelSpec{});  // lead, mql, sql, opportunity, customer
  return m;
}

/// The error a call throws: its exit code and message (ok and "" when it throws none).
template <typename F>
std::pair<ExitCode, std::string> error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {ExitCode::ok, ""};
}

/// A saved report of one "(all)" segment over the default stages.
SavedReport saved(std::vector<std::uint64_t> reached, std::vector<std::uint64_t> lost = {}) {
  SavedReport r;
  r.file = "hand-made";
  SavedSegment seg;
  seg.label = "(all)";
  const auto& stages = model().stages();
  for (std::size_t k = 0; k < reached.size(); ++k) {
    SavedStage st;
    st.name = stages[k].name;
    st.reached = reached[k];
    if (!lost.empty()) {
      st.lost = lost[k];
      st.open = 0;
      st.stalled = 0;
    }
    seg.stages.push_back(st);
  }
  seg.overall.leads = reached.front();
  seg.overall.won = reached.back();
  if (!lost.empty()) {
    std::uint64_t sum = 0;
    for (std::size_t k = 0; k + 1 < lost.size(); ++k) sum += lost[k];
    seg.overall.lost = sum;
    seg.overall.open = 0;
    seg.overall.stalled = 0;
  }
  r.segments.push_back(seg);
  return r;
}

std::vector<std::string> stage_names() {
  std::vector<std::string> names;
  for (const auto& s : model().stages()) names.push_back(s.name);
  return names;
}

SegmentFigures figures(std::string label, std::vector<std::uint64_t> reached) {
  SegmentFigures f;
  f.label = std::move(label);
  f.reached = reached;
  f.leads = reached.front();
  f.won = reached.back();
  return f;
}

std::string json_report(const std::string& second_stage_field) {
  return R"j({"schema_version": 1, "segments": [{"segment": "(all)", "stages": [{"stage": "lead", "reached": 10}, )j" +
         second_stage_field + "]}]}";
}

}  // namespace

TEST_SUITE("check") {
  TEST_CASE("rule grammar: conversions, win rate, counts and days") {
    Rule r = parse_rule("mql->sql >= 25%", model());
    CHECK(r.metric == Rule::Metric::conversion);
    CHECK(r.from == 1);
    CHECK(r.to == 2);
    CHECK(r.op == Rule::Op::ge);
    CHECK(r.threshold == doctest::Approx(0.25));
    r = parse_rule("  Lead -> Customer < 0.1 ", model());  // names matched as stage values; a fraction
    CHECK(r.text == "Lead -> Customer < 0.1");
    CHECK(r.from == 0);
    CHECK(r.to == 4);
    CHECK(r.op == Rule::Op::lt);
    CHECK(r.threshold == doctest::Approx(0.1));
    r = parse_rule("win_rate > 50%", model());
    CHECK(r.metric == Rule::Metric::win_rate);
    CHECK(r.op == Rule::Op::gt);
    r = parse_rule("won == 4", model());
    CHECK(r.metric == Rule::Metric::count);
    CHECK(r.count_name == "won");
    CHECK(r.op == Rule::Op::eq);
    r = parse_rule("opportunity != 0", model());
    CHECK(r.count_name == "opportunity");
    CHECK(r.to == 3);
    CHECK(r.op == Rule::Op::ne);
    r = parse_rule("days sql->customer <= 30d", model());
    CHECK(r.metric == Rule::Metric::days);
    CHECK(r.quantile == "median");
    CHECK(r.threshold == 30);
    r = parse_rule("p90 days lead->mql <= 3", model());
    CHECK(r.quantile == "p90");
    CHECK(r.from == 0);
    CHECK(r.to == 1);
    CHECK(parse_rule("mean days lead->sql > 1.5", model()).quantile == "mean");
  }

  TEST_CASE("rule grammar: each mistake is a usage error saying what is wrong") {
    auto message = [](const char* text) {
      auto [code, what] = error_of([&] { parse_rule(text, model()); });
      CHECK(code == ExitCode::usage);
      return what;
    };
    CHECK(message("mql->sql 25%").find("no comparison") != std::string::npos);
    CHECK(message("mql->sqll >= 25%").find("no stage named 'sqll'") != std::string::npos);
    CHECK(message("mql->sqll >= 25%").find("did you mean 'sql'") != std::string::npos);
    CHECK(message("mql->sql >= 25").find("a rate is a percentage") != std::string::npos);
    CHECK(message("mql->sql >= 125%").find("between 0% and 100%") != std::string::npos);
    CHECK(message("sql->mql >= 25%").find("must come before") != std::string::npos);
    CHECK(message("won >= 4%").find("counts take a plain number") != std::string::npos);
    CHECK(message("p90 lead->mql <= 3").find("a quantile goes before 'days'") != std::string::npos);
    CHECK(message("days sql <= 3").find("name two stages") != std::string::npos);
    CHECK(message("days sql->customer <= soon").find("not a number of days") != std::string::npos);
  }

  TEST_CASE("--max-drop: points or relative") {
    MaxDrop d = parse_max_drop("5pp");
    CHECK(d.amount == doctest::Approx(0.05));
    CHECK_FALSE(d.relative);
    d = parse_max_drop("10%");
    CHECK(d.amount == doctest::Approx(0.10));
    CHECK(d.relative);
    for (const char* bad : {"5", "-1pp", "150%", "pp", "five pp"}) {
      CAPTURE(bad);
      CHECK(error_of([&] { parse_max_drop(bad); }).first == ExitCode::usage);
    }
  }

  TEST_CASE("rules judged on a hand-made saved report") {
    // lead 100, mql 50, sql 25, opportunity 10, customer 5; lost 20+10+5+3 = 38.
    SavedReport report = saved({100, 50, 25, 10, 5}, {20, 10, 5, 3, 0});
    CheckOptions options;
    options.rules = {"lead->mql >= 50%", "mql->sql > 50%", "customer >= 5",
                     "leads >= 101",     "lost == 38",     "win_rate < 12%"};
    auto v = run_check(report, options);
    REQUIRE(v.size() == 6);
    CHECK(v[0].status == Verdict::Status::pass);  // 50/100 = 50% >= 50%
    CHECK(v[0].value == "50.0%");
    CHECK(v[0].detail.rfind("50/100; 95% CI ", 0) == 0);
    CHECK(v[1].status == Verdict::Status::fail);  // 25/50 = 50%, not > 50%
    CHECK(v[2].status == Verdict::Status::pass);
    CHECK(v[2].detail == "5 >= 5");
    CHECK(v[3].status == Verdict::Status::fail);
    CHECK(v[3].value == "100");
    CHECK(v[4].status == Verdict::Status::pass);
    CHECK(v[5].status == Verdict::Status::pass);  // 5 / (5 + 38) = 11.6%
    CHECK(v[5].value == "11.6%");
    for (const auto& verdict : v) CHECK(verdict.segment == "(all)");
  }

  TEST_CASE("a rate with nothing to measure is skipped; a small segment is skipped under --min-leads") {
    CheckOptions options;
    options.min_leads = 10;
    std::vector<Rule> rules{parse_rule("sql->opportunity >= 50%", model()), parse_rule("leads >= 1", model())};
    std::vector<SegmentFigures> segments{figures("(all)", {20, 10, 0, 0, 0}), figures("tiny", {3, 3, 3, 3, 3})};
    auto v = judge_segments(rules, segments, stage_names(), nullptr, options);
    REQUIRE(v.size() == 4);
    CHECK(v[0].status == Verdict::Status::skipped);
    CHECK(v[0].detail == "no leads to measure");
    CHECK(v[1].status == Verdict::Status::pass);
    CHECK(v[2].status == Verdict::Status::skipped);
    CHECK(v[2].detail == "3 leads, fewer than --min-leads 10");
    CHECK(v[2].value == "100.0%");  // still shown
    CHECK(v[3].status == Verdict::Status::skipped);
  }

  TEST_CASE("days rules on figures: the quantile asked for, skipped without measurements") {
    std::vector<Rule> rules{parse_rule("days lead->mql <= 3", model()), parse_rule("p90 days lead->mql <= 3", model()),
                            parse_rule("mean days mql->sql <= 3", model())};
    SegmentFigures f = figures("(all)", {10, 8, 4, 2, 1});
    f.days = {DaysFigure{8, 2.5, 4.0, 2.75}, DaysFigure{8, 2.5, 4.0, 2.75}, std::nullopt};
    auto v = judge_segments(rules, {f}, stage_names(), nullptr, CheckOptions{});
    REQUIRE(v.size() == 3);
    CHECK(v[0].status == Verdict::Status::pass);
    CHECK(v[0].value == "2.50 days");
    CHECK(v[0].detail == "median of 8 leads");
    CHECK(v[1].status == Verdict::Status::fail);
    CHECK(v[1].value == "4.00 days");
    CHECK(v[2].status == Verdict::Status::skipped);
    CHECK(v[2].detail == "no lead has both times");
  }

  TEST_CASE("check --report: days rules need adjacent stages; counts a CSV report lacks are refused") {
    SavedReport report = saved({10, 8, 4, 2, 1});
    report.segments[0].stages[0].to_next = SavedDays{std::nullopt, 1.25, 2.0, 1.5};
    CheckOptions options;
    options.rules = {"p90 days lead->mql <= 2"};
    auto v = run_check(report, options);
    REQUIRE(v.size() == 1);
    CHECK(v[0].status == Verdict::Status::pass);
    CHECK(v[0].value == "2.00 days");
    CHECK(v[0].detail == "p90, as the saved report gives it");
    options.rules = {"days lead->sql <= 2"};
    auto [code, what] = error_of([&] { run_check(report, options); });
    CHECK(code == ExitCode::usage);
    CHECK(what.find("two adjacent stages") != std::string::npos);
    options.rules = {"lost <= 2"};  // no lost column
    std::tie(code, what) = error_of([&] { run_check(report, options); });
    CHECK(code == ExitCode::usage);
    CHECK(what.find("no 'lost' column") != std::string::npos);
    options.rules = {"win_rate >= 50%"};
    CHECK(error_of([&] { run_check(report, options); }).first == ExitCode::usage);
    options.rules = {};
    CHECK(error_of([&] { run_check(report, options); }).first == ExitCode::usage);  // nothing to check
  }

  TEST_CASE("baseline: a drop in points or relative to the baseline rate") {
    SavedReport base = saved({100, 50, 25, 10, 5});  // lead->mql 50%
    auto verdict_for = [&](std::uint64_t mql_now, const char* max_drop, double significance = 0,
                           std::uint64_t scale = 1) {
      SavedReport scaled = base;
      for (auto& st : scaled.segments[0].stages) st.reached *= scale;
      CheckOptions options;
      options.max_drop = max_drop;
      options.significance = significance;
      SegmentFigures now = figures("(all)", {100 * scale, mql_now * scale, 10, 5, 2});
      auto v =
          compare_with_baseline(now, stage_names(), scaled.segments[0], "base.json", parse_max_drop(max_drop), options);
      REQUIRE(v.size() == 4);
      CHECK(v[0].rule == fmt::format("lead->mql vs baseline (max drop {})", max_drop));
      return v[0];
    };
    // 50% -> 45%: a drop of 5 points, allowed by 5pp (boundary) and by 10% of 50% = 5 points.
    CHECK(verdict_for(45, "5pp").status == Verdict::Status::pass);
    CHECK(verdict_for(45, "10%").status == Verdict::Status::pass);
    // 50% -> 44%: 6 points; 5pp fails, 10% (5 points) fails, 15% (7.5 points) passes, 7pp passes.
    Verdict v = verdict_for(44, "5pp");
    CHECK(v.status == Verdict::Status::fail);
    CHECK(v.value == "44.0%");
    CHECK(v.detail == "baseline 50.0% (50/100), now 44/100: -6.0pp");
    CHECK(verdict_for(44, "10%").status == Verdict::Status::fail);
    CHECK(verdict_for(44, "15%").status == Verdict::Status::pass);
    CHECK(verdict_for(44, "7pp").status == Verdict::Status::pass);
    // Significance: 50/100 vs 44/100 is within chance (one-sided p = 0.198), so it passes...
    v = verdict_for(44, "5pp", 0.05);
    CHECK(v.status == Verdict::Status::pass);
    CHECK(v.detail == "baseline 50.0% (50/100), now 44/100: -6.0pp; p=0.198, not significant at 0.05");
    // ...while the same rates over 100 times the leads are not (5000/10000 vs 4400/10000).
    v = verdict_for(44, "5pp", 0.05, 100);
    CHECK(v.status == Verdict::Status::fail);
    CHECK(v.detail.find("; p=0.000") != std::string::npos);
  }

  TEST_CASE("baseline: different stages are a schema error") {
    SavedReport base = saved({100, 50, 25, 10, 5});
    base.segments[0].stages[2].name = "demo";
    auto [code, what] = error_of([&] {
      compare_with_baseline(figures("(all)", {100, 50, 25, 10, 5}), stage_names(), base.segments[0], "base.json",
                            parse_max_drop("5pp"), CheckOptions{});
    });
    CHECK(code == ExitCode::schema);
    CHECK(what == "base.json: baseline stage 3 is 'demo', this report's is 'sql'");
    base.segments[0].stages.pop_back();
    CHECK(error_of([&] {
            compare_with_baseline(figures("(all)", {100, 50, 25, 10, 5}), stage_names(), base.segments[0], "base.json",
                                  parse_max_drop("5pp"), CheckOptions{});
          }).first == ExitCode::schema);
  }

  TEST_CASE("significance on a rate rule: a breach fails only when it is significant") {
    // 25/50 = 50% against >= 60%: z = (0.5 - 0.6) / sqrt(0.6 * 0.4 / 50) = -1.443, one-sided p = 0.074.
    SavedReport report = saved({100, 50, 25, 10, 5});
    CheckOptions options;
    options.rules = {"mql->sql >= 60%"};
    CHECK(run_check(report, options)[0].status == Verdict::Status::fail);
    options.significance = 0.05;
    Verdict v = run_check(report, options)[0];
    CHECK(v.status == Verdict::Status::pass);
    CHECK(v.detail.find("; p=0.074, not significant at 0.05") != std::string::npos);
    options.significance = 0.1;
    CHECK(run_check(report, options)[0].status == Verdict::Status::fail);
  }

  TEST_CASE("a saved JSON report is read back: segments, stages, overall and days") {
    SavedReport r = read_saved_report("tests/data/baseline_early.json");
    CHECK(r.kind == SavedReport::Kind::json);
    REQUIRE(r.segments.size() == 1);
    const SavedSegment& all = r.segments[0];
    CHECK(all.label == "(all)");
    CHECK(r.stage_names() == stage_names());
    CHECK(all.stages[1].reached == 6);
    CHECK(all.stages[1].lost == 1);
    CHECK(all.stages[0].to_next.count == 5);
    CHECK(*all.stages[0].to_next.median == doctest::Approx(2.0521));
    CHECK(all.overall.leads == 8);
    CHECK(all.overall.won == 2);
    CHECK(all.overall.lost == 2);
    // Without "overall" the counts are derived from the stages.
    SavedReport bare = parse_saved_json(json_report(R"j({"stage": "mql", "reached": 4, "lost": 3})j"), "bare.json");
    CHECK(bare.segments[0].overall.leads == 10);
    CHECK(bare.segments[0].overall.won == 4);
    CHECK_FALSE(bare.segments[0].overall.lost);  // lead has no lost count
  }

  TEST_CASE("a CSV report reads the same numbers as the JSON report of the same run, in any column order") {
    auto json = run_cli({"report", "--by", "source", "-f", "json", "examples/crm_events.csv"});
    auto csv = run_cli({"report", "--by", "source", "-f", "csv", "examples/crm_events.csv"});
    REQUIRE(json.rc == 0);
    REQUIRE(csv.rc == 0);
    TempFile json_file(json.out, ".json"), csv_file(csv.out, ".txt");  // told apart by content, not name
    SavedReport a = read_saved_report(json_file.path());
    SavedReport b = read_saved_report(csv_file.path());
    CHECK(b.kind == SavedReport::Kind::csv);
    REQUIRE(a.segments.size() == b.segments.size());
    for (std::size_t s = 0; s < a.segments.size(); ++s) {
      const SavedSegment &x = a.segments[s], &y = b.segments[s];
      CAPTURE(x.label);
      CHECK(x.label == y.label);
      CHECK(x.overall.leads == y.overall.leads);
      CHECK(x.overall.won == y.overall.won);
      CHECK(x.overall.lost == y.overall.lost);
      CHECK(x.overall.open == y.overall.open);
      CHECK(x.overall.stalled == y.overall.stalled);
      REQUIRE(x.stages.size() == y.stages.size());
      for (std::size_t k = 0; k < x.stages.size(); ++k) {
        CHECK(x.stages[k].name == y.stages[k].name);
        CHECK(x.stages[k].reached == y.stages[k].reached);
        CHECK(x.stages[k].to_next.median == y.stages[k].to_next.median);
      }
    }
    // Columns in another order, a semicolon delimiter, a formula-guarded label, rows of a
    // segment apart.
    TempFile shuffled("reached;stage;segment\n10;lead;(all)\n4;lead;'=web\n6;mql;(all)\n1;mql;'=web\n", ".csv");
    SavedReport c = read_saved_report(shuffled.path());
    REQUIRE(c.segments.size() == 2);
    CHECK(c.segments[1].label == "=web");
    CHECK(c.segments[0].stages[1].reached == 6);
    CHECK(c.segments[1].stages[1].reached == 1);
    CHECK(c.segments[1].overall.won == 1);
  }

  TEST_CASE("impossible values in a JSON report: the file, the JSON path and what is wrong, exit 5") {
    auto error = [](const std::string& text) {
      auto [code, what] = error_of([&] { parse_saved_json(text, "base.json"); });
      CHECK(code == ExitCode::bad_value);
      return what;
    };
    CHECK(error(json_report(R"j({"stage": "mql", "reached": 1e300})j")) ==
          "base.json: $.segments[0].stages[1].reached: expected a whole count, got 1e+300");
    CHECK(error(json_report(R"j({"stage": "mql", "reached": 1.5})j")) ==
          "base.json: $.segments[0].stages[1].reached: expected a whole count, got 1.5");
    CHECK(error(json_report(R"j({"stage": "mql", "reached": -3})j")) ==
          "base.json: $.segments[0].stages[1].reached: expected a whole count, got -3");
    CHECK(error(json_report(R"j({"stage": "mql", "reached": "4"})j")) ==
          "base.json: $.segments[0].stages[1].reached: expected a whole count, got \"4\"");
    CHECK(error(json_report(R"j({"stage": "mql"})j")) ==
          "base.json: $.segments[0].stages[1]: missing field \"reached\"");
    CHECK(error(json_report(R"j({"stage": 2, "reached": 4})j")) ==
          "base.json: $.segments[0].stages[1].stage: expected a string, got 2");
    CHECK(error(json_report(R"j({"stage": "mql", "reached": 4, "step_conversion": 1.5})j")) ==
          "base.json: $.segments[0].stages[1].step_conversion: expected a rate between 0 and 1 (or null), got 1.5");
    CHECK(error(json_report(R"j({"stage": "mql", "reached": 4, "overall_conversion": -0.1})j")) ==
          "base.json: $.segments[0].stages[1].overall_conversion: expected a rate between 0 and 1 (or null), got -0.1");
    CHECK(error(json_report(R"j({"stage": "mql", "reached": 4, "lost": 2.5})j")) ==
          "base.json: $.segments[0].stages[1].lost: expected a whole count, got 2.5");
    CHECK(error(json_report(R"j({"stage": "mql", "reached": 4, "days_to_next": {"count": 1, "median": -2}})j")) ==
          "base.json: $.segments[0].stages[1].days_to_next.median: expected a number of days (or null), got -2");
    CHECK(error(json_report(R"j({"stage": "mql", "reached": 11})j")) ==
          "base.json: $.segments[0].stages[1].reached: 11 leads reached \"mql\", more than the 10 that reached "
          "\"lead\" before it");
    // JSON has no NaN: the parser stops at it, with line and column.
    CHECK(error("{\"schema_version\": 1,\n \"segments\": [NaN]}").rfind("base.json:2:15: not valid JSON: ", 0) == 0);
    CHECK(error("").rfind("base.json:1:1: not valid JSON: ", 0) == 0);
    CHECK(error(std::string(100, '[') + std::string(100, ']')) ==
          "base.json: not a funnel report: nested more than 64 deep");
    CHECK(error("[1]") == "base.json: $: expected an object, got [1]");
    CHECK(error(R"j({"schema_version": 1})j") == "base.json: $: missing field \"segments\"");
    CHECK(error(R"j({"schema_version": 99, "segments": []})j") ==
          "base.json: $.schema_version: schema_version 99 is newer than this funnel's 1");
    CHECK(error(R"j({"schema_version": 1, "segments": {}})j") == "base.json: $.segments: expected an array, got {}");
    CHECK(
        error(
            R"j({"schema_version": 1, "segments": [{"segment": "x", "stages": [{"stage": "lead", "reached": 1}]}]})j") ==
        "base.json: no (all) segment: not a funnel report; save one with funnel report -f json or -f csv");
    CHECK(
        error(
            R"j({"schema_version": 1, "segments": [{"segment": "(all)", "stages": [{"stage": "lead", "reached": 1}]},)j"
            R"j( {"segment": "(all)", "stages": [{"stage": "lead", "reached": 1}]}]})j") ==
        "base.json: $.segments[1].segment: segment \"(all)\" appears twice");
    CHECK(
        error(
            R"j({"schema_version": 1, "segments": [{"segment": "(all)", "stages": [{"stage": "lead", "reached": 1}]},)j"
            R"j( {"segment": "b", "stages": [{"stage": "mql", "reached": 1}]}]})j") ==
        "base.json: $.segments[1].stages[0].stage: expected stage \"lead\" (as in segment \"(all)\"), got \"mql\"");
    CHECK(
        error(
            R"j({"schema_version": 1, "segments": [{"segment": "(all)", "overall": {"leads": 1, "won": 1, "lost": 0,)j"
            R"j( "open": 0, "stalled": 0, "win_rate": 2}, "stages": [{"stage": "lead", "reached": 1}]}]})j") ==
        "base.json: $.segments[0].overall.win_rate: expected a rate between 0 and 1 (or null), got 2");
  }

  TEST_CASE("impossible values in a CSV report: the file, line and column, exit 5") {
    auto error = [](const std::string& text) {
      TempFile file(text, ".csv");
      auto [code, what] = error_of([&] { read_saved_report(file.path()); });
      CHECK(code == ExitCode::bad_value);
      return what.substr(what.find(':'));  // the temporary file's name varies
    };
    CHECK(error("segment,stage,reached\n(all),lead,10\n(all),mql,1.5\n") ==
          ":3: column 'reached': expected a whole count, got \"1.5\"");
    CHECK(error("segment,stage,reached\n(all),lead,10\n(all),mql,-3\n") ==
          ":3: column 'reached': expected a whole count, got \"-3\"");
    CHECK(error("segment,stage,reached\n(all),lead,nan\n") ==
          ":2: column 'reached': expected a whole count, got \"nan\"");
    CHECK(error("segment,stage,reached\n(all),lead,1e300\n") ==
          ":2: column 'reached': expected a whole count, got \"1e300\"");
    CHECK(error("segment,stage,reached\n(all),lead,\n") == ":2: column 'reached': expected a whole count, got \"\"");
    CHECK(error("segment,stage,reached,step_conversion\n(all),lead,10,\n(all),mql,5,1.5\n") ==
          ":3: column 'step_conversion': expected a rate between 0 and 1 (or an empty cell), got \"1.5\"");
    CHECK(error("segment,stage,reached\n(all),lead,10\n(all),mql,12\n") ==
          ":3: column 'reached': 12 leads reached \"mql\", more than the 10 that reached \"lead\" before it");
    CHECK(error("segment,stage,reached\n").find("no rows") != std::string::npos);
    CHECK(error("lead_id,stage,timestamp\nL1,lead,2024-01-01\n") ==
          ": not a saved funnel report: not JSON, and not a CSV report with the columns segment, stage and reached (no "
          "segment, reached); save one with funnel report -f json or -f csv");
    CHECK(error(" \n\n") == ": empty: not a saved funnel report; save one with funnel report -f json or -f csv");
    CHECK(error_of([] { read_saved_report("tests/data/no such file.json"); }).first == ExitCode::io);
  }

  TEST_CASE("diff rows: the change in points and the two-proportion p-value, (all) first") {
    SavedReport a = saved({100, 50, 25, 10, 5}), b = saved({100, 40, 20, 10, 0});
    SavedSegment extra = b.segments[0];
    extra.label = "another";
    a.segments.insert(a.segments.begin(), extra);
    b.segments.push_back(extra);
    auto rows = diff_reports(a, b, 0.05);
    REQUIRE(rows.size() == 10);
    CHECK(rows[0].segment == "(all)");
    CHECK(rows[5].segment == "another");
    CHECK_FALSE(rows[0].rate_a);
    CHECK(*rows[1].change_pp == doctest::Approx(-10.0));  // 50% -> 40%
    // Two-proportion z on 40/100 vs 50/100: pooled 0.45, se = sqrt(0.45 * 0.55 * 2 / 100) = 0.07036, z = 1.421, p = 0.155.
    CHECK(*rows[1].p == doctest::Approx(0.155).epsilon(0.01));
    CHECK_FALSE(rows[1].significant);
    CHECK(*rows[3].change_pp == doctest::Approx(10.0));  // 40% -> 50%
    CHECK(rows[4].reached_b == 0);
    b.segments[0].stages[1].name = "demo";
    CHECK(error_of([&] { diff_reports(a, b, 0.05); }).first == ExitCode::schema);
  }
}
