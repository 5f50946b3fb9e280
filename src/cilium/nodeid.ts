// The node map: the id the datapath gives each node IP (the remote node id of auth entries, and
// with IPsec the SPI that node's key has) (`cilium-dbg bpf nodeid list`).
//
// Cilium versions → map, key/value layout (one key struct in every version):
//
//   key   struct node_key, 20 B: pad1 u16 @0, pad2 u8 @2, family u8 @3 (1 IPv4, 2 IPv6), then a
//         union @4 of ip4 be32 (+ 12 B padding) and ip6 v6addr
//   1.14–1.15  cilium_node_map     value u16 node id, 2 B
//   1.16–1.20  cilium_node_map_v2  value struct node_value, 4 B: id u16 @0, spi u8 @2, pad u8 @3
//
// The datapath of 1.16 on reads only the v2 map (bpf/lib/auth.h, encrypt.h: NODE_MAP_V2). The
// agents of 1.16 and 1.17 still create cilium_node_map and copy it into the v2 map once; 1.18
// unpins it (pkg/maps/nodemap migrateV1) and 1.19 no longer knows it. The reader therefore reads
// cilium_node_map_v2 from 1.16, cilium_node_map before, and both names (v2 first) without a version.
// cilium-dbg reads the same maps: LoadNodeMap() up to 1.15, LoadNodeMapV2() from 1.16.
// (Read from bpf/lib/maps.h (1.14–1.17), common.h (1.16–1.18), node.h (1.18+), and
// pkg/maps/nodemap/node_map{,_v2}.go.)
import { defineLayout, type Decoded } from '../layout';
import { decodePairs, encodePairs, encodeVersion, rowFor, type DecodeOptions, type MapLayout, type PackedEntries } from './codec';
import { parsePrefix } from './ipcache';
import { FAMILY_IPV4, FAMILY_IPV6, familyName, goIpText, listing, type Family } from './text';
import { formatVersion, withLayout, type CiliumRecords, type Minor } from './version';

const KEY = defineLayout({
  family: { offset: 3, type: 'u8' },
  ip4: { offset: 4, type: 'ipv4' },
  ip6: { offset: 4, type: 'ipv6' },
}, 20);
const VALUE = defineLayout({ nodeId: { offset: 0, type: 'u16' } }, 2);
const VALUE_V2 = defineLayout({ nodeId: { offset: 0, type: 'u16' }, spi: { offset: 2, type: 'u8' } }, 4);

/** The first version whose datapath reads cilium_node_map_v2 (and whose cilium-dbg prints the SPI). */
const NODE_MAP_V2_SINCE: Minor = 16;

/** The map each version's datapath reads, the newest first. */
export const NODE_ID_LAYOUTS: readonly MapLayout[] = [
  { since: NODE_MAP_V2_SINCE, until: 20, map: 'cilium_node_map_v2', name: 'node_key / node_value', keySize: 20, valueSize: 4, key: KEY, value: VALUE_V2 },
  { since: 14, until: NODE_MAP_V2_SINCE - 1, map: 'cilium_node_map', name: 'node_key / u16 node id', keySize: 20, valueSize: 2, key: KEY, value: VALUE },
];

export interface NodeIdRecord {
  /** The node's address. */
  ip: string;
  /** undefined for a key of another family (ip is then its 16 bytes as an IPv6 address). */
  family: Family | undefined;
  nodeId: number;
  /** The SPI of the node's IPsec key (0 without IPsec): cilium_node_map_v2 (1.16+); undefined in cilium_node_map. */
  spi?: number;
}

/** What encodeNodeIds packs: the family follows the address. */
export type NodeIdEntry = Omit<NodeIdRecord, 'family'>;

type Key = Decoded<typeof KEY.fields>;
type Value = Decoded<typeof VALUE.fields> & { spi?: number };

/** Decodes packed node map entries; the value size (2 or 4) tells the two maps apart. */
export function decodeNodeIds(keys: Buffer, values: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<NodeIdRecord> {
  const { keys: ks, values: vs, used } = decodePairs<Key, Value>('nodeIds', NODE_ID_LAYOUTS, keys, values, count, options);
  return withLayout(ks.map((k, i): NodeIdRecord => ({
    ip: k.family === FAMILY_IPV4 ? k.ip4 : k.ip6,
    family: familyName(k.family),
    nodeId: vs[i].nodeId,
    spi: vs[i].spi,
  })), used);
}

/** Packs node ids into the map of the version (cilium_node_map_v2 from 1.16, where the SPI is kept). */
export function encodeNodeIds(entries: readonly NodeIdEntry[], options: { version?: string } = {}): PackedEntries {
  const row = rowFor(NODE_ID_LAYOUTS, encodeVersion(options, 'cilium nodeIds encode options'));
  return encodePairs(row, entries.map(({ ip, nodeId, spi = 0 }) => {
    const { family, address } = parsePrefix(ip);
    if (address !== ip) throw new RangeError(`cilium nodeIds: not an IP address: '${ip}'`);
    return [family === FAMILY_IPV6 ? { family, ip6: address } : { family, ip4: address }, { nodeId, spi }] as const;
  }));
}

/**
 * `NodeKey`'s address as cilium-dbg prints it: IPv4 dotted; otherwise the 16 bytes, with Go's
 * net.IP up to 1.19 (an IPv4-mapped address dotted), netip from 1.20, where a key of neither family
 * is `<unknown>`.
 */
function addressText(r: NodeIdRecord, minor: Minor): string {
  if (r.family === 'ipv4') return r.ip;
  if (r.family === undefined && minor >= 20) return '<unknown>';
  return goIpText(r.ip, minor >= 20);
}

/**
 * `cilium-dbg bpf nodeid list` of that version (1.14: `cilium bpf nodeid list`): Go's tabwriter
 * over NODE ID (`0x%x`) and IP ADDRESSES, and from 1.16 SPI, in the order given (the kernel's);
 * `No entries found.` for none, on stderr. Read from cilium-dbg/cmd/bpf_nodeid_list.go.
 */
export function formatNodeIds(records: readonly NodeIdRecord[], options?: { version?: string }): string {
  const minor = formatVersion(records, options, 'cilium.format.nodeIds');
  const header = minor >= NODE_MAP_V2_SINCE ? ['NODE ID', 'IP ADDRESSES', 'SPI'] : ['NODE ID', 'IP ADDRESSES'];
  return listing<NodeIdRecord>('nodeIds', header, (r) => {
    const cells = [`0x${r.nodeId.toString(16)}`, addressText(r, minor)];
    return minor >= NODE_MAP_V2_SINCE ? [...cells, String(r.spi ?? 0)] : cells;
  })(records);
}
