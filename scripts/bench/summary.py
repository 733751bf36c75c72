#!/usr/bin/env python3
"""The summary's tables (scripts/bench.sh, last): signatures on SQLite and on the
PostgreSQL instances, metrics off and on, matching, the callback pipeline (SQLite, and
PostgreSQL with one and several instances, a column each) and the welcome under load;
read from what the parts left in WORK, each "(not measured)" or "-" when its part did
not run or failed.
Usage: summary.py WORK CLK_TCK"""
import os
import re
import sys

work, hz = sys.argv[1], int(sys.argv[2])

def us(t):  # wrk's "512.00us", "1.20ms", "2.01s" in µs
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", t or "")
    return float(m[1]) * {"us": 1, "ms": 1e3, "s": 1e6, "m": 6e7}[m[2]] if m else None

path = os.path.join(work, "signatures.tsv")
rows = [l.rstrip("\n").split("\t") for l in open(path)] if os.path.exists(path) else []
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


PACED = r"paced: p50 ([\d.]+) ms, p90 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms, errors (\d+)(?:, 503 (\d+))?"
rates = os.environ.get("CALLBACK_RATES", "1000 5000").split()
# The configurations the callback parts ran: SQLite, then PostgreSQL with 1 and N.
configs = []
for name in sorted(os.listdir(work)):
    m = re.fullmatch(r"cb-(sqlite|pg\d+)\.tsv", name)
    if m:
        configs.append(m[1])
configs.sort(key=lambda t: (t != "sqlite", int(t[2:]) if t.startswith("pg") else 0))
data = {t: dict(l.rstrip("\n").split("\t", 1) for l in open(os.path.join(work, f"cb-{t}.tsv")) if "\t" in l)
        for t in configs}


def title(t):
    return "SQLite, 1" if t == "sqlite" else f"PostgreSQL, {data[t].get('instances', t[2:])}"


def paced(t, what):
    m = re.search(PACED, first_line(f"cb-{t}-{what}.txt", "paced:"))
    if not m:
        return "-"
    extra = f", {m[6]}×503" if m[6] and m[6] != "0" else ""
    extra += f", {m[5]} errors" if m[5] != "0" else ""
    return f"{m[1]} / {m[3]} ms{extra}"


def get(t, key, fmt="{}"):
    v = data[t].get(key)
    if v in (None, ""):
        return "-"
    return fmt.format(v) if re.fullmatch(r"[\d.]+(ms|us|s)?", v) else v


cb_rows = [
    ("load tool floor: wrk GET /healthz, req/s", lambda t: get(t, "calib-wrk-rps", "{}/s"), "(> the callback rate)"),
    ("new callbacks/s (wrk, new texts, worker on)", lambda t: get(t, "distinct-rps", "{}/s"), "≥ 10,000/s"),
    ("  server CPU per new callback", lambda t: get(t, "distinct-cpu", "{} µs"), ""),
    ("  wrk p99", lambda t: get(t, "distinct-p99"), ""),
    ("duplicates/s (wrk, no insert)", lambda t: get(t, "duplicates-rps", "{}/s"), ""),
]
for r in rates:
    cb_rows.append((f"ack p50 / p99 at {r}/s, new texts (open loop)", lambda t, r=r: paced(t, f"paced-{r}"),
                 "p99 < 5 ms" if r == rates[0] else "p99 < 5 ms"))
    cb_rows.append((f"  paced sender's floor at {r}/s (GET /healthz)", lambda t, r=r: paced(t, f"calib-{r}"), ""))
    cb_rows.append((f"  worker after it: texts processed/s", lambda t, r=r: get(t, f"drain-paced-{r}", "{}/s")
                 + ("" if get(t, f"drain-paced-{r}-left") in ("0", "-") else f" ({get(t, f'drain-paced-{r}-left')} left)"), ""))
