#include "funnel/report.h"

#include <algorithm>
#include <utility>
#include <optional>
#include <atomic>
#include <chrono>
#include <ostream>
#include <cmath>
#include <limits>
#include <map>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "funnel/csv.h"
#include "funnel/time_reader.h"

namespace funnel {
namespace {

std::atomic<std::uint64_t> rows_before_pieces{16384};

/// Appends `text` as an RFC 4180 field: quoted (quotes doubled) when `always` or when it
/// holds a comma, quote or line break.
void append_csv_field(std::string& out, std::string_view text, bool always) {
  if (!always && text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += text;
    return;
  }
  out += '"';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

/// The index of a column named by an option; throws funnel::Error(ExitCode::schema).
int find_column(const std::vector<std::string>& header, const std::string& name, const char* option, const std::string& file) {
  int found = -1;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (normalize_name(header[i]) != normalize_name(name)) continue;
    if (found >= 0) throw Error(ExitCode::schema, fmt::format("{}:1: {}: two columns are named '{}'", file, option, name));
    found = static_cast<int>(i);
  }
  if (found < 0) {
    throw Error(ExitCode::schema, fmt::format("{}:1: {}: no column '{}' in the header{}", file, option, name,
                                              did_you_mean(name, header)));
  }
  return found;
}

void warn_unknown_stages(const EventExtractor& extractor, const StageModel& model, Shape shape,
                         Diagnostics& diagnostics) {
  std::vector<std::string> spellings;
  for (const auto& s : model.spellings()) spellings.push_back(normalize_name(s));
  for (const auto& [value, u] : extractor.unknown_stages()) {
    std::string hint = did_you_mean(normalize_name(value), spellings);
    // Only a printable value can be pasted back as an option.
    bool printable = std::all_of(value.begin(), value.end(), [](char c) {
      return static_cast<unsigned char>(c) >= 0x20 && c != '"' && c != 0x7f;
    });
    std::string fix = printable ? fmt::format("; name it with --alias \"STAGE={}\" or --lost \"{}\"", value, value) : "";
    diagnostics.warn(fmt::format("{}:{}: unknown stage {} in {} row{} ({}){}{}", u.file, u.first_line,
                                 quote_cell(value), u.rows, u.rows == 1 ? "" : "s",
                                 shape == Shape::snapshot ? "those deals count at the first stage only"
                                                          : "rows reported, not counted",
                                 fix, hint));
  }
}

constexpr double kNoAmount = std::numeric_limits<double>::quiet_NaN();

/// A lead's deal value so far: the amount on its won row, else its latest non-empty amount.
struct LeadAmount {
  double value = kNoAmount;
  Timestamp time = kNoTime;
  bool won = false;

  void offer(double amount, Timestamp t, bool won_row) {
    if (won && !won_row) return;
    bool take = std::isnan(value) || (won_row && !won);
    if (!take) {
      // Later rows win; untimed rows lose to timed ones; equal times keep the larger amount,
      // so the row order never matters.
      if (t != kNoTime && (time == kNoTime || t > time)) take = true;
      else if (t == time && amount > value) take = true;
    }
    if (take) {
      value = amount;
      time = t;
      won = won || won_row;
    }
  }
};

/// Rows on their way from the reader to the lead store. Ids are copied because a record's
/// memory is gone once the next record is read; a batch lets the store overlap its cache
/// misses, and lets reading and applying run on two threads.
class RowBatch {
 public:
  static constexpr std::size_t kRows = 4096;

  bool full() const { return rows_.size() == kRows; }
  bool empty() const { return rows_.empty(); }

  void add(const RowEvidence& row, std::uint32_t segment, double amount = kNoAmount, bool won_row = false) {
    append_id(row.id);
    hashes_.push_back(LeadStore::hash(row.id));
    for (const Evidence& e : row.items) items_.push_back(e);  // one or a few: no memmove call
    rows_.push_back(Row{id_bytes_, items_.size(), row.touch, amount, segment, row.segment_empty, won_row});
  }

  /// Segment labels first seen in this batch, in id order.
  std::vector<std::string> new_labels;

  /// Renumbers the rows' segments: a piece's own label numbers to the report's.
  void remap_segments(const std::vector<std::uint32_t>& to) {
    for (Row& row : rows_) row.segment = to[row.segment];
  }

  /// Applies the rows to the store; `labels` (may be null: no breakdown) receives the new labels.
  void apply(LeadStore& store, std::vector<std::string>* labels, std::vector<LeadAmount>* amounts = nullptr) {
    if (labels != nullptr) {
      for (auto& label : new_labels) labels->push_back(std::move(label));
    }
    const std::size_t n = rows_.size();
    views_.clear();
    std::size_t begin = 0;
    for (const Row& row : rows_) {
      views_.emplace_back(ids_.data() + begin, row.id_end - begin);
      begin = row.id_end;
    }
    std::size_t item = 0;
    store.intern_each(views_.data(), hashes_.data(), n, [&](std::size_t i, std::uint32_t lead) {
      const Row& row = rows_[i];
      for (; item < row.item_end; ++item) store.add(lead, items_[item].stage, items_[item].time);
      if (labels != nullptr) store.touch(lead, row.segment, row.segment_empty, row.touch, *labels);
      if (amounts != nullptr && !std::isnan(row.amount)) {
        if (amounts->size() <= lead) amounts->resize(std::size_t{lead} + 1);
        (*amounts)[lead].offer(row.amount, row.touch, row.won_row);
      }
    });
    clear();
  }

  void clear() {
    new_labels.clear();
    id_bytes_ = 0;
    hashes_.clear();
    items_.clear();
    rows_.clear();
  }

