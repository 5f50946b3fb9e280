// BPF maps: what `bpftool map show` prints, and open maps: lookups, dumps, polling.
import { BtfDecoders, type BtfTypeTable } from './btf';
import { BpfError, withCallerStack } from './errors';
import { FdOwner } from './handle';
import { Layout, type LayoutFields } from './layout';
import { MAP_IN_MAP, MapDump, type BpftoolEntry, type BtfEntry, type MapBtf, type MapRecord, type MapRecordView, type RawDump } from './map-dump';
import { MapPoller, watchPoller, type MapChanges, type PollSource, type WatchOptions } from './map-watch';
import { native, type NativeFdHandle } from './native';
import { tableRowsOf } from './table';
import { MAP_TYPES, nameOf, PROGRAM_TYPES, type MapTypeName, type ProgramTypeName } from './names';
import { checkBytes, checkId, checkOptions, checkPath, describe } from './validate';

/** One BPF map (struct bpf_map_info plus fdinfo). */
export interface MapInfo {
  id: number;
  /** bpftool's name of the map type (`'hash'`, `'lpm_trie'`, …), or its number if unknown. */
  type: MapTypeName | number;
  name: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** map_flags as a number (BPF_F_NO_PREALLOC = 1, …), as bpftool prints it. */
  flags: number;
  /** The map's BTF object; undefined when the map has no BTF. */
  btfId?: number;
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  /** struct_ops maps: the value's type in vmlinux BTF. */
  btfVmlinuxValueTypeId?: number;
  /** Linux 5.16+ (map_extra; the bloom filter's hash count, the arena's address). */
  mapExtra?: bigint;
  /** Linux 6.9+: the vmlinux/module BTF object of btfVmlinuxValueTypeId. */
  btfVmlinuxId?: number;
  /** From fdinfo (Linux 5.2+). */
  frozen?: boolean;
  /** The kernel's memlock estimate, from fdinfo. */
  bytesMemlock?: bigint;
  offloadIfindex?: number;
  /**
   * prog_array only, once a program uses it (from fdinfo): the type of that program, which every
   * program in the array must share, as bpftool's `owner_prog_type`; undefined before.
   */
  ownerProgType?: ProgramTypeName | number;
  /** prog_array only, with ownerProgType: whether its owner is JIT-compiled (bpftool's `owner_jited`). */
  ownerJited?: boolean;
}

/** Map rows of a native table, with the type's name. */
export const mapsOf = tableRowsOf<MapInfo>(() => native().schemas.map, {
  derive: {
    type: { from: 'type', convert: (n: number) => nameOf(MAP_TYPES, n) },
    ownerProgType: { from: 'ownerProgType', convert: (n: number) => nameOf(PROGRAM_TYPES, n) },
  },
});

/** Every BPF map on the machine, in id order, like `bpftool map show`. Needs CAP_SYS_ADMIN. */
export async function listMaps(): Promise<MapInfo[]> {
  return mapsOf(await withCallerStack(() => native().listMaps()));
}

/** One map by id. Rejects with a BpfError (ENOENT) when no map has that id. */
export async function getMapInfo(id: number): Promise<MapInfo> {
  checkId(id, 'map id');
  return mapsOf(await withCallerStack(() => native().getMapInfo(id)))[0];
}

/** How to name a map for openMap: its id, `{ id }`, a pinned path, or its name (the kernel's, up to 15 characters). */
export type MapRef = number | { id: number } | { pinned: string } | { name: string };

/**
 * Opens a map and returns a handle that owns an fd on it, so the map stays readable (even after
 * its pin is removed) until `close()`. Use `using map = await openMap(…)` or close it yourself;
 * a handle that is garbage-collected is closed then.
 *
 * By name: the map must be the only one with that name (names are cut to 15 characters, as the
 * kernel keeps them). No such map rejects with BpfError ENOENT. A pinned path outside bpffs
 * rejects with BpfError EXDEV, a bpffs directory with EISDIR (the kernel says EACCES to both).
 */
export async function openMap(ref: MapRef): Promise<BpfMap> {
  const target = await resolveRef(ref);
  const raw = await withCallerStack(() => native().openMap(target));
  return new BpfMap(raw.handle, mapsOf(raw.info)[0], raw.possibleCpus, raw.valueStride, raw.perCpu);
}

