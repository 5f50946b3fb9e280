// createFakeCiliumNode: the walkthrough's scene from real objects, checked with ip, tc and bpftool
// (maps found by pin, their entries dumped by bpftool and decoded with cilium.decode), and torn
// down without leftovers.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { cilium, openPinned } from 'bpfscope';
import { createFakeCiliumNode, type FakeCiliumNode } from 'bpfscope/testing';
import { bpftool, cleanup, describeKernel, ipJson, run, uniqueName } from '../helpers/kernel';
import { PREAMBLE } from '../helpers/trace';

interface BpftoolMap { id: number; type: string; name: string; bytes_key: number; bytes_value: number; max_entries: number; flags: number }
interface DumpEntry { key: string[]; value?: string[]; values?: { cpu: number; value: string[] }[] }
const bytes = (hex: string[]) => Buffer.from(hex.map((h) => parseInt(h, 16)));

async function node(options: Parameters<typeof createFakeCiliumNode>[0]): Promise<FakeCiliumNode> {
  const n = await createFakeCiliumNode(options);
  cleanup(() => n.destroy());
  return n;
}

/** A pinned map's entries as bpftool dumps them, packed back into key and value buffers. */
function dumpPacked(path: string): { keys: Buffer; values: Buffer; count: number; cpus?: number } {
  const entries = bpftool<DumpEntry[]>('map', 'dump', 'pinned', path);
  const values = entries.map((e) => (e.value ? bytes(e.value) : Buffer.concat(e.values!.map((c) => bytes(c.value)))));
  return { keys: Buffer.concat(entries.map((e) => bytes(e.key))), values: Buffer.concat(values), count: entries.length, cpus: entries[0]?.values?.length };
}

