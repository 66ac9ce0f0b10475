// --lookup and lookup inputs: a small table that adds attributes (a sector, a manager) to the
// leads' rows through a column it shares with them (account, sales_agent). Read whole before
// the evidence; its columns become usable in --by.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "funnel/events.h"
#include "funnel/input.h"

namespace funnel {

/// A lookup table: its rows by key cell.
class LookupTable {
 public:
  /// Reads `path`, keyed by its column `key`. A key on two rows throws
  /// funnel::Error(ExitCode::bad_value) naming both lines and --lookup-duplicates, unless
  /// `duplicates` says which row to keep (the others are counted and named).
  static LookupTable read(const std::string& path, const std::string& key, const ReadOptions& options,
                          LookupDuplicates duplicates);

  const std::string& file() const { return file_; }
  const std::vector<std::string>& header() const { return header_; }
  const std::string& key_name() const { return header_[static_cast<std::size_t>(key_)]; }
  /// The column named `name` (compared normalized), or -1.
  int column(std::string_view name) const;
  /// The cell of `column` on the row whose key is `key`; null when no row has that key.
  const std::string* find(std::string_view key, int column) const;

  std::uint64_t rows_read = 0;   ///< data rows of the file
  std::uint64_t rows_used = 0;   ///< rows whose key is kept
  std::uint64_t empty_keys = 0;  ///< rows with an empty key (reported)
  std::uint64_t duplicates = 0;  ///< rows whose key an earlier row had (reported; the kept one is named)
  std::vector<std::uint64_t> first_empty, first_duplicates;  ///< their first lines

 private:
  std::string file_;
  std::vector<std::string> header_;
  int key_ = -1;
  StringMap<std::uint32_t> rows_;
  std::vector<std::vector<std::string>> cells_;
};

}  // namespace funnel
