// BPF programs attached to interfaces (tcx, netkit, legacy tc cls_bpf, XDP), the namespace's flow
// dissector and netfilter links: what `bpftool net show` and `tc filter show` print, each joined
// with its program's id, full name and type.
import { BpfError, withCallerStack } from './errors';
import { listLinks, type LinkInfo, type NetfilterLinkInfo, type NetkitLinkInfo, type TcxLinkInfo, type XdpLinkInfo } from './links';
import { native, type RawAttachments, type RawRecord } from './native';
import { netnsPath, visitNetns, type NetnsInfo } from './netns';
import { getProgram, programsOf, type ProgramInfo } from './programs';
import { interfacesOf, type NetnsOptions, type XdpMode } from './interfaces';
import { ATTACH_TYPES, nameOf, type ProgramTypeName } from './names';
import { checkIfname, checkOptions, MAX_ALTNAME } from './validate';

export type AttachmentHook =
  | 'tcx/ingress'
  | 'tcx/egress'
  | 'netkit/primary'
  | 'netkit/peer'
  | 'tc/ingress'
  | 'tc/egress'
  | `tc/${string}`
  | 'xdp'
  | 'flow_dissector'
  | 'netfilter';

interface AttachmentBase {
  hook: AttachmentHook;
  progId: number;
  /** The program's full name (from BTF when the kernel's is cut at 15 characters); undefined if it was unloaded meanwhile. */
  progName?: string;
  progType?: ProgramTypeName | number;
}

/** A program on an interface hook; `ifindex` is valid in the namespace that was asked. */
interface DeviceAttachment extends AttachmentBase {
  ifindex: number;
  ifname: string;
}

/** tcx (Linux 6.6+) or netkit (6.7+): entries come in execution order. */
export interface MprogAttachment extends DeviceAttachment {
  hook: 'tcx/ingress' | 'tcx/egress' | 'netkit/primary' | 'netkit/peer';
  /** 0-based place in the hook's execution order. */
  position: number;
  /**
   * The bpf link holding the program; undefined for a program attached without one
   * (BPF_PROG_ATTACH), which the kernel and bpftool report as link id 0 (no link has id 0).
   */
  linkId?: number;
  /** The hook's revision: it changes with every attach and detach. */
  revision: bigint;
}

/** A legacy cls_bpf filter under a qdisc (clsact's ingress/egress, or another qdisc). */
export interface TcAttachment extends DeviceAttachment {
  hook: 'tc/ingress' | 'tc/egress' | `tc/${string}`;
  /** The qdisc/class the filter hangs off (tcm_parent). */
  parent: number;
  handle: number;
  priority: number;
  /** The filter's protocol as an EtherType (0x0003 = all). */
  protocol: number;
  chain?: number;
  /** TCA_BPF_NAME: what the loader named the filter (iproute2: `obj.o:[section]`), not the program name. */
  tcName?: string;
  /** TCA_BPF_TAG, 16 hex digits. */
  tag?: string;
  directAction: boolean;
  /** TCA_BPF_FLAGS_GEN: skip_hw 1, skip_sw 2, in_hw 4, not_in_hw 8. */
  flagsGen?: number;
  classid?: number;
}

export interface XdpAttachment extends DeviceAttachment {
  hook: 'xdp';
  mode: XdpMode;
}

export interface FlowDissectorAttachment extends AttachmentBase {
  hook: 'flow_dissector';
}

/** A netfilter link (Linux 6.4+). The kernel does not say which namespace it is in. */
export interface NetfilterAttachment extends AttachmentBase {
  hook: 'netfilter';
  linkId: number;
  pf: number;
  hookNum: number;
  priority: number;
  flags: number;
}

export type Attachment = MprogAttachment | TcAttachment | XdpAttachment | FlowDissectorAttachment | NetfilterAttachment;

export interface ListAttachmentsOptions extends NetnsOptions {
  /** Only this interface, by name or alternative name (up to 127 bytes); rejects with ENODEV if the namespace has none by that name. */
  ifname?: string;
  /** Only this interface (by ifindex, in the namespace asked). */
  ifindex?: number;
}

const MPROG_HOOKS: Record<string, MprogAttachment['hook']> = {
  tcx_ingress: 'tcx/ingress',
  tcx_egress: 'tcx/egress',
  netkit_primary: 'netkit/primary',
  netkit_peer: 'netkit/peer',
};
const TCA_BPF_FLAG_ACT_DIRECT = 1;

