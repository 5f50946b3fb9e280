#!/usr/bin/env bash
# Installs what bpfscope needs on a Debian/Ubuntu machine, and mounts bpffs (and, for the tests, tracefs).
#   scripts/setup.sh          build needs: compiler headers and libraries for the addon
#   scripts/setup.sh --test   also the oracles the tests compare with (bpftool >= 7.3 for tcx, ip, tc, ethtool, objdump), and clang for test/bpf/
#   scripts/setup.sh --fuzz   also clang with libFuzzer's runtime (-fsanitize=fuzzer) for the fuzz targets
# As non-root, or on another distribution, it prints the command to run instead of running it.
set -euo pipefail

want_test=0
want_fuzz=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    --fuzz) want_fuzz=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

build_pkgs=(pkg-config libbpf-dev libelf-dev zlib1g-dev libmnl-dev g++ make python3)
# clang compiles the BPF C programs of test/bpf/ (its BPF target is in Debian's build); binutils'
# objdump and objcopy disassemble JITed code and make 32-bit ELF files for the tests to compare with;
# aarch64-linux-gnu-objdump (native binutils' on arm64) reads the arm64 JIT's instructions.
test_pkgs=(iproute2 ethtool util-linux procps cmake strace clang binutils binutils-aarch64-linux-gnu)
# Debian 12's clang is 14; its libFuzzer and sanitizer runtimes are a separate package.
fuzz_pkgs=(clang libclang-rt-14-dev cmake)

missing=()
for p in "${build_pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ $want_test = 1 ]; then
  for p in "${test_pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
fi
if [ $want_fuzz = 1 ]; then
  for p in "${fuzz_pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
fi

# bpftool 7.1 (Debian 12's own) cannot see tcx; the tests need >= 7.3 (bookworm-backports has 7.5).
bpftool_ok() {
  local v
  v=$(bpftool version 2>/dev/null | sed -n 's/^bpftool v\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
  [ -n "$v" ] && set -- $v && { [ "$1" -gt 7 ] || { [ "$1" -eq 7 ] && [ "$2" -ge 3 ]; }; }
}
need_bpftool=0
[ $want_test = 1 ] && ! bpftool_ok && need_bpftool=1

is_debian_like=0
[ -r /etc/os-release ] && grep -qiE '^(ID|ID_LIKE)=.*(debian|ubuntu)' /etc/os-release && is_debian_like=1
codename=$( . /etc/os-release 2>/dev/null; echo "${VERSION_CODENAME:-}")

if [ ${#missing[@]} -eq 0 ] && [ $need_bpftool = 0 ]; then
  :
elif [ "$(id -u)" != 0 ] || [ $is_debian_like = 0 ]; then
  echo "bpfscope needs these packages: ${missing[*]}" >&2
  echo "run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
  [ $need_bpftool = 1 ] && echo "and bpftool >= 7.3 (Debian 12: apt-get install -y bpftool/bookworm-backports)" >&2
  exit 1
else
  export DEBIAN_FRONTEND=noninteractive
  if [ $need_bpftool = 1 ] && [ "$codename" = bookworm ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    # Derive the backports source from the mirror this machine already uses for bookworm.
    uri=$(bash "$(dirname "$0")/debian-mirror.sh" bookworm 2>/dev/null || true)
    if [ -n "$uri" ]; then
      printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" \
        > /etc/apt/sources.list.d/bpfscope-backports.sources
    fi
  fi
  apt-get update -qq || true
  [ ${#missing[@]} -gt 0 ] && apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [ $need_bpftool = 1 ]; then
    if [ "$codename" = bookworm ]; then
      # Only bpftool from backports: `-t bookworm-backports` would also lift linux-libc-dev to 6.12,
      # and the addon must keep building against Debian 12's own 6.1 uapi headers.
      apt-get install -y -qq --no-install-recommends bpftool/bookworm-backports
    else
      apt-get install -y -qq --no-install-recommends bpftool || apt-get install -y -qq --no-install-recommends linux-tools-common
    fi
  fi
fi

# bpffs: programs and maps are pinned under /sys/fs/bpf by convention (tests use a private mount of their own).
if [ "$(id -u)" = 0 ] && ! grep -qs ' /sys/fs/bpf bpf ' /proc/mounts; then
  mkdir -p /sys/fs/bpf && mount -t bpf bpf /sys/fs/bpf || echo "warning: could not mount bpffs at /sys/fs/bpf" >&2
fi
# tracefs: the tests attach programs to tracepoints, whose ids tracefs gives (events/<category>/<name>/id).
# A fresh machine may have neither it nor debugfs mounted.
if [ $want_test = 1 ] && [ "$(id -u)" = 0 ] && ! grep -qs ' /sys/kernel/tracing tracefs ' /proc/mounts; then
  mount -t tracefs tracefs /sys/kernel/tracing || echo "warning: could not mount tracefs at /sys/kernel/tracing" >&2
fi
exit 0
