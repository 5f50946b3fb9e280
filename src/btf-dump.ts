// Every type of a BTF object, as `bpftool btf dump id N` (format raw) lists them. The addon hands
// over the object's raw bytes as the kernel holds them (the kernel checked them when it made or
// loaded the object; a module's build on vmlinux's, read from /sys/kernel/btf/vmlinux). They are
// read here in the layout of the kernel's include/uapi/linux/btf.h: a header, the types, the
// strings. Each type is a struct btf_type (name_off; info: vlen in bits 0-15, kind in 24-28,
// kind_flag in bit 31; size or type), then what its kind appends: vlen records for the kinds with
// members, one u32 for some.
import { readFile } from 'node:fs/promises';
import { fsError, withCallerStack } from './errors';
import { native } from './native';
import { checkId, checkOptions, checkPath } from './validate';

/** The BTF kinds, as BTF_KIND_* name them (lower case): `kind` of a BtfTypeRecord. */
export const BTF_KINDS = [
  undefined, 'int', 'ptr', 'array', 'struct', 'union', 'enum', 'fwd', 'typedef', 'volatile', 'const',
  'restrict', 'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag', 'type_tag', 'enum64',
] as const;
export type BtfKindName = Exclude<(typeof BTF_KINDS)[number], undefined>;

/** `static`, `global` or `extern`: BTF_FUNC_* of a FUNC, BTF_VAR_* of a VAR (the same numbers). */
export type BtfLinkage = 'static' | 'global' | 'extern';

/** What every BtfTypeRecord has. */
export interface BtfTypeBase {
  id: number;
  /** undefined for an anonymous type (bpftool prints `(anon)`). */
  name: string | undefined;
}

/** One BTF type. Fields follow bpftool's JSON in camel case (`type_id` → `typeId`); `vlen` is the length of the list it counts. */
export type BtfTypeRecord =
  | (BtfTypeBase & { kind: 'int'; size: number; bitsOffset: number; nrBits: number; encoding: 'none' | 'signed' | 'char' | 'bool' })
  | (BtfTypeBase & { kind: 'ptr' | 'typedef' | 'volatile' | 'const' | 'restrict' | 'type_tag'; typeId: number })
  | (BtfTypeBase & { kind: 'array'; typeId: number; indexTypeId: number; nrElems: number })
  | (BtfTypeBase & { kind: 'struct' | 'union'; size: number; members: BtfMember[] })
  | (BtfTypeBase & { kind: 'enum'; size: number; signed: boolean; values: { name: string | undefined; value: number }[] })
  | (BtfTypeBase & { kind: 'enum64'; size: number; signed: boolean; values: { name: string | undefined; value: bigint }[] })
  | (BtfTypeBase & { kind: 'fwd'; fwdKind: 'struct' | 'union' })
  | (BtfTypeBase & { kind: 'func'; typeId: number; linkage: BtfLinkage })
  | (BtfTypeBase & { kind: 'func_proto'; retTypeId: number; params: { name: string | undefined; typeId: number }[] })
  | (BtfTypeBase & { kind: 'var'; typeId: number; linkage: BtfLinkage })
  | (BtfTypeBase & { kind: 'datasec'; size: number; vars: { typeId: number; offset: number; size: number }[] })
  | (BtfTypeBase & { kind: 'float'; size: number })
  | (BtfTypeBase & { kind: 'decl_tag'; typeId: number; componentIdx: number });

export interface BtfMember {
  /** undefined for an anonymous member. */
  name: string | undefined;
  typeId: number;
  bitsOffset: number;
  /** A bitfield's width in bits (a struct with kind_flag set); undefined for a whole member. */
  bitfieldSize: number | undefined;
}

const BTF_MAGIC = 0xeb9f;
/** vmlinux's BTF, which a module's builds on (as bpftool and libbpf find it). */
const SYSFS_BTF = '/sys/kernel/btf/';
const VMLINUX_BTF = `${SYSFS_BTF}vmlinux`;
const INT_ENCODINGS: Record<number, 'none' | 'signed' | 'char' | 'bool'> = { 0: 'none', 1: 'signed', 2: 'char', 4: 'bool' };
const LINKAGES: readonly BtfLinkage[] = ['static', 'global', 'extern'];