 private:
  struct Row {
    std::size_t id_end, item_end;  ///< ends of the row's id bytes and evidence
    Timestamp touch;
    double amount;
    std::uint32_t segment;
    bool segment_empty, won_row;
  };
  /// The rows' ids back to back: the first id_bytes_ bytes of ids_, which only grows.
  std::vector<char> ids_;
  std::size_t id_bytes_ = 0;
  void append_id(std::string_view id) {
    const std::size_t n = id.size();
    if (id_bytes_ + n > ids_.size()) ids_.resize(std::max(2 * ids_.size(), id_bytes_ + n + 4096));
    char* to = ids_.data() + id_bytes_;
    const char* from = id.data();
    // Ids are mostly 8 to 16 bytes: two overlapping word moves, not a call to memcpy.
    if (n >= 8 && n <= 16) {
      std::memcpy(to, from, 8);
      std::memcpy(to + n - 8, from + n - 8, 8);
    } else {
      std::memcpy(to, from, n);
    }
    id_bytes_ += n;
  }
  std::vector<LeadStore::HashedId> hashes_;  ///< LeadStore::hash of each id, computed while reading
  std::vector<Evidence> items_;
  std::vector<Row> rows_;
  std::vector<std::string_view> views_;
};

/// Emptied batches for the piece parsers. A batch made afresh for every 4,096 rows paged
/// its buffers in again each time (1M wide: two thirds of the run's 12,000 page faults);
/// the batches handed on are swapped for the applied ones, which come back here.
class SpareBatches {
 public:
  RowBatch take() {
    std::lock_guard lock(mutex_);
    if (spare_.empty()) return {};
    RowBatch batch = std::move(spare_.back());
    spare_.pop_back();
    return batch;
  }
  void give(RowBatch&& batch) {
    batch.clear();
    std::lock_guard lock(mutex_);
    spare_.push_back(std::move(batch));
  }

 private:
  std::mutex mutex_;
  std::vector<RowBatch> spare_;
};

/// The reading half: files -> records -> evidence -> batches handed to `sink`.
struct Reader {
  const ReportOptions& options;
  std::istream* stdin_stream;
  const StageModel& model;
  InputCounts& input;
  bool segmented;
  std::function<RowBatch*(RowBatch*)> sink;  ///< takes a full batch, returns an empty one

  Schema schema;
  std::unique_ptr<EventExtractor> extractor;
  std::string first_file;
  std::vector<RejectedRow>* first_rejects = nullptr;
  std::string* rejects_csv = nullptr;
  TimeFormat format;
  const Zone* zone = nullptr;

  void rejected(const std::string& file, const Reject& r) {
    ++input.rows_read;
    ++input.rows_reported;
    ++input.reported_by_reason[r.family];
    if (first_rejects->size() < 5) first_rejects->push_back({file, r.line, r.reason});
    if (rejects_csv != nullptr) {
      auto cell = [](std::string_view text) {
        std::string out;
        append_csv_field(out, text, true);
        return out;
      };
      *rejects_csv += fmt::format("{},{},{},{}\n", cell(file), r.line, cell(r.reason), cell(r.raw));
    }
  }

  static bool scientific(std::string_view id) {
    // Excel shows long numbers as 1.23457E+11 and saves them so: distinct ids merge.
    auto e = id.find_first_of("Ee");
    if (e == std::string_view::npos || e == 0 || e + 2 > id.size() || (id[e + 1] != '+' && id[e + 1] != '-')) return false;
    for (std::size_t i = 0; i < e; ++i) {
      if (!(std::isdigit(static_cast<unsigned char>(id[i])) || (id[i] == '.' && i > 0))) return false;
    }
    for (std::size_t i = e + 2; i < id.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(id[i]))) return false;
    }
    return true;
  }

  StringMap<std::uint32_t> label_ids;
  RecentMap<std::uint32_t> recent_labels;
  /// A label's number, numbering it next (and adding it to `fresh`) on first sight.
  std::uint32_t number_label(std::string_view label, std::vector<std::string>& fresh) {
    if (auto it = label_ids.find(label); it != label_ids.end()) return it->second;
    auto id = static_cast<std::uint32_t>(label_ids.size());
    label_ids.emplace(std::string(label), id);
    fresh.emplace_back(label);
    return id;
  }

  std::uint32_t intern_label(std::string_view label, RowBatch* batch) {
    if (const std::uint32_t* recent = recent_labels.find(label)) return *recent;
    std::uint32_t id = number_label(label, batch->new_labels);
    recent_labels.put(label, id);
    return id;
  }

  /// A record whose dates wait for their column's day/month order, kept until it is known.
  struct PendingRow {
    std::string file;
    std::uint64_t line;
    std::vector<std::string> fields;
    int column;
  };
  std::deque<PendingRow> pending;
  static constexpr std::size_t kMaxPending = 100000;

  /// Turns one record into evidence and hands it on; false when it had to wait.
  std::vector<TraceRow>* trace = nullptr;
  int amount_column = -1;
  AmountReader amount_reader{options.decimal};
  std::string first_invalid_amount = {};

  void keep_trace(const Record& record, const std::string& file, const RowEvidence& evidence) {
    TraceRow row{file, record.line, {}, evidence.items, std::string(evidence.reported)};
    for (std::size_t i = 0; i < record.fields.size(); ++i) {
      if (i > 0) row.raw += ',';
      append_csv_field(row.raw, record.fields[i], false);
    }
    if (!row.reported.empty()) row.evidence.clear();
    trace->push_back(std::move(row));
  }

  bool take(const Record& record, const std::string& file, RowEvidence& evidence, RowBatch*& batch) {
    extractor->extract(record, file, evidence);
    if (evidence.pending_column >= 0) return false;
    if (trace != nullptr && evidence.id == options.trace_id) keep_trace(record, file, evidence);
    if (!evidence.reported.empty()) {
      ++tally->rows_reported;
      ++tally->reported_by_reason[std::string(evidence.reported)];
      return true;
    }
    ++tally->rows_used;
    double amount = kNoAmount;
    bool won_row = false;
    if (amount_column >= 0) {
      std::string_view cell = static_cast<std::size_t>(amount_column) < record.fields.size()
                                  ? record.fields[static_cast<std::size_t>(amount_column)] : std::string_view();
      ParsedAmount parsed = amount_reader.read(cell);
      if (parsed.status == ParsedAmount::Status::ok) {
        amount = parsed.value;
      } else if (parsed.status == ParsedAmount::Status::invalid) {
        if (tally->invalid_amounts++ == 0) {
          first_invalid_amount = fmt::format("{}:{}: column '{}': {} {}", file, record.line,
                                             schema.header[static_cast<std::size_t>(amount_column)], parsed.problem, quote_cell(cell));
        }
      }
      for (const Evidence& e : evidence.items) won_row = won_row || e.stage == model.won();
    }
    if (evidence.id.size() > 2 && (evidence.id[1] == '.' || evidence.id[1] == 'E' || evidence.id[1] == 'e') &&
        scientific(evidence.id)) {
      ++tally->scientific_ids;
    }
    std::uint32_t segment = segmented ? intern_label(evidence.segment, batch) : 0;
    batch->add(evidence, segment, amount, won_row);
    if (batch->full()) batch = sink(batch);
    return true;
  }

