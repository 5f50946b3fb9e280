// decodeX86 on a table of instructions the x86-64 BPF JIT writes (and its neighbours: nops of each
// length, endbr64, fences, rdtsc, %gs reads, r12/r13 addressing, BMI2 shifts, a bare REX prefix),
// each with the text objdump 2.40 gives it at that offset; then random bytes, whose every decoded
// instruction must be objdump's; the kernel tests compare whole JITed programs with objdump.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { decodeX86 } from '../../dist/cjs/x86.js';

/** [bytes in hex, offset (which relative jumps and calls add to), objdump's text]. */
const OBJDUMP: [string, number, string][] = [
  ['6690', 0, 'xchg   %ax,%ax'],
  ['0f1f4000', 2, 'nopl   0x0(%rax)'],
  ['660f1f440000', 6, 'nopw   0x0(%rax,%rax,1)'],
  ['0f1f8000000000', 12, 'nopl   0x0(%rax)'],
  ['0f1f840000000000', 19, 'nopl   0x0(%rax,%rax,1)'],
  ['f30f1efa', 27, 'endbr64'],
  ['4863c7', 31, 'movslq %edi,%rax'],
  ['486345f8', 34, 'movslq -0x8(%rbp),%rax'],
  ['654803042540100200', 38, 'add    %gs:0x21040,%rax'],
  ['654803042528e08f83', 47, 'add    %gs:0xffffffff838fe028,%rax'],
  ['0faee8', 56, 'lfence'],
  ['48d1e7', 59, 'shl    %rdi'],
  ['d1ef', 62, 'shr    %edi'],
  ['48d3e7', 64, 'shl    %cl,%rdi'],
  ['66c1c808', 67, 'ror    $0x8,%ax'],
  ['480fafc7', 71, 'imul   %rdi,%rax'],
  ['486bc005', 75, 'imul   $0x5,%rax,%rax'],
  ['4869c000010000', 79, 'imul   $0x100,%rax,%rax'],
  ['ffe1', 86, 'jmp    *%rcx'],
  ['ffd0', 88, 'call   *%rax'],
  ['cc', 90, 'int3'],
  ['90', 91, 'nop'],
  ['4898', 92, 'cltq'],
  ['98', 94, 'cwtl'],
  ['99', 95, 'cltd'],
  ['4899', 96, 'cqto'],
  ['c645f801', 98, 'movb   $0x1,-0x8(%rbp)'],
  ['66c745f80100', 102, 'movw   $0x1,-0x8(%rbp)'],
  ['c745f801000000', 108, 'movl   $0x1,-0x8(%rbp)'],
  ['48c745f02a000000', 115, 'movq   $0x2a,-0x10(%rbp)'],
  ['8845f8', 123, 'mov    %al,-0x8(%rbp)'],
  ['668945f8', 126, 'mov    %ax,-0x8(%rbp)'],
  ['0fb645f8', 130, 'movzbl -0x8(%rbp),%eax'],
  ['480fb6c0', 134, 'movzbq %al,%rax'],
  ['440fb745f8', 138, 'movzwl -0x8(%rbp),%r8d'],
  ['400fbef9', 143, 'rex movsbl %cl,%edi'],
  ['480fbef7', 147, 'movsbq %dil,%rsi'],
  ['f0480fc145f8', 151, 'lock xadd %rax,-0x8(%rbp)'],
  ['f00fc145f8', 157, 'lock xadd %eax,-0x8(%rbp)'],
  ['8745f8', 162, 'xchg   %eax,-0x8(%rbp)'],
  ['f048877df8', 165, 'lock xchg %rdi,-0x8(%rbp)'],
  ['f04c0fb15df8', 170, 'lock cmpxchg %r11,-0x8(%rbp)'],
  ['f0217df8', 176, 'lock and %edi,-0x8(%rbp)'],
  ['0f31', 180, 'rdtsc'],
  ['48f7d0', 182, 'not    %rax'],
  ['48f765f8', 185, 'mulq   -0x8(%rbp)'],
  ['f7f1', 189, 'div    %ecx'],
  ['49f7fb', 191, 'idiv   %r11'],
  ['0f44c1', 194, 'cmove  %ecx,%eax'],
  ['0f94c0', 197, 'sete   %al'],
  ['498b0424', 200, 'mov    (%r12),%rax'],
  ['4b8b442508', 204, 'mov    0x8(%r13,%r12,1),%rax'],
  ['418b4500', 209, 'mov    0x0(%r13),%eax'],
  ['c4e2f9f7c0', 213, 'shlx   %rax,%rax,%rax'],
  ['c4e27bf7c0', 218, 'shrx   %eax,%eax,%eax'],
  ['c462e9f7c0', 223, 'shlx   %rdx,%rax,%r8'],
  ['c4e242f7c9', 228, 'sarx   %edi,%ecx,%ecx'],
  ['480578563412', 233, 'add    $0x12345678,%rax'],
  ['2d00000100', 239, 'sub    $0x10000,%eax'],
  ['4883c2f0', 244, 'add    $0xfffffffffffffff0,%rdx'],
  ['83f9ff', 248, 'cmp    $0xffffffff,%ecx'],
  ['4881ff00008000', 251, 'cmp    $0x800000,%rdi'],
  ['48830001', 258, 'addq   $0x1,(%rax)'],
  ['48833821', 262, 'cmpq   $0x21,(%rax)'],
  ['48c7c60c7f02c0', 266, 'mov    $0xffffffffc0027f0c,%rsi'],
  ['48bfefcdab8967452301', 273, 'movabs $0x123456789abcdef,%rdi'],
  ['b801000000', 283, 'mov    $0x1,%eax'],
  ['415d', 288, 'pop    %r13'],
  ['55', 290, 'push   %rbp'],
  ['0fc9', 291, 'bswap  %ecx'],
  ['480fc9', 293, 'bswap  %rcx'],
  ['7706', 296, 'ja     0x130'],
  ['74e7', 298, 'je     0x113'],
  ['0f8410000000', 300, 'je     0x142'],
  ['ebfe', 306, 'jmp    0x132'],
  ['e915000000', 308, 'jmp    0x14e'],
  ['e890bc4fc1', 313, 'call   0xffffffffc14fbdce'],
  ['c9', 318, 'leave'],
  ['c3', 319, 'ret'],
  ['0f0b', 320, 'ud2'],
  // Prefixes the instruction leaves unused, which objdump names: REX bits, 0x66; a SIB byte without
  // an index where none was needed.
  ['485f', 0, 'rex.W pop %rdi'],
  ['49eb05', 0, 'rex.WB jmp 0x8'],
  ['f04890', 0, 'lock rex.W nop'],
  ['6686c5', 0, 'data16 xchg %al,%ch'],
  ['66663d7f0f', 0, 'data16 cmp $0xf7f,%ax'],
  ['4c0d0397a139', 0, 'rex.WR or $0x39a19703,%rax'],
  ['111426', 0, 'adc    %edx,(%rsi,%riz,1)'],
  ['412934c58bb1caae', 0, 'sub    %esi,-0x51354e75(,%rax,8)'],
  ['480f1f85e614c963', 0, 'nopq   0x63c914e6(%rbp)'],
  ['0f1fc1', 0, 'nop    %ecx'],
];

