#include <doctest/doctest.h>

#include "funnel/diagnostics.h"
#include "funnel/time_reader.h"
#include "support.h"

using namespace funnel;
using funnel::test::run_cli;

namespace {
Timestamp at(const char* iso) { return parse_timestamp(iso).value; }
Timestamp read_one(TimeReader& r, const char* cell) {
  auto t = r.read(cell);
  REQUIRE_MESSAGE(t.status == ParsedTime::Status::ok, cell, ": ", t.problem);
  return t.value;
}
}  // namespace

TEST_SUITE("time_reader") {
  TEST_CASE("day-first dotted dates from Nordic and German Excel") {
    TimeReader r({}, nullptr);
    CHECK(read_one(r, "05.03.2024") == at("2024-03-05"));
    CHECK(read_one(r, "5.3.2024 14:22") == at("2024-03-05T14:22:00Z"));
    CHECK(read_one(r, "29.02.2024 23:59:59") == at("2024-02-29T23:59:59Z"));
    CHECK(r.read("30.02.2024").status == ParsedTime::Status::invalid);
  }

  TEST_CASE("a 13..31 in the first place settles a column as day-first") {
    TimeReader r({}, nullptr);
    CHECK(r.read("03/04/2024").status == ParsedTime::Status::ambiguous);
    CHECK(read_one(r, "25/12/2024") == at("2024-12-25"));
    CHECK(r.order() == DateOrder::dmy);
    CHECK(read_one(r, "03/04/2024") == at("2024-04-03"));  // now 3 April
    auto contradiction = r.read("12/25/2024");
    CHECK(contradiction.status == ParsedTime::Status::invalid);
    CHECK(contradiction.problem.find("day-first") != std::string::npos);
  }

  TEST_CASE("US Salesforce month-first times with AM/PM") {
    TimeReader r({}, nullptr);
    CHECK(read_one(r, "12/25/2024 9:05 AM") == at("2024-12-25T09:05:00Z"));
    CHECK(r.order() == DateOrder::mdy);
    CHECK(read_one(r, "3/5/2024 2:22 PM") == at("2024-03-05T14:22:00Z"));
    CHECK(read_one(r, "3/5/2024 12:00 AM") == at("2024-03-05T00:00:00Z"));
    CHECK(read_one(r, "3/5/2024 12:30 pm") == at("2024-03-05T12:30:00Z"));
    CHECK(r.read("3/5/2024 13:00 PM").status == ParsedTime::Status::invalid);
  }

  TEST_CASE("two-digit years read in Excel's 1930-2029 window; the order still settles per column") {
    CHECK(two_digit_year(0) == 2000);
    CHECK(two_digit_year(29) == 2029);
    CHECK(two_digit_year(30) == 1930);
    CHECK(two_digit_year(99) == 1999);
    TimeReader r({}, nullptr);
    CHECK(r.read("01/02/26").status == ParsedTime::Status::ambiguous);  // waits, as with four digits
    CHECK(read_one(r, "02/23/26 08:55 PM") == at("2026-02-23T20:55:00Z"));
    CHECK(r.order() == DateOrder::mdy);
    CHECK(read_one(r, "01/27/21") == at("2021-01-27"));
    CHECK(read_one(r, "01/02/26") == at("2026-01-02"));
    CHECK(read_one(r, "12/31/29") == at("2029-12-31"));
    CHECK(read_one(r, "1/1/30") == at("1930-01-01"));
    auto three = r.read("01/27/202");
    CHECK(three.status == ParsedTime::Status::invalid);
    CHECK(three.problem == "expected a year of four digits (or two: 1930-2029)");
    TimeReader dmy({}, nullptr);
    CHECK(read_one(dmy, "27-01-21") == at("2021-01-27"));
    CHECK(dmy.order() == DateOrder::dmy);
  }

  TEST_CASE("English month names, full or abbreviated, any case, month or day first") {
    TimeReader r({}, nullptr);
    CHECK(read_one(r, "Apr 15, 2021") == at("2021-04-15"));
    CHECK(read_one(r, "April 15, 2021 3:04 PM") == at("2021-04-15T15:04:00Z"));
    CHECK(read_one(r, "15-Apr-2021") == at("2021-04-15"));
    CHECK(read_one(r, "15-APR-21") == at("2021-04-15"));
    CHECK(read_one(r, "15 Apr, 2021 00:03:00") == at("2021-04-15T00:03:00Z"));  // Zoho
    CHECK(read_one(r, "5 september 2021") == at("2021-09-05"));
    CHECK(read_one(r, "Sept. 5, 2021") == at("2021-09-05"));
    CHECK(read_one(r, "dec 31 1999 23:59") == at("1999-12-31T23:59:00Z"));
    CHECK(r.order() == DateOrder::undecided);  // a month name settles nothing for slash dates
    auto bad_day = r.read("Feb 30, 2021");
    CHECK(bad_day.status == ParsedTime::Status::invalid);
    CHECK(bad_day.problem == "2021-02 has no day 30");
    CHECK(r.read("Foo 15, 2021").status == ParsedTime::Status::invalid);
    CHECK(r.read("15 Apr").status == ParsedTime::Status::invalid);
    CHECK(r.read("Ma 15, 2021").status == ParsedTime::Status::invalid);  // two letters name no month
  }

  TEST_CASE("a trailing UTC is that instant, whatever --tz says") {
    Zone oslo("Europe/Oslo");
    TimeReader r({}, &oslo);
    CHECK(read_one(r, "2021-04-15 00:03:00 UTC") == at("2021-04-15T00:03:00Z"));
    CHECK(read_one(r, "2021-04-15 00:03:00.123456 utc") == at("2021-04-15T00:03:00Z"));
    CHECK(read_one(r, "2021-04-15 00:03:00") == at("2021-04-14T22:03:00Z"));  // local in Oslo (CEST)
    CHECK(read_one(r, "Apr 15, 2021 UTC") == at("2021-04-15"));
    auto twice = r.read("2021-04-15T00:03:00Z UTC");
    CHECK(twice.status == ParsedTime::Status::invalid);
    CHECK(twice.problem == "a zone and a trailing UTC");
    CHECK(r.read("UTC").status == ParsedTime::Status::invalid);
  }

  TEST_CASE("--date-format patterns with %y, %b and %B") {
    TimeReader y(TimeFormat::parse("%m/%d/%y %I:%M %p"), nullptr);
    CHECK(read_one(y, "02/23/26 08:55 PM") == at("2026-02-23T20:55:00Z"));
    CHECK(read_one(y, "02/23/45 08:55 AM") == at("1945-02-23T08:55:00Z"));
    TimeReader b(TimeFormat::parse("%d-%b-%Y"), nullptr);
    CHECK(read_one(b, "15-Apr-2021") == at("2021-04-15"));
    CHECK(read_one(b, "15-april-2021") == at("2021-04-15"));
    auto not_month = b.read("15-04-2021");
    CHECK(not_month.status == ParsedTime::Status::invalid);
    CHECK(not_month.problem == "expected a month name (%b)");
    TimeReader full(TimeFormat::parse("%B %d, %Y %H:%M:%S"), nullptr);
    CHECK(read_one(full, "February 3, 2024 10:00:00") == at("2024-02-03T10:00:00Z"));
    TimeReader utc(TimeFormat::parse("%Y%m%d %H%M"), nullptr);
    CHECK(read_one(utc, "20240203 1000 UTC") == at("2024-02-03T10:00:00Z"));
  }

  TEST_CASE("--date-format dmy and mdy decide without data") {
    TimeReader dmy(TimeFormat::parse("dmy"), nullptr), mdy(TimeFormat::parse("mdy"), nullptr);
    CHECK(read_one(dmy, "03/04/2024") == at("2024-04-03"));
    CHECK(read_one(mdy, "03/04/2024") == at("2024-03-04"));
    CHECK(read_one(dmy, "03-04-2024") == at("2024-04-03"));
  }

  TEST_CASE("epoch seconds and milliseconds, Excel serial days, explicit patterns") {
    TimeReader r({}, nullptr);
    CHECK(read_one(r, "1704067200") == at("2024-01-01"));
    CHECK(read_one(r, "1704067200999") == at("2024-01-01"));
    CHECK(r.read("20240105").status == ParsedTime::Status::invalid);
    TimeReader excel(TimeFormat::parse("excel"), nullptr);
    CHECK(read_one(excel, "45292.5") == at("2024-01-01T12:00:00Z"));  // 45292 days after 1899-12-30
    CHECK(read_one(excel, "60") == at("1900-02-28"));                 // Excel's 1900 system
    TimeReader pattern(TimeFormat::parse("%Y%m%d %I:%M%p"), nullptr);
    CHECK(read_one(pattern, "20240105 07:45PM") == at("2024-01-05T19:45:00Z"));
    CHECK(pattern.read("2024-01-05").status == ParsedTime::Status::invalid);
    CHECK_THROWS_AS(TimeFormat::parse("ymd"), Error);
  }

  TEST_CASE("offsets that cross midnight and leap days") {
    TimeReader r({}, nullptr);
    CHECK(read_one(r, "2024-02-29T23:30:00-01:00") == at("2024-03-01T00:30:00Z"));
    CHECK(read_one(r, "2024-03-01T00:30:00+01:00") == at("2024-02-29T23:30:00Z"));
    CHECK(read_one(r, "2024/02/29 10:00") == at("2024-02-29T10:00:00Z"));
  }

  TEST_CASE("--tz reads naive times in the zone, with the DST rules") {
    Zone oslo("Europe/Oslo");
    TimeReader r({}, &oslo);
    CHECK(read_one(r, "2024-01-15 09:00") == at("2024-01-15T08:00:00Z"));      // CET, +1
    CHECK(read_one(r, "2024-07-15 09:00") == at("2024-07-15T07:00:00Z"));      // CEST, +2
    CHECK(read_one(r, "2024-07-15T09:00:00Z") == at("2024-07-15T09:00:00Z"));  // an offset wins
    CHECK(read_one(r, "15.07.2024 09:00") == at("2024-07-15T07:00:00Z"));
    // 2024-03-31: clocks go 02:00 -> 03:00. 02:30 does not exist: read as 03:30 CEST.
    CHECK(read_one(r, "2024-03-31 02:30") == at("2024-03-31T01:30:00Z"));
    CHECK(r.dst_gaps() == 1);
    // 2024-10-27: clocks go 03:00 -> 02:00. 02:30 happens twice: the earlier (CEST) is taken.
    CHECK(read_one(r, "2024-10-27 02:30") == at("2024-10-27T00:30:00Z"));
    CHECK(r.dst_overlaps() == 1);
    CHECK_THROWS_AS(Zone("Europe/Olso"), Error);
  }

  TEST_CASE("a column is settled by a later row; rows before it wait and are read then") {
    // A: lead 03/01 (ambiguous), mql 25/01 settles day-first -> lead = 3 January.
    auto r = run_cli({"report", "-f", "csv", "-"},
                     "lead_id,stage,timestamp\nA,lead,03/01/2024\nB,lead,04/01/2024\nA,mql,25/01/2024\n");
    REQUIRE(r.rc == 0);
    // days from entry to mql = 25 - 3 = 22
    CHECK(r.out.find("(all),mql,mofu,1,0.500000,0.500000,1,0,1,0,,,,22.0000,22.0000,22.0000") != std::string::npos);
  }

  TEST_CASE("a column that never settles stops with the column and the fix") {
    auto r = run_cli({"report", "-"}, "lead_id,stage,timestamp\nA,lead,03/01/2024\nA,mql,04/02/2024\n");
    CHECK(r.rc == 5);
    CHECK(r.err ==
          "funnel: <stdin>:2: column 'timestamp': cannot tell day from month in \"03/01/2024\" and 1 "
          "other rows of this column (every day is 12 or less); set --date-format dmy (day first) or "
          "mdy (month first)\n");
    auto fixed = run_cli({"report", "--date-format", "mdy", "-f", "csv", "-"},
                         "lead_id,stage,timestamp\nA,lead,03/01/2024\nA,mql,04/02/2024\n");
    CHECK(fixed.rc == 0);
  }
}

