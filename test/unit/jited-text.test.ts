// jitedText (the CLI's `prog dump jited`) on programs made here: instructions under their source
// lines as bpftool places them (libbpf's bpf_prog_linfo__lfind_addr_func), and, where nothing is
// decoded (other architectures), the bytes in rows that end where a source line's code starts.
import { expect, it } from 'vitest';
import type { JitedFunction, JitedProgram } from 'bpfscope';
import { jitedText } from '../../dist/cjs/cli/format.js';

const line = (src: string, offset: number) => ({ src, file: 'a.c', lineNum: 1, lineCol: 2, offset, insn: 0 });
const image = Buffer.from(Array.from({ length: 40 }, (_, i) => i));
const fn = (extra: Partial<JitedFunction>): JitedFunction => ({ symbol: 'bpf_prog_0123456789abcdef_f', address: 0xffffffffc0000000n, offset: 0, size: 40, proto: 'int f(void)', lines: [], ...extra });

it('prints each instruction under the last source line that starts at or before it, one line counted for each printed, as bpftool does', () => {
  // Two lines start at 0: bpftool prints the second there, and, having counted one line only,
  // finds the second again at the next instruction; the third starts past the last instruction.
  const program: JitedProgram = {
    image,
    functions: [fn({
      lines: [line('a = 1;', 0), line('b = 2;', 0), line('c = 3;', 39)],
      instructions: [{ pc: 0, size: 3, text: 'nop' }, { pc: 3, size: 2, text: 'ret' }, { pc: 5, size: 35, text: 'int3' }],
    })],
  };
  expect(jitedText(program)).toBe(['int f(void):', 'bpf_prog_0123456789abcdef_f:', '; b = 2;', '   0:\tnop', '; b = 2;', '   3:\tret', '   5:\tint3', ''].join('\n'));
  expect(jitedText(program, { linum: true, opcodes: true }).split('\n').slice(2, 5)).toEqual(['; b = 2; [file:a.c line_num:1 line_col:2]', '   0:\tnop', '\t00 01 02 ']);
});

it('prints the bytes 16 to a row where nothing is decoded, a row ending where a line starts, and an address for a function kallsyms does not name', () => {
  const program: JitedProgram = { image, functions: [fn({ symbol: undefined, proto: undefined, lines: [line('a = 1;', 0), line('b = 2;', 20)] })] };
  const hex = (from: number, to: number) => [...image.subarray(from, to)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  expect(jitedText(program)).toBe(['0xffffffffc0000000:', '; a = 1;', `   0:\t${hex(0, 16)}`, `  10:\t${hex(16, 20)}`, '; b = 2;', `  14:\t${hex(20, 36)}`, `  24:\t${hex(36, 40)}`, ''].join('\n'));
});
