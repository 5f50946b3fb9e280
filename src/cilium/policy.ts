// Per-endpoint policy: `cilium_policy_<id %05d>` (≤1.16) / `cilium_policy_v2_<id %05d>` (1.17+), an
// LPM trie from (identity, direction, protocol, port prefix) to a verdict (cilium-maps.md §5.2).
//
// Cilium versions → key/value layout:
//
//   key   struct policy_key, 12 B: prefixlen u32 @0, sec_label u32 @4, egress bit0 @8, protocol @9,
//         dport be16 @10. prefixlen 40 = any protocol/port, 48 = protocol only, 64 = exact port.
//   value struct policy_entry: the size changes under the same name.
//   1.14–15  24 B: proxy_port be16 @0, @2 deny bit0 / wildcard_protocol bit1 / wildcard_dport bit2,
//            auth_type @3, packets u64 @8, bytes u64 @16
//   1.16     24 B: @2 deny bit0, lpm_prefix_length bits 3–7; auth_type @3; packets, bytes
//   1.17     24 B: as 1.16, @3 auth_type bits 0–6 + has_explicit_auth_type bit7, proxy_port_priority @4
//   1.18      8 B: the first 6 bytes of 1.17 (counters moved to cilium_policystats, policystats.ts)
//   1.19+    12 B: proxy_port, @2 and @3 as 1.17, precedence u32 @4, cookie u32 @8
//
// `cilium-dbg bpf policy get <id> -n` (cilium-dbg/cmd/bpf_policy_get.go, `cilium bpf policy get` in
// 1.14; PortProtoString and Less in pkg/maps/policymap/policymap.go): columns POLICY, DIRECTION,
// IDENTITY, PORT/PROTO, PROXY PORT, AUTH TYPE, BYTES, PACKETS, PREFIX (the key's prefix length less
// the 40 static bits), and COOKIE from 1.19; a partial port prefix as `0x<port>/<bits>/<proto>` up to
// 1.15 and `<first>-<last>/<proto>` after; counters of an entry cilium_policystats has no row for as
// `-` from 1.18.
import { defineLayout, type Decoded } from '../layout';
import { decodePairs, encodePairs, encodeVersion, rowFor, type DecodeOptions, type MapLayout, type PackedEntries } from './codec';
import { protocolName, reservedIdentityName } from './tables';
import { tabwrite } from './text';
import { formatVersion, recordPrototype, withLayout, type CiliumRecords, type Minor, type WithPrototype } from './version';

/** The key bits before the protocol: an LPM prefix of 40 matches any protocol and port. */
export const STATIC_PREFIX_BITS = 40;
const PROTOCOL_PREFIX_BITS = 48;

const KEY = defineLayout({
  prefixlen: { offset: 0, type: 'u32' },
  identity: { offset: 4, type: 'u32' },
  egress: { offset: 8, type: 'u8', bits: [0, 1] },
  protocol: { offset: 9, type: 'u8' },
  port: { offset: 10, type: 'be16' },
}, 12);

const COMMON = {
  proxyPort: { offset: 0, type: 'be16' },
  deny: { offset: 2, type: 'u8', bits: [0, 1] },
} as const;
const COUNTERS = {
  packets: { offset: 8, type: 'u64' },
  bytes: { offset: 16, type: 'u64' },
} as const;
const AUTH_1_17 = {
  lpmPrefixLength: { offset: 2, type: 'u8', bits: [3, 5] },
  authType: { offset: 3, type: 'u8', bits: [0, 7] },
  hasExplicitAuthType: { offset: 3, type: 'u8', bits: [7, 1] },
} as const;
const VALUE_1_14 = defineLayout({
  ...COMMON,
  ...COUNTERS,
  wildcardProtocol: { offset: 2, type: 'u8', bits: [1, 1] },
  wildcardPort: { offset: 2, type: 'u8', bits: [2, 1] },
  authType: { offset: 3, type: 'u8' },
}, 24);
const VALUE_1_16 = defineLayout({
  ...COMMON,
  ...COUNTERS,
  lpmPrefixLength: { offset: 2, type: 'u8', bits: [3, 5] },
  authType: { offset: 3, type: 'u8' },
}, 24);
const VALUE_1_17 = defineLayout({ ...COMMON, ...COUNTERS, ...AUTH_1_17, proxyPortPriority: { offset: 4, type: 'u8' } }, 24);
const VALUE_1_18 = defineLayout({ ...COMMON, ...AUTH_1_17, proxyPortPriority: { offset: 4, type: 'u8' } }, 8);
const VALUE_1_19 = defineLayout({
  ...COMMON,
  ...AUTH_1_17,
  precedence: { offset: 4, type: 'u32' },
  cookie: { offset: 8, type: 'u32' },
}, 12);

