// Loads the addon and declares its shape once. Nothing outside src/ sees this object.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BpfError } from './errors';
import type { NativeTable, TableSchema } from './table';
import type { DumpMemoryStats } from './maps';

/** A record as the addon builds it for the network listings; each src/<concept>.ts shapes its own. */
export type RawRecord = Record<string, unknown>;

/** A kernel fd owned by a JS object; closed by close() or, as a backstop, by the GC. */
export interface NativeFdHandle {
  readonly fd: number;
  readonly closed: boolean;
  close(): void;
}


/** Pinned objects in the order found: each readable entry points at a row of its kind's table. */
export interface NativePinnedSet {
  entries: ({ path: string; kind: 'program' | 'map' | 'link'; row: number } | { path: string; kind: 'unreadable'; errno: number; code: string })[];
  programs: NativeTable;
  maps: NativeTable;
  links: NativeTable;
}

/** What native().programCode returns. */
export interface NativeProgramCode {
  insns: Buffer;
  /** Whether the kernel gave the functions' JITed addresses (jited_ksyms). */
  jited: boolean;
  /** (insn_off, type_id) pairs. */
  funcInfo: Uint32Array;
  /** (insn_off, file_name_off, line_off, line_col) quads. */
  lineInfo: Uint32Array;
  btfId: number;
  calls: { at: number; address: bigint; symbol?: string }[];
}

/** What native().programCode returns when asked for the JITed code too. */
export interface NativeJitedCode extends NativeProgramCode {
  /** Every function's machine code, one after another (jited_prog_insns). */
  image: Buffer;
  /** jited_ksyms and jited_func_lens, paired; the /proc/kallsyms name at each address. */
  functions: { address: bigint; size: number; symbol?: string }[];
  /** jited_line_info: where each line_info record's machine code starts. */
  lineAddresses: BigUint64Array;
}

export interface NativeFixtures {
  createMap(options: Record<string, unknown>): Promise<NativeFdHandle>;
  loadProgram(options: Record<string, unknown>): Promise<NativeFdHandle>;
  loadBtf(types: Record<string, unknown>[]): Promise<NativeFdHandle>;
  encodeBtf(types: Record<string, unknown>[], base?: Buffer): Buffer;
  createLink(program: NativeFdHandle, target: number | string | NativeFdHandle, attachType: number): Promise<NativeFdHandle>;
  cgroupAttach(program: NativeFdHandle, path: string, attachType: number, flags: number, attach: boolean): Promise<void>;
  perfEventLink(program: NativeFdHandle, event: { type: number; config: bigint; path?: string; offset?: bigint }, cookie: bigint): Promise<NativeFdHandle>;
  perfEventIoctl(program: NativeFdHandle, event: { type: number; config: bigint; path?: string; offset?: bigint }): Promise<NativeFdHandle>;
  loadObject(path: string): Promise<Record<string, NativeFdHandle>>;
  rawTracepointLink(program: NativeFdHandle, name: string, cookie: bigint): Promise<NativeFdHandle>;
  uprobeMultiLink(program: NativeFdHandle, options: { path: string; offsets: bigint[]; refCtrOffsets: bigint[]; cookies: bigint[]; flags: number; pid: number }): Promise<NativeFdHandle>;
  testRun(program: NativeFdHandle, data: Buffer, repeat: number): Promise<number>;
  pin(handle: NativeFdHandle, path: string): Promise<void>;
  updateElem(map: NativeFdHandle, key: Buffer, value: Buffer, flags: number): Promise<void>;
  updateBatch(map: NativeFdHandle, keys: Buffer, values: Buffer, count: number, flags: number): Promise<void>;
  deleteElem(map: NativeFdHandle, key: Buffer): Promise<void>;
  mountBpffs(dir: string): Promise<void>;
  unmount(dir: string): Promise<void>;
  createNetns(name: string): Promise<string>;
  deleteNetns(name: string): Promise<void>;
  /** Holds a namespace thread in `netns` until `fifo` has a writer (tests of the thread cap). */
  waitInNetns(netns: string, fifo: string): Promise<void>;
  createNetdev(netns: string | undefined, name: string, kind: 'veth' | 'bridge', peerName?: string, peerNetns?: string): Promise<void>;
  setLink(netns: string | undefined, ifname: string, up: boolean, master?: string, alias?: string): Promise<void>;
  deleteLink(netns: string | undefined, ifname: string): Promise<void>;
  addAddress(netns: string | undefined, ifname: string, address: string, prefixlen: number): Promise<void>;
  addRoute(netns: string | undefined, dst: string, dstLen: number, gateway: string, ifname: string, scope: number, onlink: boolean, table: number): Promise<void>;
  addNeighbor(netns: string | undefined, ifname: string, ip: string, lladdr: string, state: number): Promise<void>;
  setXdp(netns: string | undefined, ifname: string, program: NativeFdHandle | null, mode: 'generic' | 'driver'): Promise<void>;
  addClsactBpf(netns: string | undefined, ifname: string, direction: 'ingress' | 'egress', program: NativeFdHandle, priority: number, handle: number, name: string): Promise<void>;
  createNetfilterLink(netns: string | undefined, program: NativeFdHandle, pf: number, hooknum: number, priority: number, flags: number): Promise<NativeFdHandle>;
  deleteClsact(netns: string | undefined, ifname: string): Promise<void>;
}