TEST_SUITE("time_reader") {
  TEST_CASE("cohorts: a week is complete once it ended by the as-of time; trend fills quiet weeks") {
    // Entries: A 2024-01-01 (W01), B 2024-01-10 (W02), C 2024-01-24 (W04); as of 2024-01-25.
    std::string input =
        "lead_id,stage,timestamp\nA,lead,2024-01-01\nA,mql,2024-01-02\nB,lead,2024-01-10\nC,lead,2024-01-24\nC,mql,"
        "2024-01-25\n";
    auto r = run_cli({"cohorts", "--every", "week", "-f", "csv", "-"}, input);
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("2024-W01,2024-01-01,true,mql,mofu,1,1.000000,1.000000,1.0000") != std::string::npos);
    CHECK(r.out.find("2024-W02,2024-01-08,true,lead,tofu,1,") != std::string::npos);
    CHECK(r.out.find("2024-W04,2024-01-22,false,lead,tofu,1,") != std::string::npos);  // week ends 01-29
    // With a 7-day window W02 (ends 01-15, + 7 days = 01-22 <= 01-25) is complete, W04 is not.
    auto w = run_cli({"cohorts", "--every", "week", "--window", "7d", "-f", "csv", "-"}, input);
    CHECK(w.out.find("2024-W02,2024-01-08,true,") != std::string::npos);
    auto t = run_cli({"trend", "--every", "week", "-f", "csv", "-"}, input);
    REQUIRE(t.rc == 0);
    CHECK(t.out.find("2024-W03,2024-01-15,lead,tofu,0\n") != std::string::npos);  // the quiet week is there
    CHECK(t.out.find("2024-W04,2024-01-22,mql,mofu,1\n") != std::string::npos);
  }
}

