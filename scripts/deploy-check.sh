#!/usr/bin/env bash
# Follows docs/deploy.md as an operator would, against the WeCom simulator, in a temp
# directory: every ```sh block of the chapter runs in order, as written, with the
# chapter's directories pointed into the temp directory, the values of its step 2 set
# to the simulator's corp, and WeCom's address (DESK__WECOM__API_BASE) the simulator's.
# Then an upgrade: the oldest database this release upgrades from
# (server/tests/fixtures/upgrade/) is backed up, restored and served by the release.
# Usage: bash scripts/deploy-check.sh ARCHIVE   (a .tar.gz with its .sha256 beside it,
# from scripts/release.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
archive=$(realpath "${1:?usage: deploy-check.sh wecom-desk-VERSION-x86_64-linux.tar.gz}")
[[ -f $archive && -f $archive.sha256 ]] || { echo "deploy-check: no $archive (and .sha256)" >&2; exit 2; }
name=$(basename "$archive")
version=${name#wecom-desk-}
version=${version%-x86_64-linux.tar.gz}

work=$(mktemp -d)
sim_pid='' server_pid=''
cleanup() {
  [[ -f $work/data/serve.pid ]] && kill "$(cat "$work/data/serve.pid")" 2>/dev/null || true
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
  [[ -n $sim_pid ]] && kill "$sim_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 150); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done; echo "deploy-check: $1 never answered" >&2; return 1; }

# The simulated corp (the demo's), from the archive's own binary.
mkdir -p "$work/dl" "$work/sim"
cp "$archive" "$archive.sha256" "$work/dl/"
tar xzf "$archive" -C "$work/sim" "wecom-desk-$version/wecom-desk"
sim_port=$(free_port)
"$work/sim/wecom-desk-$version/wecom-desk" simulate --listen "127.0.0.1:$sim_port" >"$work/sim/log" 2>&1 &
sim_pid=$!
wait_http "http://127.0.0.1:$sim_port/sim/clock"
fixture=$root/server/simulator/fixtures/demo.toml
value() { python3 -c "import tomllib,sys; d=tomllib.load(open('$fixture','rb')); print(eval(sys.argv[1]))" "$1"; }

# The chapter's commands, in order, as one script.
python3 - "$root/docs/deploy.md" >"$work/chapter.sh" <<'PY'
import re, sys
text = open(sys.argv[1], encoding='utf-8').read()
blocks = re.findall(r'^```sh\n(.*?)^```', text, re.S | re.M)
print('\n'.join(blocks))
PY
[[ $(grep -c . "$work/chapter.sh") -gt 10 ]] || { echo "deploy-check: no sh blocks found in docs/deploy.md" >&2; exit 1; }

cd "$work/dl"
export DESK_HOME=$work/opt DESK_ETC=$work/etc DESK_DATA=$work/data DESK_BACKUP=$work/backup
export DESK_PORT=$(free_port) VERSION=$version
export CORP_ID=$(value 'd["corp_id"]') AGENT_ID=$(value 'd["apps"][0]["agent_id"]')
export AGENT_SECRET=$(value 'd["apps"][0]["secret"]')
export CALLBACK_TOKEN=$(value 'd["callback"]["token"]') CALLBACK_AES_KEY=$(value 'd["callback"]["encoding_aes_key"]')
export PUBLIC_URL=http://127.0.0.1:$DESK_PORT ADMIN_USERID=wangqiang API_KEY=deploy-check-key
# The one difference from production: WeCom is the simulator.
export DESK__WECOM__API_BASE=http://127.0.0.1:$sim_port DESK__WECOM__OAUTH_BASE=http://127.0.0.1:$sim_port
echo "== docs/deploy.md, $(grep -c . "$work/chapter.sh") lines of sh, release $version"
bash -euo pipefail -x "$work/chapter.sh"

base=http://127.0.0.1:$DESK_PORT
echo "== the release serves its own H5"
curl -fsS "$base/sidebar" | grep -q '/sidebar/desk-sidebar-'
wasm=$(curl -fsS "$base/orders" | grep -o '/orders/desk-orders-[0-9a-f]*_bg.wasm' | head -1)
[[ -n $wasm ]] || { echo "deploy-check: /orders names no wasm" >&2; exit 1; }
curl -fsS -o /dev/null -D "$work/h" -H 'Accept-Encoding: br' "$base$wasm"
grep -qi '^content-encoding: br' "$work/h" || { echo "deploy-check: $wasm not sent as brotli" >&2; cat "$work/h" >&2; exit 1; }
ls "$DESK_BACKUP"/desk-*.db >/dev/null

echo "== upgrade from the oldest supported database"
# Stopped as systemctl stops it: SIGTERM, then wait until it has exited.
pid=$(cat "$DESK_DATA/serve.pid"); kill "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$pid" 2>/dev/null || { echo "deploy-check: the server did not stop on SIGTERM" >&2; exit 1; }
rm -f "$DESK_DATA/serve.pid"
# As the chapter runs the binary: with the service's environment.
set -a; . "$DESK_ETC/env"; set +a
oldest=$(ls "$root"/server/tests/fixtures/upgrade/sqlite-*.sql | head -1)
cp "$DESK_DATA/desk.db" "$DESK_DATA/desk.db.new-install"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read()); c.commit()" "$work/old.db" "$oldest"
"$DESK_HOME/wecom-desk" restore --config "$DESK_ETC/config.toml" --from "$work/old.db" --force
"$DESK_HOME/wecom-desk" serve --config "$DESK_ETC/config.toml" >"$DESK_DATA/upgrade.log" 2>&1 &
server_pid=$!
wait_http "$base/healthz"
staff=$(curl -fsS -H "Authorization: Bearer $API_KEY" "$base/api/v1/staff" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["staff"]))')
[[ $staff -eq 3 ]] || { echo "deploy-check: the upgraded database answers $staff staff bindings, not the fixture's 3" >&2; exit 1; }
echo "upgraded: the old database's 3 staff bindings read through the API"
"$DESK_HOME/wecom-desk" backup --config "$DESK_ETC/config.toml" --to "$DESK_BACKUP/after-upgrade.db"
echo "deploy-check: ok"
