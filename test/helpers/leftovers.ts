// What a test process made on the host and did not remove: found after each file (setup.ts fails
// the file), and removed by the next run when a process was killed before its cleanups ran (sweep.ts).
import { existsSync, readdirSync, readFileSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { processStartTime } from 'bpfscope/testing';
import { JOURNAL_DIR, run } from './host';

export interface Leftover {
  kind: 'netns' | 'interface' | 'cgroup' | 'mount' | 'directory';
  /** The netns or interface name; the path of a cgroup, mount or directory. */
  what: string;
}

export const describeLeftover = (l: Leftover): string => `${l.kind} ${l.what}`;

function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return []; // /var/run/netns before any namespace was named; a cgroup removed meanwhile
  }
}

function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter(Boolean);
}

/** The roots of every cgroup hierarchy mounted (cgroup2, and each v1 controller's). */
function cgroupRoots(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .filter((l) => /^cgroup2? /.test(l.split(' - ')[1] ?? ''))
    .map((l) => l.split(' ')[4]);
}

/**
 * Named network namespaces, interfaces in this namespace and top-level cgroups whose names contain
 * one of `names`, the `dirs` still there, and mounts on or under them. With `settleMs`, interfaces
 * get that long to go: a veth whose peer's namespace was deleted goes with it, but only once the
 * kernel has torn that namespace down.
 */
export async function findLeftovers(names: Iterable<string>, dirs: Iterable<string>, settleMs = 0): Promise<Leftover[]> {
  const given = [...names];
  const ours = (name: string): boolean => given.some((g) => name.includes(g));
  let interfaces = namesIn('/sys/class/net').filter(ours);
  for (let waited = 0; interfaces.length > 0 && waited < settleMs; waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
    interfaces = namesIn('/sys/class/net').filter(ours);
  }
  const made = [...dirs];
  const under = (path: string): boolean => made.some((d) => path === d || path.startsWith(`${d}/`));
  return [
    ...cgroupRoots().flatMap((root) => namesIn(root).filter(ours).map((n): Leftover => ({ kind: 'cgroup', what: join(root, n) }))),
    ...namesIn('/var/run/netns').filter(ours).map((n): Leftover => ({ kind: 'netns', what: n })),
    ...interfaces.map((n): Leftover => ({ kind: 'interface', what: n })),
    ...mountPoints().filter(under).map((m): Leftover => ({ kind: 'mount', what: m })),
    ...made.filter((d) => existsSync(d)).map((d): Leftover => ({ kind: 'directory', what: d })),
  ];
}

/** Kills the processes in a cgroup and its descendants, then removes them, deepest first. */
async function removeCgroup(dir: string): Promise<void> {
  for (const child of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory())) await removeCgroup(join(dir, child.name));
  for (let tries = 0; ; tries++) {
    const pids = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    if (pids.length === 0) break;
    if (tries > 100) throw new Error(`${dir}: processes ${pids.join(', ')} did not exit`);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  rmdirSync(dir);
}

/**
 * Removes leftovers: processes in the cgroups first (they hold namespaces), then namespaces,
 * interfaces (a veth may have gone with its peer's namespace), mounts (deepest first), directories
 * (a cgroup among them as a cgroup).
 * Returns what could not be removed.
 */
export async function removeLeftovers(found: Leftover[]): Promise<string[]> {
  const failed: string[] = [];
  const attempt = async (l: Leftover, fn: () => unknown): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      failed.push(`${describeLeftover(l)}: ${(err as Error).message.split('\n')[0]}`);
    }
  };
  const of = (kind: Leftover['kind']) => found.filter((l) => l.kind === kind);
  for (const l of of('cgroup')) await attempt(l, () => removeCgroup(l.what));
  for (const l of of('netns')) await attempt(l, () => run('ip', ['netns', 'del', l.what]));
  for (const l of of('interface')) {
    await attempt(l, () => existsSync(`/sys/class/net/${l.what}`) && run('ip', ['link', 'del', l.what]));
  }
  for (const l of of('mount').sort((a, b) => b.what.length - a.what.length)) await attempt(l, () => run('umount', ['-l', l.what]));
  // mustCgroup's directories are cgroups: their files cannot be unlinked, and processes keep them busy.
  const inCgroupfs = (path: string): boolean => cgroupRoots().some((root) => path.startsWith(`${root}/`));
  for (const l of of('directory')) {
    await attempt(l, () => (inCgroupfs(l.what) ? removeCgroup(l.what) : rmSync(l.what, { recursive: true, force: true })));
  }
  return failed;
}

/** The journals of test processes that are gone: each with what it named and made. */
export function orphanedJournals(): { file: string; pid: number; names: string[]; dirs: string[] }[] {
  return namesIn(JOURNAL_DIR).flatMap((entry) => {
    const [pid, start] = entry.split('-');
    if (processStartTime(Number(pid)) === start) return []; // a live process's (another run)
    const file = join(JOURNAL_DIR, entry);
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const values = (kind: string) => lines.filter((l) => l.startsWith(`${kind} `)).map((l) => l.slice(kind.length + 1));
    return [{ file, pid: Number(pid), names: values('name'), dirs: values('dir') }];
  });
}
