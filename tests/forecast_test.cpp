#include <doctest/doctest.h>

#include <sstream>

#include "funnel/diagnostics.h"
#include "funnel/forecast.h"
#include "funnel/probability.h"
#include "support.h"

using namespace funnel;
using funnel::test::run_cli;

namespace {

double read(std::string_view text, bool percent = false) {
  ParsedProbability p = read_probability(text, percent);
  REQUIRE(p.status == ParsedProbability::Status::ok);
  return p.value;
}

std::string problem(std::string_view text) {
  ParsedProbability p = read_probability(text);
  CHECK(p.status == ParsedProbability::Status::invalid);
  return p.problem;
}

std::string usage_error(const std::vector<std::string>& specs) {
  try {
    parse_stage_probabilities(specs, StageModel::build(StageModelSpec{}));
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    return e.what();
  }
  return "no error";
}

Report forecast_report(bool with_column) {
  ReportOptions options;
  options.files = {"tests/data/forecast_probabilities.csv"};
  options.amount = "amount";
  options.columns.find_probability = with_column;
  std::ostringstream err;
  Diagnostics diagnostics(err, false);
  Report report = build_report(options, nullptr, diagnostics);
  if (with_column) {
    CHECK(err.str() ==
          "funnel: warning: tests/data/forecast_probabilities.csv:14: column 'Probability (%)': more than "
          "100% \"150\"; 1 probability not used (those leads fall back to their stage's probability)\n");
  }
  return report;
}

const ForecastRow& row(const std::vector<ForecastRow>& rows, int stage) {
  for (const auto& r : rows) {
    if (r.segment == "(all)" && r.stage == stage) return r;
  }
  FAIL("no row");
  return rows.front();
}

}  // namespace

