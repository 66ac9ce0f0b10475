// The only file that includes fast-cpp-csv-parser. Its header lacks <limits> and trips
// -Wstringop-truncation at -O2 (strncpy of file names): both are contained here.
#include <limits>
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-truncation"
#include <libfccp/csv.h>

#include "funnel/csv.h"

#include <algorithm>
#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <fmt/format.h>

#include "funnel/diagnostics.h"
#include "funnel/input.h"

namespace funnel {
namespace {

constexpr std::size_t kMaxRecordBytes = std::size_t{64} << 20;

/// Feeds io::LineReader from a ByteStream, validating bytes on the way (this runs on
/// LineReader's reader thread, so the checks cost the parsing thread nothing).
class ValidatingSource : public io::ByteSourceBase {
 public:
  ValidatingSource(std::unique_ptr<ByteStream> stream, ByteValidator& validator)
      : stream_(std::move(stream)), validator_(validator) {}
  int read(char* buffer, int size) override {
    if (done_) return 0;
    std::size_t n = stream_->read(buffer, static_cast<std::size_t>(size));
    if (n == 0) {
      validator_.finish();
      done_ = true;
      return 0;
    }
    std::size_t good = validator_.scan(buffer, n);
    if (good < n) done_ = true;  // stop at the line holding the fault
    return static_cast<int>(good);
  }

 private:
  std::unique_ptr<ByteStream> stream_;
  ByteValidator& validator_;
  bool done_ = false;
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
  std::string name;
  ByteValidator validator;
  std::unique_ptr<io::LineReader> lines;
  Dialect dialect;
  std::vector<std::string> header;
  std::uint64_t blank = 0;
  std::string out;                    // unescaped fields of a quoted record
  std::vector<std::size_t> bounds;    // field end offsets into `out`
  char* pending_line = nullptr;       // first line, read early to detect the dialect

  char* next_line() {
    if (pending_line != nullptr) return std::exchange(pending_line, nullptr);
    try {
      return lines->next_line();
    } catch (const io::error::line_length_limit_exceeded&) {
      check_fault();
      throw Error(ExitCode::malformed_csv,
                  fmt::format("{}:{}: line longer than 16 MiB (is this a CSV file?)", name,
                              lines->get_file_line()));
    }
  }

  /// A byte fault (NUL, bad UTF-8) explains any CSV error after it: report it first.
  void check_fault() const {
    if (!validator.failed()) return;
    const ByteFault& f = validator.fault();
    throw Error(ExitCode::malformed_csv,
                fmt::format("{}:{}:{}: {} (funnel reads UTF-8 text; re-save the export as "
                            "UTF-8 CSV)",
                            name, f.line, f.column, f.what));
  }

  [[noreturn]] void fail(std::uint64_t line, std::string what) const {
    check_fault();
    throw Error(ExitCode::malformed_csv, fmt::format("{}:{}: {}", name, line, what));
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
      auto hits = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, delimiters)));
      while (hits != 0) {
        std::size_t at = i + static_cast<std::size_t>(__builtin_ctz(hits));
        record.fields.emplace_back(line + field, at - field);
        field = at + 1;
        hits &= hits - 1;
      }
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

  /// RFC 4180 with state carried across physical lines for quoted line breaks.
  void split_quoted(char* line, std::size_t len, Record& record) {
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
              out += c;
            }
            break;
          case State::quoted:
            if (c == '"') {
              state = State::quote_in_quoted;
            } else {
              out += c;
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
              fail(physical, fmt::format("column {}: unexpected {} after a closing quote (a quote "
                                         "inside a quoted field must be doubled: \"\")",
                                         i + 1, quote_cell(std::string_view(&c, 1))));
            }
            break;
        }
      }
      if (state != State::quoted) break;
      // The quoted field goes on: join the next physical line.
      out += '\n';
      if (out.size() > kMaxRecordBytes) {
        fail(record.line, fmt::format("record longer than 64 MiB: is the quote opened at line {} "
                                      "column {} ever closed?",
                                      quote_line, quote_column));
      }
      line = next_line();
      if (line == nullptr) {
        fail(record.line, fmt::format("unclosed quote (opened at line {} column {}) runs to the "
                                      "end of the input",
                                      quote_line, quote_column));
      }
      physical = lines->get_file_line();
      len = std::strlen(line);
    }
    bounds.push_back(out.size());
    record.fields.clear();
    std::size_t begin = 0;
    for (std::size_t end : bounds) {
      record.fields.emplace_back(out.data() + begin, end - begin);
      begin = end;
    }
  }

  bool read_record(Record& record) {
    for (;;) {
      char* line = next_line();
      if (line == nullptr) {
        check_fault();
        return false;
      }
      std::size_t len = std::strlen(line);
      if (is_blank(line, len, dialect.delimiter)) {
        ++blank;
        continue;
      }
      record.line = lines->get_file_line();
      if (!split_plain(line, len, record)) split_quoted(line, len, record);
      return true;
    }
  }
};

RecordReader::RecordReader(const std::string& path, std::istream* stdin_stream, char delimiter)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.name = path == "-" ? "<stdin>" : path;
  auto source = std::make_unique<ValidatingSource>(open_byte_stream(path, stdin_stream), m.validator);
  m.lines = std::make_unique<io::LineReader>(m.name, std::move(source));

  // Find the first non-blank line to learn the dialect from it.
  char* first = nullptr;
  while ((first = m.next_line()) != nullptr && is_blank(first, std::strlen(first), '\0')) ++m.blank;
  if (first == nullptr) {
    m.check_fault();
    return;  // empty input: header() stays empty
  }
  std::string_view first_line(first);
  if (first_line.size() == 5 && first_line.substr(0, 4) == "sep=" && first_line[4] != '"') {
    // Excel's dialect line: "sep=;" names the delimiter (unless --delimiter did), the header follows.
    if (delimiter == 0) delimiter = first_line[4];
    first = m.next_line();
    if (first == nullptr) {
      m.check_fault();
      return;
    }
    first_line = first;
  }
  m.dialect.delimiter = delimiter != 0 ? delimiter : detect_delimiter(first_line);
  m.dialect.detected = delimiter == 0;
  m.pending_line = first;
  Record header;
  m.read_record(header);
  for (auto field : header.fields) m.header.emplace_back(field);
}

RecordReader::~RecordReader() = default;

const std::string& RecordReader::name() const { return impl_->name; }
const Dialect& RecordReader::dialect() const { return impl_->dialect; }
const std::vector<std::string>& RecordReader::header() const { return impl_->header; }
std::uint64_t RecordReader::blank_lines() const { return impl_->blank; }

bool RecordReader::next(Record& record) {
  if (impl_->header.empty()) return false;
  if (!impl_->read_record(record)) return false;
  if (record.fields.size() != impl_->header.size()) {
    impl_->fail(record.line, fmt::format("expected {} fields (as in the header), found {}",
                                         impl_->header.size(), record.fields.size()));
  }
  return true;
}

}  // namespace funnel

#pragma GCC diagnostic pop
