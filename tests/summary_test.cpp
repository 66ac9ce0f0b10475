// funnel summary: each figure read from the report's tables, checked by hand on small
// exports; --sort; the CSV header the issue fixes.
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "funnel/report.h"
#include "funnel/summary.h"
#include "support.h"

using funnel::test::run_cli;
using funnel::test::TempFile;

namespace {

// Four leads by owner and team; amounts on the won rows; one churn.
//   A1 (ana/north): lead 01-01, customer 01-11 (10 days), 1000, churned 02-01
//   A2 (ana/north): lead 01-02, customer 01-22 (20 days), 3000
//   A3 (ana/north): lead 01-03, Closed Lost 01-05
//   B1 (bo/south):  lead 01-04, mql 01-20, open (as-of 02-01, 12 days quiet < 30d)
const char* kExport =
    "lead_id,stage,timestamp,owner,team,amount\n"
    "A1,lead,2026-01-01,ana,north,\n"
    "A1,customer,2026-01-11,ana,north,1000\n"
    "A1,churned,2026-02-01,ana,north,\n"
    "A2,lead,2026-01-02,ana,north,\n"
    "A2,customer,2026-01-22,ana,north,3000\n"
    "A3,lead,2026-01-03,ana,north,\n"
    "A3,Closed Lost,2026-01-05,ana,north,\n"
    "B1,lead,2026-01-04,bo,south,\n"
    "B1,mql,2026-01-20,bo,south,\n";

funnel::Summary summary_of(const std::string& path, const std::string& sort, const std::string& spend = "") {
  funnel::ReportOptions options;
  options.files = {path};
  options.columns.by = {"owner", "team"};
  options.amount = "amount";
  options.spend = spend;
  std::ostringstream err;
  funnel::Diagnostics diagnostics(err, true);
  funnel::Report report = funnel::build_report(options, nullptr, diagnostics);
  return funnel::summarize(report, options.columns.by, funnel::parse_summary_sort(sort));
}

}  // namespace

TEST_SUITE("summary") {
  TEST_CASE("every figure of a segment, hand-checked, with both --by values in the label") {
    TempFile file(kExport);
    TempFile spend("source,cost\nana / north,600\nbo / south,100\n");
    const funnel::Summary s = summary_of(file.path(), "segment", spend.path());
    REQUIRE(s.rows.size() == 3);
    const funnel::SummaryRow& ana = s.rows[1];
    CHECK(ana.segment == "ana / north");
    CHECK(ana.values == std::vector<std::string>{"ana", "north"});
    CHECK(ana.leads == 3);
    CHECK(ana.won == 2);
    CHECK(ana.lost == 1);
    CHECK(ana.open == 0);
    CHECK(*ana.win_rate == doctest::Approx(2.0 / 3));    // 2 won / (2 won + 1 lost)
    CHECK(*ana.conversion == doctest::Approx(2.0 / 3));  // 2 won / 3 leads
    CHECK(*ana.revenue == doctest::Approx(4000));        // 1000 + 3000
    CHECK(*ana.avg_won_deal == doctest::Approx(2000));   // 4000 / 2
    CHECK(*ana.cycle_median == doctest::Approx(15));     // (10 + 20) / 2
    CHECK(*ana.cycle_mean == doctest::Approx(15));
    CHECK(*ana.cost == doctest::Approx(600));
    CHECK(*ana.cost_per_lead == doctest::Approx(200));  // 600 / 3
    CHECK(*ana.cac == doctest::Approx(300));            // 600 / 2
    CHECK(*ana.roi == doctest::Approx((4000.0 - 600) / 600));
    CHECK(*ana.churned == 1);
    CHECK(*ana.churn_rate == doctest::Approx(0.5));  // 1 / 2 won
    CHECK(*ana.ltv == doctest::Approx(4000));        // 2000 / 0.5
    const funnel::SummaryRow& bo = s.rows[2];
    CHECK(bo.segment == "bo / south");
    CHECK(bo.open == 1);
    CHECK_FALSE(bo.win_rate);  // nobody closed
    CHECK(*bo.conversion == doctest::Approx(0));
    CHECK(*bo.revenue == doctest::Approx(0));
    CHECK_FALSE(bo.avg_won_deal);
    CHECK_FALSE(bo.cycle_median);
    CHECK_FALSE(bo.cac);  // no win to divide by
    CHECK(*bo.churned == 0);
    CHECK_FALSE(bo.ltv);
  }

  TEST_CASE("--sort: numbers descending unless told, segment ascending, no figure last, (all) first") {
    TempFile file(kExport);
    CHECK(summary_of(file.path(), "won").rows[1].segment == "ana / north");
    CHECK(summary_of(file.path(), "won:asc").rows[1].segment == "bo / south");
    CHECK(summary_of(file.path(), "segment:desc").rows[1].segment == "bo / south");
    // bo has no win rate: last whichever the direction
    CHECK(summary_of(file.path(), "win_rate:asc").rows[2].segment == "bo / south");
    CHECK(summary_of(file.path(), "win_rate:desc").rows[2].segment == "bo / south");
    CHECK(summary_of(file.path(), "open:asc,segment").rows[0].segment == "(all)");
    CHECK_THROWS_WITH(funnel::parse_summary_sort("won:down"), doctest::Contains("asc or desc"));
    CHECK_THROWS_WITH(funnel::parse_summary_sort("revenu"), doctest::Contains("did you mean 'revenue'"));
  }

  TEST_CASE("the CSV header holds the issue's columns in order; figures the data lacks are empty") {
    TempFile file(kExport);
    auto r = run_cli({"summary", "-f", "csv", "--by", "owner", file.path()});
    REQUIRE(r.rc == 0);
    CHECK(r.out.substr(0, r.out.find('\n')) ==
          "segment,leads,won,lost,open,stalled,win_rate,conversion,revenue,avg_won_deal,cycle_days_median,"
          "cycle_days_mean,cost,cost_per_lead,cac,roi,churned,churn_rate,ltv");
    // no --amount, no --spend: revenue and cost columns empty; churn evidence is in the data
    CHECK(r.out.find("ana,3,2,1,0,0,0.666667,0.666667,,,15.0000,15.0000,,,,,1,0.500000,\n") != std::string::npos);
  }
}
