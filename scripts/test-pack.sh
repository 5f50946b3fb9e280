#!/usr/bin/env bash
# Tests the `npm pack` tarball as a new user would install it (npm run test:pack).
#   scripts/test-pack.sh [amd64|arm64]   a minimal Debian root (debootstrap --variant=minbase) with
#                                        Debian's nodejs and npm, the shared libraries the prebuild
#                                        names in NEEDED, and no compiler and no libbpf-dev; the
#                                        tarball is installed there with npm and must load its
#                                        prebuild and list programs. arm64 runs under qemu-user
#                                        (binfmt). Default: this machine's architecture.
#   scripts/test-pack.sh amd64 bullseye  the same in an older Debian (glibc 2.31: below the 2.32-2.34
#                                        symbols the prebuilds avoid). Its own nodejs is too old
#                                        (12.x), so this host's node and npm are copied in.
#   scripts/test-pack.sh source          the same tarball with prebuilds/ removed, installed in a
#                                        temp dir on this host: the install script builds from source.
# Needs root, prebuilds (npm run build:prebuilds), and network access to Debian's archive and the npm
# registry. The Debian root is cached in .cache/test-pack/<codename>-<arch>-base (not under build/,
# which node-gyp deletes); each run works in an overlay on it and unmounts and removes everything,
# even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
mode=${1:-$(dpkg --print-architecture)}
host_codename=$( . /etc/os-release; echo "${VERSION_CODENAME:-bookworm}")
codename=${2:-$host_codename}
cache=$repo/.cache/test-pack
mkdir -p "$cache"

[ "$(id -u)" = 0 ] || { echo "test-pack.sh: needs root (debootstrap, chroot, mounts)" >&2; exit 1; }

work=$(mktemp -d "$cache/run.XXXXXX")
mounts=()   # mount points, unmounted in reverse order
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount -R "${mounts[i]}" 2>/dev/null || umount -R -l "${mounts[i]}" || true
  done
  # Never delete through a mount that is still there.
  if grep -qs " $work/" /proc/self/mounts; then
    echo "test-pack.sh: mounts remain under $work; not removing it" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# --- the tarball (prepack builds dist/) ----------------------------------------------------------
npm pack --silent --pack-destination "$work" >/dev/null
tgz=$(ls "$work"/bpfscope-*.tgz)
echo "test-pack: $(basename "$tgz") ($(stat -c %s "$tgz") bytes)"
tar -tzf "$tgz" | grep -E '^package/prebuilds/' | sed 's/^/  /'

# Inside the root: which addon loaded, then real calls checked against this host's view of the same
# kernel. EXPECT_LINK is `ip -j link show` of the default route's interface, read on the host (the
# root shares the host's network namespace). Under qemu-user (EMULATED=1) bpf() is not emulated
# and fails with ENOSYS; that must come back as a BpfError, and netlink still has to work.
listing_check=$(cat <<'EOF'
const bpfscope = require('bpfscope');
const { loadProgram } = require('bpfscope/testing');
const path = require('path');
(async () => {
  const loaded = require('node-gyp-build').resolve(path.dirname(require.resolve('bpfscope/package.json')));
  const v = bpfscope.versions();
  console.log(`test-pack: loaded ${loaded}; libbpf ${v.libbpf.build}; ${v.machine}`);
  const want = JSON.parse(process.env.EXPECT_LINK)[0];
  const got = (await bpfscope.listInterfaces()).find((i) => i.ifindex === want.ifindex);
  if (!got || got.name !== want.ifname || got.mtu !== want.mtu || got.mac !== want.address) {
    throw new Error(`listInterfaces() ${JSON.stringify(got)} differs from ip link ${JSON.stringify(want)}`);
  }
  console.log(`test-pack: listInterfaces() has ${got.ifindex} ${got.name} mtu ${got.mtu} ${got.mac}, as ip link`);
  let prog;
  try {
    prog = await loadProgram({ name: 'pack_test' });
  } catch (e) {
    if (process.env.EMULATED === '1' && e instanceof bpfscope.BpfError && e.code === 'ENOSYS') {
      console.log(`test-pack: ${e.op} is ENOSYS under qemu-user (bpf() is not emulated): a BpfError, as it should be`);
      return;
    }
    throw e;
  }
  try {
    const list = await bpfscope.listPrograms();
    const mine = list.find((p) => p.id === prog.id);
    if (!mine || mine.name !== 'pack_test' || mine.type !== 'sched_cls') {
      throw new Error(`program ${prog.id} (pack_test) missing from listPrograms(): ${JSON.stringify(mine)}`);
    }
    console.log(`test-pack: listPrograms() = ${list.length} programs, including ${mine.id} ${mine.name}`);
  } finally {
    prog.close();
  }
})().catch((e) => { console.error(e); process.exit(1); });
EOF
)
EXPECT_LINK=$(ip -j link show dev "$(ip -j route show default | node -e "process.stdout.write(JSON.parse(require('fs').readFileSync(0, 'utf8'))[0].dev)")")

