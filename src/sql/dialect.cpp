#include "dialect.h"

#include <fmt/format.h>

namespace funnel::sql {

std::string Syntax::identifier(std::string_view name) const {
  if (clickhouse()) {
    std::string out = "`";
    for (char c : name) {
      if (c == '`' || c == '\\') out += '\\';
      out += c;
    }
    return out + "`";
  }
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Syntax::literal(std::string_view text) const {
  std::string out = "'";
  for (char c : text) {
    if (clickhouse() && (c == '\'' || c == '\\')) {
      out += '\\';
    } else if (c == '\'') {
      out += '\'';
    }
    out += c;
  }
  return out + "'";
}

std::string Syntax::trimmed_text(const std::string& expr) const {
  switch (d_) {
    case SqlDialect::postgres: return fmt::format("btrim(coalesce(CAST({} AS TEXT), ''), ' ' || chr(9))", expr);
    case SqlDialect::duckdb: return fmt::format("trim(coalesce(CAST({} AS VARCHAR), ''), ' ' || chr(9))", expr);
    case SqlDialect::clickhouse:
      return fmt::format("replaceRegexpAll(ifNull(toString({}), ''), '^[ \\\\t]+|[ \\\\t]+$', '')", expr);
  }
  return expr;
}

std::string Syntax::normalized(const std::string& expr) const {
  if (clickhouse()) return fmt::format("lower(replaceRegexpAll({}, '[ \\\\t_-]', ''))", expr);
  return fmt::format("translate({}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ _-' || chr(9), 'abcdefghijklmnopqrstuvwxyz')", expr);
}

std::string Syntax::epoch_seconds(const std::string& expr) const {
  switch (d_) {
    case SqlDialect::postgres: return fmt::format("CAST(floor(EXTRACT(EPOCH FROM {})) AS BIGINT)", expr);
    case SqlDialect::duckdb: return fmt::format("CAST(floor(epoch_ms({}) / 1000.0) AS BIGINT)", expr);
    case SqlDialect::clickhouse: return fmt::format("toInt64({})", expr);
  }
  return expr;
}

std::string Syntax::to_double(const std::string& expr) const {
  switch (d_) {
    case SqlDialect::postgres: return fmt::format("CAST({} AS DOUBLE PRECISION)", expr);
    case SqlDialect::duckdb: return fmt::format("CAST({} AS DOUBLE)", expr);
    case SqlDialect::clickhouse: return fmt::format("toFloat64({})", expr);
  }
  return expr;
}

std::string Syntax::null_bigint() const {
  return clickhouse() ? "CAST(NULL AS Nullable(Int64))" : "CAST(NULL AS BIGINT)";
}

std::string Syntax::count_if(const std::string& condition) const {
  if (clickhouse()) return fmt::format("countIf({})", condition);
  return fmt::format("count(*) FILTER (WHERE {})", condition);
}

std::string Syntax::min_if(const std::string& expr, const std::string& condition) const {
  if (clickhouse()) {
    // ClickHouse 18.16's minIf over a Nullable column gives 0 for no value: say NULL itself.
    return fmt::format("if(countIf({1} AND isNotNull({0})) > 0, minIf(ifNull({0}, 0), {1} AND isNotNull({0})), NULL)",
                       expr, condition);
  }
  return fmt::format("min({}) FILTER (WHERE {})", expr, condition);
}

std::string Syntax::max_if(const std::string& expr, const std::string& condition) const {
  if (clickhouse()) {
    return fmt::format("if(countIf({1} AND isNotNull({0})) > 0, maxIf(ifNull({0}, 0), {1} AND isNotNull({0})), NULL)",
                       expr, condition);
  }
  return fmt::format("max({}) FILTER (WHERE {})", expr, condition);
}

std::string Syntax::sum_of(const std::string& expr) const {
  if (clickhouse()) return fmt::format("sumIf(ifNull({0}, 0), isNotNull({0}))", expr);
  return fmt::format("CAST(sum({}) AS BIGINT)", expr);
}

std::string Syntax::sorted_list(const std::string& expr) const {
  if (clickhouse()) return fmt::format("arraySort(groupArrayIf(ifNull({0}, 0), isNotNull({0})))", expr);
  return fmt::format("array_agg({0} ORDER BY {0}) FILTER (WHERE {0} IS NOT NULL)", expr);
}

std::string Syntax::element(const std::string& list, const std::string& position) const {
  switch (d_) {
    case SqlDialect::postgres: return fmt::format("{}[CAST({} AS INTEGER)]", list, position);
    case SqlDialect::duckdb: return fmt::format("{}[{}]", list, position);
    case SqlDialect::clickhouse: return fmt::format("arrayElement({}, {})", list, position);
  }
  return list;
}

std::string Syntax::first_label(const std::string& label, const std::string& labelled, const std::string& touch,
                                bool latest) const {
  if (clickhouse()) {
    return fmt::format(
        "tupleElement(arrayElement(arraySort(groupArray(tuple({1} = 0, isNull({2}), {3}ifNull({2}, 0), {0}))), 1), 4)",
        label, labelled, touch, latest ? "-" : "");
  }
  return fmt::format("(array_agg({0} ORDER BY {1} DESC, {2} {3} NULLS LAST, {4}))[1]", label, labelled, touch,
                     latest ? "DESC" : "ASC", bytewise(label));
}

std::string Syntax::bytewise(const std::string& expr) const { return postgres() ? expr + " COLLATE \"C\"" : expr; }

std::string Syntax::least_of(const std::vector<std::string>& values) const {
  // A value larger than any epoch second stands for NULL (ClickHouse's least() takes two
  // arguments and gives NULL for a NULL one).
  if (values.size() == 1) return values[0];
  if (clickhouse()) {
    const char* none = "toInt64(9223372036854775807)";
    std::string out = fmt::format("ifNull({}, {})", values.back(), none);
    for (std::size_t i = values.size() - 1; i-- > 0;)
      out = fmt::format("least(ifNull({}, {}), {})", values[i], none, out);
    return fmt::format("nullIf({}, {})", out, none);
  }
  const char* none = "9223372036854775807";
  std::string out;
  for (const auto& v : values) out += fmt::format("{}coalesce({}, {})", out.empty() ? "" : ", ", v, none);
  return fmt::format("NULLIF(least({}), {})", out, none);
}

std::string Syntax::erfc(const std::string& x) const {
  if (clickhouse()) return fmt::format("erfc({})", x);
  return sql_erfc(x);
}

std::string Syntax::truth(bool value) const {
  if (clickhouse()) return value ? "1" : "0";
  return value ? "TRUE" : "FALSE";
}

std::string Syntax::inner_join() const { return clickhouse() ? "ANY INNER JOIN" : "INNER JOIN"; }

}  // namespace funnel::sql
