#include "funnel/csv.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <fmt/format.h>

#include "funnel/diagnostics.h"
#include "funnel/input.h"
#include "funnel/stage_model.h"

namespace funnel {
namespace {

constexpr std::size_t kMaxRecordBytes = std::size_t{64} << 20;

constexpr std::size_t kMaxLineBytes = std::size_t{16} << 20;
std::atomic<std::size_t> block_bytes{std::size_t{1} << 20};

/// Lines of decoded, validated text. A background thread decodes the next block while
/// this one is being split, so decoding and byte checks cost the parsing thread nothing;
/// lines are found with memchr. (This replaced fast-cpp-csv-parser's io::LineReader,
/// whose byte-at-a-time loop and 16 MiB buffer copies made it five times slower than
/// memchr on the same file: bench/RESULTS.md, "The line layer".)
class Lines {
 public:
  struct LineTooLong {};
  /// The length of the line from `begin` to its line end at `end` (LF, or CRLF: the CR is
  /// not part of the line). Throws LineTooLong past the limit.
  static std::size_t length_to(const char* begin, const char* end) {
    auto length = static_cast<std::size_t>(end - begin);
    if (length + 1 > kMaxLineBytes) throw LineTooLong{};
    return length > 0 && begin[length - 1] == '\r' ? length - 1 : length;
  }
  virtual ~Lines() = default;
  /// The next line without its line end (LF or CRLF; `length` bytes, not NUL-terminated);
  /// null at the end. Throws funnel::Error from the decoder, or LineTooLong.
  virtual const char* next_line(std::size_t& length) = 0;
  /// Physical number of the last line handed out (1-based).
  virtual std::uint64_t line() const = 0;
};

/// Counts line ends, sixteen bytes at a time where SSE2 is there.
std::uint64_t count_newlines(const char* p, std::size_t n) {
  std::uint64_t count = 0;
  std::size_t i = 0;
#ifdef __SSE2__
  const __m128i newline = _mm_set1_epi8('\n');
  while (i + 16 <= n) {
    // Up to 255 blocks per byte lane before the lane counters could overflow.
    __m128i lanes = _mm_setzero_si128();
    std::size_t end = std::min(n - (n - i) % 16, i + 255 * 16);
    for (; i < end; i += 16) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      lanes = _mm_sub_epi8(lanes, _mm_cmpeq_epi8(v, newline));
    }
    __m128i sums = _mm_sad_epu8(lanes, _mm_setzero_si128());
    count += static_cast<std::uint64_t>(_mm_cvtsi128_si32(sums)) +
             static_cast<std::uint64_t>(_mm_cvtsi128_si32(_mm_srli_si128(sums, 8)));
  }
#endif
  for (; i < n; ++i) count += p[i] == '\n';
  return count;
}

/// Adds the fields that end at the delimiters marked in `hits` (bit k: byte at + k of
/// `line`); `field` is where the current field starts, and moves past each delimiter.
inline void add_fields(unsigned hits, std::size_t at, const char* line, std::size_t& field,
                       std::vector<std::string_view>& fields) {
  for (; hits != 0; hits &= hits - 1) {
    const std::size_t end = at + static_cast<std::size_t>(__builtin_ctz(hits));
    fields.emplace_back(line + field, end - field);
    field = end + 1;
  }
}

/// A byte buffer whose pages are touched only when written: a small input costs only the
/// pages it fills (a std::string would zero the whole block first).
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(std::size_t size) : data_(new char[size]), size_(size) {}
  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  char& operator[](std::size_t i) { return data_[i]; }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
};

/// Blocks of decoded text, shared by the line source and the pieces cut from them. A block
/// goes back to the pool when its last user lets go of it, so a file of any size is read
/// into a handful of buffers and a piece is never copied.
class BlockPool : public std::enable_shared_from_this<BlockPool> {
 public:
  explicit BlockPool(std::size_t bytes) : bytes_(bytes) {}
  std::shared_ptr<Buffer> get() {
    std::unique_ptr<Buffer> block;
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        block = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (!block) block = std::make_unique<Buffer>(bytes_);
    return std::shared_ptr<Buffer>(block.release(), [pool = shared_from_this()](Buffer* b) { pool->put(b); });
  }

 private:
  void put(Buffer* b) {
    std::unique_ptr<Buffer> block(b);
    std::lock_guard lock(mutex_);
    if (free_.size() < kKept) free_.push_back(std::move(block));
  }
  static constexpr std::size_t kKept = 8;
  const std::size_t bytes_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Buffer>> free_;
};

