// The readers on real maps: Cilium-named maps created with the version's sizes, filled through
// BPF_MAP_UPDATE_ELEM, pinned in a private bpffs, read back, and compared with `bpftool -j map dump`
// decoded by hand at the reference offsets.
import { mkdirSync } from 'node:fs';
import { expect, it, vi } from 'vitest';
import { BpfMap, cilium } from 'bpfscope';
import { createMap, deleteElem, pin, updateElem } from 'bpfscope/testing';
import { bpftool, cleanup, describeKernel, mustBpffs, owned, possibleCpus } from '../helpers/kernel';

interface DumpEntry { key: string[]; value?: string[]; values?: { cpu: number; value: string[] }[] }
const bytes = (hex: string[]) => Buffer.from(hex.map((h) => parseInt(h, 16)));

async function cilMap(bpffs: string | undefined, spec: { name: string; type: 'hash' | 'lru_hash' | 'lpm_trie' | 'percpu_hash' | 'lru_percpu_hash'; keySize: number; valueSize: number; maxEntries: number; flags?: number }, packed: { keys: Buffer; values: Buffer; count: number; keySize: number; valueSize: number }, valueStride = packed.valueSize) {
  const map = owned(await createMap(spec));
  for (let i = 0; i < packed.count; i++) {
    await updateElem(map, packed.keys.subarray(i * packed.keySize, (i + 1) * packed.keySize), packed.values.subarray(i * valueStride, (i + 1) * valueStride));
  }
  if (bpffs) {
    mkdirSync(`${bpffs}/tc/globals`, { recursive: true });
    await pin(map, `${bpffs}/tc/globals/${spec.name}`);
  }
  return map;
}

