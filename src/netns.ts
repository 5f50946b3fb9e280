// Network namespaces: how callers name one (NetnsRef), and every namespace on the host.
import { readdir, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { copyError, withCallerStack } from './errors';
import { mountEntriesOf, parseMountEntries, type MountEntry } from './mounts';
import { native } from './native';
import { tableRowsOf } from './table';
import { checkOptions, checkPath, describe } from './validate';

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

/** A process's open fd on a network namespace's file (`/proc/PID/fd/FD`). */
export interface NetnsFd {
  pid: number;
  fd: number;
}

/**
 * A thread in another network namespace than its process's first thread (`/proc/PID/task/TID/ns/net`):
 * one that entered it alone, with setns or unshare (Go's `netns.Do` on a locked OS thread, a CNI
 * plugin mid-call).
 */
export interface NetnsThread {
  pid: number;
  tid: number;
}

/**
 * A socket made in another network namespace than its process's (`socket:[INODE]` in
 * /proc/PID/fd): a socket keeps the namespace it was made in alive, after every name, process and
 * fd of it is gone (a proxy or a CNI plugin that made it inside and went back; Go's netns.Do).
 */
export interface NetnsSocket {
  pid: number;
  fd: number;
  /** The socket's inode (`ss -e`'s `ino:`, `lsof`'s NODE). */
  inode: number;
  /** SO_DOMAIN: AF_UNIX 1, AF_INET 2, AF_INET6 10, AF_NETLINK 16, AF_PACKET 17, … */
  family: number;
  /** SO_TYPE: SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_RAW 3, SOCK_SEQPACKET 5. */
  type: number;
  /** SO_PROTOCOL: the protocol it was made with (IPPROTO_TCP 6, IPPROTO_UDP 17; a NETLINK_* for netlink). */
  protocol: number;
}

/**
 * A bind mount of a network namespace in a mount namespace other than the caller's (a container
 * runtime's own, a service's private one), reached through the root of a process in it.
 */
export interface NetnsForeignMount {
  /** The mount namespace's inode (what `readlink /proc/PID/ns/mnt` and `lsns -t mnt` show). */
  mntns: number;
  /** The process of that mount namespace whose mountinfo listed the mount (the lowest pid that could be read). */
  pid: number;
  /** Where the namespace is mounted, as that process sees its mount namespace (its mountinfo). */
  mountPoint: string;
  /** `/proc/PID/root` followed by the mount point: a path that opens the namespace from the caller while that process lives. */
  path: string;
}

/** One network namespace on the host, and what holds it. */
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
  /**
   * Its bind mounts in other mount namespaces, by mount namespace then mount point. A mount the
   * caller's mount namespace has too (the same namespace at the same place: the copy a new mount
   * namespace starts with, or one propagated to it) is left out.
   */
  foreignMounts: NetnsForeignMount[];
  /**
   * Processes' open fds on it (a runtime's or a CNI plugin's handle), by pid then fd; undefined
   * when they were not read (listNetns `{ fds: false }`, a namespace described from its path).
   */
  fds?: NetnsFd[];
  /**
   * Threads in it whose process's first thread is in another namespace, by pid then tid; undefined
   * when they were not read (listNetns `{ threads: false }`, a namespace described from its path).
   */
  threads?: NetnsThread[];
  /**
   * Sockets made in it whose process is in another namespace, by pid then fd; undefined when they
   * were not read (listNetns without `{ sockets: true }`, a namespace described from its path).
   */
  sockets?: NetnsSocket[];
  /**
   * A path that opens it: its first name, else its first mount, else its first mount elsewhere,
   * else its first process's /proc/PID/ns/net, else its first fd's /proc/PID/fd/FD, else its first
   * thread's /proc/PID/task/TID/ns/net, else its first socket's /proc/PID/fd/FD (which bpfscope
   * opens as the socket's namespace: SIOCGSKNS; `nsenter` cannot).
   */
  path: string;
  /** The nsid this namespace has in the caller's namespace (`ip netns list-id`); undefined when none is assigned. */
  nsid?: number;
  /** Whether it is the caller's own namespace. */
  current: boolean;
}

type Found = Omit<NetnsInfo, 'path' | 'nsid' | 'current'>;

/** One row of the addon's walk of /proc (native/holders.cc, ListNetnsHoldersTask). */
interface HolderRow {
  kind: 'net' | 'fd' | 'thread' | 'socket' | 'mnt';
  pid: number;
  /** A network namespace's inode ('net', 'fd', 'thread', 'socket'), or a mount namespace's ('mnt'). */
  inode: number;
  dev?: number;
  fd?: number;
  tid?: number;
  /** 'socket': the socket's inode, SO_DOMAIN, SO_TYPE and SO_PROTOCOL. */
  socket?: number;
  family?: number;
  type?: number;
  protocol?: number;
  /** The nsfs lines of the process's mountinfo ('mnt'). */
  mountinfo?: string;
}

