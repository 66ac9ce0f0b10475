#!/usr/bin/python3
"""Reference funnel query (QUERY.md in the bench kit) with pandas; adapted from the kit.

usage: /usr/bin/python3 peers/pandas_funnel.py FILE.csv   (long or wide shape, from the header)
Needs Debian python3-pandas (pandas 1.5); run it with /usr/bin/python3.
"""
import sys

import numpy as np
import pandas as pd

STAGES = ["lead", "mql", "sql", "opportunity", "customer"]
HEADER = "segment,stage,reached,step_conversion,overall_conversion,median_days_to_customer"


def per_lead_long(path):
    df = pd.read_csv(path, usecols=["lead_id", "stage", "timestamp", "source"],
                     dtype=str, keep_default_na=False)
    df["k"] = df["stage"].map({s: i for i, s in enumerate(STAGES)})
    df = df[df["k"].notna()]
    df["ts"] = pd.to_datetime(df["timestamp"], utc=True)
    # source(lead) = smallest label.  groupby(...).min() on strings falls back to
    # a pure-Python loop in pandas 1.5 (~25 s per 1M leads), so take the min of
    # sorted factor codes instead.
    codes, labels = pd.factorize(df["source"].mask(df["source"] == "", "(none)"), sort=True)
    df["src"] = codes
    g = df.groupby("lead_id", sort=False)
    src_code = g["src"].min()
    per = pd.DataFrame({"source": labels.take(src_code.to_numpy()), "maxk": g["k"].max(),
                        "first": g["ts"].min()}, index=src_code.index)
    per["cust"] = df[df["k"] == 4].groupby("lead_id", sort=False)["ts"].min()
    return per


def per_lead_wide(path):
    cols = [s + "_at" for s in STAGES]
    df = pd.read_csv(path, usecols=["lead_id", "source"] + cols,
                     dtype={"lead_id": str, "source": str}, keep_default_na=False,
                     na_values={c: [""] for c in cols})
    for c in cols:
        df[c] = pd.to_datetime(df[c], utc=True).dt.tz_convert(None)
    present = df[cols].notna().to_numpy()
    maxk = np.where(present.any(axis=1), 4 - np.argmax(present[:, ::-1], axis=1), -1)
    per = pd.DataFrame({
        "source": df["source"].mask(df["source"] == "", "(none)"),
        "maxk": maxk,
        "first": df[cols].min(axis=1),
        "cust": df["customer_at"],
    })
    return per[per["maxk"] >= 0]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: pandas_funnel.py FILE.csv")
    path = sys.argv[1]
    with open(path, "rb") as f:
        header = f.readline().decode()
    per = per_lead_wide(path) if "customer_at" in header else per_lead_long(path)
    per["days"] = (per["cust"] - per["first"]).dt.total_seconds() / 86400.0

    out = [HEADER]
    segments = [("(all)", per)] + sorted(per.groupby("source"), key=lambda x: x[0].encode())
    for name, part in segments:
        counts = np.bincount(part["maxk"].astype(int).to_numpy(), minlength=5)
        reached = counts[::-1].cumsum()[::-1]
        med = part.loc[part["cust"].notna(), "days"].median()
        label = '"%s"' % name.replace('"', '""') if any(c in name for c in ',"\r\n') else name
        for k, stage in enumerate(STAGES):
            step = "" if k == 0 or reached[k - 1] == 0 else "%.6f" % (reached[k] / reached[k - 1])
            overall = "%.6f" % (reached[k] / reached[0])
            m = "%.4f" % med if k == 4 and not np.isnan(med) else ""
            out.append(f"{label},{stage},{reached[k]},{step},{overall},{m}")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
