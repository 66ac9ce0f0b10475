#!/usr/bin/env python3
"""A seeded CRM export for the funnel sql tier: the same leads in the long shape (one row per
stage entered) and the wide shape (one row per lead, a time column per stage), with sources.

usage: gen_export.py LEADS SEED LONG.csv WIDE.csv

It holds what the definitions have to get right: skipped stages, lost leads, regressions
(a stage entered again after a later one), repeats, untimed stage rows, case and alias
spellings, an unknown stage value, empty and changing sources (first touch), and for the
wide shape leads split over two rows. Python 3 standard library only."""
import csv
import random
import sys
from datetime import datetime, timedelta, timezone

STAGES = ["lead", "mql", "sql", "opportunity", "customer"]
SPELLINGS = {
    "lead": ["lead", "Lead", "New Lead"],
    "mql": ["mql", "MQL", "Marketing Qualified Lead"],
    "sql": ["sql", "SQL", "sales_qualified_lead"],
    "opportunity": ["opportunity", "Opportunity", "opp"],
    "customer": ["customer", "Closed Won", "won"],
}
SOURCES = ["google", "linkedin", "referral", "webinar", "partner", "=cmd", ""]
WEIGHTS = [30, 20, 15, 12, 8, 1, 4]


def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    leads, seed, long_path, wide_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    long_rows, wide_rows = [], []
    for i in range(leads):
        lead = f"L{i:07d}"
        source = rng.choices(SOURCES, WEIGHTS)[0]
        t = start + timedelta(seconds=rng.randrange(300 * 86400))
        furthest = 0
        while furthest < 4 and rng.random() < [0.7, 0.6, 0.55, 0.45][furthest]:
            furthest += 1
        times = {}
        for k in range(furthest + 1):
            if k > 0 and rng.random() < 0.08:
                continue  # a skipped stage
            if k > 0:
                t = t + timedelta(seconds=rng.randrange(60, 40 * 86400))
            times[STAGES[k]] = t
        if rng.random() < 0.04 and len(times) > 2:
            # inversion: a later stage stamped before an earlier one
            names = list(times)
            a, b = names[1], names[-1]
            times[a], times[b] = times[b], times[a]
        lost = furthest < 4 and rng.random() < 0.35
        lost_at = t + timedelta(seconds=rng.randrange(3600, 20 * 86400)) if lost else None
        # long rows
        later_source = rng.choices(SOURCES, WEIGHTS)[0] if rng.random() < 0.1 else source
        for n, (stage, when) in enumerate(times.items()):
            cell = stamp(when) if rng.random() > 0.005 else ""
            src = source if n == 0 else later_source
            long_rows.append([lead, rng.choice(SPELLINGS[stage]), cell, src])
            if rng.random() < 0.03:
                long_rows.append([lead, stage, stamp(when + timedelta(days=rng.randrange(0, 9))), src])
        if lost:
            long_rows.append([lead, rng.choice(["lost", "Closed Lost", "disqualified"]), stamp(lost_at), later_source])
        if rng.random() < 0.002:
            long_rows.append([lead, "demo", stamp(t), source])
        # wide rows: one per lead, a few leads over two rows
        row = {"lead_id": lead, "source": source}
        for stage in STAGES:
            row[stage] = stamp(times[stage]) if stage in times else ""
        row["lost"] = stamp(lost_at) if lost else ""
        if rng.random() < 0.03 and len(times) > 1:
            second = {"lead_id": " " + lead, "source": later_source, **{s: "" for s in STAGES}, "lost": ""}
            last = list(times)[-1]
            second[last], row[last] = row[last], ""
            wide_rows.append(second)
        wide_rows.append(row)
    rng.shuffle(long_rows)
    rng.shuffle(wide_rows)
    with open(long_path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["lead_id", "stage", "timestamp", "source"])
        w.writerows(long_rows)
    with open(wide_path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["lead_id", "source", "lead_at", "mql_at", "sql_at", "opportunity_at", "customer_at", "lost_at"])
        for r in wide_rows:
            w.writerow([r["lead_id"], r["source"]] + [r[s] for s in STAGES] + [r["lost"]])


if __name__ == "__main__":
    main()
