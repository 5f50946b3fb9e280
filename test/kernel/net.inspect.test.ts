// The network view against ip, tc, bpftool and ethtool on a small world of pods in namespaces.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  BpfError,
  findPeer,
  getEthtoolStats,
  listAddresses,
  listAttachments,
  listInterfaces,
  listLinks,
  listNeighbors,
  listNetns,
  listRoutes,
  resolveContainer,
  type InterfaceInfo,
  type MprogAttachment,
  type TcAttachment,
  type XdpAttachment,
} from 'bpfscope';
import { createLink, createNetns, createVeth, loadProgram, pin, setLink } from 'bpfscope/testing';
import { bpftool, cleanup, describeKernel, ipJson, mustBpffs, mustNetns, mustVeth, owned, run, tempDir, uniqueName } from '../helpers/kernel';
import { buildWorld, GATEWAY, type World } from '../helpers/networld';
import { PACKAGE_ROOT } from '../helpers/trace';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = Record<string, any>;

describeKernel('network view', () => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld(3);
  });
  afterAll(async () => {
    await world?.teardown();
  });

  /** Our interface against one entry of `ip -j -d link`. */
  function expectSameLink(ours: InterfaceInfo, ip: Json): void {
    expect(ours.ifindex).toBe(ip.ifindex);
    expect(ours.name).toBe(ip.ifname);
    expect(ours.flags).toEqual(ip.flags);
    expect(ours.mtu).toBe(ip.mtu);
    expect(ours.qdisc).toBe(ip.qdisc);
    expect(ours.operState).toBe(ip.operstate);
    expect(ours.txqlen).toBe(ip.txqlen);
    expect(ours.linkType).toBe(ip.link_type);
    expect(ours.mac).toBe(ip.address);
    expect(ours.broadcast).toBe(ip.broadcast);
    expect(ours.minMtu).toBe(ip.min_mtu);
    expect(ours.maxMtu).toBe(ip.max_mtu);
    expect(ours.promiscuity).toBe(ip.promiscuity);
    expect(ours.numTxQueues).toBe(ip.num_tx_queues);
    expect(ours.numRxQueues).toBe(ip.num_rx_queues);
    expect(ours.kind).toBe(ip.linkinfo?.info_kind);
    expect(ours.slaveKind).toBe(ip.linkinfo?.info_slave_kind);
    expect(ours.master).toBe(ip.master);
    if (ip.master === undefined) expect(ours.masterIfindex).toBeUndefined();
    expect(ours.linkNetnsId).toBe(ip.link_netnsid);
    expect(ours.linkMode === undefined ? undefined : (['DEFAULT', 'DORMANT'][ours.linkMode] ?? ours.linkMode)).toBe(ip.linkmode);
    expect(ours.group === 0 ? 'default' : String(ours.group)).toBe(ip.group);
    expect(ours.alias).toBe(ip.ifalias);
    // ip prints link_index when the peer is elsewhere, else the peer's name as `link`.
    if (ip.link_index !== undefined) expect(ours.linkIndex).toBe(ip.link_index);
    if (typeof ip.link === 'string') expect(ours.linkIndex).toBeGreaterThan(0);
    if (ip.xdp) {
      expect(ours.xdp?.mode).toBe(['none', 'driver', 'generic', 'offload'][ip.xdp.mode]);
      expect(ours.xdp?.progId).toBe(ip.xdp.prog.id);
    } else {
      expect(ours.xdp?.progs ?? []).toEqual([]);
    }
  }

  it('lists interfaces in the own namespace and in pods with the values of `ip -j -d link`', async () => {
    const host = await listInterfaces();
    const theirs = ipJson<Json[]>(['-d', 'link', 'show']);
    for (const p of world.pods) {
      const ours = host.find((i) => i.name === p.host)!;
      expectSameLink(ours, theirs.find((i) => i.ifname === p.host)!);
      expect(ours.kind).toBe('veth');
      expect(ours.linkIndex).toBe(p.podIfindex);
      expect(ours.mac).toBe(p.hostMac);
    }
    expectSameLink(host.find((i) => i.name === world.bridge)!, theirs.find((i) => i.ifname === world.bridge)!);
    const port = host.find((i) => i.name === world.bridgePort)!;
    expect(port.master).toBe(world.bridge);
    expect(port.slaveKind).toBe('bridge');
    expectSameLink(port, theirs.find((i) => i.ifname === world.bridgePort)!);
    expect(host.find((i) => i.name === world.pods[2].host)!.xdp?.mode).toBe('generic');

    for (const p of world.pods) {
      const ours = await listInterfaces({ netns: { name: p.netns } });
      const inPod = ipJson<Json[]>(['-d', 'link', 'show'], p.netns);
      expect(ours.map((i) => i.name).sort()).toEqual(inPod.map((i) => i.ifname).sort());
      for (const i of ours) expectSameLink(i, inPod.find((t) => t.ifname === i.name)!);
      const eth0 = ours.find((i) => i.name === 'eth0')!;
      expect(eth0.linkIndex).toBe(p.hostIfindex);
      expect(eth0.operState).toBe('UP');
    }
  });

  it('says NO-CARRIER and M-DOWN, as ip does, for a device that is up while its peer is down, with its alias, group and link mode', async () => {
    const netns = { name: world.pods[0].netns };
    const veth = await createVeth({ netns, name: 'nocarrier0', peerName: 'nocarrier1', up: false });
    try {
      await setLink({ netns, ifname: 'nocarrier0', up: true });
      // …and the fields the pods' devices leave at their defaults.
      run('ip', ['-n', netns.name, 'link', 'set', 'dev', 'nocarrier0', 'alias', 'uplink to nowhere', 'group', '7', 'mode', 'dormant']);
      const theirs = ipJson<Json[]>(['-d', 'link', 'show', 'dev', 'nocarrier0'], netns.name)[0];
      expect(theirs.flags).toEqual(expect.arrayContaining(['NO-CARRIER', 'M-DOWN']));
      expectSameLink((await listInterfaces({ netns })).find((i) => i.name === 'nocarrier0')!, theirs);
    } finally {
      await veth.remove();
    }
  });

  it('reads 64-bit counters as bigint, matching `ip -s -j link` on a quiet device', async () => {
    const p = world.pods[0];
    const [ours] = (await listInterfaces({ netns: { name: p.netns } })).filter((i) => i.name === 'lo');
    const [theirs] = ipJson<Json[]>(['-s', 'link', 'show', 'lo'], p.netns);
    expect(typeof ours.stats!.rxPackets).toBe('bigint');
    expect(ours.stats!.rxPackets).toBe(BigInt(theirs.stats64.rx.packets));
    expect(ours.stats!.txBytes).toBe(BigInt(theirs.stats64.tx.bytes));
    expect(ours.stats!.rxDropped).toBe(BigInt(theirs.stats64.rx.dropped));
    expect(ours.stats!.multicast).toBe(BigInt(theirs.stats64.rx.multicast));
    expect(ours.stats!.rxOtherhostDropped).toBe(BigInt(theirs.stats64.rx.otherhost_dropped ?? 0));
  });

  it('lists addresses like `ip -j addr`', async () => {
    for (const ns of [undefined, world.pods[1].netns]) {
      const ours = await listAddresses(ns ? { netns: { name: ns } } : undefined);
      const theirs = ipJson<Json[]>(['addr', 'show'], ns);
      const flat = theirs.flatMap((l) => l.addr_info.map((a: Json) => ({ ...a, ifindex: l.ifindex, ifname: l.ifname })));
      expect(ours.length).toBe(flat.length);
      for (const t of flat) {
        const o = ours.find((a) => a.ifindex === t.ifindex && a.local === t.local)!;
        expect(o, `${t.ifname} ${t.local}`).toBeDefined();
        expect(o.ifname).toBe(t.ifname);
        expect(o.family).toBe(t.family);
        expect(o.prefixlen).toBe(t.prefixlen);
        expect(o.scope).toBe(t.scope);
        expect(o.label).toBe(t.label);
        expect(o.broadcast).toBe(t.broadcast);
        expect(o.address).toBe(t.address);
        // A dynamic address's lifetimes count down between the two reads: ours, read first, may be a second ahead.
        for (const [mine, theirs] of [[o.validLifetime, t.valid_life_time], [o.preferredLifetime, t.preferred_life_time]]) {
          if (theirs === 0xffffffff) expect(mine).toBe(theirs);
          else expect(mine! - theirs).toBeOneOf([0, 1]);
        }
        expect(o.flags.includes('permanent')).toBe(t.dynamic !== true);
      }
    }
    const pod = await listAddresses({ netns: { name: world.pods[1].netns } });
    expect(pod.find((a) => a.ifname === 'eth0' && a.family === 'inet')).toMatchObject({ local: world.pods[1].ip, prefixlen: 32, scope: 'global' });
  });

  /** One of our routes in `ip -j route` spelling. */
  function asIp(r: Awaited<ReturnType<typeof listRoutes>>[number]): Json {
    const o: Json = { dst: r.dst };
    if (r.type !== 'unicast') o.type = r.type;
    if (r.gateway) o.gateway = r.gateway;
    if (r.dev) o.dev = r.dev;
    if (r.table !== 'main') o.table = String(r.table);
    if (r.protocol !== 'boot') o.protocol = r.protocol;
    if (r.scope !== 'global') o.scope = r.scope;
    if (r.prefsrc) o.prefsrc = r.prefsrc;
    if (r.metric !== undefined) o.metric = r.metric;
    if (r.expires !== undefined) o.expires = Math.floor(r.expires);
    o.flags = r.flags;
    return o;
  }

  it('lists routes in all tables like `ip -j route show table all`, with the pod default route via the /32 gateway and a route that expires', async () => {
    const netns = world.pods[0].netns;
    // An IPv6 route that expires, as one a router advertisement taught would.
    run('ip', ['-n', netns, '-6', 'route', 'add', '2001:db8:5::/64', 'dev', 'eth0', 'expires', '300']);
    cleanup(() => run('ip', ['-n', netns, '-6', 'route', 'del', '2001:db8:5::/64', 'dev', 'eth0']));
    for (const ns of [undefined, netns]) {
      const ours = (await listRoutes(ns ? { netns: { name: ns } } : undefined)).map(asIp);
      // With `table all`, ip dumps both families, in the kernel's order as we do.
      const theirs = ipJson<Json[]>(['route', 'show', 'table', 'all'], ns).map((t) => {
        const { pref: _pref, ...rest } = t;
        return rest;
      });
      // An expiring route counts down between the two reads: ours, read first, may be a second ahead.
      theirs.forEach((t, i) => {
        const o = ours[i];
        if (t.expires !== undefined && o?.expires !== undefined && o.expires >= t.expires && o.expires <= t.expires + 1) o.expires = t.expires;
      });
      expect(ours).toEqual(theirs);
    }
    const pod = await listRoutes({ netns: { name: netns } });
    expect(pod.find((r) => r.dst === 'default')).toMatchObject({ gateway: GATEWAY, dev: 'eth0', table: 'main', scope: 'global' });
    expect(pod.find((r) => r.dst === GATEWAY)).toMatchObject({ dev: 'eth0', scope: 'link', dstLen: 32 });
    const expiring = pod.find((r) => r.dst === '2001:db8:5::/64')!;
    expect(expiring.expires).toBeGreaterThan(240);
    expect(expiring.expires).toBeLessThanOrEqual(300);
    expect(Math.round(expiring.expires! * 100) / 100).toBe(expiring.expires); // the kernel's ticks: 1/100 s
    expect(pod.find((r) => r.dst === 'default')!.expires).toBeUndefined();
  });

  it('lists neighbours like `ip -j neigh show nud all`, with the gateway at the host veth MAC', async () => {
    for (const p of world.pods) {
      const ours = await listNeighbors({ netns: { name: p.netns } });
      const theirs = ipJson<Json[]>(['neigh', 'show', 'nud', 'all'], p.netns);
      expect(ours.length).toBe(theirs.length);
      for (const t of theirs) {
        const o = ours.find((n) => n.ip === t.dst && n.dev === t.dev)!;
        expect(o.lladdr).toBe(t.lladdr);
        expect(o.state).toEqual(t.state);
        expect(o.router).toBe(t.router === true);
      }
      expect(ours.find((n) => n.ip === GATEWAY)).toMatchObject({ dev: 'eth0', lladdr: p.hostMac, state: ['PERMANENT'] });
    }
  });

  it('lists attachments per host veth like `bpftool -j net show` and `tc -j filter show`', async () => {
    const [p0, p1, p2] = world.pods;
    const a0 = await listAttachments({ ifname: p0.host });
    const tcx = a0.filter((a): a is MprogAttachment => a.hook.startsWith('tcx/'));
    expect(tcx.map((a) => [a.hook, a.progName, a.position])).toEqual([
      ['tcx/ingress', 'cil_from_container', 0],
      ['tcx/egress', 'cil_to_container', 0],
      ['tcx/egress', 'bpfs_egress_two', 1],
    ]);
    const egress = tcx.filter((a) => a.hook === 'tcx/egress');
    expect(egress[0].revision).toBe(egress[1].revision);
    expect(egress[0].revision).toBeGreaterThanOrEqual(3n); // 1 + two attaches
    expect(tcx.every((a) => a.progType === 'sched_cls' && a.ifname === p0.host && a.ifindex === p0.hostIfindex)).toBe(true);

    for (const p of world.pods) {
      const ours = await listAttachments({ ifname: p.host });
      const [net] = bpftool<Json[]>('net', 'show', 'dev', p.host);
      const theirTc = net.tc.filter((t: Json) => t.ifindex === p.hostIfindex);
      const ourTc = ours.filter((a) => a.hook.startsWith('tc'));
      expect(ourTc.length).toBe(theirTc.length);
      for (let i = 0; i < theirTc.length; i++) {
        const t = theirTc[i];
        const o = ourTc[i];
        if (t.kind.startsWith('tcx/')) {
          const m = o as MprogAttachment;
          expect(m.hook).toBe(t.kind);
          expect(m.progId).toBe(t.prog_id);
          expect(m.linkId).toBe(t.link_id || undefined);
          expect(m.progName).toBe(t.name);
        } else {
          const c = o as TcAttachment;
          expect(c.hook).toBe(t.kind.replace('clsact/', 'tc/'));
          expect(c.progId).toBe(t.id);
          expect(c.tcName).toBe(t.name);
        }
      }
      const theirXdp = net.xdp.filter((x: Json) => x.ifindex === p.hostIfindex);
      const ourXdp = ours.filter((a): a is XdpAttachment => a.hook === 'xdp');
      expect(ourXdp.map((x) => [x.mode, x.progId])).toEqual(theirXdp.map((x: Json) => [x.mode, x.id]));
    }

    const legacy = (await listAttachments({ ifname: p1.host })).find((a): a is TcAttachment => a.hook === 'tc/ingress')!;
    const [filter] = JSON.parse(run('tc', ['-j', 'filter', 'show', 'dev', p1.host, 'ingress'])).filter((f: Json) => f.options);
    expect(legacy.priority).toBe(filter.pref);
    expect(legacy.priority).toBe(7);
    expect(legacy.handle).toBe(Number(filter.options.handle));
    expect(legacy.tcName).toBe(filter.options.bpf_name);
    expect(legacy.tcName).toBe('bpf_lxc.o:[from-container]');
    expect(legacy.directAction).toBe(filter.options['direct-action'] === true);
    expect(legacy.directAction).toBe(true);
    expect(legacy.progId).toBe(filter.options.prog.id);
    expect(legacy.tag).toBe(filter.options.prog.tag);
    expect(legacy.progName).toBe('bpfs_legacy_tc');
    expect(legacy.protocol).toBe(3); // ETH_P_ALL
    const xdp = (await listAttachments({ ifindex: p2.hostIfindex })).find((a) => a.hook === 'xdp') as XdpAttachment;
    expect(xdp).toMatchObject({ mode: 'generic', progId: world.xdpProg.id, progName: 'bpfs_xdp_pass', progType: 'xdp', ifname: p2.host });
  });

  it('reads a cls_bpf filter as tc does (chain, classid, no direct-action), skips other classifiers, and keeps the flow dissector to whole-namespace listings', async () => {
    const ns = mustNetns();
    const netns = { name: ns };
    run('ip', ['-n', ns, 'link', 'add', 'tca0', 'type', 'veth', 'peer', 'name', 'tcb0']);
    const program = owned(await loadProgram({ type: 'sched_cls', name: 'bpfs_chain2' }));
    const pinned = `${await mustBpffs()}/chain2`;
    await pin(program, pinned);
    run('tc', ['-n', ns, 'qdisc', 'add', 'dev', 'tca0', 'clsact']);
    run('tc', ['-n', ns, 'filter', 'add', 'dev', 'tca0', 'ingress', 'prio', '9', 'handle', '5', 'chain', '2', 'bpf', 'object-pinned', pinned, 'classid', '1:2']);
    run('tc', ['-n', ns, 'filter', 'add', 'dev', 'tca0', 'ingress', 'prio', '10', 'u32', 'match', 'u32', '0', '0', 'classid', '1:1']);
    const dissector = owned(await loadProgram({ type: 'flow_dissector', name: 'bpfs_fd' }));
    owned(await createLink(dissector, `/run/netns/${ns}`, 'flow_dissector'));

    const onDevice = await listAttachments({ netns, ifname: 'tca0' });
    const [theirs] = JSON.parse(run('tc', ['-n', ns, '-j', 'filter', 'show', 'dev', 'tca0', 'ingress'])).filter((f: Json) => f.kind === 'bpf' && f.options);
    expect(onDevice).toHaveLength(1); // the u32 filter is not a BPF attachment, and the dissector belongs to no device
    const [major, minor] = theirs.options.flowid.split(':').map((x: string) => parseInt(x, 16));
    expect(onDevice[0]).toMatchObject({
      hook: 'tc/ingress', progId: program.id, progName: 'bpfs_chain2', priority: theirs.pref, chain: theirs.chain, handle: Number(theirs.options.handle),
      classid: major * 0x10000 + minor, directAction: theirs.options['direct-action'] === true, tcName: theirs.options.bpf_name, tag: theirs.options.prog.tag,
    });
    expect(onDevice[0]).toMatchObject({ chain: 2, classid: 0x10002, directAction: false });
    const whole = await listAttachments({ netns });
    expect(whole.filter((a) => a.hook === 'flow_dissector').map((a) => a.progId)).toEqual([dissector.id]);
  });

  it('gives a tcx program attached without a link (BPF_PROG_ATTACH) no linkId, where bpftool prints link_id 0', async () => {
    const veth = mustVeth();
    const linked = owned(await loadProgram({ type: 'sched_cls', name: 'bpfs_tcx_link' }));
    const bare = owned(await loadProgram({ type: 'sched_cls', name: 'bpfs_tcx_bare' }));
    const link = owned(await createLink(linked, veth.hostIfindex, 'tcx_ingress'));
    // bpftool attaches tcx programs with BPF_PROG_ATTACH: the kernel then reports link id 0.
    run('bpftool', ['net', 'attach', 'tcx_ingress', 'id', String(bare.id), 'dev', veth.host]);
    const ours = (await listAttachments({ ifname: veth.host })).filter((a): a is MprogAttachment => a.hook === 'tcx/ingress');
    const [net] = bpftool<Json[]>('net', 'show', 'dev', veth.host);
    const theirs = net.tc.filter((t: Json) => t.kind === 'tcx/ingress');
    expect(theirs.map((t: Json) => [t.prog_id, t.link_id])).toEqual([[linked.id, link.id], [bare.id, 0]]);
    // No link: undefined, as a cgroup attachment's, rather than the kernel's 0 (a link id is never 0).
    expect(ours.map((a) => [a.progId, a.linkId])).toEqual([[linked.id, link.id], [bare.id, undefined]]);
    expect('linkId' in ours[1]).toBe(false);
  });

  it('lists the whole namespace like `bpftool -j net show`, and a pod namespace from a thread inside it', async () => {
    const all = await listAttachments();
    const [net] = bpftool<Json[]>('net', 'show');
    const ourTcx = all.filter((a) => a.hook.startsWith('tcx/')) as MprogAttachment[];
    const theirTcx = net.tc.filter((t: Json) => t.kind.startsWith('tcx/'));
    // bpftool's link_id 0 is a program attached without a link, whose linkId is undefined.
    expect(ourTcx.map((a) => [a.ifindex, a.hook, a.progId, a.linkId])).toEqual(theirTcx.map((t: Json) => [t.ifindex, t.kind, t.prog_id, t.link_id || undefined]));
    expect(all.filter((a) => a.hook === 'flow_dissector').map((a) => a.progId)).toEqual((net.flow_dissector ?? []).map((f: Json) => f.id));

    const p0 = world.pods[0];
    const inPod = await listAttachments({ netns: { name: p0.netns } });
    const [podNet] = JSON.parse(run('ip', ['netns', 'exec', p0.netns, 'bpftool', '-j', 'net', 'show']));
    const podTcx = podNet.tc.filter((t: Json) => t.kind.startsWith('tcx/'));
    expect(podTcx.length).toBe(1);
    const ours = inPod.filter((a) => a.hook.startsWith('tcx/')) as MprogAttachment[];
    expect(ours.map((a) => [a.ifname, a.hook, a.progId, a.linkId, a.progName])).toEqual([
      ['eth0', 'tcx/ingress', podTcx[0].prog_id, undefined, 'bpfs_in_pod'], // no link: bpftool's link_id 0
    ]);
    expect(ours[0].progId).toBe(world.podTcx.id);
  });

  it('lists tcx links like `bpftool -j link show`', async () => {
    const ours = (await listLinks()).filter((l) => l.type === 'tcx');
    const theirs = bpftool<Json[]>('link', 'show').filter((l) => l.type === 'tcx');
    for (const link of world.tcxLinks) {
      const o = ours.find((l) => l.id === link.id)!;
      const t = theirs.find((l) => l.id === link.id)!;
      expect(o).toMatchObject({ type: 'tcx', progId: t.prog_id, ifindex: t.ifindex, attachType: t.attach_type });
    }
  });

  it('finds the host-side peer of a pod eth0 from its pid, as `nsenter … ethtool -S eth0` + `ip link` do', async () => {
    for (const p of world.pods) {
      const ethtool = run('ip', ['netns', 'exec', p.netns, 'ethtool', '-S', 'eth0']);
      const peerIfindex = Number(/peer_ifindex: (\d+)/.exec(ethtool)![1]);
      const stats = await getEthtoolStats({ netns: { pid: p.pid }, ifname: 'eth0' });
      expect(stats.get('peer_ifindex')).toBe(BigInt(peerIfindex));
      for (const line of ethtool.split('\n').slice(1)) {
        const m = /^\s+(\S+): (\d+)$/.exec(line);
        if (m) expect(stats.get(m[1]), m[1]).toBe(BigInt(m[2]));
      }

      const { local, peer } = await findPeer({ netns: { pid: p.pid } });
      expect(local.name).toBe('eth0');
      expect(local.ifindex).toBe(p.podIfindex);
      expect(peer).toBeDefined();
      expect(peer!.ifindex).toBe(peerIfindex);
      expect(peer!.name).toBe(p.host);
      expect(peer!.mac).toBe(p.hostMac);
      expect(peer!.netns.current).toBe(true);
      expect(peer!.foundBy).toBe('IFLA_LINK');
      expect(peer!.attachments.find((a) => a.hook === 'tcx/ingress')?.progName).toBe('cil_from_container');
      expect(peer!.attachments).toEqual(await listAttachments({ ifname: p.host }));
    }
  });

  it('finds the pod namespace, its names and pids from the host-side veth', async () => {
    for (const p of world.pods) {
      const { local, peer } = await findPeer({ ifname: p.host });
      expect(local.ifindex).toBe(p.hostIfindex);
      expect(peer!.name).toBe('eth0');
      expect(peer!.ifindex).toBe(p.podIfindex);
      expect(peer!.netns.names).toEqual([p.netns]);
      expect(peer!.netns.pids).toContain(p.pid);
      expect(peer!.netns.current).toBe(false);
      expect(peer!.netns.nsid).toBe(local.linkNetnsId);
    }
    const p0 = world.pods[0];
    const inPod = await findPeer({ ifname: p0.host });
    expect(inPod.peer!.attachments.map((a) => a.progName)).toEqual(['bpfs_in_pod']);
  });

  it('finds a peer with the same ifindex in another namespace, and a peer in the same namespace, as ethtool does', async () => {
    const [a, b] = [mustNetns(), mustNetns()];
    // Both ends ifindex 7: the kernel still sends IFLA_LINK (7) since the peer is elsewhere.
    run('ip', ['-n', a, 'link', 'add', 'x0', 'index', '7', 'type', 'veth', 'peer', 'name', 'y0', 'netns', b, 'index', '7']);
    run('ip', ['-n', a, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1']);
    const peerIndex = (ifname: string) => Number(/peer_ifindex: (\d+)/.exec(run('ip', ['netns', 'exec', a, 'ethtool', '-S', ifname]))![1]);

    const across = await findPeer({ netns: { name: a }, ifname: 'x0' });
    expect(across.local.ifindex).toBe(7);
    expect(across.peer).toMatchObject({ ifindex: peerIndex('x0'), name: 'y0', foundBy: 'IFLA_LINK' });
    expect(across.peer!.netns).toMatchObject({ names: [b], current: false });

    const same = await findPeer({ netns: { name: a }, ifname: 'p0' });
    expect(same.peer).toMatchObject({ ifindex: peerIndex('p0'), name: 'p1', foundBy: 'IFLA_LINK' });
    expect(same.peer!.netns).toMatchObject({ names: [a], current: false });
  });

  it('gives the peer the fields listInterfaces() gives it: a peer up in the same namespace, a bridged one elsewhere', async () => {
    const [a, b, c] = [mustNetns(), mustNetns(), mustNetns()];
    run('ip', ['-n', a, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1']);
    run('ip', ['-n', a, 'link', 'set', 'p0', 'up']);
    run('ip', ['-n', a, 'link', 'set', 'p1', 'up']);
    run('ip', ['-n', b, 'link', 'add', 'br0', 'type', 'bridge']);
    run('ip', ['-n', b, 'link', 'add', 'h0', 'type', 'veth', 'peer', 'name', 'c0', 'netns', c]);
    run('ip', ['-n', b, 'link', 'set', 'h0', 'master', 'br0']);

    // Counters aside: the devices that are up send IPv6 neighbour discovery meanwhile.
    const fields = ({ stats: _stats, ...rest }: InterfaceInfo) => rest;
    const same = await findPeer({ netns: { name: a }, ifname: 'p0' });
    const p1 = (await listInterfaces({ netns: { name: a } })).find((l) => l.name === 'p1')!;
    expect(p1.flags).not.toContain('M-DOWN');
    expect(fields(same.peer!.interface)).toEqual(fields(p1));

    const bridged = await findPeer({ netns: { name: c }, ifname: 'c0' });
    const h0 = (await listInterfaces({ netns: { name: b } })).find((l) => l.name === 'h0')!;
    expect(ipJson<{ master?: string }[]>(['link', 'show', 'h0'], b)[0].master).toBe('br0');
    expect(h0.master).toBe('br0');
    expect(fields(bridged.peer!.interface)).toEqual(fields(h0));
  });

  it('lists proxy neighbour entries as `ip -j neigh show proxy` does, after the others, with proxy true', async () => {
    const ns = mustNetns();
    run('ip', ['-n', ns, 'link', 'add', 'n0', 'type', 'veth', 'peer', 'name', 'n1']);
    run('ip', ['-n', ns, 'neigh', 'add', 'proxy', '10.88.0.100', 'dev', 'n0']);
    run('ip', ['-n', ns, 'neigh', 'add', 'proxy', 'fd00::100', 'dev', 'n0']);
    run('ip', ['-n', ns, 'neigh', 'add', '10.88.0.1', 'lladdr', '02:00:00:00:00:01', 'dev', 'n0']);
    const theirs = ipJson<{ dst: string; dev: string }[]>(['neigh', 'show', 'proxy'], ns);
    expect(theirs.map((n) => n.dst).sort()).toEqual(['10.88.0.100', 'fd00::100']);
    const ours = await listNeighbors({ netns: { name: ns } });
    expect(ours.filter((n) => n.proxy).map((n) => ({ dst: n.ip, dev: n.dev })).sort((a, b) => a.dst.localeCompare(b.dst))).toEqual(theirs.map((n) => ({ dst: n.dst, dev: n.dev })).sort((a, b) => a.dst.localeCompare(b.dst)));
    // The others as `ip -j neigh show nud all` lists them, first.
    const plain = ipJson<{ dst: string }[]>(['neigh', 'show', 'nud', 'all'], ns).map((n) => n.dst);
    expect(ours.slice(0, plain.length).map((n) => n.ip)).toEqual(plain);
    expect(ours.slice(0, plain.length).every((n) => !n.proxy)).toBe(true);
    expect(ours).toHaveLength(plain.length + 2);
  });

  it('lists alternative names as `ip -j -d link` does, and findPeer takes one for the name', async () => {
    const ns = mustNetns();
    run('ip', ['-n', ns, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'a1']);
    run('ip', ['-n', ns, 'link', 'property', 'add', 'dev', 'a0', 'altname', 'pod-uplink', 'altname', 'podA0']);
    const theirs = ipJson<{ ifname: string; altnames?: string[] }[]>(['-d', 'link', 'show'], ns);
    const ours = await listInterfaces({ netns: { name: ns } });
    expect(theirs.find((l) => l.ifname === 'a0')!.altnames).toEqual(['pod-uplink', 'podA0']);
    for (const l of theirs) expect(ours.find((o) => o.name === l.ifname)!.altNames).toEqual(l.altnames);
    const byAltName = await findPeer({ netns: { name: ns }, ifname: 'podA0' });
    expect(byAltName.local.name).toBe('a0');
    expect(byAltName.peer).toMatchObject({ name: 'a1' });
    // An altname is up to 127 characters, past the 15 of a name: findPeer matches it itself.
    const long = `pod-uplink-${'x'.repeat(116)}`;
    run('ip', ['-n', ns, 'link', 'property', 'add', 'dev', 'a1', 'altname', long]);
    const byLongAltName = await findPeer({ netns: { name: ns }, ifname: long });
    expect(byLongAltName.local.name).toBe('a1');
    expect(byLongAltName.peer).toMatchObject({ name: 'a0' });
    await expect(findPeer({ netns: { name: ns }, ifname: `${long}x` })).rejects.toThrow('findPeer: ifname must be an interface name of 1 to 127 bytes');
  });

  it('takes an alternative name longer than 15 bytes for listAttachments and getEthtoolStats, as for the device\'s name', async () => {
    const p = world.pods[0];
    const long = `${p.host}-uplink-${'y'.repeat(90)}`;
    run('ip', ['link', 'property', 'add', 'dev', p.host, 'altname', long]);
    try {
      const byName = await listAttachments({ ifname: p.host });
      expect(byName.some((a) => a.hook === 'tcx/ingress')).toBe(true);
      expect(await listAttachments({ ifname: long })).toEqual(byName);
      // SIOCETHTOOL takes 15 bytes: the addon asks by the device's name, as `ethtool -S` must.
      const ethtool = run('ethtool', ['-S', p.host]);
      const stats = await getEthtoolStats({ ifname: long });
      expect(stats.get('peer_ifindex')).toBe(BigInt(/peer_ifindex: (\d+)/.exec(ethtool)![1]));
      expect([...stats.keys()]).toEqual([...ethtool.matchAll(/^\s+(\S+): \d+$/gm)].map((m) => m[1]));
      for (const call of [() => listAttachments({ ifname: `${long}z` }), () => getEthtoolStats({ ifname: `${long}z` })]) {
        await expect(call()).rejects.toMatchObject({ code: 'ENODEV', op: 'RTM_GETLINK', object: `interface ${long}z` });
      }
    } finally {
      run('ip', ['link', 'property', 'del', 'dev', p.host, 'altname', long]);
    }
  });

  it('finds no peer for a macvlan, whose IFLA_LINK names its lower device, here or in another namespace', async () => {
    const [a, b] = [mustNetns(), mustNetns()];
    run('ip', ['-n', a, 'link', 'add', 'low0', 'type', 'veth', 'peer', 'name', 'low1']);
    run('ip', ['-n', a, 'link', 'add', 'mv0', 'link', 'low0', 'type', 'macvlan']);
    run('ip', ['-n', a, 'link', 'add', 'mv1', 'link', 'low0', 'type', 'macvlan']);
    run('ip', ['-n', a, 'link', 'set', 'mv1', 'netns', b]); // as Multus moves one into a pod
    const lower = ipJson<{ ifindex: number }[]>(['link', 'show', 'low0'], a)[0].ifindex;
    expect(ipJson<{ link_index?: number; link?: string }[]>(['link', 'show', 'mv0'], a)[0]).toMatchObject({ link: 'low0' });

    const here = await findPeer({ netns: { name: a }, ifname: 'mv0' });
    expect(here.local).toMatchObject({ name: 'mv0', kind: 'macvlan', linkIndex: lower });
    expect(here.peer).toBeUndefined();
    const moved = await findPeer({ netns: { name: b }, ifname: 'mv1' });
    expect(moved.local).toMatchObject({ name: 'mv1', kind: 'macvlan', linkIndex: lower });
    expect(moved.peer).toBeUndefined();
    // The veth under them still has its peer.
    expect((await findPeer({ netns: { name: a }, ifname: 'low0' })).peer).toMatchObject({ name: 'low1' });
  });

  it('finds a namespace held only by a bind mount outside /var/run/netns (as Docker holds its own), and a peer in it', async () => {
    const dir = tempDir('bpfscope-held-');
    const file = join(dir, 'netns');
    const name = uniqueName('held');
    const host = uniqueName('hv');
    cleanup(() => {
      // In this order: the host veth, the two mounts that keep the namespace, the file, the name.
      for (const step of [['ip', 'link', 'del', host], ['umount', file], ['umount', file], ['ip', 'netns', 'del', name]]) {
        try {
          run(step[0], step.slice(1));
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    });
    run('ip', ['netns', 'add', name]);
    writeFileSync(file, '');
    run('mount', ['--bind', `/run/netns/${name}`, file]);
    run('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
    run('ip', ['netns', 'del', name]); // the name goes; the bind mount keeps the namespace
    // A second mount stacked on the first (made after the name went, which it would propagate to):
    // one file, listed once.
    run('mount', ['--bind', file, file]);

    const held = (await listNetns()).find((ns) => ns.mounts.includes(file));
    expect(held).toMatchObject({ inode: statSync(file).ino, names: [], pids: [], mounts: [file], path: file, current: false });
    const { peer } = await findPeer({ ifname: host });
    expect(peer).toMatchObject({ name: 'eth0', netns: { inode: held!.inode, path: file } });
  });

  /**
   * Starts `command` (killed when the test ends, even when it fails) and waits until `ready(pid)`:
   * the fixtures that hold a namespace the way a runtime does.
   */
  async function holder(command: string[], ready: (pid: number) => boolean, fds: number[] = []): Promise<number> {
    const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'ignore', 'inherit', ...fds] });
    cleanup(() => child.kill());
    const pid = child.pid!;
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) throw new Error(`${command.join(' ')} exited with ${child.exitCode}`);
      try {
        if (ready(pid)) return pid;
      } catch {
        // not there yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${command.join(' ')} did not get ready`);
  }
  const runsSleep = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8') === 'sleep\n';

  it('finds namespaces held only by processes\' fds, opened through /proc or through a name since deleted, and peers in them', async () => {
    const other = mustNetns();
    // A shell in a new namespace opens its own and goes back to this one as sleep, keeping the fd.
    const procHolder = await holder(
      ['unshare', '-n', 'sh', '-c', `exec 3</proc/self/ns/net; exec nsenter --net=/proc/${process.pid}/ns/net sleep 600`],
      runsSleep,
    );
    // One opened through its name, the way a netns handle is: the name then goes.
    const named = await createNetns(uniqueName('fdname'));
    cleanup(() => named.remove());
    const fd = openSync(named.path, 'r');
    let nameHolder: number;
    try {
      nameHolder = await holder(['sleep', '600'], runsSleep, [fd]);
    } finally {
      closeSync(fd);
    }
    await named.remove();
    const viaProc = `/proc/${procHolder}/fd/3`;
    const viaName = `/proc/${nameHolder}/fd/3`;
    // The first fd's link names the namespace; the second's is its mount's path, "/" once unmounted.
    expect(readlinkSync(viaProc)).toBe(`net:[${statSync(viaProc).ino}]`);
    expect(readlinkSync(viaName)).toBe('/');
    await createVeth({ netns: { path: viaProc }, name: 'b0', peerName: 'b1', peerNetns: { name: other } });
    await createVeth({ netns: { path: viaName }, name: 'c0', peerName: 'c1', peerNetns: { name: other } });
    await createVeth({ netns: { path: viaProc }, name: 'a0', peerName: 'a1' });

    const all = await listNetns();
    const cheap = await listNetns({ fds: false });
    expect(cheap.every((ns) => ns.fds === undefined)).toBe(true);
    for (const [pid, path, device, peer] of [[procHolder, viaProc, 'b0', 'b1'], [nameHolder, viaName, 'c0', 'c1']] as const) {
      const { ino: inode, dev } = statSync(path);
      // No nsid here: its only veth links it to `other`.
      expect(all.filter((ns) => ns.inode === inode)).toEqual([{ inode, dev, names: [], pids: [], mounts: [], foreignMounts: [], fds: [{ pid, fd: 3 }], threads: [], path, current: false }]);
      expect(cheap.some((ns) => ns.inode === inode)).toBe(false);
      // From the other end: the fd scan runs once the namespaces found without it have no such nsid.
      const inside = JSON.parse(run('nsenter', [`--net=${path}`, 'ip', '-j', 'link', 'show', device])) as { ifindex: number }[];
      const found = await findPeer({ netns: { name: other }, ifname: peer });
      expect(found.peer).toMatchObject({ name: device, ifindex: inside[0].ifindex, netns: { inode, fds: [{ pid, fd: 3 }], path } });
    }
    // A peer in the namespace the caller names, by a path that is no holder's.
    const fdHere = openSync(viaProc, 'r');
    try {
      const same = await findPeer({ netns: { path: `/proc/self/fd/${fdHere}` }, ifname: 'a0' });
      const fds = [{ pid: procHolder, fd: 3 }, { pid: process.pid, fd: fdHere }].sort((x, y) => x.pid - y.pid);
      expect(same.peer).toMatchObject({ name: 'a1', netns: { inode: statSync(viaProc).ino, fds, path: `/proc/${fds[0].pid}/fd/${fds[0].fd}` } });
    } finally {
      closeSync(fdHere);
    }
  });

  it('finds a namespace that only a thread is in, which entered it alone, and peers in it', async () => {
    const other = mustNetns();
    // A second thread of python3 unshares a namespace of its own (CLONE_NEWNET), as Go's netns.Do
    // enters one on a locked OS thread; its process stays in this one.
    const script = [
      'import ctypes, os, threading, time',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'def enter():',
      '    if libc.unshare(0x40000000) != 0: os._exit(3)',
      '    time.sleep(600)',
      'threading.Thread(target=enter, daemon=True).start()',
      'time.sleep(600)',
    ].join('\n');
    let tid = 0;
    const pid = await holder(['python3', '-c', script], (p) => {
      const own = statSync(`/proc/${p}/ns/net`).ino;
      tid = readdirSync(`/proc/${p}/task`).map(Number).find((t) => t !== p && statSync(`/proc/${p}/task/${t}/ns/net`).ino !== own) ?? 0;
      return tid !== 0;
    });
    const path = `/proc/${pid}/task/${tid}/ns/net`;
    const { ino: inode, dev } = statSync(path);
    expect(readlinkSync(path)).toBe(`net:[${inode}]`);
    expect(statSync(`/proc/${pid}/ns/net`).ino).toBe(statSync('/proc/self/ns/net').ino);
    await createVeth({ netns: { path }, name: 't0', peerName: 't1', peerNetns: { name: other } });

    const all = await listNetns();
    expect(all.filter((ns) => ns.inode === inode)).toEqual([{ inode, dev, names: [], pids: [], mounts: [], foreignMounts: [], fds: [], threads: [{ pid, tid }], path, current: false }]);
    // The process itself is listed where its first thread is, and its other threads with it.
    const current = all.find((ns) => ns.current)!;
    expect(current.pids).toContain(pid);
    expect(all.flatMap((ns) => ns.threads ?? []).filter((t) => t.pid === pid)).toEqual([{ pid, tid }]);
    // Threads are read with fds unless asked for alone: { fds: false } stays the cheap scan.
    expect((await listNetns({ fds: false, threads: true })).some((ns) => ns.inode === inode && ns.fds === undefined)).toBe(true);
    expect((await listNetns({ fds: false })).some((ns) => ns.inode === inode || ns.threads !== undefined)).toBe(false);
    const without = await listNetns({ threads: false });
    expect(without.some((ns) => ns.inode === inode)).toBe(false);
    expect(without.every((ns) => ns.threads === undefined)).toBe(true);
    // From the other end: found by the scan that reads threads, once the first has no such nsid.
    const inside = JSON.parse(run('nsenter', [`--net=${path}`, 'ip', '-j', 'link', 'show', 't0'])) as { ifindex: number }[];
    const found = await findPeer({ netns: { name: other }, ifname: 't1' });
    expect(found.peer).toMatchObject({ name: 't0', ifindex: inside[0].ifindex, netns: { inode, threads: [{ pid, tid }], path } });
  });

  it('finds a namespace that only a socket holds, with { sockets: true }, and enters it through /proc/PID/fd/FD', async () => {
    const other = mustNetns();
    const dir = tempDir('bpfscope-socket-');
    cleanup(() => rmSync(dir, { recursive: true, force: true }));
    // bash makes a UDP socket in a new namespace, with a veth to `other`, writes down what ss, stat
    // and ip see there, and goes back to this one as sleep: the socket is all that holds the namespace.
    const script = [
      `ip link set lo up && ip link add d0 type veth peer name d1 netns ${other} && exec 3<>/dev/udp/127.0.0.1/9`,
      `ss -u -4 -a -n -e -H > ${dir}/ss && stat -L -c %i /proc/self/ns/net > ${dir}/ns && ip -j link show d0 > ${dir}/d0`,
      `exec nsenter --net=/proc/${process.pid}/ns/net sleep 600`,
    ].join(' && ');
    const pid = await holder(['unshare', '-n', 'bash', '-c', script], runsSleep);
    const socket = Number(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/3`))?.[1]);
    // ss inside the namespace: the one UDP socket, as `ino:INODE`.
    expect(readFileSync(`${dir}/ss`, 'utf8')).toMatch(new RegExp(`^ESTAB .* 127\\.0\\.0\\.1:9 +ino:${socket} `));
    const inode = Number(readFileSync(`${dir}/ns`, 'utf8'));
    const [d0] = JSON.parse(readFileSync(`${dir}/d0`, 'utf8')) as { ifindex: number; address: string }[];
    expect(inode).not.toBe(statSync('/proc/self/ns/net').ino);

    const all = await listNetns({ sockets: true });
    const path = `/proc/${pid}/fd/3`;
    // AF_INET, SOCK_DGRAM, IPPROTO_UDP.
    const sockets = [{ pid, fd: 3, inode: socket, family: 2, type: 2, protocol: 17 }];
    expect(all.filter((ns) => ns.inode === inode)).toEqual([
      { inode, dev: statSync('/proc/self/ns/net').dev, names: [], pids: [], mounts: [], foreignMounts: [], fds: [], threads: [], sockets, path, current: false },
    ]);
    // Only sockets made in another namespace than their process's are listed.
    expect(all.flatMap((ns) => (ns.sockets ?? []).filter((k) => k.pid === process.pid))).toEqual([]);
    // Not asked for, not read: the default scan neither lists the namespace nor says it has no sockets.
    const without = await listNetns();
    expect(without.some((ns) => ns.inode === inode || ns.sockets !== undefined)).toBe(false);
    // The path enters the socket's namespace, where ip saw d0.
    const inside = await listInterfaces({ netns: { path } });
    expect(inside.find((i) => i.name === 'd0')).toMatchObject({ ifindex: d0.ifindex, mac: d0.address });
    // From the other end: found by the scan that reads sockets, once the others have no such nsid.
    const [d1] = ipJson<{ link_netnsid?: number }[]>(['link', 'show', 'd1'], other);
    expect(d1.link_netnsid).toBeGreaterThanOrEqual(0);
    const found = await findPeer({ netns: { name: other }, ifname: 'd1' });
    expect(found.peer).toMatchObject({ name: 'd0', ifindex: d0.ifindex, netns: { inode, sockets, path } });
    // bpfscope netns --sockets names it by the table ss lists it in.
    const cli = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'dist/cjs/cli/main.js'), 'netns', '--sockets'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(cli.stdout).toMatch(new RegExp(`^${inode} +- +udp socket fd 3 of ${pid}$`, 'm'));
    // A socket named by any other path, and a socket fd that is closed, are clear errors.
    await expect(listInterfaces({ netns: { path: `/proc/${pid}/task/${pid}/fd/3` } })).rejects.toMatchObject({
      code: 'EINVAL', op: 'setns', detail: expect.stringContaining('a socket, whose namespace is reached only as /proc/PID/fd/FD'),
    });
    await expect(listInterfaces({ netns: { path: `/proc/${pid}/fd/9` } })).rejects.toMatchObject({ code: 'ENOENT', op: 'open /proc/PID/fd', detail: 'the process or its fd is gone' });
  });

  it('finds a namespace bind-mounted only in another mount namespace, and opens it through /proc/PID/root', async () => {
    const dir = tempDir('bpfscope-mntns-');
    cleanup(() => rmdirSync(dir)); // empty here: the tmpfs is the other mount namespace's
    const other = mustNetns();
    // A private mount namespace starts with copies of this one's mounts: every nsfs one is
    // unmounted there but `other`'s name (a copy would keep another test's deleted namespace
    // alive), then a new namespace is bind-mounted on a tmpfs only it has, as a runtime in its own
    // mount namespace does.
    const script = [
      `for m in $(awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "nsfs" && $5 != "/run/netns/${other}") print $5; break } }' /proc/self/mountinfo); do umount "$m"; done`,
      `mount -t tmpfs none ${dir} && touch ${dir}/ns && unshare --net=${dir}/ns ip link add e0 type veth peer name e1 netns ${other} && exec sleep 600`,
    ].join('; ');
    const pid = await holder(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script], runsSleep);
    const path = `/proc/${pid}/root${dir}/ns`;
    const mntns = statSync(`/proc/${pid}/ns/mnt`).ino;
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(`${dir}/ns`);

    const all = await listNetns();
    const { ino: inode, dev } = statSync(path);
    expect(all.filter((ns) => ns.inode === inode)).toEqual([{
      inode, dev, names: [], pids: [], mounts: [], foreignMounts: [{ mntns, pid, mountPoint: `${dir}/ns`, path }], fds: [], threads: [], path, current: false,
    }]);
    // Mounted in both mount namespaces at the same place: the other's copy is no holder of its own.
    expect(readFileSync(`/proc/${pid}/mountinfo`, 'utf8')).toContain(`/run/netns/${other} `);
    expect(all.find((ns) => ns.names.includes(other))?.foreignMounts).toEqual([]);
    // Found without the fd scan, from the other end.
    expect((await listNetns({ fds: false })).some((ns) => ns.inode === inode)).toBe(true);
    const inside = JSON.parse(run('nsenter', [`--net=${path}`, 'ip', '-j', 'link', 'show', 'e0'])) as { ifindex: number }[];
    const found = await findPeer({ netns: { name: other }, ifname: 'e1' });
    expect(found.peer).toMatchObject({ name: 'e0', ifindex: inside[0].ifindex, netns: { inode, path, foreignMounts: [{ mntns, pid }] } });
  });

  it('agrees with lsns -t net on the namespaces of processes', async () => {
    const lsns = (JSON.parse(run('lsns', ['-t', 'net', '-J', '-o', 'NS,NPROCS,PID,NSFS'])) as { namespaces: { ns: number; nprocs: number; pid: number; nsfs: string | null }[] }).namespaces;
    const all = await listNetns();
    for (const p of world.pods) {
      const ours = all.find((n) => n.names.includes(p.netns))!;
      const theirs = lsns.find((n) => n.ns === ours.inode);
      expect(theirs).toEqual({ ns: ours.inode, nprocs: ours.pids.length, pid: ours.pids[0], nsfs: `/run/netns/${p.netns}` });
    }
  });

  it('lists network namespaces with names, pids and nsids like `ip -j netns list`', async () => {
    const lonely = mustNetns(); // no device links it to another namespace: no nsid assigned
    // The bare file `ip netns add` mounts over, left behind with nothing mounted on it.
    const stale = uniqueName('stale');
    writeFileSync(`/var/run/netns/${stale}`, '', { flag: 'wx', mode: 0 });
    cleanup(() => unlinkSync(`/var/run/netns/${stale}`));
    const all = await listNetns();
    const theirs = ipJson<Json[]>(['netns', 'list']);
    expect(theirs.find((t) => t.name === lonely)).toEqual({ name: lonely });
    expect(theirs.find((t) => t.name === stale)).toEqual({ name: stale });
    expect(all.filter((n) => n.names.includes(stale))).toEqual([]);
    expect(all.find((n) => n.names.includes(lonely))?.nsid).toBeUndefined();
    const keys = all.map((n) => `${n.dev}:${n.inode}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(all.filter((n) => n.current).length).toBe(1);
    expect(all.find((n) => n.current)!.pids).toContain(process.pid);
    for (const p of world.pods) {
      const ns = all.find((n) => n.names.includes(p.netns))!;
      expect(ns.pids).toContain(p.pid);
      expect(ns.nsid).toBe(theirs.find((t) => t.name === p.netns)?.id);
      const inode = Number(run('stat', ['-L', '-c', '%i', `/var/run/netns/${p.netns}`]).trim());
      expect(ns.inode).toBe(inode);
    }
  });

  it('shares scans among concurrent listNetns calls, each still seeing what existed when it was called', async () => {
    // Every scan ends in one netNsids call for the caller's namespace: counting those counts scans.
    type Nsids = (netns: string | undefined, paths: string[]) => Promise<(number | null)[]>;
    const addon = (require(join(PACKAGE_ROOT, 'dist/cjs/native.js')) as { native(): { netNsids: Nsids } }).native();
    const real = addon.netNsids;
    let scans = 0;
    addon.netNsids = (netns, paths) => {
      if (netns === undefined) scans++;
      return real.call(addon, netns, paths);
    };
    try {
      const first = listNetns();
      const made = mustNetns(); // while the first scan is in flight
      const lists = await Promise.all([first, ...Array.from({ length: 40 }, () => listNetns())]);
      // One scan per call stalled the event loop for a second with 150 pods; now the calls made
      // during the first scan wait for one more, which they share.
      expect(scans).toBeLessThanOrEqual(2);
      for (const list of lists.slice(1)) expect(list.some((ns) => ns.names.includes(made))).toBe(true);
      // Shared, but each caller's own: changing one result changes no other.
      lists[1].find((ns) => ns.names.includes(made))!.names.push('changed');
      expect(lists[2].find((ns) => ns.names.includes(made))!.names).toEqual([made]);
    } finally {
      addon.netNsids = real;
    }
  });

  it('resolves a container id (full, short, containerd:// URL) to its pids and netns', async () => {
    for (const p of world.pods) {
      const inode = Number(run('stat', ['-L', '-c', '%i', `/var/run/netns/${p.netns}`]).trim());
      for (const id of [p.containerId, p.containerId.slice(0, 12), `containerd://${p.containerId}`]) {
        const c = await resolveContainer(id);
        expect(c.id).toBe(p.containerId);
        expect(c.runtime).toBe('containerd');
        expect(c.pids).toEqual([p.pid]);
        expect(c.cgroup).toBe(`/${world.cgroupRoot.split('/').pop()}/cri-containerd-${p.containerId}.scope`);
        expect(c.netns).toMatchObject({ pid: p.pid, inode });
      }
    }
    const err = await resolveContainer('ffffffffffff').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({ code: 'ENOENT', op: 'resolveContainer' });
    await expect(resolveContainer('not-hex')).rejects.toBeInstanceOf(RangeError);
    await expect(resolveContainer(42 as unknown as string)).rejects.toBeInstanceOf(TypeError);
  });

  it('refuses an id prefix two containers share, and resolves a longer one to every pid of its container', async () => {
    const shared = randomBytes(3).toString('hex');
    const ids = [0, 1].map(() => shared + randomBytes(29).toString('hex'));
    const pids: number[][] = [];
    for (const [i, id] of ids.entries()) {
      const scope = `${world.cgroupRoot}/cri-containerd-${id}.scope`;
      mkdirSync(scope);
      const sleepers = [spawn('sleep', ['300'], { stdio: 'ignore' }), spawn('sleep', ['300'], { stdio: 'ignore' })];
      cleanup(async () => {
        const exits = sleepers.map((s) => (s.exitCode === null && s.signalCode === null ? once(s, 'exit') : undefined));
        for (const s of sleepers) s.kill('SIGKILL');
        await Promise.all(exits);
        rmdirSync(scope);
      });
      for (const s of sleepers) writeFileSync(`${scope}/cgroup.procs`, String(s.pid));
      pids[i] = sleepers.map((s) => s.pid!).sort((a, b) => a - b);
    }
    await expect(resolveContainer(shared)).rejects.toThrow(`container id prefix '${shared}' is ambiguous: `);
    const one = await resolveContainer(ids[1].slice(0, 12));
    expect(one).toMatchObject({ id: ids[1], runtime: 'containerd', pids: pids[1] });
  });
});
