// `cilium-dbg bpf lb list --frontends | --backends | --source-ranges`: the services and backends
// maps printed with their own String() methods, and the source range LPM tries, from bytes laid
// out by hand at lb4_src_range_key's offsets, per version where the text differs.
import { describe, expect, it } from 'vitest';
import { cilium } from 'bpfscope';

const base = { address: '10.96.0.10', port: 53, protocol: 17, scope: 0, count: 0, revNatIndex: 1, flags: 0, flags2: 0 };
// A ClusterIP service with session affinity (10800 s, algorithm 1 from 1.17) and a quarantined
// backend, two slots; an internal-scope IPv6 NodePort that is an L7 load balancer (proxy port 8080
// where others keep the timeout), one slot.
const services = [
  { ...base, backendSlot: 0, affinityTimeout: 10800, algorithm: 1, count: 2, qcount: 1, flags: 0x50 },
  { ...base, backendSlot: 1, backendId: 7 },
  { ...base, backendSlot: 2, backendId: 9 },
  { ...base, address: 'fd00::96:a', port: 443, protocol: 6, scope: 1, backendSlot: 0, l7ProxyPort: 8080, count: 1, revNatIndex: 2, flags: 0x46, flags2: 0x04 },
  { ...base, address: 'fd00::96:a', port: 443, protocol: 6, scope: 1, backendSlot: 1, backendId: 8, revNatIndex: 2 },
];

describe('cilium.format.lbFrontends: `bpf lb list --frontends`', () => {
  const text = (version: string) => cilium.format.lbFrontends(services, { version });

  it('1.14 and 1.16: the slot in each key, the value `<u32> <count> (<rev-NAT>) [<flags> <flags2>]` as stored', () => {
    const expected = [
      'SERVICE ADDRESS          BACKEND ID',
      '10.96.0.10:53 (0)        10800 2 (1) [0x50 0x0]   ',
      '10.96.0.10:53 (1)        7 0 (1) [0x0 0x0]        ',
      '10.96.0.10:53 (2)        9 0 (1) [0x0 0x0]        ',
      // 8080 in network order, read as the u32 it shares: 0x901f.
      '[fd00::96:a]:443/i (0)   36895 1 (2) [0x46 0x4]   ',
      '[fd00::96:a]:443/i (1)   8 0 (2) [0x0 0x0]        ',
      '',
    ].join('\n');
    expect(text('1.14')).toBe(expected);
    expect(text('1.16')).toBe(expected);
  });

  it('1.15: keys without the slot, so a service is one key with its entries sorted under it', () => {
    expect(text('1.15')).toBe([
      'SERVICE ADDRESS      BACKEND ID',
      '10.96.0.10:53        10800 2 (1) [0x50 0x0]   ',
      '                     7 0 (1) [0x0 0x0]        ',
      '                     9 0 (1) [0x0 0x0]        ',
      '[fd00::96:a]:443/i   36895 1 (2) [0x46 0x4]   ',
      '                     8 0 (2) [0x0 0x0]        ',
      '',
    ].join('\n'));
  });

  it('1.17+: the protocol in the key, `count[qcount]`, the algorithm in the u32 (1 << 24 | 10800)', () => {
    const expected = [
      'SERVICE ADDRESS              BACKEND ID',
      '10.96.0.10:53/UDP (0)        16788016 2[1] (1) [0x50 0x0]   ',
      '10.96.0.10:53/UDP (1)        7 0[0] (1) [0x0 0x0]           ',
      '10.96.0.10:53/UDP (2)        9 0[0] (1) [0x0 0x0]           ',
      '[fd00::96:a]:443/TCP/i (0)   36895 1[0] (2) [0x46 0x4]      ',
      '[fd00::96:a]:443/TCP/i (1)   8 0[0] (2) [0x0 0x0]           ',
      '',
    ].join('\n');
    for (const version of ['1.17', '1.18', '1.19', '1.20']) expect(text(version)).toBe(expected);
  });

  it('prints the u32 of decoded entries as the map holds it, whatever it was split into', () => {
    for (const version of ['1.16', '1.17']) {
      const packed = cilium.encode.services([...services.slice(0, 3), { ...services[3], address: '10.96.0.11' }], { version });
      const decoded = cilium.decode.services(packed.keys, packed.values, packed.count, { version });
      const stored = Array.from({ length: 4 }, (_, i) => String(packed.values.readUInt32LE(i * 12)));
      expect(cilium.format.lbFrontends([...decoded]).split('\n').slice(1, 5).map((l) => l.split(/ {3,}/)[1].split(' ')[0])).toEqual(stored);
    }
  });

  it('refuses a part of the u32 that does not fit its bits, where it spilled into the next part or was cut', () => {
    const entry = services[0];
    const encode = (part: object, version = '1.17') => () => cilium.encode.services([{ ...entry, ...part }], { version });
    // 1.17+: the timeout has 24 bits, the algorithm the upper 8 (2 ** 24 read back as timeout 0, algorithm 2).
    expect(encode({ affinityTimeout: 2 ** 24 })).toThrow(new RangeError("field 'affinityTimeout': 16777216 is outside a 24-bit field's 0..16777215"));
    expect(encode({ affinityTimeout: -1 })).toThrow(RangeError);
    expect(encode({ affinityTimeout: 1.5 })).toThrow(new RangeError("field 'affinityTimeout': 1.5 is not an integer"));
    expect(encode({ algorithm: 256 })).toThrow(new RangeError("field 'algorithm': 256 is outside a 8-bit field's 0..255"));
    expect(encode({ affinityTimeout: '10' })).toThrow(TypeError);
    expect(encode({ affinityTimeout: 2 ** 24 }, '1.16')).not.toThrow();
    expect(encode({ affinityTimeout: 2 ** 32 }, '1.16')).toThrow(new RangeError("field 'affinityTimeout': 4294967296 is outside a 32-bit field's 0..4294967295"));
    // The L7 proxy port is a u16 (70000 was cut to 4464).
    expect(encode({ l7ProxyPort: 70000, flags2: 0x04 })).toThrow(new RangeError("field 'l7ProxyPort': 70000 is outside a 16-bit field's 0..65535"));
    expect(encode({ l7ProxyPort: '8080', flags2: 0x04 }, '1.16')).toThrow(TypeError);
    expect(() => cilium.format.lbFrontends([{ ...entry, affinityTimeout: 2 ** 24 }], { version: '1.18' })).toThrow(RangeError);
  });
});

