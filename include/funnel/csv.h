// CSV records: dialect detection, RFC 4180 quoting (doubled quotes, line breaks inside quoted
// fields) and field-count checks, over lines found with memchr in decoded blocks.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "funnel/input.h"

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

/// How to read an input.
struct ReadOptions {
  char delimiter = 0;  ///< 0: detect from the header line
  Encoding encoding = Encoding::utf8;
  bool lenient = false;          ///< skip malformed records (reported) instead of stopping
  std::uint64_t skip_lines = 0;  ///< physical lines before the header (report titles)
  /// Read a quoted field that spans lines which each look like a row as one value, as
  /// RFC 4180 says, instead of taking it for a stray quote (an error; lenient: the lines are
  /// read as rows).
  bool trust_quotes = false;
};

/// A record that was not used: where it starts, why, and its text.
struct Reject {
  std::uint64_t line = 0;
  std::string reason;
  std::string raw;
  std::string family;  ///< the reason's kind, for counts: "wrong field count", "bad quoting",
                       ///< "invalid UTF-8", "NUL byte", "repeated header"
};

/// Whole lines of an input, cut off to be parsed on another thread. The text is not
/// copied: it stays in the block it was decoded into, which the piece keeps alive.
struct Piece {
  std::string_view text;              ///< ends with a line end
  std::shared_ptr<const void> owner;  ///< holds the text's bytes
  std::uint64_t first_line = 0;       ///< physical line of its first line (1-based)
  /// A piece that owns its text.
  static Piece of(std::string text, std::uint64_t first_line);
};

/// Reads records from one input. The first record is the header.
class RecordReader {
 public:
  /// `path` "-" reads `stdin_stream` (or fd 0 when null).
  RecordReader(const std::string& path, std::istream* stdin_stream, const ReadOptions& options);
  RecordReader(const std::string& path, std::istream* stdin_stream, char delimiter)
      : RecordReader(path, stdin_stream, ReadOptions{delimiter}) {}
  /// Reads the records of a piece of `file` (same name, dialect, header, strict checks and
  /// byte checks). Unless `final_piece`, a record whose quote is still open at the end of
  /// the piece is not an error: next() stops before it and ran_off_end() says so.
  RecordReader(const RecordReader& file, Piece piece, bool final_piece);
  ~RecordReader();
  RecordReader(const RecordReader&) = delete;
  RecordReader& operator=(const RecordReader&) = delete;

  /// The display name used in messages ("<stdin>" for "-").
  const std::string& name() const;
  const Dialect& dialect() const;
  /// The header fields; empty when the input has no lines at all.
  const std::vector<std::string>& header() const;
  /// Next data record; false at end of input. A malformed record throws funnel::Error, or
  /// in lenient mode goes to the reject sink. Blank lines are skipped and counted; a copy of
  /// the header inside the data (two exports concatenated) goes to the reject sink as
  /// "repeated header"; one empty field after the last column (a trailing delimiter) is
  /// dropped and counted when the first row that fits the header ends with a delimiter too
  /// (elsewhere it is a wrong field count). A quoted field over several lines that each
  /// read as a row of the header's width is a stray quote (see ReadOptions::trust_quotes).
  bool next(Record& record);
  /// Where skipped records go (repeated headers; malformed records in lenient mode).
  void on_reject(std::function<void(const Reject&)> sink);
  /// Whether the rest of the input can be cut into pieces (strict mode, read from a stream,
  /// nothing read ahead and given back).
  bool can_take_pieces() const;
  /// Cuts the next piece off the input (see LineSource::take_piece); false at the end.
  /// Records already read with next() come before it. Not thread-safe.
  bool take_piece(Piece& piece);
  /// A piece reader: the piece ended inside a quoted field of its last record.
  bool ran_off_end() const;
  /// That record's text up to the end of the piece, from its first physical line.
  Piece unfinished() const;
  /// A piece reader's text, handed back once it has been read.
  Piece release_piece();
  /// Bytes decoded at a time (and so the size of a piece); tests shrink it.
  static void set_block_bytes(std::size_t bytes);
  std::uint64_t blank_lines() const;
  std::uint64_t trailing_delimiters() const;
  /// The lines of the first kNamedTrailing of them.
  const std::vector<std::uint64_t>& first_trailing_lines() const;
  static constexpr std::size_t kNamedTrailing = 3;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace funnel
