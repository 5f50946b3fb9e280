// Decoding map keys and values with the map's BTF. The addon ships the types reachable from the
// key and value once per map (native/btf.cc DescribeBtfTypes); each type compiles here into one
// decoder function, which then reads records straight from a dump's packed buffers. The values
// mean what bpftool's `formatted` output means (bpftool src/btf_dumper.c), typed for JS:
// u64/s64 and pointers are bigint, chars and printable char arrays are strings, enums are names.
import { plainConstructorCode } from './layout';

/** A decoded BTF value. */
export type BtfValue = number | bigint | string | boolean | null | BtfValue[] | { [name: string]: BtfValue };

/** One BTF type as the addon describes it. */
export type BtfType =
  | { kind: 'int'; name?: string; size: number; encoding: 'signed' | 'unsigned' | 'char' | 'bool'; bits: number; bitOffset: number }
  | { kind: 'ptr' | 'float'; name?: string; size: number }
  | { kind: 'array'; size: number; type: number; length: number; chars: boolean }
  | { kind: 'struct' | 'union'; name?: string; size: number; members: { name: string; type: number; bitOffset: number; bitSize: number }[] }
  | { kind: 'enum'; name?: string; size: number; signed: boolean; values: { name: string; value: number | bigint }[] }
  | { kind: 'alias' | 'var'; name?: string; size?: number; type: number }
  | { kind: 'datasec'; name?: string; size?: number; vars: { type: number; offset: number }[] }
  | { kind: 'unsupported'; name?: string; size?: number };

/** The types of a map's key and value, keyed by BTF type id. */
export interface BtfTypeTable {
  /** 0/undefined when the map's BTF describes no key (bpftool then prints no formatted key). */
  keyTypeId?: number;
  valueTypeId: number;
  types: Record<string, BtfType>;
}

/** Reads one value at byte `at` of `buf` (`view` covers the same bytes). */
export type BtfDecoder = (view: DataView, buf: Buffer, at: number) => BtfValue;

/** Reads `bits` bits starting `offset` bits into the little-endian bytes at `at`: a number up to 32 bits, else a bigint. */
function bitfieldReader(offset: number, bits: number): BtfDecoder {
  // The whole bytes of the offset are skipped first (bpftool's btf_dumper_int_bits): an int's own
  // bit offset may reach 120, and the bytes before its field are no part of it.
  const skip = Math.floor(offset / 8);
  const shift = offset % 8;
  const span = Math.ceil((shift + bits) / 8);
  // Byte reads past the end give undefined, not an error: refuse as DataView reads do.
  const short = (b: Buffer, at: number) => new RangeError(`a ${bits}-bit field at byte ${at + skip} does not fit in ${b.length} bytes`);
  if (bits <= 32) {
    // At most 5 bytes (39 bits): exact in a double.
    const divisor = 2 ** shift;
    const modulus = 2 ** bits;
    return (_v, b, at) => {
      const first = at + skip;
      if (first + span > b.length) throw short(b, at);
      let raw = 0;
      for (let i = span - 1; i >= 0; i--) raw = raw * 256 + b[first + i];
      return Math.floor(raw / divisor) % modulus;
    };
  }
  const mask = (1n << BigInt(bits)) - 1n;
  const bigShift = BigInt(shift);
  return (_v, b, at) => {
    const first = at + skip;
    if (first + span > b.length) throw short(b, at);
    let raw = 0n;
    for (let i = span - 1; i >= 0; i--) raw = (raw << 8n) | BigInt(b[first + i]);
    return (raw >> bigShift) & mask;
  };
}

/** 128-bit integers as bpftool prints them: "0x" and the hex digits without leading zeros. */
function int128Hex(v: DataView, _b: Buffer, at: number): string {
  const hi = v.getBigUint64(at + 8, true);
  const lo = v.getBigUint64(at, true);
  return `0x${((hi << 64n) | lo).toString(16)}`;
}

