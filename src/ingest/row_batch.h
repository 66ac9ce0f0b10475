// Rows on their way from the reading threads to the lead store, and the batches' recycling.
// Private to ingest.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "funnel/events.h"
#include "funnel/lead_path.h"

namespace funnel::ingest_detail {

constexpr double kNoAmount = std::numeric_limits<double>::quiet_NaN();

/// Where an amount was read: an index into the amount files' names and a line.
struct AmountLine {
  std::uint32_t file = 0;
  std::uint64_t line = 0;
};

/// Two amounts of one lead that the rules cannot order (the same time, both won or neither):
/// the larger is kept, and the warning names both lines.
struct AmountConflict {
  AmountLine kept, other;
  double kept_value, other_value;
};

/// A lead's deal value so far: the amount on its won row, else its latest non-empty amount.
struct LeadAmount {
  double value = kNoAmount;
  Timestamp time = kNoTime;
  bool won = false;
  AmountLine from;  ///< where `value` was read

  /// Takes the amount when the rules prefer it; returns the conflict when they cannot order
  /// the two and the amounts differ.
  std::optional<AmountConflict> offer(double amount, Timestamp t, bool won_row, AmountLine at) {
    if (won && !won_row) return std::nullopt;
    bool take = std::isnan(value) || (won_row && !won);
    std::optional<AmountConflict> conflict;
    if (!take) {
      // Later rows win; untimed rows lose to timed ones; equal times keep the larger amount,
      // so the row order never matters.
      if (t != kNoTime && (time == kNoTime || t > time)) {
        take = true;
      } else if (t == time && amount != value) {
        take = amount > value;
        conflict = take ? AmountConflict{at, from, amount, value} : AmountConflict{from, at, value, amount};
      }
    }
    if (take) {
      value = amount;
      time = t;
      won = won || won_row;
      from = at;
    }
    return conflict;
  }
};

/// The conflicting amounts: how many, and the first few for the warning.
struct AmountConflicts {
  static constexpr std::size_t kNamed = 3;
  std::uint64_t count = 0;
  std::vector<AmountConflict> first;
  void add(const std::optional<AmountConflict>& c) {
    if (!c) return;
    ++count;
    if (first.size() < kNamed) first.push_back(*c);
  }
};

/// An amount whose reading waits for its column's decimal mark ("1,234" read as thousands),
/// offered to its lead once the whole column is read. LeadAmount::offer does not depend on
/// the order of offers, so offering it last changes nothing else.
struct AmbiguousAmount {
  std::uint32_t lead;
  Timestamp time;
  double thousands;
  bool won_row;
  char separator;
  AmountLine at;
};

/// Rows on their way from the reader to the lead store. Ids are copied because a record's
/// memory is gone once the next record is read; a batch lets the store overlap its cache
/// misses, and lets reading and applying run on two threads.
class RowBatch {
 public:
  static constexpr std::size_t kRows = 4096;

  bool full() const { return rows_.size() == kRows; }
  bool empty() const { return rows_.empty(); }

  /// `ambiguous` (',' or '.') marks an amount read as thousands whose reading the column
  /// decides once it is read ("1,234"); 0 otherwise.
  void add(const RowEvidence& row, std::uint32_t segment, double amount = kNoAmount, bool won_row = false,
           char ambiguous = 0, AmountLine at = {}) {
    append_id(row.id);
    hashes_.push_back(LeadStore::hash(row.id));
    for (const Evidence& e : row.items) items_.push_back(e);  // one or a few: no memmove call
    rows_.push_back(Row{id_bytes_, items_.size(), row.touch, amount, segment, row.segment_empty, won_row, ambiguous});
    if (!std::isnan(amount)) amount_lines_.push_back(at);  // only rows with an amount: no cost without one
  }

  /// Segment labels first seen in this batch, in id order.
  std::vector<std::string> new_labels;

  /// Renumbers the rows' segments: a piece's own label numbers to the report's.
  void remap_segments(const std::vector<std::uint32_t>& to) {
    for (Row& row : rows_) row.segment = to[row.segment];
  }

  /// Applies the rows to the store; `labels` (may be null: no breakdown) receives the new
  /// labels, `amounts` each lead's amount, `ambiguous` the amounts the column decides later.
  void apply(LeadStore& store, std::vector<std::string>* labels, std::vector<LeadAmount>* amounts = nullptr,
             std::vector<AmbiguousAmount>* ambiguous = nullptr, AmountConflicts* conflicts = nullptr) {
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
    std::size_t item = 0, amount_line = 0;
    store.intern_each(views_.data(), hashes_.data(), n, [&](std::size_t i, std::uint32_t lead) {
      const Row& row = rows_[i];
      for (; item < row.item_end; ++item) store.add(lead, items_[item].stage, items_[item].time, items_[item].implied);
      if (labels != nullptr) store.touch(lead, row.segment, row.segment_empty, row.touch, *labels);
      if (amounts != nullptr && !std::isnan(row.amount)) {
        const AmountLine at = amount_lines_[amount_line++];
        if (row.ambiguous != 0 && ambiguous != nullptr) {
          ambiguous->push_back({lead, row.touch, row.amount, row.won_row, row.ambiguous, at});
        } else {
          if (amounts->size() <= lead) amounts->resize(std::size_t{lead} + 1);
          const auto conflict = (*amounts)[lead].offer(row.amount, row.touch, row.won_row, at);
          if (conflicts != nullptr) conflicts->add(conflict);
        }
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
    amount_lines_.clear();
  }

 private:
  struct Row {
    std::size_t id_end, item_end;  ///< ends of the row's id bytes and evidence
    Timestamp touch;
    double amount;
    std::uint32_t segment;
    bool segment_empty, won_row;
    char ambiguous;
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
  std::vector<AmountLine> amount_lines_;  ///< where each row with an amount was read, in row order
  std::vector<std::string_view> views_;
};

/// Emptied batches for the piece parsers. A batch made afresh for every 4,096 rows paged
/// its buffers in again each time (bench/RESULTS.md);
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

}  // namespace funnel::ingest_detail
