// What differs between the SQL dialects funnel sql writes: quoting, casts, conditional
// aggregates, sorted lists, unpivoting and how pipeline steps are named (CTEs, or nested
// subqueries for ClickHouse 18.16, which has no WITH name AS (query)).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "funnel/sql.h"

namespace funnel::sql {

class Syntax {
 public:
  explicit Syntax(SqlDialect d) : d_(d) {}
  SqlDialect id() const { return d_; }
  bool clickhouse() const { return d_ == SqlDialect::clickhouse; }
  bool postgres() const { return d_ == SqlDialect::postgres; }

  /// A column or table name.
  std::string identifier(std::string_view name) const;
  /// A string literal.
  std::string literal(std::string_view text) const;
  /// The cell as text, trimmed of spaces and tabs as funnel trims cells ('' for NULL).
  std::string trimmed_text(const std::string& expr) const;
  /// The stage spelling as funnel compares it: ASCII lower case, no spaces, tabs, _ or -.
  std::string normalized(const std::string& expr) const;
  /// Whole seconds since 1970-01-01 UTC of a timestamp, whatever the session's time zone.
  std::string epoch_seconds(const std::string& expr) const;
  /// A 64-bit floating point value.
  std::string to_double(const std::string& expr) const;
  /// The nullable 64-bit integer NULL typed for the dialect.
  std::string null_bigint() const;
  /// count(*) of the rows where `condition` holds.
  std::string count_if(const std::string& condition) const;
  /// min(expr) / max(expr) over the rows where `condition` holds and expr is not NULL; NULL
  /// when there is none.
  std::string min_if(const std::string& expr, const std::string& condition) const;
  std::string max_if(const std::string& expr, const std::string& condition) const;
  /// sum(expr) and the ascending list of expr over rows where expr is not NULL.
  std::string sum_of(const std::string& expr) const;
  std::string sorted_list(const std::string& expr) const;
  /// The element at a 1-based position of a list (position within bounds).
  std::string element(const std::string& list, const std::string& position) const;
  /// The label of the row first in (labelled first, timed first, time, label) order.
  std::string first_label(const std::string& label, const std::string& labelled, const std::string& touch,
                          bool latest) const;
  /// Byte order of text in ORDER BY.
  std::string bytewise(const std::string& expr) const;
  /// The smallest of nullable values, NULL only when all are.
  std::string least_of(const std::vector<std::string>& values) const;
  /// erfc(x) for x >= 0.
  std::string erfc(const std::string& x) const;
  /// TRUE / FALSE.
  std::string truth(bool value) const;
  /// The join keyword for a right side with one row per key.
  std::string inner_join() const;

 private:
  SqlDialect d_;
};

}  // namespace funnel::sql
