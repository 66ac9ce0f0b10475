// Stage events: which column plays which role (id, stage, time, stage dates, segment), the
// input shape (long, wide, snapshot), and how one record becomes evidence of
// (lead, stage, time). The shapes differ only in that last step.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "funnel/columns.h"
#include "funnel/csv.h"
#include "funnel/stage_model.h"
#include "funnel/time_reader.h"
#include "funnel/timestamp.h"

namespace funnel {

class LookupTable;

/// Hash for heterogeneous lookup: find a std::string key by std::string_view, no allocation.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

/// A direct-mapped cache of recent strings (stage spellings, segment labels) in front of a
/// map: a column of a handful of values costs one compare per row.
template <class V>
class RecentMap {
 public:
  const V* find(std::string_view key) const {
    const Entry& e = slots_[slot(key)];
    return e.used && same(e.key, key) ? &e.value : nullptr;
  }
  void put(std::string_view key, V value) {
    Entry& e = slots_[slot(key)];
    e.key.assign(key);
    e.value = value;
    e.used = true;
  }

 private:
  /// Inline: the values are a few bytes long, and memcmp through the PLT costs more than
  /// the compare (bench/RESULTS.md).
  static bool same(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
  static std::size_t slot(std::string_view key) {
    if (key.empty()) return 0;
    return (key.size() * 31 + static_cast<unsigned char>(key.front()) * 7 + static_cast<unsigned char>(key.back())) &
           63;
  }
  struct Entry {
    std::string key;
    V value{};
    bool used = false;
  };
  std::array<Entry, 64> slots_{};
};

/// Column indexes for each role; -1 when absent.
struct Schema {
  Shape shape = Shape::long_log;
  int id = -1;
  int stage = -1;
  int time = -1;
  int status = -1;                   ///< snapshot: open / won / lost
  int created = -1;                  ///< snapshot: when the deal entered the first stage
  int closed = -1;                   ///< snapshot: when a won or lost deal closed
  int churned = -1;                  ///< when a customer churned (churned_at, Churn Date)
  int won_flag = -1;                 ///< snapshot: true when the deal was won (Salesforce IsWon)
  int closed_flag = -1;              ///< snapshot: true when the deal closed, won or lost (IsClosed)
  int probability = -1;              ///< a lead's own win probability (forecast)
  bool probability_percent = false;  ///< the probability header says '%': every value is a percent
  struct StageTime {
    int column;
    int stage;  ///< stage index or StageRef::lost
  };
  std::vector<StageTime> stage_times;
  /// The --by columns, then the --where columns (ColumnSpec::attributes); -1: not in this
  /// file (a join's other file, or a lookup).
  std::vector<int> segments;
  std::size_t by_columns = 0;  ///< how many of `segments` are --by columns
  /// A --by value this file's rows take from a lookup table through their key cell.
  struct LookedUp {
    std::size_t segment;       ///< which --by value
    int key_column;            ///< this file's column holding the key
    const LookupTable* table;  ///< lives as long as the reading
    int value_column;          ///< the table's column
  };
  std::vector<LookedUp> looked_up;
  char id_list = 0;  ///< the id cell holds several lead ids separated by this (Associated Contact IDs)
  int link = -1;     ///< a column holding the id of another file's row that continues the lead
  std::vector<std::string> header;
};

/// Finds the columns and the shape. Throws funnel::Error(ExitCode::schema) naming what is
/// missing and what was looked for.
Schema detect_schema(const std::vector<std::string>& header, const StageModel& model, const ColumnSpec& spec,
                     std::string_view file);

/// Whether two headers name the same columns in the same order (names compared normalized),
/// as several files read together must.
bool same_header(const std::vector<std::string>& a, const std::vector<std::string>& b);

/// What one record says.
struct RowEvidence {
  std::string_view id;
  std::string_view segment;   ///< segment key: the --by values ("(none)" when empty), NUL between them
  bool segment_empty = true;  ///< every --by cell of the row is empty (every --where cell without --by)
  std::vector<Evidence> items;
  Timestamp touch = kNoTime;  ///< when this row happened, for first-touch segments
  std::string_view reported;  ///< why the row gives no evidence (empty when used)
  /// The Schema::looked_up entries whose key matched no row of their table, with the key.
  std::vector<std::pair<std::size_t, std::string_view>> lookup_misses;
  int pending_column = -1;  ///< a date here waits for its column's day/month order
};

/// Turns records into evidence under a schema, counting the rows it cannot use.
class EventExtractor {
 public:
  EventExtractor(const Schema& schema, const StageModel& model, bool strict_stages, const TimeFormat& format = {},
                 const Zone* zone = nullptr, bool strict_cells = false);

  /// How many time columns have settled their day/month order; when this grows, rows that
  /// were pending can be extracted again.
  std::size_t settled_columns() const;
  /// Wall-clock times in a DST gap or overlap, over all columns.
  std::uint64_t dst_gaps() const;
  std::uint64_t dst_overlaps() const;

  /// Fills `out` from `record`. Throws funnel::Error(ExitCode::bad_value) for a cell that
  /// cannot be read (an invalid date), an unknown stage under --strict-stages, or a
  /// placeholder or epoch-zero time under --strict-cells. An id cell of two quote
  /// characters (`""`, an empty cell quoted twice over) is an empty id.
  void extract(const Record& record, std::string_view file, RowEvidence& out) {
    row_placeholders_ = row_epoch_zeros_ = 0;
    extract_row(record, file, out);
    if ((row_placeholders_ | row_epoch_zeros_) != 0 && out.pending_column < 0) note_cells(file, record.line);
  }

