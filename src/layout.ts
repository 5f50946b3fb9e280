// User-declared record layouts: a struct's fields, offsets, types and byte order, decoded from a
// packed buffer of many records (a map dump) with one DataView and no per-byte JS work.
// The Cilium decoders (src/cilium/) are tables of these layouts.
import { checkBytes, describe } from './validate';

/** Scalar field types. `be*` are big-endian (network order), the rest follow `endian` (default little). */
export type ScalarType = 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64' | 'be16' | 'be32' | 'be64';

/** Field types with a meaning beyond the number. */
export type FieldType =
  | ScalarType
  | 'ipv4' // 4 bytes → '10.3.0.115'
  | 'ipv6' // 16 bytes → RFC 5952 text
  | 'mac' // 6 bytes → 'aa:bb:cc:dd:ee:ff'
  | 'bool8' // 1 byte → boolean
  | { bytes: number } // a Buffer view of that length (no copy)
  | { cstring: number } // a NUL-terminated string in that many bytes
  | IpUnionType; // 16 bytes holding an IPv4 (first 4 bytes) or an IPv6 address, told apart by another byte

/**
 * A C `union { v4addr; v6addr }` of 16 bytes: IPv6 text when `(record[v6When.at] & mask) === value`,
 * else the IPv4 text of the first 4 bytes. Encoding writes 4 or 16 bytes from either text and leaves
 * the deciding byte to its own field. `at` counts from the record's start and must fall inside the
 * record; mask and value are bytes (value within mask). defineLayout refuses any other union.
 */
export interface IpUnionType {
  ip: 16;
  v6When: { at: number; mask: number; value: number };
}

export interface FieldSpec {
  offset: number;
  type: FieldType;
  /** Byte order of a plain integer type; default 'little' (the host order of x86_64 and arm64). */
  endian?: 'little' | 'big';
  /** A bitfield inside the integer: [first bit (LSB = 0), width]. */
  bits?: readonly [number, number];
  /**
   * Several consecutive elements: decodes to an array. `count: 0` is a C flexible array member
   * (`x[0]`, at the end of a struct): it takes no bytes and decodes to [].
   */
  count?: number;
}

export type FieldValue<F extends FieldSpec> = F['count'] extends number ? ScalarOf<F>[] : ScalarOf<F>;
/** The decoded value of one element of a field. */
export type ScalarOf<F extends FieldSpec> = F['type'] extends 'u64' | 'i64' | 'be64'
  ? bigint
  : F['type'] extends 'ipv4' | 'ipv6' | 'mac'
    ? string
    : F['type'] extends IpUnionType
      ? string
    : F['type'] extends 'bool8'
      ? boolean
      : F['type'] extends { bytes: number }
        ? Buffer
        : F['type'] extends { cstring: number }
          ? string
          : number;

export type LayoutFields = Record<string, FieldSpec>;
export type Decoded<L extends LayoutFields> = { [K in keyof L]: FieldValue<L[K]> };

/**
 * One field of many records as a column: plain integer fields as the typed array of their width
 * (u64/i64/be64 as BigUint64Array/BigInt64Array, copied without a bigint per record), every other
 * field (addresses, strings, bitfields, arrays, bytes) as an array of its decoded values.
 */
export type ColumnOf<F extends FieldSpec> = F['count'] extends number
  ? FieldValue<F>[]
  : F['bits'] extends readonly [number, number]
    ? FieldValue<F>[]
    : F['type'] extends 'u8'
      ? Uint8Array
      : F['type'] extends 'i8'
        ? Int8Array
        : F['type'] extends 'u16' | 'be16'
          ? Uint16Array
          : F['type'] extends 'i16'
            ? Int16Array
            : F['type'] extends 'u32' | 'be32'
              ? Uint32Array
              : F['type'] extends 'i32'
                ? Int32Array
                : F['type'] extends 'u64' | 'be64'
                  ? BigUint64Array
                  : F['type'] extends 'i64'
                    ? BigInt64Array
                    : FieldValue<F>[];
export type Columns<L extends LayoutFields> = { [K in keyof L]: ColumnOf<L[K]> };

/**
 * A record read in place: each field is a getter that decodes it from the buffer when it is read,
 * so a view costs one small object however many fields the layout has. The fields are on the
 * prototype: spread, `Object.keys` and deep-equality helpers see none of them; `toObject()` (and
 * `JSON.stringify`, `util.inspect`) gives the decoded record. A view reads the buffer at access
 * time: it sees later writes to it (a poller's reused dump buffers, for one).
 */
export type LayoutView<L extends LayoutFields> = Readonly<Decoded<L>> & {
  /** The record decoded into a plain object, as `Layout.decode` returns it. */
  toObject(): Decoded<L>;
  toJSON(): Decoded<L>;
};

/** Field names a view keeps for its own methods. */
const VIEW_METHODS: readonly string[] = ['toObject', 'toJSON'];

const SIZES: Record<ScalarType, number> = {
  u8: 1, i8: 1, u16: 2, i16: 2, be16: 2, u32: 4, i32: 4, be32: 4, u64: 8, i64: 8, be64: 8,
};

/** Whether `type` names an integer type: SIZES' own keys, not what its prototype has ('toString'). */
function isScalar(type: unknown): type is ScalarType {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(SIZES, type);
}

export function fieldSize(type: FieldType): number {
  if (typeof type === 'object') return 'bytes' in type ? type.bytes : 'cstring' in type ? type.cstring : type.ip;
  if (type === 'ipv4') return 4;
  if (type === 'ipv6') return 16;
  if (type === 'mac') return 6;
  if (type === 'bool8') return 1;
  return SIZES[type];
}

/**
 * A field as the compiled code uses it: its name, offset, reader or writer, element count
 * (undefined for one element, not an array) and the bytes of one element.
 */
type Placed<L extends LayoutFields, F> = [keyof L, number, F, number | undefined, number];

type Reader = (view: DataView, buf: Buffer, at: number, record?: number) => unknown;
type Writer = (view: DataView, buf: Buffer, at: number, value: unknown) => void;

