#!/usr/bin/env python3
"""The summary's tables (scripts/bench.sh, last): signatures on SQLite and on the
PostgreSQL instances, metrics off and on, matching, callbacks; read from what the
parts left in WORK, each "(not measured)" when its part did not run or failed.
Usage: summary.py WORK CLK_TCK"""
import os
import re
import sys

work, hz = sys.argv[1], int(sys.argv[2])

def us(t):  # wrk's "512.00us", "1.20ms", "2.01s" in µs
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", t or "")
    return float(m[1]) * {"us": 1, "ms": 1e3, "s": 1e6, "m": 6e7}[m[2]] if m else None

rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(work, "signatures.tsv"))]
fmt = "{:<30} {:>5} {:>11} {:>9} {:>9} {:>8} {:>12}"
print()
print("signatures (POST /api/jssdk/signatures, warm cache)")
print(fmt.format("setup", "conns", "requests/s", "p50", "p99", "non-2xx", "CPU/request"))

def cpu(ticks, requests):
    return f"{ticks / hz / requests * 1e6:.2f} µs" if requests else "-"

for label, conns, rps, p50, p99, non2xx, requests, ticks in rows:
    print(fmt.format(label, conns, rps, p50, p99, non2xx, cpu(int(ticks), int(requests or 0))))
pg = [r for r in rows if r[0].startswith("PostgreSQL")]
if pg:
    p99s = [us(r[4]) for r in pg]
    worst = f"{max(p99s) / 1e3:.2f}ms" if None not in p99s else "-"
    print(fmt.format(
        f"PostgreSQL, {len(pg)} instances, sum",
        sum(int(r[1]) for r in pg),
        f"{sum(float(r[2]) for r in pg):.2f}",
        "-",
        worst + "*",
        sum(int(r[5]) for r in pg),
        cpu(sum(int(r[7]) for r in pg), sum(int(r[6]) for r in pg)),
    ))
    print("  * the worst instance's p99; CPU/request counts the wecom-desk processes only")

print()
path = os.path.join(work, "metrics-summary.txt")
if os.path.exists(path):
    off, on, loss, scrape_ms, scrape_bytes = open(path).read().split()
    print(f"metrics: signatures {off}/s off, {on}/s on, loss {loss} % (target < 10 %);"
          f" one scrape {scrape_ms} ms, {scrape_bytes} bytes")
else:
    print("metrics: (not measured)")

print()
print("matching (candidates, designer with 10,000 customers, warm, one request at a time)")
for name, target in (("sqlite", "5"), ("postgres", "2")):
    path = os.path.join(work, f"match-{name}.txt")
    line = next((l for l in open(path) if l.startswith("warm:")), None) if os.path.exists(path) else None
    m = re.search(r"p50 ([\d.]+) ms, p99 ([\d.]+) ms", line or "")
    label = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[name]
    if m:
        print(f"{label:<12} p50 {m[1]:>6} ms   p99 {m[2]:>6} ms   (target p50 < {target} ms)")
    else:
        print(f"{label:<12} (not measured)")

print()
print("callbacks (SQLite, one instance, the callback worker and outbox running)")
cb = {}
if os.path.exists(os.path.join(work, "callbacks.tsv")):
    cb = dict(l.rstrip("\n").split("\t", 1) for l in open(os.path.join(work, "callbacks.tsv")))

def first_line(name, prefix):
    path = os.path.join(work, name)
    return next((l for l in open(path) if l.startswith(prefix)), "") if os.path.exists(path) else ""

def divan_median(name, bench):
    """(µs an iteration, items a second) of `bench`'s median in divan's table in
    WORK/name, or Nones."""
    path = os.path.join(work, name)
    lines = open(path).read().splitlines() if os.path.exists(path) else []
    scale = {"ns": 1e-3, "µs": 1, "ms": 1e3, "s": 1e6, "item/s": 1, "Kitem/s": 1e3, "Mitem/s": 1e6, "Gitem/s": 1e9}
    for i, line in enumerate(lines[:-1]):
        # The throughput line under the times, less the tree's "│" before it.
        cols, per = line.split("│"), re.sub(r"^[\s│]*", "", lines[i + 1]).split("│")
        if len(cols) < 4 or not re.search(rf"\b{bench}\b", cols[0]) or len(per) < 4:
            continue
        time, rate = (re.fullmatch(r"([\d.]+) (\S+)", c.strip()) for c in (cols[2], per[2]))
        if time and rate and time[2] in scale and rate[2] in scale:
            return float(time[1]) * scale[time[2]], float(rate[1]) * scale[rate[2]]
    return None, None


cfmt = "{:<44} {:>11} {:>10} {:>13}  {}"
print(cfmt.format("measure", "callbacks/s", "p99", "CPU/callback", "target"))
for label, what, target in (("distinct", "wrk, new messages (each an insert)", "≥ 10,000/s"),
                            ("duplicates", "wrk, the same messages again", "")):
    if f"{label}-rps" in cb:
        print(cfmt.format(what, cb[f"{label}-rps"], cb[f"{label}-p99"], cb[f"{label}-cpu"] + " µs", target))
    else:
        print(cfmt.format(what, "-", "-", "-", "(not measured)"))
for name, what in (("cb-paced.txt", "new messages"), ("cb-paced-dup.txt", "the same messages again")):
    rate = re.search(r"at a fixed (\d+)/s", first_line(name, "== callback"))
    m = re.search(r"p50 ([\d.]+) ms, p90 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms", first_line(name, "paced:"))
    label = f"fixed {rate[1] if rate else '?'}/s, {what}"
    if m:
        print(f"{label:<44} p50 {m[1]} ms, p90 {m[2]} ms, p99 {m[3]} ms, max {m[4]} ms  (target p99 < 5 ms)")
    else:
        print(f"{label:<44} (not measured)")
m = re.search(r"p50 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms", first_line("cb-notify.txt", "notify:"))
label = "notification 202 -> robot message"
if m:
    print(f"{label:<44} p50 {m[1]} ms, p99 {m[2]} ms, max {m[3]} ms  (target p50 < 100 ms)")
else:
    print(f"{label:<44} (not measured)")
if "distinct-added" in cb and "duplicates-added" in cb:
    print(f"{'inbox rows added':<44} {cb['distinct-added']} for {cb['distinct-requests']} new messages answered"
          f" (and those in flight when wrk stopped); {cb['duplicates-added']} for {cb['duplicates-requests']} duplicates")
for bench, what in (("insert_once_new_keys", "insert_once alone, 64 at once, new keys"),
                    ("transaction_of_64", "the same inserts, 64 a transaction")):
    time, rate = divan_median("cb-inbox-cost.txt", bench)
    if time is not None and rate is not None:
        print(f"{what:<44} {rate:.0f}/s, {time / 64:.0f} µs each (in-process, no HTTP; divan's median)")
for run in ("paced", "distinct"):
    if f"drain-{run}" in cb:
        print(f"{'callback worker after the ' + run + ' run':<44} {cb['drain-' + run]}/s,"
              f" {cb['drain-' + run + '-cpu']} µs server CPU each (reply queued and sent)")