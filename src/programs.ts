// BPF programs: what `bpftool prog show` prints, run-time statistics, and their code as the kernel
// runs it (`bpftool prog dump xlated`) and as its JIT compiled it (`prog dump jited`).
import type { BtfValue } from './btf';
import { BpfError, withCallerStack } from './errors';
import type { BtfEntry } from './map-dump';
import { openMap, type BpfMap } from './maps';
import { native, type NativeProgramCode } from './native';
import { tableRowsOf } from './table';
import { nameOf, PROGRAM_TYPES, type ProgramTypeName } from './names';
import { checkId, describe } from './validate';
import { FdOwner } from './handle';
import { btfStringsOf, btfTypeText, btfTypesOf } from './btf-dump';
import { instructionAt, instructionText, type CallTarget } from './disasm';
import { arm64RegisterCalls, decodeArm64 } from './arm64';
import { decodeX86 } from './x86';

/** One loaded BPF program (struct bpf_prog_info plus fdinfo). */
export interface ProgramInfo {
  id: number;
  /** bpftool's name of the program type (`'sched_cls'`), or its number if bpfscope does not know it. */
  type: ProgramTypeName | number;
  /**
   * The full name: from BTF func_info when the kernel's name is cut at 15 characters, as bpftool
   * does. Without CAP_BPF the kernel withholds func_info, and this is the cut name.
   */
  name: string;
  /** The name as the kernel keeps it (at most 15 characters). */
  kernelName: string;
  /** The program tag, 16 hex digits. */
  tag: string;
  gplCompatible: boolean;
  /** When the program was loaded (from its boot-time load_time). Linux 4.15+. */
  loadedAt?: Date;
  /** load_time as the kernel reports it: nanoseconds since boot. */
  loadTimeNs?: bigint;
  /** The uid that loaded it. */
  uid?: number;
  /**
   * The size of its instructions after verification, whether the JIT compiled them and their
   * compiled size: undefined without CAP_BPF, for which the kernel zeroes them all.
   */
  bytesXlated?: number;
  jited?: boolean;
  bytesJited?: number;
  /** The kernel's memlock estimate, from /proc/self/fdinfo. */
  bytesMemlock?: bigint;
  mapIds: number[];
  /** The program's BTF object; undefined when it has none. */
  btfId?: number;
  /** Linux 5.1+; undefined on older kernels. Advances only while statistics are enabled. */
  runTimeNs?: bigint;
  /** Linux 5.1+; undefined on older kernels. Advances only while statistics are enabled. */
  runCount?: bigint;
  /** Linux 5.12+; undefined on older kernels. */
  recursionMisses?: bigint;
  /** Linux 5.16+; undefined on older kernels. */
  verifiedInsns?: number;
  /** Linux 5.18+: the BTF object and type a tracing/struct_ops program attaches to. */
  attachBtfObjId?: number;
  attachBtfId?: number;
  /** For offloaded programs: the device. */
  offloadIfindex?: number;
}

/** Program rows of a native table: the type's name, and a Date for the load time. */
export const programsOf = tableRowsOf<ProgramInfo>(() => native().schemas.program, {
  derive: {
    type: { from: 'type', convert: (n: number) => nameOf(PROGRAM_TYPES, n) },
    loadedAt: { from: 'loadedAtMs', convert: (ms: number) => new Date(ms) },
  },
});

/** Every BPF program on the machine, in id order, like `bpftool prog show`. Needs CAP_SYS_ADMIN. */
export async function listPrograms(): Promise<ProgramInfo[]> {
  return programsOf(await withCallerStack(() => native().listPrograms()));
}

/** One program by id. Rejects with a BpfError (ENOENT) when no program has that id. */
export async function getProgram(id: number): Promise<ProgramInfo> {
  checkId(id, 'program id');
  return programsOf(await withCallerStack(() => native().getProgram(id)))[0];
}

