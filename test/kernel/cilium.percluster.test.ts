// Cluster Mesh's per-cluster conntrack and SNAT maps on a fake Cilium node: cilium.conntrack({
// cluster }) and cilium.nat({ cluster }) against `bpftool -j map dump` of the cluster's pinned inner
// maps, the outer arrays of maps naming them in the cluster's slot, and `bpfscope cilium ct|nat
// cluster <id>` with good and bad ids.
import { expect, it } from 'vitest';
import { cilium } from 'bpfscope';
import { mkdirSync } from 'node:fs';
import { createFakeCiliumNode, createMap, pin, updateElem, type FakeCiliumNode } from 'bpfscope/testing';
import { bpftool, cleanup, cli, describeKernel, mustBpffs, owned } from '../helpers/kernel';

interface DumpEntry { key: string[]; value: string[] }
interface BpftoolMap { id: number; type: string; name: string; bytes_key: number; bytes_value: number; max_entries: number }
const bytes = (hex: string[]) => Buffer.from(hex.map((h) => parseInt(h, 16)));
/** The fake node's mesh cluster, whose maps hold the first pod's flows to a pod there. */
const CLUSTER = 7;

async function node(version: string): Promise<FakeCiliumNode> {
  const n = await createFakeCiliumNode({ version, pods: [{ ip: '10.3.0.115' }, { ip: '10.3.0.158' }] });
  cleanup(() => n.destroy());
  return n;
}

/** A pinned map's entries as bpftool dumps them, packed back into key and value buffers. */
function dumpPacked(path: string): { keys: Buffer; values: Buffer; count: number } {
  const entries = bpftool<DumpEntry[]>('map', 'dump', 'pinned', path);
  return { keys: Buffer.concat(entries.map((e) => bytes(e.key))), values: Buffer.concat(entries.map((e) => bytes(e.value))), count: entries.length };
}

