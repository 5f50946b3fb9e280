// Real kernel objects for tests and the demo: programs from raw instructions, maps, BTF,
// tcx links, pins and private bpffs mounts. Each object is a handle that owns its fd.
import { existsSync, readFileSync } from 'node:fs';
import { withCallerStack } from '../errors';
import { closedError, FdOwner } from '../handle';
import { native, type NativeFdHandle } from '../native';
import { ATTACH_TYPES, MAP_TYPES, PROGRAM_TYPES, valueOf, type AttachTypeName, type MapTypeName, type ProgramTypeName } from '../names';
import { checkOptions, describe } from '../validate';

/** A kernel object created by this module. Closing drops the fd; unpinned objects then go away. */
export class KernelObject extends FdOwner {
  constructor(
    /** 'perf event': a perf event's own fd (openPerfEvent), which has no id. */
    readonly kind: 'program' | 'map' | 'link' | 'btf' | 'perf event',
    /** The native handle, which the other fixtures take. */
    override readonly handle: NativeFdHandle,
  ) {
    super(handle);
  }
  /** The object's id, read from /proc/self/fdinfo (prog_id, map_id, link_id or btf_id). */
  get id(): number {
    // Closed, the fd is -1: reading /proc/self/fdinfo/-1 failed with a bare ENOENT.
    if (this.closed) throw closedError(`${this.kind} handle`);
    if (this.kind === 'perf event') throw new Error('a perf event has no id: it is a perf object, not a BPF one');
    const key = { program: 'prog_id', map: 'map_id', link: 'link_id', btf: 'btf_id' }[this.kind];
    const text = readFileSync(`/proc/self/fdinfo/${this.handle.fd}`, 'utf8');
    const m = new RegExp(`^${key}:\\s*(\\d+)`, 'm').exec(text);
    if (!m) throw new Error(`no ${key} in fdinfo of fd ${this.handle.fd}`);
    return Number(m[1]);
  }
  get fd(): number {
    return this.handle.fd;
  }
}

/** One 8-byte BPF instruction. */
export function insn(code: number, dst: number, src: number, off: number, imm: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(code, 0);
  b.writeUInt8((src << 4) | (dst & 0xf), 1);
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm, 4);
  return b;
}

/** `r<dst> = &maps[index]` (BPF_LD_IMM64 with BPF_PSEUDO_MAP_IDX): a reference to one of loadProgram's `maps`. */
export function mapInsns(index: number, dst = 1): Buffer {
  return Buffer.concat([insn(0x18 /* BPF_LD|BPF_IMM|BPF_DW */, dst, 5 /* BPF_PSEUDO_MAP_IDX */, 0, index), insn(0, 0, 0, 0, 0)]);
}

/** `r0 = value; exit`: the smallest valid program of any type. */
export function returnInsns(value = 0): Buffer {
  return Buffer.concat([insn(0xb7 /* BPF_ALU64|BPF_MOV|BPF_K */, 0, 0, 0, value), insn(0x95 /* BPF_JMP|BPF_EXIT */, 0, 0, 0, 0)]);
}

/** A BTF type for loadBtf; ids are positions + 1. See native/fixtures.cc for the shapes. */
export type BtfTypeSpec = Record<string, unknown> & { kind: string };

export async function loadBtf(types: BtfTypeSpec[]): Promise<KernelObject> {
  return new KernelObject('btf', await withCallerStack(() => native().fixtures.loadBtf(types)));
}

/**
 * The same types as raw BTF bytes, loaded nowhere: BTF the kernel would refuse, for a file. With
 * `base` (raw BTF bytes, such as /sys/kernel/btf/vmlinux's), split BTF on it, as a module's is:
 * the types' ids go on from the base's last, and ids up to it name the base's types.
 */
export function encodeBtf(types: BtfTypeSpec[], options: { base?: Buffer } = {}): Buffer {
  return native().fixtures.encodeBtf(types, options.base);
}

