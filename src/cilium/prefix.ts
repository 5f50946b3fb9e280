// LPM trie keys: a prefix alone (lpm_v4_key / lpm_v6_key: the ip-masq-agent maps), or a
// destination prefix behind a part matched whole (a source address, a VRF id), whose trie prefix
// length counts that part's bits, then the destination's. Shared by the ip-masq-agent, egress
// gateway and SRv6 maps, the last two of whose source-and-destination keys are the same struct.
import { defineLayout } from '../layout';
import type { IpFamily } from './codec';

/** The bits of an address of each family. */
export const ADDRESS_BITS = { 4: 32, 6: 128 } as const;

/** struct lpm_v4_key: prefixlen u32 @0 (struct bpf_lpm_trie_key), the address @4. */
export const PREFIX_KEY4 = defineLayout({
  prefixlen: { offset: 0, type: 'u32' },
  address: { offset: 4, type: 'ipv4' },
}, 8);
/** struct lpm_v6_key, the IPv6 twin. */
export const PREFIX_KEY6 = defineLayout({
  prefixlen: { offset: 0, type: 'u32' },
  address: { offset: 4, type: 'ipv6' },
}, 20);

/** prefixlen u32 @0, the source address, then the destination (egress_gw_policy_key, srv6_vrf_key4). */
export const SOURCE_DESTINATION_KEY4 = defineLayout({
  prefixlen: { offset: 0, type: 'u32' },
  sourceIp: { offset: 4, type: 'ipv4' },
  destination: { offset: 8, type: 'ipv4' },
}, 12);
/** The IPv6 twin (egress_gw_policy_key6, srv6_vrf_key6). */
export const SOURCE_DESTINATION_KEY6 = defineLayout({
  prefixlen: { offset: 0, type: 'u32' },
  sourceIp: { offset: 4, type: 'ipv6' },
  destination: { offset: 20, type: 'ipv6' },
}, 36);

/** `address/bits` of a key whose prefix length counts `staticBits` ahead of the destination. */
export function cidrOf(address: string, prefixlen: number, staticBits: number, family: IpFamily): string {
  return `${address}/${Math.max(0, Math.min(ADDRESS_BITS[family], prefixlen - staticBits))}`;
}

/** The address and prefix length of a CIDR of one family (a bare address is the whole address). */
export function parseCidr(text: string, family: IpFamily): [string, number] {
  const [address, bits = String(ADDRESS_BITS[family]), ...more] = String(text).split('/');
  // Decimal digits only: Number() reads '' as 0 and takes ' 8' and '0x8'.
  const length = /^\d+$/.test(bits) && more.length === 0 ? Number(bits) : NaN;
  if (!(length <= ADDRESS_BITS[family])) throw new RangeError(`not an IPv${family} CIDR: '${text}'`);
  return [address, length];
}
