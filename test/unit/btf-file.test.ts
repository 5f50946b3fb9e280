// rawBtfOf: the raw BTF of a BTF file, its bytes or an ELF file's .BTF section, little-endian, on
// files built here (the kernel tests compare whole files with bpftool).
import { expect, it } from 'vitest';
import { btfTypesOf, rawBtfOf } from '../../dist/cjs/btf-dump.js';

/** A 64-bit little-endian ELF file whose sections are [name, contents or { size, offset } for one outside the file]. */
function elf(sections: [string, Buffer | { offset: bigint; size: bigint }][]): Buffer {
  const names = Buffer.from(`\0${sections.map(([name]) => `${name}\0`).join('')}.shstrtab\0`, 'latin1');
  const headerAt = 64;
  const count = sections.length + 2; // the null section, these, the names
  let dataAt = headerAt + count * 64;
  const file = Buffer.alloc(dataAt + names.length + sections.reduce((n, [, c]) => n + (Buffer.isBuffer(c) ? c.length : 0), 0));
  file.write('\x7fELF', 0, 'latin1');
  file[4] = 2; // ELFCLASS64
  file[5] = 1; // ELFDATA2LSB
  file.writeBigUInt64LE(BigInt(headerAt), 0x28);
  file.writeUInt16LE(64, 0x3a);
  file.writeUInt16LE(count, 0x3c);
  file.writeUInt16LE(count - 1, 0x3e);
  let nameAt = 1;
  const put = (i: number, name: string, contents: Buffer | { offset: bigint; size: bigint }) => {
    const h = headerAt + i * 64;
    file.writeUInt32LE(nameAt, h);
    nameAt += name.length + 1;
    if (Buffer.isBuffer(contents)) {
      contents.copy(file, dataAt);
      file.writeBigUInt64LE(BigInt(dataAt), h + 24);
      file.writeBigUInt64LE(BigInt(contents.length), h + 32);
      dataAt += contents.length;
    } else {
      file.writeBigUInt64LE(contents.offset, h + 24);
      file.writeBigUInt64LE(contents.size, h + 32);
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
  for (const [at, value] of [[4, 1], [5, 3]]) {
    const other = Buffer.from(file);
    other[at] = value;
    expect(() => rawBtfOf(other, 'b.o')).toThrow(new RangeError('b.o: an ELF file that is not 64-bit, whose .BTF bpfscope does not read'));
  }
  const past = elf([['.BTF', { offset: 64n, size: 1n << 20n }]]);
  expect(() => rawBtfOf(past, 'c.o')).toThrow(new RangeError('c.o: its ELF section headers point past its end'));
  expect(() => rawBtfOf(file.subarray(0, 100), 'd.o')).toThrow(new RangeError('d.o: its ELF section headers point past its end'));
});
