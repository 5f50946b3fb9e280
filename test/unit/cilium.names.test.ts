// cilium.names (reason, file, identity tables per version), version parsing and option checks.
import { describe, expect, it } from 'vitest';
import { inspect } from 'node:util';
import { cilium, type MetricsRecord } from 'bpfscope';

describe('cilium.names', () => {
  it('answers per version, newest by default', () => {
    expect(cilium.names.reason(206)).toBe('No device');
    expect(cilium.names.reason(206, '1.19')).toBe('206, 0');
    expect(cilium.names.file(101)).toBe('drop.h');
    expect(cilium.names.file(101, '1.18.3')).toBe('arp.h');
    expect(cilium.names.file(101, '1.15')).toBeUndefined(); // no file ids before 1.16
    expect(cilium.names.identity(6)).toBe('remote-node');
    expect(cilium.names.identity(10, '1.14')).toBeUndefined();
    expect(cilium.names.identityScope(16777217)).toBe('local');
    expect(cilium.names.identityScope((2 << 24) | 5)).toBe('remote-node');
    // cilium-maps.md §6: the remote-node scope (2<<24) came in 1.15; 1.14 has only global and local.
    expect(cilium.names.identityScope((2 << 24) | 5, '1.15')).toBe('remote-node');
    expect(cilium.names.identityScope((2 << 24) | 5, '1.14')).toBe('unknown');
    expect(cilium.names.identityScope(16777217, '1.14')).toBe('local');
    expect(cilium.names.direction(7)).toBe('UNKNOWN');
    expect(cilium.versions).toEqual(['1.14', '1.15', '1.16', '1.17', '1.18', '1.19', '1.20']);
  });

  it('reads versions with patch, v prefix and pre-release; newer minors use the newest layouts', () => {
    const k = Buffer.alloc(8);
    const v = Buffer.alloc(16);
    for (const [given, used] of [['v1.17.0-rc.1', '1.17'], ['1.16.15', '1.16'], ['1.20.0-dev', '1.20'], ['1.23', '1.20'], ['2.0', '1.20']]) {
      expect(cilium.decode.metrics(k, v, 1, { version: given }).layout.version).toBe(used);
    }
    expect(() => cilium.decode.metrics(k, v, 1, { version: '1.13.9' })).toThrow(RangeError);
    expect(() => cilium.decode.metrics(k, v, 1, { version: 16 as never })).toThrow(TypeError);
    expect(['1.16.15', 'v1.17.0-rc.1', '1.23'].map((v) => cilium.versionOf(v))).toEqual(['1.16', '1.17', '1.20']);
    expect(() => cilium.versionOf('banana')).toThrow(TypeError);
    expect(() => cilium.versionOf(undefined as never)).toThrow(TypeError);
    expect(() => cilium.versionOf('1.13')).toThrow(RangeError);
  });

  it('formatters check their options and input', () => {
    expect(() => cilium.format.ipcache([], { versoin: '1.16' } as never)).toThrow(/unknown option 'versoin'/);
    expect(() => cilium.format.metrics('x' as never)).toThrow(TypeError);
    expect(() => cilium.format.endpoints([], { version: '0.9' })).toThrow(RangeError);
  });
});

describe('the version a formatter uses', () => {
  // Two 1.15 metrics rows (no LINE/FILE columns in 1.14/1.15) and one 1.16 ipcache entry.
  const metrics = cilium.encode.metrics([
    { reason: 133, direction: 'EGRESS', perCpu: [{ packets: 3n, bytes: 180n }] },
    { reason: 0, direction: 'EGRESS', perCpu: [{ packets: 5n, bytes: 300n }] },
  ], { version: '1.15', cpus: 1 });
  const decoded = cilium.decode.metrics(metrics.keys, metrics.values, metrics.count, { version: '1.15' });
  const ipcache = cilium.encode.ipcache([{ prefix: '10.0.0.1/32', identity: 5 }], { version: '1.16' });
  const ipcache16 = cilium.decode.ipcache(ipcache.keys, ipcache.values, 1, { version: '1.16' });

  it('is the decoding one for arrays derived from the records: filter, slice, spread, concat', () => {
    const drops = 'REASON          DIRECTION   PACKETS   BYTES\nPolicy denied   EGRESS      3         180\n';
    expect(cilium.format.metrics(decoded.filter((r) => r.isDrop))).toBe(drops);
    expect(cilium.format.metrics([...decoded].slice(0, 1))).toBe(drops);
    expect(cilium.format.metrics(([] as MetricsRecord[]).concat(decoded))).toBe(cilium.format.metrics(decoded));
    // 1.16's comma before flags, not 1.17+'s space.
    expect(cilium.format.ipcache(ipcache16.slice())).toBe(cilium.format.ipcache(ipcache16));
    expect(cilium.format.ipcache(ipcache16.slice())).toContain(', flags=<none>');
  });

  it('leaves records plain objects', () => {
    const [drop] = decoded.filter((r) => r.isDrop);
    expect(Object.keys(drop)).toEqual(['reason', 'reasonName', 'isDrop', 'direction', 'packets', 'bytes', 'perCpu']);
    expect(drop).toStrictEqual({ reason: 133, reasonName: 'Policy denied', isDrop: true, direction: 'EGRESS', packets: 3n, bytes: 180n, perCpu: [{ packets: 3n, bytes: 180n }] });
    expect(inspect(drop)).toBe(inspect({ ...drop }));
  });

  it('is the option over the records, and records of two versions need one', () => {
    expect(cilium.format.metrics(decoded.slice(0, 1), { version: '1.16' })).toContain('LINE   FILE');
    const other = cilium.decode.metrics(metrics.keys, metrics.values, metrics.count, { version: '1.16' });
    expect(() => cilium.format.metrics([...decoded, ...other])).toThrow(RangeError);
    expect(() => cilium.format.metrics([...decoded, ...other])).toThrow(/decoded with Cilium 1\.15 and 1\.16; pass \{ version \}/);
    expect(cilium.format.metrics([...decoded, ...other], { version: '1.15' })).not.toContain('LINE');
    // Records built by hand carry no version: the newest format.
    expect(cilium.format.metrics([{ ...decoded[0] }])).toContain('LINE   FILE');
  });
});
