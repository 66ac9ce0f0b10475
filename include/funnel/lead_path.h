// Lead paths: per-lead state built from evidence as rows stream by (memory grows with leads,
// not rows), and the reconstruction of each lead's path through the stages at the end.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "funnel/timestamp.h"

namespace funnel {

/// How a lead counts as having reached a stage.
enum class CountMode {
  cumulative,  ///< reaching a later stage passes every earlier one
  ordered,     ///< stage k counts only if stages 1..k were entered in time order
};

/// Every lead seen, interned by id, with what its rows said so far.
class LeadStore {
 public:
  explicit LeadStore(int stage_count);

  /// The lead's index, adding it on first sight.
  std::uint32_t intern(std::string_view id);
  /// Records that `lead` entered `stage` (or was lost, stage < 0) at `time` (may be kNoTime).
  void add(std::uint32_t lead, int stage, Timestamp time);
  /// First touch: keeps the segment of the lead's earliest row; on a tie the label that
  /// sorts first in `labels` (indexed by segment) wins.
  void touch(std::uint32_t lead, std::uint32_t segment, Timestamp time,
             const std::vector<std::string>& labels);

  std::uint32_t size() const { return static_cast<std::uint32_t>(flags_.size()); }
  int stage_count() const { return stages_; }
  std::string_view id(std::uint32_t lead) const;
  /// Earliest known entry time of a stage, or kNoTime (never entered, or time unknown).
  Timestamp first(std::uint32_t lead, int stage) const;
  /// Latest known entry time of a stage, or kNoTime.
  Timestamp last(std::uint32_t lead, int stage) const;
  bool entered(std::uint32_t lead, int stage) const;
  bool lost(std::uint32_t lead) const;
  /// The latest known time of any of the lead's rows, or kNoTime.
  Timestamp last_activity(std::uint32_t lead) const { return activity_[lead]; }
  std::uint32_t segment(std::uint32_t lead) const { return segment_[lead]; }
  /// Rows that repeated a stage the lead had already entered.
  std::uint32_t repeats(std::uint32_t lead) const { return repeats_[lead]; }
  /// The latest known time of anything in the data, or kNoTime.
  Timestamp latest() const { return latest_; }

 private:
  void grow_table();

  int stages_;
  // Lead ids, back to back, and the open-addressing table over them.
  std::string id_bytes_;
  std::vector<std::uint64_t> id_end_;
  std::vector<std::uint64_t> slots_;
  // Per lead (struct of arrays).
  std::vector<Timestamp> first_, last_;  // stages_ per lead
  std::vector<std::uint32_t> seen_;      // bit k: stage k entered
  std::vector<Timestamp> activity_, touch_time_;
  std::vector<std::uint32_t> segment_, repeats_;
  std::vector<std::uint8_t> flags_;
  Timestamp latest_ = kNoTime;
};

/// Status of a lead at the as-of time.
enum class LeadStatus { won, lost, stalled, open };
std::string_view status_name(LeadStatus s);

/// One lead's reconstructed path.
struct LeadPath {
  int furthest = -1;            ///< furthest stage reached under the count mode; -1: none
  Timestamp entry = kNoTime;    ///< earliest known stage time
  LeadStatus status = LeadStatus::open;
  int skipped = 0;              ///< stages below the furthest never entered
  bool regression = false;      ///< a later row for an earlier stage
  bool inversion = false;       ///< a later stage stamped before an earlier one
  bool lost_evidence = false;   ///< a lost row, whatever the outcome
  bool order_broken = false;    ///< ordered mode stopped before the furthest stage entered
};

/// Rebuilds a lead's path. `stale` is in seconds; a lead with no activity for longer than
/// that before `as_of` is stalled.
LeadPath reconstruct_path(const LeadStore& store, std::uint32_t lead, CountMode mode,
                          Timestamp as_of, std::int64_t stale);

}  // namespace funnel
