// Cluster Mesh's per-cluster conntrack maps (`cilium-dbg bpf ct list cluster <id>`): their names,
// cilium-dbg's cluster id parsing and texts, and the listing of a cluster's maps per version, from
// bytes laid out by hand as struct ipv4_ct_tuple / ct_entry.
import { describe, expect, it } from 'vitest';
import { cilium } from 'bpfscope';
import { parseClusterArgs } from '../../dist/cjs/cilium/percluster.js';
import { perClusterCtMapSpecs, perClusterNatMapSpecs } from '../../dist/cjs/cilium/specs.js';
import { ctEntry } from '../helpers/conntrack';

const v4 = (ip: string) => Buffer.from(ip.split('.').map(Number));
/** An outbound TCP tuple, stored reversed: daddr holds the source 10.0.1.15, sport 40000, dport 80. */
const tuple = (nexthdr = 6) => Buffer.concat([v4('10.0.1.15'), v4('10.5.0.9'), Buffer.from([0x00, 0x50, 0x9c, 0x40, nexthdr, 0])]);
const entry = ctEntry;
const common = 'RxFlagsSeen=0x10 LastRxReport=200';
const txCommon = 'TxFlagsSeen=0x12 LastTxReport=100';
const tail = 'Flags=0x0410 [ SeenNonSyn FromTunnel ] RevNAT=5 SourceSecurityID=12345';

