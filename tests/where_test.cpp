// --where, --recode and --bucket on a small export, every count checked by hand.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support.h"

using funnel::test::run_cli;
using funnel::test::TempFile;

namespace {

// As of 2026-01-25 (the latest time), stale after 30 days:
//   A  paid/EU     lead 01-01, mql 01-03, customer 01-10 (won, amount 5000)
//   B  organic/US  lead 01-02, Closed Lost 01-05 (lost)
//   C  ""/EU then Paid/US: lead 01-03, mql 01-04 (open)
//   D  organic/EU  lead 01-20, mql 01-25 (open, amount 800)
//   E  ""/US       lead 01-21 (open)
const char* kExport =
    "lead_id,stage,timestamp,origin,region,amount\n"
    "A,lead,2026-01-01,paid,EU,\n"
    "A,mql,2026-01-03,,EU,\n"
    "A,customer,2026-01-10,paid,EU,5000\n"
    "B,lead,2026-01-02,organic,US,\n"
    "B,Closed Lost,2026-01-05,organic,US,\n"
    "C,lead,2026-01-03,,EU,\n"
    "C,mql,2026-01-04,Paid,US,\n"
    "D,lead,2026-01-20,organic,EU,\n"
    "D,mql,2026-01-25,organic,EU,800\n"
    "E,lead,2026-01-21,,US,\n";

/// The (all) row of funnel summary -f csv: "(all),leads,won,lost,open,...".
std::string all_row(const funnel::test::RunResult& r) {
  const std::size_t start = r.out.find("\n(all),");
  if (start == std::string::npos) return "no (all) row: " + r.out + r.err;
  return r.out.substr(start + 1, r.out.find('\n', start + 1) - start - 1);
}

/// The leads counted with these extra arguments.
std::string leads_of(const std::string& path, std::vector<std::string> args) {
  args.insert(args.begin(), {"summary", "-f", "csv", "--stages", "lead,mql,customer", "--amount", "amount"});
  args.push_back(path);
  const auto r = run_cli(args);
  const std::string row = all_row(r);
  const std::size_t a = row.find(',') + 1;
  return row.substr(a, row.find(',', a) - a);
}

/// The segment rows (after (all)) of funnel summary -f csv, label and leads only.
std::string segments_of(const std::string& path, std::vector<std::string> args) {
  args.insert(args.begin(), {"summary", "-f", "csv", "--stages", "lead,mql,customer", "--amount", "amount"});
  args.push_back(path);
  const auto r = run_cli(args);
  if (r.rc != 0) return r.err;
  std::string out;
  std::size_t at = r.out.find('\n', r.out.find("\n(all),") + 1);
  while (at != std::string::npos && at + 1 < r.out.size()) {
    const std::size_t end = r.out.find('\n', at + 1);
    const std::string line = r.out.substr(at + 1, end - at - 1);
    const std::size_t c1 = line.find(','), c2 = line.find(',', c1 + 1);
    out += line.substr(0, c2) + ";";
    at = end;
  }
  return out;
}

}  // namespace

