// dumpJited: a program's machine code as the JIT compiled it (`bpftool prog dump jited`, which
// this bpftool, built without a disassembler, refuses), against everything else that tells of that
// code: bpftool prog show's bytes_jited and tag, /proc/kallsyms's symbols at the functions'
// addresses, dumpXlated's prototypes, source lines and call targets (each one a call instruction in
// the machine code, to the address the xlated dump names), and objdump's instruction boundaries,
// on which every source line's code must start.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { BpfError, dumpJited, dumpXlated, getProgram, type JitedFunction, type JitedProgram } from 'bpfscope';
import { loadObject, loadProgram, type KernelObject } from 'bpfscope/testing';
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

/** The offsets objdump decodes instructions at in one function's code, and whether it met bytes it could not decode. */
function objdumpOffsets(code: Buffer): { offsets: Set<number>; bad: boolean } {
  const dir = tempDir('bpfscope-jited-');
  cleanup(() => rmSync(dir, { recursive: true }));
  const file = join(dir, 'code.bin');
  writeFileSync(file, code);
  const machine = process.arch === 'arm64' ? 'aarch64' : 'i386:x86-64';
  const text = run('objdump', ['-D', '-b', 'binary', '-m', machine, file]);
  const offsets = new Set([...text.matchAll(/^ +([0-9a-f]+):\t/gm)].map((m) => parseInt(m[1], 16)));
  return { offsets, bad: /\(bad\)/.test(text) };
}

/** The targets of x86-64's `call rel32` (e8) found anywhere in a function's code. */
function callTargets(program: JitedProgram, fn: JitedFunction): Set<bigint> {
  const targets = new Set<bigint>();
  for (let at = fn.offset; at + 5 <= fn.offset + fn.size; at++) {
    if (program.image[at] !== 0xe8) continue;
    const next = fn.address + BigInt(at - fn.offset + 5);
    targets.add(BigInt.asUintN(64, next + BigInt(program.image.readInt32LE(at + 1))));
  }
  return targets;
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
        // objdump decodes the code cleanly, and each line's code starts on an instruction it decoded.
        const { offsets, bad } = objdumpOffsets(jited.image.subarray(f.offset, f.offset + f.size));
        expect(bad, `${f.symbol} holds bytes objdump cannot decode`).toBe(false);
        for (const l of f.lines) expect(offsets.has(l.offset - f.offset), `${f.symbol} line ${l.lineNum} at +${(l.offset - f.offset).toString(16)}`).toBe(true);
      }
      // x86-64: each kernel function and each of the program's functions the xlated dump calls is
      // a `call rel32` in the machine code, to the same address (tail calls are jumps, left out).
      if (process.arch === 'x64') {
        const reached = new Set(jited.functions.flatMap((f) => [...callTargets(jited, f)]));
        const called = xlated.filter((i) => i.target?.symbol !== undefined).map((i) => [i.target?.symbol, i.target?.address]);
        expect(called.length).toBeGreaterThan(0);
        expect(called.filter(([, address]) => !reached.has(address as bigint))).toEqual([]);
      }
    }
    const main = await dumpJited(await getProgram(programs.count_packets.id));
    expect(main.functions.map((f) => protoName(f.proto))).toEqual(['count_packets', 'bump', 'classify']);
    // The line `total += 1;` of the source file, with its file and the column clang points at.
    const total = main.functions[0].lines.find((l) => l.src === 'total += 1;');
    expect(total).toMatchObject({ file: expect.stringMatching(/xlated\.bpf\.c$/), lineCol: 8 });
  });

  it('bpfscope prog dump jited prints the code in rows under each function and source line, and --raw writes the image alone', async () => {
    const programs = await loadObject(compiledBpf('xlated'));
    for (const p of Object.values(programs)) owned(p);
    const { id } = programs.count_packets;
    const jited = await dumpJited(id);
    const text = cli('prog', 'dump', 'jited', String(id));
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`${jitedText(jited)}\n`);
    // Read back: per function its prototype, its symbol, then rows `   0:\tf3 0f …` whose offsets
    // run on from 0 and whose bytes are its code; a source line ahead of each row its code starts.
    const blocks = text.stdout.split('\n\n').filter(Boolean);
    expect(blocks).toHaveLength(jited.functions.length);
    jited.functions.forEach((f, i) => {
      const [proto, symbol, ...rest] = blocks[i].split('\n');
      expect([proto, symbol]).toEqual([`${f.proto}:`, `${f.symbol}:`]);
      const rows = rest.filter((l) => !l.startsWith('; ')).map((l) => /^ *([0-9a-f]+):\t((?:[0-9a-f]{2} ?)+)$/.exec(l));
      expect(rows.every(Boolean)).toBe(true);
      const bytes = Buffer.from(rows.map((r) => r![2].replace(/ /g, '')).join(''), 'hex');
      expect(bytes).toEqual(jited.image.subarray(f.offset, f.offset + f.size));
      let at = 0;
      for (const r of rows) {
        expect(parseInt(r![1], 16)).toBe(at);
        at += r![2].split(' ').length;
      }
      const sourced = rest.flatMap((l, k) => (l.startsWith('; ') ? [parseInt(rest.slice(k).find((n) => !n.startsWith('; '))!, 16)] : []));
      expect(sourced).toEqual(f.lines.map((l) => l.offset - f.offset));
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
    for (const bad of [['jited'], ['jited', String(id), 'x'], ['xlated', String(id), '--raw'], ['jited', String(id), '--opcodes'], ['jited', String(id), '--raw', '--json'], ['jitted', String(id)]]) {
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

