// Interfaces, addresses, routes and neighbours of one network namespace: what `ip -j -d link`,
// `ip -j addr`, `ip -j route show table all`, `ip -j neigh` and `ethtool -S` print, from rtnetlink
// and SIOCETHTOOL with no child process.
import { withCallerStack } from './errors';
import { addLinkDetails, type KindInfo, type SlaveInfo } from './link-details';
import { native } from './native';
import { tableRowsOf, type NativeTable } from './table';
import { netnsPath, type NetnsRef } from './netns';
import { checkIfname, checkOptions, MAX_ALTNAME } from './validate';

/** Options shared by every per-namespace listing. */
export interface NetnsOptions {
  /** The namespace to look in; default: the caller's own. */
  netns?: NetnsRef;
}

/** Checks `{ netns }` options and returns the namespace path (undefined: own namespace). */
export function netnsOption(options: unknown, what: string): string | undefined {
  const o = checkOptions<NetnsOptions>(options, ['netns'], what);
  return netnsPath(o.netns, `${what}: netns`);
}

// ---- names, spelled as iproute2 prints them ----------------------------------------------------

/** IFF_* bits in the order `ip link` prints them (iproute2 ip/ipaddress.c print_link_flags). */
const IFF_NAMES: [number, string][] = [
  [0x8, 'LOOPBACK'], [0x2, 'BROADCAST'], [0x10, 'POINTOPOINT'], [0x1000, 'MULTICAST'], [0x80, 'NOARP'],
  [0x200, 'ALLMULTI'], [0x100, 'PROMISC'], [0x400, 'MASTER'], [0x800, 'SLAVE'], [0x4, 'DEBUG'],
  [0x8000, 'DYNAMIC'], [0x4000, 'AUTOMEDIA'], [0x2000, 'PORTSEL'], [0x20, 'NOTRAILERS'], [0x1, 'UP'],
  [0x10000, 'LOWER_UP'], [0x20000, 'DORMANT'], [0x40000, 'ECHO'],
];
const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;

/** Interface flags as `ip link` prints them: NO-CARRIER for an up link without carrier, RUNNING left out. */
export function linkFlagNames(flags: number): string[] {
  const out: string[] = [];
  if (flags & IFF_UP && !(flags & IFF_RUNNING)) out.push('NO-CARRIER');
  for (const [bit, name] of IFF_NAMES) if (flags & bit) out.push(name);
  return out;
}

/** IF_OPER_* names, by value (RFC 2863 operational states). */
export const OPER_STATES = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'] as const;
export type OperState = (typeof OPER_STATES)[number];

/** ARPHRD_* names for the link types seen on hosts that run containers. */
const LINK_TYPES: Record<number, string> = {
  1: 'ether', 24: 'ieee1394', 32: 'infiniband', 65534: 'none', 768: 'ipip', 769: 'tunnel6', 772: 'loopback',
  776: 'sit', 778: 'gre', 823: 'ip6gre',
};

/** Counters of struct rtnl_link_stats64 (named as native/netlink.cc's columns); only those the kernel sends. */
export type LinkStats = Partial<Record<
  | 'rxPackets' | 'txPackets' | 'rxBytes' | 'txBytes' | 'rxErrors' | 'txErrors' | 'rxDropped' | 'txDropped'
  | 'multicast' | 'collisions' | 'rxLengthErrors' | 'rxOverErrors' | 'rxCrcErrors' | 'rxFrameErrors'
  | 'rxFifoErrors' | 'rxMissedErrors' | 'txAbortedErrors' | 'txCarrierErrors' | 'txFifoErrors'
  | 'txHeartbeatErrors' | 'txWindowErrors' | 'rxCompressed' | 'txCompressed' | 'rxNohandler' | 'rxOtherhostDropped',
  bigint
>>;

const XDP_MODES = { 1: 'driver', 2: 'generic', 3: 'offload' } as const;
export type XdpMode = 'driver' | 'generic' | 'offload';

// ---- interfaces -----------------------------------------------------------------------------