async function resolveRef(ref: MapRef): Promise<number | string> {
  if (typeof ref === 'number') return checkId(ref, 'map id');
  if (ref === null || typeof ref !== 'object') {
    throw new TypeError(`openMap expects an id, { id }, { pinned } or { name }, got ${describe(ref)}`);
  }
  const options = checkOptions<{ id: number; pinned: string; name: string }>(ref, ['id', 'pinned', 'name'], 'openMap');
  const given = Object.keys(options);
  if (given.length !== 1) throw new TypeError(`openMap expects exactly one of id, pinned, name; got ${given.join(', ') || 'none'}`);
  if (options.id !== undefined) return checkId(options.id, 'map id');
  if (options.pinned !== undefined) return checkPath(options.pinned, 'pinned');
  const name = options.name;
  if (typeof name !== 'string' || name === '') throw new TypeError('map name must be a non-empty string');
  const wanted = name.slice(0, 15);
  const matches = (await listMaps()).filter((m) => m.name === wanted);
  if (matches.length === 0) {
    throw new BpfError({ errno: 2, code: 'ENOENT', op: 'BPF_MAP_GET_NEXT_ID', object: `map named '${wanted}'`, description: 'No map has that name' });
  }
  if (matches.length > 1) {
    throw new RangeError(`${matches.length} maps are named '${wanted}' (ids ${matches.map((m) => m.id).join(', ')}); open one by id`);
  }
  return matches[0].id;
}

/**
 * The memory of map dumps: what dumps hold, and what bpfscope keeps of collected dumps for the next
 * dumps to fill. A dump that is dropped rather than released is freed when V8 collects it, after
 * tens of MiB of them; its buffers are then kept, and the next dump of about that size fills them
 * instead of fresh memory, which the kernel must fault in and zero page by page (in some VMs at
 * the cost of the dump itself). At most 64 MiB is kept, and what no dump takes within 10 seconds
 * is freed.
 */
export interface DumpMemoryStats {
  /** Buffers of collected dumps kept for the next dumps. */
  keptBlocks: number;
  keptBytes: number;
  /** Dump buffers in JS that were not collected yet (a poller's included). */
  lentBlocks: number;
  /** Dumps that filled kept memory, and dumps that found none of their size (since the process started). */
  taken: number;
  missed: number;
  /** Blocks freed: kept too long, too small or too large to keep, or the oldest, to make room for newer ones. */
  freed: number;
}

/**
 * What dump memory is kept and lent now, after freeing what was kept too long. The memory and the
 * counts are the process's: every worker_thread's dumps share them.
 */
export function dumpMemoryStats(): DumpMemoryStats {
  return native().dumpMemory();
}

/**
 * Every 10 seconds while dump memory is kept or lent, frees what no dump took in that time.
 * Unref'd: it never keeps the process alive.
 */
let tidying: ReturnType<typeof setTimeout> | undefined;
function tidyDumpMemory(): void {
  if (tidying) return;
  tidying = setTimeout(() => {
    tidying = undefined;
    const { keptBlocks, lentBlocks } = dumpMemoryStats();
    if (keptBlocks || lentBlocks) tidyDumpMemory();
  }, 10_000).unref();
}

/**
 * Entries the last dump of each map read (by map id, the most recent 256 maps): a dump without
 * buffers to fill looks for kept memory of that size. By map, not by handle: readers such as
 * `cilium.ipcache()` open a new handle for every call.
 */
const lastCounts = new Map<number, number>();
function rememberCount(id: number, count: number): void {
  lastCounts.delete(id);
  lastCounts.set(id, count);
  if (lastCounts.size > 256) lastCounts.delete(lastCounts.keys().next().value as number);
}

/** Options of BpfMap.dump(). */
export interface DumpOptions {
  /** Read with get_next_key + one lookup per key, as bpftool does, instead of batch lookups. */
  iterate?: boolean;
}

