// dumpXlated: a program's instructions as the kernel runs them, against `bpftool prog dump xlated`
// (text byte for byte, and its JSON with `linum`) on a program clang compiles here (test/bpf/),
// loaded by libbpf, and on raw instructions of every form the disassembler prints.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { BpfError, dumpXlated, getProgram, type XlatedInstruction } from 'bpfscope';
import { createMap, insn, loadObject, loadProgram, mapInsns, pin, type KernelObject } from 'bpfscope/testing';
import { xlatedText } from '../../dist/cjs/cli/format.js';
import { bpftool, cli, compiledBpf, describeKernel, mustBpffs, owned, run } from '../helpers/kernel';
import { PACKAGE_ROOT } from '../helpers/trace';

interface BpftoolInsn {
  proto?: string;
  src?: string;
  file?: string;
  line_num?: number;
  line_col?: number;
  disasm: string;
}

/** Ours in bpftool's JSON (`-j prog dump xlated id N linum`): it leaves out a line or column of 0. */
function asBpftool(i: XlatedInstruction): BpftoolInsn {
  const source = i.source && {
    src: i.source.src,
    ...(i.source.file === undefined ? {} : { file: i.source.file }),
    ...(i.source.lineNum ? { line_num: i.source.lineNum } : {}),
    ...(i.source.lineCol ? { line_col: i.source.lineCol } : {}),
  };
  return { ...(i.proto === undefined ? {} : { proto: i.proto }), ...source, disasm: i.disasm };
}

const bpftoolText = (id: number) => run('bpftool', ['prog', 'dump', 'xlated', 'id', String(id)]);

