// The contents of a map at one moment: every key in one packed Buffer, every value in another,
// with views, bpftool's JSON shape, user layouts and BTF decoding on top of the same bytes.
import type { BtfDecoders, BtfTypeTable, BtfValue } from './btf';
import { plainConstructor, recordBytes, type Columns, type Decoded, type Layout, type LayoutFields, type LayoutView, type RecordBytes, type ViewConstructor } from './layout';
import { disposeSymbol } from './handle';
import type { MapTypeName } from './names';

/** The addon's dump result (native/maps.cc DumpTask). */
export interface RawDump {
  count: number;
  batched: boolean;
  keySize: number;
  valueSize: number;
  valueStride: number;
  /** Possible CPUs for per-CPU maps, 0 otherwise. */
  cpus: number;
  /** At least count × keySize bytes (a reused or over-reserved buffer can be longer). */
  keys: Buffer;
  values: Buffer;
}

/** One entry as views into a dump's buffers (no copy). */
export interface MapEntry {
  key: Buffer;
  /** Per-CPU maps: every CPU's value, each padded to 8 bytes. */
  value: Buffer;
}

/** One entry of bpftool's `-j map dump` output. */
export type BpftoolEntry =
  | { key: string[]; value: string[]; inner_map_id?: number }
  | { key: string[]; values: { cpu: number; value: string[] }[] };

/** One entry decoded with the map's BTF, shaped like bpftool's `formatted` object. */
export type BtfEntry =
  | { key?: BtfValue; value: BtfValue }
  | { key?: BtfValue; values: { cpu: number; value: BtfValue }[] };

/** One entry decoded with user layouts. */
export interface MapRecord<K extends LayoutFields, V extends LayoutFields> {
  key: Decoded<K>;
  value: Decoded<V>;
}
/** One per-CPU entry decoded with user layouts: one value per possible CPU. */
export interface PerCpuMapRecord<K extends LayoutFields, V extends LayoutFields> {
  key: Decoded<K>;
  values: Decoded<V>[];
}
/**
 * One entry read in place with user layouts: a single small object per entry, whose `key` and
 * `value` are views made when read (see LayoutView), each field decoded when read. `toObject()`
 * gives the MapRecord.
 */
export interface MapRecordView<K extends LayoutFields, V extends LayoutFields> {
  readonly key: LayoutView<K>;
  readonly value: LayoutView<V>;
  toObject(): MapRecord<K, V>;
  toJSON(): MapRecord<K, V>;
}
/** One per-CPU entry read in place: `values` holds one view per possible CPU. */
export interface PerCpuMapRecordView<K extends LayoutFields, V extends LayoutFields> {
  readonly key: LayoutView<K>;
  readonly values: LayoutView<V>[];
  toObject(): PerCpuMapRecord<K, V>;
  toJSON(): PerCpuMapRecord<K, V>;
}

/** What the record views of one dump share: the buffers and the layouts' view classes. */
interface ViewSource {
  KeyView: ViewConstructor<LayoutFields>;
  ValueView: ViewConstructor<LayoutFields>;
  keys: RecordBytes;
  keySize: number;
  values: RecordBytes;
  valueStride: number;
  /** Per-CPU maps: possible CPUs and the bytes between their slots. */
  cpus?: number;
  slot: number;
}

// A record view's state, under keys no layout field can take.
const SOURCE = Symbol('record view source');
const INDEX = Symbol('record view index');

/** An entry of a dump as views: its source and index, nothing else until a field is read. */
class RecordView {
  declare private [SOURCE]: ViewSource;
  declare private [INDEX]: number;

  constructor(source: ViewSource, index: number) {
    this[SOURCE] = source;
    this[INDEX] = index;
  }

  get key(): LayoutView<LayoutFields> {
    const s = this[SOURCE];
    return new s.KeyView(s.keys, this[INDEX] * s.keySize);
  }

  /** The value's view; undefined for per-CPU maps (see values). */
  get value(): LayoutView<LayoutFields> | undefined {
    const s = this[SOURCE];
    if (s.cpus !== undefined) return undefined;
    return new s.ValueView(s.values, this[INDEX] * s.valueStride);
  }

