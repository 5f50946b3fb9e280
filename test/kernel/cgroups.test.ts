// listCgroupAttachments against `bpftool -j cgroup show` and `bpftool -j cgroup tree` on a cgroup
// tree this file makes: programs attached with and without links, with each kind of flag.
import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { BpfError, getLink, listCgroupAttachments, type CgroupAttachment } from 'bpfscope';
import { attachCgroup, createLink, detachCgroup, loadProgram, type KernelObject } from 'bpfscope/testing';
import { bpftool, cleanup, describeKernel, mustCgroup, owned } from '../helpers/kernel';

interface BpftoolCgroupProgram {
  id: number;
  attach_type: string;
  attach_flags?: string;
  name: string;
}

/** bpftool's fields of our listing: flags as bpftool prints them ('' for none), absent in effective listings. */
function asBpftool(a: CgroupAttachment): BpftoolCgroupProgram {
  const out: BpftoolCgroupProgram = { id: a.progId, attach_type: String(a.attachType), name: a.progName! };
  if (a.attachFlags !== undefined) out.attach_flags = a.attachFlags === 'none' ? '' : String(a.attachFlags);
  return out;
}
interface BpftoolLink {
  id: number;
  type: string;
  prog_id: number;
  cgroup_id?: number;
}
const pick = ({ id, attach_type, attach_flags, name }: BpftoolCgroupProgram): BpftoolCgroupProgram =>
  attach_flags === undefined ? { id, attach_type, name } : { id, attach_type, attach_flags, name };