export interface NativeBinding {
  setErrorClass(ctor: typeof BpfError): void;
  /** The code a BpfError of this errno gets, or undefined when Linux defines no such errno (for tests). */
  errnoName(errno: number): string | undefined;
  /** The column layout of each kind's tables. */
  schemas: { program: TableSchema; map: TableSchema; link: TableSchema; btf: TableSchema; interface: TableSchema; interfaceDetail: TableSchema; holder: TableSchema; perfAttachment: TableSchema; netnsHolder: TableSchema; cgroupAttachment: TableSchema };
  listPrograms(): Promise<NativeTable>;
  getProgram(id: number): Promise<NativeTable>;
  enableStats(): Promise<NativeFdHandle>;
  listMaps(): Promise<NativeTable>;
  getMapInfo(id: number): Promise<NativeTable>;
  listBtf(): Promise<NativeTable>;
  getBtfInfo(id: number): Promise<NativeTable>;
  /** Every program's and map's BTF object, as [id, btfId, …] pairs of those that have one. */
  btfUsers(): Promise<{ programs: Uint32Array; maps: Uint32Array }>;
  /** BTF object `id`'s raw bytes, with its name and kernel flag (Linux 5.11+) (src/btf-dump.ts). */
  btfRaw(id: number): Promise<{ raw: Buffer; name?: string; kernel?: boolean }>;
  /** By id (number) or pinned path (string). */
  openMap(ref: number | string): Promise<{ handle: NativeFdHandle; info: NativeTable; possibleCpus: number; valueStride: number; perCpu: boolean }>;
  /** Resolves to the value or undefined. */
  mapLookup(map: NativeFdHandle, key: Buffer): Promise<Buffer | undefined>;
  /** On this thread: whether the map holds `key`, the kernel then having written its value into `value` (valueStride bytes). */
  mapLookupInto(map: NativeFdHandle, key: Buffer, value: Buffer): boolean;
  /** See native/maps.cc DumpTask; the result is src/map-dump.ts RawDump. */
  mapDump(map: NativeFdHandle, sync: boolean, iterate: boolean, reuseKeys?: Buffer, reuseValues?: Buffer, expectedCount?: number): unknown;
  /** What native/dump_memory.h keeps of collected dumps' memory, after freeing what it kept too long. */
  dumpMemory(): DumpMemoryStats;
  /** [nAdded, nRemoved, nChanged, added…, removed…, (old, new)…] */
  /** cpus: 0, or the per-CPU slots of each value (their padding is not compared). */
  mapDiff(oldKeys: Buffer, oldValues: Buffer, oldCount: number, newKeys: Buffer, newValues: Buffer, newCount: number, keySize: number, valueStride: number, valueSize: number, cpus: number): Uint32Array;
  /** The map's BTF type table (src/btf.ts BtfTypeTable), or undefined without BTF. */
  mapBtf(map: NativeFdHandle, sync: boolean): unknown;
  listLinks(): Promise<NativeTable>;
  getLink(id: number): Promise<NativeTable>;
  openPinned(path: string): Promise<NativePinnedSet>;
  /** One row per BPF fd of every process (src/holders.ts), and the pids whose fds could not be read. */
  /** A program's translated instructions and what prints them (native/programs.cc ProgramCodeTask). */
  programCode(id: number, jit: false): Promise<NativeProgramCode>;
  programCode(id: number, jit: true): Promise<NativeJitedCode>;
  listHolders(): Promise<{ table: NativeTable; unreadable: number[] }>;
  /** One row per perf event or raw tracepoint fd that runs a program (BPF_TASK_FD_QUERY; src/holders.ts), and the pids whose fds could not be read. */
  listPerfAttachments(): Promise<{ table: NativeTable; unreadable: number[] }>;
  /** What holds network namespaces: each process's own, other mount namespaces' nsfs mounts, and with `fds`, `threads`, `sockets` processes' fds on one, threads in one, sockets made in one (src/netns.ts). */
  listNetnsHolders(fds: boolean, threads: boolean, sockets: boolean): Promise<NativeTable>;
  /** The (dev, inode) of the namespace an nsfs path or a socket's /proc/PID/fd/FD leads to. */
  netnsId(path: string): Promise<{ dev: number; ino: number }>;
  /** Programs attached to a cgroup (or a tree of them), with their info and every link (src/cgroups.ts). */
  cgroupQuery(path: string, attachTypes: number[], effective: boolean, recursive: boolean): Promise<{ attachments: NativeTable; programs: NativeTable; links: NativeTable }>;
  listPinned(root: string): Promise<NativePinnedSet>;
  versions(): { libbpfBuild: string; libbpfRuntime: string; kernelRelease: string; kernelVersion: string; machine: string };
  probe(kind: 'attach-query' | 'map-type' | 'prog-type', value: number): Promise<number>;
  // Network: `netns` is an nsfs path, or undefined for the caller's own namespace.
  /** Interfaces, with `details` (per-kind IFLA_INFO_DATA/SLAVE_DATA values) when any device has some. */
  netLinks(netns?: string): Promise<NativeTable & { details?: NativeTable }>;
  netAddresses(netns?: string): Promise<RawRecord[]>;
  netRoutes(netns?: string): Promise<RawRecord[]>;
  netNeighbors(netns?: string): Promise<RawRecord[]>;
  netNsids(netns: string | undefined, paths: string[]): Promise<(number | null)[]>;
  netEthtoolStats(netns: string | undefined, ifname: string): Promise<{ names: string[]; values: BigUint64Array }>;
  netAttachments(netns: string | undefined, device?: string | number): Promise<RawAttachments>;
  fixtures: NativeFixtures;
}