describeKernel('dumpXlated', () => {
  it('dumps a clang-compiled program as bpftool does: prototypes, source lines, maps, the kernel functions calls reach, subprograms', async () => {
    const programs = await loadObject(compiledBpf('xlated'));
    for (const p of Object.values(programs)) owned(p);
    expect(Object.keys(programs).sort()).toEqual(['bpfs_xl_kfunc', 'bpfs_xl_loop', 'bpfs_xl_second', 'count_packets']);
    for (const p of Object.values(programs)) {
      const ours = await dumpXlated(p.id);
      expect(`${xlatedText(ours)}\n`).toBe(bpftoolText(p.id));
      expect(ours.map(asBpftool)).toEqual(bpftool('prog', 'dump', 'xlated', 'id', String(p.id), 'linum'));
    }
    const main = await dumpXlated(await getProgram(programs.count_packets.id));
    const info = await getProgram(programs.count_packets.id);
    // The functions in order, each where its func_info says.
    expect(main.filter((i) => i.proto).map((i) => i.proto)).toEqual([
      'int count_packets(struct __sk_buff * skb)',
      'counter_t bump(counter_t * value, counter_t by)',
      'int classify(struct __sk_buff * skb, const int threshold)',
    ]);
    // The maps by id: the hash map, the prog array, the global variable's .bss (a value offset).
    const loads = main.filter((i) => i.code === 0x18);
    expect(loads.map((i) => i.imm64)).toEqual(loads.map((i) => BigInt(i.imm)));
    expect(loads.map((i) => i.disasm)).toEqual(expect.arrayContaining([expect.stringMatching(/^\(18\) r1 = map\[id:\d+\]\[0\]\+0$/)]));
    for (const load of loads) expect(info.mapIds).toContain(load.imm);
    // A 64-bit load takes two slots: the next instruction is two on.
    const at = main.indexOf(loads[0]);
    expect(main[at + 1].index).toBe(loads[0].index + 2);
    // The lookup is the hash map's own; the tail call keeps its helper id; the subprograms' calls name their JITed symbols.
    const calls = main.filter((i) => i.code === 0x85);
    expect(calls.map((i) => i.target?.symbol)).toEqual([
      '__htab_map_lookup_elem', undefined, 'bpf_ktime_get_ns', expect.stringMatching(/^bpf_prog_[0-9a-f]{16}_bump$/), expect.stringMatching(/^bpf_prog_[0-9a-f]{16}_classify$/),
    ]);
    expect(calls[1].disasm).toBe('(85) call bpf_tail_call#12');
    // bpf_loop's callback: a function's address loaded (src_reg 4, BPF_PSEUDO_FUNC), its offset the one the callback's prototype is at.
    const loop = await dumpXlated(programs.bpfs_xl_loop.id);
    const callback = loop.find((i) => i.code === 0x18 && i.srcReg === 4)!;
    expect(callback.disasm).toMatch(/^\(18\) r2 = subprog\[\+\d+\]$/);
    expect(loop.find((i) => i.index === callback.index + 1 + callback.imm)?.proto).toBe('long add_index(__u32 index, void * sum)');
    // A kfunc call (src_reg 2, BPF_PSEUDO_KFUNC_CALL) names the kernel function the verifier bound it to.
    const kfunc = (await dumpXlated(programs.bpfs_xl_kfunc.id)).find((i) => i.code === 0x85);
    expect(kfunc).toMatchObject({ srcReg: 2, target: { symbol: 'bpf_dynptr_from_skb' }, disasm: expect.stringMatching(/^\(85\) call bpf_dynptr_from_skb#\d+$/) });
    // The source line, its file, its line, and the column clang points at: the +=, the tab counting one.
    const lineNum = readFileSync(join(PACKAGE_ROOT, 'test/bpf/xlated.bpf.c'), 'utf8').split('\n').indexOf('\ttotal += 1;') + 1;
    expect(main.find((i) => i.source?.src.startsWith('total += 1'))?.source).toEqual({ src: 'total += 1;', file: expect.stringMatching(/xlated\.bpf\.c$/), lineNum, lineCol: 8 });
  });

  it('prints every instruction form as bpftool does', async () => {
    const map = owned(await createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 }));
    const forms = Buffer.concat([
      insn(0xbf, 6, 1, 0, 0), // r6 = r1
      insn(0xb7, 1, 0, 0, 0), // r1 = 0
      insn(0x7b, 10, 1, -8, 0), // *(u64 *)(r10 -8) = r1
      insn(0x7a, 10, 0, -16, 42), // *(u64 *)(r10 -16) = 42
      insn(0xb7, 1, 0, 0, 7),
      insn(0xdb, 10, 1, -8, 0x00), // lock add
      insn(0xc3, 10, 1, -8, 0x50), // lock and, 32-bit
      insn(0xdb, 10, 1, -8, 0x41), // fetch or
      insn(0xdb, 10, 1, -8, 0xa1), // fetch xor
      insn(0xdb, 10, 1, -8, 0xe1), // xchg
      insn(0xb7, 0, 0, 0, 0),
      insn(0xdb, 10, 1, -8, 0xf1), // cmpxchg
      insn(0xbf, 2, 1, 8, 0), // movsx s8
      insn(0xbc, 3, 1, 16, 0), // w3 = (s16)w1
      insn(0x91, 4, 10, -8, 0), // ldsx s8
      insn(0x3f, 4, 1, 1, 0), // r4 s/= r1
      insn(0x97, 4, 0, 1, 3), // r4 s%= 3
      insn(0x87, 4, 0, 0, 0), // r4 = -r4
      insn(0x84, 4, 0, 0, 0), // w4 = -w4
      insn(0xd7, 4, 0, 0, 64), // r4 = bswap64 r4
      insn(0xdc, 4, 0, 0, 32), // r4 = be32 r4
      insn(0xd4, 4, 0, 0, 16), // r4 = le16 r4
      insn(0xcc, 4, 1, 0, 0), // w4 s>>= w1
      insn(0x45, 4, 0, 1, -0x80000000), // if r4 & 0x80000000 goto pc+1
      insn(0xa6, 4, 0, 0, -1), // if w4 < 0xffffffff goto pc+0
      insn(0x06, 0, 0, 0, 0), // gotol pc+0
      insn(0x18, 1, 0, 0, 0x89abcdef | 0), insn(0, 0, 0, 0, 0x01234567), // r1 = 0x123456789abcdef
      insn(0x48, 0, 1, 0, 2), // r0 = *(u16 *)skb[r1 + 2] (which, as a call would, clobbers r1-r5)
      insn(0x30, 0, 0, 0, 12), // r0 = *(u8 *)skb[12]
      mapInsns(0, 2),
      insn(0xb7, 0, 0, 0, 0),
      insn(0x95, 0, 0, 0, 0),
    ]);
    const p = owned(await loadProgram({ type: 'socket_filter', name: 'bpfs_forms', insns: forms, maps: [map] }));
    const ours = await dumpXlated(p.id);
    expect(`${xlatedText(ours)}\n`).toBe(bpftoolText(p.id));
    expect(ours.map(asBpftool)).toEqual(bpftool('prog', 'dump', 'xlated', 'id', String(p.id)));
    // Each form in the kernel's words (what the verifier left of them: the packet loads became calls).
    const text = ours.map((i) => i.disasm);
    expect(text).toEqual(expect.arrayContaining([
      '(7a) *(u64 *)(r10 -16) = 42',
      '(db) lock *(u64 *)(r10 -8) += r1',
      '(c3) lock *(u32 *)(r10 -8) &= r1',
      '(db) r1 = atomic64_fetch_or((u64 *)(r10 -8), r1)',
      '(db) r1 = atomic64_fetch_xor((u64 *)(r10 -8), r1)',
      '(db) r1 = atomic64_xchg((u64 *)(r10 -8), r1)',
      '(db) r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)',
      '(bf) r2 = (s8)r1',
      '(bc) w3 = (s16)w1',
      '(91) r4 = *(s8 *)(r10 -8)',
      '(3f) r4 s/= r1',
      '(97) r4 s%= 3',
      '(87) r4 = -r4',
      '(84) w4 = -w4',
      '(d7) r4 = bswap64 r4',
      '(dc) r4 = be32 r4',
      '(d4) r4 = le16 r4',
      '(cc) w4 s>>= w1',
      '(45) if r4 & 0x80000000 goto pc+1',
      '(a6) if w4 < 0xffffffff goto pc+0',
      '(06) gotol pc+0',
      '(18) r1 = 0x123456789abcdef',
    ]));
    expect(ours.find((i) => i.disasm === '(18) r1 = 0x123456789abcdef')?.imm64).toBe(0x123456789abcdefn);
    // may_goto (Linux 6.9), which the verifier turns into a countdown on the stack and, here, a call
    // of a kernel function placed before __bpf_call_base: a negative distance.
    const mayGoto = owned(await loadProgram({ type: 'socket_filter', name: 'bpfs_may_goto', insns: Buffer.concat([insn(0xe5, 0, 0, 1, 0), insn(0xb7, 0, 0, 0, 1), insn(0xb7, 0, 0, 0, 0), insn(0x95, 0, 0, 0, 0)]) }));
    const countdown = await dumpXlated(mayGoto.id);
    expect(`${xlatedText(countdown)}\n`).toBe(bpftoolText(mayGoto.id));
    // x86-64's JIT has the timed may_goto (Linux 6.14); others count down without a call.
    if (process.arch === 'x64') expect(countdown.filter((i) => i.target).map((i) => [i.target?.symbol, i.imm < 0])).toEqual([['arch_bpf_timed_may_goto', true]]);
    expect(text.at(-2)).toBe('(b7) r0 = 0');
    expect(text).toContain(`(18) r2 = map[id:${map.id}]`);
  });

  it('refuses a bad id with a RangeError or TypeError, and a program that is gone with a BpfError ENOENT', async () => {
    await expect(dumpXlated(0)).rejects.toThrow(RangeError);
    await expect(dumpXlated('1' as unknown as number)).rejects.toThrow(TypeError);
    const p: KernelObject = await loadProgram({ name: 'bpfs_gone' });
    const id = p.id;
    p.close();
    for (let i = 0; i < 100 && (await getProgram(id).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 10));
    const err = await dumpXlated(id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({ code: 'ENOENT', op: 'BPF_PROG_GET_FD_BY_ID', object: `program ${id}` });
  });

  it('bpfscope prog dump prints what bpftool prog dump xlated prints, and --json what dumpXlated returns', async () => {
    const programs = await loadObject(compiledBpf('xlated'));
    for (const p of Object.values(programs)) owned(p);
    const { id } = programs.bpfs_xl_second;
    const text = cli('prog', 'dump', String(id));
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(bpftoolText(id));
    const json = JSON.parse(cli('prog', 'dump', String(id), '--json').stdout);
    expect(json).toEqual(JSON.parse(JSON.stringify(await dumpXlated(id), (_, v) => (typeof v === 'bigint' ? String(v) : v))));
    // bpftool's linum and opcodes keywords, as options.
    expect(cli('prog', 'dump', String(id), '--linum', '--opcodes').stdout).toBe(run('bpftool', ['prog', 'dump', 'xlated', 'id', String(id), 'linum', 'opcodes']));
    const main = programs.count_packets.id; // with 64-bit loads, whose second slot's bytes follow
    expect(cli('prog', 'dump', String(main), '--opcodes').stdout).toBe(run('bpftool', ['prog', 'dump', 'xlated', 'id', String(main), 'opcodes']));
    // By name and by pin, as bpftool takes them.
    expect(cli('prog', 'dump', 'bpfs_xl_second').stdout).toBe(text.stdout);
    const bpffs = await mustBpffs();
    await pin(programs.bpfs_xl_second, join(bpffs, 'pinned'));
    expect(cli('prog', 'dump', join(bpffs, 'pinned')).stdout).toBe(text.stdout);
    expect(cli('prog', 'dump', 'bpfs_no_such_program').code).toBe(4);
    expect(cli('prog', 'dump').code).toBe(2);
    expect(cli('prog', String(id), '--linum').code).toBe(2);
    expect(cli('prog', 'dump', String(id), 'x').code).toBe(2);
  });
});
