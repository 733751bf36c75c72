#!/usr/bin/env bash
# An independent SDK (wechatpy's enterprise client, pinned) driven against
# `wecom-desk simulate` with WeCom's documented bodies: the simulator must give the
# answers WeCom documents. The SDK lives in a throw-away virtualenv under target/.
# Usage: scripts/sdk-contract.sh [path/to/wecom-desk]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/wecom-desk}
venv=target/sdk-venv
if ! "$venv/bin/python" -c 'import wechatpy, cryptography' 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "wechatpy==1.8.18" "cryptography>=42"
fi
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
RUST_LOG=warn "$bin" simulate --listen "127.0.0.1:$port" >"$log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 50); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/sim/stats" 2>/dev/null && break
  sleep 0.1
done
"$venv/bin/python" scripts/sdk/wechatpy_contract.py "http://127.0.0.1:$port"
