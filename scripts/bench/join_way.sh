#!/usr/bin/env bash
# Join ways: 500 orders each given a group from a warm pool of 600 and its join QR
# code, 8 requests at a time over HTTP on loopback (server/examples/join_way_over_http.rs:
# its own server, simulator and SQLite file in one process): requests/s and latency.
#
# Alone: `bash scripts/bench/join_way.sh`. scripts/bench.sh runs it after matching.
source "$(dirname "$0")/common.sh"
build
"$examples/join_way_over_http" | tee "$work/join-way.txt"
