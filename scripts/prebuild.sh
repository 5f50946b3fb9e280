#!/usr/bin/env bash
# Builds the portable prebuilds (npm run prebuild):
#   prebuilds/linux-x64/bpfscope.glibc.node and prebuilds/linux-arm64/bpfscope.glibc.node
# with prebuildify (--napi --tag-libc --strip), then checks them with scripts/check-prebuilds.sh.
#   scripts/prebuild.sh [x64] [arm64]      (default: both)
#
# libbpf is linked statically: Debian's libbpf.a is not position-independent, so libbpf is built
# with -fPIC from Debian's libbpf source package into .cache/deps/<arch>/ (kept between runs; not
# under build/, which `node-gyp rebuild` deletes). -Wl,--exclude-libs,ALL (binding.gyp) keeps its
# symbols out of the addon's dynamic symbol table; libstdc++ is linked statically too (binding.gyp's
# static branch), so the prebuild needs no GLIBCXX_ version. libelf, zlib and libmnl stay dynamic:
# Debian ships no PIC archive of them, and the archive mirror this project builds from does not
# serve libmnl's source (see docs/packaging.md).
# arm64 is cross-compiled with Debian's aarch64 toolchain against arm64 multiarch libraries.
# Needs root on Debian 12 to install those packages; later runs only rebuild the addon.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cache=$root/.cache/deps
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(x64 arm64)
jobs=${JOBS:-1}

triplet() {
  case $1 in
    x64) echo x86_64-linux-gnu ;;
    arm64) echo aarch64-linux-gnu ;;
    *) echo "prebuild.sh: unsupported arch $1 (x64, arm64)" >&2; return 1 ;;
  esac
}
debian_arch() { case $1 in x64) echo amd64 ;; arm64) echo arm64 ;; esac; }

# --- system packages ---------------------------------------------------------------------------
pkgs=(dpkg-dev make gcc g++ pkg-config libbpf-dev libelf-dev zlib1g-dev libmnl-dev binutils)
for arch in "${archs[@]}"; do
  t=$(triplet "$arch")
  [ "$(debian_arch "$arch")" = "$(dpkg --print-architecture)" ] && continue
  dpkg --print-foreign-architectures | grep -qx "$(debian_arch "$arch")" || {
    [ "$(id -u)" = 0 ] || { echo "prebuild.sh: run as root once: dpkg --add-architecture $(debian_arch "$arch")" >&2; exit 1; }
    dpkg --add-architecture "$(debian_arch "$arch")"
    apt_update_needed=1
  }
  da=$(debian_arch "$arch")
  pkgs+=("gcc-$t" "g++-$t" "binutils-$t" "libelf-dev:$da" "zlib1g-dev:$da" "libmnl-dev:$da")
done
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done

# apt-get source needs a deb-src entry; derive it from the mirror this machine already uses.
codename=$( . /etc/os-release; echo "${VERSION_CODENAME:-}")
if [ -z "$(apt-cache showsrc libbpf 2>/dev/null)" ]; then
  [ "$(id -u)" = 0 ] || { echo "prebuild.sh: needs a deb-src apt source for libbpf (run as root once)" >&2; exit 1; }
  printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$(bash scripts/debian-mirror.sh "$codename")" "$codename" > /etc/apt/sources.list.d/bpfscope-src.sources
  apt_update_needed=1
fi
if [ ${#missing[@]} -gt 0 ] || [ -n "${apt_update_needed:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "prebuild.sh: run as root: apt-get install -y ${missing[*]}" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  [ ${#missing[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- libbpf source (Debian's, with Debian's patches applied by dpkg-source) -----------------------
mkdir -p "$cache/src"
# The same libbpf the source build and the tests use: the source of the installed libbpf-dev.
src_version=$(dpkg-query -W -f='${source:Version}' libbpf-dev)
upstream=${src_version#*:}
upstream=${upstream%%-*}
src=$cache/src/libbpf-$upstream
if [ ! -f "$src/.bpfscope-$src_version" ]; then
  rm -rf "$src"
  ( cd "$cache/src" && apt-get source -qq "libbpf=$src_version" )
  touch "$src/.bpfscope-$src_version"
fi

# --- per arch: static PIC libbpf, then prebuildify -----------------------------------------------
# prebuildify runs `node-gyp rebuild`, which deletes build/: build in a copy of the addon's inputs
# so the developer's own build/ stays, and write the result into ./prebuilds.
tree=$root/.cache/prebuild-tree
for arch in "${archs[@]}"; do
  t=$(triplet "$arch")
  deps=$cache/$arch
  cross=()
  if [ "$(debian_arch "$arch")" != "$(dpkg --print-architecture)" ]; then
    cross=(CC="$t-gcc" CXX="$t-g++" LINK="$t-g++" AR="$t-ar" STRIP="$t-strip"
           PKG_CONFIG_LIBDIR="/usr/lib/$t/pkgconfig:/usr/share/pkgconfig")
  fi
  if [ ! -f "$deps/.bpfscope-$src_version" ]; then
    echo "prebuild: libbpf $src_version (static, -fPIC) for $arch"
    rm -rf "$deps"
    mkdir -p "$deps/obj"   # libbpf.pc is written there before the Makefile creates it
    tool=""
    [ ${#cross[@]} -eq 0 ] || tool=$t-
    env "${cross[@]}" make -s -C "$src/src" -j"$jobs" BUILD_STATIC_ONLY=y EXTRA_CFLAGS=-fPIC \
      CC="${tool}gcc" AR="${tool}ar" \
      OBJDIR="$deps/obj" PREFIX="$deps" LIBDIR="$deps/lib" INCLUDEDIR="$deps/include" install
    touch "$deps/.bpfscope-$src_version"
  fi

  echo "prebuild: addon for linux-$arch"
  rm -rf "$tree"
  mkdir -p "$tree"
  cp -r binding.gyp package.json native "$tree/"
  ln -s "$root/node_modules" "$tree/node_modules"
  strip_bin=strip
  [ ${#cross[@]} -eq 0 ] || strip_bin=$t-strip
  nodedir=()
  # Build against this Node's own headers (node-gyp would otherwise download them).
  prefix=$(dirname "$(dirname "$(command -v node)")")
  [ -f "$prefix/include/node/node.h" ] && nodedir=(npm_config_nodedir="$prefix")
  ( cd "$tree" && env "${cross[@]}" "${nodedir[@]}" npm_config_bpfscope_static_deps="$deps" JOBS="$jobs" \
      node node_modules/prebuildify/bin.js --napi --tag-libc --strip --strip-bin="$strip_bin" \
        --arch="$arch" --out="$root" )
done
rm -rf "$tree"

bash scripts/check-prebuilds.sh
