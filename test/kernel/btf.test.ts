// listBtf/getBtfInfo against `bpftool -j btf show` on BTF objects made here: one a map was created
// with, one a program was loaded with, one held by its fd alone; and the kernel's vmlinux.
// dumpBtf and `bpfscope btf dump` against `bpftool btf dump id` (JSON and text), on vmlinux's
// 125,000-odd types and on a BTF object made here with every kind in its rarer forms.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { dumpBtf, getBtfInfo, listBtf, type BtfInfo, type BtfTypeRecord } from 'bpfscope';
import { createMap, loadBtf, loadProgram } from 'bpfscope/testing';
import { bpftool, cli, describeKernel, owned, run } from '../helpers/kernel';

interface BpftoolBtf {
  id: number;
  size: number;
  prog_ids: number[];
  map_ids: number[];
  kernel: boolean;
  name?: string;
}

const byId = (a: number, b: number) => a - b;

describeKernel('BTF objects', () => {
  it('lists each BTF object with its size, name, kind and users as bpftool btf show does', async () => {
    const map = owned(await createMap({
      type: 'hash', name: 'bpfs_btfobj', keySize: 4, valueSize: 8, maxEntries: 4,
      btf: { types: [{ kind: 'int', name: 'unsigned int', size: 4 }, { kind: 'int', name: 'long long unsigned int', size: 8 }], keyTypeId: 1, valueTypeId: 2 },
    }));
    const program = owned(await loadProgram({ name: 'bpfscope_btf_objects', withBtf: true }));
    const alone = owned(await loadBtf([{ kind: 'int', name: 'int', size: 4, signed: true }]));
    const [mapBtf, programBtf] = await Promise.all([getBtfInfo(btfIdOf('map', map.id)), getBtfInfo(btfIdOf('prog', program.id))]);

    const ours = await listBtf();
    const theirs = bpftool<BpftoolBtf[]>('btf', 'show');
    const mine = [mapBtf.id, programBtf.id, alone.id, 1];
    for (const id of mine) {
      const a = ours.find((b) => b.id === id);
      const b = theirs.find((t) => t.id === id);
      expect(a, `BTF ${id}`).toBeDefined();
      expect(b, `bpftool's BTF ${id}`).toBeDefined();
      expect(a).toEqual({
        id, size: b!.size, name: b!.name, kernel: b!.kernel,
        progIds: [...b!.prog_ids].sort(byId), mapIds: [...b!.map_ids].sort(byId),
      } satisfies BtfInfo);
    }
    // vmlinux is the kernel's, named; the others are loaded ones, without a name.
    expect(ours.find((b) => b.id === 1)).toMatchObject({ name: 'vmlinux', kernel: true });
    expect(mapBtf).toMatchObject({ kernel: false, mapIds: [map.id], progIds: [] });
    expect(mapBtf.name).toBeUndefined();
    expect(programBtf).toMatchObject({ kernel: false, progIds: [program.id], mapIds: [] });
    expect(ours.find((b) => b.id === alone.id)).toMatchObject({ progIds: [], mapIds: [] });
    expect(ours.map((b) => b.id)).toEqual(ours.map((b) => b.id).sort(byId));
    expect(await getBtfInfo(alone.id)).toEqual(ours.find((b) => b.id === alone.id));

    // bpfscope btf: a row per object (no name: '-'), and with an id and --json what getBtfInfo returns.
    const rows = cli('btf').stdout.split('\n');
    expect(rows.find((line) => line.trimStart().startsWith(`${mapBtf.id} `))).toMatch(new RegExp(`^\\s*${mapBtf.id}\\s+-\\s+${mapBtf.size}\\s+false\\s+${map.id}$`));
    expect(rows.find((line) => line.trimStart().startsWith('1 '))).toMatch(/^\s*1\s+vmlinux\s+\d+\s+true$/);
    expect(JSON.parse(cli('btf', String(programBtf.id), '--json').stdout)).toEqual(programBtf);
    // This process holds the standalone BTF's fd: bpftool's pids (which Debian's bpftool, built
    // without its pid iterator, cannot print), comm(pid) in the text.
    const comm = readFileSync('/proc/self/comm', 'utf8').trim();
    expect(rows.find((line) => line.trimStart().startsWith(`${alone.id} `))).toMatch(new RegExp(`\\s${comm.replace(/[()]/g, '\\$&')}\\(${process.pid}\\)$`));
    expect(JSON.parse(cli('btf', String(alone.id), '--json').stdout)).toEqual({ ...(await getBtfInfo(alone.id)), pids: [{ pid: process.pid, comm }] });
  });

  it('refuses a bad id before the kernel, and names a missing object', async () => {
    await expect(getBtfInfo(-1)).rejects.toThrow(RangeError);
    await expect(getBtfInfo('1' as unknown as number)).rejects.toThrow(TypeError);
    const missing = Math.max(...(await listBtf()).map((b) => b.id)) + 1000;
    await expect(getBtfInfo(missing)).rejects.toMatchObject({ name: 'BpfError', code: 'ENOENT', op: 'BPF_BTF_GET_FD_BY_ID', object: `BTF ${missing}` });
    const none = cli('btf', String(missing));
    expect([none.code, none.stderr.split('\n')[0]]).toEqual([4, `bpfscope: BPF_BTF_GET_FD_BY_ID BTF ${missing}: No such file or directory (ENOENT)`]);
    const zero = cli('btf', '0');
    expect([zero.code, zero.stderr.split('\n')[0]]).toEqual([2, 'bpfscope: BTF id must be between 1 and 4294967295, got 0']);
  });
});

