#!/usr/bin/env bash
# Builds the packages that install without Rust, for this platform, into dist/:
#   dist/qa_engine-<version>-cp39-abi3-<platform>.whl   (maturin, release; CPython 3.9+)
#   dist/qa-engine-<version>.tgz                         (npm pack; carries the prebuilt addon
#                                                          qa-engine.<platform>-<arch>[-<abi>].node)
# Needs cargo, python3 (3.9+), node 20+ and npm; PyPI and the npm registry the first time (maturin
# goes into target/dist-venv, @napi-rs/cli into qa-node/node_modules). Both builds share the
# workspace's target dir with qa-py/test.sh and qa-node/test.sh, so after those they are quick.
# See docs/dist.md (and its plan for release builds on Linux, macOS and Windows).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
dist="$root/dist"
mkdir -p "$dist"
rm -f "$dist"/qa_engine-*.whl "$dist"/qa-engine-*.tgz

echo "== dist: Python wheel (abi3, release)"
python="${PYTHON:-python3}"
venv="$root/target/dist-venv"
if [ ! -x "$venv/bin/maturin" ]; then
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "maturin>=1.8,<2"
fi
(cd qa-py && "$venv/bin/maturin" build --release --out "$dist")

echo "== dist: Node package (npm pack with the prebuilt addon)"
cd "$root/qa-node"
if [ ! -e node_modules/@napi-rs/cli/package.json ]; then
  npm install --ignore-scripts --no-audit --no-fund
fi
node install.js # the checkout's build: qa-engine.node (release), index.d.ts regenerated
prebuilt="$(node platform.js)"
trap 'rm -f "$root/qa-node/$prebuilt"' EXIT
cp qa-engine.node "$prebuilt"
# the release profile keeps line tables (debug = 1): the packed copy drops them
if command -v strip >/dev/null 2>&1; then
  case "$(uname -s)" in
    Darwin) strip -S -x "$prebuilt" ;;
    *) strip --strip-debug "$prebuilt" ;;
  esac
fi
npm pack --pack-destination "$dist" >/dev/null
rm -f "$prebuilt"
trap - EXIT

cd "$root"
echo "== dist: written"
ls -l "$dist"/qa_engine-*.whl "$dist"/qa-engine-*.tgz
