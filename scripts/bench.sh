#!/usr/bin/env bash
# Benchmark (not a test): POST /api/jssdk/signatures on a warm cache, 64 keep-alive
# connections from wrk on this machine. Prints requests/s, latency percentiles and the
# server's CPU time per request (from /proc), then the CPU cost of one signature.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-64}
# One server worker: on a 2-core machine the load generator needs the other core
# (two workers measured ~81k req/s and ~12.4 µs CPU/request against ~95k and ~10.4 µs).
WORKERS=${WORKERS:-1}

command -v wrk >/dev/null 2>&1 || {
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk
}
cargo build --release -q -p desk-server --bin wecom-desk --example sign_cost
bin=target/release/wecom-desk

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sim_port=$(free_port); app_port=$(free_port)
work=$(mktemp -d)
cleanup() { kill "${sim_pid:-}" "${app_pid:-}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

RUST_LOG=warn "$bin" simulate --listen "127.0.0.1:$sim_port" >"$work/sim.log" 2>&1 &
sim_pid=$!
cat >"$work/desk.toml" <<TOML
[server]
listen = "127.0.0.1:$app_port"
public_url = "https://desk.example.com"
allowed_origins = ["https://desk.example.com"]
static_dir = "$work/none"
[wecom]
corp_id = "wwdemo0000000001"
agent_id = 1000002
agent_secret = "demo-agent-secret-0001"
api_base = "http://127.0.0.1:$sim_port"
[database]
url = "sqlite://$work/desk.db"
TOML
DESK__SERVER__WORKERS=$WORKERS RUST_LOG=warn "$bin" serve --config "$work/desk.toml" >"$work/app.log" 2>&1 &
app_pid=$!

for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$app_port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
body='{"url":"https://desk.example.com/orders/42?from=menu"}'
curl -fsS -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$app_port/api/jssdk/signatures" >/dev/null

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA

ticks() { awk '{ print $14 + $15 }' "/proc/$app_pid/stat"; }
hz=$(getconf CLK_TCK)
before=$(ticks)
wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/post.lua" \
  "http://127.0.0.1:$app_port/api/jssdk/signatures" | tee "$work/wrk.txt"
after=$(ticks)

requests=$(awk '/requests in/ { print $1 }' "$work/wrk.txt")
non2xx=$(awk '/Non-2xx/ { print $5 }' "$work/wrk.txt")
echo
echo "== signatures endpoint, warm cache, $CONNECTIONS connections, ${DURATION}s, $WORKERS server worker(s)"
awk '/Requests\/sec/ { printf "requests/s:        %s\n", $2 }' "$work/wrk.txt"
awk '/^ +50%/ { printf "latency p50:       %s\n", $2 } /^ +99%/ { printf "latency p99:       %s\n", $2 }' "$work/wrk.txt"
echo "non-2xx answers:   ${non2xx:-0}"
python3 -c "print(f'server CPU/request: {($after - $before) / $hz / $requests * 1e6:.2f} µs ({($after - $before) / $hz:.2f} s CPU for $requests requests)')"
echo
target/release/examples/sign_cost

echo
cargo run --release -q -p desk-server --example match_bench