function scalarReader(type: ScalarType, little: boolean): Reader {
  switch (type) {
    case 'u8': return (v, _b, at) => v.getUint8(at);
    case 'i8': return (v, _b, at) => v.getInt8(at);
    case 'u16': return (v, _b, at) => v.getUint16(at, little);
    case 'i16': return (v, _b, at) => v.getInt16(at, little);
    case 'be16': return (v, _b, at) => v.getUint16(at, false);
    case 'u32': return (v, _b, at) => v.getUint32(at, little);
    case 'i32': return (v, _b, at) => v.getInt32(at, little);
    case 'be32': return (v, _b, at) => v.getUint32(at, false);
    case 'u64': return (v, _b, at) => v.getBigUint64(at, little);
    case 'i64': return (v, _b, at) => v.getBigInt64(at, little);
    case 'be64': return (v, _b, at) => v.getBigUint64(at, false);
  }
}

function readerFor(spec: FieldSpec): Reader {
  const { type } = spec;
  const little = spec.endian !== 'big';
  if (typeof type === 'object') {
    if ('bytes' in type) return (_v, b, at) => b.subarray(at, at + type.bytes);
    if ('ip' in type) {
      // `at` is the field's position; the deciding byte is relative to the record start.
      const { at: flagAt, mask, value } = type.v6When;
      return (_v, b, at, record = at) => ((b[record + flagAt] & mask) === value ? formatIpv6(b, at) : ipv4Text(b, at));
    }
    const length = type.cstring;
    return (_v, b, at) => {
      // The NUL is looked for within the field only: b.indexOf(0, at) searched on to the buffer's
      // end, so a dump of fields that fill their bytes (no NUL) scanned the rest of it per record.
      let end = at;
      const limit = at + length;
      while (end < limit && b[end] !== 0) end++;
      return b.toString('latin1', at, end);
    };
  }
  if (type === 'ipv4') return (_v, b, at) => ipv4Text(b, at);
  if (type === 'ipv6') return (_v, b, at) => formatIpv6(b, at);
  if (type === 'mac') return (_v, b, at) => formatMac(b, at);
  if (type === 'bool8') return (v, _b, at) => v.getUint8(at) !== 0;
  const base = scalarReader(type, little);
  if (!spec.bits) return base;
  const [shift, width] = spec.bits;
  if (SIZES[type] === 8) {
    const mask = (1n << BigInt(width)) - 1n;
    return (v, b, at) => ((base(v, b, at) as bigint) >> BigInt(shift)) & mask;
  }
  const mask = width >= 32 ? 0xffffffff : (1 << width) - 1;
  return (v, b, at) => (((base(v, b, at) as number) >>> shift) & mask) >>> 0;
}

function scalarWriter(type: ScalarType, little: boolean): Writer {
  switch (type) {
    case 'u8': return (v, _b, at, x) => v.setUint8(at, x as number);
    case 'i8': return (v, _b, at, x) => v.setInt8(at, x as number);
    case 'u16': return (v, _b, at, x) => v.setUint16(at, x as number, little);
    case 'i16': return (v, _b, at, x) => v.setInt16(at, x as number, little);
    case 'be16': return (v, _b, at, x) => v.setUint16(at, x as number, false);
    case 'u32': return (v, _b, at, x) => v.setUint32(at, x as number, little);
    case 'i32': return (v, _b, at, x) => v.setInt32(at, x as number, little);
    case 'be32': return (v, _b, at, x) => v.setUint32(at, x as number, false);
    case 'u64': return (v, _b, at, x) => v.setBigUint64(at, BigInt(x as bigint), little);
    case 'i64': return (v, _b, at, x) => v.setBigInt64(at, BigInt(x as bigint), little);
    case 'be64': return (v, _b, at, x) => v.setBigUint64(at, BigInt(x as bigint), false);
  }
}

/** The values of each integer type: [min, max], as bigints for the 64-bit ones. */
const RANGES: Record<ScalarType, readonly [number, number] | readonly [bigint, bigint]> = {
  u8: [0, 0xff], i8: [-0x80, 0x7f], u16: [0, 0xffff], be16: [0, 0xffff], i16: [-0x8000, 0x7fff],
  u32: [0, 0xffffffff], be32: [0, 0xffffffff], i32: [-0x80000000, 0x7fffffff],
  u64: [0n, 2n ** 64n - 1n], be64: [0n, 2n ** 64n - 1n], i64: [-(2n ** 63n), 2n ** 63n - 1n],
};

/**
 * Checks one element of field `name` before encode writes it, so that a wrong key misses no lookup
 * silently: the kind of value decode gives back (TypeError otherwise; a 64-bit integer may also be
 * a safe-integer number, and comes back a bigint), within what the field holds (RangeError: an
 * integer of its type's range or its bitfield's width, a string of latin1 characters that fits).
 * Address text is checked by its parser (TypeError).
 */
export function valueChecker(name: string, spec: FieldSpec): (x: unknown) => unknown {
  const { type } = spec;
  const wrong = (what: string, x: unknown) => new TypeError(`field '${name}': expected ${what}, got ${describe(x)}`);
  const text = (x: unknown) => {
    if (typeof x !== 'string') throw wrong('a string', x);
    return x;
  };
  if (typeof type === 'object') {
    if ('bytes' in type) {
      return (x) => {
        if (!(x instanceof Uint8Array)) throw wrong('a Buffer or Uint8Array', x);
        if (x.length > type.bytes) throw new RangeError(`field '${name}': ${x.length} bytes do not fit in a ${type.bytes}-byte field`);
        return x;
      };
    }
    if ('ip' in type) return text;
    return (x) => {
      // decode reads latin1 up to the first NUL or the field's end: anything else would not come back.
      if (/[^\x00-\xff]/.test(text(x))) throw new RangeError(`field '${name}': ${JSON.stringify(x)} has characters outside latin1`);
      if ((x as string).length > type.cstring) throw new RangeError(`field '${name}': ${JSON.stringify(x)} is longer than its ${type.cstring} bytes`);
      return x;
    };
  }
  if (type === 'ipv4' || type === 'ipv6' || type === 'mac') return text;
  if (type === 'bool8') {
    return (x) => {
      if (typeof x !== 'boolean') throw wrong('a boolean', x);
      return x;
    };
  }
  const width = spec.bits?.[1];
  const outside = (x: number | bigint, min: number | bigint, max: number | bigint) =>
    new RangeError(`field '${name}': ${x} is outside ${width === undefined ? type : `a ${width}-bit field`}'s ${min}..${max}`);
  if (SIZES[type] === 8) {
    const [min, max] = width === undefined ? (RANGES[type] as readonly [bigint, bigint]) : [0n, (1n << BigInt(width)) - 1n];
    return (x) => {
      if (typeof x !== 'bigint' && typeof x !== 'number') throw wrong('a bigint', x);
      if (typeof x === 'number' && !Number.isSafeInteger(x)) throw new RangeError(`field '${name}': ${x} is not a safe integer (give a bigint)`);
      const big = BigInt(x);
      if (big < min || big > max) throw outside(big, min, max);
      return big;
    };
  }
  const [min, max] = width === undefined ? (RANGES[type] as readonly [number, number]) : [0, 2 ** width - 1];
  return (x) => {
    if (typeof x !== 'number') throw wrong('a number', x);
    if (!Number.isInteger(x)) throw new RangeError(`field '${name}': ${x} is not an integer`);
    if (x < min || x > max) throw outside(x, min, max);
    return x;
  };
}