function intReader(type: Extract<BtfType, { kind: 'int' }>, shift: number): BtfDecoder {
  const { bits, encoding } = type;
  // bpftool's test for a bitfield (btf_dumper_int): any bit offset, or a width not in whole bytes.
  if (shift || type.bitOffset || bits % 8) return bitfieldReader(shift + type.bitOffset, bits);
  if (bits === 128) return int128Hex;
  switch (encoding) {
    case 'char':
      return (_v, b, at) => String.fromCharCode(b[at]);
    case 'bool':
      return (_v, b, at) => b[at] !== 0;
    case 'signed':
      if (bits === 64) return (v, _b, at) => v.getBigInt64(at, true);
      if (bits === 32) return (v, _b, at) => v.getInt32(at, true);
      if (bits === 16) return (v, _b, at) => v.getInt16(at, true);
      if (bits === 8) return (v, _b, at) => v.getInt8(at);
      break;
    case 'unsigned':
      if (bits === 64) return (v, _b, at) => v.getBigUint64(at, true);
      if (bits === 32) return (v, _b, at) => v.getUint32(at, true);
      if (bits === 16) return (v, _b, at) => v.getUint16(at, true);
      if (bits === 8) return (v, _b, at) => v.getUint8(at);
      break;
  }
  return bitfieldReader(0, bits);
}

