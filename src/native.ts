// Loads the addon and declares its shape once. Nothing outside src/ sees this object.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BpfError } from './errors';
import type { NativeTable, TableSchema } from './table';

/** A kernel fd owned by a JS object; closed by close() or, as a backstop, by the GC. */
export interface NativeFdHandle {
  readonly fd: number;
  readonly closed: boolean;
  close(): void;
}


/** Pinned objects: each entry points at a row of its kind's table. */
export interface NativePinnedSet {
  entries: { path: string; kind: 'program' | 'map' | 'link'; row: number }[];
  programs: NativeTable;
  maps: NativeTable;
  links: NativeTable;
  unreadable: { path: string; kind: 'unreadable'; errno: number; code: string }[];
}

export interface NativeFixtures {
  createMap(options: Record<string, unknown>): Promise<NativeFdHandle>;
  loadProgram(options: Record<string, unknown>): Promise<NativeFdHandle>;
  loadBtf(types: Record<string, unknown>[]): Promise<NativeFdHandle>;
  createLink(program: NativeFdHandle, target: number | string, attachType: number): Promise<NativeFdHandle>;
  testRun(program: NativeFdHandle, data: Buffer, repeat: number): Promise<number>;
  pin(handle: NativeFdHandle, path: string): Promise<void>;
  updateElem(map: NativeFdHandle, key: Buffer, value: Buffer, flags: number): Promise<void>;
  mountBpffs(dir: string): Promise<void>;
  unmount(dir: string): Promise<void>;
}

export interface NativeBinding {
  setErrorClass(ctor: typeof BpfError): void;
  /** The column layout of each kind's tables. */
  schemas: { program: TableSchema; map: TableSchema; link: TableSchema };
  listPrograms(): Promise<NativeTable>;
  getProgram(id: number): Promise<NativeTable>;
  enableStats(): Promise<NativeFdHandle>;
  listMaps(): Promise<NativeTable>;
  getMapInfo(id: number): Promise<NativeTable>;
  listLinks(): Promise<NativeTable>;
  getLink(id: number): Promise<NativeTable>;
  openPinned(path: string): Promise<NativePinnedSet>;
  listPinned(root: string): Promise<NativePinnedSet>;
  fixtures: NativeFixtures;
}

/** The package root: the nearest folder above this file with bpfscope's package.json. */
function packageRoot(): string {
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
    parts.push(': no prebuild matches this platform and nothing was built; run `npm run build:addon` (needs libbpf-dev, libmnl-dev, pkg-config, g++)');
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
