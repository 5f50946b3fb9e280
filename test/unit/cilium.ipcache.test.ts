// cilium_ipcache / cilium_ipcache_v2: bytes laid out by hand from cilium-maps.md §2, decoded and
// printed per version, compared with the reference formats.
import { describe, expect, it } from 'vitest';
import { cilium } from 'bpfscope';

const v4 = (ip: string) => Buffer.from(ip.split('.').map(Number));

/** struct ipcache_key (24 B). 1.14: pad1 u16 @4, cluster_id u8 @6; 1.15+: cluster_id u16 @4, pad u8 @6. */
function key(o: { prefixlen: number; family: 1 | 2; ip: Buffer; cluster?: number; layout: '1.14' | '1.15+' }): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(o.prefixlen, 0);
  if (o.layout === '1.14') b.writeUInt8(o.cluster ?? 0, 6);
  else b.writeUInt16LE(o.cluster ?? 0, 4);
  b.writeUInt8(o.family, 7);
  o.ip.copy(b, 8);
  return b;
}

/** remote_endpoint_info v1 (12 B): sec_identity @0, tunnel_endpoint v4 @4, pad @8, key @10, flags @11. */
function valueV1(identity: number, tunnel = '0.0.0.0', encryptKey = 0, flags = 0): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(identity, 0);
  v4(tunnel).copy(b, 4);
  b.writeUInt8(encryptKey, 10);
  b.writeUInt8(flags, 11);
  return b;
}

/** remote_endpoint_info v2 (24 B): sec_identity @0, tunnel_endpoint 16 B @4, pad @20, key @22, flags @23. */
function valueV2(identity: number, tunnel: Buffer = Buffer.alloc(4), encryptKey = 0, flags = 0): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(identity, 0);
  tunnel.copy(b, 4);
  b.writeUInt8(encryptKey, 22);
  b.writeUInt8(flags, 23);
  return b;
}

const FD00_A0F = Buffer.from('fd000000000000000000000000000a0f', 'hex');
const FD00_1 = Buffer.from('fd000000000000000000000000000001', 'hex');

