#!/bin/sh
# The training run of the profile-guided release build (FUNNEL_PGO; see README.md here).
#
#   train.sh FUNNEL_INSTRUMENTED FUNNEL_PGO_DATA WORKDIR PROFILE_DIR
#
# Generates the training exports in WORKDIR and runs the instrumented funnel over them in
# the ways funnel is used most: reports on an event log and a one-row-per-lead export, by
# segment, in each output format, from a file and from stdin, and cohorts. Every run must
# succeed (a failed run would leave a profile of error paths). The counters land in
# PROFILE_DIR, the directory the instrumented build names (-fprofile-generate=DIR), which
# the caller empties first; without them the build would pass unoptimized, so their absence
# fails it.
set -eu
funnel=$1
generate=$2
work=$3
profile=$4
rm -rf "$work"
mkdir -p "$work"
"$generate" "$work" 100000
run() { "$funnel" "$@" > "$work/out"; }
run report --by source -f csv "$work/events.csv"
run report --by source "$work/events.csv"
run report -f json "$work/events.csv"
run report --by source -f csv "$work/leads.csv"
run report -f csv - < "$work/events.csv"
run cohorts --every week "$work/events.csv"
# A report must come out of the instrumented binary (the header and one row per stage).
test "$(wc -l < "$work/out")" -gt 5
if ! ls "$profile"/*csv.cpp.gcda > /dev/null 2>&1; then
    echo "train.sh: the instrumented funnel wrote no profile to $profile" >&2
    exit 1
fi
