// Lead paths: per-lead state built from evidence as rows stream by (memory grows with leads,
// not rows), and the reconstruction of each lead's path through the stages at the end.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "funnel/timestamp.h"

namespace funnel {

/// How a lead counts as having reached a stage.
enum class CountMode {
  cumulative,  ///< reaching a later stage passes every earlier one
  ordered,     ///< stage k counts only if stages 1..k were entered in time order
};

/// Every lead seen, interned by id, with what its rows said so far.
///
/// Memory grows with leads, not rows: each lead is one record of 32-bit words (stage bits,
/// repeats and flags; the id, kept whole, packed or referred to; the latest row time and
/// the first-touch time and segment when the command needs them; the first entry time of
/// every stage: 36 bytes for five stages with a breakdown and ids like L000012345), so
/// finding and updating a lead touches one or two cache lines. A stage's latest entry time
/// differs from its first only for a lead that entered it again at another time (a few in a
/// hundred in CRM exports): those leads keep their last times in a side table. Times are
/// kept as seconds from 2000-01-01 in 32 bits; the rare time more than 68 years away goes
/// to an exact side table. The id table is open addressing of 4-byte slots that carry a
/// hash tag.
class LeadStore {
 public:
  /// What a record keeps besides the stage bits and first times. The segment (touch())
  /// only for a breakdown; the latest row time only for commands that print it (funnel
  /// leads, explain): without it last_activity() is known for leads with no lost row, the
  /// only ones whose status needs it.
  struct Keep {
    bool segments;
    bool activity;
  };
  explicit LeadStore(int stage_count, Keep keep = Keep{true, true});

  /// Room for about this many leads without regrowing (address space only until used).
  void reserve(std::size_t leads);
  /// Sizes the id table for at least this many leads, before the first is added: a big
  /// input then skips the regrowths of a table started small (each rehashes every id so
  /// far into a table paged in afresh). A table too big costs its pages, so ask low.
  void expect_leads(std::size_t leads);
  /// The lead's index, adding it on first sight.
  std::uint32_t intern(std::string_view id);
  /// The lead with this id, if any.
  std::optional<std::uint32_t> find(std::string_view id) const;
  /// Frees the id table once every id has been looked up (before the tables are tallied,
  /// which need memory of their own); intern() and find() then fail.
  void release_index();
  /// An id's hash and, for an id of a prefix of up to 8 bytes and 1 to 15 digits
  /// (L000012345, 51234567890), its digits: worked out by the thread that reads the rows,
  /// so the store neither hashes nor splits an id.
  struct HashedId {
    std::uint64_t hash;
    std::uint64_t digits;  ///< value << 4 | digit count; 0: the id does not split
  };
  /// The hash the id table uses (and the split it is made from).
  static HashedId hash(std::string_view id);
  /// The lead with this id and hash(), adding it on first sight.
  std::uint32_t intern_hashed(std::string_view id, HashedId hash);
  /// Interns ids[0..count) in order, each with its hash() already computed (by the thread
  /// that read the rows), and calls f(i, lead) right after each. The table slot of the id
  /// 16 rows ahead and the record of the one 8 rows ahead are prefetched meanwhile, so the
  /// cache misses of one id overlap the work on the others and f finds the record in
  /// cache. Same result as calling intern() in order.
  template <class F>
  void intern_each(const std::string_view* ids, const HashedId* hashes, std::size_t count, F&& f) {
    constexpr std::size_t kSlotAhead = 16, kRecordAhead = 8;
    if (count > 0) check_index();
    if (count_ == 0) fit_ids(ids, count);
    for (std::size_t i = 0; i < count && i < kSlotAhead; ++i) prefetch_slot(hashes[i].hash);
    for (std::size_t i = 0; i < count && i < kRecordAhead; ++i) prefetch_record(hashes[i].hash);
    for (std::size_t i = 0; i < count; ++i) {
      if (i + kSlotAhead < count) prefetch_slot(hashes[i + kSlotAhead].hash);
      if (i + kRecordAhead < count) prefetch_record(hashes[i + kRecordAhead].hash);
      f(i, lookup_or_add(ids[i], hashes[i]));
    }
  }
  /// intern_each() that writes the leads to `leads`.
  void intern_batch(const std::string_view* ids, const HashedId* hashes, std::size_t count, std::uint32_t* leads) {
    intern_each(ids, hashes, count, [leads](std::size_t i, std::uint32_t lead) { leads[i] = lead; });
  }
  /// Records that `lead` entered `stage` (or was lost, stage < 0) at `time` (may be kNoTime).
  /// `implied`: the row names a later stage and so says the lead passed this one, at no
  /// known time (a snapshot row); that enters the stage once and is never a repeat, and a row
  /// naming the stage afterwards is its first evidence, not a repeat either.
  void add(std::uint32_t lead, int stage, Timestamp time, bool implied = false);
  /// First touch: keeps the segment of the lead's earliest row whose segment cells are not
  /// empty (`empty` rows count only while the lead has no other); on a tie the label that
  /// sorts first in `labels` (indexed by segment) wins.
  void touch(std::uint32_t lead, std::uint32_t segment, bool empty, Timestamp time,
             const std::vector<std::string>& labels);