/** One interface, with the fields of `ip -j -d link`. */
export interface InterfaceInfo {
  ifindex: number;
  name: string;
  /** IFLA_INFO_KIND: 'veth', 'bridge', 'vxlan', 'netkit', 'macvlan', …; undefined for devices without one (lo, physical NICs). */
  kind?: string;
  /** The kind of the master this device is enslaved to ('bridge', 'bond'). */
  slaveKind?: string;
  /**
   * The kind's settings, as `ip -j -d link` prints them under linkinfo.info_data (IFLA_INFO_DATA):
   * a vxlan's VNI and port, a macvlan's mode, a bridge's STP state, a netkit's policies. Undefined
   * for a kind that sends none (veth) or that bpfscope does not read.
   */
  kindInfo?: KindInfo;
  /** Its state as a port of its master (linkinfo.info_slave_data, IFLA_INFO_SLAVE_DATA): a bridge port's STP state, cost, flooding. */
  slaveInfo?: SlaveInfo;
  /** 'ether', 'loopback', 'none', …, or the ARPHRD number. */
  linkType: string | number;
  mac?: string;
  broadcast?: string;
  /** The permanent hardware address, when the driver reports one. */
  permMac?: string;
  mtu?: number;
  minMtu?: number;
  maxMtu?: number;
  /** Flag names as `ip link` prints them ('BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP', 'NO-CARRIER', 'M-DOWN', …). */
  flags: string[];
  /** The raw IFF_* bits. */
  rawFlags: number;
  operState?: OperState | number;
  /** IFLA_LINKMODE: 0 default, 1 dormant (`ip -d link`'s `link mode`). */
  linkMode?: number;
  /** The master device's ifindex (a bridge, a bond). */
  masterIfindex?: number;
  /** The master device's name, when it is in the same listing. */
  master?: string;
  qdisc?: string;
  txqlen?: number;
  group?: number;
  promiscuity?: number;
  numTxQueues?: number;
  numRxQueues?: number;
  alias?: string;
  /** Alternative names (`ip link property add … altname`, Linux 5.5+), as `ip -d link` lists them; undefined when none. */
  altNames?: string[];
  /** IFLA_LINK: for a veth its peer's ifindex, valid in the peer's namespace. */
  linkIndex?: number;
  /** IFLA_LINK_NETNSID: the nsid, in this namespace, of the namespace `linkIndex` belongs to. */
  linkNetnsId?: number;
  /** 64-bit counters; only the fields this kernel sends. */
  stats?: LinkStats;
  /** XDP on this device; undefined when the kernel sent no IFLA_XDP. */
  xdp?: { mode?: XdpMode; progId?: number; progs: { mode: XdpMode; progId: number }[] };
}

/**
 * `fn` remembering its last argument and result: the devices of a listing mostly share their flags
 * and link type, and comparing with the previous one is cheaper than a hashed cache lookup.
 */
function memoLast<R>(fn: (n: number) => R): (n: number) => R {
  let last = NaN;
  let result!: R;
  return (n) => (n === last ? result : ((last = n), (result = fn(n))));
}
const flagNamesOf = memoLast(linkFlagNames);
const linkTypeOf = memoLast((type) => LINK_TYPES[type] ?? type);

/** A namespace can hold thousands of devices, each with 25 counters: rows come from a compiled reader. */
const interfaceRows = tableRowsOf<InterfaceInfo>(() => native().schemas.interface, {
  derive: {
    linkType: { from: 'type', convert: linkTypeOf },
    flags: { from: 'flags', convert: (flags: number) => flagNamesOf(flags).slice() },
    rawFlags: { from: 'flags' },
    operState: { from: 'operState', convert: (v: number) => OPER_STATES[v] ?? v },
    masterIfindex: { from: 'master' }, // IFLA_MASTER: the kernel sends it only for a device that has one
    linkIndex: { from: 'link' },
    altNames: { from: 'altNames', convert: (names: string) => names.split(' ') }, // space-separated in the table
    xdp: { from: ['xdpAttached', 'xdpProgId', 'xdpSkbProgId', 'xdpDrvProgId', 'xdpHwProgId'], convert: toXdp },
  },
  bigintsInto: 'stats',
});

/**
 * Interfaces from the addon's column table (thousands of devices cross N-API as a few typed
 * arrays), with their kinds' details from a second table when any device has some. Masters are
 * named, and M-DOWN found, from the same listing.
 */
