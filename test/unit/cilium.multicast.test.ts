// cilium_mcast_group_outer_v4_map (1.16+): be32 group → the id of an inner hash of subscribers,
// be32 saddr → struct mcast_subscriber_v4 (12 B); laid out by hand, decoded, encoded and printed
// as cilium-dbg bpf multicast group list / subscriber list print them.
import { describe, expect, it } from 'vitest';
import { cilium, type MulticastGroupRecord } from 'bpfscope';

const ip = (text: string) => Buffer.from(text.split('.').map(Number));
const u32 = (n: number) => Buffer.from(Uint32Array.of(n).buffer);
/** struct mcast_subscriber_v4: saddr, ifindex, pad1, pad2, flags. */
const subscriber = (address: string, ifindex: number, flags: number) => Buffer.concat([ip(address), u32(ifindex), Buffer.from([0xaa, 0xbb, 0xcc, flags])]);
const WITH_MULTICAST = ['1.16', '1.17', '1.18', '1.19', '1.20'];

describe('cilium multicast', () => {
  it('decodes the outer map (group → inner map id) and an inner map (saddr → mcast_subscriber_v4) the same in 1.16–1.20-dev', () => {
    for (const version of WITH_MULTICAST) {
      const groups = cilium.decode.multicastGroups(Buffer.concat([ip('229.0.0.1'), ip('239.255.0.7')]), Buffer.concat([u32(41), u32(70000)]), 2, { version });
      expect([...groups]).toEqual([{ group: '229.0.0.1', innerMapId: 41 }, { group: '239.255.0.7', innerMapId: 70000 }]);
      expect(groups.layout).toMatchObject({ map: 'cilium_mcast_group_outer_v4_map', version, versionFrom: 'option', keySize: 4, valueSize: 4, layout: 'mcast_group_v4 / inner map id (hash of maps)' });
      // The padding bytes are not read; flags at byte 11, bit 0 the remote flag.
      const subscribers = cilium.decode.multicastSubscribers(
        Buffer.concat([ip('10.3.0.115'), ip('192.0.2.20'), ip('192.0.2.21')]),
        Buffer.concat([subscriber('10.3.0.115', 12, 0), subscriber('192.0.2.20', 5, 1), subscriber('192.0.2.21', 5, 2)]),
        3, { version },
      );
      expect([...subscribers]).toEqual([
        { address: '10.3.0.115', ifindex: 12, remote: false, flags: 0 },
        { address: '192.0.2.20', ifindex: 5, remote: true, flags: 1 },
        { address: '192.0.2.21', ifindex: 5, remote: false, flags: 2 },
      ]);
      expect(subscribers.layout).toMatchObject({ map: 'cilium_mcast_subscriber_v4_inner', version, keySize: 4, valueSize: 12, layout: 'be32 saddr / mcast_subscriber_v4' });
    }
    // Without a version, the newest; asked for 1.15 (no multicast), the sizes give the first with it.
    expect(cilium.decode.multicastGroups(Buffer.alloc(0), Buffer.alloc(0), 0).layout).toMatchObject({ version: '1.20', versionFrom: 'sizes' });
    expect(cilium.decode.multicastGroups(Buffer.alloc(0), Buffer.alloc(0), 0, { version: '1.15' }).layout).toMatchObject({ version: '1.16', versionFrom: 'sizes' });
    expect(() => cilium.decode.multicastSubscribers(Buffer.alloc(4), Buffer.alloc(16), 1)).toThrow(/key\/value sizes 4\/16 match no known Cilium layout \(4\/12\)/);
    expect(() => cilium.decode.multicastGroups(Buffer.alloc(8), Buffer.alloc(8), 1)).toThrow(/sizes 8\/8 match no known/);
  });

  it('encodes what it decodes: each subscriber keyed by its address, the inner map named by its id (its fd, to write it)', () => {
    const packed = cilium.encode.multicastSubscribers([{ address: '10.3.0.115', ifindex: 12, flags: 0 }, { address: '192.0.2.20', ifindex: 5, flags: 1 }], { version: '1.16' });
    expect(packed).toMatchObject({ count: 2, keySize: 4, valueSize: 12, map: 'cilium_mcast_subscriber_v4_inner' });
    expect(packed.keys).toEqual(Buffer.concat([ip('10.3.0.115'), ip('192.0.2.20')]));
    expect(packed.values).toEqual(Buffer.concat([subscriber('10.3.0.115', 12, 0), subscriber('192.0.2.20', 5, 1)]).fill(0, 8, 11).fill(0, 20, 23));
    expect([...cilium.decode.multicastSubscribers(packed.keys, packed.values, packed.count)].map((s) => s.remote)).toEqual([false, true]);
    const groups = cilium.encode.multicastGroups([{ group: '229.0.0.1', innerMapId: 9 }]);
    expect(groups).toEqual({ keys: ip('229.0.0.1'), values: u32(9), count: 1, keySize: 4, valueSize: 4, map: 'cilium_mcast_group_outer_v4_map' });
    expect(() => cilium.encode.multicastGroups([{ group: '229.0.0.1', innerMapId: -1 }])).toThrow(RangeError);
    expect(() => cilium.encode.multicastSubscribers([{ address: '10.3.0.115', ifindex: 1, flags: 256 }])).toThrow(RangeError);
  });

  it('cilium.format.multicastGroups prints group list: the groups by address (229.0.0.9 before 229.0.0.10), the header alone for none', () => {
    const records = ['229.0.0.10', '239.1.1.1', '229.0.0.9', '224.0.0.251'].map((group, i) => ({ group, innerMapId: i }));
    expect(cilium.format.multicastGroups(records)).toBe('Group Address\n224.0.0.251\n229.0.0.9\n229.0.0.10\n239.1.1.1\n');
    expect(cilium.format.multicastGroups([])).toBe('Group Address\n');
    expect(() => cilium.format.multicastGroups(undefined as never)).toThrow(TypeError);
  });

  it('cilium.format.multicastSubscribers prints subscriber list: 16-wide columns every one ended by a tab, groups and subscribers by address, an empty group on its own line', () => {
    const local = (address: string, ifindex: number) => ({ address, ifindex, remote: false, flags: 0 });
    const records: MulticastGroupRecord[] = [
      { group: '229.0.0.10', innerMapId: 3, subscribers: [local('10.3.0.115', 12), { address: '192.0.2.20', ifindex: 5, remote: true, flags: 1 }, local('10.3.0.9', 13)] },
      { group: '239.1.1.1', innerMapId: 4, subscribers: [] },
      // Flags other than the remote bit: cilium-dbg's IsRemote is any non-zero flags.
      { group: '229.0.0.9', innerMapId: 5, subscribers: [{ address: '192.0.2.21', ifindex: 5, remote: false, flags: 2 }] },
    ];
    const row = (...cells: string[]) => `${cells.map((c) => c.padEnd(16)).join('')}\n`;
    const header = row('Group', 'Subscriber', 'Type');
    expect(cilium.format.multicastSubscribers(records)).toBe([
      header,
      row('229.0.0.9', '192.0.2.21', 'Remote Node'),
      row('229.0.0.10', '10.3.0.9', 'Local Endpoint'),
      row('', '10.3.0.115', 'Local Endpoint'),
      row('', '192.0.2.20', 'Remote Node'),
      row('239.1.1.1'),
    ].join(''));
    expect(header).toBe('Group           Subscriber      Type            \n');
    // `subscriber list <group>`: that group's record alone; `all` on a node without groups: the header.
    expect(cilium.format.multicastSubscribers(records.slice(1, 2))).toBe(`${header}239.1.1.1       \n`);
    expect(cilium.format.multicastSubscribers([])).toBe(header);
    // Records from decode.multicastGroups have no subscribers to print.
    expect(() => cilium.format.multicastSubscribers([{ group: '229.0.0.1', innerMapId: 1 } as MulticastGroupRecord])).toThrow(/each record must be a group with its subscribers array.*got group 229.0.0.1$/);
    // One inner map's subscribers name no group: refused as such, not sorted by an undefined group.
    const alone = [{ address: '10.0.0.1', ifindex: 3, remote: false, flags: 0 }, { address: '10.0.0.2', ifindex: 4, remote: false, flags: 0 }];
    expect(() => cilium.format.multicastSubscribers(alone as never)).toThrow(new TypeError('cilium.format.multicastSubscribers: each record must be a group with its subscribers array, as cilium.multicast() reads them; got group undefined'));
  });

  it('cilium.multicast() rejects for 1.14 and 1.15 (no such map) and for a group that is no IPv4 multicast address, before reading anything', async () => {
    const bpffs = '/nonexistent-bpffs';
    for (const version of ['1.14', '1.15']) {
      await expect(cilium.multicast({ bpffs, version })).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining(`Cilium ${version} has no such map (it came with 1.16)`) });
    }
    await expect(cilium.multicast({ bpffs, group: '10.0.0.1' })).rejects.toThrow(new RangeError('invalid multicast IP: 10.0.0.1'));
    await expect(cilium.multicast({ bpffs, group: 'ff02::1' })).rejects.toThrow('invalid multicast IP: ff02::1');
    await expect(cilium.multicast({ bpffs, group: '::FFFF:229.0.0.1' })).rejects.toThrow('invalid multicast IP: ::ffff:229.0.0.1');
    await expect(cilium.multicast({ bpffs, group: '229.0.0' })).rejects.toThrow(/invalid IP address format: '229.0.0'/);
    // As Go's netip.ParseAddr: an octet with a leading zero is no address, not 224.0.0.1 (nor 229.0.0.8).
    await expect(cilium.multicast({ bpffs, group: '224.000.0.1' })).rejects.toThrow(new RangeError("invalid IP address format: '224.000.0.1' has an IPv4 field with a leading zero"));
    await expect(cilium.multicast({ bpffs, group: '::ffff:229.0.0.010' })).rejects.toThrow(/invalid IP address format: .* leading zero/);
    await expect(cilium.multicast({ bpffs, group: '229.0.0.0' })).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(cilium.multicast({ bpffs, group: 229 as never })).rejects.toThrow(TypeError);
    await expect(cilium.multicast({ bpffs, family: 4 } as never)).rejects.toThrow(TypeError);
  });
});