class LineSource : public Lines {
 public:
  LineSource(std::unique_ptr<ByteStream> stream, Encoding encoding, ByteValidator& validator)
      : decoder_(std::move(stream), encoding, validator) {
    // The first block is decoded here. Only an input that fills it gets the thread that
    // decodes ahead: a small export (and every fuzz run) pays for no thread.
    next_ = pool_->get();
    try {
      next_size_ = decoder_.read(next_->data() + kHeadroom, block_);
    } catch (...) {
      error_ = std::current_exception();
    }
    ready_ = true;
    if (next_size_ == block_ && !error_) worker_ = std::thread([this] { decode_ahead(); });
  }
  ~LineSource() override {
    if (!worker_.joinable()) return;
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    worker_.join();
  }
  LineSource(const LineSource&) = delete;
  LineSource& operator=(const LineSource&) = delete;

  const char* next_line(std::size_t& length) override {
    for (;;) {
      const char* data = text();
      const char* begin = data + begin_;
      std::size_t from = std::max(begin_, scanned_);  // a long line is not scanned twice
      auto* newline = end_ > from ? static_cast<const char*>(std::memchr(data + from, '\n', end_ - from)) : nullptr;
      if (newline != nullptr) {
        length = length_to(begin, newline);
        begin_ = static_cast<std::size_t>(newline - data) + 1;
        ++line_;
        return begin;
      }
      if (end_ - begin_ >= kMaxLineBytes) throw LineTooLong{};
      scanned_ = end_;
      if (!refill()) {
        if (begin_ == end_) return nullptr;
        // The decoder ends every input with a line end; this is only a safety net.
        auto grown = std::make_shared<Buffer>(end_ + 1);
        std::memcpy(grown->data(), text(), end_);
        (*grown)[end_++] = '\n';
        current_ = std::move(grown);
      }
    }
  }
  std::uint64_t line() const override { return line_; }

  /// Cuts the next piece of whole lines (about a block) off the input, for parsing on
  /// another thread: its text and the physical number of its first line. The cut is at a
  /// line end where the quotes seen since the previous cut are balanced, which is a record
  /// end unless a stray quote misleads it; the piece reader notices that (its last record
  /// runs off the end) and the caller re-reads. False at the end of input.
  bool take_piece(Piece& piece) {
    for (;;) {
      if (begin_ < end_ && text()[end_ - 1] == '\n') break;  // whole lines up to the end
      if (end_ - begin_ >= (block_ >> 1) && std::memchr(text() + begin_, '\n', end_ - begin_) != nullptr) break;
      if (!refill()) break;
    }
    if (begin_ == end_) return false;
    const char* data = text();
    std::size_t cut = end_;
    if (data[cut - 1] != '\n') {
      const void* last = memrchr(data + begin_, '\n', end_ - begin_);
      cut = last == nullptr ? end_ : static_cast<std::size_t>(static_cast<const char*>(last) - data) + 1;
    }
    // Move the cut back over line ends inside quotes (an odd count of quotes before it).
    std::size_t quotes = 0;
    for (const char* q = data + begin_;
         (q = static_cast<const char*>(std::memchr(q, '"', static_cast<std::size_t>(data + cut - q)))) != nullptr; ++q)
      ++quotes;
    for (int tries = 0; quotes % 2 != 0 && tries < 64; ++tries) {
      const void* previous = cut - begin_ >= 2 ? memrchr(data + begin_, '\n', cut - 1 - begin_) : nullptr;
      if (previous == nullptr) break;
      std::size_t at = static_cast<std::size_t>(static_cast<const char*>(previous) - data) + 1;
      for (std::size_t i = at; i < cut; ++i) quotes -= data[i] == '"';
      cut = at;
    }
    piece.text = std::string_view(data + begin_, cut - begin_);
    piece.owner = current_;
    piece.first_line = line_ + 1;
    line_ += count_newlines(piece.text.data(), piece.text.size());
    begin_ = cut;
    scanned_ = begin_;
    return true;
  }

 private:
  const std::size_t block_ = block_bytes.load();
  static constexpr std::size_t kHeadroom = std::size_t{64} << 10;  // room for a line cut by a block end
  const char* text() const { return current_ ? current_->data() : nullptr; }

  /// Takes the next decoded block, keeping the unfinished line in front of it.
  bool refill() {
    std::unique_lock lock(mutex_);
    if (!ready_ && !worker_.joinable()) return false;  // the first block was the whole input
    ready_wait_.wait(lock, [this] { return ready_; });
    if (error_) std::rethrow_exception(error_);
    if (next_size_ == 0) return false;
    const std::size_t carry = end_ - begin_;
    // How much of the carried bytes is known to hold no line end, made relative.
    const std::size_t scanned = scanned_ > begin_ ? scanned_ - begin_ : 0;
    if (carry <= kHeadroom) {
      if (carry > 0) std::memcpy(next_->data() + kHeadroom - carry, text() + begin_, carry);
      current_ = std::move(next_);
      begin_ = kHeadroom - carry;
      end_ = kHeadroom + next_size_;
    } else {  // a line longer than the headroom: join by copying
      auto joined = std::make_shared<Buffer>(carry + next_size_);
      std::memcpy(joined->data(), text() + begin_, carry);
      std::memcpy(joined->data() + carry, next_->data() + kHeadroom, next_size_);
      current_ = std::move(joined);
      next_.reset();
      begin_ = 0;
      end_ = carry + next_size_;
    }
    scanned_ = begin_ + scanned;
    ready_ = false;
    lock.unlock();
    wake_.notify_one();
    return true;
  }

