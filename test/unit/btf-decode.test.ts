// BTF decoding of what the kernel's BTF can say but libbpf's writer (and so the kernel tests) cannot
// build: ints that carry their own bit offset and width, placed at a bit offset inside a struct
// without kind_flag (old-style bitfields, as bpftool's btf_dumper_int reads them).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { BtfDecoders } = require('../../dist/cjs/btf.js') as {
  BtfDecoders: new (table: unknown) => { get(id: number): (v: DataView, b: Buffer, at: number) => unknown };
};

describe('BTF decoders', () => {
  it('read an int member at a bit offset, and an int type with its own bit offset, as bitfields', () => {
    const decoders = new BtfDecoders({
      valueTypeId: 3,
      types: {
        '1': { kind: 'int', name: 'u8_3', size: 1, encoding: 'unsigned', bits: 3, bitOffset: 0 },
        '2': { kind: 'int', name: 'u32_4_at_2', size: 4, encoding: 'unsigned', bits: 4, bitOffset: 2 },
        '3': {
          kind: 'struct', name: 'old_style', size: 4, members: [
            { name: 'a', type: 1, bitOffset: 3, bitSize: 0 }, // bits 3..5
            { name: 'b', type: 2, bitOffset: 8, bitSize: 0 }, // the int's bits 2..5 from byte 1: bits 10..13
          ],
        },
      },
    });
    const decode = decoders.get(3);
    //            bits 3..5 = 0b101   bits 10..13 = 0b1001
    const bytes = Buffer.from([0b0010_1000, 0b0010_0100, 0, 0]);
    expect(decode(new DataView(bytes.buffer, bytes.byteOffset, 4), bytes, 0)).toEqual({ a: 0b101, b: 0b1001 });
    // Neighbouring bits set and the fields' own bits clear: both read 0.
    const around = Buffer.from([0b1100_0111, 0b1100_0011, 0xff, 0xff]);
    expect(decode(new DataView(around.buffer, around.byteOffset, 4), around, 0)).toEqual({ a: 0, b: 0 });
  });

  it('read an int whose own bit offset is past its first bytes from the byte it starts in, as bpftool does', () => {
    // bpftool's btf_dumper_int_bits steps over the whole bytes of the offset before it shifts.
    // Read as one number from the int's first byte, bits 48..55 of 0x00ff_ffff_ffff_ffff need 56
    // bits, more than a double holds exactly: the sum rounded up to 2^56 and the field read 0.
    const decoders = new BtfDecoders({
      valueTypeId: 3,
      types: {
        '1': { kind: 'int', name: 'u64_8_at_48', size: 8, encoding: 'unsigned', bits: 8, bitOffset: 48 },
        '2': { kind: 'int', name: 'u128_4_at_100', size: 16, encoding: 'unsigned', bits: 4, bitOffset: 100 },
        '3': {
          kind: 'struct', name: 'far_bits', size: 24, members: [
            { name: 'a', type: 1, bitOffset: 0, bitSize: 0 },
            { name: 'b', type: 2, bitOffset: 64, bitSize: 0 },
          ],
        },
      },
    });
    const bytes = Buffer.alloc(24, 0xff);
    bytes[7] = 0;
    expect(decoders.get(3)(new DataView(bytes.buffer, bytes.byteOffset, 24), bytes, 0)).toEqual({ a: 0xff, b: 0xf });
    const zeros = Buffer.alloc(24);
    zeros[20] = 0b0011_0000; // bits 100..103 of the u128 at byte 8: byte 8 + 12, from its bit 4
    zeros[6] = 0x5a;
    expect(decoders.get(3)(new DataView(zeros.buffer, zeros.byteOffset, 24), zeros, 0)).toEqual({ a: 0x5a, b: 0b0011 });
  });
});
