// Egress gateway policies: `cilium_egress_gw_policy_v4`, an LPM trie from (pod source, destination
// CIDR) to the gateway node that forwards the traffic and the address it leaves with
// (`cilium-dbg bpf egress list`).
//
// Cilium versions → key/value layout (the same from 1.14 to 1.20-dev):
//
//   key   struct egress_gw_policy_key, 12 B: prefixlen u32 @0 (32 for the source, then the
//         destination's prefix length), saddr be32 @4, daddr be32 @8
//   value struct egress_gw_policy_entry, 8 B: egress_ip be32 @0, gateway_ip be32 @4
// (Not in cilium-maps.md; read from the struct in Cilium's bpf/lib across versions.)
import { defineLayout, type Decoded } from '../layout';
import { decodePairs, encodePairs, encodeVersion, rowFor, type DecodeOptions, type MapLayout, type PackedEntries } from './codec';
import { withLayout, type CiliumRecords } from './version';

const KEY = defineLayout({
  prefixlen: { offset: 0, type: 'u32' },
  sourceIp: { offset: 4, type: 'ipv4' },
  destination: { offset: 8, type: 'ipv4' },
}, 12);
const VALUE = defineLayout({
  egressIp: { offset: 0, type: 'ipv4' },
  gatewayIp: { offset: 4, type: 'ipv4' },
}, 8);

export const EGRESS_LAYOUTS: readonly MapLayout[] = [
  { since: 14, until: 20, map: 'cilium_egress_gw_policy_v4', name: 'egress_gw_policy_key / egress_gw_policy_entry', keySize: 12, valueSize: 8, key: KEY, value: VALUE },
];

/** The source address is matched whole: the trie's prefix covers it, then the destination's bits. */
const SOURCE_BITS = 32;

export interface EgressRecord {
  /** The pod's address the policy applies to. */
  sourceIp: string;
  /** The destination CIDR ('0.0.0.0/0' for everything). */
  destinationCidr: string;
  /** The address the traffic leaves the cluster with (on the gateway node); 0.0.0.0 when the gateway has none yet. */
  egressIp: string;
  /** The gateway node, or one of the agent's markers: 0.0.0.0 (no gateway node found), 0.0.0.1 (an excluded CIDR). */
  gatewayIp: string;
}

export function decodeEgress(keys: Buffer, values: Buffer, count: number, options?: DecodeOptions): CiliumRecords<EgressRecord> {
  const { keys: ks, values: vs, used } = decodePairs<Decoded<typeof KEY.fields>, Decoded<typeof VALUE.fields>>('egress', EGRESS_LAYOUTS, keys, values, count, options);
  return withLayout(ks.map((k, i): EgressRecord => ({
    sourceIp: k.sourceIp,
    destinationCidr: `${k.destination}/${Math.max(0, Math.min(32, k.prefixlen - SOURCE_BITS))}`,
    egressIp: vs[i].egressIp,
    gatewayIp: vs[i].gatewayIp,
  })), used);
}

export function encodeEgress(entries: readonly EgressRecord[], options?: { version?: string }): PackedEntries {
  const row = rowFor(EGRESS_LAYOUTS, encodeVersion(options, 'cilium egress encode options'));
  return encodePairs(row, entries.map(({ sourceIp, destinationCidr, egressIp, gatewayIp }) => {
    const [destination, bits = '32'] = destinationCidr.split('/');
    const length = Number(bits);
    if (!Number.isInteger(length) || length < 0 || length > 32) throw new RangeError(`not an IPv4 CIDR: '${destinationCidr}'`);
    return [{ prefixlen: SOURCE_BITS + length, sourceIp, destination }, { egressIp, gatewayIp }] as const;
  }));
}
