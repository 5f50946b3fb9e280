// The tunnel map (1.14–1.17) and the PCAP recorder's capture rules (1.14–1.18): bytes laid out by
// hand from bpf/lib/common.h and bpf/lib/pcap.h, decoded per version, and cilium-dbg's text.
import { describe, expect, it } from 'vitest';
import { cilium, type TunnelRecord } from 'bpfscope';

const hex = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');
const zeros = (n: number) => '00'.repeat(n);

describe('cilium tunnel map (cilium_tunnel_map: struct tunnel_key → tunnel_value)', () => {
  // tunnel_key (20 B packed): the address union @0, family @16, then 1.14: cluster_id u8 @17, pad u16;
  // 1.15+: pad u8 @17, cluster_id u16 @18. tunnel_value: the union, family @16, key u8 @17, pad u16.
  const key14 = hex(`0a040000 ${zeros(12)} 01 07 0000`);
  const key15 = hex(`0a040000 ${zeros(12)} 01 00 2c01`); // cluster 300
  const value = hex(`c0000214 ${zeros(12)} 01 03 0000`);

  it('decodes the cluster id where each version keeps it: a u8 at 17 in 1.14, a u16 at 18 from 1.15', () => {
    const v14 = cilium.decode.tunnel(key14, value, 1, { version: '1.14' });
    expect(v14.layout).toMatchObject({ map: 'cilium_tunnel_map', version: '1.14', keySize: 20, valueSize: 20, layout: 'tunnel_key (u8 cluster_id) / tunnel_value' });
    expect([...v14]).toEqual([{ ip: '10.4.0.0', family: 'ipv4', clusterId: 7, endpoint: '192.0.2.20', endpointFamily: 'ipv4', encryptKey: 3 }]);
    // The same sizes in every version: without one, the newest layout (1.17's), which reads 1.14's cluster byte as padding.
    const v17 = cilium.decode.tunnel(key14, value, 1);
    expect(v17.layout).toMatchObject({ version: '1.17', versionFrom: 'sizes', layout: 'tunnel_key (u16 cluster_id) / tunnel_value' });
    expect(v17[0].clusterId).toBe(0);
    expect(cilium.decode.tunnel(key15, value, 1, { version: '1.15' })[0].clusterId).toBe(300);
    expect(cilium.decode.tunnel(key15, value, 1, { version: '1.14' })[0].clusterId).toBe(0);
  });

  it('encodes per version as the agent does: the families following the addresses, IPv4-mapped as IPv4, cluster ids up to 255 (1.14) or 511', () => {
    const entry = { ip: '10.4.0.0', clusterId: 7, endpoint: '192.0.2.20', encryptKey: 3 };
    expect(cilium.encode.tunnel([entry], { version: '1.14' })).toEqual({ keys: key14, values: value, count: 1, keySize: 20, valueSize: 20, map: 'cilium_tunnel_map' });
    expect(cilium.encode.tunnel([{ ...entry, clusterId: 300 }], { version: '1.16' }).keys).toEqual(key15);
    expect(() => cilium.encode.tunnel([{ ...entry, clusterId: 300 }], { version: '1.14' })).toThrow(/cluster id 300 is above 255/);
    expect(cilium.encode.tunnel([{ ...entry, clusterId: 511 }], { version: '1.15' }).keys.readUInt16LE(18)).toBe(511);
    expect(() => cilium.encode.tunnel([{ ...entry, clusterId: 512 }], { version: '1.17' })).toThrow(/cluster id 512 is above 511/);
    const mapped = cilium.encode.tunnel([{ ...entry, ip: '::ffff:10.4.0.0', endpoint: '::ffff:192.0.2.20' }], { version: '1.14' });
    expect(mapped.keys).toEqual(key14);
    expect(mapped.values).toEqual(value);
    const six = cilium.encode.tunnel([{ ip: 'fd00:10:4::', endpoint: '2001:db8::20' }]);
    expect(six.keys).toEqual(hex(`fd000010000400000000000000000000 02 00 0000`));
    expect(six.values).toEqual(hex(`20010db8000000000000000000000020 02 00 0000`));
    expect(() => cilium.encode.tunnel([{ ip: '10.4.0.0/16', endpoint: '192.0.2.20' }])).toThrow(/ip is not an IP address/);
  });

  it('cilium.format.tunnel prints cilium-dbg bpf tunnel list: TablePrinter of TUNNEL and VALUE, keys sorted, nil for another family', () => {
    const records: TunnelRecord[] = [
      { ip: 'fd00:10:4::', family: 'ipv6', clusterId: 0, endpoint: '192.0.2.20', endpointFamily: 'ipv4', encryptKey: 3 },
      { ip: '10.5.0.0', family: 'ipv4', clusterId: 7, endpoint: '192.0.2.21', endpointFamily: 'ipv4', encryptKey: 0 },
      // An IPv4-mapped key prints unmapped (netip), a mapped endpoint dotted (net.IP): both as IPv4.
      { ip: '::ffff:10.6.0.0', family: 'ipv6', clusterId: 0, endpoint: '::ffff:192.0.2.22', endpointFamily: 'ipv6', encryptKey: 0 },
      { ip: '10.4.0.0', family: 'ipv4', clusterId: 0, endpoint: '2001:db8::20', endpointFamily: 'ipv6', encryptKey: 3 },
      // Keys and values of neither family print as nil; keys that print the same share a row's key.
      { ip: '::', family: undefined, clusterId: 0, endpoint: '192.0.2.23', endpointFamily: 'ipv4', encryptKey: 1 },
      { ip: '::', family: undefined, clusterId: 2, endpoint: '::', endpointFamily: undefined, encryptKey: 0 },
    ];
    const text = [
      'TUNNEL        VALUE',
      '10.4.0.0      2001:db8::20:3   ',
      '10.5.0.0@7    192.0.2.21:0     ',
      '10.6.0.0      192.0.2.22:0     ',
      'fd00:10:4::   192.0.2.20:3     ',
      'nil           192.0.2.23:1     ',
      '              nil              ',
      '',
    ].join('\n');
    for (const version of ['1.14', '1.15', '1.16', '1.17']) expect(cilium.format.tunnel(records, { version })).toBe(text);
    expect(cilium.format.tunnel(records)).toBe(text);
    // The command has no empty-map message: the header alone.
    expect(cilium.format.tunnel([])).toBe('TUNNEL   VALUE\n');
    expect(() => cilium.format.tunnel({} as never)).toThrow(TypeError);
  });

  it('1.18 removed the map: reading it as 1.18 or newer finds nothing (ENOENT) before any kernel work', async () => {
    for (const version of ['1.18', '1.20']) {
      await expect(cilium.tunnel({ version, bpffs: '/nonexistent' })).rejects.toMatchObject({
        code: 'ENOENT', message: expect.stringContaining(`Cilium ${version} has no such map (the last version with it is 1.17)`),
      });
    }
    await expect(cilium.tunnel({ version: '1.17', bpffs: '/nonexistent' })).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('not pinned under /nonexistent/tc/globals') });
    await expect(cilium.tunnel({ family: 6 } as never)).rejects.toThrow(TypeError); // one map: no family option
  });
});

