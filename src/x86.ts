// x86-64 machine code as the kernel's BPF JIT writes it, in objdump's words (AT&T syntax): what
// bpftool built with libbfd prints for `prog dump jited`. It decodes the instruction forms the JIT
// emits (arch/x86/net/bpf_jit_comp.c: moves, ALU ops and shifts, BMI2 shifts, multiplies and
// divides, sign and zero extensions, atomics, jumps, calls, pushes and pops, the nops it pads
// with, fences, rdtsc, %gs-relative per-CPU reads), with any prefix they leave unused named as
// objdump names it, not the whole instruction set: anything else reads as `(bad)`, one byte long,
// and decoding goes on after it. What it does decode, objdump decodes the same (test/unit/x86.test.ts
// compares them on random bytes).

import type { MachineInstruction } from './programs';

const REGS64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const REGS32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d', 'r12d', 'r13d', 'r14d', 'r15d'];
const REGS16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di', 'r8w', 'r9w', 'r10w', 'r11w', 'r12w', 'r13w', 'r14w', 'r15w'];
/** Byte registers with a REX prefix (spl, bpl, sil, dil); without one, 4 to 7 are ah, ch, dh, bh. */
const REGS8 = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil', 'r8b', 'r9b', 'r10b', 'r11b', 'r12b', 'r13b', 'r14b', 'r15b'];
const HIGH_BYTES = ['ah', 'ch', 'dh', 'bh'];

const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const SHIFTS = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', undefined, 'sar'];
const UNARY = ['test', undefined, 'not', 'neg', 'mul', 'imul', 'div', 'idiv'];
const CONDITIONS = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
/** An operand size's AT&T suffix, written when no operand is a register. */
const SUFFIX: Record<number, string> = { 1: 'b', 2: 'w', 4: 'l', 8: 'q' };
const FENCES: Record<number, string> = { 0xe8: 'lfence', 0xf0: 'mfence', 0xf8: 'sfence' };
/** BMI2's shifts by VEX.pp (map 0f38, opcode f7): 66 shlx, f3 sarx, f2 shrx. */
const BMI2_SHIFTS = [undefined, 'shlx', 'sarx', 'shrx'];

const BAD: MachineInstruction = { length: 1, text: '(bad)' };

/** A ModRM operand: the reg field, and the r/m field as a register (mod 3) or a memory reference's text. */
interface Operands {
  reg: number;
  rm?: number;
  memory?: string;
}

/**
 * Decodes the instruction of `code` at `at`, whose address is `pc` (a relative jump's or call's
 * target is printed as the address it reaches, as objdump prints it).
 */
export function decodeX86(code: Buffer, at: number, pc: bigint): MachineInstruction {
  try {
    return new Decoder(code, at, pc).decode() ?? BAD;
  } catch (err) {
    // A read past the end: the instruction is cut short.
    if (err instanceof RangeError) return BAD;
    throw err;
  }
}

/** One instruction's decoding: the prefixes read, then the opcode and its operands. */
class Decoder {
  private at: number;
  private opsize = false;
  private rep = 0;
  private segment = '';
  private rex = 0;
  /**
   * The REX bits the instruction consulted (0x40 for any, with W, R, X or B), as objdump counts
   * them: a REX prefix with a bit it did not use is printed by name (`rex.W`, `rex.WB`, or `rex`
   * for a bare 0x40 that chose no byte register), and so is an unused 0x66 (`data16`).
   */
  private rexUsed = 0;
  private opsizeUsed = false;
  /** The legacy prefixes in the order they came (lock and 0x66 print in it). */
  private prefixes: number[] = [];
  private segmentUsed = false;
  private repUsed = false;

  constructor(private readonly code: Buffer, private readonly start: number, private readonly pc: bigint) {
    this.at = start;
  }

  /** REX.W, counted as used when set. */
  private get w(): number {
    return this.useRex(8);
  }

  /** A REX bit (8 W, 4 R, 2 X, 1 B) as 0 or 1, counted as used when set. */
  private useRex(bit: number): number {
    if (!(this.rex & bit)) return 0;
    this.rexUsed |= 0x40 | bit;
    return 1;
  }

  /** Whether 0x66 came, counted as used. */
  private get data16(): boolean {
    if (this.opsize) this.opsizeUsed = true;
    return this.opsize;
  }

