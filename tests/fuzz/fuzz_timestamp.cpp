// libFuzzer target: parse_timestamp() on the bytes, with two invariants:
//  - a time that parses formats (format_timestamp) to text that parses back to the same value;
//  - the date cache changes nothing: the bytes after the first '\n' parse the same with a
//    cache primed by the bytes before it as without one.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "funnel/timestamp.h"

namespace {

using funnel::ParsedTime;

const char* status_name(ParsedTime::Status s) {
  switch (s) {
    case ParsedTime::Status::ok: return "ok";
    case ParsedTime::Status::empty: return "empty";
    case ParsedTime::Status::invalid: return "invalid";
  }
  return "?";
}

[[noreturn]] void broken(const char* what, std::string_view cell, const ParsedTime& a,
                         const ParsedTime& b) {
  std::fprintf(stderr,
               "fuzz_timestamp: %s\n  cell: \"%.*s\"\n  first:  %s %lld %s\n  second: %s %lld %s\n",
               what, static_cast<int>(cell.size()), cell.data(), status_name(a.status),
               static_cast<long long>(a.value), a.problem.c_str(), status_name(b.status),
               static_cast<long long>(b.value), b.problem.c_str());
  std::abort();
}

void round_trip(std::string_view cell) {
  ParsedTime t = funnel::parse_timestamp(cell);
  if (t.status != ParsedTime::Status::ok) return;
  std::string text = funnel::format_timestamp(t.value);
  ParsedTime again = funnel::parse_timestamp(text);
  if (again.status != ParsedTime::Status::ok || again.value != t.value) {
    broken(("format_timestamp gave \"" + text + "\", which does not parse back").c_str(), cell, t,
           again);
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
    if (cached.status != fresh.status || cached.value != fresh.value) {
      broken("a primed DateCache changed the result", second, fresh, cached);
    }
    round_trip(first);
    round_trip(second);
  }
  return 0;
}
