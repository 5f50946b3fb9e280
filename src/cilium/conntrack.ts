// Connection tracking: `cilium_ct4_global` / `cilium_ct_any4_global` (TCP / everything else) and
// their IPv6 twins, LRU hashes from a flow tuple to `struct ct_entry` (cilium-maps.md §5.1).
//
// Cilium versions → key/value layout:
//
//   key   struct ipv4_ct_tuple, 14 B packed: daddr be32 @0, saddr be32 @4, dport be16 @8, sport be16 @10,
//         nexthdr @12, flags @13 (TUPLE_F_IN 1, RELATED 2, SERVICE 4; 0 = OUT). Addresses are reversed.
//         struct ipv6_ct_tuple, 38 B packed: daddr @0, saddr @16, dport @32, sport @34, nexthdr @36, flags @37.
//   value struct ct_entry, 56 B:
//   1.14–15  rx_packets @0, rx_bytes (= backend_id for service entries) @8, tx_packets @16, tx_bytes @24,
//            u16 @40 = ifindex
//   1.16–17  backend_id @8, packets @16, bytes @24; u16 @40 = ifindex
//   1.18     as 1.17, u16 @40 unused (reserved4)
//   1.19–20  bytes 0..15 a union: nat_addr (v6addr; an IPv4 one in its first 4 bytes) in other
//            entries, {reserved0, backend_id @8} in service entries; u16 @40 = nat_port (be16)
//   all      lifetime u32 @32, flag bits u16 @36 (bit 2 nat46 in 1.14 only, unused since; bit 7 dsr,
//            dsr_internal from 1.16; bit 9 reserved), rev_nat_index be16 @38 (the service's, in network
//            order as the LB maps keep it), tx_flags_seen @42, rx_flags_seen @43, src_sec_id u32 @44,
//            last_tx_report u32 @48, last_rx_report u32 @52
// (Read from bpf/lib/common.h, 1.18's and older, and bpf/lib/conntrack.h, 1.19 and main.)
import { defineLayout, parseIpv6, type Decoded } from '../layout';
import { checkFamily, decodeFamilyPairs, encodePairs, encodeVersion, rowFor, type DecodeOptions, type IpFamily, type MapLayout, type PackedEntries } from './codec';
import { flagNames, protocolName } from './tables';
import { checkClock, secondsBetween, type CiliumClock } from './clock';
import { goIpText, mapByMap, type Family } from './text';
import { checkClusterId, perClusterCtMapNames } from './percluster';
import { formatVersion, recordPrototype, withLayout, type CiliumRecords, type Minor, type WithPrototype } from './version';

export const TUPLE4 = defineLayout({
  daddr: { offset: 0, type: 'ipv4' },
  saddr: { offset: 4, type: 'ipv4' },
  dport: { offset: 8, type: 'be16' },
  sport: { offset: 10, type: 'be16' },
  nexthdr: { offset: 12, type: 'u8' },
  flags: { offset: 13, type: 'u8' },
}, 14);
export const TUPLE6 = defineLayout({
  daddr: { offset: 0, type: 'ipv6' },
  saddr: { offset: 16, type: 'ipv6' },
  dport: { offset: 32, type: 'be16' },
  sport: { offset: 34, type: 'be16' },
  nexthdr: { offset: 36, type: 'u8' },
  flags: { offset: 37, type: 'u8' },
}, 38);

