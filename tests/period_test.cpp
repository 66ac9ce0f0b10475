#include <doctest/doctest.h>

#include "funnel/period.h"
#include "funnel/timestamp.h"

using namespace funnel;

namespace {
PeriodSpan of(const char* date, Period p) {
  return period_of(
      days_from_civil(std::stoi(std::string(date, 4)), static_cast<unsigned>(std::stoi(std::string(date + 5, 2))),
                      static_cast<unsigned>(std::stoi(std::string(date + 8, 2)))),
      p);
}
}  // namespace

TEST_SUITE("period") {
  TEST_CASE("ISO weeks start on Monday and belong to the year of their Thursday") {
    CHECK(of("2024-01-01", Period::week).label == "2024-W01");  // a Monday
    CHECK(of("2024-01-07", Period::week).label == "2024-W01");  // Sunday, same week
    CHECK(of("2024-01-08", Period::week).label == "2024-W02");
    // 2020 has 53 weeks: 2020-12-31 (Thursday) and 2021-01-03 (Sunday) are 2020-W53.
    CHECK(of("2020-12-31", Period::week).label == "2020-W53");
    CHECK(of("2021-01-03", Period::week).label == "2020-W53");
    CHECK(of("2021-01-04", Period::week).label == "2021-W01");
    // 2024-12-30 (Monday) starts 2025-W01.
    CHECK(of("2024-12-30", Period::week).label == "2025-W01");
    CHECK(of("2024-12-30", Period::week).first_day == days_from_civil(2024, 12, 30));
    CHECK(of("2025-01-05", Period::week).end_day == days_from_civil(2025, 1, 6));
  }

  TEST_CASE("months and quarters, leap day included") {
    CHECK(of("2024-02-29", Period::month).label == "2024-02");
    CHECK(of("2024-02-29", Period::month).end_day == days_from_civil(2024, 3, 1));
    CHECK(of("2024-12-31", Period::month).end_day == days_from_civil(2025, 1, 1));
    CHECK(of("2024-05-15", Period::quarter).label == "2024-Q2");
    CHECK(of("2024-05-15", Period::quarter).first_day == days_from_civil(2024, 4, 1));
    CHECK(of("2024-11-01", Period::quarter).end_day == days_from_civil(2025, 1, 1));
  }

  TEST_CASE("days before 1970 floor correctly") {
    CHECK(day_of(-1) == -1);
    CHECK(day_of(-86400) == -1);
    CHECK(day_of(-86401) == -2);
    CHECK(of("1969-12-31", Period::month).label == "1969-12");
  }
}
