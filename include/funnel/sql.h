// `funnel sql`: the funnel report's definitions compiled to one SELECT for a warehouse
// (DuckDB, PostgreSQL, ClickHouse), whose result set has the columns and row order of
// `funnel report -f csv` (without the retention columns).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "funnel/events.h"
#include "funnel/funnel_table.h"
#include "funnel/stage_model.h"

namespace funnel {

enum class SqlDialect { duckdb, postgres, clickhouse };

/// "duckdb", "postgres" (or "postgresql"), "clickhouse"; anything else is a usage error.
SqlDialect parse_sql_dialect(std::string_view name);
std::string_view sql_dialect_name(SqlDialect dialect);

struct SqlOptions {
  SqlDialect dialect = SqlDialect::duckdb;
  std::string table;                 ///< the table (or view) name, quoted as an identifier
  std::vector<std::string> columns;  ///< the table's column names, in any order
  ColumnSpec spec;                   ///< --shape, --id, --stage-col, --time-col, --stage-time, --by
  StageModelSpec stages;
  FunnelOptions funnel;
  bool last_touch = false;   ///< --attribution last
  std::string version;       ///< funnel's version, for the header comment
  std::string options_text;  ///< the options, for the header comment (one line)
};

/// The query text: a header comment, then one SELECT (PostgreSQL and DuckDB with CTEs,
/// ClickHouse with nested subqueries, which 18.16 needs). Throws funnel::Error with
/// ExitCode::usage for what the dialect or the SQL form cannot express, and
/// ExitCode::schema when the columns do not give a long or wide table.
std::string compile_sql(const SqlOptions& options);

/// erfc(x) for x >= 0 as an expression in `x` that only uses +, -, *, /, exp: a Taylor
/// series of erf below 2 and a continued fraction from 2 (absolute error below 1e-13).
/// `x` is pasted several times, so it should be a column name.
std::string sql_erfc(std::string_view x);

}  // namespace funnel
