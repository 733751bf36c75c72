#!/usr/bin/env bash
# Benchmark (not a test; `make bench` runs it): builds the server, the HTTP drivers
# (server/examples) and the divan micro-benchmarks (server/benches), then runs the
# parts in scripts/bench/, each readable and runnable on its own (its header says what
# it measures), in this order, sharing one simulator and one results dir:
#
#   signatures.sh  POST /api/jssdk/signatures on SQLite (wrk), one signature's cost
#   metrics.sh     the same endpoint with metrics off and on, one scrape's cost
#   matching.sh    candidates of a designer with 10,000 customers, on SQLite
#   join_way.sh    join ways from a warm pool, 8 at a time
#   callbacks.sh   the callback pipeline on SQLite (its own server and simulator):
#                  new callbacks/s, ack latency at 1,000/s and 5,000/s, the worker's
#                  rate, a burst, a flood and the memory after it, the load tools
#                  against /healthz (steps in pipeline.sh)
#   postgres.sh    signatures on PG_INSTANCES instances sharing one PostgreSQL, and
#                  matching there (under scripts/with-postgres.sh)
#   callbacks_pg.sh  the callback pipeline on PostgreSQL, one instance and
#                  PG_INSTANCES sharing the database (under scripts/with-postgres.sh)
#   welcome.sh     the welcome under load: customers scanning orders' codes during
#                  1,000 callbacks/s, the time to send_welcome_msg
#   summary.py     the table of all the numbers
#
# One part alone: `bash scripts/bench/callbacks.sh` (BENCH_PHASE=callbacks, metrics,
# postgres, callbacks_pg or welcome with this script does the same). A part that fails
# says why and the others still run. The settings (DURATION, CONNECTIONS, WORKERS,
# PG_INSTANCES, CALLBACK_RATES, DRAIN_SECS, BURST, FLOOD, FLOOD_CONNECTIONS, SCANS,
# SCAN_ORDERS, WELCOME_SECS, WELCOME_RATE, MICRO_ARGS, BENCH_SERVER) are described in
# scripts/bench/common.sh; a short run: `DURATION=3 DRAIN_SECS=60 make bench`.
# The micro-benchmarks alone: `cargo bench -p desk-server [--bench sign]`.
if [ -n "${BENCH_PHASE:-}" ]; then
  exec bash "$(dirname "$0")/bench/$BENCH_PHASE.sh"
fi
source "$(dirname "$0")/bench/common.sh"
build
export BENCH_BUILT=1 BENCH_WORK=$work

# The simulator the signature runs (SQLite, metrics, PostgreSQL) share.
simulator
export BENCH_SIM_PORT=$sim_port

bash scripts/bench/signatures.sh

echo
metrics_status=0
bash scripts/bench/metrics.sh || metrics_status=$?
[ "$metrics_status" -eq 0 ] || echo "bench: the metrics part failed (exit $metrics_status); the table lacks it" >&2

echo
bash scripts/bench/matching.sh

echo
bash scripts/bench/join_way.sh

# The rest: each may fail (it says why); the others still run.
failed=()
part() { # NAME SCRIPT
  local status=0
  echo
  bash "scripts/bench/$2" || status=$?
  [ "$status" -eq 0 ] || { echo "bench: the $1 part failed (exit $status); the table lacks it" >&2; failed+=("$1"); }
}
part callback callbacks.sh
part PostgreSQL postgres.sh
part "PostgreSQL callback" callbacks_pg.sh
part welcome welcome.sh

echo
echo "== summary: ${DURATION}s per wrk run, $CONNECTIONS connections in all, $WORKERS worker(s) per instance, one wrk thread per instance"
echo "   (on this machine's $(nproc) core(s), shared with servers, wrk and anything else running: noisy)"
CALLBACK_RATES=$CALLBACK_RATES python3 scripts/bench/summary.py "$work" "$hz"
[ ${#failed[@]} -eq 0 ] || { echo "bench: failed: ${failed[*]}" >&2; exit 1; }