describeKernel('cilium per-cluster conntrack and SNAT', () => {
  for (const version of ['1.14', '1.18', '1.20']) {
    it(`reads cluster 7's inner maps of a ${version} node by pin, as bpftool dumps them, and the outer maps name them`, async () => {
      const n = await node(version);
      const globals = `${n.bpffs}/tc/globals`;
      const records = await cilium.conntrack({ bpffs: n.bpffs, version, cluster: CLUSTER });
      for (const kind of ['tcp4', 'any4'] as const) {
        const name = `cilium_per_cluster_ct_${kind}_${CLUSTER}`;
        const packed = dumpPacked(`${globals}/${name}`);
        expect(packed.count).toBe(1);
        const fromTool = cilium.decode.conntrack(packed.keys, packed.values, packed.count, { version, map: name });
        expect(records.filter((r) => r.map === name)).toEqual([...fromTool]);
        // The outer map's slot 7 holds that very map (bpftool shows the inner map's id).
        const inner = bpftool<BpftoolMap>('map', 'show', 'pinned', `${globals}/${name}`);
        const outer = bpftool<BpftoolMap>('map', 'show', 'pinned', `${globals}/cilium_per_cluster_ct_${kind}`);
        expect(outer).toMatchObject({ type: 'array_of_maps', name: 'cilium_per_clus', bytes_key: 4, bytes_value: 4, max_entries: 256 });
        expect(inner).toMatchObject({ type: 'lru_hash', name: 'cilium_per_clus', bytes_key: 14, bytes_value: 56 });
        const slot = bpftool<{ value: number | string[] }>('map', 'lookup', 'pinned', `${globals}/cilium_per_cluster_ct_${kind}`, 'key', '7', '0', '0', '0');
        expect(Array.isArray(slot.value) ? bytes(slot.value).readUInt32LE() : slot.value).toBe(inner.id);
      }
      expect(records.layout).toMatchObject({ map: `cilium_per_cluster_ct_tcp4_${CLUSTER}`, version, pinned: `${globals}/cilium_per_cluster_ct_tcp4_${CLUSTER}` });
      expect(records.map((r) => [r.map, r.protocol, r.saddr, r.daddr, r.sport, r.dport, r.srcSecId])).toEqual([
        ['cilium_per_cluster_ct_tcp4_7', 6, '10.5.0.9', '10.3.0.115', 42000, 8080, n.pods[0].identity],
        ['cilium_per_cluster_ct_any4_7', 17, '10.5.0.9', '10.3.0.115', 42001, 53, n.pods[0].identity],
      ]);
      // 1.14 keeps rx/tx counters, the fake node's flows none: packets are 1.16+'s.
      expect(records[0].packets).toBe(version === '1.14' ? undefined : 4n);
      expect(await cilium.conntrack({ bpffs: n.bpffs, version, cluster: CLUSTER, family: 6 })).toEqual([]);
      await expect(cilium.conntrack({ bpffs: n.bpffs, version, cluster: 8 })).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining(`cilium_per_cluster_ct_tcp4_8: not pinned under ${globals}`) });
      // The global maps are not the cluster's.
      expect((await cilium.conntrack({ bpffs: n.bpffs, version })).every((r) => r.map.endsWith('_global'))).toBe(true);

      // SNAT: cluster 7's inner map, as bpftool dumps it, in the outer map's slot 7.
      const natName = `cilium_per_cluster_snat_v4_external_${CLUSTER}`;
      const nat = await cilium.nat({ bpffs: n.bpffs, version, cluster: CLUSTER });
      const natPacked = dumpPacked(`${globals}/${natName}`);
      expect(natPacked.count).toBe(2);
      expect([...nat]).toEqual([...cilium.decode.nat(natPacked.keys, natPacked.values, natPacked.count, { version, map: natName })]);
      expect(nat.layout).toMatchObject({ map: natName, version, pinned: `${globals}/${natName}` });
      expect(nat.map((r) => [r.direction, r.saddr, r.sport, r.daddr, r.dport, r.toAddress, r.toPort]).sort()).toEqual([
        ['in', '10.5.0.9', 8080, '192.0.2.10', 62000, '10.3.0.115', 42000],
        ['out', '10.3.0.115', 42000, '10.5.0.9', 8080, '192.0.2.10', 62000],
      ]);
      const natInner = bpftool<BpftoolMap>('map', 'show', 'pinned', `${globals}/${natName}`);
      expect(natInner).toMatchObject({ type: 'lru_hash', name: 'cilium_per_clus', bytes_key: 14, bytes_value: 40 });
      const natSlot = bpftool<{ value: number | string[] }>('map', 'lookup', 'pinned', `${globals}/cilium_per_cluster_snat_v4_external`, 'key', '7', '0', '0', '0');
      expect(Array.isArray(natSlot.value) ? bytes(natSlot.value).readUInt32LE() : natSlot.value).toBe(natInner.id);
      expect(await cilium.nat({ bpffs: n.bpffs, version, cluster: CLUSTER, family: 6 })).toEqual([]);
      expect((await cilium.nat({ bpffs: n.bpffs, version })).some((r) => r.daddr === '10.5.0.9')).toBe(false);
    });
  }

  it('refuses a map of the other family\'s sizes pinned at a cluster\'s map of one family, as it refuses a global map\'s', async () => {
    const bpffs = await mustBpffs();
    mkdirSync(`${bpffs}/tc/globals`, { recursive: true });
    const pinned = async (name: string, keySize: number, valueSize: number) => {
      const map = owned(await createMap({ name: name.slice(0, 15), type: 'lru_hash', keySize, valueSize, maxEntries: 16 }));
      await pin(map, `${bpffs}/tc/globals/${name}`);
      return map;
    };
    // The IPv6 layouts at the IPv4 names, each holding an entry, and the other way round.
    const ct6 = cilium.encode.conntrack([{ daddr: 'fd00::1', saddr: 'fd00::2', dport: 80, sport: 40000, protocol: 6 }], { version: '1.18', family: 6 });
    const nat6 = cilium.encode.nat([{ daddr: 'fd00::1', saddr: 'fd00::2', dport: 80, sport: 40000, protocol: 6, direction: 'out', toAddress: 'fd00::3', toPort: 60000 }], { family: 6 });
    await updateElem(await pinned('cilium_per_cluster_ct_tcp4_7', 38, 56), ct6.keys, ct6.values);
    await pinned('cilium_per_cluster_ct_any4_7', 38, 56);
    await updateElem(await pinned('cilium_per_cluster_snat_v4_external_7', 38, 56), nat6.keys, nat6.values);
    await pinned('cilium_per_cluster_snat_v6_external_7', 14, 40);
    await pinned('cilium_ct4_global', 14, 56);
    await pinned('cilium_ct_any4_global', 38, 56);
    await expect(cilium.conntrack({ bpffs, cluster: 7 })).rejects.toThrow(new RangeError('cilium_per_cluster_ct_tcp4_7: key/value sizes 38/56 match no known Cilium layout (14/56)'));
    await expect(cilium.nat({ bpffs, cluster: 7 })).rejects.toThrow(new RangeError('cilium_per_cluster_snat_v4_external_7: key/value sizes 38/56 match no known Cilium layout (14/40)'));
    await expect(cilium.nat({ bpffs, cluster: 7, family: 6 })).rejects.toThrow(new RangeError('cilium_per_cluster_snat_v6_external_7: key/value sizes 14/40 match no known Cilium layout (38/56)'));
    // The global TCP map's name is a layout's, which refused it already; the other map's is not.
    await expect(cilium.conntrack({ bpffs })).rejects.toThrow(new RangeError('cilium_ct_any4_global: key/value sizes 38/56 match no known Cilium layout (14/56)'));
  });

  it('bpfscope cilium ct|nat cluster <id> print the cluster\'s maps, ct global the global ones, and refuse bad ids', async () => {
    const n = await node('1.19');
    const read = { bpffs: n.bpffs, version: '1.19' };
    const four = await cilium.conntrack({ ...read, cluster: CLUSTER });
    const six = await cilium.conntrack({ ...read, cluster: CLUSTER, family: 6 });
    const ct = cli('cilium', 'ct', 'cluster', '7', '--bpffs', n.bpffs, '--version', '1.19');
    expect(ct).toMatchObject({ code: 0, stderr: '' });
    expect(ct.stdout).toBe(cilium.format.conntrack([...four, ...six], { cluster: CLUSTER, families: [4, 6] }));
    expect(ct.stdout).toMatch(/^TCP OUT 10\.3\.0\.115:42000 -> 10\.5\.0\.9:8080 expires=21600 Packets=4 Bytes=296 .* NatPort=0 \n\nUDP OUT 10\.3\.0\.115:42001 -> 10\.5\.0\.9:53 /);
    expect(cli('cilium', 'ct', 'cluster', '007', '--bpffs', n.bpffs, '--version', '1.19').stdout).toBe(ct.stdout);
    expect(JSON.parse(cli('cilium', 'ct', 'cluster', '7', '--bpffs', n.bpffs, '--json').stdout)).toHaveLength(2);
    const global = cli('cilium', 'ct', 'global', '--bpffs', n.bpffs);
    expect(global.code).toBe(0);
    expect(global.stdout).toBe(cli('cilium', 'ct', '--bpffs', n.bpffs).stdout);
    expect(global.stdout).not.toContain('10.5.0.9');
    const missing = cli('cilium', 'ct', 'cluster', '8', '--bpffs', n.bpffs);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('cilium_per_cluster_ct_tcp4_8');
    for (const [word, error] of [
      ['abc', 'invalid clusterID: strconv.ParseUint: parsing "abc": invalid syntax'],
      ['-1', 'invalid clusterID: strconv.ParseUint: parsing "-1": invalid syntax'],
      ['4294967296', 'invalid clusterID: strconv.ParseUint: parsing "4294967296": value out of range'],
      ['0', 'invalid clusterID: ClusterID 0 is reserved'],
      ['256', 'invalid clusterID: ClusterID > 255 is not supported'],
    ]) {
      const bad = cli('cilium', 'ct', 'cluster', word, '--bpffs', n.bpffs);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(`Invalid argument: ${error}`);
    }
    expect(cli('cilium', 'ct', 'cluster', '--bpffs', n.bpffs)).toMatchObject({ code: 2, stderr: expect.stringContaining('Invalid argument: missing clusterID') });
    expect(cli('cilium', 'ct', 'cluster', '7', '8', '--bpffs', n.bpffs)).toMatchObject({ code: 2, stderr: expect.stringContaining('Invalid argument: missing clusterID') });
    expect(cli('cilium', 'nat', 'cluster', '7', '8', '--bpffs', n.bpffs)).toMatchObject({ code: 2, stderr: expect.stringContaining('bpfscope: Invalid argument; usage') });
    // Four words anywhere else are bad usage, as three were.
    for (const words of [['ipcache', 'get', '10.3.0.115', 'x'], ['policy', '100', 'x', 'y'], ['multicast', 'subscriber', 'all', 'x'], ['nat', 'retries', 'x', 'y'], ['ct', 'global', 'x', 'y']]) {
      expect(cli('cilium', ...words, '--bpffs', n.bpffs).code).toBe(2);
    }
    expect(cli('cilium', 'ct', 'nope', '--bpffs', n.bpffs).code).toBe(2);
    expect(cli('cilium', 'ct', 'global', '7', '--bpffs', n.bpffs).code).toBe(2);

    // nat list cluster <id>: no clock source here, so Created= raw, said on stderr.
    const nat4 = await cilium.nat({ ...read, cluster: CLUSTER });
    const nat6 = await cilium.nat({ ...read, cluster: CLUSTER, family: 6 });
    const nat = cli('cilium', 'nat', 'cluster', '7', '--bpffs', n.bpffs, '--version', '1.19', '--state-dir', '/nonexistent-state');
    expect(nat.code).toBe(0);
    expect(nat.stdout).toBe(cilium.format.nat([...nat4, ...nat6], { cluster: CLUSTER, families: [4, 6] }));
    expect(nat.stdout).toContain('TCP OUT 10.3.0.115:42000 -> 10.5.0.9:8080 XLATE_SRC 192.0.2.10:62000 Created=? (raw 1000) NeedsCT=1\n');
    expect(nat.stderr).toContain('Created= is printed raw');
    const globalNat = cli('cilium', 'nat', '--bpffs', n.bpffs, '--state-dir', '/nonexistent-state');
    expect(globalNat.code).toBe(0);
    expect(globalNat.stdout).toContain('TCP OUT 10.3.0.115:41000 -> 203.0.113.1:443 ');
    expect(globalNat.stdout).not.toContain('10.5.0.9');
    expect(cli('cilium', 'nat', 'cluster', '8', '--bpffs', n.bpffs).code).toBe(4);
    for (const [words, error] of [
      [['abc'], 'Invalid ClusterID: strconv.ParseUint: parsing "abc": invalid syntax'],
      [['0'], 'Failed to retrieve cluster maps: ClusterID 0 is reserved'],
      [['256'], 'Failed to retrieve cluster maps: ClusterID > 255 is not supported'],
      [[], 'Invalid argument'],
    ] as const) {
      const bad = cli('cilium', 'nat', 'cluster', ...words, '--bpffs', n.bpffs);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(error);
    }
    expect(cli('cilium', 'nat', 'global', '--bpffs', n.bpffs).code).toBe(2);
  });
});
