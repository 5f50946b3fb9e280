// AArch64 machine code as the kernel's BPF JIT writes it, in objdump's words: what bpftool built
// with libbfd prints for `prog dump jited` on arm64. It decodes the instruction classes the JIT
// emits (arch/arm64/net/bpf_jit.h: branches, loads and stores of each addressing form, pairs,
// exclusive, acquire/release and LSE atomics, add/sub and logical ops with immediates, shifted
// and extended registers, moves, bitfield moves, multiplies and divides, byte reversals, hints,
// barriers and the system registers it reads), each class whole with objdump's aliases (`mov`,
// `cmp`, `lsl`, `sxtw`, `mul`, `stadd` …), not the whole instruction set: anything else reads as
// objdump reads an undefined word, `.inst\t0x… ; undefined`. The encodings are the Arm
// Architecture Reference Manual's (A64 "Top-level encodings").

import type { MachineInstruction } from './programs';

/** A register of a 32-bit (`w`) or 64-bit (`x`) operation; 31 is the zero register, or the stack pointer where the form says so. */
function reg(n: number, sf: boolean, sp = false): string {
  if (n === 31) return sp ? (sf ? 'sp' : 'wsp') : sf ? 'xzr' : 'wzr';
  return `${sf ? 'x' : 'w'}${n}`;
}

/** Whether the bits of `mask` in `word` are those of `value` (unsigned: a mask of bit 31 compares as a negative number otherwise). */
const matches = (word: number, mask: number, value: number): boolean => (word & mask) >>> 0 === value;
const hex = (v: number | bigint): string => `0x${v.toString(16)}`;
const field = (word: number, lsb: number, bits: number): number => (word >>> lsb) & ((1 << bits) - 1);
/** The signed value of a `bits`-wide field. */
const signed = (word: number, lsb: number, bits: number): number => (field(word, lsb, bits) << (32 - bits)) >> (32 - bits);