describe('cilium ipcache decode', () => {
  it('1.14: cluster id is the u8 at byte 6; the flag byte is padding', () => {
    const keys = Buffer.concat([
      key({ prefixlen: 64, family: 1, ip: v4('10.0.1.15'), cluster: 3, layout: '1.14' }),
      key({ prefixlen: 32, family: 1, ip: v4('0.0.0.0'), layout: '1.14' }),
    ]);
    const values = Buffer.concat([valueV1(12345, '0.0.0.0', 0, 1), valueV1(2)]);
    const records = cilium.decode.ipcache(keys, values, 2, { version: '1.14' });
    expect(records.layout).toMatchObject({ map: 'cilium_ipcache', version: '1.14', versionFrom: 'option', keySize: 24, valueSize: 12 });
    expect(records[0]).toEqual({
      prefix: '10.0.1.15/32@3', address: '10.0.1.15', prefixLength: 32, family: 'ipv4', clusterId: 3,
      identity: 12345, tunnelEndpoint: '0.0.0.0', encryptKey: 0, flags: [], rawFlags: 1,
    });
    expect(records[1]).toMatchObject({ prefix: '0.0.0.0/0', prefixLength: 0, identity: 2, identityName: 'world' });
    // The same bytes read with the 1.15 key: bytes 4..5 are zero, so cluster 0.
    expect(cilium.decode.ipcache(keys, values, 2, { version: '1.15' })[0].prefix).toBe('10.0.1.15/32');
  });

  it('1.15+: cluster id is the u16 at byte 4 (up to 511 clusters)', () => {
    const keys = key({ prefixlen: 64, family: 1, ip: v4('10.0.1.15'), cluster: 300, layout: '1.15+' });
    const [r] = cilium.decode.ipcache(keys, valueV1(77), 1, { version: '1.15' });
    expect(r.prefix).toBe('10.0.1.15/32@300');
    expect(r.clusterId).toBe(300);
  });

  it('IPv6 prefixes print as netip does; ::/0 is prefixlen 32', () => {
    const keys = Buffer.concat([
      key({ prefixlen: 160, family: 2, ip: FD00_A0F, layout: '1.15+' }),
      key({ prefixlen: 32, family: 2, ip: Buffer.alloc(16), layout: '1.15+' }),
      key({ prefixlen: 96, family: 2, ip: Buffer.from('20010db8000000000000000000000000', 'hex'), layout: '1.15+' }),
    ]);
    const values = Buffer.concat([valueV2(4242), valueV2(10), valueV2(16777217)]);
    const records = cilium.decode.ipcache(keys, values, 3, { version: '1.19' });
    expect(records.map((r) => r.prefix)).toEqual(['fd00::a0f/128', '::/0', '2001:db8::/64']);
    expect(records.map((r) => r.family)).toEqual(['ipv6', 'ipv6', 'ipv6']);
    expect(records[1].identityName).toBe('world-ipv6');
    expect(records[2].identityName).toBeUndefined();
  });

  it('reserved identities follow the version: 9/10 exist from 1.15', () => {
    const keys = key({ prefixlen: 32, family: 1, ip: Buffer.alloc(4), layout: '1.15+' });
    expect(cilium.decode.ipcache(keys, valueV1(9), 1, { version: '1.14' })[0].identityName).toBeUndefined();
    expect(cilium.decode.ipcache(keys, valueV1(9), 1, { version: '1.15' })[0].identityName).toBe('world-ipv4');
    expect(cilium.decode.ipcache(keys, valueV1(1), 1, { version: '1.17' })[0].identityName).toBe('host');
  });

  it('1.16/1.17 name bit0 skiptunnel; 1.18 adds hastunnel, ipv6tunnel; 1.19 remotecluster', () => {
    const k = key({ prefixlen: 64, family: 1, ip: v4('10.0.2.1'), layout: '1.15+' });
    expect(cilium.decode.ipcache(k, valueV1(6, '0.0.0.0', 0, 0x03), 1, { version: '1.16' })[0].flags).toEqual(['skiptunnel']);
    expect(cilium.decode.ipcache(k, valueV1(6, '0.0.0.0', 0, 0x03), 1, { version: '1.15' })[0].flags).toEqual([]);
    const v2 = valueV2(6, v4('192.168.1.12'), 0, 0x0b);
    expect(cilium.decode.ipcache(k, v2, 1, { version: '1.18' })[0].flags).toEqual(['skiptunnel', 'hastunnel']);
    expect(cilium.decode.ipcache(k, v2, 1, { version: '1.19' })[0].flags).toEqual(['skiptunnel', 'hastunnel', 'remotecluster']);
  });

  it('1.18+: the tunnel endpoint is IPv6 only when flag 0x04 is set', () => {
    const k = key({ prefixlen: 64, family: 1, ip: v4('10.0.2.1'), layout: '1.15+' });
    const six = cilium.decode.ipcache(k, valueV2(6, FD00_1, 5, 0x06), 1, { version: '1.18' })[0];
    expect(six).toMatchObject({ tunnelEndpoint: 'fd00::1', encryptKey: 5, flags: ['hastunnel', 'ipv6tunnel'] });
    // Without the flag the first 4 bytes are read as IPv4.
    expect(cilium.decode.ipcache(k, valueV2(6, FD00_1, 0, 0x02), 1, { version: '1.18' })[0].tunnelEndpoint).toBe('253.0.0.0');
  });

  it('chooses the layout by value size, and the newest fitting version without an option', () => {
    const k = key({ prefixlen: 64, family: 1, ip: v4('10.0.0.1'), layout: '1.15+' });
    expect(cilium.decode.ipcache(k, valueV1(1), 1).layout).toMatchObject({ version: '1.17', versionFrom: 'sizes', map: 'cilium_ipcache' });
    expect(cilium.decode.ipcache(k, valueV2(1), 1).layout).toMatchObject({ version: '1.20', versionFrom: 'sizes', map: 'cilium_ipcache_v2' });
    // A 12-byte value read "as 1.19" is the v1 map that 1.18/1.19 keep for restoration.
    expect(cilium.decode.ipcache(k, valueV1(1), 1, { version: '1.19.2' }).layout.layout).toMatch(/v1/);
    expect(() => cilium.decode.ipcache(k, Buffer.alloc(16), 1)).toThrow(RangeError);
    expect(() => cilium.decode.ipcache(k, valueV1(1), 1, { version: '1.12' })).toThrow(RangeError);
    expect(() => cilium.decode.ipcache(k, valueV1(1), 1, { version: 'latest' })).toThrow(TypeError);
    expect(() => cilium.decode.ipcache(k, valueV1(1), 1, { verison: '1.16' } as never)).toThrow(/unknown option 'verison'/);
    expect(() => cilium.decode.ipcache(k, valueV1(1), 2)).toThrow(RangeError);
  });

  it('the encoder writes the bytes the reference lays out', () => {
    const packed = cilium.encode.ipcache(
      [{ prefix: '10.0.1.15/32@3', identity: 12345 }, { prefix: '10.0.2.0/24', identity: 6, tunnelEndpoint: '192.168.1.12' }],
      { version: '1.14' },
    );
    expect(packed.map).toBe('cilium_ipcache');
    expect(packed.keys).toEqual(Buffer.concat([
      key({ prefixlen: 64, family: 1, ip: v4('10.0.1.15'), cluster: 3, layout: '1.14' }),
      key({ prefixlen: 56, family: 1, ip: v4('10.0.2.0'), layout: '1.14' }),
    ]));
    expect(packed.values).toEqual(Buffer.concat([valueV1(12345), valueV1(6, '192.168.1.12')]));
    const v2 = cilium.encode.ipcache([{ prefix: 'fd00::a0f/128', identity: 7, tunnelEndpoint: 'fd00::1' }]);
    expect(v2.map).toBe('cilium_ipcache_v2');
    expect(v2.keys).toEqual(key({ prefixlen: 160, family: 2, ip: FD00_A0F, layout: '1.15+' }));
    expect(v2.values).toEqual(valueV2(7, FD00_1, 0, 0x06)); // NewValue: hastunnel + ipv6tunnel
    expect(() => cilium.encode.ipcache([{ prefix: '10.0.0.1/33', identity: 1 }])).toThrow(RangeError);
    // The 12-byte value of 1.14-1.17 has room for an IPv4 tunnel endpoint only.
    expect(() => cilium.encode.ipcache([{ prefix: '10.0.0.1', identity: 1, tunnelEndpoint: 'fd00::1' }], { version: '1.17' })).toThrow(
      new RangeError("an IPv6 tunnel endpoint needs the 1.18+ layout: 'fd00::1'"),
    );
    expect(() => cilium.encode.ipcache([{ prefix: '10.0.0.1', identity: 1, flags: ['nope'] }])).toThrow(/unknown ipcache flag/);
  });
});

