// listMaps/getMapInfo/openMap().info against `bpftool -j map show` for each map type, with and without BTF.
import { expect, it } from 'vitest';
import { getMapInfo, listMaps, openMap, type MapInfo } from 'bpfscope';
import { createMap, loadProgram, mapInsns, returnInsns, type BtfTypeSpec, type CreateMapOptions, type KernelObject } from 'bpfscope/testing';
import { bpftool, describeKernel, owned, run } from '../helpers/kernel';
import { canonical, parseBigJson, sameMeaningAs } from '../helpers/bpftool-json';

interface BpftoolMap {
  id: number;
  type: string;
  name?: string;
  flags: number;
  bytes_key: number;
  bytes_value: number;
  max_entries: number;
  bytes_memlock: number;
  frozen: number;
  btf_id?: number;
  owner_prog_type?: string;
  owner_jited?: boolean;
}

function expectSameAsBpftool(ours: MapInfo, theirs: BpftoolMap): void {
  expect(ours.id).toBe(theirs.id);
  expect(ours.type).toBe(theirs.type);
  expect(ours.name).toBe(theirs.name ?? '');
  expect(ours.flags).toBe(theirs.flags);
  expect(ours.keySize).toBe(theirs.bytes_key);
  expect(ours.valueSize).toBe(theirs.bytes_value);
  expect(ours.maxEntries).toBe(theirs.max_entries);
  expect(ours.bytesMemlock).toBe(BigInt(theirs.bytes_memlock));
  expect(ours.frozen).toBe(theirs.frozen !== 0);
  expect(ours.btfId).toBe(theirs.btf_id);
  expect(ours.ownerProgType).toBe(theirs.owner_prog_type);
  expect(ours.ownerJited).toBe(theirs.owner_jited);
}

// 1 u32, 2 u64, 3 u8, 4 u8[4], 5 the LPM key struct { u32 prefixlen; u8 data[4]; }
const TYPES: BtfTypeSpec[] = [
  { kind: 'int', name: 'unsigned int', size: 4 },
  { kind: 'int', name: 'long long unsigned int', size: 8 },
  { kind: 'int', name: 'unsigned char', size: 1 },
  { kind: 'array', type: 3, indexType: 1, length: 4 },
  { kind: 'struct', name: 'lpm_key', size: 8, members: [{ name: 'prefixlen', type: 1, bitOffset: 0 }, { name: 'data', type: 4, bitOffset: 32 }] },
];
const U32_U64 = { types: TYPES, keyTypeId: 1, valueTypeId: 2 };

