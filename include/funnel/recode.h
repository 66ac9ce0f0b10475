// --recode and --bucket: a lead attribute's value as --by and --where see it. Recoding folds
// blanks and spellings into one value ("" -> unknown; "Paid Search", paid_search -> paid
// search); a bucket turns a number into its band (0-1000, 1000-10000, >=10000).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "funnel/money.h"

namespace funnel {

/// One column's recoding: rules tried in order, the first whose values hold the value wins.
struct Recoding {
  struct Rule {
    std::vector<std::string> from;  ///< the values, as written ("" for an empty cell)
    bool any = false;               ///< `*`: every value no earlier rule took
    std::string to;
  };
  std::vector<Rule> rules;
  /// The value recoded; a value no rule takes stays as it is.
  std::string_view apply(std::string_view value) const;
};

/// Numeric bands of one column: [edge[i], edge[i+1]), below the first, at or above the last.
struct Bucketing {
  std::vector<double> edges;  ///< ascending
  /// The band of a cell: "<0", "0-1000", ">=10000"; "" for an empty cell; "(not a number)"
  /// for other text. Cells are read as --amount reads them (currency, grouping).
  std::string band(std::string_view cell, DecimalMark decimal) const;
  /// The band of a number.
  std::string band(double value) const;
};

/// What --recode and --bucket say, by column.
struct Recodes {
  std::map<std::string, Recoding> recode;
  std::map<std::string, Bucketing> buckets;
  bool empty() const { return recode.empty() && buckets.empty(); }
};

/// Reads --recode 'COLUMN: FROM[, FROM...] -> TO[; ...]' texts (each may hold several rules
/// separated by ';', and several texts may name one column: their rules add up in order)
/// and --bucket COLUMN=EDGE,EDGE... texts. Throws Error(ExitCode::usage) naming the text
/// and the column (character) where it went wrong.
Recodes parse_recodes(const std::vector<std::string>& recode, const std::vector<std::string>& bucket);

}  // namespace funnel
