#!/usr/bin/env bash
# The callback pipeline on SQLite: its own `serve` (one instance, the callback worker
# and the outbox running) and a simulator with ten robots (scripts/bench/pipeline.sh
# says what each step measures):
#   - the load tools against GET /healthz first (wrk and the paced sender, in this
#     run: the generator must not be the limit);
#   - notification accepted (202) -> robot message at the simulator;
#   - members' texts answered at each of CALLBACK_RATES (1,000/s and 5,000/s; open
#     loop, latency from the scheduled send: no coordinated omission), each worked
#     off after; then the same texts again (no insert);
#   - duplicates, then new texts, as fast as wrk sends them (callbacks.lua cycling
#     through pre-signed requests), with the server's CPU per callback; worked off;
#   - a burst of BURST group events the product does not serve (no WeCom call), each
#     sent once: time until all are processed, the worker's rate;
#   - a flood of FLOOD of them over FLOOD_CONNECTIONS connections: answers by status
#     (503 = the inbox queue full, back-pressure) and the server's memory after it;
#   - the endpoint's insert by itself, in-process (the divan micro-benchmark
#     server/benches/inbox.rs).
# The load comes from server/examples/callback_load.rs (requests, paced, notify) and
# wrk (callbacks.lua, burst.lua).
#
# Alone: `bash scripts/bench/callbacks.sh` (DURATION=3 DRAIN_SECS=60 for a short run;
# the settings are in scripts/bench/common.sh). scripts/bench.sh runs it after the
# join ways; scripts/bench/callbacks_pg.sh does the same on PostgreSQL.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/pipeline.sh"
build

echo "== the callback pipeline on SQLite (its own server and simulator)"
pipeline_start sqlite "sqlite://$work/cb.db" 1
calibrate
notify
paced
wrk_runs
burst
flood
pipeline_stop
rm -f "$work"/cb.db*

# What the endpoint's insert costs by itself, and what batching it would give.
echo
echo "== the callback endpoint's database step alone (callback::store::insert_once), in-process, no HTTP: 64 inserts an iteration, one runtime thread"
micro inbox | tee "$work/cb-inbox-cost.txt"