  /** Per-CPU maps: one value view per possible CPU; undefined for the others. */
  get values(): LayoutView<LayoutFields>[] | undefined {
    const s = this[SOURCE];
    if (s.cpus === undefined) return undefined;
    const out = new Array<LayoutView<LayoutFields>>(s.cpus!);
    for (let c = 0; c < s.cpus!; c++) out[c] = new s.ValueView(s.values, this[INDEX] * s.valueStride + c * s.slot);
    return out;
  }

  toObject(): MapRecord<LayoutFields, LayoutFields> | PerCpuMapRecord<LayoutFields, LayoutFields> {
    const key = this.key.toObject();
    return this[SOURCE].cpus === undefined ? { key, value: this.value!.toObject() } : { key, values: this.values!.map((v) => v.toObject()) };
  }

  toJSON(): MapRecord<LayoutFields, LayoutFields> | PerCpuMapRecord<LayoutFields, LayoutFields> {
    return this.toObject();
  }

  [Symbol.for('nodejs.util.inspect.custom')](): unknown {
    return this.toObject();
  }
}

/**
 * The views of a dump's entries, made one per step. A class rather than a generator, and one view
 * class for both kinds of map rather than a subclass each: `new RecordView` with a constant class
 * is an allocation V8 compiles inline, a constructor read from a field goes through a generic stub.
 */
class RecordViewIterator implements IterableIterator<RecordView> {
  private index = 0;

  constructor(
    private readonly source: ViewSource,
    private readonly count: number,
  ) {}

  next(): IteratorResult<RecordView> {
    if (this.index >= this.count) return { value: undefined, done: true };
    return { value: new RecordView(this.source, this.index++), done: false };
  }

  [Symbol.iterator](): this {
    return this;
  }
}

/** A map's BTF, compiled: decoders and the key and value type ids. */
export interface MapBtf {
  table: BtfTypeTable;
  decoders: BtfDecoders;
  keyTypeId?: number;
  valueTypeId: number;
}

const HEX = Array.from({ length: 256 }, (_, i) => `0x${i.toString(16).padStart(2, '0')}`);

function hexBytes(b: Buffer, from: number, length: number): string[] {
  const out = new Array<string>(length);
  for (let i = 0; i < length; i++) out[i] = HEX[b[from + i]];
  return out;
}

// The decoded entries' objects, plain but made without an allocation site (layout.ts plainConstructorCode).
const KeyValue = plainConstructor<object>(['key', 'value']);
const KeyValues = plainConstructor<object>(['key', 'values']);
const ValueOnly = plainConstructor<object>(['value']);
const ValuesOnly = plainConstructor<object>(['values']);
const CpuValue = plainConstructor<{ cpu: number; value: BtfValue }>(['cpu', 'value']);

/** What a released dump's keys and values become. */
const EMPTY = Buffer.alloc(0);
/** Maps whose values are inner map ids (array_of_maps, hash_of_maps). */
export const MAP_IN_MAP: ReadonlySet<MapTypeName | number> = new Set(['array_of_maps', 'hash_of_maps']);
const ID_VALUED: ReadonlySet<MapTypeName | number> = new Set(['array_of_maps', 'hash_of_maps', 'prog_array']);

/**
 * A map's entries. `keys` holds `count` keys of `keySize` bytes back to back, `values` the values
 * every `valueStride` bytes: one allocation each, whatever the count. For per-CPU maps a value is
 * `cpus` slots of round_up(valueSize, 8) bytes (CPU-major), as the kernel returns it.
 *
 * A dump from `BpfMap.dump()` owns its buffers until release() hands them to the handle's next
 * dump. One handed out by a poller or `watch()` shares them with the poller, and is overwritten
 * two ticks later: copy what you keep.
 */
export class MapDump implements Iterable<MapEntry> {
  readonly count: number;
  readonly keys: Buffer;
  readonly values: Buffer;
  readonly keySize: number;
  readonly valueSize: number;
  /** Bytes per entry in `values`: valueSize, or cpus × round_up(valueSize, 8) for per-CPU maps. */
  readonly valueStride: number;
  /** Possible CPUs of a per-CPU map; undefined for other maps. */
  readonly cpus?: number;
  /** Whether the kernel's batch lookup read the map (else get_next_key + lookup, as bpftool does). */
  readonly batched: boolean;

  /** The whole buffers the dump was read into (they can be longer than keys/values), until release(). */
  private raw?: RawDump;