/** A map-in-map's dump with, beside each entry, the inner map its value names (BpfMap.dumpInner). */
export interface InnerMapsDump {
  /** The outer map's entries; `dump.id(i)` is the id of entry i's inner map. */
  dump: MapDump;
  /**
   * Entry i's inner map: its info when opened and its entries; undefined if it was freed since the
   * outer dump. An inner map whose entries user space cannot read (a ringbuf, a perf_event_array:
   * per-CPU event streams are a common inner kind) has no `dump`, and `unreadable` says why, as
   * its own dump() would reject.
   */
  inner: ({ info: MapInfo; dump: MapDump } | { info: MapInfo; dump?: undefined; unreadable: string } | undefined)[];
}

/**
 * An open map. It owns an fd (`close()`, `using`, or the garbage collector as a backstop), so it
 * keeps reading the same map even after the map's pin is removed.
 */
export class BpfMap extends FdOwner {
  private btfLoad?: Promise<MapBtf | null>;
  private btfLoaded?: MapBtf | null;
  /** The buffers of the last released dump, for the next dump to fill (see MapDump.release). */
  private spare?: RawDump;

  /** @internal */
  constructor(
    handle: NativeFdHandle,
    /** The map's info when it was opened. */
    readonly info: MapInfo,
    /** Possible CPUs (the number of values per entry of a per-CPU map). */
    readonly possibleCpus: number,
    /** Bytes of one value as lookup() returns it: valueSize, or possibleCpus × round_up(valueSize, 8) for per-CPU maps. */
    readonly valueStride: number,
    /** Whether the map keeps a value per possible CPU. */
    readonly perCpu: boolean,
  ) {
    super(handle);
  }

  /**
   * The value stored under `key` (per-CPU maps: every CPU's value, packed), or undefined. queue
   * and stack maps have no keys: an empty `key` reads the value a pop would take, without taking
   * it (bpftool's `map peek`), or undefined when the map is empty. A bloom filter rejects with the
   * BpfError its dump gives: its kernel lookup tests the value given for membership and returns none.
   */
  async lookup(key: Buffer | Uint8Array): Promise<Buffer | undefined> {
    const bytes = this.checkKey(key);
    if (this.info.type === 'bloom_filter') throw this.bloomLookup();
    return withCallerStack(() => native().mapLookup(this.handle, bytes)).catch(
      (err: unknown) => Promise.reject(this.explain(err, 'read')),
    );
  }

  /**
   * lookup() on the calling thread, for tight polling loops. The value is a slice of Node's Buffer
   * pool, as `Buffer.allocUnsafe()` gives: its `.buffer` is shared (copy it to transfer it).
   */
  lookupSync(key: Buffer | Uint8Array): Buffer | undefined {
    const bytes = this.checkKey(key);
    if (this.info.type === 'bloom_filter') throw this.bloomLookup();
    // Memory from Node's pool, not zeroed: the kernel writes all valueStride bytes of a value it
    // finds (the lookup copies the whole value out; the bloom filter, whose lookup writes nothing,
    // was refused above), and one it does not find is never shown.
    const value = Buffer.allocUnsafe(this.valueStride);
    let found: boolean;
    try {
      found = native().mapLookupInto(this.handle, bytes, value);
    } catch (err) {
      throw this.explain(err, 'read');
    }
    return found ? value : undefined;
  }

  /** Every entry, in packed buffers. */
  dump(options?: DumpOptions): Promise<MapDump>;
  /** Every entry decoded with the map's BTF (bpftool's `formatted`), or bpftool's hex entries when it has none. */
  dump(options: DumpOptions & { format: 'btf' }): Promise<BtfEntry[] | BpftoolEntry[]>;
  /** Every entry as views that decode a field when it is read (see LayoutView; not for per-CPU maps). */
  dump<K extends LayoutFields, V extends LayoutFields>(options: DumpOptions & { key: Layout<K>; value: Layout<V>; views: true }): Promise<MapRecordView<K, V>[]>;
  /** Every entry decoded with user layouts (not for per-CPU maps: use `(await dump()).perCpuRecords(…)`). */
  dump<K extends LayoutFields, V extends LayoutFields>(options: DumpOptions & { key: Layout<K>; value: Layout<V>; views?: false }): Promise<MapRecord<K, V>[]>;
  async dump(options?: DumpOptionsAll): Promise<ShapedDump> {
    const o = checkDumpOptions(options);
    // Both started before the first await, so each owns a dup of the fd before a close() that
    // follows this call; the BTF (read once per handle) loads while the dump runs.
    const raw = withCallerStack(() => this.rawDump(false, this.takeSpare(), o.iterate));
    const [dumped, btf] = await Promise.all([raw, o.format === 'btf' ? this.btf() : this.btfLoaded]);
    return shapeDump(this.ownDump(dumped, btf), o);
  }

