// Socket-LB reverse NAT: for each socket that connect()/sendmsg() sent to a backend in place of a
// service, the service's address, so that recvmsg()/getpeername() show the service again
// (`cilium-dbg bpf socknat list`).
//
// Cilium versions → maps, key/value layout (1.14–1.20-dev, unchanged): LRU hashes
//   cilium_lb4_reverse_sk
//     key   struct ipv4_revnat_tuple, 16 B: cookie u64 @0 (the socket's cookie, host order),
//           address be32 @8 and port be16 @12 (the backend), pad
//     value struct ipv4_revnat_entry, 8 B: address be32 @0 and port be16 @4 (the service frontend),
//           rev_nat_index u16 @6, in network byte order (the service entry's, copied as it is)
//   cilium_lb6_reverse_sk
//     key   struct ipv6_revnat_tuple, 32 B: cookie u64 @0, address v6addr @8, port be16 @24, pad (28
//           B of fields, 32 with the u64's alignment; Go's SockRevNat6Key pads to 32 too)
//     value struct ipv6_revnat_entry, 20 B: address v6addr @0, port be16 @16, rev_nat_index u16 @18
// Read from bpf/lib/common.h (1.14–1.18), bpf/lib/sock.h (1.19+), bpf/bpf_sock.c (sock4/6_update_revnat)
// and pkg/maps/lbmap (1.14–1.17), pkg/loadbalancer/maps/types.go (1.18+); not in cilium-maps.md.
// The maps exist in every version (bpf_sock.c defines them; 1.18 under their own names where
// older versions went through LB4_REVERSE_NAT_SK_MAP); `cilium-dbg bpf socknat list` only from 1.18.
import { defineLayout, type Decoded } from '../layout';
import { decodeFamilyPairs, encodePairs, familyRow, type DecodeOptions, type IpFamily, type MapLayout, type PackedEntries } from './codec';
import { addressOf, swap16 } from './lb';
import { goIpText, tablePrinter } from './text';
import { formatVersion, recordPrototype, withLayout, type CiliumRecords, type WithPrototype } from './version';

/** A family's key and value: the address a be32 or a v6addr, every later field 12 bytes on for IPv6. */
function layouts(family: IpFamily) {
  const { address, shift } = addressOf(family);
  const key = defineLayout({
    cookie: { offset: 0, type: 'u64' },
    backendAddress: { ...address, offset: 8 },
    backendPort: { offset: 12 + shift, type: 'be16' },
  }, family === 4 ? 16 : 32); // IPv6: 28 bytes of fields, 32 with the cookie's 8-byte alignment
  const value = defineLayout({
    frontendAddress: address,
    frontendPort: { offset: 4 + shift, type: 'be16' },
    revNatIndex: { offset: 6 + shift, type: 'be16' },
  }, 8 + shift);
  return { key, value };
}

function sockRevNatLayouts(family: IpFamily): MapLayout[] {
  const { key, value } = layouts(family);
  return [{ since: 14, until: 20, map: `cilium_lb${family}_reverse_sk`, name: `ipv${family}_revnat_tuple / ipv${family}_revnat_entry`, keySize: key.size, valueSize: value.size, key, value }];
}

export const SOCK_REV_NAT_LAYOUTS: readonly MapLayout[] = sockRevNatLayouts(4);
export const SOCK_REV_NAT6_LAYOUTS: readonly MapLayout[] = sockRevNatLayouts(6);

/** The first version whose cilium-dbg has `bpf socknat list` (cilium-dbg/cmd/bpf_socknat.go). */
export const SOCKNAT_LIST_SINCE = 18;

export interface SockRevNatRecord {
  /** The socket's cookie (SO_COOKIE). */
  cookie: bigint;
  /** The backend the socket was sent to. */
  backendAddress: string;
  backendPort: number;
  /** The service frontend its replies are shown to come from. */
  frontendAddress: string;
  frontendPort: number;
  /** The service's rev-NAT index. */
  revNatIndex: number;
}

type Key = Decoded<ReturnType<typeof layouts>['key']['fields']>;
type Value = Decoded<ReturnType<typeof layouts>['value']['fields']>;

/** Decodes packed entries; the family follows the key size (16: IPv4, 32: IPv6). */
export function decodeSockRevNat(keys: Buffer, values: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<SockRevNatRecord> {
  const { keys: ks, values: vs, minor, used } = decodeFamilyPairs<Key, Value>('sockRevNat', { 4: SOCK_REV_NAT_LAYOUTS, 6: SOCK_REV_NAT6_LAYOUTS }, 'key', SOCK_REV_NAT6_LAYOUTS[0].keySize, keys, values, count, options);
  const prototype = recordPrototype(minor);
  return withLayout(ks.map((k, i) => ({ __proto__: prototype, ...k, ...vs[i] }) as WithPrototype<SockRevNatRecord>), used);
}

/** Packs entries of one family (`family: 6` for the IPv6 map). */
export function encodeSockRevNat(entries: readonly SockRevNatRecord[], options: { version?: string; family?: IpFamily } = {}): PackedEntries {
  const { row } = familyRow({ 4: SOCK_REV_NAT_LAYOUTS, 6: SOCK_REV_NAT6_LAYOUTS }, options, 'cilium sockRevNat encode options');
  return encodePairs(row, entries.map(({ cookie, backendAddress, backendPort, ...value }) => [{ cookie, backendAddress, backendPort }, value] as const));
}

/**
 * A u16 as the int16 cilium-dbg prints: its Go types (SockRevNat{4,6}Key/Value) hold the be16 ports
 * as int16 and rev_nat_index as uint16, read in host order, and print them without converting: on a
 * little-endian host port 80 prints 20480, port 443 -17663 and rev-NAT index 1 256.
 */
const asInt16 = (value: number) => (value << 16) >> 16;

/**
 * `cilium-dbg bpf socknat list` (1.18+; cilium-dbg/cmd/bpf_socknat.go, the same in 1.19 and
 * 1.20-dev): TablePrinter's Socket Cookie / Backend -> Frontend, per cookie its entries as
 * `<backend>:<port> -> <frontend>:<port> (revnat=<index>)`, IPv6 addresses in brackets, the ports
 * and index byte-swapped as a little-endian host prints them (see asInt16). Rows sorted (see
 * tablePrinter); for none, the header alone. Versions before 1.18 have no such command: RangeError.
 */
export function formatSockRevNat(records: readonly SockRevNatRecord[], options?: { version?: string }): string {
  const minor = formatVersion(records, options, 'cilium.format.sockRevNat');
  if (minor < SOCKNAT_LIST_SINCE) throw new RangeError(`cilium.format.sockRevNat: cilium-dbg has no bpf socknat list before 1.${SOCKNAT_LIST_SINCE} (this is 1.${minor})`);
  // types.IPv6 prints through net.IP up to 1.19 (an IPv4-mapped address dotted), netip.Addr after.
  const address = (a: string) => (a.includes(':') ? `[${goIpText(a, minor >= 20)}]` : a);
  return tablePrinter('Socket Cookie', 'Backend -> Frontend', records.map((r) => [
    String(r.cookie),
    `${address(r.backendAddress)}:${asInt16(swap16(r.backendPort))} -> ${address(r.frontendAddress)}:${asInt16(swap16(r.frontendPort))} (revnat=${swap16(r.revNatIndex)})`,
  ] as const));
}