export function interfacesOf(t: NativeTable & { details?: NativeTable }): InterfaceInfo[] {
  const out = interfaceRows(t);
  if (t.details) addLinkDetails(out, t.details);
  let byIndex: Map<number, InterfaceInfo> | undefined;
  const find = (ifindex: number) => (byIndex ??= new Map(out.map((i) => [i.ifindex, i]))).get(ifindex);
  for (const info of out) {
    if (info.masterIfindex !== undefined) {
      const master = find(info.masterIfindex);
      if (master !== undefined) info.master = master.name;
    }
    // iproute2's M-DOWN (print_name_and_link): the device this one links to in the same namespace
    // (a veth's peer, a vlan's parent) is not up, or not in the listing. A link elsewhere (a
    // link-netnsid) is never looked up.
    if (info.linkIndex && info.linkNetnsId === undefined) {
      const link = find(info.linkIndex);
      if (!link || !(link.rawFlags & IFF_UP)) info.flags.push('M-DOWN');
    }
  }
  return out;
}

function toXdp(attached: number, progId: number, skb: number, drv: number, hw: number): NonNullable<InterfaceInfo['xdp']> {
  const progs: { mode: XdpMode; progId: number }[] = [];
  if (skb) progs.push({ mode: 'generic', progId: skb });
  if (drv) progs.push({ mode: 'driver', progId: drv });
  if (hw) progs.push({ mode: 'offload', progId: hw });
  const out: NonNullable<InterfaceInfo['xdp']> = { progs };
  const mode = XDP_MODES[attached as 1 | 2 | 3];
  if (mode) {
    out.mode = mode;
    out.progId = progId;
    // Older kernels send only IFLA_XDP_PROG_ID for a single attachment.
    if (progs.length === 0) progs.push({ mode, progId });
  }
  return out;
}

/** ifindex → name. */
export function nameMap(interfaces: InterfaceInfo[]): Map<number, string> {
  return new Map(interfaces.map((i) => [i.ifindex, i.name]));
}

/** Every interface in the namespace, like `ip -j -d link show`. */
export async function listInterfaces(options?: NetnsOptions): Promise<InterfaceInfo[]> {
  const netns = netnsOption(options, 'listInterfaces');
  return interfacesOf(await withCallerStack(() => native().netLinks(netns)));
}

// ---- addresses ------------------------------------------------------------------------------

const SCOPES: Record<number, string> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };
export type Scope = 'global' | 'site' | 'link' | 'host' | 'nowhere';

/** IFA_F_* names as `ip addr` prints them. */
const IFA_FLAGS: [number, string][] = [
  [0x01, 'secondary'], [0x02, 'nodad'], [0x04, 'optimistic'], [0x08, 'dadfailed'], [0x10, 'home'],
  [0x20, 'deprecated'], [0x40, 'tentative'], [0x80, 'permanent'], [0x100, 'mngtmpaddr'], [0x200, 'noprefixroute'],
  [0x400, 'autojoin'], [0x800, 'stable-privacy'],
];

function family(n: number): 'inet' | 'inet6' | number {
  return n === 2 ? 'inet' : n === 10 ? 'inet6' : n;
}

/** One address, with the fields of `ip -j addr`'s addr_info plus its interface. */
export interface AddressInfo {
  ifindex: number;
  ifname?: string;
  family: 'inet' | 'inet6' | number;
  /** IFA_LOCAL (IFA_ADDRESS when there is no local address, as for most IPv6). */
  local: string;
  /** IFA_ADDRESS when it differs from local: the peer of a point-to-point address. */
  address?: string;
  prefixlen: number;
  scope: Scope | number;
  label?: string;
  broadcast?: string;
  /** Seconds; 4294967295 is forever. */
  validLifetime?: number;
  preferredLifetime?: number;
  /** IFA_F_* names ('permanent', 'secondary', 'noprefixroute', …). */
  flags: string[];
  /** IFA_PROTO (Linux 6.0+): who added it. */
  proto?: number;
}

/** Every address in the namespace, like `ip -j addr show` (flattened: one entry per address). */
export async function listAddresses(options?: NetnsOptions): Promise<AddressInfo[]> {
  const netns = netnsOption(options, 'listAddresses');
  const [raw, links] = await withCallerStack(() => Promise.all([native().netAddresses(netns), native().netLinks(netns)]));
  const names = nameMap(interfacesOf(links));
  return raw.map((raw) => {
    const r = raw as Record<string, never>;
    const local = (r.local ?? r.address) as string;
    const a: AddressInfo = {
      ifindex: r.ifindex,
      family: family(r.family),
      local,
      prefixlen: r.prefixlen,
      scope: (SCOPES[r.scope] as Scope) ?? r.scope,
      flags: IFA_FLAGS.filter(([bit]) => (r.flags as number) & bit).map(([, name]) => name),
    };
    const ifname = names.get(r.ifindex);
    if (ifname !== undefined) a.ifname = ifname;
    if (r.address !== undefined && r.address !== local) a.address = r.address;
    for (const key of ['label', 'broadcast', 'validLifetime', 'preferredLifetime', 'proto'] as const)
      if (r[key] !== undefined) (a as unknown as Record<string, unknown>)[key] = r[key];
    return a;
  });
}

