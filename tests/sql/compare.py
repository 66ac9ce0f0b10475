#!/usr/bin/env python3
"""The funnel sql tier's driver: for each case (a golden example that fits the long or wide
shape, and the generated exports), load the files into PostgreSQL, ClickHouse (a Distributed
table over two shards) and DuckDB, run `funnel sql`'s query on each, and compare the result
with `funnel report -f csv` on the same files: counts equal, rates and days equal to the
printed precision. Started by tests/sql/run.sh, which starts and stops the servers.

usage: compare.py FUNNEL REPO WORK PG_SOCKET_DIR PG_PORT CH_PORT GENERATED_LONG GENERATED_WIDE
Exit status 0 when every comparison holds, 1 on any mismatch or engine error."""
import csv
import glob
import gzip
import io
import json
import os
import re
import shlex
import subprocess
import sys
import random
import time
from datetime import datetime, timedelta, timezone

FUNNEL, REPO, WORK, PG_SOCKET, PG_PORT, CH_PORT, GEN_LONG, GEN_WIDE = sys.argv[1:9]
HERE = os.path.dirname(os.path.abspath(__file__))
ENGINES = os.environ.get("FUNNEL_SQL_ENGINES", "postgres,clickhouse,duckdb").split(",")
PSQL = "/usr/lib/postgresql/15/bin/psql"
RATE_COLUMNS = {"step_conversion", "overall_conversion", "step_ci_low", "step_ci_high", "vs_rest_p"}
COUNT_COLUMNS = {"reached", "dropped", "lost", "open", "stalled"}
TEXT_COLUMNS = {"segment", "stage", "section"}
SQL_COLUMNS = ["segment", "stage", "section", "reached", "step_conversion", "overall_conversion", "dropped",
               "lost", "open", "stalled", "days_to_next_median", "days_to_next_p90", "days_to_next_mean",
               "days_from_entry_median", "days_from_entry_p90", "days_from_entry_mean", "step_ci_low",
               "step_ci_high", "vs_rest_p"]
ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?(Z|[+-]\d{2}:?\d{2})?$")


class NotFit(Exception):
    """The case does not fit the shapes funnel sql reads: listed, not compared."""


class Failure(Exception):
    """An engine error or a mismatch: the tier fails."""


def run(args, stdin=None, env=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True, env=env)


def defuse(text):
    """The csv renderer's spreadsheet defusing of text cells."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_utc(cell, column, where):
    """An ISO time as funnel reads it, in UTC as 'YYYY-MM-DD HH:MM:SS'."""
    m = ISO.match(cell.strip())
    if not m:
        raise NotFit(f"{where}: time column {column!r} holds {cell!r}, not an ISO time the loader converts")
    y, mo, d, h, mi, s, zone = m.groups()
    t = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), tzinfo=timezone.utc)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        t = t.replace(tzinfo=None)
        t = (t - sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))).replace(tzinfo=timezone.utc)
    return t.strftime("%Y-%m-%d %H:%M:%S")


def read_rows(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as f:
        text = f.read()
    if "\n" in text and "," not in text.split("\n", 1)[0]:
        raise NotFit(f"{path}: the header is not comma separated")
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if r and not (len(r) == 1 and r[0].strip() == "")]
    return rows


def time_columns(query):
    line = next((l for l in query.splitlines() if l.startswith("-- shape: ")), None)
    if line is None:
        raise Failure("funnel sql's header has no '-- shape:' line")
    part = line.split("time columns: ", 1)[1]
    return [name.replace('""', '"') for name in re.findall(r'"((?:[^"]|"")*)"', part)]


def ch(query, stdin=None, fmt=None, multi=False):
    args = ["clickhouse-client", "--host", "127.0.0.1", "--port", CH_PORT, "--query", query]
    if multi:
        args.append("--multiquery")
    if fmt:
        args += ["--format", fmt]
    r = run(args, stdin=stdin)
    if r.returncode != 0:
        raise Failure(f"clickhouse: {r.stderr.strip()[:2000]}")
    return r.stdout


def psql(args, stdin=None):
    env = dict(os.environ, PGOPTIONS="-c TimeZone=Pacific/Kiritimati")
    r = run([PSQL, "-h", PG_SOCKET, "-p", PG_PORT, "-U", "postgres", "-d", "postgres", "-X", "-q",
             "-v", "ON_ERROR_STOP=1"] + args, stdin=stdin, env=env)
    if r.returncode != 0:
        raise Failure(f"postgres: {r.stderr.strip()[:2000]}")
    return r.stdout


def number(value, column):
    if value is None or value == "" or value == "\\N":
        return None
    return float(value)


def compare(engine, label, reference, header, rows):
    """Each engine row against funnel's csv row, naming engine, file, row and column."""
    if header[:len(SQL_COLUMNS)] != SQL_COLUMNS:
        raise Failure(f"{engine} {label}: columns {header} are not {SQL_COLUMNS}")
    ref_header, ref_rows = reference[0], reference[1:]
    if ref_header[:len(SQL_COLUMNS)] != SQL_COLUMNS:
        raise Failure(f"{label}: funnel report's columns {ref_header} are not {SQL_COLUMNS}")
    if len(rows) != len(ref_rows):
        raise Failure(f"MISMATCH {engine} {label}: {len(rows)} rows, funnel report has {len(ref_rows)}")
    for i, (got, want) in enumerate(zip(rows, ref_rows), start=1):
        for j, name in enumerate(SQL_COLUMNS):
            g, w = got[j], want[j]
            where = f"MISMATCH {engine} {label}: row {i} ({want[0]} / {want[1]}) column {name}"
            if name in TEXT_COLUMNS:
                if defuse("" if g is None else str(g)) != w:
                    raise Failure(f"{where}: {g!r}, funnel report {w!r}")
                continue
            value = number(g, name)
            if name in COUNT_COLUMNS:
                if value is None or int(value) != value or str(int(value)) != w:
                    raise Failure(f"{where}: {g!r}, funnel report {w!r}")
                continue
            if value is None or w == "":
                if not (value is None and w == ""):
                    raise Failure(f"{where}: {g!r}, funnel report {w!r}")
                continue
            decimals = 6 if name in RATE_COLUMNS else 4
            printed = f"{value:.{decimals}f}"
            if printed == w:
                continue
            # Equal to the printed precision: a value on the rounding boundary may go either way.
            half = 0.5 * 10 ** -decimals
            if abs(abs(value - float(w)) - half) <= 1e-9 * max(1.0, abs(value)):
                continue
            raise Failure(f"{where}: {g!r} prints {printed}, funnel report {w!r}")