const ENTRY_COMMON = {
  lifetime: { offset: 32, type: 'u32' },
  flags: { offset: 36, type: 'u16' },
  revNatIndex: { offset: 38, type: 'be16' },
  txFlagsSeen: { offset: 42, type: 'u8' },
  rxFlagsSeen: { offset: 43, type: 'u8' },
  srcSecId: { offset: 44, type: 'u32' },
  lastTxReport: { offset: 48, type: 'u32' },
  lastRxReport: { offset: 52, type: 'u32' },
} as const;
const ENTRY_1_14 = defineLayout({
  ...ENTRY_COMMON,
  rxPackets: { offset: 0, type: 'u64' },
  rxBytes: { offset: 8, type: 'u64' },
  txPackets: { offset: 16, type: 'u64' },
  txBytes: { offset: 24, type: 'u64' },
  ifindex: { offset: 40, type: 'u16' },
}, 56);
// 1.16 folded the rx/tx counters into one pair and put the backend id beside them.
const ENTRY_SINCE_1_16 = {
  ...ENTRY_COMMON,
  backendId: { offset: 8, type: 'u64' },
  packets: { offset: 16, type: 'u64' },
  bytes: { offset: 24, type: 'u64' },
} as const;
const ENTRY_1_16 = defineLayout({ ...ENTRY_SINCE_1_16, ifindex: { offset: 40, type: 'u16' } }, 56);
const ENTRY_1_18 = defineLayout(ENTRY_SINCE_1_16, 56);
/** 1.19+: the service entries' backend_id shares its bytes with the other entries' nat_addr. */
function entrySince119(family: 4 | 6) {
  return defineLayout({ ...ENTRY_SINCE_1_16, natAddr: { offset: 0, type: family === 4 ? 'ipv4' : 'ipv6' }, natPort: { offset: 40, type: 'be16' } }, 56);
}

type Tuple = Decoded<typeof TUPLE4.fields>;
type Entry = Decoded<typeof ENTRY_COMMON> & Partial<Decoded<typeof ENTRY_1_14.fields> & Decoded<ReturnType<typeof entrySince119>['fields']>> & { ifindex?: number };

function table(family: 4 | 6, key: typeof TUPLE4 | typeof TUPLE6): MapLayout[] {
  const map = `cilium_ct${family}_global`;
  const tuple = `ipv${family}_ct_tuple`;
  const row = (since: Minor, until: Minor, what: string, value: MapLayout['value']): MapLayout => ({ since, until, map, name: `${tuple} / ct_entry (${what})`, keySize: key.size, valueSize: 56, key, value });
  return [
    row(14, 15, 'rx/tx counters', ENTRY_1_14),
    row(16, 17, 'backend_id, packets, bytes, ifindex', ENTRY_1_16),
    row(18, 18, 'backend_id, packets, bytes', ENTRY_1_18),
    row(19, 20, 'nat_addr or backend_id, packets, bytes, nat_port', entrySince119(family)),
  ];
}

export const CT4_LAYOUTS = table(4, TUPLE4);
export const CT6_LAYOUTS = table(6, TUPLE6);

/** The maps of one family: TCP and everything else; with a cluster id, that cluster's (Cluster Mesh's per-cluster maps). */
export function conntrackMapNames(family: 4 | 6, clusterId?: number): { tcp: string; any: string } {
  if (clusterId !== undefined) return perClusterCtMapNames(family, clusterId);
  return { tcp: `cilium_ct${family}_global`, any: `cilium_ct_any${family}_global` };
}

const TUPLE_F_IN = 1;
const TUPLE_F_RELATED = 2;
const TUPLE_F_SERVICE = 4;

/**
 * ct_entry flag bits, LSB first, [bit, the struct's name, since, until?]. Bit 2 is nat46 in 1.14,
 * unused_nat46 in 1.15 and reserved1 from 1.16 (unused since 1.12), so it has a name in 1.14 only;
 * bit 7, dsr up to 1.15, is dsr_internal from 1.16; bit 9 is reserved in every version.
 */
const ENTRY_FLAGS: readonly (readonly [number, string, Minor, Minor?])[] = [
  [1 << 0, 'rx_closing', 14], [1 << 1, 'tx_closing', 14], [1 << 2, 'nat46', 14, 14], [1 << 3, 'lb_loopback', 14],
  [1 << 4, 'seen_non_syn', 14], [1 << 5, 'node_port', 14], [1 << 6, 'proxy_redirect', 14],
  [1 << 7, 'dsr', 14, 15], [1 << 7, 'dsr_internal', 16], [1 << 8, 'from_l7lb', 14], [1 << 10, 'from_tunnel', 14],
];