/** writerFor's writer, after valueChecker's check. */
function checkedWriter(name: string, spec: FieldSpec): Writer {
  const check = valueChecker(name, spec);
  const write = writerFor(spec);
  return (v, b, at, x) => write(v, b, at, check(x));
}

// The inverse of readerFor, for values valueChecker passed. Bitfields are read-modify-write, so
// fields sharing a byte compose.
function writerFor(spec: FieldSpec): Writer {
  const { type } = spec;
  const little = spec.endian !== 'big';
  if (typeof type === 'object') {
    if ('bytes' in type) return (_v, b, at, x) => b.set(x as Uint8Array, at);
    if ('ip' in type) return (_v, b, at, x) => b.set((x as string).includes(':') ? parseIpv6(x as string) : parseIpv4(x as string), at);
    return (_v, b, at, x) => {
      const n = b.write(x as string, at, type.cstring, 'latin1');
      if (n < type.cstring) b[at + n] = 0;
    };
  }
  if (type === 'ipv4') return (_v, b, at, x) => b.set(parseIpv4(x as string), at);
  if (type === 'ipv6') return (_v, b, at, x) => b.set(parseIpv6(x as string), at);
  if (type === 'mac') return (_v, b, at, x) => b.set(parseMac(x as string), at);
  if (type === 'bool8') return (v, _b, at, x) => v.setUint8(at, x ? 1 : 0);
  const base = scalarWriter(type, little);
  if (!spec.bits) return base;
  const read = scalarReader(type, little);
  const [shift, width] = spec.bits;
  if (SIZES[type] === 8) {
    const mask = ((1n << BigInt(width)) - 1n) << BigInt(shift);
    return (v, b, at, x) => {
      const old = read(v, b, at) as bigint;
      base(v, b, at, (old & ~mask) | ((BigInt(x as bigint) << BigInt(shift)) & mask));
    };
  }
  const mask = (width >= 32 ? 0xffffffff : ((1 << width) - 1) << shift) >>> 0;
  return (v, b, at, x) => {
    const old = read(v, b, at) as number;
    base(v, b, at, ((old & ~mask) | (((x as number) << shift) & mask)) >>> 0);
  };
}

/** A compiled layout: decodes one record, or every record of a packed buffer. */
export class Layout<L extends LayoutFields> {
  /** The record size: explicit, or the end of the last field. */
  readonly size: number;
  private readonly readers: Placed<L, Reader>[];
  private readonly writers: Placed<L, Writer>[];
  /** Decodes the record at `at` (see compileDecoder). */
  private readonly decodeAt: RecordDecoder<L>;
  /** The view class, compiled on first use (see compileView). */
  private View?: ViewConstructor<L>;
  /** Fills every column, compiled on first use (see compileColumns). */
  private fillColumns?: ColumnsFiller<L>;
  /** Whether decoded records hold views into the buffer they came from ({ bytes } fields) rather than copies. */
  readonly holdsBufferViews: boolean;

