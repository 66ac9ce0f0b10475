#!/usr/bin/env python3
"""Print run.sh's results as Markdown tables (standard library only).

usage: summarize.py OUT_DIR TAG...

Reads OUT_DIR/meta_TAG.env, hf_TAG.json (hyperfine), time_<tool>_TAG.txt
(GNU time '%e %U %S %M'), hf_small.json and huge.env when present.
Times are hyperfine medians; ratios are funnel / DuckDB from the same run.
"""
import json
import os
import sys

MIB = 1024.0  # GNU time %M is KiB


def read_env(path):
    env = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("=")
                env[k] = v
    return env


def read_hf(path):
    """command name -> result dict (median, min, max, times, ...)."""
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return {r["command"]: r for r in json.load(f)["results"]}


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def read_rounds(out, tag):
    """hyperfine results of every round for one file: a list of {command: result}."""
    rounds = []
    r = 1
    while True:
        main = os.path.join(out, f"hf_{tag}.r{r}.json")
        stdin = os.path.join(out, f"hf_{tag}_stdin.r{r}.json")
        if not (os.path.exists(main) or os.path.exists(stdin)):
            return rounds
        hf = read_hf(main)
        hf.update(read_hf(stdin))
        rounds.append(hf)
        r += 1


def pooled(rounds):
    """{command: {median, min, max}} over all runs of all rounds."""
    times = {}
    for hf in rounds:
        for name, res in hf.items():
            times.setdefault(name, []).extend(res["times"])
    return {k: {"median": median(v), "min": min(v), "max": max(v), "n": len(v)}
            for k, v in times.items()}


def round_ratio(rounds, a, b):
    """Median over rounds of (median a / median b) in the same round, with min-max."""
    rs = [hf[a]["median"] / hf[b]["median"] for hf in rounds if a in hf and b in hf]
    if not rs:
        return "—"
    if len(rs) == 1:
        return f"{rs[0]:.2f}"
    return f"{median(rs):.2f} [{min(rs):.2f}–{max(rs):.2f}]"


def read_time(out, tool, tag):
    """(wall s, cpu s, peak MiB) from one GNU time run, or None."""
    path = os.path.join(out, f"time_{tool}_{tag}.txt")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        fields = f.read().split()
    try:
        e, u, s, m = (float(x) for x in fields[-4:])
    except ValueError:
        return None
    return e, u + s, m / MIB


def sec(r):
    return f"{r['median']:.3f}" if r else "—"


def rng(r):
    return f"{r['median']:.3f} [{r['min']:.3f}–{r['max']:.3f}]" if r else "—"


def ratio(a, b, digits=2):
    return f"{a / b:.{digits}f}" if a and b else "—"


def med(r):
    return r["median"] if r else None


def mib(t):
    return t[2] if t else None


def num(x, digits):
    return "—" if x is None else f"{x:.{digits}f}"


def row(*cells):
    print("| " + " | ".join(str(c) for c in cells) + " |")


