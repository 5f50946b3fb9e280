// BPF links: what `bpftool link show` prints, typed per link type (struct bpf_link_info).
import { withCallerStack } from './errors';
import { native } from './native';
import { tableRowsOf } from './table';
import { ATTACH_TYPES, LINK_TYPES, nameOf, type AttachTypeName } from './names';
import { checkId } from './validate';

interface LinkBase {
  id: number;
  /** The program the link runs. */
  progId: number;
}

/** tcx link (Linux 6.6+): a program on a device's ingress or egress hook. */
export interface TcxLinkInfo extends LinkBase {
  type: 'tcx';
  /**
   * The device's ifindex in the namespace that holds it, which the kernel does not say (a device
   * keeps its links when it moves; findLinkDevices finds it); 0 once the device is gone.
   */
  ifindex: number;
  attachType: 'tcx_ingress' | 'tcx_egress';
}
/** netkit link (Linux 6.7+). */
export interface NetkitLinkInfo extends LinkBase {
  type: 'netkit';
  /** The primary device's ifindex, as a tcx link's. */
  ifindex: number;
  attachType: 'netkit_primary' | 'netkit_peer';
}
export interface XdpLinkInfo extends LinkBase {
  type: 'xdp';
  /** As a tcx link's. */
  ifindex: number;
}
export interface CgroupLinkInfo extends LinkBase {
  type: 'cgroup';
  cgroupId: bigint;
  attachType: AttachTypeName | number;
}
export interface NetnsLinkInfo extends LinkBase {
  type: 'netns';
  netnsIno: number;
  attachType: AttachTypeName | number;
}
/** tracing link: fentry, fexit, fmod_ret, an LSM or an extension (freplace) program on its target. */
export interface TracingLinkInfo extends LinkBase {
  type: 'tracing';
  attachType: AttachTypeName | number;
  /** The target program (for extensions) or BTF object. */
  targetObjId: number;
  targetBtfId: number;
  /**
   * What bpf_get_attach_cookie() returns to the program. Linux 6.17+; undefined on older kernels,
   * and on a kernel without BTF (/sys/kernel/btf/vmlinux), the only way to tell whether the kernel
   * fills it: it came without growing the kernel's info struct.
   */
  cookie?: bigint;
}
export interface RawTracepointLinkInfo extends LinkBase {
  type: 'raw_tracepoint';
  tpName: string;
  /**
   * What bpf_get_attach_cookie() returns to the program. Linux 6.17+; undefined on older kernels,
   * and on a kernel without BTF (/sys/kernel/btf/vmlinux), the only way to tell whether the kernel
   * fills it: it came without growing the kernel's info struct.
   */
  cookie?: bigint;
}
/** netfilter link (Linux 6.4+). */
export interface NetfilterLinkInfo extends LinkBase {
  type: 'netfilter';
  /** Protocol family (NFPROTO_IPV4 = 2, NFPROTO_IPV6 = 10). */
  pf: number;
  /** Hook number (NF_INET_PRE_ROUTING = 0, …). */
  hook: number;
  priority: number;
  flags: number;
}
/**
 * perf_event link: a program on a tracepoint, a kprobe or uprobe, or a plain perf event. Kernels
 * report these fields from Linux 6.6 (`missed` 6.7, `cookie` 6.9, `refCtrOffset` 6.16); each is
 * undefined on kernels older than its own. `cookie` and `refCtrOffset` came without growing the
 * kernel's info struct, and only its BTF tells whether it fills them: they are undefined too on a
 * kernel without BTF (/sys/kernel/btf/vmlinux).
 */
export interface PerfEventLinkInfo extends LinkBase {
  type: 'perf_event';
  /** The kernel's enum bpf_perf_event_type: 1 uprobe, 2 uretprobe, 3 kprobe, 4 kretprobe, 5 tracepoint, 6 a plain perf event. */
  perfEventType?: number;
  /** The probed file (uprobes), function (kprobes) or the tracepoint; undefined for a plain perf event. */
  name?: string;
  /** uprobes: the probed offset in the file; kprobes: the offset from the function's start. Linux 6.6+. */
  offset?: number;
  /** kprobes: the probed address; 0 to a caller who may not see kernel addresses (kptr_restrict). Linux 6.6+. */
  addr?: bigint;
  /** kprobes: how many times the probe was hit and the program not run. Linux 6.7+. */
  missed?: bigint;
  /** uprobes: the file offset of the USDT semaphore the probe counts in (0 for none). Linux 6.16+. */
  refCtrOffset?: bigint;
  /** Plain perf events: perf_event_attr.type (PERF_TYPE_HARDWARE 0, PERF_TYPE_SOFTWARE 1, …, or a PMU's own type). Linux 6.6+. */
  eventType?: number;
  /** Plain perf events: perf_event_attr.config (for a software event, PERF_COUNT_SW_CPU_CLOCK 0, …). Linux 6.6+. */
  eventConfig?: bigint;
  /** What bpf_get_attach_cookie() returns to the program, for every kind of perf event. Linux 6.9+. */
  cookie?: bigint;
}
/** One function of a kprobe_multi link. */
export interface KprobeMultiFunction {
  /** Its address; 0 to a caller who may not see kernel addresses (kptr_restrict). */
  addr: bigint;
  /** What bpf_get_attach_cookie() returns to the program there. */
  cookie: bigint;
}
/**
 * kprobe_multi link (Linux 5.18+). Kernels report `count` and `flags` from Linux 6.6, `missed`
 * from 6.7 and `functions` from 6.9; each is undefined on kernels older than its own, and on a
 * kernel without BTF (/sys/kernel/btf/vmlinux): they came without growing the kernel's info struct,
 * and only its BTF tells whether it fills them.
 */
