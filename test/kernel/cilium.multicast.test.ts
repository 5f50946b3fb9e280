// cilium.multicast() on a real hash of maps: cilium_mcast_group_outer_v4_map pinned in a private
// bpffs, naming per group an inner hash of subscribers, read back and compared with `bpftool -j map
// dump` of the outer map and of each inner map, decoded by hand at mcast.h's offsets.
import { mkdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { cilium } from 'bpfscope';
import { createMap, deleteElem, pin, updateElem, type KernelObject } from 'bpfscope/testing';
import { bpftool, describeKernel, mustBpffs, owned } from '../helpers/kernel';

interface DumpEntry { key: string[]; value: string[] }
const bytes = (hex: string[]) => Buffer.from(hex.map((h) => parseInt(h, 16)));
const u32 = (n: number) => Buffer.from(Uint32Array.of(n).buffer);
const BPF_F_NO_PREALLOC = 1;
const subscriberMap = () => createMap({ type: 'hash', name: 'cilium_mcast_subscriber_v4_inner', keySize: 4, valueSize: 12, maxEntries: 1024, flags: BPF_F_NO_PREALLOC });

describeKernel('cilium multicast', () => {
  it('reads each group with the subscribers of its inner map, as bpftool dumps the outer and inner maps', async () => {
    const bpffs = await mustBpffs();
    mkdirSync(`${bpffs}/tc/globals`, { recursive: true });
    const groups = [
      { group: '229.0.0.1', subscribers: [{ address: '10.3.0.115', ifindex: 12, flags: 0 }, { address: '192.0.2.20', ifindex: 5, flags: 1 }] },
      { group: '239.255.0.1', subscribers: [] },
    ];
    const inner: KernelObject[] = [];
    for (const g of groups) {
      const map = owned(await subscriberMap());
      const packed = cilium.encode.multicastSubscribers(g.subscribers);
      for (let i = 0; i < packed.count; i++) await updateElem(map, packed.keys.subarray(i * 4, i * 4 + 4), packed.values.subarray(i * 12, i * 12 + 12));
      inner.push(map);
    }
    const outer = owned(await createMap({ type: 'hash_of_maps', name: 'cilium_mcast_group_outer_v4_map', keySize: 4, valueSize: 4, maxEntries: 1024, flags: BPF_F_NO_PREALLOC, innerMap: inner[0] }));
    const packed = cilium.encode.multicastGroups(groups.map((g, i) => ({ group: g.group, innerMapId: inner[i].fd })));
    for (let i = 0; i < packed.count; i++) await updateElem(outer, packed.keys.subarray(i * 4, i * 4 + 4), packed.values.subarray(i * 4, i * 4 + 4));
    const path = `${bpffs}/tc/globals/cilium_mcast_group_outer_v4_map`;
    await pin(outer, path);

    // bpftool: each group key in network order, the value its inner map's id; each inner map's
    // entries keyed by the subscriber's address, struct mcast_subscriber_v4 with flags at byte 11.
    const fromTool = bpftool<{ key: string[]; inner_map_id: number }[]>('map', 'dump', 'pinned', path).map((e) => ({
      group: [...bytes(e.key)].join('.'),
      innerMapId: e.inner_map_id,
      subscribers: bpftool<DumpEntry[]>('map', 'dump', 'id', String(e.inner_map_id)).map(({ key, value }) => {
        const v = bytes(value);
        expect(bytes(key)).toEqual(v.subarray(0, 4));
        return { address: [...v.subarray(0, 4)].join('.'), ifindex: v.readUInt32LE(4), remote: (v[11] & 1) === 1, flags: v[11] };
      }),
    }));
    expect(fromTool.map((g) => g.innerMapId).sort()).toEqual(inner.map((m) => m.id).sort());
    for (const version of ['1.16', '1.17', '1.18', '1.19', '1.20']) {
      const records = await cilium.multicast({ bpffs, version });
      expect(records.layout).toMatchObject({ map: 'cilium_mcast_group_outer_v4_map', version, keySize: 4, valueSize: 4, mapId: outer.id, pinned: path });
      expect([...records]).toEqual(fromTool);
    }
    const records = await cilium.multicast({ bpffs });
    expect(records.layout.version).toBe('1.20');
    const byGroup = (a: { group: string }, b: { group: string }) => a.group.localeCompare(b.group);
    expect([...records].sort(byGroup).map((g) => ({ ...g, subscribers: [...g.subscribers!].sort((a, b) => a.address.localeCompare(b.address)) }))).toEqual(groups.map((g, i) => ({
      group: g.group, innerMapId: inner[i].id, subscribers: g.subscribers.map((s) => ({ ...s, remote: s.flags === 1 })),
    })));
    expect(cilium.format.multicastGroups(records)).toBe('Group Address\n229.0.0.1\n239.255.0.1\n');
    const row = (...cells: string[]) => `${cells.map((c) => c.padEnd(16)).join('')}\n`;
    expect(cilium.format.multicastSubscribers(records)).toBe(
      row('Group', 'Subscriber', 'Type') + row('229.0.0.1', '10.3.0.115', 'Local Endpoint') + row('', '192.0.2.20', 'Remote Node') + row('239.255.0.1'),
    );

    // One group: its record alone; a group the map lacks: ENOENT, as cilium-dbg fails for it.
    const one = await cilium.multicast({ bpffs, group: '239.255.0.1' });
    expect([...one]).toEqual([{ group: '239.255.0.1', innerMapId: inner[1].id, subscribers: [] }]);
    expect(one.layout).toMatchObject({ mapId: outer.id });
    await expect(cilium.multicast({ bpffs, group: '229.0.0.2' })).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('multicast group 229.0.0.2 does not exist') });

    // A group removed: its inner map goes with it (this test's handle aside) and the group is no longer read.
    await deleteElem(outer, packed.keys.subarray(4, 8));
    expect((await cilium.multicast({ bpffs })).map((g) => g.group)).toEqual(['229.0.0.1']);
  });

  it('refuses a map of that name that is no hash of maps of subscriber hashes', async () => {
    const bpffs = await mustBpffs();
    mkdirSync(`${bpffs}/tc/globals`, { recursive: true });
    // An inner array where a hash of subscribers belongs.
    const array = owned(await createMap({ type: 'array', keySize: 4, valueSize: 12, maxEntries: 1 }));
    const outer = owned(await createMap({ type: 'hash_of_maps', name: 'cilium_mcast_group_outer_v4_map', keySize: 4, valueSize: 4, maxEntries: 4, innerMap: array }));
    await updateElem(outer, Buffer.from([229, 0, 0, 1]), u32(array.fd));
    await pin(outer, `${bpffs}/tc/globals/cilium_mcast_group_outer_v4_map`);
    await expect(cilium.multicast({ bpffs })).rejects.toThrow(new RangeError(`cilium_mcast_group_outer_v4_map: inner map ${array.id} is no hash of multicast subscribers`));
  });
});
