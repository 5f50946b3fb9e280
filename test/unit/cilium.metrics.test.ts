// cilium_metrics: keys and per-CPU values laid out by hand from cilium-maps.md §4, decoded and printed
// per version.
import { describe, expect, it } from 'vitest';
import { cilium, type MetricsEntry } from 'bpfscope';

/** struct metrics_key (8 B): reason @0, dir @1, line u16 @2 and file @4 (1.16+; zero before). */
function key(reason: number, dir: number, line = 0, file = 0): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(reason, 0);
  b.writeUInt8(dir, 1);
  b.writeUInt16LE(line, 2);
  b.writeUInt8(file, 4);
  return b;
}

/** One struct metrics_value (count u64 @0, bytes u64 @8) per possible CPU. */
function perCpu(...cpus: [number, number][]): Buffer {
  return Buffer.concat(cpus.map(([count, bytes]) => {
    const b = Buffer.alloc(16);
    b.writeBigUInt64LE(BigInt(count), 0);
    b.writeBigUInt64LE(BigInt(bytes), 8);
    return b;
  }));
}

// The reference's illustrative rows, split over 2 CPUs. Reason 3 Interface, 133 Policy denied, 0 Success;
// file 1 bpf_host.c, 2 bpf_lxc.c; dir 1 INGRESS, 2 EGRESS.
const keys = Buffer.concat([key(0, 2, 1713, 2), key(133, 2, 1363, 2), key(3, 1, 861, 1)]);
const values = Buffer.concat([perCpu([90, 7000], [9, 611]), perCpu([12, 888], [0, 0]), perCpu([2000, 400000], [310, 53216])]);

describe('cilium metrics decode', () => {
  it('sums packets and bytes over CPUs as bigint and keeps each CPU', () => {
    const records = cilium.decode.metrics(keys, values, 3, { version: '1.16' });
    expect(records.layout).toMatchObject({ map: 'cilium_metrics', version: '1.16', keySize: 8, valueSize: 16 });
    expect(records[0]).toEqual({
      reason: 0, reasonName: 'Success', isDrop: false, direction: 'EGRESS', packets: 99n, bytes: 7611n,
      perCpu: [{ packets: 90n, bytes: 7000n }, { packets: 9n, bytes: 611n }], line: 1713, fileId: 2, file: 'bpf_lxc.c',
    });
    expect(records[1]).toMatchObject({ reason: 133, reasonName: 'Policy denied', isDrop: true, packets: 12n, bytes: 888n });
    expect(records[2]).toMatchObject({ reasonName: 'Interface', direction: 'INGRESS', packets: 2310n, bytes: 453216n, file: 'bpf_host.c' });
  });

  it('takes the CPU count from the option or from the buffer size', () => {
    expect(cilium.decode.metrics(keys, values, 3, { cpus: 2 })[2].packets).toBe(2310n);
    expect(() => cilium.decode.metrics(keys, values, 3, { cpus: 3 })).toThrow(RangeError);
    expect(() => cilium.decode.metrics(keys, values.subarray(0, 40), 3)).toThrow(RangeError);
    expect(() => cilium.decode.metrics(keys, Buffer.alloc(0), 3)).toThrow(new RangeError('metrics values: 0 bytes are not 3 entries × CPUs × 16'));
  });

  it('1.14/1.15 have no line or file', () => {
    const [r] = cilium.decode.metrics(key(133, 1), perCpu([1, 60]), 1, { version: '1.15' });
    expect(r.line).toBeUndefined();
    expect(r.file).toBeUndefined();
    expect(r.direction).toBe('INGRESS');
  });

  it('file ids were renumbered: 110 is l3.h, local_delivery.h, trace.h in 1.16, 1.18, 1.19', () => {
    const k = key(133, 2, 10, 110);
    const v = perCpu([1, 1]);
    expect(cilium.decode.metrics(k, v, 1, { version: '1.16' })[0].file).toBe('l3.h');
    expect(cilium.decode.metrics(k, v, 1, { version: '1.17' })[0].file).toBe('l3.h');
    expect(cilium.decode.metrics(k, v, 1, { version: '1.18' })[0].file).toBe('local_delivery.h');
    expect(cilium.decode.metrics(k, v, 1, { version: '1.19' })[0].file).toBe('trace.h');
    expect(cilium.decode.metrics(key(1, 1, 1, 114), v, 1, { version: '1.16' })[0].file).toBe('unknown(114)');
    expect(cilium.decode.metrics(key(1, 1, 1, 114), v, 1, { version: '1.17' })[0].file).toBe('host_firewall.h');
    expect(cilium.decode.metrics(key(1, 1, 1, 6), v, 1, { version: '1.19' })[0].file).toBe('bpf_network.c');
    expect(cilium.decode.metrics(key(1, 1, 1, 6), v, 1, { version: '1.20' })[0].file).toBe('unknown(6)');
    expect(cilium.decode.metrics(key(1, 1, 1, 0), v, 1, { version: '1.20' })[0].file).toBe('unknown(0)');
  });

  it('reason texts follow the version; unknown codes print "<code>, 0"; other dir bytes are UNKNOWN', () => {
    const v = perCpu([1, 1]);
    expect(cilium.decode.metrics(key(205, 2), v, 1, { version: '1.17' })[0].reasonName).toBe('205, 0');
    expect(cilium.decode.metrics(key(205, 2), v, 1, { version: '1.18' })[0].reasonName).toBe('Punt to proxy');
    expect(cilium.decode.metrics(key(195, 2), v, 1, { version: '1.14' })[0].reasonName).toBe('195, 0');
    expect(cilium.decode.metrics(key(195, 2), v, 1, { version: '1.15' })[0].reasonName).toBe('Traffic is unencrypted');
    expect(cilium.decode.metrics(key(202, 2), v, 1, { version: '1.14' })[0].reasonName).toBe('Host datapath not ready');
    expect(cilium.decode.metrics(key(15, 2), v, 1, { version: '1.19' })[0].reasonName).toBe('MTU error message');
    expect(cilium.decode.metrics(key(159, 2), v, 1)[0].reasonName).toBe('159, 0');
    expect(cilium.decode.metrics(key(1, 2), v, 1)[0].reasonName).toBe('1, 0');
    expect(cilium.decode.metrics(key(2, 2), v, 1)[0]).toMatchObject({ reasonName: 'Invalid packet', isDrop: true });
    expect(cilium.decode.metrics(key(0, 4), v, 1)[0].direction).toBe('UNKNOWN');
    expect(cilium.decode.metrics(key(0, 3), v, 1)[0].direction).toBe('SERVICE');
  });

  it('the encoder writes the reference bytes', () => {
    const packed = cilium.encode.metrics([
      { reason: 0, direction: 'EGRESS', line: 1713, fileId: 2, perCpu: [{ packets: 90n, bytes: 7000n }, { packets: 9n, bytes: 611n }] },
      { reason: 133, direction: 'EGRESS', line: 1363, fileId: 2, perCpu: [{ packets: 12n, bytes: 888n }] },
      { reason: 3, direction: 'INGRESS', line: 861, fileId: 1, perCpu: [{ packets: 2000n, bytes: 400000n }, { packets: 310n, bytes: 53216n }] },
    ], { cpus: 2 });
    expect(packed.keys).toEqual(keys);
    expect(packed.values).toEqual(values);
    const one = (e: Partial<MetricsEntry>) => ({ reason: 1, direction: 'INGRESS' as const, perCpu: [], ...e });
    expect(() => cilium.encode.metrics([one({ perCpu: [{ packets: 1n, bytes: 1n }, { packets: 2n, bytes: 2n }, { packets: 3n, bytes: 3n }] })], { cpus: 2 }))
      .toThrow(new RangeError('3 per-CPU values for 2 CPUs'));
    expect(() => cilium.encode.metrics([one({ direction: 'SIDEWAYS' as never })], { cpus: 2 })).toThrow(new RangeError("unknown direction 'SIDEWAYS'"));
    expect(() => cilium.encode.metrics([one({})], { cpus: 0 })).toThrow(new RangeError('cpus must be a positive integer, got 0'));
  });
});