/** The sections of one raw BTF object: its types as u32 words, its strings. */
interface Sections {
  words: Uint32Array;
  strings: Buffer;
}

function sectionsOf(raw: Buffer): Sections {
  if (raw.length < 24 || raw.readUInt16LE(0) !== BTF_MAGIC) throw new RangeError('BTF raw data: no BTF header (magic 0xeb9f, native byte order)');
  const headerLength = raw.readUInt32LE(4);
  const [typeOff, typeLen, strOff, strLen] = [8, 12, 16, 20].map((at) => raw.readUInt32LE(at));
  const types = raw.subarray(headerLength + typeOff, headerLength + typeOff + typeLen);
  // Copied to an aligned buffer when the type section starts off a 4-byte boundary (it never does
  // in the kernel's layout), so that it can be read as u32 words.
  const aligned = types.byteOffset % 4 === 0 ? types : Buffer.from(types);
  return { words: new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.length >>> 2), strings: raw.subarray(headerLength + strOff, headerLength + strOff + strLen) };
}

/** The u32 words a type takes: its struct btf_type and what its kind appends. */
function typeWords(kind: number, vlen: number): number {
  switch (kind) {
    case 1: case 14: case 17: return 4; // int, var, decl_tag: one u32
    case 3: return 6; // array: struct btf_array
    case 4: case 5: case 15: return 3 + 3 * vlen; // members, var_secinfos
    case 6: case 13: return 3 + 2 * vlen; // enum values, params
    case 19: return 3 + 3 * vlen; // enum64 values
    default: return 3;
  }
}

/**
 * The names of a string section by offset: NUL-terminated strings, offset 0 the empty one, which is
 * an anonymous type's. Each string is made once, when first named, and shared by every type naming
 * it after (struct members repeat `next`, `list`, `lock` thousands of times): vmlinux's 294,000
 * names are 123,000 strings.
 */
function namesOf(strings: Buffer): (offset: number) => string | undefined {
  // Every byte ASCII (kernel BTF names are C identifiers): a character is a byte, and names are
  // slices of one string; otherwise each is decoded as UTF-8 at its byte offset.
  const text = strings.toString('latin1');
  const ascii = !/[\x80-\xff]/.test(text);
  const made: string[] = [];
  const madeAt = new Int32Array(strings.length); // 1 + the index in `made` of the name at an offset
  return (offset) => {
    if (offset === 0) return undefined;
    const at = madeAt[offset];
    if (at !== 0) return made[at - 1];
    const end = strings.indexOf(0, offset);
    const name = ascii ? text.slice(offset, end < 0 ? text.length : end) : strings.toString('utf8', offset, end < 0 ? strings.length : end);
    // An offset past the section names nothing there: read as empty, and not kept.
    if (offset < madeAt.length) madeAt[offset] = made.push(name);
    return name;
  };
}

/**
 * Every type of a type section, ids from `firstId`; names through `name`, which knows a base's
 * strings too. Each record is one object literal of its kind, `name` in every one (undefined when
 * anonymous), so that each kind keeps one shape: vmlinux's 125,000 types read this way in a fifth
 * of the time that spreads and optional keys took.
 */
