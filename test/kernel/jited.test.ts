// dumpJited: a program's machine code as the JIT compiled it (`bpftool prog dump jited`, which
// this bpftool, built without a disassembler, refuses), against everything else that tells of that
// code: bpftool prog show's bytes_jited and tag, /proc/kallsyms's symbols at the functions'
// addresses, dumpXlated's prototypes, source lines and call targets, and objdump, whose libbfd
// disassembler is bpftool's other one: on x86-64 (and arm64) every instruction's text equals
// objdump's (on a clang-compiled program and on programs of every instruction form the JIT
// writes), and every source line's code starts on an instruction. test/unit/arm64.test.ts
// compares the arm64 decoder with objdump on every class of instruction the arm64 JIT writes.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { BpfError, dumpJited, dumpXlated, getProgram, type JitedProgram } from 'bpfscope';
import { insn, loadObject, loadProgram, type KernelObject } from 'bpfscope/testing';
import { jitedText } from '../../dist/cjs/cli/format.js';
import { bpftool, cleanup, cli, compiledBpf, describeKernel, owned, run } from '../helpers/kernel';
import { tempDir } from '../helpers/host';

/** /proc/kallsyms's BPF symbols (`ffffffffc0001000 t bpf_prog_<tag>_<name>\t[bpf]`), by address. */
function bpfKallsyms(): Map<bigint, string> {
  const symbols = new Map<bigint, string>();
  for (const line of readFileSync('/proc/kallsyms', 'utf8').split('\n')) {
    const m = /^([0-9a-f]+) \w (\S+)\t\[bpf\]$/.exec(line);
    if (m) symbols.set(BigInt(`0x${m[1]}`), m[2]);
  }
  return symbols;
}

/**
 * objdump's instructions of one function's code placed at its kernel address, [offset, text] each,
 * as bpftool (7.6+) built with libbfd prints them: a branch's target is a kernel address.
 */
function objdump(code: Buffer, address: bigint): [number, string][] {
  const dir = tempDir('bpfscope-jited-');
  cleanup(() => rmSync(dir, { recursive: true }));
  const file = join(dir, 'code.bin');
  writeFileSync(file, code);
  const machine = process.arch === 'arm64' ? 'aarch64' : 'i386:x86-64';
  const text = run('objdump', ['-D', '-b', 'binary', '-m', machine, `--adjust-vma=0x${address.toString(16)}`, file]);
  // `ffffffffc0001000:\t0f 1f 44 00 00       \tnopl   0x0(%rax,%rax,1)`; a long instruction's further bytes on lines with no text.
  return [...text.matchAll(/^ *([0-9a-f]+):\t[0-9a-f ]+\t(.*)$/gm)].map((m) => [Number(BigInt(`0x${m[1]}`) - address), m[2].trimEnd()]);
}

/** Each function's instructions against objdump's: the same text at the same offsets on x86-64 and arm64, none decoded elsewhere. */
function expectObjdumps(program: JitedProgram): void {
  for (const f of program.functions) {
    const theirs = objdump(program.image.subarray(f.offset, f.offset + f.size), f.address);
    expect(theirs.length).toBeGreaterThan(0);
    if (process.arch !== 'x64' && process.arch !== 'arm64') {
      expect(f.instructions).toBeUndefined();
      continue;
    }
    expect(f.instructions?.map((i) => [i.pc, i.text]), f.symbol).toEqual(theirs);
    expect(f.instructions?.reduce((n, i) => n + i.size, 0)).toBe(f.size);
  }
}

/** The BPF registers the JIT maps to rax, rdi, rcx, r8, rbx and r15: old and new registers, one that shifts use. */
const REGISTERS = [0, 1, 4, 5, 6, 9];
/** BPF_ADD … BPF_ARSH (not BPF_NEG, BPF_END), and whether each divides (no register by itself) or shifts (an immediate below the width). */
const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0];
const DIVIDES = new Set([0x30, 0x90]);
const SHIFTS = new Set([0x60, 0x70, 0xc0]);

