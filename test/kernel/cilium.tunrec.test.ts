// The tunnel map (1.14–1.17) and the PCAP recorder's capture rules (1.14–1.18) on the fake node:
// their specs as bpftool shows them, the readers against bpftool's bytes read at the C structs'
// offsets, and `bpfscope cilium tunnel|recorder`.
import { mkdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { cilium } from 'bpfscope';
import { createFakeCiliumNode, createMap, pin, type FakeCiliumNode } from 'bpfscope/testing';
import { bpftool, cleanup, cli, describeKernel, mustBpffs, owned } from '../helpers/kernel';

interface BpftoolMap { type: string; bytes_key: number; bytes_value: number; max_entries: number; flags: number }
interface DumpEntry { key: string[]; value: string[] }
const bytes = (hex: string[]) => Buffer.from(hex.map((h) => parseInt(h, 16)));

/** 16 bytes as an IPv6 address in its shortest form (URL parsing compresses it). */
const ipv6 = (b: Buffer) => new URL(`http://[${b.toString('hex').match(/.{4}/g)!.join(':')}]`).hostname.slice(1, -1);
const ipv4 = (b: Buffer) => [...b.subarray(0, 4)].join('.');

async function node(version: string): Promise<FakeCiliumNode> {
  const n = await createFakeCiliumNode({ version, pods: [{ ip: '10.3.0.115' }] });
  cleanup(() => n.destroy());
  return n;
}

describeKernel('cilium tunnel and recorder maps', () => {
  it('the fake node pins cilium_tunnel_map up to 1.17 and the capture rules up to 1.18; the readers agree with bpftool', async () => {
    for (const version of ['1.14', '1.17', '1.18', '1.19']) {
      const n = await node(version);
      const globals = `${n.bpffs}/tc/globals`;
      const show = (name: string) => bpftool<BpftoolMap>('map', 'show', 'pinned', `${globals}/${name}`);
      const dump = (name: string) => bpftool<DumpEntry[]>('map', 'dump', 'pinned', `${globals}/${name}`).map((e) => [bytes(e.key), bytes(e.value)] as const);
      const byIp = (a: { ip: string }, b: { ip: string }) => a.ip.localeCompare(b.ip);

      if (version <= '1.17') {
        expect(show('cilium_tunnel_map')).toMatchObject({ type: 'hash', bytes_key: 20, bytes_value: 20, flags: 0 });
        // tunnel_key/value: the address union @0, family @16; the cluster id a u8 @17 (1.14) or a
        // u16 @18 (1.15+); the value's IPsec key u8 @17.
        const address = (b: Buffer) => (b[16] === 1 ? ipv4(b) : ipv6(b.subarray(0, 16)));
        const fromTool = dump('cilium_tunnel_map').map(([k, v]) => ({
          ip: address(k), family: k[16] === 1 ? 'ipv4' : 'ipv6', clusterId: version === '1.14' ? k[17] : k.readUInt16LE(18),
          endpoint: address(v), endpointFamily: v[16] === 1 ? 'ipv4' : 'ipv6', encryptKey: v[17],
        }));
        const tunnel = await cilium.tunnel({ bpffs: n.bpffs, version });
        expect(tunnel.layout).toMatchObject({ map: 'cilium_tunnel_map', version, pinned: `${globals}/cilium_tunnel_map` });
        expect([...tunnel].sort(byIp)).toEqual(fromTool.sort(byIp));
        expect(tunnel.map((r) => `${r.ip}@${r.clusterId} ${r.endpoint}:${r.encryptKey}`).sort()).toEqual(['10.4.0.0@0 192.0.2.20:3', '10.5.0.0@7 192.0.2.21:0', 'fd00:10:4::@0 192.0.2.20:3']);
        using poller = await cilium.poller('tunnel', { bpffs: n.bpffs, version });
        expect(poller.poll()).toMatchObject({ added: [...tunnel], removed: [], changed: [], layout: { map: 'cilium_tunnel_map', version } });
      } else {
        expect(n.maps.cilium_tunnel_map).toBeUndefined();
        await expect(cilium.tunnel({ bpffs: n.bpffs })).rejects.toMatchObject({ code: 'ENOENT' });
      }

      if (version <= '1.18') {
        expect(show('cilium_capture4_rules')).toMatchObject({ type: 'hash', bytes_key: 16, bytes_value: 8, max_entries: 16384, flags: 1 });
        expect(show('cilium_capture6_rules')).toMatchObject({ type: 'hash', bytes_key: 40, bytes_value: 8, max_entries: 16384, flags: 1 });
        // capture{4,6}_wcard: the addresses, then sport and dport be16, nexthdr, smask, dmask;
        // capture_rule: rule_id u16 @0, cap_len u32 @4.
        const rules = (family: 4 | 6) => dump(`cilium_capture${family}_rules`).map(([k, v]) => {
          const at = family === 4 ? 8 : 32;
          const address = (b: Buffer) => (family === 4 ? ipv4(b) : ipv6(b.subarray(0, 16)));
          return {
            family, sourceIp: address(k), destinationIp: address(k.subarray(at / 2)), sourcePort: k.readUInt16BE(at), destinationPort: k.readUInt16BE(at + 2),
            protocol: k[at + 4], sourcePrefixLength: k[at + 5], destinationPrefixLength: k[at + 6], ruleId: v.readUInt16LE(0), capLen: v.readUInt32LE(4),
          };
        });
        const four = await cilium.recorder({ bpffs: n.bpffs, version });
        expect(four.layout).toMatchObject({ map: 'cilium_capture4_rules', version });
        expect([...four]).toEqual(rules(4));
        expect([...four]).toEqual([{ family: 4, sourceIp: '10.3.0.115', sourcePrefixLength: 32, sourcePort: 0, destinationIp: '203.0.113.0', destinationPrefixLength: 24, destinationPort: 443, protocol: 6, ruleId: 1, capLen: 128 }]);
        const six = await cilium.recorder({ bpffs: n.bpffs, version, family: 6 });
        expect([...six]).toEqual(rules(6));
        expect(six.map((r) => `${r.sourceIp}/${r.sourcePrefixLength} ${r.destinationIp}/${r.destinationPrefixLength}:${r.destinationPort} ${r.ruleId}`)).toEqual(['::/0 2001:db8::/32:53 2']);
        using poller = await cilium.poller('recorder', { bpffs: n.bpffs, version, family: 6 });
        expect(poller.poll()).toMatchObject({ added: [...six], removed: [], changed: [], layout: { map: 'cilium_capture6_rules', version } });
      } else {
        expect(n.maps.cilium_capture4_rules).toBeUndefined();
        expect(n.maps.cilium_capture6_rules).toBeUndefined();
      }
      await n.destroy();
    }
  });

  it('bpfscope cilium tunnel|recorder print cilium-dbg bpf tunnel|recorder list; a version or node without the map is not found (exit 4)', async () => {
    const n = await node('1.17');
    const read = { bpffs: n.bpffs, version: '1.17' };
    const tunnel = cli('cilium', 'tunnel', '--bpffs', n.bpffs, '--version', '1.17');
    expect(tunnel).toEqual({ code: 0, stderr: '', stdout: [
      'TUNNEL        VALUE',
      '10.4.0.0      192.0.2.20:3   ',
      '10.5.0.0@7    192.0.2.21:0   ',
      'fd00:10:4::   192.0.2.20:3   ',
      '',
    ].join('\n') });
    expect(tunnel.stdout).toBe(cilium.format.tunnel(await cilium.tunnel(read)));
    expect(JSON.parse(cli('cilium', 'tunnel', '--bpffs', n.bpffs, '--json').stdout)).toEqual([...await cilium.tunnel(read)]);
    // The IPv4 map's rules, then the IPv6 map's, each map followed by an empty line.
    const recorder = cli('cilium', 'recorder', '--bpffs', n.bpffs);
    expect(recorder).toEqual({ code: 0, stderr: '', stdout: '10.3.0.115/32:0 -> 203.0.113.0/24:443 TCP ID:1 CapLen:128\n\n[::/0]:0 -> [2001:db8::/32]:53 UDP ID:2 CapLen:0\n\n' });
    const both = [...await cilium.recorder(read), ...await cilium.recorder({ ...read, family: 6 })];
    expect(JSON.parse(cli('cilium', 'recorder', '--bpffs', n.bpffs, '--json').stdout)).toEqual(both);

    const gone = cli('cilium', 'tunnel', '--bpffs', n.bpffs, '--version', '1.18');
    expect(gone.code).toBe(4);
    expect(gone.stderr).toContain('Cilium 1.18 has no such map (the last version with it is 1.17)');
    expect(cli('cilium', 'recorder', '--bpffs', n.bpffs, '--version', '1.19').code).toBe(4);
    // A node without the maps (native routing, no recorder): cilium-dbg fails to open them too.
    // The fake node goes first: the readers would find its maps by name.
    await n.destroy();
    const empty = await mustBpffs();
    expect(cli('cilium', 'tunnel', '--bpffs', empty).code).toBe(4);
    expect(cli('cilium', 'recorder', '--bpffs', empty).code).toBe(4);
    expect(cli('cilium', 'tunnel', 'extra', '--bpffs', empty).code).toBe(2);
    // An IPv6-only node has the IPv6 rules alone: cilium-dbg fails to open the IPv4 map, so does bpfscope.
    mkdirSync(`${empty}/tc/globals`, { recursive: true });
    const six = owned(await createMap({ type: 'hash', name: 'cilium_capture6_rules', keySize: 40, valueSize: 8, maxEntries: 16, flags: 1 }));
    await pin(six, `${empty}/tc/globals/cilium_capture6_rules`);
    const ipv6Only = cli('cilium', 'recorder', '--bpffs', empty);
    expect([ipv6Only.code, ipv6Only.stdout, ipv6Only.stderr]).toEqual([4, '', expect.stringContaining('cilium_capture4_rules')]);
  });
});