  /// Last touch instead: keep the segment of the latest row whose cells are not empty.
  void set_last_touch(bool last) { last_touch_ = last; }
  /// Moves a lead to another segment once every row is read (--recode folds two values
  /// into one, and --where columns are dropped from the key).
  void reassign_segment(std::uint32_t lead, std::uint32_t segment) { set_segment(lead, segment); }

  std::uint32_t size() const { return count_; }
  int stage_count() const { return stages_; }
  std::string id(std::uint32_t lead) const;
  /// Earliest known entry time of a stage, or kNoTime (never entered, or time unknown).
  Timestamp first(std::uint32_t lead, int stage) const;
  /// Latest known entry time of a stage, or kNoTime.
  Timestamp last(std::uint32_t lead, int stage) const;
  bool entered(std::uint32_t lead, int stage) const { return (seen(lead) >> stage) & 1u; }
  /// Bit k set: the lead entered stage k.
  std::uint32_t seen(std::uint32_t lead) const { return record(lead)[kSeen] & seen_mask_; }
  bool lost(std::uint32_t lead) const { return record(lead)[counts_at_] & kLostFlag; }
  /// The latest known time of any of the lead's rows, or kNoTime. Without Keep::activity,
  /// known only for a lead with no lost row (the latest of its stage times).
  Timestamp last_activity(std::uint32_t lead) const;
  /// Whether the latest row time is kept (Keep::activity): last_activity() is then one read.
  bool keeps_activity() const { return activity_at_ != 0; }
  /// first() and last() of every stage at once (kNoTime where unknown): one pass over the
  /// lead's record instead of one lookup per stage.
  void times(std::uint32_t lead, Timestamp* first, Timestamp* last) const;
  std::uint32_t segment(std::uint32_t lead) const {
    if (touch_at_ == 0) return 0;
    if (segment_shift_ == 0) return record(lead)[touch_at_ + 1];
    const std::uint32_t s = (record(lead)[counts_at_] >> segment_shift_) & kSegmentField;
    return s != kSegmentField ? s : segments_beyond_.at(lead);
  }
  /// Rows that repeated a stage the lead had already entered (saturates at 2^21 - 1 with
  /// up to 8 stages, else at 2^29 - 1).
  std::uint32_t repeats(std::uint32_t lead) const {
    const std::uint32_t in_word = (record(lead)[counts_at_] & repeat_mask_) >> repeat_shift_;
    if (in_word != repeat_mask_ >> repeat_shift_ || repeats_beyond_.empty()) return in_word;
    const auto more = repeats_beyond_.find(lead);
    return in_word + (more != repeats_beyond_.end() ? more->second : 0);
  }
  /// The latest known time of anything in the data, or kNoTime.
  Timestamp latest() const { return latest_; }
  /// Repeated stage rows at a time already recorded for that stage (or again without a
  /// time): exact duplicates, counted once in every metric.
  std::uint64_t exact_duplicates() const { return exact_duplicates_; }
  /// Repeated stage rows at another time: the first time counts, the row is a repeat.
  std::uint64_t conflicting_repeats() const { return conflicting_repeats_; }
  /// Bytes held for leads (records, id table, id bytes), for benchmarks.
  std::size_t memory_bytes() const;

