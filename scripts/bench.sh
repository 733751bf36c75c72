#!/usr/bin/env bash
# Benchmark (not a test): POST /api/jssdk/signatures on a warm cache, 64 keep-alive
# connections from wrk on this machine. Prints requests/s, latency percentiles and the
# server's CPU time per request (from /proc), then the CPU cost of one signature.
#
# Then the same endpoint on three `serve` instances sharing one PostgreSQL (a
# throw-away cluster from scripts/with-postgres.sh, sharing the WeCom credentials):
# three wrk processes at the same time, one per instance, the 64 connections split
# between them, requests/s summed. Then warm candidates matching (match_bench) on
# SQLite and on PostgreSQL, and a table of all the numbers.
#
# Between the SQLite and the PostgreSQL parts, the callback pipeline on SQLite (its
# own `serve`, and a simulator with ten robots): notification accepted -> robot
# message at the simulator; callbacks answered at a fixed CALLBACK_RATE
# (callback_bench paced: open loop, latency from the scheduled send), new messages,
# then the same ones again; duplicates and new messages as fast as wrk sends them (a
# Lua script cycling through pre-signed requests), with the server's CPU per
# callback; how fast the callback worker works off what was stored; and the
# endpoint's insert by itself (callback_bench inbox-cost). `BENCH_PHASE=callbacks
# BENCH_WORK=$(mktemp -d) bash scripts/bench.sh` runs that part alone, on binaries
# built before.
# After the SQLite signature run, the same endpoint with metrics off and on (a fresh
# `serve` for each run, the same wrk settings, off/on/on/off so drift cancels out):
# requests/s of each and the loss; then what one scrape of /metrics costs over HTTP
# (time and bytes, curl) and in-process (metrics_bench: recording and rendering).
# `BENCH_PHASE=metrics bash scripts/bench.sh` runs that part alone, on binaries built
# before.
# DURATION (seconds per wrk or paced run), CONNECTIONS, WORKERS (per instance),
# PG_INSTANCES, CALLBACK_RATE and DRAIN_SECS (the longest wait for the callback
# worker) may be set in the environment. Everything listens on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
# One server worker: on a 2-core machine the load generator needs the other core
# (two workers measured ~81k req/s and ~12.4 µs CPU/request against ~95k and ~10.4 µs).
WORKERS=${WORKERS:-1}
PG_INSTANCES=${PG_INSTANCES:-3}
CALLBACK_RATE=${CALLBACK_RATE:-1000}
DRAIN_SECS=${DRAIN_SECS:-180}

bin=target/release/wecom-desk
examples=target/release/examples
body='{"url":"https://desk.example.com/orders/42?from=menu"}'
hz=$(getconf CLK_TCK)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # PID: user + system CPU ticks

write_config() { # FILE APP_PORT SIM_PORT DATABASE_URL
  cat >"$1" <<TOML
[server]
listen = "127.0.0.1:$2"
public_url = "https://desk.example.com"
allowed_origins = ["https://desk.example.com"]
static_dir = "$work/none"
[wecom]
corp_id = "wwdemo0000000001"
agent_id = 1000002
agent_secret = "demo-agent-secret-0001"
api_base = "http://127.0.0.1:$3"
[database]
url = "$4"
TOML
}

wait_ready() { # APP_PORT PID LOG: healthy, then one signature so the cache is warm
  for _ in $(seq 200); do
    curl -fsS "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && break
    kill -0 "$2" 2>/dev/null || { cat "$3" >&2; echo "bench: the server on port $1 exited" >&2; return 1; }
    sleep 0.1
  done
  curl -fsS -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$1/api/jssdk/signatures" >/dev/null
}