if [ "$mode" = source ]; then
  # --- from source: no prebuild matches, so the install script builds with node-gyp --------------
  bash scripts/setup.sh
  mkdir "$work/unpack" "$work/app"
  tar -xzf "$tgz" -C "$work/unpack"
  rm -rf "$work/unpack/package/prebuilds"
  tar -czf "$work/bpfscope-source.tgz" -C "$work/unpack" package
  ( cd "$work/app" && npm init -y >/dev/null && JOBS=${JOBS:-1} npm install --no-audit --no-fund "$work/bpfscope-source.tgz" )
  addon=$work/app/node_modules/bpfscope/build/Release/bpfscope.node
  [ -f "$addon" ] || { echo "test-pack.sh: no addon was built from source" >&2; exit 1; }
  echo "test-pack: built from source: NEEDED $(readelf -d "$addon" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
  ( cd "$work/app" && EXPECT_LINK=$EXPECT_LINK node -e "$listing_check" )
  ( cd "$work/app" && node -e "require('bpfscope').listPrograms().then(p => console.log(p.length))" )
  exit 0
fi

# --- a minimal Debian root for $mode, cached ------------------------------------------------------
arch=$mode
case $arch in
  amd64) node_arch=x64 triplet=x86_64-linux-gnu ;;
  arm64) node_arch=arm64 triplet=aarch64-linux-gnu ;;
  *) echo "test-pack.sh: unknown mode $mode (amd64, arm64, source)" >&2; exit 1 ;;
esac
prebuild=prebuilds/linux-$node_arch/bpfscope.glibc.node
[ -f "$prebuild" ] || { echo "test-pack.sh: no $prebuild (npm run build:prebuilds)" >&2; exit 1; }
foreign=0
[ "$arch" = "$(dpkg --print-architecture)" ] || foreign=1
host_pkgs=(debootstrap)
# qemu-user-static registers with the F flag, so binaries in the chroot run without a copy of qemu.
[ $foreign = 0 ] || host_pkgs+=(qemu-user-static binfmt-support)
for p in "${host_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p"
done
if [ $foreign = 1 ]; then
  grep -qs binfmt_misc /proc/mounts || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
fi

in_root() { local r=$1; shift; chroot "$r" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root DEBIAN_FRONTEND=noninteractive "$@"; }
mount_api() {  # /proc, /sys (with /sys/fs/bpf) and /dev for a root
  local r=$1
  mount -t proc proc "$r/proc"; mounts+=("$r/proc")
  mount --rbind /sys "$r/sys"; mount --make-rslave "$r/sys"; mounts+=("$r/sys")
  mount --bind /dev "$r/dev"; mounts+=("$r/dev")
}

