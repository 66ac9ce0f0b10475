// libFuzzer target: the bytes are stdin for a RecordReader; every record is read.
// funnel::Error is the expected answer to malformed input. Anything else (a crash, an ASan
// or UBSan report, another exception, a broken invariant below) is a bug.
//
// Each input is read four ways:
//   A  strict, UTF-8, the whole input in one decoder chunk: RecordReader("-", &in, 0), as
//      funnel reads stdin
//   B  as A with decoder chunks of 3..7 bytes: must give exactly what A gave (records, rejects,
//      counts, error message): chunk boundaries must not show
//   C  lenient, UTF-8: when A read everything, C gives the same records and rejects; when A
//      stopped with an error, A's records are the first of C's
//   D  lenient, cp1252, small chunks: sanitizers only
// In every run: a record has as many fields as the header, record lines increase, no field
// holds a NUL byte.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <exception>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "funnel/csv.h"
#include "funnel/diagnostics.h"
#include "funnel/input.h"

#include "big_buffers.h"  // 48 MiB LineReader buffers: keep them between inputs

namespace {

// TextDecoder's default chunk is 1 MiB, a 1 MiB zero-filled string per reader: under ASan
// that dominated the run time. Inputs below 64 KiB are still decoded in one chunk, as funnel
// decodes them (libFuzzer's -max_len stays far below).
constexpr std::size_t kDefaultChunk = std::size_t{64} << 10;

[[noreturn]] void broken(const char* run, const std::string& what) {
  std::fprintf(stderr, "fuzz_records: invariant broken in run %s: %s\n", run, what.c_str());
  std::abort();
}

/// Everything one read produced, comparable between runs.
struct Transcript {
  std::vector<std::string> records;  // "line|field\x1ffield..." per record
  std::vector<std::string> rejects;  // "line|reason|raw" per reject
  std::vector<std::string> header;
  std::uint64_t blank = 0, trailing = 0;
  bool failed = false;
  std::string error;
};

std::string describe(const Transcript& t) {
  std::string s = t.failed ? "error: " + t.error : std::string("ok");
  s += "; " + std::to_string(t.records.size()) + " records, " + std::to_string(t.rejects.size()) + " rejects, " +
       std::to_string(t.blank) + " blank, " + std::to_string(t.trailing) + " trailing";
  return s;
}

/// The first record or reject where two transcripts differ, for the failure message.
std::string first_difference(const Transcript& x, const Transcript& y) {
  auto first = [](const char* what, const std::vector<std::string>& a, const std::vector<std::string>& b) {
    for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
      const std::string none = "(none)";
      const std::string& p = i < a.size() ? a[i] : none;
      const std::string& q = i < b.size() ? b[i] : none;
      if (p != q) return std::string("\n  first differing ") + what + ": \"" + p + "\" vs \"" + q + "\"";
    }
    return std::string();
  };
  std::string d = first("record", x.records, y.records);
  return d.empty() ? first("reject", x.rejects, y.rejects) : d;
}

void check_field(const char* run, std::string_view field, std::uint64_t line) {
  // Reads every byte of the view (so ASan checks it); NUL never reaches a record.
  for (char c : field) {
    if (c == '\0') broken(run, "a field on line " + std::to_string(line) + " holds a NUL byte");
  }
}

Transcript read_all(const char* run, const std::string& bytes, const funnel::ReadOptions& options, std::size_t chunk) {
  funnel::TextDecoder::set_chunk_size(chunk);
  funnel::RecordReader::set_block_bytes(kDefaultChunk);  // 1 MiB zero-filled blocks per input would dominate
  Transcript t;
  std::istringstream in(bytes);
  try {
    funnel::RecordReader reader("-", &in, options);
    reader.on_reject(
        [&](const funnel::Reject& r) { t.rejects.push_back(std::to_string(r.line) + "|" + r.reason + "|" + r.raw); });
    t.header = reader.header();
    for (const auto& name : t.header) check_field(run, name, 0);
    funnel::Record record;
    std::uint64_t previous_line = 0;
    while (reader.next(record)) {
      if (record.fields.size() != t.header.size()) {
        broken(run, "line " + std::to_string(record.line) + ": " + std::to_string(record.fields.size()) +
                        " fields, header has " + std::to_string(t.header.size()));
      }
      if (record.line <= previous_line) {
        broken(run, "record line " + std::to_string(record.line) + " after line " + std::to_string(previous_line));
      }
      previous_line = record.line;
      std::string text = std::to_string(record.line) + "|";
      for (auto field : record.fields) {
        check_field(run, field, record.line);
        text.append(field);
        text += '\x1f';
      }
      t.records.push_back(std::move(text));
    }
    t.blank = reader.blank_lines();
    t.trailing = reader.trailing_delimiters();
  } catch (const funnel::Error& e) {
    t.failed = true;
    t.error = e.what();
  } catch (const std::exception& e) {
    funnel::TextDecoder::set_chunk_size(kDefaultChunk);
    broken(run, std::string("unexpected exception: ") + e.what());
  }
  funnel::TextDecoder::set_chunk_size(kDefaultChunk);
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const std::size_t small_chunk = 3 + size % 5;

  funnel::ReadOptions strict;  // what RecordReader("-", &in, 0) uses
  Transcript a = read_all("A", bytes, strict, kDefaultChunk);

  Transcript b = read_all("B", bytes, strict, small_chunk);
  if (a.records != b.records || a.rejects != b.rejects || a.header != b.header || a.blank != b.blank ||
      a.trailing != b.trailing || a.failed != b.failed || a.error != b.error) {
    broken("B", "decoder chunks of " + std::to_string(small_chunk) + " bytes changed the result:\n  A: " + describe(a) +
                    "\n  B: " + describe(b));
  }

  funnel::ReadOptions lenient;
  lenient.lenient = true;
  Transcript c = read_all("C", bytes, lenient, kDefaultChunk);
  if (!a.failed) {
    if (c.failed || c.records != a.records || c.rejects != a.rejects) {
      broken("C", "lenient reading differs from a clean strict read:\n  A: " + describe(a) + "\n  C: " + describe(c) +
                      first_difference(a, c));
    }
  } else {
    bool prefix = a.records.size() <= c.records.size();
    for (std::size_t i = 0; prefix && i < a.records.size(); ++i) prefix = a.records[i] == c.records[i];
    if (!prefix) {
      broken("C", "records read before the strict error are not the first lenient records:\n  A: " + describe(a) +
                      "\n  C: " + describe(c) + first_difference(a, c));
    }
  }

  funnel::ReadOptions cp1252 = lenient;
  cp1252.encoding = funnel::Encoding::cp1252;
  (void)read_all("D", bytes, cp1252, small_chunk);
  return 0;
}
