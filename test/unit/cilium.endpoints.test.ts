// cilium_lxc: bytes laid out by hand from cilium-maps.md §3, decoded and printed per version.
import { describe, expect, it } from 'vitest';
import { cilium } from 'bpfscope';

/** struct endpoint_key (20 B): ip 16 B @0, family @16, key @17, cluster_id u8 @18 (1.14) / u16 @18 (1.15+). */
function key(ip: number[], family: 1 | 2, cluster = 0, layout: '1.14' | '1.15+' = '1.15+'): Buffer {
  const b = Buffer.alloc(20);
  Buffer.from(ip).copy(b, 0);
  b.writeUInt8(family, 16);
  if (layout === '1.14') b.writeUInt8(cluster, 18);
  else b.writeUInt16LE(cluster, 18);
  return b;
}

/**
 * struct endpoint_info (48 B): ifindex u32 @0, lxc_id u16 @6, flags u32 @8, rt_info u32 @12 (1.20-dev),
 * mac @16, node_mac @24 (mac_t: octets in memory order), sec_id u32 @32, parent_ifindex u32 @36 (1.17+).
 */
function value(o: { ifindex?: number; id?: number; flags?: number; mac?: string; nodeMac?: string; identity?: number; parent?: number; rtInfo?: number }): Buffer {
  const b = Buffer.alloc(48);
  b.writeUInt32LE(o.ifindex ?? 0, 0);
  b.writeUInt16LE(o.id ?? 0, 6);
  b.writeUInt32LE(o.flags ?? 0, 8);
  b.writeUInt32LE(o.rtInfo ?? 0, 12);
  if (o.mac) Buffer.from(o.mac.replace(/:/g, ''), 'hex').copy(b, 16);
  if (o.nodeMac) Buffer.from(o.nodeMac.replace(/:/g, ''), 'hex').copy(b, 24);
  b.writeUInt32LE(o.identity ?? 0, 32);
  b.writeUInt32LE(o.parent ?? 0, 36);
  return b;
}

const keys = Buffer.concat([
  key([10, 0, 1, 15], 1),
  key([192, 168, 1, 11], 1),
  key([...Buffer.from('fd000000000000000000000000000a0f', 'hex')], 2),
]);
const values = Buffer.concat([
  value({ ifindex: 12, id: 1234, mac: '0a:1b:2c:3d:4e:5f', nodeMac: 'aa:bb:cc:dd:ee:ff', identity: 12345, parent: 7, rtInfo: 3 }),
  value({ flags: 1 }), // a local host IP (SyncHostEntry): flags 1, everything else 0
  value({ ifindex: 123, id: 7, flags: 2, mac: '0a:1b:2c:3d:4e:60', nodeMac: 'aa:bb:cc:dd:ee:ff', identity: 4, parent: 7, rtInfo: 3 }),
]);

