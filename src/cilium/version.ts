// Cilium versions and the choice of a map layout.
//
// Layouts are told apart by map name and key/value size first. Where sizes cannot tell (the 1.14
// cluster-id position, metrics file ids, the 1.16 comma in `ipcache list`, …) the caller's
// `version` decides; without one, the newest version whose layouts fit the sizes is used.
// Per-version facts follow cilium-maps.md: the newest patch release read for 1.14 (1.14.16),
// 1.15 (1.15.7) and 1.16 (1.16.15), the branch points for 1.17, 1.18 and 1.19, and main for 1.20;
// where it falls short (byte orders, fields it does not list, cilium-dbg's text for conntrack and
// the load balancer), Cilium's source at the same commits, as each module's top comment says.
import { checkOptions } from '../validate';

/** The Cilium minor versions bpfscope knows; '1.20' is 1.20-dev (main). */
export const CILIUM_VERSIONS = ['1.14', '1.15', '1.16', '1.17', '1.18', '1.19', '1.20'] as const;
export type CiliumVersion = (typeof CILIUM_VERSIONS)[number];

const OLDEST = 14;
const NEWEST = 20;

/** Minor version number (14 … 20), the internal form. */
export type Minor = number;

/**
 * Parses '1.16', '1.16.15', 'v1.17.0-rc.1', '1.20.0-dev'. Versions older than 1.14 are a RangeError;
 * newer than the newest known use the newest layouts (the caller sees that in `layout.version`).
 */