describeKernel('map info', () => {
  it('matches bpftool map show for every map type, with and without BTF', async () => {
    const inner = owned(await createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 }));
    const specs: CreateMapOptions[] = [
      { type: 'hash', name: 'bpfs_i_hash', keySize: 4, valueSize: 8, maxEntries: 16 },
      { type: 'hash', name: 'bpfs_i_hash_btf', keySize: 4, valueSize: 8, maxEntries: 16, flags: 1, btf: U32_U64 },
      { type: 'array', name: 'bpfs_i_array', keySize: 4, valueSize: 8, maxEntries: 16 },
      { type: 'array', name: 'bpfs_i_arr_btf', keySize: 4, valueSize: 8, maxEntries: 16, btf: U32_U64 },
      { type: 'percpu_hash', name: 'bpfs_i_pch', keySize: 4, valueSize: 8, maxEntries: 16 },
      { type: 'percpu_hash', name: 'bpfs_i_pch_btf', keySize: 4, valueSize: 8, maxEntries: 16, btf: U32_U64 },
      { type: 'percpu_array', name: 'bpfs_i_pca', keySize: 4, valueSize: 8, maxEntries: 16 },
      { type: 'percpu_array', name: 'bpfs_i_pca_btf', keySize: 4, valueSize: 8, maxEntries: 16, btf: U32_U64 },
      { type: 'lru_hash', name: 'bpfs_i_lru', keySize: 4, valueSize: 8, maxEntries: 16 },
      { type: 'lru_hash', name: 'bpfs_i_lru_btf', keySize: 4, valueSize: 8, maxEntries: 16, btf: U32_U64 },
      { type: 'lpm_trie', name: 'bpfs_i_lpm', keySize: 8, valueSize: 8, maxEntries: 16, flags: 1 },
      { type: 'lpm_trie', name: 'bpfs_i_lpm_btf', keySize: 8, valueSize: 8, maxEntries: 16, flags: 1, btf: { types: TYPES, keyTypeId: 5, valueTypeId: 2 } },
      { type: 'prog_array', name: 'bpfs_i_progs', keySize: 4, valueSize: 4, maxEntries: 4 },
      { type: 'ringbuf', name: 'bpfs_i_ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 },
      { type: 'hash_of_maps', name: 'bpfs_i_hom', keySize: 4, valueSize: 4, maxEntries: 4, innerMap: inner },
    ];
    const objects: KernelObject[] = [];
    for (const spec of specs) objects.push(owned(await createMap(spec)));
    const listed = await listMaps();
    for (const [i, object] of objects.entries()) {
      // One map at a time: in list mode bpftool reuses one bpf_map_info for every map, and since
      // Linux 6.16 the kernel copies the caller's struct in first (for its `hash` input), so a map
      // without BTF shows the btf_id of the map listed before it.
      const bt = bpftool<BpftoolMap>('map', 'show', 'id', String(object.id));
      expect(bt.id, `bpftool shows ${specs[i].name}`).toBe(object.id);
      const fromList = listed.find((m) => m.id === object.id);
      expect(fromList, `listMaps lists ${specs[i].name}`).toBeDefined();
      expectSameAsBpftool(fromList!, bt!);
      expectSameAsBpftool(await getMapInfo(object.id), bt!);
      using map = await openMap(object.id);
      expectSameAsBpftool(map.info, bt!);
      if (specs[i].btf) {
        expect(map.info.btfId).toBeGreaterThan(0);
        expect(map.info.btfValueTypeId).toBe(specs[i].btf!.valueTypeId);
      } else {
        expect(map.info.btfId).toBeUndefined();
      }
    }
    expect(listed.map((m) => m.id)).toEqual([...listed.map((m) => m.id)].sort((a, b) => a - b));
  });

  it('creates and reads map_extra as the u64 it is (a bloom filter\'s hash count), bits past 2^32 included', async () => {
    const bloom = { type: 'bloom_filter', keySize: 0, valueSize: 4, maxEntries: 4 } as const;
    expect((await getMapInfo(owned(await createMap({ ...bloom, mapExtra: 3n })).id)).mapExtra).toBe(3n);
    expect((await getMapInfo(owned(await createMap({ ...bloom, mapExtra: 2 })).id)).mapExtra).toBe(2n);
    // The kernel refuses bits past the low 4: a mapExtra cut to 32 bits on its way would pass.
    await expect(createMap({ ...bloom, mapExtra: 2n ** 32n + 3n })).rejects.toMatchObject({ code: 'EINVAL', op: 'BPF_MAP_CREATE' });
    await expect(createMap({ ...bloom, mapExtra: -1 })).rejects.toThrow(RangeError);
    await expect(createMap({ ...bloom, mapExtra: 2n ** 64n })).rejects.toThrow(RangeError);
    await expect(createMap({ ...bloom, mapExtra: '3' as never })).rejects.toThrow(new TypeError('createMap: mapExtra must be a bigint or a number, got string 3'));
  });

  it('names the program type and JIT state that own a prog_array once a program uses it, as bpftool does', async () => {
    const progs = owned(await createMap({ type: 'prog_array', name: 'bpfs_i_owned', keySize: 4, valueSize: 4, maxEntries: 4 }));
    // No program has used it yet: fdinfo says no owner, and bpftool prints none.
    const before = await getMapInfo(progs.id);
    expectSameAsBpftool(before, bpftool<BpftoolMap>('map', 'show', 'id', String(progs.id))!);
    expect(before.ownerProgType).toBeUndefined();
    expect(before.ownerJited).toBeUndefined();

    // A program that loads the map's address owns it (bpf_check_tail_call at load).
    owned(await loadProgram({ type: 'xdp', insns: Buffer.concat([mapInsns(0), returnInsns(0)]), maps: [progs] }));
    const theirs = bpftool<BpftoolMap>('map', 'show', 'id', String(progs.id))!;
    expect(theirs.owner_prog_type).toBe('xdp');
    const after = await getMapInfo(progs.id);
    expectSameAsBpftool(after, theirs);
    expectSameAsBpftool((await listMaps()).find((m) => m.id === progs.id)!, theirs);
    using map = await openMap(progs.id);
    expectSameAsBpftool(map.info, theirs);
    expect(after.ownerProgType).toBe('xdp');
    expect(typeof after.ownerJited).toBe('boolean');
  });

  it('names the BTF object of a struct_ops map\'s value type (btfVmlinuxId, Linux 6.9+), and decodes the value with it as bpftool does', async () => {
    // The value type of a tcp_congestion_ops map, from vmlinux BTF ("[43110] STRUCT '…' size=256 vlen=2").
    const line = run('bash', ['-c', "bpftool btf dump file /sys/kernel/btf/vmlinux | grep -m1 \"STRUCT 'bpf_struct_ops_tcp_congestion_ops'\""]);
    const [, typeId, size] = /^\[(\d+)\] .* size=(\d+)/.exec(line)!;
    const vmlinux = bpftool<{ id: number; name?: string }[]>('btf', 'show').find((b) => b.name === 'vmlinux')!;
    expect(vmlinux.id).toBeGreaterThan(0);
    // The kernel wants the BTF of the object that defines the map too (a program's), with no key or value type in it.
    const object = owned(await createMap({
      type: 'struct_ops', name: 'bpfs_i_ops', keySize: 4, valueSize: Number(size), maxEntries: 1,
      btf: { types: TYPES, keyTypeId: 0, valueTypeId: 0 }, btfVmlinuxValueTypeId: Number(typeId),
    }));
    using map = await openMap(object.id);
    expect(map.info.btfVmlinuxValueTypeId).toBe(Number(typeId));
    // The kernel fills it in the u32 before map_extra, which the 6.1 header left as padding.
    expect(map.info.btfVmlinuxId).toBe(vmlinux.id);
    expect((await getMapInfo(object.id)).btfVmlinuxId).toBe(vmlinux.id);
    expect((await listMaps()).find((m) => m.id === object.id)?.btfVmlinuxId).toBe(vmlinux.id);

    // No programs yet: the value is zeroed, its state BPF_STRUCT_OPS_STATE_INIT.
    const ours = await map.dump({ format: 'btf' });
    expect(ours).toHaveLength(1);
    const theirs = parseBigJson<{ formatted: unknown }[]>(run('bpftool', ['-j', 'map', 'dump', 'id', String(object.id)])).map((e) => e.formatted);
    expect(sameMeaningAs(theirs, ours)).toEqual(canonical(ours));
    expect(ours[0]).toMatchObject({ value: { common: { state: 'BPF_STRUCT_OPS_STATE_INIT' }, data: { name: '' } } });
  });
});
