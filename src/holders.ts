// Which processes hold BPF programs, maps, links and BTF objects open: bpftool's `pids` (`bpftool
// prog show` prints them as `pids cilium-agent(1234)`); and the programs processes run on perf
// events and raw tracepoints they hold (`bpftool perf`). Both read from /proc by the addon
// (native/holders.cc).
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

/**
 * What a program on a perf event or raw tracepoint is attached to, by enum bpf_task_fd_type
 * (Linux 4.18), in bpftool's words.
 */
export type PerfAttachmentType = 'raw_tracepoint' | 'tracepoint' | 'kprobe' | 'kretprobe' | 'uprobe' | 'uretprobe';

const PERF_ATTACHMENT_TYPES: readonly PerfAttachmentType[] = ['raw_tracepoint', 'tracepoint', 'kprobe', 'kretprobe', 'uprobe', 'uretprobe'];

/** The process and fd through which a program runs on a perf event or raw tracepoint. */
export interface PerfAttachmentBase {
  pid: number;
  /** The process's name (/proc/<pid>/comm); undefined if it exited before its name was read. */
  comm?: string;
  /** The perf event's fd, or the raw tracepoint link's. */
  fd: number;
  progId: number;
}

/**
 * A program on a perf event or raw tracepoint: an entry of `bpftool -j perf`, its keys camel-cased
 * and its `fd_type` named `type`. A union on `type`; a type this library does not know keeps its
 * number, with the name, offset and address the kernel gave.
 */
export type PerfAttachment = PerfAttachmentBase &
  (
    | { type: 'tracepoint' | 'raw_tracepoint'; tracepoint: string }
    /** A kprobe on a function (`func`, `offset` into it), or on an address where the kernel gives no function. */
    | { type: 'kprobe' | 'kretprobe'; func: string; offset: bigint }
    | { type: 'kprobe' | 'kretprobe'; addr: bigint }
    /** `filename` as the probe was made with (a path, maybe relative to the prober's directory); `offset` into the file. */
    | { type: 'uprobe' | 'uretprobe'; filename: string; offset: bigint }
    | { type: number; name: string; offset: bigint; addr: bigint }
  );

/** Every program on a perf event or raw tracepoint held by a process, and the processes whose fds could not be read. */
export interface PerfAttachments {
  /** By pid, then fd. */
  attachments: PerfAttachment[];
  /** As in BpfHolders: processes whose fds could not be read; what they hold is unknown. */
  unreadable: number[];
}

interface PerfAttachmentRow {
  pid: number;
  fd: number;
  progId: number;
  fdType: number;
  offset: bigint;
  addr: bigint;
  name: string;
  comm?: string;
}

const perfAttachmentRowsOf = tableRowsOf<PerfAttachmentRow>(() => native().schemas.perfAttachment);

/** A row as bpftool prints it: the fields its kind has. */
function perfAttachmentOf(row: PerfAttachmentRow): PerfAttachment {
  const { pid, comm, fd, progId, fdType, name, offset, addr } = row;
  const base = comm === undefined ? { pid, fd, progId } : { pid, comm, fd, progId };
  const type = PERF_ATTACHMENT_TYPES[fdType];
  switch (type) {
    case 'tracepoint':
    case 'raw_tracepoint':
      return { ...base, type, tracepoint: name };
    case 'kprobe':
    case 'kretprobe':
      return name === '' ? { ...base, type, addr } : { ...base, type, func: name, offset };
    case 'uprobe':
    case 'uretprobe':
      return { ...base, type, filename: name, offset };
    default:
      return { ...base, type: fdType, name, offset, addr };
  }
}

/**
 * The programs that processes run on perf events (tracepoints, kprobes, uprobes) and raw
 * tracepoints (`bpftool perf`): each fd on one, asked with BPF_TASK_FD_QUERY (CAP_SYS_ADMIN).
 * A program attached through a perf_event link shows here while its process keeps the perf event's
 * fd open, as libbpf does; listLinks() shows the link itself. A perf_event program on a hardware
 * or software event is not described by the kernel, and is left out, as bpftool leaves it. The
 * pids are those of /proc, which must belong to the caller's pid namespace.
 */
export async function listPerfAttachments(): Promise<PerfAttachments> {
  const { table, unreadable } = await withCallerStack(() => native().listPerfAttachments());
  const attachments = perfAttachmentRowsOf(table).map(perfAttachmentOf);
  attachments.sort((a, b) => a.pid - b.pid || a.fd - b.fd);
  return { attachments, unreadable: [...unreadable].sort((a, b) => a - b) };
}
