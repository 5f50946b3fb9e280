// btfTypesOf on BTF bytes built here by hand (include/uapi/linux/btf.h's layout): split BTF on a
// base, as a module's builds on vmlinux's (this kernel has no module BTF to read), names shared
// and decoded, and data that runs short refused. dumpBtf on the kernel's objects: test/kernel/btf.test.ts.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { BtfTypeRecord } from 'bpfscope';

const require = createRequire(import.meta.url);
const { btfTypesOf } = require('../../dist/cjs/btf-dump.js') as { btfTypesOf: (raw: Buffer, base?: Buffer) => BtfTypeRecord[] };

/** Raw BTF: a 24-byte header, the types as u32 words, the strings. */
function rawBtf(words: number[], strings: string): Buffer {
  const types = Buffer.from(new Uint32Array(words).buffer);
  const str = Buffer.from(strings, 'utf8');
  const header = Buffer.alloc(24);
  header.writeUInt16LE(0xeb9f, 0);
  header.writeUInt8(1, 2);
  header.writeUInt32LE(24, 4);
  header.writeUInt32LE(0, 8);
  header.writeUInt32LE(types.length, 12);
  header.writeUInt32LE(types.length, 16);
  header.writeUInt32LE(str.length, 20);
  return Buffer.concat([header, types, str]);
}

const info = (kind: number, vlen = 0, flag = false) => ((flag ? 1 << 31 : 0) | (kind << 24) | vlen) >>> 0;
const INT = 1, STRUCT = 4, TYPEDEF = 8;
const BASE_STRINGS = '\0int\0long\0';
// [1] INT 'int' size 4, signed, 32 bits; [2] INT 'long' size 8, signed, 64 bits.
const base = rawBtf([1, info(INT), 4, (1 << 24) | 32, 5, info(INT), 8, (1 << 24) | 64], BASE_STRINGS);

describe('btfTypesOf', () => {
  it('reads split BTF on its base: ids after the base\'s, names from either string section', () => {
    const own = '\0mod_t\0';
    const at = Buffer.byteLength(BASE_STRINGS);
    // [3] TYPEDEF 'mod_t' → 1; [4] STRUCT 'long' (a base string) size 8: 'int' (base) type 3 at 0,
    // an anonymous 3-bit field at 32 (kind_flag: the size in the offset's top byte).
    const split = rawBtf([at + 1, info(TYPEDEF), 1, 5, info(STRUCT, 2, true), 8, 1, 3, 0, 0, 2, (3 << 24) | 32], own);
    expect(btfTypesOf(split, base)).toEqual([
      { id: 3, name: 'mod_t', kind: 'typedef', typeId: 1 },
      { id: 4, name: 'long', kind: 'struct', size: 8, members: [{ name: 'int', typeId: 3, bitsOffset: 0, bitfieldSize: undefined }, { name: undefined, typeId: 2, bitsOffset: 32, bitfieldSize: 3 }] },
    ]);
    expect(btfTypesOf(base).map((t) => [t.id, t.name, t.kind === 'int' && t.nrBits])).toEqual([[1, 'int', 32], [2, 'long', 64]]);
  });

  it('reads a name at an offset into another (a shared suffix), and names that are not ASCII', () => {
    const raw = rawBtf([2, info(INT), 4, 32, 5, info(TYPEDEF), 1], '\0int\0grüße\0');
    expect(btfTypesOf(raw).map((t) => t.name)).toEqual(['nt', 'grüße']);
  });

  it('refuses data that is no BTF, or whose last type runs past its section', () => {
    expect(() => btfTypesOf(Buffer.alloc(24))).toThrow(/no BTF header/);
    expect(() => btfTypesOf(rawBtf([1, info(STRUCT, 2), 8, 1, 1, 0], '\0x\0'))).toThrow(/type 1 runs past the type section/);
    expect(() => btfTypesOf(rawBtf([1, info(25), 0], '\0x\0'))).toThrow(/type 1 is of kind 25/);
  });
});
