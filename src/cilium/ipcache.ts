// The IP cache: `cilium_ipcache` (1.14–1.17) / `cilium_ipcache_v2` (1.18+), an LPM trie from
// (cluster, family, prefix) to identity, tunnel endpoint and IPsec key (cilium-maps.md §2).
//
// Cilium versions → key/value layout (little-endian host; IPs in network order):
//
//   version  key (struct ipcache_key, 24 B packed)                 value (struct remote_endpoint_info)
//   1.14     prefixlen u32 @0, cluster_id u8 @6, family @7, ip @8   v1, 12 B: sec_identity u32 @0, tunnel_endpoint v4 @4,
//   1.15–17  prefixlen u32 @0, cluster_id u16 @4, family @7, ip @8       key u8 @10, flags @11 (bit0 skiptunnel, 1.16+)
//   1.18+    as 1.15                                                v2, 24 B: sec_identity u32 @0, tunnel_endpoint 16 B @4,
//                                                                        key u8 @22, flags @23 (skiptunnel, hastunnel,
//                                                                        ipv6tunnel, remotecluster 1.19+)
//
// prefixlen counts the 32 static bits (cluster_id, pad, family) plus the IP prefix: /32 is 64.
//
// The point lookups (cilium/cmd/bpf_ipcache_get.go in 1.14, cilium-dbg/cmd/ after; _match.go 1.18+)
// dump the map into Go's map[string][]string: each key as Key.String() prints it (the address as
// stored, host bits kept; `@<cluster>` after a non-zero cluster id), the values of keys that print
// alike under one string, in dump order.
//   get <ip>        1.14–1.19: net.ParseIP, a bit trie (iradix) of the strings net.ParseCIDR
//                   takes, its longest prefix of the address; 1.20-dev: netip.ParseAddr(…).Unmap()
//                   and the longest netip.Prefix (Masked) that Contains it. Either way a string
//                   with `@<cluster>` does not parse (cluster 0 only), host bits are ignored, and an
//                   IPv4-mapped argument (::ffff:a.b.c.d) is looked up as IPv4 (To4 / Unmap).
//                   Prints `<ip> maps to identity <values joined by ','>`; `<ip> does not map to
//                   any identity` (stdout, exit 1); an empty map: `No entries found.` (stderr, exit 1).
//   match <prefix>  1.18+: netip.ParsePrefix, the string equal to the prefix's String() (host bits
//                   kept, cluster 0); prints `key <prefix> has value "<values joined by ','>"` (%q),
//                   else `<prefix> does not match to any ipcache entry` (stdout, exit 1).
import { isIP } from 'node:net';
import { defineLayout, formatIpv6, parseIpv4, parseIpv6, type Decoded } from '../layout';
import { describe } from '../validate';
import { decodePairs, encodePairs, encodeVersion, rowFor, type DecodeOptions, type MapLayout, type PackedEntries } from './codec';
import { flagNames, reservedIdentityName } from './tables';
import { FAMILY_IPV4, FAMILY_IPV6, familyName, NO_ENTRIES, tablePrinter, type Family } from './text';
import { formatVersion, missingCommand, recordPrototype, versionName, withLayout, type CiliumRecords, type Minor, type WithPrototype } from './version';

const STATIC_PREFIX_BITS = 32;
const FLAG_SKIP_TUNNEL = 0x01;
const FLAG_HAS_TUNNEL = 0x02;
const FLAG_IPV6_TUNNEL = 0x04;

// The address is IPv6 when the family byte (@7) is 2 (ENDPOINT_KEY_IPV6).
const KEY_IP = { offset: 8, type: { ip: 16, v6When: { at: 7, mask: 0xff, value: FAMILY_IPV6 } } } as const;
const KEY_1_14 = defineLayout({
  prefixlen: { offset: 0, type: 'u32' },
  clusterId: { offset: 6, type: 'u8' },
  family: { offset: 7, type: 'u8' },
  ip: KEY_IP,
}, 24);
const KEY_1_15 = defineLayout({
  prefixlen: { offset: 0, type: 'u32' },
  clusterId: { offset: 4, type: 'u16' },
  family: { offset: 7, type: 'u8' },
  ip: KEY_IP,
}, 24);
const VALUE_V1 = defineLayout({
  identity: { offset: 0, type: 'u32' },
  tunnel: { offset: 4, type: 'ipv4' },
  encryptKey: { offset: 10, type: 'u8' },
  flags: { offset: 11, type: 'u8' },
}, 12);
const VALUE_V2 = defineLayout({
  identity: { offset: 0, type: 'u32' },
  // IPv6 when flag_ipv6_tunnel_ep (0x04) is set in the flag byte (@23); an unset endpoint reads 0.0.0.0.
  tunnel: { offset: 4, type: { ip: 16, v6When: { at: 23, mask: FLAG_IPV6_TUNNEL, value: FLAG_IPV6_TUNNEL } } },
  encryptKey: { offset: 22, type: 'u8' },
  flags: { offset: 23, type: 'u8' },
}, 24);

