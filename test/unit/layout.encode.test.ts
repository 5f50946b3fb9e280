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

  it('refuses what it cannot write as given, rather than masking, coercing or dropping it', () => {
    const l = defineLayout({
      u8: { offset: 0, type: 'u8' }, i8: { offset: 1, type: 'i8' }, u32: { offset: 4, type: 'u32' }, i32: { offset: 8, type: 'i32' },
      be16: { offset: 12, type: 'be16' }, three: { offset: 14, type: 'u8', bits: [0, 3] }, u64: { offset: 16, type: 'u64' },
      i64: { offset: 24, type: 'i64' }, top: { offset: 32, type: 'u64', bits: [60, 4] }, on: { offset: 40, type: 'bool8' },
      name: { offset: 41, type: { cstring: 4 } }, list: { offset: 46, type: 'u16', count: 2 }, ip: { offset: 52, type: 'ipv4' },
      mac: { offset: 56, type: 'mac' }, raw: { offset: 62, type: { bytes: 2 } },
      union: { offset: 64, type: { ip: 16, v6When: { at: 80, mask: 1, value: 1 } } },
    }, 84);
    const refused: [Record<string, unknown>, ErrorConstructor, string][] = [
      [{ u8: 300 }, RangeError, "field 'u8': 300 is outside u8's 0..255"],
      [{ u8: -1 }, RangeError, "field 'u8': -1 is outside u8's 0..255"],
      [{ i8: 128 }, RangeError, "field 'i8': 128 is outside i8's -128..127"],
      [{ u32: 'x' }, TypeError, "field 'u32': expected a number, got string x"],
      [{ u32: -1 }, RangeError, "field 'u32': -1 is outside u32's 0..4294967295"],
      [{ u32: 2 ** 32 }, RangeError, "field 'u32': 4294967296 is outside u32's 0..4294967295"],
      [{ u32: 1.5 }, RangeError, "field 'u32': 1.5 is not an integer"],
      [{ u32: 7n }, TypeError, "field 'u32': expected a number, got bigint 7"],
      [{ i32: 2 ** 31 }, RangeError, "field 'i32': 2147483648 is outside i32's -2147483648..2147483647"],
      [{ be16: 65536 }, RangeError, "field 'be16': 65536 is outside be16's 0..65535"],
      [{ three: 9 }, RangeError, "field 'three': 9 is outside a 3-bit field's 0..7"],
      [{ u64: -1n }, RangeError, "field 'u64': -1 is outside u64's 0..18446744073709551615"],
      [{ u64: 2n ** 64n }, RangeError, "field 'u64': 18446744073709551616 is outside u64's 0..18446744073709551615"],
      [{ u64: '5' }, TypeError, "field 'u64': expected a bigint, got string 5"],
      [{ u64: 2 ** 60 }, RangeError, `field 'u64': ${2 ** 60} is not a safe integer (give a bigint)`],
      [{ i64: 2n ** 63n }, RangeError, "field 'i64': 9223372036854775808 is outside i64's -9223372036854775808..9223372036854775807"],
      [{ top: 16n }, RangeError, "field 'top': 16 is outside a 4-bit field's 0..15"],
      [{ on: 1 }, TypeError, "field 'on': expected a boolean, got number 1"],
      [{ name: 'abcde' }, RangeError, `field 'name': "abcde" is longer than its 4 bytes`],
      [{ name: 'é€' }, RangeError, `field 'name': "é€" has characters outside latin1`],
      [{ name: 42 }, TypeError, "field 'name': expected a string, got number 42"],
      [{ list: 5 }, TypeError, "field 'list' holds 2 elements: expected an array, got number 5"],
      [{ list: [1, 2, 3] }, RangeError, "field 'list' holds 2 elements, got 3"],
      [{ list: [1, 70000] }, RangeError, "field 'list': 70000 is outside u16's 0..65535"],
      [{ ip: 0x0a000001 }, TypeError, "field 'ip': expected a string, got number 167772161"],
      [{ mac: ['aa'] }, TypeError, "field 'mac': expected a string, got an array"],
      [{ raw: [1, 2] }, TypeError, "field 'raw': expected a Buffer or Uint8Array, got an array"],
      [{ union: 1 }, TypeError, "field 'union': expected a string, got number 1"],
      [{ zz: 1 }, TypeError, "encode: the layout has no field 'zz' (fields: u8, i8, u32, i32, be16, three, u64, i64, top, on, name, list, ip, mac, raw, union)"],
    ];
    for (const [record, kind, message] of refused) {
      expect(() => l.encode(record as never), JSON.stringify(record, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))).toThrow(new kind(message));
    }
    expect(() => l.encode(null as never)).toThrow(new TypeError('encode expects a record object, got null'));
    // What is in range goes through, a 64-bit field also from a safe integer; undefined is left out.
    const b = l.encode({ u8: 255, i8: -128, u32: 0xffffffff, i32: -(2 ** 31), three: 7, u64: 2 ** 53 - 1, i64: -(2n ** 63n), top: 15n, on: false, name: 'abcd', list: [65535], zz: undefined } as never);
    expect(l.decode(b)).toMatchObject({ u8: 255, i8: -128, u32: 0xffffffff, i32: -(2 ** 31), three: 7, u64: 2n ** 53n - 1n, i64: -(2n ** 63n), top: 15n, on: false, name: 'abcd', list: [65535, 0] });
  });
});