describeKernel('cgroup attachments', () => {
  it('lists a tree and one cgroup as bpftool cgroup tree/show do, flags, order and links included', async () => {
    const root = mustCgroup('kid', 'kid/grandkid', 'solo');
    const kid = join(root, 'kid');
    const connect = (name: string) => loadProgram({ type: 'cgroup_sock_addr', name, expectedAttachType: 'cgroup_inet4_connect' });
    const sockLb = owned(await connect('cil_sock4_connect'));
    const second = owned(await connect('bpfs_connect2'));
    const third = owned(await connect('bpfs_connect3'));
    const egress = owned(await loadProgram({ type: 'cgroup_skb', name: 'bpfs_egress', expectedAttachType: 'cgroup_inet_egress' }));
    const ingress = owned(await loadProgram({ type: 'cgroup_skb', name: 'bpfs_ingress', expectedAttachType: 'cgroup_inet_ingress' }));
    const attached: [KernelObject, string, 'cgroup_inet4_connect' | 'cgroup_inet_egress' | 'cgroup_inet_ingress'][] = [];
    const attach = async (p: KernelObject, dir: string, type: (typeof attached)[number][2], flags: 'multi' | 'override' | 'none') => {
      await attachCgroup(p, dir, type, flags);
      attached.push([p, dir, type]);
    };
    cleanup(async () => {
      for (const [p, dir, type] of attached.reverse()) await detachCgroup(p, dir, type);
    });
    // Socket LB on the root as Cilium attaches it without links; below it a link, a second
    // program on the same hook, an override and an exclusive ('none') attachment.
    await attach(sockLb, root, 'cgroup_inet4_connect', 'multi');
    const link = owned(await createLink(second, kid, 'cgroup_inet4_connect'));
    await attach(third, kid, 'cgroup_inet4_connect', 'multi');
    await attach(egress, kid, 'cgroup_inet_egress', 'override');
    await attach(ingress, join(root, 'solo'), 'cgroup_inet_ingress', 'none');

    const tree = await listCgroupAttachments({ path: root, recursive: true });
    const theirs = bpftool<{ cgroup: string; programs: BpftoolCgroupProgram[] }[]>('cgroup', 'tree', root);
    // bpftool walks in readdir order; both list each cgroup's programs in the kernel's order.
    const byCgroup = (list: { cgroup: string; programs: BpftoolCgroupProgram[] }[]) => list.sort((a, b) => a.cgroup.localeCompare(b.cgroup));
    const ours = new Map<string, BpftoolCgroupProgram[]>();
    for (const a of tree) ours.set(a.cgroup, [...(ours.get(a.cgroup) ?? []), asBpftool(a)]);
    expect(byCgroup([...ours].map(([cgroup, programs]) => ({ cgroup, programs })))).toEqual(byCgroup(theirs.map((c) => ({ cgroup: c.cgroup, programs: c.programs.map(pick) }))));
    expect(tree.map((a) => a.cgroup)).toEqual([root, kid, kid, kid, join(root, 'solo')]);
    expect(tree.map((a) => a.attachFlags)).toEqual(['multi', 'override', 'multi', 'multi', 'none']);
    // The link is named; the programs attached without one are not.
    const linked = tree.find((a) => a.progId === second.id)!;
    expect(linked.linkId).toBe(link.id);
    expect(tree.filter((a) => a.linkId !== undefined)).toHaveLength(1);
    const info = await getLink(link.id);
    expect(info.type === 'cgroup' && info.cgroupId).toBe(linked.cgroupId);
    expect(linked.cgroupId).toBe(BigInt(statSync(kid).ino));
    expect(tree[0]).toMatchObject({ progName: 'cil_sock4_connect', progType: 'cgroup_sock_addr', attachType: 'cgroup_inet4_connect' });
    // A path given with trailing or doubled slashes names the same cgroups.
    expect(await listCgroupAttachments({ path: `${root}/`, recursive: true })).toEqual(tree);
    expect(await listCgroupAttachments({ path: `${root.replace('/sys/', '/sys//')}//`, recursive: true })).toEqual(tree);

    // One cgroup, and what runs for it with its ancestors' programs (no flags, no links there).
    const show = await listCgroupAttachments({ path: kid });
    expect(show.map(asBpftool)).toEqual(bpftool<BpftoolCgroupProgram[]>('cgroup', 'show', kid).map(pick));
    const effective = await listCgroupAttachments({ path: join(kid, 'grandkid'), effective: true });
    expect(effective.map(asBpftool)).toEqual(bpftool<BpftoolCgroupProgram[]>('cgroup', 'show', join(kid, 'grandkid'), 'effective').map(pick));
    expect(effective.map((a) => a.progId)).toEqual([egress.id, second.id, third.id, sockLb.id]);
    expect(effective.every((a) => a.attachFlags === undefined && a.linkId === undefined && a.cgroup === join(kid, 'grandkid'))).toBe(true);
    expect(await listCgroupAttachments({ path: join(kid, 'grandkid') })).toEqual([]);
  });

  it('names each link of a program attached to one hook more than once on one row, and none on its BPF_PROG_ATTACH row', async () => {
    const root = mustCgroup('kid');
    const kid = join(root, 'kid');
    const program = owned(await loadProgram({ type: 'cgroup_skb', name: 'bpfs_twice', expectedAttachType: 'cgroup_inet_ingress' }));
    // The kernel takes a program once by BPF_PROG_ATTACH on a hook, and by as many links as asked.
    await attachCgroup(program, root, 'cgroup_inet_ingress', 'multi');
    cleanup(() => detachCgroup(program, root, 'cgroup_inet_ingress'));
    const links = [];
    for (const dir of [root, root, kid, kid]) links.push(owned(await createLink(program, dir, 'cgroup_inet_ingress')));

    const tree = await listCgroupAttachments({ path: root, recursive: true });
    const theirs = bpftool<{ cgroup: string; programs: BpftoolCgroupProgram[] }[]>('cgroup', 'tree', root);
    expect(tree.map((a) => [a.cgroup, a.progId])).toEqual(theirs.flatMap((c) => c.programs.map((p) => [c.cgroup, p.id])));
    // Each row a link made names a link of its own, the links bpftool shows on that cgroup and hook.
    const theirLinks = bpftool<BpftoolLink[]>('link', 'show').filter((l) => l.type === 'cgroup' && l.prog_id === program.id);
    for (const dir of [root, kid]) {
      const ino = statSync(dir).ino;
      const ids = tree.filter((a) => a.cgroup === dir).map((a) => a.linkId);
      expect(ids.filter((id) => id !== undefined).sort()).toEqual(theirLinks.filter((l) => l.cgroup_id === ino).map((l) => l.id).sort());
    }
    // Attached after BPF_PROG_ATTACH, in id order: the kernel appended each to the hook.
    expect(tree.map((a) => a.linkId)).toEqual([undefined, links[0].id, links[1].id, links[2].id, links[3].id]);
  });

  it('refuses what is not a cgroup v2 directory, and bad options, with clear errors', async () => {
    await expect(listCgroupAttachments({ path: '/tmp' })).rejects.toMatchObject({ name: 'BpfError', code: 'EXDEV', op: 'statfs', object: '/tmp' });
    await expect(listCgroupAttachments({ path: '/sys/fs/cgroup/bpfscope-missing' })).rejects.toMatchObject({ code: 'ENOENT', op: 'open' });
    await expect(listCgroupAttachments({ path: '/etc/hostname' })).rejects.toBeInstanceOf(BpfError);
    await expect(listCgroupAttachments({ path: 42 } as never)).rejects.toThrow(TypeError);
    await expect(listCgroupAttachments({ effective: 'yes' } as never)).rejects.toThrow(/effective must be a boolean/);
    await expect(listCgroupAttachments({ recursve: true } as never)).rejects.toThrow(TypeError);
  });

  it('walks a tree whose cgroups come and go under it without an error, and then lists what stayed', async () => {
    const root = mustCgroup('stay');
    const program = owned(await loadProgram({ type: 'cgroup_sock_addr', name: 'bpfs_churn', expectedAttachType: 'cgroup_inet4_connect' }));
    await attachCgroup(program, join(root, 'stay'), 'cgroup_inet4_connect', 'multi');
    cleanup(() => detachCgroup(program, join(root, 'stay'), 'cgroup_inet4_connect'));
    let stop = false;
    let made = 0;
    // Cgroups made, given a program, and removed while the walk repeats.
    const churn = (async () => {
      while (!stop) {
        const dir = join(root, `tmp${made++ % 4}`);
        mkdirSync(dir);
        try {
          await attachCgroup(program, dir, 'cgroup_inet4_connect', 'multi');
        } finally {
          rmdirSync(dir);
        }
      }
    })();
    let walks = 0;
    try {
      for (const end = Date.now() + 1500; Date.now() < end; walks++) {
        const tree = await listCgroupAttachments({ path: root, recursive: true });
        expect(tree.filter((a) => a.cgroup === join(root, 'stay')).map((a) => a.progId)).toEqual([program.id]);
      }
    } finally {
      stop = true;
      await churn;
    }
    expect(walks).toBeGreaterThan(10);
    expect(made).toBeGreaterThan(10);
    expect((await listCgroupAttachments({ path: root, recursive: true })).map((a) => a.cgroup)).toEqual([join(root, 'stay')]);
  });
});
