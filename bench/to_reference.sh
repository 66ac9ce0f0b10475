#!/usr/bin/env bash
# Convert `funnel report --by source --format csv` output (stdin) to the reference
# query's format (stdout):
#   segment,stage,reached,step_conversion,overall_conversion,median_days_to_customer
# i.e. funnel columns 1,2,4,5,6 (segment, stage, reached, step_conversion,
# overall_conversion), plus column 14 (days_from_entry_median) on `customer` rows
# only, empty on the other stages.  Columns are located by their header names
# (which today are exactly those positions), so a reordering of funnel's CSV does
# not silently compare the wrong numbers; a missing column is an error (exit 1).
# Fields are split RFC 4180-style: a quoted segment label containing commas,
# doubled quotes or line breaks is passed through unchanged.
set -euo pipefail

exec awk '
function fail(msg) { print "to_reference.sh: " msg > "/dev/stderr"; bad = 1; exit 1 }
# Split one CSV record into f[1..n], keeping each field raw (quotes included).
function split_csv(s, f,    n, i, c, inq, cur) {
    n = 0; cur = ""; inq = 0
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "\"") inq = !inq
        if (c == "," && !inq) { f[++n] = cur; cur = "" } else cur = cur c
    }
    f[++n] = cur
    return n
}
# An unquoted view of a raw field (for comparing header names and stages).
function unq(s) {
    if (s ~ /^".*"$/) { s = substr(s, 2, length(s) - 2); gsub(/""/, "\"", s) }
    return s
}
{
    sub(/\r$/, "")
    rec = (pending == "") ? $0 : pending "\n" $0
    # an odd number of quotes so far: the record continues on the next line
    tmp = rec; q = gsub(/"/, "", tmp)
    if (q % 2 == 1) { pending = rec; next }
    pending = ""
    n = split_csv(rec, f)
    if (!have_header) {
        want = "segment stage reached step_conversion overall_conversion days_from_entry_median"
        m = split(want, names, " ")
        for (i = 1; i <= n; i++) col[unq(f[i])] = i
        for (j = 1; j <= m; j++) {
            if (!(names[j] in col)) fail("no column \"" names[j] "\" in the header: " rec)
            pos[j] = col[names[j]]
        }
        print "segment,stage,reached,step_conversion,overall_conversion,median_days_to_customer"
        have_header = 1
        next
    }
    if (rec == "") next
    med = (unq(f[pos[2]]) == "customer") ? f[pos[6]] : ""
    print f[pos[1]] "," f[pos[2]] "," f[pos[3]] "," f[pos[4]] "," f[pos[5]] "," med
}
END {
    if (bad) exit 1
    if (pending != "") fail("unterminated quoted field at end of input")
    if (!have_header) fail("empty input")
}'
