// Map test helpers: little-endian key/value bytes, and a map with an open handle on it.
import { openMap, type BpfMap } from 'bpfscope';
import { createMap, type CreateMapOptions, type KernelObject } from 'bpfscope/testing';
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
