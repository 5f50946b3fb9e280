// Test helpers: real kernel objects that remove themselves (even when a test fails), and the
// tools (bpftool, ip, tc, ethtool) the tests compare bpfscope against. Only tests run tools.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished, afterAll, describe } from 'vitest';
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

let counter = 0;
/** A short unique name (interface names allow 15 characters). */
export function uniqueName(prefix: string): string {
  counter++;
  const tag = `${process.pid.toString(36)}${counter.toString(36)}`;
  return `${prefix}${tag}`.slice(0, 15);
}

// Cleanups registered outside a test (in beforeAll): hooks cannot be added once the file runs, so
// one afterAll, registered when this module loads, runs them, last registered first.
const fileCleanups: (() => unknown)[] = [];
afterAll(async () => {
  const failures: unknown[] = [];
  for (const fn of fileCleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} cleanup(s) failed`);
});

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
  const dir = mkdtempSync(join(tmpdir(), 'bpfscope-bpffs-'));
  await mountBpffs(dir);
  cleanup(async () => {
    await unmount(dir);
    rmdirSync(dir);
  });
  return dir;
}

/**
 * A fresh cgroup v2 directory (under the cgroup2 mount: /sys/fs/cgroup, or /sys/fs/cgroup/unified
 * on a hybrid host) with the children named, removed afterwards, children first.
 */
export function mustCgroup(...children: string[]): string {
  const mount = run('findmnt', ['-n', '-t', 'cgroup2', '-o', 'TARGET']).trim().split('\n')[0];
  if (!mount) throw new Error('no cgroup2 mount');
  const dir = mkdtempSync(join(mount, 'bpfscope-'));
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
