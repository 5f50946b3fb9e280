// Per-CPU packet and byte counters: the value of `cilium_metrics` (struct metrics_value) and of
// `cilium_policystats` (struct policy_stats_value), 16 bytes per possible CPU, summed as
// cilium-dbg sums them.
import { defineLayout } from '../layout';
import { checkOptions } from '../validate';
import { checkBuffers, decodePairs, DECODE_OPTIONS, type DecodedPairs, type DecodeOptions, type MapLayout } from './codec';

/** packets u64 @0, bytes u64 @8: one CPU's slot (round_up(16, 8) apart). */
export const COUNTER = defineLayout({
  packets: { offset: 0, type: 'u64' },
  bytes: { offset: 8, type: 'u64' },
}, 16);

/** One CPU's counters. */
export interface CpuCounters {
  packets: bigint;
  bytes: bigint;
}

/** Summed over CPUs, with each CPU's share. */
export interface Counters extends CpuCounters {
  /** One entry per possible CPU. */
  perCpu: CpuCounters[];
}

/** Options of the decoders of per-CPU maps. */
export interface PerCpuDecodeOptions extends DecodeOptions {
  /** Possible CPUs; default: the value bytes / (count × 16). */
  cpus?: number;
}

/**
 * decodePairs for a per-CPU map of counters: the keys decoded, and each entry's counters summed
 * over its `cpus` slots.
 */
export function decodeCounterPairs<K>(
  name: string,
  table: readonly MapLayout[],
  keys: Buffer,
  values: Buffer,
  count: number,
  options: PerCpuDecodeOptions | undefined,
): Omit<DecodedPairs<K, never>, 'values'> & { counters: Counters[] } {
  checkBuffers(keys, values, count);
  const { cpus: givenCpus, ...rest } = checkOptions<PerCpuDecodeOptions>(options, [...DECODE_OPTIONS, 'cpus'], `cilium ${name} decode options`);
  const cpus = givenCpus ?? (count > 0 ? values.length / (count * COUNTER.size) : 1);
  if (!Number.isInteger(cpus) || cpus < 1) throw new RangeError(`${name} values: ${values.length} bytes are not ${count} entries × CPUs × ${COUNTER.size}`);
  const { values: _none, ...pairs } = decodePairs<K, never>(name, table, keys, values, count, { ...rest, valueSize: rest.valueSize ?? COUNTER.size }, cpus * COUNTER.size);
  const perCpuAll = COUNTER.decodeAll(values, count * cpus, COUNTER.size);
  const counters = pairs.keys.map((_, i): Counters => {
    const perCpu = perCpuAll.slice(i * cpus, (i + 1) * cpus);
    let packets = 0n;
    let bytes = 0n;
    for (const c of perCpu) {
      packets += c.packets;
      bytes += c.bytes;
    }
    return { packets, bytes, perCpu };
  });
  return { ...pairs, counters };
}

/** Each entry's per-CPU counters packed as the map holds them (`cpus` × 16 bytes per entry; CPUs left out count 0). */
export function encodeCounters(perCpuOfEach: readonly (readonly CpuCounters[])[], cpus: number): Buffer {
  if (!Number.isInteger(cpus) || cpus < 1) throw new RangeError(`cpus must be a positive integer, got ${cpus}`);
  const values = Buffer.alloc(perCpuOfEach.length * cpus * COUNTER.size);
  perCpuOfEach.forEach((perCpu, i) => {
    if (perCpu.length > cpus) throw new RangeError(`${perCpu.length} per-CPU values for ${cpus} CPUs`);
    perCpu.forEach((c, cpu) => COUNTER.encode(c, values, (i * cpus + cpu) * COUNTER.size));
  });
  return values;
}
