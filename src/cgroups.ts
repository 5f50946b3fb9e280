// Programs attached to cgroups: what `bpftool cgroup show` and `bpftool cgroup tree` print. This
// is where Cilium's socket load balancing runs (cil_sock4_connect and its kin on the cgroup root).
import { readFile } from 'node:fs/promises';
import { normalize, resolve } from 'node:path';
import { withCallerStack } from './errors';
import { linksOf } from './links';
import { mountsOf } from './mounts';
import { ATTACH_TYPES, nameOf, valueOf, type AttachTypeName, type ProgramTypeName } from './names';
import { native } from './native';
import { programsOf, type ProgramInfo } from './programs';
import { tableRowsOf, type NativeTable } from './table';
import { checkOptions, checkPath, describe } from './validate';

export interface CgroupAttachment {
  /**
   * The cgroup directory. In an effective listing, the cgroup asked about: the program may be
   * attached to one of its ancestors.
   */
  cgroup: string;
  /** The cgroup's id (its directory's inode), as a cgroup link's `cgroupId` names it. */
  cgroupId: bigint;
  attachType: AttachTypeName | number;
  progId: number;
  /**
   * The program's full name, and its type; undefined when it was freed while being listed, and
   * without CAP_SYS_ADMIN (which reading a program by id needs).
   */
  progName?: string;
  progType?: ProgramTypeName | number;
  /**
   * How it was attached, as bpftool prints it: 'multi' (BPF_F_ALLOW_MULTI, which links get too),
   * 'override' (BPF_F_ALLOW_OVERRIDE), 'none' (neither: no program below may attach), or the
   * number of flags bpfscope does not name. Per program since Linux 6.0, before that the hook's.
   * Undefined in effective listings: the kernel does not report flags there.
   */
  attachFlags?: 'multi' | 'override' | 'none' | number;
  /**
   * The BPF link that attaches it here; undefined when BPF_PROG_ATTACH did, in effective listings,
   * and without CAP_SYS_ADMIN (which walking the links needs). The kernel's query names programs,
   * not links: where one program is attached to a hook more than once (by several links, or by
   * links and the one BPF_PROG_ATTACH the kernel allows per program and hook), each of its links is
   * named on one of its rows, in id order on its last rows in run order, and its first row has none
   * when it has one row more than links. That is the order the kernel keeps when each came after
   * the other; which row BPF_PROG_ATTACH made, the kernel does not say.
   */
  linkId?: number;
}

export interface CgroupAttachmentOptions {
  /** A cgroup v2 directory (rows name it normalised, without a trailing slash); default: the cgroup2 mount (the root of the hierarchy). */
  path?: string;
  /** Every program that runs for the cgroup, its ancestors' included (`bpftool cgroup show PATH effective`). */
  effective?: boolean;
  /** The cgroup and every cgroup below it, in a pre-order walk in name order (`bpftool cgroup tree`). */
  recursive?: boolean;
}

/** The attach types of cgroup hooks, in bpftool's order (the kernel's enum). */
const CGROUP_ATTACH_TYPES = ATTACH_TYPES.filter((t) => t.startsWith('cgroup_') || t === 'lsm_cgroup').map((t) => valueOf(ATTACH_TYPES, t));
const FLAG_NAMES: Record<number, 'multi' | 'override' | 'none'> = { 0: 'none', 1: 'override', 2: 'multi' };

interface CgroupRow {
  cgroup: string;
  cgroupId: bigint;
  attachType: AttachTypeName | number;
  progId: number;
  attachFlags?: number;
}
const rowsOf = tableRowsOf<CgroupRow>(() => native().schemas.cgroupAttachment, {
  derive: { attachType: { from: 'attachType', convert: (n: number) => nameOf(ATTACH_TYPES, n) } },
});

/**
 * The programs attached to a cgroup (or, recursive, to every cgroup below it), per cgroup in
 * attach-type order and, within a hook, in the order they run, as `bpftool cgroup show/tree`
 * lists them. Needs CAP_NET_ADMIN (or CAP_SYS_ADMIN) for BPF_PROG_QUERY; the program names and
 * links are read by id, which needs CAP_SYS_ADMIN: without it they are left undefined.
 */
