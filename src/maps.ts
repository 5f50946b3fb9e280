// BPF maps: what `bpftool map show` prints.
import { withCallerStack } from './errors';
import { native } from './native';
import { TableReader, type NativeTable } from './table';
import { MAP_TYPES, nameOf, type MapTypeName } from './names';
import { checkId } from './validate';

/** One BPF map (struct bpf_map_info plus fdinfo). */
export interface MapInfo {
  id: number;
  /** bpftool's name of the map type (`'hash'`, `'lpm_trie'`, …), or its number if unknown. */
  type: MapTypeName | number;
  name: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** map_flags as a number (BPF_F_NO_PREALLOC = 1, …), as bpftool prints it. */
  flags: number;
  /** The map's BTF object; undefined when the map has no BTF. */
  btfId?: number;
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  /** struct_ops maps: the value's type in vmlinux BTF. */
  btfVmlinuxValueTypeId?: number;
  /** Linux 5.16+ (map_extra; the bloom filter's hash count, the arena's address). */
  mapExtra?: bigint;
  /** Linux 6.9+: the vmlinux/module BTF object of btfVmlinuxValueTypeId. */
  btfVmlinuxId?: number;
  /** From fdinfo (Linux 5.2+). */
  frozen?: boolean;
  /** The kernel's memlock estimate, from fdinfo. */
  bytesMemlock?: bigint;
  offloadIfindex?: number;
}

let reader: TableReader<MapInfo> | undefined;

/** Map rows of a native table, with the type's name. */
export function mapsOf(table: NativeTable): MapInfo[] {
  reader ??= new TableReader<MapInfo>(native().schemas.map, { type: { convert: (n: number) => nameOf(MAP_TYPES, n) } });
  return reader.rows(table);
}

/** Every BPF map on the machine, in id order, like `bpftool map show`. Needs CAP_SYS_ADMIN. */
export async function listMaps(): Promise<MapInfo[]> {
  return mapsOf(await withCallerStack(() => native().listMaps()));
}

/** One map by id. Rejects with a BpfError (ENOENT) when no map has that id. */
export async function getMapInfo(id: number): Promise<MapInfo> {
  checkId(id, 'map id');
  return mapsOf(await withCallerStack(() => native().getMapInfo(id)))[0];
}
