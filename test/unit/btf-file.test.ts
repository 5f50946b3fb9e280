// rawBtfOf: the raw BTF of a BTF file, its bytes or an ELF file's .BTF section, on ELF files built
// here (the kernel tests compare whole files with bpftool).
import { expect, it } from 'vitest';
import { rawBtfOf } from '../../dist/cjs/btf-dump.js';

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

const BTF = Buffer.from([0x9f, 0xeb, 1, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);

it("reads an ELF file's .BTF section, whatever the sections before it hold, and takes other bytes as raw BTF", () => {
  expect(rawBtfOf(BTF, 'raw.btf')).toBe(BTF);
  expect(rawBtfOf(elf([['.text', Buffer.from([0x95, 0, 0, 0, 0, 0, 0, 0])], ['.BTF', BTF]]), 'a.o')).toEqual(BTF);
  // A .bss (NOBITS) has a size but no contents in the file: it is not read.
  expect(rawBtfOf(elf([['.bss', { offset: 64n, size: 1n << 40n }], ['.BTF', BTF]]), 'vmlinux')).toEqual(BTF);
});

it('refuses an ELF file without .BTF, of another class or byte order, or whose headers point past its end', () => {
  expect(() => rawBtfOf(elf([['.text', Buffer.alloc(8)]]), 'a.o')).toThrow(new RangeError('a.o: an ELF file with no .BTF section'));
  const file = elf([['.BTF', BTF]]);
  for (const [at, value] of [[4, 1], [5, 2]]) {
    const other = Buffer.from(file);
    other[at] = value;
    expect(() => rawBtfOf(other, 'b.o')).toThrow(new RangeError('b.o: an ELF file that is not 64-bit little-endian, whose .BTF bpfscope does not read'));
  }
  const past = elf([['.BTF', { offset: 64n, size: 1n << 20n }]]);
  expect(() => rawBtfOf(past, 'c.o')).toThrow(new RangeError('c.o: its ELF section headers point past its end'));
  expect(() => rawBtfOf(file.subarray(0, 100), 'd.o')).toThrow(new RangeError('d.o: its ELF section headers point past its end'));
});
