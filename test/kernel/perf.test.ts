// listPerfAttachments: the programs processes run on perf events and raw tracepoints (`bpftool
// perf`), compared with `bpftool -j perf` on programs this process and a child attach: by ioctl,
// as BCC does, and by raw tracepoint link. A perf_event link whose perf event fd is closed, and a
// perf_event program on a software event, are shown by neither.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { listPerfAttachments, type PerfAttachment } from 'bpfscope';
import { attachRawTracepoint, attachTracepoint, loadProgram, openPerfEvent } from 'bpfscope/testing';
import { bpftool, cleanup, describeKernel, mustProbedFile, owned, tempDir } from '../helpers/kernel';

interface BpftoolPerf {
  pid: number;
  fd: number;
  prog_id: number;
  fd_type: string;
  tracepoint?: string;
  func?: string;
  filename?: string;
  offset?: number;
  addr?: number;
}

/** Ours in bpftool's JSON: its keys, and its numbers (every offset here is small). */
function asBpftool(a: PerfAttachment): BpftoolPerf {
  const { pid, fd, progId, type, comm: _comm, ...rest } = a;
  const fields = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));
  return { pid, fd, prog_id: progId, fd_type: String(type), ...fields };
}

const ofPids = (pids: number[]) => (a: { pid: number }) => pids.includes(a.pid);