describeKernel('BTF types', () => {
  it("dumps vmlinux's types as bpftool btf dump id 1 does, in JSON and as text byte for byte", async () => {
    const ours = await dumpBtf(1);
    const theirs = bpftoolBig<{ types: Record<string, unknown>[] }>('-j', 'btf', 'dump', 'id', '1').types;
    expect(ours.length).toBe(theirs.length);
    expect(ours.length).toBeGreaterThan(10_000);
    // bpftool's JSON sign-extends an unsigned enum's u32 values of 2^31 and up into a u64 (its
    // jsonw_uint_field of the __s32 in struct btf_enum); its text prints them as stored, as ours.
    const signExtended = (t: Record<string, unknown>) => t.kind === 'ENUM' && (t.values as { val: number }[]).some((v) => v.val >= 2 ** 32);
    const differing = ours.filter((t, i) => JSON.stringify(asBpftool(t)) !== JSON.stringify(theirs[i]));
    expect(differing.map((t) => t.id)).toEqual(theirs.filter(signExtended).map((t) => t.id));
    for (const t of differing) expect(t).toMatchObject({ kind: 'enum', signed: false });
    expect(differing.length).toBeLessThan(100);
    // Every kind vmlinux has, among them bitfields and signed enums.
    expect(new Set(ours.map((t) => t.kind))).toEqual(new Set(theirs.map((t) => (t.kind as string).toLowerCase())));
    expect(ours.some((t) => t.kind === 'struct' && t.members.some((m) => m.bitfieldSize !== undefined))).toBe(true);

    expect(cli('btf', 'dump', '1').stdout).toBe(run('bpftool', ['btf', 'dump', 'id', '1']));
  });

  it('dumps every kind in its rarer forms as bpftool does: fwd union, signed enums, 64-bit values, linkages, tags, bitfields', async () => {
    const btf = owned(await loadBtf([
      { kind: 'int', name: 'int', size: 4, signed: true }, // 1
      { kind: 'int', name: '_Bool', size: 1, bool: true }, // 2
      { kind: 'struct', name: 'flags', size: 4, members: [{ name: 'a', type: 1, bitOffset: 0, bitSize: 3 }, { name: '', type: 1, bitOffset: 3, bitSize: 29 }] }, // 3
      { kind: 'union', name: '', size: 4, members: [{ name: 'f', type: 3, bitOffset: 0 }, { name: 'b', type: 2, bitOffset: 0 }] }, // 4
      { kind: 'enum', name: 'level', size: 4, values: [{ name: 'LOW', value: -1 }, { name: 'HIGH', value: 7 }] }, // 5
      { kind: 'enum64', name: 'big', size: 8, values: [{ name: 'TOP', value: 0xffff_ffff_ffff_fff0n }] }, // 6
      { kind: 'enum64', name: 'neg', size: 8, signed: true, values: [{ name: 'MINUS', value: -5 }, { name: 'PLUS', value: 1n << 40n }] }, // 7
      { kind: 'fwd', name: 'later', union: true }, // 8
      { kind: 'fwd', name: 'soon' }, // 9
      { kind: 'func_proto', ret: 1, params: [{ name: 'x', type: 1 }, { name: 'y', type: 3 }] }, // 10
      // The kernel loads no extern function or variable: only static and global.
      { kind: 'func', name: 'outside', type: 10, linkage: 1 }, // 11
      { kind: 'func', name: 'inside', type: 10, linkage: 0 }, // 12
      { kind: 'var', name: 'counter', type: 1, linkage: 1 }, // 13
      { kind: 'var', name: 'shared', type: 1, linkage: 0 }, // 14
      { kind: 'datasec', name: '.data', size: 8, vars: [{ type: 13, offset: 0, size: 4 }, { type: 14, offset: 4, size: 4 }] }, // 15
      { kind: 'decl_tag', name: 'tagged', type: 3, component: 1 }, // 16
      { kind: 'decl_tag', name: 'whole', type: 12 }, // 17
      { kind: 'type_tag', name: 'user', type: 1 }, // 18
      { kind: 'ptr', type: 18 }, // 19
      { kind: 'array', type: 1, indexType: 1, length: 16 }, // 20
      { kind: 'float', name: 'double', size: 8 }, // 21
      { kind: 'restrict', type: 19 }, // 22
      { kind: 'typedef', name: 'flags_t', type: 3 }, // 23
      { kind: 'volatile', type: 23 }, // 24
      { kind: 'const', type: 24 }, // 25
      { kind: 'func_proto', ret: 0, params: [{ name: '', type: 1 }] }, // 26: no function's, so its parameter may be anonymous
    ]));
    const ours = await dumpBtf(btf.id);
    expect(ours.map((t) => asBpftool(t))).toEqual(bpftool<{ types: unknown[] }>('btf', 'dump', 'id', String(btf.id)).types);
    expect(ours.find((t) => t.id === 7)).toEqual({ id: 7, name: 'neg', kind: 'enum64', size: 8, signed: true, values: [{ name: 'MINUS', value: -5n }, { name: 'PLUS', value: 1n << 40n }] });
    expect(ours.find((t) => t.id === 3)).toMatchObject({ members: [{ name: 'a', bitsOffset: 0, bitfieldSize: 3 }, { name: undefined, bitsOffset: 3, bitfieldSize: 29 }] });
    expect(cli('btf', 'dump', String(btf.id)).stdout).toBe(run('bpftool', ['btf', 'dump', 'id', String(btf.id)]));
    // --json: the records, 64-bit values as strings.
    expect(JSON.parse(cli('btf', 'dump', String(btf.id), '--json').stdout)[6]).toMatchObject({ kind: 'enum64', values: [{ name: 'MINUS', value: '-5' }, { name: 'PLUS', value: String(1n << 40n) }] });
  });

  it('refuses a bad id before the kernel, and names a missing object', async () => {
    await expect(dumpBtf(0)).rejects.toThrow(RangeError);
    const missing = Math.max(...(await listBtf()).map((b) => b.id)) + 1000;
    await expect(dumpBtf(missing)).rejects.toMatchObject({ name: 'BpfError', code: 'ENOENT', op: 'BPF_BTF_GET_FD_BY_ID', object: `BTF ${missing}` });
    expect(cli('btf', 'dump', String(missing)).code).toBe(4);
    const usage = /^bpfscope: usage: bpfscope btf \[id\] \| btf dump <id> \| btf dump prog <id\|name\|pinned path> \| btf dump map <id\|name\|pinned path> \[key\|value\|kv\|all\] \| btf dump file <path> \[--base-btf <path>\], each dump \[format raw\|c \[unsorted\]\]\n/;
    for (const args of [['dump'], ['1', '2'], ['dump', 'map'], ['dump', 'map', '1', 'keys'], ['dump', 'prog', '1', 'key'], ['dump', '1', '2']]) {
      expect(cli('btf', ...args), args.join(' ')).toMatchObject({ code: 2, stderr: expect.stringMatching(usage) });
    }
  });

  it("dumps a map's key and value types, one of them, or its whole BTF, and a program's BTF, as bpftool btf dump map|prog does", async () => {
    const types = [
      { kind: 'int', name: 'unsigned int', size: 4 },
      { kind: 'struct', name: 'bpfs_value', size: 16, members: [{ name: 'packets', type: 3, bitOffset: 0 }, { name: 'bytes', type: 3, bitOffset: 64 }] },
      { kind: 'int', name: 'long long unsigned int', size: 8 },
    ];
    const map = owned(await createMap({ type: 'hash', name: 'bpfs_btfmap', keySize: 4, valueSize: 16, maxEntries: 4, btf: { types, keyTypeId: 1, valueTypeId: 2 } }));
    for (const part of [[], ['key'], ['value'], ['kv'], ['all']]) {
      const ours = cli('btf', 'dump', 'map', String(map.id), ...part);
      expect(ours.code, part.join()).toBe(0);
      expect(ours.stdout, part.join()).toBe(run('bpftool', ['btf', 'dump', 'map', 'id', String(map.id), ...part]));
    }
    expect(cli('btf', 'dump', 'map', 'bpfs_btfmap', 'value').stdout).toBe("[2] STRUCT 'bpfs_value' size=16 vlen=2\n\t'packets' type_id=3 bits_offset=0\n\t'bytes' type_id=3 bits_offset=64\n");
    const program = owned(await loadProgram({ type: 'socket_filter', name: 'bpfs_btf_dump_prog' })); // a long name: loaded with BTF
    expect(cli('btf', 'dump', 'prog', String(program.id)).stdout).toBe(run('bpftool', ['btf', 'dump', 'prog', 'id', String(program.id)]));
    const bare = owned(await createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 }));
    expect(cli('btf', 'dump', 'map', String(bare.id))).toMatchObject({ code: 4, stderr: expect.stringMatching(new RegExp(`^bpfscope: map ${bare.id} has no BTF\n`)) });
  });
});

