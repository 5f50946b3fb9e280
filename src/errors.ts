// BpfError: every failed kernel call, with the errno's name, the operation and the object.
import { constants } from 'node:os';

/** Which capability a kernel operation checks, named in EPERM/EACCES messages. */
const CAPABILITY_BY_OP: Record<string, string> = {
  BPF_PROG_GET_NEXT_ID: 'CAP_SYS_ADMIN',
  BPF_MAP_GET_NEXT_ID: 'CAP_SYS_ADMIN',
  BPF_LINK_GET_NEXT_ID: 'CAP_SYS_ADMIN',
  BPF_BTF_GET_NEXT_ID: 'CAP_SYS_ADMIN',
  BPF_PROG_GET_FD_BY_ID: 'CAP_SYS_ADMIN',
  BPF_MAP_GET_FD_BY_ID: 'CAP_SYS_ADMIN',
  BPF_LINK_GET_FD_BY_ID: 'CAP_SYS_ADMIN',
  BPF_BTF_GET_FD_BY_ID: 'CAP_SYS_ADMIN',
  BPF_ENABLE_STATS: 'CAP_SYS_ADMIN',
  BPF_TASK_FD_QUERY: 'CAP_SYS_ADMIN',
  // The kernel refuses no caller the info call; bpfscope fails it when the kernel withheld a program's instructions.
  BPF_OBJ_GET_INFO_BY_FD: 'CAP_BPF',
  // The kernel zeroes a program's JITed code and addresses for callers it hides kernel addresses
  // from (bpf_dump_raw_ok, as /proc/kallsyms does); bpfscope fails the read then.
  'read JITed code': 'CAP_SYSLOG (or kernel.kptr_restrict 0 with kernel.perf_event_paranoid at most 1)',
  BPF_OBJ_GET: 'CAP_BPF',
  BPF_OBJ_PIN: 'CAP_BPF',
  BPF_MAP_CREATE: 'CAP_BPF',
  BPF_BTF_LOAD: 'CAP_BPF',
  BPF_PROG_LOAD: 'CAP_BPF (and CAP_NET_ADMIN or CAP_PERFMON for most program types)',
  BPF_MAP_LOOKUP_ELEM: 'CAP_BPF',
  BPF_MAP_LOOKUP_BATCH: 'CAP_BPF',
  BPF_MAP_GET_NEXT_KEY: 'CAP_BPF',
  BPF_MAP_UPDATE_ELEM: 'CAP_BPF',
  BPF_MAP_UPDATE_BATCH: 'CAP_BPF',
  BPF_MAP_DELETE_ELEM: 'CAP_BPF',
  BPF_PROG_TEST_RUN: 'CAP_BPF',
  BPF_PROG_QUERY: 'CAP_NET_ADMIN',
  BPF_PROG_ATTACH: 'CAP_NET_ADMIN',
  BPF_PROG_DETACH: 'CAP_NET_ADMIN',
  BPF_LINK_CREATE: 'CAP_NET_ADMIN',
  // A raw tracepoint runs tracing programs, which need CAP_PERFMON besides CAP_BPF.
  BPF_RAW_TRACEPOINT_OPEN: 'CAP_PERFMON and CAP_BPF',
  perf_event_open: 'CAP_PERFMON (or a kernel.perf_event_paranoid that allows it)',
  setns: 'CAP_SYS_ADMIN',
  unshare: 'CAP_SYS_ADMIN',
  mount: 'CAP_SYS_ADMIN',
  umount: 'CAP_SYS_ADMIN',
  // A process's namespace file is opened with ptrace read-access checks (any other file by its
  // mode), which root in the process's user namespace passes unless an LSM (Yama, SELinux) says no.
  'open netns': 'ptrace read access to the process: CAP_SYS_PTRACE in its user namespace, or its uid while it is dumpable',
  // /proc/PID/fd is searchable by the process's own uid only, and each link in it by ptrace readers.
  'open /proc/PID/fd': "search permission on the process's /proc/PID/fd (its uid, or CAP_DAC_READ_SEARCH) and ptrace read access to it (CAP_SYS_PTRACE in its user namespace)",
  open: 'read and search permission on the path (or CAP_DAC_READ_SEARCH)',
  // A socket's namespace is asked of a copy of the socket, taken from its process as a debugger would.
  pidfd_getfd: 'ptrace attach access to the process: CAP_SYS_PTRACE in its user namespace (and a Yama ptrace_scope below 3)',
  SIOCGSKNS: "CAP_NET_ADMIN in the user namespace that owns the socket's network namespace",
  RTM_NEWLINK: 'CAP_NET_ADMIN',
  RTM_SETLINK: 'CAP_NET_ADMIN',
  RTM_DELLINK: 'CAP_NET_ADMIN',
  RTM_NEWQDISC: 'CAP_NET_ADMIN',
  RTM_DELQDISC: 'CAP_NET_ADMIN',
  RTM_NEWADDR: 'CAP_NET_ADMIN',
  RTM_NEWROUTE: 'CAP_NET_ADMIN',
  RTM_NEWNEIGH: 'CAP_NET_ADMIN',
  RTM_NEWTFILTER: 'CAP_NET_ADMIN',
  SIOCETHTOOL: 'CAP_NET_ADMIN',
  // File permissions on bpffs paths, which root's CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH bypass.
  opendir: 'read and search permission on the directory (or CAP_DAC_READ_SEARCH)',
  stat: 'search permission on the path (or CAP_DAC_READ_SEARCH)',
  statfs: 'search permission on the path (or CAP_DAC_READ_SEARCH)',
};