  constructor(
    readonly fields: L,
    size?: number,
  ) {
    let end = 0;
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
      throw new TypeError(`layout fields must be an object of { offset, type } by name, got ${describe(fields)}`);
    }
    if (size !== undefined && (!Number.isInteger(size) || size < 0)) throw new RangeError(`layout size must be an integer >= 0, got ${size}`);
    this.readers = Object.entries(fields).map(([name, spec]) => {
      checkField(name, spec);
      const one = fieldSize(spec.type);
      // count: 0 is C's flexible array member (`x[0]`): no bytes, decoded as [].
      end = Math.max(end, spec.offset + one * (spec.count ?? 1));
      return [name as keyof L, spec.offset, readerFor(spec), spec.count, one];
    });
    this.writers = Object.entries(fields).map(([name, spec]) => {
      return [name as keyof L, spec.offset, checkedWriter(name, spec), spec.count, fieldSize(spec.type)];
    });
    this.decodeAt = compileDecoder(fields, this.readers);
    this.holdsBufferViews = Object.values(fields).some((spec) => typeof spec.type === 'object' && 'bytes' in spec.type);
    this.size = size ?? end;
    if (end > this.size) throw new RangeError(`layout fields end at byte ${end}, past its size ${this.size}`);
    for (const [name, spec] of Object.entries(fields)) {
      // Past the record, the deciding byte would be the next record's (or past the buffer).
      const { type } = spec;
      if (typeof type === 'object' && 'ip' in type && type.v6When.at >= this.size) {
        throw new RangeError(`field '${name}': v6When.at ${type.v6When.at} is past the ${this.size}-byte record`);
      }
    }
  }

  /** Decodes the record at `offset` of `buf`. */
  decode(buf: Buffer | Uint8Array, offset = 0): Decoded<L> {
    const bytes = this.checkRecordAt(buf, offset);
    return this.decodeAt(recordBytes(bytes), offset);
  }

  /** Decodes `count` records laid out every `stride` bytes (default: the layout size) from `offset`. */
  decodeAll(buf: Buffer | Uint8Array, count?: number, stride = this.size, offset = 0): Decoded<L>[] {
    const [n, records] = this.recordsIn(buf, count, stride, offset);
    const bytes = recordBytes(records);
    const out = new Array<Decoded<L>>(n);
    for (let i = 0; i < n; i++) out[i] = this.decodeAt(bytes, offset + i * stride);
    return out;
  }

  /**
   * `count` records laid out every `stride` bytes from `offset`, as columns (see ColumnOf): one
   * array per field, record i at index i. For sums and filters over a few fields of many records
   * (an exporter adding up byte counters) this allocates per field, not per record: no object,
   * and no bigint for a u64, per record.
   *
   * `into`: the columns of an earlier call, to fill again rather than make new arrays (a loop
   * that decodes every tick). Its arrays then hold this call's values: a typed column is refilled
   * in place, or a view of fewer elements over the same memory when there are fewer records; when
   * the records outgrow it, a new one with room for a quarter more replaces it, and the next calls
   * fill that. Other columns are refilled and their length set. Arrays in `into` of another kind
   * than the field's column are left alone and replaced.
   */
  decodeColumns(buf: Buffer | Uint8Array, count?: number, stride = this.size, offset = 0, into?: Partial<Columns<L>>): Columns<L> {
    const [n, records] = this.recordsIn(buf, count, stride, offset);
    this.fillColumns ??= compileColumns(this.fields, this.readers);
    return this.fillColumns(recordBytes(records), n, stride, offset, into);
  }

  /** A view of the record at `offset` of `buf` (see LayoutView). */
  view(buf: Buffer | Uint8Array, offset = 0): LayoutView<L> {
    const bytes = this.checkRecordAt(buf, offset);
    return new (this.viewClass())(recordBytes(bytes), offset);
  }

  /**
   * Views of `count` records laid out every `stride` bytes from `offset`, as decodeAll reads them:
   * nothing is decoded until a field is read. For many records whose fields are read once (sums,
   * filters, exporters) this takes about half the time of decodeAll, whose records are all alive
   * at once.
   */
  viewAll(buf: Buffer | Uint8Array, count?: number, stride = this.size, offset = 0): LayoutView<L>[] {
    const [n, records] = this.recordsIn(buf, count, stride, offset);
    const View = this.viewClass();
    const bytes = recordBytes(records);
    const out = new Array<LayoutView<L>>(n);
    for (let i = 0; i < n; i++) out[i] = new View(bytes, offset + i * stride);
    return out;
  }

  /**
   * @internal The compiled decoder, for callers that check the bounds of many records at once
   * (MapDump, which decodes a key and its value in one step so that each record is built whole).
   */
  recordDecoder(): RecordDecoder<L> {
    return this.decodeAt;
  }

  /** @internal The view class, for callers that check the bounds of many records at once (MapDump). */
  viewClass(): ViewConstructor<L> {
    return (this.View ??= compileView(this.fields, this.readers, this.decodeAt));
  }

  /** `buf` as a Buffer (see checkBytes), after checking that one record fits at `offset` of it. */
  private checkRecordAt(buf: Buffer | Uint8Array, offset: number): Buffer {
    const bytes = checkBytes(buf, 'a record buffer');
    if (!Number.isInteger(offset) || offset < 0 || offset + this.size > bytes.length) {
      throw new RangeError(`a ${this.size}-byte record at offset ${offset} does not fit in ${bytes.length} bytes`);
    }
    return bytes;
  }

  /** How many records decodeAll/viewAll read, after checking that they fit. */
  private recordsIn(buf: Buffer | Uint8Array, count: number | undefined, stride: number, offset: number): [number, Buffer] {
    const bytes = checkBytes(buf, 'a record buffer');
    if (count !== undefined && (!Number.isInteger(count) || count < 0)) throw new RangeError(`count must be an integer >= 0, got ${count}`);
    if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`stride must be an integer >= 1, got ${stride}`);
    if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`offset must be an integer >= 0, got ${offset}`);
    const n = count ?? Math.max(0, Math.floor((bytes.length - offset) / stride));
    if (n > 0 && offset + (n - 1) * stride + this.size > bytes.length) {
      throw new RangeError(`${n} records of stride ${stride} do not fit in ${bytes.length} bytes`);
    }
    return [n, bytes];
  }

  /**
   * Writes a record into `into` at `offset` (default: a fresh zeroed buffer of the layout's size),
   * and returns it (a Uint8Array as a Buffer over the same memory).
   * Fields left out of `record` (or undefined) keep the bytes already there, so padding stays zero.
   * Each value must be what decode gives back for its field: a TypeError for the wrong kind of
   * value or a name the layout has no field for, a RangeError for a number out of the field's
   * range (or bitfield's width), a string longer than the field, or more elements than `count`.
   * Nothing is masked or cut to fit: encoded keys would otherwise miss their lookups silently.
   */
  encode(record: Partial<Decoded<L>>, into: Buffer | Uint8Array = Buffer.alloc(this.size), offset = 0): Buffer {
    if (typeof record !== 'object' || record === null) throw new TypeError(`encode expects a record object, got ${describe(record)}`);
    const buf = this.checkRecordAt(into, offset);
    const values = record as Record<string, unknown>;
    for (const name of Object.keys(values)) {
      if (values[name] !== undefined && !Object.prototype.hasOwnProperty.call(this.fields, name)) {
        throw new TypeError(`encode: the layout has no field '${name}' (fields: ${Object.keys(this.fields).join(', ')})`);
      }
    }
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (const [name, off, write, count, one] of this.writers) {
      const value = values[name as string];
      if (value === undefined) continue;
      if (count === undefined) {
        write(view, buf, offset + off, value);
      } else {
        if (!Array.isArray(value)) throw new TypeError(`field '${String(name)}' holds ${count} elements: expected an array, got ${describe(value)}`);
        if (value.length > count) throw new RangeError(`field '${String(name)}' holds ${count} elements, got ${value.length}`);
        for (let i = 0; i < value.length; i++) write(view, buf, offset + off + i * one, value[i]);
      }
    }
    return buf;
  }
}

