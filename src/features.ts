// Versions and kernel features: `bpftool version` and `bpftool feature` for what bpfscope uses.
// Each feature states the Linux release that introduced it, and is probed on this kernel.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withCallerStack } from './errors';
import { native, packageRoot } from './native';
import { ATTACH_TYPES, MAP_TYPES, PROGRAM_TYPES, valueOf } from './names';

export interface Versions {
  /** This package's version. */
  bpfscope: string;
  node: string;
  /** Node-API version the runtime offers (undefined where the runtime does not say). */
  napi?: string;
  /** libbpf the addon was compiled against, and the one loaded now (e.g. '1.1'). */
  libbpf: { build: string; runtime: string };
  /** uname -r, e.g. '6.18.44'. */
  kernel: string;
  /** uname -m, e.g. 'x86_64' or 'aarch64'. */
  machine: string;
  /** Whether the kernel exposes its own BTF (/sys/kernel/btf/vmlinux). */
  vmlinuxBtf: boolean;
}

export function versions(): Versions {
  const v = native().versions();
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return {
    bpfscope: pkg.version,
    node: process.versions.node,
    napi: process.versions.napi,
    libbpf: { build: v.libbpfBuild, runtime: v.libbpfRuntime },
    kernel: v.kernelRelease,
    machine: v.machine,
    vmlinuxBtf: existsSync('/sys/kernel/btf/vmlinux'),
  };
}

export interface Feature {
  name: string;
  /** The Linux release that introduced it. */
  minKernel: string;
  /**
   * Whether this kernel has it, found by a probe; undefined when the probe cannot tell: the probe
   * not allowed (EPERM without CAP_BPF, or CAP_NET_ADMIN for network program types), or failing
   * otherwise (`unknownBecause` says how).
   */
  supported?: boolean;
  /** Why `supported` is undefined: what kept the probe from telling. */
  unknownBecause?: string;
}

/** The features bpfscope depends on, each with its minimum kernel and a probe. */
const FEATURES: { name: string; minKernel: string; probe: ['attach-query' | 'map-type' | 'prog-type', number] }[] = [
  { name: 'tcx (BPF_PROG_QUERY on tcx hooks, tcx links)', minKernel: '6.6', probe: ['attach-query', valueOf(ATTACH_TYPES, 'tcx_ingress')] },
  { name: 'sched_cls programs (tc)', minKernel: '4.1', probe: ['prog-type', valueOf(PROGRAM_TYPES, 'sched_cls')] },
  { name: 'xdp programs', minKernel: '4.8', probe: ['prog-type', valueOf(PROGRAM_TYPES, 'xdp')] },
  { name: 'netfilter programs', minKernel: '6.4', probe: ['prog-type', valueOf(PROGRAM_TYPES, 'netfilter')] },
  { name: 'lpm_trie maps', minKernel: '4.11', probe: ['map-type', valueOf(MAP_TYPES, 'lpm_trie')] },
  { name: 'ringbuf maps', minKernel: '5.8', probe: ['map-type', valueOf(MAP_TYPES, 'ringbuf')] },
];

/**
 * Probes each feature on the running kernel. Probes need CAP_BPF (maps), CAP_BPF and CAP_NET_ADMIN
 * (network programs) and CAP_NET_ADMIN (tcx); a probe the kernel refuses answers undefined.
 */
export async function probeFeatures(): Promise<Feature[]> {
  return Promise.all(
    FEATURES.map(async ({ name, minKernel, probe: [kind, value] }) => {
      const errno = await withCallerStack(() => native().probe(kind, value));
      const feature: Feature = { name, minKernel };
      // 0: the kernel accepted the probe; EINVAL: it rejected it; anything else: it could not tell.
      if (errno === 0 || errno === EINVAL) feature.supported = errno === 0;
      else feature.unknownBecause = unknownBecause(errno, kind);
      return feature;
    }),
  );
}

const EINVAL = 22;
const EPERM = 1;

function unknownBecause(errno: number, kind: 'attach-query' | 'map-type' | 'prog-type'): string {
  if (errno === EPERM) return `the kernel refused the probe (EPERM): it needs ${kind === 'map-type' ? 'CAP_BPF' : kind === 'prog-type' ? 'CAP_BPF (and CAP_NET_ADMIN for network program types)' : 'CAP_NET_ADMIN'}`;
  return `the probe failed (${native().errnoName(errno) ?? `errno ${errno}`})`;
}
