// The auth map: which pairs of identities (on which remote node) mutual authentication let through,
// and until when (`cilium-dbg bpf auth list`).
//
// Cilium versions → key/value layout (1.14–1.20-dev, unchanged): cilium_auth_map, a hash
//   key   struct auth_key, 12 B: local_sec_label u32 @0, remote_sec_label u32 @4,
//         remote_node_id u16 @8 (0: the local node; the node map's ids), auth_type u8 @10, pad u8 @11
//   value struct auth_info, 8 B: expiration u64 @0, Unix epoch time in units of 512 ns ("utime")
// (Read from bpf/lib/common.h (1.14–1.20), bpf/lib/auth.h, pkg/maps/authmap/auth_map.go and
// pkg/datapath/linux/utime/utime.go.)
import { defineLayout, type Decoded } from '../layout';
import { decodePairs, encodePairs, encodeVersion, rowFor, type DecodeOptions, type MapLayout, type PackedEntries } from './codec';
import { listing } from './text';
import { withLayout, type CiliumRecords } from './version';

const KEY = defineLayout({
  localIdentity: { offset: 0, type: 'u32' },
  remoteIdentity: { offset: 4, type: 'u32' },
  remoteNodeId: { offset: 8, type: 'u16' },
  authType: { offset: 10, type: 'u8' },
}, 12);
const VALUE = defineLayout({ expiration: { offset: 0, type: 'u64' } }, 8);

export const AUTH_LAYOUTS: readonly MapLayout[] = [
  { since: 14, until: 20, map: 'cilium_auth_map', name: 'auth_key / auth_info', keySize: 12, valueSize: 8, key: KEY, value: VALUE },
];

export interface AuthRecord {
  /** The identity of the local endpoint. */
  localIdentity: number;
  remoteIdentity: number;
  /** The remote endpoint's node, as the node map numbers it; 0 for this node. */
  remoteNodeId: number;
  /** 0 disabled, 1 spire, 2 test-always-fail (`cilium.format.auth` names them). */
  authType: number;
  /** When the authentication expires: Unix epoch time in units of 512 ns (1953125 to the second). */
  expiration: bigint;
}

type Key = Decoded<typeof KEY.fields>;
type Value = Decoded<typeof VALUE.fields>;

/** Decodes packed auth map entries. */
export function decodeAuth(keys: Buffer, values: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<AuthRecord> {
  const { keys: ks, values: vs, used } = decodePairs<Key, Value>('auth', AUTH_LAYOUTS, keys, values, count, options);
  return withLayout(ks.map((k, i): AuthRecord => ({ ...k, expiration: vs[i].expiration })), used);
}

/** Packs auth entries. */
export function encodeAuth(entries: readonly AuthRecord[], options: { version?: string } = {}): PackedEntries {
  const row = rowFor(AUTH_LAYOUTS, encodeVersion(options, 'cilium auth encode options'));
  return encodePairs(row, entries.map(({ expiration, ...key }) => [key, { expiration }] as const));
}

/** `policy.AuthType.String()`: the same names in every version. */
const AUTH_TYPES = ['disabled', 'spire', 'test-always-fail'];

function authTypeName(type: number): string {
  return AUTH_TYPES[type] ?? `Unknown-auth-type-${type}`;
}

/** utime units per second: 10^9 ns shifted right by 9 (`secsToUtimeMultiplier`). */
const UTIME_PER_SECOND = 1_953_125n;
const UTIME_SHIFT = 9n;
const SECONDS_PER_DAY = 86_400;

/**
 * A utime as Go's `time.Time.String()` prints `UTime.Time()` in UTC (the zone of a cilium-dbg in
 * the agent's container, which has no TZ): `2006-01-02 15:04:05.999999999 +0000 UTC`, the fraction
 * without its trailing zeros, none when whole. The date is computed by hand: a u64 of utime reaches
 * past what a JS Date holds (year ~300,000).
 */
export function utimeText(utime: bigint): string {
  const seconds = Number(utime / UTIME_PER_SECOND);
  const nanos = (utime % UTIME_PER_SECOND) << UTIME_SHIFT;
  const days = Math.floor(seconds / SECONDS_PER_DAY);
  const inDay = seconds - days * SECONDS_PER_DAY;
  const [year, month, day] = civilDate(days);
  const two = (n: number) => String(n).padStart(2, '0');
  const fraction = nanos === 0n ? '' : `.${String(nanos).padStart(9, '0').replace(/0+$/, '')}`;
  return `${String(year).padStart(4, '0')}-${two(month)}-${two(day)} ${two(Math.floor(inDay / 3600))}:${two(Math.floor(inDay / 60) % 60)}:${two(inDay % 60)}${fraction} +0000 UTC`;
}

/** Year, month and day of a count of days since 1970-01-01 (proleptic Gregorian; H. Hinnant's civil_from_days). */
function civilDate(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, doy - Math.floor((153 * mp + 2) / 5) + 1];
}

/**
 * `cilium-dbg bpf auth list` (1.14: `cilium bpf auth list`): Go's tabwriter over SRC IDENTITY, DST
 * IDENTITY, REMOTE NODE ID, AUTH TYPE and EXPIRATION (the utime as a UTC wall-clock time), in the
 * order given (the kernel's); `No entries found.` for none, on stderr. The same in every version;
 * read from cilium-dbg/cmd/bpf_auth_list.go.
 */
export const formatAuth = listing<AuthRecord>('auth', ['SRC IDENTITY', 'DST IDENTITY', 'REMOTE NODE ID', 'AUTH TYPE', 'EXPIRATION'],
  (r) => [String(r.localIdentity), String(r.remoteIdentity), String(r.remoteNodeId), authTypeName(r.authType), utimeText(r.expiration)]);