// ---- routes ---------------------------------------------------------------------------------

const ROUTE_TYPES = ['unspec', 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable',
  'prohibit', 'throw', 'nat', 'xresolve'] as const;
/** rt_protos names (iproute2 etc/iproute2/rt_protos). */
const ROUTE_PROTOCOLS: Record<number, string> = {
  0: 'unspec', 1: 'redirect', 2: 'kernel', 3: 'boot', 4: 'static', 8: 'gated', 9: 'ra', 10: 'mrt', 11: 'zebra',
  12: 'bird', 13: 'dnrouted', 14: 'xorp', 15: 'ntk', 16: 'dhcp', 18: 'keepalived', 42: 'babel', 99: 'openr',
  186: 'bgp', 187: 'isis', 188: 'ospf', 189: 'rip', 192: 'eigrp',
};
const ROUTE_TABLES: Record<number, string> = { 253: 'default', 254: 'main', 255: 'local' };
/** RTNH_F_* names as `ip route` prints them. */
const ROUTE_FLAGS: [number, string][] = [[1, 'dead'], [2, 'pervasive'], [4, 'onlink'], [8, 'offload'], [16, 'linkdown'], [32, 'unresolved'], [64, 'trap']];

export interface NextHopInfo {
  gateway?: string;
  ifindex: number;
  dev?: string;
  weight: number;
  flags: string[];
}

/** One route, with the fields of `ip -j route show table all`. */
export interface RouteInfo {
  family: 'inet' | 'inet6' | number;
  /** 'default', an address for a host route (/32, /128), else 'address/len'. */
  dst: string;
  dstLen: number;
  src?: string;
  srcLen: number;
  type: (typeof ROUTE_TYPES)[number] | number;
  /** 'main', 'local', 'default' or the table number. */
  table: string | number;
  protocol: string | number;
  scope: Scope | number;
  gateway?: string;
  /** The output device's ifindex and name. */
  oif?: number;
  dev?: string;
  prefsrc?: string;
  /** RTA_PRIORITY. */
  metric?: number;
  tos: number;
  /** RTNH_F_* names ('onlink', 'linkdown', …). */
  flags: string[];
  /** IPv6 router preference (RTA_PREF). */
  pref?: number;
  /**
   * Seconds until the route expires, to the kernel's 1/USER_HZ (RTA_CACHEINFO rta_expires): an IPv6
   * route learned from a router advertisement, or added with `expires`. `ip route` prints it in
   * whole seconds (`expires 299sec`). Undefined for a route that does not expire.
   */
  expires?: number;
  nexthops?: NextHopInfo[];
}

function routeFlags(flags: number): string[] {
  return ROUTE_FLAGS.filter(([bit]) => flags & bit).map(([, name]) => name);
}

/** Every route in every table of the namespace, IPv4 and IPv6, like `ip -j route show table all` (plus `-6`). */
export async function listRoutes(options?: NetnsOptions): Promise<RouteInfo[]> {
  const netns = netnsOption(options, 'listRoutes');
  const [raw, links] = await withCallerStack(() => Promise.all([native().netRoutes(netns), native().netLinks(netns)]));
  const names = nameMap(interfacesOf(links));
  return raw.map((raw) => {
    const r = raw as Record<string, never>;
    const full = r.family === 2 ? 32 : 128;
    const dst = r.dst === undefined && r.dstLen === 0 ? 'default' : r.dstLen === full ? r.dst : `${r.dst}/${r.dstLen}`;
    const route: RouteInfo = {
      family: family(r.family),
      dst,
      dstLen: r.dstLen,
      srcLen: r.srcLen,
      type: ROUTE_TYPES[r.type] ?? r.type,
      table: ROUTE_TABLES[r.table] ?? r.table,
      protocol: ROUTE_PROTOCOLS[r.protocol] ?? r.protocol,
      scope: (SCOPES[r.scope] as Scope) ?? r.scope,
      tos: r.tos,
      flags: routeFlags(r.flags),
    };
    if (r.src !== undefined) route.src = r.srcLen === full ? r.src : `${r.src}/${r.srcLen}`;
    if (r.gateway !== undefined) route.gateway = r.gateway;
    if (r.oif !== undefined) {
      route.oif = r.oif;
      const dev = names.get(r.oif);
      if (dev !== undefined) route.dev = dev;
    }
    if (r.prefsrc !== undefined) route.prefsrc = r.prefsrc;
    if (r.priority !== undefined) route.metric = r.priority;
    if (r.pref !== undefined) route.pref = r.pref;
    if (r.expires !== undefined) route.expires = r.expires;
    const hops = raw.nexthops as Record<string, never>[] | undefined;
    if (hops) {
      route.nexthops = hops.map((h) => {
        const hop: NextHopInfo = { ifindex: h.oif, weight: h.weight, flags: routeFlags(h.flags) };
        if (h.gateway !== undefined) hop.gateway = h.gateway;
        const dev = names.get(h.oif);
        if (dev !== undefined) hop.dev = dev;
        return hop;
      });
    }
    return route;
  });
}

