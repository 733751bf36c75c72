# The callback pipeline's measurements, for scripts/bench/callbacks.sh (SQLite, one
# instance) and scripts/bench/callbacks_pg.sh (PostgreSQL, one and three instances);
# sourced after common.sh, not run by itself. `pipeline_start TAG DATABASE_URL N`
# starts a simulator (the demo corp with ten robots, WeCom's rate limits off: this
# measures the server) and N `serve` instances sharing the database; the steps below
# then measure them, each writing `KEY<TAB>VALUE` lines to $work/cb-TAG.tsv and its
# tool's output to $work/cb-TAG-*.txt for scripts/bench/summary.py:
#   calibrate   the load tools against GET /healthz (wrk through the same script, and
#               the paced sender at each rate): what the generator can do by itself;
#   notify      notification accepted (202) -> robot message at the simulator;
#   paced       members' texts at each of CALLBACK_RATES (open loop, latency from the
#               scheduled send), each followed by drain; then the same texts again;
#   wrk_runs    duplicates, then new texts as fast as wrk sends them, with the
#               servers' CPU per callback; then drain;
#   burst       BURST group events the product does not serve (no WeCom call), each
#               sent once (burst.lua): the time until every accepted one is processed
#               and the worker's rate;
#   flood       FLOOD such events over FLOOD_CONNECTIONS connections: answers by
#               status (503 is the inbox's back-pressure) and each server's memory
#               after it (VmHWM, the peak, and VmRSS, from /proc).
here=scripts/bench
robots=10

note() { printf '%s\t%s\n' "$1" "$2" >>"$work/cb-$tag.tsv"; } # KEY VALUE

# ROWS HANDLED QUEUED: callbacks in the inbox, those processed (or given up on), and
# app messages the outbox has not sent yet.
counts() {
  case "$cb_db" in
  sqlite://*) python3 "$here/inbox_counts.py" "${cb_db#sqlite://}" ;;
  *) psql -X -q -At -F ' ' "$cb_db" -c "SELECT (SELECT COUNT(*) FROM callback_inbox),
       (SELECT COUNT(processed_at) + COUNT(failed_at) FROM callback_inbox),
       (SELECT COUNT(*) FROM outbox WHERE status = 'queued')" ;;
  esac
}
cpu() { # the servers' CPU ticks, together
  local t=0 p
  for p in "${app_pids[@]}"; do t=$((t + $(ticks "$p"))); done
  echo "$t"
}
now_ns() { date +%s%N; }
secs_since() { python3 -c "print(f'{($(now_ns) - $1) / 1e9:.1f}')"; } # START_NS

