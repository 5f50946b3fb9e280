// listPrograms/getProgram against `bpftool -j prog show` on programs this file loads.
import { expect, it } from 'vitest';
import { BpfError, getProgram, getProgramMetadata, listPrograms, type ProgramInfo } from 'bpfscope';
import { createMap, loadProgram, mapInsns, returnInsns } from 'bpfscope/testing';
import { bpftool, describeKernel, owned } from '../helpers/kernel';
import { loadProgramWithMetadata } from '../helpers/maps';

interface BpftoolProg {
  id: number;
  type: string;
  name?: string;
  tag: string;
  gpl_compatible: boolean;
  loaded_at?: number;
  uid?: number;
  bytes_xlated: number;
  jited: boolean;
  bytes_jited?: number;
  bytes_memlock: number;
  map_ids?: number[];
  btf_id?: number;
  run_time_ns?: number;
  run_cnt?: number;
  metadata?: Record<string, unknown>;
}

/** Asserts that our record says what bpftool says about the same program. */
function expectSameAsBpftool(ours: ProgramInfo, theirs: BpftoolProg): void {
  expect(ours.id).toBe(theirs.id);
  expect(ours.type).toBe(theirs.type);
  expect(ours.name).toBe(theirs.name ?? '');
  expect(ours.tag).toBe(theirs.tag);
  expect(ours.gplCompatible).toBe(theirs.gpl_compatible);
  expect(ours.uid).toBe(theirs.uid);
  // bpftool -j prints whole seconds of the same boot-time → wall-clock conversion.
  expect(Math.abs(Math.floor(ours.loadedAt!.getTime() / 1000) - theirs.loaded_at!)).toBeLessThanOrEqual(1);
  expect(ours.bytesXlated).toBe(theirs.bytes_xlated);
  expect(ours.jited).toBe(theirs.jited);
  expect(ours.bytesJited).toBe(theirs.bytes_jited ?? 0);
  expect(ours.bytesMemlock).toBe(BigInt(theirs.bytes_memlock));
  expect(ours.mapIds).toEqual(theirs.map_ids ?? []);
  expect(ours.btfId).toBe(theirs.btf_id);
  // bpftool prints the counters only when run_time_ns is non-zero.
  if (theirs.run_time_ns !== undefined) expect(ours.runTimeNs).toBe(BigInt(theirs.run_time_ns));
  else expect(ours.runTimeNs).toBe(0n);
}

