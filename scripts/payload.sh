#!/usr/bin/env bash
# First-load payload of the H5 app: raw and gzip -9 size of every file in a dist dir,
# and the budget total of what a page needs on first load (wasm + JS glue + CSS).
# The vendored WeCom JS-SDK (wecom.global.prod-*.js) and index.html are listed but not
# counted. Fails if the total exceeds PAYLOAD_BUDGET_BYTES (default 150000: 150 KB).
# Usage: bash scripts/payload.sh [dist]
set -euo pipefail
dir=${1:-dist}
limit=${PAYLOAD_BUDGET_BYTES:-150000}
[[ -d $dir ]] || { echo "payload: no directory $dir (run trunk build --release)" >&2; exit 2; }

total_raw=0 total_gz=0
printf '%10s %10s  %s\n' raw gzip-9 file
while IFS= read -r -d '' f; do
  name=${f#"$dir"/}
  raw=$(wc -c <"$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  case $name in
    wecom.global.prod-*.js | index.html) note='  (not counted)' ;;
    *) note='' total_raw=$((total_raw + raw)) total_gz=$((total_gz + gz)) ;;
  esac
  printf '%10d %10d  %s%s\n' "$raw" "$gz" "$name" "$note"
done < <(find "$dir" -maxdepth 1 -type f -print0 | sort -z)

printf '%10d %10d  TOTAL first load (budget %d B gzip)\n' "$total_raw" "$total_gz" "$limit"
if ((total_gz > limit)); then
  echo "payload: over budget by $((total_gz - limit)) B gzip" >&2
  exit 1
fi
