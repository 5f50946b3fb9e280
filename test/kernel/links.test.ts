// listLinks/getLink against `bpftool -j link show` (7.5, which sees tcx) on links this file creates.
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { expect, it } from 'vitest';
import { BpfError, findLinkDevices, getLink, listAttachments, listLinks, type LinkInfo, type NetfilterAttachment } from 'bpfscope';
import { attachPerfEvent, attachRawTracepoint, attachTcx, attachTracepoint, attachUprobe, attachUprobeMulti, createLink, createMap, createNetfilterLink, createNetns, loadProgram, returnInsns, type KernelObject } from 'bpfscope/testing';
import { bpftool, cleanup, describeKernel, ipJson, mustCgroup, mustNetns, mustProbedFile, mustVeth, owned, run, uniqueName } from '../helpers/kernel';
import { traced } from '../helpers/trace';

interface BpftoolLink {
  id: number;
  type: string;
  prog_id: number;
  ifindex?: number;
  devname?: string;
  attach_type?: string;
  cgroup_id?: number;
  netns_ino?: number;
  map_id?: number;
  pf?: number;
  hook?: number;
  prio?: number;
  flags?: number;
  tracepoint?: string;
  file?: string;
  offset?: number;
  cookie?: number;
  event_type?: string;
  event_config?: string;
  retprobe?: boolean;
  path?: string;
  func_cnt?: number;
  pid?: number;
  funcs?: { offset: number; ref_ctr_offset: number; cookie: number }[];
}

/** A field of a link's /proc/self/fdinfo, which the kernel prints for some fields bpftool 7.5 does not. */
function fdinfoField(link: KernelObject, key: string): string {
  const m = new RegExp(`^${key}:\\s*(\\S+)$`, 'm').exec(readFileSync(`/proc/self/fdinfo/${link.fd}`, 'utf8'));
  if (!m) throw new Error(`no ${key} in the fdinfo of link ${link.id}`);
  return m[1];
}

