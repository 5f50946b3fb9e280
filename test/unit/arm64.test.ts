// decodeArm64 against objdump's AArch64 disassembler (binutils' aarch64-linux-gnu-objdump, the
// libbfd one bpftool links): this machine's kernel JITs x86-64, so the arm64 JIT's code cannot be
// had here; instead, every class of instruction the JIT writes (arch/arm64/net/bpf_jit.h) is
// filled with random operands, registers, immediates, shifts, sizes and orderings, and each word's
// text must be objdump's. Then random words: whatever the decoder names must be what objdump names.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { arm64RegisterCalls, decodeArm64 } from '../../dist/cjs/arm64.js';
import { tempDir } from '../helpers/host';

const dir = tempDir('bpfscope-arm64-');
afterAll(() => rmSync(dir, { recursive: true }));

/** objdump's text for each word, laid out one after another from address 0. */
function objdump(words: number[]): string[] {
  const file = join(dir, 'code.bin');
  const code = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => code.writeUInt32LE(w >>> 0, i * 4));
  writeFileSync(file, code);
  const r = spawnSync('aarch64-linux-gnu-objdump', ['-D', '-b', 'binary', '-m', 'aarch64', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`aarch64-linux-gnu-objdump failed (bash scripts/setup.sh --test installs it): ${r.error?.message ?? r.stderr}`);
  const texts = [...r.stdout.matchAll(/^ +([0-9a-f]+):\t[0-9a-f]{8} \t(.*)$/gm)].map((m) => m[2].trimEnd());
  expect(texts).toHaveLength(words.length);
  return texts;
}

/** Our text for each word, at the same addresses. */
function ours(words: number[]): string[] {
  const code = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => code.writeUInt32LE(w >>> 0, i * 4));
  return words.map((_, i) => decodeArm64(code, i * 4, BigInt(i * 4)).text);
}

/** A small deterministic generator (xorshift32), so that a failure repeats. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

const field = (w: number, lsb: number, bits: number): number => (w >>> lsb) & ((1 << bits) - 1);

/**
 * A function as the arm64 JIT lays one out (assembled by aarch64-linux-gnu-as), word by word with
 * objdump 2.40's text: the prologue with pointer authentication, stack stores, a helper's address
 * built in x10 and called through it, a load, a byte swap, shifts, a sign-extending load and
 * extension, a division and modulo, the per-CPU offset, LSE atomics, a compare and branches, the
 * epilogue.
 */
const JIT_FUNCTION: [string, string][] = [
  ['d503233f', 'paciasp'],
  ['a9bf7bfd', 'stp\tx29, x30, [sp, #-16]!'],
  ['910003fd', 'mov\tx29, sp'],
  ['a9bf53f3', 'stp\tx19, x20, [sp, #-16]!'],
  ['a9bf6bf9', 'stp\tx25, x26, [sp, #-16]!'],
  ['910003f9', 'mov\tx25, sp'],
  ['d10043ff', 'sub\tsp, sp, #0x10'],
  ['d2800547', 'mov\tx7, #0x2a                  \t// #42'],
  ['f81f8327', 'stur\tx7, [x25, #-8]'],
  ['d1002321', 'sub\tx1, x25, #0x8'],
  ['92efffea', 'mov\tx10, #0x8000ffffffffffff    \t// #-9223090561878065153'],
  ['f2a2468a', 'movk\tx10, #0x1234, lsl #16'],
  ['d63f0140', 'blr\tx10'],
  ['b4000227', 'cbz\tx7, 0x78'],
  ['b9400407', 'ldr\tw7, [x0, #4]'],
  ['5ac008e7', 'rev\tw7, w7'],
  ['53107ce7', 'lsr\tw7, w7, #16'],
  ['d3607ce7', 'lsl\tx7, x7, #32'],
  ['b8a26828', 'ldrsw\tx8, [x1, x2]'],
  ['93401d08', 'sxtb\tx8, w8'],
  ['9ac808e9', 'udiv\tx9, x7, x8'],
  ['9b089d29', 'msub\tx9, x9, x8, x7'],
  ['8b0a0129', 'add\tx9, x9, x10'],
  ['d538d08a', 'mrs\tx10, tpidr_el1'],
  ['f8e90148', 'ldaddal\tx9, x8, [x10]'],
  ['b829015f', 'stadd\tw9, [x10]'],
  ['c8e7fd48', 'casal\tx7, x8, [x10]'],
  ['f10004ff', 'cmp\tx7, #0x1'],
  ['54000048', 'b.hi\t0x78  // b.pmore'],
  ['f2401cff', 'tst\tx7, #0xff'],
  ['aa0003e7', 'mov\tx7, x0'],
  ['910043ff', 'add\tsp, sp, #0x10'],
  ['a8c16bf9', 'ldp\tx25, x26, [sp], #16'],
  ['a8c153f3', 'ldp\tx19, x20, [sp], #16'],
  ['a8c17bfd', 'ldp\tx29, x30, [sp], #16'],
  ['d50323bf', 'autiasp'],
  ['d65f03c0', 'ret'],
];