describe('cilium-dbg bpf ct list cluster <id> and bpf nat list cluster <id>', () => {
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
    const nat = perClusterNatMapSpecs(14, 7);
    expect(nat[4]).toEqual({
      outer: { name: 'cilium_per_cluster_snat_v4_external', type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 256, flags: 0 },
      inner: { name: 'cilium_per_cluster_snat_v4_external_7', type: 'lru_hash', keySize: 14, valueSize: 40, maxEntries: 524288, flags: 0 },
    });
    expect(nat[6].inner).toMatchObject({ name: 'cilium_per_cluster_snat_v6_external_7', keySize: 38, valueSize: 56 });
  });

  it('parses the cluster id as cilium-dbg of 1.15+ does, with the texts of ct list and nat list', () => {
    for (const command of ['ct', 'nat'] as const) {
      expect(parseClusterArgs(command, ['7'])).toEqual({ id: 7 });
      expect(parseClusterArgs(command, ['007'])).toEqual({ id: 7 });
      expect(parseClusterArgs(command, ['255'])).toEqual({ id: 255 });
    }
    const ct = (words: string[]) => parseClusterArgs('ct', words);
    expect(ct([])).toEqual({ error: 'Invalid argument: missing clusterID' });
    expect(ct(['7', '8'])).toEqual({ error: 'Invalid argument: missing clusterID' });
    for (const word of ['abc', '-1', '+5', '1_0', '0x10', '', ' 7']) {
      expect(ct([word])).toEqual({ error: `Invalid argument: invalid clusterID: strconv.ParseUint: parsing ${JSON.stringify(word)}: invalid syntax` });
    }
    // The word quoted as strconv.Quote quotes it: what unicode.IsPrint refuses escaped, Go's way.
    for (const [word, quoted] of [
      ['7\u00a0', '"7\\u00a0"'], ['\u200b7', '"\\u200b7"'], ['7\x01', '"7\\x01"'], ['7\x7f', '"7\\x7f"'], ['7\x07', '"7\\a"'], ['7\v', '"7\\v"'],
      ['7\t', '"7\\t"'], ['"7"', '"\\"7\\""'], ['7\\', '"7\\\\"'], ['é7', '"é7"'], ['\u{1d7d5}', '"\u{1d7d5}"'], ['7\u{e0001}', '"7\\U000e0001"'],
    ]) {
      expect(ct([word])).toEqual({ error: `Invalid argument: invalid clusterID: strconv.ParseUint: parsing ${quoted}: invalid syntax` });
    }
    expect(ct(['4294967296'])).toEqual({ error: 'Invalid argument: invalid clusterID: strconv.ParseUint: parsing "4294967296": value out of range' });
    // ParseUint reads from the left: too many digits are out of range before a bad character is seen.
    expect(ct(['4294967296x'])).toEqual({ error: 'Invalid argument: invalid clusterID: strconv.ParseUint: parsing "4294967296x": value out of range' });
    expect(ct(['4294967295x'])).toEqual({ error: 'Invalid argument: invalid clusterID: strconv.ParseUint: parsing "4294967295x": invalid syntax' });
    expect(ct(['x4294967296'])).toEqual({ error: 'Invalid argument: invalid clusterID: strconv.ParseUint: parsing "x4294967296": invalid syntax' });
    expect(ct(['4294967295'])).toEqual({ error: 'Invalid argument: invalid clusterID: ClusterID > 255 is not supported' });
    expect(ct(['256'])).toEqual({ error: 'Invalid argument: invalid clusterID: ClusterID > 255 is not supported' });
    expect(ct(['0'])).toEqual({ error: 'Invalid argument: invalid clusterID: ClusterID 0 is reserved' });
    // nat list words each its own way: the syntax by its Run, the range by GetClusterNATMap.
    const nat = (words: string[]) => parseClusterArgs('nat', words);
    expect(nat([])).toEqual({ error: 'Invalid argument' });
    expect(nat(['abc'])).toEqual({ error: 'Invalid ClusterID: strconv.ParseUint: parsing "abc": invalid syntax' });
    expect(nat(['4294967296'])).toEqual({ error: 'Invalid ClusterID: strconv.ParseUint: parsing "4294967296": value out of range' });
    expect(nat(['99999999999-1'])).toEqual({ error: 'Invalid ClusterID: strconv.ParseUint: parsing "99999999999-1": value out of range' });
    expect(nat(['0'])).toEqual({ error: 'Failed to retrieve cluster maps: ClusterID 0 is reserved' });
    expect(nat(['256'])).toEqual({ error: 'Failed to retrieve cluster maps: ClusterID > 255 is not supported' });
  });

  it('refuses a bad cluster id before reading anything', async () => {
    const bpffs = '/nonexistent-bpffs';
    await expect(cilium.conntrack({ bpffs, cluster: 0 })).rejects.toThrow(new RangeError('cilium.conntrack options: ClusterID 0 is reserved'));
    await expect(cilium.conntrack({ bpffs, cluster: 256 })).rejects.toThrow(new RangeError('cilium.conntrack options: ClusterID > 255 is not supported'));
    await expect(cilium.conntrack({ bpffs, cluster: 1.5 })).rejects.toThrow(RangeError);
    await expect(cilium.conntrack({ bpffs, cluster: '7' as never })).rejects.toThrow(TypeError);
    // A good id reaches the pin, which is missing here: ENOENT naming the cluster's map.
    await expect(cilium.conntrack({ bpffs, cluster: 7 })).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('cilium_per_cluster_ct_tcp4_7') });
    await expect(cilium.nat({ bpffs, cluster: 0 })).rejects.toThrow(new RangeError('cilium.nat options: ClusterID 0 is reserved'));
    await expect(cilium.nat({ bpffs, cluster: -1 })).rejects.toThrow(RangeError);
    await expect(cilium.nat({ bpffs, cluster: null as never })).rejects.toThrow(TypeError);
    // No cluster (or an undefined one) is the global map, as before.
    for (const options of [{ bpffs }, { bpffs, cluster: undefined }]) {
      await expect(cilium.nat(options)).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('cilium_snat_v4_external') });
      await expect(cilium.conntrack(options)).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('cilium_ct4_global') });
    }
    await expect(cilium.nat({ bpffs, cluster: 7, family: 6 })).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('cilium_per_cluster_snat_v6_external_7') });
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
    expect(() => cilium.format.conntrack(records, { cluster: 0 })).toThrow(new RangeError('cilium.format.conntrack: ClusterID 0 is reserved'));
    expect(() => cilium.format.conntrack(records, { cluster: '7' as never })).toThrow(TypeError);
  });

  it('prints a cluster\'s SNAT maps as nat list prints its own, the cluster naming the maps', () => {
    const v4 = cilium.encode.nat([
      { daddr: '10.5.0.9', saddr: '10.3.0.115', dport: 8080, sport: 42000, protocol: 6, direction: 'out', toAddress: '192.0.2.10', toPort: 62000, created: 1000n, needsCt: true },
    ]);
    const records = (version: string) => cilium.decode.nat(v4.keys, v4.values, 1, { version, map: 'cilium_per_cluster_snat_v4_external_7' });
    const line = 'TCP OUT 10.3.0.115:42000 -> 10.5.0.9:8080 XLATE_SRC 192.0.2.10:62000 Created=? (raw 1000) NeedsCT=1\n';
    expect(cilium.format.nat(records('1.14'), { cluster: 7, families: [4, 6] })).toBe(`${line}\n\n`);
    expect(cilium.format.nat(records('1.20'), { cluster: 7, families: [4] })).toBe(`${line}\n`);
    // The global listing of the same records is the same text: only which maps were read differs.
    expect(cilium.format.nat(records('1.20'), { families: [4] })).toBe(`${line}\n`);
    expect(cilium.format.nat([], { cluster: 7, families: [6] })).toBe('\n');
    expect(() => cilium.format.nat([], { cluster: 256 })).toThrow(new RangeError('cilium.format.nat: ClusterID > 255 is not supported'));
  });
});
