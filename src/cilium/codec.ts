// The one path from packed map bytes to decoded key/value records (and back) that every Cilium map
// module uses: choose the layout row, check the buffers, decode with Layout.decodeAll.
import type { Layout } from '../layout';
import { checkOptions } from '../validate';
import { chooseLayout, parseVersion, type LayoutUsed, type Minor, type VersionedLayout } from './version';

/** Options of every decoder. Sizes default to the buffer length / count. */
export interface DecodeOptions {
  /** The Cilium version ('1.16', '1.16.15', …); default: the newest whose layout fits the sizes. */
  version?: string;
  /** The map's key size and value size (per CPU for per-CPU maps), as `bpf_map_info` reports them. */
  keySize?: number;
  valueSize?: number;
  /** The map's name, for the report of which layout was used. */
  map?: string;
}

export const DECODE_OPTIONS = ['version', 'keySize', 'valueSize', 'map'] as const;

// Rows of one table hold layouts of different field sets; decoders name the decoded shape they read.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
/** A layout of any fields (the per-version tables mix them). */
export type AnyLayout = Layout<any>;

/** A table row: the versions it covers and the key/value layouts. */
export interface MapLayout extends VersionedLayout {
  /** The map's name in those versions. */
  map: string;
  key: AnyLayout;
  value: AnyLayout;
}

/** Entries packed as a map dump holds them: `count` keys and values back to back. */
export interface PackedEntries {
  keys: Buffer;
  values: Buffer;
  count: number;
  keySize: number;
  valueSize: number;
  /** The map name these bytes are for in that version. */
  map: string;
}

export interface DecodedPairs<K, V> {
  keys: K[];
  values: V[];
  row: MapLayout;
  minor: Minor;
  used: LayoutUsed;
}