  /**
   * dump() on the calling thread, for tight polling loops. In a loop that does not yield to the
   * event loop, release() each dump (or `using`): Node frees a dropped dump's memory only on the
   * loop's next turns, so dropped dumps pile up until it yields.
   */
  dumpSync(options?: DumpOptions): MapDump;
  dumpSync(options: DumpOptions & { format: 'btf' }): BtfEntry[] | BpftoolEntry[];
  dumpSync<K extends LayoutFields, V extends LayoutFields>(options: DumpOptions & { key: Layout<K>; value: Layout<V>; views: true }): MapRecordView<K, V>[];
  dumpSync<K extends LayoutFields, V extends LayoutFields>(options: DumpOptions & { key: Layout<K>; value: Layout<V>; views?: false }): MapRecord<K, V>[];
  dumpSync(options?: DumpOptionsAll): ShapedDump {
    const o = checkDumpOptions(options);
    const btf = o.format === 'btf' ? this.btfSync() : this.btfLoaded;
    return shapeDump(this.ownDump(this.rawDump(true, this.takeSpare(), o.iterate), btf), o);
  }

  /**
   * array_of_maps / hash_of_maps: the dump and, beside each entry, the inner map its value names,
   * opened by id and dumped (bpftool prints only `inner_map_id`). The kernel nests maps one level
   * deep, so an inner map holds no further maps. Inner maps are read one at a time, each opened
   * and closed in turn, so a map of thousands of slots needs one more fd, not thousands. The only
   * option is `iterate`: the dumps are MapDumps, so dump()'s format and layout options would not
   * shape them, and are refused (TypeError).
   */
  async dumpInner(options?: DumpOptions): Promise<InnerMapsDump> {
    if (!MAP_IN_MAP.has(this.info.type)) throw new TypeError(`dumpInner() is for array_of_maps and hash_of_maps; this is a ${String(this.info.type)} map`);
    const { iterate } = checkOptions<DumpOptions>(options, ['iterate'], 'dumpInner');
    const dump = await this.dump({ iterate });
    const inner: InnerMapsDump['inner'] = [];
    for (let i = 0; i < dump.count; i++) {
      let map: BpfMap;
      try {
        map = await openMap(dump.id(i));
      } catch (err) {
        if (err instanceof BpfError && err.code === 'ENOENT') {
          inner.push(undefined); // freed since the outer dump: its slot was emptied or replaced
          continue;
        }
        throw err;
      }
      try {
        inner.push({ info: map.info, dump: await map.dump({ iterate }) });
      } catch (err) {
        const why = err instanceof BpfError ? unreadable(map.info, err.code) : undefined;
        if (why === undefined) throw err;
        inner.push({ info: map.info, unreadable: why });
      } finally {
        map.close();
      }
    }
    return { dump, inner };
  }

  override close(): void {
    this.spare = undefined;
    super.close();
  }

  /** A dump whose release() hands its buffers back to this handle, unless it was closed since. */
  private ownDump(raw: RawDump, btf: MapBtf | null | undefined): MapDump {
    return new MapDump(raw, this.info.type, btf, (buffers) => {
      if (!this.closed) this.spare = buffers;
    });
  }

  /** The released buffers, taken before the dump starts so that two dumps never share them. */
  private takeSpare(): RawDump | undefined {
    const spare = this.spare;
    this.spare = undefined;
    return spare;
  }

  /** The BTF types of the map's key and value, or undefined when the map has none. Read once per handle. */
  async btfTypes(): Promise<BtfTypeTable | undefined> {
    return (await this.btf())?.table;
  }