describe('cilium ipcache lookup', () => {
  const entries = [
    { prefix: '0.0.0.0/0', identity: 2 },
    { prefix: '10.0.0.0/8', identity: 16777217 },
    { prefix: '10.0.1.0/24', identity: 16777218 },
    { prefix: '10.0.1.15/32', identity: 12345 },
    { prefix: '10.0.1.15/32@2', identity: 99 },
    { prefix: '10.0.1.128/25', identity: 16777219 },
  ];
  const packed = cilium.encode.ipcache(entries);
  const records = cilium.decode.ipcache(packed.keys, packed.values, packed.count);

  it('returns the longest prefix that covers the address, in its family and cluster', () => {
    expect(cilium.lookupIpcache(records, '10.0.1.15')?.identity).toBe(12345);
    expect(cilium.lookupIpcache(records, '10.0.1.16')?.identity).toBe(16777218);
    expect(cilium.lookupIpcache(records, '10.0.1.200')?.identity).toBe(16777219);
    expect(cilium.lookupIpcache(records, '10.9.9.9')?.identity).toBe(16777217);
    expect(cilium.lookupIpcache(records, '192.168.0.1')?.prefix).toBe('0.0.0.0/0');
    expect(cilium.lookupIpcache(records, '10.0.1.15', 2)?.identity).toBe(99);
    expect(cilium.lookupIpcache(records, '10.0.1.16', 2)).toBeUndefined();
    // The cluster as the ipcache prints a key's: `@2` is cluster 2, where it was taken for cluster 0.
    expect(cilium.lookupIpcache(records, '10.0.1.15@2')?.identity).toBe(99);
    expect(cilium.lookupIpcache(records, '10.0.1.15@2', 2)?.identity).toBe(99);
    expect(cilium.lookupIpcache(records, '10.0.1.16@2')).toBeUndefined();
    expect(() => cilium.lookupIpcache(records, '10.0.1.15@2', 3)).toThrow(new RangeError('cilium.lookupIpcache: 10.0.1.15@2 names cluster 2, and clusterId 3 another'));
    // A cluster id no entry can have is refused, not looked for in vain.
    expect(() => cilium.lookupIpcache(records, '10.0.1.15@70000')).toThrow(new RangeError('cilium.lookupIpcache: 10.0.1.15@70000 names cluster 70000, past 65535 (a u16)'));
    expect(() => cilium.lookupIpcache(records, '10.0.1.15', -1)).toThrow(new RangeError('cilium.lookupIpcache: clusterId must be an integer in 0..65535, got -1'));
    expect(() => cilium.lookupIpcache(records, '10.0.1.15', 1.5)).toThrow(RangeError);
    expect(() => cilium.lookupIpcache(records, '10.0.1.15', '2' as unknown as number)).toThrow(new TypeError('cilium.lookupIpcache: clusterId must be a number, got string 2'));
    expect(cilium.lookupIpcache(records, 'fd00::1')).toBeUndefined();
    // A prefix is covered only by entries no longer than itself: 10.0.1.0/24 is not inside 10.0.1.15/32.
    expect(cilium.lookupIpcache(records, '10.0.1.0/24')?.prefix).toBe('10.0.1.0/24');
    expect(cilium.lookupIpcache(records, '10.0.1.0/23')?.prefix).toBe('10.0.0.0/8');
  });

  it('looks an IPv4-mapped address up as the IPv4 address it maps, as cilium-dbg and the wire do', () => {
    expect(cilium.lookupIpcache(records, '::ffff:10.0.1.15')?.identity).toBe(12345);
    expect(cilium.lookupIpcache(records, '::ffff:a00:110')?.identity).toBe(16777218); // 10.0.1.16
    expect(cilium.lookupIpcache(records, '::ffff:10.0.1.15', 2)?.identity).toBe(99);
    expect(cilium.lookupIpcache(records, '::ffff:10.0.1.0/120')?.prefix).toBe('10.0.1.0/24');
    // Shorter than /96 the prefix holds no IPv4 address: an IPv6 one, which no entry covers.
    expect(cilium.lookupIpcache(records, '::ffff:10.0.1.0/80')).toBeUndefined();
  });
});

