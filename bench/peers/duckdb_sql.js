// Runs `funnel sql --dialect duckdb`'s query in DuckDB for bench/sql_scale.sh; prints the
// result as CSV on stdout.
// usage: node peers/duckdb_sql.js load DB.duckdb FILE.csv   the long file into table events
//        node peers/duckdb_sql.js query DB.duckdb QUERY.sql  the query on the loaded table
//        node peers/duckdb_sql.js csv FILE.csv QUERY.sql     the query on a view over the CSV
// env:   DUCKDB_THREADS=N  limit DuckDB to N threads (default: all cores)
'use strict';
const fs = require('fs');
const { DuckDBInstance } = require('@duckdb/node-api');

const [mode, target, arg] = process.argv.slice(2);
const literal = (text) => "'" + text.replace(/'/g, "''") + "'";
// The long file's columns as the loader types them: the stage time a TIMESTAMP (UTC).
const source = (file) => `read_csv(${literal(file)}, header = true, columns = {'lead_id': 'VARCHAR', ` +
  `'stage': 'VARCHAR', 'timestamp': 'TIMESTAMP', 'source': 'VARCHAR', 'company': 'VARCHAR', 'amount': 'VARCHAR'})`;

(async () => {
  const options = process.env.DUCKDB_THREADS ? { threads: process.env.DUCKDB_THREADS } : {};
  const db = await DuckDBInstance.create(mode === 'csv' ? ':memory:' : target, options);
  const con = await db.connect();
  await con.run("SET TimeZone = 'UTC'");
  if (mode === 'load') {
    await con.run('DROP TABLE IF EXISTS events');
    await con.run(`CREATE TABLE events AS SELECT * FROM ${source(arg)}`);
    return;
  }
  if (mode === 'csv') await con.run(`CREATE VIEW events AS SELECT * FROM ${source(target)}`);
  const reader = await con.runAndReadAll(fs.readFileSync(arg, 'utf8'));
  const cell = (v) => (v === null || v === undefined ? '' : String(v));
  const lines = [reader.columnNames().join(',')];
  for (const row of reader.getRows()) lines.push(row.map(cell).join(','));
  process.stdout.write(lines.join('\n') + '\n');
})().catch((e) => {
  console.error(`duckdb: ${e.message}`);
  process.exit(1);
});
