#!/usr/bin/env bash
# Benchmark funnel against DuckDB and pandas on the reference funnel query, with
# `cat` and `wc -l` as the I/O floor, and check that funnel's numbers equal DuckDB's.
# See bench/README.md.  Run bench/setup.sh first (add --big there for --big here).
#
#   bench/run.sh                  0.1M and 1M leads, long and wide, + small-input check
#   bench/run.sh --big            also the 10M-lead long file (pandas skipped there)
#   bench/run.sh --huge           also 50M leads generated into a pipe (never on disk; ~20 min)
#   bench/run.sh --quick          0.1M files + small-input check only (smoke test, ~1 min)
#   bench/run.sh FILE...          these files instead of the default list
# Other flags: --no-pandas, --no-stdin (skip the two stdin variants), --no-small,
#   --build (cmake --preset release && cmake --build --preset release first).
#
# Environment: FUNNEL (binary, default build/release/funnel), KIT (bench kit with
#   gen.py and verify.py, default <repo>/../shared/bench-kit), PYTHON (default
#   /usr/bin/python3), NODE (default node), WARMUP (1), MIN_RUNS (3), RUNS (exact
#   run count instead of MIN_RUNS), ROUNDS (repeat each file's hyperfine calls this
#   many times, default 1; ratios are then the median of per-round ratios), OUT
#   (default bench/out), PANDAS_MAX_BYTES (pandas skipped above this file size,
#   default 1e9), HUGE_LEADS (50000000), DUCKDB_THREADS (limit DuckDB's threads;
#   default all cores).
#
# Exit status: 0 all numbers equal; 1 funnel's numbers differ from DuckDB's (or from
# the hand-checked example, or its stdin output differs from its file output), or a
# funnel run failed; 2 usage or set-up problem.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
KIT=${KIT:-$ROOT/../shared/bench-kit}
FUNNEL=${FUNNEL:-$ROOT/build/release/funnel}
PY=${PYTHON:-/usr/bin/python3}
NODE=${NODE:-node}
WARMUP=${WARMUP:-1}
MIN_RUNS=${MIN_RUNS:-3}
RUNS=${RUNS:-}
ROUNDS=${ROUNDS:-1}
OUT=${OUT:-$BENCH_DIR/out}
PANDAS_MAX_BYTES=${PANDAS_MAX_BYTES:-1000000000}
HUGE_LEADS=${HUGE_LEADS:-50000000}

big=0 huge=0 quick=0 pandas=1 stdin=1 small=1 build=0
files=()
while [ $# -gt 0 ]; do
    case $1 in
    --big) big=1 ;;
    --huge) huge=1 ;;
    --quick) quick=1 ;;
    --no-pandas) pandas=0 ;;
    --no-stdin) stdin=0 ;;
    --no-small) small=0 ;;
    --build) build=1 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    --) shift; files+=("$@"); break ;;
    -*) echo "run.sh: unknown option: $1 (try --help)" >&2; exit 2 ;;
    *) files+=("$1") ;;
    esac
    shift
done

