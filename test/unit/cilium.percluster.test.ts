// Cluster Mesh's per-cluster conntrack maps (`cilium-dbg bpf ct list cluster <id>`): their names,
// cilium-dbg's cluster id parsing and texts, and the listing of a cluster's maps per version, from
// bytes laid out by hand as struct ipv4_ct_tuple / ct_entry.
import { describe, expect, it } from 'vitest';
import { cilium } from 'bpfscope';
import { parseClusterArgs } from '../../dist/cjs/cilium/percluster.js';
import { perClusterCtMapSpecs } from '../../dist/cjs/cilium/specs.js';
import { ctEntry } from '../helpers/conntrack';

const v4 = (ip: string) => Buffer.from(ip.split('.').map(Number));
/** An outbound TCP tuple, stored reversed: daddr holds the source 10.0.1.15, sport 40000, dport 80. */
const tuple = (nexthdr = 6) => Buffer.concat([v4('10.0.1.15'), v4('10.5.0.9'), Buffer.from([0x00, 0x50, 0x9c, 0x40, nexthdr, 0])]);
const entry = ctEntry;
const common = 'RxFlagsSeen=0x10 LastRxReport=200';
const txCommon = 'TxFlagsSeen=0x12 LastTxReport=100';
const tail = 'Flags=0x0410 [ SeenNonSyn FromTunnel ] RevNAT=5 SourceSecurityID=12345';