describe('cilium metrics format', () => {
  it('1.16+: REASON DIRECTION PACKETS BYTES LINE FILE (the reference example)', () => {
    const expected =
      'REASON          DIRECTION   PACKETS   BYTES    LINE   FILE\n' +
      'Interface       INGRESS     2310      453216   861    bpf_host.c\n' +
      'Policy denied   EGRESS      12        888      1363   bpf_lxc.c\n' +
      'Success         EGRESS      99        7611     1713   bpf_lxc.c\n';
    for (const version of ['1.16', '1.17', '1.18', '1.19', '1.20']) {
      expect(cilium.format.metrics(cilium.decode.metrics(keys, values, 3, { version }))).toBe(expected);
    }
  });

  it.each(['1.14', '1.15'])('%s: four columns, the last unpadded', (version) => {
    const old = Buffer.concat([key(0, 2), key(133, 2), key(3, 1)]);
    expect(cilium.format.metrics(cilium.decode.metrics(old, values, 3, { version }))).toBe(
      'REASON          DIRECTION   PACKETS   BYTES\n' +
      'Interface       INGRESS     2310      453216\n' +
      'Policy denied   EGRESS      12        888\n' +
      'Success         EGRESS      99        7611\n',
    );
  });

  it('sorts rows cell by cell as strings ("10" before "9"), one row per key', () => {
    const k = Buffer.concat([key(133, 2, 500, 2), key(133, 2, 600, 2), key(133, 1, 700, 2)]);
    const v = Buffer.concat([perCpu([9, 90]), perCpu([10, 100]), perCpu([1, 1])]);
    expect(cilium.format.metrics(cilium.decode.metrics(k, v, 3, { version: '1.16' }))).toBe(
      'REASON          DIRECTION   PACKETS   BYTES   LINE   FILE\n' +
      'Policy denied   EGRESS      10        100     600    bpf_lxc.c\n' +
      'Policy denied   EGRESS      9         90      500    bpf_lxc.c\n' +
      'Policy denied   INGRESS     1         1       700    bpf_lxc.c\n',
    );
  });

  it('prints "No entries found." when empty', () => {
    expect(cilium.format.metrics([])).toBe('No entries found.\n');
  });
});
