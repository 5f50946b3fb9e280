// Maglev lookup tables: per service (by its rev-NAT index), the table of backend ids the datapath
// picks from by a flow's hash (`cilium-dbg bpf lb maglev list`). A map of maps: the outer map names,
// per service, an inner array whose one entry is the whole table.
//
// Cilium versions → maps, key/value layout (1.14–1.20-dev, unchanged):
//
//   cilium_lb4_maglev, cilium_lb6_maglev   BPF_MAP_TYPE_HASH_OF_MAPS, 65536 entries
//     key   u16 rev_nat_index, 2 B, in network byte order (MaglevOuterKey.toNetwork/ToNetwork, and
//           the datapath looks it up with the service's be16 rev_nat_index)
//     value u32: the inner map's fd when written; its id when user space reads it
//   cilium_maglev_inner (each service's inner map)   BPF_MAP_TYPE_ARRAY, 1 entry
//     key   u32 0
//     value u32 backend_id[M], 4·M B: the whole table at key 0; M is the agent's
//           --bpf-lb-maglev-table-size (default 16381, one of 251, 509, 1021, 2039, 4093, 8191,
//           16381, 32749, 65521, 131071)
// Read from bpf/lib/lb.h (the maps' definitions, LB_MAGLEV_LUT_SIZE), pkg/maps/lbmap/maglev*.go
// (1.14–1.17), pkg/loadbalancer/maps/{types,lbmaps}.go (1.18+) and pkg/maglev/maglev.go of each
// version; not in cilium-maps.md. Which nodes have the maps: up to 1.16 those running Maglev
// (--bpf-lb-algorithm=maglev: daemon/cmd/datapath.go calls InitMaglevMaps), in 1.17 also those that
// take a service's algorithm from its annotation; from 1.18 every node with the family on
// (pkg/loadbalancer/maps/lbmaps.go allMaps), the tables filled for Maglev services only.
//
// `cilium-dbg bpf lb maglev get <service id>` (bpf_lb_maglev_get.go, 1.14–1.17; gone in 1.18 with
// the move to pkg/loadbalancer/maps, commit 445e8ef876): strconv.ParseUint(id, 10, 16), the id's
// entry looked up in cilium_lb4_maglev then cilium_lb6_maglev (a map or entry missing is skipped),
// the rows as `list` prints them; none: `Error: No entry found for service <id>` (stderr, exit 1).
import { defineLayout } from '../layout';
import { checkOptions, describe } from '../validate';
import { checkBuffers, DECODE_OPTIONS, familyRow, type DecodeOptions, type IpFamily, type MapLayout, type PackedEntries } from './codec';
import { REV_NAT_KEY } from './lb';
import { tablePrinter } from './text';
import { chooseLayout, missingCommand, parseVersion, withLayout, type CiliumRecords, type Minor } from './version';

/** A map-in-map's value as user space reads it: the inner map's id (u32). */
export const INNER_MAP_ID = defineLayout({ innerMapId: { offset: 0, type: 'u32' } }, 4);

const outer = (family: IpFamily): MapLayout => ({
  since: 14, until: 20, map: `cilium_lb${family}_maglev`, name: 'u16 rev_nat_index / inner map id (hash of maps)',
  keySize: REV_NAT_KEY.size, valueSize: INNER_MAP_ID.size, key: REV_NAT_KEY, value: INNER_MAP_ID,
});
/** The outer maps; each entry's table is in the inner array it names. */
export const MAGLEV_LAYOUTS: readonly MapLayout[] = [outer(4)];
export const MAGLEV6_LAYOUTS: readonly MapLayout[] = [outer(6)];

/** Bytes of one backend id in a table (loadbalancer.BackendID, a u32). */
const BACKEND_ID_SIZE = 4;
/** The agent's default table size (pkg/maglev DefaultTableSize), what an empty encode is sized for. */
export const MAGLEV_DEFAULT_TABLE_SIZE = 16381;