# Starts the simulator and N servers on DATABASE_URL; sets tag, cb_db, sim, sim_pid,
# app_pids, app_ports, urls (comma-separated) and robot_names.
pipeline_start() {
  tag=$1 cb_db=$2
  local n=$3 i port sim_port
  : >"$work/cb-$tag.tsv"
  note instances "$n"
  sim_port=$(free_port)
  sim="http://127.0.0.1:$sim_port"
  cp server/simulator/fixtures/demo.toml "$work/cb-$tag-fixture.toml"
  sed -i 's/^\[rules\]$/[rules]\nper_api_per_minute = 0\nper_api_per_hour = 0\napp_messages_per_member_minute = 0\nmax_concurrent_calls = 0/' \
    "$work/cb-$tag-fixture.toml"
  robot_names=()
  local robot_urls=""
  for i in $(seq -w 1 "$robots"); do
    printf '\n[[robots]]\nkey = "bench-robot-%s"\nname = "压测机器人%s"\n' "$i" "$i" >>"$work/cb-$tag-fixture.toml"
    robot_urls+="r$i = \"$sim/cgi-bin/webhook/send?key=bench-robot-$i\""$'\n'
    robot_names+=("r$i")
  done
  RUST_LOG=warn "$bin" simulate --listen "127.0.0.1:$sim_port" --fixture "$work/cb-$tag-fixture.toml" \
    >"$work/cb-$tag-sim.log" 2>&1 &
  sim_pid=$!
  pids+=("$sim_pid")
  app_pids=() app_ports=() urls=""
  for i in $(seq "$n"); do
    port=$(free_port)
    write_config "$work/cb-$tag-$i.toml" "$port" "$sim_port" "$cb_db"
    cat >>"$work/cb-$tag-$i.toml" <<TOML
[callback]
token = "demoCallbackToken"
encoding_aes_key = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
[integration]
api_keys = ["bench-key"]
[robot.webhook_urls]
$robot_urls
TOML
    DESK__SERVER__WORKERS=$WORKERS RUST_LOG=warn "$bin" serve --config "$work/cb-$tag-$i.toml" \
      >"$work/cb-$tag-app$i.log" 2>&1 &
    app_pids+=($!)
    pids+=($!)
    app_ports+=("$port")
    urls+="${urls:+,}http://127.0.0.1:$port"
    # The first one migrates the database alone; the others start together.
    [ "$i" -gt 1 ] || wait_ready "$port" "${app_pids[0]}" "$work/cb-$tag-app1.log"
  done
  for i in $(seq 2 "$n"); do
    wait_ready "${app_ports[i - 1]}" "${app_pids[i - 1]}" "$work/cb-$tag-app$i.log"
  done
  echo "($n server(s) on $(case "$cb_db" in sqlite*) echo SQLite ;; *) echo PostgreSQL ;; esac);" \
    "load average $(cut -d' ' -f1-3 /proc/loadavg) as this part starts: anything else running skews it)"
}

pipeline_stop() {
  kill "${app_pids[@]}" "$sim_pid" 2>/dev/null || true
  wait "${app_pids[@]}" "$sim_pid" 2>/dev/null || true
}

# Waits (at most DRAIN_SECS) until the worker(s) have processed every stored callback,
# then says how fast the inbox went down, and how the outbox did meanwhile. LABEL
drain() {
  local start rows handled first queued queued0 t0 ticks_used secs rate
  start=$(now_ns)
  read -r rows first queued0 < <(counts)
  handled=$first queued=$queued0
  t0=$(cpu)
  while [ "$handled" -lt "$rows" ]; do
    if [ $(($(now_ns) - start)) -gt $((DRAIN_SECS * 1000000000)) ]; then
      echo "bench: the callback worker still had $((rows - handled)) rows after ${DRAIN_SECS}s" >&2
      break
    fi
    sleep 0.5
    read -r rows handled queued < <(counts)
  done
  secs=$(secs_since "$start")
  ticks_used=$(($(cpu) - t0))
  rate=$(python3 -c "print(f'{$((handled - first)) / max($secs, 0.1):.0f}')")
  echo "worker after the $1 run: $((handled - first)) stored callbacks processed in ${secs}s:" \
    "$rate/s, $(us_per "$ticks_used" $((handled - first))) µs server CPU each (with the outbox's);" \
    "$((rows - handled)) left; app-message replies queued $queued0 -> $queued"
  # Nothing left when the run ended: the worker kept up, its rate is not measured here.
  [ "$rows" -gt "$first" ] || [ "$handled" -gt "$first" ] || rate="kept up"
  note "drain-$1" "$rate"
  note "drain-$1-cpu" "$(us_per "$ticks_used" $((handled - first)))"
  note "drain-$1-left" "$((rows - handled))"
  note "drain-$1-queued" "$queued"
}

