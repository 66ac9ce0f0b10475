#include "funnel/input.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

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

/// Hands out the bytes peeked to look for the gzip magic, then the rest of the stream.
class ReplayStream : public ByteStream {
 public:
  ReplayStream(std::unique_ptr<ByteStream> inner, std::string head, bool inner_ended)
      : inner_(std::move(inner)), head_(std::move(head)), ended_(inner_ended) {}
  std::size_t read(char* buffer, std::size_t size) override {
    std::size_t n = 0;
    if (pos_ < head_.size()) {
      n = std::min(size, head_.size() - pos_);
      std::memcpy(buffer, head_.data() + pos_, n);
      pos_ += n;
    }
    // Never read past an end already seen: a terminal on stdin would wait for a second ^D.
    while (n < size && !ended_) {
      std::size_t got = inner_->read(buffer + n, size - n);
      if (got == 0) ended_ = true;
      n += got;
    }
    return n;
  }

 private:
  std::unique_ptr<ByteStream> inner_;
  std::string head_;
  std::size_t pos_ = 0;
  bool ended_;
};

/// Inflates gzip data (RFC 1952) read from another stream in large blocks, straight into
/// the caller's buffer. Members are read one after another until the input ends.
class GzipStream : public ByteStream {
 public:
  static constexpr std::size_t kInputBytes = std::size_t{256} << 10;

  GzipStream(std::unique_ptr<ByteStream> raw, std::string name, const std::string& head)
      : raw_(std::move(raw)), name_(std::move(name)), in_(std::make_unique<unsigned char[]>(kInputBytes)) {
    std::memcpy(in_.get(), head.data(), head.size());
    zs_.next_in = in_.get();
    zs_.avail_in = static_cast<uInt>(head.size());
    if (inflateInit2(&zs_, 15 + 16) != Z_OK) {  // 16: gzip wrapper only, the magic is known
      throw Error(ExitCode::io, fmt::format("{}: cannot start gzip decompression: {}", name_,
                                            zs_.msg != nullptr ? zs_.msg : "out of memory"));
    }
  }
  ~GzipStream() override { inflateEnd(&zs_); }
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  std::size_t read(char* buffer, std::size_t size) override {
    std::size_t total = 0;
    while (total < size && !done_) {
      if (zs_.avail_in == 0 && !refill()) {
        throw Error(ExitCode::io, fmt::format("{}: gzip data is truncated", name_));
      }
      std::size_t room = std::min<std::size_t>(size - total, UINT_MAX);
      zs_.next_out = reinterpret_cast<Bytef*>(buffer + total);
      zs_.avail_out = static_cast<uInt>(room);
      int rc = inflate(&zs_, Z_NO_FLUSH);
      total += room - zs_.avail_out;
      switch (rc) {
        case Z_OK: break;
        case Z_STREAM_END: next_member(); break;
        case Z_BUF_ERROR:  // no progress: only right when the input ran out
          if (zs_.avail_in != 0 && zs_.avail_out != 0) corrupt();
          break;
        case Z_MEM_ERROR: throw Error(ExitCode::io, fmt::format("{}: gzip decompression: out of memory", name_));
        case Z_NEED_DICT: corrupt("a preset dictionary is required");
        default:  // Z_DATA_ERROR: bad header, bad block, wrong CRC or length
          corrupt();
      }
    }
    return total;
  }

 private:
  [[noreturn]] void corrupt(const char* what = nullptr) const {
    if (what == nullptr) what = zs_.msg != nullptr ? zs_.msg : "unknown zlib error";
    throw Error(ExitCode::io, fmt::format("{}: gzip data is corrupt: {}", name_, what));
  }

  /// Keeps the unread input and reads more after it; false when nothing more came.
  bool refill() {
    if (raw_ended_) return false;
    std::size_t kept = zs_.avail_in;
    if (kept > 0 && zs_.next_in != in_.get()) std::memmove(in_.get(), zs_.next_in, kept);
    std::size_t got = raw_->read(reinterpret_cast<char*>(in_.get()) + kept, kInputBytes - kept);
    if (got == 0) raw_ended_ = true;
    zs_.next_in = in_.get();
    zs_.avail_in = static_cast<uInt>(kept + got);
    return got > 0;
  }