describe('cilium.format.lbBackends: `bpf lb list --backends`', () => {
  const backends = [
    { backendId: 7, address: '10.0.1.15', port: 5353, protocol: 17, flags: 0, clusterId: 0 },
    { backendId: 8, address: '::ffff:10.0.1.16', port: 8443, protocol: 6, flags: 0, clusterId: 3, zone: 2 },
    { backendId: 12, address: 'fd00::12', port: 80, protocol: 2, flags: 0, clusterId: 0, zone: 0 },
  ];
  const text = (version: string) => cilium.format.lbBackends(backends, { version });

  it('1.14–1.15: `<protocol>://<address>[@cluster]`, no port, IPv6 bare (netip: a mapped address stays mapped); ids sorted as strings', () => {
    const expected = [
      'ID   BACKEND ADDRESS (REVNAT_ID) (SLOT)',
      '12   2://fd00::12               ',
      '7    UDP://10.0.1.15            ',
      '8    TCP://::ffff:10.0.1.16@3   ',
      '',
    ].join('\n');
    expect(text('1.14')).toBe(expected);
    expect(text('1.15')).toBe(expected);
  });

  it('1.16+: a zone as `[]` (cilium-dbg has no zone names); 1.19+: protocol 2 is IGMP', () => {
    const rows = (version: string) => text(version).split('\n').slice(1, 4).map((l) => l.trimEnd());
    expect(rows('1.16')).toEqual(['12   2://fd00::12', '7    UDP://10.0.1.15', '8    TCP://::ffff:10.0.1.16@3[]']);
    expect(rows('1.18')).toEqual(rows('1.16'));
    expect(rows('1.19')[0]).toBe('12   IGMP://fd00::12');
    expect(rows('1.20')).toEqual(rows('1.19'));
  });

  it('the version of decoded records, kept by copies', () => {
    const packed = cilium.encode.backends([{ backendId: 3, address: '10.0.1.15', port: 53, protocol: 2, zone: 1 }], { version: '1.16' });
    const copy = [...cilium.decode.backends(packed.keys, packed.values, 1, { version: '1.16' })];
    expect(cilium.format.lbBackends(copy)).toBe('ID   BACKEND ADDRESS (REVNAT_ID) (SLOT)\n3    2://10.0.1.15[]   \n');
    expect(cilium.format.lbBackends([])).toBe('ID   BACKEND ADDRESS (REVNAT_ID) (SLOT)\n');
  });
});