  /** The operand size: 8 with REX.W, 2 with 0x66, else 4. */
  private get size(): number {
    return this.w ? 8 : this.data16 ? 2 : 4;
  }

  decode(): MachineInstruction | undefined {
    for (;; this.at++) {
      const b = this.byte(this.at);
      // A second rep or segment prefix: objdump names one of the two (`repz`, `gs`); the JIT writes none.
      if ((b === 0xf2 || b === 0xf3) && this.rep) return undefined;
      if ((b === 0x64 || b === 0x65) && this.segment) return undefined;
      if (b === 0x66) this.opsize = true;
      else if (b === 0xf2 || b === 0xf3) this.rep = b;
      else if (b === 0x65) this.segment = '%gs:';
      else if (b === 0x64) this.segment = '%fs:';
      else if (b !== 0xf0) break;
      this.prefixes.push(b);
    }
    if ((this.byte(this.at) & 0xf0) === 0x40) this.rex = this.byte(this.at++);
    const opcode = this.byte(this.at++);
    const decoded = opcode === 0x0f ? this.twoByte() : opcode === 0xc4 && this.rex === 0 ? this.vex() : this.oneByte(opcode);
    // A rep or segment prefix the instruction does not use: objdump names it; the JIT writes none.
    if ((this.rep && !this.repUsed) || (this.segment && !this.segmentUsed)) return undefined;
    return decoded;
  }