export function checkBuffers(keys: unknown, values: unknown, count: unknown): number {
  if (!Buffer.isBuffer(keys)) throw new TypeError('keys must be a Buffer');
  if (!Buffer.isBuffer(values)) throw new TypeError('values must be a Buffer');
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${String(count)}`);
  return count;
}

/** The size of one record in `buf` holding `count` of them, or `fallback` when there are none. */
function sizeOf(buf: Buffer, count: number, given: number | undefined, fallback: number, what: string): number {
  if (given !== undefined) {
    if (!Number.isInteger(given) || given <= 0) throw new RangeError(`${what} must be a positive integer, got ${given}`);
    return given;
  }
  if (count === 0) return fallback;
  if (buf.length % count !== 0) throw new RangeError(`${what}: ${buf.length} bytes do not divide into ${count} records`);
  return buf.length / count;
}

/** The row a version (or the newest) uses, for encoders and for empty dumps. */
export function rowFor<R extends VersionedLayout>(table: readonly R[], minor: Minor | undefined): R {
  const wanted = minor ?? Math.max(...table.map((r) => r.until));
  return table.find((r) => wanted >= r.since && wanted <= r.until) ?? table[table.length - 1];
}

/**
 * The rows for a map of that name, when the table names it in rows that fit the sizes: a name tells
 * versions apart where sizes cannot. An endpoint's policy map is `cilium_policy_<id %05d>` up to
 * 1.16 and `cilium_policy_v2_<id %05d>` from 1.17 with 24-byte values in both (cilium-maps.md §5.2),
 * so a 24-byte `cilium_policy_00042` is no 1.17 map. Names no row carries (`cilium_ct_any4_global`
 * shares the rows of `cilium_ct4_global`) keep the whole table.
 */
function rowsNamed(table: readonly MapLayout[], name: string, keySize: number, valueSize: number): readonly MapLayout[] {
  const base = name.replace(/_\d{5}$/, ''); // per-endpoint maps end in the endpoint id
  const named = table.filter((r) => (r.map === name || r.map === base) && r.keySize === keySize && r.valueSize === valueSize);
  return named.length > 0 ? named : table;
}

/**
 * Decodes `count` key/value pairs. `valueStride` is the distance between values (per-CPU maps:
 * possible CPUs × round_up(valueSize, 8)): values are then only checked, not decoded; per-CPU
 * modules decode every CPU's slot themselves.
 */
export function decodePairs<K, V>(
  name: string,
  table: readonly MapLayout[],
  keys: Buffer,
  values: Buffer,
  count: number,
  rawOptions: DecodeOptions | undefined,
  valueStride?: number,
): DecodedPairs<K, V> {
  checkBuffers(keys, values, count);
  const options = checkOptions<DecodeOptions>(rawOptions, DECODE_OPTIONS, `cilium ${name} decode options`);
  const version = parseVersion(options.version);
  const fallback = rowFor(table, version);
  const keySize = sizeOf(keys, count, options.keySize, fallback.keySize, 'keySize');
  const valueSize = options.valueSize ?? (valueStride === undefined ? sizeOf(values, count, undefined, fallback.valueSize, 'valueSize') : fallback.valueSize);
  const rows = options.map === undefined ? table : rowsNamed(table, options.map, keySize, valueSize);
  const { row, minor, used } = chooseLayout(options.map ?? fallback.map, rows, { keySize, valueSize }, version);
  const stride = valueStride ?? valueSize;
  if (keys.length < count * keySize) throw new RangeError(`keys: ${keys.length} bytes hold fewer than ${count} keys of ${keySize} bytes`);
  if (count > 0 && values.length < (count - 1) * stride + valueSize) {
    throw new RangeError(`values: ${values.length} bytes hold fewer than ${count} values of stride ${stride}`);
  }
  return {
    keys: row.key.decodeAll(keys, count, keySize) as K[],
    values: valueStride === undefined ? (row.value.decodeAll(values, count, stride) as V[]) : [],
    row,
    minor,
    used: { ...used, map: options.map ?? row.map },
  };
}

/** The two variants of maps that come per IP family (conntrack, NAT, load balancer). */
export type IpFamily = 4 | 6;

/** `family` checked: 4 or 6. */
export function checkFamily(family: unknown): IpFamily {
  if (family !== 4 && family !== 6) throw new RangeError(`family must be 4 or 6, got ${String(family)}`);
  return family;
}

/**
 * The family of packed records, from the size of the part that holds an address (`given`, as the
 * map reports it, or the buffer divided by `count`): IPv6 when it is the IPv6 size, else IPv4.
 */
function familyBySize(buf: Buffer, count: number, given: number | undefined, v6Size: number): IpFamily {
  const size = given ?? (count > 0 ? buf.length / count : 0);
  return size === v6Size ? 6 : 4;
}

/**
 * decodePairs for a map that comes in an IPv4 and an IPv6 variant, told apart by the size of the
 * part that holds the address (`by` the key or the value, `v6Size` its IPv6 size). Returns the family too.
 */
export function decodeFamilyPairs<K, V>(
  name: string,
  tables: Readonly<Record<IpFamily, readonly MapLayout[]>>,
  by: 'key' | 'value',
  v6Size: number,
  keys: Buffer,
  values: Buffer,
  count: number,
  options: DecodeOptions | undefined,
): DecodedPairs<K, V> & { family: IpFamily } {
  // A map named as one family's (cilium_capture4_rules) is read with that family's layouts, so that
  // the other family's sizes are refused, not decoded as that family's records.
  const named = ([4, 6] as const).filter((f) => tables[f].some((r) => r.map === options?.map));
  const family = named.length === 1 ? named[0] : by === 'key' ? familyBySize(keys, count, options?.keySize, v6Size) : familyBySize(values, count, options?.valueSize, v6Size);
  return { ...decodePairs<K, V>(name, tables[family], keys, values, count, options), family };
}

/**
 * `record` less the fields `layout` has no room for. The encoders' records are the same for every
 * version, and a field that a version's map lacks (metrics' line before 1.16, conntrack's packets
 * before 1.16, egress' ifindex in the IPv4 map before 1.20) is left out when encoding for it, as
 * its decode leaves it undefined; Layout.encode itself refuses a name it has no field for.
 */
function fieldsIn(layout: AnyLayout, record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([name]) => Object.prototype.hasOwnProperty.call(layout.fields, name)));
}

/** Packs key/value records with one row's layouts, each without the fields that row lacks. */
export function encodePairs(
  row: MapLayout,
  pairs: readonly (readonly [Record<string, unknown>, Record<string, unknown>])[],
): PackedEntries {
  const keys = Buffer.alloc(pairs.length * row.keySize);
  const values = Buffer.alloc(pairs.length * row.valueSize);
  pairs.forEach(([k, v], i) => {
    row.key.encode(fieldsIn(row.key, k) as never, keys, i * row.keySize);
    row.value.encode(fieldsIn(row.value, v) as never, values, i * row.valueSize);
  });
  return { keys, values, count: pairs.length, keySize: row.keySize, valueSize: row.valueSize, map: row.map };
}

/**
 * The row an encoder of a map that comes per IP family packs with: `family` (4 by default) picks
 * the table, `version` the row; any other option is refused as `what`'s.
 */
export function familyRow(
  tables: Readonly<Record<IpFamily, readonly MapLayout[]>>,
  options: { version?: string; family?: IpFamily },
  what: string,
): { row: MapLayout; family: IpFamily } {
  const { family = 4, ...rest } = options;
  const checked = checkFamily(family);
  return { row: rowFor(tables[checked], encodeVersion(rest, what)), family: checked };
}

/** The encode options: only the version. */
export function encodeVersion(options: unknown, what: string): Minor | undefined {
  return parseVersion(checkOptions<{ version?: string }>(options, ['version'], what).version);
}