  void keep_pending(const Record& record, const std::string& file, int column) {
    if (pending.size() == kMaxPending) ambiguous_dates();
    PendingRow row{file, record.line, {}, column};
    for (auto field : record.fields) row.fields.emplace_back(field);
    pending.push_back(std::move(row));
  }

  /// Once a column has settled its order, the rows that waited are read again.
  void retry_pending(RowEvidence& evidence, RowBatch*& batch) {
    Record record;
    std::size_t n = pending.size();
    for (std::size_t i = 0; i < n; ++i) {
      PendingRow row = std::move(pending.front());
      pending.pop_front();
      record.line = row.line;
      record.fields.assign(row.fields.begin(), row.fields.end());
      if (!take(record, row.file, evidence, batch)) keep_pending(record, row.file, evidence.pending_column);
    }
  }

  [[noreturn]] void ambiguous_dates() const {
    const PendingRow& row = pending.front();
    const std::string& column = schema.header[static_cast<std::size_t>(row.column)];
    throw Error(ExitCode::bad_value,
                fmt::format("{}:{}: column '{}': cannot tell day from month in {} and {} other rows of "
                            "this column (every day is 12 or less); set --date-format dmy (day first) or "
                            "mdy (month first)",
                            row.file, row.line, column, quote_cell(row.fields[static_cast<std::size_t>(row.column)]),
                            pending.size() - 1));
  }

  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now(), last_shown = started;
  bool shown_progress = false;

  /// Long runs on a terminal: the rows read so far (a multiple of 65,536), at most once a
  /// second, after the first second.
  void show_progress() {
    auto now = std::chrono::steady_clock::now();
    if (now - started < std::chrono::seconds(1) || (shown_progress && now - last_shown < std::chrono::seconds(1))) return;
    last_shown = now;
    shown_progress = true;
    *options.progress << fmt::format("\rfunnel: {} rows read...", input.rows_read & ~std::uint64_t{0xFFFF}) << std::flush;
  }

  std::function<void(std::size_t)> columns_known = nullptr;  ///< told the first header's width, before any row
  InputCounts* tally = &input;  ///< where take() counts: the input's, or a piece's
  std::shared_ptr<SpareBatches> spares = std::make_shared<SpareBatches>();  ///< shared with the piece parsers
  std::uint64_t piece_dst_gaps = 0, piece_dst_overlaps = 0;  ///< counted by piece parsers

  /// What a piece parser made of one piece, waiting to be handed on in input order.
  struct PieceResult {
    std::vector<RowBatch> batches;
    std::vector<std::string> labels;  ///< the piece's segment labels, by its own numbers
    InputCounts counts;
    std::vector<Reject> rejects;
    std::deque<PendingRow> pending;
    EventExtractor::Facts facts;  ///< unknown stages, churn, lead probabilities
    std::uint64_t dst_gaps = 0, dst_overlaps = 0;
    std::exception_ptr error;  ///< what stopped the piece (raised when its turn comes)
    Piece piece;               ///< its text, to read again if it began inside a record
    bool ran_off = false;      ///< its last record goes on in the next piece
    Piece unfinished;          ///< that record's text so far
  };

  /// Another reader with what this one has learned, to parse pieces on another thread.
  std::unique_ptr<Reader> piece_parser() const {
    auto parser = std::unique_ptr<Reader>(new Reader{options, stdin_stream, model, input, segmented, {}, schema,
                                                     extractor->clone(), first_file, nullptr, nullptr, format, zone, {}, {}, {}});
    parser->spares = spares;
    return parser;
  }

  /// Parses one piece with this (piece parser) reader; errors are kept, not thrown.
  PieceResult parse_piece(const RecordReader& file, Piece piece, bool final_piece) {
    PieceResult r;
    RecordReader records(file, std::move(piece), final_piece);
    records.on_reject([&r](const Reject& reject) { r.rejects.push_back(reject); });
    tally = &r.counts;
    label_ids.clear();
    recent_labels = {};
    RowBatch scratch = spares->take();
    RowBatch* current = &scratch;
    sink = [&r, this](RowBatch* full) {
      r.batches.push_back(std::move(*full));
      *full = spares->take();
      return full;
    };
    const std::uint64_t gaps = extractor->dst_gaps(), overlaps = extractor->dst_overlaps();
    const std::string& name = file.name();
    try {
      Record record;
      RowEvidence evidence;
      while (records.next(record)) {
        ++r.counts.rows_read;
        if (!take(record, name, evidence, current)) keep_pending(record, name, evidence.pending_column);
      }
    } catch (...) {
      r.error = std::current_exception();
    }
    if (!current->empty()) sink(current);
    spares->give(std::move(*current));
    for (RowBatch& batch : r.batches) {
      for (auto& label : batch.new_labels) r.labels.push_back(std::move(label));
      batch.new_labels.clear();
    }
    r.facts = extractor->take_facts();
    r.pending = std::exchange(pending, {});
    r.dst_gaps = extractor->dst_gaps() - gaps;
    r.dst_overlaps = extractor->dst_overlaps() - overlaps;
    r.counts.blank_lines = records.blank_lines();
    r.counts.trailing_delimiters = records.trailing_delimiters();
    r.ran_off = records.ran_off_end();
    if (r.ran_off) r.unfinished = records.unfinished();
    r.piece = records.release_piece();
    return r;
  }

