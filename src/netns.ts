// Network namespaces: how callers name one (NetnsRef), and every namespace on the host.
import { readdir, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { copyError, withCallerStack } from './errors';
import { mountEntriesOf } from './mounts';
import { native } from './native';
import { checkPath, describe } from './validate';

/**
 * A network namespace: a process's (`/proc/PID/ns/net`), any nsfs file (`/var/run/netns/NAME`,
 * `/proc/PID/task/TID/ns/net`, a bind mount), or a name under /var/run/netns. Omitted: the
 * caller's own namespace. Work in another namespace runs on a dedicated native thread that
 * enters it and exits afterwards; the caller's threads never change namespace.
 */
export type NetnsRef = { pid: number } | { path: string } | { name: string };

/** Where `ip netns add` puts named namespaces. */
export const NETNS_DIR = '/var/run/netns';

/** The nsfs path of a reference (undefined: the caller's own namespace). Throws on bad input. */
export function netnsPath(ref: NetnsRef | undefined, what = 'netns'): string | undefined {
  if (ref === undefined) return undefined;
  if (ref === null || typeof ref !== 'object') throw new TypeError(`${what} must be { pid }, { path } or { name }, got ${describe(ref)}`);
  const keys = Object.keys(ref);
  if (keys.length !== 1) throw new TypeError(`${what} must have exactly one of pid, path, name; got ${keys.join(', ') || 'none'}`);
  if ('pid' in ref) {
    const { pid } = ref;
    if (typeof pid !== 'number') throw new TypeError(`${what}.pid must be a number, got ${describe(pid)}`);
    if (!Number.isInteger(pid) || pid < 1 || pid > 0x3fffffff) throw new RangeError(`${what}.pid must be a positive integer, got ${pid}`);
    return `/proc/${pid}/ns/net`;
  }
  if ('path' in ref) return checkPath(ref.path, `${what}.path`);
  if ('name' in ref) {
    const name = checkPath(ref.name, `${what}.name`);
    if (name.includes('/') || name === '.' || name === '..') throw new TypeError(`${what}.name must be a plain name, got '${name}'`);
    return `${NETNS_DIR}/${name}`;
  }
  throw new TypeError(`${what} must be { pid }, { path } or { name }, got keys ${keys.join(', ')}`);
}

/** One network namespace on the host. */
export interface NetnsInfo {
  /** The nsfs inode (what `ls -L -i /proc/PID/ns/net` and `lsns` show). */
  inode: number;
  /** The nsfs device; (dev, inode) identifies a namespace. */
  dev: number;
  /** Names under /var/run/netns, sorted. */
  names: string[];
  /** Processes whose /proc/PID/ns/net is this namespace, ascending. */
  pids: number[];
  /**
   * Other files it is bind-mounted on (Docker's /run/docker/netns/…, a CNI runtime's), sorted: the
   * nsfs mounts of the caller's mount namespace outside /var/run/netns.
   */
  mounts: string[];
  /** A path that opens it: its first name, else its first mount, else its first process's /proc/PID/ns/net. */
  path: string;
  /** The nsid this namespace has in the caller's namespace (`ip netns list-id`); undefined when none is assigned. */
  nsid?: number;
  /** Whether it is the caller's own namespace. */
  current: boolean;
}

interface Found {
  dev: number;
  inode: number;
  names: string[];
  pids: number[];
  mounts: string[];
}

/**
 * The network namespaces bind-mounted in the caller's mount namespace, outside /var/run/netns
 * (whose files are names): their inodes and mount points. Such a mount is of nsfs, its root
 * `net:[INODE]`.
 */
async function netnsMounts(): Promise<{ inode: number; path: string }[]> {
  const namesDirs = new Set([NETNS_DIR, await realpath(NETNS_DIR).catch(() => NETNS_DIR)]);
  return (await mountEntriesOf('nsfs')).flatMap(({ root, mountPoint }) => {
    const inode = /^net:\[(\d+)\]$/.exec(root)?.[1];
    return inode !== undefined && !namesDirs.has(dirname(mountPoint)) ? [{ inode: Number(inode), path: mountPoint }] : [];
  });
}

async function nsStat(path: string): Promise<{ dev: number; ino: number } | undefined> {
  try {
    const s = await stat(path);
    return { dev: s.dev, ino: s.ino };
  } catch {
    return undefined; // a process that exited, a name that was deleted, a pid we may not look at
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The (dev, inode) of the caller's own network namespace. */
export async function ownNetnsId(): Promise<{ dev: number; ino: number }> {
  const own = await nsStat('/proc/self/ns/net');
  if (!own) throw new Error('cannot stat /proc/self/ns/net (is /proc mounted?)');
  return own;
}

/**
 * Every network namespace on the host: those named in /var/run/netns, those bind-mounted
 * elsewhere, and those of processes in /proc, deduplicated by (dev, inode), with their names,
 * mounts, pids and the nsid each has from the caller's namespace (RTM_GETNSID). Namespaces held
 * only by a socket, or by a mount in another mount namespace, are not visible this way; a name
 * under /var/run/netns with no namespace mounted on it is skipped.
 */
export function listNetns(): Promise<NetnsInfo[]> {
  // A scan stats every name and every /proc/PID/ns/net: on a node with 150 pods, 150 concurrent
  // callers (findPeer from each host veth, explainPod by IP) made 150 scans at once and stalled
  // the event loop for about a second. Callers arriving while a scan is in flight share the next
  // one instead (the one in flight may have read /var/run/netns and /proc before they called), so
  // any number of concurrent calls make at most two scans, and each still sees what existed when
  // it was called. Each caller gets its own copy of the result, or of the error with its own stack.
  let shared: Promise<NetnsInfo[]>;
  if (!scanning) {
    shared = startScan();
  } else {
    shared = queued ??= scanning.then(noop, noop).then(() => {
      queued = undefined;
      return scanning ?? startScan();
    });
  }
  return withCallerStack(() => shared.then(copyNetns, (err: unknown) => Promise.reject(copyError(err))));
}

let scanning: Promise<NetnsInfo[]> | undefined;
let queued: Promise<NetnsInfo[]> | undefined;

function noop(): void {}

function startScan(): Promise<NetnsInfo[]> {
  const scan = scanNetns();
  scanning = scan;
  const done = (): void => {
    if (scanning === scan) scanning = undefined;
  };
  scan.then(done, done);
  return scan;
}

function copyNetns(list: NetnsInfo[]): NetnsInfo[] {
  return list.map((ns) => ({ ...ns, names: [...ns.names], pids: [...ns.pids], mounts: [...ns.mounts] }));
}

async function scanNetns(): Promise<NetnsInfo[]> {
  const byId = new Map<string, Found>();
  const entry = (id: { dev: number; ino: number }): Found => {
    const key = `${id.dev}:${id.ino}`;
    let found = byId.get(key);
    if (!found) byId.set(key, (found = { dev: id.dev, inode: id.ino, names: [], pids: [], mounts: [] }));
    return found;
  };
  const names = await readdirOrEmpty(NETNS_DIR);
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  const [nameStats, pidStats, own, mounts] = await Promise.all([
    Promise.all(names.map((n) => nsStat(`${NETNS_DIR}/${n}`))),
    Promise.all(pids.map((p) => nsStat(`/proc/${p}/ns/net`))),
    ownNetnsId(),
    netnsMounts(),
  ]);
  // Every namespace is an inode of the one nsfs, whose device is our own namespace's. A name on
  // another device is the bare file `ip netns add` mounts over: one whose namespace was unmounted
  // but not unlinked, or whose creator died in between. `ip netns list` prints such names (and
  // fails on their nsid); they name no namespace, so they are left out.
  names.forEach((n, i) => {
    const id = nameStats[i];
    if (id && id.dev === own.dev) entry(id).names.push(n);
  });
  // Every namespace is an inode of the one nsfs: a mount's root names its inode.
  for (const m of mounts) entry({ dev: own.dev, ino: m.inode }).mounts.push(m.path);
  pids.forEach((p, i) => {
    const id = pidStats[i];
    if (id) entry(id).pids.push(p);
  });
  const found = [...byId.values()];
  for (const f of found) {
    f.names.sort();
    f.mounts.sort();
    f.pids.sort((a, b) => a - b);
  }
  const paths = found.map((f) => (f.names.length ? `${NETNS_DIR}/${f.names[0]}` : f.mounts[0] ?? `/proc/${f.pids[0]}/ns/net`));
  const nsids = await withCallerStack(() => native().netNsids(undefined, paths));
  return found.map((f, i) => {
    const info: NetnsInfo = {
      inode: f.inode,
      dev: f.dev,
      names: f.names,
      pids: f.pids,
      mounts: f.mounts,
      path: paths[i],
      current: f.dev === own.dev && f.inode === own.ino,
    };
    const nsid = nsids[i];
    if (nsid !== null && nsid >= 0) info.nsid = nsid;
    return info;
  });
}

/** The nsid each of `paths` has as seen from inside `netns` (-1: none; null: could not be opened). */
export async function nsidsFrom(netns: string | undefined, paths: string[]): Promise<(number | null)[]> {
  return withCallerStack(() => native().netNsids(netns, paths));
}

/**
 * The NetnsInfo of the namespace behind an nsfs path (undefined if it cannot be opened). One that
 * listNetns() cannot see (held only by an open fd, or mounted in another mount namespace) is
 * described from the path: no names, mounts or pids.
 */
export async function netnsInfoOf(path: string): Promise<NetnsInfo | undefined> {
  const id = await nsStat(path);
  if (!id) return undefined;
  const listed = (await listNetns()).find((ns) => ns.dev === id.dev && ns.inode === id.ino);
  if (listed) return listed;
  const info: NetnsInfo = { inode: id.ino, dev: id.dev, names: [], pids: [], mounts: [], path, current: false };
  const [nsid] = await nsidsFrom(undefined, [path]);
  if (nsid !== null && nsid >= 0) info.nsid = nsid;
  return info;
}
