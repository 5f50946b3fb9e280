// cilium.names (reason, file, identity tables per version), version parsing and option checks.
import { describe, expect, it } from 'vitest';
import { cilium } from 'bpfscope';

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
  });

  it('formatters check their options and input', () => {
    expect(() => cilium.format.ipcache([], { versoin: '1.16' } as never)).toThrow(/unknown option 'versoin'/);
    expect(() => cilium.format.metrics('x' as never)).toThrow(TypeError);
    expect(() => cilium.format.endpoints([], { version: '0.9' })).toThrow(RangeError);
  });
});
