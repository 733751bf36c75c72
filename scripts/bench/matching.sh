#!/usr/bin/env bash
# Matching: a designer with 10,000 customers asks for an order's candidates, over
# HTTP on loopback (server/examples/match_over_http.rs: its own server and simulator
# in one process; the WeCom calls of the cold request, then warm latency one request
# at a time, target p50 < 5 ms on SQLite, < 2 ms on PostgreSQL); then the database
# lookup alone, in-process (the divan micro-benchmark server/benches/matching.rs).
#
# Alone: `bash scripts/bench/matching.sh [DATABASE_URL]`: a temp SQLite file, or an
# existing (ideally empty) PostgreSQL database. scripts/bench.sh runs it on SQLite
# after the metrics part, and scripts/bench/postgres.sh on PostgreSQL.
source "$(dirname "$0")/common.sh"
build
url=${1:-}
name=sqlite
case "$url" in postgres://* | postgresql://*) name=postgres ;; esac

"$examples/match_over_http" ${url:+"$url"} | tee "$work/match-$name.txt"
echo
echo "== matching's database lookup alone, in-process (10,000 customers, $([ "$name" = sqlite ] && echo SQLite || echo PostgreSQL))"
DESK_BENCH_DATABASE_URL=$url micro matching
