// The report driver on small exports: what build_report makes of the lead data, with the
// warnings it prints (segment limits, amounts).
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include <fmt/format.h>

#include "funnel/report.h"
#include "support.h"

using funnel::test::TempFile;

namespace {

/// `leads` leads, lead i in segment "s<i mod segments>" (so lower segments are no smaller).
std::string segmented_export(int leads, int segments) {
  std::string text = "lead_id,stage,timestamp,source\n";
  for (int i = 0; i < leads; ++i) text += fmt::format("L{},lead,2026-01-05,s{}\n", i, i % segments);
  return text;
}

}  // namespace

TEST_SUITE("report") {
  TEST_CASE("past the segment limit the largest segments are kept and the rest folded into (other), with a warning") {
    TempFile file(segmented_export(40, 30));  // s0..s9 have 2 leads, s10..s29 one each
    funnel::ReportOptions options;
    options.files = {file.path()};
    options.columns.by = {"source"};
    options.max_segments = 10;
    std::ostringstream err;
    funnel::Diagnostics diagnostics(err, false);
    funnel::Report report = funnel::build_report(options, nullptr, diagnostics);
    REQUIRE(report.tables.segments.size() == 12);  // (all), ten kept, (other)
    CHECK(report.tables.segments[0].label == "(all)");
    CHECK(report.tables.segments[1].label == "s0");
    CHECK(report.tables.segments[1].overall.leads == 2);
    CHECK(report.tables.segments.back().label == "(other)");
    CHECK(report.tables.segments.back().overall.leads == 20);
    CHECK(err.str() ==
          "funnel: warning: 30 segments by source: the 10 with the most leads are shown and the rest counted together "
          "as (other); choose how many with --top N\n");

    SUBCASE("--top chooses, with no warning") {
      options.top_segments = 3;
      std::ostringstream quiet;
      funnel::Diagnostics none(quiet, false);
      funnel::Report top = funnel::build_report(options, nullptr, none);
      CHECK(top.tables.segments.size() == 5);
      CHECK(quiet.str().empty());
    }
    SUBCASE("at the limit nothing is folded") {
      options.max_segments = 30;
      std::ostringstream quiet;
      funnel::Diagnostics none(quiet, false);
      funnel::Report all = funnel::build_report(options, nullptr, none);
      CHECK(all.tables.segments.size() == 31);
      CHECK(quiet.str().empty());
    }
  }
}

namespace {

/// The report of `text` with --amount amount; its warnings in `warnings`.
funnel::Report report_with_amounts(const std::string& text, std::string& warnings) {
  TempFile file(text);
  funnel::ReportOptions options;
  options.files = {file.path()};
  options.amount = "amount";
  std::ostringstream err;
  funnel::Diagnostics diagnostics(err, false);
  funnel::Report report = funnel::build_report(options, nullptr, diagnostics);
  warnings = err.str();
  return report;
}

}  // namespace

TEST_SUITE("report") {
  TEST_CASE("--amount: an ambiguous 1,234 is read the same whatever the row order, and named when unsettled") {
    const std::string header = "lead_id,stage,timestamp,amount\n";
    const std::string rows[] = {"A,customer,2026-01-05,\"12,50\"\n", "B,customer,2026-01-06,\"$1,234.50\"\n",
                                "C,customer,2026-01-07,\"1,234\"\n"};
    auto revenue = [&](const std::string& text, std::string& warnings) {
      return report_with_amounts(text, warnings).tables.segments.front().overall.money.won_revenue;
    };
    std::string w1, w2;
    // One value shows ',' and one '.': undecided, so 1,234 is a thousands guess either way.
    CHECK(revenue(header + rows[0] + rows[1] + rows[2], w1) == doctest::Approx(12.5 + 1234.5 + 1234));
    CHECK(revenue(header + rows[2] + rows[1] + rows[0], w2) == doctest::Approx(12.5 + 1234.5 + 1234));
    CHECK(w1.find("column 'amount' shows both decimal marks: 1 value with ',' (first at ") != std::string::npos);
    CHECK(w1.find("1 ambiguous value (\"1,234\" at ") != std::string::npos);
    CHECK(w1.find("read as thousands (both marks are as common)") != std::string::npos);

    SUBCASE("a column that shows one mark settles its ambiguous values before and after the evidence") {
      std::string w;
      const std::string comma = header + "C,customer,2026-01-07,\"1,234\"\n" + "A,customer,2026-01-05,\"12,50\"\n" +
                                "D,customer,2026-01-08,\"2,500\"\n";
      CHECK(revenue(comma, w) == doctest::Approx(1.234 + 12.5 + 2.5));
      CHECK(w.empty());
    }
    SUBCASE("no value shows the mark: a guess, with the values named") {
      std::string w;
      CHECK(revenue(header + rows[2], w) == doctest::Approx(1234));
      CHECK(w.find("column 'amount': 1 amount like 1,234 (\"1,234\" at ") != std::string::npos);
      CHECK(w.find(":2) read with the separator as thousands") != std::string::npos);
    }
  }

  TEST_CASE("--amount: two amounts of one lead at one time are named with both lines, and the larger is kept") {
    // Hand-checked: A's won rows at 2026-01-05 say 1200 (line 3) and 1000 (line 4); the
    // larger, 1200, is kept whatever the order. B repeats the same amount: no conflict. C's
    // second amount is later: it wins by the later-row rule, no conflict.
    const std::string header = "lead_id,stage,timestamp,amount\n";
    auto run = [&](const std::string& text, std::string& warnings) {
      funnel::Report report = report_with_amounts(text, warnings);
      CHECK(report.input.conflicting_amounts == 1);
      return report.tables.segments.front().overall.money.won_revenue;
    };
    const std::string rows = "A,lead,2026-01-01,100\n"
                             "A,customer,2026-01-05,1200\n"
                             "A,customer,2026-01-05,1000\n"
                             "B,customer,2026-01-02,50\n"
                             "B,customer,2026-01-02,50\n"
                             "C,customer,2026-01-03,70\n"
                             "C,customer,2026-01-04,80\n";
    std::string w;
    CHECK(run(header + rows, w) == doctest::Approx(1200 + 50 + 80));
    CHECK(w.find("column 'amount': 1 amount differs from another of the same lead at the same time, both won or "
                 "neither (") != std::string::npos);
    CHECK(w.find(":3 (1200) over ") != std::string::npos);
    CHECK(w.find(":4 (1000)); the larger is kept") != std::string::npos);
    SUBCASE("the other order keeps the same amount and names the lines the other way round") {
      const std::string swapped = "A,lead,2026-01-01,100\n"
                                  "A,customer,2026-01-05,1000\n"
                                  "A,customer,2026-01-05,1200\n"
                                  "B,customer,2026-01-02,50\n"
                                  "B,customer,2026-01-02,50\n"
                                  "C,customer,2026-01-03,70\n"
                                  "C,customer,2026-01-04,80\n";
      std::string w2;
      CHECK(run(header + swapped, w2) == doctest::Approx(1200 + 50 + 80));
      CHECK(w2.find(":4 (1200) over ") != std::string::npos);
      CHECK(w2.find(":3 (1000)); the larger is kept") != std::string::npos);
    }
  }
}