  /// A record that ran off the end of its piece: its text so far, from its first line.
  struct Carry {
    std::string text;
    std::uint64_t first_line = 0;
    std::size_t parse_at = 0;  ///< parse it again at this size even if no quote came
  };

  /// Hands a piece's rows on (this is the file's reader; the caller holds the lock that
  /// keeps pieces in input order). A piece that followed one whose last record ran on
  /// began inside that record: it is read again from where the record starts. While no
  /// quote comes the record cannot end (its quoted field stays open), so a piece without
  /// one is only added to the record's text, which is parsed again once a quote comes or
  /// its size has doubled: a quote left open over a whole file costs linear time and one
  /// copy of the record, not a parse of the record so far for every piece.
  void emit(PieceResult& r, Reader& parser, const RecordReader& file, RowBatch*& batch, RowEvidence& evidence,
            std::size_t& settled, std::optional<Carry>& carry) {
    std::optional<Carry> record = std::exchange(carry, std::nullopt);  // the text parsed below views it
    if (record) {
      record->text.append(r.piece.text);
      if (r.piece.text.find('"') == std::string_view::npos && record->text.size() < record->parse_at) {
        for (RowBatch& rows : r.batches) spares->give(std::move(rows));
        carry = std::move(record);
        return;
      }
      record->parse_at = 2 * record->text.size();
      r = parser.parse_piece(file, Piece{record->text, nullptr, record->first_line}, false);
    }
    if (r.error) std::rethrow_exception(r.error);
    const bool progress = options.progress != nullptr && (input.rows_read >> 16) != ((input.rows_read + r.counts.rows_read) >> 16);
    input.rows_read += r.counts.rows_read;
    input.rows_used += r.counts.rows_used;
    input.rows_reported += r.counts.rows_reported;
    input.scientific_ids += r.counts.scientific_ids;
    input.blank_lines += r.counts.blank_lines;
    input.trailing_delimiters += r.counts.trailing_delimiters;
    for (const auto& [reason, count] : r.counts.reported_by_reason) input.reported_by_reason[reason] += count;
    for (const Reject& reject : r.rejects) rejected(file.name(), reject);
    extractor->merge_facts(std::move(r.facts));
    piece_dst_gaps += r.dst_gaps;
    piece_dst_overlaps += r.dst_overlaps;
    // The piece's label numbers become the report's, new labels numbered in input order.
    std::vector<std::uint32_t> remap;
    std::vector<std::string> fresh;
    for (const std::string& label : r.labels) remap.push_back(number_label(label, fresh));
    if (!batch->empty()) batch = sink(batch);  // rows that waited for their dates, read again
    for (RowBatch& rows : r.batches) {
      if (segmented) rows.remap_segments(remap);
      rows.new_labels = std::exchange(fresh, {});
      std::swap(*batch, rows);  // `rows` now holds the emptied buffers of an applied batch
      batch = sink(batch);
      spares->give(std::move(rows));
    }
    for (PendingRow& row : r.pending) {
      if (pending.size() == kMaxPending) ambiguous_dates();
      pending.push_back(std::move(row));
    }
    // A column may have settled on the other thread before this piece's rows came in.
    if (!pending.empty() && (extractor->settled_columns() != settled || (!r.pending.empty() && settled > 0))) {
      settled = extractor->settled_columns();
      retry_pending(evidence, batch);
    }
    if (r.ran_off) {
      std::string text(r.unfinished.text);
      const std::size_t parse_at = 2 * text.size();
      carry = Carry{std::move(text), r.unfinished.first_line, parse_at};
    }
    if (progress) show_progress();
  }

  /// The rest of a file on two threads: each cuts the next piece off the input, parses it
  /// with its own copy of the extractor, and hands the result on in input order, so every
  /// count, label number, reject and error comes out as one thread would make it.
  void read_in_pieces(RecordReader& file, RowBatch*& batch, RowEvidence& evidence, std::size_t& settled) {
    if (!batch->empty()) batch = sink(batch);  // the rows read so far go first
    std::mutex cut_mutex, emit_mutex;
    std::uint64_t next_index = 0, next_emit = 0;
    std::map<std::uint64_t, PieceResult> ready;
    // Pieces parsed wait here for their turn; a parser cuts no piece more than kAhead ahead
    // of the next to be handed on, so a slow turn does not fill memory with parsed pieces.
    constexpr std::uint64_t kAhead = 8;
    std::condition_variable emitted;
    std::optional<Carry> carry;
    std::exception_ptr failure;
    std::atomic<bool> stop{false};
    auto work = [&](Reader& parser) {
      try {
        for (;;) {
          Piece piece;
          std::uint64_t index;
          std::exception_ptr cut_error;
          {
            std::lock_guard lock(cut_mutex);
            {
              std::unique_lock wait(emit_mutex);
              emitted.wait(wait, [&] { return next_index - next_emit < kAhead || failure || stop.load(); });
            }
            if (stop.load()) return;
            try {
              if (!file.take_piece(piece)) return;
            } catch (...) {
              cut_error = std::current_exception();  // an I/O error: raised in its turn
              stop = true;
            }
            index = next_index++;
          }
          PieceResult result;
          if (cut_error) {
            result.error = cut_error;
          } else {
            result = parser.parse_piece(file, std::move(piece), false);
          }
          std::lock_guard lock(emit_mutex);
          ready.emplace(index, std::move(result));
          // The first failure in input order is the one reported: it is recorded before the
          // lock is let go, and nothing after it is handed on.
          for (auto it = ready.find(next_emit); !failure && it != ready.end(); it = ready.find(next_emit)) {
            PieceResult r = std::move(it->second);
            ready.erase(it);
            ++next_emit;
            try {
              emit(r, parser, file, batch, evidence, settled, carry);
            } catch (...) {
              failure = std::current_exception();
              stop = true;
            }
          }
          emitted.notify_all();
          if (failure) return;
        }
      } catch (...) {
        std::lock_guard lock(emit_mutex);
        if (!failure) failure = std::current_exception();
        stop = true;
        emitted.notify_all();
      }
    };
    auto first = piece_parser(), second = piece_parser();
    std::thread helper([&] { work(*second); });
    work(*first);
    helper.join();
    if (failure) std::rethrow_exception(failure);
    if (carry) {  // a quote still open at the end of the input
      PieceResult last = first->parse_piece(file, Piece::of(std::move(carry->text), carry->first_line), true);
      carry.reset();
      emit(last, *first, file, batch, evidence, settled, carry);
    }
    Record record;
    while (file.next(record)) {  // nothing is left; this runs the end-of-input checks
    }
  }