  private oneByte(opcode: number): MachineInstruction | undefined {
    if (opcode < 0x40 && (opcode & 7) < 4) {
      // add, or, adc, sbb, and, sub, xor, cmp: r/m and reg, either way round.
      const s = opcode & 1 ? this.size : 1;
      const m = this.modrm();
      return m && this.done(ALU[opcode >> 3], opcode & 2 ? `${this.rm(m, s)},${this.regOf(m, s)}` : `${this.regOf(m, s)},${this.rm(m, s)}`);
    }
    // The same with an immediate into al or eax (rax): the JIT's short form for eax.
    if (opcode < 0x40 && (opcode & 7) < 6) return this.done(ALU[opcode >> 3], `${this.immediate(opcode & 1 ? this.size : 1)},${this.reg(0, opcode & 1 ? this.size : 1)}`);
    // With 0x66 these are 16-bit forms (push %di, retw) the JIT never writes.
    if (this.opsize && ((opcode >= 0x50 && opcode <= 0x5f) || (opcode >= 0x70 && opcode <= 0x7f) || [0xc3, 0xc9, 0xe8, 0xe9, 0xeb, 0xff].includes(opcode))) return undefined;
    if (opcode >= 0x50 && opcode <= 0x5f) return this.done(opcode < 0x58 ? 'push' : 'pop', `%${REGS64[(opcode & 7) | (this.useRex(1) << 3)]}`);
    if (opcode >= 0x70 && opcode <= 0x7f) return this.jump(`j${CONDITIONS[opcode & 15]}`, this.imm(1));
    if (opcode >= 0xb0 && opcode <= 0xbf) {
      const n = (opcode & 7) | (this.useRex(1) << 3);
      const s = opcode < 0xb8 ? 1 : this.size;
      if (s === 8) {
        const value = this.code.readBigUInt64LE(this.at);
        this.at += 8;
        return this.done('movabs', `$0x${value.toString(16)},%${REGS64[n]}`);
      }
      return this.done('mov', `${this.immediate(s)},${this.reg(n, s)}`);
    }
    switch (opcode) {
      case 0x63: {
        if (!this.w || this.opsize) return undefined; // movsxd of 32 or 16 bits
        const m = this.modrm();
        return m && this.done('movslq', `${this.rm(m, 4)},${this.regOf(m, 8)}`);
      }
      case 0x69: case 0x6b: {
        const m = this.modrm();
        return m && this.done('imul', `${this.immediate(this.size, opcode === 0x6b ? 1 : undefined)},${this.rm(m, this.size)},${this.regOf(m, this.size)}`);
      }
      case 0x80: case 0x81: case 0x83: {
        const s = opcode === 0x80 ? 1 : this.size;
        const m = this.modrm();
        return m && this.done(this.suffixed(ALU[m.reg & 7], m, s), `${this.immediate(s, opcode === 0x83 ? 1 : undefined)},${this.rm(m, s)}`);
      }
      case 0x84: case 0x85: case 0x86: case 0x87: case 0x88: case 0x89: {
        const s = opcode & 1 ? this.size : 1;
        const m = this.modrm();
        return m && this.done(opcode < 0x86 ? 'test' : opcode < 0x88 ? 'xchg' : 'mov', `${this.regOf(m, s)},${this.rm(m, s)}`);
      }
      case 0x8a: case 0x8b: case 0x8d: {
        const s = opcode === 0x8a ? 1 : this.size;
        const m = this.modrm();
        if (!m || (opcode === 0x8d && m.rm !== undefined)) return undefined; // lea of a register
        return this.done(opcode === 0x8d ? 'lea' : 'mov', `${this.rm(m, s)},${this.regOf(m, s)}`);
      }
      case 0x90:
        if (this.rex & 1 || (this.rex & 8 && this.opsize)) return undefined; // xchg with r8, or of 64 bits
        return this.data16 ? this.done('xchg', '%ax,%ax') : this.done('nop');
      case 0x98: return this.done(this.w ? 'cltq' : this.data16 ? 'cbtw' : 'cwtl');
      case 0x99: return this.done(this.w ? 'cqto' : this.data16 ? 'cwtd' : 'cltd');
      case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
        const s = opcode & 1 ? this.size : 1;
        const m = this.modrm();
        const mnemonic = m && SHIFTS[m.reg & 7];
        if (!m || !mnemonic) return undefined;
        const by = opcode <= 0xc1 ? `${this.immediate(1)},` : opcode >= 0xd2 ? '%cl,' : '';
        return this.done(this.suffixed(mnemonic, m, s), `${by}${this.rm(m, s)}`);
      }
      case 0xc3:
        this.repUsed = this.rep === 0xf3;
        return this.done(this.repUsed ? 'repz ret' : 'ret');
      case 0xc6: case 0xc7: {
        const s = opcode === 0xc6 ? 1 : this.size;
        const m = this.modrm();
        if (!m || (m.reg & 7) !== 0) return undefined;
        return this.done(this.suffixed('mov', m, s), `${this.immediate(s)},${this.rm(m, s)}`);
      }
      case 0xc9: return this.done('leave');
      case 0xcc: return this.done('int3');
      case 0xe8: return this.jump('call', this.imm(4));
      case 0xe9: return this.jump('jmp', this.imm(4));
      case 0xeb: return this.jump('jmp', this.imm(1));
      case 0xf6: case 0xf7: {
        const s = opcode === 0xf7 ? this.size : 1;
        const m = this.modrm();
        const mnemonic = m && UNARY[m.reg & 7];
        if (!m || !mnemonic) return undefined;
        const operands = mnemonic === 'test' ? `${this.immediate(s)},${this.rm(m, s)}` : this.rm(m, s);
        return this.done(this.suffixed(mnemonic, m, s), operands);
      }
      case 0xff: {
        const m = this.modrm();
        const kind = m && m.reg & 7;
        if (kind === 2 || kind === 4) return this.done(kind === 2 ? 'call' : 'jmp', `*${this.rm(m!, 8)}`);
        if (kind === 0 || kind === 1) return this.done(this.suffixed(kind === 0 ? 'inc' : 'dec', m!, this.size), this.rm(m!, this.size));
        return undefined;
      }
      default: return undefined;
    }
  }

  /** The 0x0f opcodes: nops, endbr64, fences, rdtsc(p), cmovcc, jcc rel32, setcc, imul, cmpxchg, xadd, extensions, bswap. */
  private twoByte(): MachineInstruction | undefined {
    const opcode = this.byte(this.at++);
    if (opcode === 0x1e && this.rep === 0xf3 && this.byte(this.at) === 0xfa) {
      this.repUsed = true;
      return this.skip(1, 'endbr64');
    }
    if (opcode === 0x01 && this.byte(this.at) === 0xf9) return this.skip(1, 'rdtscp');
    if (opcode === 0xae && FENCES[this.byte(this.at)]) return this.skip(1, FENCES[this.byte(this.at)]);
    if (opcode >= 0x40 && opcode <= 0x4f) {
      const m = this.modrm();
      return m && this.done(`cmov${CONDITIONS[opcode & 15]}`, `${this.rm(m, this.size)},${this.regOf(m, this.size)}`);
    }
    if (opcode >= 0x80 && opcode <= 0x8f) return this.opsize ? undefined : this.jump(`j${CONDITIONS[opcode & 15]}`, this.imm(4)); // rel16 with 0x66
    if (opcode >= 0x90 && opcode <= 0x9f) {
      const m = this.modrm();
      return m && this.done(`set${CONDITIONS[opcode & 15]}`, this.rm(m, 1));
    }
    if (opcode >= 0xc8 && opcode <= 0xcf && !this.opsize) return this.done('bswap', this.reg((opcode & 7) | (this.useRex(1) << 3), this.w ? 8 : 4));
    switch (opcode) {
      case 0x0b: return this.done('ud2');
      case 0x1f: {
        const m = this.modrm();
        return m && (m.reg & 7) === 0 ? this.done(this.suffixed('nop', m, this.size), this.rm(m, this.size)) : undefined;
      }
      case 0x31: return this.done('rdtsc');
      case 0xaf: {
        const m = this.modrm();
        return m && this.done('imul', `${this.rm(m, this.size)},${this.regOf(m, this.size)}`);
      }
      case 0xb0: case 0xb1: case 0xc0: case 0xc1: {
        const s = opcode & 1 ? this.size : 1;
        const m = this.modrm();
        return m && this.done(opcode < 0xc0 ? 'cmpxchg' : 'xadd', `${this.regOf(m, s)},${this.rm(m, s)}`);
      }
      case 0xb6: case 0xb7: case 0xbe: case 0xbf: {
        // movzbl, movzwq, movsbw…: the source's this.size, then the destination's.
        const from = opcode & 1 ? 2 : 1;
        const m = this.modrm();
        return m && this.done(`mov${opcode < 0xb8 ? 'z' : 's'}${SUFFIX[from]}${SUFFIX[this.size]}`, `${this.rm(m, from)},${this.regOf(m, this.size)}`);
      }
      default: return undefined;
    }
  }

  /** A three-byte VEX prefix (c4): BMI2's shlx, shrx, sarx, whose count VEX.vvvv names. */
  private vex(): MachineInstruction | undefined {
    const [p1, p2] = [this.byte(this.at), this.byte(this.at + 1)];
    this.at += 2;
    // The inverted R, X, B and the opcode map; W, the inverted vvvv, L and pp.
    this.rex = 0x40 | ((p2 >> 7) << 3) | ((~p1 >> 7 & 1) << 2) | ((~p1 >> 6 & 1) << 1) | (~p1 >> 5 & 1);
    const count = ~p2 >> 3 & 15; // VEX.vvvv: the register holding the shift count
    this.rexUsed = this.rex; // the bits are VEX's, not a REX prefix's
    const mnemonic = BMI2_SHIFTS[p2 & 3];
    if ((p1 & 31) !== 2 || this.byte(this.at++) !== 0xf7 || mnemonic === undefined || p2 & 4) return undefined;
    const s = this.w ? 8 : 4;
    const m = this.modrm();
    return m && this.done(mnemonic, `${this.reg(count, s)},${this.rm(m, s)},${this.regOf(m, s)}`);
  }

  /** ModRM (with its SIB and displacement) at the current byte; undefined for what the JIT never writes (rip-relative). */
  private modrm(): Operands | undefined {
    const m = this.byte(this.at++);
    const mod = m >> 6;
    const low = m & 7;
    const [r, x, b] = [(this.rex >> 2) & 1, (this.rex >> 1) & 1, this.rex & 1];
    const reg = ((m >> 3) & 7) | (r << 3);
    if (mod === 3) return { reg, rm: low | (b << 3) };
    let base: number | undefined;
    let index: number | undefined;
    let scale = 1;
    // A SIB byte without an index where none was needed (a base other than rsp and r12, or a
    // scale): objdump shows the index it names as %riz.
    let riz = false;
    if (low === 4) {
      const sib = this.byte(this.at++);
      scale = 1 << (sib >> 6);
      const i = ((sib >> 3) & 7) | (x << 3);
      if (i !== 4) index = i;
      base = (sib & 7) === 5 && mod === 0 ? undefined : (sib & 7) | (b << 3);
      riz = index === undefined && (scale !== 1 || (base !== undefined && (base & 7) !== 4));
    } else if (low === 5 && mod === 0) {
      return undefined;
    } else {
      base = low | (b << 3);
    }
    // objdump counts REX.B as used by any memory operand, and REX.X by any SIB byte.
    this.useRex(1);
    if (low === 4) this.useRex(2);
    this.segmentUsed = true;
    const disp = mod === 1 ? this.imm(1) : mod === 2 || base === undefined ? this.imm(4) : undefined;
    const indexText = index !== undefined ? `,%${REGS64[index]},${scale}` : riz ? `,%riz,${scale}` : '';
    const registers = base === undefined && indexText === '' ? '' : `(${base === undefined ? '' : `%${REGS64[base]}`}${indexText})`;
    // A displacement alone is an address: sign-extended to 64 bits, printed unsigned.
    const dispText = disp === undefined ? '' : registers === '' ? `0x${BigInt.asUintN(64, BigInt(disp)).toString(16)}` : disp < 0 ? `-0x${(-disp).toString(16)}` : `0x${disp.toString(16)}`;
    return { reg, memory: `${this.segment}${dispText}${registers}` };
  }

  private byte(at: number): number {
    const b = this.code[at];
    if (b === undefined) throw new RangeError('cut short');
    return b;
  }

  /** A signed immediate of `bytes` at the current byte. */
  private imm(bytes: 1 | 2 | 4): number {
    const value = bytes === 1 ? this.code.readInt8(this.at) : bytes === 2 ? this.code.readInt16LE(this.at) : this.code.readInt32LE(this.at);
    this.at += bytes;
    return value;
  }

  /** `$0x…`: an immediate of `bytes` (by default the operand size's, at most 4), sign-extended to `size`, as objdump prints it. */
  private immediate(size: number, bytes?: 1): string {
    return `$0x${BigInt.asUintN(size * 8, BigInt(this.imm(bytes ?? (Math.min(size, 4) as 1 | 2 | 4)))).toString(16)}`;
  }

  private reg(n: number, size: number): string {
    if (size === 8) return `%${REGS64[n]}`;
    if (size === 4) return `%${REGS32[n]}`;
    if (size === 2) return `%${REGS16[n]}`;
    if (n >= 4 && n < 8) {
      if (this.rex === 0) return `%${HIGH_BYTES[n - 4]}`;
      this.rexUsed |= 0x40;
    }
    return `%${REGS8[n]}`;
  }

  private rm(m: Operands, size: number): string {
    if (m.rm === undefined) return m.memory!;
    this.useRex(1);
    return this.reg(m.rm, size);
  }

  /** The ModRM reg field's register (REX.R counted as used). */
  private regOf(m: Operands, size: number): string {
    this.useRex(4);
    return this.reg(m.reg, size);
  }

  /** The mnemonic with the size's suffix when no operand is a register, as AT&T needs then. */
  private suffixed(mnemonic: string, m: Operands, size: number): string {
    return m.rm === undefined ? mnemonic + SUFFIX[size] : mnemonic;
  }

  /** A relative jump or call: the target is the address after it plus `rel`. */
  private jump(mnemonic: string, rel: number): MachineInstruction {
    const branch = BigInt.asUintN(64, this.pc + BigInt(this.at - this.start + rel));
    return { ...this.done(mnemonic, `0x${branch.toString(16)}`), branch };
  }

  private skip(bytes: number, text: string): MachineInstruction {
    this.at += bytes;
    return this.done(text);
  }

  /**
   * The instruction so far: objdump pads the mnemonic to 6 and a space; a lock prefix, a 0x66 the
   * operands did not use (`data16`) and a REX prefix with a bit they did not use (`rex.WB`, `rex`)
   * go before it, in the order they came, unpadded.
   */
  private done(mnemonic: string, operands?: string): MachineInstruction {
    // Of several 0x66, only the last counts.
    const lastData16 = this.prefixes.lastIndexOf(0x66);
    const names = this.prefixes.flatMap((p, i) => (p === 0xf0 ? ['lock'] : p === 0x66 && (!this.opsizeUsed || i !== lastData16) ? ['data16'] : []));
    if (this.rex & ~this.rexUsed) names.push(this.rex & 15 ? `rex.${['W', 'R', 'X', 'B'].filter((_, i) => this.rex & (8 >> i)).join('')}` : 'rex');
    const name = [...names, mnemonic].join(' ');
    return { length: this.at - this.start, text: operands === undefined ? name : `${name.padEnd(6)} ${operands}` };
  }
}
