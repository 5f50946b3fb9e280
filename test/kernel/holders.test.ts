// listHolders: which processes hold BPF programs, maps, links and BTF open (bpftool's `pids`), checked
// against /proc/<pid>/fd and fdinfo read here by hand, and against a child process given a map's
// fd twice. (Debian's bpftool is built without the iterator that prints pids, so it cannot serve.)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { listHolders, listMaps, openMap, type BpfHolders } from 'bpfscope';
import { attachTcx, createMap, loadBtf, loadProgram, pin } from 'bpfscope/testing';
import { cleanup, describeKernel, mustBpffs, mustVeth, owned } from '../helpers/kernel';

const KINDS: Record<string, 'programs' | 'maps' | 'links' | 'btfs'> = {
  'anon_inode:bpf-prog': 'programs',
  'anon_inode:bpf-map': 'maps',
  'anon_inode:bpf_link': 'links',
  'anon_inode:bpf-link': 'links',
  'anon_inode:btf': 'btfs',
};
const ID_KEYS = { programs: 'prog_id', maps: 'map_id', links: 'link_id', btfs: 'btf_id' } as const;

/** Every BPF fd of `pid` as `kind id fd`, read from /proc by hand. */
function bpfFdsOf(pid: number): string[] {
  const out: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string, info: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue; // the directory listing's own fd, closed by now
    }
    const kind = KINDS[target];
    if (kind) out.push(`${kind} ${new RegExp(`^${ID_KEYS[kind]}:\\s*(\\d+)`, 'm').exec(info)![1]} ${fd}`);
  }
  return out.sort();
}

/** The same, from listHolders. */
function heldBy(holders: BpfHolders, pid: number): string[] {
  const out: string[] = [];
  for (const kind of ['programs', 'maps', 'links', 'btfs'] as const) {
    for (const [id, processes] of holders[kind]) {
      for (const p of processes) if (p.pid === pid) for (const fd of p.fds) out.push(`${kind} ${id} ${fd}`);
    }
  }
  return out.sort();
}

describeKernel('holders', () => {
  it('lists this process and a child that inherited a map fd twice, with comm and fds, and forgets the child once it exits', async () => {
    const veth = mustVeth();
    const prog = owned(await loadProgram({ type: 'sched_cls', name: 'holders_prog' }));
    const map = owned(await createMap({ type: 'hash', name: 'holders_map', keySize: 4, valueSize: 4, maxEntries: 4 }));
    const link = owned(await attachTcx(prog, veth.hostIfindex, 'ingress'));
    const btf = owned(await loadBtf([{ kind: 'int', name: 'int', size: 4, signed: true }]));
    // The child's fds 3 and 4 are both the map (libuv dup2s them in, clearing close-on-exec).
    const child = spawn('sleep', ['60'], { stdio: ['ignore', 'ignore', 'ignore', map.fd, map.fd] });
    cleanup(() => child.kill('SIGKILL'));
    await once(child, 'spawn');
    const childPid = child.pid!;
    const comm = readFileSync('/proc/self/comm', 'utf8').trim();

    const holders = await listHolders();
    const byPid = (a: { pid: number }, b: { pid: number }) => a.pid - b.pid;
    expect(holders.maps.get(map.id)).toEqual([
      { pid: process.pid, comm, fds: [map.fd] },
      { pid: childPid, comm: 'sleep', fds: [3, 4] },
    ].sort(byPid));
    // The link holds the program inside the kernel, not through an fd: only this process is listed.
    expect(holders.programs.get(prog.id)).toEqual([{ pid: process.pid, comm, fds: [prog.fd] }]);
    expect(holders.links.get(link.id)).toEqual([{ pid: process.pid, comm, fds: [link.fd] }]);
    expect(holders.btfs.get(btf.id)).toEqual([{ pid: process.pid, comm, fds: [btf.fd] }]);
    // Everything both processes hold, as /proc says.
    expect(heldBy(holders, process.pid)).toEqual(bpfFdsOf(process.pid));
    expect(heldBy(holders, childPid)).toEqual(bpfFdsOf(childPid));
    expect(heldBy(holders, childPid)).toEqual([`maps ${map.id} 3`, `maps ${map.id} 4`]);
    // Root reads every process.
    expect(holders.unreadable).toEqual([]);

    child.kill('SIGKILL');
    await once(child, 'exit');
    const after = await listHolders();
    expect(after.maps.get(map.id)).toEqual([{ pid: process.pid, comm, fds: [map.fd] }]);
    expect(heldBy(after, childPid)).toEqual([]);
  });

  it('a map kept only by its pin has no holder until a handle opens the pin', async () => {
    const root = await mustBpffs();
    const created = await createMap({ type: 'array', name: 'holders_pin', keySize: 4, valueSize: 4, maxEntries: 2 });
    const id = created.id;
    await pin(created, join(root, 'm'));
    created.close();
    expect((await listMaps()).some((m) => m.id === id)).toBe(true);
    expect((await listHolders()).maps.get(id)).toBeUndefined();

    const handle = await openMap({ pinned: join(root, 'm') });
    cleanup(() => handle.close());
    const held = (await listHolders()).maps.get(id);
    expect(held).toHaveLength(1);
    expect(held![0].pid).toBe(process.pid);
    expect(held![0].fds.map((fd) => `maps ${id} ${fd}`)).toEqual(bpfFdsOf(process.pid).filter((l) => l.startsWith(`maps ${id} `)));
    handle.close();
    expect((await listHolders()).maps.get(id)).toBeUndefined();
  });

  it('answers while processes exit and fds close under it, and then agrees with /proc again', async () => {
    const map = owned(await createMap({ type: 'hash', name: 'holders_churn', keySize: 4, valueSize: 4, maxEntries: 4 }));
    let stop = false;
    let churned = 0;
    // Children that inherit the map and exit at once, and maps made and closed, while the walk repeats.
    const churn = (async () => {
      for (; !stop; churned++) {
        const exited = once(spawn('true', [], { stdio: ['ignore', 'ignore', 'ignore', map.fd] }), 'exit');
        const extra = await createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 });
        await exited;
        extra.close();
      }
    })();
    // Counted, not timed: 20 walks at least, and on until 20 children have come and gone under them
    // (a loaded machine makes both slower, not fewer).
    try {
      for (let walks = 0; walks < 20 || churned < 20; walks++) {
        const holders = await listHolders();
        expect(holders.maps.get(map.id)?.find((p) => p.pid === process.pid)?.fds).toEqual([map.fd]);
      }
    } finally {
      stop = true;
      await churn;
    }
    const after = await listHolders();
    expect(heldBy(after, process.pid)).toEqual(bpfFdsOf(process.pid));
    expect(after.maps.get(map.id)).toEqual([{ pid: process.pid, comm: readFileSync('/proc/self/comm', 'utf8').trim(), fds: [map.fd] }]);
  });
});
