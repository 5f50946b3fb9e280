#!/usr/bin/env bash
# Builds bpfscope against another libbpf from Debian's archive (default: bookworm-backports'
# libbpf-dev) without installing it, and runs the test suite with that libbpf loaded.
#   scripts/try-libbpf.sh [apt-version-spec]   e.g. libbpf-dev/bookworm-backports
# The result goes into the README's support matrix.
set -euo pipefail
cd "$(dirname "$0")/.."
spec_dev=${1:-libbpf-dev/bookworm-backports}
spec_lib=${spec_dev/libbpf-dev/libbpf1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bash scripts/setup.sh --test
( cd "$work" && apt-get download "$spec_dev" "$spec_lib" >/dev/null )
for deb in "$work"/*.deb; do dpkg -x "$deb" "$work/root"; done
libdir=$(dirname "$(find "$work/root" -name 'libbpf.so.1' | head -n1)")
version=$(basename "$(readlink -f "$libdir/libbpf.so.1")" | sed 's/libbpf.so.//')
echo "trying libbpf $version"

# A copy of the tree, so the main build is untouched.
git archive HEAD | tar -x -C "$work" --one-top-level=tree
ln -s "$PWD/node_modules" "$work/tree/node_modules"
cd "$work/tree"
CPATH="$work/root/usr/include" LIBRARY_PATH="$libdir" node scripts/build-addon.mjs
node scripts/build-ts.mjs
LD_LIBRARY_PATH="$libdir" node -e "const v=require('bpfscope').versions(); console.log('built against', v.libbpf.build, 'running', v.libbpf.runtime)"
LD_LIBRARY_PATH="$libdir" npx vitest run
