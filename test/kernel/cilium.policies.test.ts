// cilium.policies() and `bpfscope cilium policy --all|list` on a fake Cilium node: every policy map
// the glob `cilium_policy_*` catches under tc/globals, in its order, each compared with what
// `bpftool -j map dump` shows of its pin.
import { mkdirSync, readdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { cilium } from 'bpfscope';
import { createFakeCiliumNode, createMap, pin, updateElem } from 'bpfscope/testing';
import { bpftool, cleanup, cli, describeKernel, mustBpffs, owned } from '../helpers/kernel';

interface DumpEntry { key: string[]; value: string[] }
const bytes = (hex: string[]) => Buffer.from(hex.map((h) => parseInt(h, 16)));

/** A policy map of `version`'s layout holding `entries`, pinned as `<bpffs>/tc/globals/<name>`. */
async function pinPolicy(bpffs: string, name: string, version: string, entries: Parameters<typeof cilium.encode.policy>[0]): Promise<void> {
  const packed = cilium.encode.policy(entries, { version });
  const map = owned(await createMap({ name, type: 'lpm_trie', keySize: packed.keySize, valueSize: packed.valueSize, maxEntries: 16, flags: 1 }));
  for (let i = 0; i < packed.count; i++) {
    await updateElem(map, packed.keys.subarray(i * packed.keySize, (i + 1) * packed.keySize), packed.values.subarray(i * packed.valueSize, (i + 1) * packed.valueSize));
  }
  mkdirSync(`${bpffs}/tc/globals`, { recursive: true });
  await pin(map, `${bpffs}/tc/globals/${name}`);
}

describeKernel('cilium.policies', () => {
  it("reads each endpoint's map in the glob's order (by name), as bpftool dumps its pin; 1.18+ counters from cilium_policystats, which is not listed", async () => {
    for (const version of ['1.16', '1.18', '1.19']) {
      // Endpoint 100, then 7: the glob lists cilium_policy…_00007 first.
      const node = await createFakeCiliumNode({ version, pods: [{ ip: '10.3.0.115' }, { ip: '10.3.0.158', endpointId: 7 }] });
      cleanup(() => node.destroy());
      const globals = `${node.bpffs}/tc/globals`;
      const prefix = version >= '1.17' ? 'cilium_policy_v2_' : 'cilium_policy_';
      const read = { bpffs: node.bpffs, version };
      const maps = await cilium.policies(read);
      expect(maps.map((m) => [m.endpointId, m.path])).toEqual([[7, `${globals}/${prefix}00007`], [100, `${globals}/${prefix}00100`]]);
      if (version >= '1.18') expect(readdirSync(globals)).toContain('cilium_policystats');
      for (const m of maps) {
        // The key's fields (prefixlen u32, identity u32, egress bit 0, protocol, be16 port) and the
        // value's proxy port (be16) and deny bit, read from bpftool's bytes.
        const fromTool = bpftool<DumpEntry[]>('map', 'dump', 'pinned', m.path).map(({ key, value }) => {
          const k = bytes(key);
          const v = bytes(value);
          return `${k.readUInt32LE(4)} ${k[8] & 1 ? 'egress' : 'ingress'} ${k.readUInt32LE(0)} ${k[9]} ${k.readUInt16BE(10)} ${v.readUInt16BE(0)} ${v[2] & 1}`;
        });
        expect(m.records.map((r) => `${r.identity} ${r.direction} ${r.prefixLength} ${r.protocol ?? 0} ${r.port} ${r.proxyPort} ${r.deny ? 1 : 0}`).sort()).toEqual(fromTool.sort());
        // The other pod's TCP 80 in, and all egress, which counted 4 packets of 296 bytes.
        expect(m.records).toHaveLength(2);
        expect(m.records.find((r) => r.direction === 'egress')).toMatchObject({ identity: 0, packets: 4n, bytes: 296n });
        expect(m.records.layout).toMatchObject({ version, pinned: m.path });
        expect([...m.records]).toEqual([...await cilium.policy(m.endpointId!, read)]);
      }
      await node.destroy(); // one node at a time: the next takes the same cilium_host
    }
  });

  it('lists what the glob catches: a 1.16 map an upgrade left beside a 1.18 one, a name without an endpoint id; nothing pinned is no maps', async () => {
    const node = await createFakeCiliumNode({ version: '1.18', pods: [{ ip: '10.3.0.115' }, { ip: '10.3.0.158' }] });
    cleanup(() => node.destroy());
    const globals = `${node.bpffs}/tc/globals`;
    // The 1.16 agent's map of endpoint 100, which 1.17 and 1.18 agents leave pinned.
    await pinPolicy(node.bpffs, 'cilium_policy_00100', '1.16', [{ identity: 9, direction: 'ingress', packets: 1n, bytes: 60n }]);
    const maps = await cilium.policies({ bpffs: node.bpffs });
    expect(maps.map((m) => [m.endpointId, m.path, m.records.layout.version])).toEqual([
      [100, `${globals}/cilium_policy_00100`, '1.16'],
      [100, `${globals}/cilium_policy_v2_00100`, '1.18'],
      [101, `${globals}/cilium_policy_v2_00101`, '1.18'],
    ]);
    expect(maps[0].records).toEqual([expect.objectContaining({ identity: 9, packets: 1n, bytes: 60n })]);
    // Printed as 1.18 prints, the newest the maps were decoded with: `-` for no stats row.
    const text = cilium.format.policies(maps);
    expect(text.match(/^Endpoint ID: .*$/gm)).toEqual(['Endpoint ID: 100', 'Endpoint ID: 100', 'Endpoint ID: 101']);
    expect(text).toMatch(/^Allow +Ingress +10001 +80\/TCP +NONE +disabled +- +- +24 +$/m);

    // A 1.17 map whose name ends in no endpoint id is listed (and prints the name's tail); from
    // 1.18, whose counters are read by the id, it fails the read, as cilium-dbg fails to open it.
    const odd = await mustBpffs();
    await pinPolicy(odd, 'cilium_policy_v2_x', '1.17', [{ identity: 2, direction: 'egress' }]);
    const [listed, ...none] = await cilium.policies({ bpffs: odd });
    expect(none).toEqual([]);
    expect(listed).toMatchObject({ path: `${odd}/tc/globals/cilium_policy_v2_x`, records: [expect.objectContaining({ identity: 2 })] });
    expect(listed.endpointId).toBeUndefined();
    expect(cilium.format.policies([listed])).toMatch(/^Endpoint ID: x\n/);
    await pinPolicy(odd, 'cilium_policy_v2_y', '1.18', [{ identity: 2, direction: 'egress' }]);
    await expect(cilium.policies({ bpffs: odd })).rejects.toThrow(/cilium_policy_v2_y: failed to parse endpoint ID/);

    // No tc/globals, and one holding cilium_policystats alone: no maps.
    const bare = await mustBpffs();
    expect(await cilium.policies({ bpffs: bare })).toEqual([]);
    const statsOnly = await mustBpffs();
    mkdirSync(`${statsOnly}/tc/globals`, { recursive: true });
    await pin(owned(await createMap({ name: 'cilium_policystats', type: 'hash', keySize: 12, valueSize: 16, maxEntries: 4 })), `${statsOnly}/tc/globals/cilium_policystats`);
    expect(await cilium.policies({ bpffs: statsOnly })).toEqual([]);
    await expect(cilium.policies({ bpffs: bare, all: true } as never)).rejects.toThrow(/unknown option 'all'/);
  });

  it('bpfscope cilium policy --all and list print cilium-dbg bpf policy get --all -n and bpf policy list', async () => {
    const node = await createFakeCiliumNode({ version: '1.17', pods: [{ ip: '10.3.0.115' }, { ip: '10.3.0.158' }] });
    cleanup(() => node.destroy());
    const b = ['--bpffs', node.bpffs];
    const maps = await cilium.policies({ bpffs: node.bpffs });
    const all = cli('cilium', 'policy', '--all', ...b);
    expect(all).toEqual({ code: 0, stderr: '', stdout: cilium.format.policies(maps) });
    expect(all.stdout).toMatch(new RegExp(`^Endpoint ID: 100\\nPath: ${node.bpffs}/tc/globals/cilium_policy_v2_00100\\n\\nPOLICY   DIRECTION   IDENTITY   PORT/PROTO `));
    expect(all.stdout).toMatch(/\n\n\nEndpoint ID: 101\n/);
    const list = cli('cilium', 'policy', 'list', ...b, '--version', '1.17');
    expect(list).toEqual({ code: 0, stderr: '', stdout: cilium.format.policies(maps, { numeric: false }) });
    expect(list.stdout).toContain('\n\nPOLICY   DIRECTION   LABELS (source:key[=value])   PORT/PROTO ');
    const json = JSON.parse(cli('cilium', 'policy', '--all', ...b, '--json').stdout) as { endpointId: number; path: string; records: { identity: number; packets: string }[] }[];
    expect(json.map((m) => [m.endpointId, m.path, m.records.length])).toEqual(maps.map((m) => [m.endpointId, m.path, 2]));
    expect(json[0].records.find((r) => r.identity === 0)?.packets).toBe('4');

    const empty = await mustBpffs();
    expect(cli('cilium', 'policy', 'list', '--bpffs', empty)).toEqual({ code: 0, stderr: '', stdout: 'no maps found\n' });
    for (const bad of [['policy', 'list', '--all'], ['policy', '--all', '100'], ['policy', 'list', 'x'], ['ipcache', '--all'], ['policy', '--all=1']]) {
      const r = cli('cilium', ...bad, ...b);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stdout, bad.join(' ')).toBe('');
    }
  });
});