describe('cilium PCAP recorder (cilium_capture4/6_rules: struct capture4/6_wcard → capture_rule)', () => {
  // capture4_wcard (16 B): saddr @0, daddr @4, sport be16 @8, dport be16 @10, nexthdr @12, smask @13, dmask @14, flags @15.
  const key4 = hex('0a030073 cb007100 0000 01bb 06 20 18 00');
  // capture6_wcard (40 B): saddr @0, daddr @16, sport @32, dport @34, nexthdr @36, smask @37, dmask @38, flags @39.
  const key6 = hex(`fd000010000300000000000000000000 20010db8000000000000000000000000 0000 0035 11 40 20 00`);
  // capture_rule (8 B): rule_id u16 @0, reserved u16 @2, cap_len u32 @4.
  const rule1 = hex('0100 0000 80000000');
  const rule2 = hex('0200 0000 00000000');
  const https = { sourceIp: '10.3.0.115', sourcePrefixLength: 32, sourcePort: 0, destinationIp: '203.0.113.0', destinationPrefixLength: 24, destinationPort: 443, protocol: 6, ruleId: 1, capLen: 128 };
  const dns6 = { sourceIp: 'fd00:10:3::', sourcePrefixLength: 64, sourcePort: 0, destinationIp: '2001:db8::', destinationPrefixLength: 32, destinationPort: 53, protocol: 17, ruleId: 2, capLen: 0 };

  it('decodes and encodes both families; the ports in host order, the family from the key size', () => {
    const four = cilium.decode.recorder(key4, rule1, 1, { version: '1.14' });
    expect(four.layout).toMatchObject({ map: 'cilium_capture4_rules', version: '1.14', keySize: 16, valueSize: 8, layout: 'capture4_wcard / capture_rule' });
    expect([...four]).toEqual([{ family: 4, ...https }]);
    expect(cilium.encode.recorder([https])).toEqual({ keys: key4, values: rule1, count: 1, keySize: 16, valueSize: 8, map: 'cilium_capture4_rules' });
    const six = cilium.decode.recorder(key6, rule2, 1);
    expect(six.layout).toMatchObject({ map: 'cilium_capture6_rules', version: '1.18', versionFrom: 'sizes', keySize: 40 });
    expect([...six]).toEqual([{ family: 6, ...dns6 }]);
    expect(cilium.encode.recorder([dns6], { family: 6 })).toMatchObject({ keys: key6, values: rule2, map: 'cilium_capture6_rules' });
    expect(() => cilium.encode.recorder([{ ...https, ruleId: 70000 }])).toThrow(/ruleId/);
    // A prefix longer than the address: 33 bits of IPv4, 129 of IPv6 (the u8 itself takes 255).
    expect(() => cilium.encode.recorder([{ ...https, sourcePrefixLength: 33 }])).toThrow(new RangeError('cilium recorder: an IPv4 prefix length is at most 32, got 33'));
    expect(() => cilium.encode.recorder([{ ...dns6, destinationPrefixLength: 129 }], { family: 6 })).toThrow(/IPv6 prefix length is at most 128, got 129/);
    expect(cilium.encode.recorder([{ ...dns6, sourcePrefixLength: 128 }], { family: 6 }).count).toBe(1);
    // A map named as one family's with the other's key size is refused, as a reader finds it by
    // name, not decoded as the other family's rules.
    expect(() => cilium.decode.recorder(key6, rule2, 1, { map: 'cilium_capture4_rules', keySize: 40, valueSize: 8 })).toThrow(new RangeError('cilium_capture4_rules: key/value sizes 40/8 match no known Cilium layout (16/8)'));
    expect(() => cilium.decode.recorder(key4, rule1, 1, { map: 'cilium_capture6_rules', keySize: 16, valueSize: 8 })).toThrow(/cilium_capture6_rules: key\/value sizes 16\/8 match no known/);
  });

  it('cilium.format.recorder prints cilium-dbg bpf recorder list: each map read, its rules and an empty line; IPv6 prefixes bracketed', () => {
    const records = [
      { family: 4 as const, ...https },
      // Wildcards: any address, port and protocol; a protocol without a name as its number.
      { family: 4 as const, sourceIp: '0.0.0.0', sourcePrefixLength: 0, sourcePort: 0, destinationIp: '0.0.0.0', destinationPrefixLength: 0, destinationPort: 0, protocol: 0, ruleId: 3, capLen: 0 },
      { family: 4 as const, ...https, protocol: 47, ruleId: 4 },
      { family: 6 as const, ...dns6 },
      // An IPv4-mapped address prints dotted (net.IP), still bracketed.
      { family: 6 as const, ...dns6, destinationIp: '::ffff:192.0.2.0', destinationPrefixLength: 120, protocol: 58, ruleId: 5 },
    ];
    const text = [
      '10.3.0.115/32:0 -> 203.0.113.0/24:443 TCP ID:1 CapLen:128',
      '0.0.0.0/0:0 -> 0.0.0.0/0:0 ANY ID:3 CapLen:0',
      '10.3.0.115/32:0 -> 203.0.113.0/24:443 47 ID:4 CapLen:128',
      '',
      '[fd00:10:3::/64]:0 -> [2001:db8::/32]:53 UDP ID:2 CapLen:0',
      '[fd00:10:3::/64]:0 -> [192.0.2.0/120]:53 ICMPv6 ID:5 CapLen:0',
      '',
      '',
    ].join('\n');
    for (const version of ['1.14', '1.15', '1.16', '1.17', '1.18']) expect(cilium.format.recorder(records, { version })).toBe(text);
    // Versions without the command print as 1.18, whose protocol names do not yet include GRE (47).
    expect(cilium.format.recorder(records, { version: '1.20' })).toBe(text);
    // An empty map prints its empty line when it was read; a map not read prints nothing.
    expect(cilium.format.recorder([], { families: [4, 6] })).toBe('\n\n');
    expect(cilium.format.recorder(records.slice(0, 1), { families: [4, 6] })).toBe('10.3.0.115/32:0 -> 203.0.113.0/24:443 TCP ID:1 CapLen:128\n\n\n');
    expect(cilium.format.recorder(records.slice(0, 1))).toBe('10.3.0.115/32:0 -> 203.0.113.0/24:443 TCP ID:1 CapLen:128\n\n');
    expect(cilium.format.recorder([])).toBe('');
    expect(() => cilium.format.recorder([], { families: [5] as never })).toThrow(/family must be 4 or 6/);
  });

  it('1.19 removed the maps: reading either family as 1.19 or newer finds nothing (ENOENT) before any kernel work', async () => {
    for (const family of [4, 6] as const) {
      await expect(cilium.recorder({ family, version: '1.19', bpffs: '/nonexistent' })).rejects.toMatchObject({
        code: 'ENOENT', message: expect.stringContaining(`cilium_capture${family}_rules: Cilium 1.19 has no such map (the last version with it is 1.18)`),
      });
    }
    await expect(cilium.recorder({ version: '1.18', bpffs: '/nonexistent' })).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('not pinned under /nonexistent/tc/globals') });
  });
});
