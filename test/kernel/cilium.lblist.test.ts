// `cilium-dbg bpf lb list --frontends | --backends | --source-ranges` on the fake node of every
// version: the source range tries as the node pins them, read back and compared with `bpftool -j
// map dump`; the services' raw values against bpftool's bytes; `bpfscope cilium lb --…` printing
// what the formatters make of the API's records.
import { expect, it } from 'vitest';
import { cilium } from 'bpfscope';
import { createFakeCiliumNode, type FakeCiliumNode } from 'bpfscope/testing';
import { bpftool, cleanup, cli, describeKernel, mustBpffs } from '../helpers/kernel';

interface BpftoolMap { type: string; bytes_key: number; bytes_value: number; max_entries: number; flags: number }
interface DumpEntry { key: string[]; value: string[] }
const bytes = (hex: string[]) => Buffer.from(hex.map((h) => parseInt(h, 16)));

async function node(version: string): Promise<FakeCiliumNode> {
  const n = await createFakeCiliumNode({ version, pods: [{ ip: '10.3.0.115' }, { ip: '10.3.0.158' }] });
  cleanup(() => n.destroy());
  return n;
}

describeKernel('cilium lb list --frontends, --backends, --source-ranges', () => {
  it('reads the source range tries of every version as bpftool dumps them, and the raw service values', async () => {
    for (const version of cilium.versions) {
      const n = await node(version);
      const globals = `${n.bpffs}/tc/globals`;
      const tool = (name: string) => bpftool<DumpEntry[]>('map', 'dump', 'pinned', `${globals}/${name}`);
      for (const family of [4, 6] as const) {
        const name = `cilium_lb${family}_source_range`;
        // LPM tries are BPF_F_NO_PREALLOC; main's agent makes them BPF_F_RDONLY_PROG (0x80) too.
        expect(bpftool<BpftoolMap>('map', 'show', 'pinned', `${globals}/${name}`)).toMatchObject({
          type: 'lpm_trie', bytes_key: family === 4 ? 12 : 24, bytes_value: 1, max_entries: 65536, flags: version >= '1.20' ? 0x81 : 1,
        });
        const ranges = await cilium.sourceRanges({ bpffs: n.bpffs, version, family });
        expect(ranges.layout).toMatchObject({ map: name, version, versionFrom: 'option', pinned: `${globals}/${name}` });
        // The records packed again are bpftool's key bytes, entry for entry; every value is 0.
        const dumped = tool(name);
        const packed = cilium.encode.sourceRanges(ranges, { version, family });
        expect(dumped.map((e) => bytes(e.key))).toEqual(Array.from({ length: packed.count }, (_, i) => packed.keys.subarray(i * packed.keySize, (i + 1) * packed.keySize)));
        expect(dumped.map((e) => e.value)).toEqual(dumped.map(() => ['0x00']));
        // Read at lb4_src_range_key's offsets by hand: prefixlen - 32 bits, rev_nat_id big-endian @4.
        expect(ranges.map((r) => [r.revNatIndex, Number(r.cidr.split('/')[1])])).toEqual(dumped.map((e) => [bytes(e.key).readUInt16BE(4), bytes(e.key).readUInt32LE(0) - 32]));
        using poller = await cilium.poller('sourceRanges', { bpffs: n.bpffs, version, family });
        expect(poller.poll()).toMatchObject({ added: [...ranges], removed: [], changed: [], layout: { map: name, version } });
      }
      const both = [...await cilium.sourceRanges({ bpffs: n.bpffs, version }), ...await cilium.sourceRanges({ bpffs: n.bpffs, version, family: 6 })];
      expect(cilium.format.sourceRanges(both, { version })).toBe([
        'SOURCE RANGE (REVNAT_ID)   ',
        `192.0.2.10/32 (1)${' '.repeat(10)}     `,
        `2001:db8::/32 (2)${' '.repeat(10)}     `,
        `203.0.113.0/24 (1)${' '.repeat(9)}     `,
        '',
      ].join('\n'));

      // --frontends: each entry's u32 as the map holds it (bpftool's bytes @0), whatever the decoder
      // split it into (the 1.17+ service entry's algorithm 1 in the upper 8 bits).
      const services = await cilium.services({ bpffs: n.bpffs, version });
      const rows = cilium.format.lbFrontends(services).split('\n').slice(1, -1).map((l) => l.split(/ {3,}/));
      const stored = tool('cilium_lb4_services_v2').map((e) => bytes(e.value).readUInt32LE(0));
      expect(rows.map(([, value]) => Number(value.split(' ')[0])).sort((a, b) => a - b)).toEqual(stored.sort((a, b) => a - b));
      expect(rows.map(([, value]) => value)).toContain(version >= '1.17' ? `${1 << 24} 2[0] (1) [0x0 0x0]` : '0 2 (1) [0x0 0x0]');
      // --backends: each pod as `UDP://<ip>`, no port.
      expect(cilium.format.lbBackends(await cilium.backends({ bpffs: n.bpffs, version }))).toBe('ID   BACKEND ADDRESS (REVNAT_ID) (SLOT)\n1    UDP://10.3.0.115   \n2    UDP://10.3.0.158   \n');
      await n.destroy();
    }
  });

  it('bpfscope cilium lb --frontends|--backends|--source-ranges: the formatters of the records, one flag at a time', async () => {
    const n = await node('1.17');
    const b = ['--bpffs', n.bpffs];
    const read = { bpffs: n.bpffs, version: '1.17' };
    const frontends = cli('cilium', 'lb', '--frontends', ...b);
    expect(frontends).toEqual({ code: 0, stderr: '', stdout: cilium.format.lbFrontends(await cilium.services(read)) });
    expect(frontends.stdout).toMatch(/^10\.96\.0\.10:53\/UDP \(0\) {3}16777216 2\[0\] \(1\) \[0x0 0x0\] {3}$/m);
    expect(cli('cilium', 'lb', '--backends', ...b, '--version', '1.17').stdout).toBe(cilium.format.lbBackends(await cilium.backends(read)));
    const both = [...await cilium.sourceRanges(read), ...await cilium.sourceRanges({ ...read, family: 6 })];
    expect(cli('cilium', 'lb', '--source-ranges', ...b).stdout).toBe(cilium.format.sourceRanges(both, { version: '1.17' }));
    expect(JSON.parse(cli('cilium', 'lb', '--source-ranges', ...b, '--json').stdout)).toEqual(both);
    expect(JSON.parse(cli('cilium', 'lb', '--backends', ...b, '--json').stdout)).toEqual([...await cilium.backends(read)]);
    // cilium-dbg lists the first of two flags its switch checks; bpfscope refuses the pair.
    const two = cli('cilium', 'lb', '--backends', '--frontends', ...b);
    expect(two).toEqual({ code: 2, stdout: '', stderr: expect.stringContaining('cilium lb lists one of --frontends, --backends, --source-ranges; got --frontends and --backends') });
    expect(cli('cilium', 'revnat', '--source-ranges', ...b)).toMatchObject({ code: 2, stderr: expect.stringContaining('--source-ranges is for cilium lb') });
    await n.destroy();
    // Without source range maps (--enable-svc-source-range-check=false), the header alone, as
    // cilium-dbg prints it (once the node is gone: a map of that name elsewhere would be read).
    const empty = await mustBpffs();
    expect(cli('cilium', 'lb', '--source-ranges', '--bpffs', empty)).toEqual({ code: 0, stderr: '', stdout: 'SOURCE RANGE (REVNAT_ID)   \n' });
  });
});
