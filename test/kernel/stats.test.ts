// enableStats: run_time_ns / run_cnt advance only while the BPF_ENABLE_STATS fd is open.
import { expect, it } from 'vitest';
import { enableStats, getProgram } from 'bpfscope';
import { loadProgram, testRun } from 'bpfscope/testing';
import { bpftool, describeKernel, owned } from '../helpers/kernel';

const packet = Buffer.alloc(64); // an Ethernet-sized frame of zeros is enough for a program that returns 0

describeKernel('enableStats', () => {
  it('counts runs while the handle is open and stops counting once it is closed', async () => {
    const prog = owned(await loadProgram({ type: 'sched_cls', name: 'bpfs_stats' }));
    await testRun(prog, packet, 5);
    expect((await getProgram(prog.id)).runCount).toBe(0n);

    const stats = await enableStats();
    try {
      await testRun(prog, packet, 7);
      const during = await getProgram(prog.id);
      expect(during.runCount).toBe(7n);
      expect(during.runTimeNs).toBeGreaterThan(0n);
      // bpftool sees the same counters while our fd keeps statistics on.
      const theirs = bpftool<{ run_cnt?: number; run_time_ns?: number }>('prog', 'show', 'id', String(prog.id));
      expect(theirs.run_cnt).toBe(7);
      expect(BigInt(theirs.run_time_ns!)).toBe(during.runTimeNs);
    } finally {
      stats.close();
    }
    expect(stats.closed).toBe(true);
    await testRun(prog, packet, 3);
    expect((await getProgram(prog.id)).runCount).toBe(7n);
  });
});