/** What a variable's name starts with when `bpftool prog show` prints it as metadata (bpftool's BPF_METADATA_PREFIX). */
const METADATA_PREFIX = 'bpf_metadata_';

/**
 * A program's metadata, as `bpftool prog show` prints it (`metadata`): the `bpf_metadata_*`
 * variables of its read-only data, by name without the prefix, with their BTF values (a
 * `const char bpf_metadata_version[] = "1.2"` in the program's source is `{ version: '1.2' }`).
 * The map is the one bpftool picks: the first of the program's maps that is a one-entry array
 * with 4-byte keys, a BTF value type and ".rodata" in its name. Undefined when there is none, or
 * when its value is not a BTF section holding such variables (bpftool then prints no metadata).
 * Takes an id, or a ProgramInfo already read. Needs CAP_SYS_ADMIN, as opening maps by id does.
 */
export async function getProgramMetadata(program: number | ProgramInfo): Promise<Record<string, BtfValue> | undefined> {
  if (typeof program !== 'number' && !Array.isArray((program as ProgramInfo | null)?.mapIds)) {
    throw new TypeError(`getProgramMetadata takes a program id or a ProgramInfo, got ${describe(program)}`);
  }
  const { mapIds } = typeof program === 'number' ? await getProgram(program) : program;
  for (const id of mapIds) {
    let map: BpfMap;
    try {
      map = await openMap(id);
    } catch (err) {
      if (err instanceof BpfError && err.code === 'ENOENT') continue; // freed since the program was read
      throw err;
    }
    // try/finally rather than `using`, which needs Symbol.dispose (Node 18.18+; handle.ts).
    try {
      const { type, keySize, maxEntries, btfValueTypeId, name } = map.info;
      if (type !== 'array' || keySize !== 4 || maxEntries !== 1 || !btfValueTypeId || !name.includes('.rodata')) continue;
      const btf = await map.btfTypes();
      if (btf?.types[btf.valueTypeId]?.kind !== 'datasec') return undefined;
      const [entry] = (await map.dump({ format: 'btf' })) as BtfEntry[];
      return entry && 'value' in entry ? metadataOf(entry.value as Record<string, BtfValue[]>) : undefined;
    } finally {
      map.close();
    }
  }
  return undefined;
}

/** The prefixed variables of a DATASEC value, which decodes as `{ "<section>": [{ var: value }, …] }`. */
function metadataOf(section: Record<string, BtfValue[]>): Record<string, BtfValue> | undefined {
  const metadata: Record<string, BtfValue> = {};
  let found = false;
  for (const variable of Object.values(section)[0] ?? []) {
    for (const [varName, varValue] of Object.entries(variable as Record<string, BtfValue>)) {
      if (!varName.startsWith(METADATA_PREFIX)) continue;
      metadata[varName.slice(METADATA_PREFIX.length)] = varValue;
      found = true;
    }
  }
  return found ? metadata : undefined;
}

/**
 * Turns on run-time statistics (BPF_ENABLE_STATS, Linux 5.8+): while the returned handle is open,
 * every program's `runTimeNs` and `runCount` advance. Close it (or `using` it) to turn them off.
 * Needs CAP_SYS_ADMIN.
 */
export async function enableStats(): Promise<StatsHandle> {
  return new StatsHandle(await withCallerStack(() => native().enableStats()));
}

/** Statistics stay on while this is open (it owns the BPF_ENABLE_STATS fd). */
export class StatsHandle extends FdOwner {}

/** A source line the compiler recorded (BTF line_info), as bpftool prints it with `linum`. */
export interface SourceLine {
  /** The line's text, its leading white space trimmed. */
  src: string;
  file?: string;
  lineNum: number;
  /** The column clang points at (a tab counts one), 0 when it named none. */
  lineCol: number;
}

