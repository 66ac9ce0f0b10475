// Reference funnel query (QUERY.md in the bench kit) with DuckDB, through the npm
// package @duckdb/node-api (it ships its own libduckdb).  Adapted from the kit.
// usage: node peers/duckdb_funnel.js FILE.csv   (long or wide shape, from the header)
// env:   DUCKDB_THREADS=N  limit DuckDB to N threads (default: all cores)
'use strict';
const fs = require('fs');
const { DuckDBInstance } = require('@duckdb/node-api');

const path = process.argv[2];
if (!path) { console.error('usage: node peers/duckdb_funnel.js FILE.csv'); process.exit(2); }
const head = Buffer.alloc(4096);
const fd = fs.openSync(path, 'r');
const nread = fs.readSync(fd, head, 0, head.length, 0);
fs.closeSync(fd);
const header = head.subarray(0, nread).toString().split('\n')[0];
const wide = header.includes('customer_at');
const src = `read_csv('${path.replace(/'/g, "''")}')`;

const perLead = wide ? `
per_lead AS (
  SELECT coalesce(source, '(none)') AS source,
         CASE WHEN customer_at IS NOT NULL THEN 4 WHEN opportunity_at IS NOT NULL THEN 3
              WHEN sql_at IS NOT NULL THEN 2 WHEN mql_at IS NOT NULL THEN 1
              WHEN lead_at IS NOT NULL THEN 0 END AS maxk,
         epoch(least(lead_at, mql_at, sql_at, opportunity_at, customer_at)) AS first_s,
         epoch(customer_at) AS cust_s
  FROM ${src}
  WHERE maxk IS NOT NULL
)` : `
ev AS (
  SELECT lead_id, coalesce(source, '(none)') AS source, "timestamp" AS ts,
         CASE stage WHEN 'lead' THEN 0 WHEN 'mql' THEN 1 WHEN 'sql' THEN 2
                    WHEN 'opportunity' THEN 3 WHEN 'customer' THEN 4 END AS k
  FROM ${src}
),
per_lead AS (
  SELECT min(source) AS source, max(k) AS maxk, epoch(min(ts)) AS first_s,
         epoch(min(ts) FILTER (WHERE k = 4)) AS cust_s
  FROM ev WHERE k IS NOT NULL
  GROUP BY lead_id
)`;

const sql = `
WITH ${perLead},
seg AS (
  SELECT '(all)' AS segment, maxk, first_s, cust_s FROM per_lead
  UNION ALL
  SELECT source, maxk, first_s, cust_s FROM per_lead
),
counts AS (SELECT segment, maxk, count(*) AS n FROM seg GROUP BY ALL),
stages AS (SELECT * FROM (VALUES (0, 'lead'), (1, 'mql'), (2, 'sql'),
                                 (3, 'opportunity'), (4, 'customer')) s(k, name)),
segs AS (SELECT DISTINCT segment FROM counts),
reached AS (
  SELECT g.segment, s.k, s.name, coalesce(sum(c.n), 0) AS reached
  FROM segs g CROSS JOIN stages s
  LEFT JOIN counts c ON c.segment = g.segment AND c.maxk >= s.k
  GROUP BY ALL
),
med AS (
  SELECT segment, median(cust_s - first_s) AS med_s
  FROM seg WHERE cust_s IS NOT NULL GROUP BY segment
)
SELECT r.segment, r.name, r.reached::BIGINT AS reached,
  CASE WHEN r.k = 0 OR lag(r.reached) OVER w = 0 THEN ''
       ELSE printf('%.6f', r.reached / lag(r.reached) OVER w) END AS step,
  printf('%.6f', r.reached / first_value(r.reached) OVER w) AS overall,
  CASE WHEN r.k = 4 AND m.med_s IS NOT NULL THEN printf('%.4f', m.med_s / 86400)
       ELSE '' END AS med
FROM reached r LEFT JOIN med m USING (segment)
WINDOW w AS (PARTITION BY r.segment ORDER BY r.k)
ORDER BY r.segment, r.k`;

function csvField(s) {
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

(async () => {
  const opts = process.env.DUCKDB_THREADS ? { threads: String(process.env.DUCKDB_THREADS) } : {};
  const db = await DuckDBInstance.create(':memory:', opts);
  const con = await db.connect();
  const res = await con.runAndReadAll(sql);
  let out = 'segment,stage,reached,step_conversion,overall_conversion,median_days_to_customer\n';
  for (const [segment, name, reached, step, overall, med] of res.getRows()) {
    out += `${csvField(segment)},${name},${reached},${step},${overall},${med}\n`;
  }
  process.stdout.write(out);
})().catch((e) => { console.error(e.message); process.exit(1); });
