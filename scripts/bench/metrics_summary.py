#!/usr/bin/env python3
"""Metrics off and on (scripts/bench/metrics.sh): requests/s and CPU of each, the
loss, and one scrape over HTTP; writes WORK/metrics-summary.txt for the summary.
Usage: metrics_summary.py WORK CLK_TCK"""
import os
import statistics
import sys

work, hz = sys.argv[1], int(sys.argv[2])
runs = [l.split("\t") for l in open(os.path.join(work, "metrics.tsv")).read().splitlines()]
rps = {m: [float(r[1]) for r in runs if r[0] == m] for m in ("off", "on")}
cpu = {m: sum(int(r[3]) for r in runs if r[0] == m) / hz / max(sum(int(r[2]) for r in runs if r[0] == m), 1) * 1e6
       for m in ("off", "on")}
off, on = statistics.mean(rps["off"]), statistics.mean(rps["on"])
loss = (off - on) / off * 100
print("run order off, on, on, off:", ", ".join(f"{r[0]} {float(r[1]):.0f}/s" for r in runs))
print(f"metrics off: {off:.0f} requests/s, {cpu['off']:.2f} µs CPU/request")
print(f"metrics on:  {on:.0f} requests/s, {cpu['on']:.2f} µs CPU/request")
print(f"loss:        {loss:.1f} % of requests/s, {cpu['on'] - cpu['off']:+.2f} µs CPU/request (target: loss < 10 %)")
scrapes = [l.split() for l in open(os.path.join(work, "metrics-scrape.txt")).read().splitlines()]
times = sorted(float(t) * 1e3 for t, _ in scrapes)
print(f"one scrape over HTTP (curl, {len(times)} in a row): p50 {statistics.median(times):.2f} ms,"
      f" max {times[-1]:.2f} ms, {scrapes[-1][1]} bytes")
with open(os.path.join(work, "metrics-summary.txt"), "w") as f:
    f.write(f"{off:.0f}\t{on:.0f}\t{loss:.1f}\t{statistics.median(times):.2f}\t{scrapes[-1][1]}\n")
