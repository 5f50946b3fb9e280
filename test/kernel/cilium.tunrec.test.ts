// The tunnel map (1.14–1.17) on the fake node: its spec as bpftool shows it, the reader against
// bpftool's bytes read at the C structs' offsets, and `bpfscope cilium tunnel`.
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { cilium } from 'bpfscope';
import { createFakeCiliumNode, type FakeCiliumNode } from 'bpfscope/testing';
import { bpftool, cleanup, describeKernel, mustBpffs } from '../helpers/kernel';

interface BpftoolMap { type: string; bytes_key: number; bytes_value: number; max_entries: number; flags: number }
interface DumpEntry { key: string[]; value: string[] }
const bytes = (hex: string[]) => Buffer.from(hex.map((h) => parseInt(h, 16)));

/** 16 bytes as an IPv6 address in its shortest form (URL parsing compresses it). */
const ipv6 = (b: Buffer) => new URL(`http://[${b.toString('hex').match(/.{4}/g)!.join(':')}]`).hostname.slice(1, -1);
const ipv4 = (b: Buffer) => [...b.subarray(0, 4)].join('.');

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['dist/cjs/cli/main.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

async function node(version: string): Promise<FakeCiliumNode> {
  const n = await createFakeCiliumNode({ version, pods: [{ ip: '10.3.0.115' }] });
  cleanup(() => n.destroy());
  return n;
}

describeKernel('cilium tunnel map', () => {
  it('the fake node pins cilium_tunnel_map up to 1.17; the reader agrees with bpftool', async () => {
    for (const version of ['1.14', '1.17', '1.18']) {
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
      } else {
        expect(n.maps.cilium_tunnel_map).toBeUndefined();
        await expect(cilium.tunnel({ bpffs: n.bpffs })).rejects.toMatchObject({ code: 'ENOENT' });
      }

      await n.destroy();
    }
  });

  it('bpfscope cilium tunnel prints cilium-dbg bpf tunnel list; a version or node without the map is not found (exit 4)', async () => {
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

    const gone = cli('cilium', 'tunnel', '--bpffs', n.bpffs, '--version', '1.18');
    expect(gone.code).toBe(4);
    expect(gone.stderr).toContain('Cilium 1.18 has no such map (the last version with it is 1.17)');
    // A node without the map (native routing): cilium-dbg fails to open it too. The fake node
    // goes first: the reader would find its map by name.
    await n.destroy();
    const empty = await mustBpffs();
    expect(cli('cilium', 'tunnel', '--bpffs', empty).code).toBe(4);
    expect(cli('cilium', 'tunnel', 'extra', '--bpffs', empty).code).toBe(2);
  });
});