  void run(RowBatch* batch) {
    std::vector<std::string> first_header;
    Record record;
    RowEvidence evidence;
    std::size_t settled = 0;
    for (const auto& path : input.files) {
      ReadOptions read{options.delimiter, options.encoding, options.lenient, options.skip_lines, options.trust_quotes};
      RecordReader reader(path, stdin_stream, read);
      reader.on_reject([this, &reader](const Reject& r) { rejected(reader.name(), r); });
      if (reader.header().empty()) {
        throw Error(ExitCode::no_data, fmt::format("{}: empty input: no header line", reader.name()));
      }
      if (!extractor) {
        first_header = reader.header();
        first_file = reader.name();
        schema = detect_schema(first_header, model, options.columns, reader.name());
        if (columns_known) columns_known(first_header.size());
        extractor = std::make_unique<EventExtractor>(schema, model, options.strict_stages, format, zone, options.strict_cells);
        input.delimiter = reader.dialect().delimiter;
        if (!options.amount.empty()) amount_column = find_column(first_header, options.amount, "--amount", reader.name());
        input.shape = schema.shape;
      } else if (!same_header(reader.header(), first_header)) {
        throw Error(ExitCode::schema,
                    fmt::format("{}:1: header differs from {}'s: several files must share one header",
                                reader.name(), first_file));
      }
      const std::string& name = reader.name();
      // Two threads parse the rest of a big file, where nothing needs rows in order: not in
      // lenient mode (faults are matched to rows as they come), not for explain or --amount
      // (its decimal mark is learned from the rows in order).
      const bool in_pieces = options.threads >= 2 && !options.lenient && trace == nullptr && amount_column < 0;
      std::uint64_t file_rows = 0;
      while (reader.next(record)) {
        if ((++input.rows_read & 0xFFFF) == 0 && options.progress != nullptr) show_progress();
        if (!take(record, name, evidence, batch)) {
          keep_pending(record, name, evidence.pending_column);
        } else if (!pending.empty() && extractor->settled_columns() != settled) {
          settled = extractor->settled_columns();
          retry_pending(evidence, batch);
        }
        if (++file_rows == rows_before_pieces.load() && in_pieces && reader.can_take_pieces()) {
          read_in_pieces(reader, batch, evidence, settled);
          break;
        }
      }
      input.blank_lines += reader.blank_lines();
      input.trailing_delimiters += reader.trailing_delimiters();
    }
    if (shown_progress) *options.progress << "\r\033[K" << std::flush;
    if (!pending.empty()) ambiguous_dates();
    input.guessed_amounts = amount_reader.guessed();
    if (extractor) {
      input.dst_gaps = extractor->dst_gaps() + piece_dst_gaps;
      input.dst_overlaps = extractor->dst_overlaps() + piece_dst_overlaps;
    }
    sink(batch);
  }
};

/// Batches between the reading thread and the applying thread: a few in flight, the rest
/// recycled, so memory stays bounded whatever the input size.
class BatchQueue {
 public:
  explicit BatchQueue(std::size_t depth) {
    for (std::size_t i = 0; i < depth; ++i) {
      pool_.push_back(std::make_unique<RowBatch>());
      free_.push_back(pool_.back().get());
    }
  }
  RowBatch* take_free() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !free_.empty() || cancelled_; });
    if (cancelled_) return nullptr;
    RowBatch* b = free_.front();
    free_.pop_front();
    return b;
  }
  void push_full(RowBatch* b) {
    std::lock_guard lock(mutex_);
    full_.push_back(b);
    changed_.notify_all();
  }
  /// Null when the reader is done and every batch has been taken.
  RowBatch* take_full() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !full_.empty() || done_; });
    if (full_.empty()) return nullptr;
    RowBatch* b = full_.front();
    full_.pop_front();
    return b;
  }
  void give_back(RowBatch* b) {
    std::lock_guard lock(mutex_);
    free_.push_back(b);
    changed_.notify_all();
  }
  void finish() {
    std::lock_guard lock(mutex_);
    done_ = true;
    changed_.notify_all();
  }
  void cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    changed_.notify_all();
  }

 private:
  std::vector<std::unique_ptr<RowBatch>> pool_;
  std::deque<RowBatch*> free_, full_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool done_ = false, cancelled_ = false;
};

struct Cancelled {};

/// The earliest known stage time of a lead, or kNoTime.
Timestamp entry_of(const LeadStore& store, std::uint32_t lead) {
  Timestamp entry = kNoTime;
  for (int k = 0; k < store.stage_count(); ++k) {
    Timestamp t = store.entered(lead, k) ? store.first(lead, k) : kNoTime;
    if (t != kNoTime && (entry == kNoTime || t < entry)) entry = t;
  }
  return entry;
}

/// One funnel per entry period: leads are segmented by the local period of their entry.
void build_cohorts(Report& report, const LeadStore& store, const ReportOptions& options) {
  std::vector<std::string> labels;
  std::map<std::string, std::uint32_t> index;
  std::map<std::string, PeriodSpan> spans;
  std::vector<std::uint32_t> assignment(store.size(), kNoSegment);
  for (std::uint32_t lead = 0; lead < store.size(); ++lead) {
    Timestamp entry = entry_of(store, lead);
    if (entry == kNoTime) continue;
    PeriodSpan span = period_of(day_of(report.zone.to_local(entry)), options.every);
    auto [it, added] = index.emplace(span.label, static_cast<std::uint32_t>(labels.size()));
    if (added) {
      labels.push_back(span.label);
      spans.emplace(span.label, span);
    }
    assignment[lead] = it->second;
  }
  report.tables = build_tables(store, report.model, labels, options.funnel, &assignment);
  // A cohort is complete when its period, plus the conversion window, ended by the as-of time.
  Timestamp as_of_local = report.tables.as_of == kNoTime ? kNoTime : report.zone.to_local(report.tables.as_of);
  for (std::size_t s = 1; s < report.tables.segments.size(); ++s) {
    const PeriodSpan& span = spans.at(report.tables.segments[s].label);
    bool complete = as_of_local != kNoTime && span.end_day * 86400 + options.funnel.window <= as_of_local;
    report.cohorts.push_back({span.label, span.first_day, complete});
  }
}