export interface LoadProgramOptions {
  type?: ProgramTypeName;
  /** The program's name. Longer than 15 characters: the kernel keeps 15, BTF func_info (added here) the rest. */
  name?: string;
  insns?: Buffer;
  license?: string;
  expectedAttachType?: string;
  /** Attach BTF func_info naming the program (default: when the name is longer than 15 characters). */
  withBtf?: boolean;
  /** Maps the instructions name by index (see mapInsns; Linux 5.14+): the program then uses them. */
  maps?: KernelObject[];
}

export async function loadProgram(options: LoadProgramOptions = {}): Promise<KernelObject> {
  checkOptions(options, ['type', 'name', 'insns', 'license', 'expectedAttachType', 'withBtf', 'maps'], 'loadProgram');
  const type = valueOf(PROGRAM_TYPES, options.type ?? 'sched_cls');
  if (type < 0) throw new RangeError(`unknown program type ${options.type}`);
  const name = options.name ?? '';
  const withBtf = options.withBtf ?? name.length > 15;
  let btf: KernelObject | undefined;
  let funcInfo: Buffer | undefined;
  if (withBtf) {
    // int (1), func_proto returning int (2), func named like the program (3).
    btf = await loadBtf([
      { kind: 'int', name: 'int', size: 4, signed: true },
      { kind: 'func_proto', ret: 1, params: [{ name: 'ctx', type: 4 }] },
      { kind: 'func', name, type: 2 },
      { kind: 'ptr', type: 0 },
    ]);
    funcInfo = Buffer.alloc(8);
    funcInfo.writeUInt32LE(0, 0); // insn_off
    funcInfo.writeUInt32LE(3, 4); // type_id of the FUNC
  }
  try {
    const attach = options.expectedAttachType ? valueOf(ATTACH_TYPES, options.expectedAttachType) : 0;
    const handle = await withCallerStack(() =>
      native().fixtures.loadProgram({
        type,
        name: name.slice(0, 15),
        insns: options.insns ?? returnInsns(0),
        license: options.license ?? 'GPL',
        expectedAttachType: attach,
        btf: btf?.handle,
        funcInfo,
        maps: options.maps?.map((m) => m.handle),
      }),
    );
    return new KernelObject('program', handle);
  } finally {
    btf?.close(); // the program keeps its own reference to the BTF
  }
}

/**
 * Loads every program of a BPF ELF object file (`clang -O2 -g -target bpf -c`) as an application
 * loading it with libbpf would: its maps made, relocations applied, its BTF with the functions'
 * prototypes and source lines. Returns the programs by name; the maps stay while a program uses them.
 */
export async function loadObject(path: string): Promise<Record<string, KernelObject>> {
  const handles = await withCallerStack(() => native().fixtures.loadObject(path));
  return Object.fromEntries(Object.entries(handles).map(([name, handle]) => [name, new KernelObject('program', handle)]));
}

export interface CreateMapOptions {
  type: MapTypeName;
  name?: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  /** BTF for the key and value: a type list, and the ids of the key and value types in it. */
  btf?: { types: BtfTypeSpec[]; keyTypeId: number; valueTypeId: number };
  /**
   * For struct_ops: the id in vmlinux BTF of the value type (`bpf_struct_ops_<name>`), whose size
   * valueSize must be, with a `btf` (the kernel wants one) whose key and value type ids are 0. The
   * map is created without programs, its value zeroed (state INIT).
   */
  btfVmlinuxValueTypeId?: number;
  /** For array_of_maps/hash_of_maps: a map of the inner kind. */
  innerMap?: KernelObject;
  /**
   * map_extra, a u64 (a bloom filter's hash count, an arena's address): a bigint, as MapInfo's
   * `mapExtra` reads it, or a safe integer.
   */
  mapExtra?: bigint | number;
}

/** map_extra as the u64 the addon takes: a bigint in 0..2^64-1 or a non-negative safe integer. */
function mapExtraOf(value: unknown): bigint {
  if (value === undefined) return 0n;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'bigint' && value >= 0n && value <= 0xffff_ffff_ffff_ffffn) return value;
  if (typeof value === 'number' || typeof value === 'bigint') throw new RangeError(`createMap: mapExtra must be a u64, got ${String(value)}`);
  throw new TypeError(`createMap: mapExtra must be a bigint or a number, got ${describe(value)}`);
}

