#!/usr/bin/env bash
# The funnel sql integration tier: starts PostgreSQL 15 and ClickHouse on this machine from
# temporary directories (PostgreSQL on a Unix socket only, ClickHouse on 127.0.0.1 and free
# ports, with a Distributed table over two shards), generates the 100,000-lead exports, and
# runs compare.py, which also runs DuckDB through @duckdb/node-api. Every server is stopped at
# the end. An engine that cannot start fails the tier with the reason.
#
#   tests/sql/run.sh [FUNNEL]      (default: build/dev/funnel; run from anywhere)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
FUNNEL=$(realpath "${1:-$ROOT/build/dev/funnel}")
PG_BIN=/usr/lib/postgresql/15/bin
LEADS=${FUNNEL_SQL_LEADS:-100000}

fail() { echo "tests/sql/run.sh: $*" >&2; exit 1; }
[ -x "$FUNNEL" ] || fail "no funnel binary at $FUNNEL (build it first)"
[ -x "$PG_BIN/initdb" ] || fail "PostgreSQL 15 is not installed ($PG_BIN/initdb): scripts/install-deps"
command -v node >/dev/null || fail "node is not installed: scripts/install-deps"
[ -d "$HERE/node_modules/@duckdb/node-api" ] || fail "@duckdb/node-api is missing: (cd tests/sql && npm ci)"

export PYTHONDONTWRITEBYTECODE=1
started=$(date +%s)
TMP=$(mktemp -d /tmp/funnel-sql.XXXXXX)
chmod 755 "$TMP"
# shellcheck source=clickhouse.sh
. "$HERE/clickhouse.sh"
PG_STARTED=0
as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
    stop_clickhouse
    if [ "$PG_STARTED" = 1 ]; then as_postgres "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -m fast -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# ---- PostgreSQL 15: trust auth, a Unix socket in the temp dir, no TCP
mkdir -p "$TMP/pg"
[ "$(id -u)" = 0 ] && chown postgres "$TMP/pg"
PG_PORT=$(free_port)
as_postgres "$PG_BIN/initdb" -D "$TMP/pg/data" -U postgres --auth=trust -E UTF8 --no-locale >"$TMP/pg/initdb.log" 2>&1 ||
    fail "PostgreSQL: initdb failed: $(tail -5 "$TMP/pg/initdb.log")"
as_postgres "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/server.log" -w -t 60 \
    -o "-k $TMP/pg -c listen_addresses='' -p $PG_PORT -c fsync=off -c work_mem=64MB" start >/dev/null 2>&1 ||
    fail "PostgreSQL did not start: $(tail -5 "$TMP/pg/server.log" 2>/dev/null)"
PG_STARTED=1

# ---- ClickHouse: a config of our own, 127.0.0.1, free ports, two shards on this one server
start_clickhouse "$TMP/ch"
clickhouse-client --host 127.0.0.1 --port "$CH_PORT" --multiquery --query "CREATE DATABASE shard1; CREATE DATABASE shard2"

# ---- the generated exports, then every comparison
python3 "$HERE/gen_export.py" "$LEADS" 25 "$TMP/generated_long.csv" "$TMP/generated_wide.csv"
mkdir -p "$TMP/work"
cd "$ROOT"
status=0
python3 "$HERE/compare.py" "$FUNNEL" "$ROOT" "$TMP/work" "$TMP/pg" "$PG_PORT" "$CH_PORT" \
    "$TMP/generated_long.csv" "$TMP/generated_wide.csv" || status=$?
echo "tests/sql/run.sh: $(( $(date +%s) - started )) s in all"
exit $status
