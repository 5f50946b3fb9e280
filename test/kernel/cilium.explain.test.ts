// explainPod on a fake Cilium node (real namespaces, veths, tcx links, pinned maps in a private
// bpffs), and on nodes broken on purpose; the readers and formatters on the same node, compared
// with ip, bpftool and the fixture's own bookkeeping.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { cilium } from 'bpfscope';
import { addAddress, attachCgroup, createFakeCiliumNode, createMap, detachCgroup, loadProgram, pin, updateElem, type FakeCiliumNode } from 'bpfscope/testing';
import { bpftool, cgroup2Mount, cleanup, describeKernel, ipJson, owned, run, tempDir } from '../helpers/kernel';

/** A process's cgroup v2 directory, from /proc/<pid>/cgroup read here. */
function cgroupOfProcessByHand(pid: number): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'))!;
  return `${cgroup2Mount()}${line.slice(3)}`.replace(/\/$/, '');
}

async function node(options: Parameters<typeof createFakeCiliumNode>[0]): Promise<FakeCiliumNode> {
  const n = await createFakeCiliumNode(options);
  cleanup(() => n.destroy());
  return n;
}

describeKernel('fake Cilium node', () => {
  it('builds the walkthrough scene: pods, lxc veths, cilium_host, programs and pinned maps', async () => {
    const n = await node({ version: '1.18', pods: [{ ip: '10.3.0.115' }, { ip: '10.3.0.158' }] });
    const [client] = n.pods;
    // ip sees the pod's eth0 paired with the lxc veth, the gateway route and neighbour.
    const link = ipJson<{ ifindex: number; link_index?: number; address: string }[]>(['link', 'show', 'eth0'], client.netns.name)[0];
    expect(link.link_index).toBe(client.lxc.ifindex);
    expect(link.address).toBe(client.eth0.mac);
    const routes = ipJson<{ dst: string; gateway?: string }[]>(['route'], client.netns.name);
    expect(routes.find((r) => r.dst === 'default')?.gateway).toBe('10.3.0.179');
    const neigh = ipJson<{ dst: string; lladdr: string }[]>(['neigh'], client.netns.name);
    expect(neigh.find((e) => e.dst === '10.3.0.179')?.lladdr).toBe(client.lxc.mac);
    // bpftool sees cil_from_container on the lxc's tcx ingress.
    const net = bpftool<{ tc: { devname: string; kind: string; name: string }[] }[]>('net', 'show', 'dev', client.lxc.name)[0];
    expect(net.tc).toEqual([expect.objectContaining({ devname: client.lxc.name, kind: 'tcx/ingress', name: 'cil_from_container' })]);
    // The readers find every map by pin and agree with the pods.
    const eps = await cilium.endpoints({ bpffs: n.bpffs });
    expect(eps.layout).toMatchObject({ version: '1.20', map: 'cilium_lxc' }); // lxc sizes never change: newest by default
    expect(eps.find((e) => e.ip === client.ip)).toMatchObject({ endpointId: client.endpointId, ifindex: client.lxc.ifindex, mac: client.eth0.mac, nodeMac: client.lxc.mac });
    const ipcache = await cilium.ipcache({ bpffs: n.bpffs, version: '1.18' });
    expect(ipcache.layout.map).toBe('cilium_ipcache_v2');
    expect(cilium.format.ipcache(ipcache)).toContain('10.3.0.115/32       identity=10001 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>');
    expect((await cilium.services({ bpffs: n.bpffs })).filter((s) => s.backendSlot > 0)).toHaveLength(2);
    expect(await cilium.policy(client.endpointId, { bpffs: n.bpffs })).toHaveLength(2);
    expect((await cilium.conntrack({ bpffs: n.bpffs, family: 4 })).map((c) => c.saddr).sort()).toEqual(['10.3.0.115', '10.3.0.158']);
  });

  it("reads the runtime config as bpftool does, and tells from the agent's heartbeat whether it is alive", async () => {
    const n = await node({ version: '1.16', pods: [{ ip: '10.3.0.115' }] });
    const pinned = `${n.bpffs}/tc/globals/cilium_runtime_config`;
    // No BTF: bpftool prints each key and value as hex bytes.
    const dump = bpftool<{ key: string[]; value: string[] }[]>('map', 'dump', 'pinned', pinned);
    const bytes = (hex: string[]) => Buffer.from(hex.map((h) => parseInt(h, 16)));
    expect(dump).toHaveLength(256); // an array: every index has a value
    const config = await cilium.runtimeConfig({ bpffs: n.bpffs });
    expect(config.layout).toMatchObject({ map: 'cilium_runtime_config', pinned, keySize: 4, valueSize: 8 });
    expect(config.map((c) => [c.index, c.name, c.value])).toEqual([0, 1].map((i) => [bytes(dump[i].key).readUInt32LE(), ['UTimeOffset', 'AgentLiveness'][i], bytes(dump[i].value).readBigUInt64LE()]));
    // The boot time in 512 ns units, as the agent writes it, and no heartbeat yet.
    const btime = BigInt(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]);
    expect(config[0].value).toBe(btime * 1_953_125n);
    expect(config[1].value).toBe(0n);
    const explain = () => cilium.explainPod({ netns: { name: n.pods[0].netns.name } }, { bpffs: n.bpffs });
    const unset = await explain();
    expect(unset.agentLiveness).toBeNull();
    expect(unset.findings.map((f) => f.code)).toContain('agent-liveness-unset');

    // A heartbeat as the agent writes it (CLOCK_MONOTONIC ns, which /proc/uptime's clock is not:
    // it counts suspended time too), now and 20 s ago.
    const beat = async (ns: bigint) => {
      const [key, value] = [Buffer.alloc(4), Buffer.alloc(8)];
      key.writeUInt32LE(1);
      value.writeBigUInt64LE(ns);
      await updateElem(n.maps.cilium_runtime_config, key, value);
    };
    const now = process.hrtime.bigint();
    await beat(now);
    const alive = await explain();
    expect(alive.agentLiveness?.monotonicNs).toBe(now);
    expect(alive.agentLiveness!.ageMs).toBeGreaterThanOrEqual(0);
    expect(alive.agentLiveness!.ageMs).toBeLessThan(Number(process.hrtime.bigint() - now) / 1e6 + 1);
    expect(alive.findings.map((f) => f.code).filter((c) => c.startsWith('agent-'))).toEqual([]);
    expect(cilium.format.runtimeConfig(await cilium.runtimeConfig({ bpffs: n.bpffs }))).toBe(
      `KEY             VALUE\nAgentLiveness   ${now}\nUTimeOffset     ${btime * 1_953_125n}\n`,
    );
    await beat(process.hrtime.bigint() - 20_000_000_000n);
    const stale = await explain();
    expect(stale.agentLiveness!.ageMs).toBeGreaterThanOrEqual(20_000);
    expect(stale.findings).toContainEqual(expect.objectContaining({ severity: 'warning', code: 'agent-not-alive' }));
  });

  it('explainPod follows the chain from a pid and finds every link holding', async () => {
    const n = await node({ version: '1.18', pods: [{ ip: '10.3.0.115' }, { ip: '10.3.0.158' }] });
    const [client] = n.pods;
    const sleeper = spawn('ip', ['netns', 'exec', client.netns.name, 'sleep', '60'], { stdio: 'ignore' });
    cleanup(() => sleeper.kill());
    await new Promise((resolve) => setTimeout(resolve, 300)); // ip exec's into sleep
    const report = await cilium.explainPod({ pid: sleeper.pid! }, { bpffs: n.bpffs, version: '1.18' });
    expect(report.errors).toEqual([]);
    expect(report.pod).toMatchObject({ pids: [sleeper.pid], ip: '10.3.0.115', gateway: '10.3.0.179', interface: { name: 'eth0', ifindex: client.eth0.ifindex, mac: client.eth0.mac } });
    expect(report.gateway).toMatchObject({ ip: '10.3.0.179', neighbor: { mac: client.lxc.mac }, isHostVethMac: true, hostDevice: { name: 'cilium_host', ifindex: n.hostDevice.ifindex } });
    expect(report.hostVeth).toMatchObject({ name: client.lxc.name, ifindex: client.lxc.ifindex, mac: client.lxc.mac });
    expect(report.hostVeth!.attachments).toEqual([expect.objectContaining({ hook: 'tcx/ingress', progName: 'cil_from_container' })]);
    expect(report.ipcache).toMatchObject({ prefix: '10.3.0.115/32', identity: client.identity });
    expect(report.endpoint).toMatchObject({ endpointId: client.endpointId, ifindex: client.lxc.ifindex });
    expect(report.pinnedLinks).toEqual([expect.objectContaining({ path: `${n.bpffs}/cilium/endpoints/${client.endpointId}/links/cil_from_container`, ifindex: client.lxc.ifindex })]);
    expect(report.drops?.map((d) => d.reasonName)).toEqual(['Policy denied']);
    expect(report.egressPolicies).toEqual([{ sourceIp: '10.3.0.115', destinationCidr: '203.0.113.0/24', egressIp: '192.0.2.50', gatewayIp: '192.0.2.20' }]);
    expect(report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    // The sleeper runs in this test's cgroup, where no cil_sock program is attached.
    expect(report.socketLb).toEqual({ cgroup: cgroupOfProcessByHand(sleeper.pid!), programs: [] });
    expect(report.findings.map((f) => f.code)).toContain('no-socket-lb');
    const text = cilium.format.pod(report);
    const order = ['1. Pod', '2. Gateway', '3. Host veth and programs', '4. Cilium maps', '5. Drops', 'Agent', 'Findings'].map((s) => text.indexOf(s));
    expect(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]))).toBe(true);
    expect(text).toContain(`tcx/ingress  cil_from_container`);
    expect(report.srv6).toBeUndefined(); // the fake node has no SRv6 maps

    // With SRv6 maps pinned beside the others: the pod's VRFs and their policies.
    const pinMap = async (name: string, packed: { keys: Buffer; values: Buffer; count: number; keySize: number; valueSize: number }) => {
      const map = owned(await createMap({ name, type: 'lpm_trie', keySize: packed.keySize, valueSize: packed.valueSize, maxEntries: 16, flags: 1 }));
      for (let i = 0; i < packed.count; i++) {
        await updateElem(map, packed.keys.subarray(i * packed.keySize, (i + 1) * packed.keySize), packed.values.subarray(i * packed.valueSize, (i + 1) * packed.valueSize));
      }
      await pin(map, `${n.bpffs}/tc/globals/${name}`);
    };
    const vrfs = [{ sourceIp: '10.3.0.115', destinationCidr: '192.168.0.0/16', vrfId: 7 }, { sourceIp: '10.3.0.158', destinationCidr: '0.0.0.0/0', vrfId: 9 }];
    const policies = [{ vrfId: 7, destinationCidr: '192.168.1.0/24', sid: 'fd00:0:1::ff01' }, { vrfId: 9, destinationCidr: '0.0.0.0/0', sid: 'fd00:0:9::ff01' }];
    await pinMap('cilium_srv6_vrf_v4', cilium.encode.srv6Vrf(vrfs));
    await pinMap('cilium_srv6_policy_v4', cilium.encode.srv6Policy(policies));
    const withSrv6 = await cilium.explainPod({ ip: '10.3.0.115' }, { bpffs: n.bpffs, version: '1.18' });
    expect(withSrv6.errors).toEqual([]);
    expect(withSrv6.srv6).toEqual({ vrfs: [vrfs[0]], policies: [policies[0]] });
    expect(cilium.format.pod(withSrv6)).toContain('  SRv6 VRF 7 for 10.3.0.115 → 192.168.0.0/16: 192.168.1.0/24 via SID fd00:0:1::ff01\n');
  });

  it("explainPod of an IPv6 address reads the IPv6 egress map, and flags a gateway without an egress IP (::)", async () => {
    const n = await node({ version: '1.18', pods: [{ ip: '10.3.0.115' }] });
    const policy = { sourceIp: 'fd00:10:3::73', destinationCidr: '::/0', egressIp: '::', gatewayIp: '192.0.2.20', egressIfindex: 0 };
    const packed = cilium.encode.egress([policy], { family: 6 });
    const map = owned(await createMap({ name: 'cilium_egress_gw_policy_v6', type: 'lpm_trie', keySize: packed.keySize, valueSize: packed.valueSize, maxEntries: 16, flags: 1 }));
    await updateElem(map, packed.keys, packed.values);
    await pin(map, `${n.bpffs}/tc/globals/cilium_egress_gw_policy_v6`);
    // No namespace holds the address (the fake node's pods are IPv4): the map steps still run.
    const report = await cilium.explainPod({ ip: 'fd00:10:3::73' }, { bpffs: n.bpffs, version: '1.18' });
    expect(report.egressPolicies).toEqual([policy]);
    expect(report.findings.map((f) => f.code)).toContain('egress-no-ip');
    expect(report.errors.map((e) => e.step)).toEqual(['find pod by IP']);
  });

  it('explainPod({ ip }) takes an IPv6 address in any spelling', async () => {
    const n = await node({ version: '1.18', pods: [{ ip: '10.3.0.115' }] });
    const [pod] = n.pods;
    await addAddress({ netns: { path: pod.netns.path }, ifname: 'eth0', address: 'fd00::a0f/128' });
    const ipcache = cilium.encode.ipcache([{ prefix: 'fd00::a0f/128', identity: pod.identity }], { version: '1.18' });
    await updateElem(n.maps[ipcache.map], ipcache.keys, ipcache.values);
    const lxc = cilium.encode.endpoints([{ ip: 'fd00::a0f', endpointId: pod.endpointId, ifindex: pod.lxc.ifindex, mac: pod.eth0.mac, nodeMac: pod.lxc.mac, identity: pod.identity }], { version: '1.18' });
    await updateElem(n.maps.cilium_lxc, lxc.keys, lxc.values);
    for (const ip of ['fd00::a0f', 'FD00::A0F', 'fd00:0:0:0:0:0:0:a0f', 'fd00:0000::0a0f']) {
      const report = await cilium.explainPod({ ip }, { bpffs: n.bpffs, version: '1.18' });
      expect(report.pod.ip, ip).toBe('fd00::a0f');
      expect(report.pod.interface?.ifindex, ip).toBe(pod.eth0.ifindex);
      expect(report.ipcache?.prefix, ip).toBe('fd00::a0f/128');
      expect(report.endpoint?.endpointId, ip).toBe(pod.endpointId);
      expect(report.findings.filter((f) => f.severity === 'error'), ip).toEqual([]);
    }
  });

  it('explainPod takes the pod interface by an alternative name, a long one too, as findPeer does', async () => {
    const n = await node({ version: '1.18', pods: [{ ip: '10.3.0.115' }] });
    const [pod] = n.pods;
    const long = `pod-uplink-${'z'.repeat(100)}`;
    run('ip', ['-n', pod.netns.name, 'link', 'property', 'add', 'dev', 'eth0', 'altname', long]);
    const byName = await cilium.explainPod({ netns: { path: pod.netns.path } }, { bpffs: n.bpffs, version: '1.18' });
    const byAltName = await cilium.explainPod({ netns: { path: pod.netns.path } }, { bpffs: n.bpffs, version: '1.18', ifname: long });
    expect(byName.pod.interface).toMatchObject({ name: 'eth0', ifindex: pod.eth0.ifindex });
    expect(byAltName.pod.interface).toEqual(byName.pod.interface);
    expect(byAltName.hostVeth).toEqual(byName.hostVeth);
    expect(byAltName.hostVeth?.name).toBe(pod.lxc.name);
    expect(byAltName.findings).toEqual(byName.findings);
  });

  it('explainPod draws nothing from the maps it could not read, and says so', async () => {
    const n = await node({ version: '1.18', pods: [{ ip: '10.3.0.115' }] });
    // Each map explainPod reads is replaced by one of its name whose sizes fit no Cilium layout:
    // found by its pin, then refused. (Unpinning would not do: a reader also finds a map by name.)
    const globals = `${n.bpffs}/tc/globals`;
    for (const name of ['cilium_ipcache_v2', 'cilium_lxc', 'cilium_metrics', 'cilium_egress_gw_policy_v4', 'cilium_runtime_config']) {
      unlinkSync(`${globals}/${name}`);
      await pin(owned(await createMap({ name, type: 'hash', keySize: 3, valueSize: 3, maxEntries: 1 })), `${globals}/${name}`);
    }
    const report = await cilium.explainPod({ netns: { name: n.pods[0].netns.name } }, { bpffs: n.bpffs });
    expect(report.errors.map((e) => e.step)).toEqual(['ipcache', 'cilium_lxc', 'cilium_egress_gw_policy_v4(_v2)', 'cilium_metrics', 'cilium_runtime_config']);
    expect(report.errors[0].message).toMatch(/sizes 3\/3 match no known Cilium layout/);
    expect(report.pod.ip).toBe('10.3.0.115');
    expect([report.version, report.ipcache, report.endpoint, report.drops, report.egressPolicies, report.agentLiveness]).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
    expect(report.findings.map((f) => f.code)).toEqual(['step-failed', 'step-failed', 'step-failed', 'step-failed', 'step-failed']);
    const text = cilium.format.pod(report);
    expect(text).toMatch(/^Pod 10\.3\.0\.115  \(no Cilium map read, bpffs /);
    expect(text).toContain('\n4. Cilium maps\n  ipcache: not read\n  endpoint: not read\n\n5. Drops\n  not read\n\nAgent\n  not read\n');
  });

  it("explainPod decodes every map with one version: the one given, else the node's maps tell, else the one the ipcache fits", async () => {
    const n = await node({ version: '1.16', pods: [{ ip: '10.3.0.115' }] });
    // Read alone, cilium_lxc (whose sizes never changed) is decoded as 1.20-dev, a v1 ipcache as 1.17.
    expect((await cilium.endpoints({ bpffs: n.bpffs })).layout.version).toBe('1.20');
    expect((await cilium.ipcache({ bpffs: n.bpffs })).layout.version).toBe('1.17');
    // The node's maps tell 1.16: cilium_lxc has no parent_ifindex (1.17+) to read from its padding.
    const report = await cilium.explainPod({ ip: '10.3.0.115' }, { bpffs: n.bpffs });
    expect(report.version).toBe('1.16');
    expect(report.endpoint).not.toHaveProperty('parentIfindex');
    expect(report.errors).toEqual([]);
    expect(cilium.format.metrics(report.drops!)).toBe(cilium.format.metrics((await cilium.metrics({ bpffs: n.bpffs, version: '1.16' })).filter((m) => m.isDrop)));
    const given = await cilium.explainPod({ ip: '10.3.0.115' }, { bpffs: n.bpffs, version: '1.17' });
    expect(given.version).toBe('1.17');
    expect(given.endpoint).toHaveProperty('parentIfindex', 0); // 1.17+
    expect(given.endpoint).not.toHaveProperty('rtInfo'); // 1.20-dev only

    // Without the node map every 1.16+ agent pins, beside the 1.16+ multicast map, the maps fit no
    // version: the ipcache's sizes decide, as before the node's version was asked.
    unlinkSync(`${n.bpffs}/tc/globals/cilium_node_map_v2`);
    expect((await cilium.nodeVersion({ bpffs: n.bpffs })).versions).toEqual([]);
    const guessed = await cilium.explainPod({ ip: '10.3.0.115' }, { bpffs: n.bpffs });
    expect(guessed.version).toBe('1.17');
    expect(guessed.endpoint).toHaveProperty('parentIfindex', 0);
  });

  it('explainPod from a container id finds the pod through its cgroup', async () => {
    const n = await node({ version: '1.16', pods: [{ ip: '10.3.0.115' }] });
    const sleeper = spawn('ip', ['netns', 'exec', n.pods[0].netns.name, 'sleep', '60'], { stdio: 'ignore' });
    const id = randomBytes(32).toString('hex');
    const parent = tempDir('bpfscope-cilium-', cgroup2Mount());
    const dir = `${parent}/cri-containerd-${id}.scope`;
    mkdirSync(dir, { recursive: true });
    cleanup(async () => {
      sleeper.kill();
      await new Promise((resolve) => sleeper.once('exit', resolve));
      rmdirSync(dir);
      rmdirSync(parent);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    writeFileSync(`${dir}/cgroup.procs`, String(sleeper.pid));
    // Socket LB as Cilium attaches it, on an ancestor of the pod's cgroup, next to another program.
    const connect = owned(await loadProgram({ type: 'cgroup_sock_addr', name: 'cil_sock4_connect', expectedAttachType: 'cgroup_inet4_connect' }));
    const other = owned(await loadProgram({ type: 'cgroup_skb', name: 'bpfs_other', expectedAttachType: 'cgroup_inet_egress' }));
    await attachCgroup(connect, parent, 'cgroup_inet4_connect', 'multi');
    cleanup(() => detachCgroup(connect, parent, 'cgroup_inet4_connect'));
    await attachCgroup(other, parent, 'cgroup_inet_egress', 'multi');
    cleanup(() => detachCgroup(other, parent, 'cgroup_inet_egress'));
    const report = await cilium.explainPod({ containerId: id.slice(0, 13) }, { bpffs: n.bpffs });
    expect(report.socketLb).toEqual({ cgroup: dir, programs: [{ attachType: 'cgroup_inet4_connect', progId: connect.id, progName: 'cil_sock4_connect' }] });
    expect(report.findings.map((f) => f.code)).not.toContain('no-socket-lb');
    expect(cilium.format.pod(report)).toContain(`socket LB for cgroup ${dir}: cil_sock4_connect (prog ${connect.id}, cgroup_inet4_connect)`);
    expect(report.pod).toMatchObject({ containerId: id.slice(0, 13), pids: [sleeper.pid], ip: '10.3.0.115' });
    expect(report.endpoint?.endpointId).toBe(n.pods[0].endpointId);
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('explainPod from an IP finds the pod through cilium_lxc and the veth peer', async () => {
    const n = await node({ version: '1.17', pods: [{ ip: '10.3.0.115' }] });
    const report = await cilium.explainPod({ ip: '10.3.0.115' }, { bpffs: n.bpffs, version: '1.17' });
    expect(report.pod.interface?.ifindex).toBe(n.pods[0].eth0.ifindex);
    expect(report.pod.netns?.path).toContain(n.pods[0].netns.name);
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
    // The gateway is the node's own address (a host entry in cilium_lxc): no pod holds it.
    const own = await cilium.explainPod({ ip: '10.3.0.179' }, { bpffs: n.bpffs, version: '1.17' });
    expect(own.pod.netns).toBeUndefined();
    expect(own.errors).toContainEqual({ step: 'find pod by IP', message: 'no network namespace holds 10.3.0.179' });
  });

  it('explainPod from an IP finds a pod whose namespace only a process\'s fd holds (a runtime\'s handle, the name gone)', async () => {
    let holder: ChildProcess | undefined;
    cleanup(() => holder?.kill()); // after the node's teardown (the last cleanup runs first), which deletes the pod's veth
    const n = await node({ version: '1.17', pods: [{ ip: '10.3.0.115' }] });
    const [pod] = n.pods;
    const fd = openSync(pod.netns.path, 'r');
    try {
      holder = spawn('sleep', ['60'], { stdio: ['ignore', 'ignore', 'ignore', fd] });
    } finally {
      closeSync(fd);
    }
    await once(holder, 'spawn');
    // The namespace's mount goes, and with it the name (listNetns skips a bare file); the node's
    // teardown unlinks the file.
    run('umount', ['--lazy', pod.netns.path]); // as `ip netns del` does: the sleeper's fd keeps it busy
    const path = `/proc/${holder.pid}/fd/3`;
    const inode = statSync(path).ino;
    const report = await cilium.explainPod({ ip: '10.3.0.115' }, { bpffs: n.bpffs, version: '1.17' });
    expect(report.pod.netns).toEqual({ path, inode });
    expect(report.pod.interface?.ifindex).toBe(pod.eth0.ifindex);
    expect(report.hostVeth).toMatchObject({ name: pod.lxc.name, ifindex: pod.lxc.ifindex });
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(cilium.format.pod(report)).toContain(`netns ${inode} (${path})`);
  });

  it('reports each deliberate break as a finding', async () => {
    const n = await node({
      version: '1.18',
      pods: [
        { ip: '10.3.0.115', faults: ['endpoint-ifindex'] },
        { ip: '10.3.0.116', faults: ['ipcache'] },
        { ip: '10.3.0.117', faults: ['program'] },
        { ip: '10.3.0.118', faults: ['gateway-neighbor'] },
        { ip: '10.3.0.119', faults: ['egress-gateway'] },
      ],
    });
    const codes = async (pod: number) => {
      const r = await cilium.explainPod({ netns: { name: n.pods[pod].netns.name } }, { bpffs: n.bpffs, version: '1.18' });
      return r.findings.filter((f) => f.severity !== 'info').map((f) => f.code);
    };
    expect(await codes(0)).toEqual(['endpoint-ifindex-mismatch']);
    expect(await codes(1)).toEqual(['ipcache-missing']);
    expect(await codes(2)).toEqual(['no-ingress-program']);
    expect(await codes(3)).toEqual(['gateway-mac-not-host-veth']);
    expect(await codes(4)).toEqual(['egress-no-gateway']);
    const text = cilium.format.pod(await cilium.explainPod({ ip: '10.3.0.115' }, { bpffs: n.bpffs, version: '1.18' }));
    expect(text).toMatch(/ERROR\s+endpoint-ifindex-mismatch: cilium_lxc says endpoint 100 is on ifindex \d+, but the pod's host veth lxc\w+ is ifindex \d+/);
  });

  it('1.15 uses a legacy tc filter named <prog>-<ifname>, which explainPod accepts', async () => {
    const n = await node({ version: '1.15', pods: [{ ip: '10.3.0.115' }] });
    const [pod] = n.pods;
    const report = await cilium.explainPod({ netns: { name: pod.netns.name } }, { bpffs: n.bpffs, version: '1.15' });
    expect(report.hostVeth!.attachments).toEqual([expect.objectContaining({ hook: 'tc/ingress', progName: 'cil_from_container' })]);
    expect(report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect((await cilium.ipcache({ bpffs: n.bpffs })).layout.map).toBe('cilium_ipcache');
  });
});