export interface MaglevRecord {
  /** 4 or 6: the map the entry is in (cilium-dbg prints it as `/v4`, `/v6`). */
  family: IpFamily;
  /** The service's rev-NAT index (cilium-dbg's SVC ID). */
  revNatIndex: number;
  /** The lookup table: M backend ids, a flow going to the one at its hash modulo M. */
  backendIds: number[];
  /** The inner map the table was read from (`cilium.maglev()`; undefined from decode). */
  innerMapId?: number;
}

/** The table layout for M backend ids, made once per M. */
const TABLES = new Map<number, ReturnType<typeof tableLayout>>();
function tableLayout(entries: number) {
  return defineLayout({ backendIds: { offset: 0, type: 'u32', count: entries } }, entries * BACKEND_ID_SIZE);
}
function tableOf(entries: number) {
  let layout = TABLES.get(entries);
  if (layout === undefined) TABLES.set(entries, (layout = tableLayout(entries)));
  return layout;
}

/**
 * Decodes services' lookup tables: `keys` the outer map's keys (be16 rev-NAT indexes), `tables`
 * each one's table as its inner map holds it at key 0 (u32 backend ids), packed back to back.
 * The family follows `map` (`cilium_lb6_maglev`: IPv6; IPv4 otherwise). The layout reported is
 * the outer map's, named with the table's size; `valueSize` is a table's bytes (4·M).
 */