type Key = Decoded<typeof KEY_1_15.fields>;
type Value = Decoded<typeof VALUE_V2.fields>;

export const IPCACHE_LAYOUTS: readonly MapLayout[] = [
  { since: 14, until: 14, map: 'cilium_ipcache', name: 'ipcache_key 1.14 (cluster_id u8 @6) / remote_endpoint_info v1', keySize: 24, valueSize: 12, key: KEY_1_14, value: VALUE_V1 },
  { since: 15, until: 17, map: 'cilium_ipcache', name: 'ipcache_key (cluster_id u16 @4) / remote_endpoint_info v1', keySize: 24, valueSize: 12, key: KEY_1_15, value: VALUE_V1 },
  { since: 18, until: 20, map: 'cilium_ipcache_v2', name: 'ipcache_key (cluster_id u16 @4) / remote_endpoint_info v2', keySize: 24, valueSize: 24, key: KEY_1_15, value: VALUE_V2 },
];


/** [bit, name as `flags=` prints it, since]: ≤1.15 the byte is padding. */
const FLAGS: readonly (readonly [number, string, Minor])[] = [
  [FLAG_SKIP_TUNNEL, 'skiptunnel', 16],
  [FLAG_HAS_TUNNEL, 'hastunnel', 18],
  [FLAG_IPV6_TUNNEL, 'ipv6tunnel', 18],
  [0x08, 'remotecluster', 19],
];

export interface IpcacheRecord {
  /** `'10.3.0.115/32'`, with `@<cluster>` when the cluster id is not 0 (the key as cilium-dbg prints it). */
  prefix: string;
  /** The address as stored (host bits are not cleared) and the IP prefix length (prefixlen − 32). */
  address: string;
  prefixLength: number;
  /** undefined for a family byte that is neither 1 nor 2 (the prefix then reads `<unknown>`). */
  family: Family | undefined;
  clusterId: number;
  identity: number;
  /** The reserved identity's name ('host', 'world', …) in that version. */
  identityName?: string;
  /** The tunnel endpoint as cilium-dbg prints it: `0.0.0.0` when none, IPv6 when flagged so (1.18+). */
  tunnelEndpoint: string;
  /** IPsec key index; 0 = none. */
  encryptKey: number;
  /** Names of the flag bits the version knows. */
  flags: string[];
  /** The raw flag byte. */
  rawFlags: number;
}

/** Decodes packed `cilium_ipcache[_v2]` keys and values. */
export function decodeIpcache(keys: Buffer, values: Buffer, count: number, options?: DecodeOptions): CiliumRecords<IpcacheRecord> {
  const { keys: ks, values: vs, minor, used } = decodePairs<Key, Value>('ipcache', IPCACHE_LAYOUTS, keys, values, count, options);
  const prototype = recordPrototype(minor);
  const records = ks.map((k, i): IpcacheRecord => {
    const v = vs[i];
    const address = k.family === FAMILY_IPV4 || k.family === FAMILY_IPV6 ? k.ip : undefined;
    const prefixLength = k.prefixlen - STATIC_PREFIX_BITS;
    const record: WithPrototype<IpcacheRecord> = {
      __proto__: prototype,
      prefix: address === undefined ? '<unknown>' : `${address}/${prefixLength}${k.clusterId !== 0 ? `@${k.clusterId}` : ''}`,
      address: address ?? '',
      prefixLength,
      family: familyName(k.family),
      clusterId: k.clusterId,
      identity: v.identity,
      tunnelEndpoint: v.tunnel,
      encryptKey: v.encryptKey,
      flags: flagNames(v.flags, FLAGS, minor),
      rawFlags: v.flags,
    };
    const identityName = reservedIdentityName(v.identity, minor);
    if (identityName !== undefined) record.identityName = identityName;
    return record;
  });
  return withLayout(records, used);
}

