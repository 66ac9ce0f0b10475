#!/bin/sh
# X Education leads (a 0/1 Converted flag, no times) by Lead Source, as one funnel command on
# Leads.csv exactly as published: the flag is read as the current stage (0: lead, 1: converted).
# Usage: x-education.sh DIR; FUNNEL names the binary (default: funnel).
set -eu
dir=${1:?usage: x-education.sh DIR}
exec "${FUNNEL:-funnel}" report -f csv --stages lead,converted --alias lead=0 --alias converted=1 \
  --shape snapshot --stage-col Converted --by "Lead Source" "$dir/Leads.csv"