  /// Time cells read as empty, counted once a row is used (not while it waits for a
  /// day/month order): placeholders (NULL, N/A, #N/A, -) and 1970-01-01T00:00:00Z, which
  /// exports write for "no date". With the first lines that had one, smallest first.
  struct CellNotes {
    std::uint64_t cells = 0;
    std::vector<std::pair<std::uint64_t, std::string>> first;  ///< (line, file), up to kFirst
    static constexpr std::size_t kFirst = 3;
    void add(std::uint64_t count, std::uint64_t line, std::string_view file);
    void merge(const CellNotes& later);
  };
  const CellNotes& placeholders() const { return placeholders_; }
  const CellNotes& epoch_zeros() const { return epoch_zeros_; }

  struct UnknownStage {
    std::uint64_t rows = 0;
    std::string file;
    std::uint64_t first_line = 0;
  };
  /// Unknown stage values with their counts, in byte order.
  const std::map<std::string, UnknownStage, std::less<>>& unknown_stages() const { return unknown_; }

  /// Evidence about a lead that is not a stage, kept by lead id beside the rows' evidence:
  /// lead ids with a churned row or churn date, with the earliest churn time (kNoTime: unknown).
  const StringMap<Timestamp>& churned() const { return churned_; }
  /// Whether the input can say a customer churned: a churn date column or a churned row.
  bool churn_evidence() const { return schema_.churned >= 0 || !churned_.empty(); }
  /// A lead's own win probability (0 to 1) and the time of the row that gave it.
  struct TimedValue {
    double value = 0;
    Timestamp time = kNoTime;
  };
  /// Lead ids with a probability cell: the value of the latest row that has one.
  const StringMap<TimedValue>& probabilities() const { return probabilities_; }
  /// Probability cells that are not a usable value, and the first one's message.
  std::uint64_t invalid_probabilities() const { return invalid_probabilities_; }
  const std::string& first_invalid_probability() const { return first_invalid_probability_; }

  /// What rows said beyond their evidence: unknown stages, churn, lead probabilities.
  struct Facts {
    std::map<std::string, UnknownStage, std::less<>> unknown;
    StringMap<Timestamp> churned;
    StringMap<TimedValue> probabilities;
    std::uint64_t invalid_probabilities = 0;
    std::string first_invalid_probability;
    CellNotes placeholders, epoch_zeros;
  };
  /// A copy for parsing pieces of the same input on another thread: what was learned so far
  /// (stage spellings, time formats; day/month orders stay shared), no facts yet.
  std::unique_ptr<EventExtractor> clone() const;
  /// Hands over the facts gathered since the last call (a piece's).
  Facts take_facts();
  /// Adds the facts of a later part of the input (each rule is independent of row order).
  void merge_facts(Facts later);

 private:
  void extract_row(const Record& record, std::string_view file, RowEvidence& out);
  void note_cells(std::string_view file, std::uint64_t line);
  void add_snapshot(const Record& record, std::string_view file, RowEvidence& out);
  /// Exports use a handful of stage spellings: a recent one costs one compare, inline;
  /// others go through resolve_other_stage(), which makes them recent.
  int resolve_stage(std::string_view value, const Record& record, std::string_view file) {
    if (const int* recent = recent_.find(value)) {
      if (*recent == StageRef::unknown) count_unknown(value, file, record.line);
      return *recent;
    }
    return resolve_other_stage(value, record, file);
  }
  int resolve_other_stage(std::string_view value, const Record& record, std::string_view file);
  void count_unknown(std::string_view value, std::string_view file, std::uint64_t line);
  /// A time cell: UTC ISO times and empty cells (most of a wide export's) inline, the
  /// rest through read_other_time().
  Timestamp read_time(const Record& record, int column, std::string_view file, RowEvidence& out) {
    const std::string_view cell = record.fields[static_cast<std::size_t>(column)];
    TimeReader& reader = *reader_of_[static_cast<std::size_t>(column)];
    if (cell.empty()) return kNoTime;
    if (Timestamp fast; reader.read_iso_utc(cell, fast) && fast != 0) return fast;
    return read_other_time(reader, record, column, file, out);
  }
  Timestamp read_other_time(TimeReader& reader, const Record& record, int column, std::string_view file,
                            RowEvidence& out);
  void joined_segment(const Record& record, RowEvidence& out);
  void note_churn(std::string_view id, Timestamp time);
  void note_probability(const Record& record, std::string_view file, const RowEvidence& out);
  void keep_probability(std::string_view id, TimedValue v);

  const Schema& schema_;
  const StageModel& model_;
  bool strict_stages_;
  bool strict_cells_;
  bool joined_segments_ = false;  ///< a --by value comes from a lookup or is not in this file
  std::uint32_t row_placeholders_ = 0, row_epoch_zeros_ = 0;  ///< in the row being read
  CellNotes placeholders_, epoch_zeros_;
  StringMap<int> stage_cache_;
  RecentMap<int> recent_;  ///< spellings seen lately
  std::map<std::string, UnknownStage, std::less<>> unknown_;
  std::string segment_scratch_;
  std::unordered_map<int, TimeReader> readers_;  ///< one per time column
  /// readers_ by column (null: not a time column), so a wide row's five or so cells find
  /// their readers without a hash lookup each.
  std::vector<TimeReader*> reader_of_;
  void index_readers();
  StringMap<Timestamp> churned_;
  StringMap<TimedValue> probabilities_;
  std::uint64_t invalid_probabilities_ = 0;
  std::string first_invalid_probability_;
};

}  // namespace funnel
