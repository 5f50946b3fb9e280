// rawBtfOf: the raw BTF of a BTF file, its bytes or an ELF file's .BTF section (32- or 64-bit),
// little-endian, on files built here (the kernel tests compare whole files with bpftool).
import { expect, it } from 'vitest';
import { btfTypesOf, rawBtfOf } from '../../dist/cjs/btf-dump.js';

/**
 * A little-endian ELF file of 64 bits (or 32) whose sections are [name, contents or { size, offset }
 * for one outside the file]: the file header, the section headers (a null one, these, the names),
 * then the contents.
 */
function elf(sections: [string, Buffer | { offset: bigint; size: bigint }][], bits: 32 | 64 = 64): Buffer {
  const wide = bits === 64;
  const [fileHeader, sectionHeader] = wide ? [64, 64] : [52, 40];
  const names = Buffer.from(`\0${sections.map(([name]) => `${name}\0`).join('')}.shstrtab\0`, 'latin1');
  const count = sections.length + 2; // the null section, these, the names
  let dataAt = fileHeader + count * sectionHeader;
  const file = Buffer.alloc(dataAt + names.length + sections.reduce((n, [, c]) => n + (Buffer.isBuffer(c) ? c.length : 0), 0));
  const word = (value: bigint, at: number) => (wide ? file.writeBigUInt64LE(value, at) : file.writeUInt32LE(Number(value), at));
  file.write('\x7fELF', 0, 'latin1');
  file[4] = wide ? 2 : 1; // ELFCLASS64, ELFCLASS32
  file[5] = 1; // ELFDATA2LSB
  word(BigInt(fileHeader), wide ? 0x28 : 0x20); // e_shoff
  const [shentsize, shnum, shstrndx] = wide ? [0x3a, 0x3c, 0x3e] : [0x2e, 0x30, 0x32];
  file.writeUInt16LE(sectionHeader, shentsize);
  file.writeUInt16LE(count, shnum);
  file.writeUInt16LE(count - 1, shstrndx);
  let nameAt = 1;
  const put = (i: number, name: string, contents: Buffer | { offset: bigint; size: bigint }) => {
    const h = fileHeader + i * sectionHeader;
    const [offsetAt, sizeAt] = wide ? [h + 24, h + 32] : [h + 16, h + 20];
    file.writeUInt32LE(nameAt, h);
    nameAt += name.length + 1;
    if (Buffer.isBuffer(contents)) {
      contents.copy(file, dataAt);
      word(BigInt(dataAt), offsetAt);
      word(BigInt(contents.length), sizeAt);
      dataAt += contents.length;
    } else {
      word(contents.offset, offsetAt);
      word(contents.size, sizeAt);
    }
  };
  sections.forEach(([name, contents], i) => put(i + 1, name, contents));
  put(count - 1, '.shstrtab', names);
  return file;
}

/** Raw BTF of one type, `int` (a struct btf_type and its u32), in little-endian order. */
const BTF = Buffer.concat([
  Buffer.from(new Uint32Array([0x0001eb9f, 24, 0, 16, 16, 5]).buffer),
  Buffer.from(new Uint32Array([1, 0x01000000, 4, 0x01000020]).buffer),
  Buffer.from('\0int\0', 'latin1'),
]);

/** The same, big-endian, as clang -target bpfeb writes it: each u32 and the magic byte-swapped, the strings as they are. */
const BIG_ENDIAN_BTF = Buffer.concat([Buffer.from([0xeb, 0x9f, 1, 0]), Buffer.from(BTF.subarray(4, 40)).swap32(), BTF.subarray(40)]);

it("reads an ELF file's .BTF section, whatever the sections before it hold, and takes other bytes as raw BTF", () => {
  expect(rawBtfOf(BTF, 'raw.btf')).toBe(BTF);
  expect(rawBtfOf(elf([['.text', Buffer.from([0x95, 0, 0, 0, 0, 0, 0, 0])], ['.BTF', BTF]]), 'a.o')).toEqual(BTF);
  // A .bss (NOBITS) has a size but no contents in the file: it is not read.
  expect(rawBtfOf(elf([['.bss', { offset: 64n, size: 1n << 40n }], ['.BTF', BTF]]), 'vmlinux')).toEqual(BTF);
  // A 32-bit file (a 32-bit kernel's vmlinux): the same, from its narrower headers.
  expect(rawBtfOf(elf([['.text', Buffer.alloc(4)], ['.bss', { offset: 52n, size: 0xffffffffn }], ['.BTF', BTF]], 32), 'vmlinux32')).toEqual(BTF);
});

it('swaps big-endian BTF into little-endian, raw or in a big-endian ELF file', () => {
  expect(rawBtfOf(BIG_ENDIAN_BTF, 'eb.btf')).toEqual(BTF);
  expect(btfTypesOf(rawBtfOf(BIG_ENDIAN_BTF, 'eb.btf'))).toEqual([{ id: 1, name: 'int', kind: 'int', size: 4, bitsOffset: 0, nrBits: 32, encoding: 'signed' }]);
  const file = elf([['.BTF', BIG_ENDIAN_BTF]]);
  file[5] = 2; // ELFDATA2MSB: the headers too, swapped below
  for (const [at, bytes] of [[0x28, 8], [0x3a, 2], [0x3c, 2], [0x3e, 2]] as const) file.subarray(at, at + bytes).reverse();
  for (let h = 64; h < 64 + 3 * 64; h += 64) {
    file.subarray(h, h + 4).reverse();
    file.subarray(h + 24, h + 32).reverse();
    file.subarray(h + 32, h + 40).reverse();
  }
  expect(rawBtfOf(file, 'eb.o')).toEqual(BTF);
});

it('refuses an ELF file without .BTF, of another class, or whose headers point past its end', () => {
  expect(() => rawBtfOf(elf([['.text', Buffer.alloc(8)]]), 'a.o')).toThrow(new RangeError('a.o: an ELF file with no .BTF section'));
  const file = elf([['.BTF', BTF]]);
  for (const [at, value] of [[4, 0], [4, 3], [5, 0], [5, 3]]) {
    const other = Buffer.from(file);
    other[at] = value;
    expect(() => rawBtfOf(other, 'b.o')).toThrow(new RangeError('b.o: not an ELF file bpfscope reads (a class and a byte order of 32 or 64 bits, little- or big-endian)'));
  }
  // A 32-bit file's headers read as 64-bit ones would point elsewhere: its class decides.
  const narrow = elf([['.BTF', BTF]], 32);
  expect(() => rawBtfOf(Buffer.concat([narrow.subarray(0, 4), Buffer.from([2]), narrow.subarray(5)]), 'e.o')).toThrow(RangeError);
  expect(() => rawBtfOf(narrow.subarray(0, 51), 'f.o')).toThrow(new RangeError('f.o: not an ELF file bpfscope reads (a class and a byte order of 32 or 64 bits, little- or big-endian)'));
  expect(() => rawBtfOf(narrow.subarray(0, 100), 'g.o')).toThrow(new RangeError('g.o: its ELF section headers point past its end'));
  const past = elf([['.BTF', { offset: 64n, size: 1n << 20n }]]);
  expect(() => rawBtfOf(past, 'c.o')).toThrow(new RangeError('c.o: its ELF section headers point past its end'));
  expect(() => rawBtfOf(file.subarray(0, 100), 'd.o')).toThrow(new RangeError('d.o: its ELF section headers point past its end'));
});
