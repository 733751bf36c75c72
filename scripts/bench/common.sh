# What the benchmark's parts share; each scripts/bench/*.sh sources this (not run by
# itself). It moves to the repository's root and sets:
#   - the settings, from the environment: DURATION (seconds per wrk or paced run),
#     CONNECTIONS, WORKERS (server workers per instance), PG_INSTANCES,
#     CALLBACK_RATES (the paced rates of members' texts, "1000 5000"; CALLBACK_RATE,
#     if set, is the first), DRAIN_SECS (the longest wait for the callback worker),
#     BURST (callbacks of a burst the worker works off: 100,000; 20,000 when
#     DURATION < 10), FLOOD and FLOOD_CONNECTIONS (the flood after which the
#     server's memory is read: 1,000,000 callbacks, 100,000 when DURATION < 10, over
#     5,000 connections, past the inbox queue's 4,096 so that back-pressure shows),
#     SCANS, SCAN_ORDERS, WELCOME_SECS and WELCOME_RATE (the welcome part: SCANS
#     customers scanning SCAN_ORDERS orders' codes over WELCOME_SECS, 3 x DURATION,
#     during WELCOME_RATE callbacks/s of other traffic), and
#     MICRO_ARGS (extra options for the divan micro-benchmarks, e.g.
#     "--sample-count 20");
#   - BENCH_SERVER: another `wecom-desk` binary to measure (e.g. an earlier build, for
#     a baseline); the load tools are this tree's either way;
#   - `work`: BENCH_WORK when scripts/bench.sh passes its dir (results go there for
#     the summary), else a temp dir removed at exit;
#   - `pids`: processes a part starts; all are killed when it exits.
# Everything listens on 127.0.0.1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
# One server worker: on a 2-core machine the load generator needs the other core
# (two workers measured ~81k req/s and ~12.4 µs CPU/request against ~95k and ~10.4 µs).
WORKERS=${WORKERS:-1}
PG_INSTANCES=${PG_INSTANCES:-3}
CALLBACK_RATES=${CALLBACK_RATES:-${CALLBACK_RATE:+$CALLBACK_RATE 5000}}
CALLBACK_RATES=${CALLBACK_RATES:-1000 5000}
DRAIN_SECS=${DRAIN_SECS:-180}
short=$([ "$DURATION" -lt 10 ] && echo 1 || true)
BURST=${BURST:-$([ -n "$short" ] && echo 20000 || echo 100000)}
FLOOD=${FLOOD:-$([ -n "$short" ] && echo 100000 || echo 1000000)}
FLOOD_CONNECTIONS=${FLOOD_CONNECTIONS:-5000}
SCANS=${SCANS:-200}
SCAN_ORDERS=${SCAN_ORDERS:-$SCANS}
WELCOME_RATE=${WELCOME_RATE:-1000}
WELCOME_SECS=${WELCOME_SECS:-$((3 * DURATION))}
MICRO_ARGS=${MICRO_ARGS:-}

bin=${BENCH_SERVER:-target/release/wecom-desk}
examples=target/release/examples
body='{"url":"https://desk.example.com/orders/42?from=menu"}'
hz=$(getconf CLK_TCK)

pids=()
work=${BENCH_WORK:-}
own_work=""
if [ -z "$work" ]; then
  work=$(mktemp -d)
  own_work=$work
fi
on_exit() {
  kill "${pids[@]}" 2>/dev/null || true
  [ -z "$own_work" ] || rm -rf "$own_work"
}
trap on_exit EXIT

# The server, the HTTP drivers (server/examples) and the micro-benchmarks
# (server/benches), unless scripts/bench.sh built them already (BENCH_BUILT=1).
build() {
  [ "${BENCH_BUILT:-}" != 1 ] || return 0
  command -v wrk >/dev/null 2>&1 || {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk
  }
  cargo build --release -q -p desk-server --bin wecom-desk --example match_over_http \
    --example join_way_over_http --example callback_load --example welcome_load
  cargo bench -q -p desk-server --no-run
}

# One divan micro-benchmark of server/benches: NAME [DIVAN OPTIONS...] (its table, less
# the blank line divan ends it with).
micro() {
  local name=$1
  shift
  # shellcheck disable=SC2086 # MICRO_ARGS is a list of options
  cargo bench -q -p desk-server --bench "$name" -- $MICRO_ARGS "$@" | sed '${/^$/d}'
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # PID: user + system CPU ticks
rss_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; } # PID VmHWM|VmRSS: kB
us_per() { python3 -c "print(f'{$1 / $hz / max($2, 1) * 1e6:.0f}')"; } # TICKS COUNT: µs each

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

# The simulator (the demo corp) the signature runs get their tickets from:
# BENCH_SIM_PORT when scripts/bench.sh started one, else one of this part's own.
# Sets sim_port.
simulator() {
  sim_port=${BENCH_SIM_PORT:-}
  [ -z "$sim_port" ] || return 0
  sim_port=$(free_port)
  RUST_LOG=warn "$bin" simulate --listen "127.0.0.1:$sim_port" >"$work/sim-$sim_port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    curl -sS -o /dev/null "http://127.0.0.1:$sim_port/" 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$work/sim-$sim_port.log" >&2
  echo "bench: the simulator on port $sim_port did not start" >&2
  return 1
}

# wrk's script for the signatures endpoint: $work/post.lua.
post_lua() {
  [ -f "$work/post.lua" ] || cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA
}

# One result row for the summary's table: LABEL CONNECTIONS WRK_OUTPUT CPU_TICKS
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