describe('cilium source ranges', () => {
  /** struct lb4_src_range_key (12 B): prefixlen u32 @0 (32 + the range's bits), rev_nat_id be16 @4, pad @6, addr @8. */
  const key4 = (bits: number, revNat: number, address: number[]) => {
    const b = Buffer.alloc(12);
    b.writeUInt32LE(32 + bits, 0);
    b.writeUInt16BE(revNat, 4);
    Buffer.from(address).copy(b, 8);
    return b;
  };
  /** struct lb6_src_range_key (24 B): the same, addr v6addr @8. */
  const key6 = (bits: number, revNat: number, address: string) => {
    const b = Buffer.alloc(24);
    b.writeUInt32LE(32 + bits, 0);
    b.writeUInt16BE(revNat, 4);
    Buffer.from(address, 'hex').copy(b, 8);
    return b;
  };

  it('decodes both families (the family by key size) and packs them back', () => {
    const keys = Buffer.concat([key4(24, 1, [203, 0, 113, 0]), key4(32, 258, [192, 0, 2, 10])]);
    const records = cilium.decode.sourceRanges(keys, Buffer.alloc(2), 2, { version: '1.16' });
    expect(records.layout).toMatchObject({ map: 'cilium_lb4_source_range', version: '1.16', keySize: 12, valueSize: 1 });
    expect([...records]).toEqual([{ revNatIndex: 1, cidr: '203.0.113.0/24' }, { revNatIndex: 258, cidr: '192.0.2.10/32' }]);
    expect(cilium.encode.sourceRanges(records, { version: '1.16' })).toEqual({ keys, values: Buffer.alloc(2), count: 2, keySize: 12, valueSize: 1, map: 'cilium_lb4_source_range' });

    const keys6 = Buffer.concat([key6(32, 2, '20010db8000000000000000000000000'), key6(104, 3, '00000000000000000000ffff0a000000')]);
    const records6 = cilium.decode.sourceRanges(keys6, Buffer.alloc(2), 2);
    expect(records6.layout).toMatchObject({ map: 'cilium_lb6_source_range', version: '1.20', keySize: 24, valueSize: 1 });
    expect([...records6]).toEqual([{ revNatIndex: 2, cidr: '2001:db8::/32' }, { revNatIndex: 3, cidr: '::ffff:10.0.0.0/104' }]);
    expect(cilium.encode.sourceRanges(records6, { family: 6 }).keys).toEqual(keys6);
    expect(() => cilium.encode.sourceRanges([{ revNatIndex: 1, cidr: '10.0.0.0/33' }])).toThrow(RangeError);
  });

  it('prints `<prefix> (<rev-NAT>)` under one title, sorted; an IPv4-mapped range as net.IPNet up to 1.19, netip.Prefix in 1.20', () => {
    const ranges = [{ revNatIndex: 1, cidr: '203.0.113.0/24' }, { revNatIndex: 3, cidr: '::ffff:10.0.0.0/104' }, { revNatIndex: 2, cidr: '2001:db8::/32' }];
    // The header's empty second title ends the first column; each row's empty value is a 5-wide cell.
    expect(cilium.format.sourceRanges(ranges, { version: '1.14' })).toBe([
      'SOURCE RANGE (REVNAT_ID)   ',
      `10.0.0.0/8 (3)${' '.repeat(13)}     `,
      `2001:db8::/32 (2)${' '.repeat(10)}     `,
      `203.0.113.0/24 (1)${' '.repeat(9)}     `,
      '',
    ].join('\n'));
    expect(cilium.format.sourceRanges(ranges, { version: '1.19' })).toBe(cilium.format.sourceRanges(ranges, { version: '1.14' }));
    expect(cilium.format.sourceRanges(ranges, { version: '1.20' }).split('\n').map((l) => l.trimEnd())).toEqual([
      'SOURCE RANGE (REVNAT_ID)', '2001:db8::/32 (2)', '203.0.113.0/24 (1)', '::ffff:10.0.0.0/104 (3)', '',
    ]);
    // A mapped range shorter than the 96 bits before the IPv4 part: net.IPNet's last 32 mask bits are none.
    expect(cilium.format.sourceRanges([{ revNatIndex: 4, cidr: '::ffff:0.0.0.0/80' }], { version: '1.18' })).toContain('\n0.0.0.0/0 (4)');
    expect(cilium.format.sourceRanges([])).toBe('SOURCE RANGE (REVNAT_ID)   \n');
  });
});