/** A flow tuple (struct ipv{4,6}_ct_tuple) as records show it: the conntrack and NAT maps' keys. */
export interface FlowTuple {
  family: Family;
  /** As stored: "address fields are reversed", ports are in original direction. */
  daddr: string;
  saddr: string;
  dport: number;
  sport: number;
  /** IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6). */
  protocol: number;
  /** TUPLE_F_IN set: 'in', else 'out'. */
  direction: 'in' | 'out';
}

/** A decoded tuple key as records show it. */
export function flowTupleOf(k: Tuple, family: IpFamily): FlowTuple {
  return {
    family: family === 6 ? 'ipv6' : 'ipv4',
    daddr: k.daddr,
    saddr: k.saddr,
    dport: k.dport,
    sport: k.sport,
    protocol: k.nexthdr,
    direction: (k.flags & TUPLE_F_IN) !== 0 ? 'in' : 'out',
  };
}

/** A tuple's key fields for the encoders; `flags` adds RELATED/SERVICE bits. */
export function tupleKey(t: Omit<FlowTuple, 'family' | 'direction'> & { direction?: 'in' | 'out' }, flags = 0): Tuple {
  return { daddr: t.daddr, saddr: t.saddr, dport: t.dport, sport: t.sport, nexthdr: t.protocol, flags: (t.direction === 'in' ? TUPLE_F_IN : 0) | flags };
}

export interface ConntrackRecord extends FlowTuple {
  /** 'cilium_ct4_global' (TCP) or 'cilium_ct_any4_global' (other protocols), …; a cluster's 'cilium_per_cluster_ct_tcp4_7', … */
  map: string;
  related: boolean;
  service: boolean;
  /** Expiry in seconds of the kernel's monotonic clock (bpf_mono_now). */
  lifetime: number;
  flags: string[];
  rawFlags: number;
  revNatIndex: number;
  /** Service entries (1.14–15: rx_bytes doubles as it); 1.16–18 every entry; 1.19+ service entries. */
  backendId?: bigint;
  /** 1.19+, entries other than service ones: the address the connection was translated to (0.0.0.0 or :: for none). */
  natAddr?: string;
  /** 1.16+. */
  packets?: bigint;
  bytes?: bigint;
  /** 1.14–15. */
  rxPackets?: bigint;
  rxBytes?: bigint;
  txPackets?: bigint;
  txBytes?: bigint;
  /** ≤1.17. */
  ifindex?: number;
  /** 1.19+: the port the connection was translated to (0 for none). */
  natPort?: number;
  txFlagsSeen: number;
  rxFlagsSeen: number;
  srcSecId: number;
  lastTxReport: number;
  lastRxReport: number;
}