/**
 * Rejects a field the decoders cannot read, when the layout is defined rather than at the first
 * record: TypeError for the wrong kind of value, RangeError for a number out of range.
 */
function checkField(name: string, spec: FieldSpec): void {
  if (typeof spec !== 'object' || spec === null) throw new TypeError(`field '${name}': expected { offset, type }`);
  const { type } = spec;
  const size = typeof type === 'string' ? (isScalar(type) || NAMED_SIZES.includes(type) ? fieldSize(type) : undefined)
    : typeof type === 'object' && type !== null ? fieldSize(type) : undefined;
  if (size === undefined) throw new TypeError(`field '${name}': unknown type ${JSON.stringify(type)}`);
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`field '${name}': the type's length must be an integer > 0, got ${size}`);
  if (!Number.isInteger(spec.offset) || spec.offset < 0) throw new RangeError(`field '${name}': offset must be an integer >= 0, got ${spec.offset}`);
  if (spec.count !== undefined && (!Number.isInteger(spec.count) || spec.count < 0)) {
    throw new RangeError(`field '${name}': count must be an integer >= 0, got ${spec.count}`);
  }
  if (spec.endian !== undefined && spec.endian !== 'little' && spec.endian !== 'big') {
    throw new TypeError(`field '${name}': endian must be 'little' or 'big', got ${JSON.stringify(spec.endian)}`);
  }
  if (typeof type === 'object' && 'ip' in type) checkIpUnion(name, type);
  if (spec.bits !== undefined) {
    if (!isScalar(type)) throw new TypeError(`field '${name}': bits are for integer types`);
    const [first, width] = Array.isArray(spec.bits) ? spec.bits : [NaN, NaN];
    if (!Number.isInteger(first) || !Number.isInteger(width) || first < 0 || width < 1 || first + width > size * 8) {
      throw new RangeError(`field '${name}': bits must be [first, width] inside the ${size * 8}-bit integer, got ${JSON.stringify(spec.bits)}`);
    }
  }
}

/**
 * An IPv4/IPv6 union: 16 bytes (an IPv6 address), and a deciding byte `v6When` that can ever say
 * IPv6. That the byte lies inside the record is checked once the record's size is known.
 */
function checkIpUnion(name: string, type: IpUnionType): void {
  if (type.ip !== 16) throw new RangeError(`field '${name}': an IPv4/IPv6 union holds 16 bytes (ip: 16), got ip: ${JSON.stringify(type.ip)}`);
  const when = type.v6When as Partial<IpUnionType['v6When']> | undefined;
  if (typeof when !== 'object' || when === null) throw new TypeError(`field '${name}': an IPv4/IPv6 union needs v6When: { at, mask, value }`);
  for (const key of ['at', 'mask', 'value'] as const) {
    const n = when[key];
    if (typeof n !== 'number') throw new TypeError(`field '${name}': v6When.${key} must be a number, got ${JSON.stringify(n)}`);
    const max = key === 'at' ? Number.MAX_SAFE_INTEGER : 0xff;
    if (!Number.isInteger(n) || n < 0 || n > max) throw new RangeError(`field '${name}': v6When.${key} must be an integer 0..${max}, got ${n}`);
  }
  if ((when.value! & ~when.mask!) !== 0) {
    throw new RangeError(`field '${name}': v6When.value ${when.value} has bits outside mask ${when.mask}, so the address would never read as IPv6`);
  }
}

/** The string types besides the scalars (fieldSize knows their lengths). */
const NAMED_SIZES: readonly string[] = ['ipv4', 'ipv6', 'mac', 'bool8'];

/**
 * A buffer as the compiled readers see it: its bytes `b`, a DataView `v`, and the whole
 * ArrayBuffer as 64-bit elements (`q` unsigned, `s` signed) from offset 0, with `o` the buffer's
 * offset in it. A little-endian u64/i64 field at an 8-byte-aligned address is read as an element:
 * V8 compiles that load inline, where DataView.getBigUint64 is a builtin call (summing 200,000
 * u64 values took three times as long through it).
 */
export interface RecordBytes {
  b: Buffer;
  v: DataView;
  o: number;
  q: BigUint64Array;
  s: BigInt64Array;
}

export function recordBytes(buf: Buffer): RecordBytes {
  const whole = buf.buffer;
  const words = Math.floor(whole.byteLength / 8);
  return {
    b: buf,
    v: new DataView(whole, buf.byteOffset, buf.byteLength),
    o: buf.byteOffset,
    q: new BigUint64Array(whole, 0, words),
    s: new BigInt64Array(whole, 0, words),
  };
}

export type RecordDecoder<L extends LayoutFields> = (bytes: RecordBytes, at: number) => Decoded<L>;

/** The names generated code uses for RecordBytes' members. */
const BYTES_NAMES = ['b', 'v', 'o', 'q', 's'] as const;

/** `const b = c.b, …` for the members `expr` uses (all of them without `expr`). */
function loadBytes(expr?: string): string {
  return BYTES_NAMES.filter((n) => expr === undefined || new RegExp(`\\b${n}\\b`).test(expr)).map((n) => `${n} = c.${n}`).join(', ');
}

/** The inline expression reading a plain field at byte `at + off`, or undefined for the others. */
function inlineRead(spec: FieldSpec, off: number): string | undefined {
  if (spec.bits || spec.count !== undefined || typeof spec.type === 'object') return undefined;
  const at = `at + ${off}`;
  const little = spec.endian !== 'big';
  switch (spec.type) {
    case 'u8': return `b[${at}]`;
    case 'i8': return `v.getInt8(${at})`;
    case 'u16': return `v.getUint16(${at}, ${little})`;
    case 'i16': return `v.getInt16(${at}, ${little})`;
    case 'be16': return `v.getUint16(${at}, false)`;
    case 'u32': return `v.getUint32(${at}, ${little})`;
    case 'i32': return `v.getInt32(${at}, ${little})`;
    case 'be32': return `v.getUint32(${at}, false)`;
    case 'u64': return little ? aligned64('q', `v.getBigUint64(${at}, true)`, off) : `v.getBigUint64(${at}, false)`;
    case 'i64': return little ? aligned64('s', `v.getBigInt64(${at}, true)`, off) : `v.getBigInt64(${at}, false)`;
    case 'be64': return `v.getBigUint64(${at}, false)`;
    case 'bool8': return `b[${at}] !== 0`;
    case 'ipv4': return `ipv4(b, ${at})`;
    default: return undefined;
  }
}

