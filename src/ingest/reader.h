// The reading half of ingest: files -> records -> evidence -> batches handed to a sink.
// A file's first rows are read in order on one thread; the rest of a big file is cut into
// pieces parsed on two threads and handed on in input order, unless a row consumer needs
// the rows in order. Private to ingest.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "funnel/csv.h"
#include "funnel/events.h"
#include "funnel/ingest.h"
#include "funnel/joins.h"
#include "funnel/money.h"
#include "row_batch.h"

namespace funnel::ingest_detail {

/// What an --amount column showed of its decimal mark, for settling its ambiguous values
/// and for the warnings.
struct AmountEvidence {
  static constexpr std::size_t kNamed = 5;    ///< ambiguous values named in a warning
  DecimalMark mark = DecimalMark::automatic;  ///< the column's mark (AmountReader::column_mark)
  std::uint64_t shown_dot = 0, shown_comma = 0, ambiguous = 0;
  std::string first_dot, first_comma;        ///< file:line of the first value showing each mark
  std::vector<std::string> first_ambiguous;  ///< the first ambiguous values, quoted, with file:line
};

class Reader {
 public:
  Reader(const IngestOptions& options, std::istream* stdin_stream, const StageModel& model, InputCounts& input,
         bool segmented, TimeFormat format, const Zone* zone);

  /// The inputs and their roles (plan_inputs); the lookups they use, read already. Both
  /// outlive the reader. Without a plan, every file is read as one export.
  const JoinPlan* plan = nullptr;
  const std::vector<LookupTable>* lookups = nullptr;

  /// Takes a full batch, returns an empty one to fill next.
  std::function<RowBatch*(RowBatch*)> sink;
  /// Told the first header's width, before any row is handed on.
  std::function<void(std::size_t)> columns_known;
  std::vector<RejectedRow>* first_rejects = nullptr;  ///< the first few rejects
  std::string* rejects_csv = nullptr;                 ///< every reject as CSV, when kept
  std::vector<TraceRow>* trace = nullptr;             ///< the rows of options.trace_id, when kept

  /// Reads every input file; the last batch, full or not, goes to the sink.
  void run(RowBatch* batch);

  /// What the first file showed, for the warnings and the report once reading is done.
  const EventExtractor* extractor() const { return extractor_.get(); }
  const std::string& first_file() const { return first_file_; }
  const std::vector<std::string>& header() const { return first_header_; }
  const std::string& first_invalid_amount() const { return first_invalid_amount_; }
  const AmountEvidence& amount_evidence() const { return amount_evidence_; }
  /// The files amounts were read from, by AmountLine::file.
  const std::vector<std::string>& amount_files() const { return amount_files_; }

 private:
  /// A record whose dates wait for their column's day/month order, kept until it is known.
  struct PendingRow {
    std::string file;
    std::uint64_t line;
    std::vector<std::string> fields;
    int column;
  };
  struct PieceResult;
  /// A record that ran off the end of its piece: its text so far, from its first line.
  struct Carry {
    std::string text;
    std::uint64_t first_line = 0;
    std::size_t parse_at = 0;  ///< parse it again at this size even if no quote came
  };

  /// Whether a file's rows must reach the consumers in input order on one thread. Each row
  /// consumer says so for itself: lenient reading matches record faults to rows as they come,
  /// a trace lists its rows in file order, and an amount column learns its decimal mark from
  /// the rows in order.
  /// The first file of a join is read in order too: its ids and links are kept as it goes.
  bool rows_need_order() const {
    return options_.lenient || trace != nullptr || amount_column_ >= 0 || kind_ == FileKind::primary;
  }

  /// How a join reads the current file's ids (FileKind::single: not a join).
  enum class FileKind { single, primary, other, linked, listed };
  /// A join's shared state: built while the first file is read (in order, on one thread),
  /// only read while the others are (their pieces on two threads).
  struct JoinState {
    StringMap<char> known;  ///< the lead ids the first file's rows named
    struct Target {
      std::vector<std::string> leads;  ///< the leads whose link cell names this id
      SourceLine first;                ///< the first such row
      std::atomic<bool> hit{false};    ///< a linked row has this id
    };
    StringMap<Target> targets;  ///< by the id a link cell names
  };
  void resolve_leads(const Record& record, const std::string& file, RowEvidence& evidence);
  void start_schema(const PlannedInput& in, const RecordReader& reader, std::size_t& settled);
  void finish_join();

  void rejected(const std::string& file, const Reject& r);
  void note_amount(const ParsedAmount& parsed, std::string_view cell, const std::string& file, std::uint64_t line);
  std::uint32_t number_label(std::string_view label, std::vector<std::string>& fresh);
  std::uint32_t intern_label(std::string_view label, RowBatch* batch);
  void keep_trace(const Record& record, const std::string& file, const RowEvidence& evidence);
  bool take(const Record& record, const std::string& file, RowEvidence& evidence, RowBatch*& batch);
  void note_trailing(const RecordReader& reader, std::uint64_t& noted);
  void keep_pending(const Record& record, const std::string& file, int column);
  void retry_pending(RowEvidence& evidence, RowBatch*& batch);
  [[noreturn]] void ambiguous_dates() const;
  void show_progress();
  std::unique_ptr<Reader> piece_parser() const;
  PieceResult parse_piece(const RecordReader& file, Piece piece, bool final_piece);
  void emit(PieceResult& r, Reader& parser, const RecordReader& file, RowBatch*& batch, RowEvidence& evidence,
            std::size_t& settled, std::optional<Carry>& carry);
  void read_in_pieces(RecordReader& file, RowBatch*& batch, RowEvidence& evidence, std::size_t& settled);

  const IngestOptions& options_;
  std::istream* stdin_stream_;
  const StageModel& model_;
  InputCounts& input_;
  bool segmented_;
  TimeFormat format_;
  const Zone* zone_;

  Schema schema_;
  std::unique_ptr<EventExtractor> extractor_;
  std::vector<std::string> first_header_;
  std::vector<EventExtractor::Facts> retired_facts_;  ///< a join's earlier files' facts, in order
  FileKind kind_ = FileKind::single;
  std::shared_ptr<JoinState> join_ = std::make_shared<JoinState>();  ///< shared with the piece parsers
  std::vector<std::string_view> leads_;                              ///< the lead ids of the row being taken
  std::string first_file_;

  StringMap<std::uint32_t> label_ids_;
  RecentMap<std::uint32_t> recent_labels_;

  std::deque<PendingRow> pending_;
  static constexpr std::size_t kMaxPending = 100000;

  int amount_column_ = -1;
  AmountReader amount_reader_;
  std::string first_invalid_amount_;
  std::vector<std::string> amount_files_;  ///< amount rows are read in order on one thread (rows_need_order)
  AmountEvidence amount_evidence_;

  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now(), last_shown_ = started_;
  bool shown_progress_ = false;

  InputCounts* tally_ = &input_;  ///< where take() counts: the input's, or a piece's
  std::shared_ptr<SpareBatches> spares_ = std::make_shared<SpareBatches>();  ///< shared with the piece parsers
  std::uint64_t piece_dst_gaps_ = 0, piece_dst_overlaps_ = 0;                ///< counted by piece parsers
};

}  // namespace funnel::ingest_detail