/// Leads entering each stage per local period, by the stage's first entry time.
void build_trend(Report& report, const LeadStore& store, const ReportOptions& options) {
  const auto n = static_cast<std::size_t>(store.stage_count());
  std::map<std::int64_t, std::pair<std::string, std::vector<std::uint64_t>>> periods;
  const FunnelOptions& f = options.funnel;
  for (std::uint32_t lead = 0; lead < store.size(); ++lead) {
    for (std::size_t k = 0; k < n; ++k) {
      if (!store.entered(lead, static_cast<int>(k))) continue;
      Timestamp t = store.first(lead, static_cast<int>(k));
      if (t == kNoTime || (f.since != kNoTime && t < f.since) || (f.until != kNoTime && t >= f.until)) continue;
      PeriodSpan span = period_of(day_of(report.zone.to_local(t)), options.every);
      auto& slot = periods[span.first_day];
      if (slot.second.empty()) slot = {span.label, std::vector<std::uint64_t>(n, 0)};
      ++slot.second[k];
    }
  }
  if (periods.empty()) return;
  // Every period from the first to the last, quiet ones as zeros, so a series has no holes.
  for (std::int64_t day = periods.begin()->first; day <= periods.rbegin()->first;) {
    PeriodSpan span = period_of(day, options.every);
    auto it = periods.find(span.first_day);
    report.trend.periods.push_back(span.label);
    report.trend.first_days.push_back(span.first_day);
    report.trend.entered.push_back(it != periods.end() ? it->second.second : std::vector<std::uint64_t>(n, 0));
    day = span.end_day;
  }
}

/// --top N: the N segments with the most leads keep their label, the rest become "(other)".
FunnelTables build_top_tables(const LeadStore& store, const StageModel& model, const std::vector<std::string>& labels,
                              const ReportOptions& options, const std::vector<double>* amounts, const ChurnTimes* churn) {
  std::vector<std::uint64_t> leads(labels.size());
  for (std::uint32_t lead = 0; lead < store.size(); ++lead) {
    if (judge_lead(store, lead, options.funnel, kNoTime).excluded == Exclusion::none) ++leads[store.segment(lead)];
  }
  std::vector<std::uint32_t> order(labels.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  // Most leads first; equal counts in label byte order, so the cut is deterministic.
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return leads[a] != leads[b] ? leads[a] > leads[b] : labels[a] < labels[b];
  });
  std::vector<std::string> kept;
  std::vector<std::uint32_t> remap(labels.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i < options.top_segments) {
      remap[order[i]] = static_cast<std::uint32_t>(kept.size());
      kept.push_back(labels[order[i]]);
    } else {
      remap[order[i]] = static_cast<std::uint32_t>(options.top_segments);
    }
  }
  kept.emplace_back("(other)");
  std::vector<std::uint32_t> assignment(store.size());
  for (std::uint32_t lead = 0; lead < store.size(); ++lead) assignment[lead] = remap[store.segment(lead)];
  FunnelTables tables = build_tables(store, model, kept, options.funnel, &assignment, amounts, churn);
  // "(other)" goes last, after the kept labels in byte order.
  auto other = std::find_if(tables.segments.begin() + 1, tables.segments.end(),
                            [](const SegmentTable& t) { return t.label == "(other)"; });
  if (other != tables.segments.end()) std::rotate(other, other + 1, tables.segments.end());
  return tables;
}

/// Churn and own probabilities, which the extractor kept by lead id, by lead index.
void collect_side_evidence(Report& report, const EventExtractor& extractor, Diagnostics& diagnostics) {
  const LeadStore& store = *report.store;
  if (extractor.churn_evidence()) {
    report.churn.assign(store.size(), std::nullopt);
    for (const auto& [id, time] : extractor.churned()) {
      if (auto lead = store.find(id)) report.churn[*lead] = time;
    }
  }
  if (!extractor.probabilities().empty()) {
    report.probabilities.assign(store.size(), std::numeric_limits<double>::quiet_NaN());
    for (const auto& [id, p] : extractor.probabilities()) {
      if (auto lead = store.find(id)) report.probabilities[*lead] = p.value;
    }
  }
  report.input.invalid_probabilities = extractor.invalid_probabilities();
  if (extractor.invalid_probabilities() > 0) {
    const std::uint64_t n = extractor.invalid_probabilities();
    diagnostics.warn(fmt::format("{}; {} probabilit{} not used (those leads fall back to their stage's probability)",
                                 extractor.first_invalid_probability(), n, n == 1 ? "y" : "ies"));
  }
}

/// --spend: reads source,cost rows (several rows of a source, e.g. one per period, add up).
std::map<std::string, double> read_spend(const std::string& path, DecimalMark decimal) {
  RecordReader reader(path, nullptr, ReadOptions{});
  const auto& header = reader.header();
  if (header.empty()) throw Error(ExitCode::no_data, fmt::format("{}: empty spend file", path));
  int source = -1, cost = -1;
  for (std::size_t i = 0; i < header.size(); ++i) {
    std::string name = normalize_name(header[i]);
    if (name == "source" || name == "channel" || name == "segment") source = static_cast<int>(i);
    if (name == "cost" || name == "spend" || name == "amount") cost = static_cast<int>(i);
  }
  if (source < 0 || cost < 0) {
    throw Error(ExitCode::schema, fmt::format("{}:1: a spend file needs a 'source' and a 'cost' column", path));
  }
  std::map<std::string, double> spend;
  AmountReader amounts(decimal);
  Record record;
  while (reader.next(record)) {
    auto field = [&](int i) {
      return static_cast<std::size_t>(i) < record.fields.size() ? trim_blanks(record.fields[static_cast<std::size_t>(i)]) : std::string_view();
    };
    ParsedAmount a = amounts.read(field(cost));
    if (a.status != ParsedAmount::Status::ok) {
      throw Error(ExitCode::bad_value, fmt::format("{}:{}: column '{}': {} {}", path, record.line, header[static_cast<std::size_t>(cost)],
                                                   a.status == ParsedAmount::Status::empty ? "no cost in" : a.problem, quote_cell(field(cost))));
    }
    std::string label(field(source));
    spend[label.empty() ? "(none)" : label] += a.value;
  }
  return spend;
}