/** A little-endian 64-bit field: an element of `array` when aligned, else through the DataView. */
function aligned64(array: 'q' | 's', unaligned: string, off: number): string {
  const address = `(o + at + ${off})`;
  return `((${address} & 7) === 0 ? ${array}[${address} >>> 3] : ${unaligned})`;
}

/** How each field is read, as code: plain integers and IPv4 addresses inline, the rest through their reader. */
function readExpressions<L extends LayoutFields>(fields: L, readers: Placed<L, Reader>[]): [string, string][] {
  const specs = Object.values(fields);
  return readers.map(([name, off, , count, one], i) => [
    String(name),
    inlineRead(specs[i], off) ?? (count === undefined ? `r[${i}](v, b, at + ${off}, at)` : `many(r[${i}], v, b, at + ${off}, ${count}, ${one}, at)`),
  ]);
}

/**
 * One function per layout that builds a record in one constructor (plainConstructorCode). V8 then
 * creates every record with one hidden class and no per-field call, which is what makes decoding a
 * dump of a million entries cost a small multiple of reading it.
 */
function compileDecoder<L extends LayoutFields>(fields: L, readers: Placed<L, Reader>[]): RecordDecoder<L> {
  const body = `${plainConstructorCode('Record', 'c, at', `const ${loadBytes()};`, readExpressions(fields, readers))}
    return function decodeRecord(c, at) { return new Record(c, at); };`;
  const make = new Function('r', 'many', 'ipv4', body) as (r: Reader[], many: typeof readMany, ipv4: typeof ipv4Text) => RecordDecoder<L>;
  return make(readers.map((x) => x[2]), readMany, ipv4Text);
}

export type ViewConstructor<L extends LayoutFields> = new (bytes: RecordBytes, at: number) => LayoutView<L>;

// A view's state, under keys no field name can take.
const VIEW_BYTES = Symbol('view bytes');
const VIEW_AT = Symbol('view offset');

/**
 * One class per layout whose prototype has a getter per field, each compiled from the same read
 * expression as the decoder. A view holds the buffer and an offset, nothing else.
 */
function compileView<L extends LayoutFields>(
  fields: L,
  readers: Placed<L, Reader>[],
  decodeAt: RecordDecoder<L>,
): ViewConstructor<L> {
  const reserved = Object.keys(fields).filter((name) => VIEW_METHODS.includes(name));
  if (reserved.length) throw new TypeError(`a view cannot have a field named ${reserved.join(', ')}: use decode()`);
  // Each getter loads only the members of RecordBytes its expression uses.
  const getters = readExpressions(fields, readers).map(([name, expr]) => {
    const loads = ['c = this[BYTES], at = this[AT]', loadBytes(expr)].filter(Boolean).join(', ');
    return `${literalKey(name)}: { get() { const ${loads}; return ${expr}; }, enumerable: true, configurable: true }`;
  });
  const body = `
    function View(c, at) { this[BYTES] = c; this[AT] = at; }
    Object.defineProperties(View.prototype, { ${getters.join(',\n')} });
    return View;`;
  const make = new Function('r', 'many', 'ipv4', 'BYTES', 'AT', body);
  const View = make(readers.map((x) => x[2]), readMany, ipv4Text, VIEW_BYTES, VIEW_AT) as {
    prototype: Record<string | symbol, unknown>;
  };
  function toObject(this: Record<symbol, unknown>): Decoded<L> {
    return decodeAt(this[VIEW_BYTES] as RecordBytes, this[VIEW_AT] as number);
  }
  for (const [key, value] of [['toObject', toObject], ['toJSON', toObject], [Symbol.for('nodejs.util.inspect.custom'), toObject]] as const) {
    Object.defineProperty(View.prototype, key, { value, writable: true, configurable: true });
  }
  return View as unknown as ViewConstructor<L>;
}

const DECIMAL = Array.from({ length: 256 }, (_, i) => String(i));
const DOTTED = DECIMAL.map((d) => `${d}.`);

/*
 * IPv4 text comes from two small direct-mapped caches, because building it is most of what
 * decoding a flow or ipcache record costs: four table reads and three concatenations, each a new
 * string. Addresses come in subnets, so the text of "a.b.c." is kept per /24 (4,096 slots). A map
 * dumped again gives the same addresses, so whole addresses are kept too (16,384 slots), but only
 * one seen twice in a row at its slot: storing a young string in these long-lived arrays makes
 * the next scavenge copy it out, and when a dump holds many more addresses than slots that copying
 * costs more than the cache saves. A slot always holds a key and that key's text (both start as 0
 * and "0.0.0.0"), so a miss just overwrites it. Together they hold at most about 1 MiB of strings.
 */
const PREFIX_SLOTS = 1 << 12;
const prefixKeys = new Int32Array(PREFIX_SLOTS);
const prefixText = new Array<string>(PREFIX_SLOTS).fill('0.0.0.');
const ADDRESS_SLOTS = 1 << 14;
const addressKeys = new Int32Array(ADDRESS_SLOTS);
const addressText = new Array<string>(ADDRESS_SLOTS).fill('0.0.0.0');
const addressSeen = new Int32Array(ADDRESS_SLOTS);

/** The dotted text of the IPv4 address in b[at..at+4). */
function ipv4Text(b: Uint8Array, at: number): string {
  const prefix = (b[at] << 16) | (b[at + 1] << 8) | b[at + 2];
  const address = (prefix << 8) | b[at + 3];
  // Fibonacci hashing: the top bits of the product spread neighbouring keys over the slots.
  const slot = Math.imul(address, 0x9e3779b1) >>> 18;
  if (addressKeys[slot] === address) return addressText[slot];
  const p = Math.imul(prefix, 0x9e3779b1) >>> 20;
  if (prefixKeys[p] !== prefix) {
    prefixKeys[p] = prefix;
    prefixText[p] = DOTTED[b[at]] + DOTTED[b[at + 1]] + DOTTED[b[at + 2]];
  }
  const text = prefixText[p] + DECIMAL[b[at + 3]];
  if (addressSeen[slot] === address) {
    addressKeys[slot] = address;
    addressText[slot] = text;
  } else {
    addressSeen[slot] = address;
  }
  return text;
}