/** Joins the native pieces into Attachments: per device XDP, tcx/netkit in order, tc; then the flow dissector. */
export function joinAttachments(raw: RawAttachments): Attachment[] {
  const programs = new Map<number, ProgramInfo>(programsOf(raw.programs).map((p) => [p.id, p]));
  const base = (progId: number): Omit<AttachmentBase, 'hook'> => {
    const p = programs.get(progId);
    const out: Omit<AttachmentBase, 'hook'> = { progId };
    if (p) {
      out.progName = p.name;
      out.progType = p.type;
    }
    return out;
  };
  const out: Attachment[] = [];
  for (const link of interfacesOf(raw.links)) {
    const { ifindex, name: ifname } = link;
    for (const { mode, progId } of link.xdp?.progs ?? []) out.push({ ...base(progId), hook: 'xdp', ifindex, ifname, mode });
    const hookOrder = new Map<number, number>();
    for (const e of raw.mprog) {
      if (e.ifindex !== ifindex) continue;
      const type = e.attachType as number;
      const position = hookOrder.get(type) ?? 0;
      hookOrder.set(type, position + 1);
      const attachment: MprogAttachment = {
        ...base(e.progId as number),
        hook: MPROG_HOOKS[nameOf(ATTACH_TYPES, type) as string],
        ifindex,
        ifname,
        position,
        revision: e.revision as bigint,
      };
      if (e.linkId) attachment.linkId = e.linkId as number;
      out.push(attachment);
    }
    for (const f of raw.tc) {
      // Only cls_bpf filters carry a program id (native/netlink_parse.cc); u32, flower, … do not.
      if (f.ifindex !== ifindex || f.progId === undefined) continue;
      out.push(toTc(f, base(f.progId as number), ifindex, ifname));
    }
  }
  for (const e of raw.flowDissector) out.push({ ...base(e.progId as number), hook: 'flow_dissector' });
  return out;
}

function toTc(f: RawRecord, base: Omit<AttachmentBase, 'hook'>, ifindex: number, ifname: string): TcAttachment {
  const r = f as Record<string, never>;
  const tc: TcAttachment = {
    ...base,
    hook: r.hook,
    ifindex,
    ifname,
    parent: r.parent,
    handle: r.handle,
    priority: r.priority,
    protocol: r.protocol,
    directAction: (((r.bpfFlags as number | undefined) ?? 0) & TCA_BPF_FLAG_ACT_DIRECT) !== 0,
  };
  if (r.chain !== undefined) tc.chain = r.chain;
  if (r.name !== undefined) tc.tcName = r.name;
  if (r.tag !== undefined) tc.tag = r.tag;
  if (r.bpfFlagsGen !== undefined) tc.flagsGen = r.bpfFlagsGen;
  if (r.classid !== undefined) tc.classid = r.classid;
  return tc;
}

/** Netfilter links (every one on the host: link info carries no namespace), sorted as bpftool sorts them. */
async function netfilterAttachments(): Promise<NetfilterAttachment[]> {
  const links = (await listLinks()).filter((l): l is NetfilterLinkInfo => l.type === 'netfilter');
  links.sort((a, b) => a.pf - b.pf || a.hook - b.hook || a.priority - b.priority);
  return Promise.all(
    links.map(async (l) => {
      const a: NetfilterAttachment = { hook: 'netfilter', progId: l.progId, linkId: l.id, pf: l.pf, hookNum: l.hook, priority: l.priority, flags: l.flags };
      const program = await getProgram(l.progId).catch(() => undefined); // unloaded meanwhile
      if (program) {
        a.progName = program.name;
        a.progType = program.type;
      }
      return a;
    }),
  );
}

/**
 * Every BPF attachment in a namespace (or on one interface of it), like `bpftool net show` with
 * tcx in execution order and cls_bpf filters with their handle, priority, tag and direct-action
 * flag. Without `ifname`/`ifindex` the namespace's flow dissector and the host's netfilter links
 * are included, as bpftool does. Needs CAP_NET_ADMIN (tcx query) and CAP_SYS_ADMIN (program names).
 */
export async function listAttachments(options?: ListAttachmentsOptions): Promise<Attachment[]> {
  const o = checkOptions<ListAttachmentsOptions>(options, ['netns', 'ifname', 'ifindex'], 'listAttachments');
  const netns = netnsPath(o.netns, 'listAttachments: netns');
  const device = deviceOption(o, 'listAttachments');
  const [raw, netfilter] = await Promise.all([
    rawAttachments(netns, device),
    device === undefined ? withCallerStack(netfilterAttachments) : Promise.resolve([]),
  ]);
  const all = joinAttachments(raw);
  return device === undefined ? [...all, ...netfilter] : all.filter((a) => a.hook !== 'flow_dissector');
}

