// Test helpers: real kernel objects that remove themselves (even when a test fails), and the
// tools (bpftool, ip, tc, ethtool) the tests compare bpfscope against. Only tests run tools.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished, describe } from 'vitest';
import { mountBpffs, unmount, type KernelObject } from 'bpfscope/testing';

export const isRoot = process.getuid?.() === 0;
export const inCI = process.env.CI === 'true' || process.env.CI === '1';

/**
 * `describe` for tests that need root and a real kernel. Outside CI they skip when not root;
 * with CI=true a skip is a failure, so the suite fails loudly instead.
 */
export function describeKernel(name: string, fn: () => void): void {
  if (!isRoot && inCI) {
    describe(name, () => {
      throw new Error('kernel tests must run as root in CI (CI=true): refusing to skip');
    });
    return;
  }
  (isRoot ? describe : describe.skip)(name, fn);
}

/**
 * The environment for the tools the tests run: without the sanitizer runtimes that
 * `npm run test:asan` preloads into node, which would otherwise instrument (and fail) `ip` itself.
 */
export const toolEnv: NodeJS.ProcessEnv = (() => {
  const { LD_PRELOAD: _preload, ...env } = process.env;
  return env;
})();

/**
 * Whether the sanitizer runtimes are preloaded (`npm run test:asan`). ASan's allocator keeps freed
 * memory in its quarantine (up to 256 MiB) and unmaps it later, on whichever thread frees next:
 * neither RSS nor who calls munmap then says what the addon freed.
 */
export const underAsan = /libasan/.test(process.env.LD_PRELOAD ?? '');

/** Runs a tool (or node itself, which keeps the sanitizer preload) and returns its stdout. */
export function run(cmd: string, args: string[], input?: string): string {
  const env = cmd === process.execPath ? process.env : toolEnv;
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], env });
}

/** `bpftool -j …`, parsed. */
export function bpftool<T = unknown>(...args: string[]): T {
  return JSON.parse(run('bpftool', ['-j', ...args])) as T;
}

/** `ip -j …` (optionally inside a named netns), parsed. */
export function ipJson<T = unknown>(args: string[], netns?: string): T {
  const full = netns ? ['-n', netns, '-j', ...args] : ['-j', ...args];
  const out = run('ip', full).trim();
  return (out ? JSON.parse(out) : []) as T;
}

// What this process named and made, for leftovers() to look for after each file.
const namesGiven = new Set<string>();
const dirsMade = new Set<string>();

let counter = 0;
/**
 * A short unique name (interface names allow 15 characters). Netns, interfaces and cgroups whose
 * names contain it must be gone when the file ends (leftovers()).
 */
export function uniqueName(prefix: string): string {
  counter++;
  const tag = `${process.pid.toString(36)}${counter.toString(36)}`;
  const name = `${prefix}${tag}`.slice(0, 15);
  namesGiven.add(name);
  return name;
}

/** mkdtemp under `parent` (default: the temp directory); it must be gone when the file ends. */
export function tempDir(prefix: string, parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, prefix));
  dirsMade.add(dir);
  return dir;
}

function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return []; // /var/run/netns before any namespace was named
  }
}

/**
 * What this process made and did not remove: named network namespaces, interfaces in this
 * namespace and top-level cgroups whose names contain a uniqueName(), tempDir() directories, and
 * mounts on either. Interfaces get up to 3 s to go: a veth whose peer's namespace was deleted
 * goes with it, but only once the kernel has torn that namespace down.
 */