type Value = Decoded<typeof COMMON> & { authType: number } & Partial<
  Decoded<typeof VALUE_1_14.fields> & Decoded<typeof VALUE_1_17.fields> & Decoded<typeof VALUE_1_19.fields>
>;

export const POLICY_LAYOUTS: readonly MapLayout[] = [
  { since: 14, until: 15, map: 'cilium_policy', name: 'policy_key / policy_entry 1.14 (wildcard bits, counters)', keySize: 12, valueSize: 24, key: KEY, value: VALUE_1_14 },
  { since: 16, until: 16, map: 'cilium_policy', name: 'policy_key / policy_entry 1.16 (lpm_prefix_length, counters)', keySize: 12, valueSize: 24, key: KEY, value: VALUE_1_16 },
  { since: 17, until: 17, map: 'cilium_policy_v2', name: 'policy_key / policy_entry 1.17 (explicit auth, proxy port priority, counters)', keySize: 12, valueSize: 24, key: KEY, value: VALUE_1_17 },
  { since: 18, until: 18, map: 'cilium_policy_v2', name: 'policy_key / policy_entry 1.18 (no counters)', keySize: 12, valueSize: 8, key: KEY, value: VALUE_1_18 },
  { since: 19, until: 20, map: 'cilium_policy_v2', name: 'policy_key / policy_entry 1.19 (precedence, cookie)', keySize: 12, valueSize: 12, key: KEY, value: VALUE_1_19 },
];

/** The per-endpoint map names, newest first: `cilium_policy_v2_00042`, `cilium_policy_00042`. */
export function policyMapNames(endpointId: number): string[] {
  const id = String(endpointId).padStart(5, '0');
  return [`cilium_policy_v2_${id}`, `cilium_policy_${id}`];
}

export interface PolicyRecord {
  /** The remote identity; 0 = any. */
  identity: number;
  identityName?: string;
  direction: 'ingress' | 'egress';
  /** The LPM prefix length of the key (40 any protocol, 48 protocol only, 64 exact port). */
  prefixLength: number;
  /** IP protocol when the prefix covers it, else undefined (any). */
  protocol?: number;
  /** The port and how many of its leading bits the entry matches (0: any port, 16: exactly it). */
  port: number;
  portPrefixLength: number;
  /** 0: no L7 proxy. */
  proxyPort: number;
  deny: boolean;
  authType: number;
  /** 1.17+. */
  hasExplicitAuthType?: boolean;
  /** 1.17–1.18. */
  proxyPortPriority?: number;
  /** 1.19+. */
  precedence?: number;
  cookie?: number;
  /**
   * ≤1.17: the entry's own. 1.18+: what cilium_policystats holds for the entry, filled by
   * cilium.policy() (decode.policy reads the policy map alone); undefined where it has no row.
   */
  packets?: bigint;
  bytes?: bigint;
  /** 1.14–15. */
  wildcardProtocol?: boolean;
  wildcardPort?: boolean;
  /** 1.16–1.17: the entry's own prefix length. */
  lpmPrefixLength?: number;
}