describe('cilium endpoints decode', () => {
  it('decodes every field at its offset (1.17: parent_ifindex, no rt_info)', () => {
    const records = cilium.decode.endpoints(keys, values, 3, { version: '1.17' });
    expect(records.layout).toMatchObject({ map: 'cilium_lxc', version: '1.17', keySize: 20, valueSize: 48 });
    expect(records[0]).toEqual({
      ip: '10.0.1.15', family: 'ipv4', key: '10.0.1.15:0', clusterId: 0, endpointId: 1234, ifindex: 12, flags: [], rawFlags: 0,
      isHost: false, mac: '0a:1b:2c:3d:4e:5f', nodeMac: 'aa:bb:cc:dd:ee:ff', identity: 12345, parentIfindex: 7,
    });
    expect(records[1]).toMatchObject({ key: '192.168.1.11:0', isHost: true, flags: ['host'], endpointId: 0 });
    expect(records[2]).toMatchObject({ ip: 'fd00::a0f', family: 'ipv6', key: 'fd00::a0f:0', flags: ['athostns'] });
  });

  it('1.14–1.16 have no parent_ifindex; 1.20-dev has rt_info at byte 12', () => {
    expect(cilium.decode.endpoints(keys, values, 3, { version: '1.16' })[0].parentIfindex).toBeUndefined();
    expect(cilium.decode.endpoints(keys, values, 3, { version: '1.16' })[2].flags).toEqual(['athostns']);
    expect(cilium.decode.endpoints(keys, values, 3, { version: '1.15' })[2].flags).toEqual([]);
    const newest = cilium.decode.endpoints(keys, values, 3);
    expect(newest.layout).toMatchObject({ version: '1.20', versionFrom: 'sizes' });
    expect(newest[0]).toMatchObject({ parentIfindex: 7, rtInfo: 3 });
  });

  it('the cluster id: a u8 at byte 18 in 1.14, a u16 from 1.15', () => {
    const k = Buffer.concat([key([10, 0, 0, 1], 1, 2, '1.14')]);
    k[19] = 1; // 1.14's pad byte; part of the u16 from 1.15
    expect(cilium.decode.endpoints(k, value({}), 1, { version: '1.14' })[0]).toMatchObject({ clusterId: 2, key: '10.0.0.1@2:0' });
    expect(cilium.decode.endpoints(k, value({}), 1, { version: '1.15' })[0]).toMatchObject({ clusterId: 258, key: '10.0.0.1@258:0' });
  });

  it('1.19 names the no-SNAT flags', () => {
    const v = value({ flags: 0x0c });
    expect(cilium.decode.endpoints(key([10, 0, 0, 1], 1), v, 1, { version: '1.19' })[0].flags).toEqual(['nosnatv4', 'nosnatv6']);
    expect(cilium.decode.endpoints(key([10, 0, 0, 1], 1), v, 1, { version: '1.18' })[0].flags).toEqual([]);
  });

  it('the encoder writes the reference bytes', () => {
    const packed = cilium.encode.endpoints([
      { ip: '10.0.1.15', endpointId: 1234, ifindex: 12, mac: '0a:1b:2c:3d:4e:5f', nodeMac: 'aa:bb:cc:dd:ee:ff', identity: 12345, parentIfindex: 7, rtInfo: 3 },
      { ip: '192.168.1.11', flags: ['host'] },
      { ip: 'fd00::a0f', endpointId: 7, ifindex: 123, flags: ['athostns'], mac: '0a:1b:2c:3d:4e:60', nodeMac: 'aa:bb:cc:dd:ee:ff', identity: 4, parentIfindex: 7, rtInfo: 3 },
    ]);
    expect(packed.keys).toEqual(keys);
    expect(packed.values).toEqual(values);
    expect(cilium.encode.endpoints([{ ip: '10.0.0.1', clusterId: 2 }], { version: '1.14' }).keys).toEqual(key([10, 0, 0, 1], 1, 2, '1.14'));
    expect(() => cilium.encode.endpoints([{ ip: '10.0.0.1', flags: ['hots'] }])).toThrow(/^unknown endpoint flag 'hots' \(known: host, /);
  });

  it('a key of neither family has no address and prints as nil, as EndpointKey.String() does', () => {
    const k = key([10, 0, 0, 1], 1);
    k[16] = 0;
    expect(cilium.decode.endpoints(k, value({}), 1)[0]).toMatchObject({ ip: '', key: 'nil' });
  });
});

describe('cilium endpoints format', () => {
  it('≤1.17: id, sec_id (%-5d), flags 0x%04X, ifindex (%-3d), uppercase MACs; (localhost) for host entries', () => {
    const expected =
      'IP ADDRESS       LOCAL ENDPOINT INFO\n' +
      '10.0.1.15:0      id=1234  sec_id=12345 flags=0x0000 ifindex=12  mac=0A:1B:2C:3D:4E:5F nodemac=AA:BB:CC:DD:EE:FF   \n' +
      '192.168.1.11:0   (localhost)                                                                                      \n' +
      'fd00::a0f:0      id=7     sec_id=4     flags=0x0002 ifindex=123 mac=0A:1B:2C:3D:4E:60 nodemac=AA:BB:CC:DD:EE:FF   \n';
    for (const version of ['1.14', '1.15', '1.16', '1.17']) {
      expect(cilium.format.endpoints(cilium.decode.endpoints(keys, values, 3, { version }))).toBe(expected);
    }
  });

  it('1.18 and 1.19 append parent_ifindex=%-3d', () => {
    const expected =
      'IP ADDRESS       LOCAL ENDPOINT INFO\n' +
      '10.0.1.15:0      id=1234  sec_id=12345 flags=0x0000 ifindex=12  mac=0A:1B:2C:3D:4E:5F nodemac=AA:BB:CC:DD:EE:FF parent_ifindex=7     \n' +
      '192.168.1.11:0   (localhost)                                                                                                         \n' +
      'fd00::a0f:0      id=7     sec_id=4     flags=0x0002 ifindex=123 mac=0A:1B:2C:3D:4E:60 nodemac=AA:BB:CC:DD:EE:FF parent_ifindex=7     \n';
    for (const version of ['1.18', '1.19']) {
      expect(cilium.format.endpoints(cilium.decode.endpoints(keys, values, 3, { version }))).toBe(expected);
    }
  });

  it('1.20-dev appends rt_info with a colon', () => {
    expect(cilium.format.endpoints(cilium.decode.endpoints(keys, values, 3, { version: '1.20.0-dev' }))).toBe(
      'IP ADDRESS       LOCAL ENDPOINT INFO\n' +
      '10.0.1.15:0      id=1234  sec_id=12345 flags=0x0000 ifindex=12  mac=0A:1B:2C:3D:4E:5F nodemac=AA:BB:CC:DD:EE:FF parent_ifindex=7   rt_info:3   \n' +
      '192.168.1.11:0   (localhost)                                                                                                                   \n' +
      'fd00::a0f:0      id=7     sec_id=4     flags=0x0002 ifindex=123 mac=0A:1B:2C:3D:4E:60 nodemac=AA:BB:CC:DD:EE:FF parent_ifindex=7   rt_info:3   \n',
    );
  });

  it('prints just the header when there are no entries', () => {
    expect(cilium.format.endpoints([])).toBe('IP ADDRESS   LOCAL ENDPOINT INFO\n');
  });
});