TEST_SUITE("time_reader") {
  TEST_CASE("cohort weeks follow the --tz calendar across a DST change") {
    // 2024-03-31T22:30Z is Sunday in UTC; in Oslo it is Monday 00:30 CEST
    // (the clocks went forward that morning), so the lead enters in ISO week 14 in Oslo and
    // week 13 in UTC.
    std::string input = "lead_id,stage,timestamp\nA,lead,2024-03-31T22:30:00Z\n";
    auto utc = run_cli({"cohorts", "-f", "csv", "-"}, input);
    auto oslo = run_cli({"cohorts", "--tz", "Europe/Oslo", "-f", "csv", "-"}, input);
    REQUIRE(utc.rc == 0);
    REQUIRE(oslo.rc == 0);
    CHECK(utc.out.find("\n2024-W13,2024-03-25,") != std::string::npos);
    CHECK(oslo.out.find("\n2024-W14,2024-04-01,") != std::string::npos);
    // Naive times are Oslo wall-clock: Monday 00:30 local is still week 14 (Sunday 22:30 UTC).
    auto naive = run_cli({"trend", "--tz", "Europe/Oslo", "-f", "csv", "-"},
                         "lead_id,stage,timestamp\nA,lead,2024-04-01 00:30\n");
    CHECK(naive.out.find("2024-W14,2024-04-01,lead,tofu,1") != std::string::npos);
  }
}
