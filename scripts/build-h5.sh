#!/usr/bin/env bash
# Builds the H5 into dist/ (release): the app (frontend/index.html, bin desk-frontend:
# home, admin console, diagnostics), then the pages a member opens on a phone, each on
# its own so each stays small: the chat sidebar (frontend/sidebar.html, bin
# desk-sidebar) into dist/sidebar/, served at /sidebar; 我的订单 (frontend/orders.html,
# bin desk-orders) into dist/orders/, served at /orders; and one order's page
# (frontend/order.html, bin desk-order) into dist/order/, served at /orders/{id}. In
# this order: a Trunk build replaces its whole dist directory. Last, a brotli and a gzip copy of every hashed
# asset, which the server sends as they are. (`make test` then checks the sidebar's
# budget.)
set -euo pipefail
cd "$(dirname "$0")/.."
# Panic locations in the wasm carry each dependency's source path, ~60 bytes of registry
# prefix apiece (`/root/.cargo/registry/src/index.crates.io-…/`): shortened to `c/`.
# These flags replace .cargo/config.toml's wasm32 rustflags, so its cfg is repeated.
flags=(--cfg erase_components)
for index in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
  flags+=("--remap-path-prefix=${index%/}=c")
done
CARGO_ENCODED_RUSTFLAGS=$(IFS=$'\x1f'; printf '%s' "${flags[*]}")
export CARGO_ENCODED_RUSTFLAGS
trunk build --release
trunk build --release=true --dist dist/sidebar --public-url /sidebar/ frontend/sidebar.html
trunk build --release=true --dist dist/orders --public-url /orders/ frontend/orders.html
trunk build --release=true --dist dist/order --public-url /order/ frontend/order.html
# Trunk leaves wasm-bindgen's JS glue as written: minified here (terser, from npm).
node frontend/tools/minify-glue.mjs dist
node frontend/tools/minify-glue.mjs dist/sidebar
node frontend/tools/minify-glue.mjs dist/orders
node frontend/tools/minify-glue.mjs dist/order
# Precompressed copies of every hashed asset (wasm, JS, CSS), `<file>.br` (brotli,
# quality 11) and `<file>.gz` (gzip -9) beside it: the server sends the one the client
# accepts (server/src/h5/precompressed.rs). Not the HTML, which the server serves
# itself from memory (in the demo with the bridge script put in).
shopt -s nullglob
for f in dist/*.{wasm,js,css} dist/sidebar/*.{wasm,js,css} dist/orders/*.{wasm,js,css} dist/order/*.{wasm,js,css}; do
  brotli --force --quality=11 --output="$f.br" "$f"
  gzip -9 --no-name --stdout "$f" >"$f.gz"
done