def read_group(files):
    """The rows of every file of one case, which must share a header."""
    rows, header = [], None
    for path in files:
        file_rows = read_rows(os.path.join(REPO, path) if not os.path.isabs(path) else path)
        if not file_rows:
            raise NotFit(f"{path}: no rows")
        if header is None:
            header = file_rows[0]
        elif [h.strip().lower() for h in file_rows[0]] != [h.strip().lower() for h in header]:
            raise NotFit(f"{path}: another header")
        for n, r in enumerate(file_rows[1:], start=2):
            if len(r) != len(header):
                raise NotFit(f"{path}:{n}: {len(r)} fields, the header has {len(header)}")
            if [c.strip().lower() for c in r] == [h.strip().lower() for h in header]:
                raise NotFit(f"{path}:{n}: a repeated header")
            rows.append(r)
    if any("," in h or "\n" in h for h in header):
        raise NotFit("a column name holds a comma")
    return table_names(header), rows


def table_names(header):
    """The names a loader gives the columns: a table holds one column of a name, so a repeat in
    the export's header (HubSpot repeats "Associated Company IDs") is renamed as DuckDB's
    read_csv renames it: the second 'X' becomes 'X_1'."""
    names, taken = [], set()
    for name in header:
        new, k = name, 0
        while new in taken:
            k += 1
            new = f"{name}_{k}"
        taken.add(new)
        names.append(new)
    return names


def pg_ident(name):
    return '"' + name.replace('"', '""') + '"'