/** Decodes packed conntrack keys and values; the family follows the key size (14: IPv4, 38: IPv6). */
export function decodeConntrack(keys: Buffer, values: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<ConntrackRecord> {
  const { keys: ks, values: vs, minor, used, family } = decodeFamilyPairs<Tuple, Entry>('conntrack', { 4: CT4_LAYOUTS, 6: CT6_LAYOUTS }, 'key', TUPLE6.size, keys, values, count, options);
  const prototype = recordPrototype(minor);
  const records = ks.map((k, i): ConntrackRecord => {
    const v = vs[i];
    const service = (k.flags & TUPLE_F_SERVICE) !== 0;
    const record: WithPrototype<ConntrackRecord> = {
      __proto__: prototype,
      ...flowTupleOf(k, family),
      map: used.map,
      related: (k.flags & TUPLE_F_RELATED) !== 0,
      service,
      lifetime: v.lifetime,
      flags: flagNames(v.flags, ENTRY_FLAGS, minor),
      rawFlags: v.flags,
      revNatIndex: v.revNatIndex,
      txFlagsSeen: v.txFlagsSeen,
      rxFlagsSeen: v.rxFlagsSeen,
      srcSecId: v.srcSecId,
      lastTxReport: v.lastTxReport,
      lastRxReport: v.lastRxReport,
    };
    if (v.rxPackets !== undefined) {
      Object.assign(record, { rxPackets: v.rxPackets, rxBytes: v.rxBytes, txPackets: v.txPackets, txBytes: v.txBytes });
      if (service) record.backendId = v.rxBytes;
    } else {
      // 1.19+: a service entry's first 16 bytes hold its backend, any other's its NAT address.
      if (v.natAddr === undefined || service) record.backendId = v.backendId;
      else record.natAddr = v.natAddr;
      Object.assign(record, { packets: v.packets, bytes: v.bytes });
    }
    if (v.ifindex !== undefined) record.ifindex = v.ifindex;
    if (v.natPort !== undefined) record.natPort = v.natPort;
    return record;
  });
  return withLayout(records, used);
}

export interface ConntrackEntry {
  daddr: string;
  saddr: string;
  dport: number;
  sport: number;
  protocol: number;
  direction?: 'in' | 'out';
  related?: boolean;
  service?: boolean;
  lifetime?: number;
  revNatIndex?: number;
  backendId?: bigint;
  packets?: bigint;
  bytes?: bigint;
  rxPackets?: bigint;
  rxBytes?: bigint;
  txPackets?: bigint;
  txBytes?: bigint;
  ifindex?: number;
  natAddr?: string;
  natPort?: number;
  srcSecId?: number;
}

/** Packs entries of one family into conntrack keys and values of that version's layout. */
export function encodeConntrack(entries: readonly ConntrackEntry[], options: { version?: string; family?: IpFamily } = {}): PackedEntries {
  const { family = 4, ...rest } = options;
  const row = rowFor(checkFamily(family) === 6 ? CT6_LAYOUTS : CT4_LAYOUTS, encodeVersion(rest, 'cilium conntrack encode options'));
  return encodePairs(row, entries.map((e) => {
    const { daddr, saddr, dport, sport, protocol, direction, related, service, ...value } = e;
    return [tupleKey({ daddr, saddr, dport, sport, protocol, direction }, (related ? TUPLE_F_RELATED : 0) | (service ? TUPLE_F_SERVICE : 0)), value] as const;
  }));
}

/**
 * The map names in the order `cilium-dbg bpf ct list global` reads them (ctmap.Maps), and `list
 * cluster <id>` that cluster's (GetClusterCTMaps): TCP, then the rest; IPv4, then IPv6.
 */
function ctMaps(clusterId?: number): string[] {
  return ([4, 6] as const).flatMap((f) => Object.values(conntrackMapNames(f, clusterId)));
}

/**
 * ct_entry's flag names as `CtEntry.flagsString` prints them, by bit; bit 9 (reserved) has none and
 * is not unknown either. 1.16 renamed DSR, which had become dsr_internal.
 */
const ENTRY_FLAG_TEXT = ['RxClosing', 'TxClosing', 'Nat64', 'LBLoopback', 'SeenNonSyn', 'NodePort', 'ProxyRedirect', 'DSR', 'FromL7LB', '', 'FromTunnel'];
const KNOWN_FLAGS = (1 << ENTRY_FLAG_TEXT.length) - 1;

/** Go's `%#0Nx`: "0x", then at least N hex digits (Go pads the digits, not the whole). */
function goHex(value: number | bigint, digits: number): string {
  return `0x${value.toString(16).padStart(digits, '0')}`;
}

/** `CtKey{4,6}Global.Dump(…, reverse=true)` of that version: the stored addresses swapped back, the ports as they are. */
function ctKeyText(r: ConntrackRecord, minor: Minor): string {
  const proto = protocolName(r.protocol, minor);
  // types.IPv6 prints through net.IP up to 1.19, netip.Addr after.
  const saddr = goIpText(r.saddr, minor >= 20);
  const daddr = goIpText(r.daddr, minor >= 20);
  let text = r.service && minor >= 15
    ? `${proto} SVC ${saddr}:${r.dport} -> ${daddr}:${r.sport} `
    : `${proto} ${r.direction === 'in' ? 'IN' : 'OUT'} ${daddr}:${r.sport} -> ${saddr}:${r.dport} `;
  if (r.related) text += 'related ';
  if (r.service && minor < 15) text += 'service ';
  return text;
}

function ctFlagsText(flags: number, minor: Minor): string {
  const names = ENTRY_FLAG_TEXT.map((name, bit) => ((flags & (1 << bit)) !== 0 && name ? `${bit === 7 && minor >= 16 ? 'DSRInternal' : name} ` : '')).join('');
  const unknown = flags & ~KNOWN_FLAGS;
  return `Flags=${goHex(flags, 4)} [ ${names}${unknown !== 0 ? `Unknown=${goHex(unknown, 4)} ` : ''}]`;
}

/**
 * 1.19+ prints `Union0[1]`, the u64 at byte 8, as BackendID in every entry: outside service entries
 * that is the second half of nat_addr (0 for an IPv4 one).
 */
function union0High(r: ConntrackRecord): bigint {
  if (r.backendId !== undefined) return r.backendId;
  return r.natAddr !== undefined && r.family === 'ipv6' ? parseIpv6(r.natAddr).readBigUInt64LE(8) : 0n;
}

/**
 * `CtEntry.StringWithTimeDiff` of that version; with a clock (`--time-diff`), the seconds left
 * after `expires`, as DumpEntriesWithTimeDiff's toRemSecs prints them.
 */
function ctEntryText(r: ConntrackRecord, minor: Minor, clock: CiliumClock | undefined): string {
  const seen = `RxFlagsSeen=${goHex(r.rxFlagsSeen, 2)} LastRxReport=${r.lastRxReport}`;
  const txSeen = `TxFlagsSeen=${goHex(r.txFlagsSeen, 2)} LastTxReport=${r.lastTxReport}`;
  const counters = minor <= 15
    ? `RxPackets=${r.rxPackets ?? 0n} RxBytes=${r.rxBytes ?? 0n} ${seen} TxPackets=${r.txPackets ?? 0n} TxBytes=${r.txBytes ?? 0n} ${txSeen}`
    : `Packets=${r.packets ?? 0n} Bytes=${r.bytes ?? 0n} ${seen} ${txSeen}`;
  const tail = minor <= 15 ? `IfIndex=${r.ifindex ?? 0}`
    : minor <= 17 ? `IfIndex=${r.ifindex ?? 0} BackendID=${r.backendId ?? 0n}`
      : minor === 18 ? `BackendID=${r.backendId ?? 0n}`
        : `BackendID=${union0High(r)} NatPort=${r.natPort ?? 0}`;
  const remaining = clock ? ` (remaining: ${secondsBetween(clock, clock.now, BigInt(r.lifetime))} sec(s))` : '';
  return `expires=${r.lifetime}${remaining} ${counters} ${ctFlagsText(r.rawFlags, minor)} RevNAT=${r.revNatIndex} SourceSecurityID=${r.srcSecId} ${tail} \n`;
}

/**
 * What `cilium-dbg bpf ct list global` of that version prints: per map, in its order (TCP and
 * other IPv4, then IPv6), each entry's line in the order given, then an empty line; entries of
 * protocol 0 are left out, as it leaves them out. A map with no records prints its empty line only
 * when its family is in `families` (those whose maps were read: cilium-dbg prints one for each map
 * it opens). With `clock` (`cilium.clock()`), what `--time-diff` adds: each entry's seconds left
 * before it expires. With `cluster`, `list cluster <id>` of that cluster's maps, as
 * `cilium.conntrack({ cluster })` reads them: the same text, map by map. The version as
 * formatVersion picks it.
 */
export function formatConntrack(records: readonly ConntrackRecord[], options?: { version?: string; families?: readonly IpFamily[]; clock?: CiliumClock; cluster?: number }): string {
  const { families = [], clock: givenClock, cluster, ...versionOption } = options ?? {};
  const minor = formatVersion(records, versionOption, 'cilium.format.conntrack');
  const clock = checkClock(givenClock, 'cilium.format.conntrack');
  const clusterId = cluster === undefined ? undefined : checkClusterId(cluster, 'cilium.format.conntrack');
  return mapByMap('conntrack', ctMaps(clusterId), (f) => Object.values(conntrackMapNames(f, clusterId)), families, records, (r) => r.map,
    (r) => (r.protocol !== 0 ? ctKeyText(r, minor) + ctEntryText(r, minor, clock) : ''));
}
