// CSV records: dialect detection, RFC 4180 quoting (doubled quotes, line breaks inside quoted
// fields) and field-count checks, on top of fast-cpp-csv-parser's io::LineReader.
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace funnel {

/// How a file is delimited. Quote is always '"'.
struct Dialect {
  char delimiter = ',';
  bool detected = false;  ///< true when read off the header rather than given
};

/// Picks the delimiter (comma, semicolon, tab, pipe) that splits the header line into the
/// most fields outside quotes; comma when none occurs.
char detect_delimiter(std::string_view header_line);

/// One CSV record. Fields view memory owned by the reader, valid until the next read.
struct Record {
  std::vector<std::string_view> fields;
  std::uint64_t line = 0;  ///< physical line where the record starts (1-based)
};

/// Reads records from one input. The first record is the header.
class RecordReader {
 public:
  /// `path` "-" reads `stdin_stream` (or fd 0 when null). `delimiter` 0 means detect.
  /// `block_size` 0 means the default; tests use tiny blocks to probe buffer boundaries.
  RecordReader(const std::string& path, std::istream* stdin_stream, char delimiter);
  ~RecordReader();
  RecordReader(const RecordReader&) = delete;
  RecordReader& operator=(const RecordReader&) = delete;

  /// The display name used in messages ("<stdin>" for "-").
  const std::string& name() const;
  const Dialect& dialect() const;
  /// The header fields; empty when the input has no lines at all.
  const std::vector<std::string>& header() const;
  /// Next data record; false at end of input. Throws funnel::Error on a malformed record.
  /// Blank lines are skipped and counted.
  bool next(Record& record);
  std::uint64_t blank_lines() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace funnel
