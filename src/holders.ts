// Which processes hold BPF programs, maps, links and BTF objects open: bpftool's `pids` (`bpftool
// prog show` prints them as `pids cilium-agent(1234)`), read from /proc by the addon (native/holders.cc).
import { withCallerStack } from './errors';
import { native } from './native';
import { tableRowsOf } from './table';

/** A process holding one object open. */
export interface HolderProcess {
  pid: number;
  /** The process's name (/proc/<pid>/comm), as bpftool prints it; undefined if it exited before its name was read. */
  comm?: string;
  /** Its fds on the object, lowest first: a process can hold one object more than once. */
  fds: number[];
}

/** Every process that holds each object, by object id; processes in pid order. */
export interface BpfHolders {
  programs: Map<number, HolderProcess[]>;
  maps: Map<number, HolderProcess[]>;
  links: Map<number, HolderProcess[]>;
  /** BTF objects, by BTF id (`bpftool btf show` lists their holders too). */
  btfs: Map<number, HolderProcess[]>;
  /**
   * Processes whose fds could not be read: another user's, when the caller lacks
   * CAP_DAC_READ_SEARCH (to list their /proc/PID/fd) or CAP_SYS_PTRACE (to read each fd). What they hold is unknown, so an object missing from the maps above may still
   * be held by one of them.
   */
  unreadable: number[];
}

interface HolderRow {
  kind: 'program' | 'map' | 'link' | 'BTF';
  id: number;
  pid: number;
  fd: number;
  comm?: string;
}

const holderRowsOf = tableRowsOf<HolderRow>(() => native().schemas.holder);

/**
 * Which processes hold each BPF program, map, link and BTF object open, from every process's fds in /proc
 * (the processes of the pid namespace that /proc shows). An object that only a pin or an
 * attachment keeps alive has no holder. Like bpftool, a process counts once per object, here with
 * all its fds on it.
 */
export async function listHolders(): Promise<BpfHolders> {
  const { table, unreadable } = await withCallerStack(() => native().listHolders());
  const byKind = { program: new Map<number, HolderProcess[]>(), map: new Map<number, HolderProcess[]>(), link: new Map<number, HolderProcess[]>(), BTF: new Map<number, HolderProcess[]>() };
  for (const row of holderRowsOf(table)) {
    const processes = byKind[row.kind].get(row.id) ?? [];
    if (processes.length === 0) byKind[row.kind].set(row.id, processes);
    let holder = processes.find((p) => p.pid === row.pid);
    if (!holder) processes.push((holder = { pid: row.pid, comm: row.comm, fds: [] }));
    holder.fds.push(row.fd);
  }
  for (const processes of Object.values(byKind).flatMap((holders) => [...holders.values()])) {
    processes.sort((a, b) => a.pid - b.pid);
    for (const p of processes) p.fds.sort((a, b) => a - b);
  }
  return { programs: byKind.program, maps: byKind.map, links: byKind.link, btfs: byKind.BTF, unreadable: [...unreadable].sort((a, b) => a - b) };
}
