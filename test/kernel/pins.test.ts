// openPinned/listPinned on a private bpffs holding a program, a map and a link.
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { BpfError, bpffsMounts, listPinned, openPinned } from 'bpfscope';
import { attachTcx, createMap, loadProgram, pin } from 'bpfscope/testing';
import { bpftool, cleanup, describeKernel, mustBpffs, mustVeth, owned, run, tempDir } from '../helpers/kernel';

describeKernel('pins', () => {
  it('tells which object a pin holds, with its info, and walks a bpffs tree in name order', async () => {
    const root = await mustBpffs();
    const veth = mustVeth();
    const prog = owned(await loadProgram({ type: 'sched_cls', name: 'cil_from_container' }));
    const map = owned(await createMap({ type: 'hash', name: 'cilium_lxc', keySize: 4, valueSize: 8, maxEntries: 16 }));
    const link = owned(await attachTcx(prog, veth.hostIfindex, 'ingress'));
    mkdirSync(join(root, 'tc/globals'), { recursive: true });
    mkdirSync(join(root, 'cilium/endpoints/42/links'), { recursive: true });
    await pin(map, join(root, 'tc/globals/cilium_lxc'));
    await pin(prog, join(root, 'prog'));
    await pin(link, join(root, 'cilium/endpoints/42/links/cil_from_container'));

    const p = await openPinned(join(root, 'prog'));
    expect(p.kind).toBe('program');
    expect(p.kind === 'program' && p.info).toMatchObject({ id: prog.id, name: 'cil_from_container', type: 'sched_cls' });
    const m = await openPinned(join(root, 'tc/globals/cilium_lxc'));
    expect(m.kind === 'map' && m.info).toMatchObject({ id: map.id, name: 'cilium_lxc', type: 'hash', keySize: 4, valueSize: 8 });
    const l = await openPinned(join(root, 'cilium/endpoints/42/links/cil_from_container'));
    expect(l.kind === 'link' && l.info).toEqual({ id: link.id, type: 'tcx', progId: prog.id, ifindex: veth.hostIfindex, attachType: 'tcx_ingress' });

    const all = await listPinned(root);
    expect(all.map((e) => [e.path.slice(root.length), e.kind, 'info' in e ? e.info.id : undefined])).toEqual([
      ['/cilium/endpoints/42/links/cil_from_container', 'link', link.id],
      ['/prog', 'program', prog.id],
      ['/tc/globals/cilium_lxc', 'map', map.id],
    ]);
    expect(await bpffsMounts()).toContain(root);
  });

  it('skips symlinks as bpftool does, and lists unreadable entries in their place in name order', async () => {
    const root = await mustBpffs();
    const map = owned(await createMap({ type: 'array', name: 'bpfs_linked', keySize: 4, valueSize: 4, maxEntries: 1 }));
    for (const dir of ['a', 'b', 'c', 'z']) mkdirSync(join(root, dir));
    await pin(map, join(root, 'c/m'));
    await pin(map, join(root, 'z/m'));
    // bpffs keeps symlinks: to a directory, to a pin, and out of bpffs.
    symlinkSync('../z', join(root, 'a/dir'));
    symlinkSync(join(root, 'z/m'), join(root, 'a/pin'));
    symlinkSync('/etc/hostname', join(root, 'a/out'));
    // A file BPF_OBJ_GET refuses even to root (EACCES: not a pin), between a/ and c/.
    run('mount', ['-t', 'tmpfs', 'tmpfs', join(root, 'b')]);
    cleanup(() => run('umount', [join(root, 'b')]));
    writeFileSync(join(root, 'b/x'), 'x');

    const all = await listPinned(root);
    expect(all.map((e) => [e.path.slice(root.length), e.kind, 'info' in e ? e.info.id : e.code])).toEqual([
      ['/b/x', 'unreadable', 'EACCES'],
      ['/c/m', 'map', map.id],
      ['/z/m', 'map', map.id],
    ]);
    const theirs = bpftool<{ id: number; pinned?: string[] }>('--bpffs', 'map', 'show', 'id', String(map.id));
    expect(all.filter((e) => e.kind === 'map').map((e) => e.path)).toEqual([...theirs.pinned!].sort());
  });

  it('lists a bpffs mount covered by another filesystem as unreadable, and the other mounts\' pins', async () => {
    const covered = await mustBpffs();
    const open = await mustBpffs();
    const map = owned(await createMap({ type: 'array', name: 'bpfs_covered', keySize: 4, valueSize: 4, maxEntries: 1 }));
    await pin(map, join(covered, 'hidden'));
    await pin(map, join(open, 'seen'));
    run('mount', ['-t', 'tmpfs', 'tmpfs', covered]);
    cleanup(() => run('umount', [covered]));

    const all = await listPinned();
    expect(all.filter((e) => e.path.startsWith(covered))).toEqual([{ path: covered, kind: 'unreadable', code: 'EXDEV', errno: 18 }]);
    expect(all.filter((e) => e.path.startsWith(open)).map((e) => [e.path, e.kind])).toEqual([[join(open, 'seen'), 'map']]);
    // bpftool finds the same pins of the map: the covered one is out of sight.
    expect(bpftool<{ pinned?: string[] }>('--bpffs', 'map', 'show', 'id', String(map.id)).pinned).toEqual([join(open, 'seen')]);
    // A root given by name that is not a bpffs still rejects.
    await expect(listPinned(covered)).rejects.toMatchObject({ code: 'EXDEV', op: 'statfs' });
  });

  it('the pinned object outlives the handle that pinned it', async () => {
    const root = await mustBpffs();
    const map = await createMap({ type: 'array', name: 'bpfs_pinned', keySize: 4, valueSize: 4, maxEntries: 2 });
    const id = map.id;
    await pin(map, join(root, 'm'));
    map.close();
    const m = await openPinned(join(root, 'm'));
    expect(m.kind === 'map' && m.info.id).toBe(id);
  });

  it('gives clear errors for missing paths, directories, files outside bpffs and bad input', async () => {
    const root = await mustBpffs();
    mkdirSync(join(root, 'dir'));
    const plain = tempDir('bpfscope-plain-');
    cleanup(() => rmSync(plain, { recursive: true }));
    writeFileSync(join(plain, 'file'), 'x');

    await expect(openPinned(join(root, 'missing'))).rejects.toMatchObject({ name: 'BpfError', code: 'ENOENT' });
    await expect(openPinned(join(root, 'dir'))).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(openPinned(plain)).rejects.toMatchObject({ code: 'EISDIR' }); // a directory outside bpffs too
    const outside = await openPinned(join(plain, 'file')).catch((e: unknown) => e);
    expect(outside).toBeInstanceOf(BpfError);
    expect(outside).toMatchObject({ code: 'EXDEV', object: join(plain, 'file') });
    expect((outside as Error).message).toContain('not on a bpffs mount');
    await expect(listPinned(plain)).rejects.toMatchObject({ code: 'EXDEV' });
    await expect(openPinned('')).rejects.toBeInstanceOf(TypeError);
    await expect(openPinned(42 as unknown as string)).rejects.toBeInstanceOf(TypeError);
    await expect(openPinned('/sys/fs/bpf/a\0b')).rejects.toBeInstanceOf(TypeError);
  });
});