def ch_ident(name):
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def tsv(v):
    if v is None:
        return "\\N"
    return v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def run_group(group_id, files, cases, counters, failures, not_fit):
    """Loads one set of files into every engine once and runs each case's query on it.
    `cases`: [(label, rest, reference csv rows)]."""
    header, rows = read_group(files)
    table = f"t{group_id}"
    fitting, times = [], None
    for n, (label, rest, reference) in enumerate(cases):
        queries = {}
        try:
            for dialect in dict.fromkeys(ENGINES + ["postgres"]):
                r = run([FUNNEL, "sql", "--dialect", dialect, "--table", table, "--columns", ",".join(header)] + rest)
                if r.returncode != 0:
                    raise NotFit(f"funnel sql exits {r.returncode}: {' '.join(r.stderr.split())}")
                queries[dialect] = r.stdout
            these = time_columns(queries["postgres"])
            if times is not None and these != times:
                raise NotFit(f"time columns {these} differ from the file's other cases' {times}")
            times = these
        except NotFit as e:
            not_fit.append(f"{label}: {e}")
            continue
        fitting.append((n, label, rest, reference, queries))
    if not fitting:
        return
    index = {name: i for i, name in enumerate(header)}
    time_idx = {index[name] for name in times}
    converted = []
    for r in rows:
        out = list(r)
        for i in time_idx:
            out[i] = to_utc(r[i], header[i], ", ".join(files)) if r[i].strip() else None
        converted.append(out)
    # PostgreSQL and DuckDB: one CSV, empty = NULL.
    data = os.path.join(WORK, f"{table}.csv")
    with open(data, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in converted:
            w.writerow(["" if v is None else v for v in r])
    kinds = [[name, "time" if i in time_idx else "text"] for i, name in enumerate(header)]
    columns_json = os.path.join(WORK, f"{table}.json")
    with open(columns_json, "w") as f:
        json.dump(kinds, f)
    qfiles = {}
    for n, label, rest, reference, queries in fitting:
        for dialect in ENGINES:
            qfiles[(n, dialect)] = os.path.join(WORK, f"{table}.{n}.{dialect}.sql")
            with open(qfiles[(n, dialect)], "w") as f:
                f.write(queries[dialect])

    for dialect in ENGINES:
        started = time.monotonic()
        results = {}  # case number -> (header, rows)
        try:
            if dialect == "postgres":
                cols = ", ".join(f"{pg_ident(n)} {'timestamp' if k == 'time' else 'text'}" for n, k in kinds)
                psql(["-c", f"DROP TABLE IF EXISTS {table}", "-c", f"CREATE TABLE {table} ({cols})",
                      "-c", f"\\copy {table} FROM '{data}' WITH (FORMAT csv, HEADER true)"])
                for n, *_ in fitting:
                    out = list(csv.reader(psql(["--csv", "-f", qfiles[(n, dialect)]]).splitlines()))
                    # psql's csv writes NULL and '' alike; text columns are never NULL in the result.
                    got = [[("" if SQL_COLUMNS[j] in TEXT_COLUMNS else None) if c == "" else c for j, c in enumerate(r)]
                           for r in out[1:]]
                    results[n] = (out[0], got)
                psql(["-c", f"DROP TABLE {table}"])
            elif dialect == "clickhouse":
                cols = ", ".join(f"{ch_ident(n)} Nullable({'DateTime' if k == 'time' else 'String'})" for n, k in kinds)
                ch(f"CREATE TABLE shard1.{table} ({cols}) ENGINE = MergeTree ORDER BY tuple(); "
                   f"CREATE TABLE shard2.{table} ({cols}) ENGINE = MergeTree ORDER BY tuple(); "
                   f"CREATE TABLE default.{table} AS shard1.{table} ENGINE = Distributed(two_shards, '', {table})",
                   multi=True)
                # Rows split across the shards at random (a lead's rows land on both), the first
                # two rows one to each shard so that neither is empty.
                rng = random.Random(group_id)
                parts = {"shard1": [], "shard2": []}
                for i, r in enumerate(converted):
                    shard = ("shard1", "shard2")[i] if i < 2 else ("shard1" if rng.random() < 0.5 else "shard2")
                    parts[shard].append("\t".join(tsv(v) for v in r))
                for shard, lines in parts.items():
                    if lines:
                        ch(f"INSERT INTO {shard}.{table} FORMAT TabSeparated", stdin="".join(l + "\n" for l in lines))
                counts = [int(c) for c in ch(f"SELECT (SELECT count() FROM shard1.{table}), "
                                             f"(SELECT count() FROM shard2.{table})").split()]
                if min(counts) == 0 and len(converted) > 1:
                    raise Failure(f"clickhouse {', '.join(files)}: a shard is empty ({counts})")
                for n, *_ in fitting:
                    out = json.loads(ch(open(qfiles[(n, dialect)]).read(), fmt="JSONCompact"))
                    results[n] = ([m["name"] for m in out["meta"]], out["data"])
                ch(f"DROP TABLE default.{table}; DROP TABLE shard1.{table}; DROP TABLE shard2.{table}", multi=True)
            else:
                r = run(["node", os.path.join(HERE, "duckdb_run.js"), table, data, columns_json]
                        + [qfiles[(n, dialect)] for n, *_ in fitting])
                if r.returncode != 0:
                    raise Failure(f"duckdb {', '.join(files)}: {r.stderr.strip()[:2000]}")
                for (n, *_), line in zip(fitting, r.stdout.splitlines()):
                    out = json.loads(line)
                    results[n] = (out["columns"], out["rows"])
        except Failure as e:
            failures.append(str(e))
            print(f"FAIL {dialect} {', '.join(files)}: {e}", flush=True)
            continue
        all_equal = True
        for n, label, rest, reference, queries in fitting:
            try:
                if n not in results:
                    raise Failure(f"{dialect} {label}: no result")
                compare(dialect, label, reference, *results[n])
                counters["queries"] += 1
            except Failure as e:
                all_equal = False
                failures.append(str(e))
                print(f"FAIL {e}", flush=True)
        counters["pairs"] += all_equal
        print(f"{dialect:10s} {', '.join(os.path.basename(f) for f in files)}: {len(fitting)} queries compared "
              f"({len(converted)} rows, {time.monotonic() - started:.1f} s)", flush=True)
    os.remove(data)


def golden_cases():
    cases = []
    for cmd_path in sorted(glob.glob(os.path.join(REPO, "tests/golden/*/cmd"))):
        name = os.path.basename(os.path.dirname(cmd_path))
        if os.path.exists(os.path.join(os.path.dirname(cmd_path), "stdin")):
            continue
        args = shlex.split(open(cmd_path).read())
        if args[:2] != ["funnel", "report"]:
            continue
        files, rest, skip = [], [], False
        i = 2
        while i < len(args):
            a = args[i]
            if a in ("-f", "--format", "-o", "--output"):
                i += 2
                continue
            if a.startswith("--format=") or a in ("-q", "--quiet"):
                i += 1
                continue
            if not a.startswith("-") and os.path.isfile(os.path.join(REPO, a)) and (i == 2 or not args[i - 1].startswith("--") or args[i - 1] in ("-q", "--quiet", "--lenient", "--strict-stages")):
                files.append(a)
            else:
                rest.append(a)
            i += 1
        if not files or skip:
            continue
        cases.append((f"golden {name}: {' '.join(files)}", files, rest))
    return cases


def main():
    started = time.monotonic()
    cases = golden_cases()
    cases.append((f"generated long {os.path.basename(GEN_LONG)} --by source", [GEN_LONG], ["--by", "source"]))
    cases.append((f"generated long {os.path.basename(GEN_LONG)} ordered, window, stale", [GEN_LONG],
                  ["--by", "source", "--count", "ordered", "--window", "30d", "--stale", "20d"]))
    cases.append((f"generated long {os.path.basename(GEN_LONG)} period, as-of, last touch", [GEN_LONG],
                  ["--by", "source", "--attribution", "last", "--since", "2024-03-01", "--until", "2024-09-01",
                   "--as-of", "2024-12-31"]))
    cases.append((f"generated wide {os.path.basename(GEN_WIDE)} --by source", [GEN_WIDE], ["--by", "source"]))
    cases.append((f"generated wide {os.path.basename(GEN_WIDE)} ordered, window", [GEN_WIDE],
                  ["--by", "source", "--count", "ordered", "--window", "45d"]))
    seen, counters, not_fit, failures = set(), {"pairs": 0, "queries": 0}, [], []
    groups = {}  # files -> [(label, rest, reference)], in first-seen order
    for label, files, rest in cases:
        key = (tuple(files), tuple(rest))
        if key in seen or not re.search(os.environ.get("FUNNEL_SQL_ONLY", ""), label):
            continue
        seen.add(key)
        ref = run([FUNNEL, "report", "-q"] + rest + ["-f", "csv"] + [os.path.join(REPO, f) for f in files])
        if ref.returncode != 0:
            not_fit.append(f"{label}: funnel report exits {ref.returncode}")
            continue
        groups.setdefault(tuple(files), []).append((f"{label} {' '.join(rest)}".strip(), rest,
                                                    list(csv.reader(ref.stdout.splitlines()))))
    for group_id, (files, group) in enumerate(groups.items()):
        try:
            run_group(group_id, list(files), group, counters, failures, not_fit)
        except NotFit as e:
            not_fit.extend(f"{label}: {e}" for label, _, _ in group)
    for line in not_fit:
        print(f"not compared (does not fit the long or wide shape funnel sql reads): {line}")
    elapsed = time.monotonic() - started
    print(f"funnel sql tier: {counters['pairs']} (file, engine) pairs equal, {counters['queries']} (query, engine) "
          f"results compared equal, {len(failures)} failures, {len(not_fit)} cases not fitting, {elapsed:.0f} s")
    if failures:
        for f in failures:
            print(f, file=sys.stderr)
        return 1
    if counters["pairs"] == 0:
        print("no pair was compared", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
