#!/usr/bin/env bash
# funnel sql's scale point: the bench kit's long file loaded into ClickHouse (MergeTree, this
# machine's server started from a temp dir as tests/sql/run.sh starts it) and DuckDB (a
# database file), `funnel sql`'s query timed on each beside `funnel report` on the CSV, and
# every result checked against funnel's (counts equal, rates and days to the printed
# precision). See bench/README.md; results in bench/RESULTS.md.
#
#   bench/sql_scale.sh [FILE]     default bench/data/events_10m.csv (bench/setup.sh --big)
#
# Environment: FUNNEL (default build/release/funnel), RUNS (hyperfine runs, default 3),
#   DUCKDB_THREADS (limit DuckDB's threads; default all cores), OUT (default bench/out).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
FILE=$(realpath "${1:-$BENCH_DIR/data/events_10m.csv}")
FUNNEL=$(realpath "${FUNNEL:-$ROOT/build/release/funnel}")
RUNS=${RUNS:-3}
OUT=${OUT:-$BENCH_DIR/out}

fail() { echo "bench/sql_scale.sh: $*" >&2; exit 2; }
[ -f "$FILE" ] || fail "no file $FILE (bench/setup.sh --big makes the 10M file)"
[ -x "$FUNNEL" ] || fail "no funnel binary at $FUNNEL"
command -v hyperfine >/dev/null || fail "hyperfine is not installed: bench/setup.sh"
[ -d "$BENCH_DIR/node_modules/@duckdb/node-api" ] || fail "DuckDB is missing: bench/setup.sh"
[ "$(head -1 "$FILE")" = "lead_id,stage,timestamp,source,company,amount" ] ||
    fail "$FILE is not the bench kit's long file (lead_id,stage,timestamp,source,company,amount)"

TMP=$(mktemp -d /tmp/funnel-sql-scale.XXXXXX)
# shellcheck source=../tests/sql/clickhouse.sh
. "$ROOT/tests/sql/clickhouse.sh"
trap 'stop_clickhouse; rm -rf "$TMP"' EXIT INT TERM
mkdir -p "$OUT"
name=$(basename "$FILE" .csv)
seconds() { python3 -c 'import sys, time; print(f"{time.time():.3f}")'; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }

columns=$(head -1 "$FILE")
for dialect in duckdb clickhouse; do
    "$FUNNEL" sql --dialect "$dialect" --table events --columns "$columns" --by source >"$TMP/$dialect.sql"
done

echo "[sql-scale] $name: $(wc -l <"$FILE") lines, $(du -m "$FILE" | cut -f1) MB"
start_clickhouse "$TMP/ch"
CH=(clickhouse-client --host 127.0.0.1 --port "$CH_PORT")
t0=$(seconds)
"${CH[@]}" --multiquery --query "
  CREATE TABLE raw (lead_id String, stage String, timestamp String, source String, company String, amount String)
    ENGINE = Log;
  CREATE TABLE events (lead_id String, stage String, timestamp DateTime, source String)
    ENGINE = MergeTree ORDER BY tuple()"
"${CH[@]}" --query "INSERT INTO raw FORMAT CSVWithNames" <"$FILE"
# '2023-01-01T00:01:04Z' as the server's UTC DateTime
"${CH[@]}" --query "INSERT INTO events SELECT lead_id, stage,
    toDateTime(concat(substring(timestamp, 1, 10), ' ', substring(timestamp, 12, 8))), source FROM raw"
"${CH[@]}" --query "DROP TABLE raw"
t1=$(seconds)
echo "[sql-scale] ClickHouse load: $(elapsed "$t0" "$t1") s"
node "$BENCH_DIR/peers/duckdb_sql.js" load "$TMP/events.duckdb" "$FILE"
t2=$(seconds)
echo "[sql-scale] DuckDB load: $(elapsed "$t1" "$t2") s"

# The answers first: each engine's rows against funnel report's.
"$FUNNEL" report -q --by source -f csv "$FILE" >"$TMP/funnel.csv"
"${CH[@]}" --query "$(cat "$TMP/clickhouse.sql")" --format CSVWithNames >"$TMP/clickhouse.csv"
node "$BENCH_DIR/peers/duckdb_sql.js" query "$TMP/events.duckdb" "$TMP/duckdb.sql" >"$TMP/duckdb.csv"
python3 - "$TMP/funnel.csv" "$TMP/clickhouse.csv" "$TMP/duckdb.csv" <<'PY'
import csv, sys
COUNTS = {"reached", "dropped", "lost", "open", "stalled"}
want = list(csv.DictReader(open(sys.argv[1])))
for path in sys.argv[2:]:
    got = list(csv.DictReader(open(path)))
    assert len(got) == len(want), f"{path}: {len(got)} rows, funnel has {len(want)}"
    for i, (g, w) in enumerate(zip(got, want), start=1):
        for col in ("segment", "stage", "section"):
            assert g[col] == w[col], f"{path} row {i} {col}: {g[col]!r} vs {w[col]!r}"
        for col, value in w.items():
            if col in ("segment", "stage", "section"):
                continue
            if value == "" or g[col] in ("", "\\N", "nan"):
                assert value == "" and g[col] in ("", "\\N", "nan"), f"{path} row {i} {col}: {g[col]!r} vs {value!r}"
            elif col in COUNTS:
                assert int(float(g[col])) == int(value), f"{path} row {i} {col}: {g[col]} vs {value}"
            else:
                digits = len(value.split(".")[1]) if "." in value else 0
                assert abs(float(g[col]) - float(value)) <= 0.5 * 10 ** -digits + 1e-9, \
                    f"{path} row {i} {col}: {g[col]} vs {value}"
    print(f"[sql-scale] {path.rsplit('/', 1)[1]}: {len(got)} rows equal to funnel report's")
PY

hyperfine --style basic --warmup 1 --runs "$RUNS" --export-json "$OUT/sql_scale_$name.json" \
    -n "funnel report (CSV file)" "'$FUNNEL' report -q --by source -f csv '$FILE' >/dev/null" \
    -n "ClickHouse query (loaded table)" "${CH[*]} --query \"\$(cat '$TMP/clickhouse.sql')\" --format CSVWithNames >/dev/null" \
    -n "DuckDB query (loaded table)" "node '$BENCH_DIR/peers/duckdb_sql.js' query '$TMP/events.duckdb' '$TMP/duckdb.sql' >/dev/null" \
    -n "DuckDB query (view over the CSV file)" "node '$BENCH_DIR/peers/duckdb_sql.js' csv '$FILE' '$TMP/duckdb.sql' >/dev/null"
python3 - "$OUT/sql_scale_$name.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
base = results[0]["median"]
for r in results:
    print(f"[sql-scale] {r['command']:40s} median {r['median']:7.3f} s  [{r['min']:.3f}-{r['max']:.3f}]  "
          f"funnel/this {base / r['median']:.2f}")
PY