/// Joins spend to the segments: cost per lead and per stage, CAC and ROI.
void join_spend(Report& report, const std::map<std::string, double>& spend) {
  double total = 0;
  for (const auto& [source, cost] : spend) total += cost;
  std::map<std::string, bool> used;
  for (SegmentTable& seg : report.tables.segments) {
    double cost = 0;
    if (seg.label == "(all)") {
      cost = total;
    } else if (auto it = spend.find(seg.label); it != spend.end()) {
      cost = it->second;
      used[seg.label] = true;
    } else {
      report.segments_without_spend.push_back(seg.label);
      continue;
    }
    Spend& s = seg.overall.spend;
    s.present = true;
    s.cost = cost;
    for (const StageRow& row : seg.stages) {
      s.per_stage.push_back(row.reached > 0 ? std::optional<double>(cost / static_cast<double>(row.reached)) : std::nullopt);
    }
    if (seg.overall.won > 0) s.cac = cost / static_cast<double>(seg.overall.won);
    if (seg.overall.money.present && cost > 0) s.roi = (seg.overall.money.won_revenue - cost) / cost;
  }
  for (const auto& [source, cost] : spend) {
    if (!used.count(source)) report.spend_unmatched.push_back(source);
  }
}

/// The bytes an input holds from where it stands: a file's size, stdin's when it is
/// redirected from a file (`funnel - < FILE`); 0 for a pipe or an error.
std::uintmax_t bytes_ahead(const std::string& path, const std::istream* stdin_stream) {
  if (path != "-") {
    std::error_code error;
    const std::uintmax_t size = std::filesystem::file_size(path, error);
    return error ? 0 : size;
  }
  struct stat st;
  if (stdin_stream != nullptr || ::fstat(0, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  const off_t at = ::lseek(0, 0, SEEK_CUR);
  return at >= 0 && at <= st.st_size ? static_cast<std::uintmax_t>(st.st_size - at) : 0;
}

}  // namespace

std::uint64_t likely_leads(std::uint64_t bytes, std::size_t columns) {
  // Exports hold 80 bytes a lead (wide, few columns) to thousands: a table too big costs
  // its pages, so the guess stays low.
  return bytes / std::max<std::uint64_t>(192, std::uint64_t{16} * columns);
}

void set_rows_before_pieces(std::uint64_t rows) { rows_before_pieces.store(rows < 1 ? 1 : rows); }

Report build_report(const ReportOptions& options, std::istream* stdin_stream, Diagnostics& diagnostics) {
  Report report;
  report.zone = Zone(options.tz);
  report.model = StageModel::build(options.stages);
  report.options = options.funnel;
  report.segmented = !options.columns.by.empty();
  InputCounts& input = report.input;
  input.files = options.files.empty() ? std::vector<std::string>{"-"} : options.files;

  auto owned_store = std::make_shared<LeadStore>(report.model.size(), LeadStore::Keep{report.segmented, options.lead_activity});
  LeadStore& store = *owned_store;
  report.store = owned_store;
  store.set_last_touch(options.last_touch);
  // Room for as many leads as the files could hold (about one per 64 bytes): address space
  // only, so the lead records never move while they grow.
  std::uintmax_t bytes = 0;
  for (const auto& path : input.files) bytes += bytes_ahead(path, stdin_stream);
  if (bytes > 0) store.reserve(static_cast<std::size_t>(bytes / 64));  // a pipe: see LeadStore::insert
  std::vector<std::string> labels;
  std::vector<std::string>* labels_out = report.segmented ? &labels : nullptr;
  std::vector<LeadAmount> lead_amounts;
  std::vector<LeadAmount>* amounts_out = options.amount.empty() ? nullptr : &lead_amounts;
  Reader reader{options, stdin_stream, report.model, input, report.segmented, {}, {}, {}, {},
                &report.first_rejects, options.rejects.empty() ? nullptr : &report.rejects_csv,
                TimeFormat::parse(options.date_format), &report.zone, {}, {}, {}};
  // The id table, from a low guess once the header is known (see likely_leads), on the
  // reading thread before it hands any row on.
  reader.columns_known = [&store, bytes](std::size_t columns) {
    store.expect_leads(static_cast<std::size_t>(likely_leads(bytes, columns)));
  };
  if (!options.rejects.empty()) report.rejects_csv = "file,line,reason,raw\n";
  if (!options.trace_id.empty()) reader.trace = &report.trace;

  if (options.threads <= 1) {
    RowBatch batch;
    reader.sink = [&](RowBatch* full) {
      full->apply(store, labels_out, amounts_out);
      return full;
    };
    reader.run(&batch);
  } else {
    // One thread reads and parses, this one applies rows to the store. Sixteen batches
    // (64K rows, about four pieces) in flight: with four, a piece parser that waited for a
    // free batch held up the other, and this thread then waited for both (1M long: 0.71 s
    // -> 0.55 s; 64 gave no more).
    BatchQueue queue(16);
    std::exception_ptr failure;
    reader.sink = [&](RowBatch* full) {
      queue.push_full(full);
      RowBatch* next = queue.take_free();
      if (next == nullptr) throw Cancelled{};
      return next;
    };
    std::thread thread([&] {
      try {
        reader.run(queue.take_free());
      } catch (const Cancelled&) {
      } catch (...) {
        failure = std::current_exception();
      }
      queue.finish();
    });
    try {
      while (RowBatch* batch = queue.take_full()) {
        batch->apply(store, labels_out, amounts_out);
        queue.give_back(batch);
      }
    } catch (...) {
      queue.cancel();
      thread.join();
      throw;
    }
    thread.join();
    if (failure) std::rethrow_exception(failure);
  }

  if (input.rows_read == 0) {
    throw Error(ExitCode::no_data,
                fmt::format("{}: header only: no data rows", input.files.size() == 1 ? reader.first_file : "input"));
  }
  warn_unknown_stages(*reader.extractor, report.model, input.shape, diagnostics);
  for (const auto& r : report.first_rejects) {
    diagnostics.warn(fmt::format("{}:{}: skipped: {}", r.file, r.line, r.reason));
  }
  std::uint64_t malformed = 0;
  std::string unused;
  for (const auto& [reason, count] : input.reported_by_reason) {
    if (reason == "empty lead id" || reason == "empty stage" || reason == "no stage date") {
      unused += fmt::format("{}{} {}", unused.empty() ? "" : ", ", count, reason);
    } else if (reason != "unknown stage") {
      malformed += count;
    }
  }
  if (!unused.empty()) diagnostics.warn(fmt::format("rows not used: {}", unused));
  if (malformed > report.first_rejects.size()) {
    diagnostics.warn(fmt::format("{} records skipped in all (see the JSON's reported_by_reason{})", malformed,
                                 options.rejects.empty() ? ", or write them with --rejects FILE" : ""));
  }
  // Time cells read as empty: the first lines and a count.
  auto cell_notes = [&](const EventExtractor::CellNotes& notes, std::uint64_t& count, std::string_view what) {
    count = notes.cells;
    if (notes.cells == 0) return;
    std::string lines;
    for (const auto& [line, file] : notes.first) lines += fmt::format("{}{}:{}", lines.empty() ? "" : ", ", file, line);
    const bool one = notes.cells == 1;
    diagnostics.warn(fmt::format("{} time cell{} {} {} read as empty ({}{}); --strict-cells makes {} an error",
                                 notes.cells, one ? "" : "s", what, one ? "was" : "were", lines,
                                 notes.cells > notes.first.size() ? ", ..." : "", one ? "it" : "them"));
  };
  cell_notes(reader.extractor->placeholders(), input.placeholder_times, "holding a placeholder (NULL, N/A, #N/A, -)");
  cell_notes(reader.extractor->epoch_zeros(), input.epoch_zero_times, "of 1970-01-01T00:00:00Z (epoch zero, an export's \"no date\")");
  if (input.trailing_delimiters > 0) {
    diagnostics.warn(fmt::format("{} rows end with an extra delimiter; the empty last field was dropped",
                                 input.trailing_delimiters));
  }
  if (input.dst_gaps + input.dst_overlaps > 0) {
    diagnostics.warn(fmt::format("{} times fell in a daylight-saving gap (read as after the jump) and {} in "
                                 "an overlap (the earlier one taken) in {}",
                                 input.dst_gaps, input.dst_overlaps, report.zone.name()));
  }
  if (input.scientific_ids > 0) {
    diagnostics.warn(fmt::format("{} rows have a lead id in scientific notation (like 1.23457E+11): Excel "
                                 "rounded them, so different leads may have merged; export ids as text",
                                 input.scientific_ids));
  }
  input.ids = store.size();
  if (!options.amount.empty()) {
    report.amounts.assign(store.size(), kNoAmount);
    for (std::size_t i = 0; i < lead_amounts.size(); ++i) report.amounts[i] = lead_amounts[i].value;
    if (input.invalid_amounts > 0) {
      diagnostics.warn(fmt::format("{}; {} amount{} not used (negative, not a number, or not finite)",
                                   reader.first_invalid_amount, input.invalid_amounts, input.invalid_amounts == 1 ? "" : "s"));
    }
    if (input.guessed_amounts > 0) {
      diagnostics.warn(fmt::format("{} amounts like 1,234 were read with the separator as thousands before the column "
                                   "showed its decimal mark; set --decimal . or , to be sure", input.guessed_amounts));
    }
  }
  const std::vector<double>* amounts = options.amount.empty() ? nullptr : &report.amounts;
  collect_side_evidence(report, *reader.extractor, diagnostics);
  if (options.trace_id.empty()) store.release_index();  // only explain looks a lead up by id later
  const ChurnTimes* churn = report.churn.empty() ? nullptr : &report.churn;
  report.header = reader.schema.header;
  report.labels = labels;
  report.kind = options.kind;
  report.every = options.every;
  if (options.kind == ReportKind::funnel && options.top_segments > 0 && labels.size() > options.top_segments) {
    report.tables = build_top_tables(store, report.model, labels, options, amounts, churn);
  } else if (options.kind == ReportKind::funnel) {
    report.tables = build_tables(store, report.model, labels, options.funnel, nullptr, amounts, churn);
  } else if (options.kind == ReportKind::cohorts) {
    build_cohorts(report, store, options);
  } else {
    report.tables = build_tables(store, report.model, {}, options.funnel);
    build_trend(report, store, options);
  }
  if (!options.spend.empty()) {
    if (!report.segmented) {
      throw Error(ExitCode::usage, "--spend joins costs to segments: add --by with the column holding the source");
    }
    join_spend(report, read_spend(options.spend, options.decimal));
    if (!report.spend_unmatched.empty()) {
      diagnostics.warn(fmt::format("{}: no lead has source {}: its cost counts only in (all)", options.spend,
                                   fmt::join(report.spend_unmatched, ", ")));
    }
    if (!report.segments_without_spend.empty()) {
      diagnostics.warn(fmt::format("{}: no cost for {}: those leads still count in (all)", options.spend,
                                   fmt::join(report.segments_without_spend, ", ")));
    }
  }
  if (report.tables.segments.front().overall.leads == 0) {
    throw Error(ExitCode::no_data,
                fmt::format("no lead entered any stage: {} rows read, {} used, {} reported",
                            input.rows_read, input.rows_used, input.rows_reported));
  }
  return report;
}

}  // namespace funnel