  /// After a member's trailer: the end of input, or the magic of the next member.
  void next_member() {
    while (zs_.avail_in < 2 && refill()) {}
    if (zs_.avail_in == 0) {
      done_ = true;
      return;
    }
    if (zs_.avail_in < 2 || zs_.next_in[0] != 0x1f || zs_.next_in[1] != 0x8b) {
      corrupt("trailing data after the last gzip member");
    }
    if (inflateReset(&zs_) != Z_OK) corrupt();
  }

  std::unique_ptr<ByteStream> raw_;
  std::string name_;
  std::unique_ptr<unsigned char[]> in_;
  z_stream zs_{};
  bool raw_ended_ = false;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<ByteStream> gunzip_if_magic(std::unique_ptr<ByteStream> raw, std::string name) {
  std::string head(2, '\0');
  std::size_t got = 0;
  while (got < head.size()) {
    std::size_t n = raw->read(head.data() + got, head.size() - got);
    if (n == 0) break;
    got += n;
  }
  head.resize(got);
  if (got == 2 && head[0] == '\x1f' && head[1] == '\x8b') {
    return std::make_unique<GzipStream>(std::move(raw), std::move(name), head);
  }
  return std::make_unique<ReplayStream>(std::move(raw), std::move(head), got < 2);
}

std::unique_ptr<ByteStream> open_byte_stream(const std::string& path, std::istream* stdin_stream) {
  if (path == "-") {
    if (stdin_stream != nullptr) return gunzip_if_magic(std::make_unique<IstreamStream>(*stdin_stream), "<stdin>");
#ifdef F_SETPIPE_SZ
    // A pipe of 1 MiB, not 64 KiB: the writer runs ahead instead of waking funnel (and
    // being woken) every 64 KiB. Best effort: above /proc/sys/fs/pipe-max-size it fails.
    struct stat st;
    if (::fstat(0, &st) == 0 && S_ISFIFO(st.st_mode)) ::fcntl(0, F_SETPIPE_SZ, 1 << 20);
#endif
    return gunzip_if_magic(std::make_unique<FdStream>(0, "<stdin>", false), "<stdin>");
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw Error(ExitCode::io, fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  return gunzip_if_magic(std::make_unique<FdStream>(fd, path, true), path);
}

void ByteValidator::record(std::uint64_t column, std::string what) {
  if (lenient_) {
    std::lock_guard lock(faults_mutex_);
    if (faults_.empty() || faults_.back().line != line_) {
      faults_.push_back(ByteFault{line_, column, std::move(what)});
      fault_count_.fetch_add(1, std::memory_order_release);
    }
    return;
  }
  fault_ = ByteFault{line_, column, std::move(what)};
  failed_.store(true, std::memory_order_release);
}

std::optional<ByteFault> ByteValidator::take_fault(std::uint64_t first_line, std::uint64_t last_line) {
  if (fault_count_.load(std::memory_order_acquire) == 0) return std::nullopt;
  std::lock_guard lock(faults_mutex_);
  std::optional<ByteFault> found;
  while (!faults_.empty() && faults_.front().line <= last_line) {
    if (!found && faults_.front().line >= first_line) found = faults_.front();
    faults_.pop_front();
    fault_count_.fetch_sub(1, std::memory_order_release);
  }
  return found;
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
  bool lenient = lenient_;
  while (i < size) {
    if (pending_ == 0) {
#ifdef __SSE2__
      // ASCII fast path, sixteen bytes at a time: no high bit and no zero byte; line ends
      // are counted without leaving it.
      while (i + 16 <= size) {
        __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        if ((_mm_movemask_epi8(v) | _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128()))) != 0) break;
        auto newlines = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))));
        if (newlines != 0) {
          // Mostly one line end in 16 bytes; __builtin_popcount is a libgcc call without -mpopcnt.
          line_ += (newlines & (newlines - 1)) == 0 ? 1u : static_cast<unsigned>(__builtin_popcount(newlines));
          column_ = 0;
          line_start = i + static_cast<std::size_t>(31 - __builtin_clz(newlines)) + 1;
        }
        i += 16;
      }
