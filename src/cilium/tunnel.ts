// The tunnel map: for each remote node's pod CIDR, the node to tunnel the traffic to and the IPsec
// key it is encrypted with (`cilium-dbg bpf tunnel list`, 1.14–1.17).
//
// Cilium versions → key/value layout (cilium_tunnel_map, a hash of 65536 entries the agent creates
// with flags 0 at start in tunnel routing mode, and unpins in native routing):
//
//   key   struct tunnel_key, 20 B (packed): a union @0 of ip4 be32 (+ 12 B padding) and ip6 v6addr
//         (the pod CIDR's address, without its length), family u8 @16 (1 IPv4, 2 IPv6), then
//     1.14       cluster_id u8 @17, pad u16 @18
//     1.15–1.17  pad u8 @17, cluster_id u16 @18 (cluster ids up to 511)
//   value struct tunnel_value, 20 B (packed): the same union @0 (the node's address), family u8 @16,
//         key u8 @17 (the IPsec key index, the SPI; 0 without IPsec), pad u16 @18
//   1.18+: no map. The ipcache carries each pod CIDR's tunnel endpoint (and from 1.18 the datapath
//         reads only that); the 1.18 agent unpins a cilium_tunnel_map left by an older one at start
//         (daemon/cmd/datapath.go) and cilium-dbg lost the command (cilium/cilium 65dd9dd6f0,
//         17bc606ea7). The reader reports the map missing (ENOENT) for 1.18 and newer.
// (Read from bpf/lib/common.h, bpf/lib/maps.h (1.14–1.15) and encap.h (1.16–1.17), pkg/maps/tunnel/tunnel.go
// and cilium-dbg/cmd/bpf_tunnel_list.go (cilium/cmd/ in 1.14) of each version.)
import { defineLayout, type Decoded } from '../layout';
import { decodePairs, encodePairs, encodeVersion, rowFor, type DecodeOptions, type MapLayout, type PackedEntries } from './codec';
import { parsePrefix } from './ipcache';
import { FAMILY_IPV4, familyName, goIpText, tablePrinter, type Family } from './text';
import { formatVersion, withLayout, type CiliumRecords } from './version';

/** The address union and its family, the first 17 bytes of both structs. */
const ADDRESS = {
  ip4: { offset: 0, type: 'ipv4' },
  ip6: { offset: 0, type: 'ipv6' },
  family: { offset: 16, type: 'u8' },
} as const;
const KEY_14 = defineLayout({ ...ADDRESS, clusterId: { offset: 17, type: 'u8' } }, 20);
const KEY = defineLayout({ ...ADDRESS, clusterId: { offset: 18, type: 'u16' } }, 20);
const VALUE = defineLayout({ ...ADDRESS, encryptKey: { offset: 17, type: 'u8' } }, 20);

/** The sizes are the same in every version: a reader without a version decodes as 1.17. */
export const TUNNEL_LAYOUTS: readonly MapLayout[] = [
  { since: 15, until: 17, map: 'cilium_tunnel_map', name: 'tunnel_key (u16 cluster_id) / tunnel_value', keySize: 20, valueSize: 20, key: KEY, value: VALUE },
  { since: 14, until: 14, map: 'cilium_tunnel_map', name: 'tunnel_key (u8 cluster_id) / tunnel_value', keySize: 20, valueSize: 20, key: KEY_14, value: VALUE },
];

export interface TunnelRecord {
  /** The address of a remote node's pod CIDR (its network address; the map keeps no length). */
  ip: string;
  /** The key's family; undefined for another value (ip is then its 16 bytes as an IPv6 address). */
  family: Family | undefined;
  /** The cluster of the pod CIDR (0: this cluster; up to 255 in 1.14, 511 after). */
  clusterId: number;
  /** The node the traffic is tunneled to. */
  endpoint: string;
  /** The value's family, as the key's. */
  endpointFamily: Family | undefined;
  /** The IPsec key index (SPI) the traffic is encrypted with; 0 without IPsec. */
  encryptKey: number;
}

/** What encodeTunnel packs: the families follow the addresses (IPv4-mapped IPv6 as IPv4); clusterId and encryptKey default to 0. */
export interface TunnelEntry {
  ip: string;
  clusterId?: number;
  endpoint: string;
  encryptKey?: number;
}

type Address = Decoded<typeof KEY.fields>;
type Value = Decoded<typeof VALUE.fields>;