/**
 * Where EACCES means something other than EPERM for the same operation: file permissions. (A
 * BPF_OBJ_GET of a path that holds no pin is also EACCES to the kernel; the addon reports those
 * as EXDEV or EISDIR instead: native/common.cc ObjGetAccessDenied.)
 */
const CAPABILITY_BY_OP_EACCES: Record<string, string> = {
  BPF_OBJ_GET: 'read permission on the pin (read and write for programs and links), or CAP_DAC_OVERRIDE',
};

/** What the native layer reports for a failed call. */
export interface BpfErrorFields {
  errno: number;
  code: string;
  op: string;
  object: string;
  description?: string;
  detail?: string;
}

/**
 * A kernel call failed. `code` is the errno's name (`'ENOENT'`, `'EPERM'`, `'ENOTSUPP'` for the
 * kernel-internal 524), `op` the operation (`'BPF_PROG_GET_FD_BY_ID'`), `object` what it was done to.
 * For EPERM and EACCES, `capability` names what the caller lacks and the message says so.
 */
export class BpfError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly op: string;
  readonly object: string;
  readonly capability?: string;
  /** The errno's text ("No such file or directory"), or what bpfscope says in its place. */
  readonly description?: string;
  /** Extra text from the kernel (a netlink extended ack, a verifier log), or from bpfscope. */
  readonly detail?: string;

  constructor(fields: BpfErrorFields) {
    const capability =
      fields.code === 'EPERM' || fields.code === 'EACCES' ? capabilityFor(fields.op, fields.code) : undefined;
    let message = `${fields.op} ${fields.object}: ${fields.description ?? fields.code} (${fields.code})`;
    if (capability) message += `; this needs ${capability}`;
    // One-line details ("not on a bpffs mount") belong in the message; verifier logs stay in `detail`.
    if (fields.detail && fields.detail.length < 200 && !fields.detail.includes('\n')) message += ` (${fields.detail})`;
    super(message);
    this.name = 'BpfError';
    this.errno = fields.errno;
    this.code = fields.code;
    this.op = fields.op;
    this.object = fields.object;
    if (capability) this.capability = capability;
    if (fields.description) this.description = fields.description;
    if (fields.detail) this.detail = fields.detail;
  }
}

/**
 * A failed Node fs call as a BpfError, as every other failed kernel call: `op` the call's name
 * (default Node's `syscall`), which names the capability EACCES wants. Anything else is returned as is.
 */
export function fsError(err: unknown, object: string, op?: string): unknown {
  const { code, syscall } = err as NodeJS.ErrnoException;
  if (code === undefined) return err;
  const errno = (constants.errno as Record<string, number>)[code] ?? 0;
  return new BpfError({ errno, code, op: op ?? syscall ?? 'open', object, description: (err as Error).message.replace(/^[A-Z]+: /, '').replace(/, \w+( '.*')?$/, '') });
}

/** The capability a failed operation needed, when bpfscope knows it (`code`: the errno's name, if known). */
export function capabilityFor(op: string, code?: string): string | undefined {
  return (code === 'EACCES' ? CAPABILITY_BY_OP_EACCES[op] : undefined) ?? CAPABILITY_BY_OP[op];
}

/**
 * Runs a native call and, if it rejects, gives the error the caller's stack: errors made on a
 * worker thread otherwise point into bpfscope's internals.
 */
export async function withCallerStack<T>(call: () => Promise<T>): Promise<T> {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, withCallerStack);
  try {
    return await call();
  } catch (err) {
    if (err instanceof Error && holder.stack) {
      err.stack = `${err.name}: ${err.message}\n${holder.stack.split('\n').slice(1).join('\n')}`;
    }
    throw err;
  }
}

/**
 * A copy of an error (its class, message, code and other own fields), for each of several callers
 * that share one failed call: each can then take the copy as its own (withCallerStack writes the
 * caller's stack into it) without touching what the others were given.
 */
export function copyError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const copy = Object.create(Object.getPrototypeOf(err) as object) as Error;
  for (const [key, d] of Object.entries(Object.getOwnPropertyDescriptors(err))) {
    // Newer V8 (Node 22's, not Node 20's) makes `stack` an own accessor that reads the error it
    // was made for: the copy takes its value instead.
    const own = 'get' in d || 'set' in d ? { value: (err as unknown as Record<string, unknown>)[key], writable: true, configurable: true, enumerable: d.enumerable } : d;
    Object.defineProperty(copy, key, own);
  }
  return copy;
}