#endif
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
        std::size_t good = fail(lead_column_, fmt::format("invalid UTF-8 byte 0x{:02x}", lead_byte_));
        if (!lenient) return good;
        pending_ = 0;  // look at this byte again as the start of something new
        lo_ = 0x80;
        hi_ = 0xBF;
        continue;
      }
      lo_ = 0x80;
      hi_ = 0xBF;
      --pending_;
    } else if (c == '\n') {
      ++line_;
      column_ = 0;
      line_start = i + 1;
    } else if (c == 0) {
      std::size_t good = fail(column_at(), "NUL byte");
      if (!lenient) return good;
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
        std::size_t good = fail(column_at(), fmt::format("invalid UTF-8 byte 0x{:02x}", c));
        if (!lenient) return good;
      }
    }
    ++i;
  }
  column_ += size - line_start;
  return size;
}

void ByteValidator::finish() {
  if (!failed() && pending_ > 0) {
    pending_ = 0;
    record(lead_column_, fmt::format("invalid UTF-8 byte 0x{:02x} (sequence cut off by the end of input)", lead_byte_));
  }
}

}  // namespace funnel

namespace funnel {
namespace {

std::atomic<std::size_t> chunk_size{std::size_t{1} << 20};

// Windows-1252 0x80..0x9F; the five undefined bytes map to the C1 controls, as Python does.
constexpr char16_t kCp1252[32] = {0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                  0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
                                  0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                  0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

}  // namespace

void TextDecoder::set_chunk_size(std::size_t bytes) { chunk_size.store(bytes < 1 ? 1 : bytes); }

TextDecoder::TextDecoder(std::unique_ptr<ByteStream> stream, Encoding encoding, ByteValidator& validator)
    : stream_(std::move(stream)), encoding_(encoding), validator_(validator) {
  switch (encoding_) {
    case Encoding::utf8: mode_ = Mode::utf8; break;
    case Encoding::latin1: mode_ = Mode::latin1; break;
    case Encoding::cp1252: mode_ = Mode::cp1252; break;
  }
}

std::size_t TextDecoder::read(char* out, std::size_t size) {
  std::size_t n = 0;
  while (n < size) {
    if (pending_pos_ < pending_.size()) {
      std::size_t take = std::min(size - n, pending_.size() - pending_pos_);
      std::memcpy(out + n, pending_.data() + pending_pos_, take);
      n += take;
      pending_pos_ += take;
      continue;
    }
    if (eof_) break;
    // UTF-8 after the first chunk (which settles the BOM): decoded where it is read.
    if (started_ && mode_ == Mode::utf8 && size - n >= 2) {
      n += decode_in_place(out + n, size - n);
      continue;
    }
    if (!decode_chunk()) break;
  }
  return n;
}

std::size_t TextDecoder::decode_in_place(char* out, std::size_t room) {
  std::size_t len = 0;
  if (carry_cr_) {
    out[len++] = '\r';
    carry_cr_ = false;
  }
  const std::size_t got = stream_->read(out + len, std::min(chunk_size.load(), room - len));
  const bool end = got == 0;
  len += got;
  len = fix_line_ends(out, len, end);
  // The end is a read that got nothing, so at most a held-back CR is here: there is room.
  if (needs_last_line_end(out, len, end)) out[len++] = '\n';
  return finish_text(out, len, end);
}

bool TextDecoder::needs_last_line_end(const char* text, std::size_t len, bool end) const {
  return end && last_byte_ != '\n' && (len == 0 || text[len - 1] != '\n') && (emitted_ || len > 0);
}

std::size_t TextDecoder::fix_line_ends(char* text, std::size_t len, bool end) {
  // Lone CRs (old Mac line ends) become LFs; CRLF stays for the line layer to strip.
  for (std::size_t i = 0; i < len; ++i) {
    const void* cr = std::memchr(text + i, '\r', len - i);
    if (cr == nullptr) break;
    i = static_cast<std::size_t>(static_cast<const char*>(cr) - text);
    if (i + 1 < len) {
      if (text[i + 1] != '\n') text[i] = '\n';
    } else if (!end) {
      carry_cr_ = true;  // decide when the next chunk shows what follows
      return len - 1;
    } else {
      text[i] = '\n';
    }
  }
  return len;
}

std::size_t TextDecoder::finish_text(const char* text, std::size_t len, bool end) {
  std::size_t good = validator_.scan(text, len);
  if (good < len) {
    len = good;  // strict: stop at the line holding the fault
    eof_ = true;
  }
  if (end) {
    validator_.finish();
    eof_ = true;
  }
  if (len > 0) {
    last_byte_ = text[len - 1];
    emitted_ = true;
  }
  return len;
}

bool TextDecoder::decode_chunk() {
  raw_.assign(carry_);
  std::size_t kept = carry_.size();
  carry_.clear();
  // Chunks grow from 64 KiB to the full size, so a small input never zeroes a whole one.
  const std::size_t chunk = std::min(chunk_size.load(), ramp_);
  ramp_ = std::min(ramp_ * 2, std::size_t{1} << 30);
  raw_.resize(kept + chunk);
  std::size_t got = stream_->read(raw_.data() + kept, raw_.size() - kept);
  raw_.resize(kept + got);
  pending_.clear();
  pending_pos_ = 0;
  bool end = got == 0;
  std::size_t at = 0;
  if (!started_ && !raw_.empty()) {
    if (raw_.size() >= 2 && raw_[0] == '\xFF' && raw_[1] == '\xFE') {
      mode_ = Mode::utf16le;
      at = 2;
    } else if (raw_.size() >= 2 && raw_[0] == '\xFE' && raw_[1] == '\xFF') {
      mode_ = Mode::utf16be;
      at = 2;
    } else if (raw_.size() >= 3 && raw_.compare(0, 3, "\xEF\xBB\xBF") == 0) {
      at = 3;
    }
    started_ = true;
  }
  if (carry_cr_) {
    pending_ += '\r';
    carry_cr_ = false;
  }
  switch (mode_) {
    case Mode::utf8:
      if (pending_.empty() && at == 0) {
        pending_.swap(raw_);  // the common case: no copy
      } else {
        pending_.append(raw_, at, std::string::npos);
      }
      break;
    case Mode::latin1:
    case Mode::cp1252:
      for (std::size_t i = at; i < raw_.size(); ++i) {
        auto b = static_cast<unsigned char>(raw_[i]);
        char32_t c = b;
        if (mode_ == Mode::cp1252 && b >= 0x80 && b < 0xA0) c = kCp1252[b - 0x80];
        append_utf8(pending_, c);
      }
      break;
    case Mode::utf16le:
    case Mode::utf16be: {
      std::size_t i = at;
      auto unit = [&](std::size_t k) -> char32_t {
        auto a = static_cast<unsigned char>(raw_[k]), b = static_cast<unsigned char>(raw_[k + 1]);
        return mode_ == Mode::utf16le ? static_cast<char32_t>(a | (b << 8)) : static_cast<char32_t>((a << 8) | b);
      };
      for (; i + 2 <= raw_.size(); i += 2) {
        char32_t c = unit(i);
        if (c >= 0xD800 && c < 0xDC00) {
          if (i + 4 > raw_.size()) break;  // the low half is in the next chunk
          char32_t low = unit(i + 2);
          if (low >= 0xDC00 && low < 0xE000) {
            c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
            i += 2;
          } else {
            c = 0xFFFD;
          }
        } else if (c >= 0xDC00 && c < 0xE000) {
          c = 0xFFFD;
        }
        append_utf8(pending_, c);
      }
      carry_.assign(raw_, i, std::string::npos);
      if (end && !carry_.empty()) {
        pending_ += '\xFF';  // an odd byte at the end: let the validator report it
        carry_.clear();
      }
      break;
    }
  }
  pending_.resize(fix_line_ends(pending_.data(), pending_.size(), end));
  if (needs_last_line_end(pending_.data(), pending_.size(), end)) {
    // The last line has no line end: add one. fast-cpp-csv-parser 2016 (Debian 12) reads
    // the byte past the data when the input does not end in '\n' and can hang if that
    // stale byte is one (upstream issue #72).
    pending_ += '\n';
  }
  pending_.resize(finish_text(pending_.data(), pending_.size(), end));
  return !pending_.empty() || !eof_;
}

}  // namespace funnel
