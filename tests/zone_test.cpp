// --tz zones read from the system's TZif files (src/zone.cpp), checked against glibc's own
// reading of the same files, against hand-worked DST changes, and on handmade files for the
// POSIX rule that follows a file's last transition.
#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "funnel/diagnostics.h"
#include "funnel/timestamp.h"
#include "funnel/zone.h"

using namespace funnel;

namespace {

Timestamp at(const char* iso) {
  DateCache cache;
  Timestamp t = kNoTime;
  REQUIRE(parse_iso_utc(iso, cache, t));
  return t;
}

/// An environment variable set for the object's life, then put back as it was; `changed`
/// (when given) runs after each change.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value, void (*changed)() = nullptr) : name_(name), changed_(changed) {
    if (const char* old = std::getenv(name)) saved_ = old;
    setenv(name, value.c_str(), 1);
    if (changed_ != nullptr) changed_();
  }
  ~ScopedEnv() {
    if (saved_) {
      setenv(name_, saved_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
    if (changed_ != nullptr) changed_();
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  void (*changed_)();
  std::optional<std::string> saved_;
};

/// glibc's reading of the same files (an implementation of its own, so an independent
/// answer), with TZ set for the object's life.
struct GlibcZone {
  ScopedEnv tz;
  explicit GlibcZone(const std::string& zone) : tz("TZ", zone, tzset) {}
  long offset(Timestamp t) const {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    localtime_r(&tt, &tm);
    return tm.tm_gmtoff;
  }
};

/// A TZif version 2 file with no transitions: one time type and the footer `rule`.
std::string tzif_with_rule(const std::string& rule, int utoff) {
  auto be32 = [](std::string& s, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) s += static_cast<char>((v >> shift) & 0xFF);
  };
  auto block = [&](std::string& s) {
    s += "TZif2";
    s += std::string(15, '\0');
    for (std::uint32_t count : {0u, 0u, 0u, 0u, 1u, 4u}) be32(s, count);  // isut isstd leap time type chars
    be32(s, static_cast<std::uint32_t>(utoff));
    s += '\0';  // isdst
    s += '\0';  // designation index
    s += std::string("XXX\0", 4);
  };
  std::string file;
  block(file);
  block(file);
  file += "\n" + rule + "\n";
  return file;
}

/// A zone folder of handmade files, named by TZDIR for the object's life.
struct ZoneDir {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "funnel_zone_test";
  ScopedEnv tzdir{"TZDIR", dir.string()};
  ZoneDir() { std::filesystem::create_directories(dir / "Test"); }
  void add(const std::string& name, const std::string& bytes) const {
    std::ofstream(dir / name, std::ios::binary) << bytes;
  }
  ~ZoneDir() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

}  // namespace

TEST_SUITE("zone") {
  TEST_CASE("offsets agree with glibc's over two centuries, DST changes and the rule after the table") {
    const std::vector<std::string> zones = {
        "Europe/Oslo", "America/New_York", "Australia/Sydney", "America/Sao_Paulo", "Asia/Kolkata",
        "Asia/Tehran", "Pacific/Apia",     "Europe/Dublin",    "America/St_Johns",  "Pacific/Chatham"};
    for (const auto& name : zones) {
      Zone zone(name);
      GlibcZone glibc(name);
      long checked = 0;
      // Every 31 hours 13 minutes from 1901 to 2099: lands on every hour of day in turn.
      for (Timestamp t = at("1901-12-14T00:00:00Z"); t < at("2099-12-31T00:00:00Z"); t += 31 * 3600 + 13 * 60) {
        const long expected = glibc.offset(t);
        if (zone.to_local(t) - t != expected) {
          FAIL_CHECK(name << " at " << format_timestamp(t) << ": " << zone.to_local(t) - t << " != " << expected);
          break;
        }
        ++checked;
      }
      CHECK(checked > 50000);
    }
  }

  TEST_CASE("wall-clock times: unique, in a spring gap, in an autumn overlap, south of the equator") {
    LocalKind kind{};
    Zone ny("America/New_York");
    // 2024-03-10 02:00 EST -> 03:00 EDT: 02:30 is read with EST, as 03:30 EDT.
    CHECK(ny.to_utc(at("2024-03-10T02:30:00Z"), kind) == at("2024-03-10T07:30:00Z"));
    CHECK(kind == LocalKind::gap);
    // 2024-11-03 02:00 EDT -> 01:00 EST: 01:30 happens twice; the first is EDT (-4).
    CHECK(ny.to_utc(at("2024-11-03T01:30:00Z"), kind) == at("2024-11-03T05:30:00Z"));
    CHECK(kind == LocalKind::overlap);
    CHECK(ny.to_utc(at("2024-07-04T12:00:00Z"), kind) == at("2024-07-04T16:00:00Z"));
    CHECK(kind == LocalKind::unique);
    Zone sydney("Australia/Sydney");
    // 2024-04-07 03:00 AEDT -> 02:00 AEST: 02:30 twice, the first at +11.
    CHECK(sydney.to_utc(at("2024-04-07T02:30:00Z"), kind) == at("2024-04-06T15:30:00Z"));
    CHECK(kind == LocalKind::overlap);
    // 2024-10-06 02:00 AEST -> 03:00 AEDT: 02:30 does not exist, read with +10.
    CHECK(sydney.to_utc(at("2024-10-06T02:30:00Z"), kind) == at("2024-10-05T16:30:00Z"));
    CHECK(kind == LocalKind::gap);
    Zone kolkata("Asia/Kolkata");
    CHECK(kolkata.to_utc(at("2024-01-01T05:30:00Z"), kind) == at("2024-01-01T00:00:00Z"));
    CHECK(kind == LocalKind::unique);
    // Every unique wall time of a year in Oslo goes there and back.
    Zone oslo("Europe/Oslo");
    for (Timestamp local = at("2024-01-01T00:00:00Z"); local < at("2025-01-01T00:00:00Z"); local += 1800) {
      const Timestamp utc = oslo.to_utc(local, kind);
      if (kind == LocalKind::unique) REQUIRE(oslo.to_local(utc) == local);
    }
  }

  TEST_CASE("the POSIX rule after the last transition: northern, southern, fixed, quoted names") {
    ZoneDir dir;
    dir.add("Test/North", tzif_with_rule("EST5EDT,M3.2.0,M11.1.0", -5 * 3600));
    dir.add("Test/South", tzif_with_rule("<-04>4<-03>,M9.1.6/24,M4.1.6/24", -4 * 3600));  // old Chile rule
    dir.add("Test/Fixed", tzif_with_rule("<+0530>-5:30", 19800));
    dir.add("Test/Julian", tzif_with_rule("AAA-2BBB,J60/0,J300/0", 7200));
    Zone north("Test/North");
    CHECK(north.to_local(at("2031-01-15T12:00:00Z")) == at("2031-01-15T07:00:00Z"));
    CHECK(north.to_local(at("2031-07-15T12:00:00Z")) == at("2031-07-15T08:00:00Z"));
    // 2031-03-09 (second Sunday) 02:00 EST = 07:00Z; one second before stays EST.
    CHECK(north.to_local(at("2031-03-09T06:59:59Z")) == at("2031-03-09T01:59:59Z"));
    CHECK(north.to_local(at("2031-03-09T07:00:00Z")) == at("2031-03-09T03:00:00Z"));
    // 2031-11-02 (first Sunday) 02:00 EDT = 06:00Z.
    CHECK(north.to_local(at("2031-11-02T05:59:59Z")) == at("2031-11-02T01:59:59Z"));
    CHECK(north.to_local(at("2031-11-02T06:00:00Z")) == at("2031-11-02T01:00:00Z"));
    Zone south("Test/South");
    CHECK(south.to_local(at("2031-01-15T12:00:00Z")) == at("2031-01-15T09:00:00Z"));  // summer: -3
    CHECK(south.to_local(at("2031-07-15T12:00:00Z")) == at("2031-07-15T08:00:00Z"));  // winter: -4
    Zone fixed("Test/Fixed");
    CHECK(fixed.to_local(at("2050-06-01T00:00:00Z")) == at("2050-06-01T05:30:00Z"));
    Zone julian("Test/Julian");  // J60 is 1 March in every year, leap or not
    CHECK(julian.to_local(at("2032-02-29T12:00:00Z")) == at("2032-02-29T14:00:00Z"));
    CHECK(julian.to_local(at("2032-03-01T12:00:00Z")) == at("2032-03-01T15:00:00Z"));
  }

  TEST_CASE("names that are not zones are usage errors with a suggestion; paths are not names") {
    for (const char* name :
         {"Europe/Olso", "../../etc/passwd", "/usr/share/zoneinfo/UTC", "Europe", "", "Nowhere/City"}) {
      try {
        Zone zone(name);
        FAIL("accepted " << name);
      } catch (const Error& e) {
        CHECK(e.code() == ExitCode::usage);
      }
    }
    try {
      Zone zone("Europe/Olso");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("did you mean 'Europe/Oslo'?") != std::string::npos);
    }
    CHECK(Zone("UTC").is_utc());
  }
}
