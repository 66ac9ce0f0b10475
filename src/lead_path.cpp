#include "funnel/lead_path.h"

#include <bit>
#include <functional>

namespace funnel {
namespace {

constexpr Timestamp kUnsetFirst = std::numeric_limits<Timestamp>::max();
constexpr std::uint8_t kLost = 1;

std::uint64_t hash_id(std::string_view id) { return std::hash<std::string_view>{}(id); }

}  // namespace

LeadStore::LeadStore(int stage_count) : stages_(stage_count), slots_(1024, 0) {}

// A slot holds (tag << 32) | (lead + 1), 0 when empty. The tag is the hash's high half, so
// most probes are settled without touching the lead's id bytes.
namespace {
constexpr std::uint64_t slot_of(std::uint32_t tag, std::uint32_t lead) {
  return (static_cast<std::uint64_t>(tag) << 32) | (static_cast<std::uint64_t>(lead) + 1);
}
}  // namespace

std::string_view LeadStore::id(std::uint32_t lead) const {
  std::uint64_t begin = lead == 0 ? 0 : id_end_[lead - 1];
  return std::string_view(id_bytes_).substr(begin, id_end_[lead] - begin);
}

void LeadStore::grow_table() {
  std::vector<std::uint64_t> bigger(slots_.size() * 2, 0);
  std::size_t mask = bigger.size() - 1;
  for (std::uint64_t slot : slots_) {
    if (slot == 0) continue;
    auto lead = static_cast<std::uint32_t>(slot) - 1;
    std::size_t at = hash_id(id(lead)) & mask;
    while (bigger[at] != 0) at = (at + 1) & mask;
    bigger[at] = slot;
  }
  slots_.swap(bigger);
}

std::uint32_t LeadStore::intern(std::string_view id) {
  std::uint64_t h = hash_id(id);
  auto tag = static_cast<std::uint32_t>(h >> 32);
  std::size_t mask = slots_.size() - 1;
  std::size_t at = h & mask;
  while (std::uint64_t slot = slots_[at]) {
    if (static_cast<std::uint32_t>(slot >> 32) == tag) {
      auto lead = static_cast<std::uint32_t>(slot) - 1;
      if (this->id(lead) == id) return lead;
    }
    at = (at + 1) & mask;
  }
  auto lead = size();
  slots_[at] = slot_of(tag, lead);
  id_bytes_.append(id);
  id_end_.push_back(id_bytes_.size());
  first_.insert(first_.end(), static_cast<std::size_t>(stages_), kUnsetFirst);
  last_.insert(last_.end(), static_cast<std::size_t>(stages_), kNoTime);
  seen_.push_back(0);
  activity_.push_back(kNoTime);
  touch_time_.push_back(kUnsetFirst);
  segment_.push_back(0);
  repeats_.push_back(0);
  flags_.push_back(0);
  if (size() * 2 > slots_.size()) grow_table();
  return lead;
}

void LeadStore::add(std::uint32_t lead, int stage, Timestamp time) {
  if (time != kNoTime) {
    if (time > activity_[lead]) activity_[lead] = time;
    if (time > latest_) latest_ = time;
  }
  if (stage < 0) {
    flags_[lead] |= kLost;
    return;
  }
  std::uint32_t bit = 1u << stage;
  if (seen_[lead] & bit) ++repeats_[lead];
  seen_[lead] |= bit;
  if (time == kNoTime) return;
  std::size_t at = static_cast<std::size_t>(lead) * static_cast<std::size_t>(stages_) +
                   static_cast<std::size_t>(stage);
  if (time < first_[at]) first_[at] = time;
  if (time > last_[at]) last_[at] = time;
}

void LeadStore::touch(std::uint32_t lead, std::uint32_t segment, Timestamp time,
                      const std::vector<std::string>& labels) {
  Timestamp t = time == kNoTime ? kUnsetFirst - 1 : time;  // untimed rows lose to timed ones
  Timestamp& current = touch_time_[lead];
  if (t < current || (t == current && segment != segment_[lead] && labels[segment] < labels[segment_[lead]])) {
    current = t;
    segment_[lead] = segment;
  }
}

Timestamp LeadStore::first(std::uint32_t lead, int stage) const {
  Timestamp t = first_[static_cast<std::size_t>(lead) * static_cast<std::size_t>(stages_) +
                       static_cast<std::size_t>(stage)];
  return t == kUnsetFirst ? kNoTime : t;
}

Timestamp LeadStore::last(std::uint32_t lead, int stage) const {
  return last_[static_cast<std::size_t>(lead) * static_cast<std::size_t>(stages_) +
               static_cast<std::size_t>(stage)];
}

bool LeadStore::entered(std::uint32_t lead, int stage) const {
  return (seen_[lead] >> stage) & 1u;
}

bool LeadStore::lost(std::uint32_t lead) const { return flags_[lead] & kLost; }

std::string_view status_name(LeadStatus s) {
  switch (s) {
    case LeadStatus::won: return "won";
    case LeadStatus::lost: return "lost";
    case LeadStatus::stalled: return "stalled";
    case LeadStatus::open: return "open";
  }
  return "open";
}

LeadPath reconstruct_path(const LeadStore& store, std::uint32_t lead, CountMode mode,
                          Timestamp as_of, std::int64_t stale) {
  LeadPath path;
  const int n = store.stage_count();
  int cumulative = -1;
  for (int k = 0; k < n; ++k) {
    if (!store.entered(lead, k)) continue;
    cumulative = k;
    Timestamp first = store.first(lead, k);
    if (first != kNoTime && (path.entry == kNoTime || first < path.entry)) path.entry = first;
  }
  path.lost_evidence = store.lost(lead);
  if (cumulative < 0) return path;

  for (int k = 0; k < cumulative; ++k) path.skipped += !store.entered(lead, k);
  for (int j = 0; j < cumulative; ++j) {
    if (!store.entered(lead, j)) continue;
    for (int k = j + 1; k <= cumulative; ++k) {
      if (!store.entered(lead, k)) continue;
      Timestamp fj = store.first(lead, j), fk = store.first(lead, k), lj = store.last(lead, j);
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
      if (!store.entered(lead, k)) break;
      Timestamp first = store.first(lead, k);
      if (first != kNoTime && previous != kNoTime && first < previous) break;
      if (first != kNoTime) previous = first;
      reached = k;
    }
    path.order_broken = reached < cumulative;
    path.furthest = reached;
  }

  if (path.furthest == n - 1) {
    path.status = LeadStatus::won;
  } else if (path.lost_evidence) {
    path.status = LeadStatus::lost;
  } else {
    Timestamp active = store.last_activity(lead);
    bool stalled = active != kNoTime && as_of != kNoTime && as_of - active > stale;
    path.status = stalled ? LeadStatus::stalled : LeadStatus::open;
  }
  return path;
}

}  // namespace funnel
