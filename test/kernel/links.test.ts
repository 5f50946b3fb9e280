// listLinks/getLink against `bpftool -j link show` (7.5, which sees tcx) on links this file creates.
import { mkdtempSync, rmdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { BpfError, getLink, listLinks, type LinkInfo } from 'bpfscope';
import { attachTcx, createLink, loadProgram } from 'bpfscope/testing';
import { bpftool, cleanup, describeKernel, mustVeth, owned, run } from '../helpers/kernel';

interface BpftoolLink {
  id: number;
  type: string;
  prog_id: number;
  ifindex?: number;
  attach_type?: string;
  cgroup_id?: number;
  netns_ino?: number;
}

/** The cgroup v2 hierarchy of this machine (unified at /sys/fs/cgroup or /sys/fs/cgroup/unified). */
function cgroup2Root(): string {
  const mounts = run('findmnt', ['-n', '-t', 'cgroup2', '-o', 'TARGET']).trim().split('\n');
  if (!mounts[0]) throw new Error('no cgroup2 mount');
  return mounts[0];
}

describeKernel('links', () => {
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

  it('reads xdp, cgroup and netns links, and keeps the numbers of what it cannot name', async () => {
    const veth = mustVeth();
    const xdpProg = owned(await loadProgram({ type: 'xdp', name: 'bpfs_xdp' }));
    const xdp = owned(await createLink(xdpProg, veth.hostIfindex, 'xdp'));
    const cg = mkdtempSync(`${cgroup2Root()}/bpfscope-`);
    cleanup(() => rmdirSync(cg));
    const skbProg = owned(await loadProgram({ type: 'cgroup_skb', name: 'bpfs_cg', expectedAttachType: 'cgroup_inet_ingress' }));
    const cgLink = owned(await createLink(skbProg, cg, 'cgroup_inet_ingress'));
    const fdProg = owned(await loadProgram({ type: 'flow_dissector', name: 'bpfs_flow' }));
    const nsLink = owned(await createLink(fdProg, '/proc/self/ns/net', 'flow_dissector'));

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