def main():
    out, tags = sys.argv[1], sys.argv[2:]
    data = []
    for tag in tags:
        meta = read_env(os.path.join(out, f"meta_{tag}.env"))
        if not meta:
            continue
        rounds = read_rounds(out, tag)
        data.append((tag, meta, pooled(rounds), rounds))

    p = print
    p("Times: hyperfine median wall seconds. Peak RSS: one run under /usr/bin/time.")
    nr = max((len(d[3]) for d in data), default=0)
    p(f"Time ratio: funnel median / DuckDB median within the same hyperfine call "
      f"(below 1 = funnel is faster){'; median [min–max] over %d rounds' % nr if nr > 1 else ''}. "
      f"Medians in seconds pool every run of every round ({nr} round{'s' if nr != 1 else ''}).\n")

    p("### funnel vs DuckDB\n")
    p("| file | shape | rows | MB | funnel s | DuckDB s | **time ratio** | funnel MiB | "
      "DuckDB MiB | **RSS ratio** | numbers |")
    p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for tag, meta, hf, rounds in data:
        fr, dr = hf.get("funnel"), hf.get("duckdb")
        fm, dm = mib(read_time(out, "funnel", tag)), mib(read_time(out, "duckdb", tag))
        row(tag, meta["shape"], f"{int(meta['rows']):,}", f"{int(meta['bytes']) / 1e6:.1f}",
            sec(fr), sec(dr), f"**{round_ratio(rounds, 'funnel', 'duckdb')}**", num(fm, 1), num(dm, 1),
            f"**{ratio(fm, dm)}**", meta.get("verify", "—"))
    p("\nnumbers: funnel (via to_reference.sh) vs DuckDB, by the bench kit's verify.py. "
      "pandas vs DuckDB: " + ", ".join(f"{t} {m.get('pandas', 'not run')}" for t, m, _, _ in data)
      + ".")

    p("\n### Per round (a round slower for both tools points at other load on the machine)\n")
    p("| file | round | funnel s | DuckDB s | time ratio |")
    p("|---|---:|---:|---:|---:|")
    for tag, meta, hf, rounds in data:
        for i, r in enumerate(rounds, start=1):
            f, d = med(r.get("funnel")), med(r.get("duckdb"))
            row(tag, i, num(f, 3), num(d, 3), ratio(f, d))

    p("\n### Every command: median wall s [min–max]\n")
    p("| file | funnel FILE | funnel - < FILE | cat FILE \\| funnel - | DuckDB | pandas | "
      "cat FILE >/dev/null | wc -l FILE |")
    p("|---|---:|---:|---:|---:|---:|---:|---:|")
    for tag, meta, hf, rounds in data:
        row(tag, *(rng(hf.get(k)) for k in ("funnel", "funnel stdin <", "cat | funnel",
                                            "duckdb", "pandas", "cat >/dev/null", "wc -l")))

    p("\n### Derived ratios\n")
    p("| file | stdin< / file | cat\\| / file | pandas / DuckDB | funnel / `cat` floor | "
      "funnel MB/s | DuckDB MB/s | stdin output |")
    p("|---|---:|---:|---:|---:|---:|---:|---|")
    for tag, meta, hf, rounds in data:
        f, d = med(hf.get("funnel")), med(hf.get("duckdb"))
        mb = int(meta["bytes"]) / 1e6
        row(tag, ratio(med(hf.get("funnel stdin <")), f), ratio(med(hf.get("cat | funnel")), f),
            ratio(med(hf.get("pandas")), d), ratio(f, med(hf.get("cat >/dev/null")), 0),
            num(mb / f if f else None, 0), num(mb / d if d else None, 0),
            meta.get("stdin", "—"))

    p("\n### CPU and memory (one run each under /usr/bin/time)\n")
    p("| file | tool | wall s | cpu s (user+sys) | cpu / wall | peak RSS MiB |")
    p("|---|---|---:|---:|---:|---:|")
    for tag, meta, hf, rounds in data:
        for tool in ("funnel", "funnel_stdin", "duckdb", "pandas"):
            t = read_time(out, tool, tag)
            if t:
                row(tag, tool, f"{t[0]:.2f}", f"{t[1]:.2f}", ratio(t[1], t[0]), f"{t[2]:.1f}")

    p("\n### Scaling: rows vs time\n")
    p("| shape | file | rows | MB | funnel s | funnel M rows/s | DuckDB s | "
      "DuckDB M rows/s | time ratio |")
    p("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for shape in ("long", "wide"):
        for tag, meta, hf, rounds in sorted((d for d in data if d[1]["shape"] == shape),
                                    key=lambda d: int(d[1]["rows"])):
            rows = int(meta["rows"])
            f, d = med(hf.get("funnel")), med(hf.get("duckdb"))
            row(shape, tag, f"{rows:,}", f"{int(meta['bytes']) / 1e6:.1f}",
                sec(hf.get("funnel")), num(rows / f / 1e6 if f else None, 2),
                sec(hf.get("duckdb")), num(rows / d / 1e6 if d else None, 2),
                round_ratio(rounds, "funnel", "duckdb"))

    small = read_hf(os.path.join(out, "hf_small.json"))
    if small:
        f, t, d = (med(small.get(k)) for k in ("funnel", "true", "duckdb"))
        p("\n### Small input (1,000-row export; hyperfine -N, no shell)\n")
        p("| command | median ms [min–max] |")
        p("|---|---:|")
        for k in ("funnel", "true", "duckdb"):
            r = small.get(k)
            if r:
                p(f"| {k} | {r['median'] * 1e3:.1f} [{r['min'] * 1e3:.1f}–{r['max'] * 1e3:.1f}] |")
        if f and t:
            p(f"\nfunnel − true = {(f - t) * 1e3:.1f} ms of start-up and work; "
              f"funnel / DuckDB = {ratio(f, d, 3)}.")

    huge = read_env(os.path.join(out, "huge.env"))
    if huge:
        g, fn = read_time(out, "gen", "huge"), read_time(out, "funnel", "huge")
        p(f"\n### {int(huge['leads']):,} leads through a pipe (gen.py | funnel report -f csv -)\n")
        p(f"- rows {int(huge['rows']):,}, {int(huge['bytes']) / 1e9:.2f} GB streamed, "
          f"never written to disk; pipeline wall {huge['wall']} s")
        if g:
            p(f"- gen.py: wall {g[0]:.1f} s, cpu {g[1]:.1f} s, peak {g[2]:.0f} MiB")
        if fn:
            p(f"- funnel: wall {fn[0]:.1f} s, cpu {fn[1]:.1f} s "
              f"({fn[1] / fn[0] * 100:.0f} % of its wall: the rest is waiting for the "
              f"generator), peak RSS {fn[2]:.0f} MiB")
        p(f"- (all),lead reached = {huge.get('all_lead_reached')} "
          f"({'= leads, OK' if huge.get('all_lead_reached') == huge['leads'] else 'MISMATCH'})")


if __name__ == "__main__":
    main()
