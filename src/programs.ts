// BPF programs: what `bpftool prog show` prints, and run-time statistics.
import type { BtfValue } from './btf';
import { BpfError, withCallerStack } from './errors';
import type { BtfEntry } from './map-dump';
import { openMap, type BpfMap } from './maps';
import { native, type NativeFdHandle } from './native';
import { tableRowsOf } from './table';
import { nameOf, PROGRAM_TYPES, type ProgramTypeName } from './names';
import { checkId, describe } from './validate';
import { FdOwner } from './handle';

/** One loaded BPF program (struct bpf_prog_info plus fdinfo). */
export interface ProgramInfo {
  id: number;
  /** bpftool's name of the program type (`'sched_cls'`), or its number if bpfscope does not know it. */
  type: ProgramTypeName | number;
  /**
   * The full name: from BTF func_info when the kernel's name is cut at 15 characters, as bpftool
   * does. Without CAP_BPF the kernel withholds func_info, and this is the cut name.
   */
  name: string;
  /** The name as the kernel keeps it (at most 15 characters). */
  kernelName: string;
  /** The program tag, 16 hex digits. */
  tag: string;
  gplCompatible: boolean;
  /** When the program was loaded (from its boot-time load_time). Linux 4.15+. */
  loadedAt?: Date;
  /** load_time as the kernel reports it: nanoseconds since boot. */
  loadTimeNs?: bigint;
  /** The uid that loaded it. */
  uid?: number;
  /**
   * The size of its instructions after verification, whether the JIT compiled them and their
   * compiled size: undefined without CAP_BPF, for which the kernel zeroes them all.
   */
  bytesXlated?: number;
  jited?: boolean;
  bytesJited?: number;
  /** The kernel's memlock estimate, from /proc/self/fdinfo. */
  bytesMemlock?: bigint;
  mapIds: number[];
  /** The program's BTF object; undefined when it has none. */
  btfId?: number;
  /** Linux 5.1+; undefined on older kernels. Advances only while statistics are enabled. */
  runTimeNs?: bigint;
  /** Linux 5.1+; undefined on older kernels. Advances only while statistics are enabled. */
  runCount?: bigint;
  /** Linux 5.12+; undefined on older kernels. */
  recursionMisses?: bigint;
  /** Linux 5.16+; undefined on older kernels. */
  verifiedInsns?: number;
  /** Linux 5.18+: the BTF object and type a tracing/struct_ops program attaches to. */
  attachBtfObjId?: number;
  attachBtfId?: number;
  /** For offloaded programs: the device. */
  offloadIfindex?: number;
}

/** Program rows of a native table: the type's name, and a Date for the load time. */
export const programsOf = tableRowsOf<ProgramInfo>(() => native().schemas.program, {
  derive: {
    type: { from: 'type', convert: (n: number) => nameOf(PROGRAM_TYPES, n) },
    loadedAt: { from: 'loadedAtMs', convert: (ms: number) => new Date(ms) },
  },
});

/** Every BPF program on the machine, in id order, like `bpftool prog show`. Needs CAP_SYS_ADMIN. */
export async function listPrograms(): Promise<ProgramInfo[]> {
  return programsOf(await withCallerStack(() => native().listPrograms()));
}

/** One program by id. Rejects with a BpfError (ENOENT) when no program has that id. */
export async function getProgram(id: number): Promise<ProgramInfo> {
  checkId(id, 'program id');
  return programsOf(await withCallerStack(() => native().getProgram(id)))[0];
}

/** What a variable's name starts with when `bpftool prog show` prints it as metadata (bpftool's BPF_METADATA_PREFIX). */
const METADATA_PREFIX = 'bpf_metadata_';

/**
 * A program's metadata, as `bpftool prog show` prints it (`metadata`): the `bpf_metadata_*`
 * variables of its read-only data, by name without the prefix, with their BTF values (a
 * `const char bpf_metadata_version[] = "1.2"` in the program's source is `{ version: '1.2' }`).
 * The map is the one bpftool picks: the first of the program's maps that is a one-entry array
 * with 4-byte keys, a BTF value type and ".rodata" in its name. Undefined when there is none, or
 * when its value is not a BTF section holding such variables (bpftool then prints no metadata).
 * Takes an id, or a ProgramInfo already read. Needs CAP_SYS_ADMIN, as opening maps by id does.
 */
export async function getProgramMetadata(program: number | ProgramInfo): Promise<Record<string, BtfValue> | undefined> {
  if (typeof program !== 'number' && !Array.isArray((program as ProgramInfo | null)?.mapIds)) {
    throw new TypeError(`getProgramMetadata takes a program id or a ProgramInfo, got ${describe(program)}`);
  }
  const { mapIds } = typeof program === 'number' ? await getProgram(program) : program;
  for (const id of mapIds) {
    let map: BpfMap;
    try {
      map = await openMap(id);
    } catch (err) {
      if (err instanceof BpfError && err.code === 'ENOENT') continue; // freed since the program was read
      throw err;
    }
    // try/finally rather than `using`, which needs Symbol.dispose (Node 18.18+; handle.ts).
    try {
      const { type, keySize, maxEntries, btfValueTypeId, name } = map.info;
      if (type !== 'array' || keySize !== 4 || maxEntries !== 1 || !btfValueTypeId || !name.includes('.rodata')) continue;
      const btf = await map.btfTypes();
      if (btf?.types[btf.valueTypeId]?.kind !== 'datasec') return undefined;
      const [entry] = (await map.dump({ format: 'btf' })) as BtfEntry[];
      return entry && 'value' in entry ? metadataOf(entry.value as Record<string, BtfValue[]>) : undefined;
    } finally {
      map.close();
    }
  }
  return undefined;
}

/** The prefixed variables of a DATASEC value, which decodes as `{ "<section>": [{ var: value }, …] }`. */
function metadataOf(section: Record<string, BtfValue[]>): Record<string, BtfValue> | undefined {
  const metadata: Record<string, BtfValue> = {};
  let found = false;
  for (const variable of Object.values(section)[0] ?? []) {
    for (const [varName, varValue] of Object.entries(variable as Record<string, BtfValue>)) {
      if (!varName.startsWith(METADATA_PREFIX)) continue;
      metadata[varName.slice(METADATA_PREFIX.length)] = varValue;
      found = true;
    }
  }
  return found ? metadata : undefined;
}

/**
 * Turns on run-time statistics (BPF_ENABLE_STATS, Linux 5.8+): while the returned handle is open,
 * every program's `runTimeNs` and `runCount` advance. Close it (or `using` it) to turn them off.
 * Needs CAP_SYS_ADMIN.
 */
export async function enableStats(): Promise<StatsHandle> {
  return new StatsHandle(await withCallerStack(() => native().enableStats()));
}

/** Statistics stay on while this is open (it owns the BPF_ENABLE_STATS fd). */
export class StatsHandle extends FdOwner {}
