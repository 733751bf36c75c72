#!/usr/bin/env bash
# Builds the release (`make release`): the H5 (scripts/build-h5.sh), the server with
# that H5 inside it (release, --features embed-h5), then in target/release-archive/
#   wecom-desk-<version>-x86_64-linux.tar.gz, holding wecom-desk-<version>/ with
#     wecom-desk            the binary (every page of the H5 and its .br/.gz copies in it)
#     config.example.toml   docs/config.example.toml
#     wecom-desk.service    deploy/wecom-desk.service (systemd)
#     nginx.conf.example    deploy/nginx.conf.example (TLS, proxy to 127.0.0.1:8080)
#     DEPLOY.md             docs/deploy.md
#   and wecom-desk-<version>-x86_64-linux.tar.gz.sha256 (`sha256sum -c` checks it).
# <version> is the workspace's (Cargo.toml, [workspace.package]). Safe to run again:
# it replaces the archive; the same binary and files give the same archive.
#
# DESK_RELEASE_BIN=path packages that binary instead of building one (nor the H5): e.g.
# a debug build for a quick test, `cargo build -p desk-server --features embed-h5`
# after scripts/build-h5.sh (debug builds embed the H5 too), then
#   DESK_RELEASE_BIN=target/debug/wecom-desk bash scripts/release.sh
# Either way the binary must carry this dist/ (its four pages): checked before packing.
set -euo pipefail
cd "$(dirname "$0")/.."
# As the Makefile sets them, for a run without make: Trunk finds wasm-opt (npm's
# binaryen) there, and must not look for updates online.
export PATH=$PWD/frontend/node_modules/.bin:$HOME/.cargo/bin:$PATH
export TRUNK_SKIP_VERSION_CHECK=true

die() { echo "release: $*" >&2; exit 1; }

[[ $(uname -m) == x86_64 && $(uname -s) == Linux ]] ||
  die "the archive is named x86_64-linux; this is $(uname -s) $(uname -m)"
for f in docs/deploy.md docs/config.example.toml deploy/wecom-desk.service deploy/nginx.conf.example; do
  [[ -s $f ]] || die "$f is missing: the archive needs it"
done
version=$(python3 -c 'import tomllib; print(tomllib.load(open("Cargo.toml", "rb"))["workspace"]["package"]["version"])')
name=wecom-desk-$version
out=target/release-archive
archive=$name-x86_64-linux.tar.gz

if [[ -n ${DESK_RELEASE_BIN:-} ]]; then
  bin=$DESK_RELEASE_BIN
  [[ -x $bin ]] || die "DESK_RELEASE_BIN=$bin is not an executable file"
  echo "== packaging $bin (DESK_RELEASE_BIN), not building"
else
  echo "== the H5 (scripts/build-h5.sh)"
  bash scripts/build-h5.sh
  echo "== the server, release, with the H5 in it"
  cargo build --release -p desk-server --bin wecom-desk --features embed-h5
  bin=${CARGO_TARGET_DIR:-target}/release/wecom-desk
fi

# A binary without the feature, or built before the last H5 build, would serve no H5
# or another one: each page of this dist/ must be in it as it is.
python3 - "$bin" <<'PY' || die "$bin does not carry this dist/ (build it with --features embed-h5 after scripts/build-h5.sh)"
import sys
binary = open(sys.argv[1], 'rb').read()
for page in ['dist/index.html', 'dist/sidebar/index.html', 'dist/orders/index.html', 'dist/order/index.html']:
    try:
        html = open(page, 'rb').read()
    except OSError as e:
        sys.exit(f'release: {page}: {e}')
    if html not in binary:
        sys.exit(f'release: {page} is not in the binary')
PY
[[ $("$bin" --version) == "wecom-desk $version "* ]] || die "$bin --version does not name $version"

stage=$out/stage
rm -rf "$stage"
mkdir -p "$stage/$name"
install -m 0755 "$bin" "$stage/$name/wecom-desk"
install -m 0644 docs/config.example.toml "$stage/$name/config.example.toml"
install -m 0644 deploy/wecom-desk.service "$stage/$name/wecom-desk.service"
install -m 0644 deploy/nginx.conf.example "$stage/$name/nginx.conf.example"
install -m 0644 docs/deploy.md "$stage/$name/DEPLOY.md"
# Reproducible: names sorted, owned by root, dated at the commit, no gzip timestamp.
epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
  -C "$stage" -cf - "$name" | gzip -9 --no-name >"$out/$archive.tmp"
mv "$out/$archive.tmp" "$out/$archive"
(cd "$out" && sha256sum "$archive" >"$archive.sha256")
rm -rf "$stage"

echo "== $out/$archive"
tar -tvzf "$out/$archive"
echo "archive $(stat -c %s "$out/$archive") bytes, binary $(stat -c %s "$bin") bytes, $("$bin" --version)"
cat "$out/$archive.sha256"
