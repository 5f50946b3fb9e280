// listBtf/getBtfInfo against `bpftool -j btf show` on BTF objects made here: one a map was created
// with, one a program was loaded with, one held by its fd alone; and the kernel's vmlinux.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { getBtfInfo, listBtf, type BtfInfo } from 'bpfscope';
import { createMap, loadBtf, loadProgram } from 'bpfscope/testing';
import { bpftool, cli, describeKernel, owned } from '../helpers/kernel';

interface BpftoolBtf {
  id: number;
  size: number;
  prog_ids: number[];
  map_ids: number[];
  kernel: boolean;
  name?: string;
}

const byId = (a: number, b: number) => a - b;

describeKernel('BTF objects', () => {
  it('lists each BTF object with its size, name, kind and users as bpftool btf show does', async () => {
    const map = owned(await createMap({
      type: 'hash', name: 'bpfs_btfobj', keySize: 4, valueSize: 8, maxEntries: 4,
      btf: { types: [{ kind: 'int', name: 'unsigned int', size: 4 }, { kind: 'int', name: 'long long unsigned int', size: 8 }], keyTypeId: 1, valueTypeId: 2 },
    }));
    const program = owned(await loadProgram({ name: 'bpfscope_btf_objects', withBtf: true }));
    const alone = owned(await loadBtf([{ kind: 'int', name: 'int', size: 4, signed: true }]));
    const [mapBtf, programBtf] = await Promise.all([getBtfInfo(btfIdOf('map', map.id)), getBtfInfo(btfIdOf('prog', program.id))]);

    const ours = await listBtf();
    const theirs = bpftool<BpftoolBtf[]>('btf', 'show');
    const mine = [mapBtf.id, programBtf.id, alone.id, 1];
    for (const id of mine) {
      const a = ours.find((b) => b.id === id);
      const b = theirs.find((t) => t.id === id);
      expect(a, `BTF ${id}`).toBeDefined();
      expect(b, `bpftool's BTF ${id}`).toBeDefined();
      expect(a).toEqual({
        id, size: b!.size, name: b!.name, kernel: b!.kernel,
        progIds: [...b!.prog_ids].sort(byId), mapIds: [...b!.map_ids].sort(byId),
      } satisfies BtfInfo);
    }
    // vmlinux is the kernel's, named; the others are loaded ones, without a name.
    expect(ours.find((b) => b.id === 1)).toMatchObject({ name: 'vmlinux', kernel: true });
    expect(mapBtf).toMatchObject({ kernel: false, mapIds: [map.id], progIds: [] });
    expect(mapBtf.name).toBeUndefined();
    expect(programBtf).toMatchObject({ kernel: false, progIds: [program.id], mapIds: [] });
    expect(ours.find((b) => b.id === alone.id)).toMatchObject({ progIds: [], mapIds: [] });
    expect(ours.map((b) => b.id)).toEqual(ours.map((b) => b.id).sort(byId));
    expect(await getBtfInfo(alone.id)).toEqual(ours.find((b) => b.id === alone.id));

    // bpfscope btf: a row per object (no name: '-'), and with an id and --json what getBtfInfo returns.
    const rows = cli('btf').stdout.split('\n');
    expect(rows.find((line) => line.trimStart().startsWith(`${mapBtf.id} `))).toMatch(new RegExp(`^\\s*${mapBtf.id}\\s+-\\s+${mapBtf.size}\\s+false\\s+${map.id}$`));
    expect(rows.find((line) => line.trimStart().startsWith('1 '))).toMatch(/^\s*1\s+vmlinux\s+\d+\s+true$/);
    expect(JSON.parse(cli('btf', String(programBtf.id), '--json').stdout)).toEqual(programBtf);
    // This process holds the standalone BTF's fd: bpftool's pids (which Debian's bpftool, built
    // without its pid iterator, cannot print), comm(pid) in the text.
    const comm = readFileSync('/proc/self/comm', 'utf8').trim();
    expect(rows.find((line) => line.trimStart().startsWith(`${alone.id} `))).toMatch(new RegExp(`\\s${comm.replace(/[()]/g, '\\$&')}\\(${process.pid}\\)$`));
    expect(JSON.parse(cli('btf', String(alone.id), '--json').stdout)).toEqual({ ...(await getBtfInfo(alone.id)), pids: [{ pid: process.pid, comm }] });
  });

  it('refuses a bad id before the kernel, and names a missing object', async () => {
    await expect(getBtfInfo(-1)).rejects.toThrow(RangeError);
    await expect(getBtfInfo('1' as unknown as number)).rejects.toThrow(TypeError);
    const missing = Math.max(...(await listBtf()).map((b) => b.id)) + 1000;
    await expect(getBtfInfo(missing)).rejects.toMatchObject({ name: 'BpfError', code: 'ENOENT', op: 'BPF_BTF_GET_FD_BY_ID', object: `BTF ${missing}` });
    const none = cli('btf', String(missing));
    expect([none.code, none.stderr.split('\n')[0]]).toEqual([4, `bpfscope: BPF_BTF_GET_FD_BY_ID BTF ${missing}: No such file or directory (ENOENT)`]);
    const zero = cli('btf', '0');
    expect([zero.code, zero.stderr.split('\n')[0]]).toEqual([2, 'bpfscope: BTF id must be between 1 and 4294967295, got 0']);
  });
});

/** The BTF id bpftool reports for a map or program. */
function btfIdOf(kind: 'map' | 'prog', id: number): number {
  const shown = bpftool<{ btf_id?: number }>(kind, 'show', 'id', String(id));
  expect(shown.btf_id).toBeGreaterThan(0);
  return shown.btf_id!;
}
