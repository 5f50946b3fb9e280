// Service source ranges: the CIDRs a LoadBalancer service's loadBalancerSourceRanges admit (or,
// with the 1.17+ deny flag, refuse), one LPM trie per family keyed by the service's rev-NAT index
// and the client address (`cilium-dbg bpf lb list --source-ranges`). The agent creates the maps
// with --enable-svc-source-range-check (on by default), the datapath looks a client up under the
// service's index when the service entry has SVC_FLAG_SOURCE_RANGE.
//
// Cilium versions → map, key/value layout (1.14–1.20-dev, unchanged):
//
//   cilium_lb4_source_range  LPM trie, key struct lb4_src_range_key, 12 B: lpm_key.prefixlen u32 @0
//                            (32 for the index and the pad, then the address's bits), rev_nat_id
//                            be16 @4 (the agent's ToNetwork() swaps it, as everywhere in the LB
//                            maps), pad u16 @6, addr be32 @8; value __u8, always 0
//   cilium_lb6_source_range  key struct lb6_src_range_key, 24 B: as above, addr v6addr @8; value __u8
// Both BPF_F_NO_PREALLOC (LPM tries must be), from 1.20 BPF_F_RDONLY_PROG too (the agent's
// NewSourceRange4Map; BPF_F_RDONLY_PROG_COND in bpf/lib/lb.h); --bpf-lb-source-range-map-max
// entries, by default the LB maps' 65536. Not in cilium-maps.md: read from bpf/lib/common.h (up to
// 1.18) and bpf/lib/lb.h (1.19+), pkg/maps/lbmap/source_range.go (1.14–1.17) and
// pkg/loadbalancer/maps/types.go (1.18+).
//
// What cilium-dbg prints of a key (`SourceRangeKey{4,6}.String()`, `<prefix> (<rev-NAT index>)`)
// changed once: up to 1.19 the prefix is a net.IPNet's String(), which prints an IPv4-mapped IPv6
// address dotted with the mask's last 32 bits (`::ffff:10.0.0.0/104` reads `10.0.0.0/8`); 1.20's
// netip.Prefix prints it as stored. Neither masks the address: a key holds it as the agent wrote it.
import { defineLayout, type Decoded } from '../layout';
import { decodeFamilyPairs, encodePairs, familyRow, type DecodeOptions, type IpFamily, type MapLayout, type PackedEntries } from './codec';
import { ADDRESS_BITS, cidrOf, parseCidr } from './prefix';
import { tablePrinter } from './text';
import { formatVersion, recordPrototype, withLayout, type CiliumRecords, type Minor, type WithPrototype } from './version';

/** The rev-NAT index and the pad ahead of the address: bits the trie always matches. */
const INDEX_BITS = 32;

function sourceRangeKey(family: IpFamily) {
  return defineLayout({
    prefixlen: { offset: 0, type: 'u32' },
    revNatIndex: { offset: 4, type: 'be16' },
    address: { offset: 8, type: family === 4 ? 'ipv4' : 'ipv6' },
  }, family === 4 ? 12 : 24);
}
/** The u8 nothing reads: the trie's match is the answer. */
const VALUE = defineLayout({ unused: { offset: 0, type: 'u8' } }, 1);

function sourceRangeLayouts(family: IpFamily): MapLayout[] {
  const key = sourceRangeKey(family);
  return [{ since: 14, until: 20, map: `cilium_lb${family}_source_range`, name: `lb${family}_src_range_key / u8`, keySize: key.size, valueSize: 1, key, value: VALUE }];
}

export const SOURCE_RANGE_LAYOUTS: readonly MapLayout[] = sourceRangeLayouts(4);
export const SOURCE_RANGE6_LAYOUTS: readonly MapLayout[] = sourceRangeLayouts(6);

export interface SourceRangeRecord {
  /** The service's rev-NAT index (its ID in `cilium-dbg service list`). */
  revNatIndex: number;
  /** The source range, `address/bits`, the address as stored (not masked). */
  cidr: string;
}

type Key = Decoded<ReturnType<typeof sourceRangeKey>['fields']>;

/** Decodes packed source ranges; the family follows the key size (12: IPv4, 24: IPv6). */
export function decodeSourceRanges(keys: Buffer, values: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<SourceRangeRecord> {
  const { keys: ks, used, minor, family } = decodeFamilyPairs<Key, unknown>('source range', { 4: SOURCE_RANGE_LAYOUTS, 6: SOURCE_RANGE6_LAYOUTS }, 'key', 24, keys, values, count, options);
  const prototype = recordPrototype(minor);
  return withLayout(ks.map((k) => ({
    __proto__: prototype,
    revNatIndex: k.revNatIndex,
    cidr: cidrOf(k.address, k.prefixlen, INDEX_BITS, family),
  }) as WithPrototype<SourceRangeRecord>), used);
}

/** Packs source ranges of one family (`family: 6` for the IPv6 map), with the value 0 the agent writes. */
export function encodeSourceRanges(entries: readonly SourceRangeRecord[], options: { version?: string; family?: IpFamily } = {}): PackedEntries {
  const { row, family } = familyRow({ 4: SOURCE_RANGE_LAYOUTS, 6: SOURCE_RANGE6_LAYOUTS }, options, 'cilium source range encode options');
  return encodePairs(row, entries.map(({ revNatIndex, cidr }) => {
    const [address, bits] = parseCidr(cidr, family);
    return [{ prefixlen: INDEX_BITS + bits, revNatIndex, address }, { unused: 0 }] as const;
  }));
}

/** The first version whose keys print their prefix as a netip.Prefix. */
const NETIP_PREFIX_SINCE: Minor = 20;
const MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)\/(\d+)$/;

/** The prefix as that version's key String() prints it (see the top of this file). */
function prefixText(cidr: string, minor: Minor): string {
  const mapped = minor < NETIP_PREFIX_SINCE ? MAPPED.exec(cidr) : null;
  return mapped ? `${mapped[1]}/${Math.max(0, Number(mapped[2]) - (ADDRESS_BITS[6] - ADDRESS_BITS[4]))}` : cidr;
}

/**
 * What `cilium-dbg bpf lb list --source-ranges` of that version prints: both families' maps
 * through TablePrinter under SOURCE RANGE (REVNAT_ID) and an empty second title, each key as
 * `<prefix> (<rev-NAT index>)` with the value's String(), which is empty (rows sorted, see
 * tablePrinter). No entries: the header alone, as cilium-dbg prints it.
 */
export function formatSourceRanges(records: readonly SourceRangeRecord[], options?: { version?: string }): string {
  const minor = formatVersion(records, options, 'cilium.format.sourceRanges');
  return tablePrinter('SOURCE RANGE (REVNAT_ID)', '', records.map((r) => [`${prefixText(r.cidr, minor)} (${r.revNatIndex})`, ''] as const));
}
