// funnel sql's query text: what each dialect may and may not contain, quoting, and the
// refusals. Whether the numbers are right is tested on the real engines (tests/sql/run.sh).
#include <doctest/doctest.h>

#include <string>

#include "funnel/diagnostics.h"
#include "funnel/sql.h"
#include "support.h"

using funnel::test::run_cli;

namespace {

funnel::SqlOptions long_table(funnel::SqlDialect dialect) {
  funnel::SqlOptions o;
  o.dialect = dialect;
  o.table = "crm.events";
  o.columns = {"Lead \"ID\"", "stage", "entered_at", "source"};
  o.spec.by = {"source"};
  o.spec.id = "Lead \"ID\"";
  o.version = "test";
  return o;
}

/// The query without its comment lines.
std::string code(const std::string& text) {
  std::string out;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(begin, end - begin);
    if (line.find_first_not_of(' ') == std::string::npos || line.compare(line.find_first_not_of(' '), 2, "--") != 0) {
      out += line + '\n';
    }
    begin = end + 1;
  }
  return out;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_SUITE("sql") {
  TEST_CASE("PostgreSQL and DuckDB: CTEs named after the pipeline, names quoted, byte order for labels") {
    for (auto dialect : {funnel::SqlDialect::postgres, funnel::SqlDialect::duckdb}) {
      const std::string q = code(funnel::compile_sql(long_table(dialect)));
      CAPTURE(q);
      CHECK(funnel::compile_sql(long_table(dialect)).rfind("-- funnel test sql --dialect ", 0) == 0);
      // After the header comment the query is one statement: WITH ... SELECT ..., no semicolon.
      CHECK(q.find(";") == std::string::npos);
      CHECK(q.rfind("WITH\n", 0) == 0);
      CHECK(count(q, dialect == funnel::SqlDialect::postgres ? "cells AS MATERIALIZED (" : "cells AS (") == 1);
      for (const char* step : {"evidence AS (", "leads AS (", "walks AS (", "paths AS (", "lead_stages AS (",
                               "stage_rows AS (", "tallies AS (", "ranks AS (", "report AS ("}) {
        CAPTURE(step);
        CHECK(count(q, step) == 1);
      }
      CHECK(q.find("\"crm\".\"events\"") != std::string::npos);
      CHECK(q.find("\"Lead \"\"ID\"\"\"") != std::string::npos);
      // No engine quantile function: type 7 from the sorted list.
      CHECK(q.find("percentile") == std::string::npos);
      CHECK(q.find("quantile") == std::string::npos);
      CHECK(q.find("median(") == std::string::npos);
    }
    const std::string pg = funnel::compile_sql(long_table(funnel::SqlDialect::postgres));
    CHECK(pg.find("COLLATE \"C\"") != std::string::npos);
    CHECK(pg.find("EXTRACT(EPOCH FROM \"entered_at\")") != std::string::npos);
  }

  TEST_CASE("ClickHouse 18.16: nested subqueries, no CTE, -If aggregates, the built-in erfc") {
    const std::string q = funnel::compile_sql(long_table(funnel::SqlDialect::clickhouse));
    CAPTURE(q);
    CHECK(q.find("WITH") == std::string::npos);
    CHECK(q.find("FILTER") == std::string::npos);
    CHECK(q.find("COLLATE") == std::string::npos);
    CHECK(q.find("`crm`.`events`") != std::string::npos);
    CHECK(q.find("`Lead \"ID\"`") != std::string::npos);
    CHECK(q.find("countIf(") != std::string::npos);
    CHECK(q.find("erfc(z_scaled)") != std::string::npos);
    CHECK(q.find("ANY INNER JOIN") != std::string::npos);
    // Function names as 18.16 knows them (it has no upper-case LEAST or GREATEST).
    CHECK(q.find("LEAST(") == std::string::npos);
    CHECK(q.find("GREATEST(") == std::string::npos);
  }

  TEST_CASE("without segments there is no test against the rest, and no erfc") {
    auto o = long_table(funnel::SqlDialect::postgres);
    o.spec.by.clear();
    const std::string q = funnel::compile_sql(o);
    CHECK(q.find("z_scaled") == std::string::npos);
    CHECK(q.find("everyone") == std::string::npos);
    CHECK(q.find("CAST(NULL AS DOUBLE PRECISION) AS \"vs_rest_p\"") != std::string::npos);
  }

  TEST_CASE("string literals are escaped for each dialect") {
    auto o = long_table(funnel::SqlDialect::clickhouse);
    o.stages.stages = {"new\\lead", "it's won"};
    const std::string ch = funnel::compile_sql(o);
    CHECK(ch.find("'new\\\\lead'") != std::string::npos);
    CHECK(ch.find("'it\\'swon'") != std::string::npos);
    o.dialect = funnel::SqlDialect::postgres;
    const std::string pg = funnel::compile_sql(o);
    CHECK(pg.find("'new\\lead'") != std::string::npos);
    CHECK(pg.find("'it''swon'") != std::string::npos);
  }

  TEST_CASE("what a query cannot mean is refused with the usage code") {
    auto snapshot = long_table(funnel::SqlDialect::duckdb);
    snapshot.columns = {"deal_id", "stage", "status"};
    snapshot.spec.by.clear();
    snapshot.spec.id.clear();
    try {
      funnel::compile_sql(snapshot);
      FAIL("a snapshot table was accepted");
    } catch (const funnel::Error& e) {
      CHECK(e.code() == funnel::ExitCode::usage);
    }
    for (auto args : std::vector<std::vector<std::string>>{
             {"sql", "--dialect", "duckdb", "--table", "t", "--columns", "id,stage,time", "--lenient"},
             {"sql", "--dialect", "duckdb", "--table", "t", "--columns", "id,stage,time", "--strict-stages"},
             {"sql", "--dialect", "duckdb", "--table", "t", "--columns", "id,stage,time", "--date-format", "dmy"},
             {"sql", "--dialect", "sqlite", "--table", "t", "--columns", "id,stage,time"},
             {"sql", "--dialect", "duckdb", "--table", "t", "--columns", "id,stage,time", "--top", "3"}}) {
      auto r = run_cli(args);
      CAPTURE(args.back());
      CHECK(r.rc == 2);
      CHECK(r.out.empty());
      CHECK(!r.err.empty());
    }
  }

  TEST_CASE("a preset's first stages the table has no column for are left out, as funnel report leaves them out") {
    funnel::SqlOptions o;
    o.dialect = funnel::SqlDialect::duckdb;
    o.table = "contacts";
    o.columns = {"Record ID", "Date entered \"Lead (Lifecycle Stage Pipeline)\"",
                 "Date entered \"Marketing Qualified Lead (Lifecycle Stage Pipeline)\"",
                 "Date entered \"Customer (Lifecycle Stage Pipeline)\""};
    o.stages.preset = "hubspot";
    o.version = "test";
    const std::string q = funnel::compile_sql(o);
    CHECK(q.find("-- stages: lead (tofu), mql (mofu), sql (mofu), opportunity (bofu), customer (bofu)\n") !=
          std::string::npos);
    o.columns.insert(o.columns.begin() + 1, "Date entered \"Subscriber (Lifecycle Stage Pipeline)\"");
    CHECK(funnel::compile_sql(o).find("-- stages: subscriber (tofu), lead (tofu),") != std::string::npos);
  }

  TEST_CASE("a column named twice in --columns: refused when the query reads it, else the query is the same") {
    // HubSpot's 2026 contact export repeats "Associated Company IDs"; a table holds it once.
    auto twice = long_table(funnel::SqlDialect::postgres);
    twice.columns = {"Lead \"ID\"", "stage", "entered_at", "source", "source"};
    try {
      funnel::compile_sql(twice);
      FAIL("a repeated column the query reads was accepted");
    } catch (const funnel::Error& e) {
      CHECK(e.code() == funnel::ExitCode::schema);
      CHECK(std::string(e.what()).find("both named 'source'") != std::string::npos);
    }
    auto once = long_table(funnel::SqlDialect::postgres);
    once.columns.push_back("notes");
    auto unread = once;
    unread.columns.push_back("notes");
    CHECK(code(funnel::compile_sql(unread)) == code(funnel::compile_sql(once)));
  }
}

TEST_SUITE("sql") {
  TEST_CASE("the man page's example query is what funnel sql prints") {
    const std::string roff = funnel::test::read_file("man/funnel.1");
    const std::size_t intro = roff.find("For a model of two stages on PostgreSQL");
    REQUIRE(intro != std::string::npos);
    const std::size_t begin = roff.find(".EX\n", intro), end = roff.find("\n.EE\n", intro);
    REQUIRE(begin != std::string::npos);
    REQUIRE(end != std::string::npos);
    std::string shown;  // the roff text back to plain: "\-" is "-", "\e" is "\", "\&" is nothing
    const std::string text = roff.substr(begin + 4, end - begin - 4);
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) {
        const char next = text[++i];
        if (next == '-') shown += '-';
        if (next == 'e') shown += '\\';
        continue;
      }
      shown += text[i];
    }
    auto r = run_cli({"sql", "--dialect", "postgres", "--table", "crm.events", "--columns", "lead_id,stage,entered_at",
                      "--stages", "lead,won"});
    REQUIRE(r.rc == 0);
    CHECK(shown + "\n" == r.out);
  }
}