  /// The background thread: decodes one block ahead of the parser, from the second block on.
  void decode_ahead() {
    for (;;) {
      std::shared_ptr<Buffer> block = pool_->get();  // not the one handed out last: pieces may hold it
      std::size_t got = 0;
      std::exception_ptr error;
      try {
        got = decoder_.read(block->data() + kHeadroom, block_);
      } catch (...) {
        error = std::current_exception();
      }
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return !ready_ || stop_; });
      if (stop_) return;
      next_ = std::move(block);
      next_size_ = got;
      error_ = error;
      ready_ = true;
      lock.unlock();
      ready_wait_.notify_one();
      if (got == 0 || error) {
        lock.lock();
        wake_.wait(lock, [this] { return stop_; });
        return;
      }
    }
  }

  TextDecoder decoder_;
  std::shared_ptr<BlockPool> pool_ = std::make_shared<BlockPool>(kHeadroom + block_);
  std::shared_ptr<Buffer> current_, next_;
  std::size_t begin_ = 0, end_ = 0, scanned_ = 0, next_size_ = 0;
  std::uint64_t line_ = 0;
  std::mutex mutex_;
  std::condition_variable wake_, ready_wait_;
  bool ready_ = false, stop_ = false;
  std::exception_ptr error_;
  std::thread worker_;  // last: started once everything above exists
};

/// Lines of a piece of text held in memory (a piece cut by LineSource::take_piece).
class TextLines : public Lines {
 public:
  explicit TextLines(Piece piece) : piece_(std::move(piece)), text_(piece_.text), line_(piece_.first_line - 1) {}
  const char* next_line(std::size_t& length) override {
    if (pos_ >= text_.size()) return nullptr;
    const char* begin = text_.data() + pos_;
    last_offset_ = pos_;
    auto* newline = static_cast<const char*>(std::memchr(begin, '\n', text_.size() - pos_));
    const char* end = newline != nullptr ? newline : text_.data() + text_.size();
    pos_ = static_cast<std::size_t>(end - text_.data()) + 1;
    length = length_to(begin, end);
    ++line_;
    return begin;
  }
  std::uint64_t line() const override { return line_; }
  /// The common line, split in the same pass that finds its end: the next line, if it
  /// holds a delimiter and no quote, is split into `fields` (a CR before the LF is not
  /// part of the last field) and handed out as next_line() would. Otherwise nothing is
  /// read and false is returned: next_line() and the general split take that line (a
  /// quoted field, a line that may be blank, one near the end of the text or too long).
  /// Sixteen bytes at a time find delimiters, quotes and the line end together, where
  /// next_line() and split_plain() took a memchr and a second pass.
  /// The delimiter is not a line end or a quote (Impl::one_pass_split).
  bool split_plain_line(char delimiter, std::vector<std::string_view>& fields) {
#ifdef __SSE2__
    const char* const begin = text_.data() + pos_;
    const std::size_t room = pos_ < text_.size() ? text_.size() - pos_ : 0;
    const __m128i delimiters = _mm_set1_epi8(delimiter), quotes = _mm_set1_epi8('"'), newlines = _mm_set1_epi8('\n');
    fields.clear();
    std::size_t field = 0;
    for (std::size_t i = 0; i + 16 <= room && i < kMaxLineBytes; i += 16) {
      __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(begin + i));
      auto ends = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, newlines)));
      auto quoted = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, quotes)));
      auto hits = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, delimiters)));
      const unsigned before_end = ends != 0 ? (ends & (0u - ends)) - 1 : 0xFFFFu;  // bits before the line end
      if ((quoted & before_end) != 0) return false;
      add_fields(hits & before_end, i, begin, field, fields);
      if (ends == 0) continue;
      if (fields.empty()) return false;  // no delimiter: may be a blank line
      std::size_t length = i + static_cast<std::size_t>(__builtin_ctz(ends));
      if (length + 1 > kMaxLineBytes) return false;
      last_offset_ = pos_;
      pos_ += length + 1;
      ++line_;
      if (length > field && begin[length - 1] == '\r') --length;  // CRLF
      fields.emplace_back(begin + field, length - field);
      return true;
    }
#else
    (void)delimiter;
    (void)fields;
#endif
    return false;
  }
  /// The piece, handed back once read.
  Piece release() { return std::move(piece_); }
  /// Where the last line handed out starts in the text.
  std::size_t last_offset() const { return last_offset_; }
  const Piece& piece() const { return piece_; }

 private:
  Piece piece_;
  std::string_view text_;
  std::size_t pos_ = 0, last_offset_ = 0;
  std::uint64_t line_;
};