 private:
  // A slot is (tag << bits_) | (lead + 1), 0 when empty: the top bits_ of the hash's high
  // half are the id's home slot, the next 32 - bits_ its tag, so most slots that are not
  // the id's are told apart without reading a record.
  std::size_t home_of(std::uint64_t hash) const { return static_cast<std::uint32_t>(hash >> 32) >> (32 - bits_); }
  std::uint32_t tag_of(std::uint64_t hash) const {
    return static_cast<std::uint32_t>(hash >> 32) & ((std::uint32_t{1} << (32 - bits_)) - 1);
  }
  std::uint32_t lead_in(std::uint32_t slot) const { return (slot & ((std::uint32_t{1} << bits_) - 1)) - 1; }
  void prefetch_slot(std::uint64_t hash) const { prefetch(&slots_[home_of(hash)]); }
  /// Prefetches the record of the first lead on the id's probe run (up to 8 slots, one cache
  /// line) whose tag matches: about a third of the ids at 60% load are not in their home slot.
  void prefetch_record(std::uint64_t hash) const {
    const std::size_t mask = slots_.size() - 1;
    const std::uint32_t tag = tag_of(hash);
    std::size_t at = home_of(hash);
    for (std::uint32_t slot = slots_[at], probes = 0; slot != 0 && probes < 8;
         slot = slots_[at = (at + 1) & mask], ++probes) {
      if ((slot >> bits_) == tag) {
        const std::uint32_t* r = record(lead_in(slot));
        prefetch(r);
        prefetch(r + stride_ - 1);
        return;
      }
    }
  }
  /// A prefetch the compiler keeps. g++ 12 at -O2 drops a __builtin_prefetch whose
  /// address was loaded under a condition: prefetch_record's were not in the binary at
  /// all, and the compare in slot_for waited for every record. On x86 it is therefore the
  /// instruction itself.
  static void prefetch(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
    asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
    __builtin_prefetch(p);
#endif
  }
  // Record words (32 bits each): the stage bits, then the repeat count and flags (in the
  // same word, above the stage bits, for up to 8 stages: counts_at_ is 0 then, else 1),
  // the id in id_words_ words at id_at_, then the optional words (activity; touch time
  // and, past 8 stages, segment) at activity_at_ and touch_at_ (0: not kept) and the first time of every
  // stage at first_at_. An id of up to 4 * id_words_ - 1 bytes is kept in the record (its length,
  // then its bytes, zero-padded), so looking a row's id up reads the record and nothing
  // else. A longer id made of a prefix of up to 8 bytes and 1 to 15 digits (L000012345,
  // 51234567890, OPP-1234: most CRM ids) is packed in 8 bytes: 0x10 + the prefix's index
  // in prefixes_, the digit count in 4 bits, the number in 52. Any other is marked 0xFF,
  // followed by its (offset << 16 | length) in id_bytes_ in seven bytes (length 0xFFFF: the
  // length is the 8 bytes at the offset, the id follows them). id_words_ (2 to
  // 4) is fitted to the ids of the first batch. An id has one form only: the form follows
  // from its bytes and the prefixes known, and a prefix is known before any id using it
  // is stored (or never, once 239 are).
  static constexpr std::size_t kSeen = 0;
  // The counts word: flags in the top three bits, the repeat count below from
  // repeat_shift_. With up to 8 stages and segments kept, the word is: stage bits 0-7,
  // segment 8-23 (65,535 and up: in segments_beyond_), repeats 24-28 (31 and up: the rest
  // in repeats_beyond_); so the segment needs no word of its own (36-byte records for the
  // bench files, not 40).
  static constexpr std::uint32_t kLostFlag = 1u << 31;
  static constexpr std::uint32_t kLabelledFlag = 1u << 30;  // the segment came from a non-empty row
  static constexpr std::uint32_t kLastsFlag = 1u << 29;     // a stage's last time differs: see lasts_
  static constexpr std::uint32_t kSegmentField = 0xFFFF;
  /// The most repeats counted for a lead (in the word and beyond it).
  std::uint32_t max_repeats() const {
    return segment_shift_ != 0 || repeat_shift_ != 0 ? (1u << 21) - 1 : (1u << 29) - 1;
  }
  /// Counts one more repeat for the lead, unless its count is saturated.
  void count_repeat(std::uint32_t lead, std::uint32_t& w) {
    if ((w & repeat_mask_) != repeat_mask_) {
      w += std::uint32_t{1} << repeat_shift_;
      return;
    }
    std::uint32_t& more = repeats_beyond_[lead];
    if ((repeat_mask_ >> repeat_shift_) + more < max_repeats()) ++more;
  }
  void set_segment(std::uint32_t lead, std::uint32_t segment) {
    if (segment_shift_ == 0) {
      record(lead)[touch_at_ + 1] = segment;
      return;
    }
    std::uint32_t& w = record(lead)[counts_at_];
    const std::uint32_t field = std::min(segment, kSegmentField);
    w = (w & ~(kSegmentField << segment_shift_)) | (field << segment_shift_);
    if (field == kSegmentField) {
      segments_beyond_[lead] = segment;
    } else if (!segments_beyond_.empty()) {
      segments_beyond_.erase(lead);
    }
  }
  std::uint32_t* record(std::uint32_t lead) { return records_.data() + std::size_t{lead} * stride_; }
  const std::uint32_t* record(std::uint32_t lead) const { return records_.data() + std::size_t{lead} * stride_; }
  std::uint64_t id_ref(std::uint32_t lead) const;
  /// The bytes of a long id (marked 0xFF) from its reference.
  std::string_view long_id(std::uint64_t ref) const;
  /// The id's bytes: in the record, in id_bytes_, or (packed) written to `buffer`, which
  /// has room for 24.
  std::string_view id_view(std::uint32_t lead, char* buffer) const;
  /// An id as the records hold it: its first 16 bytes (inline or packed) and the bytes of
  /// them that count, or a long id.
  struct IdKey {
    std::uint64_t low = 0, high = 0, high_mask = 0;
    bool long_form = false;
  };
  IdKey key_of(std::string_view id, std::uint64_t digits) const;
  /// The packed form of an id of these digits (HashedId::digits, not 0), if its prefix is known.
  /// 0 when it has none (a packed id's low byte is never 0).
  std::uint64_t pack(std::string_view id, std::uint64_t digits) const;
  /// pack(), learning the id's prefix when it is new (for an id being stored).
  std::uint64_t pack_learning(std::string_view id, std::uint64_t digits);
  /// hash(id) of a stored lead, from its packed digits when it has them.
  std::uint64_t hash_of(std::uint32_t lead) const;
  /// Throws unless the id table is there (see release_index()).
  void check_index() const;
  /// intern_hashed() without that check, once per row.
  std::uint32_t lookup_or_add(std::string_view id, HashedId hash);
  /// The slot holding this id, or the empty slot where it would go.
  std::size_t slot_for(std::string_view id, HashedId hash) const;
  bool has_id(std::uint32_t lead, std::string_view id, const IdKey& key) const;
  /// A stored 32-bit time word as a Timestamp; `far_key` finds it in far_ when it did not fit.
  Timestamp decode(std::uint32_t word, std::uint64_t far_key) const;
  std::uint32_t encode(Timestamp t, std::uint64_t far_key);
  std::uint64_t record_key(std::uint32_t lead, std::size_t word) const { return std::uint64_t{lead} * stride_ + word; }
  static std::uint64_t lasts_key(std::size_t at) { return (std::uint64_t{1} << 63) | at; }
  Timestamp get_time(std::uint32_t lead, std::size_t word) const {
    return decode(record(lead)[word], record_key(lead, word));
  }
  void set_time(std::uint32_t lead, std::size_t word, Timestamp t) {
    record(lead)[word] = encode(t, record_key(lead, word));
  }
  /// Where the lead's last times start in lasts_ (it has kLastsFlag).
  std::size_t lasts_of(std::uint32_t lead) const;
  /// Gives the lead last times, equal to its first times so far, and returns lasts_of().
  std::size_t add_lasts(std::uint32_t lead);
  std::uint32_t insert(std::string_view id, std::size_t slot, HashedId hash);
  void grow_table();

