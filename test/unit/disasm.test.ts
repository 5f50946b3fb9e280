// The instruction forms bpftool 7.5 cannot be compared with here: the ones only a newer kernel's
// disassembler prints (load-acquire and store-release, Linux 6.15), the ones the verifier rewrites
// away before a dump (may_goto, arena casts, per-CPU moves it makes itself only for the JIT), and
// malformed encodings, each against the text of kernel/bpf/disasm.c's format for it. And BTF
// prototypes in the forms bpftool's btf_dumper_type_only prints. The forms bpftool prints are
// compared with it on real programs in test/kernel/xlated.test.ts.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { BtfTypeRecord, CallTarget } from 'bpfscope';

const require = createRequire(import.meta.url);
const { instructionText } = require('../../dist/cjs/disasm.js') as {
  instructionText: (insns: Buffer, at: number, calls: ReadonlyMap<number, CallTarget>, jited: boolean) => string;
};
const { btfTypeText } = require('../../dist/cjs/btf-dump.js') as { btfTypeText: (types: readonly BtfTypeRecord[], id: number) => string | undefined };

/** One struct bpf_insn. */
function insn(code: number, dst: number, src: number, off: number, imm: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = code;
  b[1] = (src << 4) | dst;
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm, 4);
  return b;
}

const text = (bytes: Buffer, calls: ReadonlyMap<number, CallTarget> = new Map(), jited = true) => instructionText(bytes, 0, calls, jited);

describe('instructionText', () => {
  it('prints the forms of newer kernels and the verifier-only ones in the kernel disassembler\'s words', () => {
    expect(text(insn(0xdb, 1, 2, -8, 0x100))).toBe('(db) r1 = load_acquire((u64 *)(r2 -8))');
    expect(text(insn(0xd3, 2, 1, 4, 0x110))).toBe('(d3) store_release((u8 *)(r2 +4), r1)');
    expect(text(insn(0xe5, 0, 0, -3, 0))).toBe('(e5) may_goto pc-3');
    expect(text(insn(0xbf, 1, 2, 1, (1 << 16) | 0))).toBe('(bf) r1 = addr_space_cast(r2, 1, 0)');
    expect(text(insn(0xbf, 3, 4, -1, 0))).toBe('(bf) r3 = &(void __percpu *)(r4)');
    expect(text(insn(0xc2, 0, 0, 0, 0))).toBe('(c2) nospec');
    expect(text(insn(0x9c, 1, 2, 1, 0))).toBe('(9c) w1 s%= w2');
    expect(text(insn(0xbc, 1, 2, 8, 0))).toBe('(bc) w1 = (s8)w2');
    expect(text(insn(0xc3, 1, 2, 0, 0xf1))).toBe('(c3) r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r2)');
  });

  it('prints what the kernel does for encodings no verifier passes: BUG lines, and "(null)" where its tables have no entry', () => {
    expect(text(insn(0x23, 1, 2, 0, 0))).toBe('BUG_23'); // stx in an ABS mode
    expect(text(insn(0xdb, 1, 2, 0, 0x42))).toBe('BUG_db'); // an atomic op without a name
    expect(text(insn(0x22, 1, 0, 0, 0))).toBe('BUG_st_22');
    expect(text(insn(0x21, 1, 2, 0, 0))).toBe('BUG_ldx_21');
    expect(text(insn(0x00, 1, 0, 0, 0))).toBe('BUG_ld_00');
    expect(text(insn(0xe7, 1, 0, 0, 3))).toBe('(e7) r1 (null) 3'); // alu64 op 0xe0
    expect(text(insn(0x99, 1, 10, -8, 0))).toBe('(99) r1 = *((null) *)(r10 -8)'); // ldsx of 8 bytes
    expect(text(insn(0xe5, 1, 1, 2, 7))).toBe('(e5) if r1 (null) 0x7 goto pc+2'); // jcond, src not may_goto
  });

  it('names calls: a helper by id, a kernel function by symbol or address, a subprogram by offset and symbol once JITed', () => {
    expect(text(insn(0x85, 0, 0, 0, 12))).toBe('(85) call bpf_tail_call#12');
    expect(text(insn(0x85, 0, 0, 0, 211))).toBe('(85) call bpf_cgrp_storage_delete#211');
    expect(text(insn(0x85, 0, 0, 0, 212), new Map([[0, { address: 0xffffffff81000000n }]]))).toBe('(85) call 0xffffffff81000000#212');
    expect(text(insn(0x85, 0, 0, 0, 4000), new Map([[0, { address: 1n, symbol: '__htab_map_lookup_elem' }]]))).toBe('(85) call __htab_map_lookup_elem#4000');
    expect(text(insn(0x85, 0, 2, 0, 12), new Map([[0, { address: 1n, symbol: 'bpf_dynptr_from_skb' }]]))).toBe('(85) call bpf_dynptr_from_skb#12'); // a kfunc
    const sub = insn(0x85, 0, 1, 5, 1);
    expect(text(sub, new Map([[0, { address: 2n, symbol: 'bpf_prog_0123456789abcdef_f' }]]))).toBe('(85) call pc+5#bpf_prog_0123456789abcdef_f');
    expect(text(sub, new Map([[0, { address: 0xffffffffa0001000n }]]))).toBe('(85) call pc+5#0xffffffffa0001000');
    expect(text(sub, new Map(), false)).toBe('(85) call pc+5');
  });

  it('reads a 64-bit load from both slots, and a cut one as its low half', () => {
    const load = Buffer.concat([insn(0x18, 1, 0, 0, -1), insn(0, 0, 0, 0, -1)]);
    expect(text(load)).toBe('(18) r1 = 0xffffffffffffffff');
    expect(text(load.subarray(0, 8))).toBe('(18) r1 = 0xffffffff');
    expect(text(Buffer.concat([insn(0x18, 2, 2, 0, 7), insn(0, 0, 0, 0, 16)]))).toBe('(18) r2 = map[id:7][0]+16');
    expect(text(Buffer.concat([insn(0x18, 2, 4, 0, -3), insn(0, 0, 0, 0, 0)]))).toBe('(18) r2 = subprog[-3]');
  });
});

