#include "funnel/lookup.h"

#include <fmt/format.h>

#include "funnel/csv.h"
#include "funnel/diagnostics.h"
#include "funnel/ingest.h"
#include "funnel/stage_model.h"
#include "funnel/text.h"

namespace funnel {

LookupTable LookupTable::read(const std::string& path, const std::string& key, const ReadOptions& options,
                              LookupDuplicates duplicates) {
  LookupTable t;
  RecordReader reader(path, nullptr, options);
  t.file_ = reader.name();
  if (reader.header().empty()) throw Error(ExitCode::no_data, fmt::format("{}: empty lookup: no header line", t.file_));
  t.header_ = reader.header();
  t.key_ = t.column(key);
  if (t.key_ < 0) {
    throw Error(ExitCode::schema, fmt::format("{}:1: lookup key '{}' is not a column of this file{}", t.file_, key,
                                              did_you_mean(key, t.header_)));
  }
  std::vector<std::uint64_t> line_of;  // each kept row's line
  Record record;
  while (reader.next(record)) {
    ++t.rows_read;
    std::string_view k = trim_blanks(record.fields[static_cast<std::size_t>(t.key_)]);
    if (k.empty()) {
      ++t.empty_keys;
      if (t.first_empty.size() < InputCounts::kNamedLines) t.first_empty.push_back(record.line);
      continue;
    }
    std::vector<std::string> cells;
    for (auto field : record.fields) cells.emplace_back(trim_blanks(field));
    auto [it, added] = t.rows_.try_emplace(std::string(k), static_cast<std::uint32_t>(t.cells_.size()));
    if (added) {
      t.cells_.push_back(std::move(cells));
      line_of.push_back(record.line);
      ++t.rows_used;
      continue;
    }
    if (duplicates == LookupDuplicates::error) {
      throw Error(ExitCode::bad_value,
                  fmt::format("{}:{}: lookup key {} is on line {} too: which row's values apply is ambiguous; "
                              "--lookup-duplicates first or last keeps one",
                              t.file_, record.line, quote_cell(k), line_of[it->second]));
    }
    ++t.duplicates;
    if (t.first_duplicates.size() < InputCounts::kNamedLines) t.first_duplicates.push_back(record.line);
    if (duplicates == LookupDuplicates::last) {
      t.cells_[it->second] = std::move(cells);
      line_of[it->second] = record.line;
    }
  }
  return t;
}

int LookupTable::column(std::string_view name) const {
  const std::string wanted = normalize_name(name);
  for (std::size_t i = 0; i < header_.size(); ++i) {
    if (normalize_name(header_[i]) == wanted) return static_cast<int>(i);
  }
  return -1;
}

const std::string* LookupTable::find(std::string_view key, int column) const {
  auto it = rows_.find(key);
  if (it == rows_.end()) return nullptr;
  const auto& row = cells_[it->second];
  static const std::string kEmpty;
  return static_cast<std::size_t>(column) < row.size() ? &row[static_cast<std::size_t>(column)] : &kEmpty;
}

}  // namespace funnel
