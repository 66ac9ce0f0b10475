#!/bin/sh
# Weekly funnel from cron: writes this week's report atomically, keeps it as next week's
# baseline, and fails (exit 1, so cron mails the output) when a step conversion dropped
# significantly. Quiet when all is well.
#
#   # m h dom mon dow  command
#   30 6 * * 1  FUNNEL_INPUT=/data/crm/leads.csv FUNNEL_DIR=/var/lib/funnel /usr/local/bin/weekly-funnel.sh
#
# FUNNEL_INPUT  the CRM export (a .csv or .csv.gz; - reads stdin)
# FUNNEL_DIR    where reports and the baseline live
# FUNNEL        the funnel binary (default: funnel on PATH)
set -eu
input=${FUNNEL_INPUT:?set FUNNEL_INPUT to the CRM export}
dir=${FUNNEL_DIR:?set FUNNEL_DIR to the report directory}
funnel=${FUNNEL:-funnel}
week=$(date -u +%G-W%V)
mkdir -p "$dir"

# Every output is written atomically (-o): a killed run never leaves half a file.
"$funnel" report --quiet -f json -o "$dir/funnel-$week.json" "$input"
"$funnel" report --quiet -f csv -o "$dir/funnel-$week.csv" "$input"

status=0
if [ -f "$dir/baseline.json" ]; then
  "$funnel" check --quiet --baseline "$dir/baseline.json" --max-drop 5pp --significance 0.05 \
    -o "$dir/check-$week.txt" "$input" || status=$?
  if [ "$status" -ne 0 ]; then
    cat "$dir/check-$week.txt"
    exit "$status"
  fi
fi
cp "$dir/funnel-$week.json" "$dir/baseline.json.tmp" && mv "$dir/baseline.json.tmp" "$dir/baseline.json"