/** IEEE 754 half precision (_Float16, __fp16), which DataView reads only from Node 24 on. */
function float16(v: DataView, _b: Buffer, at: number): number {
  const h = v.getUint16(at, true);
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * The kernel takes BTF floats of 2, 4, 8, 12 and 16 bytes. 12 and 16 are a long double, whose
 * format BTF does not say (x87's 80 bits on x86, binary128 on arm64): null, as for kinds bpfscope
 * does not decode, rather than a number read from 8 of its bytes.
 */
function floatReader(size: number): BtfDecoder {
  if (size === 2) return float16;
  if (size === 4) return (v, _b, at) => v.getFloat32(at, true);
  if (size === 8) return (v, _b, at) => v.getFloat64(at, true);
  return () => null;
}

/**
 * An enumerator's value as the reader of a `bits`-bit enum reads it (a signed number), or
 * undefined when no value of that size is it. An enum's is its s32 already. An enum64's is a
 * 64-bit bigint, which a 1-, 2- or 4-byte ENUM64 holds sign-extended when signed (BTF kflag).
 */
function enumKey(value: number | bigint, bits: number, signed: boolean): number | undefined {
  if (typeof value === 'number') return value;
  const fits = signed ? BigInt.asIntN(bits, value) === BigInt.asIntN(64, value) : BigInt.asUintN(bits, value) === BigInt.asUintN(64, value);
  return fits ? Number(BigInt.asIntN(bits, value)) : undefined;
}

function enumReader(type: Extract<BtfType, { kind: 'enum' }>): BtfDecoder {
  const names = new Map<number | bigint, string>();
  // Enumerators may share a value (C aliases such as `__MAX = LAST`): bpftool prints the first
  // one whose value matches, so a later one never replaces it.
  const name = (key: number | bigint, enumerator: string) => {
    if (!names.has(key)) names.set(key, enumerator);
  };
  if (type.size !== 8) {
    for (const { name: enumerator, value } of type.values) {
      const key = enumKey(value, type.size * 8, type.signed);
      if (key !== undefined) name(key, enumerator);
    }
  }
  // bpftool reads the enum as a signed integer of its size and prints the number when no name
  // matches. (It reads an ENUM64 as 8 bytes whatever its size: past a smaller one's end.)
  switch (type.size) {
    case 1: return (v, _b, at) => { const n = v.getInt8(at); return names.get(n) ?? n; };
    case 2: return (v, _b, at) => { const n = v.getInt16(at, true); return names.get(n) ?? n; };
    case 4: return (v, _b, at) => { const n = v.getInt32(at, true); return names.get(n) ?? n; };
    default: {
      // 8 bytes: read as bigint; a plain enum's 32-bit values are compared as bigint too.
      for (const { name: enumerator, value } of type.values) name(BigInt.asIntN(64, BigInt(value)), enumerator);
      return (v, _b, at) => { const n = v.getBigInt64(at, true); return names.get(n) ?? n; };
    }
  }
}

/** bpftool's is_str_array: a NUL within the array and only printable ASCII before it. */
function stringIn(b: Buffer, at: number, length: number): string | undefined {
  for (let i = 0; i < length; i++) {
    const c = b[at + i];
    if (c === 0) return b.toString('latin1', at, at + i);
    if (c <= 0x1f || c >= 0x7f) return undefined;
  }
  return undefined;
}

/** Compiles decoders for the types of one BTF table, each type (and bit shift) once. */
export class BtfDecoders {
  private readonly cache = new Map<string, BtfDecoder>();
  private readonly compiling = new Set<string>();
  constructor(private readonly table: BtfTypeTable) {}

  /** The decoder for type `id` whose first bit is `shift` bits into its first byte (struct members). */
  get(id: number, shift = 0): BtfDecoder {
    const cacheKey = `${id}:${shift}`;
    let decoder = this.cache.get(cacheKey);
    if (!decoder) {
      // The kernel's BTF has no cycles except through pointers, which decode as numbers without
      // compiling their target; a table that does loop is refused instead of overflowing the stack.
      if (this.compiling.has(cacheKey)) throw new RangeError(`BTF type ${id} contains itself`);
      this.compiling.add(cacheKey);
      try {
        decoder = this.compile(id, shift);
      } finally {
        this.compiling.delete(cacheKey);
      }
      this.cache.set(cacheKey, decoder);
    }
    return decoder;
  }

  private type(id: number): BtfType {
    const type = this.table.types[String(id)];
    if (!type) throw new RangeError(`BTF type ${id} is not in the map's type table`);
    return type;
  }

  private compile(id: number, shift: number): BtfDecoder {
    const type = this.type(id);
    switch (type.kind) {
      case 'int':
        return intReader(type, shift);
      case 'ptr':
        return (v, _b, at) => v.getBigUint64(at, true);
      case 'float':
        return floatReader(type.size);
      case 'enum':
        return enumReader(type);
      case 'alias':
        return this.get(type.type, shift);
      case 'array': {
        const element = this.get(type.type);
        const elementSize = this.type(type.type).size ?? 0;
        const { length, chars } = type;
        return (v, b, at) => {
          if (chars) {
            const text = stringIn(b, at, length);
            if (text !== undefined) return text;
          }
          const items = new Array<BtfValue>(length);
          for (let i = 0; i < length; i++) items[i] = element(v, b, at + i * elementSize);
          return items;
        };
      }
      case 'struct':
      case 'union': {
        const members = type.members.map(({ name, type: memberType, bitOffset, bitSize }) => ({
          name,
          offset: Math.floor(bitOffset / 8),
          read: bitSize ? bitfieldReader(bitOffset % 8, bitSize) : this.get(memberType, bitOffset % 8),
        }));
        return compileStruct(members);
      }
      case 'var': {
        const name = type.name ?? '';
        const read = this.get(type.type, shift);
        return (v, b, at) => ({ [name]: read(v, b, at) });
      }
      case 'datasec': {
        const name = type.name ?? '';
        const vars = type.vars.map(({ type: varType, offset }) => ({ offset, read: this.get(varType) }));
        return (v, b, at) => ({ [name]: vars.map((x) => x.read(v, b, at + x.offset)) });
      }
      case 'unsupported':
        return () => null;
    }
  }
}

/**
 * A struct decoder that builds its object in one constructor (one hidden class, no keyed stores,
 * no allocation site: src/layout.ts plainConstructorCode), as user layouts do. Duplicate names
 * (several anonymous members, all "") keep the last value, in the place of the first.
 */
function compileStruct(members: { name: string; offset: number; read: BtfDecoder }[]): BtfDecoder {
  const props = members.map((m, i) => [m.name, `r[${i}](v, b, at + ${m.offset})`] as const);
  const make = new Function('r', `${plainConstructorCode('Struct', 'v, b, at', '', props)}
    return function decodeStruct(v, b, at) { return new Struct(v, b, at); };`);
  return make(members.map((m) => m.read)) as BtfDecoder;
}
