// Map test helpers: little-endian key/value bytes, and a map with an open handle on it.
import { openMap, type BpfMap } from 'bpfscope';
import { createMap, loadProgram, mapInsns, returnInsns, updateElem, type CreateMapOptions, type KernelObject } from 'bpfscope/testing';
import { cleanup, owned } from './kernel';

export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};

export const u64 = (n: number | bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};

/** A map, and an open handle on it; both closed when the test ends. */
export async function mustMap(options: CreateMapOptions): Promise<{ object: KernelObject; map: BpfMap }> {
  const object = owned(await createMap(options));
  const map = await openMap(object.id);
  cleanup(() => map.close());
  return { object, map };
}

/**
 * A program with metadata, as libbpf leaves one: its .rodata map (a one-entry array whose value
 * type is a DATASEC) holds `bpf_metadata_name` ("demo"), `threshold` (99, no metadata) and
 * `bpf_metadata_version` (3), after a map that is not read-only data, which bpftool looks past.
 */
export async function loadProgramWithMetadata(): Promise<KernelObject> {
  // Type ids are positions + 1.
  const types = [
    /* 1 */ { kind: 'int', name: 'int', size: 4, signed: true },
    /* 2 */ { kind: 'int', name: 'char', size: 1, char: true },
    /* 3 */ { kind: 'array', type: 2, indexType: 1, length: 8 },
    /* 4 */ { kind: 'var', name: 'bpf_metadata_name', type: 3 },
    /* 5 */ { kind: 'var', name: 'threshold', type: 1 },
    /* 6 */ { kind: 'var', name: 'bpf_metadata_version', type: 1 },
    /* 7 */ { kind: 'datasec', name: '.rodata', size: 16, vars: [{ type: 4, offset: 0, size: 8 }, { type: 5, offset: 8, size: 4 }, { type: 6, offset: 12, size: 4 }] },
  ];
  const rodata = owned(await createMap({ type: 'array', name: 'bpfs_m.rodata', keySize: 4, valueSize: 16, maxEntries: 1, btf: { types, keyTypeId: 0, valueTypeId: 7 } }));
  const value = Buffer.alloc(16);
  value.write('demo', 0);
  value.writeInt32LE(99, 8);
  value.writeInt32LE(3, 12);
  await updateElem(rodata, Buffer.alloc(4), value);
  const other = owned(await createMap({ type: 'hash', name: 'bpfs_m_other', keySize: 4, valueSize: 16, maxEntries: 1 }));
  return owned(await loadProgram({ type: 'sched_cls', name: 'bpfs_meta', maps: [other, rodata], insns: Buffer.concat([mapInsns(0), mapInsns(1, 2), returnInsns(0)]) }));
}