export function decodeMaglev(keys: Buffer, tables: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<MaglevRecord> {
  checkBuffers(keys, tables, count);
  const o = checkOptions<DecodeOptions>(options, DECODE_OPTIONS, 'cilium maglev decode options');
  const family: IpFamily = o.map === MAGLEV6_LAYOUTS[0].map ? 6 : 4;
  const row = (family === 4 ? MAGLEV_LAYOUTS : MAGLEV6_LAYOUTS)[0];
  const keySize = o.keySize ?? (count > 0 ? keys.length / count : row.keySize);
  const { used } = chooseLayout(o.map ?? row.map, [row], { keySize, valueSize: row.valueSize }, parseVersion(o.version));
  const tableSize = o.valueSize ?? (count > 0 ? tables.length / count : MAGLEV_DEFAULT_TABLE_SIZE * BACKEND_ID_SIZE);
  if (!Number.isInteger(tableSize) || tableSize <= 0 || tableSize % BACKEND_ID_SIZE !== 0) {
    throw new RangeError(`${used.map}: a lookup table of ${tableSize} bytes is no whole number of u32 backend ids`);
  }
  if (keys.length < count * keySize) throw new RangeError(`keys: ${keys.length} bytes hold fewer than ${count} keys of ${keySize} bytes`);
  if (tables.length < count * tableSize) throw new RangeError(`tables: ${tables.length} bytes hold fewer than ${count} tables of ${tableSize} bytes`);
  const entries = tableSize / BACKEND_ID_SIZE;
  const layout = tableOf(entries);
  const ks = REV_NAT_KEY.decodeAll(keys, count, keySize);
  const ts = layout.decodeAll(tables, count, tableSize);
  return withLayout(ks.map((k, i): MaglevRecord => ({ family, revNatIndex: k.revNatIndex, backendIds: ts[i].backendIds })), {
    ...used, layout: `${used.layout}, tables of ${entries} u32 backend ids`,
  });
}

/**
 * Packs services' tables for one family's map: the keys (be16 rev-NAT indexes) and the tables,
 * which the caller puts each into an inner array at key 0 (valueSize: a table's bytes). Every table
 * has the same size, as the agent's one table size gives them.
 */
export function encodeMaglev(entries: readonly Pick<MaglevRecord, 'revNatIndex' | 'backendIds'>[], options: { version?: string; family?: IpFamily } = {}): PackedEntries {
  const { row } = familyRow({ 4: MAGLEV_LAYOUTS, 6: MAGLEV6_LAYOUTS }, options, 'cilium maglev encode options');
  const entriesPerTable = entries[0]?.backendIds.length ?? MAGLEV_DEFAULT_TABLE_SIZE;
  const uneven = entries.find((e) => !Array.isArray(e.backendIds) || e.backendIds.length !== entriesPerTable || entriesPerTable === 0);
  if (uneven) throw new RangeError(`cilium.encode.maglev: every table must hold the same number (> 0) of backend ids; service ${uneven.revNatIndex} has ${uneven.backendIds?.length}, the first ${entriesPerTable}`);
  const valueSize = entriesPerTable * BACKEND_ID_SIZE;
  const table = tableOf(entriesPerTable);
  const keys = Buffer.alloc(entries.length * row.keySize);
  const values = Buffer.alloc(entries.length * valueSize);
  entries.forEach((e, i) => {
    row.key.encode({ revNatIndex: e.revNatIndex }, keys, i * row.keySize);
    // The layout checks each id (a u32 integer), where writeUInt32LE packed 1.5 as 1 and '2' as 2.
    table.encode({ backendIds: e.backendIds }, values, i * valueSize);
  });
  return { keys, values, count: entries.length, keySize: row.keySize, valueSize, map: row.map };
}

/**
 * `cilium-dbg bpf lb maglev list` (cilium/cmd/bpf_lb_maglev_list.go in 1.14, cilium-dbg/cmd/ after;
 * the same text in every version): TablePrinter's SVC ID / LOOKUP TABLE, a row per service keyed
 * `[<rev-NAT index>]/v4` or `/v6`, its whole table as Go's `%v` prints a slice (`[1 2 1 …]`). The
 * command has no other form (only `-o json`). Rows sorted (see tablePrinter); for none, the header
 * alone, as cilium-dbg prints for empty or missing maps.
 */
export function formatMaglev(records: readonly MaglevRecord[]): string {
  if (!Array.isArray(records)) throw new TypeError('cilium.format.maglev: records must be an array');
  return tablePrinter('SVC ID', 'LOOKUP TABLE', records.map((r) => [`[${r.revNatIndex}]/v${r.family}`, `[${r.backendIds.join(' ')}]`] as const));
}

/** The last Cilium version with `cilium-dbg bpf lb maglev get`. */
const MAGLEV_GET_UNTIL: Minor = 17;

/** Why a version has no `cilium-dbg bpf lb maglev get` (1.18 and later), or undefined; none given: undefined. */
export function maglevGetMissing(version: string | undefined): string | undefined {
  return missingCommand('bpf lb maglev get', version, { until: MAGLEV_GET_UNTIL });
}

/**
 * `cilium-dbg bpf lb maglev get <service id>` (1.14–1.17): the service's rows as `list` prints them
 * (its IPv4 table, its IPv6 one), or, where neither map holds it, the line cilium-dbg writes to
 * stderr before it exits 1. The maps do not tell versions apart: a `version` after 1.17, which has
 * no such command, is a RangeError.
 */
export function formatMaglevGet(records: readonly MaglevRecord[], revNatIndex: number, options: { version?: string } = {}): string {
  const { version } = checkOptions<{ version?: string }>(options, ['version'], 'cilium.format.maglevGet options');
  const missing = maglevGetMissing(version);
  if (missing !== undefined) throw new RangeError(`cilium.format.maglevGet: ${missing}`);
  if (typeof revNatIndex !== 'number') throw new TypeError(`cilium.format.maglevGet: a service id is a number, got ${describe(revNatIndex)}`);
  if (!Number.isInteger(revNatIndex) || revNatIndex < 0 || revNatIndex > 0xffff) {
    throw new RangeError(`cilium.format.maglevGet: a service id is an integer in 0..65535 (a u16), got ${String(revNatIndex)}`);
  }
  if (!Array.isArray(records)) throw new TypeError('cilium.format.maglevGet: records must be an array');
  const rows = records.filter((r) => r.revNatIndex === revNatIndex);
  return rows.length > 0 ? formatMaglev(rows) : `Error: No entry found for service ${revNatIndex}\n`;
}