  /**
   * A function that decodes one entry from its key and value bytes as `dump({ format: 'btf' })`
   * decodes each (bpftool's `formatted`), or into bpftool's hex entry when the map has no BTF: for
   * what lookup() returns and what watch() or a poller reports. The map's BTF is read once per
   * handle, off the main thread; the function then makes no kernel call. Per-CPU maps: `value` is
   * the packed per-CPU block (valueStride bytes). `{ format: 'hex' }`: bpftool's hex entry
   * (`-j map lookup`'s key and value) whether the map has BTF or not.
   */
  entryDecoder(options: { format: 'hex' }): Promise<(key: Buffer | Uint8Array, value: Buffer | Uint8Array) => BpftoolEntry>;
  entryDecoder(options?: { format?: 'btf' }): Promise<(key: Buffer | Uint8Array, value: Buffer | Uint8Array) => BtfEntry | BpftoolEntry>;
  async entryDecoder(options?: { format?: 'btf' | 'hex' }): Promise<(key: Buffer | Uint8Array, value: Buffer | Uint8Array) => BtfEntry | BpftoolEntry> {
    const { format = 'btf' } = checkOptions<{ format: 'btf' | 'hex' }>(options, ['format'], 'entryDecoder');
    if (format !== 'btf' && format !== 'hex') throw new TypeError(`entryDecoder format must be 'btf' or 'hex', got ${describe(format)}`);
    const btf = format === 'btf' ? await this.btf() : undefined;
    const { keySize, valueSize, type } = this.info;
    const { valueStride } = this;
    const cpus = this.perCpu ? this.possibleCpus : 0;
    return (key, value) => {
      const keys = this.checkKey(key);
      const values = bytesOf(value, 'value', valueStride, `map ${this.info.id} has ${valueStride}-byte values as read`);
      const entry = new MapDump({ count: 1, batched: false, keySize, valueSize, valueStride, cpus, keys, values }, type, btf);
      return format === 'hex' ? entry.toJSON()[0] : entry.decode()[0];
    };
  }

  /** A poller: `poll()` dumps synchronously and returns the changes since the previous poll. */
  poller(): MapPoller {
    return new MapPoller({
      rawDump: ((sync: boolean, reuse?: RawDump) => (sync ? this.rawDump(true, reuse) : this.rawDump(false, reuse))) as PollSource['rawDump'],
      wrap: (raw) => new MapDump(raw, this.info.type, this.btfLoaded),
    });
  }

  /**
   * Yields what changed every `intervalMs` (the first tick: every entry, as added) until `signal`
   * aborts or the loop breaks. Buffers are reused between ticks: copy what you keep.
   */
  watch(options: WatchOptions = {}): AsyncGenerator<MapChanges, void, undefined> {
    return watchPoller(this.poller(), options);
  }

  /** @internal */
  rawDump(sync: true, reuse?: RawDump, iterate?: boolean): RawDump;
  rawDump(sync: false, reuse?: RawDump, iterate?: boolean): Promise<RawDump>;
  rawDump(sync: boolean, reuse?: RawDump, iterate = false): RawDump | Promise<RawDump> {
    const dump = () => native().mapDump(this.handle, sync, iterate, reuse?.keys, reuse?.values, lastCounts.get(this.info.id) ?? 0);
    if (sync) {
      try {
        return this.counted(dump() as RawDump);
      } catch (err) {
        throw this.explain(err, 'dumped');
      }
    }
    // Started now, so the task owns a dup of the fd before any later close(); a closed handle
    // throws before a promise exists, and becomes a rejection here.
    let pending: Promise<RawDump>;
    try {
      pending = dump() as Promise<RawDump>;
    } catch (err) {
      return Promise.reject(err);
    }
    return pending.then(
      (raw) => this.counted(raw),
      (err: unknown) => Promise.reject(this.explain(err, 'dumped')),
    );
  }

  /** Remembers how many entries the dump read, the size the map's next dump looks for in kept memory. */
  private counted(raw: RawDump): RawDump {
    rememberCount(this.info.id, raw.count);
    tidyDumpMemory();
    return raw;
  }

  private checkKey(key: unknown): Buffer {
    return bytesOf(key, 'key', this.info.keySize, `map ${this.info.id} has ${this.info.keySize}-byte keys`);
  }

