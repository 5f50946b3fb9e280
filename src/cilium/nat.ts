// Source NAT: `cilium_snat_v4_external` and `cilium_snat_v6_external`, LRU hashes from a flow tuple
// to where the datapath rewrote it (`cilium-dbg bpf nat list`). Each translated flow is stored in
// both directions: the egress tuple (TUPLE_F_OUT) holds the new source, the ingress one
// (TUPLE_F_IN) the address and port to restore on replies.
//
// Cilium versions → key/value layout (the same from 1.14 to 1.20-dev):
//
//   key   struct ipv4_ct_tuple (14 B) / ipv6_ct_tuple (38 B), as in the conntrack maps
//   value struct ipv4_nat_entry, 40 B: struct nat_entry { created u64 @0, needs_ct u64 @8, pad1,
//         pad2 }, then a union of { to_saddr be32, to_sport be16 } (egress) and { to_daddr,
//         to_dport } (ingress) @32 / @36; struct ipv6_nat_entry, 56 B: the address @32 (16 B), the
//         port @48.
// (Not in cilium-maps.md; read from the nat.h structs of Cilium's bpf/lib across versions.)
//
// `cilium-dbg bpf nat list` (cilium-dbg/cmd/bpf_nat_list.go, pkg/maps/nat, pkg/tuple): the same
// code 1.14–1.20-dev: the IPv4 map, then the IPv6 one, each dumped by DumpEntriesWithTimeDiff and
// printed with fmt.Println. A key is `TupleKey{4,6}Global.Dump(reverse=false)`, `PROTO IN|OUT
// saddr:sport -> daddr:dport ` (IPv6 addresses in brackets; `related ` and `service ` for flags
// the datapath never sets on NAT tuples, which write TUPLE_F_OUT or TUPLE_F_IN only), and nothing
// at all for nexthdr 0 (the entry is left out); a value is `NatEntry{4,6}.Dump`, `XLATE_SRC|DST
// addr:port Created=… NeedsCT=N`, where needs_ct is a u64 of which the datapath sets bit 0 only.
// What changes with the version: the protocol names (pkg/u8proto), IPv4-mapped IPv6 addresses
// (net.IP up to 1.19, netip.Addr after), and which maps: 1.14–1.17 always open the IPv4 map and
// the IPv6 one when IPv6 is on, 1.18+ each when its family is on.
import { defineLayout, type Decoded } from '../layout';
import { checkClock, secondsBetween, type CiliumClock } from './clock';
import { checkFamily, decodeFamilyPairs, encodePairs, encodeVersion, rowFor, type DecodeOptions, type IpFamily, type MapLayout, type PackedEntries } from './codec';
import { flowTupleOf, tupleKey, TUPLE4, TUPLE6, type FlowTuple } from './conntrack';
import { protocolName } from './tables';
import { checkClusterId, perClusterNatMapNames } from './percluster';
import { goIpText, mapByMap } from './text';
import { formatVersion, recordPrototype, withLayout, type CiliumRecords, type Minor, type WithPrototype } from './version';

/** struct nat_entry, the first 32 bytes of both families' entries (pad1 and pad2 unread). */
const NAT_ENTRY = {
  created: { offset: 0, type: 'u64' },
  needsCt: { offset: 8, type: 'u64' },
} as const;
const ENTRY4 = defineLayout({ ...NAT_ENTRY, toAddress: { offset: 32, type: 'ipv4' }, toPort: { offset: 36, type: 'be16' } }, 40);
const ENTRY6 = defineLayout({ ...NAT_ENTRY, toAddress: { offset: 32, type: 'ipv6' }, toPort: { offset: 48, type: 'be16' } }, 56);

export const NAT4_LAYOUTS: readonly MapLayout[] = [
  { since: 14, until: 20, map: 'cilium_snat_v4_external', name: 'ipv4_ct_tuple / ipv4_nat_entry', keySize: TUPLE4.size, valueSize: ENTRY4.size, key: TUPLE4, value: ENTRY4 },
];
export const NAT6_LAYOUTS: readonly MapLayout[] = [
  { since: 14, until: 20, map: 'cilium_snat_v6_external', name: 'ipv6_ct_tuple / ipv6_nat_entry', keySize: TUPLE6.size, valueSize: ENTRY6.size, key: TUPLE6, value: ENTRY6 },
];

/**
 * The tuple as stored, with the conntrack maps' conventions; `direction` 'out' is the egress tuple,
 * translated to a new source, 'in' the reply tuple, translated back.
 */
export interface NatRecord extends FlowTuple {
  /** The address and port the datapath writes: the new source (out) or the original destination (in). */
  toAddress: string;
  toPort: number;
  /** bpf_mono_now() when the entry was made: seconds or jiffies of the kernel's monotonic clock, as the agent's datapath is built. */
  created: bigint;
  /** Whether the flow also needs a conntrack entry (bit 0 of needs_ct). */
  needsCt: boolean;
}