export async function leftovers(): Promise<string[]> {
  const ours = (name: string): boolean => [...namesGiven].some((given) => name.includes(given));
  const interfaces = async (): Promise<string[]> => {
    for (let waited = 0; ; waited += 50) {
      const left = namesIn('/sys/class/net').filter(ours);
      if (left.length === 0 || waited >= 3000) return left.map((n) => `interface ${n}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const dirs = [...dirsMade];
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter(Boolean);
  return [
    ...namesIn('/var/run/netns').filter(ours).map((n) => `netns ${n}`),
    ...(await interfaces()),
    ...namesIn(cgroup2Mount()).filter(ours).map((n) => `cgroup ${cgroup2Mount()}/${n}`),
    ...dirs.filter((d) => existsSync(d)).map((d) => `directory ${d}`),
    ...mounts.filter((m) => dirs.some((d) => m === d || m.startsWith(`${d}/`)) || ours(m.split('/').pop()!)).map((m) => `mount ${m}`),
  ];
}

// Cleanups registered outside a test (in beforeAll): hooks cannot be added once the file runs, so
// the setup file's afterAll runs them, last registered first, once the file's own hooks are done.
const fileCleanups: (() => unknown)[] = [];
export async function runFileCleanups(): Promise<void> {
  const failures: unknown[] = [];
  for (const fn of fileCleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} cleanup(s) failed`);
}

/** Registers cleanup for the current test, or for the file when called outside a test. */
export function cleanup(fn: () => unknown): void {
  try {
    onTestFinished(async () => {
      await fn();
    });
  } catch {
    fileCleanups.push(fn);
  }
}

/** Closes a kernel object when the test (or file) ends. */
export function owned<T extends KernelObject>(object: T): T {
  cleanup(() => object.close());
  return object;
}

/** A private bpffs mount in a fresh temporary directory, unmounted and removed afterwards. */
export async function mustBpffs(): Promise<string> {
  const dir = tempDir('bpfscope-bpffs-');
  await mountBpffs(dir);
  cleanup(async () => {
    await unmount(dir);
    rmdirSync(dir);
  });
  return dir;
}

let cgroup2: string | undefined;
/** Where cgroup v2 is mounted: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host. */
export function cgroup2Mount(): string {
  if (cgroup2 === undefined) {
    const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' - ')[1]?.startsWith('cgroup2 '));
    if (!line) throw new Error('no cgroup2 mount');
    cgroup2 = line.split(' ')[4];
  }
  return cgroup2;
}

/** A fresh cgroup v2 directory with the children named, removed afterwards, children first. */
export function mustCgroup(...children: string[]): string {
  const dir = tempDir('bpfscope-', cgroup2Mount());
  for (const child of children) mkdirSync(join(dir, child));
  cleanup(() => {
    for (const child of [...children].reverse()) rmdirSync(join(dir, child));
    rmdirSync(dir);
  });
  return dir;
}

/** A named network namespace (`ip netns add`), deleted afterwards. */
export function mustNetns(prefix = 'bpfs'): string {
  const name = uniqueName(prefix);
  run('ip', ['netns', 'add', name]);
  cleanup(() => run('ip', ['netns', 'del', name]));
  return name;
}

/**
 * A veth pair: `host` in the caller's namespace, `peer` (default 'eth0') in `netns` (or the caller's
 * namespace when omitted). Both are up. Returns their ifindexes. Deleting the host side removes both.
 */
export function mustVeth(options: { netns?: string; peer?: string; host?: string } = {}): {
  host: string;
  hostIfindex: number;
  peer: string;
  peerIfindex: number;
} {
  const host = options.host ?? uniqueName('lxc');
  const peer = options.peer ?? (options.netns ? 'eth0' : uniqueName('vp'));
  const tmpPeer = options.netns ? uniqueName('tp') : peer;
  run('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', tmpPeer]);
  cleanup(() => {
    // Gone already when its peer's namespace was deleted first; any other failure is reported.
    if (ipJson<{ ifname: string }[]>(['link', 'show']).some((l) => l.ifname === host)) run('ip', ['link', 'del', host]);
  });
  if (options.netns) {
    run('ip', ['link', 'set', tmpPeer, 'netns', options.netns]);
    run('ip', ['-n', options.netns, 'link', 'set', tmpPeer, 'name', peer]);
    run('ip', ['-n', options.netns, 'link', 'set', peer, 'up']);
  } else {
    run('ip', ['link', 'set', peer, 'up']);
  }
  run('ip', ['link', 'set', host, 'up']);
  const hostIfindex = ipJson<{ ifindex: number }[]>(['link', 'show', host])[0].ifindex;
  const peerIfindex = ipJson<{ ifindex: number }[]>(['link', 'show', peer], options.netns)[0].ifindex;
  return { host, hostIfindex, peer, peerIfindex };
}

/** The kernel's possible CPUs ("0-1" → 2): the slots of a per-CPU map's value. */
export function possibleCpus(): number {
  return readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',').reduce((n, range) => {
    const [lo, hi] = range.split('-').map(Number);
    return n + (hi === undefined ? 1 : hi - lo + 1);
  }, 0);
}

/** How many fds this process has open. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}