describeKernel('perf attachments', () => {
  it('lists tracepoints, uprobes and raw tracepoints of this process and a child as bpftool -j perf does, with comm', async () => {
    const path = mustProbedFile();
    const tp = owned(await loadProgram({ type: 'tracepoint', name: 'bpfs_perf_tp' }));
    const probe = owned(await loadProgram({ type: 'kprobe', name: 'bpfs_perf_up' }));
    const raw = owned(await loadProgram({ type: 'raw_tracepoint', name: 'bpfs_perf_raw' }));
    const event = owned(await openPerfEvent(tp, { tracepoint: 'syscalls/sys_enter_getpid' }));
    const uprobe = owned(await openPerfEvent(probe, { uprobe: { path, offset: 0x100n } }));
    const uretprobe = owned(await openPerfEvent(probe, { uprobe: { path, offset: 0x200n, retprobe: true } }));
    const rawLink = owned(await attachRawTracepoint(raw, 'sys_enter'));
    // Neither shows: a perf_event link, which keeps its event without an fd on it (listLinks
    // shows the link), and a perf_event program, which the kernel does not describe.
    owned(await attachTracepoint(tp, 'syscalls/sys_enter_getppid'));
    const counter = owned(await loadProgram({ type: 'perf_event', name: 'bpfs_perf_pe' }));
    owned(await openPerfEvent(counter, { type: 1, config: 9n })); // PERF_TYPE_SOFTWARE, PERF_COUNT_SW_DUMMY
    // A child holds the tracepoint's event as its fd 3.
    const child = spawn('sleep', ['60'], { stdio: ['ignore', 'ignore', 'ignore', event.fd] });
    cleanup(() => child.kill('SIGKILL'));
    await once(child, 'spawn');
    const childPid = child.pid!;
    const pids = [process.pid, childPid];

    const { attachments, unreadable } = await listPerfAttachments();
    const comm = readFileSync('/proc/self/comm', 'utf8').trim();
    const ours = attachments.filter(ofPids(pids));
    const mine = { pid: process.pid, comm };
    expect(ours).toEqual([
      { ...mine, fd: event.fd, progId: tp.id, type: 'tracepoint', tracepoint: 'sys_enter_getpid' },
      { ...mine, fd: uprobe.fd, progId: probe.id, type: 'uprobe', filename: path, offset: 0x100n },
      { ...mine, fd: uretprobe.fd, progId: probe.id, type: 'uretprobe', filename: path, offset: 0x200n },
      { ...mine, fd: rawLink.fd, progId: raw.id, type: 'raw_tracepoint', tracepoint: 'sys_enter' },
      { pid: childPid, comm: 'sleep', fd: 3, progId: tp.id, type: 'tracepoint', tracepoint: 'sys_enter_getpid' },
    ].sort((a, b) => a.pid - b.pid || a.fd - b.fd));
    expect(ours.map(asBpftool)).toEqual(bpftool<BpftoolPerf[]>('perf').filter(ofPids(pids)));
    expect(unreadable).toEqual([]);
    // Every process's, not only ours: the same as bpftool's, but for the bpftool process itself.
    const all = bpftool<BpftoolPerf[]>('perf');
    expect(attachments.map(asBpftool)).toEqual(expect.arrayContaining(all.filter((a) => attachments.some((b) => b.pid === a.pid))));

    // Closed, the event is gone from this process; the child still holds it.
    event.close();
    child.kill('SIGKILL');
    await once(child, 'exit');
    const after = (await listPerfAttachments()).attachments.filter(ofPids(pids));
    expect(after.map((a) => a.fd)).toEqual([uprobe.fd, uretprobe.fd, rawLink.fd]);
  });

  it('answers while processes holding perf events exit and events close under it, and then agrees with bpftool again', async () => {
    const tp = owned(await loadProgram({ type: 'tracepoint', name: 'bpfs_perf_churn' }));
    const event = owned(await openPerfEvent(tp, { tracepoint: 'syscalls/sys_enter_getppid' }));
    const spare = owned(await loadProgram({ type: 'tracepoint', name: 'bpfs_perf_spare' }));
    let stop = false;
    let churned = 0;
    // Children that inherit the event and exit at once, and events opened and closed, while the walk repeats.
    const churn = (async () => {
      for (; !stop; churned++) {
        const exited = once(spawn('true', [], { stdio: ['ignore', 'ignore', 'ignore', event.fd] }), 'exit');
        const extra = await openPerfEvent(spare, { tracepoint: 'syscalls/sys_enter_getppid' });
        await exited;
        extra.close();
      }
    })();
    // Counted, not timed: 20 walks at least, and on until 20 children have come and gone.
    try {
      for (let walks = 0; walks < 20 || churned < 20; walks++) {
        const { attachments } = await listPerfAttachments();
        expect(attachments.filter((a) => a.pid === process.pid && a.progId === tp.id).map((a) => a.fd)).toEqual([event.fd]);
      }
    } finally {
      stop = true;
      await churn;
    }
    const after = (await listPerfAttachments()).attachments.filter((a) => a.pid === process.pid);
    expect(after.map(asBpftool)).toEqual(bpftool<BpftoolPerf[]>('perf').filter((a) => a.pid === process.pid));
  });

  it('reads a uprobe path longer than its first buffer (the kernel says ENOSPC and the length)', async () => {
    const dir = tempDir('bpfscope-perf-');
    cleanup(() => rmSync(dir, { recursive: true }));
    const deep = join(dir, 'd'.repeat(200), 'e'.repeat(200));
    mkdirSync(deep, { recursive: true });
    const file = join(deep, 'probed');
    writeFileSync(file, Buffer.alloc(4096));
    const path = realpathSync(file);
    expect(path.length).toBeGreaterThan(400);
    const probe = owned(await loadProgram({ type: 'kprobe', name: 'bpfs_perf_long' }));
    const uprobe = owned(await openPerfEvent(probe, { uprobe: { path, offset: 8n } }));
    const ours = (await listPerfAttachments()).attachments.filter((a) => a.pid === process.pid && a.fd === uprobe.fd);
    expect(ours).toEqual([{ pid: process.pid, comm: expect.any(String), fd: uprobe.fd, progId: probe.id, type: 'uprobe', filename: path, offset: 8n }]);
    expect(ours.map(asBpftool)).toEqual(bpftool<BpftoolPerf[]>('perf').filter((a) => a.pid === process.pid && a.fd === uprobe.fd));
  });
});