/** Programs' bodies (to go between a register setup and an exit) with every instruction form the verifier passes to the JIT. */
function instructionForms(): Buffer[] {
  const alu: Buffer[] = [];
  const signed: Buffer[] = [];
  for (const cls of [0x07, 0x04]) { // BPF_ALU64, BPF_ALU
    for (const op of ALU_OPS) {
      for (const dst of REGISTERS) {
        const immediates = SHIFTS.has(op) ? [1, cls === 0x07 ? 63 : 31] : DIVIDES.has(op) ? [3, 100000] : [1, -1, 127, 128, -129, 0x12345678, -0x12345678];
        for (const imm of immediates) alu.push(insn(cls | op, dst, 0, 0, imm));
        for (const src of REGISTERS) if (src !== dst || !DIVIDES.has(op)) alu.push(insn(cls | op | 0x08, dst, src, 0, 0));
        alu.push(insn(0xb7, dst, 0, 0, 7)); // back to a small value
      }
    }
    alu.push(insn(cls | 0x80, 0, 0, 0, 0), insn(cls | 0x80, 6, 0, 0, 0)); // neg
    // Signed division and modulo (off 1), by registers and by immediates; sign extensions (off 8, 16, 32).
    for (const dst of REGISTERS) {
      for (const src of REGISTERS) if (src !== dst) signed.push(insn(cls | 0x38, dst, src, 1, 0), insn(cls | 0x98, dst, src, 1, 0), insn(0xb7, dst, 0, 0, 7));
      signed.push(insn(cls | 0x30, dst, 0, 1, -3), insn(cls | 0x90, dst, 0, 1, -3), insn(0xb7, dst, 0, 0, 7));
      for (const off of cls === 0x07 ? [8, 16, 32] : [8, 16]) signed.push(insn(cls | 0xb8, dst, REGISTERS[(REGISTERS.indexOf(dst) + 1) % REGISTERS.length], off, 0));
    }
  }
  // Byte swaps: to little- and big-endian, and unconditional (BPF_ALU64 BPF_END), of 16, 32, 64 bits.
  const swaps = REGISTERS.flatMap((dst) => [16, 32, 64].flatMap((bits) => [insn(0xd4, dst, 0, 0, bits), insn(0xdc, dst, 0, 0, bits), insn(0xd7, dst, 0, 0, bits)]));
  // Each condition of BPF_JMP and BPF_JMP32, against an immediate of each size and a register, to the next instruction.
  const jumps = [0x05, 0x06].flatMap((cls) => [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0].flatMap((op) =>
    [0, 5, 9].flatMap((dst) => [insn(cls | op, dst, 0, 0, 5), insn(cls | op, dst, 0, 0, -1000), insn(cls | op | 0x08, dst, 1, 0, 0)])));
  // Stores of immediates and registers, loads and sign-extending loads, of each size, on the stack.
  const memory = [insn(0x7a, 10, 0, -8, 0), insn(0x7a, 10, 0, -16, 0)];
  for (const [st, ldx, stx, ldsx] of [[0x72, 0x71, 0x73, 0x91], [0x6a, 0x69, 0x6b, 0x89], [0x62, 0x61, 0x63, 0x81], [0x7a, 0x79, 0x7b, undefined]]) {
    for (const r of REGISTERS) {
      memory.push(insn(st!, 10, 0, -8, 42), insn(st!, 10, 0, -296, 123), insn(stx!, 10, r, -16, 0), insn(ldx!, r, 10, -16, 0));
      if (ldsx !== undefined) memory.push(insn(ldsx, r, 10, -16, 0));
    }
  }
  // Atomics of 32 and 64 bits: add, or, and, xor, each with and without fetch, xchg, cmpxchg (which compares r0).
  const atomics = [insn(0x7a, 10, 0, -8, 0)];
  for (const code of [0xc3, 0xdb]) for (const imm of [0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1]) for (const r of [1, 5, 9]) atomics.push(insn(0xb7, 0, 0, 0, 0), insn(code, 10, r, -8, imm));
  // Helpers the JIT inlines or calls: bpf_get_smp_processor_id (a %gs-relative read), bpf_ktime_get_ns, bpf_get_prandom_u32.
  const helpers = [8, 5, 7].map((id) => insn(0x85, 0, 0, 0, id));
  return [alu, signed, swaps, jumps, memory, atomics, helpers].map((body) => Buffer.concat(body));
}