function readTypes(words: Uint32Array, firstId: number, name: (offset: number) => string | undefined): BtfTypeRecord[] {
  const out: BtfTypeRecord[] = [];
  const signed = new Int32Array(words.buffer, words.byteOffset, words.length);
  for (let at = 0, id = firstId; at < words.length; id++) {
    const info = words[at + 1];
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const flag = info >>> 31 === 1;
    const next = at + typeWords(kind, vlen);
    if (next > words.length) throw new RangeError(`BTF raw data: type ${id} runs past the type section`);
    const typeName = name(words[at]);
    const sizeOrType = words[at + 2];
    const extra = at + 3;
    switch (kind) {
      case 1: {
        const v = words[extra];
        out.push({ id, name: typeName, kind: 'int', size: sizeOrType, bitsOffset: (v >>> 16) & 0xff, nrBits: v & 0xff, encoding: INT_ENCODINGS[(v >>> 24) & 0x0f] });
        break;
      }
      case 3:
        out.push({ id, name: typeName, kind: 'array', typeId: words[extra], indexTypeId: words[extra + 1], nrElems: words[extra + 2] });
        break;
      case 4: case 5: {
        const members = new Array<BtfMember>(vlen);
        for (let i = 0, m = extra; i < vlen; i++, m += 3) {
          // With kind_flag, the offset packs a bitfield's size (bits 24-31) over its bit offset.
          const offset = words[m + 2];
          const bitfieldSize = flag ? offset >>> 24 : 0;
          members[i] = { name: name(words[m]), typeId: words[m + 1], bitsOffset: flag ? offset & 0xffffff : offset, bitfieldSize: bitfieldSize || undefined };
        }
        out.push({ id, name: typeName, kind: kind === 4 ? 'struct' : 'union', size: sizeOrType, members });
        break;
      }
      case 6: {
        const values = new Array<{ name: string | undefined; value: number }>(vlen);
        for (let i = 0, v = extra; i < vlen; i++, v += 2) values[i] = { name: name(words[v]), value: flag ? signed[v + 1] : words[v + 1] };
        out.push({ id, name: typeName, kind: 'enum', size: sizeOrType, signed: flag, values });
        break;
      }
      case 19: {
        const values = new Array<{ name: string | undefined; value: bigint }>(vlen);
        for (let i = 0, v = extra; i < vlen; i++, v += 3) {
          const value = (BigInt(words[v + 2]) << 32n) | BigInt(words[v + 1]);
          values[i] = { name: name(words[v]), value: flag ? BigInt.asIntN(64, value) : value };
        }
        out.push({ id, name: typeName, kind: 'enum64', size: sizeOrType, signed: flag, values });
        break;
      }
      case 7:
        out.push({ id, name: typeName, kind: 'fwd', fwdKind: flag ? 'union' : 'struct' });
        break;
      case 12:
        out.push({ id, name: typeName, kind: 'func', typeId: sizeOrType, linkage: LINKAGES[vlen] });
        break;
      case 13: {
        const params = new Array<{ name: string | undefined; typeId: number }>(vlen);
        for (let i = 0, p = extra; i < vlen; i++, p += 2) params[i] = { name: name(words[p]), typeId: words[p + 1] };
        out.push({ id, name: typeName, kind: 'func_proto', retTypeId: sizeOrType, params });
        break;
      }
      case 14:
        out.push({ id, name: typeName, kind: 'var', typeId: sizeOrType, linkage: LINKAGES[words[extra]] });
        break;
      case 15: {
        const vars = new Array<{ typeId: number; offset: number; size: number }>(vlen);
        for (let i = 0, v = extra; i < vlen; i++, v += 3) vars[i] = { typeId: words[v], offset: words[v + 1], size: words[v + 2] };
        out.push({ id, name: typeName, kind: 'datasec', size: sizeOrType, vars });
        break;
      }
      case 16:
        out.push({ id, name: typeName, kind: 'float', size: sizeOrType });
        break;
      case 17:
        out.push({ id, name: typeName, kind: 'decl_tag', typeId: sizeOrType, componentIdx: signed[extra] });
        break;
      default:
        // ptr, typedef, volatile, const, restrict, type_tag.
        if (BTF_KINDS[kind] === undefined) throw new RangeError(`BTF raw data: type ${id} is of kind ${kind}, which bpfscope does not know`);
        out.push({ id, name: typeName, kind: BTF_KINDS[kind] as 'ptr', typeId: sizeOrType });
    }
    at = next;
  }
  return out;
}

/** How many types a type section holds (void, id 0, not among them). */
function countTypes(words: Uint32Array): number {
  let count = 0;
  for (let at = 0; at < words.length; count++) {
    const info = words[at + 1];
    at += typeWords((info >>> 24) & 0x1f, info & 0xffff);
  }
  return count;
}

/**
 * Every type of BTF object `id` (`bpftool btf dump id <id>`), in id order. A module's BTF builds on
 * vmlinux's: its ids go on from vmlinux's last, and only its own types are listed, as bpftool
 * lists them. Rejects with a BpfError ENOENT when no BTF object has that id; reading one needs
 * CAP_SYS_ADMIN.
 */