bool is_blank(const char* line, std::size_t len, char delimiter) {
  for (std::size_t i = 0; i < len; ++i) {
    char c = line[i];
    if (c == delimiter || (c != ' ' && c != '\t')) return false;
  }
  return true;
}

}  // namespace

char detect_delimiter(std::string_view header_line) {
  constexpr char candidates[] = {',', ';', '\t', '|'};
  std::size_t counts[4] = {0, 0, 0, 0};
  bool in_quotes = false;
  for (char c : header_line) {
    if (c == '"') in_quotes = !in_quotes;
    if (in_quotes) continue;
    for (std::size_t k = 0; k < 4; ++k) counts[k] += (c == candidates[k]);
  }
  std::size_t best = 0;
  for (std::size_t k = 1; k < 4; ++k) {
    if (counts[k] > counts[best]) best = k;
  }
  return counts[best] == 0 ? ',' : candidates[best];
}

struct RecordReader::Impl {
  explicit Impl(bool lenient) : own_validator(lenient) {}

  std::string name;
  ReadOptions options;
  ByteValidator own_validator;
  ByteValidator* validator = &own_validator;  // a piece reader checks its file's
  std::unique_ptr<Lines> lines;
  LineSource* stream = nullptr;       // the file's lines, when they come from one
  TextLines* piece_lines = nullptr;   // a piece's lines
  bool one_pass_split = false;        // plain lines of the piece: TextLines::split_plain_line
  bool final_piece = true;            // false: a quote still open at the end is not an error
  bool ran_off = false;               // the last record of a piece went on past its end
  std::size_t unfinished_offset = 0;  // where that record starts in the piece's text
  std::uint64_t unfinished_line = 0;  // and its physical line
  Dialect dialect;
  std::vector<std::string> header;
  std::vector<std::string> header_trimmed;  // to spot a repeated header
  std::uint64_t blank = 0, trailing = 0;
  std::vector<std::uint64_t> first_trailing;      // the first lines of `trailing`
  std::optional<std::string_view> dropped_field;  // of the current record: see next()
  std::function<void(const Reject&)> reject_sink;
  std::string family;  // the kind of the last problem found, for Reject::family

  std::string out;                  // unescaped fields of a quoted record
  std::vector<std::size_t> bounds;  // field end offsets into `out`
  /// Physical lines, consecutive, joined by '\n' in one string: a record's whole text costs
  /// its bytes and nothing a line (a quote left open over millions of short lines stays
  /// within the 64 MiB record limit and a copy of it, not gigabytes of bookkeeping).
  struct JoinedLines {
    std::string text;
    std::uint64_t first = 0, count = 0;
    bool empty() const { return count == 0; }
    void clear() {
      text.clear();
      count = 0;
    }
    void add(std::uint64_t line, std::string_view s) {
      if (count++ == 0) {
        first = line;
      } else {
        text += '\n';
      }
      text.append(s);
    }
    std::uint64_t last() const { return first + count - 1; }
  };
  // Lines read ahead and given back (the first line of the header; the lines after an
  // unclosed quote or a stray quote in lenient mode), each ended by '\n'. Served before the
  // line source's.
  std::string replay;
  std::size_t replay_at = 0;      // the next line to hand out from `replay`
  std::uint64_t replay_line = 0;  // and its physical number
  bool replaying() const { return replay_at < replay.size(); }
  /// Hands `lines` (all but the first of a record's) back to be read again, before the
  /// lines still waiting.
  void give_back(std::uint64_t first, std::string_view text) {
    std::string joined;
    joined.reserve(text.size() + 1 + replay.size() - replay_at);
    joined.append(text);
    joined += '\n';
    joined.append(replay, replay_at);
    replay = std::move(joined);
    replay_at = 0;
    replay_line = first;
  }
  /// Keeps the record's first line and reads the rest again (lenient mode).
  void read_rest_again() {
    std::size_t end = record_lines.text.find('\n');
    if (end == std::string::npos) return;
    give_back(record_lines.first + 1, std::string_view(record_lines.text).substr(end + 1));
    record_lines.text.resize(end);
    record_lines.count = 1;
  }
  std::uint64_t line_number = 0;  // physical line of the last line handed out
  std::size_t line_length = 0;    // length of the last line handed out
  JoinedLines record_lines;       // lenient: raw lines; strict: a multi-line record's
  bool read_again = false;        // split_quoted: the record's lines after the first are rows again (lenient)
  // Whether a row may end with one delimiter more than the header has: decided by the first
  // row whose field count fits (see next()).
  enum class TrailingRows { undecided, no, yes };
  TrailingRows trailing_rows = TrailingRows::undecided;
  // Strict mode keeps no copies: the record's line as handed out (valid until the next
  // line is read), or its lines copied once a quoted line break joins a second one.
  std::string_view strict_line;