describe('cilium.format.ipcacheGet and ipcacheMatch: cilium-dbg bpf ipcache get <ip> / match <prefix>', () => {
  // The reference's own entries (bpf_ipcache_get_test.go TestGetLPMValue), each with its identity,
  // and the host bits 10.0.0.5/16 keeps as stored; an IPv6 /128 and an entry of cluster 3.
  const entries = [
    { prefix: '10.0.0.0/8', identity: 2 },
    { prefix: '10.0.0.5/16', identity: 9 },
    { prefix: '10.0.0.0/32', identity: 8 },
    { prefix: '10.128.0.0/9', identity: 4 },
    { prefix: 'feed::ed/112', identity: 3 },
    { prefix: 'feed::feed/128', identity: 5 },
    { prefix: '10.0.0.7/32@3', identity: 7 },
  ];
  const v1 = cilium.encode.ipcache(entries, { version: '1.17' });
  const v2 = cilium.encode.ipcache(entries);
  const at = (version: string) => cilium.decode.ipcache(version < '1.18' ? v1.keys : v2.keys, version < '1.18' ? v1.values : v2.values, entries.length, { version });

  it('prints the longest prefix that covers the address, its value as list prints it in that version', () => {
    const cases: [string, string][] = [
      ['10.1.0.0', 'identity=2'],
      ['10.1.0.255', 'identity=2'],
      ['10.0.1.0', 'identity=9'], // 10.0.0.5/16: host bits ignored
      ['10.0.0.0', 'identity=8'],
      ['10.127.255.255', 'identity=2'],
      ['10.128.255.255', 'identity=4'],
      ['10.255.255.255', 'identity=4'],
      ['feed::ffed', 'identity=3'],
      ['feed::feed', 'identity=5'],
      ['::ffff:10.0.0.0', 'identity=8'], // To4 / Unmap: the IPv4 entry
      ['10.0.0.7', 'identity=9'], // not 10.0.0.7/32@3, which does not parse as a CIDR: cluster 0 only
    ];
    for (const [ip, identity] of cases) {
      expect(cilium.format.ipcacheGet(at('1.15'), ip)).toBe(`${ip} maps to identity ${identity} encryptkey=0 tunnelendpoint=0.0.0.0\n`);
    }
    expect(cilium.format.ipcacheGet(at('1.14'), '10.0.0.0')).toBe('10.0.0.0 maps to identity identity=8 encryptkey=0 tunnelendpoint=0.0.0.0\n');
    expect(cilium.format.ipcacheGet(at('1.16'), '10.0.0.0')).toBe('10.0.0.0 maps to identity identity=8 encryptkey=0 tunnelendpoint=0.0.0.0, flags=<none>\n');
    for (const version of ['1.17', '1.18', '1.19', '1.20']) {
      expect(cilium.format.ipcacheGet(at(version), '10.0.0.0')).toBe('10.0.0.0 maps to identity identity=8 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>\n');
    }
  });

  it('says which address maps to nothing, and No entries found. for an empty map', () => {
    // 12.0.0.1 and feed::10.0.0.1 are the reference's misses; ::1 is covered by no IPv6 entry.
    for (const ip of ['12.0.0.1', 'feed::10.0.0.1', '::1']) {
      expect(cilium.format.ipcacheGet(at('1.18'), ip)).toBe(`${ip} does not map to any identity\n`);
    }
    expect(cilium.format.ipcacheGet([], '10.0.0.1', { version: '1.14' })).toBe('No entries found.\n');
    for (const bad of ['10.0.0.0/8', '010.0.0.1', 'fe80::1%eth0', '10.0.0.1@3', '', 'nope']) {
      expect(() => cilium.format.ipcacheGet(at('1.18'), bad)).toThrow(`cilium.format.ipcacheGet: not an IP address: ${JSON.stringify(bad)}`);
    }
  });

  it('joins, in dump order, the values of keys that print alike (pad bytes differ)', () => {
    const k1 = key({ prefixlen: 64, family: 1, ip: v4('10.0.1.15'), layout: '1.14' });
    const k2 = Buffer.from(k1);
    k2.writeUInt16LE(7, 4);
    const records = cilium.decode.ipcache(Buffer.concat([k1, k2]), Buffer.concat([valueV1(5), valueV1(12345)]), 2, { version: '1.14' });
    expect(cilium.format.ipcacheGet(records, '10.0.1.15')).toBe(
      '10.0.1.15 maps to identity identity=5 encryptkey=0 tunnelendpoint=0.0.0.0,identity=12345 encryptkey=0 tunnelendpoint=0.0.0.0\n',
    );
  });

  it('match: the entry whose key prints as the prefix does, host bits and all, its values quoted (1.18+)', () => {
    for (const version of ['1.18', '1.19', '1.20']) {
      expect(cilium.format.ipcacheMatch(at(version), '10.0.0.5/16')).toBe('key 10.0.0.5/16 has value "identity=9 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>"\n');
    }
    // The key as netip.Prefix.String() prints it: lowercase, zeros compressed.
    expect(cilium.format.ipcacheMatch(at('1.18'), 'FEED:0::00ED/112')).toBe('key feed::ed/112 has value "identity=3 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>"\n');
    // No longest-prefix match: the prefix as typed, and exit 1 in cilium-dbg.
    for (const miss of ['10.0.0.0/16', '10.0.0.5/24', '10.0.0.7/32', '::ffff:10.0.0.0/104']) {
      expect(cilium.format.ipcacheMatch(at('1.18'), miss)).toBe(`${miss} does not match to any ipcache entry\n`);
    }
    expect(cilium.format.ipcacheMatch([], '10.0.0.0/8', { version: '1.18' })).toBe('No entries found.\n');
    // What netip.ParsePrefix refuses: no '/', a zone, bits with a sign, a leading zero or too many.
    for (const bad of ['10.0.0.0', '10.0.0.0/08', '10.0.0.0/+8', '10.0.0.0/33', 'feed::/129', 'fe80::%eth0/64', '10.0.0.0/8@3', '/8']) {
      expect(() => cilium.format.ipcacheMatch(at('1.18'), bad)).toThrow(`cilium.format.ipcacheMatch: not a prefix: ${JSON.stringify(bad)}`);
    }
  });

  it('match does not exist before 1.18', () => {
    for (const version of ['1.14', '1.15', '1.16', '1.17']) {
      expect(() => cilium.format.ipcacheMatch(at(version), '10.0.0.0/8')).toThrow(
        new RangeError(`cilium.format.ipcacheMatch: cilium-dbg bpf ipcache match does not exist in Cilium ${version} (it came in 1.18)`),
      );
    }
    // The version the records were decoded with, or the one given.
    expect(() => cilium.format.ipcacheMatch(at('1.18'), '10.0.0.0/8', { version: '1.17' })).toThrow(RangeError);
  });
});