export async function listCgroupAttachments(options: CgroupAttachmentOptions = {}): Promise<CgroupAttachment[]> {
  const o = checkOptions<CgroupAttachmentOptions>(options, ['path', 'effective', 'recursive'], 'listCgroupAttachments');
  for (const flag of ['effective', 'recursive'] as const) {
    if (o[flag] !== undefined && typeof o[flag] !== 'boolean') throw new TypeError(`listCgroupAttachments ${flag} must be a boolean, got ${describe(o[flag])}`);
  }
  let path = o.path === undefined ? undefined : cgroupPath(checkPath(o.path, 'cgroup path'));
  if (path === undefined) {
    [path] = await mountsOf('cgroup2');
    if (path === undefined) throw new Error('no cgroup2 mount: pass the path of a cgroup v2 directory');
  }
  const effective = o.effective ?? false;
  const raw = await withCallerStack(() => native().cgroupQuery(path, CGROUP_ATTACH_TYPES, effective, o.recursive ?? false));
  const programs = new Map<number, ProgramInfo>(programsOf(raw.programs).map((p) => [p.id, p]));
  const rows = rowsOf(raw.attachments);
  const linkIds = effective ? [] : pairLinks(rows, linkQueues(raw.links));
  return rows.map((row, i) => {
    const out: CgroupAttachment = { cgroup: row.cgroup, cgroupId: row.cgroupId, attachType: row.attachType, progId: row.progId };
    const p = programs.get(row.progId);
    if (p) {
      out.progName = p.name;
      out.progType = p.type;
    }
    if (row.attachFlags !== undefined) out.attachFlags = FLAG_NAMES[row.attachFlags] ?? row.attachFlags;
    if (linkIds[i] !== undefined) out.linkId = linkIds[i];
    return out;
  });
}

/** The path as rows name it: its children joined to it without a doubled slash ("dir/" → "dir"). */
function cgroupPath(path: string): string {
  const normal = normalize(path);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

const hookKey = (a: { cgroupId: bigint; attachType: AttachTypeName | number; progId: number }) => `${a.cgroupId} ${a.attachType} ${a.progId}`;

/** The cgroup links of each (cgroup, hook, program), in id order: a cgroup link names its cgroup by id. */
function linkQueues(table: NativeTable): Map<string, number[]> {
  const queues = new Map<string, number[]>();
  for (const l of linksOf(table)) {
    if (l.type !== 'cgroup') continue;
    const key = hookKey(l);
    const queue = queues.get(key);
    if (queue) queue.push(l.id);
    else queues.set(key, [l.id]);
  }
  return queues;
}

/**
 * Each row's link id. The kernel's query names programs, not links, so a program's rows on one
 * hook share its links: the last rows take them, in id order. The kernel appends each attachment
 * to the hook (unless BPF_F_BEFORE/AFTER places it, Linux 6.16+) and link ids grow, so links sit
 * in id order, after the one BPF_PROG_ATTACH the kernel allows a program on a hook when it came
 * first, as it does for a loader moving to links.
 */
function pairLinks(rows: CgroupRow[], links: Map<string, number[]>): (number | undefined)[] {
  const left = new Map<string, number>();
  for (const row of rows) left.set(hookKey(row), (left.get(hookKey(row)) ?? 0) + 1);
  return rows.map((row) => {
    const key = hookKey(row);
    const rowsFromHere = left.get(key)!; // this row and the program's later rows on the hook
    left.set(key, rowsFromHere - 1);
    const ids = links.get(key) ?? [];
    return rowsFromHere <= ids.length ? ids[ids.length - rowsFromHere] : undefined;
  });
}

/**
 * The cgroup v2 directory of a process: the path in the "0::" line of /proc/<pid>/cgroup, under
 * the cgroup2 mount. Rejects when the process is gone, or when it is in no cgroup v2 (a host with
 * cgroup v1 only).
 */
export async function cgroupOfProcess(pid: number): Promise<string> {
  const text = await readFile(`/proc/${pid}/cgroup`, 'utf8');
  const line = text.split('\n').find((l) => l.startsWith('0::'));
  const [mount] = await mountsOf('cgroup2');
  if (line === undefined || mount === undefined) throw new Error(`process ${pid} is in no cgroup v2`);
  // "0::/" (the root cgroup) names the mount itself: resolve() drops the trailing slash join() keeps.
  return resolve(mount, `.${line.slice(3)}`);
}