  /// The next physical line (not NUL-terminated); its length goes to `line_length`.
  const char* next_line() {
    if (replaying()) {
      const char* line = replay.data() + replay_at;
      const std::size_t end = replay.find('\n', replay_at);
      line_number = replay_line++;
      line_length = end - replay_at;
      replay_at = end + 1;
      return line;
    }
    if (!replay.empty()) {  // the last replayed line is no longer in use: free them all
      replay = std::string();
      replay_at = 0;
    }
    try {
      const char* line = lines->next_line(line_length);
      line_number = lines->line();
      // A NUL byte ends the line as far as the record layer is concerned; only lenient mode
      // hands on lines that hold one (strict mode stops at the fault).
      if (line != nullptr && options.lenient) line_length = strnlen(line, line_length);
      return line;
    } catch (const Lines::LineTooLong&) {
      check_fault();
      throw Error(ExitCode::malformed_csv,
                  fmt::format("{}:{}: line longer than 16 MiB (is this a CSV file?)", name, lines->line() + 1));
    }
  }

  /// A byte fault (NUL, bad UTF-8) explains any CSV error after it: report it first.
  void check_fault() const {
    if (!validator->failed()) return;
    const ByteFault& f = validator->fault();
    throw Error(ExitCode::malformed_csv, fmt::format("{}:{}:{}: {}{}", name, f.line, f.column, f.what, hint(f)));
  }

  static std::string_view hint(const ByteFault& f) {
    if (f.what.rfind("invalid UTF-8", 0) == 0) {
      return " (funnel reads UTF-8; for Excel's Western European CSV use --encoding cp1252, or "
             "re-save as CSV UTF-8)";
    }
    return " (is this a text CSV file?)";
  }

  /// Splits a line without quotes in one pass, sixteen bytes at a time where SSE2 is
  /// there. Returns false, having split nothing, when the line holds a quote.
  bool split_plain(const char* line, std::size_t len, Record& record) const {
    record.fields.clear();
    const char delimiter = dialect.delimiter;
    std::size_t field = 0, i = 0;
#ifdef __SSE2__
    const __m128i delimiters = _mm_set1_epi8(delimiter), quotes = _mm_set1_epi8('"');
    for (; i + 16 <= len; i += 16) {
      __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(line + i));
      if (_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, quotes)) != 0) return false;
      add_fields(static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, delimiters))), i, line, field,
                 record.fields);
    }