describe('cilium ipcache format', () => {
  // Three entries in every version, as their bytes (1.15+ key layout; cluster 0).
  const keys = Buffer.concat([
    key({ prefixlen: 64, family: 1, ip: v4('10.0.1.15'), layout: '1.15+' }),
    key({ prefixlen: 32, family: 1, ip: v4('0.0.0.0'), layout: '1.15+' }),
    key({ prefixlen: 56, family: 1, ip: v4('10.0.2.0'), layout: '1.15+' }),
  ]);
  const v1 = Buffer.concat([valueV1(12345), valueV1(2), valueV1(6, '192.168.1.12', 0, 1)]);
  const v2 = Buffer.concat([valueV2(12345), valueV2(2), valueV2(6, v4('192.168.1.12'), 0, 0x02)]);

  // Column 0 is 'IP PREFIX/ADDRESS' (17) + 3; column 1 the longest value + 3; data lines end in spaces.
  it('1.14 and 1.15: no flags', () => {
    const expected =
      'IP PREFIX/ADDRESS   IDENTITY\n' +
      '0.0.0.0/0           identity=2 encryptkey=0 tunnelendpoint=0.0.0.0        \n' +
      '10.0.1.15/32        identity=12345 encryptkey=0 tunnelendpoint=0.0.0.0    \n' +
      '10.0.2.0/24         identity=6 encryptkey=0 tunnelendpoint=192.168.1.12   \n';
    for (const version of ['1.14', '1.15']) {
      expect(cilium.format.ipcache(cilium.decode.ipcache(keys, v1, 3, { version }))).toBe(expected);
    }
  });

  it('1.16: ", flags=" with the comma', () => {
    expect(cilium.format.ipcache(cilium.decode.ipcache(keys, v1, 3, { version: '1.16' }))).toBe(
      'IP PREFIX/ADDRESS   IDENTITY\n' +
      '0.0.0.0/0           identity=2 encryptkey=0 tunnelendpoint=0.0.0.0, flags=<none>            \n' +
      '10.0.1.15/32        identity=12345 encryptkey=0 tunnelendpoint=0.0.0.0, flags=<none>        \n' +
      '10.0.2.0/24         identity=6 encryptkey=0 tunnelendpoint=192.168.1.12, flags=skiptunnel   \n',
    );
  });

  it('1.17: " flags=" without the comma', () => {
    expect(cilium.format.ipcache(cilium.decode.ipcache(keys, v1, 3, { version: '1.17' }))).toBe(
      'IP PREFIX/ADDRESS   IDENTITY\n' +
      '0.0.0.0/0           identity=2 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>            \n' +
      '10.0.1.15/32        identity=12345 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>        \n' +
      '10.0.2.0/24         identity=6 encryptkey=0 tunnelendpoint=192.168.1.12 flags=skiptunnel   \n',
    );
  });

  it('1.18 and 1.19+: the v2 map, flags named per bit (the reference example)', () => {
    const expected =
      'IP PREFIX/ADDRESS   IDENTITY\n' +
      '0.0.0.0/0           identity=2 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>           \n' +
      '10.0.1.15/32        identity=12345 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>       \n' +
      '10.0.2.0/24         identity=6 encryptkey=0 tunnelendpoint=192.168.1.12 flags=hastunnel   \n';
    for (const version of ['1.18', '1.19', '1.20']) {
      expect(cilium.format.ipcache(cilium.decode.ipcache(keys, v2, 3, { version }))).toBe(expected);
    }
  });

  it('prints values of keys that print alike under one key, the others with an empty first column', () => {
    // Two 1.14 keys that differ only in pad1 (bytes 4..5), which Key.String() does not show.
    const k1 = key({ prefixlen: 64, family: 1, ip: v4('10.0.1.15'), layout: '1.14' });
    const k2 = Buffer.from(k1);
    k2.writeUInt16LE(7, 4);
    const records = cilium.decode.ipcache(Buffer.concat([k1, k2]), Buffer.concat([valueV1(5), valueV1(12345)]), 2, { version: '1.14' });
    expect(cilium.format.ipcache(records)).toBe(
      'IP PREFIX/ADDRESS   IDENTITY\n' +
      '10.0.1.15/32        identity=12345 encryptkey=0 tunnelendpoint=0.0.0.0   \n' +
      '                    identity=5 encryptkey=0 tunnelendpoint=0.0.0.0       \n',
    );
  });

  it('formats with an explicit version over the decoded one, and prints "No entries found." when empty', () => {
    const records = cilium.decode.ipcache(keys, v1, 3, { version: '1.16' });
    expect(cilium.format.ipcache(records, { version: '1.15' })).not.toMatch(/flags/);
    expect(cilium.format.ipcache([])).toBe('No entries found.\n');
  });
});