describeKernel('createFakeCiliumNode', () => {
  it('pairs each pod eth0 with an lxc veth and routes it via the gateway on cilium_host', async () => {
    const n = await node({ version: '1.18', pods: [{ ip: '10.3.0.115' }, { ip: '10.3.0.158' }] });
    expect(n.version).toBe('1.18');
    const host = ipJson<{ ifindex: number; address: string }[]>(['link', 'show', 'cilium_host'])[0];
    expect(n.hostDevice).toEqual({ name: 'cilium_host', ifindex: host.ifindex, mac: host.address });
    const hostAddrs = ipJson<{ addr_info: { local: string; prefixlen: number }[] }[]>(['-4', 'addr', 'show', 'cilium_host'])[0].addr_info;
    expect(hostAddrs).toEqual([expect.objectContaining({ local: '10.3.0.179', prefixlen: 32 })]);
    for (const pod of n.pods) {
      const eth0 = ipJson<{ ifindex: number; link_index: number; address: string }[]>(['link', 'show', 'eth0'], pod.netns.name)[0];
      expect(eth0).toMatchObject({ ifindex: pod.eth0.ifindex, link_index: pod.lxc.ifindex, address: pod.eth0.mac });
      const addrs = ipJson<{ addr_info: { local: string }[] }[]>(['-4', 'addr', 'show', 'eth0'], pod.netns.name)[0].addr_info;
      expect(addrs.map((a) => a.local)).toEqual([pod.ip]);
      const lxc = ipJson<{ ifname: string; address: string }[]>(['link', 'show', pod.lxc.name])[0];
      expect(lxc.address).toBe(pod.lxc.mac);
      expect(pod.lxc.name).toMatch(/^lxc[0-9a-f]{12}$/);
      const routes = ipJson<{ dst: string; gateway?: string; dev: string; scope?: string }[]>(['route'], pod.netns.name);
      expect(routes).toEqual(expect.arrayContaining([
        expect.objectContaining({ dst: 'default', gateway: '10.3.0.179', dev: 'eth0' }),
        expect.objectContaining({ dst: '10.3.0.179', dev: 'eth0', scope: 'link' }),
      ]));
      const neigh = ipJson<{ dst: string; lladdr: string; state: string[] }[]>(['neigh'], pod.netns.name);
      expect(neigh).toEqual([expect.objectContaining({ dst: '10.3.0.179', lladdr: pod.lxc.mac, state: ['PERMANENT'] })]);
      // tcx ingress runs cil_from_container; its link is pinned under the endpoint's links dir.
      const net = bpftool<{ tc: { devname: string; kind: string; name: string; prog_id: number }[] }[]>('net', 'show', 'dev', pod.lxc.name)[0];
      expect(net.tc).toEqual([expect.objectContaining({ kind: 'tcx/ingress', name: 'cil_from_container' })]);
      const pinned = await openPinned(`${n.bpffs}/cilium/endpoints/${pod.endpointId}/links/cil_from_container`);
      expect(pinned.kind).toBe('link');
      const link = bpftool<{ id: number; prog_id: number; ifindex?: number }[]>('link', 'show').find((l) => l.id === pinned.info.id);
      expect(link).toMatchObject({ prog_id: net.tc[0].prog_id, ifindex: pod.lxc.ifindex });
    }
    const hostNet = bpftool<{ tc: { kind: string; name: string }[] }[]>('net', 'show', 'dev', 'cilium_host')[0];
    expect(hostNet.tc.map((t) => `${t.kind} ${t.name}`).sort()).toEqual(['tcx/egress cil_from_host', 'tcx/ingress cil_to_host']);
    // cilium-maps.md §7.1/§7.3: cil_to_host also on cilium_net's ingress, its link under devices/cilium_net/links.
    const netNet = bpftool<{ tc: { kind: string; name: string }[] }[]>('net', 'show', 'dev', 'cilium_net')[0];
    expect(netNet.tc.map((t) => `${t.kind} ${t.name}`)).toEqual(['tcx/ingress cil_to_host']);
    expect((await openPinned(`${n.bpffs}/cilium/devices/cilium_net/links/cil_to_host`)).kind).toBe('link');
  });

  it("pins Cilium's maps with the version's names, types and sizes, filled consistently with the pods", async () => {
    for (const version of ['1.14', '1.16', '1.17', '1.18', '1.19', '1.20']) {
      const n = await node({ version, pods: [{ ip: '10.3.0.115' }, { ip: '10.3.0.158', identity: 4242, endpointId: 77 }] });
      const globals = `${n.bpffs}/tc/globals`;
      const show = (name: string) => bpftool<BpftoolMap>('map', 'show', 'pinned', `${globals}/${name}`);
      const ipcacheName = version >= '1.18' ? 'cilium_ipcache_v2' : 'cilium_ipcache';
      expect(show(ipcacheName)).toMatchObject({ type: 'lpm_trie', bytes_key: 24, bytes_value: version >= '1.18' ? 24 : 12, max_entries: 512000, flags: 1 });
      // cilium-maps.md §3: map_flags 0 up to 1.19; main (1.20-dev) uses BPF_F_RDONLY_PROG (0x80).
      expect(show('cilium_lxc')).toMatchObject({ type: 'hash', bytes_key: 20, bytes_value: 48, max_entries: 65535, flags: version >= '1.20' ? 0x80 : 0 });
      expect(show('cilium_metrics')).toMatchObject({ type: 'percpu_hash', bytes_key: 8, bytes_value: 16, max_entries: 1024 });
      expect(show('cilium_ct4_global')).toMatchObject({ type: 'lru_hash', bytes_key: 14, bytes_value: 56 });
      const policyName = `${version >= '1.17' ? 'cilium_policy_v2' : 'cilium_policy'}_00077`;
      // BPF_F_NO_PREALLOC; from 1.19 BPF_F_RDONLY_PROG (0x80) too, the datapath only reading it.
      expect(show(policyName)).toMatchObject({ type: 'lpm_trie', bytes_key: 12, max_entries: 16384, flags: version >= '1.19' ? 0x81 : 1 });
      // 1.18+: the policy counters of every endpoint in one LRU per-CPU hash with per-CPU lists (BPF_F_NO_COMMON_LRU).
      if (version >= '1.18') expect(show('cilium_policystats')).toMatchObject({ type: 'lru_percpu_hash', bytes_key: 12, bytes_value: 16, flags: 2 });
      else expect(n.maps.cilium_policystats).toBeUndefined();

      const ipc = dumpPacked(`${globals}/${ipcacheName}`);
      const ipcache = cilium.decode.ipcache(ipc.keys, ipc.values, ipc.count, { version });
      expect(ipcache.map((r) => `${r.prefix}=${r.identity}`).sort()).toEqual(['0.0.0.0/0=2', '10.3.0.115/32=10001', '10.3.0.158/32=4242', '10.3.0.179/32=1']);

      const lxc = dumpPacked(`${globals}/cilium_lxc`);
      const eps = cilium.decode.endpoints(lxc.keys, lxc.values, lxc.count, { version });
      for (const pod of n.pods) {
        expect(eps.find((e) => e.ip === pod.ip)).toMatchObject({
          endpointId: pod.endpointId, ifindex: pod.lxc.ifindex, mac: pod.eth0.mac, nodeMac: pod.lxc.mac, identity: pod.identity, isHost: false,
        });
      }
      expect(eps.find((e) => e.ip === '10.3.0.179')).toMatchObject({ isHost: true, flags: ['host'] });

      const met = dumpPacked(`${globals}/cilium_metrics`);
      const metrics = cilium.decode.metrics(met.keys, met.values, met.count, { version, cpus: met.cpus });
      expect(metrics.map((m) => `${m.reasonName} ${m.direction} ${m.packets}`).sort()).toEqual(['Interface INGRESS 2310', 'Policy denied EGRESS 12', 'Success EGRESS 99']);

      // The node map the version's datapath reads (v2 with the SPI from 1.16); 1.16 and 1.17
      // agents keep the old one beside it, 1.18 unpins it. The auth and VTEP maps in every version.
      const nodeMap = version >= '1.16' ? 'cilium_node_map_v2' : 'cilium_node_map';
      expect(show(nodeMap)).toMatchObject({ type: 'hash', bytes_key: 20, bytes_value: version >= '1.16' ? 4 : 2, max_entries: 16384, flags: 1 });
      if (version === '1.16' || version === '1.17') expect(show('cilium_node_map')).toMatchObject({ type: 'hash', bytes_key: 20, bytes_value: 2 });
      else if (version >= '1.18') expect(n.maps.cilium_node_map).toBeUndefined();
      const nodes = dumpPacked(`${globals}/${nodeMap}`);
      expect(cilium.decode.nodeIds(nodes.keys, nodes.values, nodes.count, { version }).map((r) => `${r.ip} ${r.nodeId} ${r.spi}`).sort())
        .toEqual(version >= '1.16' ? ['192.0.2.20 1 3', '2001:db8::20 1 3'] : ['192.0.2.20 1 undefined', '2001:db8::20 1 undefined']);
      expect(show('cilium_auth_map')).toMatchObject({ type: 'hash', bytes_key: 12, bytes_value: 8, max_entries: 1 << 19, flags: 1 });
      const auth = dumpPacked(`${globals}/cilium_auth_map`);
      expect(cilium.decode.auth(auth.keys, auth.values, auth.count).map((r) => `${r.localIdentity}→${r.remoteIdentity}@${r.remoteNodeId}`).sort()).toEqual(['10001→20001@1', '10001→4242@0']);
      expect(show('cilium_vtep_map')).toMatchObject({ type: 'hash', bytes_key: 4, bytes_value: 16, max_entries: 8, flags: version >= '1.19' ? 0x80 : 0 });
      // The bandwidth manager, ip-masq-agent and fragment maps: their specs, and the readers against
      // bpftool's bytes read at the C structs' offsets (edt_id's u64 id up to 1.17, u32 id and
      // direction byte from 1.18; edt_info's prio at 24 from 1.17; frag ids and ports big-endian).
      expect(show('cilium_throttle')).toMatchObject({ type: 'hash', bytes_key: 8, bytes_value: 56, max_entries: 65535, flags: 1 });
      expect(show('cilium_ipmasq_v4')).toMatchObject({ type: 'lpm_trie', bytes_key: 8, bytes_value: 1, max_entries: 16384, flags: version >= '1.19' ? 0x81 : 1 });
      expect(show('cilium_ipv4_frag_datagrams')).toMatchObject({ type: 'lru_hash', bytes_key: 12, bytes_value: 4, flags: 0 });
      if (version >= '1.18') expect(show('cilium_ipv6_frag_datagrams')).toMatchObject({ type: 'lru_hash', bytes_key: 40, bytes_value: 4 });
      else expect(n.maps.cilium_ipv6_frag_datagrams).toBeUndefined();
      const tool = (name: string) => bpftool<DumpEntry[]>('map', 'dump', 'pinned', `${globals}/${name}`).map((e) => [bytes(e.key), bytes(e.value!)] as const);
      const byDirection = (a: { direction?: number }, b: { direction?: number }) => (a.direction ?? 0) - (b.direction ?? 0);
      const throttle = await cilium.bandwidth({ bpffs: n.bpffs, version });
      expect([...throttle].sort(byDirection)).toEqual(tool('cilium_throttle').map(([k, v]) => {
        const ingress = version >= '1.18' && k[4] === 1;
        return {
          endpointId: version >= '1.18' ? k.readUInt32LE(0) : Number(k.readBigUInt64LE(0)), direction: version >= '1.18' ? k[4] : undefined,
          bps: v.readBigUInt64LE(0), tLast: v.readBigUInt64LE(8), [ingress ? 'tokens' : 'tHorizonDrop']: v.readBigUInt64LE(16), prio: version >= '1.17' ? v.readUInt32LE(24) : undefined,
        };
      }).sort(byDirection));
      expect(throttle.map((r) => `${r.endpointId}/${r.direction} ${r.bps}`).sort()).toEqual(version >= '1.18' ? ['100/0 1250000', '100/1 625000'] : ['100/undefined 1250000']);
      const ipmasq = await cilium.ipmasq({ bpffs: n.bpffs, version });
      expect(ipmasq.map((r) => r.cidr).sort()).toEqual(tool('cilium_ipmasq_v4').map(([k]) => `${[...k.subarray(4, 8)].join('.')}/${k.readUInt32LE(0)}`).sort());
      expect(ipmasq.map((r) => r.cidr).sort()).toEqual(['10.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16']);
      const frag = await cilium.frag({ bpffs: n.bpffs, version });
      expect([...frag]).toEqual(tool('cilium_ipv4_frag_datagrams').map(([k, v]) => ({
        destinationIp: [...k.subarray(0, 4)].join('.'), sourceIp: [...k.subarray(4, 8)].join('.'), id: k.readUInt16BE(8), protocol: k[10], sourcePort: v.readUInt16BE(0), destinationPort: v.readUInt16BE(2),
      })));
      expect(frag).toEqual([{ id: 0x1234, protocol: 17, sourceIp: '10.3.0.115', destinationIp: '203.0.113.1', sourcePort: 41001, destinationPort: 53 }]);
      // The service's Maglev table: the outer map names an inner array by id, bpftool dumps both.
      expect(show('cilium_lb4_maglev')).toMatchObject({ type: 'hash_of_maps', bytes_key: 2, bytes_value: 4, flags: version >= '1.20' ? 0x80 : 0 });
      const outer = bpftool<{ key: string[]; inner_map_id: number }[]>('map', 'dump', 'pinned', `${globals}/cilium_lb4_maglev`);
      const fromTool = outer.map((e) => {
        const [table] = bpftool<DumpEntry[]>('map', 'dump', 'id', String(e.inner_map_id));
        const ids = Buffer.from(table.value!.map((h) => parseInt(h, 16)));
        return { family: 4, revNatIndex: parseInt(e.key[0], 16) * 256 + parseInt(e.key[1], 16), innerMapId: e.inner_map_id, backendIds: Array.from({ length: ids.length / 4 }, (_, i) => ids.readUInt32LE(i * 4)) };
      });
      const maglev = await cilium.maglev({ bpffs: n.bpffs, version });
      expect(maglev.layout).toMatchObject({ map: 'cilium_lb4_maglev', version, layout: expect.stringContaining('tables of 251 u32 backend ids') });
      expect([...maglev]).toEqual(fromTool);
      expect(maglev.map((r) => [r.revNatIndex, r.backendIds.length, r.backendIds.slice(0, 3)])).toEqual([[1, 251, [1, 2, 1]]]);

      expect(show('cilium_lb4_reverse_sk')).toMatchObject({ type: 'lru_hash', bytes_key: 16, bytes_value: 8 });
      const sk = dumpPacked(`${globals}/cilium_lb4_reverse_sk`);
      const sockRevNat = await cilium.sockRevNat({ bpffs: n.bpffs, version });
      expect([...sockRevNat]).toEqual([...cilium.decode.sockRevNat(sk.keys, sk.values, sk.count, { version })]);
      expect([...sockRevNat]).toEqual([{ cookie: 4097n, backendAddress: '10.3.0.158', backendPort: 53, frontendAddress: '10.96.0.10', frontendPort: 53, revNatIndex: 1 }]);

      // 1.18+: the SNAT port allocation histogram, a per-CPU array of 33 buckets, every bucket
      // bpftool dumps read per CPU.
      if (version >= '1.18') {
        expect(show('cilium_snat_v4_alloc_retries')).toMatchObject({ type: 'percpu_array', bytes_key: 4, bytes_value: 4, max_entries: 33, flags: 0 });
        const buckets = bpftool<DumpEntry[]>('map', 'dump', 'pinned', `${globals}/cilium_snat_v4_alloc_retries`);
        const retries = await cilium.natRetries({ bpffs: n.bpffs, version });
        expect(retries.map((r) => [r.retries, r.perCpu])).toEqual(buckets.map((e) => [bytes(e.key).readUInt32LE(), e.values!.map((c) => bytes(c.value).readUInt32LE())]));
        expect(retries.filter((r) => r.count > 0).map((r) => [r.retries, r.count])).toEqual([[0, 200], [1, 7], [32, 2]]);
      } else {
        expect(n.maps.cilium_snat_v4_alloc_retries).toBeUndefined();
      }

      // 1.16+: a multicast group the first pod joined and the gateway node subscribes to, in the
      // inner hash the outer map names; bpftool dumps both. Before 1.16 there is no such map.
      if (version >= '1.16') {
        // Preallocated, as the agent makes them by default (no BPF_F_NO_PREALLOC).
        expect(show('cilium_mcast_group_outer_v4_map')).toMatchObject({ type: 'hash_of_maps', bytes_key: 4, bytes_value: 4, max_entries: 1024, flags: 0 });
        const groups = bpftool<{ key: string[]; inner_map_id: number }[]>('map', 'dump', 'pinned', `${globals}/cilium_mcast_group_outer_v4_map`);
        expect(bpftool<BpftoolMap>('map', 'show', 'id', String(groups[0].inner_map_id))).toMatchObject({ type: 'hash', bytes_key: 4, bytes_value: 12, max_entries: 1024, flags: 0 });
        const fromTool = groups.map((e) => ({
          group: [...bytes(e.key)].join('.'),
          innerMapId: e.inner_map_id,
          subscribers: bpftool<DumpEntry[]>('map', 'dump', 'id', String(e.inner_map_id)).map((s) => {
            const v = bytes(s.value!);
            return { address: [...v.subarray(0, 4)].join('.'), ifindex: v.readUInt32LE(4), remote: (v[11] & 1) === 1, flags: v[11] };
          }),
        }));
        const multicast = await cilium.multicast({ bpffs: n.bpffs, version });
        expect([...multicast]).toEqual(fromTool);
        const [pod] = n.pods;
        const row = (...cells: string[]) => `${cells.map((c) => c.padEnd(16)).join('')}\n`;
        expect(cilium.format.multicastSubscribers(multicast)).toBe(
          row('Group', 'Subscriber', 'Type') + row('229.0.0.1', '10.3.0.115', 'Local Endpoint') + row('', '192.0.2.20', 'Remote Node'),
        );
        expect(multicast[0].subscribers!.map((s) => s.ifindex).sort()).toEqual([pod.lxc.ifindex, n.hostDevice.ifindex].sort());
      } else {
        expect(n.maps.cilium_mcast_group_outer_v4_map).toBeUndefined();
      }

      if (version < '1.16') {
        // Legacy tc: a cls_bpf filter named <prog>-<ifname>, nothing pinned under cilium/.
        const filters = JSON.parse(run('tc', ['-j', 'filter', 'show', 'dev', n.pods[0].lxc.name, 'ingress'])) as { options?: { bpf_name?: string } }[];
        expect(filters.map((f) => f.options?.bpf_name).filter(Boolean)).toEqual([`cil_from_container-${n.pods[0].lxc.name}`]);
        expect(existsSync(`${n.bpffs}/cilium/endpoints`)).toBe(false);
      }
      await n.destroy();
    }
  });

  it('builds deliberate faults, and destroy() leaves nothing behind', async () => {
    const n = await createFakeCiliumNode({
      pods: [{ ip: '10.3.0.115', faults: ['endpoint-ifindex', 'ipcache', 'program', 'gateway-neighbor'] }],
    });
    const [pod] = n.pods;
    try {
      const lxc = dumpPacked(`${n.bpffs}/tc/globals/cilium_lxc`);
      expect(cilium.decode.endpoints(lxc.keys, lxc.values, lxc.count).find((e) => e.ip === pod.ip)?.ifindex).toBe(n.hostDevice.ifindex);
      const ipc = dumpPacked(`${n.bpffs}/tc/globals/cilium_ipcache_v2`);
      expect(cilium.decode.ipcache(ipc.keys, ipc.values, ipc.count).map((r) => r.prefix)).not.toContain('10.3.0.115/32');
      expect(bpftool<{ tc?: unknown[] }[]>('net', 'show', 'dev', pod.lxc.name)[0].tc ?? []).toEqual([]);
      expect(ipJson<{ lladdr: string }[]>(['neigh'], pod.netns.name)[0].lladdr).toBe(n.hostDevice.mac);
    } finally {
      await n.destroy();
    }
    expect(existsSync(pod.netns.path)).toBe(false);
    expect(ipJson<unknown[]>(['link', 'show']).some((l) => [pod.lxc.name, 'cilium_host', 'cilium_net'].includes((l as { ifname: string }).ifname))).toBe(false);
    expect(existsSync(n.bpffs)).toBe(false);
    await n.destroy(); // a second destroy is harmless
  });

  it('removes what it made when creation fails half way', async () => {
    // Other test files may create lxc… devices meanwhile: compare the fixture's own name pattern.
    const fixtureDevices = () => ipJson<{ ifname: string }[]>(['link', 'show']).map((l) => l.ifname).filter((n) => n === 'cilium_host' || /^lxc[0-9a-f]{12}$/.test(n));
    const before = fixtureDevices();
    await expect(createFakeCiliumNode({ pods: [{ ip: '10.3.0.115' }, { ip: 'not-an-ip' }] })).rejects.toThrow(TypeError);
    expect(fixtureDevices()).toEqual(before);
    expect(run('ip', ['netns', 'list'])).not.toMatch(/cilpod-/);
  });

  it('a node whose process was killed before destroy() is recognised by its host device alias and cleared by the next; nothing else is', async () => {
    // A child process builds a node and is killed: its namespaces, pins and devices stay behind.
    const child = spawn(process.execPath, ['-e', `${PREAMBLE}
      t.createFakeCiliumNode({ version: '1.18', pods: [{ ip: '10.3.0.115' }] }).then((n) => {
        console.log(JSON.stringify({ bpffs: n.bpffs, netns: n.pods[0].netns.name, lxc: n.pods[0].lxc.name }));
      });
      setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString())));
    const old = JSON.parse(line) as { bpffs: string; netns: string; lxc: string };
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const [host] = ipJson<{ ifalias?: string }[]>(['link', 'show', 'cilium_host']);
    expect(host.ifalias).toMatch(new RegExp(`^bpfscope fake Cilium node pid=${child.pid} start=\\d+ tag=[0-9a-f]{6} bpffs=`));
    expect(run('ip', ['netns', 'list'])).toContain(old.netns);

    // The next node clears them and takes the name.
    const n = await node({ version: '1.18', pods: [{ ip: '10.3.0.115' }] });
    expect(run('ip', ['netns', 'list'])).not.toContain(old.netns);
    expect(run('findmnt', ['-n', '-o', 'TARGET', '-t', 'bpf']).split('\n')).not.toContain(old.bpffs);
    expect(existsSync(old.bpffs)).toBe(false);
    expect(ipJson<{ ifalias?: string }[]>(['link', 'show', 'cilium_host'])[0].ifalias).toMatch(new RegExp(`pid=${process.pid} `));

    // A live process's node, and a cilium_host that is no fake node's, are left alone.
    await expect(createFakeCiliumNode({ pods: [{ ip: '10.3.0.116' }] })).rejects.toThrow(`cilium_host belongs to a fake Cilium node of process ${process.pid}, which is still running`);
    await n.destroy();
    const foreign = uniqueName('fh');
    run('ip', ['link', 'add', 'cilium_host', 'type', 'veth', 'peer', 'name', foreign]);
    cleanup(() => run('ip', ['link', 'del', 'cilium_host']));
    await expect(createFakeCiliumNode({ pods: [{ ip: '10.3.0.116' }] })).rejects.toThrow('cilium_host already exists in this network namespace and is no fake node');
    expect(ipJson<{ ifname: string }[]>(['link', 'show', 'cilium_host'])[0].ifname).toBe('cilium_host');
  });
});