#endif
    for (; i < len; ++i) {
      if (line[i] == '"') return false;
      if (line[i] == delimiter) {
        record.fields.emplace_back(line + field, i - field);
        field = i + 1;
      }
    }
    record.fields.emplace_back(line + field, len - field);
    return true;
  }

  /// Appends line[i..) up to the next `stop` (or the line's end) to `out` in one go;
  /// returns the index of the last byte appended.
  std::size_t append_run(const char* line, std::size_t len, std::size_t i, char stop) {
    const void* at = std::memchr(line + i, stop, len - i);
    const std::size_t end = at != nullptr ? static_cast<std::size_t>(static_cast<const char*>(at) - line) : len;
    out.append(line + i, end - i);
    return end - 1;
  }

  /// RFC 4180 with state carried across physical lines for quoted line breaks. Returns
  /// what is wrong with the record, or an empty string.
  std::string split_quoted(const char* line, std::size_t len, Record& record) {
    enum class State { field_start, unquoted, quoted, quote_in_quoted, after_quote };
    State state = State::field_start;
    out.clear();
    bounds.clear();
    std::uint64_t physical = record.line;
    std::size_t quote_column = 0;
    std::uint64_t quote_line = 0;
    const char delimiter = dialect.delimiter;
    for (;;) {
      for (std::size_t i = 0; i < len; ++i) {
        char c = line[i];
        switch (state) {
          case State::field_start:
            if ((c == ' ' || c == '\t') && c != delimiter) {
              break;  // spaces before a field (Excel writes `a, "b"`); values are trimmed anyway
            }
            if (c == '"') {
              state = State::quoted;
              quote_line = physical;
              quote_column = i + 1;
            } else if (c == delimiter) {
              bounds.push_back(out.size());
            } else {
              out += c;
              state = State::unquoted;
            }
            break;
          case State::unquoted:
            if (c == delimiter) {
              bounds.push_back(out.size());
              state = State::field_start;
            } else {
              i = append_run(line, len, i, delimiter);  // the rest of the field
            }
            break;
          case State::quoted:
            if (c == '"') {
              state = State::quote_in_quoted;
            } else {
              i = append_run(line, len, i, '"');  // up to the closing quote
            }
            break;
          case State::quote_in_quoted:
            if (c == '"') {
              out += '"';
              state = State::quoted;
              break;
            }
            [[fallthrough]];
          case State::after_quote:
            if (c == delimiter) {
              bounds.push_back(out.size());
              state = State::field_start;
            } else if (c == ' ' || c == '\t') {
              state = State::after_quote;
            } else {
              std::string at = physical == record.line ? fmt::format("column {}", i + 1)
                                                       : fmt::format("line {} column {}", physical, i + 1);
              return fmt::format(
                  "{}: unexpected {} after a closing quote (a quote inside a quoted "
                  "field must be doubled: \"\")",
                  at, quote_cell(std::string_view(&c, 1)));
            }
            break;
        }
      }
      if (state != State::quoted) break;
      // The quoted field goes on: join the next physical line.
      out += '\n';
      if (out.size() > kMaxRecordBytes) {
        read_again = true;
        return fmt::format(
            "record longer than 64 MiB: is the quote opened at line {} column {} "
            "ever closed?",
            quote_line, quote_column);
      }
      if (!options.lenient && record_lines.empty()) record_lines.add(record.line, strict_line);
      line = next_line();
      if (line == nullptr && !final_piece) {
        ran_off = true;
        return "runs past the piece";
      }
      if (line == nullptr) {
        read_again = true;
        return fmt::format("unclosed quote (opened at line {} column {}) runs to the end of the input", quote_line,
                           quote_column);
      }
      physical = line_number;
      len = line_length;
      record_lines.add(physical, std::string_view(line, len));
    }
    if (physical != record.line && !options.trust_quotes && looks_like_rows()) {
      // A quote opened in one field and closed lines later, over lines that each read as a
      // row: almost always a stray quote that swallowed those rows.
      read_again = true;
      family = "stray quote";
      return fmt::format(
          "the quote opened at line {} column {} closes only at line {}, and lines {} to {} each "
          "read as a row of {} fields: a stray quote? (--lenient reads them as rows; --trust-quotes "
          "reads the quoted text as one value)",
          quote_line, quote_column, physical, record.line, physical, header.size());
    }
    bounds.push_back(out.size());
    record.fields.clear();
    std::size_t begin = 0;
    for (std::size_t end : bounds) {
      record.fields.emplace_back(out.data() + begin, end - begin);
      begin = end;
    }
    return {};
  }

  std::string raw_text() const { return record_lines.text; }

  /// Whether a field count fits the header: as many fields, or one more and empty when rows
  /// end with a delimiter.
  bool fits_header(std::size_t fields, std::string_view last) const {
    return fields == header.size() || (fields == header.size() + 1 && trailing_rows == TrailingRows::yes &&
                                       last.find_first_not_of(" \t") == std::string_view::npos);
  }

  /// Whether every physical line of the record, split at each delimiter (quotes or not),
  /// has the header's width. A quoted note or address that spans lines hardly ever does;
  /// headers of fewer than three columns say too little to tell.
  bool looks_like_rows() const {
    if (header.size() < 3) return false;
    std::string_view text = record_lines.text;
    const char delimiter = dialect.delimiter;
    for (;;) {
      const std::size_t end = std::min(text.find('\n'), text.size());
      std::string_view line = text.substr(0, end);
      std::size_t fields = 1 + static_cast<std::size_t>(std::count(line.begin(), line.end(), delimiter));
      if (!fits_header(fields, line.substr(line.rfind(delimiter) + 1))) return false;
      if (end == text.size()) return true;
      text.remove_prefix(end + 1);
    }
  }

  /// Reads the next record. Returns false at the end; `problem` says what is wrong with a
  /// record that was read but is malformed.
  bool read_record(Record& record, std::string& problem) {
    problem.clear();
    for (;;) {
      if (one_pass_split && !replaying() && piece_lines->split_plain_line(dialect.delimiter, record.fields)) {
        line_number = piece_lines->line();
        record.line = line_number;
        unfinished_offset = piece_lines->last_offset();
        unfinished_line = line_number;
        strict_line = {};  // the fields are the line's own bytes
        record_lines.clear();
        return true;
      }
      const char* line = next_line();
      if (line == nullptr) {
        check_fault();
        return false;
      }
      std::size_t len = line_length;
      if (is_blank(line, len, dialect.delimiter)) {
        // A line that looks blank may hold a NUL byte (the line ends there): in lenient mode
        // the fault is on record, so it is rejected rather than passed over.
        if (options.lenient) {
          if (auto fault = validator->take_fault(line_number, line_number)) {
            record.line = line_number;
            record_lines.clear();
            record_lines.add(line_number, std::string_view(line, len));
            problem = fmt::format("line {} byte {}: {}", fault->line, fault->column, fault->what);
            family = fault_family(*fault);
            return true;
          }
        }
        ++blank;
        continue;
      }
      record.line = line_number;
      if (piece_lines != nullptr) {
        unfinished_offset = piece_lines->last_offset();
        unfinished_line = line_number;
      }
      if (options.lenient) {
        record_lines.clear();
        record_lines.add(line_number, std::string_view(line, len));
      } else {
        strict_line = {line, len};
        record_lines.clear();
      }
      if (!split_plain(line, len, record)) {
        family = "bad quoting";
        read_again = false;
        problem = split_quoted(line, len, record);
        if (ran_off) return false;
        if (!problem.empty()) {
          if (!options.lenient) {
            check_fault();
            throw Error(ExitCode::malformed_csv, fmt::format("{}:{}: {}", name, record.line, problem));
          }
          // Reject the line that opened the quote; read the lines it swallowed again.
          if (read_again) read_rest_again();
        }
      }
      if (options.lenient) {
        std::uint64_t last = record_lines.empty() ? record.line : record_lines.last();
        if (auto fault = validator->take_fault(record.line, last)) {
          problem = fmt::format("line {} byte {}: {}", fault->line, fault->column, fault->what);
          family = fault_family(*fault);
        }
      }
      return true;
    }
  }

  static const char* fault_family(const ByteFault& fault) {
    return fault.what.rfind("NUL", 0) == 0 ? "NUL byte" : "invalid UTF-8";
  }

  void reject(const Record& record, std::string reason, std::string kind) const {
    if (!reject_sink) return;
    std::string raw;
    if (!record_lines.empty()) {
      raw = raw_text();
    } else if (strict_line.data() != nullptr) {
      raw = strict_line;
    } else {  // a plain line split in one pass: its fields are its bytes
      for (std::size_t i = 0; i < record.fields.size(); ++i) {
        if (i > 0) raw += dialect.delimiter;
        raw += record.fields[i];
      }
      if (dropped_field) {  // the empty field after a trailing delimiter, dropped by next()
        raw += dialect.delimiter;
        raw += *dropped_field;
      }
    }
    reject_sink(Reject{record.line, std::move(reason), std::move(raw), std::move(kind)});
  }
};

