// Bytes in: where input comes from (a file, stdin, an in-memory stream) and the byte-level
// checks every CSV record relies on (no NUL bytes, valid UTF-8), done as the bytes arrive.
#pragma once

#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <string>

namespace funnel {

/// A place bytes are read from. Reads may happen on a background thread.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  /// Reads up to `size` bytes; returns 0 at end of input. Throws funnel::Error on I/O failure.
  virtual std::size_t read(char* buffer, std::size_t size) = 0;
};

/// Opens a path, or stdin for "-". Throws funnel::Error(ExitCode::io) naming the file.
/// gzip input (files or stdin) is recognized by its magic bytes 1f 8b, whatever the name,
/// and decompressed transparently (see gunzip_if_magic).
std::unique_ptr<ByteStream> open_byte_stream(const std::string& path, std::istream* stdin_stream);

/// Peeks the first two bytes of `raw` (kept and replayed: stdin cannot seek). If they are
/// the gzip magic 1f 8b, returns a stream of the inflated bytes; every member of a
/// multi-member file (`cat a.gz b.gz`) is read in turn. Otherwise returns the bytes
/// unchanged: the magic decides, not the name. Errors are funnel::Error(ExitCode::io):
/// "NAME: gzip data is truncated", "NAME: gzip data is corrupt: <zlib message>".
std::unique_ptr<ByteStream> gunzip_if_magic(std::unique_ptr<ByteStream> raw, std::string name);

/// The first fault found in the bytes, with its physical position.
struct ByteFault {
  std::uint64_t line = 0;    ///< 1-based physical line
  std::uint64_t column = 0;  ///< 1-based byte within the line
  std::string what;          ///< e.g. "NUL byte", "invalid UTF-8 byte 0xe9"
};

/// Scans bytes for NUL and invalid UTF-8 across block boundaries, counting lines so a
/// fault is reported where it is. Strict: stops at the first fault. Lenient: records every
/// faulty line and goes on, so the records on those lines can be rejected one by one.
class ByteValidator {
 public:
  explicit ByteValidator(bool lenient = false) : lenient_(lenient) {}
  /// Returns how many leading bytes of the block are safe to hand on: all of them, or
  /// up to the start of the line holding the first fault.
  std::size_t scan(const char* data, std::size_t size);
  /// Call at end of input: a multi-byte sequence cut off by the end is a fault.
  void finish();
  /// True once a fault is recorded; safe to call from another thread.
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  const ByteFault& fault() const { return fault_; }
  /// Lenient mode: the first fault on a line at or before `last_line` not yet taken, removing
  /// every fault up to that line; nullopt when there is none. Safe to call from another thread.
  std::optional<ByteFault> take_fault(std::uint64_t first_line, std::uint64_t last_line);

 private:
  void record(std::uint64_t column, std::string what);

  bool lenient_;
  std::mutex faults_mutex_;
  std::deque<ByteFault> faults_;  ///< lenient mode: found, not yet taken
  std::atomic<std::size_t> fault_count_{0};
  std::uint64_t line_ = 1;
  std::uint64_t column_ = 0;             ///< bytes seen on the current line
  int pending_ = 0;                      ///< continuation bytes still expected
  unsigned char lo_ = 0x80, hi_ = 0xBF;  ///< range of the next continuation byte
  unsigned char lead_byte_ = 0;          ///< first byte of the sequence being checked
  std::uint64_t lead_column_ = 0;
  ByteFault fault_;
  std::atomic<bool> failed_{false};
};

/// Text encodings funnel can read; UTF-16 is recognized by its byte-order mark.
enum class Encoding { utf8, latin1, cp1252 };

/// Turns raw bytes into UTF-8 text with LF or CRLF line ends: transcodes Latin-1,
/// Windows-1252 and UTF-16 (by BOM), drops a UTF-8 BOM, turns lone CRs (old Mac Excel) into
/// LFs, and validates the result. read() fills the whole buffer unless the input ends,
/// as the line layer expects.
class TextDecoder {
 public:
  TextDecoder(std::unique_ptr<ByteStream> stream, Encoding encoding, ByteValidator& validator);
  std::size_t read(char* out, std::size_t size);
  /// How many raw bytes to decode at a time; tests shrink it to probe chunk boundaries.
  static void set_chunk_size(std::size_t bytes);

 private:
  bool decode_chunk();
  /// UTF-8 read straight into `out` (room >= 2) and checked there: no copy.
  std::size_t decode_in_place(char* out, std::size_t room);
  /// Turns lone CRs into LFs; a CR at the end of a chunk that is not the last is held
  /// back (carry_cr_). Returns the length kept.
  std::size_t fix_line_ends(char* text, std::size_t len, bool end);
  /// The input ends and its last line has no line end (one is added).
  bool needs_last_line_end(const char* text, std::size_t len, bool end) const;
  /// Validates decoded text (a strict fault cuts it short) and notes the end of input.
  std::size_t finish_text(const char* text, std::size_t len, bool end);

  std::unique_ptr<ByteStream> stream_;
  Encoding encoding_;
  ByteValidator& validator_;
  enum class Mode { utf8, latin1, cp1252, utf16le, utf16be } mode_;
  bool started_ = false, eof_ = false;
  bool carry_cr_ = false;  ///< a CR ended the previous chunk
  bool emitted_ = false;   ///< any text handed out yet
  char last_byte_ = '\n';  ///< the last byte handed out
  std::string carry_;      ///< raw bytes of a sequence cut by the chunk end
  std::string raw_, pending_;
  std::size_t pending_pos_ = 0;
  std::size_t ramp_ = std::size_t{64} << 10;  ///< the next chunk's size, until it reaches the set one
};

}  // namespace funnel
