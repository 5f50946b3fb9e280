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
import { defineLayout, type Decoded } from '../layout';
import { checkFamily, decodeFamilyPairs, encodePairs, encodeVersion, rowFor, type DecodeOptions, type IpFamily, type MapLayout, type PackedEntries } from './codec';
import { flowTupleOf, tupleKey, TUPLE4, TUPLE6, type FlowTuple } from './conntrack';
import { withLayout, type CiliumRecords } from './version';

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
  const { keys: ks, values: vs, used, family } = decodeFamilyPairs<Tuple, Entry>('nat', { 4: NAT4_LAYOUTS, 6: NAT6_LAYOUTS }, 'key', TUPLE6.size, keys, values, count, options);
  return withLayout(ks.map((k, i): NatRecord => ({
    ...flowTupleOf(k, family),
    toAddress: vs[i].toAddress,
    toPort: vs[i].toPort,
    created: vs[i].created,
    needsCt: (vs[i].needsCt & 1n) !== 0n,
  })), used);
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