describe('ipcacheLookup', () => {
  // A bpffs with no pins: a lookup that reached the kernel would fail with ENOENT (or EPERM
  // unprivileged) from finding the map, not with the input's own error.
  const bpffs = '/nonexistent-bpffs';
  it('refuses a bad address or cluster id before it looks for the map', async () => {
    await expect(cilium.ipcacheLookup('not-an-ip', { bpffs })).rejects.toThrow(TypeError);
    await expect(cilium.ipcacheLookup('10.0.0.1/40', { bpffs })).rejects.toThrow(RangeError);
    await expect(cilium.ipcacheLookup('10.0.0.1', { bpffs, clusterId: '1' as unknown as number })).rejects.toThrow(
      'cilium.ipcacheLookup: clusterId must be a number, got string 1',
    );
    await expect(cilium.ipcacheLookup('10.0.0.1', { bpffs, clusterId: 70000 })).rejects.toThrow(RangeError);
    await expect(cilium.ipcacheLookup('10.0.0.1@70000', { bpffs })).rejects.toThrow(new RangeError('cilium.ipcacheLookup: 10.0.0.1@70000 names cluster 70000, past 65535 (a u16)'));
    await expect(cilium.ipcacheLookup('10.0.0.1@2', { bpffs, clusterId: 3 })).rejects.toThrow(new RangeError('cilium.ipcacheLookup: 10.0.0.1@2 names cluster 2, and clusterId 3 another'));
  });
});