type Tuple = Decoded<typeof TUPLE4.fields>;
type Entry = Decoded<typeof ENTRY4.fields>;

/** Decodes packed NAT keys and values; the family follows the key size (14: IPv4, 38: IPv6). */
export function decodeNat(keys: Buffer, values: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<NatRecord> {
  const { keys: ks, values: vs, minor, used, family } = decodeFamilyPairs<Tuple, Entry>('nat', { 4: NAT4_LAYOUTS, 6: NAT6_LAYOUTS }, 'key', TUPLE6.size, keys, values, count, options);
  const prototype = recordPrototype(minor);
  return withLayout(ks.map((k, i): NatRecord => ({
    __proto__: prototype,
    ...flowTupleOf(k, family),
    toAddress: vs[i].toAddress,
    toPort: vs[i].toPort,
    created: vs[i].created,
    needsCt: (vs[i].needsCt & 1n) !== 0n,
  }) as WithPrototype<NatRecord>), used);
}

export type NatEntry = Omit<NatRecord, 'family' | 'created' | 'needsCt'> & { created?: bigint; needsCt?: boolean };

/** Packs entries of one family into NAT keys and values. */
export function encodeNat(entries: readonly NatEntry[], options: { version?: string; family?: IpFamily } = {}): PackedEntries {
  const { family = 4, ...rest } = options;
  const row = rowFor(checkFamily(family) === 6 ? NAT6_LAYOUTS : NAT4_LAYOUTS, encodeVersion(rest, 'cilium nat encode options'));
  return encodePairs(row, entries.map((e) => {
    const { toAddress, toPort, created = 0n, needsCt = false } = e;
    return [tupleKey(e), { toAddress, toPort, created, needsCt: needsCt ? 1n : 0n }] as const;
  }));
}

/** The maps `cilium-dbg bpf nat list` reads, IPv4 then IPv6; with a cluster id, `list cluster <id>`'s. */
function natMaps(clusterId?: number): [string, string] {
  if (clusterId === undefined) return [NAT4_LAYOUTS[0].map, NAT6_LAYOUTS[0].map];
  return [perClusterNatMapNames(4, clusterId).inner, perClusterNatMapNames(6, clusterId).inner];
}

/** An address and port as the key's and the entry's Dump print them: IPv6 in brackets. */
function hostPort(r: NatRecord, address: string, port: number, minor: Minor): string {
  // types.IPv{4,6} print through net.IP up to 1.19, netip.Addr after.
  const text = goIpText(address, minor >= 20);
  return r.family === 'ipv6' ? `[${text}]:${port}` : `${text}:${port}`;
}

/** One entry's line: the key's Dump, then the entry's, `Created=` through the clock when there is one. */
function natLine(r: NatRecord, minor: Minor, clock: CiliumClock | undefined): string {
  if (r.protocol === 0) return '';
  const [direction, which] = r.direction === 'in' ? ['IN', 'DST'] : ['OUT', 'SRC'];
  const created = clock ? `${secondsBetween(clock, r.created, clock.now)}sec ago` : `? (raw ${r.created})`;
  return `${protocolName(r.protocol, minor)} ${direction} ${hostPort(r, r.saddr, r.sport, minor)} -> ${hostPort(r, r.daddr, r.dport, minor)} ` +
    `XLATE_${which} ${hostPort(r, r.toAddress, r.toPort, minor)} Created=${created} NeedsCT=${r.needsCt ? 1 : 0}\n`;
}

/**
 * What `cilium-dbg bpf nat list` of that version prints: the IPv4 map's entries, then the IPv6
 * map's, each in the order given and followed by an empty line; entries of protocol 0 are left out,
 * as it leaves them out. A map with no records prints its empty line only when its family is in
 * `families` (those whose maps were read). `Created=` is `Nsec ago` against `clock`
 * (`cilium.clock()`, or one made by hand), and `? (raw N)` without one, as Cilium's DumpEntries prints
 * it (cilium-dbg itself exits when it finds no clock source). With `cluster`, `list cluster <id>` of
 * the records `cilium.nat({ cluster })` reads: the same text (the records do not say their map, so
 * the cluster names the maps). The version as formatVersion picks it.
 */
export function formatNat(records: readonly NatRecord[], options?: { version?: string; families?: readonly IpFamily[]; clock?: CiliumClock; cluster?: number }): string {
  const { families = [], clock: givenClock, cluster, ...versionOption } = options ?? {};
  const minor = formatVersion(records, versionOption, 'cilium.format.nat');
  const clock = checkClock(givenClock, 'cilium.format.nat');
  const maps = natMaps(cluster === undefined ? undefined : checkClusterId(cluster, 'cilium.format.nat'));
  return mapByMap('nat', maps, (f) => [maps[f === 6 ? 1 : 0]], families, records, (r) => maps[r.family === 'ipv6' ? 1 : 0], (r) => natLine(r, minor, clock));
}
