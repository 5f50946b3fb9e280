#!/usr/bin/env bash
# Builds the libFuzzer targets (test/fuzz/*.cc, with clang: scripts/setup.sh --fuzz) and runs them.
#   scripts/fuzz.sh --corpus [target…]          run each seed in test/fuzz/corpus/<target>/ once (CI)
#   scripts/fuzz.sh --seconds N [target…]       fuzz each target for N seconds, starting from its seeds;
#                                               new inputs go to build-fuzz/corpus/<target>/, the
#                                               final stats line to build-fuzz/<target>.log
# Without targets: every target. Findings (crash-*, leak-*, timeout-*) land in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=""
seconds=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --corpus) mode=corpus ;;
    --seconds) mode=fuzz; seconds="$2"; shift ;;
    *) targets+=("$1") ;;
  esac
  shift
done
[ -n "$mode" ] || { echo "usage: scripts/fuzz.sh --corpus | --seconds N [target…]" >&2; exit 2; }

bash scripts/setup.sh --fuzz
cmake -S . -B build-fuzz -G "Unix Makefiles" -DBPFSCOPE_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j "${JOBS:-1}" >/dev/null

if [ ${#targets[@]} -eq 0 ]; then
  for f in test/fuzz/*.cc; do targets+=("$(basename "$f" .cc)"); done
fi
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
for t in "${targets[@]}"; do
  seeds="test/fuzz/corpus/$t"
  [ -d "$seeds" ] || { echo "fuzz: no seed corpus $seeds" >&2; status=1; continue; }
  if [ "$mode" = corpus ]; then
    n=$(find "$seeds" -type f | wc -l)
    if find "$seeds" -type f -print0 | xargs -0 "build-fuzz/fuzz_$t" -runs=1 >"build-fuzz/$t.corpus.log" 2>&1; then
      echo "fuzz $t: $n seeds, clean"
    else
      echo "fuzz $t: FAILED on the seed corpus (build-fuzz/$t.corpus.log)" >&2
      tail -n 30 "build-fuzz/$t.corpus.log" >&2
      status=1
    fi
  else
    mkdir -p "build-fuzz/corpus/$t"
    (cd build-fuzz && "./fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
      "corpus/$t" "../$seeds" >"$t.log" 2>&1) || status=1
    echo "fuzz $t: $(grep -E '^#[0-9]+' "build-fuzz/$t.log" | tail -n 1)"
    grep -E '^stat::' "build-fuzz/$t.log" || true
  fi
done
exit $status