/** A record as `bpftool -j btf dump` prints it: its field names, `(anon)`, upper-case kinds, the lengths as vlen. */
function asBpftool(t: BtfTypeRecord): Record<string, unknown> {
  const name = (n: string | undefined) => n ?? '(anon)';
  const head = { id: t.id, kind: t.kind.toUpperCase(), name: name(t.name) };
  switch (t.kind) {
    case 'int': return { ...head, size: t.size, bits_offset: t.bitsOffset, nr_bits: t.nrBits, encoding: { none: '(none)', signed: 'SIGNED', char: 'CHAR', bool: 'BOOL' }[t.encoding] };
    case 'array': return { ...head, type_id: t.typeId, index_type_id: t.indexTypeId, nr_elems: t.nrElems };
    case 'struct': case 'union':
      return { ...head, size: t.size, vlen: t.members.length, members: t.members.map((m) => ({ name: name(m.name), type_id: m.typeId, bits_offset: m.bitsOffset, ...(m.bitfieldSize ? { bitfield_size: m.bitfieldSize } : {}) })) };
    case 'enum': case 'enum64':
      return { ...head, encoding: t.signed ? 'SIGNED' : 'UNSIGNED', size: t.size, vlen: t.values.length, values: t.values.map((v) => ({ name: name(v.name), val: Number(v.value) })) };
    case 'fwd': return { ...head, fwd_kind: t.fwdKind };
    case 'func': case 'var': return { ...head, type_id: t.typeId, linkage: t.linkage };
    case 'func_proto': return { ...head, ret_type_id: t.retTypeId, vlen: t.params.length, params: t.params.map((p) => ({ name: name(p.name), type_id: p.typeId })) };
    case 'datasec': return { ...head, size: t.size, vlen: t.vars.length, vars: t.vars.map((v) => ({ type_id: v.typeId, offset: v.offset, size: v.size })) };
    case 'float': return { ...head, size: t.size };
    case 'decl_tag': return { ...head, type_id: t.typeId, component_idx: t.componentIdx };
    default: return { ...head, type_id: t.typeId };
  }
}

function bpftoolBig<T>(...args: string[]): T {
  return JSON.parse(run('bpftool', args)) as T;
}

/** The BTF id bpftool reports for a map or program. */
function btfIdOf(kind: 'map' | 'prog', id: number): number {
  const shown = bpftool<{ btf_id?: number }>(kind, 'show', 'id', String(id));
  expect(shown.btf_id).toBeGreaterThan(0);
  return shown.btf_id!;
}
