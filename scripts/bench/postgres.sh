#!/usr/bin/env bash
# Signatures on PostgreSQL: the endpoint of scripts/bench/signatures.sh on
# PG_INSTANCES `serve` instances sharing one PostgreSQL (a throw-away cluster from
# scripts/with-postgres.sh) and the WeCom credentials: one wrk each, all at the same
# time, the CONNECTIONS split between them (the summary sums requests/s). Prints each
# wrk's output; then matching on PostgreSQL (scripts/bench/matching.sh).
#
# Alone: `bash scripts/bench/postgres.sh` (DURATION=3 for a short run; the settings
# are in scripts/bench/common.sh); it runs itself under scripts/with-postgres.sh.
# scripts/bench.sh runs it after the callbacks.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${BENCH_IN_POSTGRES:-}" ]; then
  echo "== the same on ${PG_INSTANCES:-3} instances sharing one PostgreSQL (throw-away cluster)"
  BENCH_IN_POSTGRES=1 exec bash scripts/with-postgres.sh bash scripts/bench/postgres.sh
fi
source scripts/bench/common.sh
build
simulator
post_lua

admin=$DESK_TEST_POSTGRES_URL
pg_base=${admin%/*}
psql -X -q -v ON_ERROR_STOP=1 "$admin" -c 'CREATE DATABASE desk_sign' -c 'CREATE DATABASE desk_match'
ports=()
for i in $(seq "$PG_INSTANCES"); do
  port=$(free_port)
  write_config "$work/pg$i.toml" "$port" "$sim_port" "$pg_base/desk_sign"
  DESK__SERVER__WORKERS=$WORKERS RUST_LOG=warn "$bin" serve --config "$work/pg$i.toml" >"$work/pg$i.log" 2>&1 &
  pids+=($!)
  ports+=("$port")
  # The first one migrates the database alone; the others start together.
  [ "$i" -gt 1 ] || wait_ready "$port" "${pids[-1]}" "$work/pg1.log"
done
# The instances are the last PG_INSTANCES of pids (a simulator of our own comes first).
servers=("${pids[@]: -$PG_INSTANCES}")
for i in $(seq 2 "$PG_INSTANCES"); do
  wait_ready "${ports[i - 1]}" "${servers[i - 1]}" "$work/pg$i.log"
done

# One wrk each at once, the connections split as evenly as they go.
befores=()
conns=()
wrks=()
for i in $(seq "$PG_INSTANCES"); do
  conns+=($((CONNECTIONS / PG_INSTANCES + (i <= CONNECTIONS % PG_INSTANCES ? 1 : 0))))
  befores+=("$(ticks "${servers[i - 1]}")")
done
for i in $(seq "$PG_INSTANCES"); do
  wrk -t1 -c"${conns[i - 1]}" -d"${DURATION}s" --latency -s "$work/post.lua" \
    "http://127.0.0.1:${ports[i - 1]}/api/jssdk/signatures" >"$work/wrk-pg$i.txt" &
  wrks+=($!)
done
wait "${wrks[@]}"
for i in $(seq "$PG_INSTANCES"); do
  record "PostgreSQL, instance $i of $PG_INSTANCES" "${conns[i - 1]}" "$work/wrk-pg$i.txt" \
    $(($(ticks "${servers[i - 1]}") - befores[i - 1]))
done
for i in $(seq "$PG_INSTANCES"); do
  echo
  echo "-- wrk against PostgreSQL instance $i of $PG_INSTANCES (127.0.0.1:${ports[i - 1]}), ${conns[i - 1]} connections"
  cat "$work/wrk-pg$i.txt"
done
kill "${servers[@]}" 2>/dev/null || true
wait "${servers[@]}" 2>/dev/null || true

echo
BENCH_BUILT=1 BENCH_WORK=$work bash scripts/bench/matching.sh "$pg_base/desk_match"