# One wrk per server at once, CONNS split between them: SCRIPT OUT_PREFIX ARGS_FOR_SCRIPT...
# (a FILE argument of the form PREFIX@ is that server's file PREFIX-I). Sets
# wrk_rps (summed), wrk_requests (summed), wrk_p99 (the worst), wrk_non2xx.
wrk_all() {
  local conns=$1 script=$2 out=$3 i c args a
  shift 3
  local n=${#app_ports[@]} wrks=()
  for i in $(seq "$n"); do
    c=$((conns / n + (i <= conns % n ? 1 : 0)))
    args=()
    for a in "$@"; do
      case "$a" in *@) args+=("${a%@}-$i") ;; *) args+=("$a") ;; esac
    done
    # Line-buffered: what it printed survives if it dies.
    stdbuf -oL wrk -t1 -c"$c" -d"${wrk_secs:-$DURATION}s" --timeout 30s --latency -s "$script" \
      "http://127.0.0.1:${app_ports[i - 1]}" -- "${args[@]}" >"$out-$i.txt" &
    wrks+=($!)
  done
  for i in $(seq "$n"); do
    wait "${wrks[i - 1]}" || echo "bench: wrk against server $i exited with status $? ($script)" >&2
  done
  read -r wrk_rps wrk_requests wrk_p99 wrk_non2xx < <(python3 - "$out" "$n" <<'PY'
import re, sys
out, n = sys.argv[1], int(sys.argv[2])
rps = reqs = non = 0
p99 = 0.0
def us(t):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", t)
    return float(m[1]) * {"us": 1, "ms": 1e3, "s": 1e6, "m": 6e7}[m[2]] if m else 0
for i in range(1, n + 1):
    text = open(f"{out}-{i}.txt").read()
    m = re.search(r"Requests/sec:\s+([\d.]+)", text); rps += float(m[1]) if m else 0
    m = re.search(r"(\d+) requests in", text); reqs += int(m[1]) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text); non += int(m[1]) if m else 0
    m = re.search(r"^\s+99%\s+(\S+)", text, re.M); p99 = max(p99, us(m[1]) if m else 0)
print(f"{rps:.0f} {reqs} {p99 / 1e3:.2f}ms {non}")
PY
  )
}

# wrk and the paced sender against GET /healthz: the tools' own limits, in this run.
calibrate() {
  local rate
  echo "== the load tools against GET /healthz (a database ping, no callback work): what they do by themselves"
  "$examples/callback_load" requests --out "$work/cb-one.txt" --count 1 --first-id 1
  for i in $(seq "${#app_ports[@]}"); do cp "$work/cb-one.txt" "$work/cb-one-$i"; done
  wrk_all "$CONNECTIONS" "$here/callbacks.lua" "$work/cb-$tag-wrk-healthz" "$work/cb-one@" /healthz
  echo "wrk, $CONNECTIONS connections, callbacks.lua sending GET /healthz: $wrk_rps requests/s, p99 $wrk_p99"
  note calib-wrk-rps "$wrk_rps"
  note calib-wrk-p99 "$wrk_p99"
  for rate in $CALLBACK_RATES; do
    "$examples/callback_load" paced --url "$urls" --rate "$rate" --secs "$DURATION" --get /healthz \
      | tee "$work/cb-$tag-calib-$rate.txt"
  done
}

notify() {
  echo
  "$examples/callback_load" notify --app "${urls%%,*}" --sim "$sim" --key bench-key \
    --robots "$(IFS=,; echo "${robot_names[*]}")" --count $((20 * robots)) --spacing-ms 50 \
    | tee "$work/cb-$tag-notify.txt"
}

# Members' texts at each rate, the worker running; each run's texts worked off after.
paced() {
  local rate first=1000000000 before
  for rate in $CALLBACK_RATES; do
    echo
    before=$(cpu)
    "$examples/callback_load" paced --url "$urls" --rate "$rate" --secs "$DURATION" --first-id "$first" \
      | tee "$work/cb-$tag-paced-$rate.txt"
    echo "server CPU: $(us_per $(($(cpu) - before)) $((rate * (DURATION + 1)))) µs a callback" \
      "(with what the worker got through meanwhile)"
    note "paced-$rate-cpu" "$(us_per $(($(cpu) - before)) $((rate * (DURATION + 1))))"
    echo
    drain "paced-$rate"
    first=$((first + 100000000))
  done
  # The first run's first 1,000 messages again: verified, decrypted, parsed, no insert.
  echo
  rate=${CALLBACK_RATES%% *}
  "$examples/callback_load" paced --url "$urls" --rate "$rate" --secs "$DURATION" --first-id 1000000000 \
    --ids 1000 | tee "$work/cb-$tag-paced-dup.txt"
}

