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
#   callbacks.sh   the callback pipeline on SQLite (its own server and simulator)
#   postgres.sh    signatures on PG_INSTANCES instances sharing one PostgreSQL, and
#                  matching there (under scripts/with-postgres.sh)
#   summary.py     the table of all the numbers
#
# One part alone: `bash scripts/bench/callbacks.sh` (BENCH_PHASE=callbacks, metrics or
# postgres with this script does the same). The settings (DURATION, CONNECTIONS,
# WORKERS, PG_INSTANCES, CALLBACK_RATE, DRAIN_SECS, MICRO_ARGS) are described in
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

echo
cb_status=0
bash scripts/bench/callbacks.sh || cb_status=$?
[ "$cb_status" -eq 0 ] || echo "bench: the callback part failed (exit $cb_status); the table lacks it" >&2

echo
pg_status=0
bash scripts/bench/postgres.sh || pg_status=$?
[ "$pg_status" -eq 0 ] || echo "bench: the PostgreSQL part failed (exit $pg_status); the table lacks it" >&2

echo
echo "== summary: ${DURATION}s per wrk run, $CONNECTIONS connections in all, $WORKERS worker(s) per instance, one wrk thread per instance"
echo "   (on this machine's $(nproc) core(s), shared with servers, wrk and anything else running: noisy)"
python3 scripts/bench/summary.py "$work" "$hz"
[ "$pg_status" -eq 0 ] || exit "$pg_status"
exit "$cb_status"
