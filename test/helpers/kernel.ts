// Test helpers: real kernel objects that remove themselves (even when a test fails), and, from
// host.ts, the tools the tests compare bpfscope against.
import { mkdirSync, realpathSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onTestFinished, describe } from 'vitest';
import { mountBpffs, unmount, type KernelObject } from 'bpfscope/testing';
import { cgroup2Mount, inCI, ipJson, isRoot, run, tempDir, uniqueName } from './host';
import { PACKAGE_ROOT } from './trace';

export * from './host';

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

/**
 * A file for uprobes to name, removed afterwards. No process maps it, so the kernel places no
 * breakpoint anywhere: a probe at any offset is safe, and never runs. Its path as the kernel
 * reports it (resolved).
 */
export function mustProbedFile(): string {
  const dir = tempDir('bpfscope-uprobe-');
  cleanup(() => rmSync(dir, { recursive: true }));
  const file = join(dir, 'probed');
  writeFileSync(file, Buffer.alloc(4096));
  return realpathSync(file);
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

/**
 * test/bpf/<name>.bpf.c compiled by clang into a temporary directory, removed when the test ends;
 * for the host's byte order (`bpf`), or big-endian (`bpfeb`).
 */
export function compiledBpf(name: string, target: 'bpf' | 'bpfeb' = 'bpf'): string {
  const dir = tempDir('bpfscope-bpf-');
  cleanup(() => rmSync(dir, { recursive: true }));
  const out = join(dir, `${name}.o`);
  const multiarch = run('gcc', ['-print-multiarch']).trim(); // asm/types.h
  run('clang', ['-O2', '-g', '-target', target, `-I/usr/include/${multiarch}`, '-c', join(PACKAGE_ROOT, `test/bpf/${name}.bpf.c`), '-o', out]);
  return out;
}