/** A property name for generated object-literal code: an own property, even for `__proto__`. */
export function literalKey(name: string): string {
  return name === '__proto__' ? '["__proto__"]' : JSON.stringify(name);
}

/**
 * Code for `function name(params)` that makes plain objects: after `prelude`, it sets `props`
 * ([name, expression]) as own enumerable properties in that order, and its prototype is
 * Object.prototype, so that `new name(…)` gives what an object literal with those properties
 * gives. Decoders build records with it rather than with a literal because a literal is an
 * allocation site, and V8's allocation-site pretenuring may decide that a site's objects live
 * long: in benchmark runs where it decided so for the records of a 10,000-entry per-CPU map, every
 * later call built its records in the old generation, where only mark-compacts freed them, and
 * took 8.3–12.6× the C dump instead of 1.6–1.9× (docs/maps.md). Objects made by `new` have no
 * allocation site.
 */
export function plainConstructorCode(name: string, params: string, prelude: string, props: readonly (readonly [string, string])[]): string {
  const sets = props.map(([key, expr]) =>
    key === '__proto__'
      ? `Object.defineProperty(this, "__proto__", { value: ${expr}, writable: true, enumerable: true, configurable: true });`
      : `this[${JSON.stringify(key)}] = ${expr};`,
  );
  return `function ${name}(${params}) { ${prelude} ${sets.join(' ')} } ${name}.prototype = Object.prototype;`;
}

/** A constructor of plain objects whose properties `keys` take its arguments, in order (see plainConstructorCode). */
export function plainConstructor<T>(keys: readonly string[]): new (...values: unknown[]) => T {
  const params = keys.map((_, i) => `a${i}`);
  const code = plainConstructorCode('Plain', params.join(', '), '', keys.map((key, i) => [key, params[i]]));
  return new Function(`${code} return Plain;`)() as new (...values: unknown[]) => T;
}

/** `count` consecutive elements `one` bytes apart; readers also get the record's start. */
function readMany(read: Reader, view: DataView, buf: Buffer, at: number, count: number, one: number, record: number): unknown[] {
  const items = new Array<unknown>(count);
  for (let i = 0; i < count; i++) items[i] = (read as (v: DataView, b: Buffer, a: number, r: number) => unknown)(view, buf, at + i * one, record);
  return items;
}

type TypedColumn = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | BigUint64Array | BigInt64Array;
interface TypedColumnClass {
  new (n: number): TypedColumn;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedColumn;
  readonly BYTES_PER_ELEMENT: number;
}
const TYPED_COLUMNS: Record<ScalarType, TypedColumnClass> = {
  u8: Uint8Array, i8: Int8Array, u16: Uint16Array, be16: Uint16Array, i16: Int16Array, u32: Uint32Array, be32: Uint32Array, i32: Int32Array,
  u64: BigUint64Array, be64: BigUint64Array, i64: BigInt64Array,
};

/** Memory of typed columns made with room to grow: only there may a refill write past a column's length. */
const columnRoom = new WeakSet<ArrayBufferLike>();

/**
 * A typed column of `n` elements. Without `previous`, a new array of exactly n. With one of this
 * class (decodeColumns' `into`): itself, or a view of its first n elements, or of n elements of
 * the room it was made with; else new memory with room for a quarter more.
 */
function typedColumn(Class: TypedColumnClass, n: number, previous: unknown): TypedColumn {
  if (previous === undefined) return new Class(n);
  if (previous instanceof Class) {
    const column = previous as TypedColumn;
    if (column.length === n) return column;
    const room = columnRoom.has(column.buffer) ? (column.buffer.byteLength - column.byteOffset) / Class.BYTES_PER_ELEMENT : column.length;
    if (n <= room) return new Class(column.buffer, column.byteOffset, n);
  }
  const memory = new Class(n + (n >>> 2)).buffer;
  columnRoom.add(memory);
  return new Class(memory, 0, n);
}

type ColumnsFiller<L extends LayoutFields> = (bytes: RecordBytes, n: number, stride: number, offset: number, into?: Partial<Columns<L>>) => Columns<L>;

/**
 * One function per layout that fills every column of `n` records, one loop per field. A field
 * that the records' decoder reads inline (8- to 32-bit integers, IPv4 addresses, bool8) gets a
 * loop compiled from that same expression, whose element reads and stores are then of one kind
 * each: through fillColumn's loops, shared by every field, the columns of 10,000 flow keys (two
 * IPv4 addresses, two be16 ports, a u8) took 0.36–0.38 ms, in loops of their own 0.14–0.20 ms.
 * 64-bit integers (copied as 32-bit halves, no bigint) and every other field go through fillColumn.
 */
