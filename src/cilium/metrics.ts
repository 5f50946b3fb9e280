// The metrics map `cilium_metrics`: a per-CPU hash of forward and drop counters by reason and
// direction (and, 1.16+, by source line and file) (cilium-maps.md §4).
//
// Cilium versions → key/value layout:
//
//   version  key (struct metrics_key, 8 B)                          value (struct metrics_value, 16 B per CPU)
//   1.14–15  reason u8 @0, dir u8 @1 (bits 0–1; read whole), rest 0  count u64 @0, bytes u64 @8
//   1.16+    … line u16 @2, file u8 @4 (ids renumbered per version)   same
//
// The sizes never change: the version option chooses (line/file ids and the reason texts).
import { defineLayout, type Decoded } from '../layout';
import { encodePairs, encodeVersion, rowFor, type MapLayout, type PackedEntries } from './codec';
import { COUNTER, decodeCounterPairs, encodeCounters, type PerCpuDecodeOptions } from './counters';
import { DIRECTIONS, directionName, fileName, isDropReason, reasonName, type MetricDirection } from './tables';
import { columns, compareCells } from './text';
import { formatVersion, recordPrototype, withLayout, type CiliumRecords, type WithPrototype } from './version';

const KEY_1_14 = defineLayout({
  reason: { offset: 0, type: 'u8' },
  dir: { offset: 1, type: 'u8' },
}, 8);
const KEY_1_16 = defineLayout({
  reason: { offset: 0, type: 'u8' },
  dir: { offset: 1, type: 'u8' },
  line: { offset: 2, type: 'u16' },
  file: { offset: 4, type: 'u8' },
}, 8);

type Key = Decoded<typeof KEY_1_14.fields> & Partial<Decoded<typeof KEY_1_16.fields>>;

export const METRICS_LAYOUTS: readonly MapLayout[] = [
  { since: 14, until: 15, map: 'cilium_metrics', name: 'metrics_key (reason, dir) / metrics_value per CPU', keySize: 8, valueSize: 16, key: KEY_1_14, value: COUNTER },
  { since: 16, until: 20, map: 'cilium_metrics', name: 'metrics_key (reason, dir, line, file) / metrics_value per CPU', keySize: 8, valueSize: 16, key: KEY_1_16, value: COUNTER },
];

export interface MetricsRecord {
  /** The reason code: 0 forwarded, <130 a forward sub-reason, ≥130 (and 2) a drop (stored negated in BPF). */
  reason: number;
  /** `DropReason(code)` of that version; `'<code>, 0'` when unknown. */
  reasonName: string;
  isDrop: boolean;
  direction: MetricDirection;
  /** Summed over CPUs. */
  packets: bigint;
  bytes: bigint;
  /** One entry per possible CPU. */
  perCpu: { packets: bigint; bytes: bigint }[];
  /** 1.16+: the `__LINE__` and the source file of the update; undefined before. */
  line?: number;
  fileId?: number;
  /** `BPFFileName(fileId)` of that version, `unknown(<id>)` when it has no name. */
  file?: string;
}

/** The decode options and `cpus`, the possible CPUs (default: the value bytes / (count × 16)). */
export type MetricsDecodeOptions = PerCpuDecodeOptions;

/** Decodes packed `cilium_metrics` keys and per-CPU values (possible CPUs × 16 bytes per entry). */
export function decodeMetrics(keys: Buffer, values: Buffer, count: number, options: MetricsDecodeOptions = {}): CiliumRecords<MetricsRecord> {
  const { keys: ks, counters, minor, used } = decodeCounterPairs<Key>('metrics', METRICS_LAYOUTS, keys, values, count, options);
  const prototype = recordPrototype(minor);
  const records = ks.map((k, i): MetricsRecord => {
    const record: WithPrototype<MetricsRecord> = {
      __proto__: prototype,
      reason: k.reason,
      reasonName: reasonName(k.reason, minor),
      isDrop: isDropReason(k.reason),
      direction: directionName(k.dir),
      ...counters[i],
    };
    if (k.line !== undefined && k.file !== undefined) {
      record.line = k.line;
      record.fileId = k.file;
      record.file = fileName(k.file, minor);
    }
    return record;
  });
  return withLayout(records, used);
}

export interface MetricsEntry {
  reason: number;
  direction: MetricDirection;
  line?: number;
  fileId?: number;
  /** Per CPU, in CPU order; CPUs left out count 0. */
  perCpu: { packets: bigint; bytes: bigint }[];
}

/** Packs entries into `cilium_metrics` keys and per-CPU values (`cpus` × 16 bytes per entry). */
export function encodeMetrics(entries: readonly MetricsEntry[], options: { version?: string; cpus: number }): PackedEntries {
  const { cpus, ...rest } = options;
  const values = encodeCounters(entries.map((e) => e.perCpu), cpus);
  const row = rowFor(METRICS_LAYOUTS, encodeVersion(rest, 'cilium metrics encode options'));
  const packed = encodePairs(row, entries.map((e) => {
    const dir = DIRECTIONS.indexOf(e.direction);
    if (dir < 0) throw new RangeError(`unknown direction '${e.direction}'`);
    return [{ reason: e.reason, dir, line: e.line, file: e.fileId }, {}] as const;
  }));
  return { ...packed, values };
}

/**
 * What `cilium-dbg bpf metrics list` of that version prints: rows sorted cell by cell, as it does;
 * the version as formatVersion picks it.
 */
export function formatMetrics(records: readonly MetricsRecord[], options?: { version?: string }): string {
  const minor = formatVersion(records, options, 'cilium.format.metrics');
  if (records.length === 0) return 'No entries found.\n';
  const withLines = minor >= 16;
  const header = withLines ? ['REASON', 'DIRECTION', 'PACKETS', 'BYTES', 'LINE', 'FILE'] : ['REASON', 'DIRECTION', 'PACKETS', 'BYTES'];
  const rows = records.map((r) => {
    const cells = [reasonName(r.reason, minor), r.direction, String(r.packets), String(r.bytes)];
    if (withLines) cells.push(String(r.line ?? 0), fileName(r.fileId ?? 0, minor)!);
    return cells;
  });
  return columns(header, rows.sort(compareCells));
}
