// btfToC/dumpBtfC and `bpfscope btf dump … format c` against `bpftool btf dump … format c`, byte
// for byte, sorted and in id order: on vmlinux's 125,000-odd types, on a BTF object made here with
// every form the C writer has (forward declarations, padding, packed and anonymous structs, names
// that repeat, function pointers, qualifiers, enum widths, kfunc prototypes), on a map's and a
// program's BTF, and on BTF files (vmlinux's, a BPF object's, raw files the kernel would refuse,
// split files on a base). Each header is also compiled by clang.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { btfToC, dumpBtf, dumpBtfC, dumpBtfFile, dumpBtfFileC, getMapInfo, getProgram } from 'bpfscope';
import { createMap, encodeBtf, loadBtf, loadProgram, type BtfTypeSpec } from 'bpfscope/testing';
import { sortedTypeIds } from '../../dist/cjs/btf-c.js';
import { cleanup, cli, compiledBpf, describeKernel, owned, run, tempDir } from '../helpers/kernel';

/** btfToC of no type: the guards and macros (HEAD_LENGTH long), where the types go, then the end (TAIL_LENGTH). */
const EMPTY = btfToC([], { roots: [] });
const HEAD_LENGTH = EMPTY.indexOf('#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop');
const TAIL_LENGTH = EMPTY.length - HEAD_LENGTH;

/**
 * What bpftool 7.5 prints for a sorted dump of `types`: bpftool up to 7.5 starts its loop over the
 * sorted types at 1 (meant to skip void, which sorts among the last), so the first type is dumped
 * only if another needs it. Later bpftool dumps it, as bpfscope does. The kfunc prototypes follow
 * as in `ours`.
 */
function asBpftool75(ours: string, types: Parameters<typeof btfToC>[0]): string {
  const dumped = btfToC(types, { roots: sortedTypeIds(types).slice(1) });
  const kfuncs = ours.slice(ours.indexOf('\n/* BPF kfuncs */\n'), ours.length - TAIL_LENGTH);
  return dumped.slice(0, dumped.length - TAIL_LENGTH) + kfuncs + dumped.slice(dumped.length - TAIL_LENGTH);
}

function bpftoolC(...args: string[]): string {
  return run('bpftool', ['btf', 'dump', ...args, 'format', 'c']);
}