RecordReader::RecordReader(const std::string& path, std::istream* stdin_stream, const ReadOptions& options)
    : impl_(std::make_unique<Impl>(options.lenient)) {
  Impl& m = *impl_;
  m.options = options;
  m.name = path == "-" ? "<stdin>" : path;
  auto lines = std::make_unique<LineSource>(open_byte_stream(path, stdin_stream), options.encoding, *m.validator);
  m.stream = lines.get();
  m.lines = std::move(lines);

  for (std::uint64_t i = 0; i < options.skip_lines; ++i) {
    if (m.next_line() == nullptr) break;
  }
  // Find the first non-blank line to learn the dialect from it.
  const char* first = nullptr;
  while ((first = m.next_line()) != nullptr && is_blank(first, m.line_length, '\0')) ++m.blank;
  if (first == nullptr) {
    m.check_fault();
    return;  // empty input: header() stays empty
  }
  std::string first_line(first, m.line_length);
  std::uint64_t first_number = m.line_number;
  char delimiter = options.delimiter;
  if (first_line.size() == 5 && first_line.compare(0, 4, "sep=") == 0 && first_line[4] != '"') {
    // Excel's dialect line: "sep=;" names the delimiter (unless --delimiter did), the header follows.
    if (delimiter == 0) delimiter = first_line[4];
    first = m.next_line();
    if (first == nullptr) {
      m.check_fault();
      return;
    }
    first_line.assign(first, m.line_length);
    first_number = m.line_number;
  }
  m.dialect.delimiter = delimiter != 0 ? delimiter : detect_delimiter(first_line);
  m.dialect.detected = delimiter == 0;
  m.give_back(first_number, first_line);
  Record header;
  std::string problem;
  m.read_record(header, problem);
  // Strict: a byte fault on the header's lines is the error, whatever chunk it was found in.
  if (!options.lenient && m.validator->failed() && m.validator->fault().line <= m.line_number) m.check_fault();
  if (!problem.empty()) {
    throw Error(ExitCode::malformed_csv, fmt::format("{}:{}: header: {}", m.name, header.line, problem));
  }
  for (auto field : header.fields) {
    m.header.emplace_back(field);
    while (!field.empty() && field.front() == ' ') field.remove_prefix(1);
    while (!field.empty() && field.back() == ' ') field.remove_suffix(1);
    m.header_trimmed.emplace_back(field);
  }
}

RecordReader::RecordReader(const RecordReader& file, Piece piece, bool final_piece)
    : impl_(std::make_unique<Impl>(false)) {
  Impl& m = *impl_;
  const Impl& f = *file.impl_;
  m.name = f.name;
  m.options = f.options;
  m.dialect = f.dialect;
  m.header = f.header;
  m.header_trimmed = f.header_trimmed;
  m.trailing_rows = f.trailing_rows;
  m.final_piece = final_piece;
  // Share the file's byte checks: a fault found anywhere is reported by the line it is on.
  m.validator = f.validator;
  auto lines = std::make_unique<TextLines>(std::move(piece));
  m.piece_lines = lines.get();
  m.lines = std::move(lines);
  const char d = m.dialect.delimiter;
  m.one_pass_split = d != '\r' && d != '\n' && d != '"';
}

