// BTF objects: what `bpftool btf show` prints. The kernel's own (vmlinux, one per module with
// BTF) and those programs and maps were loaded with, each with the programs and maps that use it.
import { withCallerStack } from './errors';
import { native } from './native';
import { tableRowsOf, type NativeTable } from './table';
import { checkId } from './validate';

export interface BtfInfo {
  id: number;
  /** The size of its raw data (header, types and strings), in bytes. */
  size: number;
  /**
   * `vmlinux`, or the module's name, for the kernel's own; undefined for one loaded by a process
   * (the kernel names none of those), and on kernels before Linux 5.11.
   */
  name?: string;
  /** Whether the kernel made it (vmlinux and modules) rather than a BPF_BTF_LOAD. Linux 5.11+. */
  kernel?: boolean;
  /** The programs loaded with it (their `btfId`), by id, as bpftool lists them in `prog_ids`. */
  progIds: number[];
  /** The maps created with it (their `btfId`), by id (`map_ids`). */
  mapIds: number[];
}

type NativeBtfInfo = Omit<BtfInfo, 'progIds' | 'mapIds'>;

const btfOf = tableRowsOf<NativeBtfInfo>(() => native().schemas.btf);

/**
 * Every BTF object, in id order. As `bpftool btf show` does, the programs and maps using each are
 * found by walking those too (their `btfId`); one that appears or goes between the walks may be
 * missing from them. Needs CAP_SYS_ADMIN, as the program and map walks do.
 */
export async function listBtf(): Promise<BtfInfo[]> {
  return withUsers(withCallerStack(() => native().listBtf()));
}

/** One BTF object by id. Rejects with a BpfError (ENOENT) when none has that id. */
export async function getBtfInfo(id: number): Promise<BtfInfo> {
  checkId(id, 'BTF id');
  return (await withUsers(withCallerStack(() => native().getBtfInfo(id))))[0];
}

interface Users {
  programs: Map<number, number[]>;
  maps: Map<number, number[]>;
}

/** The ids of the programs and of the maps that use each BTF object (native btfUsers: their btf_id alone). */
async function usersByBtf(): Promise<Users> {
  const { programs, maps } = await withCallerStack(() => native().btfUsers());
  const byBtf = (pairs: Uint32Array) => {
    const users = new Map<number, number[]>();
    for (let i = 0; i < pairs.length; i += 2) {
      const [id, btfId] = [pairs[i], pairs[i + 1]];
      const list = users.get(btfId);
      if (list) list.push(id);
      else users.set(btfId, [id]);
    }
    return users;
  };
  return { programs: byBtf(programs), maps: byBtf(maps) };
}

/**
 * The BTF objects read, each with its users (both read side by side). The BTF call's failure is
 * the one reported: without CAP_SYS_ADMIN all the calls are refused, and the first refused was
 * (getBtfInfo(1) as nobody said BPF_PROG_GET_NEXT_ID up to 1 time in 13, not the id asked for).
 */
async function withUsers(reading: Promise<NativeTable>): Promise<BtfInfo[]> {
  const [read, users] = await Promise.allSettled([reading, usersByBtf()]);
  if (read.status === 'rejected') throw read.reason;
  if (users.status === 'rejected') throw users.reason;
  const { programs, maps } = users.value;
  return btfOf(read.value).map((o) => ({ ...o, progIds: programs.get(o.id) ?? [], mapIds: maps.get(o.id) ?? [] }));
}