const CONDITIONS = ['eq', 'ne', 'cs', 'cc', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le', 'al', 'nv'];
/** objdump's comment after a conditional branch: the condition's other names (SVE's among them). */
const CONDITION_ALIASES = [
  'b.none', 'b.any', 'b.hs, b.nlast', 'b.lo, b.ul, b.last', 'b.first', 'b.nfrst', '', '',
  'b.pmore', 'b.plast', 'b.tcont', 'b.tstop', '', '', '', '',
];
/** A load's or store's mnemonic suffix by its size field: ldrb, ldrh, ldr (32 and 64 bits). */
const SIZE_SUFFIXES = ['b', 'h', '', ''];
const SHIFTS = ['lsl', 'lsr', 'asr', 'ror'];
const EXTENDS = ['uxtb', 'uxth', 'uxtw', 'uxtx', 'sxtb', 'sxth', 'sxtw', 'sxtx'];
/** HINT #n by CRm:op2, for the hints objdump 2.40 names (others, dgh among them, are `hint #0x…`). */
const HINTS: Record<number, string> = {
  0: 'nop', 1: 'yield', 2: 'wfe', 3: 'wfi', 4: 'sev', 5: 'sevl', 7: 'xpaclri', 8: 'pacia1716', 10: 'pacib1716', 12: 'autia1716', 14: 'autib1716',
  16: 'esb', 17: 'psb\tcsync', 18: 'tsb\tcsync', 20: 'csdb', 22: 'clearbhb',
  24: 'paciaz', 25: 'paciasp', 26: 'pacibz', 27: 'pacibsp', 28: 'autiaz', 29: 'autiasp', 30: 'autibz', 31: 'autibsp',
  32: 'bti', 34: 'bti\tc', 36: 'bti\tj', 38: 'bti\tjc',
};
/** DMB and DSB options by CRm. */
const BARRIER_OPTIONS = [
  undefined, 'oshld', 'oshst', 'osh', undefined, 'nshld', 'nshst', 'nsh',
  undefined, 'ishld', 'ishst', 'ish', undefined, 'ld', 'st', 'sy',
];
/** The system registers the JIT reads (the current task, this CPU's per-CPU offset), by op0:op1:CRn:CRm:op2, with others near them. */
const SYSTEM_REGISTERS: Record<number, string> = {
  [sysreg(3, 0, 4, 1, 0)]: 'sp_el0',
  [sysreg(3, 0, 13, 0, 4)]: 'tpidr_el1',
  [sysreg(3, 3, 13, 0, 2)]: 'tpidr_el0',
  [sysreg(3, 3, 13, 0, 3)]: 'tpidrro_el0',
  [sysreg(3, 4, 13, 0, 2)]: 'tpidr_el2',
};
function sysreg(op0: number, op1: number, crn: number, crm: number, op2: number): number {
  return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
}

/** A logical instruction's immediate (DecodeBitMasks): a rotated run of ones, repeated; undefined where the encoding is reserved. */
function bitmask(sf: boolean, n: number, immr: number, imms: number): bigint | undefined {
  const combined = (n << 6) | (~imms & 0x3f);
  if (combined === 0) return undefined;
  const len = 31 - Math.clz32(combined);
  if (len < 1 || (!sf && len > 5)) return undefined;
  const size = 1 << len;
  const levels = size - 1;
  if ((imms & levels) === levels) return undefined;
  const ones = (imms & levels) + 1;
  const r = immr & levels;
  const mask = (1n << BigInt(size)) - 1n;
  let element = (1n << BigInt(ones)) - 1n;
  if (r) element = ((element >> BigInt(r)) | (element << BigInt(size - r))) & mask;
  let value = 0n;
  for (let i = 0; i < (sf ? 64 : 32); i += size) value |= element << BigInt(i);
  return value;
}

/** Whether one MOVZ or MOVN writes `value`. */
function wideConstant(value: bigint, sf: boolean): boolean {
  const bits = sf ? 64 : 32;
  const fits = (v: bigint): boolean => [0n, 16n, 32n, 48n].some((shift) => shift < BigInt(bits) && (v & (0xffffn << shift)) === v);
  return fits(value) || fits(BigInt.asUintN(bits, ~value));
}

/** objdump's `mov` of a wide immediate: the value in hex (printed `%-20x`), its signed value in a comment. */
function movImmediate(rd: string, value: bigint, sf: boolean): string {
  const bits = sf ? 64 : 32;
  return `mov\t${rd}, #0x${BigInt.asUintN(bits, value).toString(16).padEnd(20)}\t// #${BigInt.asIntN(bits, value)}`;
}

/** A memory operand with an offset: `[x1]`, `[x1, #8]`, pre-indexed `[x1, #-16]!`, post-indexed `[x1], #16`. */
function address(rn: number, offset: number, mode: 'offset' | 'pre' | 'post'): string {
  const base = reg(rn, true, true);
  if (mode === 'post') return `[${base}], #${offset}`;
  if (mode === 'pre') return `[${base}, #${offset}]!`;
  return offset ? `[${base}, #${offset}]` : `[${base}]`;
}

/**
 * Decodes the instruction of `code` at `at` (four bytes, little-endian), whose address is `pc`: a
 * branch's target, or an adr's or literal load's, is printed as the address it reaches, as
 * objdump prints it.
 */
export function decodeArm64(code: Buffer, at: number, pc: bigint): MachineInstruction {
  if (at + 4 > code.length) return { length: code.length - at, text: '(bad)' };
  const word = code.readUInt32LE(at);
  const decoded = decodeWord(word, pc);
  if (decoded === undefined) return { length: 4, text: `.inst\t0x${word.toString(16).padStart(8, '0')} ; undefined` };
  return typeof decoded === 'string' ? { length: 4, text: decoded } : { length: 4, ...decoded };
}

type Decoded = string | { text: string; branch: bigint } | undefined;

function decodeWord(w: number, pc: bigint): Decoded {
  const op0 = field(w, 25, 4);
  if ((op0 & 0b1110) === 0b1000) return dataImmediate(w, pc);
  if ((op0 & 0b1110) === 0b1010) return branchOrSystem(w, pc);
  if ((op0 & 0b0101) === 0b0100) return loadStore(w, pc);
  if ((op0 & 0b0111) === 0b0101) return dataRegister(w);
  if (w >>> 16 === 0) return `udf\t#${w & 0xffff}`;
  return undefined;
}

/** Data processing with an immediate: adr, add/sub, logical, move wide, bitfield moves. */
function dataImmediate(w: number, pc: bigint): Decoded {
  const sf = w >>> 31 === 1;
  const rd = field(w, 0, 5);
  const rn = field(w, 5, 5);
  switch (field(w, 23, 3)) {
    case 0b000:
    case 0b001: {
      // adr, adrp: a 21-bit offset, in bytes or in 4 KiB pages.
      const offset = BigInt((signed(w, 5, 19) << 2) | field(w, 29, 2));
      if (sf) {
        const target = BigInt.asUintN(64, (pc & ~0xfffn) + (offset << 12n));
        return { text: `adrp\t${reg(rd, true)}, ${hex(target)}`, branch: target };
      }
      const target = BigInt.asUintN(64, pc + offset);
      return { text: `adr\t${reg(rd, true)}, ${hex(target)}`, branch: target };
    }
    case 0b010: {
      // add/sub (immediate): op at bit 30, S at 29, an optional lsl #12.
      const sub = field(w, 30, 1) === 1;
      const flags = field(w, 29, 1) === 1;
      const shifted = field(w, 22, 1) === 1;
      const imm = `#${hex(field(w, 10, 12))}${shifted ? ', lsl #12' : ''}`;
      if (!sub && !flags && !shifted && field(w, 10, 12) === 0 && (rd === 31 || rn === 31)) return `mov\t${reg(rd, sf, true)}, ${reg(rn, sf, true)}`;
      if (flags && rd === 31) return `${sub ? 'cmp' : 'cmn'}\t${reg(rn, sf, true)}, ${imm}`;
      return `${sub ? 'sub' : 'add'}${flags ? 's' : ''}\t${reg(rd, sf, !flags)}, ${reg(rn, sf, true)}, ${imm}`;
    }
    case 0b100: {
      // Logical (immediate): and, orr, eor, ands of a bitmask.
      const n = field(w, 22, 1);
      const immr = field(w, 16, 6);
      const imms = field(w, 10, 6);
      if (!sf && n) return undefined;
      const value = bitmask(sf, n, immr, imms);
      if (value === undefined) return undefined;
      const opc = field(w, 29, 2);
      if (opc === 3 && rd === 31) return `tst\t${reg(rn, sf)}, #${hex(value)}`;
      // An ORR of the zero register is `mov`, unless a movz or movn would write the value (not to sp, which they cannot).
      if (opc === 1 && rn === 31 && (rd === 31 || !wideConstant(value, sf))) return movImmediate(reg(rd, sf, true), value, sf);
      return `${['and', 'orr', 'eor', 'ands'][opc]}\t${reg(rd, sf, opc !== 3)}, ${reg(rn, sf)}, #${hex(value)}`;
    }
    case 0b101: {
      // Move wide: movn, movz, movk of 16 bits at a multiple of 16.
      const opc = field(w, 29, 2);
      const hw = field(w, 21, 2);
      if (opc === 1 || (!sf && hw >= 2)) return undefined;
      const imm16 = field(w, 5, 16);
      const shift = hw * 16;
      const plain = `${reg(rd, sf)}, #${hex(imm16)}${shift ? `, lsl #${shift}` : ''}`;
      if (opc === 3) return `movk\t${plain}`;
      const aliased = !(imm16 === 0 && hw !== 0) && !(opc === 0 && !sf && imm16 === 0xffff);
      if (!aliased) return `${opc === 0 ? 'movn' : 'movz'}\t${plain}`;
      const value = BigInt(imm16) << BigInt(shift);
      return movImmediate(reg(rd, sf), opc === 0 ? ~value : value, sf);
    }
    case 0b110:
      return bitfield(w, sf, rd, rn);
    default:
      return undefined;
  }
}

/** sbfm, bfm and ubfm as their aliases (asr, lsr, lsl, sxt*, uxt*, sbfx, ubfx, sbfiz, ubfiz, bfi, bfc, bfxil). */
function bitfield(w: number, sf: boolean, rd: number, rn: number): Decoded {
  const opc = field(w, 29, 2);
  const n = field(w, 22, 1);
  const immr = field(w, 16, 6);
  const imms = field(w, 10, 6);
  const size = sf ? 64 : 32;
  if (n !== (sf ? 1 : 0) || (!sf && (immr | imms) & 0x20) || opc === 3) return undefined;
  const d = reg(rd, sf);
  const s = reg(rn, sf);
  if (opc === 1) {
    // bfm: bits inserted (bfi, or bfc from the zero register) or extracted and inserted at bit 0 (bfxil).
    if (imms >= immr) return `bfxil\t${d}, ${s}, #${immr}, #${imms - immr + 1}`;
    return rn === 31 ? `bfc\t${d}, #${size - immr}, #${imms + 1}` : `bfi\t${d}, ${s}, #${size - immr}, #${imms + 1}`;
  }
  const unsigned = opc === 2;
  if (imms === size - 1) return `${unsigned ? 'lsr' : 'asr'}\t${d}, ${s}, #${immr}`;
  if (unsigned && imms + 1 === immr) return `lsl\t${d}, ${s}, #${size - 1 - imms}`;
  if (immr === 0 && (imms === 7 || imms === 15 || (imms === 31 && !unsigned)) && (!unsigned || !sf))
    return `${unsigned ? 'uxt' : 'sxt'}${{ 7: 'b', 15: 'h', 31: 'w' }[imms]}\t${d}, ${reg(rn, false)}`;
  const prefix = unsigned ? 'ubf' : 'sbf';
  if (imms < immr) return `${prefix}iz\t${d}, ${s}, #${size - immr}, #${imms + 1}`;
  return `${prefix}x\t${d}, ${s}, #${immr}, #${imms - immr + 1}`;
}

/** Branches, exceptions and system instructions. */
function branchOrSystem(w: number, pc: bigint): Decoded {
  const target = (offset: number): { text: string; branch: bigint } => {
    const branch = BigInt.asUintN(64, pc + BigInt(offset));
    return { text: hex(branch), branch };
  };
  if (matches(w, 0x7c000000, 0x14000000)) {
    const t = target(signed(w, 0, 26) * 4);
    return { text: `${w >>> 31 ? 'bl' : 'b'}\t${t.text}`, branch: t.branch };
  }
  if (matches(w, 0x7e000000, 0x34000000)) {
    const t = target(signed(w, 5, 19) * 4);
    return { text: `${field(w, 24, 1) ? 'cbnz' : 'cbz'}\t${reg(field(w, 0, 5), w >>> 31 === 1)}, ${t.text}`, branch: t.branch };
  }
  if (matches(w, 0xff000010, 0x54000000)) {
    const cond = field(w, 0, 4);
    const t = target(signed(w, 5, 19) * 4);
    const aliases = CONDITION_ALIASES[cond];
    return { text: `b.${CONDITIONS[cond]}\t${t.text}${aliases ? `  // ${aliases}` : ''}`, branch: t.branch };
  }
  if (matches(w, 0xffe0001f, 0xd4200000)) return `brk\t#${hex(field(w, 5, 16))}`;
  if (matches(w, 0xfffff01f, 0xd503201f)) {
    const hint = field(w, 5, 7);
    return HINTS[hint] ?? `hint\t#${hex(hint)}`;
  }
  if (matches(w, 0xfffff01f, 0xd503301f)) return barrier(field(w, 8, 4), field(w, 5, 3));
  if (matches(w, 0xfff00000, 0xd5300000)) {
    // Bits 19-5 are op0's low bit, op1, CRn, CRm, op2; op0's high bit (20) is set in every mrs.
    const name = SYSTEM_REGISTERS[field(w, 5, 15) | (1 << 15)];
    return name === undefined ? undefined : `mrs\t${reg(field(w, 0, 5), true)}, ${name}`;
  }
  if (matches(w, 0xff9ffc1f, 0xd61f0000)) {
    // br, blr, ret (without pointer authentication).
    const opc = field(w, 21, 2);
    const rn = field(w, 5, 5);
    if (opc === 3) return undefined;
    if (opc === 2) return rn === 30 ? 'ret' : `ret\t${reg(rn, true)}`;
    return `${opc ? 'blr' : 'br'}\t${reg(rn, true)}`;
  }
  return undefined;
}

/** dsb, dmb, isb and the speculation barriers by CRm and op2. */
function barrier(crm: number, op2: number): Decoded {
  const option = BARRIER_OPTIONS[crm] ?? `#0x${crm.toString(16).padStart(2, '0')}`;
  switch (op2) {
    case 4:
      if (crm === 0) return 'ssbb';
      if (crm === 4) return 'pssbb';
      return `dsb\t${option}`;
    case 5:
      return `dmb\t${option}`;
    case 6:
      return crm === 15 ? 'isb' : `isb\t#${hex(crm)}`;
    case 7:
      return crm === 0 ? 'sb' : undefined;
    default:
      return undefined;
  }
}

/** Loads and stores (general registers only: V, bit 26, clear). */
function loadStore(w: number, pc: bigint): Decoded {
  if (field(w, 26, 1)) return undefined;
  const rt = field(w, 0, 5);
  const rn = field(w, 5, 5);
  const size = field(w, 30, 2);
  if (matches(w, 0x3b000000, 0x18000000)) {
    // A literal: ldr w/x, ldrsw at a pc-relative address (prfm left out).
    const opc = size;
    if (opc === 3) return undefined;
    const target = BigInt.asUintN(64, pc + BigInt(signed(w, 5, 19) * 4));
    return { text: `${opc === 2 ? 'ldrsw' : 'ldr'}\t${reg(rt, opc !== 0)}, ${hex(target)}`, branch: target };
  }
  if (matches(w, 0x3f000000, 0x08000000)) return exclusive(w, size, rt, rn);
  if (matches(w, 0x3a000000, 0x28000000)) return pair(w, rt, rn);
  if (!matches(w, 0x3b000000, 0x39000000) && !matches(w, 0x3b000000, 0x38000000)) return undefined;
  if (!field(w, 24, 1) && field(w, 21, 1) && field(w, 10, 2) === 0) return atomic(w, size, rt, rn);
  const opc = field(w, 22, 2);
  // The register's width and the mnemonic's suffix: strb, ldrsh, ldrsw …
  const signExtends = opc >= 2;
  if (size === 3 && signExtends) return undefined; // prfm and unallocated
  if (size === 2 && opc === 3) return undefined;
  const sf = size === 3 || opc === 2;
  const load = opc !== 0;
  const width = size === 2 && signExtends ? 'w' : SIZE_SUFFIXES[size];
  const base = (unscaled: boolean): string => `${load ? 'ld' : 'st'}${unscaled ? 'u' : ''}r${signExtends ? 's' : ''}${width}`;
  if (field(w, 24, 1)) return `${base(false)}\t${reg(rt, sf)}, ${address(rn, field(w, 10, 12) << size, 'offset')}`;
  if (field(w, 21, 1)) return field(w, 10, 2) === 2 ? registerOffset(w, base(false), reg(rt, sf), rn, size) : undefined;
  const imm9 = signed(w, 12, 9);
  switch (field(w, 10, 2)) {
    case 0:
      return `${base(true)}\t${reg(rt, sf)}, ${address(rn, imm9, 'offset')}`;
    case 1:
      return `${base(false)}\t${reg(rt, sf)}, ${address(rn, imm9, 'post')}`;
    case 3:
      return `${base(false)}\t${reg(rt, sf)}, ${address(rn, imm9, 'pre')}`;
    default:
      return undefined; // ldtr, sttr
  }
}

/** A register-offset load or store: `ldr x0, [x1, x2]`, `[x1, w2, uxtw #3]` … */
function registerOffset(w: number, name: string, rt: string, rn: number, size: number): Decoded {
  const option = field(w, 13, 3);
  if (!(option & 2)) return undefined;
  const rm = reg(field(w, 16, 5), (option & 1) === 1);
  const s = field(w, 12, 1);
  const amount = s ? ` #${size}` : '';
  const extend = option === 3 ? (s ? `, lsl${amount}` : '') : `, ${EXTENDS[option]}${amount}`;
  return `${name}\t${rt}, [${reg(rn, true, true)}, ${rm}${extend}]`;
}

/** LSE atomics: ld<op>, swp, and st<op> (ld<op> into the zero register without acquire). */
function atomic(w: number, size: number, rt: number, rn: number): Decoded {
  const o3 = field(w, 15, 1);
  const opc = field(w, 12, 3);
  const a = field(w, 23, 1);
  const r = field(w, 22, 1);
  const op = o3 ? (opc === 0 ? 'swp' : undefined) : ['add', 'clr', 'eor', 'set', 'smax', 'smin', 'umax', 'umin'][opc];
  if (op === undefined) return undefined;
  const order = `${a ? 'a' : ''}${r ? 'l' : ''}`;
  const suffix = SIZE_SUFFIXES[size];
  const sf = size === 3;
  const rs = reg(field(w, 16, 5), sf);
  if (op !== 'swp' && rt === 31 && !a) return `st${op}${order}${suffix}\t${rs}, [${reg(rn, true, true)}]`;
  return `${op === 'swp' ? 'swp' : `ld${op}`}${order}${suffix}\t${rs}, ${reg(rt, sf)}, [${reg(rn, true, true)}]`;
}

/** Exclusive and ordered loads and stores, and compare-and-swap: ldxr, stlxr, ldar, stlr, casal … */
function exclusive(w: number, size: number, rt: number, rn: number): Decoded {
  const o2 = field(w, 23, 1);
  const l = field(w, 22, 1);
  const o1 = field(w, 21, 1);
  const o0 = field(w, 15, 1);
  const rs = field(w, 16, 5);
  const suffix = SIZE_SUFFIXES[size];
  const sf = size === 3;
  const base = `[${reg(rn, true, true)}]`;
  if (!o2 && !o1) {
    // objdump reads the fields an instruction does not use (Rt2, a load's Rs: all ones) as if they were.
    if (l) return `ld${o0 ? 'a' : ''}xr${suffix}\t${reg(rt, sf)}, ${base}`;
    return `st${o0 ? 'l' : ''}xr${suffix}\t${reg(rs, false)}, ${reg(rt, sf)}, ${base}`;
  }
  // objdump checks that these two leave Rt2 all ones (ldar its Rs too), the others not.
  const rt2 = field(w, 10, 5);
  if (o2 && !o1) {
    if (l && o0 && (rs !== 31 || rt2 !== 31)) return undefined;
    return `${l ? (o0 ? 'ldar' : 'ldlar') : o0 ? 'stlr' : 'stllr'}${suffix}\t${reg(rt, sf)}, ${base}`;
  }
  if (o2 && o1 && rt2 === 31) return `cas${l ? 'a' : ''}${o0 ? 'l' : ''}${suffix}\t${reg(rs, sf)}, ${reg(rt, sf)}, ${base}`;
  return undefined;
}

/** Pairs: stp and ldp (and ldpsw) with a signed offset, pre- or post-indexed. */
function pair(w: number, rt: number, rn: number): Decoded {
  const opc = field(w, 30, 2);
  const l = field(w, 22, 1);
  const mode = (['post', 'offset', 'pre'] as const)[field(w, 23, 2) - 1];
  if (mode === undefined || opc === 3 || (opc === 1 && !l)) return undefined;
  const sf = opc !== 0;
  const offset = signed(w, 15, 7) * (opc === 2 ? 8 : 4);
  const rt2 = field(w, 10, 5);
  if (opc === 1) {
    // ldpsw loading one register twice, or its base register with writeback, is undefined to objdump (its ldp is not checked).
    if (rt === rt2 || (mode !== 'offset' && rn !== 31 && (rn === rt || rn === rt2))) return undefined;
    return `ldpsw\t${reg(rt, true)}, ${reg(rt2, true)}, ${address(rn, offset, mode)}`;
  }
  return `${l ? 'ldp' : 'stp'}\t${reg(rt, sf)}, ${reg(rt2, sf)}, ${address(rn, offset, mode)}`;
}

/** Data processing with registers: logical and add/sub (shifted or extended), 1-, 2- and 3-source ops, conditional selects. */
function dataRegister(w: number): Decoded {
  const sf = w >>> 31 === 1;
  const rd = field(w, 0, 5);
  const rn = field(w, 5, 5);
  const rm = field(w, 16, 5);
  if (matches(w, 0x1f000000, 0x0a000000)) return logicalRegister(w, sf, rd, rn, rm);
  if (matches(w, 0x1f200000, 0x0b000000)) return addSubShifted(w, sf, rd, rn, rm);
  if (matches(w, 0x1f200000, 0x0b200000)) return addSubExtended(w, sf, rd, rn, rm);
  if (matches(w, 0x7fe00000, 0x1ac00000)) {
    const name = { 2: 'udiv', 3: 'sdiv', 8: 'lsl', 9: 'lsr', 10: 'asr', 11: 'ror' }[field(w, 10, 6)];
    return name && `${name}\t${reg(rd, sf)}, ${reg(rn, sf)}, ${reg(rm, sf)}`;
  }
  if (matches(w, 0x7fff0000, 0x5ac00000)) {
    const opcode = field(w, 10, 6);
    const name = opcode === 2 && sf ? 'rev32' : ['rbit', 'rev16', 'rev', 'rev', 'clz', 'cls'][opcode];
    if (name === undefined || (opcode === 3 && !sf)) return undefined;
    return `${name}\t${reg(rd, sf)}, ${reg(rn, sf)}`;
  }
  if (matches(w, 0x7fe00000, 0x1b000000)) {
    // madd, msub; mul and mneg with the zero register as the addend.
    const ra = field(w, 10, 5);
    const sub = field(w, 15, 1) === 1;
    const operands = `${reg(rd, sf)}, ${reg(rn, sf)}, ${reg(rm, sf)}`;
    if (ra === 31) return `${sub ? 'mneg' : 'mul'}\t${operands}`;
    return `${sub ? 'msub' : 'madd'}\t${operands}, ${reg(ra, sf)}`;
  }
  return undefined;
}

function logicalRegister(w: number, sf: boolean, rd: number, rn: number, rm: number): Decoded {
  const imm6 = field(w, 10, 6);
  if (!sf && imm6 & 0x20) return undefined;
  const opc = field(w, 29, 2);
  const inverted = field(w, 21, 1);
  const shift = field(w, 22, 2);
  const shifted = `${reg(rm, sf)}${shift || imm6 ? `, ${SHIFTS[shift]} #${imm6}` : ''}`;
  if (opc === 1 && !inverted && rn === 31 && !shift && !imm6) return `mov\t${reg(rd, sf)}, ${reg(rm, sf)}`;
  if (opc === 1 && inverted && rn === 31) return `mvn\t${reg(rd, sf)}, ${shifted}`;
  if (opc === 3 && !inverted && rd === 31) return `tst\t${reg(rn, sf)}, ${shifted}`;
  const name = [['and', 'bic'], ['orr', 'orn'], ['eor', 'eon'], ['ands', 'bics']][opc][inverted];
  return `${name}\t${reg(rd, sf)}, ${reg(rn, sf)}, ${shifted}`;
}

function addSubShifted(w: number, sf: boolean, rd: number, rn: number, rm: number): Decoded {
  const shift = field(w, 22, 2);
  const imm6 = field(w, 10, 6);
  if (shift === 3 || (!sf && imm6 & 0x20)) return undefined;
  const sub = field(w, 30, 1) === 1;
  const flags = field(w, 29, 1) === 1;
  const shifted = `${reg(rm, sf)}${shift || imm6 ? `, ${SHIFTS[shift]} #${imm6}` : ''}`;
  if (flags && rd === 31) return `${sub ? 'cmp' : 'cmn'}\t${reg(rn, sf)}, ${shifted}`;
  if (sub && rn === 31) return `neg${flags ? 's' : ''}\t${reg(rd, sf)}, ${shifted}`;
  return `${sub ? 'sub' : 'add'}${flags ? 's' : ''}\t${reg(rd, sf)}, ${reg(rn, sf)}, ${shifted}`;
}

function addSubExtended(w: number, sf: boolean, rd: number, rn: number, rm: number): Decoded {
  const option = field(w, 13, 3);
  const imm3 = field(w, 10, 3);
  if (imm3 > 4 || field(w, 22, 2)) return undefined;
  const sub = field(w, 30, 1) === 1;
  const flags = field(w, 29, 1) === 1;
  // With the stack pointer, the extend that changes nothing is `lsl`, left out when it shifts by 0.
  const toSp = (!flags && rd === 31) || rn === 31;
  const extend = toSp && option === (sf ? 3 : 2) ? (imm3 ? `, lsl #${imm3}` : '') : `, ${EXTENDS[option]}${imm3 ? ` #${imm3}` : ''}`;
  const source = `${reg(rm, sf && (option & 3) === 3)}${extend}`;
  if (flags && rd === 31) return `${sub ? 'cmp' : 'cmn'}\t${reg(rn, sf, true)}, ${source}`;
  return `${sub ? 'sub' : 'add'}${flags ? 's' : ''}\t${reg(rd, sf, !flags)}, ${reg(rn, sf, true)}, ${source}`;
}

/**
 * The addresses a function's calls through a register reach, by the offset of each `blr`: the
 * arm64 JIT calls helpers, kfuncs and the program's own functions by building the 64-bit address
 * in a register right before (emit_call: a movn or movz, then movks, then `blr`), so the value
 * those build is the target. A `blr` after anything else has none.
 */
export function arm64RegisterCalls(code: Buffer): Map<number, bigint> {
  const targets = new Map<number, bigint>();
  let built = -1; // the register the instructions just before built, if any
  let value = 0n;
  for (let at = 0; at + 4 <= code.length; at += 4) {
    const w = code.readUInt32LE(at);
    const rd = field(w, 0, 5);
    const part = BigInt(field(w, 5, 16)) << BigInt(field(w, 21, 2) * 16);
    if (matches(w, 0xff800000, 0x92800000) || matches(w, 0xff800000, 0xd2800000)) {
      // A 64-bit movn or movz starts a value.
      built = rd;
      value = matches(w, 0xff800000, 0x92800000) ? BigInt.asUintN(64, ~part) : part;
    } else if (matches(w, 0xff800000, 0xf2800000) && rd === built) {
      // A movk replaces 16 of its bits.
      value = (value & ~(0xffffn << BigInt(field(w, 21, 2) * 16))) | part;
    } else {
      if (matches(w, 0xfffffc1f, 0xd63f0000) && field(w, 5, 5) === built) targets.set(at, value);
      built = -1;
    }
  }
  return targets;
}