  /** @internal */
  constructor(
    raw: RawDump,
    /** The map's type, as in its MapInfo. */
    readonly type: MapTypeName | number,
    /** @internal The map's BTF decoders; null when the map has no BTF; undefined when not loaded. */
    private readonly btf?: MapBtf | null,
    /** @internal Takes the buffers back at release(), for the next dump of the same map to fill. */
    private readonly recycle?: (raw: RawDump) => void,
  ) {
    this.raw = raw;
    this.count = raw.count;
    this.keySize = raw.keySize;
    this.valueSize = raw.valueSize;
    this.valueStride = raw.valueStride;
    if (raw.cpus) this.cpus = raw.cpus;
    this.batched = raw.batched;
    this.keys = raw.keys.subarray(0, raw.count * raw.keySize);
    this.values = raw.values.subarray(0, raw.count * raw.valueStride);
  }

  /**
   * Hands the dump's buffers back to the map handle it came from: its next dump() or dumpSync()
   * fills them in place. Dropping a dump instead leaves them to the garbage collector, which
   * frees them in batches (tens of MiB of dumps at a time), so every dump gets fresh pages that
   * the kernel must first fault in and zero, and memory swings by that much; a released dump's
   * buffers cost neither. `using dump = await map.dump()` releases at the end of the block.
   *
   * Afterwards the dump is empty (count 0), and Buffers, record views and iterators taken from it
   * read whatever the next dump writes there: copy what you keep. A handle holds the buffers of
   * one released dump until its next dump or close(). Releasing twice does nothing, and so does
   * releasing a dump from a poller or watch(), whose buffers are the poller's.
   */
  release(): void {
    const raw = this.raw;
    if (raw === undefined || this.recycle === undefined) return;
    this.raw = undefined;
    const self = this as { count: number; keys: Buffer; values: Buffer };
    self.count = 0;
    self.keys = self.values = EMPTY;
    this.recycle(raw);
  }

  [disposeSymbol](): void {
    this.release();
  }