function compileColumns<L extends LayoutFields>(fields: L, readers: Placed<L, Reader>[]): ColumnsFiller<L> {
  const specs = Object.values(fields);
  const expressions = readExpressions(fields, readers);
  const inline = readers.map(([, off], i) => {
    const spec = specs[i];
    return inlineRead(spec, off) !== undefined && !(typeof spec.type === 'string' && SIZES[spec.type as ScalarType] === 8);
  });
  const fills = readers.map(([, off, read, many, one], i) => {
    if (inline[i]) return undefined;
    const spec = specs[i];
    return (c: RecordBytes, n: number, stride: number, offset: number, previous: unknown) =>
      fillColumn(spec, c, n, stride, offset + off, (at, record) =>
        many === undefined ? read(c.v, c.b, at, record) : readMany(read, c.v, c.b, at, many, one, record), offset, previous);
  });
  const loops = readers.map(([name], i) => {
    const spec = specs[i];
    const into = `into && into[${JSON.stringify(String(name))}]`;
    if (!inline[i]) return `const c${i} = fills[${i}](c, n, stride, offset, ${into});`;
    const make = typeof spec.type === 'string' && spec.type in TYPED_COLUMNS ? `typed(T${i}, n, ${into})` : `plain(n, ${into})`;
    return `const c${i} = ${make}; for (let i = 0, at = offset; i < n; i++, at += stride) c${i}[i] = ${expressions[i][1]};`;
  });
  const classes = specs.map((spec) => (typeof spec.type === 'string' ? TYPED_COLUMNS[spec.type as ScalarType] : undefined));
  const body = `
    return function fillColumns(c, n, stride, offset, into) {
      const ${loadBytes()};
      ${loops.join('\n      ')}
      return new Columns(${readers.map((_, i) => `c${i}`).join(', ')});
    };`;
  const make = new Function('fills', 'typed', 'plain', 'ipv4', 'Columns', ...classes.map((_, i) => `T${i}`), body);
  return make(fills, typedColumn, plainColumn, ipv4Text, plainConstructor(readers.map(([name]) => String(name))), ...classes) as ColumnsFiller<L>;
}

/** An array column of `n` elements: `previous` when it is an array (its length set), else a new one. */
function plainColumn(n: number, previous: unknown): unknown[] {
  const out = Array.isArray(previous) ? previous : new Array<unknown>(n);
  out.length = n;
  return out;
}

/**
 * One column: `n` values of the field at `first`, `first + stride`, …. Plain integers go straight
 * from the DataView into a typed array; 64-bit ones as two 32-bit halves into the typed array's
 * memory (low half first: x86_64 and arm64 are little-endian), so that no bigint is made. Other
 * fields take `read` (the field's reader, given the field's and the record's offsets).
 */
function fillColumn(
  spec: FieldSpec, c: RecordBytes, n: number, stride: number, first: number, read: (at: number, record: number) => unknown, recordStart: number, previous: unknown,
): unknown {
  const { type } = spec;
  const v = c.v;
  const little = spec.endian !== 'big';
  if (!spec.bits && spec.count === undefined && isScalar(type)) {
    const scalar = type as ScalarType;
    const size = SIZES[scalar];
    const big = scalar === 'be16' || scalar === 'be32' || scalar === 'be64' || !little;
    // Little-endian fields on their own alignment, every record: whole elements of the buffer's memory.
    const aligned = !big && (c.o + first) % Math.min(size, 4) === 0 && stride % Math.min(size, 4) === 0;
    const out = typedColumn(TYPED_COLUMNS[scalar], n, previous);
    if (size === 8) {
      const halves = new Uint32Array(out.buffer, out.byteOffset, 2 * n);
      if (aligned) {
        const words = new Uint32Array(c.b.buffer, 0, c.b.buffer.byteLength >>> 2);
        for (let i = 0, w = (c.o + first) >>> 2, step = stride >>> 2; i < n; i++, w += step) {
          halves[2 * i] = words[w];
          halves[2 * i + 1] = words[w + 1];
        }
      } else {
        for (let i = 0, at = first; i < n; i++, at += stride) {
          halves[2 * i] = v.getUint32(big ? at + 4 : at, !big);
          halves[2 * i + 1] = v.getUint32(big ? at : at + 4, !big);
        }
      }
      return out;
    }
    const ints = out as Uint32Array; // any of the 8-, 16- and 32-bit classes: number elements
    if (aligned && size > 1) {
      const units = size === 4 ? new Uint32Array(c.b.buffer, 0, c.b.buffer.byteLength >>> 2) : new Uint16Array(c.b.buffer, 0, c.b.buffer.byteLength >>> 1);
      for (let i = 0, u = (c.o + first) / size, step = stride / size; i < n; i++, u += step) ints[i] = units[u];
      return out;
    }
    const get = scalarReader(scalar, little);
    for (let i = 0, at = first; i < n; i++, at += stride) ints[i] = get(v, c.b, at) as number;
    return out;
  }
  const out = plainColumn(n, previous);
  for (let i = 0, at = first, record = recordStart; i < n; i++, at += stride, record += stride) out[i] = read(at, record);
  return out;
}

/** Declares a layout. `size` defaults to the end of the last field. */
export function defineLayout<L extends LayoutFields>(fields: L, size?: number): Layout<L> {
  return new Layout(fields, size);
}

export function formatMac(b: Buffer | Uint8Array, at = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(b[at + i].toString(16).padStart(2, '0'));
  return parts.join(':');
}

/** RFC 5952: lowercase, leading zeros dropped, the longest run (≥ 2) of zero groups as '::'. */
export function formatIpv6(b: Buffer | Uint8Array, at = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((b[at + 2 * i] << 8) | b[at + 2 * i + 1]);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${ipv4Text(b, at + 12)}`;
  }
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** '10.3.0.115' → its 4 bytes in network order. */
export function parseIpv4(text: string): Buffer {
  const parts = text.split('.');
  const out = Buffer.alloc(4);
  if (parts.length !== 4) throw new TypeError(`not an IPv4 address: '${text}'`);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i]) || Number(parts[i]) > 255) throw new TypeError(`not an IPv4 address: '${text}'`);
    out[i] = Number(parts[i]);
  }
  return out;
}

/** IPv6 text (with '::' and an optional dotted IPv4 tail) → its 16 bytes in network order. */
export function parseIpv6(text: string): Buffer {
  const bad = () => new TypeError(`not an IPv6 address: '${text}'`);
  const halves = text.split('::');
  if (halves.length > 2) throw bad();
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    items.forEach((item, i) => {
      if (i === items.length - 1 && item.includes('.')) {
        const v4 = parseIpv4(item);
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(item)) {
        out.push(parseInt(item, 16));
      } else {
        throw bad();
      }
    });
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) throw bad();
  const all = [...head, ...new Array<number>(Math.max(missing, 0)).fill(0), ...tail];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, 2 * i));
  return out;
}

/** 'aa:bb:cc:dd:ee:ff' (either case) → its 6 bytes. */
export function parseMac(text: string): Buffer {
  const parts = text.split(':');
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) throw new TypeError(`not a MAC address: '${text}'`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}