/** An entry to write: the prefix (with optional `@cluster`) and what it maps to. */
export interface IpcacheEntry {
  prefix: string;
  identity: number;
  tunnelEndpoint?: string;
  encryptKey?: number;
  /** Flag names; default: `hastunnel` (+ `ipv6tunnel`) when a tunnel endpoint is given (1.18+), as Cilium's NewValue does. */
  flags?: string[];
}

/** Parses '10.0.0.0/8', 'fd00::/64@3' into family, 16-byte slot, prefix length and cluster id. */
export function parsePrefix(prefix: string): { family: number; address: string; ip: Buffer; prefixLength: number; clusterId: number } {
  const m = /^([^/@]+)(?:\/(\d+))?(?:@(\d+))?$/.exec(prefix);
  if (!m) throw new TypeError(`not a prefix: '${prefix}'`);
  const v6 = m[1].includes(':');
  const ip = v6 ? parseIpv6(m[1]) : parseIpv4(m[1]);
  const max = v6 ? 128 : 32;
  const prefixLength = m[2] === undefined ? max : Number(m[2]);
  if (prefixLength > max) throw new RangeError(`prefix length ${prefixLength} is longer than ${max}: '${prefix}'`);
  return { family: v6 ? FAMILY_IPV6 : FAMILY_IPV4, address: m[1], ip, prefixLength, clusterId: m[3] === undefined ? 0 : Number(m[3]) };
}

function flagBits(names: readonly string[]): number {
  let bits = 0;
  for (const name of names) {
    const row = FLAGS.find(([, n]) => n === name);
    if (!row) throw new RangeError(`unknown ipcache flag '${name}' (known: ${FLAGS.map(([, n]) => n).join(', ')})`);
    bits |= row[0];
  }
  return bits;
}

/** Packs entries into `cilium_ipcache[_v2]` keys and values of that version's layout. */
export function encodeIpcache(entries: readonly IpcacheEntry[], options?: { version?: string }): PackedEntries {
  const row = rowFor(IPCACHE_LAYOUTS, encodeVersion(options, 'cilium ipcache encode options'));
  return encodePairs(row, entries.map((e) => {
    const p = parsePrefix(e.prefix);
    const tunnel = e.tunnelEndpoint === undefined ? undefined : e.tunnelEndpoint.includes(':') ? parseIpv6(e.tunnelEndpoint) : parseIpv4(e.tunnelEndpoint);
    if (tunnel?.length === 16 && row.valueSize === 12) throw new RangeError(`an IPv6 tunnel endpoint needs the 1.18+ layout: '${e.tunnelEndpoint}'`);
    const tunnelSet = tunnel !== undefined && tunnel.some((b) => b !== 0);
    const defaultFlags = row.valueSize === 24 && tunnelSet ? FLAG_HAS_TUNNEL | (tunnel.length === 16 ? FLAG_IPV6_TUNNEL : 0) : 0;
    return [
      { prefixlen: p.prefixLength + STATIC_PREFIX_BITS, clusterId: p.clusterId, family: p.family, ip: p.address },
      { identity: e.identity, tunnel: e.tunnelEndpoint, encryptKey: e.encryptKey ?? 0, flags: e.flags ? flagBits(e.flags) : defaultFlags },
    ] as const;
  }));
}

/** The value as `RemoteEndpointInfo.String()` of that version prints it. */
function valueText(r: IpcacheRecord, minor: Minor): string {
  const base = `identity=${r.identity} encryptkey=${r.encryptKey} tunnelendpoint=${r.tunnelEndpoint}`;
  if (minor <= 15) return base;
  const names = minor <= 17 ? ((r.rawFlags & FLAG_SKIP_TUNNEL) !== 0 ? ['skiptunnel'] : []) : flagNames(r.rawFlags, FLAGS, minor);
  const flags = names.length > 0 ? names.join(',') : '<none>';
  return minor === 16 ? `${base}, flags=${flags}` : `${base} flags=${flags}`;
}

/** What `cilium-dbg bpf ipcache list` of that version prints (rows sorted); the version as formatVersion picks it. */
export function formatIpcache(records: readonly IpcacheRecord[], options?: { version?: string }): string {
  const minor = formatVersion(records, options, 'cilium.format.ipcache');
  if (records.length === 0) return NO_ENTRIES;
  return tablePrinter('IP PREFIX/ADDRESS', 'IDENTITY', records.map((r) => [r.prefix, valueText(r, minor)] as const));
}