TEST_SUITE("forecast") {
  TEST_CASE("probabilities: a % or a percent column is a percent; without, values above 1 are percents") {
    CHECK(read("60%") == doctest::Approx(0.6));
    CHECK(read(" 60 % ") == doctest::Approx(0.6));
    CHECK(read("60") == doctest::Approx(0.6));
    CHECK(read("0.6") == doctest::Approx(0.6));
    CHECK(read("0,6") == doctest::Approx(0.6));
    CHECK(read(".25") == doctest::Approx(0.25));
    CHECK(read("1") == doctest::Approx(1.0));      // at most 1: a fraction
    CHECK(read("1.5") == doctest::Approx(0.015));  // above 1: a percent
    CHECK(read("100") == doctest::Approx(1.0));
    CHECK(read("0") == 0);
    CHECK(read("+45") == doctest::Approx(0.45));
    CHECK(read("1", true) == doctest::Approx(0.01));  // "Probability (%)": every value is a percent
    CHECK(read("0.5", true) == doctest::Approx(0.005));
    CHECK(read("-0") == 0);
  }

  TEST_CASE("probabilities: blanks and no-value markers are none; the rest is invalid, never NaN") {
    for (const char* none : {"", "  ", "-", "N/A", "na", "NULL", "none"}) {
      CAPTURE(none);
      CHECK(read_probability(none).status == ParsedProbability::Status::empty);
    }
    CHECK(problem("-5") == "negative probability");
    CHECK(problem("-0.2") == "negative probability");
    CHECK(problem("101") == "more than 100%");
    CHECK(problem("150%") == "more than 100%");
    CHECK(problem("nan") == "not a number");
    CHECK(problem("inf") == "not a number");
    CHECK(problem("1e3") == "not a number");
    CHECK(problem("1.2.3") == "not a number");
    CHECK(problem("%") == "not a number");
    CHECK(problem("high") == "not a number");
  }

  TEST_CASE("--probability STAGE=P: stages of the model that open leads can be at") {
    auto p = parse_stage_probabilities({"opportunity=60%", "MQL=0.1"}, StageModel::build(StageModelSpec{}));
    REQUIRE(p.size() == 5);
    CHECK(*p[1] == doctest::Approx(0.1));
    CHECK(*p[3] == doctest::Approx(0.6));
    CHECK_FALSE(p[0]);
    CHECK(usage_error({"opportunity"}) ==
          "--probability wants STAGE=PROBABILITY like opportunity=60%, not 'opportunity'");
    CHECK(usage_error({"customer=1"}) ==
          "--probability customer=1: 'customer' is the won stage; its leads are won, not forecast");
    CHECK(usage_error({"oportunity=1"}) ==
          "--probability oportunity=1: 'oportunity' is not a stage (open leads can be at "
          "lead, mql, sql, opportunity) (did you mean 'opportunity'?)");
    CHECK(usage_error({"lost=1"}).find("'lost' is not a stage") != std::string::npos);
    CHECK(usage_error({"sql=120"}) == "--probability sql=120: more than 100% (write 60%, 60 or 0.6)");
    CHECK(usage_error({"sql="}) == "--probability sql=: no probability (write 60%, 60 or 0.6)");
    CHECK(usage_error({"sql=20", "SQL=30"}) == "--probability: stage 'sql' is given twice");
  }

  // tests/data/forecast_probabilities.csv, Probability (%) column, as of 2024-05-20:
  //   closed: P-1 won (lead, sql, customer), P-2 lost after sql.
  //     measured P(won | sql) = 1/2; P(won | opportunity) = 1/1 (only P-1 reached it).
  //   open:   P-3 opportunity, own 70 (its latest row), amount 2,000
  //           P-4 opportunity, no probability,         amount 5,000
  //           P-5 sql, "150" is invalid (counted),     amount 1,000
  //           P-6 opportunity, own 45%,                amount 3,000
  // With --probability opportunity=60%:
  //   opportunity: wins 0.70 + 0.45 + 0.60 = 1.75;
  //                revenue 0.70*2000 + 0.45*3000 + 0.60*5000 = 1400 + 1350 + 3000 = 5750, no range
  //   sql:         wins 0.5 (measured), revenue 0.5*1000 = 500, range Wilson(1, 2) * 1000
  //   total:       wins 2.25, revenue 6250.
  // Without: P-4 at measured 1/1: wins 0.70 + 0.45 + 1 = 2.15, revenue 1400 + 1350 + 5000 = 7750,
  //   low 2750 + 0.206549*5000 = 3782.75 (Wilson(1, 1) low), high 7750.
  // Without the column: every opportunity lead at 1/1: wins 3, revenue 10000.
  TEST_CASE("a lead's own probability, else the stage's configured one, else the measured one: hand-checked") {
    Report report = forecast_report(true);
    CHECK(report.input.invalid_probabilities == 1);
    StageProbabilities configured = parse_stage_probabilities({"opportunity=60%"}, report.model);
    auto rows = build_forecast(report, configured);
    const ForecastRow& opp = row(rows, 3);
    CHECK(opp.open == 3);
    CHECK(opp.own == 2);
    CHECK(opp.source == ProbabilitySource::config);
    CHECK(*opp.probability == doctest::Approx(0.6));
    CHECK(*opp.measured == doctest::Approx(1.0));
    CHECK(opp.expected_wins == doctest::Approx(1.75));
    CHECK(opp.expected_revenue == doctest::Approx(5750));
    CHECK(opp.revenue_low == doctest::Approx(5750));
    CHECK(opp.revenue_high == doctest::Approx(5750));
    const ForecastRow& sql = row(rows, 2);
    CHECK(sql.open == 1);
    CHECK(sql.own == 0);
    CHECK(sql.source == ProbabilitySource::measured);
    CHECK(sql.expected_wins == doctest::Approx(0.5));
    CHECK(sql.expected_revenue == doctest::Approx(500));
    CHECK(sql.revenue_low == doctest::Approx(wilson(1, 2)->low * 1000));
    const ForecastRow& total = row(rows, -1);
    CHECK(total.own == 2);
    CHECK(total.expected_wins == doctest::Approx(2.25));
    CHECK(total.expected_revenue == doctest::Approx(6250));

    auto measured = build_forecast(report);
    const ForecastRow& m = row(measured, 3);
    CHECK(m.source == ProbabilitySource::measured);
    CHECK(m.expected_wins == doctest::Approx(2.15));
    CHECK(m.expected_revenue == doctest::Approx(7750));
    CHECK(m.revenue_low == doctest::Approx(2750 + wilson(1, 1)->low * 5000));
    CHECK(m.revenue_low == doctest::Approx(3782.75).epsilon(1e-6));
    CHECK(m.revenue_high == doctest::Approx(7750));

    auto no_column = build_forecast(forecast_report(false));
    CHECK(row(no_column, 3).own == 0);
    CHECK(row(no_column, 3).expected_wins == doctest::Approx(3));
    CHECK(row(no_column, 3).expected_revenue == doctest::Approx(10000));
  }

  TEST_CASE("a stage with no closed lead and nothing configured adds nothing; its source is none") {
    auto r = run_cli({"forecast", "-f", "csv", "-"}, "lead_id,stage,timestamp\nA,lead,2024-01-01\nA,mql,2024-01-02\n");
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("\n(all),mql,1,0,0,,,,none,,0,1,0.0000,0.00,0.00,0.00\n") != std::string::npos);
    auto c = run_cli({"forecast", "-f", "csv", "--probability", "mql=25", "-"},
                     "lead_id,stage,timestamp\nA,lead,2024-01-01\nA,mql,2024-01-02\n");
    CHECK(c.out.find("\n(all),mql,1,0,0,0.250000,,,config,,0,1,0.2500,0.00,0.00,0.00\n") != std::string::npos);
  }

  TEST_CASE("a config file's [forecast] section sets probabilities; other commands skip it") {
    funnel::test::TempFile config("[forecast]\nprobability = [\"mql=40%\"]\n", ".toml");
    const std::string csv = "lead_id,stage,timestamp\nA,lead,2024-01-01\nA,mql,2024-01-02\n";
    auto f = run_cli({"forecast", "-f", "csv", "--config", config.path(), "-"}, csv);
    CHECK(f.rc == 0);
    CHECK(f.out.find("\n(all),mql,1,0,0,0.400000,,,config,") != std::string::npos);
    auto r = run_cli({"report", "-f", "csv", "--config", config.path(), "-"}, csv);
    CHECK(r.rc == 0);
    CHECK(r.out == run_cli({"report", "-f", "csv", "-"}, csv).out);
    funnel::test::TempFile bad("[nonsense]\nformat = \"csv\"\n", ".toml");
    auto b = run_cli({"report", "--config", bad.path(), "-"}, csv);
    CHECK(b.rc == 2);
    CHECK(b.err == "funnel: " + bad.path() + ":1: unknown section [nonsense]\n");
  }

  TEST_CASE("the probability column is found by name only when forecasting, or named; none ignores it") {
    const std::string csv = "lead_id,stage,timestamp,win chance,probability\nA,lead,2024-01-01,0.3,0.9\n";
    auto named = run_cli({"forecast", "-f", "csv", "--probability-column", "win chance", "-"}, csv);
    CHECK(named.out.find("\n(all),lead,1,0,0,,,,none,,1,1,0.3000,") != std::string::npos);
    auto found = run_cli({"forecast", "-f", "csv", "-"}, csv);
    CHECK(found.out.find("\n(all),lead,1,0,0,,,,none,,1,1,0.9000,") != std::string::npos);
    auto ignored = run_cli({"forecast", "-f", "csv", "--probability-column", "none", "-"}, csv);
    CHECK(ignored.out.find("\n(all),lead,1,0,0,,,,none,,0,1,0.0000,") != std::string::npos);
    auto missing = run_cli({"forecast", "--probability-column", "chance", "-"}, csv);
    CHECK(missing.rc == 6);
    CHECK(missing.err.find("--probability-column names column 'chance', which is not in the header") !=
          std::string::npos);
  }
}