/** One instruction of a program as the kernel runs it (`bpftool prog dump xlated`), with what bpftool prints with it. */
export interface XlatedInstruction {
  /** Its slot (bpftool's number before the colon); a 64-bit load takes two, and the next instruction's is two on. */
  index: number;
  /** struct bpf_insn: the opcode, the registers, the signed offset and immediate. */
  code: number;
  dstReg: number;
  srcReg: number;
  off: number;
  imm: number;
  /** A 64-bit load's value: the immediates of both slots, the second's the high half. */
  imm64?: bigint;
  /** The instruction as bpftool prints it (its JSON's `disasm`): `(85) call bpf_ktime_get_ns#281872`. */
  disasm: string;
  /** A call's target: the address bpftool finds it at, and the kernel symbol there. */
  target?: CallTarget;
  /** The prototype of the function of the program that starts here (BTF func_info; bpftool's `proto`). */
  proto?: string;
  /** The source line the compiler recorded for the code from here (BTF line_info; bpftool's `src`), with its file, line and column. */
  source?: SourceLine;
}

/**
 * A program's functions' prototypes and source lines from its BTF, as bpftool reads them: the
 * prototype of func_info record `func`, the source line of line_info record `line` (undefined
 * when its text is not in the BTF).
 */
async function programSources(code: NativeProgramCode): Promise<{ proto(func: number): string | undefined; source(line: number): SourceLine | undefined }> {
  const { btfId, funcInfo, lineInfo } = code;
  const btf = btfId !== 0 && (funcInfo.length > 0 || lineInfo.length > 0) ? (await withCallerStack(() => native().btfRaw(btfId))).raw : undefined;
  const types = btf && btfTypesOf(btf);
  // libbpf's btf__name_by_offset: offset 0 is the empty string, one past the section none.
  const named = btf ? btfStringsOf(btf) : () => undefined;
  const string = (offset: number) => (offset === 0 ? '' : named(offset));
  return {
    proto: (func) => (types ? btfTypeText(types, funcInfo[func * 2 + 1]) : undefined),
    source(line) {
      const src = string(lineInfo[line * 4 + 2]);
      if (src === undefined) return undefined;
      const file = string(lineInfo[line * 4 + 1]);
      const lineCol = lineInfo[line * 4 + 3]; // BPF_LINE_INFO_LINE_NUM and _COL
      return { src: src.replace(/^[ \t\n\v\f\r]+/, ''), ...(file === undefined ? {} : { file }), lineNum: lineCol >>> 10, lineCol: lineCol & 0x3ff };
    },
  };
}

/**
 * A program's instructions as the kernel runs them, after the verifier's rewrites (`bpftool prog
 * dump xlated id N`): maps by id, calls with the kernel functions they reach (read from
 * /proc/kallsyms as bpftool reads them), and from the program's BTF its functions' prototypes and
 * source lines. Needs CAP_SYS_ADMIN (by id) and CAP_BPF (the kernel withholds the instructions
 * without: EPERM); without CAP_SYSLOG the kernel zeroes the addresses calls reach, which then name nothing.
 */
export async function dumpXlated(program: number | ProgramInfo): Promise<XlatedInstruction[]> {
  const id = programIdOf(program);
  const code = await withCallerStack(() => native().programCode(id, false));
  const sources = await programSources(code);
  const calls = new Map(code.calls.map(({ at, ...target }): [number, CallTarget] => [at, target]));
  const { insns, funcInfo, lineInfo, jited } = code;
  const out: XlatedInstruction[] = [];
  let func = 0; // the next func_info record
  let linesSkipped = 0; // bpf_prog_linfo__lfind's nr_skip, as bpftool counts it
  const lines = lineInfo.length / 4;
  for (let i = 0; i < insns.length / 8; i++) {
    const { code: opcode, dstReg, srcReg, off, imm } = instructionAt(insns, i);
    const record: XlatedInstruction = { index: i, code: opcode, dstReg, srcReg, off, imm, disasm: instructionText(insns, i, calls, jited) };
    const wide = opcode === 0x18; // BPF_LD | BPF_IMM | BPF_DW: two slots
    if (wide && i + 1 < insns.length / 8) record.imm64 = (BigInt(insns.readUInt32LE(i * 8 + 12)) << 32n) | BigInt(imm >>> 0);
    const target = calls.get(i);
    if (target) record.target = target;
    if (func < funcInfo.length / 2 && funcInfo[func * 2] === i) {
      const proto = sources.proto(func);
      if (proto !== undefined) record.proto = proto;
      func++;
    }
    // The last line_info record at or before this slot, from the ones not yet printed; bpftool
    // then counts one more printed, however many it passed.
    if (linesSkipped < lines && lineInfo[linesSkipped * 4] <= i) {
      let k = linesSkipped;
      while (k + 1 < lines && lineInfo[(k + 1) * 4] <= i) k++;
      const source = sources.source(k);
      if (source) record.source = source;
      linesSkipped++;
    }
    out.push(record);
    if (wide) i++;
  }
  return out;
}