RecordReader::~RecordReader() = default;

bool RecordReader::can_take_pieces() const {
  const Impl& m = *impl_;
  return m.stream != nullptr && !m.replaying() && !m.options.lenient && !m.header.empty();
}

bool RecordReader::take_piece(Piece& piece) { return impl_->stream->take_piece(piece); }

Piece Piece::of(std::string text, std::uint64_t first_line) {
  auto owned = std::make_shared<const std::string>(std::move(text));
  return Piece{*owned, owned, first_line};
}

bool RecordReader::ran_off_end() const { return impl_->ran_off; }

Piece RecordReader::unfinished() const {
  const Impl& m = *impl_;
  if (!m.ran_off) return {};
  const Piece& piece = m.piece_lines->piece();
  return Piece{piece.text.substr(m.unfinished_offset), piece.owner, m.unfinished_line};
}

Piece RecordReader::release_piece() { return impl_->piece_lines->release(); }

void RecordReader::set_block_bytes(std::size_t bytes) { block_bytes.store(bytes < 64 ? 64 : bytes); }

const std::string& RecordReader::name() const { return impl_->name; }
const Dialect& RecordReader::dialect() const { return impl_->dialect; }
const std::vector<std::string>& RecordReader::header() const { return impl_->header; }
std::uint64_t RecordReader::blank_lines() const { return impl_->blank; }
std::uint64_t RecordReader::trailing_delimiters() const { return impl_->trailing; }
const std::vector<std::uint64_t>& RecordReader::first_trailing_lines() const { return impl_->first_trailing; }
void RecordReader::on_reject(std::function<void(const Reject&)> sink) { impl_->reject_sink = std::move(sink); }

bool RecordReader::next(Record& record) {
  Impl& m = *impl_;
  if (m.header.empty()) return false;
  std::string problem;
  for (;;) {
    if (!m.read_record(record, problem)) return false;
    m.dropped_field.reset();
    // Strict: the decoder may have cut a faulty line short (the fault was in a later chunk,
    // or a sequence was cut off by the end); the fault, not the cut line, is the error.
    if (!m.options.lenient && m.validator->failed() && m.validator->fault().line <= m.line_number) m.check_fault();
    if (problem.empty()) {
      std::size_t n = m.header.size();
      const bool extra_empty =
          record.fields.size() == n + 1 && record.fields.back().find_first_not_of(" \t") == std::string_view::npos;
      // Rows may end with a delimiter the header does not have only when the first row that
      // fits the header does so too; elsewhere one field too many is a ragged row (an
      // unquoted delimiter in a value), not an empty last field to drop.
      if (m.trailing_rows == Impl::TrailingRows::undecided && (extra_empty || record.fields.size() == n)) {
        m.trailing_rows = extra_empty ? Impl::TrailingRows::yes : Impl::TrailingRows::no;
      }
      if (extra_empty && m.trailing_rows == Impl::TrailingRows::yes) {
        m.dropped_field = record.fields.back();
        record.fields.pop_back();  // a trailing delimiter
        if (m.trailing++ < kNamedTrailing) m.first_trailing.push_back(record.line);
      }
      if (record.fields.size() != n) {
        problem = fmt::format("expected {} fields (as in the header), found {}{}", n, record.fields.size(),
                              extra_empty ? " (the last one empty; rows may end with a delimiter only when the "
                                            "first row does: is a delimiter unquoted in a value?)"
                                          : "");
        m.family = "wrong field count";
        if (!m.options.lenient) {
          m.check_fault();
          throw Error(ExitCode::malformed_csv, fmt::format("{}:{}: {}", m.name, record.line, problem));
        }
        if (m.record_lines.count > 1) {
          // A stray quote closed lines later joined good rows into one bad record: reject the
          // line with the stray quote and read the lines after it again.
          problem =
              "a quote opened here is not closed on this line, and joining the next lines does not give a valid record";
          m.family = "bad quoting";
          m.read_rest_again();
        }
      } else {
        // A repeated header (two exports concatenated) is the header again, cell for cell
        // (ignoring surrounding spaces); the first cell settles almost every row.
        bool repeated = true;
        for (std::size_t i = 0; i < n && repeated; ++i) {
          std::string_view cell = record.fields[i];
          while (!cell.empty() && cell.front() == ' ') cell.remove_prefix(1);
          while (!cell.empty() && cell.back() == ' ') cell.remove_suffix(1);
          repeated = cell == m.header_trimmed[i];
        }
        if (!repeated) return true;
        m.reject(record, "repeated header", "repeated header");
        continue;
      }
    }
    m.reject(record, problem, m.family);
  }
}

}  // namespace funnel
