// Loads one CSV file into an in-memory DuckDB table and runs queries on it; prints one JSON
// line per query: {"columns": [...], "rows": [[...], ...]} (numbers as JSON numbers, NULL
// as null).
// usage: node duckdb_run.js TABLE DATA.csv COLUMNS.json QUERY.sql...
//   COLUMNS.json: [[name, "text" | "time"], ...] in the file's column order.
'use strict';
const fs = require('fs');
const { DuckDBInstance } = require('@duckdb/node-api');

const [table, data, columnsFile, ...queryFiles] = process.argv.slice(2);
if (queryFiles.length === 0) {
  console.error('usage: node duckdb_run.js TABLE DATA.csv COLUMNS.json QUERY.sql...');
  process.exit(2);
}
const quote = (name) => '"' + name.replace(/"/g, '""') + '"';
const literal = (text) => "'" + text.replace(/'/g, "''") + "'";

(async () => {
  const columns = JSON.parse(fs.readFileSync(columnsFile, 'utf8'));
  const types = columns.map(([name, type]) => `${literal(name)}: ${literal(type === 'time' ? 'TIMESTAMP' : 'VARCHAR')}`);
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await db.connect();
  // The session's zone is set far from UTC, so a query that depended on it would show it.
  await con.run("SET TimeZone = 'Pacific/Kiritimati'").catch(() => {});
  await con.run(`CREATE TABLE ${quote(table)} AS SELECT * FROM read_csv(${literal(data)}, header = true, ` +
                `delim = ',', quote = '"', escape = '"', nullstr = '', columns = {${types.join(', ')}})`);
  for (const queryFile of queryFiles) {
    const reader = await con.runAndReadAll(fs.readFileSync(queryFile, 'utf8'));
    const rows = reader.getRows().map((row) => row.map((v) => (typeof v === 'bigint' ? Number(v) : v === undefined ? null : v)));
    process.stdout.write(JSON.stringify({ columns: reader.columnNames(), rows }) + '\n');
  }
})().catch((e) => {
  console.error(`duckdb: ${e.message}`);
  process.exit(1);
});