  int stages_;
  Keep keep_;
  std::uint64_t id_high_mask_ = ~std::uint64_t{0};  // the id's bytes among an inline id's second 8
  std::size_t counts_at_ = 1, id_at_ = 2, id_words_ = 4, activity_at_ = 0, touch_at_ = 0,
              first_at_ = 0;                    // record words
  std::uint32_t seen_mask_ = ~0u;               // the stage bits of word kSeen
  int repeat_shift_ = 0;                        // where the repeat count starts in the counts word
  std::uint32_t repeat_mask_ = kLastsFlag - 1;  // its bits, in place
  int segment_shift_ = 0;                       // where the segment is in the counts word; 0: in its own word
  std::unordered_map<std::uint32_t, std::uint32_t> repeats_beyond_;   // repeats past the word's field
  std::unordered_map<std::uint32_t, std::uint32_t> segments_beyond_;  // segments 65,535 and up
  std::size_t stride_ = 0;                                            // words per lead record
  /// Sets id_words_ and the offsets after it; before the first lead only.
  void lay_out(std::size_t id_words);
  /// Fits id_words_ to the longest of these ids (the first batch), before the first lead.
  void fit_ids(const std::string_view* ids, std::size_t count);
  std::uint32_t count_ = 0;
  std::string id_bytes_;                     // ids too long for the record and not packed, back to back
  std::vector<std::string> prefixes_;        // of packed ids
  std::vector<std::uint64_t> prefix_words_;  // their bytes, zero-padded to a word
  /// An array straight from mmap: zero until written, with transparent huge pages asked
  /// for (the id table and the records are read at random, and 2 MiB pages spare most TLB
  /// misses). It grows with mremap, which moves page mappings, not bytes: a store of
  /// unknown size (a pipe) never holds two copies of its records.
  template <class T>
  class MappedArray {
   public:
    MappedArray() = default;
    explicit MappedArray(std::size_t count) { extend(count); }
    ~MappedArray() { unmap(data_, capacity_ * sizeof(T)); }
    MappedArray(const MappedArray&) = delete;
    MappedArray& operator=(const MappedArray&) = delete;
    void swap(MappedArray& other) noexcept {
      std::swap(data_, other.data_);
      std::swap(size_, other.size_);
      std::swap(capacity_, other.capacity_);
    }
    T* data() { return data_; }
    const T* data() const { return data_; }
    T& operator[](std::size_t i) { return data_[i]; }
    const T& operator[](std::size_t i) const { return data_[i]; }
    const T* begin() const { return data_; }
    const T* end() const { return data_ + size_; }
    std::size_t size() const { return size_; }
    std::size_t capacity() const { return capacity_; }
    /// Room for at least `count` (address space until used).
    void reserve(std::size_t count);
    /// `count` more, zero.
    void extend(std::size_t count) {
      if (size_ + count > capacity_) reserve(std::max(size_ + count, capacity_ * 2));
      size_ += count;
    }