export async function createMap(options: CreateMapOptions): Promise<KernelObject> {
  checkOptions(options, ['type', 'name', 'keySize', 'valueSize', 'maxEntries', 'flags', 'btf', 'btfVmlinuxValueTypeId', 'innerMap', 'mapExtra'], 'createMap');
  const type = valueOf(MAP_TYPES, options.type);
  if (type < 0) throw new RangeError(`unknown map type ${options.type}`);
  const mapExtra = mapExtraOf(options.mapExtra);
  const btf = options.btf ? await loadBtf(options.btf.types) : undefined;
  try {
    const handle = await withCallerStack(() =>
      native().fixtures.createMap({
        type,
        name: options.name ?? '',
        keySize: options.keySize,
        valueSize: options.valueSize,
        maxEntries: options.maxEntries,
        flags: options.flags ?? 0,
        btf: btf?.handle,
        btfKeyTypeId: options.btf?.keyTypeId ?? 0,
        btfValueTypeId: options.btf?.valueTypeId ?? 0,
        btfVmlinuxValueTypeId: options.btfVmlinuxValueTypeId ?? 0,
        innerMap: options.innerMap?.handle,
        mapExtra,
      }),
    );
    return new KernelObject('map', handle);
  } finally {
    btf?.close();
  }
}

/** BPF_MAP_UPDATE_ELEM (flags: 0 any, 1 BPF_NOEXIST, 2 BPF_EXIST). */
export async function updateElem(map: KernelObject, key: Buffer, value: Buffer, flags = 0): Promise<void> {
  await withCallerStack(() => native().fixtures.updateElem(map.handle, key, value, flags));
}

/** BPF_MAP_UPDATE_BATCH: `count` records from packed key and value buffers (fills big maps fast). */
export async function updateBatch(map: KernelObject, keys: Buffer, values: Buffer, count: number, flags = 0): Promise<void> {
  await withCallerStack(() => native().fixtures.updateBatch(map.handle, keys, values, count, flags));
}

/** BPF_MAP_DELETE_ELEM. */
export async function deleteElem(map: KernelObject, key: Buffer): Promise<void> {
  await withCallerStack(() => native().fixtures.deleteElem(map.handle, key));
}

/**
 * Creates a BPF link (raw BPF_LINK_CREATE). `target` is an ifindex (tcx, xdp; in this thread's
 * namespace), a path (a cgroup v2 directory, a netns file such as /proc/self/ns/net) or a map
 * (a sockmap or sockhash, Linux 6.10+). The link lives while the handle is open (or while pinned).
 */
export async function createLink(program: KernelObject, target: number | string | KernelObject, attachType: AttachTypeName): Promise<KernelObject> {
  const type = valueOf(ATTACH_TYPES, attachType);
  if (type < 0) throw new RangeError(`unknown attach type ${attachType}`);
  const to = target instanceof KernelObject ? target.handle : target;
  return new KernelObject('link', await withCallerStack(() => native().fixtures.createLink(program.handle, to, type)));
}

/** Where tracefs is mounted: its own mount point, or under debugfs as older systems mount it. */
function tracefs(): string {
  for (const dir of ['/sys/kernel/tracing', '/sys/kernel/debug/tracing']) if (existsSync(`${dir}/events`)) return dir;
  throw new Error('tracefs is not mounted (mount -t tracefs tracefs /sys/kernel/tracing): tracepoint ids are read from it');
}

/** A perf event for perfEventLink: perf_event_attr's type and config, and a uprobe's file and offset. */
interface PerfEventSpec {
  type: number;
  config: bigint;
  path?: string;
  offset?: bigint;
}

async function perfEventLink(program: KernelObject, event: PerfEventSpec, cookie: bigint): Promise<KernelObject> {
  return new KernelObject('link', await withCallerStack(() => native().fixtures.perfEventLink(program.handle, event, cookie)));
}

const PERF_TYPE_TRACEPOINT = 2;

/**
 * Attaches a tracepoint program to a kernel tracepoint ('syscalls/sys_enter_getpid', its
 * directory under tracefs' events/) through a perf_event link, as libbpf attaches SEC("tp/…").
 * `cookie` is what bpf_get_attach_cookie() returns to the program.
 */