# One wrk run (per server) through FILE-I as LABEL: requests/s, latency, the servers'
# CPU per callback, inbox rows added.
flood_wrk() {
  local label=$1 file=$2 rows0 rows1 done0 done1 queued before after sim_before lines
  lines=$(wc -l <"$file-1")
  read -r rows0 done0 queued < <(counts)
  before=$(cpu)
  sim_before=$(ticks "$sim_pid")
  wrk_all "$CONNECTIONS" "$here/callbacks.lua" "$work/cb-$tag-wrk-$label" "$file@"
  after=$(cpu)
  read -r rows1 done1 queued < <(counts)
  echo
  echo "== callbacks, $label: wrk, $CONNECTIONS connections over ${#app_ports[@]} server(s), ${DURATION}s, cycling through $lines signed requests each"
  cat "$work/cb-$tag-wrk-$label-1.txt"
  echo "all servers: $wrk_rps requests/s, worst p99 $wrk_p99, non-2xx answers $wrk_non2xx"
  echo "server CPU:       $(us_per $((after - before)) "$wrk_requests") µs a callback ($((after - before)) ticks;" \
    "the simulator took $(($(ticks "$sim_pid") - sim_before)) answering the worker's replies)"
  echo "inbox rows added: $((rows1 - rows0)); the worker processed $((done1 - done0)) meanwhile"
  note "$label-rps" "$wrk_rps"
  note "$label-p99" "$wrk_p99"
  note "$label-cpu" "$(us_per $((after - before)) "$wrk_requests")"
  note "$label-added" "$((rows1 - rows0))"
  note "$label-non2xx" "$wrk_non2xx"
  note "$label-requests" "$wrk_requests"
}