describeKernel('programs', () => {
  it('lists loaded programs with the values bpftool prints', async () => {
    const plain = owned(await loadProgram({ type: 'sched_cls', name: 'bpfs_plain' }));
    const xdp = owned(await loadProgram({ type: 'xdp', name: 'bpfs_xdp', insns: returnInsns(2) }));
    const sock = owned(await loadProgram({ type: 'socket_filter', name: 'bpfs_sock', license: 'Proprietary' }));
    // A program that uses two maps: bpftool lists their ids.
    const first = owned(await createMap({ type: 'array', name: 'bpfs_used_a', keySize: 4, valueSize: 4, maxEntries: 1 }));
    const second = owned(await createMap({ type: 'hash', name: 'bpfs_used_b', keySize: 4, valueSize: 4, maxEntries: 1 }));
    const uses = owned(await loadProgram({ type: 'sched_cls', name: 'bpfs_uses_maps', maps: [first, second], insns: Buffer.concat([mapInsns(0), mapInsns(1, 2), returnInsns(0)]) }));
    const all = await listPrograms();
    const ids = all.map((p) => p.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const theirs = bpftool<BpftoolProg[]>('prog', 'show');
    for (const object of [plain, xdp, sock, uses]) {
      const ours = all.find((p) => p.id === object.id);
      expect(ours, `program ${object.id} listed`).toBeDefined();
      expectSameAsBpftool(ours!, theirs.find((p) => p.id === object.id)!);
    }
    expect(all.find((p) => p.id === sock.id)!.gplCompatible).toBe(false);
    expect(all.find((p) => p.id === uses.id)!.mapIds).toEqual([first.id, second.id].sort((a, b) => a - b));
    expect(all.find((p) => p.id === xdp.id)!.type).toBe('xdp');
  });

  it('recovers a name longer than 15 characters from BTF func_info, as bpftool does', async () => {
    const long = owned(await loadProgram({ type: 'sched_cls', name: 'cil_from_container' }));
    const ours = await getProgram(long.id);
    expect(ours.kernelName).toBe('cil_from_contai');
    expect(ours.name).toBe('cil_from_container');
    expect(ours.btfId).toBeGreaterThan(0);
    expectSameAsBpftool(ours, bpftool<BpftoolProg>('prog', 'show', 'id', String(long.id)));
  });

  it('reports the newer counters this kernel has, and verifiedInsns from the verifier', async () => {
    const p = owned(await loadProgram({ type: 'sched_cls', name: 'bpfs_counters' }));
    const ours = await getProgram(p.id);
    expect(ours.runCount).toBe(0n);
    expect(ours.recursionMisses).toBe(0n);
    expect(ours.verifiedInsns).toBe(2);
  });

  it('rejects bad ids with TypeError/RangeError and unknown ids with BpfError ENOENT', async () => {
    await expect(getProgram(0)).rejects.toBeInstanceOf(RangeError);
    await expect(getProgram(-1)).rejects.toBeInstanceOf(RangeError);
    await expect(getProgram(Number.NaN)).rejects.toBeInstanceOf(RangeError);
    await expect(getProgram(2 ** 40)).rejects.toBeInstanceOf(RangeError);
    await expect(getProgram(1.5)).rejects.toBeInstanceOf(RangeError);
    await expect(getProgram('5' as unknown as number)).rejects.toBeInstanceOf(TypeError);
    const err = await getProgram(0xfffffff0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({ code: 'ENOENT', errno: 2, op: 'BPF_PROG_GET_FD_BY_ID', object: 'program 4294967280' });
    expect((err as Error).stack).toContain('programs.test.ts');
  });

  it('reads a program\'s metadata (the bpf_metadata_* variables of its .rodata map) as bpftool prog show prints it', async () => {
    const prog = await loadProgramWithMetadata();
    const theirs = bpftool<BpftoolProg>('prog', 'show', 'id', String(prog.id));
    expect(theirs.metadata).toEqual({ name: 'demo', version: 3 });
    expect(await getProgramMetadata(prog.id)).toEqual(theirs.metadata);
    expect(await getProgramMetadata(await getProgram(prog.id))).toEqual(theirs.metadata);

    // No .rodata map, and a .rodata map with no such variable: bpftool prints no metadata.
    const other = owned(await createMap({ type: 'hash', name: 'bpfs_m_plain', keySize: 4, valueSize: 4, maxEntries: 1 }));
    const plain = owned(await loadProgram({ type: 'sched_cls', name: 'bpfs_nometa', maps: [other], insns: Buffer.concat([mapInsns(0), returnInsns(0)]) }));
    expect(bpftool<BpftoolProg>('prog', 'show', 'id', String(plain.id)).metadata).toBeUndefined();
    expect(await getProgramMetadata(plain.id)).toBeUndefined();
    const bare = [{ kind: 'int', name: 'int', size: 4, signed: true }, { kind: 'var', name: 'threshold', type: 1 }, { kind: 'datasec', name: '.rodata', size: 4, vars: [{ type: 2, offset: 0, size: 4 }] }];
    const unmarked = owned(await createMap({ type: 'array', name: 'bpfs_u.rodata', keySize: 4, valueSize: 4, maxEntries: 1, btf: { types: bare, keyTypeId: 0, valueTypeId: 3 } }));
    const quiet = owned(await loadProgram({ type: 'sched_cls', name: 'bpfs_quiet', maps: [unmarked], insns: Buffer.concat([mapInsns(0), returnInsns(0)]) }));
    expect(bpftool<BpftoolProg>('prog', 'show', 'id', String(quiet.id)).metadata).toBeUndefined();
    expect(await getProgramMetadata(quiet.id)).toBeUndefined();

    await expect(getProgramMetadata({} as ProgramInfo)).rejects.toBeInstanceOf(TypeError);
    await expect(getProgramMetadata(0xfffffff0)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
