#!/usr/bin/env bash
# The callback pipeline on PostgreSQL (a throw-away cluster from
# scripts/with-postgres.sh): the steps of scripts/bench/callbacks.sh (less the
# notifications and the micro-benchmark) on one `serve`, then on PG_INSTANCES of them
# sharing one database (each its own worker and outbox; every load split evenly
# between them), a fresh database each time.
#
# Alone: `bash scripts/bench/callbacks_pg.sh` (DURATION=3 DRAIN_SECS=60 for a short
# run; the settings are in scripts/bench/common.sh); it runs itself under
# scripts/with-postgres.sh. scripts/bench.sh runs it after scripts/bench/postgres.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${BENCH_IN_POSTGRES:-}" ]; then
  echo "== the callback pipeline on PostgreSQL: one instance, then ${PG_INSTANCES:-3} sharing the database (throw-away cluster)"
  BENCH_IN_POSTGRES=1 exec bash scripts/with-postgres.sh bash scripts/bench/callbacks_pg.sh
fi
source scripts/bench/common.sh
source scripts/bench/pipeline.sh
build

admin=$DESK_TEST_POSTGRES_URL
pg_base=${admin%/*}
status=0
for n in 1 "$PG_INSTANCES"; do
  db=desk_cb_$n
  psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "CREATE DATABASE $db"
  echo
  echo "== the callback pipeline on PostgreSQL, $n instance(s)"
  # A failing configuration says why; the other still runs.
  (
    app_pids=() sim_pid=""
    trap 'kill "${app_pids[@]}" $sim_pid 2>/dev/null || true' EXIT
    pipeline_start "pg$n" "$pg_base/$db" "$n"
    calibrate
    paced
    wrk_runs
    burst
    flood
    pipeline_stop
  ) || { status=$?; echo "bench: the callback pipeline on PostgreSQL with $n instance(s) failed (exit $status)" >&2; }
  psql -X -q "$admin" -c "DROP DATABASE $db WITH (FORCE)" || true
done
exit "$status"
