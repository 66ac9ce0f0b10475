// Bytes in: where input comes from (a file, stdin, an in-memory stream) and the byte-level
// checks every CSV record relies on (no NUL bytes, valid UTF-8), done as the bytes arrive.
#pragma once

#include <atomic>
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
std::unique_ptr<ByteStream> open_byte_stream(const std::string& path, std::istream* stdin_stream);

/// The first fault found in the bytes, with its physical position.
struct ByteFault {
  std::uint64_t line = 0;    ///< 1-based physical line
  std::uint64_t column = 0;  ///< 1-based byte within the line
  std::string what;          ///< e.g. "NUL byte", "invalid UTF-8 byte 0xe9"
};

/// Scans bytes for NUL and invalid UTF-8 across block boundaries, counting lines so a
/// fault is reported where it is. Stops at the first fault.
class ByteValidator {
 public:
  /// Returns how many leading bytes of the block are safe to hand on: all of them, or
  /// up to the start of the line holding the first fault.
  std::size_t scan(const char* data, std::size_t size);
  /// Call at end of input: a multi-byte sequence cut off by the end is a fault.
  void finish();
  /// True once a fault is recorded; safe to call from another thread.
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  const ByteFault& fault() const { return fault_; }

 private:
  void record(std::uint64_t column, std::string what);

  std::uint64_t line_ = 1;
  std::uint64_t column_ = 0;     ///< bytes seen on the current line
  int pending_ = 0;              ///< continuation bytes still expected
  unsigned char lo_ = 0x80, hi_ = 0xBF;  ///< range of the next continuation byte
  unsigned char lead_byte_ = 0;          ///< first byte of the sequence being checked
  std::uint64_t lead_column_ = 0;
  ByteFault fault_;
  std::atomic<bool> failed_{false};
};

}  // namespace funnel