export function decodePolicy(keys: Buffer, values: Buffer, count: number, options?: DecodeOptions): CiliumRecords<PolicyRecord> {
  const { keys: ks, values: vs, minor, used } = decodePairs<Decoded<typeof KEY.fields>, Value>('policy', POLICY_LAYOUTS, keys, values, count, options);
  const prototype = recordPrototype(minor);
  return withLayout(ks.map((k, i): PolicyRecord => {
    const v = vs[i];
    const record: WithPrototype<PolicyRecord> = {
      __proto__: prototype,
      identity: k.identity,
      direction: k.egress ? 'egress' : 'ingress',
      prefixLength: k.prefixlen,
      port: k.port,
      portPrefixLength: Math.max(0, Math.min(16, k.prefixlen - PROTOCOL_PREFIX_BITS)),
      proxyPort: v.proxyPort,
      deny: v.deny !== 0,
      authType: v.authType,
    };
    const name = reservedIdentityName(k.identity, minor);
    if (name !== undefined && k.identity !== 0) record.identityName = name;
    if (k.prefixlen >= PROTOCOL_PREFIX_BITS) record.protocol = k.protocol;
    if (v.hasExplicitAuthType !== undefined) record.hasExplicitAuthType = v.hasExplicitAuthType !== 0;
    for (const field of ['proxyPortPriority', 'precedence', 'cookie', 'lpmPrefixLength'] as const) {
      if (v[field] !== undefined) record[field] = v[field];
    }
    if (v.packets !== undefined) Object.assign(record, { packets: v.packets, bytes: v.bytes });
    if (v.wildcardProtocol !== undefined) Object.assign(record, { wildcardProtocol: v.wildcardProtocol !== 0, wildcardPort: v.wildcardPort !== 0 });
    return record;
  }), used);
}

/**
 * A policy entry to encode: a record's identity and direction, and any of its other fields. An
 * omitted protocol means any protocol and port; portPrefixLength defaults to 16 when a port is
 * given, else 0.
 */
export type PolicyEntry = Pick<PolicyRecord, 'identity' | 'direction'> &
  Partial<Pick<PolicyRecord, 'protocol' | 'port' | 'portPrefixLength' | 'proxyPort' | 'deny' | 'authType' | 'hasExplicitAuthType' | 'proxyPortPriority' | 'precedence' | 'cookie' | 'packets' | 'bytes'>>;

export function encodePolicy(entries: readonly PolicyEntry[], options?: { version?: string }): PackedEntries {
  const row = rowFor(POLICY_LAYOUTS, encodeVersion(options, 'cilium policy encode options'));
  return encodePairs(row, entries.map((e) => {
    const portBits = e.port === undefined ? 0 : e.portPrefixLength ?? 16;
    const prefixlen = e.protocol === undefined ? STATIC_PREFIX_BITS : PROTOCOL_PREFIX_BITS + portBits;
    const { identity, direction, protocol, port, portPrefixLength: _bits, deny, hasExplicitAuthType, ...value } = e;
    return [
      { prefixlen, identity, egress: direction === 'egress' ? 1 : 0, protocol: protocol ?? 0, port: port ?? 0 },
      { ...value, deny: deny ? 1 : 0, hasExplicitAuthType: hasExplicitAuthType === undefined ? undefined : hasExplicitAuthType ? 1 : 0 },
    ] as const;
  }));
}

/**
 * The identity column's title: `IDENTITY` with -n; without it (and in `bpf policy list`, which has
 * no -n) the labels' title, the column then holding each identity's labels as the agent resolves them.
 */
export const IDENTITY_TITLES = { numeric: 'IDENTITY', labels: 'LABELS (source:key[=value])' } as const;
/** Header cells of `bpf policy get` either side of the identity's; 1.19 added COOKIE as the last column. */
const HEADER_BEFORE_IDENTITY = ['POLICY', 'DIRECTION'];
const HEADER_AFTER_IDENTITY = ['PORT/PROTO', 'PROXY PORT', 'AUTH TYPE', 'BYTES', 'PACKETS', 'PREFIX'];
const COOKIE_SINCE = 19;
/** From 1.18 the counters come from cilium_policystats, and an entry it has no row for prints `-`. */
const STATS_MAP_SINCE = 18;
/** The text a map with no entries prints after the header. */
const EMPTY = 'Policy stats empty. Perhaps the policy enforcement is disabled?\n';
const NEXTHDR_BITS = 8;
const FULL_PREFIX_BITS = 24;

