// From a container id to its processes and network namespace, by the cgroup paths the runtimes
// create (the `crictl inspect <id> | grep pid` step without a CRI client).
import { readdir, readFile, stat } from 'node:fs/promises';
import { BpfError } from './errors';
import { describe } from './validate';

export type ContainerRuntime = 'containerd' | 'cri-o' | 'docker' | 'podman';

export interface ContainerInfo {
  /** The full 64-hex-digit id, as it appears in the cgroup path. */
  id: string;
  /** Known from the cgroup name's prefix (systemd driver: cri-containerd-, crio-, docker-, libpod-). */
  runtime?: ContainerRuntime;
  /** The container's cgroup path (as one of its processes reports it). */
  cgroup: string;
  /** Processes in the container's cgroup (or below it), ascending. */
  pids: number[];
  /** The network namespace of the lowest pid; undefined if it exited meanwhile. Use `{ pid }` as a NetnsRef. */
  netns?: { pid: number; path: string; inode: number; dev: number };
}

/** Prefixes of the systemd-driver scope names, and Kubernetes' `containerID` URL schemes. */
const SCOPE_PREFIXES: Record<string, ContainerRuntime> = {
  'cri-containerd': 'containerd',
  crio: 'cri-o',
  docker: 'docker',
  libpod: 'podman',
};
const URL_SCHEMES = ['containerd://', 'cri-o://', 'docker://', 'podman://'];

/**
 * The container id a cgroup path names, if any: a last-but-any segment that is
 * `<prefix>-<64 hex>.scope` (systemd driver), `<prefix>-<64 hex>` (CRI-O's and Podman's cgroupfs
 * driver: /kubepods/…/pod<uid>/crio-<id>) or a bare 64-hex name (containerd's and Docker's
 * cgroupfs driver: /kubepods/…/pod<uid>/<id>, /docker/<id>). CRI-O's `crio-conmon-<id>` (the
 * monitor, not the container) is not a match.
 */
export function containerIdOfCgroup(path: string): { id: string; runtime?: ContainerRuntime } | undefined {
  if (typeof path !== 'string') throw new TypeError(`containerIdOfCgroup takes a cgroup path string, got ${describe(path)}`);
  const segments = path.split('/');
  for (let i = segments.length - 1; i >= 0; i--) {
    const s = segments[i];
    const scoped = /^([a-z-]+)-([0-9a-f]{64})(?:\.scope)?$/.exec(s);
    if (scoped && SCOPE_PREFIXES[scoped[1]]) return { id: scoped[2], runtime: SCOPE_PREFIXES[scoped[1]] };
    if (/^[0-9a-f]{64}$/.test(s)) return segments[i - 1] === 'docker' ? { id: s, runtime: 'docker' } : { id: s };
  }
  return undefined;
}

/** The cgroup paths of a process: the v2 path, and any v1 hierarchies'. */
function cgroupPaths(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const second = line.indexOf(':', line.indexOf(':') + 1);
    if (second > 0) out.push(line.slice(second + 1));
  }
  return out;
}

function normalizeId(id: unknown): string {
  if (typeof id !== 'string') throw new TypeError(`container id must be a string, got ${describe(id)}`);
  let s = id.trim().toLowerCase();
  const scheme = URL_SCHEMES.find((p) => s.startsWith(p));
  if (scheme) s = s.slice(scheme.length);
  if (!/^[0-9a-f]{4,64}$/.test(s)) throw new RangeError(`container id must be 4 to 64 hex digits (a prefix is fine), got '${id}'`);
  return s;
}

/**
 * The processes whose cgroup path names the container `id` (full or a unique prefix, as crictl
 * and docker accept; `containerd://…` URLs too), and their network namespace. Rejects with a
 * BpfError ENOENT when no process matches, and with an Error when a prefix matches several
 * containers.
 */
export async function resolveContainer(id: string): Promise<ContainerInfo> {
  const wanted = normalizeId(id);
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number).sort((a, b) => a - b);
  const matches = new Map<string, { runtime?: ContainerRuntime; cgroup: string; pids: number[] }>();
  await Promise.all(
    pids.map(async (pid) => {
      let text: string;
      try {
        text = await readFile(`/proc/${pid}/cgroup`, 'utf8');
      } catch {
        return; // exited meanwhile
      }
      for (const path of cgroupPaths(text)) {
        const found = containerIdOfCgroup(path);
        if (!found || !found.id.startsWith(wanted)) continue;
        let m = matches.get(found.id);
        if (!m) matches.set(found.id, (m = { runtime: found.runtime, cgroup: path, pids: [] }));
        m.pids.push(pid);
        return;
      }
    }),
  );
  if (matches.size === 0) {
    throw new BpfError({ errno: 2, code: 'ENOENT', op: 'resolveContainer', object: `container ${id}`, description: 'No process in a cgroup of that container' });
  }
  if (matches.size > 1) throw new Error(`container id prefix '${id}' is ambiguous: ${[...matches.keys()].join(', ')}`);
  const [[fullId, m]] = [...matches];
  m.pids.sort((a, b) => a - b);
  const info: ContainerInfo = { id: fullId, cgroup: m.cgroup, pids: m.pids };
  if (m.runtime) info.runtime = m.runtime;
  for (const pid of m.pids) {
    const path = `/proc/${pid}/ns/net`;
    try {
      const s = await stat(path);
      info.netns = { pid, path, inode: s.ino, dev: s.dev };
      break;
    } catch {
      // this pid exited; try the next
    }
  }
  return info;
}