/** A program's machine code, as the kernel's JIT compiled it (`bpftool prog dump jited`). */
export interface JitedProgram {
  /** Every function's code, one after another: what `bpftool prog dump jited … file F` writes. */
  image: Buffer;
  /** The program's functions in the kernel's order (the main one first, then its subprograms). */
  functions: JitedFunction[];
}

/** One function of a JITed program. */
export interface JitedFunction {
  /** Its /proc/kallsyms name, `bpf_prog_<tag>_<name>` (bpftool's heading); undefined when kallsyms lacks it. */
  symbol?: string;
  /** Where the kernel placed its code (jited_ksyms). */
  address: bigint;
  /** Where its code starts in `image`, and its length in bytes (jited_func_lens). */
  offset: number;
  size: number;
  /** Its prototype (BTF func_info; bpftool prints it above the symbol). */
  proto?: string;
  /** The source lines the compiler recorded for it (BTF line_info), in order, each with where its code starts. */
  lines: JitedLine[];
  /**
   * Its instructions, as bpftool built with libbfd (and objdump) prints them, on x86-64 and arm64:
   * the instructions the JIT writes are decoded, anything else is objdump's word for what it cannot
   * read (x86-64's `(bad)`, arm64's `.inst\t0x… ; undefined`). Undefined on other architectures.
   */
  instructions?: JitedInstruction[];
}

/** One machine instruction of a JITed function (x86-64 or arm64). */
export interface JitedInstruction {
  /** Its offset in the function, which bpftool prints before it (`pc`). */
  pc: number;
  size: number;
  /**
   * objdump's text (AT&T syntax on x86-64), as bpftool built with libbfd prints it: a jump's or
   * call's target is the kernel address it reaches, as bpftool 7.6 and later print it (7.5 printed
   * an offset from the function's start): `call   0xffffffff812f4c30`, `b.ne\t0xffff800080a1c0d4
   * // b.any`.
   */
  text: string;
  /**
   * A call's target: the kernel address it reaches and the symbol there, as the xlated dump's
   * calls name them. arm64's JIT calls through a register whose address it builds right before
   * (`mov x10, #…; movk …; blr x10`): the `blr` has the address built.
   */
  target?: CallTarget;
}

/** A source line of a JITed function, and where its machine code starts (jited_line_info). */
export interface JitedLine extends SourceLine {
  /** The offset in the program's `image`. */
  offset: number;
  /** The slot of the first instruction of the line in `dumpXlated`'s numbering. */
  insn: number;
}

/**
 * A program's machine code as the JIT compiled it (`bpftool prog dump jited id N`): the image, and
 * each function's kernel symbol, address, prototype, where each of its source lines' code starts
 * and, on x86-64 and arm64, its instructions in objdump's words, as bpftool built with libbfd
 * prints them (the instructions the JIT writes; calls with the kernel functions they reach).
 * Elsewhere, hand `image` to a disassembler (`bpfscope prog dump jited N --raw | objdump -D -b
 * binary -m riscv:rv64 /dev/stdin`). Needs what dumpXlated needs and, as the kernel shows the code
 * only to callers it shows kernel addresses to, CAP_SYSLOG (or kernel.kptr_restrict 0 with
 * kernel.perf_event_paranoid at most 1): EPERM for `read JITed code` without. A program the JIT
 * did not compile is ENODATA.
 */