it('decodes a JITed function word by word as objdump 2.40 does', () => {
  const code = Buffer.concat(JIT_FUNCTION.map(([hex]) => Buffer.from(hex, 'hex').reverse()));
  expect(JIT_FUNCTION.map((_, i) => decodeArm64(code, i * 4, BigInt(i * 4)).text)).toEqual(JIT_FUNCTION.map(([, text]) => text));
});

/**
 * The classes of instruction the arm64 JIT writes: the bits each fixes, and which of the rest the
 * class leaves out (what objdump reads as another instruction: prfm, ldtr, stnp, clrex …).
 */
const CLASSES: { name: string; mask: number; value: number; except?: (w: number) => boolean }[] = [
  { name: 'b, bl', mask: 0x7c000000, value: 0x14000000 },
  { name: 'cbz, cbnz', mask: 0x7e000000, value: 0x34000000 },
  { name: 'b.cond', mask: 0xff000010, value: 0x54000000 },
  { name: 'br, blr, ret', mask: 0xff9ffc1f, value: 0xd61f0000 },
  { name: 'brk', mask: 0xffe0001f, value: 0xd4200000 },
  { name: 'hint (nop, bti, paciasp …)', mask: 0xfffff01f, value: 0xd503201f },
  { name: 'dsb, dmb, isb, sb', mask: 0xfffff09f, value: 0xd503309f, except: (w) => field(w, 5, 3) === 7 && field(w, 8, 4) !== 0 },
  { name: 'udf', mask: 0xffff0000, value: 0 },
  { name: 'adr, adrp', mask: 0x1f000000, value: 0x10000000 },
  { name: 'add/sub (immediate), cmp, cmn, mov to/from sp', mask: 0x1f800000, value: 0x11000000 },
  { name: 'logical (immediate), tst, mov', mask: 0x1f800000, value: 0x12000000 },
  { name: 'movz, movn, movk, mov', mask: 0x1f800000, value: 0x12800000 },
  { name: 'sbfm, bfm, ubfm: lsl, lsr, asr, sxt*, uxt*, bfi …', mask: 0x1f800000, value: 0x13000000 },
  { name: 'ldr (literal)', mask: 0x3f000000, value: 0x18000000, except: (w) => w >>> 30 === 3 },
  { name: 'load/store (unsigned offset)', mask: 0x3f000000, value: 0x39000000, except: (w) => w >>> 30 === 3 && field(w, 22, 2) === 2 },
  { name: 'load/store (register offset)', mask: 0x3f200c00, value: 0x38200800, except: (w) => w >>> 30 === 3 && field(w, 22, 2) === 2 },
  { name: 'ldur/stur, pre- and post-indexed', mask: 0x3f200000, value: 0x38000000, except: (w) => field(w, 10, 2) === 2 || (w >>> 30 === 3 && field(w, 22, 2) === 2) },
  { name: 'LSE atomics: ld<op>, st<op>, swp', mask: 0x3f200c00, value: 0x38200000, except: (w) => field(w, 15, 1) === 1 && field(w, 12, 3) !== 0 },
  { name: 'ldxr, ldaxr, stxr, stlxr', mask: 0x3fa07c00, value: 0x08007c00 },
  { name: 'ldar, stlr', mask: 0x3fa07c00 | 0x001f0000, value: 0x08807c00 | 0x001f0000 },
  { name: 'cas', mask: 0x3fa07c00, value: 0x08a07c00 },
  { name: 'ldp, stp, ldpsw', mask: 0x3e000000, value: 0x28000000, except: (w) => field(w, 23, 2) === 0 || w >>> 30 === 3 || (w >>> 30 === 1 && !field(w, 22, 1)) },
  { name: 'logical (shifted register): and, orr, mov, mvn, tst …', mask: 0x1f000000, value: 0x0a000000 },
  { name: 'add/sub (shifted register): neg, cmp …', mask: 0x1f200000, value: 0x0b000000 },
  { name: 'add/sub (extended register)', mask: 0x1f200000, value: 0x0b200000 },
  { name: 'udiv, sdiv, lsl, lsr, asr, ror (register)', mask: 0x7fe00000, value: 0x1ac00000, except: (w) => ![2, 3, 8, 9, 10, 11].includes(field(w, 10, 6)) },
  { name: 'rbit, rev16, rev32, rev, clz, cls', mask: 0x7fff0000, value: 0x5ac00000, except: (w) => field(w, 10, 6) > 5 },
  { name: 'madd, msub, mul, mneg', mask: 0x7fe00000, value: 0x1b000000 },
];