export async function dumpBtf(id: number): Promise<BtfTypeRecord[]> {
  return btfObjectTypes(id, false);
}

/**
 * The types of BTF object `id`; of a module, its own, or with `withBase` vmlinux's followed by its
 * own (every type from id 1, as a C dump needs them).
 */
export async function btfObjectTypes(id: number, withBase: boolean): Promise<BtfTypeRecord[]> {
  checkId(id, 'BTF id');
  const { raw, name, kernel } = await withCallerStack(() => native().btfRaw(id));
  if (!kernel || name === 'vmlinux') return btfTypesOf(raw);
  return onBase(raw, VMLINUX_BTF, withBase);
}

/** Options of dumpBtfFile. */
export interface BtfFileOptions {
  /**
   * The BTF the file builds on (bpftool's `--base-btf`): a file of raw BTF or an ELF file with
   * .BTF, such as /sys/kernel/btf/vmlinux for a module's BTF read elsewhere. The file's types are
   * then numbered on from the base's last, and its strings go on past the base's.
   */
  base?: string;
  /** With a base: list the base's types first (every type from id 1, as btfToC needs them). */
  withBase?: boolean;
}

/**
 * Every type of a BTF file (`bpftool btf dump file <path>`): raw BTF (/sys/kernel/btf/vmlinux, a
 * copy of another kernel's, `pahole --btf_encode_detached`'s), or an ELF file's .BTF section (a
 * BPF object clang compiled, a vmlinux image). Split BTF builds on the BTF of `options.base`; a
 * module's under /sys/kernel/btf, unless given another, on vmlinux's, as for dumpBtf. Only the
 * file's own types are listed, unless `options.withBase`. Rejects with the file's error, and with
 * a RangeError for bytes that hold no BTF.
 */
export async function dumpBtfFile(path: string, options?: BtfFileOptions): Promise<BtfTypeRecord[]> {
  const { base, withBase = false } = checkOptions<BtfFileOptions>(options, ['base', 'withBase'], 'dumpBtfFile options');
  return (await readBtfFile(path, withBase, base)).types;
}

/** A BTF file's types, and an ELF file's pointer size (4 or 8 by its class), which libbpf's C writer takes. */
export interface BtfFile {
  types: BtfTypeRecord[];
  pointerSize?: 4 | 8;
}

/**
 * A BTF file's types, on `base` if given (a module's file in sysfs: on vmlinux's); of split BTF
 * its own, or with `withBase` the base's followed by its own.
 */
export async function readBtfFile(path: string, withBase: boolean, base?: string): Promise<BtfFile> {
  checkPath(path, 'BTF file path');
  if (base !== undefined) checkPath(base, 'base BTF file path');
  const bytes = await readBytes(path);
  const raw = rawBtfOf(bytes, path);
  const pointerSize = isElf(bytes) ? ({ 1: 4, 2: 8 } as const)[bytes[4] as 1 | 2] : undefined;
  const file = (types: BtfTypeRecord[]): BtfFile => (pointerSize === undefined ? { types } : { types, pointerSize });
  // As bpftool, a module's file in sysfs builds on vmlinux's; any other file stands alone.
  const under = base ?? (path.startsWith(SYSFS_BTF) && path !== VMLINUX_BTF ? VMLINUX_BTF : undefined);
  if (under !== undefined) return file(await onBase(raw, under, withBase));
  // BTF that stands alone starts its strings with the empty one (libbpf refuses it otherwise);
  // split BTF's go on from its base's, and its names and ids mean nothing without it.
  const { strings } = sectionsOf(raw);
  if (strings.length > 0 && strings[0] !== 0) throw new RangeError(`${path}: split BTF (its strings go on from another's): give the BTF it builds on (the base option, --base-btf)`);
  return file(btfTypesOf(raw));
}

async function readBytes(path: string): Promise<Buffer> {
  return readFile(path).catch((err: unknown) => Promise.reject(fsError(err, path)));
}

const ELF_MAGIC = Buffer.from('\x7fELF', 'latin1');

/**
 * A BTF file's raw BTF: its bytes, or an ELF file's .BTF section; in little-endian order, as libbpf
 * byte-swaps a big-endian object's (clang -target bpfeb).
 */
