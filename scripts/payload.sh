#!/usr/bin/env bash
# First-load payload of the H5 app as sent: raw, gzip -9 and brotli (quality 11) size
# of every file in a dist dir, and the totals of what a page needs on first load
# (wasm + JS glue + CSS). scripts/build-h5.sh writes a brotli and a gzip copy beside
# every asset and the server sends the brotli one to every client that accepts it
# (browsers and the WeCom webview do), so the budget is of the brotli total. The
# vendored WeCom JS-SDK (wecom.global.prod-*.js) and index.html are listed but not
# counted; the .br and .gz copies themselves are not listed. Fails if the brotli
# total exceeds PAYLOAD_BUDGET_BYTES (default 150000: 150 KB).
# Usage: bash scripts/payload.sh [dist]
set -euo pipefail
dir=${1:-dist}
limit=${PAYLOAD_BUDGET_BYTES:-150000}
[[ -d $dir ]] || { echo "payload: no directory $dir (run scripts/build-h5.sh)" >&2; exit 2; }
command -v brotli >/dev/null || { echo "payload: no brotli command (run make setup)" >&2; exit 2; }

total_raw=0 total_gz=0 total_br=0
printf '%10s %10s %10s  %s\n' raw gzip-9 brotli file
while IFS= read -r -d '' f; do
  name=${f#"$dir"/}
  raw=$(wc -c <"$f")
  # The copies the server sends, when they are there; else what they would be.
  if [[ -f $f.gz ]]; then gz=$(wc -c <"$f.gz"); else gz=$(gzip -9 --no-name --stdout "$f" | wc -c); fi
  if [[ -f $f.br ]]; then br=$(wc -c <"$f.br"); else br=$(brotli --quality=11 --stdout "$f" | wc -c); fi
  case $name in
    wecom.global.prod-*.js | index.html) note='  (not counted)' ;;
    *)
      note='' total_raw=$((total_raw + raw)) total_gz=$((total_gz + gz)) total_br=$((total_br + br))
      [[ -f $f.br ]] || note='  (no .br copy beside it: run scripts/build-h5.sh)'
      ;;
  esac
  printf '%10d %10d %10d  %s%s\n' "$raw" "$gz" "$br" "$name" "$note"
done < <(find "$dir" -maxdepth 1 -type f ! -name '*.br' ! -name '*.gz' -print0 | sort -z)

printf '%10d %10d %10d  TOTAL first load (budget %d B brotli, as sent)\n' \
  "$total_raw" "$total_gz" "$total_br" "$limit"
if ((total_br > limit)); then
  echo "payload: over budget by $((total_br - limit)) B brotli (as sent)" >&2
  exit 1
fi