export interface KprobeMultiLinkInfo extends LinkBase {
  type: 'kprobe_multi';
  count?: number;
  /** BPF_F_KPROBE_MULTI_RETURN (1): kretprobes. */
  flags?: number;
  /** How many times a probe was hit and the program not run. */
  missed?: bigint;
  /** The probed functions, in the kernel's order. */
  functions?: KprobeMultiFunction[];
}
/** One probe of a uprobe_multi link. */
export interface UprobeMultiProbe {
  /** The probed offset in the file. */
  offset: bigint;
  /** The file offset of the USDT semaphore the probe counts in (0 for none). */
  refCtrOffset: bigint;
  /** What bpf_get_attach_cookie() returns to the program there. */
  cookie: bigint;
}
/** uprobe_multi link (Linux 6.6+). Its info is Linux 6.8+: undefined on 6.6 and 6.7. */
export interface UprobeMultiLinkInfo extends LinkBase {
  type: 'uprobe_multi';
  /** The probed file. */
  path?: string;
  count?: number;
  /** BPF_F_UPROBE_MULTI_RETURN (1): uretprobes. */
  flags?: number;
  /** The process the probes run for (0: every process), in the caller's pid namespace. */
  pid?: number;
  /** The probes, in the order they were attached. */
  probes?: UprobeMultiProbe[];
}
export interface IterLinkInfo extends LinkBase {
  type: 'iter';
  targetName: string;
  mapId?: number;
}
export interface StructOpsLinkInfo extends LinkBase {
  type: 'struct_ops';
  mapId: number;
}
/** sockmap link (Linux 6.10+). */
export interface SockmapLinkInfo extends LinkBase {
  type: 'sockmap';
  mapId: number;
  attachType: AttachTypeName | number;
}
/** A link type bpfscope does not know: its number is kept. */
export interface UnknownLinkInfo extends LinkBase {
  type: number;
}

export type LinkInfo =
  | TcxLinkInfo
  | NetkitLinkInfo
  | XdpLinkInfo
  | CgroupLinkInfo
  | NetnsLinkInfo
  | TracingLinkInfo
  | RawTracepointLinkInfo
  | NetfilterLinkInfo
  | PerfEventLinkInfo
  | KprobeMultiLinkInfo
  | UprobeMultiLinkInfo
  | IterLinkInfo
  | StructOpsLinkInfo
  | SockmapLinkInfo
  | UnknownLinkInfo;

/**
 * A multi-probe link's arrays as the kernel fills them, one after another and equally long, as
 * one record per index: the fields name the arrays in their order.
 */
function recordsOf<K extends string>(arrays: BigUint64Array, fields: readonly K[]): Record<K, bigint>[] {
  const count = arrays.length / fields.length;
  return Array.from({ length: count }, (_, i) => Object.fromEntries(fields.map((f, j) => [f, arrays[j * count + i]])) as Record<K, bigint>);
}

const UPROBE_MULTI = LINK_TYPES.indexOf('uprobe_multi');
const KPROBE_MULTI = LINK_TYPES.indexOf('kprobe_multi');

/** Link rows of a native table, with type and attach-type names (an unknown type keeps its number). */
export const linksOf = tableRowsOf<LinkInfo>(() => native().schemas.link, {
  derive: {
    type: { from: 'type', convert: (n: number) => (n === 0 || n >= LINK_TYPES.length ? n : LINK_TYPES[n]) },
    attachType: { from: 'attachType', convert: (n: number) => nameOf(ATTACH_TYPES, n) },
    // native/links.cc's Buffers: the arrays of each type, in this order.
    probes: {
      from: ['probeArrays', 'type'],
      convert: (arrays: BigUint64Array, type: number): UprobeMultiProbe[] | undefined => (type === UPROBE_MULTI ? recordsOf(arrays, ['offset', 'refCtrOffset', 'cookie']) : undefined),
    },
    functions: {
      from: ['probeArrays', 'type'],
      convert: (arrays: BigUint64Array, type: number): KprobeMultiFunction[] | undefined => (type === KPROBE_MULTI ? recordsOf(arrays, ['addr', 'cookie']) : undefined),
    },
  },
});

/** Every BPF link on the machine, in id order, like `bpftool link show`, tcx and netkit included. */
export async function listLinks(): Promise<LinkInfo[]> {
  return linksOf(await withCallerStack(() => native().listLinks()));
}

/** One link by id. Rejects with a BpfError (ENOENT) when no link has that id. */
export async function getLink(id: number): Promise<LinkInfo> {
  checkId(id, 'link id');
  return linksOf(await withCallerStack(() => native().getLink(id)))[0];
}