   private:
    static void unmap(void* data, std::size_t bytes);
    T* data_ = nullptr;
    std::size_t size_ = 0, capacity_ = 0;
  };

  int bits_ = 10;                     // slots_.size() == 1 << bits_
  MappedArray<std::uint32_t> slots_;  // see home_of()
  MappedArray<std::uint32_t> records_;
  std::vector<std::uint32_t> lasts_;  // the last time of every stage, for leads with kLastsFlag
  /// lead -> a number, for the few leads that have one: open addressing, at most half full
  /// (8 bytes a slot; a node-based map took about 40 a lead).
  class LeadIndex {
   public:
    LeadIndex() : slots_(16) {}
    void insert(std::uint32_t lead, std::uint32_t value);
    /// The lead's number; the lead must have one.
    std::uint32_t at(std::uint32_t lead) const;
    std::size_t bytes() const { return slots_.capacity() * sizeof(std::uint64_t); }

   private:
    std::size_t home(std::uint32_t lead) const { return (lead * 0x9E3779B1u) >> (32 - bits_); }
    std::vector<std::uint64_t> slots_;  // (lead + 1) << 32 | value; 0 = empty
    int bits_ = 4;
    std::size_t count_ = 0;
  };
  LeadIndex lasts_at_;                                // lead -> its row in lasts_
  std::unordered_map<std::uint64_t, Timestamp> far_;  // record_key or lasts_key -> time beyond 32 bits
  Timestamp latest_ = kNoTime;
  bool last_touch_ = false;
  std::uint64_t exact_duplicates_ = 0, conflicting_repeats_ = 0;
};

/// Status of a lead at the as-of time.
enum class LeadStatus { won, lost, stalled, open };
std::string_view status_name(LeadStatus s);

/// One lead's reconstructed path.
struct LeadPath {
  Timestamp first[32];        ///< first entry time per stage; kNoTime if unknown or not entered
  int furthest = -1;          ///< furthest stage reached under the count mode; -1: none
  Timestamp entry = kNoTime;  ///< earliest known stage time
  LeadStatus status = LeadStatus::open;
  int skipped = 0;             ///< stages below the furthest never entered
  bool regression = false;     ///< a later row for an earlier stage
  bool inversion = false;      ///< a later stage stamped before an earlier one
  bool lost_evidence = false;  ///< a lost row, whatever the outcome
  bool order_broken = false;   ///< ordered mode stopped before the furthest stage entered
  bool beyond_window = false;  ///< a stage was entered, but after the conversion window
  bool lost_by_inactivity = false;  ///< lost by --lost-after: no lost row, no activity for that long
};

/// Rebuilds a lead's path. `stale` is in seconds; a lead with no activity for longer than
/// that before `as_of` is stalled.
/// `window` (seconds, 0 = none): a stage counts only if entered within that long of the
/// lead's entry; a stage whose time is unknown counts.
/// `lost_after` (seconds, 0 = none): a lead not won, without lost evidence, whose last
/// activity is known and more than that before `as_of` is lost (lost_by_inactivity).
LeadPath reconstruct_path(const LeadStore& store, std::uint32_t lead, CountMode mode, Timestamp as_of,
                          std::int64_t stale, std::int64_t window = 0, std::int64_t lost_after = 0);

}  // namespace funnel
