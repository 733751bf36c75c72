#!/usr/bin/env bash
# Builds the H5 into dist/ (release): the app (frontend/index.html, bin desk-frontend),
# then the chat sidebar on its own (frontend/sidebar.html, bin desk-sidebar) into
# dist/sidebar/, which the server serves at /sidebar. In this order: a Trunk build
# replaces its whole dist directory. (`make test` then checks the sidebar's budget.)
set -euo pipefail
cd "$(dirname "$0")/.."
trunk build --release
trunk build --release=true --dist dist/sidebar --public-url /sidebar/ frontend/sidebar.html
# Trunk leaves wasm-bindgen's JS glue as written: minified here (terser, from npm).
node frontend/tools/minify-glue.mjs dist
node frontend/tools/minify-glue.mjs dist/sidebar