export function rawBtfOf(bytes: Buffer, path: string): Buffer {
  return littleEndian(isElf(bytes) ? elfBtfSection(bytes, path) : bytes);
}

const isElf = (bytes: Buffer) => bytes.subarray(0, 4).equals(ELF_MAGIC);

/**
 * Where ELF files keep what is read here, by class (e_ident[EI_CLASS]: 1 ELF32, 2 ELF64): in the
 * file header, e_shoff (a word), e_shentsize, e_shnum and e_shstrndx (u16s); in a section header,
 * sh_offset and sh_size (words) after sh_name (u32 @0). Words are u32s in ELF32, u64s in ELF64.
 */
const ELF_CLASSES = {
  1: { fileHeader: 52, shoff: 0x20, shentsize: 0x2e, shnum: 0x30, shstrndx: 0x32, shOffset: 16, shSize: 20, word: 4 },
  2: { fileHeader: 64, shoff: 0x28, shentsize: 0x3a, shnum: 0x3c, shstrndx: 0x3e, shOffset: 24, shSize: 32, word: 8 },
} as const;

/**
 * The .BTF section of an ELF file, 32- or 64-bit, of either byte order (a BPF object, a vmlinux
 * image of any architecture), read from its section headers, as libbpf's gelf reads them.
 */
function elfBtfSection(elf: Buffer, path: string): Buffer {
  const layout = ELF_CLASSES[elf[4] as 1 | 2] as (typeof ELF_CLASSES)[1 | 2] | undefined;
  if (layout === undefined || elf.length < layout.fileHeader || (elf[5] !== 1 && elf[5] !== 2)) {
    throw new RangeError(`${path}: not an ELF file bpfscope reads (a class and a byte order of 32 or 64 bits, little- or big-endian)`);
  }
  const little = elf[5] === 1;
  const u16 = (at: number) => (little ? elf.readUInt16LE(at) : elf.readUInt16BE(at));
  const u32 = (at: number) => (little ? elf.readUInt32LE(at) : elf.readUInt32BE(at));
  const word = (at: number): number => (layout.word === 4 ? u32(at) : Number(little ? elf.readBigUInt64LE(at) : elf.readBigUInt64BE(at)));
  const at = (offset: number): number => {
    if (offset > elf.length) throw new RangeError(`${path}: its ELF section headers point past its end`);
    return offset;
  };
  const headers = at(word(layout.shoff));
  const [entry, count, namesIndex] = [u16(layout.shentsize), u16(layout.shnum), u16(layout.shstrndx)];
  const header = (i: number): number => {
    const h = at(headers + i * entry);
    if (h + layout.shSize + layout.word > elf.length) throw new RangeError(`${path}: its ELF section headers point past its end`);
    return h;
  };
  // Only the names' and .BTF's contents are read: others, such as .bss, need not be in the file.
  const contents = (h: number): Buffer => {
    const offset = at(word(h + layout.shOffset));
    return elf.subarray(offset, at(offset + word(h + layout.shSize)));
  };
  const names = contents(header(namesIndex));
  for (let i = 0; i < count; i++) {
    const h = header(i);
    const name = u32(h);
    const end = names.indexOf(0, name);
    if (names.toString('latin1', name, end < 0 ? names.length : end) === '.BTF') return contents(h);
  }
  throw new RangeError(`${path}: an ELF file with no .BTF section`);
}

/**
 * Big-endian raw BTF (its magic reads 0xeb9f the other way) as a little-endian copy: the header's
 * magic and five u32s, and the type section, which is u32 words alone; the strings are bytes.
 * Anything else as it is.
 */
function littleEndian(raw: Buffer): Buffer {
  if (raw.length < 24 || raw.readUInt16BE(0) !== BTF_MAGIC) return raw;
  const copy = Buffer.from(raw);
  copy.subarray(0, 2).swap16();
  copy.subarray(4, 24).swap32();
  const types = copy.readUInt32LE(4) + copy.readUInt32LE(8);
  const typesEnd = Math.min(copy.length, types + copy.readUInt32LE(12));
  if (types < typesEnd) copy.subarray(types, types + ((typesEnd - types) & ~3)).swap32();
  return copy;
}