die() { echo "run.sh: $*" >&2; exit 2; }
log() { printf '\n=== %s\n' "$*"; }
abspath() { (cd "$(dirname "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename "$1")"); }

# Resolve user-given paths before changing directory.
for i in "${!files[@]}"; do
    [ -f "${files[$i]}" ] || die "no such file: ${files[$i]}"
    files[i]=$(abspath "${files[$i]}")
done
case $FUNNEL in /*) ;; *) FUNNEL=$(abspath "$FUNNEL") ;; esac
cd "$BENCH_DIR"

if [ "$build" = 1 ]; then
    (cd "$ROOT" && cmake --preset release && cmake --build --preset release)
fi
[ -x "$FUNNEL" ] || die "no funnel binary at $FUNNEL; build it with:
  cd $ROOT && cmake --preset release && cmake --build --preset release   (or run.sh --build)"
command -v hyperfine >/dev/null 2>&1 || die "hyperfine missing: run bench/setup.sh"
[ -x /usr/bin/time ] || die "/usr/bin/time missing: run bench/setup.sh"
for k in gen.py verify.py; do [ -f "$KIT/$k" ] || die "no $k in KIT=$KIT"; done
[ -d node_modules/@duckdb/node-api ] || die "DuckDB missing: run bench/setup.sh"
if [ "$pandas" = 1 ] && ! "$PY" -c 'import pandas' 2>/dev/null; then
    die "$PY has no pandas: run bench/setup.sh, or pass --no-pandas"
fi

if [ ${#files[@]} -eq 0 ]; then
    files=(data/events_100k.csv data/leads_100k.csv)
    [ "$quick" = 1 ] || files+=(data/events_1m.csv data/leads_1m.csv)
    [ "$big" = 1 ] && files+=(data/events_10m.csv)
    for f in "${files[@]}"; do
        [ -s "$f" ] || die "$f missing: run bench/setup.sh$([ "$big" = 1 ] && echo ' --big')"
    done
fi

mkdir -p "$OUT"
# Measure a snapshot of the binary, so that a rebuild during the run (the release
# preset writes the same path) cannot swap it between measurements.
cp "$FUNNEL" "$OUT/funnel.bin.tmp" && mv "$OUT/funnel.bin.tmp" "$OUT/funnel.bin"
FUNNEL_SRC=$FUNNEL
FUNNEL=$OUT/funnel.bin
rm -f "$OUT"/meta_*.env "$OUT"/huge.env "$OUT"/hf_*.json "$OUT"/hf_*.md "$OUT"/time_*.txt
status=0
failures=()
fail() { echo "FAIL: $*" >&2; status=1; failures+=("$*"); }

hf_opts=(--warmup "$WARMUP" --style basic)
if [ -n "$RUNS" ]; then hf_opts+=(--runs "$RUNS"); else hf_opts+=(--min-runs "$MIN_RUNS"); fi
q() { printf '%q' "$1"; }
FQ=$(q "$FUNNEL")
REPORT=(report --by source --format csv)

# tool_run NAME TAG OUTFILE CMD...: one run under GNU time (wall, cpu, peak RSS),
# stdout kept for the correctness check.
tool_run() {
    local name=$1 tag=$2 outfile=$3; shift 3
    /usr/bin/time -f '%e %U %S %M' -o "$OUT/time_${name}_$tag.txt" "$@" > "$outfile"
}

# ------------------------------------------------------------------ machine
log "machine"
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc: $(nproc)"
    lscpu | head -n 15
    echo "memory: $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
    echo "kernel: $(uname -sr)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "funnel: $FUNNEL_SRC, $("$FUNNEL" --version 2>&1 | head -n 1), sha256 $(sha256sum < "$FUNNEL" | cut -c1-16), tree $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo 'not a git checkout')"
    echo "duckdb: $("$NODE" -e "
        const { DuckDBInstance } = require('@duckdb/node-api');
        (async () => { const c = await (await DuckDBInstance.create(':memory:')).connect();
          console.log((await c.runAndReadAll('select version()')).getRows()[0][0]); })();") \
(npm @duckdb/node-api $("$NODE" -p "require('@duckdb/node-api/package.json').version"), node $("$NODE" --version))"
    if [ "$pandas" = 1 ]; then
        echo "pandas: $("$PY" -c 'import pandas, numpy, sys; print(pandas.__version__, "numpy", numpy.__version__, "python", sys.version.split()[0])')"
    fi
    echo "hyperfine: $(hyperfine --version)"
    echo "coreutils: $(cat --version | head -n 1)"
} | tee "$OUT/machine.txt"
load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
    echo "WARNING: load average $load before starting: timings will be noisy (2 cores)" >&2
fi

# ------------------------------------------------------------------ hand-checked example
log "correctness: the hand-checked example (check/, copied from the bench kit)"
for f in check/tiny_events.csv check/tiny_leads.csv; do
    tag=$(basename "$f" .csv)
    if "$FUNNEL" "${REPORT[@]}" "$f" > "$OUT/funnel_$tag.csv" &&
        ./to_reference.sh < "$OUT/funnel_$tag.csv" > "$OUT/funnel_$tag.ref.csv"; then
        "$PY" "$KIT/verify.py" check/tiny_expected.csv "$OUT/funnel_$tag.ref.csv" ||
            fail "funnel on $tag differs from the hand-checked answer"
    else
        fail "funnel failed on $f"
    fi
done

# ------------------------------------------------------------------ per file
tags=()
for f in "${files[@]}"; do
    tag=$(basename "$f" .csv)
    tags+=("$tag")
    bytes=$(stat -L -c %s "$f")
    rows=$(($(wc -l < "$f") - 1))
    shape=long
    case $(head -n 1 "$f") in *customer_at*) shape=wide ;; esac
    log "$tag: $shape, $rows rows, $bytes bytes"
    meta=$OUT/meta_$tag.env
    {
        echo "file=$f"; echo "shape=$shape"; echo "rows=$rows"; echo "bytes=$bytes"
    } > "$meta"
    run_pandas=$pandas
    if [ "$pandas" = 1 ] && [ "$bytes" -gt "$PANDAS_MAX_BYTES" ]; then
        run_pandas=0
        echo "pandas=skipped (larger than PANDAS_MAX_BYTES)" >> "$meta"
    fi

    # One run of each tool under GNU time: peak RSS, and the outputs to compare.
    # (These also warm the page cache.)
    echo "single runs under /usr/bin/time (peak RSS) and correctness check"
    if ! tool_run duckdb "$tag" "$OUT/duckdb_$tag.csv" "$NODE" peers/duckdb_funnel.js "$f"; then
        fail "DuckDB failed on $f: cannot check funnel's numbers"
        echo "verify=no-reference" >> "$meta"; continue
    fi
    if ! tool_run funnel "$tag" "$OUT/funnel_$tag.csv" "$FUNNEL" "${REPORT[@]}" "$f"; then
        fail "funnel failed on $f (see above)"
        echo "verify=funnel-failed" >> "$meta"; continue
    fi
    if ./to_reference.sh < "$OUT/funnel_$tag.csv" > "$OUT/funnel_$tag.ref.csv" &&
        "$PY" "$KIT/verify.py" "$OUT/duckdb_$tag.csv" "$OUT/funnel_$tag.ref.csv"; then
        echo "verify=equal" >> "$meta"
    else
        fail "funnel's numbers on $tag differ from DuckDB's ($OUT/funnel_$tag.ref.csv vs $OUT/duckdb_$tag.csv)"
        echo "verify=DIFFERENT" >> "$meta"
    fi
    if [ "$stdin" = 1 ]; then
        if tool_run funnel_stdin "$tag" "$OUT/funnel_stdin_$tag.csv" \
            "$FUNNEL" "${REPORT[@]}" - < "$f" &&
            cmp -s "$OUT/funnel_$tag.csv" "$OUT/funnel_stdin_$tag.csv"; then
            echo "stdin=same" >> "$meta"
        else
            fail "funnel reading $tag from stdin failed or printed something else than from the file"
            echo "stdin=DIFFERENT" >> "$meta"
        fi
    fi
    if [ "$run_pandas" = 1 ]; then
        if tool_run pandas "$tag" "$OUT/pandas_$tag.csv" "$PY" peers/pandas_funnel.py "$f" &&
            "$PY" "$KIT/verify.py" "$OUT/duckdb_$tag.csv" "$OUT/pandas_$tag.csv"; then
            echo "pandas=equal" >> "$meta"
        else
            # A peer disagreeing with another peer is reported, but is not funnel's failure.
            echo "WARNING: pandas disagrees with DuckDB on $tag" >&2
            echo "pandas=DIFFERENT" >> "$meta"
            run_pandas=0
        fi
    fi

    # Wall time with hyperfine.  The file commands run without a shell (-N; hyperfine
    # sends their stdout to /dev/null, so `cat FILE` is `cat FILE >/dev/null`); the
    # stdin variants need one (bash, with hyperfine's shell start-up correction).
    FQF=$(q "$f")
    cmds=(-n funnel "$FQ report --by source --format csv $FQF"
          -n duckdb "$(q "$NODE") peers/duckdb_funnel.js $FQF")
    [ "$run_pandas" = 1 ] && cmds+=(-n pandas "$(q "$PY") peers/pandas_funnel.py $FQF")
    cmds+=(-n "cat >/dev/null" "cat $FQF" -n "wc -l" "wc -l $FQF")
    for round in $(seq 1 "$ROUNDS"); do
        echo "hyperfine round $round/$ROUNDS (warmup $WARMUP, $([ -n "$RUNS" ] && echo "runs $RUNS" || echo "min runs $MIN_RUNS"))"
        if ! hyperfine "${hf_opts[@]}" -N --export-json "$OUT/hf_$tag.r$round.json" \
            --export-markdown "$OUT/hf_$tag.r$round.md" "${cmds[@]}"; then
            fail "hyperfine failed on $tag"
            rm -f "$OUT/hf_$tag.r$round.json"
        fi
        if [ "$stdin" = 1 ] && ! hyperfine "${hf_opts[@]}" --shell bash \
            --export-json "$OUT/hf_${tag}_stdin.r$round.json" \
            --export-markdown "$OUT/hf_${tag}_stdin.r$round.md" \
            -n "funnel stdin <" "$FQ report --by source -f csv - < $FQF" \
            -n "cat | funnel" "cat $FQF | $FQ report --by source -f csv -"; then
            fail "hyperfine failed on $tag (stdin variants)"
            rm -f "$OUT/hf_${tag}_stdin.r$round.json"
        fi
    done
done

# ------------------------------------------------------------------ small input
if [ "$small" = 1 ]; then
    sf=data/events_small.csv
    if [ -s "$sf" ]; then
        log "small input: $(($(wc -l < "$sf") - 1)) rows, funnel vs process start (true)"
        if "$FUNNEL" "${REPORT[@]}" "$sf" | ./to_reference.sh > "$OUT/funnel_small.ref.csv" &&
            "$NODE" peers/duckdb_funnel.js "$sf" > "$OUT/duckdb_small.csv" &&
            "$PY" "$KIT/verify.py" "$OUT/duckdb_small.csv" "$OUT/funnel_small.ref.csv"; then
            :
        else
            fail "funnel's numbers on $sf differ from DuckDB's (or a run failed)"
        fi
        # -N: no shell, so the figures are process start-up + work, nothing else.
        hyperfine -N --warmup 3 --min-runs 20 --style basic \
            --export-json "$OUT/hf_small.json" --export-markdown "$OUT/hf_small.md" \
            -n funnel "$FQ report --by source --format csv $sf" \
            -n true "true" \
            -n duckdb "$(q "$NODE") peers/duckdb_funnel.js $sf" ||
            fail "hyperfine failed on the small input"
    else
        echo "skipping the small-input check: $sf missing (run bench/setup.sh)" >&2
    fi
fi

# ------------------------------------------------------------------ 50M leads through a pipe
if [ "$huge" = 1 ]; then
    log "$HUGE_LEADS leads generated into a pipe: gen.py | funnel report -f csv - (nothing on disk)"
    fifo=$OUT/huge_count.fifo
    rm -f "$fifo" "$OUT/huge_count.txt"
    mkfifo "$fifo"
    wc -lc < "$fifo" > "$OUT/huge_count.txt" &
    wc_pid=$!
    t0=$(date +%s.%N)
    if /usr/bin/time -f '%e %U %S %M' -o "$OUT/time_gen_huge.txt" \
        "$PY" "$KIT/gen.py" --leads "$HUGE_LEADS" --seed 42 --shape long |
        tee "$fifo" |
        /usr/bin/time -f '%e %U %S %M' -o "$OUT/time_funnel_huge.txt" \
            "$FUNNEL" "${REPORT[@]}" - > "$OUT/funnel_huge.csv"; then
        wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
        wait "$wc_pid" || true
        read -r hlines hbytes < "$OUT/huge_count.txt" || true
        # Sanity check: every generated lead has a funnel-stage row, so (all),lead = leads.
        got=$(./to_reference.sh < "$OUT/funnel_huge.csv" | awk -F, '$1 == "(all)" && $2 == "lead" { print $3 }')
        {
            echo "leads=$HUGE_LEADS"; echo "wall=$wall"
            echo "rows=$((${hlines:-1} - 1))"; echo "bytes=${hbytes:-0}"
            echo "all_lead_reached=$got"
        } > "$OUT/huge.env"
        [ "$got" = "$HUGE_LEADS" ] || fail "gen.py | funnel pipe: (all),lead reached is $got, expected $HUGE_LEADS"
    else
        fail "the gen.py | funnel pipe failed"
        wait "$wc_pid" || true
    fi
    rm -f "$fifo"
fi

# ------------------------------------------------------------------ summary
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"
log "summary (also in $OUT/summary.md)"
"$PY" summarize.py "$OUT" "${tags[@]}" | tee "$OUT/summary.md"
if [ "$status" = 0 ]; then
    echo "OK: funnel's numbers equal DuckDB's on every file"
else
    echo "FAILED:" >&2
    printf '  %s\n' "${failures[@]}" >&2
fi
exit "$status"