/** `Prefixlen - StaticPrefixBits`: a u32 up to 1.17, a u8 (GetPrefixLen) from 1.18. */
function protoPortPrefix(prefixLength: number, minor: Minor): number {
  const bits = prefixLength - STATIC_PREFIX_BITS;
  return minor >= STATS_MAP_SINCE ? bits & 0xff : bits >>> 0;
}

/** `PolicyKey.PortProtoString` of that version. */
function portProtoText(r: PolicyRecord, minor: Minor): string {
  const prefix = protoPortPrefix(r.prefixLength, minor);
  const protocol = protocolName(r.protocol ?? 0, minor);
  if (prefix === 0 || prefix === NEXTHDR_BITS) return protocol;
  if (prefix === FULL_PREFIX_BITS) return `${r.port}/${protocol}`;
  if (prefix > NEXTHDR_BITS && prefix < FULL_PREFIX_BITS) {
    const portBits = prefix - NEXTHDR_BITS;
    if (minor <= 15) return `0x${r.port.toString(16)}/${portBits}/${protocol}`;
    return `${r.port}-${(r.port + (0xffff >> portBits)) & 0xffff}/${protocol}`; // a u16 sum
  }
  return `<INVALID PREFIX LENGTH: ${prefix}>`;
}

/** `AuthType.String()`: the names api.AuthType accepts. */
function authTypeText(authType: number): string {
  return ['disabled', 'spire', 'test-always-fail'][authType] ?? `Unknown-auth-type-${authType}`;
}

/** `PolicyEntriesDump.Less` as a comparator: deny entries first, then ingress before egress, then by identity. */
function comparePolicyRows(a: PolicyRecord, b: PolicyRecord): number {
  if (a.deny !== b.deny) return a.deny ? -1 : 1;
  if (a.direction !== b.direction) return a.direction === 'ingress' ? -1 : 1;
  return a.identity - b.identity;
}

function counterText(value: bigint | undefined, minor: Minor): string {
  return value === undefined ? (minor >= STATS_MAP_SINCE ? '-' : '0') : String(value);
}

/**
 * What `cilium-dbg bpf policy get <endpoint> -n` of that version prints for an endpoint's policy
 * map (numeric identities: their labels need the agent), its rows sorted as cilium-dbg sorts them.
 * Rows that sort alike (one identity's ports) keep the records' order, the kernel's as
 * cilium.policy() reads them: cilium-dbg's Go sort.Slice keeps it in maps of up to 12 entries (an
 * insertion sort), and in longer ones leaves them in an order of its quicksort's steps, which this
 * does not reproduce. The version as formatVersion picks it.
 */
export function formatPolicy(records: readonly PolicyRecord[], options?: { version?: string }): string {
  return policyTable(records, formatVersion(records, options, 'cilium.format.policy'), IDENTITY_TITLES.numeric);
}

/** printTable of bpf_policy_get.go: the map's table as that version prints it, identities as numbers under `identityTitle`. */
export function policyTable(records: readonly PolicyRecord[], minor: Minor, identityTitle: string): string {
  const withCookie = minor >= COOKIE_SINCE;
  // Up to 1.18 every line ends in a tab, leaving PREFIX a padded column; 1.19's ends in the cookie.
  const header = [...HEADER_BEFORE_IDENTITY, identityTitle, ...HEADER_AFTER_IDENTITY, withCookie ? 'COOKIE' : ''];
  const sorted = [...records].sort(comparePolicyRows);
  const rows = sorted.map((r) => [
    r.deny ? 'Deny' : 'Allow',
    r.direction === 'egress' ? 'Egress' : 'Ingress',
    String(r.identity),
    portProtoText(r, minor),
    r.proxyPort === 0 ? 'NONE' : String(r.proxyPort),
    authTypeText(r.authType),
    counterText(r.bytes, minor),
    counterText(r.packets, minor),
    String(protoPortPrefix(r.prefixLength, minor)),
    withCookie ? String(r.cookie ?? 0) : '',
  ]);
  return tabwrite([header, ...rows]) + (records.length === 0 ? EMPTY : '');
}