  /**
   * A bloom filter's BPF_MAP_LOOKUP_ELEM takes the value buffer as the element to test and writes
   * nothing back: "found" would hand back the caller's own bytes (lookupSync's: unzeroed pool
   * memory). Refused before the call, as its dump is refused (EOPNOTSUPP, with the same reason).
   */
  private bloomLookup(): unknown {
    const refused = new BpfError({ errno: EOPNOTSUPP, code: 'EOPNOTSUPP', op: 'BPF_MAP_LOOKUP_ELEM', object: `map ${this.info.id}` });
    return this.explain(refused, 'read');
  }

  /**
   * Adds what the kernel's bare errno does not say when it refuses to hand a map's entries to user
   * space: which map types never do, and why (a sockmap's ENOSPC reads "No space left on device").
   */
  private explain(err: unknown, verb: 'dumped' | 'read'): unknown {
    if (!(err instanceof BpfError)) return err;
    const storage = LOCAL_STORAGE.get(this.info.type as MapTypeName);
    if (verb === 'read' && storage && WRONG_FD.has(err.code)) {
      // The bare errno ("Bad file descriptor") says nothing of why a key is an fd at all.
      const { errno, code, op, object, description } = err;
      return new BpfError({ errno, code, op, object, description, detail: `a ${String(this.info.type)} map's key is ${storage.key}: the number of an fd this process holds` });
    }
    const why = unreadable(this.info, err.code);
    if (why === undefined) return err;
    const noun = verb === 'dumped' ? 'maps' : 'map entries';
    return new BpfError({
      errno: err.errno,
      code: err.code,
      op: err.op,
      object: `${err.object} (${String(this.info.type)})`,
      description: `${String(this.info.type)} ${noun} cannot be ${verb}: ${why}`,
    });
  }

  private btf(): Promise<MapBtf | null> {
    this.btfLoad ??= withCallerStack(() => native().mapBtf(this.handle, false) as Promise<RawBtf | undefined>).then(
      (table) => (this.btfLoaded = compileBtf(table)),
    );
    return this.btfLoad;
  }

  private btfSync(): MapBtf | null {
    if (this.btfLoaded === undefined) {
      this.btfLoaded = compileBtf(native().mapBtf(this.handle, true) as RawBtf | undefined);
      this.btfLoad = Promise.resolve(this.btfLoaded);
    }
    return this.btfLoaded;
  }
}

/** What the kernel's get_next_key says to a bloom filter's dump. */
const EOPNOTSUPP = 95;

/** How the kernel refuses to iterate or read a map whose type has no readable entries (ENOTSUPP is its internal 524). */
const REFUSALS: ReadonlySet<string> = new Set(['ENOTSUPP', 'EOPNOTSUPP', 'EINVAL']);

/** Local storage maps: the kernel keeps each value on its owner object, and looks one up by an fd of the caller's. */
const LOCAL_STORAGE: ReadonlyMap<MapTypeName, { owner: string; key: string }> = new Map([
  ['sk_storage', { owner: 'socket', key: "the socket's fd" }],
  ['inode_storage', { owner: 'inode', key: 'an fd of a file of the inode' }],
  ['task_storage', { owner: 'task', key: "the task's pidfd" }],
  ['cgrp_storage', { owner: 'cgroup', key: "an fd of the cgroup's directory" }],
]);

/** What the kernel says to a local storage lookup whose key is no fd of the right kind (ENOTSOCK: a socket's is wanted). */
const WRONG_FD: ReadonlySet<string> = new Set(['EBADF', 'ENOTSOCK']);

/** Map types whose contents are not key/value pairs user space can read, and why. */
const NO_ENTRIES: ReadonlyMap<MapTypeName | number, string> = new Map([
  ['ringbuf', 'a ring buffer is a stream of records, not key/value entries'],
  ['user_ringbuf', 'a ring buffer is a stream of records, not key/value entries'],
  ['queue', 'their values have no keys; lookup() with an empty key reads the next one without removing it'],
  ['stack', 'their values have no keys; lookup() with an empty key reads the top one without removing it'],
  ['bloom_filter', 'a bloom filter answers membership queries and keeps no entries'],
  ['arena', 'an arena is memory mapped into programs and processes, not key/value entries'],
  ['struct_ops', 'the kernel refused to read its struct_ops value'],
  ['perf_event_array', 'their values are perf events, which the kernel does not return to user space'],
  ['cgroup_array', 'their values are cgroups, which the kernel does not return to user space'],
  ['xskmap', 'their values are AF_XDP sockets, which the kernel does not return to user space'],
  ...[...LOCAL_STORAGE].map(([type, { owner, key }]) => [type, `each value lives on its ${owner} and is read with ${key} as the key, not by iteration`] as const),
]);

