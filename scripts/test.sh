#!/usr/bin/env bash
# `npm test`: installs what is missing (system packages, npm packages), builds, and runs every test.
#   --node LINE   build, type-check and run all of it with the newest Node.js of that line (22, 24,
#                 26, …; scripts/node-line.sh fetches it): the addon then builds from source against
#                 that Node's headers, as `npm install` does where no prebuild fits
#   --asan        build with ASan/UBSan through cmake-js and run the suite with libasan preloaded
# Other arguments go to vitest. With CI=true a skipped kernel test fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--node" ]; then
  bin=$(bash scripts/node-line.sh "${2:-}")
  export PATH="$bin:$PATH"
  echo "test.sh: Node.js $(node --version) from $bin"
  shift 2
fi

bash scripts/setup.sh --test
[ -d node_modules/vitest ] || { if [ -f package-lock.json ]; then npm ci --ignore-scripts; else npm install --ignore-scripts; fi; }

if [ "${1:-}" = "--asan" ]; then
  node scripts/build-asan.mjs
  export BPFSCOPE_PREBUILD="$PWD/build-asan"
  preload="$(g++ -print-file-name=libasan.so):$(g++ -print-file-name=libubsan.so)"
  export LD_PRELOAD="$preload" ASAN_OPTIONS="detect_leaks=0:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  shift
else
  node scripts/build-addon.mjs
fi
node scripts/build-ts.mjs
# The tests themselves are TypeScript that vitest runs without checking types.
node_modules/.bin/tsc -p test/tsconfig.json

report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0
# A watchdog: the suite takes minutes, and a run that hangs (one here, on 2026-12-06, stalled with
# vitest and its worker both idle, and never finished) must fail rather than hold a CI job forever.
# --foreground keeps vitest in the terminal's process group, so that Ctrl-C still reaches it.
timeout --foreground --kill-after=30 1800 node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
[ "$status" -ne 124 ] || echo "test.sh: the test run was still going after 30 minutes and was stopped" >&2
node scripts/check-skips.mjs "$report" || status=1
exit $status