/** Split BTF on the BTF file `basePath` (a module's on vmlinux's): its own types, or with `withBase` the base's first. */
async function onBase(raw: Buffer, basePath: string, withBase: boolean): Promise<BtfTypeRecord[]> {
  const base = rawBtfOf(await readBytes(basePath), basePath);
  return withBase ? [...btfTypesOf(base), ...btfTypesOf(raw, base)] : btfTypesOf(raw, base);
}

/**
 * The types of raw BTF bytes; with `base` (vmlinux's), those of split BTF built on it (a module's),
 * numbered on from the base's last type, whose string offsets past the base's strings are its own
 * (libbpf's btf__str_by_offset), so that the two string sections read as one.
 */
export function btfTypesOf(raw: Buffer, base?: Buffer): BtfTypeRecord[] {
  const own = sectionsOf(raw);
  if (base === undefined) return readTypes(own.words, 1, namesOf(own.strings));
  const under = sectionsOf(base);
  return readTypes(own.words, countTypes(under.words) + 1, namesOf(Buffer.concat([under.strings, own.strings])));
}

/** The strings of raw BTF bytes by offset, as line_info names a source line and its file; undefined at offset 0. */
export function btfStringsOf(raw: Buffer): (offset: number) => string | undefined {
  return namesOf(sectionsOf(raw).strings);
}

/**
 * A type as bpftool names it in a prototype (btf_dumper_type_only: `int f(struct __sk_buff * skb)`,
 * each type followed by a space, pointers by `* `), `types` indexed by id - 1; undefined for a kind
 * it does not name (a tag), as bpftool then prints no prototype.
 */
export function btfTypeText(types: readonly BtfTypeRecord[], id: number): string | undefined {
  let text = '';
  // The types being named: the kernel refuses BTF whose modifiers or pointers loop, but bytes
  // read elsewhere may loop, which names nothing.
  const naming = new Set<number>();
  // Appends type `id`'s text; false where bpftool gives up.
  const put = (id: number): boolean => {
    if (id === 0) return ((text += 'void '), true);
    const t = types[id - 1];
    if (t === undefined || naming.has(id)) return false;
    naming.add(id);
    const named = putKind(t);
    naming.delete(id);
    return named;
  };
  const putKind = (t: BtfTypeRecord): boolean => {
    const name = t.name ?? '';
    switch (t.kind) {
      case 'int': case 'typedef': case 'float': text += `${name} `; return true;
      case 'struct': case 'union': text += `${t.kind} ${name} `; return true;
      case 'enum': case 'enum64': text += `enum ${name} `; return true;
      case 'array': return put(t.typeId) && ((text += `[${t.nrElems}]`), true);
      case 'ptr': return put(t.typeId) && ((text += '* '), true);
      case 'fwd': text += `${t.fwdKind} ${name} `; return true;
      case 'volatile': case 'const': case 'restrict': text += `${t.kind} `; return put(t.typeId);
      case 'func_proto': return putFunction(t, undefined);
      case 'func': {
        const proto = types[t.typeId - 1];
        return proto?.kind === 'func_proto' && putFunction(proto, name);
      }
      case 'var': text += t.linkage === 'static' ? 'static ' : ''; return put(t.typeId) && ((text += ` ${name}`), true);
      case 'datasec': text += `section ("${name}") `; return true;
      default: return false;
    }
  };
  // A parameter without a name drops the space its type ended in; a variadic one (type 0) is `...`.
  const putFunction = (proto: Extract<BtfTypeRecord, { kind: 'func_proto' }>, name: string | undefined): boolean => {
    if (!put(proto.retTypeId)) return false;
    text += `${name ?? ''}(`;
    for (const [i, param] of proto.params.entries()) {
      if (i > 0) text += ', ';
      if (param.typeId === 0) text += '...';
      else if (!put(param.typeId)) return false;
      else if (param.name !== undefined) text += param.name;
      else if (text.endsWith(' ')) text = text.slice(0, -1);
    }
    text += ')';
    return true;
  };
  return put(id) && text !== '' ? text : undefined;
}