describe('cilium-dbg bpf ct list cluster <id>', () => {
  it('names each cluster\'s inner maps after the outer map, as the agent pins them, with the global maps\' layout', () => {
    const specs = perClusterCtMapSpecs(18, 7);
    expect(specs[4].outer).toEqual({
      tcp: { name: 'cilium_per_cluster_ct_tcp4', type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 256, flags: 0 },
      any: { name: 'cilium_per_cluster_ct_any4', type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 256, flags: 0 },
    });
    expect(specs[4].inner).toEqual({
      tcp: { name: 'cilium_per_cluster_ct_tcp4_7', type: 'lru_hash', keySize: 14, valueSize: 56, maxEntries: 524288, flags: 0 },
      any: { name: 'cilium_per_cluster_ct_any4_7', type: 'lru_hash', keySize: 14, valueSize: 56, maxEntries: 262144, flags: 0 },
    });
    expect([specs[6].inner.tcp.name, specs[6].inner.any.name, specs[6].inner.tcp.keySize]).toEqual(['cilium_per_cluster_ct_tcp6_7', 'cilium_per_cluster_ct_any6_7', 38]);
  });

  it('parses the cluster id as cilium-dbg of 1.15+ does, with its error texts', () => {
    expect(parseClusterArgs(['7'])).toEqual({ id: 7 });
    expect(parseClusterArgs(['007'])).toEqual({ id: 7 });
    expect(parseClusterArgs(['255'])).toEqual({ id: 255 });
    expect(parseClusterArgs([])).toEqual({ error: 'missing clusterID' });
    expect(parseClusterArgs(['7', '8'])).toEqual({ error: 'missing clusterID' });
    for (const word of ['abc', '-1', '+5', '1_0', '0x10', '', ' 7']) {
      expect(parseClusterArgs([word])).toEqual({ error: `invalid clusterID: strconv.ParseUint: parsing ${JSON.stringify(word)}: invalid syntax` });
    }
    expect(parseClusterArgs(['4294967296'])).toEqual({ error: 'invalid clusterID: strconv.ParseUint: parsing "4294967296": value out of range' });
    expect(parseClusterArgs(['4294967295'])).toEqual({ error: 'invalid clusterID: ClusterID > 255 is not supported' });
    expect(parseClusterArgs(['256'])).toEqual({ error: 'invalid clusterID: ClusterID > 255 is not supported' });
    expect(parseClusterArgs(['0'])).toEqual({ error: 'invalid clusterID: ClusterID 0 is reserved' });
  });

  it('refuses a bad cluster id before reading anything', async () => {
    const bpffs = '/nonexistent-bpffs';
    await expect(cilium.conntrack({ bpffs, cluster: 0 })).rejects.toThrow(new RangeError('cilium.conntrack options: invalid clusterID: ClusterID 0 is reserved'));
    await expect(cilium.conntrack({ bpffs, cluster: 256 })).rejects.toThrow(new RangeError('cilium.conntrack options: invalid clusterID: ClusterID > 255 is not supported'));
    await expect(cilium.conntrack({ bpffs, cluster: 1.5 })).rejects.toThrow(RangeError);
    await expect(cilium.conntrack({ bpffs, cluster: '7' as never })).rejects.toThrow(TypeError);
    // A good id reaches the pin, which is missing here: ENOENT naming the cluster's map.
    await expect(cilium.conntrack({ bpffs, cluster: 7 })).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('cilium_per_cluster_ct_tcp4_7') });
  });

  it('prints a cluster\'s maps as list global prints its own, per version, each map read with its empty line', () => {
    const decode = (version: string, map: string, value: Buffer, nexthdr = 6) => cilium.decode.conntrack(tuple(nexthdr), value, 1, { version, map });
    const cluster = (version: string, value: Buffer) => [
      ...decode(version, 'cilium_per_cluster_ct_tcp4_7', value),
      ...decode(version, 'cilium_per_cluster_ct_any4_7', value, 17),
    ];
    const lines = (proto: string, rest: string) => `${proto} OUT 10.0.1.15:40000 -> 10.5.0.9:80 expires=21600 ${rest} \n`;
    const expected = (rest: string) => `${lines('TCP', rest)}\n${lines('UDP', rest)}\n\n\n`;
    const text = (version: string, value: Buffer) => cilium.format.conntrack(cluster(version, value), { cluster: 7, families: [4, 6] });
    // 1.14–15: rx/tx counters; 1.16–17 one pair, IfIndex and BackendID; 1.18 no IfIndex; 1.19+ NatPort.
    expect(text('1.14', entry({ q0: 1n, q8: 2n, q16: 3n, q24: 4n, at40: 7 }))).toBe(expected(`RxPackets=1 RxBytes=2 ${common} TxPackets=3 TxBytes=4 ${txCommon} ${tail} IfIndex=7`));
    expect(text('1.16', entry({ q8: 9n, q16: 4n, q24: 296n, at40: 7 }))).toBe(expected(`Packets=4 Bytes=296 ${common} ${txCommon} ${tail} IfIndex=7 BackendID=9`));
    expect(text('1.18', entry({ q8: 9n, q16: 4n, q24: 296n, at40: 7 }))).toBe(expected(`Packets=4 Bytes=296 ${common} ${txCommon} ${tail} BackendID=9`));
    expect(text('1.19', entry({ q16: 4n, q24: 296n, at40: 0x409c }))).toBe(expected(`Packets=4 Bytes=296 ${common} ${txCommon} ${tail} BackendID=0 NatPort=40000`));
    // The same entries as the global maps' print the same lines: only the maps differ.
    const global = [...cilium.decode.conntrack(tuple(), entry(), 1, { version: '1.18' })];
    expect(cilium.format.conntrack(cluster('1.18', entry()), { cluster: 7 }).split('\n')[0]).toBe(cilium.format.conntrack(global).split('\n')[0]);
    // Only the IPv4 maps read: their two blocks.
    expect(cilium.format.conntrack([], { cluster: 7, families: [4] })).toBe('\n\n');
  });

  it('refuses records of another cluster or of the global maps, and a bad cluster', () => {
    const records = cilium.decode.conntrack(tuple(), entry(), 1, { version: '1.18', map: 'cilium_per_cluster_ct_tcp4_7' });
    expect(records[0].map).toBe('cilium_per_cluster_ct_tcp4_7');
    expect(() => cilium.format.conntrack(records, { cluster: 8 })).toThrow(new RangeError('cilium.format.conntrack: cilium_per_cluster_ct_tcp4_7 is not one of cilium_per_cluster_ct_tcp4_8, cilium_per_cluster_ct_any4_8, cilium_per_cluster_ct_tcp6_8, cilium_per_cluster_ct_any6_8'));
    expect(() => cilium.format.conntrack(records)).toThrow(RangeError);
    const global = cilium.decode.conntrack(tuple(), entry(), 1, { version: '1.18' });
    expect(() => cilium.format.conntrack(global, { cluster: 7 })).toThrow(RangeError);
    expect(() => cilium.format.conntrack(records, { cluster: 0 })).toThrow(new RangeError('cilium.format.conntrack: invalid clusterID: ClusterID 0 is reserved'));
    expect(() => cilium.format.conntrack(records, { cluster: '7' as never })).toThrow(TypeError);
  });
});
