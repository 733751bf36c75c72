#!/usr/bin/env bash
# Signatures on SQLite: POST /api/jssdk/signatures on a warm cache, CONNECTIONS
# keep-alive connections from wrk on this machine against one `serve` (WORKERS
# workers). Prints wrk's output, then requests/s, latency percentiles and the server's
# CPU time per request (from /proc), then the CPU cost of one signature and of one
# answer in-process (the divan micro-benchmark server/benches/sign.rs).
#
# Alone: `bash scripts/bench/signatures.sh` (DURATION=3 for a short run; the settings
# are in scripts/bench/common.sh). scripts/bench.sh runs it first.
source "$(dirname "$0")/common.sh"
build
simulator

app_port=$(free_port)
write_config "$work/desk.toml" "$app_port" "$sim_port" "sqlite://$work/desk.db"
DESK__SERVER__WORKERS=$WORKERS RUST_LOG=warn "$bin" serve --config "$work/desk.toml" >"$work/app.log" 2>&1 &
app_pid=$!
pids+=("$app_pid")
wait_ready "$app_port" "$app_pid" "$work/app.log"
post_lua

before=$(ticks "$app_pid")
wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/post.lua" \
  "http://127.0.0.1:$app_port/api/jssdk/signatures" | tee "$work/wrk.txt"
after=$(ticks "$app_pid")
record "SQLite, 1 instance" "$CONNECTIONS" "$work/wrk.txt" $((after - before))
# What runs next gets the cores to itself.
kill "$app_pid" 2>/dev/null || true
wait "$app_pid" 2>/dev/null || true

requests=$(awk '/requests in/ { print $1 }' "$work/wrk.txt")
non2xx=$(awk '/Non-2xx/ { print $5 }' "$work/wrk.txt")
echo
echo "== signatures endpoint, warm cache, $CONNECTIONS connections, ${DURATION}s, $WORKERS server worker(s)"
awk '/Requests\/sec/ { printf "requests/s:        %s\n", $2 }' "$work/wrk.txt"
awk '/^ +50%/ { printf "latency p50:       %s\n", $2 } /^ +99%/ { printf "latency p99:       %s\n", $2 }' "$work/wrk.txt"
echo "non-2xx answers:   ${non2xx:-0}"
python3 -c "print(f'server CPU/request: {($after - $before) / $hz / $requests * 1e6:.2f} µs ({($after - $before) / $hz:.2f} s CPU for $requests requests)')"
echo
echo "== one signature (sha1 over the string to sign) and one answer (2 nonces + 2 signatures + JSON), in-process"
micro sign
