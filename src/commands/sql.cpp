// funnel sql: the report's definitions as one query for a warehouse (DuckDB, PostgreSQL,
// ClickHouse) whose result is funnel report -f csv.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common.h"
#include "funnel/diagnostics.h"
#include "funnel/sql.h"
#include "funnel/version.h"

namespace funnel::commands {
namespace {

struct SqlCommand : ExportOptions {
  std::string dialect, table;        ///< --dialect, --table
  std::vector<std::string> columns;  ///< --columns: the table's column names
};

/// The options given, as the header comment of the query records them: each set option's
/// long name and values, in the order `funnel sql --help` lists them.
std::string options_text(const CLI::App& app) {
  std::string line;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->count() == 0 || opt->get_lnames().empty()) continue;
    const std::string name = "--" + opt->get_lnames().front();
    if (opt->get_expected_max() == 0) {  // a flag
      line += (line.empty() ? "" : " ") + name;
      continue;
    }
    std::vector<std::string> values = opt->results();
    if (opt->get_delimiter() != '\0')
      values = {fmt::format("{}", fmt::join(values, std::string(1, opt->get_delimiter())))};
    for (const std::string& value : values) {
      const bool plain = !value.empty() && value.find_first_of(" '\"\\\r\n\t") == std::string::npos;
      line += fmt::format("{}{} {}", line.empty() ? "" : " ", name, plain ? value : quote_cell(value));
    }
  }
  return line;
}

}  // namespace

std::unique_ptr<Options> setup_sql(CLI::App& app) {
  auto o = std::make_unique<SqlCommand>();
  app.add_option("--dialect", o->dialect, "SQL dialect: duckdb, postgres or clickhouse")->required();
  app.add_option("--table", o->table, "The table (or view) holding the export's rows, e.g. crm.events")->required();
  app.add_option("--columns", o->columns, "The table's column names, comma separated (as in the export's header)")
      ->required()
      ->delimiter(',')
      ->allow_extra_args(false);
  app.add_option("-o,--output", o->output, "Write to FILE atomically instead of stdout");
  app.add_option("--top", o->report.top_segments,
                 "Not supported (a usage error): the query does not fold segments into (other)")
      ->group("Input");
  app.add_option("--spend", o->report.spend, "Not supported (a usage error): spend is not in the csv columns")
      ->group("Input");
  define_input(app, *o);
  define_metrics(app, *o);
  return o;
}

int run_sql(CLI::App& app, Options& options, Streams& streams) {
  auto& o = static_cast<SqlCommand&>(options);
  load_config(app, o);
  // Options that only make sense for reading a file, or that the query does not carry, are
  // refused by name rather than ignored.
  refuse_ignored(app, "sql",
                 {{"--delimiter", "the table has no delimiter"},
                  {"--encoding", "the table's text is the database's"},
                  {"--date-format", "the table's times are timestamps"},
                  {"--skip-lines", "a table has no title lines"},
                  {"--lenient", "a table has no malformed records"},
                  {"--rejects", "a table has no malformed records"},
                  {"--amount", "money is not in the csv columns the query gives"},
                  {"--decimal", "money is not in the csv columns the query gives"},
                  {"--strict-stages", "a query cannot stop at an unknown stage value"},
                  {"--top", "the query does not fold segments into (other)"},
                  {"--spend", "spend is not in the csv columns the query gives"},
                  {"--lost-after", "the query's statuses come from lost rows only"},
                  {"--days", "the query counts fractional days"},
                  {"--lookup", "the query reads one table: join the lookup in a view first"},
                  {"--link", "the query reads one table: join the tables in a view first"},
                  {"--lookup-duplicates", "the query reads one table: join the lookup in a view first"}});
  if (!o.report.input_roles.empty()) {
    throw Error(ExitCode::usage, fmt::format("funnel sql: [[input]] tables ({}) are not supported: the query reads "
                                             "one table; join the tables in a view first",
                                             o.report.input_roles.front().where));
  }
  if (o.report.tz != "UTC") {
    throw Error(ExitCode::usage, "funnel sql: --tz is not supported: the query reads the table's timestamps as UTC");
  }
  finish_options(o);
  SqlOptions sql;
  sql.dialect = parse_sql_dialect(o.dialect);
  sql.table = o.table;
  sql.columns = o.columns;
  sql.spec = o.report.columns;
  sql.stages = o.report.stages;
  sql.funnel = o.report.funnel;
  sql.last_touch = o.report.last_touch;
  sql.version = version_number();
  sql.options_text = options_text(app);
  emit(o.output, streams, compile_sql(sql));
  return 0;
}

}  // namespace funnel::commands
