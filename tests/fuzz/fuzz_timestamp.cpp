// libFuzzer target: parse_timestamp() on the bytes, with two invariants:
//  - a time that parses formats (format_timestamp) to text that parses back to the same value;
//  - the date cache changes nothing: the bytes after the first '\n' parse the same with a
//    cache primed by the bytes before it as without one.
// Then every line of the input goes, in order, through a TimeReader per --date-format kind
// (auto in UTC and in Europe/Oslo, dmy, mdy, epoch, epoch_ms, excel, a pattern): sanitizers
// only, and read() must not throw.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "funnel/time_reader.h"
#include "funnel/timestamp.h"
#include "funnel/zone.h"

namespace {

using funnel::ParsedTime;

const char* status_name(ParsedTime::Status s) {
  switch (s) {
    case ParsedTime::Status::ok: return "ok";
    case ParsedTime::Status::empty: return "empty";
    case ParsedTime::Status::invalid: return "invalid";
    case ParsedTime::Status::ambiguous: return "ambiguous";
  }
  return "?";
}

[[noreturn]] void broken(const std::string& what, std::string_view cell, const ParsedTime& a, const ParsedTime& b) {
  std::fprintf(stderr, "fuzz_timestamp: %s\n  cell: \"%.*s\"\n  first:  %s %lld%s %s\n  second: %s %lld%s %s\n",
               what.c_str(), static_cast<int>(cell.size()), cell.data(), status_name(a.status),
               static_cast<long long>(a.value), a.local ? " (local)" : "", a.problem.c_str(), status_name(b.status),
               static_cast<long long>(b.value), b.local ? " (local)" : "", b.problem.c_str());
  std::abort();
}

void round_trip(std::string_view cell) {
  ParsedTime t = funnel::parse_timestamp(cell);
  if (t.status != ParsedTime::Status::ok) return;
  std::string text = funnel::format_timestamp(t.value);
  ParsedTime again = funnel::parse_timestamp(text);
  if (again.status != ParsedTime::Status::ok || again.value != t.value) {
    broken("format_timestamp gave \"" + text + "\", which does not parse back", cell, t, again);
  }
}

struct Readers {
  funnel::Zone utc;
  funnel::Zone oslo{"Europe/Oslo"};
  std::vector<std::pair<funnel::TimeFormat, const funnel::Zone*>> formats;
  Readers() {
    for (const char* f : {"auto", "dmy", "mdy", "epoch", "epoch_ms", "excel", "%d.%m.%Y %I:%M %p"}) {
      formats.emplace_back(funnel::TimeFormat::parse(f), &utc);
    }
    formats.emplace_back(funnel::TimeFormat::parse("auto"), &oslo);
    formats.emplace_back(funnel::TimeFormat::parse("%Y%m%d%H%M%S"), &oslo);
  }
};

void read_column(std::string_view bytes) {
  static const Readers readers;
  for (const auto& [format, zone] : readers.formats) {
    funnel::TimeReader reader(format, zone);
    std::string_view rest = bytes;
    try {
      for (;;) {
        std::size_t nl = rest.find('\n');
        (void)reader.read(rest.substr(0, nl));
        if (nl == std::string_view::npos) break;
        rest.remove_prefix(nl + 1);
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fuzz_timestamp: TimeReader::read threw: %s\n", e.what());
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  round_trip(bytes);

  std::size_t nl = bytes.find('\n');
  if (nl != std::string_view::npos) {
    std::string_view first = bytes.substr(0, nl), second = bytes.substr(nl + 1);
    funnel::DateCache cache;
    (void)funnel::parse_timestamp(first, cache);
    ParsedTime cached = funnel::parse_timestamp(second, cache);
    ParsedTime fresh = funnel::parse_timestamp(second);
    if (cached.status != fresh.status || cached.value != fresh.value || cached.local != fresh.local) {
      broken("a primed DateCache changed the result", second, fresh, cached);
    }
    round_trip(first);
    round_trip(second);
  }
  read_column(bytes);
  return 0;
}