// ---- neighbours -----------------------------------------------------------------------------

/** NUD_* names in the order `ip neigh` prints them. */
const NUD_STATES: [number, string][] = [
  [0x01, 'INCOMPLETE'], [0x02, 'REACHABLE'], [0x04, 'STALE'], [0x08, 'DELAY'], [0x10, 'PROBE'], [0x20, 'FAILED'],
  [0x40, 'NOARP'], [0x80, 'PERMANENT'],
];
const NTF_PROXY = 0x08;
const NTF_ROUTER = 0x80;

/** One neighbour (ARP/NDP) entry, with the fields of `ip -j neigh show nud all`. */
export interface NeighborInfo {
  ifindex: number;
  dev?: string;
  family: 'inet' | 'inet6' | number;
  /** The IP address. */
  ip: string;
  /** The link-layer address; undefined while unresolved. */
  lladdr?: string;
  /** NUD state names ('REACHABLE', 'STALE', 'PERMANENT', …); ['NONE'] for 0. */
  state: string[];
  router: boolean;
  proxy: boolean;
  probes?: number;
}

/**
 * Every neighbour entry in the namespace, NOARP ones included (`ip -j neigh show nud all`), then
 * the proxy entries (`ip -j neigh show proxy`), with `proxy` true.
 */
export async function listNeighbors(options?: NetnsOptions): Promise<NeighborInfo[]> {
  const netns = netnsOption(options, 'listNeighbors');
  const [raw, links] = await withCallerStack(() => Promise.all([native().netNeighbors(netns), native().netLinks(netns)]));
  const names = nameMap(interfacesOf(links));
  return raw.map((raw) => {
    const r = raw as Record<string, never>;
    const state = NUD_STATES.filter(([bit]) => (r.state as number) & bit).map(([, name]) => name);
    const n: NeighborInfo = {
      ifindex: r.ifindex,
      family: family(r.family),
      ip: r.dst,
      state: state.length ? state : ['NONE'],
      router: ((r.flags as number) & NTF_ROUTER) !== 0,
      proxy: ((r.flags as number) & NTF_PROXY) !== 0,
    };
    const dev = names.get(r.ifindex);
    if (dev !== undefined) n.dev = dev;
    if (r.lladdr !== undefined) n.lladdr = r.lladdr;
    if (r.probes !== undefined) n.probes = r.probes;
    return n;
  });
}

// ---- ethtool --------------------------------------------------------------------------------

/**
 * The driver statistics `ethtool -S IFNAME` prints, in the driver's order (veth: `peer_ifindex`
 * first). `ifname` may be an alternative name (up to 127 bytes).
 */
export async function getEthtoolStats(options: NetnsOptions & { ifname: string }): Promise<Map<string, bigint>> {
  const o = checkOptions<NetnsOptions & { ifname: string }>(options, ['netns', 'ifname'], 'getEthtoolStats');
  // An alternative name too long for the ioctl is looked up by the addon (IFLA_ALT_IFNAME).
  const ifname = checkIfname(o.ifname, 'getEthtoolStats: ifname', MAX_ALTNAME);
  const netns = netnsPath(o.netns, 'getEthtoolStats: netns');
  const { names, values } = await withCallerStack(() => native().netEthtoolStats(netns, ifname));
  return new Map(names.map((n, i) => [n, values[i]]));
}