base=$cache/$codename-$arch-base
if [ ! -f "$base/.bpfscope-complete" ]; then
  grep -qs " $base/" /proc/self/mounts && { echo "test-pack.sh: mounts remain under $base" >&2; exit 1; }
  rm -rf "$base"
  mirror=$(bash scripts/debian-mirror.sh "$host_codename")   # the archive serves every release
  echo "test-pack: debootstrap $codename $arch (minbase) from this machine's mirror"
  if [ $foreign = 1 ]; then
    debootstrap --arch="$arch" --variant=minbase --foreign "$codename" "$base" "$mirror" >"$work/debootstrap.log" 2>&1 \
      || { tail -20 "$work/debootstrap.log"; exit 1; }
    in_root "$base" /debootstrap/debootstrap --second-stage >>"$work/debootstrap.log" 2>&1 \
      || { tail -20 "$work/debootstrap.log"; exit 1; }
  else
    debootstrap --arch="$arch" --variant=minbase "$codename" "$base" "$mirror" >"$work/debootstrap.log" 2>&1 \
      || { tail -20 "$work/debootstrap.log"; exit 1; }
  fi
  cp /etc/resolv.conf "$base/etc/resolv.conf"
  mount_api "$base"
  in_root "$base" apt-get update -qq
  if [ "$codename" = "$host_codename" ]; then
    # What a new user installs: Debian's Node and npm (npm only recommends a compiler).
    in_root "$base" apt-get install -y -qq --no-install-recommends nodejs npm ca-certificates >"$work/apt.log" 2>&1 \
      || { tail -20 "$work/apt.log"; exit 1; }
  else
    [ $foreign = 0 ] || { echo "test-pack.sh: another release is tested on this machine's architecture only" >&2; exit 1; }
    in_root "$base" apt-get install -y -qq --no-install-recommends ca-certificates >"$work/apt.log" 2>&1 \
      || { tail -20 "$work/apt.log"; exit 1; }
    host_npm=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
    mkdir -p "$base/usr/local/lib/node_modules"
    cp "$(readlink -f "$(command -v node)")" "$base/usr/local/bin/node"
    cp -r "$host_npm" "$base/usr/local/lib/node_modules/npm"
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$base/usr/local/bin/npm"
    # This Node uses its own CA list, not the system's (Debian's nodejs uses the system's).
    mkdir -p "$base/usr/local/etc"
    echo "cafile=/etc/ssl/certs/ca-certificates.crt" > "$base/usr/local/etc/npmrc"
  fi
  in_root "$base" apt-get clean
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -R "${mounts[i]}"; done
  mounts=()
  touch "$base/.bpfscope-complete"
fi

# --- this run: an overlay on the cached root ----------------------------------------------------
mkdir "$work/upper" "$work/overlay-work" "$work/root"
mount -t overlay overlay -o "lowerdir=$base,upperdir=$work/upper,workdir=$work/overlay-work" "$work/root"
mounts+=("$work/root")
r=$work/root
mount_api "$r"

# The shared libraries the prebuild needs, as Debian packages (found through this host's copies).
runtime=()
for so in $(readelf -d "$prebuild" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  pkg=$(dpkg -S "*/$triplet/$so" 2>/dev/null | head -n1 | cut -d: -f1) || true
  [ -n "$pkg" ] || { echo "test-pack.sh: no Debian package provides $so" >&2; exit 1; }
  runtime+=("$pkg")
done
mapfile -t runtime < <(printf '%s\n' "${runtime[@]}" | sort -u)
echo "test-pack: prebuild needs ${runtime[*]}"
in_root "$r" apt-get install -y -qq --no-install-recommends "${runtime[@]}" >"$work/apt-runtime.log" 2>&1 \
  || { tail -20 "$work/apt-runtime.log"; exit 1; }

no_toolchain() {
  local tools
  tools=$(in_root "$r" sh -c 'for t in cc gcc g++ c++ make; do command -v $t; done' || true)
  [ -z "$tools" ] || { echo "test-pack.sh: the root has a toolchain: $tools" >&2; exit 1; }
  ! in_root "$r" dpkg-query -W -f='${Status}' libbpf-dev 2>/dev/null | grep -q 'ok installed' \
    || { echo "test-pack.sh: the root has libbpf-dev" >&2; exit 1; }
}
# The root trusts what this host trusts (a host may reach the npm registry through a TLS proxy
# whose CA it added locally).
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$r/usr/local/share/ca-certificates/"
  in_root "$r" update-ca-certificates >/dev/null 2>&1
fi

no_toolchain
echo "test-pack: node $(in_root "$r" node --version), npm $(in_root "$r" npm --version) ($arch); no compiler, no libbpf-dev"

cp "$tgz" "$r/tmp/"
in_root "$r" sh -c "mkdir -p /root/app && cd /root/app && npm init -y >/dev/null && npm install --no-audit --no-fund /tmp/$(basename "$tgz")"
no_toolchain   # the install script must not have fallen back to installing one and building
[ ! -e "$r/root/app/node_modules/bpfscope/build" ] || { echo "test-pack.sh: the install built from source" >&2; exit 1; }
in_root "$r" EXPECT_LINK="$EXPECT_LINK" EMULATED=$foreign sh -c "cd /root/app && node -e \"\$0\"" "$listing_check"
if [ $foreign = 0 ]; then
  in_root "$r" sh -c "cd /root/app && node -e \"require('bpfscope').listPrograms().then(p => console.log(p.length))\""
fi
