#include "funnel/input.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "funnel/diagnostics.h"

namespace funnel {
namespace {

class FdStream : public ByteStream {
 public:
  FdStream(int fd, std::string name, bool owned) : fd_(fd), name_(std::move(name)), owned_(owned) {}
  ~FdStream() override {
    if (owned_) ::close(fd_);
  }
  std::size_t read(char* buffer, std::size_t size) override {
    std::size_t total = 0;
    while (total < size) {  // fill the block: pipes hand out small pieces
      ssize_t n = ::read(fd_, buffer + total, size - total);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw Error(ExitCode::io, fmt::format("{}: read failed: {}", name_, std::strerror(errno)));
      }
      if (n == 0) break;
      total += static_cast<std::size_t>(n);
    }
    return total;
  }

 private:
  int fd_;
  std::string name_;
  bool owned_;
};

class IstreamStream : public ByteStream {
 public:
  explicit IstreamStream(std::istream& in) : in_(in) {}
  std::size_t read(char* buffer, std::size_t size) override {
    in_.read(buffer, static_cast<std::streamsize>(size));
    return static_cast<std::size_t>(in_.gcount());
  }

 private:
  std::istream& in_;
};

}  // namespace

std::unique_ptr<ByteStream> open_byte_stream(const std::string& path, std::istream* stdin_stream) {
  if (path == "-") {
    if (stdin_stream != nullptr) return std::make_unique<IstreamStream>(*stdin_stream);
    return std::make_unique<FdStream>(0, "<stdin>", false);
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw Error(ExitCode::io, fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  return std::make_unique<FdStream>(fd, path, true);
}

void ByteValidator::record(std::uint64_t column, std::string what) {
  fault_ = ByteFault{line_, column, std::move(what)};
  failed_.store(true, std::memory_order_release);
}

std::size_t ByteValidator::scan(const char* data, std::size_t size) {
  if (failed()) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  std::size_t line_start = 0;  // offset in this block of the current line's first byte
  std::size_t i = 0;
  auto column_at = [&] { return column_ + (i - line_start) + 1; };
  auto fail = [&](std::uint64_t column, std::string what) {
    record(column, std::move(what));
    return line_start;
  };
  while (i < size) {
    if (pending_ == 0) {
      // ASCII fast path, eight bytes at a time: no high bit, no zero byte.
      while (i + 8 <= size) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
        std::uint64_t nl = w ^ (ones * '\n');
        bool has_zero = ((w - ones) & ~w & highs) != 0;
        bool has_newline = ((nl - ones) & ~nl & highs) != 0;
        if ((w & highs) != 0 || has_zero || has_newline) break;
        i += 8;
      }
      if (i >= size) break;
    }
    unsigned char c = p[i];
    if (pending_ > 0) {
      if (c < lo_ || c > hi_) {
        // Report the byte that started the sequence: that is the one not in UTF-8.
        return fail(lead_column_, fmt::format("invalid UTF-8 byte 0x{:02x}", lead_byte_));
      }
      lo_ = 0x80;
      hi_ = 0xBF;
      --pending_;
    } else if (c == '\n') {
      ++line_;
      column_ = 0;
      line_start = i + 1;
    } else if (c == 0) {
      return fail(column_at(), "NUL byte");
    } else if (c >= 0x80) {
      lead_byte_ = c;
      lead_column_ = column_at();
      if (c >= 0xC2 && c <= 0xDF) {
        pending_ = 1;
      } else if (c >= 0xE0 && c <= 0xEF) {
        pending_ = 2;
        if (c == 0xE0) lo_ = 0xA0;
        if (c == 0xED) hi_ = 0x9F;  // no UTF-16 surrogates
      } else if (c >= 0xF0 && c <= 0xF4) {
        pending_ = 3;
        if (c == 0xF0) lo_ = 0x90;
        if (c == 0xF4) hi_ = 0x8F;
      } else {
        return fail(column_at(), fmt::format("invalid UTF-8 byte 0x{:02x}", c));
      }
    }
    ++i;
  }
  column_ += size - line_start;
  return size;
}

void ByteValidator::finish() {
  if (!failed() && pending_ > 0) {
    record(lead_column_, fmt::format("invalid UTF-8 byte 0x{:02x} (sequence cut off by the end of input)", lead_byte_));
  }
}

}  // namespace funnel
