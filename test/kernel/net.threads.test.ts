// Work in other namespaces: dedicated threads that never come back, a main thread that never
// moves, clear errors for namespaces and processes that vanish, and bad input rejected up front.
import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BpfError, findPeer, getEthtoolStats, listAttachments, listInterfaces, listNeighbors, listRoutes } from 'bpfscope';
import { createNetns } from 'bpfscope/testing';
import { run, tempDir } from '../helpers/host';
import { PACKAGE_ROOT } from '../helpers/trace';
import { cleanup, describeKernel, mustNetns, openFdCount, uniqueName } from '../helpers/kernel';
import { buildWorld, type World } from '../helpers/networld';

function threadCount(): number {
  return readdirSync('/proc/self/task').length;
}

/**
 * Samples the number of namespace threads every half millisecond on a worker thread, until
 * stopped, and returns the largest: the main thread, busy settling the calls, cannot be the one to
 * watch for their threads.
 */
async function watchNamespaceThreads(): Promise<{ stop(): Promise<number> }> {
  const flags = new Int32Array(new SharedArrayBuffer(8)); // [stop, peak]
  // Only the addon's namespace threads (named bpfscope-netns), so that a thread something else
  // starts meanwhile (V8, libuv's pool, a sanitizer's) is not counted against the cap.
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const { readdirSync, readFileSync } = require('node:fs');
     const flags = new Int32Array(workerData);
     const named = (tid) => { try { return readFileSync('/proc/self/task/' + tid + '/comm', 'utf8') === 'bpfscope-netns\\n'; } catch { return false; } };
     while (Atomics.load(flags, 0) === 0) {
       const n = readdirSync('/proc/self/task').filter(named).length;
       if (n > Atomics.load(flags, 1)) Atomics.store(flags, 1, n);
       Atomics.wait(flags, 0, 0, 0.5);
     }`,
    { eval: true, workerData: flags.buffer },
  );
  await new Promise((resolve) => worker.once('online', resolve));
  return {
    async stop() {
      Atomics.store(flags, 0, 1);
      Atomics.notify(flags, 0);
      await new Promise((resolve) => worker.once('exit', resolve));
      return Atomics.load(flags, 1);
    },
  };
}

const NATIVE = join(PACKAGE_ROOT, 'dist/cjs/native.js');

/** The addon's fixture that holds a namespace thread until a FIFO has a writer (not in bpfscope/testing). */
type WaitInNetns = (netns: string, fifo: string) => Promise<void>;
function fixtures(): { waitInNetns: WaitInNetns } {
  return (require(NATIVE) as { native(): { fixtures: { waitInNetns: WaitInNetns } } }).native().fixtures;
}

/** A FIFO in a fresh temporary directory, removed afterwards. */
function mustFifo(): string {
  const dir = tempDir('bpfscope-fifo-');
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  const fifo = join(dir, 'fifo');
  run('mkfifo', [fifo]);
  return fifo;
}

/** The addon's namespace threads alive now (named bpfscope-netns). */
function namespaceThreads(): number {
  return readdirSync('/proc/self/task').filter((tid) => {
    try {
      return readFileSync(`/proc/self/task/${tid}/comm`, 'utf8') === 'bpfscope-netns\n';
    } catch {
      return false; // the thread ended meanwhile
    }
  }).length;
}

/** Waits until the process has at most `n` threads (detached netns threads exit right after reporting). */
async function threadsSettle(n: number): Promise<number> {
  for (let i = 0; i < 200 && threadCount() > n; i++) await new Promise((r) => setTimeout(r, 10));
  return threadCount();
}

/** The namespace of every thread of this process. */
function threadNamespaces(): string[] {
  return readdirSync('/proc/self/task').map((tid) => {
    try {
      return readlinkSync(`/proc/self/task/${tid}/ns/net`);
    } catch {
      return 'gone';
    }
  });
}

describeKernel('netns threads', () => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld(3);
  });
  afterAll(async () => {
    await world?.teardown();
  });

  it('keeps the main thread and the pool in their namespace across 200 concurrent calls in other namespaces', async () => {
    const own = readlinkSync('/proc/thread-self/ns/net');
    await listInterfaces(); // warm up libuv's pool threads so they count in the baseline
    const threadsBefore = await threadsSettle(Infinity);
    const fdsBefore = openFdCount();
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      const p = world.pods[i % world.pods.length];
      const netns = i % 2 ? { name: p.netns } : { pid: p.pid };
      const kinds = [
        () => listInterfaces({ netns }),
        () => listRoutes({ netns }),
        () => listNeighbors({ netns }),
        () => listAttachments({ netns }),
        () => findPeer({ netns }),
        () => listInterfaces(), // own namespace, on the pool, interleaved
      ];
      calls.push(kinds[i % kinds.length]());
    }
    const results = await Promise.all(calls);
    expect(results.length).toBe(200);
    const peers = results.filter((r, i) => i % 6 === 4) as Awaited<ReturnType<typeof findPeer>>[];
    for (const r of peers) expect(r.peer?.name.startsWith('lxc')).toBe(true);

    expect(readlinkSync('/proc/thread-self/ns/net')).toBe(own);
    expect(await threadsSettle(threadsBefore)).toBeLessThanOrEqual(threadsBefore);
    // Every thread still alive (main, pool, V8) is in the caller's namespace.
    expect(new Set(threadNamespaces().filter((n) => n !== 'gone'))).toEqual(new Set([own]));
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('caps threads in flight: never more than 16 namespace threads at once', async () => {
    // Each of 40 calls opens a FIFO for reading from inside the namespace, which waits until a
    // writer comes: their threads stay in flight, as many as the cap lets run.
    const fifo = mustFifo();
    const netns = `/var/run/netns/${mustNetns()}`;
    const base = await threadsSettle(Infinity);
    const watch = await watchNamespaceThreads();
    const calls = Array.from({ length: 40 }, () => fixtures().waitInNetns(netns, fifo).catch((e: unknown) => e));
    let held = 0;
    let results: unknown[];
    let peak: number;
    try {
      for (let i = 0; i < 500 && namespaceThreads() < 16; i++) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 100)); // time for a 17th, were the cap to let one through
      held = namespaceThreads();
    } finally {
      // O_RDWR never blocks on a FIFO and is a writer: every open() waiting returns, and every later
      // one, until it closes. Done whatever happened above, so that no call is left waiting.
      const writer = openSync(fifo, 'r+');
      results = await Promise.all(calls); // each call's rejection is caught: this cannot throw
      closeSync(writer);
      peak = await watch.stop();
    }
    expect(results).toEqual(Array(40).fill(undefined));
    expect(held).toBe(16); // the cap, reached…
    expect(peak).toBe(16); // …and never passed, while the queued calls took their turns
    await threadsSettle(base);
  });

  it('settles queued calls over several turns of the event loop, never more than 16 in one', async () => {
    // libuv runs, in one pass, every async handle that is pending by the time the pass reaches it:
    // when each queued call had its handle from the start, the pass that settled one call reached
    // the handles of the calls it launched, and settled a whole batch without returning to the
    // loop (600 calls into a namespace of 1,200 devices: 7.5 s with no timer or I/O run).
    const netns = { name: mustNetns() };
    let turn = 0;
    let turning = true;
    const tick = (): void => {
      turn++;
      if (turning) setImmediate(tick);
    };
    setImmediate(tick);
    const perTurn = new Map<number, number>();
    const settled = (): void => {
      perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
      // Work done with each answer, as callers do: the threads launched meanwhile have time to finish.
      const until = performance.now() + 2;
      while (performance.now() < until);
    };
    try {
      await Promise.all(Array.from({ length: 120 }, () => listInterfaces({ netns }).then(settled)));
    } finally {
      turning = false;
    }
    expect([...perTurn.values()].reduce((a, b) => a + b)).toBe(120);
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(16);
  });

  it('gives each worker_thread its own 16 namespace threads: one that is stuck does not hold up another', async () => {
    // The worker's calls are held in open() by a FIFO, as in the test above: all 16 of its threads
    // stay in flight. Before, the cap and the queue were the process's, and this thread's call
    // waited behind them (and, had the worker been terminated, for ever).
    const fifo = mustFifo();
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const { fixtures } = require(workerData.native).native();
       const calls = Array.from({ length: 20 }, () => fixtures.waitInNetns('/proc/self/ns/net', workerData.fifo).then(() => 'ok', (e) => e.code));
       Promise.all(calls).then((codes) => parentPort.postMessage(codes));`,
      { eval: true, workerData: { fifo, native: NATIVE } },
    );
    const codes = new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    let writer: number | undefined;
    try {
      for (let i = 0; i < 500 && namespaceThreads() < 16; i++) await new Promise((r) => setTimeout(r, 10));
      expect(namespaceThreads()).toBe(16);
      const netns = mustNetns();
      const answer = await Promise.race([
        listInterfaces({ netns: { name: netns } }),
        new Promise((r) => setTimeout(() => r('still waiting after 10 s'), 10_000)),
      ]);
      expect(answer).toEqual([expect.objectContaining({ name: 'lo' })]);
      expect(namespaceThreads()).toBe(16); // the worker's, still held
    } finally {
      writer = openSync(fifo, 'r+'); // lets the worker's calls end
    }
    expect(await codes).toEqual(Array(20).fill('ok'));
    closeSync(writer);
    await worker.terminate();
  });

  it('gives a clear BpfError for a process that exited and a namespace that was deleted', async () => {
    const gone = spawnSync('true');
    const pidErr = await listInterfaces({ netns: { pid: gone.pid! } }).catch((e: unknown) => e);
    expect(pidErr).toBeInstanceOf(BpfError);
    expect(pidErr).toMatchObject({ code: 'ENOENT', op: 'open netns', object: `netns /proc/${gone.pid}/ns/net` });
    expect((pidErr as Error).message).toContain('the process or namespace is gone');
    expect((pidErr as Error).stack).toContain('net.threads.test.ts');

    const ns = await createNetns(uniqueName('gone'));
    await ns.remove();
    const nameErr = await listRoutes({ netns: ns.ref }).catch((e: unknown) => e);
    expect(nameErr).toMatchObject({ code: 'ENOENT', op: 'open netns', object: `netns ${ns.path}` });

    const notNs = await listInterfaces({ netns: { path: '/etc/hostname' } }).catch((e: unknown) => e);
    expect(notNs).toMatchObject({ code: 'EINVAL', op: 'setns', detail: 'not a network namespace' });
    // Another kind of namespace: an nsfs file, which stats as an empty regular file too.
    const mountNs = await listInterfaces({ netns: { path: '/proc/self/ns/mnt' } }).catch((e: unknown) => e);
    expect(mountNs).toMatchObject({ code: 'EINVAL', op: 'setns', detail: 'not a network namespace' });

    const noDev = await listAttachments({ netns: { name: world.pods[0].netns }, ifname: 'nosuchdev' }).catch((e: unknown) => e);
    expect(noDev).toMatchObject({ code: 'ENODEV', object: 'interface nosuchdev' });
    await expect(findPeer({ netns: { name: world.pods[0].netns }, ifname: 'nosuchdev' })).rejects.toMatchObject({ code: 'ENODEV' });
  });

  it('refuses a FIFO, a device and a directory named as a namespace without opening them', async () => {
    // Opened for reading, a FIFO waited for a writer: every call given one hung, with its thread
    // (one of the 16) and the process's exit. A device's open runs its driver (a watchdog's arms it).
    const fifo = mustFifo();
    const calls = [fifo, '/dev/null', '/tmp'].flatMap((path) => [
      listInterfaces({ netns: { path } }),
      listAttachments({ netns: { path } }),
      findPeer({ netns: { path } }),
      getEthtoolStats({ netns: { path }, ifname: 'lo' }),
    ]);
    const outcomes = await Promise.race([
      Promise.all(calls.map((c) => c.catch((e: unknown) => e))),
      new Promise((r) => setTimeout(() => r('still waiting after 5 s'), 5000)),
    ]);
    if (!Array.isArray(outcomes)) {
      const writer = openSync(fifo, 'r+'); // lets the calls that hung end
      await Promise.allSettled(calls);
      closeSync(writer);
    }
    expect(outcomes).toEqual(Array(12).fill(expect.objectContaining({ code: 'EINVAL', op: 'setns', detail: 'not a network namespace' })));
    // No reader ever opened the FIFO: a writer that does not wait finds none.
    expect(() => openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)).toThrow(expect.objectContaining({ code: 'ENXIO' }));
  });

  it('rejects bad references and options before any native call', async () => {
    await expect(listInterfaces({ netns: { pid: 0 } })).rejects.toBeInstanceOf(RangeError);
    await expect(listInterfaces({ netns: { pid: 1.5 } })).rejects.toBeInstanceOf(RangeError);
    await expect(listInterfaces({ netns: { pid: '1' } as never })).rejects.toBeInstanceOf(TypeError);
    await expect(listInterfaces({ netns: { name: '../etc' } })).rejects.toBeInstanceOf(TypeError);
    await expect(listInterfaces({ netns: { path: '' } })).rejects.toBeInstanceOf(TypeError);
    await expect(listInterfaces({ netns: { pid: 1, name: 'x' } as never })).rejects.toBeInstanceOf(TypeError);
    await expect(listInterfaces({ netns: 'x' } as never)).rejects.toBeInstanceOf(TypeError);
    await expect(listInterfaces({ netNs: { pid: 1 } } as never)).rejects.toThrow(/did you mean 'netns'/);
    await expect(listAttachments({ ifname: 'a', ifindex: 1 })).rejects.toBeInstanceOf(TypeError);
    await expect(listAttachments({ ifindex: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(listAttachments({ ifname: 'x'.repeat(128) })).rejects.toBeInstanceOf(TypeError); // past an alternative name's 127 bytes
  });
});