# Texts: duplicates, then new ones as fast as wrk sends them; then worked off.
wrk_runs() {
  local i n=${#app_ports[@]}
  for i in $(seq "$n"); do
    # The first paced run's first 1,000 messages, each signed anew.
    "$examples/callback_load" requests --out "$work/cb-dup-$i" --count 20000 --first-id 1000000000 --ids 1000
  done
  flood_wrk duplicates "$work/cb-dup"
  rm -f "$work"/cb-dup-*
  for i in $(seq "$n"); do
    # Enough lines that wrk does not come round again.
    "$examples/callback_load" requests --out "$work/cb-new-$i" --count $((25000 * DURATION / n + 1000)) \
      --first-id $((2000000000 + i * 100000000))
  done
  flood_wrk distinct "$work/cb-new"
  rm -f "$work"/cb-new-*
  echo
  drain distinct
}

# COUNT group events split over the servers, each sent once through burst.lua over
# CONNS connections: LABEL COUNT CONNS FIRST_ID. Sets sent_ok, sent_503, sent_other,
# sent_lost (never answered), send_secs (the longest wrk's) and burst_start (ns).
send_once() {
  local label=$1 count=$2 conns=$3 first=$4 i n=${#app_ports[@]} out
  for i in $(seq "$n"); do
    "$examples/callback_load" requests --kind chat --out "$work/cb-once-$i" \
      --count $((count / n + (i <= count % n ? 1 : 0))) \
      --first-id $((first + i * 10000000))
  done
  wrk_secs=3600 wrk_all "$conns" "$here/burst.lua" "$work/cb-$tag-$label" "$work/cb-once@"
  rm -f "$work"/cb-once-*
  # wrk's own clock starts once it has read its file: the burst began that long ago.
  read -r sent_ok sent_503 sent_other sent_lost send_secs < <(cat "$work/cb-$tag-$label"-*.txt |
    awk '/^burst:/ { ok += $5; full += $7; other += $9; lost += $11; if ($13 > s) s = $13 }
      END { printf "%d %d %d %d %.2f\n", ok, full, other, lost, s }')
  burst_start=$(($(now_ns) - $(awk -v s="$send_secs" 'BEGIN { printf "%.0f", s * 1e9 }')))
}

# A burst of BURST group events the product does not serve: how long until every
# accepted one is processed, and the worker's rate.
burst() {
  local rows0 done0 queued rows handled t0 secs_all rate_all rate_after mid_handled mid_ns
  echo
  echo "== burst: $BURST group events the product does not serve (no WeCom call), each sent once, $CONNECTIONS connections"
  read -r rows0 done0 queued < <(counts)
  # The load tool reads its files first: the clock starts when wrk does (send_once).
  send_once burst "$BURST" "$CONNECTIONS" 3000000000
  read -r rows mid_handled queued < <(counts)
  mid_ns=$(now_ns)
  echo "sent in ${send_secs}s: 200 $sent_ok, 503 $sent_503, other $sent_other, unanswered $sent_lost; $((rows - rows0)) stored," \
    "$((mid_handled - done0)) processed meanwhile"
  handled=$mid_handled
  while [ "$handled" -lt "$rows" ] && [ $(($(now_ns) - burst_start)) -lt $((DRAIN_SECS * 1000000000)) ]; do
    sleep 0.2
    read -r rows handled queued < <(counts)
  done
  secs_all=$(secs_since "$burst_start")
  rate_all=$(python3 -c "print(f'{$((handled - done0)) / max($secs_all, 0.1):.0f}')")
  rate_after=$(python3 -c "print(f'{$((handled - mid_handled)) / max(($(now_ns) - $mid_ns) / 1e9, 0.1):.0f}')")
  echo "all $((handled - done0)) processed (the burst's $((rows - rows0)) and $((rows0 - done0)) left from before)" \
    "${secs_all}s after the burst began ($((rows - handled)) left): $rate_all/s overall, $rate_after/s once the burst was in"
  note burst-count "$BURST"
  note burst-ok "$sent_ok"
  note burst-503 "$sent_503"
  note burst-send-secs "$send_secs"
  note burst-secs "$secs_all"
  note burst-left "$((rows - handled))"
  note burst-backlog "$((rows0 - done0))"
  note burst-rate "$rate_all"
  note burst-rate-after "$rate_after"
}

# FLOOD group events over FLOOD_CONNECTIONS connections: answers by status, memory.
flood() {
  local rows0 done0 queued rows handled i p hwm=0 rss=0 rss0=0 h r
  echo
  echo "== flood: $FLOOD group events, each sent once, over $FLOOD_CONNECTIONS connections"
  for p in "${app_pids[@]}"; do rss0=$((rss0 > $(rss_kb "$p" VmRSS) ? rss0 : $(rss_kb "$p" VmRSS))); done
  read -r rows0 done0 queued < <(counts)
  send_once flood "$FLOOD" "$FLOOD_CONNECTIONS" 5000000000
  for p in "${app_pids[@]}"; do
    h=$(rss_kb "$p" VmHWM) r=$(rss_kb "$p" VmRSS)
    hwm=$((h > hwm ? h : hwm)) rss=$((r > rss ? r : rss))
  done
  read -r rows handled queued < <(counts)
  echo "sent in ${send_secs}s ($(python3 -c "print(f'{($sent_ok + $sent_503 + $sent_other) / max($send_secs, 0.1):.0f}')") answers/s): 200 $sent_ok," \
    "503 $sent_503 (back-pressure: the inbox queue full), other $sent_other, unanswered $sent_lost; $((rows - rows0)) stored," \
    "$((handled - done0)) processed meanwhile"
  echo "server memory (the largest of ${#app_pids[@]}): VmHWM (peak) $((hwm / 1024)) MB, VmRSS now $((rss / 1024)) MB" \
    "(VmRSS before the flood $((rss0 / 1024)) MB)"
  note flood-count "$FLOOD"
  note flood-conns "$FLOOD_CONNECTIONS"
  note flood-ok "$sent_ok"
  note flood-503 "$sent_503"
  note flood-other "$sent_other"
  note flood-secs "$send_secs"
  note flood-hwm-mb "$((hwm / 1024))"
  note flood-rss-mb "$((rss / 1024))"
  note flood-rss0-mb "$((rss0 / 1024))"
}
