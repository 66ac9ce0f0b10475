#!/usr/bin/env bash
# Install the benchmark's peers and generate its data.  Idempotent: anything already
# present is kept, so a re-run after an interruption only does what is missing.
#
#   bench/setup.sh            tools, DuckDB (npm), 0.1M + 1M leads (long and wide) + small file
#   bench/setup.sh --big      also the 10M-lead long file (1.7 GB, ~3-4 min to generate)
#   bench/setup.sh --no-install | --no-data   skip one half
#
# Environment:
#   KIT=DIR        bench kit with gen.py (default: <repo>/../shared/bench-kit)
#   PYTHON=PATH    interpreter for gen.py (default: /usr/bin/python3, the one with pandas)
#   REUSE_DIR=DIR  already generated 1M/10M files to copy instead of regenerating
#                  (default: /tmp/data; used only when the byte size matches seed 42)
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
KIT=${KIT:-$ROOT/../shared/bench-kit}
PY=${PYTHON:-/usr/bin/python3}
REUSE_DIR=${REUSE_DIR:-/tmp/data}
DATA=$BENCH_DIR/data
SEED=42

big=0 install=1 data=1
for arg in "$@"; do
    case $arg in
    --big) big=1 ;;
    --no-install) install=0 ;;
    --no-data) data=0 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument: $arg (try --help)" >&2; exit 2 ;;
    esac
done

log() { printf '[setup] %s\n' "$*"; }

# ---------------------------------------------------------------- tools
as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else echo "setup.sh: need root for: $*" >&2; return 1
    fi
}

install_tools() {
    local missing=()
    command -v hyperfine >/dev/null 2>&1 || missing+=(hyperfine)
    [ -x /usr/bin/time ] || missing+=(time)
    [ -x /usr/bin/python3 ] || missing+=(python3)
    /usr/bin/python3 -c 'import pandas' >/dev/null 2>&1 || missing+=(python3-pandas)
    command -v node >/dev/null 2>&1 || missing+=(nodejs)
    # nodesource's nodejs bundles npm (and conflicts with Debian's npm): only add
    # Debian's npm when there is no npm at all.
    command -v npm >/dev/null 2>&1 || missing+=(npm)
    if [ ${#missing[@]} -eq 0 ]; then
        log "tools present: hyperfine, /usr/bin/time, python3-pandas, node, npm"
        return
    fi
    log "installing with apt-get: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

install_duckdb() {
    local want have
    want=$(node -p "require('$BENCH_DIR/package.json').dependencies['@duckdb/node-api']")
    have=$(node -p "try { require('$BENCH_DIR/node_modules/@duckdb/node-api/package.json').version } catch (e) { '' }")
    if [ "$have" = "$want" ]; then
        log "@duckdb/node-api $have present in bench/node_modules"
        return
    fi
    log "npm: installing @duckdb/node-api $want into bench/node_modules"
    # `npm install` (not `npm ci`): it follows package-lock.json, and npm ci rejects
    # a lock written on one platform because DuckDB's other-platform optional
    # binaries are missing from it.
    (cd "$BENCH_DIR" && npm install --no-audit --no-fund --loglevel=error)
}

# ---------------------------------------------------------------- data
# gen NAME SHAPE LEADS [EXPECTED_BYTES]: data/NAME.csv, written atomically.
gen() {
    local name=$1 shape=$2 leads=$3 bytes=${4:-} out="$DATA/$1.csv" t0
    if [ -s "$out" ]; then
        log "data/$name.csv present ($(stat -c %s "$out") bytes)"
        return
    fi
    if [ -n "$bytes" ] && [ -f "$REUSE_DIR/$name.csv" ] &&
        [ "$(stat -L -c %s "$REUSE_DIR/$name.csv")" = "$bytes" ]; then
        log "data/$name.csv: copying $REUSE_DIR/$name.csv"
        cp "$REUSE_DIR/$name.csv" "$out.tmp"
        mv "$out.tmp" "$out"
        return
    fi
    log "data/$name.csv: gen.py --leads $leads --seed $SEED --shape $shape"
    t0=$(date +%s)
    "$PY" "$KIT/gen.py" --leads "$leads" --seed "$SEED" --shape "$shape" > "$out.tmp"
    mv "$out.tmp" "$out"
    log "data/$name.csv: $(stat -c %s "$out") bytes in $(($(date +%s) - t0)) s"
}

generate_data() {
    [ -f "$KIT/gen.py" ] || { echo "setup.sh: no gen.py in KIT=$KIT" >&2; exit 2; }
    mkdir -p "$DATA"
    rm -f "$DATA"/*.csv.tmp
    gen events_small long 400                 # ~1,000 rows: start-up cost check
    gen events_100k long 100000
    gen leads_100k wide 100000
    gen events_1m long 1000000 170993936     # sizes of the seed-42 files (bench kit RESULTS.md)
    gen leads_1m wide 1000000 83345769
    if [ "$big" = 1 ]; then
        gen events_10m long 10000000 1709650101
    fi
    ls -l "$DATA"
}

[ "$install" = 1 ] && { install_tools; install_duckdb; }
[ "$data" = 1 ] && generate_data
log "done"
