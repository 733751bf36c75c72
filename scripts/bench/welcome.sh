#!/usr/bin/env bash
# The welcome under load (issue 25): SCANS customers scan SCAN_ORDERS orders' 「联系我」
# codes, spread over WELCOME_SECS, while WELCOME_RATE callbacks a second of other
# traffic (members' texts to the app) go to the server; for each scan, the time from
# its add event being delivered (the simulator's scan call answers once the server has
# answered it) to the welcome (`send_welcome_msg`) showing in the simulator's
# /sim/welcomes: p50, p99, max (target p99 < 2 s; WeCom takes the welcome only within
# 20 s). Each order's welcome carries its group's join QR code: the first scan of an
# order takes a group from a warm pool, makes its join way and uploads the QR code on
# the spot. The driver is server/examples/welcome_load.rs; one `serve` (the worker
# and the outbox running) and its own simulator (WeCom's rate limits off, callbacks
# to the server).
#
# Alone: `bash scripts/bench/welcome.sh [DATABASE_URL]`: a temp SQLite file, or an
# existing empty PostgreSQL database (DURATION=3 for a short run; the settings are in
# scripts/bench/common.sh). scripts/bench.sh runs it after the callback parts.
source "$(dirname "$0")/common.sh"
build
url=${1:-sqlite://$work/welcome.db}
name=$(case "$url" in sqlite*) echo SQLite ;; *) echo PostgreSQL ;; esac)

sim_port=$(free_port)
app_port=$(free_port)
sim="http://127.0.0.1:$sim_port"
cp server/simulator/fixtures/demo.toml "$work/welcome-fixture.toml"
sed -i 's/^\[rules\]$/[rules]\nper_api_per_minute = 0\nper_api_per_hour = 0\napp_messages_per_member_minute = 0\nmax_concurrent_calls = 0/' \
  "$work/welcome-fixture.toml"
# Empty groups for the pool: one for each order, and a few to spare.
for i in $(seq 0 $((SCAN_ORDERS + 9))); do
  printf '\n[[groups]]\nchat_id = "wrBench%05d"\nname = "压测群%d"\nowner = "wangqiang"\n' "$i" "$i" \
    >>"$work/welcome-fixture.toml"
done
cat >"$work/welcome.toml" <<TOML
[server]
listen = "127.0.0.1:$app_port"
public_url = "https://desk.example.com"
allowed_origins = ["https://desk.example.com"]
static_dir = "$work/none"
admin_userids = ["wangqiang"]
[wecom]
corp_id = "wwdemo0000000001"
agent_id = 1000002
agent_secret = "demo-agent-secret-0001"
api_base = "$sim"
oauth_base = "$sim"
[database]
url = "$url"
[callback]
token = "demoCallbackToken"
encoding_aes_key = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
[integration]
api_keys = ["bench-key"]
[pool]
owner_userids = ["wangqiang"]
low_threshold = 3
[automation]
# The orders are pushed before the run: their announcements would only be noise.
announce_new_orders = false
TOML
RUST_LOG=warn "$bin" simulate --listen "127.0.0.1:$sim_port" --fixture "$work/welcome-fixture.toml" \
  >"$work/welcome-sim.log" 2>&1 &
pids+=($!)
DESK__SERVER__WORKERS=$WORKERS RUST_LOG=warn "$bin" serve --config "$work/welcome.toml" >"$work/welcome-app.log" 2>&1 &
app_pid=$!
pids+=("$app_pid")
wait_ready "$app_port" "$app_pid" "$work/welcome-app.log"
echo "== the welcome under load on $name (its own server and simulator; load average $(cut -d' ' -f1-3 /proc/loadavg) as it starts)"
before=$(ticks "$app_pid")
"$examples/welcome_load" --app "http://127.0.0.1:$app_port" --sim "$sim" --key bench-key \
  --scans "$SCANS" --orders "$SCAN_ORDERS" --secs "$WELCOME_SECS" --rate "$WELCOME_RATE" \
  | tee "$work/welcome-$name.txt"
used=$(($(ticks "$app_pid") - before))
echo "server CPU over the run (set-up included): $(awk -v t="$used" -v hz="$hz" 'BEGIN { printf "%.1f", t / hz }') s"