export async function dumpJited(program: number | ProgramInfo): Promise<JitedProgram> {
  const id = programIdOf(program);
  const code = await withCallerStack(() => native().programCode(id, true));
  const sources = await programSources(code);
  let offset = 0;
  const functions = code.functions.map(({ symbol, address, size }, i): JitedFunction => {
    const proto = i < code.funcInfo.length / 2 ? sources.proto(i) : undefined;
    const fn: JitedFunction = { ...(symbol === undefined ? {} : { symbol }), address, offset, size, ...(proto === undefined ? {} : { proto }), lines: [] };
    offset += size;
    return fn;
  });
  // Each line record goes to the function whose code holds the address its code starts at.
  code.lineAddresses.forEach((address, k) => {
    const fn = functions.find((f) => address >= f.address && address < f.address + BigInt(f.size));
    const source = fn && sources.source(k);
    if (fn && source) fn.lines.push({ ...source, offset: fn.offset + Number(address - fn.address), insn: code.lineInfo[k * 4] });
  });
  const machine = MACHINES[process.arch];
  if (machine) {
    // What the program's calls reach, by address: the targets of its calls in machine code.
    const symbols = new Map(code.calls.map((c) => [c.address, c.symbol]));
    for (const fn of functions) fn.instructions = decodeFunction(machine, code.image.subarray(fn.offset, fn.offset + fn.size), fn.address, symbols);
  }
  return { image: code.image, functions };
}

/**
 * One decoded machine instruction: its length in bytes, its text, and the address a relative
 * branch or call (or arm64's adr or literal load) reaches, as printed: counted from the `pc` the
 * decoder was given.
 */
export interface MachineInstruction {
  length: number;
  text: string;
  branch?: bigint;
}

/** A JIT's machine code: its decoder, and for calls through a register the address each reaches, by offset. */
interface Machine {
  decode(code: Buffer, at: number, pc: bigint): MachineInstruction;
  registerCalls?(code: Buffer): Map<number, bigint>;
}
/** The machines whose JITed instructions dumpJited spells out, by process.arch. */
const MACHINES: Partial<Record<string, Machine>> = { x64: { decode: decodeX86 }, arm64: { decode: decodeArm64, registerCalls: arm64RegisterCalls } };
/** A direct call: x86's call, arm64's bl. */
const DIRECT_CALL = /^(call |bl\t)/;

/**
 * A function's code decoded from its start, which the kernel placed at `address`: the targets of
 * branches and calls are kernel addresses, as bpftool 7.6 and later print them (7.5 and older
 * printed offsets from the function's start), and each call's is named from `symbols`.
 */
function decodeFunction(machine: Machine, code: Buffer, address: bigint, symbols: ReadonlyMap<bigint, string | undefined>): JitedInstruction[] {
  const out: JitedInstruction[] = [];
  const registerCalls = machine.registerCalls?.(code);
  for (let pc = 0; pc < code.length;) {
    const { length, text, branch } = machine.decode(code, pc, address + BigInt(pc));
    const instruction: JitedInstruction = { pc, size: length, text };
    const reached = branch !== undefined && DIRECT_CALL.test(text) ? branch : registerCalls?.get(pc);
    if (reached !== undefined) {
      const symbol = symbols.get(reached);
      instruction.target = symbol === undefined ? { address: reached } : { address: reached, symbol };
    }
    out.push(instruction);
    pc += length;
  }
  return out;
}

function programIdOf(program: number | ProgramInfo): number {
  return checkId(typeof program === 'number' ? program : (program as ProgramInfo | null)?.id, 'program id');
}
