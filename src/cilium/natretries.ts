// Source NAT port allocation: a histogram of how many tries each new mapping took to find a free
// port (`cilium-dbg bpf nat retries list`). Its top bucket counts the mappings that found none and
// were dropped (DROP_NAT_NO_MAPPING): the first sign of a node running out of NAT ports.
//
// Cilium versions → maps, key/value layout:
//
//   1.18–1.20-dev: cilium_snat_v4_alloc_retries, cilium_snat_v6_alloc_retries,
//     BPF_MAP_TYPE_PERCPU_ARRAY of SNAT_COLLISION_RETRIES + 1 = 33 entries
//     key   u32: the ports tried and taken before one was free, 0–31 (0: the first port was
//           free); 32, SNAT_COLLISION_RETRIES: all 32 were taken, no mapping made
//     value u32 per CPU (8-byte slots): the mappings of that bucket
// Read from bpf/lib/nat.h (the maps and snat_v{4,6}_new_mapping), pkg/maps/nat/nat.go
// (SnatCollisionRetries, RetriesKey/RetriesValue) and cilium-dbg/cmd/bpf_nat_retries_list.go of
// each version; before 1.18 there are no such maps. Not in cilium-maps.md.
import { defineLayout } from '../layout';
import { checkOptions } from '../validate';
import { checkBuffers, decodePairs, DECODE_OPTIONS, encodePairs, familyRow, type IpFamily, type MapLayout, type PackedEntries } from './codec';
import type { PerCpuDecodeOptions } from './counters';
import { withLayout, type CiliumRecords } from './version';

const BUCKET = defineLayout({ retries: { offset: 0, type: 'u32' } }, 4);
const COUNT = defineLayout({ count: { offset: 0, type: 'u32' } }, 4);
/** A per-CPU value's slot: round_up(4, 8). */
const SLOT = 8;

/** SNAT_COLLISION_RETRIES: the ports tried before giving up, and the bucket of those that gave up. */
export const SNAT_COLLISION_RETRIES = 32;

const row = (family: IpFamily): MapLayout => ({
  since: 18, until: 20, map: `cilium_snat_v${family}_alloc_retries`, name: 'u32 retries / u32 per CPU',
  keySize: BUCKET.size, valueSize: COUNT.size, key: BUCKET, value: COUNT,
});
export const NAT_RETRIES_LAYOUTS: readonly MapLayout[] = [row(4)];
export const NAT_RETRIES6_LAYOUTS: readonly MapLayout[] = [row(6)];

export interface NatRetriesRecord {
  /** 4 or 6: the map the bucket is in. */
  family: IpFamily;
  /** The ports tried and found taken before a free one (0–31); 32: none was free, the packet was dropped. */
  retries: number;
  /** The mappings in this bucket, summed over CPUs. */
  count: number;
  /** One count per possible CPU. */
  perCpu: number[];
}

/**
 * Decodes packed buckets and their per-CPU counts (possible CPUs × 8 bytes per entry). The family
 * follows `map` (`cilium_snat_v6_alloc_retries`: IPv6; IPv4 otherwise).
 */
export function decodeNatRetries(keys: Buffer, values: Buffer, count: number, options: PerCpuDecodeOptions = {}): CiliumRecords<NatRetriesRecord> {
  checkBuffers(keys, values, count);
  const { cpus: givenCpus, ...rest } = checkOptions<PerCpuDecodeOptions>(options, [...DECODE_OPTIONS, 'cpus'], 'cilium nat retries decode options');
  const family: IpFamily = rest.map === NAT_RETRIES6_LAYOUTS[0].map ? 6 : 4;
  const cpus = givenCpus ?? (count > 0 ? values.length / (count * SLOT) : 1);
  if (!Number.isInteger(cpus) || cpus < 1) throw new RangeError(`nat retries values: ${values.length} bytes are not ${count} entries × CPUs × ${SLOT}`);
  // A given cpus must fit the values too: decodePairs checks one value per entry, not every CPU's slot.
  if (values.length < count * cpus * SLOT) throw new RangeError(`nat retries values: ${values.length} bytes hold fewer than ${count} entries × ${cpus} CPUs × ${SLOT}`);
  const table = family === 4 ? NAT_RETRIES_LAYOUTS : NAT_RETRIES6_LAYOUTS;
  const { keys: ks, used } = decodePairs<{ retries: number }, never>('nat retries', table, keys, values, count, { ...rest, valueSize: rest.valueSize ?? COUNT.size }, cpus * SLOT);
  return withLayout(ks.map(({ retries }, i): NatRetriesRecord => {
    const perCpu = Array.from({ length: cpus }, (_, cpu) => values.readUInt32LE((i * cpus + cpu) * SLOT));
    return { family, retries, count: perCpu.reduce((a, b) => a + b, 0), perCpu };
  }), used);
}

/** Packs buckets with their per-CPU counts for one family's map (`cpus` slots per entry; CPUs left out count 0). */
export function encodeNatRetries(
  entries: readonly Pick<NatRetriesRecord, 'retries' | 'perCpu'>[],
  options: { version?: string; family?: IpFamily; cpus: number },
): PackedEntries {
  const { cpus, ...rest } = options;
  if (!Number.isInteger(cpus) || cpus < 1) throw new RangeError(`cpus must be a positive integer, got ${cpus}`);
  const { row: chosen } = familyRow({ 4: NAT_RETRIES_LAYOUTS, 6: NAT_RETRIES6_LAYOUTS }, rest, 'cilium nat retries encode options');
  const packed = encodePairs(chosen, entries.map(({ retries }) => [{ retries }, {}] as const));
  const values = Buffer.alloc(entries.length * cpus * SLOT);
  entries.forEach((e, i) => {
    if (e.perCpu.length > cpus) throw new RangeError(`${e.perCpu.length} per-CPU counts for ${cpus} CPUs`);
    e.perCpu.forEach((n, cpu) => values.writeUInt32LE(n, (i * cpus + cpu) * SLOT));
  });
  return { ...packed, values };
}

/**
 * `cilium-dbg bpf nat retries list` (1.18+, the same text since): per map read, IPv4 then IPv6,
 * every bucket 0–32 as `retries:\tcount`, a bucket without a record as 0, each count the uint32 Go
 * sums the CPUs' counts into. A map is printed when some record comes from it: both maps always
 * hold all 33 buckets (an array), so records of a map that was read are never none.
 */
export function formatNatRetries(records: readonly NatRetriesRecord[]): string {
  if (!Array.isArray(records)) throw new TypeError('cilium.format.natRetries: records must be an array');
  let text = '';
  for (const family of [4, 6] as const) {
    const own = records.filter((r) => r.family === family);
    if (own.length === 0) continue;
    const histogram = new Array<number>(SNAT_COLLISION_RETRIES + 1).fill(0);
    for (const r of own) {
      if (!Number.isInteger(r.retries) || r.retries < 0 || r.retries > SNAT_COLLISION_RETRIES) {
        throw new RangeError(`cilium.format.natRetries: bucket ${r.retries} is not one of 0–${SNAT_COLLISION_RETRIES}`);
      }
      histogram[r.retries] = r.count >>> 0;
    }
    text += histogram.map((n, k) => `${k}:\t${n}\n`).join('');
  }
  return text;
}