const holderRowsOf = tableRowsOf<HolderRow>(() => native().schemas.netnsHolder);

/** The network namespaces among nsfs mounts: such a mount's root is `net:[INODE]`. */
function netMounts(entries: MountEntry[]): { inode: number; mountPoint: string }[] {
  return entries.flatMap(({ root, mountPoint }) => {
    const inode = /^net:\[(\d+)\]$/.exec(root)?.[1];
    return inode !== undefined ? [{ inode: Number(inode), mountPoint }] : [];
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

/** Options of listNetns(). */
export interface ListNetnsOptions {
  /**
   * Whether to read every process's fds for the namespaces they hold (`fds`); default true. It is
   * most of a scan's cost, which grows with the fds of the host: 0.26 s for the 42,000 fds of 480
   * processes (against 12 ms without), 18 ms against 14 on a quiet machine. Without it, `fds` is
   * undefined and a namespace that only fds hold is missing.
   */
  fds?: boolean;
  /**
   * Whether to read the threads of multi-threaded processes for those in another namespace than
   * their process (`threads`); default: as `fds`, so that `{ fds: false }` stays the cheap scan. It
   * costs a readlink per thread of every multi-threaded process (0.30 ms for 85 threads here, a
   * quarter of a scan without fds), and grows with the threads of the host. Without it, `threads`
   * is undefined and a namespace that only a thread is in is missing.
   */
  threads?: boolean;
  /**
   * Whether to ask every process's sockets which namespace each was made in (`sockets`); default
   * false. Each socket costs a copy of it (pidfd_getfd, which needs ptrace attach access to its
   * process: CAP_SYS_PTRACE, and Yama's ptrace_scope below 3) and its namespace's cookie, about
   * 9 µs a socket here, over twice what reading its fd costs: with 10,000 sockets more open, a scan
   * took 51 ms, and 144 ms asking them (`npm run bench`). The namespace itself is asked with
   * SIOCGSKNS, which needs CAP_NET_ADMIN over it: a socket that either call is refused for is left
   * out, and no error says so. Only sockets in another namespace than their process's are listed.
   * Without it, `sockets` is undefined and a namespace that only a socket holds is missing.
   */
  sockets?: boolean;
}

/**
 * Every network namespace on the host, deduplicated by (dev, inode), with what holds each and the
 * nsid each has from the caller's namespace (RTM_GETNSID): its names in /var/run/netns, its bind
 * mounts elsewhere in the caller's mount namespace and in other mount namespaces (a container
 * runtime's own), the processes in it, processes' open fds on it and threads that entered it alone,
 * from /proc (the processes of the pid namespace that /proc shows; without CAP_SYS_PTRACE, the
 * caller's own, and without CAP_DAC_READ_SEARCH as well the fds of the caller's own), and with `{ sockets: true }` the sockets made in it. Not visible: a namespace held
 * only by the kernel (a socket in flight in a unix socket's queue, a kernel socket). A name under
 * /var/run/netns with no namespace mounted on it is skipped.
 */
export async function listNetns(options?: ListNetnsOptions): Promise<NetnsInfo[]> {
  const o = checkOptions<ListNetnsOptions>(options, ['fds', 'threads', 'sockets'], 'listNetns');
  for (const key of ['fds', 'threads', 'sockets'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw new TypeError(`listNetns ${key} must be a boolean, got ${describe(o[key])}`);
  }
  // A scan stats every name and every /proc/PID/ns/net: on a node with 150 pods, 150 concurrent
  // callers (findPeer from each host veth, explainPod by IP) made 150 scans at once and stalled
  // the event loop for about a second. Callers arriving while a scan is in flight share the next
  // one instead (the one in flight may have read /var/run/netns and /proc before they called), so
  // any number of concurrent calls make at most two scans, and each still sees what existed when
  // it was called. Each caller gets its own copy of the result, or of the error with its own stack.
  const fds = o.fds !== false;
  const scans = sharedScans({ fds, threads: o.threads ?? fds, sockets: o.sockets ?? false });
  let shared: Promise<NetnsInfo[]>;
  if (!scans.scanning) {
    shared = startScan(scans);
  } else {
    const { scanning } = scans;
    shared = scans.queued ??= scanning.then(noop, noop).then(() => {
      scans.queued = undefined;
      return scans.scanning ?? startScan(scans);
    });
  }
  return withCallerStack(() => shared.then(copyNetns, (err: unknown) => Promise.reject(copyError(err))));
}

/** What a scan reads besides names, mounts and processes. */
interface ScanKind {
  fds: boolean;
  threads: boolean;
  sockets: boolean;
}

/** The scan in flight and the one queued behind it, of one kind. */
interface SharedScans {
  kind: ScanKind;
  scanning?: Promise<NetnsInfo[]>;
  queued?: Promise<NetnsInfo[]>;
}

const scanKinds = new Map<string, SharedScans>();

function sharedScans(kind: ScanKind): SharedScans {
  const key = `${kind.fds}:${kind.threads}:${kind.sockets}`;
  let scans = scanKinds.get(key);
  if (!scans) scanKinds.set(key, (scans = { kind }));
  return scans;
}

function noop(): void {}

function startScan(scans: SharedScans): Promise<NetnsInfo[]> {
  const scan = scanNetns(scans.kind);
  scans.scanning = scan;
  const done = (): void => {
    if (scans.scanning === scan) scans.scanning = undefined;
  };
  scan.then(done, done);
  return scan;
}

/**
 * Hands `visit` the namespaces listNetns finds without reading fds and threads and, only when it
 * finds nothing there (returns undefined), those that only fds, threads or sockets hold: what
 * findPeer, findLinkDevices and explainPod look for is nearly always in the first, which costs a
 * fraction of the fd scan.
 */
export async function visitNetns<T>(visit: (namespaces: NetnsInfo[]) => Promise<T | undefined>): Promise<T | undefined> {
  const first = await listNetns({ fds: false });
  const found = await visit(first);
  if (found !== undefined) return found;
  const seen = new Set(first.map((ns) => `${ns.dev}:${ns.inode}`));
  const rest = (await listNetns({ sockets: true })).filter((ns) => !seen.has(`${ns.dev}:${ns.inode}`));
  return rest.length > 0 ? visit(rest) : undefined;
}

function copyNetns(list: NetnsInfo[]): NetnsInfo[] {
  return list.map((ns) => ({
    ...ns,
    names: [...ns.names],
    pids: [...ns.pids],
    mounts: [...ns.mounts],
    foreignMounts: ns.foreignMounts.map((m) => ({ ...m })),
    ...(ns.fds && { fds: ns.fds.map((f) => ({ ...f })) }),
    ...(ns.threads && { threads: ns.threads.map((t) => ({ ...t })) }),
    ...(ns.sockets && { sockets: ns.sockets.map((s) => ({ ...s })) }),
  }));
}

async function scanNetns({ fds, threads, sockets }: ScanKind): Promise<NetnsInfo[]> {
  const byId = new Map<string, Found>();
  const entry = (id: { dev: number; ino: number }): Found => {
    const key = `${id.dev}:${id.ino}`;
    let found = byId.get(key);
    if (!found) {
      found = { inode: id.ino, dev: id.dev, names: [], pids: [], mounts: [], foreignMounts: [], ...(fds && { fds: [] }), ...(threads && { threads: [] }), ...(sockets && { sockets: [] }) };
      byId.set(key, found);
    }
    return found;
  };
  const names = await readdirOrEmpty(NETNS_DIR);
  const [nameStats, own, ownMounts, namesDirs, holders] = await Promise.all([
    Promise.all(names.map((n) => nsStat(`${NETNS_DIR}/${n}`))),
    ownNetnsId(),
    mountEntriesOf('nsfs').then(netMounts),
    realpath(NETNS_DIR).then((real) => new Set([NETNS_DIR, real]), () => new Set([NETNS_DIR])),
    withCallerStack(() => native().listNetnsHolders(fds, threads, sockets)).then(holderRowsOf),
  ]);
  // Every namespace is an inode of the one nsfs, whose device is our own namespace's. A name on
  // another device is the bare file `ip netns add` mounts over: one whose namespace was unmounted
  // but not unlinked, or whose creator died in between. `ip netns list` prints such names (and
  // fails on their nsid); they name no namespace, so they are left out.
  names.forEach((n, i) => {
    const id = nameStats[i];
    if (id && id.dev === own.dev) entry(id).names.push(n);
  });
  // Every namespace is an inode of the one nsfs: a mount's root names its inode. Mounts under
  // /var/run/netns are the names.
  // A file with mounts stacked on it (mounted twice) is one way in: listed once.
  const ownMountKeys = new Set<string>();
  for (const m of ownMounts) {
    const key = `${m.inode}:${m.mountPoint}`;
    if (!namesDirs.has(dirname(m.mountPoint)) && !ownMountKeys.has(key)) entry({ dev: own.dev, ino: m.inode }).mounts.push(m.mountPoint);
    ownMountKeys.add(key);
  }
  const foreignMountKeys = new Set<string>();
  for (const h of holders) {
    if (h.kind === 'net') entry({ dev: h.dev ?? own.dev, ino: h.inode }).pids.push(h.pid);
    else if (h.kind === 'fd') entry({ dev: h.dev ?? own.dev, ino: h.inode }).fds?.push({ pid: h.pid, fd: h.fd as number });
    else if (h.kind === 'thread') entry({ dev: h.dev ?? own.dev, ino: h.inode }).threads?.push({ pid: h.pid, tid: h.tid as number });
    else if (h.kind === 'socket') {
      const { fd, socket, family, type, protocol } = h as Required<HolderRow>;
      entry({ dev: h.dev ?? own.dev, ino: h.inode }).sockets?.push({ pid: h.pid, fd, inode: socket, family, type, protocol });
    }
    else {
      for (const m of netMounts(parseMountEntries(h.mountinfo ?? '', 'nsfs'))) {
        const key = `${m.inode}:${m.mountPoint}`;
        if (ownMountKeys.has(key) || foreignMountKeys.has(`${h.inode}:${key}`)) continue;
        foreignMountKeys.add(`${h.inode}:${key}`);
        entry({ dev: own.dev, ino: m.inode }).foreignMounts.push({ mntns: h.inode, pid: h.pid, mountPoint: m.mountPoint, path: `/proc/${h.pid}/root${m.mountPoint}` });
      }
    }
  }
  const found = [...byId.values()];
  for (const f of found) {
    f.names.sort();
    f.mounts.sort();
    f.pids.sort((a, b) => a - b);
    f.foreignMounts.sort((a, b) => a.mntns - b.mntns || (a.mountPoint < b.mountPoint ? -1 : a.mountPoint > b.mountPoint ? 1 : 0));
    f.fds?.sort((a, b) => a.pid - b.pid || a.fd - b.fd);
    f.threads?.sort((a, b) => a.pid - b.pid || a.tid - b.tid);
    f.sockets?.sort((a, b) => a.pid - b.pid || a.fd - b.fd);
  }
  const paths = found.map(openingPath);
  const nsids = await withCallerStack(() => native().netNsids(undefined, paths));
  return found.map((f, i) => {
    const info: NetnsInfo = { ...f, path: paths[i], current: f.dev === own.dev && f.inode === own.ino };
    const nsid = nsids[i];
    if (nsid !== null && nsid >= 0) info.nsid = nsid;
    return info;
  });
}

/** The path NetnsInfo.path says: the steadiest way to the namespace first (a process or a fd may end any moment). */
function openingPath(f: Found): string {
  if (f.names.length) return `${NETNS_DIR}/${f.names[0]}`;
  if (f.mounts.length) return f.mounts[0];
  if (f.foreignMounts.length) return f.foreignMounts[0].path;
  if (f.pids.length) return `/proc/${f.pids[0]}/ns/net`;
  if (f.fds?.length) return `/proc/${f.fds[0].pid}/fd/${f.fds[0].fd}`;
  const [thread] = f.threads ?? [];
  if (thread) return `/proc/${thread.pid}/task/${thread.tid}/ns/net`;
  const [socket] = f.sockets ?? [];
  return `/proc/${socket.pid}/fd/${socket.fd}`;
}

/** The nsid each of `paths` has as seen from inside `netns` (-1: none; null: could not be opened). */
export async function nsidsFrom(netns: string | undefined, paths: string[]): Promise<(number | null)[]> {
  return withCallerStack(() => native().netNsids(netns, paths));
}

/**
 * The NetnsInfo of the namespace behind an nsfs path or a socket's /proc/PID/fd/FD (undefined if it
 * cannot be opened). One that listNetns() cannot see (held only by the kernel) is described from
 * the path: nothing holds it.
 */
export async function netnsInfoOf(path: string): Promise<NetnsInfo | undefined> {
  const id = await native().netnsId(path).catch(() => undefined);
  if (!id) return undefined;
  const listed = await visitNetns(async (namespaces) => namespaces.find((ns) => ns.dev === id.dev && ns.inode === id.ino));
  if (listed) return listed;
  const info: NetnsInfo = { inode: id.ino, dev: id.dev, names: [], pids: [], mounts: [], foreignMounts: [], path, current: false };
  const [nsid] = await nsidsFrom(undefined, [path]);
  if (nsid !== null && nsid >= 0) info.nsid = nsid;
  return info;
}