/** What netAttachments returns: the raw pieces src/attachments.ts joins. */
export interface RawAttachments {
  links: NativeTable;
  mprog: RawRecord[];
  tc: RawRecord[];
  flowDissector: RawRecord[];
  programs: NativeTable;
}

/** The package root: the nearest folder above this file with bpfscope's package.json. */
export function packageRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'bpfscope') return dir;
    if (dirname(dir) === dir) return join(__dirname, '..', '..');
  }
}

function load(): NativeBinding {
  const root = packageRoot();
  let binding: NativeBinding;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    binding = require('node-gyp-build')(root) as NativeBinding;
  } catch (err) {
    throw new Error(describeLoadFailure(err as Error, root), { cause: err });
  }
  binding.setErrorClass(BpfError);
  return binding;
}

/** Says which file failed to load and, for a missing shared library, which one and how to get it. */
export function describeLoadFailure(err: Error, root: string): string {
  const text = err.message;
  const file = /^(\S+\.node)\b/.exec(text)?.[1] ?? text.match(/(\/\S+\.node)/)?.[1];
  const library = /([\w.+-]+\.so(?:\.\d+)*): cannot open shared object file/.exec(text)?.[1];
  const parts = [`bpfscope: cannot load the native addon${file ? ` ${file}` : ` from ${root}`}`];
  if (library) {
    const pkg = library.startsWith('libbpf') ? 'libbpf1' : library.startsWith('libelf') ? 'libelf1' :
      library.startsWith('libmnl') ? 'libmnl0' : library.startsWith('libz') ? 'zlib1g' : undefined;
    parts.push(`: the shared library ${library} is missing${pkg ? ` (Debian/Ubuntu: apt-get install ${pkg})` : ''}`);
  } else if (/No native build was found/.test(text)) {
    // An installed dependency has no build:addon script the user can run from their project (and
    // `npm install --ignore-scripts` is how it usually gets here): npm rebuild runs its install script.
    const installed = basename(dirname(root)) === 'node_modules';
    const command = installed ? 'npm rebuild bpfscope' : 'npm run build:addon';
    parts.push(`: no prebuild matches this platform and nothing was built; run \`${command}\` (needs libbpf-dev, libmnl-dev, pkg-config, g++)`);
  } else {
    parts.push(`: ${text}`);
  }
  return parts.join('');
}

let cached: NativeBinding | undefined;

/** The addon, loaded on first use so that importing bpfscope never throws. */
export function native(): NativeBinding {
  cached ??= load();
  return cached;
}
