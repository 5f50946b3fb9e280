// Objects that disappear while bpfscope enumerates or reads them: maps and programs freed during
// listMaps()/listPrograms(), pins unlinked during listPinned(), ids and paths that are gone.
import { expect, it } from 'vitest';
import { BpfError, getMapInfo, getProgram, listMaps, listPinned, listPrograms, openPinned } from 'bpfscope';
import { createMap, loadProgram, pin, type KernelObject } from 'bpfscope/testing';
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describeKernel, mustBpffs, owned } from '../helpers/kernel';

/** Closes `objects` in a shuffled order, a few at a time, while `list` runs again and again. */
async function listWhileClosing<T extends { id: number }>(
  objects: KernelObject[],
  list: () => Promise<T[]>,
): Promise<{ listings: number; checked: number }> {
  const order = objects.map((_, i) => i).sort((a, b) => ((a * 7919) % 101) - ((b * 7919) % 101));
  const idOf = objects.map((o) => o.id); // read from fdinfo, so only while open
  const closed = new Set<number>();
  let listings = 0, checked = 0;
  const closer = (async () => {
    for (const i of order) {
      objects[i].close();
      closed.add(idOf[i]);
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  const ours = new Set(idOf);
  while (closed.size < objects.length) {
    const openBefore = idOf.filter((id) => !closed.has(id));
    const listed = await list();
    listings++;
    const ids = listed.map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length); // no id twice
    // Objects still open when the listing ended were there all along: each must be listed.
    for (const id of openBefore) {
      if (closed.has(id)) continue;
      expect(ids).toContain(id);
      checked++;
    }
    for (const x of listed) if (ours.has(x.id)) expect(x.id).toBeGreaterThan(0);
  }
  await closer;
  return { listings, checked };
}

describeKernel('objects removed during enumeration', () => {
  it('listMaps() while 150 maps are freed: never fails, never repeats an id, lists every survivor', async () => {
    const maps: KernelObject[] = [];
    for (let i = 0; i < 150; i++) maps.push(owned(await createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 })));
    const first = maps[0].id;
    const r = await listWhileClosing(maps, listMaps);
    expect(r.listings).toBeGreaterThan(1);
    expect(r.checked).toBeGreaterThan(0);
    // Freed maps leave the id space after an RCU grace period: then ENOENT.
    let gone: unknown;
    for (let i = 0; i < 200 && !(gone instanceof BpfError); i++) {
      gone = await getMapInfo(first).catch((e: unknown) => e);
      if (!(gone instanceof BpfError)) await new Promise((r) => setTimeout(r, 10));
    }
    expect(gone).toMatchObject({ code: 'ENOENT', op: 'BPF_MAP_GET_FD_BY_ID', object: `map ${first}` });
  });

  it('listPrograms() while 80 programs are unloaded: never fails, lists every survivor', async () => {
    const progs: KernelObject[] = [];
    for (let i = 0; i < 80; i++) progs.push(owned(await loadProgram({ name: `fault${i}` })));
    const first = progs[0].id;
    const r = await listWhileClosing(progs, listPrograms);
    expect(r.listings).toBeGreaterThan(1);
    let gone: unknown;
    for (let i = 0; i < 200 && !(gone instanceof BpfError); i++) {
      gone = await getProgram(first).catch((e: unknown) => e);
      if (!(gone instanceof BpfError)) await new Promise((r) => setTimeout(r, 10));
    }
    expect(gone).toMatchObject({ code: 'ENOENT', op: 'BPF_PROG_GET_FD_BY_ID', object: `program ${first}` });
  });

  it('listPinned() while pins are unlinked: never fails; kept pins are always listed, gone paths are ENOENT', async () => {
    const dir = await mustBpffs();
    const map = owned(await createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 }));
    const paths: string[] = [];
    for (let i = 0; i < 200; i++) {
      paths.push(join(dir, `p${String(i).padStart(3, '0')}`));
      await pin(map, paths[i]);
    }
    const kept = paths.filter((_, i) => i % 4 === 0);
    const doomed = paths.filter((_, i) => i % 4 !== 0);
    let listings = 0;
    const unlinker = (async () => {
      for (const p of doomed) {
        unlinkSync(p);
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    let done = false;
    unlinker.then(() => (done = true), () => (done = true));
    while (!done) {
      const pins = await listPinned(dir);
      listings++;
      const listed = pins.map((p) => p.path);
      for (const p of kept) expect(listed).toContain(p);
      for (const p of pins) expect(p.kind === 'map' || (p.kind === 'unreadable' && p.code === 'ENOENT')).toBe(true);
    }
    await unlinker;
    expect(listings).toBeGreaterThan(1);
    expect((await listPinned(dir)).map((p) => p.path)).toEqual(kept);
    await expect(openPinned(doomed[0])).rejects.toMatchObject({ code: 'ENOENT', op: 'stat', object: doomed[0] });
  });
});
