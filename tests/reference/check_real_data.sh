#!/usr/bin/env bash
# Real public funnel exports (../shared/real-data) against figures other people published
# from them (each folder's SOURCE.md). Exit 77 (skipped) when the data is not there.
# Usage: check_real_data.sh FUNNEL_BINARY REAL_DATA_DIR
set -euo pipefail
funnel=$1
data=$2
if ! [ -d "$data/olist-marketing-funnel" ] || ! [ -d "$data/maven-crm-sales-opportunities" ]; then
  echo "skipped: $data not found (real exports that cannot be redistributed)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
expect() {  # expect WHAT ACTUAL EXPECTED
  if [ "$2" != "$3" ]; then echo "FAIL $1: got $2, published $3"; fail=1; else echo "ok   $1 = $3"; fi
}

# Olist: 8,000 MQLs (first contact date, origin) of which 842 became sellers (won date).
# The export is two files; as an analyst would, stack them as a long event log.
olist=$data/olist-marketing-funnel
{
  echo "mql_id,stage,timestamp,origin"
  awk -F, 'NR > 1 {print $1 ",mql," $2 "," $4}' "$olist/olist_marketing_qualified_leads_dataset.csv"
  awk -F, 'NR > 1 {print $1 ",won," $5 ","}' "$olist/olist_closed_deals_dataset.csv"
} > "$work/olist.csv"
"$funnel" report --stages mql,won --by origin -f csv "$work/olist.csv" > "$work/olist_out.csv"
reached() { awk -F, -v s="$1" -v k="$2" '$1 == s && $2 == k {print $4}' "$work/olist_out.csv"; }
expect "olist leads" "$(reached '(all)' mql)" 8000
expect "olist won" "$(reached '(all)' won)" 842
expect "olist overall conversion" "$(awk -F, '$1 == "(all)" && $2 == "won" {print $6}' "$work/olist_out.csv")" 0.105250
for pair in organic_search:2296:271 paid_search:1586:195 social:1350:75 direct_traffic:499:56 \
            referral:284:24 display:118:6 other_publicities:65:3; do
  IFS=: read -r origin leads won <<< "$pair"
  expect "olist $origin leads" "$(reached "$origin" mql)" "$leads"
  expect "olist $origin won" "$(reached "$origin" won)" "$won"
done
# The publication folds 'unknown' and empty origins into "Unknown (untracked)": 1,159 / 193.
expect "olist unknown+empty leads" "$(( $(reached unknown mql) + $(reached '(none)' mql) ))" 1159
expect "olist unknown+empty won" "$(( $(reached unknown won) + $(reached '(none)' won) ))" 193

# Maven CRM: 8,800 opportunities as a snapshot (current stage, engage and close dates).
maven=$data/maven-crm-sales-opportunities/sales_pipeline.csv
overall=$("$funnel" report --stages prospecting,engaging,won --stage-time engaging=engage_date -f json "$maven" |
  grep -A1 '"segment": "(all)"' | tail -1)
field() { sed -E "s/.*\"$1\": ([0-9.]+).*/\1/" <<< "$overall"; }
expect "maven won" "$(field won)" 4238
expect "maven lost" "$(field lost)" 2473
expect "maven open + stalled" "$(( $(field open) + $(field stalled) ))" 2089
expect "maven win rate (63.2%)" "$(printf '%.3f' "$(field win_rate)")" 0.632
expect "maven mean days engage to won (51.8)" "$(printf '%.1f' "$(sed -E 's/.*"cycle_days": \{[^}]*"mean": ([0-9.]+)\}.*/\1/' <<< "$overall")")" 51.8
exit $fail
