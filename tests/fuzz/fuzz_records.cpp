// libFuzzer target: the bytes are stdin for a RecordReader; every record is read.
// funnel::Error is the expected answer to malformed input. Anything else (a crash, an ASan
// or UBSan report, another exception, a broken invariant below) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <sstream>
#include <string>
#include <string_view>

#include "funnel/csv.h"
#include "funnel/diagnostics.h"

namespace {

[[noreturn]] void broken(const char* what, std::uint64_t line) {
  std::fprintf(stderr, "fuzz_records: invariant broken: %s (record line %llu)\n", what,
               static_cast<unsigned long long>(line));
  std::abort();
}

/// Reads every byte of a field (so ASan checks the view) and checks it holds no NUL:
/// the byte validator refuses NUL before any record is split.
void check_field(std::string_view field, std::uint64_t line) {
  for (char c : field) {
    if (c == '\0') broken("a field holds a NUL byte", line);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    funnel::RecordReader reader("-", &in, 0);
    for (const auto& name : reader.header()) check_field(name, 1);
    funnel::Record record;
    std::uint64_t previous_line = 0;
    while (reader.next(record)) {
      if (record.fields.size() != reader.header().size()) {
        broken("next() returned a record whose field count differs from the header's", record.line);
      }
      if (record.line <= previous_line) broken("record lines do not increase", record.line);
      previous_line = record.line;
      for (auto field : record.fields) check_field(field, record.line);
    }
  } catch (const funnel::Error&) {
    // Malformed input, reported as it should be.
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_records: unexpected exception: %s\n", e.what());
    std::abort();
  }
  return 0;
}