/**
 * The record the datapath would find for `ip`: among entries of its family and cluster, the one
 * whose prefix covers it with the most bits (the trie's longest-prefix match). An IPv4-mapped
 * address (::ffff:a.b.c.d, as a dual-stack socket names an IPv4 peer, whose packets are IPv4) is
 * looked up as the IPv4 address, as `cilium-dbg bpf ipcache get` does. The cluster is `clusterId`,
 * or the one `ip` names as the ipcache prints its keys (`10.0.1.15@2`); naming two, or one past a
 * u16, is a RangeError.
 */
export function lookupIpcache(records: readonly IpcacheRecord[], ip: string, clusterId = 0): IpcacheRecord | undefined {
  const { wanted, cluster } = lookupTarget(ip, clusterId, 'cilium.lookupIpcache');
  const family = familyName(wanted.family);
  const wanted4 = family === 'ipv4' ? wanted.ip.readUInt32BE(0) : 0;
  let best: IpcacheRecord | undefined;
  for (const r of records) {
    if (r.family !== family || r.clusterId !== cluster || (best && best.prefixLength >= r.prefixLength)) continue;
    if (r.prefixLength < 0 || r.prefixLength > wanted.prefixLength) continue;
    const covers = family === 'ipv4' ? sameIpv4Prefix(r.address, wanted4, r.prefixLength) : samePrefix(parseIpv6(r.address), wanted.ip, r.prefixLength);
    if (covers) best = r;
  }
  return best;
}

/**
 * What lookupIpcache looks for: `ip` (an IPv4-mapped address as IPv4) and the cluster, `clusterId`
 * or the one `ip` names (`10.0.1.15@2`). A cluster id that is no u16, or two different ones, is a
 * RangeError: no entry could match it, and none would say why.
 */
export function lookupTarget(ip: string, clusterId: number, what: string): { wanted: ReturnType<typeof parsePrefix>; cluster: number } {
  const parsed = parsePrefix(ip);
  if (typeof clusterId !== 'number') throw new TypeError(`${what}: clusterId must be a number, got ${describe(clusterId)}`);
  if (!Number.isInteger(clusterId) || clusterId < 0 || clusterId > 0xffff) throw new RangeError(`${what}: clusterId must be an integer in 0..65535, got ${clusterId}`);
  if (parsed.clusterId > 0xffff) throw new RangeError(`${what}: ${ip} names cluster ${parsed.clusterId}, past 65535 (a u16)`);
  if (parsed.clusterId !== 0 && clusterId !== 0 && parsed.clusterId !== clusterId) {
    throw new RangeError(`${what}: ${ip} names cluster ${parsed.clusterId}, and clusterId ${clusterId} another`);
  }
  return { wanted: unmapped(parsed), cluster: clusterId || parsed.clusterId };
}

/** Whether dotted `text` and `wanted` share their first `bits` bits (without allocating). */
function sameIpv4Prefix(text: string, wanted: number, bits: number): boolean {
  let value = 0;
  let octet = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      value = (value << 8) | octet;
      octet = 0;
    } else {
      octet = octet * 10 + (c - 48);
    }
  }
  value = ((value << 8) | octet) >>> 0;
  if (bits === 0) return true;
  const shift = 32 - bits;
  return value >>> shift === wanted >>> shift;
}

function samePrefix(a: Buffer, b: Buffer, bits: number): boolean {
  const whole = bits >> 3;
  if (a.compare(b, 0, whole, 0, whole) !== 0) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[whole] & mask) === (b[whole] & mask);
}

/** The first 12 bytes of an IPv4-mapped IPv6 address (::ffff:0:0/96). */
const IPV4_MAPPED = Buffer.from('00000000000000000000ffff', 'hex');

/** An IPv4-mapped IPv6 prefix (::ffff:a.b.c.d, /96 or longer) as the IPv4 prefix it maps; others as they are. */
function unmapped(p: ReturnType<typeof parsePrefix>): ReturnType<typeof parsePrefix> {
  if (p.family !== FAMILY_IPV6 || p.prefixLength < 96 || !IPV4_MAPPED.equals(p.ip.subarray(0, 12))) return p;
  const ip = p.ip.subarray(12);
  return { ...p, family: FAMILY_IPV4, ip, address: ip.join('.'), prefixLength: p.prefixLength - 96 };
}

