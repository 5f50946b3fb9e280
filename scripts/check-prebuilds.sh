#!/usr/bin/env bash
# Checks each prebuild in prebuilds/*/ for portability, with readelf only (it reads any ELF
# machine, so the arm64 file is checked on an x64 host too):
#   - the ELF machine matches the directory's arch;
#   - no NEEDED libbpf.so (libbpf is linked in statically);
#   - no GLIBC_ symbol version newer than $GLIBC_FLOOR (default 2.28): each offender is named;
#   - the dynamic symbol table exports only the addon's entry points (no libbpf symbols).
# Prints what it found (NEEDED, newest GLIBC/GLIBCXX/CXXABI/GCC versions, exports, size) and exits
# non-zero when a check fails.
#   scripts/check-prebuilds.sh [file.node ...]     (default: prebuilds/*/*.node)
set -euo pipefail
cd "$(dirname "$0")/.."
floor=${GLIBC_FLOOR:-2.28}
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(prebuilds/*/*.node)
[ -e "${files[0]}" ] || { echo "check-prebuilds: no prebuilds (run npm run prebuild)" >&2; exit 1; }

# Defined dynamic symbols the addon may export: node-addon-api's module registration.
allowed_exports='^(napi_register_module_v1|node_api_module_get_api_version_v1|_init|_fini)$'

# newer A B: A > B as dotted versions
newer() { [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n1)" = "$1" ]; }

failed=0
fail() { echo "  FAIL: $*"; failed=1; }

for f in "${files[@]}"; do
  dir=$(basename "$(dirname "$f")")
  echo "$f ($(stat -c %s "$f") bytes)"
  machine=$(readelf -h "$f" | sed -n 's/^ *Machine: *//p')
  echo "  machine: $machine"
  case $dir in
    linux-x64) [ "$machine" = "Advanced Micro Devices X86-64" ] || fail "expected X86-64 in $dir" ;;
    linux-arm64) [ "$machine" = "AArch64" ] || fail "expected AArch64 in $dir" ;;
  esac

  needed=$(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
  echo "  NEEDED: $needed"
  case " $needed" in *" libbpf.so"*) fail "links libbpf dynamically" ;; esac

  # Undefined dynamic symbols with their version: "name@VERSION (n)" in readelf's 8th column.
  syms=$(readelf -W --dyn-syms "$f" | awk '$7 == "UND" && $8 ~ /@/ { split($8, p, "@"); print p[1], p[2] }')
  for family in GLIBC GLIBCXX CXXABI GCC; do
    newest=$(awk -v fam="$family" '{ split($2, v, "_"); if (v[1] == fam) print v[2] }' <<<"$syms" | sort -V | tail -n1)
    [ -n "$newest" ] && echo "  newest ${family}_: $newest"
  done
  while read -r name version; do
    [ -n "$name" ] || continue
    newer "${version#GLIBC_}" "$floor" && fail "$name needs $version (floor $floor)"
  done < <(awk '$2 ~ /^GLIBC_[0-9]/' <<<"$syms")

  exports=$(readelf -W --dyn-syms "$f" | awk '$7 != "UND" && $7 != "Ndx" && ($5 == "GLOBAL" || $5 == "WEAK") && $8 != "" { sub(/@.*/, "", $8); print $8 }' | sort -u)
  echo "  exports: $(tr '\n' ' ' <<<"$exports")"
  while read -r name; do
    [ -n "$name" ] || continue
    grep -Eq "$allowed_exports" <<<"$name" || fail "exports $name"
  done <<<"$exports"
done
exit $failed