/** The system registers the JIT reads, with every destination register. */
const MRS = [0xd538d080, 0xd5384100, 0xd53cd040, 0xd53bd040, 0xd53bd060];

it.each(CLASSES)('decodes every $name as objdump does', ({ mask, value, except }) => {
  const next = random(mask ^ value ^ 0x5eed);
  const words: number[] = [];
  while (words.length < 3000) {
    const w = ((next() & ~mask) | value) >>> 0;
    if (!except?.(w)) words.push(w);
  }
  expect(ours(words)).toEqual(objdump(words));
});

it('reads the system registers the JIT reads (the current task, the per-CPU offset) by their names', () => {
  const words = MRS.flatMap((w) => Array.from({ length: 32 }, (_, rt) => (w | rt) >>> 0));
  const texts = ours(words);
  expect(texts).toEqual(objdump(words));
  expect(texts).toContain('mrs\tx10, tpidr_el2');
});

it('names nothing objdump names otherwise, on random words', () => {
  const next = random(20261208);
  const words = Array.from({ length: 200_000 }, next);
  const theirs = objdump(words);
  const mine = ours(words);
  const claimed = mine.map((t, i) => [i, t] as const).filter(([, t]) => !t.startsWith('.inst'));
  expect(claimed.length).toBeGreaterThan(20_000);
  expect(claimed.filter(([i, t]) => t !== theirs[i]).map(([i, t]) => [words[i].toString(16), t, theirs[i]])).toEqual([]);
});

it('agrees with objdump on the words where its checks are uneven', () => {
  // An ORR into wsp of a value a movn could write (objdump: mov); ldpsw of one register twice
  // (undefined) but ldp of one register twice (decoded); ldar with Rs not all ones (undefined) but
  // ldxr and stlr with unused fields set (decoded); cas with Rt2 set (undefined). Each found by
  // runs of millions of random words.
  const words = [0x32355fff, 0x69400421, 0xa9400421, 0xc8d5fd56, 0x885c5245, 0x88898070, 0xc8a332aa];
  expect(ours(words)).toEqual(objdump(words));
});

it('reads a short tail as (bad), and a branch with the address it reaches', () => {
  expect(decodeArm64(Buffer.from([1, 2]), 0, 0n)).toEqual({ length: 2, text: '(bad)' });
  const code = Buffer.alloc(8);
  code.writeUInt32LE(0x97ffffff, 4); // bl .-4
  expect(decodeArm64(code, 4, 0x1000n)).toEqual({ length: 4, text: 'bl\t0xffc', branch: 0xffcn });
  code.writeUInt32LE(0x17fffffe, 0); // b .-8 from 0: below address 0, as a 64-bit address
  expect(decodeArm64(code, 0, 0n)).toEqual({ length: 4, text: 'b\t0xfffffffffffffff8', branch: 0xfffffffffffffff8n });
});

it('finds the address a call through a register reaches, as the JIT builds it before the blr (emit_call)', () => {
  const movn = (rd: number, imm: number, hw: number) => 0x92800000 | (hw << 21) | (imm << 5) | rd;
  const movz = (rd: number, imm: number, hw: number) => 0xd2800000 | (hw << 21) | (imm << 5) | rd;
  const movk = (rd: number, imm: number, hw: number) => 0xf2800000 | (hw << 21) | (imm << 5) | rd;
  const blr = (rn: number) => 0xd63f0000 | (rn << 5);
  const nop = 0xd503201f;
  // emit_addr_mov_i64(x10, 0xffff800008123456): movn of the low half's complement, then movks.
  const helper = [movn(10, ~0x3456 & 0xffff, 0), movk(10, 0x0812, 1), movk(10, 0x8000, 2), blr(10)];
  const words = [
    ...helper,
    movz(9, 0x1000, 0), movk(9, 0xc0de, 1), movk(9, 0xffff, 2), movk(9, 0xffff, 3), blr(9), // movz, and a movk of the top half
    movz(11, 1, 0), nop, blr(11), // not right before: none
    movz(12, 1, 0), movk(13, 2, 1), blr(12), // a movk of another register ends it: none
    blr(10), // the register still holds the helper's address, but nothing built it here: none
  ];
  const code = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => code.writeUInt32LE(w >>> 0, i * 4));
  expect(objdump(words).slice(0, 4)).toEqual([
    'mov\tx10, #0xffffffffffff3456    \t// #-52138',
    'movk\tx10, #0x812, lsl #16',
    'movk\tx10, #0x8000, lsl #32',
    'blr\tx10',
  ]);
  expect(arm64RegisterCalls(code)).toEqual(new Map([[12, 0xffff800008123456n], [32, 0xffffffffc0de1000n]]));
});
