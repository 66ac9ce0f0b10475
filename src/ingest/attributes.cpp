#include "attributes.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace funnel::ingest_detail {

namespace {
constexpr std::uint32_t kUnset = 0xFFFFFFFF;  // a key whose segment is not known yet
}  // namespace

void settle_attributes(LeadData& data, LeadStore& store, const IngestOptions& options) {
  const std::vector<std::string>& by = options.columns.by;
  const std::vector<std::string>& extra = options.columns.attributes;
  const Recodes& recodes = options.recodes;
  if (extra.empty() && recodes.empty() && !options.lead_attributes) return;
  if (by.empty() && extra.empty()) return;  // nothing is read per lead: nothing to recode

  data.attribute_columns = by;
  data.attribute_columns.insert(data.attribute_columns.end(), extra.begin(), extra.end());
  const std::size_t columns = data.attribute_columns.size();
  std::vector<const Recoding*> recoding(columns, nullptr);
  std::vector<const Bucketing*> bucketing(columns, nullptr);
  std::vector<bool> amount_band(columns, false);
  for (std::size_t c = 0; c < columns; ++c) {
    const std::string& name = data.attribute_columns[c];
    if (auto it = recodes.recode.find(name); it != recodes.recode.end()) recoding[c] = &it->second;
    if (auto it = recodes.buckets.find(name); it != recodes.buckets.end()) bucketing[c] = &it->second;
    amount_band[c] = bucketing[c] != nullptr && c < by.size() && !options.amount.empty() && name == options.amount &&
                     !data.amounts.empty();
  }

  // Each key's values, recoded ("" for an empty cell: the key says "(none)").
  data.attribute_values.clear();
  data.attribute_values.reserve(data.segment_values.size());
  for (const auto& key : data.segment_values) {
    std::vector<std::string> values;
    for (std::size_t c = 0; c < columns; ++c) {
      std::string_view v = c < key.size() && key[c] != "(none)" ? std::string_view(key[c]) : std::string_view();
      if (recoding[c] != nullptr) v = recoding[c]->apply(v);
      values.emplace_back(v);
    }
    data.attribute_values.push_back(std::move(values));
  }

  // The --by values of each lead as its segment shows them: recoded, then bucketed.
  std::vector<std::string> labels;
  std::vector<std::vector<std::string>> segment_values;
  std::map<std::vector<std::string>, std::uint32_t> index;
  std::vector<std::uint32_t> by_key(data.attribute_values.size(), kUnset);  // keys without an amount band
  data.lead_attributes.assign(store.size(), 0);
  auto segment_of = [&](std::vector<std::string> values) {
    auto [it, added] = index.emplace(values, static_cast<std::uint32_t>(labels.size()));
    if (added) {
      labels.push_back(fmt::format("{}", fmt::join(values, " / ")));
      segment_values.push_back(std::move(values));
    }
    return it->second;
  };
  const bool per_lead = std::find(amount_band.begin(), amount_band.end(), true) != amount_band.end();
  for (std::uint32_t lead = 0; lead < store.size(); ++lead) {
    const std::uint32_t key = store.segment(lead);
    data.lead_attributes[lead] = key;
    if (by.empty()) continue;
    if (!per_lead && by_key[key] != kUnset) {
      store.reassign_segment(lead, by_key[key]);
      continue;
    }
    std::vector<std::string> values;
    for (std::size_t c = 0; c < by.size(); ++c) {
      const std::string& v = data.attribute_values[key][c];
      std::string shown = v;
      if (amount_band[c]) {
        const double amount = data.amounts[lead];
        shown = std::isnan(amount) ? std::string() : bucketing[c]->band(amount);
      } else if (bucketing[c] != nullptr) {
        shown = bucketing[c]->band(v, options.decimal);
      }
      values.push_back(shown.empty() ? "(none)" : std::move(shown));
    }
    const std::uint32_t segment = segment_of(std::move(values));
    if (!per_lead) by_key[key] = segment;
    store.reassign_segment(lead, segment);
  }
  data.labels = std::move(labels);
  data.segment_values = std::move(segment_values);
  if (by.empty()) data.segment_values.clear();
}

}  // namespace funnel::ingest_detail