it('decodes each instruction as objdump does, at its offset', () => {
  for (const [hex, at, text] of OBJDUMP) {
    const code = Buffer.from(hex, 'hex');
    const decoded = decodeX86(code, 0, BigInt(at));
    expect({ length: decoded.length, text: decoded.text }, hex).toEqual({ length: code.length, text });
    // A relative jump's or call's target, as printed.
    expect(decoded.branch, hex).toBe(/(^| )(j[a-z]+|call) +0x/.test(text) ? BigInt(text.split(' ').at(-1)!) : undefined);
  }
});

it('reads what it does not decode, and what is cut short, as (bad), one byte long', () => {
  // …including forms objdump reads otherwise that the JIT never writes: lea of a register, 16-bit
  // push and jumps, xchg with r8, a rep or segment prefix unused or doubled.
  for (const hex of ['ff', '48', 'f0', '0f', 'c4e2', 'e8000000', '48bf0102030405', '8b0500000000', '0f05', 'c4e27df7c0', '8dc0', '6657', '660f8f78f6', '4190', 'f3c9', '6565317100']) {
    expect(decodeX86(Buffer.from(hex, 'hex'), 0, 0n), hex).toEqual({ length: 1, text: '(bad)' });
  }
  // Decoding goes on after it, at the next byte.
  expect(decodeX86(Buffer.from('0f05c3', 'hex'), 2, 2n)).toEqual({ length: 1, text: 'ret' });
});

it('names nothing objdump names otherwise, on random bytes', () => {
  // 30,000 samples of 16 random bytes (a third after a common prefix or opcode), each alone in a
  // 32-byte slot padded with int3: whatever the decoder reads at a slot's start, objdump reads the
  // same, with the same length.
  let x = 20261208;
  const next = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  const starts = [[0x48], [0x4c], [0x41], [0x40], [0x66], [0xf0, 0x48], [0x0f], [0x48, 0x0f], [0xc4], [0x65, 0x48]];
  const slots = Buffer.alloc(30_000 * 32, 0xcc);
  for (let i = 0; i < 30_000; i++) {
    for (let k = 0; k < 16; k++) slots[i * 32 + k] = next() & 0xff;
    if (i % 3 === 0) starts[next() % starts.length].forEach((b, k) => (slots[i * 32 + k] = b));
  }
  const dir = mkdtempSync(join(tmpdir(), 'bpfscope-x86-'));
  try {
    writeFileSync(join(dir, 'code.bin'), slots);
    const r = spawnSync('objdump', ['-D', '-b', 'binary', '-m', 'i386:x86-64', join(dir, 'code.bin')], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(r.status, r.stderr).toBe(0);
    // Each slot's first instruction: its text, and its length (a long one's bytes go on to lines of their own).
    const theirs = new Map<number, { text: string; length: number }>();
    let last: { text: string; length: number } | undefined;
    for (const m of r.stdout.matchAll(/^ +([0-9a-f]+):\t([0-9a-f ]+?) *(?:\t(.*))?$/gm)) {
      const bytes = m[2].split(' ').length;
      if (m[3] === undefined) {
        if (last) last.length += bytes;
        continue;
      }
      const at = parseInt(m[1], 16);
      last = at % 32 === 0 ? { text: m[3].trimEnd(), length: bytes } : undefined;
      if (last) theirs.set(at / 32, last);
    }
    const wrong: unknown[] = [];
    let claimed = 0;
    for (let i = 0; i < 30_000; i++) {
      const ours = decodeX86(slots.subarray(i * 32, i * 32 + 32), 0, BigInt(i * 32));
      if (ours.text === '(bad)') continue;
      claimed++;
      const t = theirs.get(i);
      if (t?.text !== ours.text || t.length !== ours.length) wrong.push([slots.subarray(i * 32, i * 32 + 16).toString('hex'), ours.text, t?.text]);
    }
    expect(claimed).toBeGreaterThan(10_000);
    expect(wrong).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
