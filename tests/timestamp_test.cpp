#include <doctest/doctest.h>

#include <fmt/format.h>

#include "funnel/timestamp.h"

using namespace funnel;

TEST_SUITE("timestamp") {
  TEST_CASE("a date is midnight UTC") {
    auto t = parse_timestamp("2024-01-01");
    REQUIRE(t.status == ParsedTime::Status::ok);
    CHECK(t.value == 1704067200);  // date -u -d 2024-01-01 +%s
  }

  TEST_CASE("ISO date-times with Z, offsets, fractions and a space separator") {
    CHECK(parse_timestamp("2024-01-01T00:00:00Z").value == 1704067200);
    CHECK(parse_timestamp("2024-01-01 00:00:00").value == 1704067200);
    CHECK(parse_timestamp("2024-01-01 00:00").value == 1704067200);
    CHECK(parse_timestamp("2024-01-01T00:00:00.999Z").value == 1704067200);  // fractions dropped
    // 02:00 at +02:00 is midnight UTC; 23:30 at -00:30 is also midnight UTC.
    CHECK(parse_timestamp("2024-01-01T02:00:00+02:00").value == 1704067200);
    CHECK(parse_timestamp("2024-01-01T02:00:00+0200").value == 1704067200);
    CHECK(parse_timestamp("2023-12-31T23:30:00-00:30").value == 1704067200);
    CHECK(parse_timestamp("  2024-01-01  ").value == 1704067200);
  }

  TEST_CASE("leap days exist only in leap years") {
    CHECK(parse_timestamp("2024-02-29").status == ParsedTime::Status::ok);
    CHECK(parse_timestamp("2000-02-29").status == ParsedTime::Status::ok);
    CHECK(parse_timestamp("2023-02-29").status == ParsedTime::Status::invalid);
    CHECK(parse_timestamp("1900-02-29").status == ParsedTime::Status::invalid);
  }

  TEST_CASE("impossible dates and times are refused, not rolled over") {
    for (const char* bad : {"2024-02-30", "2024-13-01", "2024-00-10", "2024-04-31", "0000-00-00",
                            "2024-01-01T25:00:00Z", "2024-01-01T10:60", "2024-01-01X10:00", "2024-1-1", "01/02/2024",
                            "yesterday", "2024-01-01T10:00:00+25:00", "2024-01-01T10:00:00Zjunk"}) {
      CAPTURE(bad);
      auto t = parse_timestamp(bad);
      CHECK(t.status == ParsedTime::Status::invalid);
      CHECK_FALSE(t.problem.empty());
    }
    CHECK(parse_timestamp("2024-02-30").problem == "2024-02 has no day 30");
  }

  TEST_CASE("the ISO UTC fast path reads what parse_timestamp reads and refuses the rest") {
    DateCache cache, general;
    Timestamp t = 0;
    for (const char* cell : {"2024-03-05T14:22:01Z", "2024-03-05T23:59:59Z", "2024-02-29T00:00:00Z",
                             "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-03-06T00:00:00Z"}) {
      CAPTURE(cell);
      REQUIRE(parse_iso_utc(cell, cache, t));
      CHECK(t == parse_timestamp(cell, general).value);
    }
    CHECK(t == 1709683200);  // 2024-03-06T00:00:00Z: 19788 days after 1970-01-01
    // Not this shape, or not a valid instant: left to the general reader (which explains why).
    for (const char* cell :
         {"2023-02-29T00:00:00Z", "2024-03-05T24:00:00Z", "2024-03-05T14:60:00Z", "2024-03-05T14:22:60Z",
          "2024-13-05T14:22:01Z", "0000-03-05T14:22:01Z", "2024-03-05 14:22:01Z", "2024-03-05T14:22:01",
          "2024-03-05T14:22:01+01:00", " 2024-03-05T14:22:01Z", "2024-03-05T14:22:0xZ", "2024-03-0xT14:22:01Z",
          "2024-03-05Tx4:22:01Z", "2024-03-05T1x:22:01Z", "2024-03-05T14:x2:01Z", "2024-03-05T14:2/:01Z",
          "2024-03-05T14:22:;1Z", "2024-03-05T1::22:01Z", "2024-03-05T\xd9\xa4:22:01Z"}) {
      CAPTURE(cell);
      CHECK_FALSE(parse_iso_utc(cell, cache, t));
    }
    // Every second of a day, against the general reader.
    for (int second = 0; second < 86400; ++second) {
      const std::string cell =
          fmt::format("2024-03-05T{:02}:{:02}:{:02}Z", second / 3600, second / 60 % 60, second % 60);
      REQUIRE(parse_iso_utc(cell, cache, t));
      REQUIRE(t == 1709596800 + second);
    }
    // A cached date is reused only for the same ten bytes.
    REQUIRE(parse_iso_utc("2024-03-05T00:00:00Z", cache, t));
    REQUIRE(parse_iso_utc("2024-03-07T00:00:00Z", cache, t));
    CHECK(t == 1709769600);
  }

  TEST_CASE("placeholders mean no time") {
    for (const char* empty : {"", "  ", "NULL", "null", "N/A", "n/a", "NA", "-", "none"}) {
      CAPTURE(empty);
      CHECK(parse_timestamp(empty).status == ParsedTime::Status::empty);
    }
  }

  TEST_CASE("format_timestamp inverts parsing") {
    for (const char* text :
         {"1970-01-01T00:00:00Z", "2024-02-29T23:59:59Z", "1969-12-31T23:59:59Z", "2099-12-31T12:00:00Z"}) {
      CHECK(format_timestamp(parse_timestamp(text).value) == text);
    }
  }

  TEST_CASE("durations in hours, days and weeks") {
    CHECK(parse_duration("30d") == 30 * 86400);
    CHECK(parse_duration("12h") == 12 * 3600);
    CHECK(parse_duration("2w") == 14 * 86400);
    CHECK_FALSE(parse_duration("30").has_value());
    CHECK_FALSE(parse_duration("d").has_value());
    CHECK_FALSE(parse_duration("3.5d").has_value());
  }
}

TEST_SUITE("timestamp") {
  TEST_CASE("the date cache gives the same answers as a fresh parse") {
    DateCache cache;
    for (const char* text :
         {"2024-03-05T10:00:00Z", "2024-03-05T23:59:59+01:00", "2024-03-05", "2024-03-06 08:00", "2024-03-05T00:00:00Z",
          "2024-02-30T00:00:00Z", "2024-03-05Tjunk", "", "N/A", "2024-03-05T10:00:00Z"}) {
      CAPTURE(text);
      auto cached = parse_timestamp(text, cache);
      auto fresh = parse_timestamp(text);
      CHECK(static_cast<int>(cached.status) == static_cast<int>(fresh.status));
      CHECK(cached.value == fresh.value);
      CHECK(cached.problem == fresh.problem);
    }
  }
}

TEST_SUITE("timestamp") {
  TEST_CASE("an offset cannot push a time outside the years 0001..9999") {
    CHECK(parse_timestamp("0001-01-01T00:30:00+01:00").status == ParsedTime::Status::invalid);
    CHECK(parse_timestamp("9999-12-31T23:30:00-01:00").status == ParsedTime::Status::invalid);
    CHECK(parse_timestamp("0001-01-01T00:30:00Z").status == ParsedTime::Status::ok);
  }
}
