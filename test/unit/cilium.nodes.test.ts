// The node map, the auth map and the VTEP map: bytes laid out by hand from Cilium's structs
// (bpf/lib/node.h, common.h, vtep.h), decoded per version and printed as each cilium-dbg prints them.
import { describe, expect, it } from 'vitest';
import { cilium } from 'bpfscope';

const v4 = (ip: string) => Buffer.from(ip.split('.').map(Number));
/** 2001:db8::20 written out. */
const V6 = Buffer.from([0x20, 0x01, 0x0d, 0xb8, ...Buffer.alloc(11), 0x20]);
/** ::ffff:10.0.0.9: an IPv4-mapped address, which net.IP prints dotted and netip does not. */
const MAPPED = Buffer.concat([Buffer.alloc(10), Buffer.from([0xff, 0xff]), v4('10.0.0.9')]);

describe('cilium node map (struct node_key 20 B; a u16 id, or struct node_value 4 B from 1.16)', () => {
  /** pad1 u16 @0, pad2 u8 @2, family u8 @3, the address @4 (IPv4 in the first 4 bytes). */
  const key = (family: number, address: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, family]), address, Buffer.alloc(16 - address.length)]);
  const keys = Buffer.concat([key(1, v4('192.0.2.20')), key(2, V6), key(2, MAPPED)]);
  /** id u16 @0 (0x12a), spi u8 @2, pad @3. */
  const valuesV2 = Buffer.from([0x2a, 0x01, 3, 0, 0x2b, 0x01, 3, 0, 0x2c, 0x01, 0, 0]);
  const valuesV1 = Buffer.from([0x2a, 0x01, 0x2b, 0x01, 0x2c, 0x01]);

  it('cilium_node_map_v2 (1.16+): the address by family, the id and the SPI; the encoder writes the same bytes', () => {
    const records = cilium.decode.nodeIds(keys, valuesV2, 3);
    expect(records.layout).toMatchObject({ map: 'cilium_node_map_v2', version: '1.20', keySize: 20, valueSize: 4 });
    expect([...records]).toEqual([
      { ip: '192.0.2.20', family: 'ipv4', nodeId: 0x12a, spi: 3 },
      { ip: '2001:db8::20', family: 'ipv6', nodeId: 0x12b, spi: 3 },
      { ip: '::ffff:10.0.0.9', family: 'ipv6', nodeId: 0x12c, spi: 0 },
    ]);
    const packed = cilium.encode.nodeIds([...records], { version: '1.16' });
    expect(packed).toMatchObject({ map: 'cilium_node_map_v2', count: 3, keySize: 20, valueSize: 4 });
    expect(packed.keys.equals(keys)).toBe(true);
    expect(packed.values.equals(valuesV2)).toBe(true);
    expect(() => cilium.encode.nodeIds([{ ip: '10.0.0.0/24', nodeId: 1 }])).toThrow(/not an IP address/);
  });

  it('cilium_node_map (1.14–1.15): a u16 id, no SPI; 2-byte values are that map whatever the version says', () => {
    const records = cilium.decode.nodeIds(keys, valuesV1, 3);
    expect(records.layout).toMatchObject({ map: 'cilium_node_map', version: '1.15', valueSize: 2 });
    expect(records[0]).toEqual({ ip: '192.0.2.20', family: 'ipv4', nodeId: 0x12a, spi: undefined });
    expect(cilium.decode.nodeIds(keys, valuesV1, 3, { version: '1.17' }).layout.map).toBe('cilium_node_map');
    const packed = cilium.encode.nodeIds([...records], { version: '1.14' });
    expect(packed).toMatchObject({ map: 'cilium_node_map', valueSize: 2 });
    expect(packed.values.equals(valuesV1)).toBe(true);
  });

  it('cilium.format.nodeIds: NODE ID in hex and IP ADDRESSES, SPI from 1.16; mapped addresses dotted up to 1.19', () => {
    expect(cilium.format.nodeIds(cilium.decode.nodeIds(keys, valuesV1, 3))).toBe([
      'NODE ID   IP ADDRESSES',
      '0x12a     192.0.2.20',
      '0x12b     2001:db8::20',
      '0x12c     10.0.0.9',
      '',
    ].join('\n'));
    const v2 = cilium.decode.nodeIds(keys, valuesV2, 3);
    expect(cilium.format.nodeIds(v2, { version: '1.16' })).toBe([
      'NODE ID   IP ADDRESSES   SPI',
      '0x12a     192.0.2.20     3',
      '0x12b     2001:db8::20   3',
      '0x12c     10.0.0.9       0',
      '',
    ].join('\n'));
    // 1.20: NodeKey.String() through netip.
    expect(cilium.format.nodeIds(v2).split('\n')[3]).toBe('0x12c     ::ffff:10.0.0.9   0');
    expect(cilium.format.nodeIds([])).toBe('No entries found.\n');
  });

  it('a key of neither family: its 16 bytes through net.IP up to 1.19, <unknown> from 1.20', () => {
    const odd = cilium.decode.nodeIds(key(0, MAPPED), Buffer.from([7, 0, 0, 0]), 1);
    expect(odd[0]).toEqual({ ip: '::ffff:10.0.0.9', family: undefined, nodeId: 7, spi: 0 });
    expect(cilium.format.nodeIds(odd, { version: '1.19' }).split('\n')[1]).toBe('0x7       10.0.0.9       0');
    expect(cilium.format.nodeIds(odd, { version: '1.20' }).split('\n')[1]).toBe('0x7       <unknown>      0');
  });
});

