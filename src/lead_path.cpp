#include "funnel/lead_path.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <sys/mman.h>
#include <utility>

#include <fmt/format.h>

#include "funnel/diagnostics.h"

namespace funnel {
namespace {

constexpr Timestamp kUnsetFirst = std::numeric_limits<Timestamp>::max();
constexpr Timestamp kUntimed = kUnsetFirst - 1;  // first touch by a row without a time

constexpr unsigned char kLongId = 0xFF;
constexpr unsigned char kPacked = 0x10;  // + prefix index, up to 0xFE
constexpr std::size_t kMaxPrefixes = kLongId - kPacked, kMaxPrefix = 8, kMaxDigits = 15;

/// How many of the top bytes of w (the last bytes in memory) are ASCII digits.
unsigned trailing_digit_bytes(std::uint64_t w) {
  const std::uint64_t high = (w & 0xF0F0F0F0F0F0F0F0ULL) ^ 0x3030303030303030ULL;  // 0 where the high nibble is 3
  const std::uint64_t low =
      ((w & 0x0F0F0F0F0F0F0F0FULL) + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL;  // 0 where <= 9
  const std::uint64_t other = high | low;  // a byte that is not a digit is not 0
  return other == 0 ? 8 : static_cast<unsigned>(__builtin_clzll(other)) / 8;
}
/// The value of the top `count` bytes of w, which are digits, the first in the lowest.
std::uint64_t digits_value(std::uint64_t w, unsigned count) {
  const std::uint64_t below = count == 8 ? 0 : ~std::uint64_t{0} >> (8 * count);
  w = ((w & ~below) | (0x3030303030303030ULL & below)) - 0x3030303030303030ULL;  // leading zeros
  w = (w * 10 + (w >> 8)) & 0x00FF00FF00FF00FFULL;
  w = (w * 100 + (w >> 16)) & 0x0000FFFF0000FFFFULL;
  return (w * 10000 + (w >> 32)) & 0xFFFFFFFFULL;
}
/// An id's split into a prefix of up to 8 bytes and 1 to 15 trailing digits, as
/// value << 4 | digit count (HashedId::digits); 0 when it does not split.
std::uint64_t split_digits(std::string_view id) {
  // This runs for every row, on the reading threads: eight bytes at a time from the end
  // (two 64-bit loads for L000012345), then byte by byte.
  std::size_t n = id.size(), count = 0;
  std::uint64_t value = 0, scale = 1;
  if (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, id.data() + n - 8, 8);
    count = trailing_digit_bytes(w);
    value = digits_value(w, static_cast<unsigned>(count));
    if (count < 8) return count == 0 || n - count > kMaxPrefix ? 0 : (value << 4) | count;
    scale = 100000000;
    if (n >= 16) {
      std::memcpy(&w, id.data() + n - 16, 8);
      const unsigned more = trailing_digit_bytes(w);
      if (more == 8) return 0;  // 16 digits or more
      value += digits_value(w, more) * scale;
      count += more;
      return n - count > kMaxPrefix ? 0 : (value << 4) | count;
    }
  }
  for (; count < n; ++count, scale *= 10) {
    const unsigned digit = static_cast<unsigned char>(id[n - 1 - count]) - unsigned{'0'};
    if (digit > 9) break;
    if (count == kMaxDigits) return 0;
    value += digit * scale;
  }
  if (count == 0 || n - count > kMaxPrefix) return 0;
  return (value << 4) | count;
}
std::size_t digit_count(std::uint64_t digits) { return digits & 0xF; }
/// The prefix's bytes as one word, zero-padded; `id` starts with it.
std::uint64_t prefix_word(std::string_view id, std::size_t prefix) {
  std::uint64_t word = 0;
  if (id.size() >= 8) {  // one load, masked
    std::memcpy(&word, id.data(), 8);
    return prefix < 8 ? word & ((std::uint64_t{1} << (8 * prefix)) - 1) : word;
  }
  std::memcpy(&word, id.data(), prefix);
  return word;
}
std::uint64_t packed_id(std::size_t prefix, std::uint64_t digits) { return (digits << 8) | (kPacked + prefix); }
// A long id's reference holds its length in 16 bits; 0xFFFF says the length is the 8 bytes
// in front of the id's bytes instead, for ids of 64 KiB and more (any length works).
constexpr std::size_t kLengthAhead = 0xFFFF;

// 32-bit times: seconds from 2000-01-01T00:00:00Z, with four sentinels at the ends.
constexpr Timestamp kBase = 946684800;
constexpr std::int32_t kT32None = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t kT32Far = kT32None + 1;  // the exact value is in far_
constexpr std::int32_t kT32Unset = std::numeric_limits<std::int32_t>::max();
constexpr std::int32_t kT32Untimed = kT32Unset - 1;
// A stage's first time while the stage is only implied (a snapshot row at a later stage says
// the lead passed it, at no known time): read as unset; a row that names the stage later is
// its first evidence, not a repeat.
constexpr std::int32_t kT32Implied = kT32Untimed - 1;
constexpr Timestamp kT32Low = Timestamp{kT32Far} + 1, kT32High = Timestamp{kT32Implied} - 1;

__extension__ typedef unsigned __int128 u128;

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  u128 r = static_cast<u128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

/// A fast hash of short strings (wyhash's multiply-mix), eight bytes at a time.
std::uint64_t hash_id(std::string_view id) {
  constexpr std::uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL;
  const char* p = id.data();
  std::size_t n = id.size();
  std::uint64_t h = mix(n ^ k0, k1);
  for (; n >= 8; n -= 8, p += 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = mix(h ^ w, k0);
  }
  std::uint64_t w = 0;
  std::memcpy(&w, p, n);
  return mix(h ^ w ^ k1, k0 ^ (n << 56));
}

/// The hash of an id that splits: its prefix word and length, and its digits.
std::uint64_t hash_split(std::uint64_t prefix_word, std::size_t prefix, std::uint64_t digits) {
  constexpr std::uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL;
  return mix(mix(prefix_word ^ k0, (digits | (std::uint64_t{prefix} << 56)) ^ k1) ^ k1, k0);
}

/// The 16 bytes an id of up to 15 bytes has in a record (of which the record keeps as many
/// words as it has room for).
struct InlineId {
  std::uint64_t low = 0, high = 0;
  explicit InlineId(std::string_view id) {
    unsigned char bytes[16] = {};
    bytes[0] = static_cast<unsigned char>(id.size());
    std::memcpy(bytes + 1, id.data(), id.size());
    std::memcpy(&low, bytes, 8);
    std::memcpy(&high, bytes + 8, 8);
  }
};

/// Byte equality of two ids of length `n`, with two loads each for the common 8..16 bytes.
inline bool same_bytes(const char* a, const char* b, std::size_t n) {
  if (n >= 8 && n <= 16) {
    std::uint64_t a0, b0, a1, b1;
    std::memcpy(&a0, a, 8);
    std::memcpy(&b0, b, 8);
    std::memcpy(&a1, a + n - 8, 8);
    std::memcpy(&b1, b + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  return std::memcmp(a, b, n) == 0;
}

}  // namespace

LeadStore::LeadStore(int stage_count, Keep keep) : stages_(stage_count), keep_(keep), slots_(std::size_t{1} << bits_) {
  lay_out(4);
}

void LeadStore::lay_out(std::size_t id_words) {
  id_words_ = id_words;
  const bool shared = stages_ <= 8;  // the stage bits and counts share a word
  counts_at_ = shared ? 0 : 1;
  seen_mask_ = shared ? 0xFFu : ~0u;
  // With segments and up to 8 stages, the segment shares the counts word (see kSegmentField).
  segment_shift_ = shared && keep_.segments ? 8 : 0;
  repeat_shift_ = shared ? (segment_shift_ != 0 ? 24 : 8) : 0;
  repeat_mask_ = (kLastsFlag - 1) & ~((std::uint32_t{1} << repeat_shift_) - 1);
  id_at_ = counts_at_ + 1;
  id_high_mask_ = id_words == 4 ? ~std::uint64_t{0} : id_words == 3 ? 0xFFFFFFFFu : 0;
  std::size_t at = id_at_ + id_words;
  activity_at_ = keep_.activity ? at++ : 0;
  touch_at_ = keep_.segments ? std::exchange(at, at + (segment_shift_ != 0 ? 1 : 2)) : 0;
  first_at_ = at;
  // At least the id's 16 bytes from id_at_ on, which has_id() reads whatever id_words_ is.
  stride_ = std::max(first_at_ + static_cast<std::size_t>(stages_), id_at_ + 4);
}

void LeadStore::fit_ids(const std::string_view* ids, std::size_t count) {
  std::size_t longest = 0;  // of the ids that do not pack
  for (std::size_t i = 0; i < count; ++i) {
    if (ids[i].size() > 7 && !split_digits(ids[i])) longest = std::max(longest, ids[i].size());
  }
  // Room for the length byte and the bytes, or for a longer id's marker and reference.
  lay_out(longest <= 7 ? 2 : longest <= 11 ? 3 : 4);
}

namespace {
/// Asks for transparent huge pages over the page-aligned part of a big block.
void advise_huge(const void* data, std::size_t bytes) {
  constexpr std::uintptr_t page = 4096;
  auto begin = (reinterpret_cast<std::uintptr_t>(data) + page - 1) & ~(page - 1);
  auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(page - 1);
  if (end > begin + (std::uintptr_t{2} << 20)) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}
}  // namespace

template <class T>
void LeadStore::MappedArray<T>::unmap(void* data, std::size_t bytes) {
  if (data != nullptr) ::munmap(data, bytes);
}

template <class T>
void LeadStore::MappedArray<T>::reserve(std::size_t count) {
  constexpr std::size_t page = 4096;
  if (count <= capacity_) return;
  const std::size_t bytes = (count * sizeof(T) + page - 1) & ~(page - 1);
  void* p = data_ == nullptr
                ? ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
                : ::mremap(data_, capacity_ * sizeof(T), bytes, MREMAP_MAYMOVE);
  if (p == MAP_FAILED) throw std::bad_alloc();
  data_ = static_cast<T*>(p);
  capacity_ = bytes / sizeof(T);
  advise_huge(data_, bytes);
}

template class LeadStore::MappedArray<std::uint32_t>;

void LeadStore::reserve(std::size_t leads) {
  records_.reserve(leads * (first_at_ + static_cast<std::size_t>(stages_) + 2));  // address space only, until used
  id_bytes_.reserve(leads * 4);                                                   // ids too long for the record only
}

void LeadStore::expect_leads(std::size_t leads) {
  if (count_ != 0) return;
  int bits = bits_;
  while (bits < 30 && (std::size_t{7} << bits) / 10 < leads) ++bits;  // the load insert() allows
  if (bits == bits_) return;
  MappedArray<std::uint32_t> table(std::size_t{1} << bits);
  slots_.swap(table);
  bits_ = bits;
}

std::uint64_t LeadStore::id_ref(std::uint32_t lead) const {
  std::uint64_t head;
  std::memcpy(&head, record(lead) + id_at_, 8);
  return head >> 8;  // little-endian: the marker is the low byte
}

std::string_view LeadStore::long_id(std::uint64_t ref) const {
  std::size_t at = ref >> 16, length = ref & 0xFFFF;
  if (length == kLengthAhead) {
    std::uint64_t size;
    std::memcpy(&size, id_bytes_.data() + at, 8);
    at += 8;
    length = static_cast<std::size_t>(size);
  }
  return std::string_view(id_bytes_).substr(at, length);
}

std::string_view LeadStore::id_view(std::uint32_t lead, char* buffer) const {
  const auto* head = reinterpret_cast<const char*>(record(lead) + id_at_);
  const auto mark = static_cast<unsigned char>(head[0]);
  if (mark < kPacked) return std::string_view(head + 1, mark);
  const std::uint64_t ref = id_ref(lead);
  if (mark == kLongId) return long_id(ref);
  const std::string& prefix = prefixes_[mark - kPacked];
  const std::size_t count = ref & 0xF;
  std::memcpy(buffer, prefix.data(), prefix.size());
  std::uint64_t value = ref >> 4;
  for (std::size_t i = prefix.size() + count; i > prefix.size(); value /= 10)
    buffer[--i] = static_cast<char>('0' + value % 10);
  return std::string_view(buffer, prefix.size() + count);
}

std::string LeadStore::id(std::uint32_t lead) const {
  char buffer[24];
  return std::string(id_view(lead, buffer));
}

std::uint64_t LeadStore::pack(std::string_view id, std::uint64_t digits) const {
  const std::size_t prefix = id.size() - digit_count(digits);
  const std::uint64_t word = prefix_word(id, prefix);
  for (std::size_t i = 0; i < prefixes_.size(); ++i) {
    if (prefix_words_[i] == word && prefixes_[i].size() == prefix) return packed_id(i, digits);
  }
  return 0;
}

std::uint64_t LeadStore::pack_learning(std::string_view id, std::uint64_t digits) {
  if (digits == 0) return 0;
  if (auto packed = pack(id, digits)) return packed;
  if (prefixes_.size() == kMaxPrefixes) return 0;
  const std::size_t prefix = id.size() - digit_count(digits);
  prefixes_.emplace_back(id.substr(0, prefix));
  prefix_words_.push_back(prefix_word(id, prefix));
  return packed_id(prefixes_.size() - 1, digits);
}

LeadStore::HashedId LeadStore::hash(std::string_view id) {
  const std::uint64_t digits = split_digits(id);
  if (digits == 0) return {hash_id(id), 0};
  const std::size_t prefix = id.size() - digit_count(digits);
  return {hash_split(prefix_word(id, prefix), prefix, digits), digits};
}

std::uint64_t LeadStore::hash_of(std::uint32_t lead) const {
  std::uint64_t word;
  std::memcpy(&word, record(lead) + id_at_, 8);
  const auto marker = static_cast<unsigned char>(word);  // little-endian: the low byte
  if (marker >= kPacked && marker < kLongId) {
    const std::size_t prefix = marker - kPacked;
    return hash_split(prefix_words_[prefix], prefixes_[prefix].size(), word >> 8);
  }
  char buffer[24];
  return hash(id_view(lead, buffer)).hash;
}

LeadStore::IdKey LeadStore::key_of(std::string_view id, std::uint64_t digits) const {
  IdKey key;
  if (id.size() < 4 * id_words_) {
    InlineId bytes(id);
    key.low = bytes.low;
    key.high = bytes.high;
    key.high_mask = id_high_mask_;
  } else if (const std::uint64_t packed = digits != 0 ? pack(id, digits) : 0) {
    key.low = packed;
  } else {
    key.long_form = true;
  }
  return key;
}

bool LeadStore::has_id(std::uint32_t lead, std::string_view id, const IdKey& key) const {
  const std::uint32_t* r = record(lead);
  if (!key.long_form) {
    // Both halves are read whole; the words past the id's (other fields) are masked off.
    std::uint64_t low, high;
    std::memcpy(&low, r + id_at_, 8);
    std::memcpy(&high, r + id_at_ + 2, 8);
    return ((low ^ key.low) | ((high ^ key.high) & key.high_mask)) == 0;
  }
  if (*reinterpret_cast<const unsigned char*>(r + id_at_) != kLongId) return false;
  std::uint64_t ref = id_ref(lead);
  if ((ref & 0xFFFF) != kLengthAhead) {
    return (ref & 0xFFFF) == id.size() && same_bytes(id_bytes_.data() + (ref >> 16), id.data(), id.size());
  }
  const std::string_view stored = long_id(ref);
  return stored.size() == id.size() && same_bytes(stored.data(), id.data(), id.size());
}

std::size_t LeadStore::memory_bytes() const {
  return id_bytes_.capacity() + slots_.size() * 4 + records_.capacity() * 4 + lasts_.capacity() * 4 + lasts_at_.bytes();
}

Timestamp LeadStore::decode(std::uint32_t word, std::uint64_t far_key) const {
  auto v = static_cast<std::int32_t>(word);
  switch (v) {
    case kT32None: return kNoTime;
    case kT32Unset:
    case kT32Implied: return kUnsetFirst;
    case kT32Untimed: return kUntimed;
    case kT32Far: return far_.at(far_key);
    default: return kBase + v;
  }
}

std::uint32_t LeadStore::encode(Timestamp t, std::uint64_t far_key) {
  std::int32_t v;
  if (t == kNoTime) {
    v = kT32None;
  } else if (t == kUnsetFirst) {
    v = kT32Unset;
  } else if (t == kUntimed) {
    v = kT32Untimed;
  } else if (t - kBase >= kT32Low && t - kBase <= kT32High) {
    v = static_cast<std::int32_t>(t - kBase);
  } else {
    v = kT32Far;
    far_[far_key] = t;
  }
  return static_cast<std::uint32_t>(v);
}

void LeadStore::LeadIndex::insert(std::uint32_t lead, std::uint32_t value) {
  if (2 * (count_ + 1) > slots_.size()) {
    std::vector<std::uint64_t> old(slots_.size() * 2);
    old.swap(slots_);
    ++bits_;
    count_ = 0;
    for (std::uint64_t slot : old) {
      if (slot != 0) insert(static_cast<std::uint32_t>(slot >> 32) - 1, static_cast<std::uint32_t>(slot));
    }
  }
  const std::size_t mask = slots_.size() - 1;
  std::size_t at = home(lead);
  while (slots_[at] != 0) at = (at + 1) & mask;
  slots_[at] = ((std::uint64_t{lead} + 1) << 32) | value;
  ++count_;
}

std::uint32_t LeadStore::LeadIndex::at(std::uint32_t lead) const {
  const std::size_t mask = slots_.size() - 1;
  const std::uint64_t key = std::uint64_t{lead} + 1;
  for (std::size_t at = home(lead);; at = (at + 1) & mask) {
    if (slots_[at] >> 32 == key) return static_cast<std::uint32_t>(slots_[at]);
    if (slots_[at] == 0) throw Error(ExitCode::internal, "a lead without last times was asked for them");
  }
}

std::size_t LeadStore::lasts_of(std::uint32_t lead) const {
  return std::size_t{lasts_at_.at(lead)} * static_cast<std::size_t>(stages_);
}

std::size_t LeadStore::add_lasts(std::uint32_t lead) {
  const std::size_t at = lasts_.size();
  lasts_at_.insert(lead, static_cast<std::uint32_t>(at / static_cast<std::size_t>(stages_)));
  record(lead)[counts_at_] |= kLastsFlag;
  for (std::size_t k = 0; k < static_cast<std::size_t>(stages_); ++k) {
    const std::uint32_t first = record(lead)[first_at_ + k];
    const auto v = static_cast<std::int32_t>(first);
    lasts_.push_back(v == kT32Unset || v == kT32Implied ? static_cast<std::uint32_t>(kT32None) : first);
    if (v == kT32Far) far_[lasts_key(at + k)] = far_.at(record_key(lead, first_at_ + k));
  }
  return at;
}

void LeadStore::grow_table() {
  if (bits_ >= 31) throw Error(ExitCode::bad_value, "more than a billion leads");
  // The slots keep too few bits of the hash to find their new home: the ids are hashed
  // again, reading the records in order.
  MappedArray<std::uint32_t> bigger(slots_.size() * 2);
  ++bits_;
  const std::size_t mask = bigger.size() - 1;
  // The homes are at random: each is prefetched 16 leads ahead, so the misses overlap.
  constexpr std::uint32_t kAhead = 16;
  std::uint64_t ahead[kAhead];
  for (std::uint32_t lead = 0; lead < count_ + kAhead; ++lead) {
    std::uint64_t& hash = ahead[lead % kAhead];
    if (lead >= kAhead) {  // the lead kAhead back, whose home is in cache by now
      std::size_t at = home_of(hash);
      while (bigger[at] != 0) at = (at + 1) & mask;
      bigger[at] = (tag_of(hash) << bits_) | (lead - kAhead + 1);
    }
    if (lead < count_) {
      hash = hash_of(lead);
      __builtin_prefetch(&bigger[home_of(hash)], 1);  // kept: its address is not loaded
    }
  }
  slots_.swap(bigger);
}

std::uint32_t LeadStore::insert(std::string_view id, std::size_t slot, HashedId hash) {
  std::uint32_t lead = count_++;
  slots_[slot] = (tag_of(hash.hash) << bits_) | (lead + 1);
  if (records_.capacity() == 0) records_.reserve(stride_ << 16);  // an input of unknown size: 64K leads, then doubling
  records_.extend(stride_);
  std::uint32_t* r = record(lead);
  if (id.size() < 4 * id_words_) {
    InlineId key(id);
    unsigned char bytes[16];
    std::memcpy(bytes, &key.low, 8);
    std::memcpy(bytes + 8, &key.high, 8);
    std::memcpy(r + id_at_, bytes, 4 * id_words_);
  } else if (const std::uint64_t packed = pack_learning(id, hash.digits)) {
    std::memcpy(r + id_at_, &packed, 8);
  } else {
    if (id_bytes_.size() >> 40) throw Error(ExitCode::bad_value, "lead ids of more than a terabyte in all");
    const std::uint64_t length = std::min<std::uint64_t>(id.size(), kLengthAhead);
    const std::uint64_t head = (((std::uint64_t{id_bytes_.size()} << 16) | length) << 8) | kLongId;
    if (length == kLengthAhead) {
      const std::uint64_t size = id.size();
      id_bytes_.append(reinterpret_cast<const char*>(&size), 8);
    }
    id_bytes_.append(id);
    std::memcpy(r + id_at_, &head, 8);
  }
  if (activity_at_ != 0) r[activity_at_] = static_cast<std::uint32_t>(kT32None);
  if (touch_at_ != 0) r[touch_at_] = static_cast<std::uint32_t>(kT32Unset);
  for (std::size_t k = 0; k < static_cast<std::size_t>(stages_); ++k)
    r[first_at_ + k] = static_cast<std::uint32_t>(kT32Unset);
  // Up to 70% full: linear probing with tags of 32 - bits_ bits stays short (a tag matches
  // another id's in one probe of 256 at 10M leads), and 10M leads fit 2^24 slots (64 MiB).
  if (std::size_t{count_} * 10 > slots_.size() * 7) grow_table();
  return lead;
}

std::uint32_t LeadStore::intern(std::string_view id) { return intern_hashed(id, hash(id)); }

std::size_t LeadStore::slot_for(std::string_view id, HashedId hash) const {
  const std::uint32_t tag = tag_of(hash.hash);
  const std::size_t mask = slots_.size() - 1;
  std::size_t at = home_of(hash.hash);
  std::uint32_t slot = slots_[at];
  if (slot == 0) return at;  // a new id: its form is not needed
  const IdKey key = key_of(id, hash.digits);
  for (; slot != 0; at = (at + 1) & mask, slot = slots_[at]) {
    if ((slot >> bits_) == tag && has_id(lead_in(slot), id, key)) break;
  }
  return at;
}

void LeadStore::release_index() {
  MappedArray<std::uint32_t> none;
  slots_.swap(none);
}

void LeadStore::check_index() const {
  if (slots_.size() == 0) throw Error(ExitCode::internal, "a lead was looked up after the id table was freed");
}

std::optional<std::uint32_t> LeadStore::find(std::string_view id) const {
  check_index();
  const std::uint32_t slot = slots_[slot_for(id, hash(id))];
  if (slot == 0) return std::nullopt;
  return lead_in(slot);
}

std::uint32_t LeadStore::intern_hashed(std::string_view id, HashedId hash) {
  check_index();
  return lookup_or_add(id, hash);
}

std::uint32_t LeadStore::lookup_or_add(std::string_view id, HashedId hash) {
  const std::size_t at = slot_for(id, hash);
  const std::uint32_t slot = slots_[at];
  return slot != 0 ? lead_in(slot) : insert(id, at, hash);
}

void LeadStore::add(std::uint32_t lead, int stage, Timestamp time, bool implied) {
  std::uint32_t* r = record(lead);
  if (implied) {
    // No time and no row of its own: it enters the stage once, and is never a repeat.
    const std::uint32_t bit = 1u << stage;
    if (stage >= 0 && !(r[kSeen] & bit)) {
      r[kSeen] |= bit;
      r[first_at_ + static_cast<std::size_t>(stage)] = static_cast<std::uint32_t>(kT32Implied);
    }
    return;
  }
  if (far_.empty() && time != kNoTime && time - kBase >= kT32Low && time - kBase <= kT32High) {
    // Every stored time is a plain 32-bit value or a sentinel that orders correctly (none is
    // the smallest, unset the largest), so the words compare as they are.
    const auto v = static_cast<std::int32_t>(time - kBase);
    if (activity_at_ != 0 && v > static_cast<std::int32_t>(r[activity_at_]))
      r[activity_at_] = static_cast<std::uint32_t>(v);
    if (time > latest_) latest_ = time;
    if (stage < 0) {
      r[counts_at_] |= kLostFlag;
      return;
    }
    const std::uint32_t bit = 1u << stage;
    std::uint32_t& first = r[first_at_ + static_cast<std::size_t>(stage)];
    const auto f = static_cast<std::int32_t>(first);
    bool has_lasts = r[counts_at_] & kLastsFlag;
    if (!(r[kSeen] & bit) || f == kT32Implied) {
      r[kSeen] |= bit;
      first = static_cast<std::uint32_t>(v);
      if (has_lasts) lasts_[lasts_of(lead) + static_cast<std::size_t>(stage)] = static_cast<std::uint32_t>(v);
      return;
    }
    count_repeat(lead, r[counts_at_]);
    if (!has_lasts) {
      // The last time equals the first while every timed row of the stage had that time.
      if (v == f) {
        ++exact_duplicates_;
        return;
      }
      ++conflicting_repeats_;
      if (f == kT32Unset) {
        first = static_cast<std::uint32_t>(v);
        return;
      }
      std::uint32_t& last = lasts_[add_lasts(lead) + static_cast<std::size_t>(stage)];
      if (v < f) first = static_cast<std::uint32_t>(v);
      if (v > f) last = static_cast<std::uint32_t>(v);
      return;
    }
    std::uint32_t& last = lasts_[lasts_of(lead) + static_cast<std::size_t>(stage)];
    const auto l = static_cast<std::int32_t>(last);
    ++(v == f || v == l ? exact_duplicates_ : conflicting_repeats_);
    if (v < f) first = static_cast<std::uint32_t>(v);
    if (v > l) last = static_cast<std::uint32_t>(v);
    return;
  }
  if (time != kNoTime) {
    if (activity_at_ != 0 && time > get_time(lead, activity_at_)) set_time(lead, activity_at_, time);
    if (time > latest_) latest_ = time;
  }
  if (stage < 0) {
    r[counts_at_] |= kLostFlag;
    return;
  }
  const std::uint32_t bit = 1u << stage;
  const std::size_t first = first_at_ + static_cast<std::size_t>(stage);
  if (static_cast<std::int32_t>(r[first]) == kT32Implied) {
    // The stage was only implied so far: this row is its first evidence.
    r[first] = static_cast<std::uint32_t>(kT32Unset);
    r[kSeen] &= ~bit;
  }
  const Timestamp f = get_time(lead, first);
  const bool has_lasts = r[counts_at_] & kLastsFlag;
  const Timestamp l = has_lasts ? last(lead, stage) : f == kUnsetFirst ? kNoTime : f;
  if (r[kSeen] & bit) {
    count_repeat(lead, r[counts_at_]);
    // Same stage at a time already recorded (or again without a time): an exact duplicate.
    bool exact = time == kNoTime ? f == kUnsetFirst : (time == f || time == l);
    ++(exact ? exact_duplicates_ : conflicting_repeats_);
  }
  r[kSeen] |= bit;
  if (time == kNoTime || (time >= f && time <= l)) return;
  // A second distinct time for the stage: from now on the lead keeps its last times apart.
  const bool needs_lasts = has_lasts || (f != kUnsetFirst && time != f);
  const std::size_t lasts = needs_lasts ? (has_lasts ? lasts_of(lead) : add_lasts(lead)) : 0;
  if (time < f) set_time(lead, first, time);
  if (needs_lasts && time > l) {
    const std::size_t at = lasts + static_cast<std::size_t>(stage);
    lasts_[at] = encode(time, lasts_key(at));
  }
}

void LeadStore::touch(std::uint32_t lead, std::uint32_t segment, bool empty, Timestamp time,
                      const std::vector<std::string>& labels) {
  if (touch_at_ == 0) throw Error(ExitCode::internal, "a lead store without segments was given one");
  std::uint32_t& counts = record(lead)[counts_at_];
  bool labelled = counts & kLabelledFlag;
  if (empty && labelled) return;  // an empty cell never replaces a value
  // Untimed rows lose to timed ones. Last touch keeps the latest row: its time is mirrored
  // around 2000-01-01 so that "earliest" picks it, and the mirror still fits 32 bits.
  Timestamp t = time == kNoTime ? kUntimed : last_touch_ ? 2 * kBase - time : time;
  const std::uint32_t current_segment = this->segment(lead);
  auto take = [&](bool earlier) {
    if (!earlier && (empty || labelled)) return false;
    if (segment != current_segment) set_segment(lead, segment);
    if (!empty) counts |= kLabelledFlag;
    return true;
  };
  if (far_.empty() && t - kBase >= kT32Low && t - kBase <= kT32High) {
    // Every row with a time: the stored words compare as they are (as in add()).
    std::uint32_t& word = record(lead)[touch_at_];
    const auto v = static_cast<std::int32_t>(t - kBase), current = static_cast<std::int32_t>(word);
    if (take(v < current ||
             (v == current && segment != current_segment && labels[segment] < labels[current_segment]))) {
      word = static_cast<std::uint32_t>(v);
    }
    return;
  }
  Timestamp current = get_time(lead, touch_at_);
  if (take(t < current || (t == current && segment != current_segment && labels[segment] < labels[current_segment]))) {
    set_time(lead, touch_at_, t);
  }
}

Timestamp LeadStore::first(std::uint32_t lead, int stage) const {
  Timestamp t = get_time(lead, first_at_ + static_cast<std::size_t>(stage));
  return t == kUnsetFirst ? kNoTime : t;
}

Timestamp LeadStore::last(std::uint32_t lead, int stage) const {
  if (!(record(lead)[counts_at_] & kLastsFlag)) return first(lead, stage);
  const std::size_t at = lasts_of(lead) + static_cast<std::size_t>(stage);
  return decode(lasts_[at], lasts_key(at));
}

void LeadStore::times(std::uint32_t lead, Timestamp* first, Timestamp* last) const {
  const std::uint32_t* r = record(lead);
  const auto n = static_cast<std::size_t>(stages_);
  auto time = [this](std::uint32_t word, std::uint64_t far_key) {
    auto v = static_cast<std::int32_t>(word);
    return v == kT32None || v == kT32Unset || v == kT32Implied ? kNoTime : v == kT32Far ? far_.at(far_key) : kBase + v;
  };
  for (std::size_t k = 0; k < n; ++k) first[k] = time(r[first_at_ + k], record_key(lead, first_at_ + k));
  if (!(r[counts_at_] & kLastsFlag)) {
    std::copy(first, first + n, last);
    return;
  }
  const std::size_t lasts = lasts_of(lead);
  for (std::size_t k = 0; k < n; ++k) last[k] = time(lasts_[lasts + k], lasts_key(lasts + k));
}

Timestamp LeadStore::last_activity(std::uint32_t lead) const {
  if (activity_at_ != 0) return get_time(lead, activity_at_);
  if (lost(lead)) throw Error(ExitCode::internal, "the last activity of a lost lead was not kept");
  Timestamp latest = kNoTime;
  for (int k = 0; k < stages_; ++k) latest = std::max(latest, last(lead, k));
  return latest;
}

std::string_view status_name(LeadStatus s) {
  switch (s) {
    case LeadStatus::won: return "won";
    case LeadStatus::lost: return "lost";
    case LeadStatus::stalled: return "stalled";
    case LeadStatus::open: return "open";
  }
  return "open";
}

LeadPath reconstruct_path(const LeadStore& store, std::uint32_t lead, CountMode mode, Timestamp as_of,
                          std::int64_t stale, std::int64_t window, std::int64_t lost_after) {
  LeadPath path;
  const int n = store.stage_count();
  Timestamp last[32];
  store.times(lead, path.first, last);
  const std::uint32_t seen = store.seen(lead);
  auto entered = [seen](int k) { return (seen >> k) & 1u; };
  int cumulative = -1;
  for (int k = 0; k < n; ++k) {
    if (!entered(k)) continue;
    cumulative = k;
    Timestamp first = path.first[k];
    if (first != kNoTime && (path.entry == kNoTime || first < path.entry)) path.entry = first;
  }
  path.lost_evidence = store.lost(lead);
  if (cumulative < 0) return path;

  for (int k = 0; k < cumulative; ++k) path.skipped += !entered(k);
  for (int j = 0; j < cumulative; ++j) {
    if (!entered(j)) continue;
    for (int k = j + 1; k <= cumulative; ++k) {
      if (!entered(k)) continue;
      Timestamp fj = path.first[j], fk = path.first[k], lj = last[j];
      if (fj != kNoTime && fk != kNoTime && fk < fj) path.inversion = true;
      if (lj != kNoTime && fk != kNoTime && lj > fk) path.regression = true;
    }
  }

  path.furthest = cumulative;
  if (mode == CountMode::ordered) {
    // Walk the stages in order; a missing stage or one stamped before its predecessor stops.
    int reached = -1;
    Timestamp previous = kNoTime;
    for (int k = 0; k <= cumulative; ++k) {
      if (!entered(k)) break;
      Timestamp first = path.first[k];
      if (first != kNoTime && previous != kNoTime && first < previous) break;
      if (first != kNoTime) previous = first;
      reached = k;
    }
    path.order_broken = reached < cumulative;
    path.furthest = reached;
  }
  if (window > 0 && path.entry != kNoTime) {
    // Measured from the funnel entry (step 1), as PostHog, Mixpanel and ClickHouse do.
    int within = -1;
    for (int k = 0; k <= path.furthest; ++k) {
      if (!entered(k)) continue;
      Timestamp first = path.first[k];
      if (first == kNoTime || first - path.entry <= window) within = k;
    }
    path.beyond_window = within < path.furthest;
    path.furthest = within;
  }

  if (path.furthest == n - 1) {
    path.status = LeadStatus::won;
  } else if (path.lost_evidence) {
    path.status = LeadStatus::lost;
  } else {
    // Without a kept activity time, the latest stage time: from the times read above.
    Timestamp active = kNoTime;
    if (store.keeps_activity()) {
      active = store.last_activity(lead);
    } else {
      for (int k = 0; k < n; ++k) active = std::max(active, last[k]);
    }
    const bool timed = active != kNoTime && as_of != kNoTime;
    if (timed && lost_after > 0 && as_of - active > lost_after) {
      path.status = LeadStatus::lost;
      path.lost_by_inactivity = true;
    } else {
      path.status = timed && as_of - active > stale ? LeadStatus::stalled : LeadStatus::open;
    }
  }
  return path;
}

}  // namespace funnel
