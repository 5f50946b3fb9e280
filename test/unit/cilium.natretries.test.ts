// cilium_snat_v{4,6}_alloc_retries (1.18+): u32 bucket → a u32 per CPU in 8-byte slots, laid out by
// hand, decoded, encoded and printed as cilium-dbg bpf nat retries list prints them.
import { describe, expect, it } from 'vitest';
import { cilium } from 'bpfscope';

const u32s = (...ns: number[]) => Buffer.from(Uint32Array.from(ns).buffer);
/** Each entry's per-CPU counts, each in an 8-byte slot. */
const slots = (...perEntry: number[][]) => Buffer.concat(perEntry.flatMap((cpus) => cpus.map((n) => Buffer.concat([u32s(n), Buffer.alloc(4)]))));

describe('cilium nat retries', () => {
  it('sums each bucket over CPUs; the family follows the map', () => {
    const records = cilium.decode.natRetries(u32s(0, 1, 32), slots([120, 80], [7, 0], [0, 0xffffffff]), 3, { cpus: 2, version: '1.18' });
    expect([...records]).toEqual([
      { family: 4, retries: 0, count: 200, perCpu: [120, 80] },
      { family: 4, retries: 1, count: 7, perCpu: [7, 0] },
      { family: 4, retries: 32, count: 0xffffffff, perCpu: [0, 0xffffffff] },
    ]);
    expect(records.layout).toMatchObject({ map: 'cilium_snat_v4_alloc_retries', version: '1.18', keySize: 4, valueSize: 4 });
    // CPUs from the bytes when not given; the IPv6 map by its name.
    const six = cilium.decode.natRetries(u32s(5), slots([1, 2, 3]), 1, { map: 'cilium_snat_v6_alloc_retries' });
    expect([...six]).toEqual([{ family: 6, retries: 5, count: 6, perCpu: [1, 2, 3] }]);
    expect(() => cilium.decode.natRetries(u32s(0), Buffer.alloc(12), 1)).toThrow(RangeError);
    // A cpus the values are too short for: our message, not Buffer's offset error.
    expect(() => cilium.decode.natRetries(u32s(0), slots([1, 2]), 1, { cpus: 3 })).toThrow(/hold fewer than 1 entries × 3 CPUs × 8/);
  });

  it('encodes what it decodes, CPUs left out as 0', () => {
    const packed = cilium.encode.natRetries([{ retries: 3, perCpu: [9] }], { cpus: 2, family: 6 });
    expect(packed).toMatchObject({ count: 1, keySize: 4, map: 'cilium_snat_v6_alloc_retries' });
    expect(packed.keys).toEqual(u32s(3));
    expect(packed.values).toEqual(slots([9, 0]));
    expect(() => cilium.encode.natRetries([{ retries: 0, perCpu: [1, 2, 3] }], { cpus: 2 })).toThrow(/3 per-CPU counts for 2 CPUs/);
  });

  it('prints all 33 buckets per map, IPv4 then IPv6, each count the uint32 Go sums into', () => {
    const v4 = cilium.decode.natRetries(u32s(0, 1, 32), slots([120, 80], [7, 0], [2, 0xffffffff]), 3, { cpus: 2 });
    const v6 = cilium.decode.natRetries(u32s(2), slots([4, 0]), 1, { cpus: 2, map: 'cilium_snat_v6_alloc_retries' });
    const buckets = (set: Record<number, number>) => Array.from({ length: 33 }, (_, k) => `${k}:\t${set[k] ?? 0}\n`).join('');
    // 2 + 0xffffffff wraps to 1 in Go's uint32.
    expect(cilium.format.natRetries([...v6, ...v4])).toBe(buckets({ 0: 200, 1: 7, 32: 1 }) + buckets({ 2: 4 }));
    expect(cilium.format.natRetries([])).toBe('');
    expect(() => cilium.format.natRetries([{ family: 4, retries: 33, count: 1, perCpu: [1] }])).toThrow(RangeError);
  });

  it('the maps came with 1.18: an older version finds none (ENOENT) before any kernel work', async () => {
    await expect(cilium.natRetries({ version: '1.17', bpffs: '/nonexistent' })).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
