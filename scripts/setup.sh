#!/usr/bin/env bash
# Installs what building and testing WeCom Desk needs, and only what is missing:
# safe to run again. Used by `make setup` (and so by `make demo` and `make test`).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }

# Debian packages: chromium (and a CJK font, so screenshots show Chinese) for the
# browser tests; npm for the front-end packages; brotli, which scripts/build-h5.sh
# uses for the precompressed copies of the assets; PostgreSQL 15's server binaries for
# scripts/with-postgres.sh, which runs its own throw-away cluster (no system service
# is used: one the package may start is harmless).
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
command -v brotli >/dev/null 2>&1 || need_apt+=(brotli)
fc-list 2>/dev/null | grep -qi 'wqy\|noto sans cjk' || need_apt+=(fonts-wqy-microhei)
[ -x /usr/lib/postgresql/15/bin/postgres ] || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  say "apt-get install ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

# Rust: components and the wasm32 target.
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The two tools are built from source (crates.io has no binaries). Their own release
# profiles (trunk: fat LTO, one codegen unit) made that the slowest part of a fresh
# machine's setup: 6 min 27 s for trunk and 2 min 11 s for wasm-bindgen-cli on 2 cores.
# They run for seconds per build, so a quicker profile is the right trade: no LTO, 16
# codegen units, and the optimisation level given (trunk only orchestrates: 0;
# wasm-bindgen reads and rewrites the wasm: 1).
quick_install() { # OPT_LEVEL CARGO_INSTALL_ARGS...
  local opt=$1
  shift
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=$opt cargo install "$@"
}

# Trunk 0.21.14 (0.22 needs a newer rustc than this toolchain).
if [ "$(trunk --version 2>/dev/null)" != "trunk 0.21.14" ]; then
  say "cargo install trunk 0.21.14"
  quick_install 0 --locked trunk --version 0.21.14
fi

# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock.
wbg=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wbg" ]; then
  say "cargo install wasm-bindgen-cli $wbg"
  # Not --locked: its lock file names a crate version the registry lacks.
  quick_install 1 wasm-bindgen-cli --version "$wbg"
fi

# Front-end packages, pinned by frontend/package-lock.json. binaryen's wasm-opt comes
# from here: Debian's (version 108) mangles the externref table wasm-bindgen 0.2.130
# emits ("WebAssembly.Table.set(): Argument 1 is invalid"), so the app never starts.
if ! cmp -s frontend/package-lock.json frontend/node_modules/.installed-lock.json 2>/dev/null; then
  say "npm ci (frontend)"
  (cd frontend && npm ci --no-audit --no-fund --loglevel=error &&
    cp package-lock.json node_modules/.installed-lock.json)
fi

say "setup complete"
