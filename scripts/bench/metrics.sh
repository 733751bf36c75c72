#!/usr/bin/env bash
# Metrics off and on: the signatures endpoint with metrics off and on, a fresh `serve`
# (SQLite) for each run, the same wrk settings as scripts/bench/signatures.sh, in the
# order off, on, on, off so that drift cancels out: requests/s of each and the loss
# (target < 10 %); then what one scrape of /metrics costs over HTTP (time and bytes,
# curl, after the third run), and in-process (the divan micro-benchmark
# server/benches/metrics.rs: recording a request and a WeCom call, rendering).
#
# Alone: `bash scripts/bench/metrics.sh` (DURATION=3 for a short run; the settings are
# in scripts/bench/common.sh). scripts/bench.sh runs it after the signatures.
source "$(dirname "$0")/common.sh"
build
simulator
post_lua

echo "== metrics off and on: the signatures endpoint, a fresh server each run, the same wrk settings"
: >"$work/metrics.tsv"
i=0
for mode in off on on off; do
  i=$((i + 1))
  port=$(free_port)
  write_config "$work/metrics-$i.toml" "$port" "$sim_port" "sqlite://$work/metrics-$i.db"
  DESK__METRICS__ENABLED=$([ "$mode" = on ] && echo true || echo false) DESK__SERVER__WORKERS=$WORKERS \
    RUST_LOG=warn "$bin" serve --config "$work/metrics-$i.toml" >"$work/metrics-$i.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  wait_ready "$port" "$pid" "$work/metrics-$i.log"
  before=$(ticks "$pid")
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/post.lua" \
    "http://127.0.0.1:$port/api/jssdk/signatures" >"$work/wrk-metrics-$i.txt"
  after=$(ticks "$pid")
  printf '%s\t%s\t%s\t%s\n' "$mode" "$(awk '/Requests\/sec/ { print $2 }' "$work/wrk-metrics-$i.txt")" \
    "$(awk '/requests in/ { print $1 }' "$work/wrk-metrics-$i.txt")" $((after - before)) >>"$work/metrics.tsv"
  if [ "$i" -eq 3 ]; then
    # A scrape of a server that has just answered some hundred thousand requests.
    for _ in $(seq 20); do
      curl -fsS -o /dev/null -w '%{time_total} %{size_download}\n' "http://127.0.0.1:$port/metrics"
    done >"$work/metrics-scrape.txt"
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done
python3 scripts/bench/metrics_summary.py "$work" "$hz"
echo
echo "== metrics, in-process (no HTTP): recording, and rendering /metrics"
micro metrics