/** The device a tcx, netkit or XDP link's `ifindex` names, in the namespace that holds it. */
export interface LinkDevice {
  ifindex: number;
  ifname: string;
  netns: NetnsInfo;
}

type DeviceLink = TcxLinkInfo | NetkitLinkInfo | XdpLinkInfo;
const isDeviceLink = (l: LinkInfo): l is DeviceLink => (l.type === 'tcx' || l.type === 'netkit' || l.type === 'xdp') && l.ifindex !== 0;

/**
 * The devices of tcx, netkit and XDP links, by link id. The kernel reports a device link's
 * ifindex without its namespace, and the same ifindex names a different device in each namespace
 * (bpftool names the one in its own, whichever namespace the link's device is in). This lists
 * the attachments of every namespace listNetns() finds and takes the device whose tcx or netkit
 * hook holds the link (BPF_PROG_QUERY names links by id), or whose XDP program is the link's at
 * that ifindex (netlink names the program, not the link: when that matches in two namespaces,
 * the link is left out). Left out too: a link whose device is gone (ifindex 0), or is in a
 * namespace that listNetns cannot see, or that went away while this ran. The namespaces that only
 * processes' fds hold are looked in only when some link is not found in the others.
 */
export async function findLinkDevices(links: readonly LinkInfo[]): Promise<Map<number, LinkDevice>> {
  const wanted = links.filter(isDeviceLink);
  const found = new Map<number, LinkDevice>();
  if (wanted.length === 0) return found;
  const byId = new Map(wanted.map((l) => [l.id, l]));
  const ambiguous = new Set<number>();
  // The namespaces held only by fds are listed (and their attachments read) only for links not
  // found in the others: the fd scan is most of a listing's cost.
  await visitNetns(async (namespaces) => {
    const listings = await Promise.all(
      namespaces.map(async (netns) => {
        const raw = await rawAttachments(netns.current ? undefined : netns.path, undefined).catch((err: unknown) => {
          if (err instanceof BpfError && err.code === 'ENOENT') return undefined; // the namespace went away
          throw err;
        });
        return { netns, attachments: raw ? joinAttachments(raw) : [] };
      }),
    );
    for (const { netns, attachments } of listings) {
      for (const a of attachments) {
        if (!('ifindex' in a)) continue;
        const matches = a.hook === 'xdp' ? wanted.filter((l) => l.type === 'xdp' && l.ifindex === a.ifindex && l.progId === a.progId) : [];
        if ('linkId' in a && a.linkId !== undefined && byId.has(a.linkId)) matches.push(byId.get(a.linkId) as DeviceLink);
        for (const l of matches) {
          if (found.has(l.id) && found.get(l.id)?.netns !== netns) ambiguous.add(l.id);
          found.set(l.id, { ifindex: a.ifindex, ifname: a.ifname, netns });
        }
      }
    }
    return found.size === wanted.length ? true : undefined;
  });
  for (const id of ambiguous) found.delete(id);
  return found;
}

/** The native listing for one namespace (and device); findPeer uses it for the peer's side. */
export function rawAttachments(netns: string | undefined, device: string | number | undefined): Promise<RawAttachments> {
  return withCallerStack(() => native().netAttachments(netns, device));
}

/**
 * Checks `ifname`/`ifindex` (at most one). A name may be an alternative name: the addon looks
 * names of up to 15 bytes up with if_nametoindex, which finds alternative names too, and longer
 * ones by IFLA_ALT_IFNAME.
 */
export function deviceOption(o: { ifname?: unknown; ifindex?: unknown }, what: string): string | number | undefined {
  if (o.ifname !== undefined && o.ifindex !== undefined) throw new TypeError(`${what}: give ifname or ifindex, not both`);
  if (o.ifname !== undefined) return checkIfname(o.ifname, `${what}: ifname`, MAX_ALTNAME);
  if (o.ifindex !== undefined) {
    if (typeof o.ifindex !== 'number') throw new TypeError(`${what}: ifindex must be a number`);
    if (!Number.isInteger(o.ifindex) || o.ifindex < 1 || o.ifindex > 0x7fffffff) throw new RangeError(`${what}: ifindex must be a positive integer, got ${o.ifindex}`);
    return o.ifindex;
  }
  return undefined;
}
