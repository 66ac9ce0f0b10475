#!/usr/bin/env bash
# Runs funnel under valgrind (memcheck) on every example export and a broken file in
# lenient mode; any memory error or leak fails.
# Usage: check_valgrind.sh VALGRIND FUNNEL_BINARY   (from the repository root)
set -euo pipefail
valgrind=$1
funnel=$2
vg() { "$valgrind" -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "$funnel" "$@" > /dev/null; }
vg report examples/crm_events.csv
vg report --by source -f json examples/crm_events.csv
vg report --count ordered -f markdown examples/crm_events.csv
vg report --preset hubspot -f csv examples/hubspot_contacts.csv
vg report --config examples/pipedrive.toml examples/pipedrive_deals.csv
vg report --lenient -f csv tests/data/short_row.csv
rc=0; vg report tests/data/bad_date.csv 2>/dev/null || rc=$?
[ "$rc" -eq 5 ] || { echo "expected exit 5 from bad_date.csv, got $rc"; exit 1; }
echo "valgrind: clean"
