// Egress gateway policies: LPM tries from (pod source, destination CIDR) to the gateway node that
// forwards the traffic and the address it leaves with (`cilium-dbg bpf egress list`).
//
// Cilium versions → map, key/value layout:
//
//   IPv4, 1.14–1.20-dev: cilium_egress_gw_policy_v4
//     key   struct egress_gw_policy_key, 12 B: prefixlen u32 @0 (32 for the source, then the
//           destination's prefix length), saddr be32 @4, daddr be32 @8
//     value struct egress_gw_policy_entry, 8 B: egress_ip be32 @0, gateway_ip be32 @4
//   IPv4, 1.20-dev: cilium_egress_gw_policy_v4_v2, which the datapath looks up first (the old map
//     stays for upgrades and goes in 1.21: cilium/cilium PRs #45833, #46053)
//     key   as above
//     value struct egress_gw_policy_entry_v2, 28 B: egress_ip be32 @0, gateway_ip be32 @4,
//           reserved[3], egress_ifindex u32 @20, reserved2
//   IPv6, 1.18+ (cilium/cilium #40075): cilium_egress_gw_policy_v6
//     key   struct egress_gw_policy_key6, 36 B: prefixlen u32 @0 (128 for the source, then the
//           destination's), saddr v6addr @4, daddr v6addr @20
//     value struct egress_gw_policy_entry6, 40 B: egress_ip v6addr @0, gateway_ip be32 @16 (the
//           gateway node is reached over IPv4), reserved[3], egress_ifindex u32 @32, reserved2
// (Not in cilium-maps.md: the 8-, 36- and 40-byte structs read from Cilium's bpf/lib/egress_gateway.h,
// the 28-byte one from the PR that added it and an inventory of 1.20's maps.)
import { defineLayout, type Decoded } from '../layout';
import { decodeFamilyPairs, encodePairs, familyRow, type DecodeOptions, type IpFamily, type MapLayout, type PackedEntries } from './codec';
import { ADDRESS_BITS, cidrOf, parseCidr, SOURCE_DESTINATION_KEY4, SOURCE_DESTINATION_KEY6 } from './prefix';
import { listing } from './text';
import { withLayout, type CiliumRecords } from './version';

const KEY = SOURCE_DESTINATION_KEY4;
/** The first 8 bytes of both IPv4 entries. */
const ENTRY4 = {
  egressIp: { offset: 0, type: 'ipv4' },
  gatewayIp: { offset: 4, type: 'ipv4' },
} as const;
const VALUE = defineLayout(ENTRY4, 8);
const VALUE_V2 = defineLayout({ ...ENTRY4, egressIfindex: { offset: 20, type: 'u32' } }, 28);
const KEY6 = SOURCE_DESTINATION_KEY6;
const VALUE6 = defineLayout({
  egressIp: { offset: 0, type: 'ipv6' },
  gatewayIp: { offset: 16, type: 'ipv4' },
  egressIfindex: { offset: 32, type: 'u32' },
}, 40);

/** The IPv4 maps, the newest first: encoders and the fake node use the v2 map for 1.20. */
export const EGRESS_LAYOUTS: readonly MapLayout[] = [
  { since: 20, until: 20, map: 'cilium_egress_gw_policy_v4_v2', name: 'egress_gw_policy_key / egress_gw_policy_entry_v2', keySize: 12, valueSize: 28, key: KEY, value: VALUE_V2 },
  { since: 14, until: 20, map: 'cilium_egress_gw_policy_v4', name: 'egress_gw_policy_key / egress_gw_policy_entry', keySize: 12, valueSize: 8, key: KEY, value: VALUE },
];
export const EGRESS6_LAYOUTS: readonly MapLayout[] = [
  { since: 18, until: 20, map: 'cilium_egress_gw_policy_v6', name: 'egress_gw_policy_key6 / egress_gw_policy_entry6', keySize: 36, valueSize: 40, key: KEY6, value: VALUE6 },
];

export interface EgressRecord {
  /** The pod's address the policy applies to. */
  sourceIp: string;
  /** The destination CIDR ('0.0.0.0/0', '::/0' for everything). */
  destinationCidr: string;
  /** The address the traffic leaves the cluster with (on the gateway node); 0.0.0.0 (::) when the gateway has none yet. */
  egressIp: string;
  /** The gateway node (IPv4 in both families), or one of the agent's markers: 0.0.0.0 (no gateway node found), 0.0.0.1 (an excluded CIDR). */
  gatewayIp: string;
  /** The interface the gateway node sends the traffic out of (0: by route): IPv6 entries, and IPv4 ones of the 1.20 map; undefined in the older IPv4 map. */
  egressIfindex?: number;
}

type Key = Decoded<typeof KEY.fields>;
type Value = Decoded<typeof VALUE_V2.fields>;

/** Decodes packed egress policies; the family follows the key size (12: IPv4, 36: IPv6). */
export function decodeEgress(keys: Buffer, values: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<EgressRecord> {
  const { keys: ks, values: vs, used, family } = decodeFamilyPairs<Key, Value>('egress', { 4: EGRESS_LAYOUTS, 6: EGRESS6_LAYOUTS }, 'key', KEY6.size, keys, values, count, options);
  return withLayout(ks.map((k, i): EgressRecord => ({
    sourceIp: k.sourceIp,
    // The source address is matched whole: the trie's prefix covers it, then the destination's bits.
    destinationCidr: cidrOf(k.destination, k.prefixlen, ADDRESS_BITS[family], family),
    egressIp: vs[i].egressIp,
    gatewayIp: vs[i].gatewayIp,
    egressIfindex: vs[i].egressIfindex,
  })), used);
}

/** Packs policies of one family (`family: 6` for the IPv6 map) with the version's layout. */
export function encodeEgress(entries: readonly EgressRecord[], options: { version?: string; family?: IpFamily } = {}): PackedEntries {
  const { row, family } = familyRow({ 4: EGRESS_LAYOUTS, 6: EGRESS6_LAYOUTS }, options, 'cilium egress encode options');
  return encodePairs(row, entries.map(({ sourceIp, destinationCidr, egressIp, gatewayIp, egressIfindex = 0 }) => {
    const [destination, bits] = parseCidr(destinationCidr, family);
    return [{ prefixlen: ADDRESS_BITS[family] + bits, sourceIp, destination }, { egressIp, gatewayIp, egressIfindex }] as const;
  }));
}

/** The agent's gateway markers as cilium-dbg names them. */
const GATEWAY_MARKERS: Readonly<Record<string, string>> = { '0.0.0.0': 'Not Found', '0.0.0.1': 'Excluded CIDR' };

/**
 * `cilium-dbg bpf egress list`: Go's tabwriter over Source IP, Destination CIDR, Egress IP and
 * Gateway IP, with the gateway markers named ("Not Found", "Excluded CIDR"), the records in the
 * order given (cilium-dbg prints the IPv4 map's entries, then the IPv6 map's, in the kernel's
 * order, as `cilium.egress()` for each family returns them). `No entries found.` for none, which
 * cilium-dbg writes to stderr. Read from cilium-dbg/cmd/bpf_egress_list.go of a version with the
 * IPv6 map (1.18+); the columns are assumed the same before.
 */
export const formatEgress = listing<EgressRecord>('egress', ['Source IP', 'Destination CIDR', 'Egress IP', 'Gateway IP'],
  (r) => [r.sourceIp, r.destinationCidr, r.egressIp, GATEWAY_MARKERS[r.gatewayIp] ?? r.gatewayIp]);