describe('btfTypeText', () => {
  const int: BtfTypeRecord = { id: 1, kind: 'int', name: 'int', size: 4, bitsOffset: 0, nrBits: 32, encoding: 'signed' };
  const types: BtfTypeRecord[] = [
    int,
    { id: 2, kind: 'const', name: undefined, typeId: 1 },
    { id: 3, kind: 'ptr', name: undefined, typeId: 4 },
    { id: 4, kind: 'fwd', name: 'sock', fwdKind: 'union' },
    { id: 5, kind: 'func_proto', name: undefined, retTypeId: 0, params: [{ name: undefined, typeId: 3 }, { name: 'n', typeId: 2 }, { name: undefined, typeId: 0 }] },
    { id: 6, kind: 'func', name: 'f', typeId: 5, linkage: 'global' },
    { id: 7, kind: 'array', name: undefined, typeId: 1, indexTypeId: 1, nrElems: 4 },
    { id: 8, kind: 'var', name: 'counts', typeId: 7, linkage: 'static' },
    { id: 9, kind: 'type_tag', name: 'user', typeId: 1 },
    { id: 10, kind: 'ptr', name: undefined, typeId: 10 },
  ];

  it('prints a prototype as bpftool does: a space after each type, an unnamed parameter without it, `...` for the variadic one', () => {
    expect(btfTypeText(types, 6)).toBe('void f(union sock *, const int n, ...)');
    expect(btfTypeText(types, 5)).toBe('void (union sock *, const int n, ...)');
    expect(btfTypeText(types, 8)).toBe('static int [4] counts');
  });

  it('names nothing for what bpftool does not name (a tag), a missing type, or a loop', () => {
    expect(btfTypeText(types, 9)).toBeUndefined();
    expect(btfTypeText(types, 99)).toBeUndefined();
    expect(btfTypeText(types, 10)).toBeUndefined();
  });
});