/** The name a function's prototype gives it (`int classify(struct __sk_buff * skb, …)` → classify). */
const protoName = (proto: string | undefined) => /(\w+)\(/.exec(proto ?? '')?.[1];

describeKernel('dumpJited', () => {
  it('gives each function its code, kernel symbol, address, prototype and source lines, as the kernel and bpftool tell of them', async () => {
    const programs = await loadObject(compiledBpf('xlated'));
    for (const p of Object.values(programs)) owned(p);
    const kallsyms = bpfKallsyms();
    for (const [name, p] of Object.entries(programs)) {
      const jited = await dumpJited(p.id);
      const xlated = await dumpXlated(p.id);
      const shown = bpftool<{ bytes_jited: number; tag: string }>('prog', 'show', 'id', String(p.id));
      // The image is every function's code, one after another.
      expect(jited.image.length).toBe(shown.bytes_jited);
      expect(jited.functions.map((f) => f.offset)).toEqual(jited.functions.map((_, i) => jited.functions.slice(0, i).reduce((n, f) => n + f.size, 0)));
      expect(jited.functions.reduce((n, f) => n + f.size, 0)).toBe(jited.image.length);
      // Each function's symbol is kallsyms's at its address, named for the function the BTF
      // prototype there names; the main function's is the program's (its name and, alone, its tag).
      expect(jited.functions.map((f) => f.symbol)).toEqual(jited.functions.map((f) => kallsyms.get(f.address)));
      expect(jited.functions.map((f) => f.proto)).toEqual(xlated.filter((i) => i.proto).map((i) => i.proto));
      for (const f of jited.functions) expect(f.symbol).toMatch(new RegExp(`^bpf_prog_[0-9a-f]{16}_${protoName(f.proto)}$`));
      expect(protoName(jited.functions[0].proto)).toBe(name);
      if (jited.functions.length === 1) expect(jited.functions[0].symbol).toBe(`bpf_prog_${shown.tag}_${name}`);
      // The calls into the program's own functions reach their addresses.
      const own = xlated.filter((i) => i.target?.symbol?.startsWith('bpf_prog_'));
      for (const call of own) expect(jited.functions.find((f) => f.symbol === call.target?.symbol)?.address).toBe(call.target?.address);
      // Every source line the xlated dump prints is one of the function's, recorded at or before
      // that instruction; each function's first line starts at its first byte.
      const lines = jited.functions.flatMap((f) => f.lines);
      for (const i of xlated.filter((x) => x.source)) {
        expect(lines.some((l) => l.src === i.source?.src && l.lineNum === i.source.lineNum && l.lineCol === i.source.lineCol && l.insn <= i.index), `${name} ${i.index}`).toBe(true);
      }
      for (const f of jited.functions) {
        expect(f.lines.length).toBeGreaterThan(0);
        expect(f.lines[0].offset).toBe(f.offset);
        for (const l of f.lines) expect(l.offset).toBeLessThan(f.offset + f.size);
        expect(f.lines.map((l) => l.offset)).toEqual([...f.lines.map((l) => l.offset)].sort((a, b) => a - b));
        // Each line's code starts on an instruction objdump decoded.
        const starts = new Set(objdump(jited.image.subarray(f.offset, f.offset + f.size), f.address).map(([offset]) => offset));
        for (const l of f.lines) expect(starts.has(l.offset - f.offset), `${f.symbol} line ${l.lineNum} at +${(l.offset - f.offset).toString(16)}`).toBe(true);
      }
      expectObjdumps(jited);
      // Each kernel function and each of the program's functions the xlated dump calls is a call
      // in the machine code, to the same address, named the same (tail calls are jumps).
      if (process.arch === 'x64' || process.arch === 'arm64') {
        const reached = jited.functions.flatMap((f) => f.instructions!.flatMap((i) => (i.target ? [[i.target.symbol, i.target.address]] : [])));
        const called = xlated.filter((i) => i.target?.symbol !== undefined).map((i) => [i.target?.symbol, i.target?.address]);
        expect(called.length).toBeGreaterThan(0);
        expect(reached).toEqual(expect.arrayContaining(called));
      }
    }
    const main = await dumpJited(await getProgram(programs.count_packets.id));
    expect(main.functions.map((f) => protoName(f.proto))).toEqual(['count_packets', 'bump', 'classify']);
    // The line `total += 1;` of the source file, with its file and the column clang points at.
    const total = main.functions[0].lines.find((l) => l.src === 'total += 1;');
    expect(total).toMatchObject({ file: expect.stringMatching(/xlated\.bpf\.c$/), lineCol: 8 });
  });

  it('decodes every instruction form the JIT writes as objdump does: ALU ops of both widths, shifts, divisions, extensions, swaps, jumps, loads and stores, atomics, inlined helpers', async () => {
    for (const [i, body] of instructionForms().entries()) {
      // Every register a value first; r0 = 0, exit last.
      const init = Array.from({ length: 10 }, (_, r) => insn(0xb7, r, 0, 0, r + 1));
      const p = owned(await loadProgram({ type: 'socket_filter', name: `bpfs_jit_forms${i}`, insns: Buffer.concat([...init, body, insn(0xb7, 0, 0, 0, 0), insn(0x95, 0, 0, 0, 0)]) }));
      expectObjdumps(await dumpJited(p.id));
    }
  });

  it('bpfscope prog dump jited prints each function\'s instructions under its source lines, as bpftool does; --opcodes their bytes, --raw the image alone', async () => {
    const programs = await loadObject(compiledBpf('xlated'));
    for (const p of Object.values(programs)) owned(p);
    const { id } = programs.count_packets;
    const jited = await dumpJited(id);
    const text = cli('prog', 'dump', 'jited', String(id));
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`${jitedText(jited)}\n`);
    // Read back with --opcodes: per function its prototype and symbol, then each instruction as
    // `%4x:\t<text>` (bytes rows `%4x:\t0f 1f …` where nothing is decoded), its bytes on the next
    // line as `\t0f 1f 44 00 00 `; the source lines are the function's, the first one first.
    const opcodes = cli('prog', 'dump', 'jited', String(id), '--opcodes').stdout;
    const blocks = opcodes.split('\n\n').filter(Boolean);
    expect(blocks).toHaveLength(jited.functions.length);
    jited.functions.forEach((f, i) => {
      const [proto, symbol, first, ...rest] = blocks[i].split('\n');
      expect([proto, symbol, first]).toEqual([`${f.proto}:`, `${f.symbol}:`, `; ${f.lines[0].src}`]);
      const sources = rest.filter((l) => l.startsWith('; ')).map((l) => l.slice(2));
      for (const src of sources) expect(f.lines.map((l) => l.src)).toContain(src);
      const code = rest.filter((l) => !l.startsWith('; '));
      const bytes = (l: string) => Buffer.from(l.replace(/\s/g, ''), 'hex');
      if (f.instructions) {
        expect(code).toHaveLength(2 * f.instructions.length);
        f.instructions.forEach((insn, k) => {
          expect(code[2 * k]).toBe(`${insn.pc.toString(16).padStart(4)}:\t${insn.text}`);
          expect(code[2 * k + 1]).toMatch(/^\t([0-9a-f]{2} )+$/);
        });
        expect(Buffer.concat(code.filter((_, k) => k % 2 === 1).map(bytes))).toEqual(jited.image.subarray(f.offset, f.offset + f.size));
      } else {
        expect(Buffer.concat(code.map((l) => bytes(l.slice(l.indexOf(':') + 1))))).toEqual(jited.image.subarray(f.offset, f.offset + f.size));
      }
    });
    // --linum: each source line's file, line and column, as bpftool writes them.
    const linum = cli('prog', 'dump', 'jited', String(id), '--linum').stdout;
    const first = jited.functions[0].lines[0];
    expect(linum).toContain(`; ${first.src} [file:${first.file} line_num:${first.lineNum} line_col:${first.lineCol}]\n`);
    // --raw: the bytes `bpftool prog dump jited … file F` writes.
    const raw = spawnSync(process.execPath, ['dist/cjs/cli/main.js', 'prog', 'dump', 'jited', String(id), '--raw'], { env: process.env }); // node keeps the sanitizer preload, as cli() runs it
    expect(raw.status).toBe(0);
    expect(raw.stdout).toEqual(jited.image);
    // --json: dumpJited's result, the image in hex.
    const json = JSON.parse(cli('prog', 'dump', 'jited', String(id), '--json').stdout);
    expect(json.image).toBe(jited.image.toString('hex'));
    expect(json.functions.map((f: { symbol: string; address: string; size: number }) => [f.symbol, f.address, f.size])).toEqual(jited.functions.map((f) => [f.symbol, String(f.address), f.size]));
    // `xlated` named or left out; usage errors.
    expect(cli('prog', 'dump', 'xlated', String(id)).stdout).toBe(cli('prog', 'dump', String(id)).stdout);
    for (const bad of [['jited'], ['jited', String(id), 'x'], ['xlated', String(id), '--raw'], ['jited', String(id), '--raw', '--opcodes'], ['jited', String(id), '--raw', '--json'], ['jitted', String(id)]]) {
      expect(cli('prog', 'dump', ...bad).code, bad.join(' ')).toBe(2);
    }
  });

  it('refuses a bad id, and a program that is gone with a BpfError ENOENT', async () => {
    await expect(dumpJited(0)).rejects.toThrow(RangeError);
    await expect(dumpJited(-1)).rejects.toThrow(RangeError);
    const p: KernelObject = await loadProgram({ name: 'bpfs_jit_gone' });
    const id = p.id;
    expect((await dumpJited(id)).functions.map((f) => f.symbol)).toEqual([expect.stringMatching(/^bpf_prog_[0-9a-f]{16}_bpfs_jit_gone$/)]);
    p.close();
    for (let i = 0; i < 100 && (await getProgram(id).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 10));
    const err = await dumpJited(id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({ code: 'ENOENT', op: 'BPF_PROG_GET_FD_BY_ID', object: `program ${id}` });
  });
});