const addressOf = (a: { family: number; ip4: string; ip6: string }) => (a.family === FAMILY_IPV4 ? a.ip4 : a.ip6);

/** Decodes packed tunnel map entries; 1.14 and 1.15+ keys differ in where the cluster id is, which only the version tells. */
export function decodeTunnel(keys: Buffer, values: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<TunnelRecord> {
  const { keys: ks, values: vs, used } = decodePairs<Address, Value>('tunnel', TUNNEL_LAYOUTS, keys, values, count, options);
  return withLayout(ks.map((k, i): TunnelRecord => ({
    ip: addressOf(k),
    family: familyName(k.family),
    clusterId: k.clusterId,
    endpoint: addressOf(vs[i]),
    endpointFamily: familyName(vs[i].family),
    encryptKey: vs[i].encryptKey,
  })), used);
}

/**
 * An address as the union and family of tunnel_key / tunnel_value. An IPv4-mapped IPv6 address
 * packs as IPv4, as the agent's newTunnelIP does (net.IP.To4), so that the datapath's IPv4 lookup finds it.
 */
function packAddress(ip: string, what: string): { family: number; ip4?: string; ip6?: string } {
  const { family, address, ip: bytes } = parsePrefix(ip);
  if (address !== ip) throw new RangeError(`cilium tunnel: ${what} is not an IP address: '${ip}'`);
  if (family === FAMILY_IPV4) return { family, ip4: address };
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? { family: FAMILY_IPV4, ip4: bytes.subarray(12).join('.') } : { family, ip6: address };
}

/**
 * The largest cluster id the agent writes into the map (newTunnelKey refuses a larger one):
 * cmtypes.ClusterIDMax, 255 in 1.14 and, from 1.15, 255 or 511 with max-connected-clusters=511.
 */
const clusterIdMax = (row: MapLayout) => (row.since === 14 ? 255 : 511);

/** Packs tunnel map entries with the version's key (1.14: a u8 cluster id), as the agent would. */
export function encodeTunnel(entries: readonly TunnelEntry[], options: { version?: string } = {}): PackedEntries {
  const row = rowFor(TUNNEL_LAYOUTS, encodeVersion(options, 'cilium tunnel encode options'));
  return encodePairs(row, entries.map(({ ip, clusterId = 0, endpoint, encryptKey = 0 }) => {
    if (typeof clusterId === 'number' && clusterId > clusterIdMax(row)) {
      throw new RangeError(`cilium tunnel: cluster id ${clusterId} is above ${clusterIdMax(row)}, the largest the agent writes (${row.name})`);
    }
    return [{ ...packAddress(ip, 'ip'), clusterId }, { ...packAddress(endpoint, 'endpoint'), encryptKey }] as const;
  }));
}

/**
 * `TunnelKey.String()`: the address (netip, unmapped: an IPv4-mapped key dotted) with `@<cluster>`
 * when the cluster id is not 0; `nil` for a key of neither family.
 */
function keyText(r: TunnelRecord): string {
  if (r.family === undefined) return 'nil';
  return r.clusterId === 0 ? goIpText(r.ip, false) : `${goIpText(r.ip, false)}@${r.clusterId}`;
}

/** `TunnelValue.String()`: `<net.IP>:<key>`, `nil` for a value of neither family. */
function valueText(r: TunnelRecord): string {
  return r.endpointFamily === undefined ? 'nil' : `${goIpText(r.endpoint, false)}:${r.encryptKey}`;
}

/**
 * `cilium-dbg bpf tunnel list` (1.14: `cilium bpf tunnel list`): the map's dump through
 * TablePrinter under TUNNEL and VALUE, rows sorted where cilium-dbg prints Go's map order (keys
 * that print the same, `nil`, share a row's key); the header alone for none, as the command has no
 * empty-map message. The same text in 1.14–1.17 (the version only moves the cluster id in the
 * key); 1.18 removed the command and the map, and other versions print as 1.17. Read from
 * bpf_tunnel_list.go and pkg/maps/tunnel's TunnelKey/TunnelValue String().
 */
export function formatTunnel(records: readonly TunnelRecord[], options?: { version?: string }): string {
  formatVersion(records, options, 'cilium.format.tunnel');
  return tablePrinter('TUNNEL', 'VALUE', records.map((r) => [keyText(r), valueText(r)] as const));
}
