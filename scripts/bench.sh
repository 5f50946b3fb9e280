#!/usr/bin/env bash
# `npm run bench`: every benchmark in bench/, each printing a markdown section whose ratios are
# measured against baselines in the same run (C programs calling libbpf/netlink, bpftool, ip).
# The tables are also written to docs/benchmarks.md with the machine they were measured on.
#   --node LINE   with the newest Node.js of that line (scripts/node-line.sh fetches it), the addon
#                 built against its headers
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--node" ]; then
  bin=$(bash scripts/node-line.sh "${2:-}")
  export PATH="$bin:$PATH"
  shift 2
fi
bash scripts/setup.sh --test
[ -d node_modules/vitest ] || { if [ -f package-lock.json ]; then npm ci --ignore-scripts; else npm install --ignore-scripts; fi; }
node scripts/build-addon.mjs
node scripts/build-ts.mjs

out=$(mktemp)
trap 'rm -f "$out"' EXIT
{
  echo "# Benchmarks"
  echo
  echo "Measured by \`npm run bench\` on $(date -u +%Y-%m-%d): $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))," \
       "$(free -g | awk '/Mem:/{print $2}') GiB, Linux $(uname -r), Node $(node --version), libbpf $(node -e "process.stdout.write(require('bpfscope').versions().libbpf.runtime)")."
  echo "Every ratio compares numbers taken in the same run. A ratio to a C baseline times the two in alternating blocks of"
  echo "calls in loops, each pair of blocks on one CPU (the next pair on the next), and is the median of the per-block ratios,"
  echo "with their range in brackets: the machine is a VM whose neighbours' bursts of noise spoil the blocks they cover, not"
  echo "the figure, and one of whose vCPUs turns half again slower for seconds at a time."
  echo
} > "$out"
# The map benchmarks run last: right after them (1M-entry maps; bpftool printing hundreds of MB of
# JSON) listInterfaces once measured 1.8× the C dump instead of its usual 1.3-1.4×.
benches=()
for bench in bench/*.bench.mjs; do [ "$bench" = bench/maps.bench.mjs ] || benches+=("$bench"); done
benches+=(bench/maps.bench.mjs)
for bench in "${benches[@]}"; do
  echo "== $bench" >&2
  node --expose-gc "$bench" | tee -a "$out"
done
mkdir -p docs
cp "$out" docs/benchmarks.md
echo "written to docs/benchmarks.md" >&2