  private check(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) {
      throw new RangeError(`entry index must be an integer in 0..${this.count - 1}, got ${i}`);
    }
    return i;
  }

  /** The key of entry `i`: a view, no copy. */
  key(i: number): Buffer {
    const at = this.check(i) * this.keySize;
    return this.keys.subarray(at, at + this.keySize);
  }

  /** The value of entry `i`: a view; for per-CPU maps the whole per-CPU block. */
  value(i: number): Buffer {
    const at = this.check(i) * this.valueStride;
    return this.values.subarray(at, at + this.valueStride);
  }

  /** Per-CPU maps: the value of entry `i` on each possible CPU (views of valueSize bytes). */
  cpuValues(i: number): Buffer[] {
    if (this.cpus === undefined) throw new TypeError(`cpuValues() is for per-CPU maps; this is a ${String(this.type)} map`);
    const at = this.check(i) * this.valueStride;
    const slot = this.valueStride / this.cpus;
    const out = new Array<Buffer>(this.cpus);
    for (let c = 0; c < this.cpus; c++) out[c] = this.values.subarray(at + c * slot, at + c * slot + this.valueSize);
    return out;
  }

  /** prog_array: the program id in slot `i`; array_of_maps/hash_of_maps: the inner map's id. */
  id(i: number): number {
    if (!ID_VALUED.has(this.type)) throw new TypeError(`id() is for prog_array and map-in-map maps; this is a ${String(this.type)} map`);
    return this.values.readUInt32LE(this.check(i) * this.valueStride);
  }

  *[Symbol.iterator](): IterableIterator<MapEntry> {
    for (let i = 0; i < this.count; i++) yield { key: this.key(i), value: this.value(i) };
  }

  /** bpftool's `-j map dump` array: bytes as "0x.." strings, per-CPU values per CPU, inner map ids. */
  toJSON(): BpftoolEntry[] {
    const out = new Array<BpftoolEntry>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.bpftoolEntry(i);
    return out;
  }

  private bpftoolEntry(i: number): BpftoolEntry {
    const key = hexBytes(this.keys, i * this.keySize, this.keySize);
    const at = i * this.valueStride;
    if (this.cpus !== undefined) {
      const slot = this.valueStride / this.cpus;
      const values = new Array<{ cpu: number; value: string[] }>(this.cpus);
      for (let c = 0; c < this.cpus; c++) values[c] = { cpu: c, value: hexBytes(this.values, at + c * slot, this.valueSize) };
      return { key, values };
    }
    const entry: { key: string[]; value: string[]; inner_map_id?: number } = { key, value: hexBytes(this.values, at, this.valueSize) };
    if (MAP_IN_MAP.has(this.type)) entry.inner_map_id = this.values.readUInt32LE(at);
    return entry;
  }

  /**
   * Every entry decoded with the map's BTF (bpftool's `formatted` meaning). A map without BTF
   * gives bpftool's hex entries instead. `BpfMap.dump({ format: 'btf' })` is the short way.
   */
  decode(): BtfEntry[] | BpftoolEntry[] {
    if (this.btf === undefined) throw new Error("this dump was taken without the map's BTF: use map.dump({ format: 'btf' })");
    if (this.btf === null) return this.toJSON();
    const { decoders, keyTypeId, valueTypeId } = this.btf;
    const readKey = keyTypeId ? decoders.get(keyTypeId) : undefined;
    const readValue = decoders.get(valueTypeId);
    const keyView = new DataView(this.keys.buffer, this.keys.byteOffset, this.keys.byteLength);
    const valueView = new DataView(this.values.buffer, this.values.byteOffset, this.values.byteLength);
    const out = new Array<BtfEntry>(this.count);
    const slot = this.cpus === undefined ? 0 : this.valueStride / this.cpus;
    for (let i = 0; i < this.count; i++) {
      const at = i * this.valueStride;
      // bpftool puts the key first; keep that order for readers of the JSON.
      const key = readKey?.(keyView, this.keys, i * this.keySize);
      if (this.cpus === undefined) {
        const value = readValue(valueView, this.values, at);
        out[i] = (readKey ? new KeyValue(key, value) : new ValueOnly(value)) as BtfEntry;
      } else {
        const values = new Array<{ cpu: number; value: BtfValue }>(this.cpus);
        for (let c = 0; c < this.cpus; c++) values[c] = new CpuValue(c, readValue(valueView, this.values, at + c * slot));
        out[i] = (readKey ? new KeyValues(key, values) : new ValuesOnly(values)) as BtfEntry;
      }
    }
    return out;
  }

  /**
   * Every entry decoded with user layouts, read from the packed buffers. Not for per-CPU maps (see
   * perCpuRecords). Each entry's key, value and record are built one after the other, with no
   * array of keys or values on the side: a million-entry dump decodes in about 15% less time
   * than when all keys came first, and each record's parts sit together in memory.
   */
  records<K extends LayoutFields, V extends LayoutFields>(key: Layout<K>, value: Layout<V>): MapRecord<K, V>[] {
    this.checkLayouts(key, value, false);
    const decodeKey = key.recordDecoder(), decodeValue = value.recordDecoder();
    const keys = recordBytes(this.keys), values = recordBytes(this.values);
    const { keySize, valueStride } = this;
    const out = new Array<MapRecord<K, V>>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = new KeyValue(decodeKey(keys, i * keySize), decodeValue(values, i * valueStride)) as MapRecord<K, V>;
    return out;
  }

  /** Per-CPU maps: every entry decoded with user layouts, one value per possible CPU. */
  perCpuRecords<K extends LayoutFields, V extends LayoutFields>(key: Layout<K>, value: Layout<V>): PerCpuMapRecord<K, V>[] {
    this.checkLayouts(key, value, true);
    const cpus = this.cpus!;
    const decodeKey = key.recordDecoder(), decodeValue = value.recordDecoder();
    const keys = recordBytes(this.keys), values = recordBytes(this.values);
    const { keySize, valueStride } = this;
    const slot = valueStride / cpus;
    const out = new Array<PerCpuMapRecord<K, V>>(this.count);
    for (let i = 0; i < this.count; i++) {
      const perCpu = new Array<Decoded<V>>(cpus);
      for (let c = 0; c < cpus; c++) perCpu[c] = decodeValue(values, i * valueStride + c * slot);
      out[i] = new KeyValues(decodeKey(keys, i * keySize), perCpu) as PerCpuMapRecord<K, V>;
    }
    return out;
  }

  /**
   * Every entry as a view into the packed buffers (see MapRecordView): one small object per
   * entry, nothing decoded until a field is read. Reading every field of a 100,000-entry flow
   * table this way takes about half the time records() does, whose decoded values all stay alive
   * at once; iterateRecords() halves it again. Not for per-CPU maps (see perCpuRecordViews).
   */
  recordViews<K extends LayoutFields, V extends LayoutFields>(key: Layout<K>, value: Layout<V>): MapRecordView<K, V>[] {
    this.checkLayouts(key, value, false);
    return this.views(key, value) as unknown as MapRecordView<K, V>[];
  }

  /** Per-CPU maps: every entry as a view, with one value view per possible CPU. */
  perCpuRecordViews<K extends LayoutFields, V extends LayoutFields>(key: Layout<K>, value: Layout<V>): PerCpuMapRecordView<K, V>[] {
    this.checkLayouts(key, value, true);
    return this.views(key, value) as unknown as PerCpuMapRecordView<K, V>[];
  }

  /**
   * Every entry as a view, one at a time: the same views as recordViews(), made as the loop asks
   * for them. Nothing but the view in hand is alive, so going through a large dump costs no
   * garbage-collector work for the entries already passed (about half the time of recordViews()
   * when every field is read). Not for per-CPU maps (see iteratePerCpuRecords).
   */
  iterateRecords<K extends LayoutFields, V extends LayoutFields>(key: Layout<K>, value: Layout<V>): IterableIterator<MapRecordView<K, V>> {
    this.checkLayouts(key, value, false);
    return new RecordViewIterator(this.viewSource(key, value), this.count) as unknown as IterableIterator<MapRecordView<K, V>>;
  }

  /** Per-CPU maps: every entry as a view, one at a time. */
  iteratePerCpuRecords<K extends LayoutFields, V extends LayoutFields>(key: Layout<K>, value: Layout<V>): IterableIterator<PerCpuMapRecordView<K, V>> {
    this.checkLayouts(key, value, true);
    return new RecordViewIterator(this.viewSource(key, value), this.count) as unknown as IterableIterator<PerCpuMapRecordView<K, V>>;
  }

  /**
   * Every entry's fields as columns (see Layout.decodeColumns): `key` and `value` hold one array
   * per field, entry i at index i; plain integers in typed arrays, u64 without a bigint per entry.
   * Per-CPU maps: the value columns hold count × cpus rows, entry i's value on CPU c at
   * i × cpus + c. The columns are copies: the dump can be released at once.
   *
   * `into`: what an earlier call returned, whose arrays this call fills again instead of making
   * new ones (see Layout.decodeColumns): a loop that decodes every tick then allocates no column
   * while the map does not grow past the room its columns were made with.
   */
  columns<K extends LayoutFields, V extends LayoutFields>(
    key: Layout<K>, value: Layout<V>, into?: { key: Partial<Columns<K>>; value: Partial<Columns<V>> },
  ): { count: number; key: Columns<K>; value: Columns<V> } {
    this.checkLayouts(key, value);
    const cpus = this.cpus ?? 1;
    return {
      count: this.count,
      key: key.decodeColumns(this.keys, this.count, this.keySize, 0, into?.key),
      value: value.decodeColumns(this.values, this.count * cpus, this.valueStride / cpus, 0, into?.value),
    };
  }

  private views(key: { viewClass(): unknown }, value: { viewClass(): unknown }): RecordView[] {
    const source = this.viewSource(key, value);
    const out = new Array<RecordView>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = new RecordView(source, i);
    return out;
  }

  private viewSource(key: { viewClass(): unknown }, value: { viewClass(): unknown }): ViewSource {
    return {
      KeyView: key.viewClass() as ViewConstructor<LayoutFields>,
      ValueView: value.viewClass() as ViewConstructor<LayoutFields>,
      keys: recordBytes(this.keys),
      keySize: this.keySize,
      values: recordBytes(this.values),
      valueStride: this.valueStride,
      cpus: this.cpus,
      slot: this.cpus === undefined ? 0 : this.valueStride / this.cpus,
    };
  }

  /** Checks the layouts against the map's sizes and, when `perCpu` is given, against its kind. */
  private checkLayouts(key: { size: number }, value: { size: number }, perCpu?: boolean): void {
    if (perCpu === true && this.cpus === undefined) throw new TypeError('per-CPU records are for per-CPU maps: use records() or recordViews()');
    if (perCpu === false && this.cpus !== undefined) throw new TypeError('records of a per-CPU map: use perCpuRecords() or perCpuRecordViews()');
    if (key.size > this.keySize) throw new RangeError(`the key layout is ${key.size} bytes; this map's keys are ${this.keySize}`);
    if (value.size > this.valueSize) throw new RangeError(`the value layout is ${value.size} bytes; this map's values are ${this.valueSize}`);
  }
}