export function parseVersion(value: unknown, what = 'version'): Minor | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string like '1.16', got ${typeof value}`);
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:-[0-9A-Za-z.-]+)?$/.exec(value.trim());
  if (!m) throw new TypeError(`${what} must look like '1.16' or '1.16.15', got '${value}'`);
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major !== 1 || minor < OLDEST) {
    if (major > 1) return NEWEST;
    throw new RangeError(`${what} ${value}: bpfscope knows Cilium ${CILIUM_VERSIONS[0]} and newer`);
  }
  return Math.min(minor, NEWEST);
}

export function versionName(minor: Minor): CiliumVersion {
  return `1.${minor}` as CiliumVersion;
}

/**
 * Why Cilium `version` has no `cilium-dbg <command>`, a command of the versions `since` to `until`
 * only; undefined when it has it, or when no version is given (the node's maps may tell then).
 */
export function missingCommand(command: string, version: string | undefined, { since = OLDEST, until = NEWEST }: { since?: Minor; until?: Minor }): string | undefined {
  const minor = parseVersion(version);
  if (minor === undefined || (minor >= since && minor <= until)) return undefined;
  const has = minor < since ? `it came in ${versionName(since)}` : `${versionName(OLDEST)} to ${versionName(until)} have it`;
  return `cilium-dbg ${command} does not exist in Cilium ${versionName(minor)} (${has})`;
}

/** One row of a map's "Cilium versions → layout" table. */
export interface VersionedLayout {
  /** Oldest and newest minor version with this layout (inclusive). */
  since: Minor;
  until: Minor;
  /** A short name of the layout, as reports show it: 'remote_endpoint_info v2 (1.18+)'. */
  name: string;
  keySize: number;
  valueSize: number;
}

/** Which layout decoded a result, and why. */
export interface LayoutUsed {
  /** The map's name ('cilium_ipcache_v2'). */
  map: string;
  /** The Cilium version whose layout and text format were used. */
  version: CiliumVersion;
  /** Whether that version was given by the caller or chosen as the newest that fits the sizes. */
  versionFrom: 'option' | 'sizes';
  /** Names of the key and value layouts. */
  layout: string;
  keySize: number;
  valueSize: number;
  /** Readers: the map's id, and its pin when it was found by pin (not by name). */
  mapId?: number;
  pinned?: string;
}

/** Records of one map, with the layout that decoded them. */
export type CiliumRecords<T> = T[] & { layout: LayoutUsed };

// The records of ipcache, cilium_lxc and cilium_metrics, whose text differs per version, also
// remember the version that decoded them, on their prototype: one shared object per version that
// holds it under a symbol. The array's `layout` is lost by the arrays .filter(), .slice() or a
// spread derive from it; the records' prototype goes wherever they go. A prototype with nothing
// enumerable keeps a record a plain object to Object.keys, JSON, toEqual and console.log. Set in
// the object literal (`__proto__:`), it left the decoding of 100k ipcache entries within noise
// (medians 1–3% apart over 35 interleaved runs); Object.setPrototypeOf on each record afterwards
// cost 8–10%.
const DECODED_WITH = Symbol('bpfscope: the Cilium version that decoded this record');
const RECORD_PROTOTYPES = new Map<Minor, object>();

/** A record type as an object literal with its prototype (`{ __proto__: recordPrototype(minor), … }`). */
export type WithPrototype<T> = T & { __proto__: object };

/** The prototype of the records a version decodes: it carries the version for formatVersion. */
export function recordPrototype(minor: Minor): object {
  let prototype = RECORD_PROTOTYPES.get(minor);
  if (prototype === undefined) {
    prototype = Object.create(Object.prototype, { [DECODED_WITH]: { value: versionName(minor) } }) as object;
    RECORD_PROTOTYPES.set(minor, prototype);
  }
  return prototype;
}

/** Attaches `layout` as a non-enumerable property, so the records still compare and print as a plain array. */
export function withLayout<T>(records: T[], layout: LayoutUsed): CiliumRecords<T> {
  return Object.defineProperty(records, 'layout', { value: layout, enumerable: false, writable: false, configurable: true }) as CiliumRecords<T>;
}

/**
 * Picks the table row for these sizes and version. With a version, the row covering it must also
 * fit the sizes; otherwise the row that fits the sizes and is newest wins (a 12-byte ipcache value
 * read with version 1.19 is the v1 value 1.18 and 1.19 still open for restoration).
 */
export function chooseLayout<R extends VersionedLayout>(
  map: string,
  table: readonly R[],
  sizes: { keySize: number; valueSize: number },
  version: Minor | undefined,
): { row: R; minor: Minor; used: LayoutUsed } {
  const fits = table.filter((r) => r.keySize === sizes.keySize && r.valueSize === sizes.valueSize);
  if (fits.length === 0) {
    const known = [...new Set(table.map((r) => `${r.keySize}/${r.valueSize}`))].join(', ');
    throw new RangeError(`${map}: key/value sizes ${sizes.keySize}/${sizes.valueSize} match no known Cilium layout (${known})`);
  }
  let row: R;
  let minor: Minor;
  if (version !== undefined) {
    // The version's own row when it fits; else the fitting row nearest to it (sizes win).
    row = fits.find((r) => version >= r.since && version <= r.until) ??
      fits.reduce((a, b) => (distance(b, version) < distance(a, version) ? b : a));
    minor = version >= row.since && version <= row.until ? version : version < row.since ? row.since : row.until;
  } else {
    row = fits.reduce((a, b) => (b.until > a.until ? b : a));
    minor = row.until;
  }
  return {
    row,
    minor,
    used: {
      map,
      version: versionName(minor),
      versionFrom: version !== undefined && minor === version ? 'option' : 'sizes',
      layout: row.name,
      keySize: sizes.keySize,
      valueSize: sizes.valueSize,
    },
  };
}

function distance(row: VersionedLayout, version: Minor): number {
  return version < row.since ? row.since - version : version > row.until ? version - row.until : 0;
}

/**
 * The version a formatter uses: the `version` option; else the one the records were decoded with
 * (the array's `layout`, or, for an array derived from decoded records, the version each record
 * carries); else, for records built by hand, the newest. Records of different versions without a
 * `version` option are a RangeError: no one text is right for all of them.
 */
export function formatVersion(records: readonly unknown[], options: unknown, what: string): Minor {
  if (!Array.isArray(records)) throw new TypeError(`${what}: records must be an array`);
  const { version } = checkOptions<{ version?: string }>(options, ['version'], `${what} options`);
  const decodedWith = parseVersion(version) ?? parseVersion((records as { layout?: LayoutUsed }).layout?.version) ?? parseVersion(recordsVersion(records, what));
  return decodedWith ?? NEWEST;
}

/** The version the records were decoded with, undefined when none carries one. */
function recordsVersion(records: readonly unknown[], what: string): CiliumVersion | undefined {
  let found: CiliumVersion | undefined;
  for (const record of records) {
    const version = (record as { [DECODED_WITH]?: CiliumVersion } | null)?.[DECODED_WITH];
    if (version === undefined || version === found) continue;
    if (found !== undefined) throw new RangeError(`${what}: the records were decoded with Cilium ${found} and ${version}; pass { version }`);
    found = version;
  }
  return found;
}

export const NEWEST_VERSION: Minor = NEWEST;