TEST_SUITE("where") {
  TEST_CASE("status, stage reached, amount and dates, hand-counted") {
    TempFile file(kExport);
    const std::string& f = file.path();
    CHECK(leads_of(f, {}) == "5");
    CHECK(leads_of(f, {"--where", "status = won"}) == "1");              // A
    CHECK(leads_of(f, {"--where", "status in (open, lost)"}) == "4");    // B C D E
    CHECK(leads_of(f, {"--where", "reached:mql"}) == "3");               // A C D
    CHECK(leads_of(f, {"--where", "not reached:mql"}) == "2");           // B E
    CHECK(leads_of(f, {"--where", "amount >= 1000"}) == "1");            // A: 5000
    CHECK(leads_of(f, {"--where", "not amount >= 1000"}) == "4");        // no amount fails every comparison
    CHECK(leads_of(f, {"--where", "amount < 1000"}) == "1");             // D: 800
    CHECK(leads_of(f, {"--where", "entered >= 2026-01-03"}) == "3");     // C D E
    CHECK(leads_of(f, {"--where", "entered:mql < 2026-01-04"}) == "1");  // A (01-03)
    CHECK(leads_of(f, {"--where", "reached:mql and (status = won or entered > 2026-01-10)"}) == "2");  // A D
    CHECK(leads_of(f, {"--where", "reached:mql", "--where", "status != won"}) == "2");  // C D: all must hold
  }

  TEST_CASE("columns: a lead's value is read from one row, the row that gives its segment") {
    TempFile file(kExport);
    const std::string& f = file.path();
    // Without --by, each named column's first non-empty row: C's origin is Paid (row 2),
    // its region EU (row 1, the first row with any of origin and region).
    CHECK(leads_of(f, {"--where", "origin in (paid, Paid)"}) == "2");  // A C
    CHECK(leads_of(f, {"--where", "origin = \"\""}) == "1");           // E: every origin cell empty
    CHECK(leads_of(f, {"--where", "region = US"}) == "2");             // B E
    // With --by origin the origin cells tell the row: C's is row 2, region US there; the
    // filter never moves a lead to another segment.
    CHECK(segments_of(f, {"--by", "origin", "--where", "region = US"}) == "(none),1;Paid,1;organic,1;");
    CHECK(segments_of(f, {"--by", "origin"}) == "(none),1;Paid,1;organic,2;paid,1;");
    // --attribution last: C's latest row.
    CHECK(leads_of(f, {"--attribution", "last", "--where", "region = US"}) == "3");  // B C E
    // the older form COLUMN=VALUE
    CHECK(leads_of(f, {"--where", "origin=organic"}) == "2");  // B D
    CHECK(leads_of(f, {"--where", "`origin` != organic"}) == "3");
  }

  TEST_CASE("left out by --where: counted in the data quality, never lost") {
    TempFile file(kExport);
    auto r =
        run_cli({"report", "-f", "json", "--stages", "lead,mql,customer", "--where", "status = open", file.path()});
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("\"leads_left_out_by_where\": 2") != std::string::npos);  // A won, B lost
    CHECK(r.err.find("--where left out 2 of 5 leads") != std::string::npos);
    auto leads = run_cli({"leads", "--all", "--stages", "lead,mql,customer", "--where", "status = open", file.path()});
    CHECK(leads.out.find("A,left out by --where,") != std::string::npos);
  }

  TEST_CASE("parse errors name the column of the expression") {
    TempFile file(kExport);
    auto err = [&](const std::string& expr) {
      auto r = run_cli({"report", "--stages", "lead,mql,customer", "--where", expr, file.path()});
      CHECK(r.rc == 2);
      return r.err;
    };
    CHECK(err("origin = ").find("column 10: expected a value for origin after '='") != std::string::npos);
    CHECK(err("(origin = paid").find("column 15: expected ')' to close the '(' at column 1") != std::string::npos);
    CHECK(err("status = wonn").find("did you mean 'won'") != std::string::npos);
    CHECK(err("status > won").find("column 8: status compares with =, != or in") != std::string::npos);
    CHECK(err("reached:sqll").find("column 1: no stage named 'sqll'") != std::string::npos);
    CHECK(err("origin in (a, b").find("column 16: expected ',' or ')'") != std::string::npos);
    CHECK(err("amount > lots").find("amount compares with a number") != std::string::npos);
    CHECK(err("entered > soon").find("entered compares with a date or time") != std::string::npos);
    CHECK(err("origin = 'paid").find("column 10: the quote ' is never closed") != std::string::npos);
    CHECK(err("amount > 5").find("add --amount") != std::string::npos);
    auto missing = run_cli({"report", "--stages", "lead,mql,customer", "--where", "channel = x", file.path()});
    CHECK(missing.rc == 6);
    CHECK(missing.err.find("--where names column 'channel'") != std::string::npos);
  }

  TEST_CASE("--recode folds blanks and spellings; --bucket bands numbers; both usable in --by") {
    TempFile file(kExport);
    const std::string& f = file.path();
    CHECK(segments_of(f, {"--by", "origin", "--recode", "origin: \"\" -> unknown; Paid -> paid"}) ==
          "organic,2;paid,2;unknown,1;");
    // --where sees the recoded value
    CHECK(leads_of(f, {"--recode", "origin: Paid -> paid", "--where", "origin = paid"}) == "2");
    // * takes every value no earlier rule took
    CHECK(segments_of(f, {"--by", "origin", "--recode", "origin: paid, Paid -> paid; * -> other"}) ==
          "other,3;paid,2;");
    // the --amount column's bands are each lead's deal value; no amount is (none)
    CHECK(segments_of(f, {"--by", "amount", "--bucket", "amount=0,1000"}) == "(none),3;0-1000,1;>=1000,1;");
    auto unused = run_cli({"report", "--recode", "origin: a -> b", f});
    CHECK(unused.rc == 2);
    CHECK(unused.err.find("no --by or --where names that column") != std::string::npos);
    auto bad = run_cli({"report", "--by", "amount", "--bucket", "amount=10,5", f});
    CHECK(bad.rc == 2);
    CHECK(bad.err.find("edges go up") != std::string::npos);
    auto arrow = run_cli({"report", "--by", "origin", "--recode", "origin: paid unknown", f});
    CHECK(arrow.rc == 2);
    CHECK(arrow.err.find("expected ',' or '->'") != std::string::npos);
  }

  TEST_CASE("--recode and --where from a TOML --config") {
    TempFile file(kExport);
    TempFile config(
        "by = [\"origin\"]\nrecode = ['origin: \"\" -> unknown; Paid -> paid']\n"
        "where = ['status != lost']\n",
        ".toml");
    auto r = run_cli({"summary", "-f", "csv", "--stages", "lead,mql,customer", "--config", config.path(), file.path()});
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("\norganic,1,") != std::string::npos);  // B lost: left out
    CHECK(r.out.find("\npaid,2,") != std::string::npos);
    CHECK(r.out.find("\nunknown,1,") != std::string::npos);
  }
}