cb_rows += [
    ("ack p50 / p99, the same texts again", lambda t: paced(t, "paced-dup"), ""),
    ("worker after wrk: texts processed/s", lambda t: get(t, "drain-distinct", "{}/s")
     + ("" if get(t, "drain-distinct-left") in ("0", "-") else f" ({get(t, 'drain-distinct-left')} left)"), ""),
    ("  app-message replies still queued", lambda t: get(t, "drain-distinct-queued"), ""),
    ("burst of group events (no WeCom call): count", lambda t: get(t, "burst-count"), "100,000"),
    ("  answered 200 / 503", lambda t: f"{get(t, 'burst-ok')} / {get(t, 'burst-503')}", ""),
    ("  all processed after (s from the burst's start)", lambda t: get(t, "burst-secs", "{} s")
     + ("" if get(t, "burst-left") in ("0", "-") else f" ({get(t, 'burst-left')} left)")
     + ("" if get(t, "burst-backlog") in ("0", "-") else f" (+{get(t, 'burst-backlog')} from before)"), "< 60 s"),
    ("  worker: processed/s overall / after intake", lambda t: f"{get(t, 'burst-rate')} / {get(t, 'burst-rate-after')}", "≥ 2,000/s"),
    ("flood: callbacks / connections", lambda t: f"{get(t, 'flood-count')} / {get(t, 'flood-conns')}", "1,000,000"),
    ("  answered 200 / 503 / other", lambda t: f"{get(t, 'flood-ok')} / {get(t, 'flood-503')} / {get(t, 'flood-other')}", "503 = back-pressure"),
    ("  sent in", lambda t: get(t, "flood-secs", "{} s"), ""),
    ("  server VmHWM (peak) / VmRSS after, MB", lambda t: f"{get(t, 'flood-hwm-mb')} / {get(t, 'flood-rss-mb')}", "< 300 MB"),
]

print()
print("the callback pipeline (worker and outbox running; a column per database and instance count)")
if not configs:
    print("(not measured)")
else:
    width = max(len(r[0]) for r in cb_rows)
    cols = [max(18, max(len(str(fn(t))) for _, fn, _ in cb_rows)) for t in configs]
    print(f"{'measure':<{width}}  " + "  ".join(f"{title(t):>{w}}" for t, w in zip(configs, cols)) + "  goal")
    for label, fn, goal in cb_rows:
        print(f"{label:<{width}}  " + "  ".join(f"{fn(t):>{w}}" for t, w in zip(configs, cols)) + f"  {goal}")
    print("  p50 / p99 of the acknowledgement in ms from the scheduled send; the floor is the same sender against GET /healthz")

m = re.search(r"p50 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms", first_line("cb-sqlite-notify.txt", "notify:"))
label = "notification 202 -> robot message (SQLite)"
print(f"{label:<44} " + (f"p50 {m[1]} ms, p99 {m[2]} ms, max {m[3]} ms  (target p50 < 100 ms)" if m else "(not measured)"))
for bench, what in (("insert_once_new_keys", "insert_once alone, 64 at once, new keys"),
                    ("transaction_of_64", "the same inserts, 64 a transaction")):
    time, rate = divan_median("cb-inbox-cost.txt", bench)
    if time is not None and rate is not None:
        print(f"{what:<44} {rate:.0f}/s, {time / 64:.0f} µs each (in-process, no HTTP; divan's median)")

print()
print("the welcome under load (scan -> add event delivered -> send_welcome_msg seen at the simulator)")
for name in ("SQLite", "PostgreSQL"):
    path = f"welcome-{name}.txt"
    head = first_line(path, "== welcome latency:")
    m = re.search(r"welcome: p50 ([\d.]+) ms, p90 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms, missing (\d+), scans failed (\d+)",
                  first_line(path, "welcome:"))
    if m:
        what = re.sub(r"^== welcome latency: ", "", head).strip()
        print(f"{name:<11} p50 {m[1]} ms, p99 {m[3]} ms, max {m[4]} ms, missing {m[5]}, scans failed {m[6]}"
              f"  (target p99 < 2 s)\n            {what}")
    elif os.path.exists(os.path.join(work, path)) or name == "SQLite":
        print(f"{name:<11} (not measured)")