/** Socket maps: the kernel returns a socket's cookie, and only into an 8-byte value; a 4-byte one gets ENOSPC. */
const SOCKET_MAPS: ReadonlySet<MapTypeName | number> = new Set(['sockmap', 'sockhash', 'reuseport_sockarray']);

/** Why the kernel's error `code` means map `info`'s entries cannot be read from user space, if it does. */
function unreadable(info: MapInfo, code: string): string | undefined {
  if (SOCKET_MAPS.has(info.type) && code === 'ENOSPC' && info.valueSize !== 8) {
    return `the kernel returns socket cookies only into 8-byte values, and this map's are ${info.valueSize} bytes`;
  }
  return REFUSALS.has(code) ? NO_ENTRIES.get(info.type) : undefined;
}

type RawBtf = BtfTypeTable;
type DumpOptionsAll = DumpOptions & { format?: 'btf' | 'raw'; key?: Layout<LayoutFields>; value?: Layout<LayoutFields>; views?: boolean };
type ShapedDump = MapDump | BtfEntry[] | BpftoolEntry[] | MapRecord<LayoutFields, LayoutFields>[] | MapRecordView<LayoutFields, LayoutFields>[];

/** `bytes` as a Buffer over the same memory, when it is a Buffer or Uint8Array of `size` bytes (`sizeRule` says which). */
function bytesOf(bytes: unknown, what: 'key' | 'value', size: number, sizeRule: string): Buffer {
  const buf = checkBytes(bytes, `a map ${what}`);
  if (buf.length !== size) throw new RangeError(`${sizeRule}; got ${buf.length} bytes`);
  return buf;
}

function compileBtf(table: RawBtf | undefined): MapBtf | null {
  if (!table) return null;
  return { table, decoders: new BtfDecoders(table), keyTypeId: table.keyTypeId, valueTypeId: table.valueTypeId };
}

function released<T>(dump: MapDump, result: T): T {
  dump.release();
  return result;
}

function checkDumpOptions(options: unknown): DumpOptionsAll {
  const o = checkOptions<DumpOptionsAll>(options, ['iterate', 'format', 'key', 'value', 'views'], 'dump');
  if (o.format !== undefined && o.format !== 'btf' && o.format !== 'raw') throw new TypeError(`dump format must be 'btf' or 'raw', got ${describe(o.format)}`);
  if ((o.key === undefined) !== (o.value === undefined)) throw new TypeError('dump needs both a key and a value layout');
  if (o.key !== undefined && (!(o.key instanceof Layout) || !(o.value instanceof Layout))) throw new TypeError('dump key/value must be layouts from defineLayout()');
  if (o.key !== undefined && o.format === 'btf') throw new TypeError("dump: choose either format: 'btf' or key/value layouts");
  // The addon reads booleans without coercion: `iterate: 1` or 'yes' would quietly be a batched dump.
  for (const flag of ['iterate', 'views'] as const) {
    if (o[flag] !== undefined && typeof o[flag] !== 'boolean') throw new TypeError(`dump ${flag} must be a boolean, got ${describe(o[flag])}`);
  }
  if (o.views && o.key === undefined) throw new TypeError('dump views need key and value layouts');
  return o;
}

function shapeDump(dump: MapDump, o: DumpOptionsAll): ShapedDump {
  // BTF values and records copy every byte out, so the buffers can go to the next dump at once;
  // views and { bytes } fields keep pointing into them.
  if (o.format === 'btf') return released(dump, dump.decode());
  if (o.key && o.value) {
    if (o.views) return dump.recordViews(o.key, o.value);
    const records = dump.records(o.key, o.value);
    return o.key.holdsBufferViews || o.value.holdsBufferViews ? records : released(dump, records);
  }
  return dump;
}