function bpfscopeC(...args: string[]): string {
  const r = cli('btf', 'dump', ...args, 'format', 'c');
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** Compiles a header as a BPF program's C would include it; clang's complaints are the failure. */
function compiles(header: string): void {
  const dir = tempDir('bpfscope-btfc-');
  cleanup(() => rmSync(dir, { recursive: true }));
  const file = join(dir, 'vmlinux.h');
  writeFileSync(file, header);
  const r = spawnSync('clang', ['-target', 'bpf', '-fsyntax-only', '-Werror', '-x', 'c', file], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}

describeKernel('BTF as C', () => {
  it("writes vmlinux's types as bpftool btf dump id 1 format c does, sorted and unsorted, and the header compiles", async () => {
    const types = await dumpBtf(1);
    const ours = await dumpBtfC(1);
    expect(ours).toBe(btfToC(types));
    expect(ours.split('\n').length).toBeGreaterThan(100_000);
    expect(asBpftool75(ours, types)).toBe(bpftoolC('id', '1'));
    // The kernel's first type in bpftool's order is an anonymous enum, which 7.5 leaves out.
    expect(types[sortedTypeIds(types)[0] - 1]).toMatchObject({ kind: 'enum', name: undefined });
    expect(bpfscopeC('1')).toBe(ours);

    const unsorted = bpfscopeC('1', 'unsorted');
    expect(unsorted).toBe(bpftoolC('id', '1', 'unsorted'));
    expect(unsorted).toBe(btfToC(types, { sorted: false }));
    expect(unsorted).not.toBe(ours);
    // The kfunc prototypes, sorted by name, after the types.
    const kfuncs = ours.slice(ours.indexOf('/* BPF kfuncs */')).split('\n').filter((l) => l.startsWith('extern '));
    expect(kfuncs.length).toBeGreaterThan(10);
    expect(kfuncs).toContain('extern struct task_struct *bpf_task_acquire(struct task_struct *p) __weak __ksym;');
    const tagged = types.filter((t) => t.kind === 'decl_tag' && t.name === 'bpf_kfunc' && t.componentIdx === -1).map((t) => types[(t as { typeId: number }).typeId - 1].name!);
    expect(kfuncs.length).toBe(tagged.length);
    tagged.sort().forEach((name, i) => expect(kfuncs[i]).toMatch(new RegExp(`[ *]${name}\\(`)));
    compiles(ours);
  });

  it('writes every form of declaration as bpftool does: forward declarations, padding, packed and anonymous structs, repeated names, function pointers, qualifiers, enum widths, kfuncs', async () => {
    const btf = owned(await loadBtf([
      { kind: 'int', name: 'int', size: 4, signed: true }, // 1
      { kind: 'int', name: 'long int', size: 8, signed: true }, // 2: a pointer's size
      { kind: 'int', name: 'char', size: 1, signed: true }, // 3
      { kind: 'int', name: 'unsigned char', size: 1 }, // 4
      // A struct that points to itself, and two that point to each other through a forward declaration.
      { kind: 'struct', name: 'node', size: 16, members: [{ name: 'next', type: 6, bitOffset: 0 }, { name: 'value', type: 1, bitOffset: 64 }] }, // 5
      { kind: 'ptr', type: 5 }, // 6
      { kind: 'struct', name: 'pair', size: 24, members: [{ name: 'a', type: 5, bitOffset: 0 }, { name: 'b', type: 8, bitOffset: 128 }] }, // 7
      { kind: 'ptr', type: 9 }, // 8
      { kind: 'struct', name: 'later', size: 8, members: [{ name: 'back', type: 34, bitOffset: 0 }] }, // 9
      // Bitfields with a hole between them and padding to the end.
      { kind: 'struct', name: 'bits', size: 8, members: [{ name: 'a', type: 1, bitOffset: 0, bitSize: 3 }, { name: 'b', type: 1, bitOffset: 3, bitSize: 5 }, { name: 'c', type: 1, bitOffset: 16, bitSize: 4 }] }, // 10
      { kind: 'struct', name: 'packed', size: 5, members: [{ name: 'c', type: 3, bitOffset: 0 }, { name: 'i', type: 1, bitOffset: 8 }] }, // 11
      { kind: 'struct', name: '', size: 4, members: [{ name: 'x', type: 1, bitOffset: 0 }] }, // 12
      { kind: 'union', name: '', size: 8, members: [{ name: 'l', type: 2, bitOffset: 0 }, { name: 'c', type: 3, bitOffset: 0 }] }, // 13
      // An anonymous struct member, a named union of an anonymous type, a 2×3 array, a function pointer, and a hole at the end.
      { kind: 'struct', name: 'outer', size: 40, members: [{ name: '', type: 12, bitOffset: 0 }, { name: 'u', type: 13, bitOffset: 64 }, { name: 'arr', type: 16, bitOffset: 128 }, { name: 'fp', type: 18, bitOffset: 192 }] }, // 14
      { kind: 'array', type: 3, indexType: 1, length: 3 }, // 15
      { kind: 'array', type: 15, indexType: 1, length: 2 }, // 16
      { kind: 'func_proto', ret: 1, params: [{ name: 'a', type: 1 }, { name: 's', type: 19 }] }, // 17
      { kind: 'ptr', type: 17 }, // 18
      { kind: 'ptr', type: 3 }, // 19
      { kind: 'enum', name: 'mode', size: 1, values: [{ name: 'MODE_A', value: 0 }, { name: 'MODE_B', value: 1 }] }, // 20: mode(byte)
      { kind: 'enum', name: 'wide', size: 8, values: [{ name: 'WIDE_X', value: 1 }] }, // 21: mode(word)
      { kind: 'enum64', name: 'huge', size: 8, values: [{ name: 'HUGE_BIG', value: 1n << 40n }] }, // 22: wide by its value
      // An anonymous enum nothing uses: a declaration of its own, sorted first (and left out by bpftool 7.5).
      { kind: 'enum', name: '', size: 4, values: [{ name: 'AAA_FIRST', value: 1 }, { name: 'AAA_SECOND', value: 2 }] }, // 23
      { kind: 'struct', name: 'node', size: 4, members: [{ name: 'x', type: 1, bitOffset: 0 }] }, // 24: node___2
      { kind: 'typedef', name: 'node_t', type: 5 }, // 25
      { kind: 'typedef', name: 'u8', type: 4 }, // 26
      { kind: 'const', type: 26 }, // 27
      { kind: 'volatile', type: 27 }, // 28
      { kind: 'ptr', type: 27 }, // 29
      { kind: 'const', type: 29 }, // 30
      { kind: 'struct', name: 'quals', size: 24, members: [{ name: 'p', type: 30, bitOffset: 0 }, { name: 'q', type: 28, bitOffset: 64 }, { name: 'r', type: 44, bitOffset: 128 }] }, // 31
      { kind: 'float', name: 'double', size: 8 }, // 32
      { kind: 'func_proto', ret: 1, params: [{ name: 'p', type: 34 }, { name: 'd', type: 32 }] }, // 33
      { kind: 'ptr', type: 7 }, // 34
      { kind: 'func', name: 'bpfs_kf', type: 33, linkage: 1 }, // 35
      { kind: 'decl_tag', name: 'bpf_kfunc', type: 35, component: -1 }, // 36
      { kind: 'func_proto', ret: 0, params: [] }, // 37
      { kind: 'func', name: 'bpfs_kf_void', type: 37, linkage: 1 }, // 38
      { kind: 'decl_tag', name: 'bpf_kfunc', type: 38, component: -1 }, // 39
      { kind: 'typedef', name: 'handler_t', type: 18 }, // 40
      { kind: 'array', type: 18, indexType: 1, length: 4 }, // 41
      { kind: 'struct', name: 'table', size: 40, members: [{ name: 'handlers', type: 41, bitOffset: 0 }, { name: 'h', type: 40, bitOffset: 256 }] }, // 42
      { kind: 'struct', name: 'empty', size: 0, members: [] }, // 43
      { kind: 'struct', name: 'opaque_user', size: 8, members: [{ name: 'o', type: 45, bitOffset: 0 }] }, // 44
      { kind: 'ptr', type: 46 }, // 45
      { kind: 'fwd', name: 'opaque' }, // 46
      { kind: 'fwd', name: 'uopaque', union: true }, // 47
      { kind: 'type_tag', name: 'user', type: 1 }, // 48
      { kind: 'ptr', type: 48 }, // 49
      { kind: 'struct', name: 'tagged', size: 8, members: [{ name: 'p', type: 49, bitOffset: 0 }] }, // 50
      { kind: 'var', name: 'counter', type: 1, linkage: 1 }, // 51
      { kind: 'datasec', name: '.data', size: 4, vars: [{ type: 51, offset: 0, size: 4 }] }, // 52
      { kind: 'enum', name: 'level', size: 4, values: [{ name: 'LOW', value: -1 }, { name: 'VAL_ONE', value: 1 }] }, // 53: signed
      { kind: 'enum64', name: 'neg', size: 8, signed: true, values: [{ name: 'MINUS', value: -5 }] }, // 54
      { kind: 'typedef', name: '__builtin_va_list', type: 19 }, // 55: the compiler's own
      { kind: 'typedef', name: 'VAL_ONE', type: 1 }, // 56: an enum value's name again
    ]));
    const types = await dumpBtf(btf.id);
    const sorted = btfToC(types);
    const unsorted = btfToC(types, { sorted: false });
    expect(bpfscopeC(String(btf.id))).toBe(sorted);
    expect(bpfscopeC(String(btf.id), 'unsorted')).toBe(unsorted);
    expect(unsorted).toBe(bpftoolC('id', String(btf.id), 'unsorted'));
    expect(asBpftool75(sorted, types)).toBe(bpftoolC('id', String(btf.id)));
    expect(types[sortedTypeIds(types)[0] - 1]).toMatchObject({ kind: 'enum', values: [{ name: 'AAA_FIRST' }, { name: 'AAA_SECOND' }] });
    // What each form became, in id order.
    const body = unsorted.slice(HEAD_LENGTH);
    for (const declaration of [
      // A pointer to itself needs nothing; one to a struct not written yet, its forward declaration.
      'struct node {\n\tstruct node *next;\n\tint value;\n};\n\nstruct later;\n\nstruct pair {\n\tstruct node a;\n\tstruct later *b;\n};\n\nstruct later {\n\tstruct pair *back;\n};',
      // Bits 8-15 left out between bitfields; to the end, the compiler's own padding once realigned.
      'struct bits {\n\tint a: 3;\n\tint b: 5;\n\tshort: 8;\n\tint c: 4;\n\tlong: 0;\n};',
      'struct packed {\n\tchar c;\n\tint i;\n} __attribute__((packed));',
      'struct outer {\n\tstruct {\n\t\tint x;\n\t};\n\tunion {\n\t\tlong int l;\n\t\tchar c;\n\t} u;\n\tchar arr[2][3];\n\tint (*fp)(int a, char *s);\n\tlong: 64;\n};',
      'enum mode {\n\tMODE_A = 0,\n\tMODE_B = 1,\n} __attribute__((mode(byte)));',
      'enum wide {\n\tWIDE_X = 1,\n} __attribute__((mode(word)));',
      'enum huge {\n\tHUGE_BIG = 1099511627776ULL,\n};',
      'enum {\n\tAAA_FIRST = 1,\n\tAAA_SECOND = 2,\n};',
      'struct node___2 {\n\tint x;\n};',
      'typedef struct node node_t;',
      'struct quals {\n\tconst u8 * const p;\n\tconst volatile u8 q;\n\tstruct opaque_user r;\n};',
      'typedef int (*handler_t)(int a, char *s);',
      'struct table {\n\tint (*handlers[4])(int a, char *s);\n\thandler_t h;\n};',
      'struct empty {};',
      'struct opaque;\n\nstruct opaque_user {\n\tstruct opaque *o;\n};',
      'union uopaque;',
      'struct tagged {\n\tint __attribute__((btf_type_tag("user"))) *p;\n};',
      'enum level {\n\tLOW = -1,\n\tVAL_ONE = 1,\n};',
      'enum neg {\n\tMINUS = -5LL,\n};',
      'typedef int VAL_ONE___2;',
      'extern int bpfs_kf(struct pair *p, double d) __weak __ksym;\nextern void bpfs_kf_void(void) __weak __ksym;',
    ]) expect(body).toContain(declaration);
    expect(body).not.toContain('__builtin_va_list');
    compiles(sorted);
    compiles(unsorted);
  });

  it("writes a map's key and value types, one of them, or its whole BTF, and a program's BTF, as bpftool btf dump map|prog … format c does", async () => {
    const types = [
      { kind: 'int', name: 'unsigned int', size: 4 },
      { kind: 'struct', name: 'bpfs_value', size: 24, members: [{ name: 'packets', type: 3, bitOffset: 0 }, { name: 'owner', type: 4, bitOffset: 64 }, { name: 'flags', type: 1, bitOffset: 128 }] },
      { kind: 'int', name: 'long long unsigned int', size: 8 },
      { kind: 'ptr', type: 5 },
      { kind: 'struct', name: 'bpfs_owner', size: 4, members: [{ name: 'uid', type: 1, bitOffset: 0 }] },
      { kind: 'struct', name: 'bpfs_unused', size: 4, members: [{ name: 'n', type: 1, bitOffset: 0 }] },
    ];
    const map = owned(await createMap({ type: 'hash', name: 'bpfs_btfcmap', keySize: 4, valueSize: 24, maxEntries: 4, btf: { types, keyTypeId: 1, valueTypeId: 2 } }));
    for (const part of [[], ['key'], ['value'], ['kv'], ['all']]) {
      expect(bpfscopeC('map', String(map.id), ...part), part.join()).toBe(bpftoolC('map', 'id', String(map.id), ...part));
    }
    // The value type alone brings the struct it points to; an unsigned int needs no declaration.
    const info = await getMapInfo(map.id);
    const value = btfToC(await dumpBtf(info.btfId!), { roots: [info.btfValueTypeId!] });
    expect(value.slice(HEAD_LENGTH, value.length - TAIL_LENGTH)).toBe(
      'struct bpfs_owner;\n\nstruct bpfs_value {\n\tlong long unsigned int packets;\n\tstruct bpfs_owner *owner;\n\tunsigned int flags;\n};\n\n',
    );
    expect(bpfscopeC('map', String(map.id), 'key')).toBe(EMPTY);
    const program = owned(await loadProgram({ type: 'socket_filter', name: 'bpfs_btfc_dump_prog' })); // a long name: loaded with BTF
    const ours = bpfscopeC('prog', String(program.id));
    expect(ours).toBe(bpftoolC('prog', 'id', String(program.id)));
    expect(ours).toBe(await dumpBtfC((await getProgram(program.id)).btfId!));
    // Its int, prototype and function declare nothing: no kfunc is tagged.
    expect(ours).toBe(EMPTY.replace('#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop', '\n/* BPF kfuncs */\n#ifndef BPF_NO_KFUNC_PROTOTYPES\n#endif\n\n#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop'));
  });

  it('reads BTF files as bpftool btf dump file does: vmlinux, a BPF object, and BTF the kernel would refuse', async () => {
    const vmlinux = '/sys/kernel/btf/vmlinux';
    expect(cli('btf', 'dump', 'file', vmlinux).stdout).toBe(run('bpftool', ['btf', 'dump', 'file', vmlinux]));
    expect(bpfscopeC('file', vmlinux, 'unsorted')).toBe(bpftoolC('file', vmlinux, 'unsorted'));
    expect(await dumpBtfFile(vmlinux)).toEqual(await dumpBtf(1));
    // An object clang compiled: its .BTF section, as libbpf reads it before loading (the sections'
    // sizes and the variables' offsets not yet filled in).
    const object = compiledBpf('xlated');
    expect(cli('btf', 'dump', 'file', object).stdout).toBe(run('bpftool', ['btf', 'dump', 'file', object]));
    expect(bpfscopeC('file', object)).toBe(bpftoolC('file', object));
    expect(bpfscopeC('file', object, 'unsorted')).toBe(bpftoolC('file', object, 'unsorted'));
    expect(bpfscopeC('file', object)).toContain('struct __sk_buff {\n\t__u32 len;');
    // The same object for a big-endian target, whose BTF libbpf (and bpfscope) byte-swaps.
    const bigEndian = compiledBpf('xlated', 'bpfeb');
    expect(cli('btf', 'dump', 'file', bigEndian).stdout).toBe(run('bpftool', ['btf', 'dump', 'file', bigEndian]));
    expect(bpfscopeC('file', bigEndian)).toBe(bpftoolC('file', bigEndian));
    expect(await dumpBtfFile(bigEndian)).toEqual(await dumpBtfFile(object));
    await expect(dumpBtfFile(process.execPath)).rejects.toThrow(new RangeError(`${process.execPath}: an ELF file with no .BTF section`));

    const dir = tempDir('bpfscope-btfc-');
    cleanup(() => rmSync(dir, { recursive: true }));
    const file = (name: string, types: BtfTypeSpec[]) => {
      const path = join(dir, name);
      writeFileSync(path, encodeBtf(types));
      return path;
    };
    // The object's .BTF in 32-bit ELF files of both byte orders (as a 32-bit kernel's vmlinux is),
    // made by objcopy: libbpf takes an ELF file's pointer size from its class, so padding is
    // `long: 32` there, whatever the types' `long`.
    for (const [order, source] of [['little', object], ['big', bigEndian]] as const) {
      const section = join(dir, `${order}.btf`);
      run('objcopy', ['-I', `elf64-${order}`, '--dump-section', `.BTF=${section}`, source, join(dir, 'copy.o')]);
      const elf32 = join(dir, `${order}32.o`);
      run('objcopy', ['-I', 'binary', '-O', `elf32-${order}`, '--rename-section', '.data=.BTF', section, elf32]);
      expect(readFileSync(elf32).subarray(4, 6)).toEqual(Buffer.from([1, order === 'little' ? 1 : 2])); // ELFCLASS32, its byte order
      expect(cli('btf', 'dump', 'file', elf32).stdout, elf32).toBe(run('bpftool', ['btf', 'dump', 'file', elf32]));
      expect(await dumpBtfFile(elf32)).toEqual(await dumpBtfFile(object));
      const c = await dumpBtfFileC(elf32);
      expect(c, elf32).toBe(bpftoolC('file', elf32));
      expect(bpfscopeC('file', elf32, 'unsorted'), elf32).toBe(bpftoolC('file', elf32, 'unsorted'));
      expect(c).toContain('\tlong: 32;\n');
      expect(await dumpBtfFileC(object)).not.toContain('\tlong: 32;\n');
    }

    // A 32-bit kernel's: `long` of 4 bytes makes pointers 4 bytes, and padding `long: 32`.
    const narrow = file('narrow.btf', [
      { kind: 'int', name: 'long int', size: 4, signed: true }, // 1
      { kind: 'int', name: 'char', size: 1, signed: true }, // 2
      { kind: 'ptr', type: 2 }, // 3
      { kind: 'struct', name: 'holey', size: 16, members: [{ name: 'c', type: 2, bitOffset: 0 }, { name: 'p', type: 3, bitOffset: 32 }, { name: 'd', type: 2, bitOffset: 96 }] }, // 4
      { kind: 'struct', name: 'gapped', size: 12, members: [{ name: 'c', type: 2, bitOffset: 0 }, { name: 'l', type: 1, bitOffset: 64 }] }, // 5
    ]);
    // What libbpf writes otherwise: old GCC's __gnuc_va_list of void, GCC's Arm __Poly8_t, forward
    // enums (not renamed), and names outside ASCII, which bpftool hashes as signed chars on x86.
    const quirks = file('quirks.btf', [
      { kind: 'typedef', name: '__gnuc_va_list', type: 0 }, // 1
      { kind: 'int', name: '__Poly8_t', size: 1 }, // 2
      { kind: 'struct', name: 'simd', size: 1, members: [{ name: 'p', type: 2, bitOffset: 0 }] }, // 3
      { kind: 'enum', name: 'later', size: 4, values: [] }, // 4
      { kind: 'enum', name: 'later', size: 4, values: [] }, // 5
      { kind: 'ptr', type: 4 }, // 6
      { kind: 'ptr', type: 5 }, // 7
      { kind: 'struct', name: 'uses', size: 16, members: [{ name: 'a', type: 6, bitOffset: 0 }, { name: 'b', type: 7, bitOffset: 64 }] }, // 8
      { kind: 'int', name: 'int', size: 4, signed: true }, // 9
      { kind: 'struct', name: 'twin', size: 4, members: [{ name: 'z\u00e9', type: 9, bitOffset: 0 }] }, // 10
      { kind: 'struct', name: 'twin', size: 4, members: [{ name: 'z\u00e8', type: 9, bitOffset: 0 }] }, // 11
      { kind: 'struct', name: 'twin', size: 4, members: [{ name: 'za', type: 9, bitOffset: 0 }] }, // 12
      { kind: 'typedef', name: 'va', type: 1 }, // 13
    ]);
    for (const path of [narrow, quirks]) {
      expect(bpfscopeC('file', path, 'unsorted'), path).toBe(bpftoolC('file', path, 'unsorted'));
      const types = await dumpBtfFile(path);
      expect(asBpftool75(bpfscopeC('file', path), types), path).toBe(bpftoolC('file', path));
    }
    expect(bpfscopeC('file', narrow)).toContain('struct holey {\n\tchar c;\n\tchar *p;\n\tlong: 32;\n\tchar d;\n};');
    expect(bpfscopeC('file', narrow)).toContain('struct gapped {\n\tchar c;\n\tlong: 32;\n\tlong int l;\n};');
    const quirky = bpfscopeC('file', quirks, 'unsorted');
    for (const declaration of ['typedef __builtin_va_list __gnuc_va_list;', 'typedef unsigned char __Poly8_t;', 'enum later;\n\nenum later;', '\tenum later *a;\n\tenum later *b;', 'struct twin___3 {']) {
      expect(quirky).toContain(declaration);
    }

    // A loop of embedded structs has no C; bpftool stops at it too.
    const loop = file('loop.btf', [
      { kind: 'struct', name: 'a', size: 4, members: [{ name: 'b', type: 2, bitOffset: 0 }] },
      { kind: 'struct', name: 'b', size: 4, members: [{ name: 'a', type: 1, bitOffset: 0 }] },
    ]);
    const looping = await dumpBtfFile(loop);
    expect(() => btfToC(looping)).toThrow(new RangeError('BTF: unsatisfiable type cycle, id:[1]'));
    expect(cli('btf', 'dump', 'file', loop, 'format', 'c')).toMatchObject({ code: 1, stderr: expect.stringMatching(/^bpfscope: BTF: unsatisfiable type cycle, id:\[1\]\n/) });
    const theirs = spawnSync('bpftool', ['btf', 'dump', 'file', loop, 'format', 'c', 'unsorted'], { encoding: 'utf8' });
    expect(theirs.status).toBe(256 - 40); // -ELOOP
    expect(theirs.stderr).toContain('libbpf: unsatisfiable type cycle, id:[1]');
    expect(cli('btf', 'dump', 'file', join(dir, 'none'))).toMatchObject({ code: 4 });
  });

  it('reads split BTF on a base as bpftool -B does, raw and as C: on vmlinux as a module\'s is, and on a small file', async () => {
    const vmlinux = '/sys/kernel/btf/vmlinux';
    const kernel = await dumpBtf(1);
    const n = kernel.length; // the base's last id: the split types are n + 1 on
    const named = (kind: string, name: string) => kernel.find((t) => t.kind === kind && t.name === name)!.id;
    const [int, u32, skb] = [named('int', 'int'), named('typedef', 'u32'), named('struct', 'sk_buff')];
    const dir = tempDir('bpfscope-btfc-');
    cleanup(() => rmSync(dir, { recursive: true }));
    const module = join(dir, 'module.btf');
    writeFileSync(module, encodeBtf([
      { kind: 'struct', name: 'bpfs_split_state', size: 16, members: [{ name: 'skb', type: n + 2, bitOffset: 0 }, { name: 'count', type: u32, bitOffset: 64 }, { name: 'mode', type: n + 3, bitOffset: 96 }] }, // n + 1
      { kind: 'ptr', type: skb }, // n + 2
      { kind: 'enum', name: 'bpfs_split_mode', size: 4, values: [{ name: 'BPFS_SPLIT_OFF', value: 0 }, { name: 'BPFS_SPLIT_ON', value: 1 }] }, // n + 3
      { kind: 'struct', name: 'sk_buff', size: 4, members: [{ name: 'own', type: int, bitOffset: 0 }] }, // n + 4: a name vmlinux has
      { kind: 'ptr', type: n + 1 }, // n + 5
      { kind: 'func_proto', ret: int, params: [{ name: 'state', type: n + 5 }] }, // n + 6
      { kind: 'func', name: 'bpfs_split_kfunc', type: n + 6 }, // n + 7
      { kind: 'decl_tag', name: 'bpf_kfunc', type: n + 7 }, // n + 8
    ], { base: readFileSync(vmlinux) }));
    const bpftoolB = (base: string, ...args: string[]) => run('bpftool', ['-B', base, 'btf', 'dump', 'file', module, ...args]);
    // Raw: the file's own types, numbered on from vmlinux's, named from both string sections.
    const own = await dumpBtfFile(module, { base: vmlinux });
    expect(own.map((t) => [t.id, t.kind, t.name])).toEqual([
      [n + 1, 'struct', 'bpfs_split_state'], [n + 2, 'ptr', undefined], [n + 3, 'enum', 'bpfs_split_mode'], [n + 4, 'struct', 'sk_buff'],
      [n + 5, 'ptr', undefined], [n + 6, 'func_proto', undefined], [n + 7, 'func', 'bpfs_split_kfunc'], [n + 8, 'decl_tag', 'bpf_kfunc'],
    ]);
    expect(cli('btf', 'dump', 'file', module, '--base-btf', vmlinux).stdout).toBe(bpftoolB(vmlinux));
    // Without its base, split BTF means nothing: a RangeError, where bpftool fails to parse it.
    await expect(dumpBtfFile(module)).rejects.toThrow(new RangeError(`${module}: split BTF (its strings go on from another's): give the BTF it builds on (the base option, --base-btf)`));
    expect(spawnSync('bpftool', ['btf', 'dump', 'file', module]).status).not.toBe(0);
    // As C: vmlinux's types and the module's, as bpftool dumps a module's BTF (the repeated name
    // renamed, the kfunc among vmlinux's).
    const all = await dumpBtfFile(module, { base: vmlinux, withBase: true });
    expect(all).toEqual([...kernel, ...own]);
    const unsorted = bpfscopeC('file', module, '--base-btf', vmlinux, 'unsorted');
    expect(unsorted).toBe(bpftoolB(vmlinux, 'format', 'c', 'unsorted'));
    expect(unsorted).toContain('struct bpfs_split_state {\n\tstruct sk_buff *skb;\n\tu32 count;\n\tenum bpfs_split_mode mode;\n};');
    expect(unsorted).toContain('struct sk_buff___2 {\n\tint own;\n};');
    expect(unsorted).toContain('extern int bpfs_split_kfunc(struct bpfs_split_state *state) __weak __ksym;');
    const sorted = bpfscopeC('file', module, '--base-btf', vmlinux);
    expect(asBpftool75(sorted, all)).toBe(bpftoolB(vmlinux, 'format', 'c'));
    expect(await dumpBtfFileC(module, { base: vmlinux })).toBe(sorted);

    // On a small base file: ids and strings go on past its two types.
    const base = join(dir, 'base.btf');
    const baseBytes = encodeBtf([{ kind: 'int', name: 'int', size: 4, signed: true }, { kind: 'struct', name: 'pair', size: 8, members: [{ name: 'a', type: 1, bitOffset: 0 }, { name: 'b', type: 1, bitOffset: 32 }] }]);
    writeFileSync(base, baseBytes);
    writeFileSync(module, encodeBtf([{ kind: 'ptr', type: 2 }, { kind: 'typedef', name: 'pair_ref', type: 3 }], { base: baseBytes }));
    expect(await dumpBtfFile(module, { base })).toEqual([{ id: 3, kind: 'ptr', name: undefined, typeId: 2 }, { id: 4, kind: 'typedef', name: 'pair_ref', typeId: 3 }]);
    expect(cli('btf', 'dump', 'file', module, '--base-btf', base).stdout).toBe(bpftoolB(base));
    expect(bpfscopeC('file', module, '--base-btf', base, 'unsorted')).toBe(bpftoolB(base, 'format', 'c', 'unsorted'));
    expect(bpfscopeC('file', module, '--base-btf', base, 'unsorted')).toContain('struct pair {\n\tint a;\n\tint b;\n};\n\ntypedef struct pair *pair_ref;');
    // Bad options and a base that is not there.
    await expect(dumpBtfFile(module, { base: 1 as unknown as string })).rejects.toThrow(TypeError);
    await expect(dumpBtfFile(module, { bse: base } as never)).rejects.toThrow(/unknown option 'bse'/);
    await expect(dumpBtfFile(module, { base: join(dir, 'none') })).rejects.toMatchObject({ code: 'ENOENT' });
    expect(cli('btf', 'dump', '1', '--base-btf', base)).toMatchObject({ code: 2 });
    expect(cli('btf', '--base-btf', base)).toMatchObject({ code: 2 });
  });

  it('takes the options in any order, and refuses a malformed format, JSON, and a root past the types', async () => {
    expect(cli('btf', 'dump', 'map', 'bpfs_nosuchmap', 'unsorted', 'format', 'c')).toMatchObject({ code: 4 });
    const usage = /^bpfscope: usage: bpfscope btf .*each dump \[format raw\|c \[unsorted\]\]\n/;
    for (const args of [['dump', '1', 'format'], ['dump', '1', 'format', 'h'], ['dump', '1', 'format', 'c', 'sorted'], ['dump', '1', 'format', 'c', 'unsorted', 'x'], ['dump', 'map', '1', 'key', 'x', 'format', 'c']]) {
      expect(cli('btf', ...args), args.join(' ')).toMatchObject({ code: 2, stderr: expect.stringMatching(usage) });
    }
    expect(cli('btf', 'dump', '1', 'format', 'c', '--json')).toMatchObject({ code: 2, stderr: expect.stringMatching(/^bpfscope: --json: a C dump is text/) });
    const types = await dumpBtf(1);
    expect(() => btfToC(types, { roots: [types.length + 1] })).toThrow(new RangeError(`invalid root ID: ${types.length + 1}`));
    expect(() => btfToC(types.slice(1))).toThrow(/types\[0\] has id 2/);
    expect(() => btfToC(types, { pointerSize: 2 as 4 })).toThrow(new RangeError('btfToC: pointerSize must be 4 or 8, got 2'));
    await expect(dumpBtfFileC('/sys/kernel/btf/vmlinux', { sort: false } as never)).rejects.toThrow(/unknown option 'sort'/);
  });
});