/**
 * Whether `cilium-dbg bpf ipcache get` takes `ip`: an IPv4 (dotted, no leading zeros) or IPv6
 * address, no prefix length. An IPv6 zone (fe80::1%eth0) is refused, as net.ParseIP refuses it up
 * to 1.19; 1.20-dev's netip.ParseAddr takes one, which then matches no entry.
 */
export function isIpcacheGetAddress(ip: unknown): ip is string {
  return typeof ip === 'string' && isIP(ip) !== 0 && !ip.includes('%');
}

/** The values of the entries whose key prints as `prefix` (cluster 0), in dump order, as Dump() gathers them. */
function valuesUnder(records: readonly IpcacheRecord[], prefix: string, minor: Minor): string[] {
  return records.filter((r) => r.prefix === prefix).map((r) => valueText(r, minor));
}

/**
 * What `cilium-dbg bpf ipcache get <ip>` of that version prints: the values of the longest prefix
 * that covers `ip` (lookupIpcache in cluster 0), or that none does; for no records, `No entries
 * found.`, which cilium-dbg writes to stderr. cilium-dbg exits 1 but for a match.
 */
export function formatIpcacheGet(records: readonly IpcacheRecord[], ip: string, options?: { version?: string }): string {
  const minor = formatVersion(records, options, 'cilium.format.ipcacheGet');
  if (!isIpcacheGetAddress(ip)) throw new TypeError(`cilium.format.ipcacheGet: not an IP address: ${JSON.stringify(ip)}`);
  if (records.length === 0) return NO_ENTRIES;
  const found = lookupIpcache(records, ip);
  return found ? `${ip} maps to identity ${valuesUnder(records, found.prefix, minor).join(',')}\n` : `${ip} does not map to any identity\n`;
}

/** The Cilium version `cilium-dbg bpf ipcache match` came in. */
const IPCACHE_MATCH_SINCE: Minor = 18;

/** Why a version has no `cilium-dbg bpf ipcache match` (before 1.18), or undefined; none given: undefined. */
export function ipcacheMatchMissing(version: string | undefined): string | undefined {
  return missingCommand('bpf ipcache match', version, { since: IPCACHE_MATCH_SINCE });
}

/**
 * `prefix` as netip.ParsePrefix(…).String() prints it (IPv6 per RFC 5952, host bits kept), or
 * undefined where ParsePrefix refuses it: no `/`, a bad address, a zone, bits not decimal, with a
 * sign or a leading zero, or past the family's.
 */
export function ipcacheMatchKey(prefix: unknown): string | undefined {
  if (typeof prefix !== 'string') return undefined;
  const slash = prefix.lastIndexOf('/');
  const address = prefix.slice(0, slash);
  const bits = prefix.slice(slash + 1);
  const family = slash < 0 || address.includes('%') ? 0 : isIP(address);
  if (family === 0 || !/^(0|[1-9]\d*)$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128)) return undefined;
  return `${family === 4 ? address : formatIpv6(parseIpv6(address))}/${bits}`;
}

/**
 * What `cilium-dbg bpf ipcache match <prefix>` (1.18+) prints: the values of the entry whose key
 * prints as `prefix` does (an exact match, host bits included), or that none does; for no records,
 * `No entries found.` (stderr). Before 1.18 the command does not exist: a RangeError.
 */
export function formatIpcacheMatch(records: readonly IpcacheRecord[], prefix: string, options?: { version?: string }): string {
  const minor = formatVersion(records, options, 'cilium.format.ipcacheMatch');
  const missing = ipcacheMatchMissing(versionName(minor));
  if (missing !== undefined) throw new RangeError(`cilium.format.ipcacheMatch: ${missing}`);
  const key = ipcacheMatchKey(prefix);
  if (key === undefined) throw new TypeError(`cilium.format.ipcacheMatch: not a prefix: ${JSON.stringify(prefix)}`);
  if (records.length === 0) return NO_ENTRIES;
  const values = valuesUnder(records, key, minor);
  // %q of values that hold no quote, backslash or control character: the text in double quotes.
  return values.length > 0 ? `key ${key} has value "${values.join(',')}"\n` : `${prefix} does not match to any ipcache entry\n`;
}
