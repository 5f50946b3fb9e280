// The ip-masq-agent's maps: LPM tries of the CIDRs that pods' traffic is not masqueraded to
// (`cilium-dbg bpf ipmasq list`).
//
// Maps, key/value layouts (1.14–1.20-dev, unchanged; LPM tries of 16384 entries, BPF_F_NO_PREALLOC,
// from 1.19 also BPF_F_RDONLY_PROG):
//
//   cilium_ipmasq_v4  key struct lpm_v4_key, 8 B: prefixlen u32 @0, addr[4] @4
//                     value struct lpm_val, 1 B: flags u8 (unused: "just dummy for now")
//   cilium_ipmasq_v6  key struct lpm_v6_key, 20 B: prefixlen u32 @0, addr[16] @4; value lpm_val
// Read from bpf/lib/common.h, bpf/lib/nat.h (the names from 1.18; before, IP_MASQ_AGENT_IPV4/6,
// which the agent defines as the same names) and pkg/maps/ipmasq/ipmasq.go.
import { defineLayout, type Decoded } from '../layout';
import { decodeFamilyPairs, encodePairs, familyRow, type DecodeOptions, type IpFamily, type MapLayout, type PackedEntries } from './codec';
import { cidrOf, parseCidr, PREFIX_KEY4, PREFIX_KEY6 } from './prefix';
import { tablePrinter } from './text';
import { formatVersion, withLayout, type CiliumRecords } from './version';

const VALUE = defineLayout({ flags: { offset: 0, type: 'u8' } }, 1);

export const IPMASQ_LAYOUTS: readonly MapLayout[] = [
  { since: 14, until: 20, map: 'cilium_ipmasq_v4', name: 'lpm_v4_key / lpm_val', keySize: 8, valueSize: 1, key: PREFIX_KEY4, value: VALUE },
];
export const IPMASQ6_LAYOUTS: readonly MapLayout[] = [
  { since: 14, until: 20, map: 'cilium_ipmasq_v6', name: 'lpm_v6_key / lpm_val', keySize: 20, valueSize: 1, key: PREFIX_KEY6, value: VALUE },
];

export interface IpMasqRecord {
  /** A CIDR whose destinations pods reach with their own address (not masqueraded). */
  cidr: string;
}

type Key = Decoded<typeof PREFIX_KEY4.fields>;

/** Decodes packed entries; the family follows the key size (8: IPv4, 20: IPv6). */
export function decodeIpMasq(keys: Buffer, values: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<IpMasqRecord> {
  const { keys: ks, used, family } = decodeFamilyPairs<Key, unknown>('ipmasq', { 4: IPMASQ_LAYOUTS, 6: IPMASQ6_LAYOUTS }, 'key', PREFIX_KEY6.size, keys, values, count, options);
  return withLayout(ks.map((k): IpMasqRecord => ({ cidr: cidrOf(k.address, k.prefixlen, 0, family) })), used);
}

/** Packs CIDRs of one family (`family: 6` for the IPv6 map). */
export function encodeIpMasq(entries: readonly IpMasqRecord[], options: { version?: string; family?: IpFamily } = {}): PackedEntries {
  const { row, family } = familyRow({ 4: IPMASQ_LAYOUTS, 6: IPMASQ6_LAYOUTS }, options, 'cilium ipmasq encode options');
  return encodePairs(row, entries.map(({ cidr }) => {
    const [address, prefixlen] = parseCidr(cidr, family);
    return [{ prefixlen, address }, { flags: 0 }] as const;
  }));
}

/**
 * The first version that prints CIDRs as netip.Prefix, where net.IPNet printed them before
 * (pkg/maps/ipmasq's DumpForProtocols returns []netip.Prefix from 1.17, []net.IPNet in 1.16).
 */
const NETIP_SINCE = 17;

/**
 * A CIDR as `net.IPNet.String` prints an IPv6 key: an IPv4-mapped address dotted, with the mask's
 * last 32 bits as its length. netip.Prefix (1.17+) prints the records' text.
 */
function ipNetText(cidr: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
  return m ? `${m[1]}/${Math.max(0, Number(m[2]) - 96)}` : cidr;
}

/**
 * `cilium-dbg bpf ipmasq list` of the version: the CIDRs of the IPv4 map, then the IPv6 map's (as
 * many as the caller read) under `IP PREFIX/ADDRESS`, each once, in the TablePrinter's order (sorted
 * by code unit, where cilium-dbg prints Go's random map order), every line with the empty second
 * column's padding. `No entries found.` (on stderr) for none. Read from
 * cilium-dbg/cmd/bpf_ipmasq_list.go (cilium/cmd/ in 1.14) and pkg/maps/ipmasq.
 */
export function formatIpMasq(records: readonly IpMasqRecord[], options?: { version?: string }): string {
  const minor = formatVersion(records, options, 'cilium.format.ipmasq');
  if (records.length === 0) return 'No entries found.\n';
  const cidrs = new Set(records.map((r) => (minor >= NETIP_SINCE ? r.cidr : ipNetText(r.cidr))));
  return tablePrinter('IP PREFIX/ADDRESS', '', [...cidrs].map((cidr) => [cidr, ''] as const));
}
