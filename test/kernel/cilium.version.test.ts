// cilium.nodeVersion() and `bpfscope cilium version` on the fake node of every version: the maps
// pinned under tc/globals tell the version, each map's properties as bpftool shows its pin; maps
// left from an upgrade rule out only older versions; the CLI reads as the node's version when
// no --version is given.
import { mkdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { cilium } from 'bpfscope';
import { createFakeCiliumNode, createMap, pin, type FakeCiliumNode } from 'bpfscope/testing';
import { bpftool, cleanup, cli, describeKernel, mustBpffs, owned } from '../helpers/kernel';

interface BpftoolMap { id: number; type: string; bytes_key: number; bytes_value: number; flags: number }
const BPF_F_RDONLY_PROG = 0x80;

async function node(version: string): Promise<FakeCiliumNode> {
  const n = await createFakeCiliumNode({ version, pods: [{ ip: '10.3.0.115' }] });
  cleanup(() => n.destroy());
  return n;
}

/** A map pinned at `<bpffs>/tc/globals/<name>`, as an agent of another version would have left it. */
async function pinLeftover(bpffs: string, name: string, spec: { type: 'hash' | 'lpm_trie'; keySize: number; valueSize: number; flags: number }): Promise<void> {
  mkdirSync(`${bpffs}/tc/globals`, { recursive: true });
  await pin(owned(await createMap({ name: name.slice(0, 15), maxEntries: 16, ...spec })), `${bpffs}/tc/globals/${name}`);
}

describeKernel('cilium.nodeVersion', () => {
  it("tells each version's fake node by its maps, each map's properties as bpftool shows its pin", async () => {
    // 1.14 and 1.15 create the same maps: the ipcache key moved its cluster id within its 24 bytes.
    const told: Record<string, string[]> = { '1.14': ['1.14', '1.15'], '1.15': ['1.14', '1.15'] };
    for (const version of cilium.versions) {
      const n = await node(version);
      const result = await cilium.nodeVersion({ bpffs: n.bpffs });
      expect(result.versions).toEqual(told[version] ?? [version]);
      expect(result.version).toBe((told[version] ?? [version]).at(-1));
      // Every map the fake node pins is one an agent of its version creates so.
      expect(result.maps.length).toBeGreaterThan(20);
      for (const m of result.maps) {
        const shown = bpftool<BpftoolMap>('map', 'show', 'pinned', m.path);
        expect(m.path).toBe(`${n.bpffs}/tc/globals/${m.name}`);
        expect(m.mapId).toBe(shown.id);
        expect(m.createdBy).toContain(version);
        expect(m.allows).toContain(version);
      }
      // What narrows it, as bpftool shows the maps: the 1.18+ ipcache, 1.19+ read-only masquerade CIDRs, 1.20's read-only cilium_lxc.
      const flagsOf = (name: string) => bpftool<BpftoolMap>('map', 'show', 'pinned', `${n.bpffs}/tc/globals/${name}`).flags;
      const lxc = result.maps.find((m) => m.name === 'cilium_lxc')!;
      expect(lxc.createdBy).toEqual(flagsOf('cilium_lxc') & BPF_F_RDONLY_PROG ? ['1.20'] : ['1.14', '1.15', '1.16', '1.17', '1.18', '1.19']);
      const ipmasq = result.maps.find((m) => m.name === 'cilium_ipmasq_v4')!;
      expect(ipmasq.createdBy).toEqual(flagsOf('cilium_ipmasq_v4') & BPF_F_RDONLY_PROG ? ['1.19', '1.20'] : ['1.14', '1.15', '1.16', '1.17', '1.18']);
      expect(result.maps.some((m) => m.name === 'cilium_ipcache_v2')).toBe(version >= '1.18');
      expect(result.absent.find((a) => a.name === 'cilium_ipcache_v2')?.rulesOut).toEqual(version >= '1.18' ? undefined : ['1.18', '1.19', '1.20']);
      expect(result.absent.find((a) => a.name === 'cilium_node_map_v2')?.rulesOut).toEqual(version >= '1.16' ? undefined : ['1.16', '1.17', '1.18', '1.19', '1.20']);
      await n.destroy(); // one node at a time: the next takes the same cilium_host
    }
  });

  it('counts a map left from before an upgrade against older versions only, and a map no version creates so against none', async () => {
    const n = await node('1.18');
    // 1.16's policy map of endpoint 100 and 1.17's tunnel map, left behind.
    await pinLeftover(n.bpffs, 'cilium_policy_00100', { type: 'lpm_trie', keySize: 12, valueSize: 24, flags: 1 });
    await pinLeftover(n.bpffs, 'cilium_tunnel_map', { type: 'hash', keySize: 20, valueSize: 20, flags: 0 });
    const result = await cilium.nodeVersion({ bpffs: n.bpffs });
    expect(result.versions).toEqual(['1.18']);
    expect(result.maps.find((m) => m.name === 'cilium_policy_00100')).toMatchObject({ createdBy: ['1.14', '1.15', '1.16'], allows: ['1.14', '1.15', '1.16', '1.17', '1.18', '1.19', '1.20'] });
    expect(result.maps.find((m) => m.name === 'cilium_tunnel_map')).toMatchObject({ createdBy: ['1.14', '1.15', '1.16', '1.17'], allows: cilium.versions });
    await n.destroy();

    // A map of a name the running version has, of sizes no version gives it, tells nothing.
    const odd = await node('1.17');
    await pinLeftover(odd.bpffs, 'cilium_snat_v4_alloc_retries', { type: 'hash', keySize: 4, valueSize: 4, flags: 0 });
    const oddResult = await cilium.nodeVersion({ bpffs: odd.bpffs });
    expect(oddResult.maps.find((m) => m.name === 'cilium_snat_v4_alloc_retries')).toMatchObject({ createdBy: [], allows: cilium.versions });
    expect(oddResult.versions).toEqual(['1.17']);
  });

  it("finds no version where the maps contradict each other, and none where Cilium pinned nothing", async () => {
    // 1.18's cilium_ipcache_v2 beside 1.17's policy maps: no agent pins both.
    const n = await node('1.17');
    await pinLeftover(n.bpffs, 'cilium_ipcache_v2', { type: 'lpm_trie', keySize: 24, valueSize: 24, flags: 1 });
    const mixed = await cilium.nodeVersion({ bpffs: n.bpffs });
    expect(mixed.maps.find((m) => m.name === 'cilium_ipcache_v2')?.allows).toEqual(['1.18', '1.19', '1.20']);
    expect(mixed.maps.find((m) => m.name === 'cilium_policy_v2_00100')?.allows).toEqual(['1.17']);
    expect(mixed).toMatchObject({ version: undefined, versions: [] });
    const text = cli('cilium', 'version', '--bpffs', n.bpffs);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(new RegExp(`^no Cilium version bpfscope knows \\(1\\.14–1\\.20\\) fits the maps under ${n.bpffs}/tc/globals\\n`));
    expect(text.stdout).toMatch(/^cilium_ipcache_v2 +1\.18–1\.20 +1\.18–1\.20$/m);

    const bpffs = await mustBpffs();
    expect(await cilium.nodeVersion({ bpffs })).toEqual({ version: undefined, versions: [], maps: [], absent: [] });
    // A map of no Cilium name tells nothing, and leaves the absent maps unasked.
    await pinLeftover(bpffs, 'not_cilium', { type: 'hash', keySize: 4, valueSize: 4, flags: 0 });
    expect(await cilium.nodeVersion({ bpffs })).toEqual({ version: undefined, versions: [], maps: [], absent: [] });
    expect(cli('cilium', 'version', '--bpffs', bpffs)).toMatchObject({ code: 4, stdout: `no Cilium map pinned under ${bpffs}/tc/globals\n` });
  });

  it('checks its options before any kernel work', async () => {
    await expect(cilium.nodeVersion({ bpffs: '' })).rejects.toThrow(/bpffs must be a non-empty path/);
    await expect(cilium.nodeVersion({ version: '1.16' } as never)).rejects.toThrow(/version/);
  });
});

describeKernel('bpfscope cilium version, and the cilium commands without --version', () => {
  it("prints what narrows the version, and reads every command as the node's version", async () => {
    const n = await node('1.16');
    const text = cli('cilium', 'version', '--bpffs', n.bpffs);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toBe(`Cilium 1.16, as the maps under ${n.bpffs}/tc/globals tell`);
    expect(text.stdout).toMatch(/^cilium_node_map_v2 +1\.16–1\.20 +1\.16–1\.20$/m);
    expect(text.stdout).toMatch(/^cilium_policy_v2_\* +1\.17–1\.20$/m);
    expect(text.stdout).toMatch(/^cilium_ipcache_v2 +1\.18–1\.20$/m);
    // Maps that allow every version are left out of the text, not of --json.
    expect(text.stdout).not.toMatch(/^cilium_auth_map/m);
    const json = JSON.parse(cli('cilium', 'version', '--json', '--bpffs', n.bpffs).stdout) as unknown;
    expect(json).toEqual(JSON.parse(JSON.stringify(await cilium.nodeVersion({ bpffs: n.bpffs }))));
    expect(cli('cilium', 'version', '--version', '1.16', '--bpffs', n.bpffs)).toMatchObject({ code: 2 });
    expect(cli('cilium', 'version', '--interval', '5', '--bpffs', n.bpffs)).toMatchObject({ code: 2, stderr: expect.stringMatching(/^bpfscope: cilium version takes no --interval; usage: bpfscope cilium version \[--bpffs DIR\]\n/) });
    expect(cli('cilium', 'version', 'now', '--bpffs', n.bpffs)).toMatchObject({ code: 2, stderr: expect.stringMatching(/^bpfscope: usage: bpfscope cilium version \[--bpffs DIR\]\n/) });

    // The services' sizes fit every version: without --version they print as 1.16's cilium-dbg
    // (no [qcount] after the count), as with --version 1.16, and not as the newest's.
    const frontends = cli('cilium', 'lb', '--frontends', '--bpffs', n.bpffs);
    expect(frontends).toEqual(cli('cilium', 'lb', '--frontends', '--version', '1.16', '--bpffs', n.bpffs));
    expect(frontends.stdout).not.toEqual(cli('cilium', 'lb', '--frontends', '--version', '1.20', '--bpffs', n.bpffs).stdout);
    expect(frontends.stdout).toContain('0 1 (1) [0x0 0x0]');
    const told = await cilium.nodeVersion({ bpffs: n.bpffs });
    expect(told.version).toBe('1.16');
    await n.destroy();

    // A command the node's version lacks fails in its words, and says where the version came from.
    const newer = await node('1.18');
    const tunnel = cli('cilium', 'tunnel', '--bpffs', newer.bpffs);
    expect(tunnel.code).toBe(4);
    expect(tunnel.stderr).toContain('bpfscope: read as Cilium 1.18, the version the maps pinned under tc/globals tell');
    expect(tunnel.stderr).toContain('Cilium 1.18 has no such map (the last version with it is 1.17)');
  });
});
