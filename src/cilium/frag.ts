// Fragment tracking: the L4 ports of datagrams whose first fragment was seen, by datagram, so
// that later fragments (which carry no L4 header) can be matched (`cilium-dbg bpf frag list`).
//
// Maps, key/value layouts (LRU hashes of --bpf-fragments-map-max entries, 8192; the agent creates
// them with flags 0, and the datapath's LRU_MEM_FLAVOR, 1.18+, is 0 unless NO_COMMON_MEM_MAPS):
//
//   cilium_ipv4_frag_datagrams, 1.14–1.20-dev
//     key   struct ipv4_frag_id, 12 B (packed): daddr be32 @0, saddr be32 @4, id be16 @8 (the IP
//           header's identification), proto u8 @10, pad
//     value struct ipv4_frag_l4ports, 4 B (packed): sport be16 @0, dport be16 @2
//   cilium_ipv6_frag_datagrams, 1.18+
//     key   struct ipv6_frag_id, 40 B (packed): id be32 @0 (the fragment header's), proto u8 @4,
//           pad[3], saddr v6addr @8, daddr v6addr @24
//     value struct ipv6_frag_l4ports, 4 B: as IPv4's
// Read from bpf/lib/ipv4.h, bpf/lib/ipv6.h and pkg/maps/fragmap/fragmap.go.
import { defineLayout, type Decoded } from '../layout';
import { decodeFamilyPairs, encodePairs, familyRow, type DecodeOptions, type IpFamily, type MapLayout, type PackedEntries } from './codec';
import { swap16 } from './lb';
import { protocolName } from './tables';
import { columns, goIpText } from './text';
import { formatVersion, withLayout, type CiliumRecords } from './version';

const KEY4 = defineLayout({
  destinationIp: { offset: 0, type: 'ipv4' },
  sourceIp: { offset: 4, type: 'ipv4' },
  id: { offset: 8, type: 'be16' },
  protocol: { offset: 10, type: 'u8' },
}, 12);
const KEY6 = defineLayout({
  id: { offset: 0, type: 'be32' },
  protocol: { offset: 4, type: 'u8' },
  sourceIp: { offset: 8, type: 'ipv6' },
  destinationIp: { offset: 24, type: 'ipv6' },
}, 40);
const PORTS = defineLayout({
  sourcePort: { offset: 0, type: 'be16' },
  destinationPort: { offset: 2, type: 'be16' },
}, 4);

export const FRAG_LAYOUTS: readonly MapLayout[] = [
  { since: 14, until: 20, map: 'cilium_ipv4_frag_datagrams', name: 'ipv4_frag_id / ipv4_frag_l4ports', keySize: 12, valueSize: 4, key: KEY4, value: PORTS },
];
/** The IPv6 map came with 1.18: the readers report it missing (ENOENT) for older versions. */
export const FRAG6_LAYOUTS: readonly MapLayout[] = [
  { since: 18, until: 20, map: 'cilium_ipv6_frag_datagrams', name: 'ipv6_frag_id / ipv6_frag_l4ports', keySize: 40, valueSize: 4, key: KEY6, value: PORTS },
];

export interface FragRecord {
  /** The datagram's identification (IPv4: 16 bits, IPv6: 32), in host order. */
  id: number;
  /** The IP protocol of the datagram (6 TCP, 17 UDP, …). */
  protocol: number;
  sourceIp: string;
  destinationIp: string;
  /** The L4 ports of the first fragment, in host order. */
  sourcePort: number;
  destinationPort: number;
}

type Key = Decoded<typeof KEY4.fields>;
type Ports = Decoded<typeof PORTS.fields>;

/** Decodes packed fragment entries; the family follows the key size (12: IPv4, 40: IPv6). */
export function decodeFrag(keys: Buffer, values: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<FragRecord> {
  const { keys: ks, values: vs, used } = decodeFamilyPairs<Key, Ports>('frag', { 4: FRAG_LAYOUTS, 6: FRAG6_LAYOUTS }, 'key', KEY6.size, keys, values, count, options);
  return withLayout(ks.map((k, i): FragRecord => ({
    id: k.id, protocol: k.protocol, sourceIp: k.sourceIp, destinationIp: k.destinationIp, sourcePort: vs[i].sourcePort, destinationPort: vs[i].destinationPort,
  })), used);
}

/** Packs fragment entries of one family (`family: 6` for the IPv6 map, 1.18+). */
export function encodeFrag(entries: readonly FragRecord[], options: { version?: string; family?: IpFamily } = {}): PackedEntries {
  const { row } = familyRow({ 4: FRAG_LAYOUTS, 6: FRAG6_LAYOUTS }, options, 'cilium frag encode options');
  return encodePairs(row, entries.map(({ id, protocol, sourceIp, destinationIp, sourcePort, destinationPort }) =>
    [{ id, protocol, sourceIp, destinationIp }, { sourcePort, destinationPort }] as const));
}

/** The first version whose cilium-dbg lists fragments, and the first that turns the IPv4 id to host order. */
const LIST_SINCE = 17;
const HOST_ORDER_ID_SINCE = 18;
/** The first version that prints addresses as netip.Addr (IPv4-mapped IPv6 undotted). */
const NETIP_SINCE = 20;

/**
 * `cilium-dbg bpf frag list`: Go's tabwriter over ID, PROTO, SOURCE ADDRESS:PORT and DEST
 * ADDRESS:PORT, the records in the order given (cilium-dbg prints the IPv4 map's, then, from 1.18,
 * the IPv6 map's, in the kernel's order); `No entries found.` (on stderr) for none. As cilium-dbg
 * on a little-endian host prints them: the ports byte-swapped (its FragmentValue reads the be16
 * ports as host-order uint16s), so is the IPv4 id up to 1.17 (1.18 turns it to host order);
 * an IPv6 source as `addr:port`, its destination as `[addr]:port`. The command came with 1.17:
 * older versions, which have the map but no command, print as 1.17. Read from
 * cilium-dbg/cmd/bpf_frag_list.go and pkg/maps/fragmap/fragmap.go of 1.17 to 1.20-dev.
 */
export function formatFrag(records: readonly FragRecord[], options?: { version?: string }): string {
  const minor = Math.max(LIST_SINCE, formatVersion(records, options, 'cilium.format.frag'));
  if (records.length === 0) return 'No entries found.\n';
  return columns(['ID', 'PROTO', 'SOURCE ADDRESS:PORT', 'DEST ADDRESS:PORT'], records.map((r) => {
    const six = r.sourceIp.includes(':');
    const ip = (address: string) => goIpText(address, minor >= NETIP_SINCE);
    const id = six || minor >= HOST_ORDER_ID_SINCE ? r.id : swap16(r.id);
    return [
      String(id), protocolName(r.protocol, minor),
      `${ip(r.sourceIp)}:${swap16(r.sourcePort)}`,
      six ? `[${ip(r.destinationIp)}]:${swap16(r.destinationPort)}` : `${r.destinationIp}:${swap16(r.destinationPort)}`,
    ];
  }));
}