# One result row for the table: LABEL CONNECTIONS WRK_OUTPUT CPU_TICKS
record() {
  local rps p50 p99 non2xx requests
  rps=$(awk '/Requests\/sec/ { print $2 }' "$3")
  p50=$(awk '/^ +50%/ { print $2 }' "$3")
  p99=$(awk '/^ +99%/ { print $2 }' "$3")
  non2xx=$(awk '/Non-2xx/ { print $5 }' "$3")
  requests=$(awk '/requests in/ { print $1 }' "$3")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$rps" "$p50" "$p99" "${non2xx:-0}" \
    "$requests" "$4" >>"$work/signatures.tsv"
}

# --- The PostgreSQL part: run by this script under scripts/with-postgres.sh. ---
postgres_phase() {
  work=$BENCH_WORK
  local admin=$DESK_TEST_POSTGRES_URL base
  base=${admin%/*}
  psql -X -q -v ON_ERROR_STOP=1 "$admin" -c 'CREATE DATABASE desk_sign' -c 'CREATE DATABASE desk_match'
  pids=()
  trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
  local ports=() i port
  for i in $(seq "$PG_INSTANCES"); do
    port=$(free_port)
    write_config "$work/pg$i.toml" "$port" "$BENCH_SIM_PORT" "$base/desk_sign"
    DESK__SERVER__WORKERS=$WORKERS RUST_LOG=warn "$bin" serve --config "$work/pg$i.toml" >"$work/pg$i.log" 2>&1 &
    pids+=($!)
    ports+=("$port")
    # The first one migrates the database alone; the others start together.
    [ "$i" -gt 1 ] || wait_ready "$port" "${pids[0]}" "$work/pg1.log"
  done
  for i in $(seq 2 "$PG_INSTANCES"); do
    wait_ready "${ports[i - 1]}" "${pids[i - 1]}" "$work/pg$i.log"
  done

  # Three wrk at once, the connections split as evenly as they go.
  local befores=() conns=() wrks=()
  for i in $(seq "$PG_INSTANCES"); do
    conns+=($((CONNECTIONS / PG_INSTANCES + (i <= CONNECTIONS % PG_INSTANCES ? 1 : 0))))
    befores+=("$(ticks "${pids[i - 1]}")")
  done
  for i in $(seq "$PG_INSTANCES"); do
    wrk -t1 -c"${conns[i - 1]}" -d"${DURATION}s" --latency -s "$work/post.lua" \
      "http://127.0.0.1:${ports[i - 1]}/api/jssdk/signatures" >"$work/wrk-pg$i.txt" &
    wrks+=($!)
  done
  wait "${wrks[@]}"
  for i in $(seq "$PG_INSTANCES"); do
    record "PostgreSQL, instance $i of $PG_INSTANCES" "${conns[i - 1]}" "$work/wrk-pg$i.txt" \
      $(($(ticks "${pids[i - 1]}") - befores[i - 1]))
  done
  for i in $(seq "$PG_INSTANCES"); do
    echo
    echo "-- wrk against PostgreSQL instance $i of $PG_INSTANCES (127.0.0.1:${ports[i - 1]}), ${conns[i - 1]} connections"
    cat "$work/wrk-pg$i.txt"
  done
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  pids=()

  echo
  "$examples/match_bench" "$base/desk_match" | tee "$work/match-postgres.txt"
}

# --- The callback pipeline: run by this script as its own process (set -e holds). ---
callbacks_phase() {
  work=$BENCH_WORK
  local sim_port app_port base sim robots=10 i names=()
  sim_port=$(free_port)
  app_port=$(free_port)
  base="http://127.0.0.1:$app_port"
  sim="http://127.0.0.1:$sim_port"
  pids=()
  trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
  # Ten robots, so that 200 notifications fit in their 20 a minute each.
  cp server/simulator/fixtures/demo.toml "$work/cb-fixture.toml"
  # This phase measures the server, not WeCom's own limits (10,000 calls of one API a
  # minute, 30 app messages a minute to a member): they are off in its corp.
  sed -i 's/^\[rules\]$/[rules]\nper_api_per_minute = 0\nper_api_per_hour = 0\napp_messages_per_member_minute = 0\nmax_concurrent_calls = 0/' \
    "$work/cb-fixture.toml"
  write_config "$work/cb.toml" "$app_port" "$sim_port" "sqlite://$work/cb.db"
  cat >>"$work/cb.toml" <<TOML
[callback]
token = "demoCallbackToken"
encoding_aes_key = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
[integration]
api_keys = ["bench-key"]
[robot.webhook_urls]
TOML
  for i in $(seq -w 1 "$robots"); do
    printf '\n[[robots]]\nkey = "bench-robot-%s"\nname = "压测机器人%s"\n' "$i" "$i" >>"$work/cb-fixture.toml"
    echo "r$i = \"$sim/cgi-bin/webhook/send?key=bench-robot-$i\"" >>"$work/cb.toml"
    names+=("r$i")
  done
  RUST_LOG=warn "$bin" simulate --listen "127.0.0.1:$sim_port" --fixture "$work/cb-fixture.toml" \
    >"$work/cb-sim.log" 2>&1 &
  sim_pid=$!
  pids+=("$sim_pid")
  DESK__SERVER__WORKERS=$WORKERS RUST_LOG=warn "$bin" serve --config "$work/cb.toml" >"$work/cb-app.log" 2>&1 &
  app_pid=$!
  pids+=("$app_pid")
  wait_ready "$app_port" "$app_pid" "$work/cb-app.log"
  echo "(load average $(cut -d' ' -f1-3 /proc/loadavg) as this part starts: anything else running skews it)"

  echo
  "$examples/callback_bench" notify --app "$base" --sim "$sim" --key bench-key \
    --robots "$(IFS=,; echo "${names[*]}")" --count $((20 * robots)) --spacing-ms 50 | tee "$work/cb-notify.txt"

  local before after paced_first=1000000000
  echo
  before=$(ticks "$app_pid")
  "$examples/callback_bench" paced --url "$base" --rate "$CALLBACK_RATE" --secs "$DURATION" \
    --first-msg-id "$paced_first" | tee "$work/cb-paced.txt"
  after=$(ticks "$app_pid")
  echo "server CPU: $(us_per $((after - before)) $((CALLBACK_RATE * (DURATION + 1)))) µs a callback" \
    "(with what the worker got through meanwhile)"
  echo
  drain paced

  # The same 1,000 messages again: verified, decrypted, parsed, no insert, no work.
  echo
  "$examples/callback_bench" paced --url "$base" --rate "$CALLBACK_RATE" --secs "$DURATION" \
    --first-msg-id "$paced_first" --ids 1000 | tee "$work/cb-paced-dup.txt"

  cat >"$work/callbacks.lua" <<'LUA'
-- Cycles through pre-signed callbacks, one a line: query string, a tab, the body.
local paths, bodies, n, i = {}, {}, 0, 0
init = function(args)
  for line in io.lines(args[1]) do
    local q, body = line:match("^([^\t]*)\t(.*)$")
    n = n + 1
    paths[n] = "/wecom/callback?" .. q
    bodies[n] = body
  end
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/xml"
request = function()
  i = i % n + 1
  return wrk.format(nil, paths[i], nil, bodies[i])
end
LUA
  # Duplicates: the paced run's first 1,000 messages, each signed anew.
  "$examples/callback_bench" requests --out "$work/cb-dup.txt" --count 20000 \
    --first-msg-id "$paced_first" --ids 1000
  flood duplicates "$work/cb-dup.txt"
  # Distinct messages: enough lines that wrk does not come round again.
  "$examples/callback_bench" requests --out "$work/cb-distinct.txt" --count $((25000 * DURATION)) \
    --first-msg-id 2000000000
  rm -f "$work/cb-dup.txt"
  flood distinct "$work/cb-distinct.txt"
  rm -f "$work/cb-distinct.txt"
  echo
  drain distinct

  # What the endpoint's insert costs by itself, and what batching it would give.
  echo
  "$examples/callback_bench" inbox-cost | tee "$work/cb-inbox-cost.txt"
}

# The callback phase's helpers (app_pid, sim_pid and work are the phase's).
# Rows in the inbox, those the worker has processed, and app messages not yet sent.
counts() {
  python3 - "$work/cb.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
rows, done = db.execute("SELECT COUNT(*), COUNT(processed_at) FROM callback_inbox").fetchone()
queued = db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'queued'").fetchone()[0]
print(rows, done, queued)
PY
}
note() { printf '%s\t%s\n' "$1" "$2" >>"$work/callbacks.tsv"; } # KEY VALUE for the summary
us_per() { python3 -c "print(f'{$1 / $hz / max($2, 1) * 1e6:.0f}')"; } # TICKS COUNT: µs each

# Waits (at most DRAIN_SECS) until the worker has processed every stored callback and
# the outbox has sent the replies, then says how fast the inbox went down. LABEL
drain() {
  local start rows handled first queued t0 ticks_used secs rate
  start=$(date +%s%N)
  read -r rows first queued < <(counts)
  handled=$first
  t0=$(ticks "$app_pid")
  while [ "$handled" -lt "$rows" ] || [ "$queued" -gt 0 ]; do
    if [ $(($(date +%s%N) - start)) -gt $((DRAIN_SECS * 1000000000)) ]; then
      echo "bench: the callback worker still had $((rows - handled)) rows (and $queued replies to send) after ${DRAIN_SECS}s" >&2
      break
    fi
    sleep 0.5
    read -r rows handled queued < <(counts)
  done
  secs=$(python3 -c "print(f'{($(date +%s%N) - $start) / 1e9:.1f}')")
  ticks_used=$(($(ticks "$app_pid") - t0))
  rate=$(python3 -c "print(f'{$((handled - first)) / max($secs, 0.1):.0f}')")
  echo "worker after the $1 run: $((handled - first)) stored callbacks processed (and their replies sent) in ${secs}s:" \
    "$rate/s, $(us_per "$ticks_used" $((handled - first))) µs server CPU each; $((rows - handled)) left"
  note "drain-$1" "$rate"
  note "drain-$1-cpu" "$(us_per "$ticks_used" $((handled - first)))"
}

# One wrk run through FILE as LABEL: requests/s, latency, server CPU per callback,
# inbox rows added.
flood() {
  local label=$1 file=$2 requests non2xx lines rows0 rows1 done0 done1 queued before after sim_before
  lines=$(wc -l <"$file")
  read -r rows0 done0 queued < <(counts)
  before=$(ticks "$app_pid")
  sim_before=$(ticks "$sim_pid")
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/callbacks.lua" "$base" -- "$file" \
    >"$work/cb-wrk-$label.txt"
  after=$(ticks "$app_pid")
  read -r rows1 done1 queued < <(counts)
  requests=$(awk '/requests in/ { print $1 }' "$work/cb-wrk-$label.txt")
  non2xx=$(awk '/Non-2xx/ { print $5 }' "$work/cb-wrk-$label.txt")
  echo
  echo "== callbacks, $label: wrk, $CONNECTIONS connections, ${DURATION}s, cycling through $lines signed requests"
  cat "$work/cb-wrk-$label.txt"
  echo "non-2xx answers:  ${non2xx:-0}"
  echo "server CPU:       $(us_per $((after - before)) "$requests") µs a callback ($((after - before)) ticks;" \
    "the simulator took $(($(ticks "$sim_pid") - sim_before)) answering the worker's replies)"
  echo "inbox rows added: $((rows1 - rows0)); the worker processed $((done1 - done0)) meanwhile"
  [ "$label" != distinct ] || [ "$requests" -le "$lines" ] ||
    echo "bench: wrk sent more than the $lines requests in $file: the rest were duplicates" >&2
  note "$label-rps" "$(awk '/Requests\/sec/ { print $2 }' "$work/cb-wrk-$label.txt")"
  note "$label-p99" "$(awk '/^ +99%/ { print $2 }' "$work/cb-wrk-$label.txt")"
  note "$label-cpu" "$(us_per $((after - before)) "$requests")"
  note "$label-added" "$((rows1 - rows0))"
  note "$label-non2xx" "${non2xx:-0}"
  note "$label-requests" "$requests"
}

# --- Metrics on and off: run by this script as its own process (set -e holds). ---
metrics_phase() {
  work=${BENCH_WORK:-$(mktemp -d)}
  local sim_port=${BENCH_SIM_PORT:-} port pid mode i before after
  pids=()
  trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
  if [ -z "$sim_port" ]; then
    sim_port=$(free_port)
    RUST_LOG=warn "$bin" simulate --listen "127.0.0.1:$sim_port" >"$work/metrics-sim.log" 2>&1 &
    pids+=($!)
  fi
  [ -f "$work/post.lua" ] || printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' \
    "'$body'" >"$work/post.lua"
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
  python3 - "$work" "$hz" <<'PY'
import os, statistics, sys
work, hz = sys.argv[1], int(sys.argv[2])
runs = [l.split("\t") for l in open(os.path.join(work, "metrics.tsv")).read().splitlines()]
rps = {m: [float(r[1]) for r in runs if r[0] == m] for m in ("off", "on")}
cpu = {m: sum(int(r[3]) for r in runs if r[0] == m) / hz / max(sum(int(r[2]) for r in runs if r[0] == m), 1) * 1e6
       for m in ("off", "on")}
off, on = statistics.mean(rps["off"]), statistics.mean(rps["on"])
loss = (off - on) / off * 100
print("run order off, on, on, off:", ", ".join(f"{r[0]} {float(r[1]):.0f}/s" for r in runs))
print(f"metrics off: {off:.0f} requests/s, {cpu['off']:.2f} µs CPU/request")
print(f"metrics on:  {on:.0f} requests/s, {cpu['on']:.2f} µs CPU/request")
print(f"loss:        {loss:.1f} % of requests/s, {cpu['on'] - cpu['off']:+.2f} µs CPU/request (target: loss < 10 %)")
scrapes = [l.split() for l in open(os.path.join(work, "metrics-scrape.txt")).read().splitlines()]
times = sorted(float(t) * 1e3 for t, _ in scrapes)
print(f"one scrape over HTTP (curl, {len(times)} in a row): p50 {statistics.median(times):.2f} ms,"
      f" max {times[-1]:.2f} ms, {scrapes[-1][1]} bytes")
with open(os.path.join(work, "metrics-summary.txt"), "w") as f:
    f.write(f"{off:.0f}\t{on:.0f}\t{loss:.1f}\t{statistics.median(times):.2f}\t{scrapes[-1][1]}\n")
PY
  echo
  "$examples/metrics_bench"
}

if [ "${BENCH_PHASE:-}" = metrics ]; then
  metrics_phase
  exit
fi
if [ "${BENCH_PHASE:-}" = postgres ]; then
  postgres_phase
  exit
fi
if [ "${BENCH_PHASE:-}" = callbacks ]; then
  callbacks_phase
  exit
fi

# --- SQLite, one instance (and the whole run). ---
command -v wrk >/dev/null 2>&1 || {
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk
}
cargo build --release -q -p desk-server --bin wecom-desk --example sign_cost --example match_bench --example join_way_bench \
  --example callback_bench --example metrics_bench

sim_port=$(free_port); app_port=$(free_port)
work=$(mktemp -d)
cleanup() { kill "${sim_pid:-}" "${app_pid:-}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

RUST_LOG=warn "$bin" simulate --listen "127.0.0.1:$sim_port" >"$work/sim.log" 2>&1 &
sim_pid=$!
write_config "$work/desk.toml" "$app_port" "$sim_port" "sqlite://$work/desk.db"
DESK__SERVER__WORKERS=$WORKERS RUST_LOG=warn "$bin" serve --config "$work/desk.toml" >"$work/app.log" 2>&1 &
app_pid=$!
wait_ready "$app_port" "$app_pid" "$work/app.log"

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA

before=$(ticks "$app_pid")
wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/post.lua" \
  "http://127.0.0.1:$app_port/api/jssdk/signatures" | tee "$work/wrk.txt"
after=$(ticks "$app_pid")
record "SQLite, 1 instance" "$CONNECTIONS" "$work/wrk.txt" $((after - before))
# The PostgreSQL instances get the cores to themselves.
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
"$examples/sign_cost"

echo
echo "== metrics off and on: the signatures endpoint, a fresh server each run, the same wrk settings"
metrics_status=0
BENCH_PHASE=metrics BENCH_WORK="$work" BENCH_SIM_PORT="$sim_port" bash scripts/bench.sh || metrics_status=$?
[ "$metrics_status" -eq 0 ] || echo "bench: the metrics part failed (exit $metrics_status); the table lacks it" >&2

echo
"$examples/match_bench" | tee "$work/match-sqlite.txt"

echo
"$examples/join_way_bench" | tee "$work/join-way.txt"

echo
echo "== the callback pipeline on SQLite (its own server and simulator)"
cb_status=0
BENCH_PHASE=callbacks BENCH_WORK="$work" bash scripts/bench.sh || cb_status=$?
[ "$cb_status" -eq 0 ] || echo "bench: the callback part failed (exit $cb_status); the table lacks it" >&2

echo
echo "== the same on $PG_INSTANCES instances sharing one PostgreSQL (throw-away cluster)"
pg_status=0
BENCH_PHASE=postgres BENCH_WORK="$work" BENCH_SIM_PORT="$sim_port" \
  bash scripts/with-postgres.sh bash scripts/bench.sh || pg_status=$?
[ "$pg_status" -eq 0 ] || echo "bench: the PostgreSQL part failed (exit $pg_status); the table lacks it" >&2

echo
echo "== summary: ${DURATION}s per wrk run, $CONNECTIONS connections in all, $WORKERS worker(s) per instance, one wrk thread per instance"
echo "   (on this machine's $(nproc) core(s), shared with servers, wrk and anything else running: noisy)"
python3 - "$work" "$hz" <<'PY'
import os, re, sys

work, hz = sys.argv[1], int(sys.argv[2])

def us(t):  # wrk's "512.00us", "1.20ms", "2.01s" in µs
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", t or "")
    return float(m[1]) * {"us": 1, "ms": 1e3, "s": 1e6, "m": 6e7}[m[2]] if m else None

rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(work, "signatures.tsv"))]
fmt = "{:<30} {:>5} {:>11} {:>9} {:>9} {:>8} {:>12}"
print()
print("signatures (POST /api/jssdk/signatures, warm cache)")
print(fmt.format("setup", "conns", "requests/s", "p50", "p99", "non-2xx", "CPU/request"))

def cpu(ticks, requests):
    return f"{ticks / hz / requests * 1e6:.2f} µs" if requests else "-"

for label, conns, rps, p50, p99, non2xx, requests, ticks in rows:
    print(fmt.format(label, conns, rps, p50, p99, non2xx, cpu(int(ticks), int(requests or 0))))
pg = [r for r in rows if r[0].startswith("PostgreSQL")]
if pg:
    p99s = [us(r[4]) for r in pg]
    worst = f"{max(p99s) / 1e3:.2f}ms" if None not in p99s else "-"
    print(fmt.format(
        f"PostgreSQL, {len(pg)} instances, sum",
        sum(int(r[1]) for r in pg),
        f"{sum(float(r[2]) for r in pg):.2f}",
        "-",
        worst + "*",
        sum(int(r[5]) for r in pg),
        cpu(sum(int(r[7]) for r in pg), sum(int(r[6]) for r in pg)),
    ))
    print("  * the worst instance's p99; CPU/request counts the wecom-desk processes only")

print()
path = os.path.join(work, "metrics-summary.txt")
if os.path.exists(path):
    off, on, loss, scrape_ms, scrape_bytes = open(path).read().split()
    print(f"metrics: signatures {off}/s off, {on}/s on, loss {loss} % (target < 10 %);"
          f" one scrape {scrape_ms} ms, {scrape_bytes} bytes")
else:
    print("metrics: (not measured)")

print()
print("matching (candidates, designer with 10,000 customers, warm, one request at a time)")
for name, target in (("sqlite", "5"), ("postgres", "2")):
    path = os.path.join(work, f"match-{name}.txt")
    line = next((l for l in open(path) if l.startswith("warm:")), None) if os.path.exists(path) else None
    m = re.search(r"p50 ([\d.]+) ms, p99 ([\d.]+) ms", line or "")
    label = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[name]
    if m:
        print(f"{label:<12} p50 {m[1]:>6} ms   p99 {m[2]:>6} ms   (target p50 < {target} ms)")
    else:
        print(f"{label:<12} (not measured)")

print()
print("callbacks (SQLite, one instance, the callback worker and outbox running)")
cb = {}
if os.path.exists(os.path.join(work, "callbacks.tsv")):
    cb = dict(l.rstrip("\n").split("\t", 1) for l in open(os.path.join(work, "callbacks.tsv")))

def first_line(name, prefix):
    path = os.path.join(work, name)
    return next((l for l in open(path) if l.startswith(prefix)), "") if os.path.exists(path) else ""

cfmt = "{:<44} {:>11} {:>10} {:>13}  {}"
print(cfmt.format("measure", "callbacks/s", "p99", "CPU/callback", "target"))
for label, what, target in (("distinct", "wrk, new messages (each an insert)", "≥ 10,000/s"),
                            ("duplicates", "wrk, the same messages again", "")):
    if f"{label}-rps" in cb:
        print(cfmt.format(what, cb[f"{label}-rps"], cb[f"{label}-p99"], cb[f"{label}-cpu"] + " µs", target))
    else:
        print(cfmt.format(what, "-", "-", "-", "(not measured)"))
for name, what in (("cb-paced.txt", "new messages"), ("cb-paced-dup.txt", "the same messages again")):
    rate = re.search(r"at a fixed (\d+)/s", first_line(name, "== callback"))
    m = re.search(r"p50 ([\d.]+) ms, p90 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms", first_line(name, "paced:"))
    label = f"fixed {rate[1] if rate else '?'}/s, {what}"
    if m:
        print(f"{label:<44} p50 {m[1]} ms, p90 {m[2]} ms, p99 {m[3]} ms, max {m[4]} ms  (target p99 < 5 ms)")
    else:
        print(f"{label:<44} (not measured)")
m = re.search(r"p50 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms", first_line("cb-notify.txt", "notify:"))
label = "notification 202 -> robot message"
if m:
    print(f"{label:<44} p50 {m[1]} ms, p99 {m[2]} ms, max {m[3]} ms  (target p50 < 100 ms)")
else:
    print(f"{label:<44} (not measured)")
if "distinct-added" in cb and "duplicates-added" in cb:
    print(f"{'inbox rows added':<44} {cb['distinct-added']} for {cb['distinct-requests']} new messages answered"
          f" (and those in flight when wrk stopped); {cb['duplicates-added']} for {cb['duplicates-requests']} duplicates")
for prefix, what in (("server's pool (db::connect), new keys", "insert_once alone, 64 tasks, new keys"),
                     ("one connection, 64 inserts", "the same inserts, 64 a transaction")):
    m = re.search(r"([\d.]+)/s +([\d.]+) µs CPU each", first_line("cb-inbox-cost.txt", prefix))
    if m:
        print(f"{what:<44} {m[1]}/s, {m[2]} µs CPU each (in-process, no HTTP)")
for run in ("paced", "distinct"):
    if f"drain-{run}" in cb:
        print(f"{'callback worker after the ' + run + ' run':<44} {cb['drain-' + run]}/s,"
              f" {cb['drain-' + run + '-cpu']} µs server CPU each (reply queued and sent)")
PY
[ "$pg_status" -eq 0 ] || exit "$pg_status"
exit "$cb_status"