describeKernel('links', () => {
  it('a listing skips a link that is still being created (EAGAIN by id) instead of failing, as the kernel asks', async () => {
    // Any process attaching a link makes this window: its id exists before the link can be opened
    // by it. strace stands in for that process: the listing's first open by id (its thread's
    // second bpf call, after BPF_LINK_GET_NEXT_ID) gets EAGAIN.
    const program = owned(await loadProgram({ type: 'tracepoint', name: 'bpfs_eagain' }));
    const ours = [owned(await attachTracepoint(program, 'syscalls/sys_enter_getpid')), owned(await attachTracepoint(program, 'syscalls/sys_enter_getppid'))];
    const trace = traced(`
      b.listLinks().then((links) => console.log(JSON.stringify(links.map((l) => l.id))), (err) => console.log(JSON.stringify(err.message)));
    `, 'bpf', 'bpf:error=EAGAIN:when=2');
    const injected = trace.calls.filter((l) => l.includes('(INJECTED)'));
    expect(injected).toHaveLength(1);
    expect(injected[0]).toMatch(/bpf\(BPF_LINK_GET_FD_BY_ID, \{link_id=(\d+)/);
    const skipped = Number(/link_id=(\d+)/.exec(injected[0])![1]);
    const listed = JSON.parse(trace.stdout) as number[] | string;
    expect(listed, 'listLinks resolved').toBeInstanceOf(Array);
    expect(listed).not.toContain(skipped);
    for (const link of ours) if (link.id !== skipped) expect(listed).toContain(link.id);
  });

  it('lists tcx links on both hooks with the values bpftool 7.5 prints', async () => {
    const veth = mustVeth();
    const ingress = owned(await loadProgram({ type: 'sched_cls', name: 'cil_from_container' }));
    const egress = owned(await loadProgram({ type: 'sched_cls', name: 'cil_to_container' }));
    const l1 = owned(await attachTcx(ingress, veth.hostIfindex, 'ingress'));
    const l2 = owned(await attachTcx(egress, veth.hostIfindex, 'egress'));
    const all = await listLinks();
    const ids = all.map((l) => l.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const theirs = bpftool<BpftoolLink[]>('link', 'show');
    for (const [link, prog, dir] of [[l1, ingress, 'tcx_ingress'], [l2, egress, 'tcx_egress']] as const) {
      const ours = all.find((l) => l.id === link.id)!;
      const bt = theirs.find((l) => l.id === link.id)!;
      expect(ours).toEqual({ id: link.id, type: 'tcx', progId: prog.id, ifindex: veth.hostIfindex, attachType: dir });
      expect(bt).toMatchObject({ type: 'tcx', prog_id: ours.progId, ifindex: veth.hostIfindex, attach_type: dir });
    }
  });

  it('findLinkDevices finds a device link\'s device in the namespace that holds it, where bpftool names its own namespace\'s device of that ifindex', async () => {
    const ns = mustNetns();
    const veth = mustVeth();
    const cls = owned(await loadProgram({ type: 'sched_cls', name: 'bpfs_where' }));
    const xdpProg = owned(await loadProgram({ type: 'xdp', name: 'bpfs_where_xdp' }));
    const moved = owned(await attachTcx(cls, veth.peerIfindex, 'ingress'));
    const movedXdp = owned(await createLink(xdpProg, veth.peerIfindex, 'xdp'));
    const stayed = owned(await attachTcx(cls, veth.hostIfindex, 'egress'));
    const doomed = mustVeth();
    const gone = owned(await attachTcx(cls, doomed.hostIfindex, 'ingress'));
    run('ip', ['link', 'del', doomed.host]);
    // The peer takes its links to the test's namespace, where its ifindex is free; then a new
    // device here takes that ifindex.
    run('ip', ['link', 'set', veth.peer, 'netns', ns]);
    expect(ipJson<{ ifindex: number }[]>(['link', 'show', veth.peer], ns)[0].ifindex).toBe(veth.peerIfindex);
    const taker = uniqueName('lxc');
    run('ip', ['link', 'add', 'name', taker, 'index', String(veth.peerIfindex), 'type', 'veth', 'peer', 'name', uniqueName('vp')]);
    cleanup(() => run('ip', ['link', 'del', taker]));

    const links = await listLinks();
    const devices = await findLinkDevices(links);
    for (const link of [moved, movedXdp]) {
      expect(devices.get(link.id)).toMatchObject({ ifindex: veth.peerIfindex, ifname: veth.peer, netns: { names: [ns], current: false } });
    }
    expect(devices.get(stayed.id)).toMatchObject({ ifindex: veth.hostIfindex, ifname: veth.host, netns: { current: true } });
    expect(links.find((l) => l.id === gone.id)).toMatchObject({ type: 'tcx', ifindex: 0 });
    expect(devices.has(gone.id)).toBe(false);
    const theirs = new Map(bpftool<BpftoolLink[]>('link', 'show').map((l) => [l.id, l]));
    for (const link of [moved, movedXdp]) expect(theirs.get(link.id)).toMatchObject({ ifindex: veth.peerIfindex, devname: taker });
    expect(theirs.get(stayed.id)).toMatchObject({ ifindex: veth.hostIfindex, devname: veth.host });
    expect(await findLinkDevices(links.filter((l) => l.type !== 'tcx' && l.type !== 'xdp' && l.type !== 'netkit'))).toEqual(new Map());
  });

  it('findLinkDevices finds a device in a namespace that only a process\'s fd holds', async () => {
    const held = await createNetns(uniqueName('lkfd'));
    cleanup(() => held.remove());
    const veth = mustVeth();
    const cls = owned(await loadProgram({ type: 'sched_cls', name: 'bpfs_fdheld' }));
    const link = owned(await attachTcx(cls, veth.peerIfindex, 'ingress'));
    // Both ends go, so that the namespace takes them along when it goes.
    for (const end of [veth.peer, veth.host]) run('ip', ['link', 'set', end, 'netns', held.name]);
    const fd = openSync(held.path, 'r');
    cleanup(() => closeSync(fd)); // the namespace goes with it
    await held.remove();
    const devices = await findLinkDevices(await listLinks());
    const path = `/proc/${process.pid}/fd/${fd}`;
    // Looked for once the namespaces found without reading fds do not have it.
    expect(devices.get(link.id)).toMatchObject({ ifindex: veth.peerIfindex, ifname: veth.peer, netns: { inode: statSync(path).ino, names: [], fds: [{ pid: process.pid, fd }], path } });
    const inside = JSON.parse(run('nsenter', [`--net=${path}`, 'ip', '-j', 'link', 'show', veth.peer])) as { ifindex: number }[];
    expect(inside[0].ifindex).toBe(veth.peerIfindex);
  });

  it('reads sockmap links (Linux 6.10+) like bpftool: the map and the attach type', async () => {
    const map = owned(await createMap({ type: 'sockmap', name: 'bpfs_sockmap', keySize: 4, valueSize: 4, maxEntries: 2 }));
    const verdict = owned(await loadProgram({ type: 'sk_skb', name: 'bpfs_verdict', expectedAttachType: 'sk_skb_stream_verdict', insns: returnInsns(1) }));
    const link = owned(await createLink(verdict, map, 'sk_skb_stream_verdict'));
    const theirs = bpftool<BpftoolLink[]>('link', 'show').find((l) => l.id === link.id)!;
    expect(theirs).toMatchObject({ type: 'sockmap', map_id: map.id, attach_type: 'sk_skb_stream_verdict' });
    expect(await getLink(link.id)).toEqual({ id: link.id, type: theirs.type, progId: theirs.prog_id, mapId: theirs.map_id, attachType: theirs.attach_type });
  });

  it('reads xdp, cgroup and netns links, and keeps the numbers of what it cannot name', async () => {
    const veth = mustVeth();
    const xdpProg = owned(await loadProgram({ type: 'xdp', name: 'bpfs_xdp' }));
    const xdp = owned(await createLink(xdpProg, veth.hostIfindex, 'xdp'));
    const cg = mustCgroup();
    const skbProg = owned(await loadProgram({ type: 'cgroup_skb', name: 'bpfs_cg', expectedAttachType: 'cgroup_inet_ingress' }));
    const cgLink = owned(await createLink(skbProg, cg, 'cgroup_inet_ingress'));
    const fdProg = owned(await loadProgram({ type: 'flow_dissector', name: 'bpfs_flow' }));
    // A flow dissector replaces the kernel's for every packet of its namespace: a test's own one.
    const netnsPath = `/run/netns/${mustNetns()}`;
    const nsLink = owned(await createLink(fdProg, netnsPath, 'flow_dissector'));

    const byId = new Map((await listLinks()).map((l) => [l.id, l] as [number, LinkInfo]));
    const theirs = new Map(bpftool<BpftoolLink[]>('link', 'show').map((l) => [l.id, l]));

    expect(byId.get(xdp.id)).toEqual({ id: xdp.id, type: 'xdp', progId: xdpProg.id, ifindex: veth.hostIfindex });
    expect(theirs.get(xdp.id)).toMatchObject({ type: 'xdp', prog_id: xdpProg.id, ifindex: veth.hostIfindex });

    const cgOurs = byId.get(cgLink.id);
    expect(cgOurs).toMatchObject({ type: 'cgroup', progId: skbProg.id, attachType: 'cgroup_inet_ingress' });
    expect(cgOurs && 'cgroupId' in cgOurs && cgOurs.cgroupId).toBe(BigInt(theirs.get(cgLink.id)!.cgroup_id!));
    expect(theirs.get(cgLink.id)!.attach_type).toBe('cgroup_inet_ingress');

    const nsOurs = byId.get(nsLink.id);
    expect(nsOurs).toMatchObject({ type: 'netns', progId: fdProg.id, attachType: 'flow_dissector' });
    expect(nsOurs && 'netnsIno' in nsOurs && nsOurs.netnsIno).toBe(theirs.get(nsLink.id)!.netns_ino);
    expect(theirs.get(nsLink.id)!.netns_ino).toBe(statSync(netnsPath).ino);
  });

  it('reads netfilter links like bpftool, and lists them in the order of `bpftool net show`', async () => {
    const netns = { name: mustNetns() }; // the hooks see that namespace's packets only
    const program = owned(await loadProgram({ type: 'netfilter', name: 'bpfs_nf', expectedAttachType: 'netfilter', insns: returnInsns(1) })); // NF_ACCEPT
    // Created out of bpftool's order (family, then hook, then priority).
    const specs = [
      { family: 'ipv6', hook: 'input', priority: 5 },
      { family: 'ipv4', hook: 'input', priority: -128 },
      { family: 'ipv4', hook: 'prerouting', priority: 10, defrag: true },
      { family: 'ipv4', hook: 'prerouting', priority: -5 },
    ] as const;
    const links: KernelObject[] = [];
    for (const spec of specs) links.push(owned(await createNetfilterLink({ netns, program, ...spec })));
    const ids = new Set(links.map((l) => l.id));

    const ours = (await listLinks()).filter((l) => ids.has(l.id));
    const theirs = bpftool<BpftoolLink[]>('link', 'show').filter((l) => ids.has(l.id));
    expect(ours).toEqual(theirs.map((t) => ({ id: t.id, type: t.type, progId: t.prog_id, pf: t.pf, hook: t.hook, priority: t.prio, flags: t.flags })));
    expect(ours.find((l) => l.id === links[2].id)).toMatchObject({ pf: 2, hook: 0, priority: 10, flags: 1 });

    const attached = (await listAttachments()).filter((a): a is NetfilterAttachment => a.hook === 'netfilter' && ids.has(a.linkId));
    const [net] = bpftool<{ netfilter: { pf: number; hook: number; prio: number; flags: number; id: number }[] }[]>('net', 'show');
    const theirOrder = net.netfilter.filter((n) => n.id === program.id).map((n) => [n.pf, n.hook, n.prio, n.flags]);
    expect(attached.map((a) => [a.pf, a.hookNum, a.priority, a.flags])).toEqual(theirOrder);
    expect(attached.map((a) => a.priority)).toEqual([-5, 10, -128, 5]);
    expect(attached.every((a) => a.progId === program.id && a.progName === 'bpfs_nf' && a.progType === 'netfilter')).toBe(true);
  });

  it('reads tracepoint perf_event links as bpftool does: the tracepoint, and the cookie (Linux 6.9+)', async () => {
    const program = owned(await loadProgram({ type: 'tracepoint', name: 'bpfs_tp' }));
    const link = owned(await attachTracepoint(program, 'syscalls/sys_enter_getpid', 77n));
    const theirs = bpftool<BpftoolLink[]>('link', 'show').find((l) => l.id === link.id)!;
    expect(theirs).toMatchObject({ type: 'perf_event', prog_id: program.id, tracepoint: 'sys_enter_getpid', cookie: 77 });
    // enum bpf_perf_event_type: 5 is BPF_PERF_EVENT_TRACEPOINT.
    expect(await getLink(link.id)).toEqual({ id: link.id, type: theirs.type, progId: theirs.prog_id, perfEventType: 5, name: theirs.tracepoint, cookie: BigInt(theirs.cookie!) });
    expect((await listLinks()).find((l) => l.id === link.id)).toEqual(await getLink(link.id));
  });

  it('reads raw_tracepoint links as bpftool does, and the cookie (Linux 6.17+) as the link fdinfo prints it', async () => {
    const program = owned(await loadProgram({ type: 'raw_tracepoint', name: 'bpfs_rawtp' }));
    // A cookie past 32 bits: the fdinfo prints it whole.
    const link = owned(await attachRawTracepoint(program, 'sys_enter', 0x1_0000_0005n));
    const theirs = bpftool<(BpftoolLink & { tp_name?: string })[]>('link', 'show').find((l) => l.id === link.id)!;
    expect(theirs).toMatchObject({ type: 'raw_tracepoint', prog_id: program.id, tp_name: 'sys_enter' });
    const cookie = BigInt(fdinfoField(link, 'cookie')); // bpftool 7.5 does not print it
    expect(cookie).toBe(0x1_0000_0005n);
    expect(await getLink(link.id)).toEqual({ id: link.id, type: theirs.type, progId: theirs.prog_id, tpName: theirs.tp_name, cookie });
    expect((await listLinks()).find((l) => l.id === link.id)).toEqual(await getLink(link.id));
  });

  it('reads uprobe perf_event links as bpftool does, and the semaphore offset (Linux 6.16+) as the link fdinfo prints it', async () => {
    const path = mustProbedFile();
    const program = owned(await loadProgram({ type: 'kprobe', name: 'bpfs_uprobe' }));
    // A cookie past 32 bits, and under 2^53: bpftool's JSON numbers are doubles.
    const link = owned(await attachUprobe(program, { path, offset: 100n, refCtrOffset: 2000n, retprobe: true, cookie: 0x1_0000_0007n }));
    const theirs = bpftool<BpftoolLink[]>('link', 'show').find((l) => l.id === link.id)!;
    expect(theirs).toMatchObject({ type: 'perf_event', prog_id: program.id, retprobe: true, file: path, offset: 100, cookie: 0x1_0000_0007 });
    const refCtrOffset = BigInt(fdinfoField(link, 'ref_ctr_offset')); // bpftool 7.5 does not print it
    expect(refCtrOffset).toBe(2000n);
    // enum bpf_perf_event_type: 2 is BPF_PERF_EVENT_URETPROBE.
    expect(await getLink(link.id)).toEqual({
      id: link.id, type: theirs.type, progId: theirs.prog_id, perfEventType: 2, name: theirs.file, offset: theirs.offset, cookie: BigInt(theirs.cookie!), refCtrOffset,
    });
    expect((await listLinks()).find((l) => l.id === link.id)).toEqual(await getLink(link.id));
  });

  it('reads plain perf_event links: the event type and config as the link fdinfo prints them (bpftool names them), and the cookie', async () => {
    const program = owned(await loadProgram({ type: 'perf_event', name: 'bpfs_event' }));
    // PERF_TYPE_SOFTWARE (1), PERF_COUNT_SW_DUMMY (9): an event that never counts, so the program never runs.
    const link = owned(await attachPerfEvent(program, 1, 9n, 42n));
    const theirs = bpftool<BpftoolLink[]>('link', 'show').find((l) => l.id === link.id)!;
    expect(theirs).toMatchObject({ type: 'perf_event', prog_id: program.id, event_type: 'software', event_config: 'dummy', cookie: 42 });
    const [eventType, eventConfig] = [Number(fdinfoField(link, 'type')), BigInt(fdinfoField(link, 'config'))];
    expect([eventType, eventConfig]).toEqual([1, 9n]);
    // enum bpf_perf_event_type: 6 is BPF_PERF_EVENT_EVENT.
    expect(await getLink(link.id)).toEqual({ id: link.id, type: theirs.type, progId: theirs.prog_id, perfEventType: 6, eventType, eventConfig, cookie: BigInt(theirs.cookie!) });
    expect((await listLinks()).find((l) => l.id === link.id)).toEqual(await getLink(link.id));
  });

  it('reads uprobe_multi links (Linux 6.8+ info) like bpftool: the file, the pid, whether they are return probes, and each probe', async () => {
    const path = mustProbedFile();
    const program = owned(await loadProgram({ type: 'kprobe', name: 'bpfs_umulti', expectedAttachType: 'trace_uprobe_multi' }));
    // Cookies past 32 bits, and under 2^53: bpftool's JSON numbers are doubles.
    const spec = { offsets: [16n, 512n, 4000n], refCtrOffsets: [0n, 2048n, 2050n], cookies: [0x1_0000_0001n, 7n, 0n] };
    const link = owned(await attachUprobeMulti(program, { path, ...spec, retprobe: true, pid: process.pid }));
    const theirs = bpftool<BpftoolLink[]>('link', 'show').find((l) => l.id === link.id)!;
    expect(theirs).toMatchObject({ type: 'uprobe_multi', prog_id: program.id, path, func_cnt: 3, pid: process.pid, retprobe: true });
    expect(theirs.funcs).toEqual(spec.offsets.map((o, i) => ({ offset: Number(o), ref_ctr_offset: Number(spec.refCtrOffsets[i]), cookie: Number(spec.cookies[i]) })));
    const probes = theirs.funcs!.map((f) => ({ offset: BigInt(f.offset), refCtrOffset: BigInt(f.ref_ctr_offset), cookie: BigInt(f.cookie) }));
    expect(await getLink(link.id)).toEqual({ id: link.id, type: theirs.type, progId: theirs.prog_id, path: theirs.path, count: theirs.func_cnt, flags: 1, pid: theirs.pid, probes });
    expect((await listLinks()).find((l) => l.id === link.id)).toEqual(await getLink(link.id));
  });

  it('getLink reads one link, and reports ifindex 0 once the device is gone', async () => {
    const veth = mustVeth();
    const prog = owned(await loadProgram({ type: 'sched_cls', name: 'bpfs_gone' }));
    const link = owned(await attachTcx(prog, veth.hostIfindex, 'ingress'));
    expect(await getLink(link.id)).toMatchObject({ type: 'tcx', ifindex: veth.hostIfindex });
    run('ip', ['link', 'del', veth.host]);
    expect(await getLink(link.id)).toMatchObject({ type: 'tcx', ifindex: 0, progId: prog.id });
  });

  it('rejects bad ids, and unknown ids with BpfError ENOENT', async () => {
    await expect(getLink(0)).rejects.toBeInstanceOf(RangeError);
    await expect(getLink(null as unknown as number)).rejects.toBeInstanceOf(TypeError);
    await expect(getLink(0xfffffff0)).rejects.toMatchObject({ name: 'BpfError', code: 'ENOENT', op: 'BPF_LINK_GET_FD_BY_ID' });
    await expect(getLink(0xfffffff0)).rejects.toBeInstanceOf(BpfError);
  });
});
