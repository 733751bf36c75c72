#!/usr/bin/env bash
# The callback pipeline on SQLite: its own `serve` and a simulator with ten robots.
#   - notification accepted (202) -> robot message at the simulator;
#   - callbacks answered at a fixed CALLBACK_RATE (open loop, latency from the
#     scheduled send: no coordinated omission), new messages, then the same again;
#   - duplicates, then new messages, as fast as wrk sends them (callbacks.lua cycling
#     through pre-signed requests), with the server's CPU per callback;
#   - how fast the callback worker works off what was stored (at most DRAIN_SECS);
#   - the endpoint's insert by itself, in-process (the divan micro-benchmark
#     server/benches/inbox.rs).
# The load comes from server/examples/callback_load.rs (requests, paced, notify).
#
# Alone: `bash scripts/bench/callbacks.sh` (DURATION=3 DRAIN_SECS=60 for a short run;
# the settings are in scripts/bench/common.sh). scripts/bench.sh runs it after the
# join ways.
source "$(dirname "$0")/common.sh"
build
here=scripts/bench

counts() { python3 "$here/inbox_counts.py" "$work/cb.db"; } # ROWS PROCESSED QUEUED
note() { printf '%s\t%s\n' "$1" "$2" >>"$work/callbacks.tsv"; } # KEY VALUE for the summary

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
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$here/callbacks.lua" "$base" -- "$file" \
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

echo "== the callback pipeline on SQLite (its own server and simulator)"
sim_port=$(free_port)
app_port=$(free_port)
base="http://127.0.0.1:$app_port"
sim="http://127.0.0.1:$sim_port"
robots=10
names=()
# Ten robots, so that 200 notifications fit in their 20 a minute each.
cp server/simulator/fixtures/demo.toml "$work/cb-fixture.toml"
# This part measures the server, not WeCom's own limits (10,000 calls of one API a
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
"$examples/callback_load" notify --app "$base" --sim "$sim" --key bench-key \
  --robots "$(IFS=,; echo "${names[*]}")" --count $((20 * robots)) --spacing-ms 50 | tee "$work/cb-notify.txt"

paced_first=1000000000
echo
before=$(ticks "$app_pid")
"$examples/callback_load" paced --url "$base" --rate "$CALLBACK_RATE" --secs "$DURATION" \
  --first-msg-id "$paced_first" | tee "$work/cb-paced.txt"
after=$(ticks "$app_pid")
echo "server CPU: $(us_per $((after - before)) $((CALLBACK_RATE * (DURATION + 1)))) µs a callback" \
  "(with what the worker got through meanwhile)"
echo
drain paced

# The same 1,000 messages again: verified, decrypted, parsed, no insert, no work.
echo
"$examples/callback_load" paced --url "$base" --rate "$CALLBACK_RATE" --secs "$DURATION" \
  --first-msg-id "$paced_first" --ids 1000 | tee "$work/cb-paced-dup.txt"

# Duplicates: the paced run's first 1,000 messages, each signed anew.
"$examples/callback_load" requests --out "$work/cb-dup.txt" --count 20000 \
  --first-msg-id "$paced_first" --ids 1000
flood duplicates "$work/cb-dup.txt"
# Distinct messages: enough lines that wrk does not come round again.
"$examples/callback_load" requests --out "$work/cb-distinct.txt" --count $((25000 * DURATION)) \
  --first-msg-id 2000000000
rm -f "$work/cb-dup.txt"
flood distinct "$work/cb-distinct.txt"
rm -f "$work/cb-distinct.txt"
echo
drain distinct

# What the endpoint's insert costs by itself, and what batching it would give.
echo
echo "== the callback endpoint's database step alone (callback::store::insert_once), in-process, no HTTP: 64 inserts an iteration, one runtime thread"
micro inbox | tee "$work/cb-inbox-cost.txt"