export async function attachTracepoint(program: KernelObject, tracepoint: string, cookie = 0n): Promise<KernelObject> {
  return perfEventLink(program, tracepointEvent(tracepoint), cookie);
}

/** The perf event of a kernel tracepoint ('syscalls/sys_enter_getpid'): its id, read from tracefs. */
function tracepointEvent(tracepoint: string): PerfEventSpec {
  return { type: PERF_TYPE_TRACEPOINT, config: BigInt(readFileSync(`${tracefs()}/events/${tracepoint}/id`, 'utf8').trim()) };
}

/**
 * Attaches a raw_tracepoint program to a raw tracepoint ('sys_enter': the tracepoint's own name,
 * without its category) through a raw_tracepoint link, as libbpf attaches SEC("raw_tp/…").
 * `cookie` (Linux 6.10+) is what bpf_get_attach_cookie() returns to the program.
 */
export async function attachRawTracepoint(program: KernelObject, name: string, cookie = 0n): Promise<KernelObject> {
  return new KernelObject('link', await withCallerStack(() => native().fixtures.rawTracepointLink(program.handle, name, cookie)));
}

export interface UprobeOptions {
  /** The probed file. Probes go into processes that map it executable; any regular file will do. */
  path: string;
  offset: bigint;
  /** The offset of its USDT semaphore in the file (default: none). */
  refCtrOffset?: bigint;
  /** Run the program on return (a uretprobe) instead of on entry. */
  retprobe?: boolean;
  /** The value bpf_get_attach_cookie() returns (default: 0). */
  cookie?: bigint;
}

/** Where a field of a PMU's perf_event_attr.config lives: its format file reads 'config:0' or 'config:32-63'. */
function configShift(pmu: string, field: string): bigint {
  const format = readFileSync(`${pmu}/format/${field}`, 'utf8');
  const m = /^config:(\d+)/.exec(format);
  if (!m) throw new Error(`${pmu}/format/${field}: '${format.trim()}' is not in perf_event_attr.config`);
  return BigInt(m[1]);
}

/**
 * Attaches a kprobe program at one offset of a file through a perf event of the uprobe PMU and a
 * perf_event link, as libbpf attaches SEC("uprobe/…").
 */
export async function attachUprobe(program: KernelObject, options: UprobeOptions): Promise<KernelObject> {
  checkOptions(options, ['path', 'offset', 'refCtrOffset', 'retprobe', 'cookie'], 'attachUprobe');
  return perfEventLink(program, uprobeEvent(options), options.cookie ?? 0n);
}

/** The perf event of a uprobe, from the uprobe PMU (its type and config bits read from sysfs). */
function uprobeEvent(options: Omit<UprobeOptions, 'cookie'>): PerfEventSpec {
  const { path, offset, refCtrOffset = 0n, retprobe = false } = options;
  const pmu = '/sys/bus/event_source/devices/uprobe';
  const type = Number(readFileSync(`${pmu}/type`, 'utf8'));
  const config = (retprobe ? 1n << configShift(pmu, 'retprobe') : 0n) | (refCtrOffset << configShift(pmu, 'ref_ctr_offset'));
  return { type, config, path, offset };
}

/**
 * Attaches a perf_event program to a perf event that no tracepoint or probe backs: perf_event_attr
 * `type` (PERF_TYPE_SOFTWARE 1, …) and `config` (PERF_COUNT_SW_DUMMY 9, …), sampling every event.
 */
export async function attachPerfEvent(program: KernelObject, type: number, config: bigint, cookie = 0n): Promise<KernelObject> {
  return perfEventLink(program, { type, config }, cookie);
}

/** What openPerfEvent opens: a kernel tracepoint, a uprobe, or any perf event by perf_event_attr's type and config. */
export type PerfEventTarget = { tracepoint: string } | { uprobe: Omit<UprobeOptions, 'cookie'> } | { type: number; config: bigint };

/**
 * Opens a perf event and attaches a program to it without a link (PERF_EVENT_IOC_SET_BPF), as BCC
 * and libbpf before Linux 5.15 attach, then enables it. The handle (kind 'perf event') is the
 * event's fd: the process holds it as such tools do, and closing it detaches the program.
 */
