// Layout.encode, the inverse of decode: fields at their offsets, byte order, bitfields that share a
// byte, addresses from text. Expected bytes are written out by hand.
import { describe, expect, it } from 'vitest';
import { defineLayout } from 'bpfscope';

describe('Layout.encode', () => {
  const layout = defineLayout({
    id: { offset: 0, type: 'u32' },
    port: { offset: 4, type: 'be16' },
    deny: { offset: 6, type: 'u8', bits: [0, 1] },
    prefix: { offset: 6, type: 'u8', bits: [3, 5] },
    big: { offset: 8, type: 'u64' },
    ip: { offset: 16, type: 'ipv4' },
    ip6: { offset: 20, type: 'ipv6' },
    mac: { offset: 36, type: 'mac' },
    raw: { offset: 42, type: { bytes: 2 } },
  }, 48);

  it('writes each field where decode reads it', () => {
    const record = {
      id: 0x01020304, port: 8080, deny: 1, prefix: 17, big: 0x1122334455667788n, ip: '10.3.0.115',
      ip6: 'fd00::a0f', mac: '3a:e7:76:b3:40:73', raw: Buffer.from([0xab, 0xcd]),
    };
    const b = layout.encode(record);
    expect(b.subarray(0, 8).toString('hex')).toBe('04030201' + '1f90' + (1 | (17 << 3)).toString(16) + '00');
    expect(b.readBigUInt64LE(8)).toBe(0x1122334455667788n);
    expect([...b.subarray(16, 20)]).toEqual([10, 3, 0, 115]);
    expect(b.subarray(20, 36).toString('hex')).toBe('fd000000000000000000000000000a0f');
    expect(b.subarray(36, 42).toString('hex')).toBe('3ae776b34073');
    expect(b.subarray(42, 44).toString('hex')).toBe('abcd');
    expect(layout.decode(b)).toEqual(record);
  });

  it('leaves fields it is not given alone, and rejects what does not fit', () => {
    const b = Buffer.alloc(48, 0xff);
    layout.encode({ deny: 0 }, b);
    expect(b[6]).toBe(0xfe);
    expect(() => layout.encode({ ip: '10.0.0' })).toThrow(TypeError);
    expect(() => layout.encode({ ip6: '1::2::3' })).toThrow(TypeError);
    expect(() => layout.encode({ raw: Buffer.alloc(3) })).toThrow(RangeError);
    expect(() => layout.encode({}, Buffer.alloc(10))).toThrow(RangeError);
  });
});