describe('cilium auth map (struct auth_key 12 B, struct auth_info 8 B)', () => {
  /** local_sec_label u32 @0, remote_sec_label u32 @4, remote_node_id u16 @8, auth_type u8 @10, pad @11. */
  const key = (local: number, remote: number, node: number, type: number) => {
    const b = Buffer.alloc(12);
    b.writeUInt32LE(local, 0);
    b.writeUInt32LE(remote, 4);
    b.writeUInt16LE(node, 8);
    b[10] = type;
    return b;
  };
  const u64 = (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(n);
    return b;
  };
  /** 2030-01-01 00:00:00 UTC and 0.2 s, in 512 ns units (1953125 to the second). */
  const expiration = 1_893_456_000n * 1_953_125n + 390_625n;

  it('decodes both identities, the remote node, the type and the expiration (u64, bigint); encodes the same bytes', () => {
    const keys = Buffer.concat([key(10001, 20001, 1, 1), key(10001, 11001, 0, 2)]);
    const values = Buffer.concat([u64(expiration), u64(0n)]);
    const records = cilium.decode.auth(keys, values, 2);
    expect(records.layout).toMatchObject({ map: 'cilium_auth_map', keySize: 12, valueSize: 8 });
    expect([...records]).toEqual([
      { localIdentity: 10001, remoteIdentity: 20001, remoteNodeId: 1, authType: 1, expiration },
      { localIdentity: 10001, remoteIdentity: 11001, remoteNodeId: 0, authType: 2, expiration: 0n },
    ]);
    const packed = cilium.encode.auth([...records], { version: '1.14' });
    expect(packed.keys.equals(keys)).toBe(true);
    expect(packed.values.equals(values)).toBe(true);
  });

  it('cilium.format.auth: the auth type by name and the expiration as Go prints the UTC time, the fraction trimmed', () => {
    const entry = { localIdentity: 10001, remoteIdentity: 20001, remoteNodeId: 1 };
    expect(cilium.format.auth([
      { ...entry, authType: 1, expiration },
      { ...entry, authType: 0, expiration: 0n },
      { ...entry, authType: 2, expiration: 1n },
      { ...entry, authType: 7, expiration: 8_640_000_000_000n * 1_953_125n },
    ])).toBe([
      'SRC IDENTITY   DST IDENTITY   REMOTE NODE ID   AUTH TYPE             EXPIRATION',
      '10001          20001          1                spire                 2030-01-01 00:00:00.2 +0000 UTC',
      '10001          20001          1                disabled              1970-01-01 00:00:00 +0000 UTC',
      '10001          20001          1                test-always-fail      1970-01-01 00:00:00.000000512 +0000 UTC',
      // The last day a JS Date holds; a u64 of utime goes on to year 301261.
      '10001          20001          1                Unknown-auth-type-7   275760-09-13 00:00:00 +0000 UTC',
      '',
    ].join('\n'));
    expect(new Date(8_640_000_000_000_000).toISOString()).toBe('+275760-09-13T00:00:00.000Z');
    expect(cilium.format.auth([{ ...entry, authType: 1, expiration: (1n << 64n) - 1n }])).toContain(' 301261-09-02 22:55:39.29042688 +0000 UTC');
    expect(cilium.format.auth([])).toBe('No entries found.\n');
  });
});

describe('cilium VTEP map (struct vtep_key 4 B, struct vtep_value 16 B)', () => {
  /** vtep_mac u64 @0 (the MAC in memory order, 2 bytes unused), tunnel_endpoint @8, 4 B padding. */
  const value = Buffer.concat([Buffer.from([0x00, 0x50, 0x56, 0xaa, 0xbb, 0x01, 0, 0]), v4('192.0.2.30'), Buffer.alloc(4)]);

  it('decodes the CIDR address, the MAC and the tunnel endpoint; encodes the same bytes', () => {
    const records = cilium.decode.vtep(v4('198.51.100.0'), value, 1);
    expect(records.layout).toMatchObject({ map: 'cilium_vtep_map', keySize: 4, valueSize: 16 });
    expect([...records]).toEqual([{ vtepIp: '198.51.100.0', vtepMac: '00:50:56:aa:bb:01', tunnelEndpoint: '192.0.2.30' }]);
    const packed = cilium.encode.vtep([...records]);
    expect(packed.keys.equals(v4('198.51.100.0'))).toBe(true);
    expect(packed.values.equals(value)).toBe(true);
  });

  it('cilium.format.vtep: TablePrinter rows sorted, the MAC uppercase as Uint64MAC prints it', () => {
    expect(cilium.format.vtep([
      { vtepIp: '198.51.100.0', vtepMac: '00:50:56:aa:bb:01', tunnelEndpoint: '192.0.2.30' },
      { vtepIp: '10.1.0.0', vtepMac: '00:50:56:aa:bb:02', tunnelEndpoint: '192.0.2.31' },
    ])).toBe([
      'IP PREFIX/ADDRESS   VTEP',
      '10.1.0.0            vtepmac=00:50:56:AA:BB:02 tunnelendpoint=192.0.2.31   ',
      '198.51.100.0        vtepmac=00:50:56:AA:BB:01 tunnelendpoint=192.0.2.30   ',
      '',
    ].join('\n'));
    expect(cilium.format.vtep([])).toBe('No entries found.\n');
  });
});