export async function openPerfEvent(program: KernelObject, target: PerfEventTarget): Promise<KernelObject> {
  const event = 'tracepoint' in target ? tracepointEvent(target.tracepoint) : 'uprobe' in target ? uprobeEvent(target.uprobe) : { type: target.type, config: target.config };
  return new KernelObject('perf event', await withCallerStack(() => native().fixtures.perfEventIoctl(program.handle, event)));
}

export interface UprobeMultiOptions {
  /** The probed file. Probes go into processes that map it executable; any regular file will do. */
  path: string;
  /** File offsets, one probe each. */
  offsets: bigint[];
  /** Per probe, the offset of its USDT semaphore in the file (default: none). */
  refCtrOffsets?: bigint[];
  /** Per probe, the value bpf_get_attach_cookie() returns (default: 0). */
  cookies?: bigint[];
  /** Run the program on return (BPF_F_UPROBE_MULTI_RETURN) instead of on entry. */
  retprobe?: boolean;
  /** Run it for this process only (default: every process). */
  pid?: number;
}

/**
 * Attaches a kprobe program (loaded with expectedAttachType 'trace_uprobe_multi') at offsets of a
 * file through one uprobe_multi link (Linux 6.6+).
 */
export async function attachUprobeMulti(program: KernelObject, options: UprobeMultiOptions): Promise<KernelObject> {
  checkOptions(options, ['path', 'offsets', 'refCtrOffsets', 'cookies', 'retprobe', 'pid'], 'attachUprobeMulti');
  const { path, offsets, refCtrOffsets = [], cookies = [], retprobe = false, pid = 0 } = options;
  const flags = retprobe ? 1 /* BPF_F_UPROBE_MULTI_RETURN */ : 0;
  return new KernelObject('link', await withCallerStack(() => native().fixtures.uprobeMultiLink(program.handle, { path, offsets, refCtrOffsets, cookies, flags, pid })));
}

/**
 * Attaches a program to a cgroup v2 directory without a link (BPF_PROG_ATTACH), the way Cilium
 * falls back to on kernels without cgroup links: `flags` 'multi' (BPF_F_ALLOW_MULTI), 'override'
 * (BPF_F_ALLOW_OVERRIDE) or 'none'. Detach with detachCgroup(); closing the program does not.
 */
export async function attachCgroup(program: KernelObject, path: string, attachType: AttachTypeName, flags: 'multi' | 'override' | 'none'): Promise<void> {
  const type = valueOf(ATTACH_TYPES, attachType);
  if (type < 0) throw new RangeError(`unknown attach type ${attachType}`);
  await withCallerStack(() => native().fixtures.cgroupAttach(program.handle, path, type, { none: 0, override: 1, multi: 2 }[flags], true));
}

/** Detaches a program that attachCgroup() attached. */
export async function detachCgroup(program: KernelObject, path: string, attachType: AttachTypeName): Promise<void> {
  await withCallerStack(() => native().fixtures.cgroupAttach(program.handle, path, valueOf(ATTACH_TYPES, attachType), 0, false));
}

/** Attaches a sched_cls program to a device's tcx hook (Linux 6.6+). */
export async function attachTcx(program: KernelObject, ifindex: number, direction: 'ingress' | 'egress'): Promise<KernelObject> {
  return createLink(program, ifindex, direction === 'ingress' ? 'tcx_ingress' : 'tcx_egress');
}

/** Runs a program once per `repeat` on `data` (BPF_PROG_TEST_RUN) and returns its return value. */
export async function testRun(program: KernelObject, data: Buffer, repeat = 1): Promise<number> {
  return withCallerStack(() => native().fixtures.testRun(program.handle, data, repeat));
}

export async function pin(object: KernelObject, path: string): Promise<void> {
  await withCallerStack(() => native().fixtures.pin(object.handle, path));
}

/** Mounts a private bpffs at `dir` (which must exist). */
export async function mountBpffs(dir: string): Promise<void> {
  await withCallerStack(() => native().fixtures.mountBpffs(dir));
}

export async function unmount(dir: string): Promise<void> {
  await withCallerStack(() => native().fixtures.unmount(dir));
}