describeKernel('cilium readers', () => {
  it('reads cilium_ipcache_v2 by pin and agrees with bpftool at the reference offsets', async () => {
    const bpffs = await mustBpffs();
    const packed = cilium.encode.ipcache([
      { prefix: '10.3.0.115/32', identity: 12345 },
      { prefix: '10.3.0.158/32', identity: 23456 },
      { prefix: '0.0.0.0/0', identity: 2 },
      { prefix: '10.4.0.0/24', identity: 6, tunnelEndpoint: '192.168.1.12' },
    ], { version: '1.18' });
    const map = await cilMap(bpffs, { name: 'cilium_ipcache_v2', type: 'lpm_trie', keySize: 24, valueSize: 24, maxEntries: 512000, flags: 1 }, packed);
    const records = await cilium.ipcache({ bpffs, version: '1.18' });
    expect(records.layout).toMatchObject({ map: 'cilium_ipcache_v2', version: '1.18', pinned: `${bpffs}/tc/globals/cilium_ipcache_v2`, mapId: map.id });
    const dump = bpftool<DumpEntry[]>('map', 'dump', 'pinned', `${bpffs}/tc/globals/cilium_ipcache_v2`);
    expect(records).toHaveLength(dump.length);
    const fromTool = dump.map((e) => {
      const k = bytes(e.key);
      const v = bytes(e.value!);
      return { prefix: `${[...k.subarray(8, 12)].join('.')}/${k.readUInt32LE(0) - 32}`, identity: v.readUInt32LE(0), tunnel: [...v.subarray(4, 8)].join('.'), flags: v[23] };
    });
    expect(records.map((r) => ({ prefix: r.prefix, identity: r.identity, tunnel: r.tunnelEndpoint, flags: r.rawFlags })).sort((a, b) => a.prefix.localeCompare(b.prefix)))
      .toEqual(fromTool.sort((a, b) => a.prefix.localeCompare(b.prefix)));
    expect((await cilium.ipcacheLookup('10.4.0.9', { bpffs }))?.identity).toBe(6);
    expect((await cilium.ipcacheLookup('10.3.0.115', { bpffs }))?.identity).toBe(12345);
    expect((await cilium.ipcacheLookup('8.8.8.8', { bpffs }))?.identityName).toBe('world');
  });

  it('reads cilium_lxc and per-CPU cilium_metrics; metrics sum what bpftool shows per CPU', async () => {
    const bpffs = await mustBpffs();
    await cilMap(bpffs, { name: 'cilium_lxc', type: 'hash', keySize: 20, valueSize: 48, maxEntries: 65535 }, cilium.encode.endpoints([
      { ip: '10.3.0.115', endpointId: 1234, ifindex: 17, mac: '0a:1b:2c:3d:4e:5f', nodeMac: '3a:e7:76:b3:40:73', identity: 12345 },
      { ip: '10.3.0.179', flags: ['host'] },
    ], { version: '1.17' }));
    const eps = await cilium.endpoints({ bpffs, version: '1.17' });
    expect(eps.find((e) => e.ip === '10.3.0.115')).toMatchObject({ endpointId: 1234, ifindex: 17, identity: 12345, nodeMac: '3a:e7:76:b3:40:73' });
    expect(eps.find((e) => e.ip === '10.3.0.179')?.isHost).toBe(true);

    const cpus = possibleCpus();
    const packed = cilium.encode.metrics([
      { reason: 133, direction: 'EGRESS', line: 1363, fileId: 2, perCpu: Array.from({ length: cpus }, (_, i) => ({ packets: BigInt(i + 1), bytes: BigInt(100 * (i + 1)) })) },
      { reason: 0, direction: 'INGRESS', line: 861, fileId: 1, perCpu: [{ packets: 5n, bytes: 500n }] },
    ], { version: '1.16', cpus });
    await cilMap(bpffs, { name: 'cilium_metrics', type: 'percpu_hash', keySize: 8, valueSize: 16, maxEntries: 1024 }, packed, cpus * 16);
    const metrics = await cilium.metrics({ bpffs, version: '1.16' });
    const tool = bpftool<{ key: string[]; values: { cpu: number; value: string[] }[] }[]>('map', 'dump', 'pinned', `${bpffs}/tc/globals/cilium_metrics`);
    for (const entry of tool) {
      const reason = parseInt(entry.key[0], 16);
      const sum = entry.values.reduce((s, c) => s + bytes(c.value).readBigUInt64LE(0), 0n);
      expect(metrics.find((m) => m.reason === reason)?.packets).toBe(sum);
      expect(metrics.find((m) => m.reason === reason)?.perCpu).toHaveLength(entry.values.length);
    }
    expect(cilium.format.metrics(metrics)).toContain('Policy denied');
  });

  it('1.18+: cilium.policy() takes counters from the cilium_policystats pinned beside it, summed over CPUs as bpftool shows them', async () => {
    const cpus = possibleCpus();
    const policy = cilium.encode.policy([
      { identity: 0, direction: 'egress' },
      { identity: 7, direction: 'ingress', protocol: 6, port: 8080, portPrefixLength: 12 },
    ], { version: '1.18' });
    const policySpec = { name: 'cilium_policy_v2_00042', type: 'lpm_trie', keySize: 12, valueSize: 8, maxEntries: 16, flags: 1 } as const;
    const statsSpec = { name: 'cilium_policystats', type: 'lru_percpu_hash', keySize: 12, valueSize: 16, maxEntries: 64 * cpus, flags: 2 } as const;
    const perCpu = Array.from({ length: cpus }, (_, i) => ({ packets: BigInt(i + 1), bytes: BigInt(60 * (i + 1)) }));
    // The TCP 8080-8095 entry of endpoint 42 counted; endpoint 43's any-egress entry, not 42's.
    const stats = cilium.encode.policyStats([
      { endpointId: 42, identity: 7, direction: 'ingress', lpmPrefixLength: 20, protocol: 6, port: 8080, perCpu },
      { endpointId: 43, identity: 0, direction: 'egress', lpmPrefixLength: 0, protocol: 0, port: 0, perCpu },
    ], { cpus });
    const bpffs = await mustBpffs();
    await cilMap(bpffs, policySpec, policy);
    await cilMap(bpffs, statsSpec, stats, cpus * 16);
    const tool = bpftool<{ key: string[]; values: { cpu: number; value: string[] }[] }[]>('map', 'dump', 'pinned', `${bpffs}/tc/globals/cilium_policystats`);
    const counted = tool.find((e) => bytes(e.key).readUInt16LE(0) === 42)!;
    const sum = (at: number) => counted.values.reduce((n, c) => n + bytes(c.value).readBigUInt64LE(at), 0n);
    const dump = vi.spyOn(BpfMap.prototype, 'dump');
    cleanup(() => dump.mockRestore());
    const records = await cilium.policy(42, { bpffs });
    // Each entry's row looked up by its key, as cilium-dbg's GetStat does: the stats map holds every
    // endpoint's rows, each a value per possible CPU (65536 × 16 × CPUs bytes when full).
    expect(dump.mock.contexts.map((map) => (map as BpfMap).info.name)).toEqual(['cilium_policy_v']);
    expect(records.find((r) => r.identity === 7)).toMatchObject({ packets: sum(0), bytes: sum(8) });
    expect(records.find((r) => r.identity === 0)?.packets).toBeUndefined();
    // A node with no stats map pinned keeps no counters, and another's (unpinned here) is not read.
    const bare = await mustBpffs();
    await cilMap(bare, policySpec, policy);
    await cilMap(undefined, statsSpec, stats, cpus * 16);
    expect((await cilium.policy(42, { bpffs: bare })).map((r) => r.packets)).toEqual([undefined, undefined]);
  });

  it('finds an unpinned map by name, reports a missing one as ENOENT, and rejects bad options', async () => {
    const empty = await mustBpffs();
    const map = await cilMap(undefined, { name: 'cilium_lb4_reverse_nat', type: 'hash', keySize: 2, valueSize: 6, maxEntries: 16 }, cilium.encode.revNat([{ revNatIndex: 3, address: '10.96.0.10', port: 53 }]));
    const revNat = await cilium.revNat({ bpffs: empty });
    expect(revNat.layout.mapId).toBe(map.id);
    expect(revNat.layout.pinned).toBeUndefined();
    expect(revNat).toEqual([{ revNatIndex: 3, address: '10.96.0.10', port: 53 }]);
    await expect(cilium.policy(42, { bpffs: empty })).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(cilium.ipcache({ bpffs: empty, verison: '1.16' } as never)).rejects.toThrow(/unknown option 'verison'/);
    await expect(cilium.conntrack({ bpffs: empty, family: 5 as never })).rejects.toThrow(RangeError);
  });

  it('reads the IPv6 load balancer (cilium_lb6_*) with { family: 6 }, as bpftool shows its bytes at the reference offsets', async () => {
    const bpffs = await mustBpffs();
    const frontend = 'fd00::96:a';
    await cilMap(bpffs, { name: 'cilium_lb6_services_v2', type: 'hash', keySize: 24, valueSize: 12, maxEntries: 16 }, cilium.encode.services([
      { address: frontend, port: 53, backendSlot: 0, protocol: 17, affinityTimeout: 0, count: 2, revNatIndex: 4 },
      { address: frontend, port: 53, backendSlot: 1, protocol: 17, backendId: 7, revNatIndex: 4 },
      { address: frontend, port: 53, backendSlot: 2, protocol: 17, backendId: 8, revNatIndex: 4 },
    ], { version: '1.18', family: 6 }));
    await cilMap(bpffs, { name: 'cilium_lb6_backends_v3', type: 'hash', keySize: 4, valueSize: 24, maxEntries: 16 }, cilium.encode.backends([
      { backendId: 7, address: 'fd00::3:73', port: 53, protocol: 17, zone: 1 },
      { backendId: 8, address: 'fd00::3:9e', port: 53, protocol: 17, clusterId: 3 },
    ], { version: '1.18', family: 6 }));
    await cilMap(bpffs, { name: 'cilium_lb6_reverse_nat', type: 'hash', keySize: 2, valueSize: 18, maxEntries: 16 }, cilium.encode.revNat([{ revNatIndex: 4, address: frontend, port: 53 }], { family: 6 }));

    const services = await cilium.services({ bpffs, family: 6, version: '1.18' });
    expect(services.layout).toMatchObject({ map: 'cilium_lb6_services_v2', pinned: `${bpffs}/tc/globals/cilium_lb6_services_v2` });
    const hex6 = (b: Buffer) => Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16)).join(':');
    const tool = (name: string) => bpftool<DumpEntry[]>('map', 'dump', 'pinned', `${bpffs}/tc/globals/${name}`).map((e) => [bytes(e.key), bytes(e.value!)] as const);
    // lb6_key: address @0, dport be16 @16, backend_slot @18, proto @20; lb6_service: backend_id @0, count @4, rev_nat_index be16 @6.
    const bySlot = (a: { slot: number }, b: { slot: number }) => a.slot - b.slot;
    expect(services.map((r) => ({ slot: r.backendSlot, port: r.port, proto: r.protocol, backend: r.backendId ?? 0, count: r.count, revNat: r.revNatIndex })).sort(bySlot))
      .toEqual(tool('cilium_lb6_services_v2').map(([k, v]) => ({ slot: k.readUInt16LE(18), port: k.readUInt16BE(16), proto: k[20], backend: k.readUInt16LE(18) ? v.readUInt32LE(0) : 0, count: v.readUInt16LE(4), revNat: v.readUInt16BE(6) })).sort(bySlot));
    expect(services.every((r) => r.address === frontend)).toBe(true);
    expect(tool('cilium_lb6_services_v2').every(([k]) => hex6(k.subarray(0, 16)) === 'fd00:0:0:0:0:0:96:a')).toBe(true);

    // lb6_backend: address @0, port be16 @16, proto @18, flags @19, cluster_id u16 @20, zone @22.
    const backends = await cilium.backends({ bpffs, family: 6 });
    const byId = (a: { backendId: number }, b: { backendId: number }) => a.backendId - b.backendId;
    expect(backends.map((b) => ({ backendId: b.backendId, port: b.port, proto: b.protocol, cluster: b.clusterId, zone: b.zone })).sort(byId))
      .toEqual(tool('cilium_lb6_backends_v3').map(([k, v]) => ({ backendId: k.readUInt32LE(0), port: v.readUInt16BE(16), proto: v[18], cluster: v.readUInt16LE(20), zone: v[22] })).sort(byId));
    expect(backends.map((b) => b.address).sort()).toEqual(['fd00::3:73', 'fd00::3:9e']);

    const revNat = await cilium.revNat({ bpffs, family: 6 });
    expect(revNat).toEqual([{ revNatIndex: 4, address: frontend, port: 53 }]);
    expect(tool('cilium_lb6_reverse_nat').map(([k, v]) => [k.readUInt16BE(0), v.length, v.readUInt16BE(16)])).toEqual([[4, 18, 53]]);
    // The IPv4 maps are not there: family 4 (the default) says so.
    await expect(cilium.services({ bpffs })).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(cilium.backends({ bpffs, family: 7 as never })).rejects.toThrow(/family must be 4 or 6/);
  });

  it('reads cilium_snat_v4_external (an LRU hash) as bpftool shows its bytes at the nat.h offsets', async () => {
    const bpffs = await mustBpffs();
    const packed = cilium.encode.nat([
      { daddr: '1.1.1.1', saddr: '10.3.0.115', dport: 80, sport: 40000, protocol: 6, direction: 'out', toAddress: '192.168.1.10', toPort: 60001, created: 5000n, needsCt: true },
      { daddr: '192.168.1.10', saddr: '1.1.1.1', dport: 60001, sport: 80, protocol: 6, direction: 'in', toAddress: '10.3.0.115', toPort: 40000, created: 5000n },
    ]);
    await cilMap(bpffs, { name: 'cilium_snat_v4_external', type: 'lru_hash', keySize: 14, valueSize: 40, maxEntries: 64 }, packed);
    const nat = await cilium.nat({ bpffs });
    expect(nat.layout).toMatchObject({ map: 'cilium_snat_v4_external', pinned: `${bpffs}/tc/globals/cilium_snat_v4_external` });
    const dotted = (b: Buffer) => [...b].join('.');
    const fromTool = bpftool<DumpEntry[]>('map', 'dump', 'pinned', `${bpffs}/tc/globals/cilium_snat_v4_external`).map((e) => {
      const k = bytes(e.key);
      const v = bytes(e.value!);
      return { dir: k[13] & 1 ? 'in' : 'out', to: `${dotted(v.subarray(32, 36))}:${v.readUInt16BE(36)}`, created: v.readBigUInt64LE(0), needsCt: v.readBigUInt64LE(8) === 1n };
    });
    const ours = nat.map((r) => ({ dir: r.direction, to: `${r.toAddress}:${r.toPort}`, created: r.created, needsCt: r.needsCt }));
    const byDir = (a: { dir: string }, b: { dir: string }) => a.dir.localeCompare(b.dir);
    expect(ours.sort(byDir)).toEqual(fromTool.sort(byDir));
    expect(ours.map((r) => r.to).sort()).toEqual(['10.3.0.115:40000', '192.168.1.10:60001']);
    await expect(cilium.nat({ bpffs, family: 6 })).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reads cilium_egress_gw_policy_v4 (an LPM trie) as bpftool shows its bytes', async () => {
    const bpffs = await mustBpffs();
    const policies = [
      { sourceIp: '10.3.0.115', destinationCidr: '203.0.113.0/24', egressIp: '192.0.2.50', gatewayIp: '192.0.2.20' },
      { sourceIp: '10.3.0.158', destinationCidr: '0.0.0.0/0', egressIp: '0.0.0.0', gatewayIp: '0.0.0.0' },
    ];
    await cilMap(bpffs, { name: 'cilium_egress_gw_policy_v4', type: 'lpm_trie', keySize: 12, valueSize: 8, maxEntries: 16384, flags: 1 }, cilium.encode.egress(policies, { version: '1.19' }));
    const records = await cilium.egress({ bpffs });
    const dotted = (b: Buffer) => [...b].join('.');
    const fromTool = bpftool<DumpEntry[]>('map', 'dump', 'pinned', `${bpffs}/tc/globals/cilium_egress_gw_policy_v4`).map((e) => {
      const k = bytes(e.key);
      const v = bytes(e.value!);
      return { sourceIp: dotted(k.subarray(4, 8)), destinationCidr: `${dotted(k.subarray(8, 12))}/${k.readUInt32LE(0) - 32}`, egressIp: dotted(v.subarray(0, 4)), gatewayIp: dotted(v.subarray(4, 8)) };
    });
    const bySource = (a: { sourceIp: string }, b: { sourceIp: string }) => a.sourceIp.localeCompare(b.sourceIp);
    expect([...records].sort(bySource)).toEqual(fromTool.sort(bySource));
    expect([...records].sort(bySource)).toEqual(policies);
  });

  it('reads the IPv6 egress map (1.18+) and, from 1.20, the IPv4 map with egress interfaces ahead of the old one, as bpftool shows their bytes', async () => {
    const bpffs = await mustBpffs();
    const lpm = (name: string, keySize: number, valueSize: number) => ({ name, type: 'lpm_trie' as const, keySize, valueSize, maxEntries: 16384, flags: 1 });
    const v6 = [
      { sourceIp: 'fd00:10:3::73', destinationCidr: '2001:db8:100::/64', egressIp: '2001:db8:1::50', gatewayIp: '192.0.2.20', egressIfindex: 7 },
      { sourceIp: 'fd00:10:3::9e', destinationCidr: '::/0', egressIp: '::', gatewayIp: '0.0.0.0', egressIfindex: 0 },
    ];
    const v4 = [{ sourceIp: '10.3.0.115', destinationCidr: '203.0.113.0/24', egressIp: '192.0.2.50', gatewayIp: '192.0.2.20', egressIfindex: 3 }];
    const old = [{ sourceIp: '10.3.0.115', destinationCidr: '198.51.100.0/24', egressIp: '192.0.2.51', gatewayIp: '192.0.2.21' }];
    await cilMap(bpffs, lpm('cilium_egress_gw_policy_v6', 36, 40), cilium.encode.egress(v6, { family: 6 }));
    await cilMap(bpffs, lpm('cilium_egress_gw_policy_v4_v2', 12, 28), cilium.encode.egress(v4, { version: '1.20' }));
    await cilMap(bpffs, lpm('cilium_egress_gw_policy_v4', 12, 8), cilium.encode.egress(old, { version: '1.19' }));
    const bySource = (a: { sourceIp: string }, b: { sourceIp: string }) => a.sourceIp.localeCompare(b.sourceIp);
    const dump = (name: string) => bpftool<DumpEntry[]>('map', 'dump', 'pinned', `${bpffs}/tc/globals/${name}`).map((e) => [bytes(e.key), bytes(e.value!)] as const);
    // IPv6: prefixlen @0 (128 + the destination's), saddr @4, daddr @20; egress_ip @0, gateway_ip @16,
    // egress_ifindex @32. bpftool's bytes against the addresses written out in full.
    const six = await cilium.egress({ bpffs, family: 6 });
    expect(six.layout).toMatchObject({ map: 'cilium_egress_gw_policy_v6', keySize: 36, valueSize: 40 });
    expect([...six].sort(bySource)).toEqual(v6);
    const full = (groups: string) => Buffer.from(groups.replace(/:/g, ''), 'hex');
    const key6 = (prefixlen: number, source: string, destination: string) => Buffer.concat([Buffer.from([prefixlen, 0, 0, 0]), full(source), full(destination)]);
    const value6 = (egress: string, gateway: number[], ifindex: number) => Buffer.concat([full(egress), Buffer.from(gateway), Buffer.alloc(12), Buffer.from([ifindex, 0, 0, 0]), Buffer.alloc(4)]);
    const hex = (pairs: (readonly [Buffer, Buffer])[]) => pairs.map(([k, v]) => `${k.toString('hex')} ${v.toString('hex')}`).sort();
    expect(hex(dump('cilium_egress_gw_policy_v6'))).toEqual(hex([
      [key6(192, 'fd00:0010:0003:0000:0000:0000:0000:0073', '2001:0db8:0100:0000:0000:0000:0000:0000'), value6('2001:0db8:0001:0000:0000:0000:0000:0050', [192, 0, 2, 20], 7)],
      [key6(128, 'fd00:0010:0003:0000:0000:0000:0000:009e', '0000:0000:0000:0000:0000:0000:0000:0000'), value6('0000:0000:0000:0000:0000:0000:0000:0000', [0, 0, 0, 0], 0)],
    ]));
    // IPv4: the 1.20 map first (egress_ifindex @20 of 28 bytes), the older one for 1.19 and before.
    const four = await cilium.egress({ bpffs });
    expect(four.layout).toMatchObject({ map: 'cilium_egress_gw_policy_v4_v2', keySize: 12, valueSize: 28 });
    const [[k, v]] = dump('cilium_egress_gw_policy_v4_v2');
    expect([...four]).toEqual([{ sourceIp: [...k.subarray(4, 8)].join('.'), destinationCidr: `${[...k.subarray(8, 12)].join('.')}/${k.readUInt32LE(0) - 32}`,
      egressIp: [...v.subarray(0, 4)].join('.'), gatewayIp: [...v.subarray(4, 8)].join('.'), egressIfindex: v.readUInt32LE(20) }]);
    expect([...four]).toEqual(v4);
    const older = await cilium.egress({ bpffs, version: '1.19' });
    expect(older.layout).toMatchObject({ map: 'cilium_egress_gw_policy_v4', valueSize: 8 });
    expect([...older]).toEqual(old);
    expect(older[0].egressIfindex).toBeUndefined();
    // A poller finds the IPv6 map the same way, and reports what changes in it.
    const poller = await cilium.poller('egress', { bpffs, family: 6 });
    try {
      expect(poller.poll().added.sort(bySource)).toEqual(v6);
      expect(poller.poll()).toMatchObject({ added: [], removed: [], changed: [] });
    } finally {
      poller.close();
    }
  });

  it('reads the SRv6 VRF, policy and SID maps of both families as bpftool shows their bytes', async () => {
    const bpffs = await mustBpffs();
    const map = (name: string, type: 'lpm_trie' | 'hash', keySize: number, valueSize: number) => ({ name, type, keySize, valueSize, maxEntries: 16384, flags: 1 });
    const vrfs4 = [{ sourceIp: '10.3.0.115', destinationCidr: '192.168.0.0/16', vrfId: 7 }];
    const vrfs6 = [{ sourceIp: 'fd00:10:3::73', destinationCidr: '2001:db8:2::/64', vrfId: 12 }];
    const policies4 = [{ vrfId: 7, destinationCidr: '203.0.113.0/24', sid: 'fd00:0:1::ff01' }];
    const policies6 = [{ vrfId: 12, destinationCidr: '2001:db8:3::/48', sid: 'fd00:0:2::ff02' }];
    const sids = [{ sid: 'fd00:0:1::ff01', vrfId: 7 }, { sid: 'fd00:0:2::ff02', vrfId: 12 }];
    await cilMap(bpffs, map('cilium_srv6_vrf_v4', 'lpm_trie', 12, 4), cilium.encode.srv6Vrf(vrfs4));
    await cilMap(bpffs, map('cilium_srv6_vrf_v6', 'lpm_trie', 36, 4), cilium.encode.srv6Vrf(vrfs6, { family: 6 }));
    await cilMap(bpffs, map('cilium_srv6_policy_v4', 'lpm_trie', 12, 16), cilium.encode.srv6Policy(policies4));
    await cilMap(bpffs, map('cilium_srv6_policy_v6', 'lpm_trie', 24, 16), cilium.encode.srv6Policy(policies6, { family: 6 }));
    await cilMap(bpffs, map('cilium_srv6_sid', 'hash', 16, 4), cilium.encode.srv6Sid(sids));
    expect([...await cilium.srv6Vrf({ bpffs })]).toEqual(vrfs4);
    expect([...await cilium.srv6Vrf({ bpffs, family: 6 })]).toEqual(vrfs6);
    expect([...await cilium.srv6Policy({ bpffs })]).toEqual(policies4);
    expect([...await cilium.srv6Policy({ bpffs, family: 6 })]).toEqual(policies6);
    const bySid = (a: { sid: string }, b: { sid: string }) => a.sid.localeCompare(b.sid);
    expect([...await cilium.srv6Sid({ bpffs })].sort(bySid)).toEqual(sids);
    // bpftool's bytes against the structs written out in full: prefixlen u32 LE, then the fields.
    const hex = (name: string) => bpftool<DumpEntry[]>('map', 'dump', 'pinned', `${bpffs}/tc/globals/${name}`).map((e) => `${bytes(e.key).toString('hex')} ${bytes(e.value!).toString('hex')}`).sort();
    expect(hex('cilium_srv6_vrf_v4')).toEqual(['300000000a030073c0a80000 07000000']);
    expect(hex('cilium_srv6_vrf_v6')).toEqual(['c0000000fd00001000030000000000000000007320010db8000200000000000000000000 0c000000']);
    expect(hex('cilium_srv6_policy_v4')).toEqual(['3800000007000000cb007100 fd00000000010000000000000000ff01']);
    expect(hex('cilium_srv6_policy_v6')).toEqual(['500000000c00000020010db8000300000000000000000000 fd00000000020000000000000000ff02']);
    expect(hex('cilium_srv6_sid')).toEqual(['fd00000000010000000000000000ff01 07000000', 'fd00000000020000000000000000ff02 0c000000']);
    // Pollers find them the same way.
    const poller = await cilium.poller('srv6Policy', { bpffs, family: 6 });
    try {
      expect(poller.poll().added).toEqual(policies6);
      expect(poller.poll()).toMatchObject({ added: [], removed: [], changed: [] });
    } finally {
      poller.close();
    }
  });

  it('reads the node map each version\'s datapath reads (cilium_node_map_v2 from 1.16, the old map before), as bpftool shows its bytes', async () => {
    const hash = (name: string, valueSize: number) => ({ name, type: 'hash' as const, keySize: 20, valueSize, maxEntries: 16384, flags: 1 });
    const nodes = [{ ip: '192.0.2.20', nodeId: 1, spi: 3 }, { ip: '2001:db8::20', nodeId: 1, spi: 3 }];
    // A 1.18 node has only the v2 map: there is none for 1.14 to read (its kernel name, cut to
    // cilium_node_map, is the old map's, but its 4-byte values are not).
    const v2Only = await mustBpffs();
    await cilMap(v2Only, hash('cilium_node_map_v2', 4), cilium.encode.nodeIds(nodes));
    await expect(cilium.nodeIds({ bpffs: v2Only, version: '1.14' })).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('cilium_node_map') });
    expect((await cilium.nodeIds({ bpffs: v2Only })).layout.map).toBe('cilium_node_map_v2');

    // A 1.16 or 1.17 node keeps both; its datapath reads v2, where the agent copied the old map's ids.
    const bpffs = await mustBpffs();
    await cilMap(bpffs, hash('cilium_node_map_v2', 4), cilium.encode.nodeIds(nodes, { version: '1.16' }));
    await cilMap(bpffs, hash('cilium_node_map', 2), cilium.encode.nodeIds([{ ip: '192.0.2.21', nodeId: 2 }], { version: '1.15' }));
    // family @3, the address @4; id u16 @0, spi @2.
    const fromTool = (name: string) => bpftool<DumpEntry[]>('map', 'dump', 'pinned', `${bpffs}/tc/globals/${name}`).map((e) => {
      const k = bytes(e.key);
      const v = bytes(e.value!);
      const ip = k[3] === 1 ? [...k.subarray(4, 8)].join('.') : k.subarray(4, 20).toString('hex').match(/..../g)!.join(':');
      return { ip, family: k[3], nodeId: v.readUInt16LE(0), spi: v.length === 4 ? v[2] : undefined };
    });
    const full = (r: { ip: string; family?: string; nodeId: number; spi?: number }) => ({ ...r, family: r.family === 'ipv6' ? 2 : 1, ip: r.ip === '2001:db8::20' ? '2001:0db8:0000:0000:0000:0000:0000:0020' : r.ip });
    const byIp = (a: { ip: string }, b: { ip: string }) => a.ip.localeCompare(b.ip);
    for (const version of [undefined, '1.16', '1.17', '1.20']) {
      const records = await cilium.nodeIds({ bpffs, version });
      expect(records.layout).toMatchObject({ map: 'cilium_node_map_v2', valueSize: 4, pinned: `${bpffs}/tc/globals/cilium_node_map_v2` });
      expect(records.map(full).sort(byIp)).toEqual(fromTool('cilium_node_map_v2').sort(byIp));
    }
    const old = await cilium.nodeIds({ bpffs, version: '1.15' });
    expect(old.layout).toMatchObject({ map: 'cilium_node_map', version: '1.15', valueSize: 2 });
    expect([...old]).toEqual([{ ip: '192.0.2.21', family: 'ipv4', nodeId: 2, spi: undefined }]);
    expect(old.map(full)).toEqual(fromTool('cilium_node_map'));
  });

  it('reads cilium_auth_map and cilium_vtep_map as bpftool shows their bytes', async () => {
    const bpffs = await mustBpffs();
    const auth = [
      { localIdentity: 10001, remoteIdentity: 20001, remoteNodeId: 1, authType: 1, expiration: 1_893_456_000n * 1_953_125n },
      { localIdentity: 10001, remoteIdentity: 11001, remoteNodeId: 0, authType: 1, expiration: (1n << 64n) - 1n },
    ];
    await cilMap(bpffs, { name: 'cilium_auth_map', type: 'hash', keySize: 12, valueSize: 8, maxEntries: 1 << 19, flags: 1 }, cilium.encode.auth(auth));
    const vtep = [{ vtepIp: '198.51.100.0', vtepMac: '00:50:56:aa:bb:01', tunnelEndpoint: '192.0.2.30' }];
    await cilMap(bpffs, { name: 'cilium_vtep_map', type: 'hash', keySize: 4, valueSize: 16, maxEntries: 8 }, cilium.encode.vtep(vtep));
    const dump = (name: string) => bpftool<DumpEntry[]>('map', 'dump', 'pinned', `${bpffs}/tc/globals/${name}`).map((e) => [bytes(e.key), bytes(e.value!)] as const);

    // local_sec_label @0, remote_sec_label @4, remote_node_id u16 @8, auth_type @10; expiration u64 @0.
    const records = await cilium.auth({ bpffs });
    expect(records.layout).toMatchObject({ map: 'cilium_auth_map', pinned: `${bpffs}/tc/globals/cilium_auth_map` });
    const byRemote = (a: { remoteIdentity: number }, b: { remoteIdentity: number }) => a.remoteIdentity - b.remoteIdentity;
    expect([...records].sort(byRemote)).toEqual(dump('cilium_auth_map').map(([k, v]) => ({
      localIdentity: k.readUInt32LE(0), remoteIdentity: k.readUInt32LE(4), remoteNodeId: k.readUInt16LE(8), authType: k[10], expiration: v.readBigUInt64LE(0),
    })).sort(byRemote));
    expect([...records].sort(byRemote)).toEqual([...auth].sort(byRemote));

    // vtep_ip @0; vtep_mac @0 (6 bytes of a u64), tunnel_endpoint @8.
    const [[k, v]] = dump('cilium_vtep_map');
    expect([...await cilium.vtep({ bpffs })]).toEqual([{
      vtepIp: [...k].join('.'), vtepMac: [...v.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':'), tunnelEndpoint: [...v.subarray(8, 12)].join('.'),
    }]);
    expect([...await cilium.vtep({ bpffs })]).toEqual(vtep);
    using poller = await cilium.poller('auth', { bpffs });
    expect(poller.poll().added).toHaveLength(2);
  });

  it('reads the IPv6 ip-masq-agent and fragment maps with { family: 6 }, and cilium_throttle by name, as bpftool shows their bytes', async () => {
    const bpffs = await mustBpffs();
    const cidrs = [{ cidr: '2001:db8::/32' }, { cidr: 'fd00::/8' }];
    const datagram = { id: 0xabcdef, protocol: 17, sourceIp: 'fd00:10:3::73', destinationIp: '2001:db8::1', sourcePort: 41001, destinationPort: 53 };
    await cilMap(bpffs, { name: 'cilium_ipmasq_v6', type: 'lpm_trie', keySize: 20, valueSize: 1, maxEntries: 16384, flags: 1 }, cilium.encode.ipmasq(cidrs, { family: 6 }));
    await cilMap(bpffs, { name: 'cilium_ipv6_frag_datagrams', type: 'lru_hash', keySize: 40, valueSize: 4, maxEntries: 8192 }, cilium.encode.frag([datagram], { family: 6 }));
    const hex = (name: string) => bpftool<DumpEntry[]>('map', 'dump', 'pinned', `${bpffs}/tc/globals/${name}`).map((e) => `${bytes(e.key).toString('hex')} ${bytes(e.value!).toString('hex')}`).sort();
    // lpm_v6_key: prefixlen u32 LE, addr[16]; lpm_val: one zero byte.
    const masq = await cilium.ipmasq({ bpffs, family: 6 });
    expect(masq.layout).toMatchObject({ map: 'cilium_ipmasq_v6', keySize: 20, valueSize: 1 });
    expect([...masq].sort((a, b) => a.cidr.localeCompare(b.cidr))).toEqual(cidrs);
    expect(hex('cilium_ipmasq_v6')).toEqual(['08000000fd000000000000000000000000000000 00', '2000000020010db8000000000000000000000000 00']);
    // ipv6_frag_id: id be32, proto, pad[3], saddr, daddr; ports be16.
    expect([...await cilium.frag({ bpffs, family: 6 })]).toEqual([datagram]);
    expect(hex('cilium_ipv6_frag_datagrams')).toEqual(['00abcdef11000000fd00001000030000000000000000007320010db8000000000000000000000001 a0290035']);
    using poller = await cilium.poller('frag', { bpffs, family: 6 });
    expect(poller.poll()).toMatchObject({ added: [datagram], removed: [], changed: [], layout: { map: 'cilium_ipv6_frag_datagrams' } });
    // Not pinned: found by name among all maps (its sizes fit), read as the newest layout.
    const throttle = await cilMap(undefined, { name: 'cilium_throttle', type: 'hash', keySize: 8, valueSize: 56, maxEntries: 16, flags: 1 },
      cilium.encode.bandwidth([{ endpointId: 4001, direction: 1, bps: 625_000n, tLast: 0n, tokens: 100n, prio: 0 }]));
    const records = await cilium.bandwidth({ bpffs: `${bpffs}/none` });
    expect(records.layout).toMatchObject({ map: 'cilium_throttle', mapId: throttle.id, version: '1.20' });
    expect([...records]).toEqual([{ endpointId: 4001, direction: 1, bps: 625_000n, tLast: 0n, tokens: 100n, prio: 0 }]);
  });

  it('reads cilium_lb6_maglev (a hash of maps) through its inner arrays, and cilium_lb6_reverse_sk, as bpftool shows their bytes', async () => {
    const bpffs = await mustBpffs();
    mkdirSync(`${bpffs}/tc/globals`, { recursive: true });
    const u32 = (n: number) => Buffer.from(new Uint32Array([n]).buffer);
    // Two services' tables of 7 backend ids, each an array at key 0, named in the outer map by its fd.
    const tables = [{ revNatIndex: 5, backendIds: [1, 2, 3, 1, 2, 3, 1] }, { revNatIndex: 300, backendIds: [4, 4, 4, 4, 4, 4, 4] }];
    const packed = cilium.encode.maglev(tables, { family: 6 });
    const inner = await Promise.all(tables.map(async (_, i) => {
      const array = owned(await createMap({ type: 'array', keySize: 4, valueSize: packed.valueSize, maxEntries: 1 }));
      await updateElem(array, u32(0), packed.values.subarray(i * packed.valueSize, (i + 1) * packed.valueSize));
      return array;
    }));
    const outer = owned(await createMap({ type: 'hash_of_maps', name: 'cilium_lb6_maglev', keySize: 2, valueSize: 4, maxEntries: 16, innerMap: inner[0] }));
    for (const [i, array] of inner.entries()) await updateElem(outer, packed.keys.subarray(i * 2, i * 2 + 2), u32(array.fd));
    await pin(outer, `${bpffs}/tc/globals/cilium_lb6_maglev`);
    const records = await cilium.maglev({ bpffs, family: 6 });
    expect(records.layout).toMatchObject({ map: 'cilium_lb6_maglev', keySize: 2, valueSize: 4, mapId: outer.id, pinned: `${bpffs}/tc/globals/cilium_lb6_maglev` });
    const byIndex = (a: { revNatIndex: number }, b: { revNatIndex: number }) => a.revNatIndex - b.revNatIndex;
    expect([...records].sort(byIndex)).toEqual(tables.map((t, i) => ({ family: 6, ...t, innerMapId: inner[i].id })));
    // bpftool: keys in network order (300 is 01 2c), values the inner maps' ids, each table at key 0 of its array.
    const dump = bpftool<{ key: string[]; inner_map_id: number }[]>('map', 'dump', 'pinned', `${bpffs}/tc/globals/cilium_lb6_maglev`);
    expect(dump.map((e) => `${bytes(e.key).toString('hex')} ${e.inner_map_id}`).sort()).toEqual([`0005 ${inner[0].id}`, `012c ${inner[1].id}`]);
    const table = bpftool<DumpEntry[]>('map', 'dump', 'id', String(inner[1].id));
    expect(table.map((e) => `${bytes(e.key).toString('hex')} ${bytes(e.value!).toString('hex')}`)).toEqual([`00000000 ${'04000000'.repeat(7)}`]);
    expect(cilium.format.maglev(records)).toBe(['SVC ID     LOOKUP TABLE', '[300]/v6   [4 4 4 4 4 4 4]   ', '[5]/v6     [1 2 3 1 2 3 1]   ', ''].join('\n'));
    // No IPv4 map in this bpffs, nor one of that name elsewhere: the readers' ENOENT.
    await expect(cilium.maglev({ bpffs })).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('cilium_lb4_maglev') });
    await expect(cilium.sockRevNat({ bpffs })).rejects.toMatchObject({ code: 'ENOENT' });

    const socks = [{ cookie: 0x1_0000_0001n, backendAddress: 'fd00:10:3::73', backendPort: 8080, frontendAddress: 'fd00:96::a', frontendPort: 80, revNatIndex: 300 }];
    const sk6 = await cilMap(bpffs, { name: 'cilium_lb6_reverse_sk', type: 'lru_hash', keySize: 32, valueSize: 20, maxEntries: 256 }, cilium.encode.sockRevNat(socks, { family: 6 }));
    expect([...await cilium.sockRevNat({ bpffs, family: 6 })]).toEqual(socks);
    const sk = bpftool<DumpEntry[]>('map', 'dump', 'pinned', `${bpffs}/tc/globals/cilium_lb6_reverse_sk`);
    // cookie u64 LE, the backend v6addr, port be16, 6 bytes of padding; the frontend, port be16, rev-NAT index be16.
    expect(sk.map((e) => `${bytes(e.key).toString('hex')} ${bytes(e.value!).toString('hex')}`)).toEqual([
      `0100000001000000fd000010000300000000000000000073${'1f90'}000000000000 fd00009600000000000000000000000a${'0050'}${'012c'}`,
    ]);
    // A poller finds it the same way, and sees a socket's entry go when the socket closes.
    const poller = await cilium.poller('sockRevNat', { bpffs, family: 6 });
    try {
      expect(poller.poll().added).toEqual(socks);
      await deleteElem(sk6, cilium.encode.sockRevNat(socks, { family: 6 }).keys);
      expect(poller.poll()).toMatchObject({ added: [], removed: socks, changed: [] });
    } finally {
      poller.close();
    }
  });

  it('cilium.poller decodes only what changed: drop counters that grow, ipcache entries that come and go', async () => {
    const bpffs = await mustBpffs();
    const cpus = possibleCpus();
    const perCpu = (packets: number) => Array.from({ length: cpus }, (_, i) => ({ packets: BigInt(packets + i), bytes: BigInt(100 * (packets + i)) }));
    const rows = (packets: number) => [
      { reason: 133, direction: 'EGRESS' as const, line: 1363, fileId: 2, perCpu: perCpu(packets) },
      { reason: 0, direction: 'INGRESS' as const, line: 861, fileId: 1, perCpu: perCpu(1) },
    ];
    const metricsMap = await cilMap(bpffs, { name: 'cilium_metrics', type: 'percpu_hash', keySize: 8, valueSize: 16, maxEntries: 1024 }, cilium.encode.metrics(rows(10), { version: '1.16', cpus }), cpus * 16);
    using poller = await cilium.poller('metrics', { bpffs, version: '1.16' });
    const first = poller.poll();
    expect(first.layout).toMatchObject({ map: 'cilium_metrics', pinned: `${bpffs}/tc/globals/cilium_metrics` });
    const byReason = (a: { reason: number }, b: { reason: number }) => a.reason - b.reason;
    expect(first.added.sort(byReason)).toEqual([...(await cilium.metrics({ bpffs, version: '1.16' }))].sort(byReason));
    expect(poller.poll()).toMatchObject({ added: [], removed: [], changed: [] });

    // The policy drops grow by 5 packets on every CPU; the other row stays.
    const grown = cilium.encode.metrics(rows(15), { version: '1.16', cpus });
    await updateElem(metricsMap, grown.keys.subarray(0, 8), grown.values.subarray(0, cpus * 16));
    const tick = await poller.pollAsync();
    expect(tick.added).toEqual([]);
    expect(tick.changed).toHaveLength(1);
    const [{ old, new: now }] = tick.changed;
    expect(old).toMatchObject({ reason: 133, reasonName: 'Policy denied', packets: perCpu(10).reduce((n, c) => n + c.packets, 0n) });
    expect(now.packets - old.packets).toBe(BigInt(5 * cpus));
    await deleteElem(metricsMap, grown.keys.subarray(8, 16));
    expect(poller.poll().removed.map((r) => r.reason)).toEqual([0]);

    // An LPM trie: an identity's prefix appears, then goes.
    const ipcacheMap = await cilMap(bpffs, { name: 'cilium_ipcache_v2', type: 'lpm_trie', keySize: 24, valueSize: 24, maxEntries: 512000, flags: 1 }, cilium.encode.ipcache([{ prefix: '10.3.0.115/32', identity: 12345 }], { version: '1.18' }));
    const ipcache = await cilium.poller('ipcache', { bpffs, version: '1.18' });
    try {
      expect(ipcache.poll().added.map((r) => r.prefix)).toEqual(['10.3.0.115/32']);
      const more = cilium.encode.ipcache([{ prefix: '10.3.0.158/32', identity: 23456 }], { version: '1.18' });
      await updateElem(ipcacheMap, more.keys, more.values);
      expect(ipcache.poll().added.map((r) => [r.prefix, r.identity])).toEqual([['10.3.0.158/32', 23456]]);
      await deleteElem(ipcacheMap, more.keys);
      expect(ipcache.poll().removed.map((r) => r.prefix)).toEqual(['10.3.0.158/32']);
    } finally {
      ipcache.close();
    }
    expect(() => ipcache.poll()).toThrow(/closed/);
    await expect(cilium.poller('nope' as never, { bpffs })).rejects.toThrow(/unknown Cilium map kind "nope"/);
    await expect(cilium.poller('metrics', { bpffs, family: 6 } as never)).rejects.toThrow(/unknown option 'family'/);
  });
});
