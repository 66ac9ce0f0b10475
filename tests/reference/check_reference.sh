#!/usr/bin/env bash
# The reference funnel query (../shared/bench-kit/QUERY.md) on gen.py data, long and wide,
# compared with the answer DuckDB, pandas and Python agree on (bench-kit/expected/).
# Usage: check_reference.sh FUNNEL_BINARY KIT_DIR
set -euo pipefail
funnel=$1
kit=$2
if ! [ -f "$kit/gen.py" ]; then
  echo "skipped: $kit/gen.py not found (the shared bench kit)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
to_reference() {
  awk -F, 'NR==1{print "segment,stage,reached,step_conversion,overall_conversion,median_days_to_customer"; next}
           {d = ($2 == "customer") ? $14 : ""; print $1","$2","$4","$5","$6","d}'
}
for shape in long wide; do
  python3 "$kit/gen.py" --leads 1000000 --seed 42 --shape "$shape" |
    "$funnel" report --by source --format csv - | to_reference > "$work/$shape.csv"
  python3 "$kit/verify.py" "$work/$shape.csv" "$kit/expected/funnel_seed42_1m.csv"
done
