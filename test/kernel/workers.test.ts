// The addon's life beside the caller's: worker_threads that load it, and are terminated or exit,
// with every kind of call, handle and watch in flight; watches ended by close() and break; and
// processes that exit with all of that still open.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';
import { dumpMemoryStats, listInterfaces, listPrograms, openMap } from 'bpfscope';
import { createMap, createNetns, updateBatch, type KernelObject } from 'bpfscope/testing';
import { cleanup, describeKernel, openFdCount, owned, uniqueName } from '../helpers/kernel';

/** A hash map of `entries` entries (keys 0…entries-1), closed when the test ends. */
async function filledMap(entries: number): Promise<KernelObject> {
  const map = owned(await createMap({ type: 'hash', name: 'bpfs_workers', keySize: 4, valueSize: 8, maxEntries: 4096 }));
  const keys = Buffer.alloc(4 * entries);
  for (let i = 0; i < entries; i++) keys.writeUInt32LE(i, 4 * i);
  await updateBatch(map, keys, Buffer.alloc(8 * entries), entries);
  return map;
}

/** The threads of this process that are not in its network namespace, or are the addon's namespace threads. */
function strayThreads(): string[] {
  const own = readlinkSync('/proc/self/ns/net');
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      const ns = readlinkSync(`/proc/self/task/${tid}/ns/net`);
      return ns !== own || comm === 'bpfscope-netns' ? [`${tid} ${comm} ${ns}`] : [];
    } catch {
      return []; // ended meanwhile
    }
  });
}

/** Polls `read` every 10 ms for up to 2 s until it returns `want`; returns its last answer. */
async function settles<T>(read: () => T, want: T): Promise<T> {
  let got = read();
  for (let i = 0; i < 200 && got !== want; i++) {
    await new Promise((r) => setTimeout(r, 10));
    got = read();
  }
  return got;
}

// In each worker: 8 handles on the map, 10 of their dumps held (their memory lent to JS), a watch
// dumping back to back, a poller that keeps two dumps, and, in flight, 24 calls into another
// namespace (16 on threads, 8 queued behind them), listings and dumps. Then, told so, it exits by
// itself; otherwise the test terminates it.
const busyWorker = `
  const { parentPort, workerData: { mapId, netns, exitCode } } = require('node:worker_threads');
  const b = require('bpfscope');
  (async () => {
    const maps = [];
    for (let i = 0; i < 8; i++) maps.push(await b.openMap(mapId));
    const dumps = [];
    for (const m of maps.slice(0, 5)) dumps.push(await m.dump(), m.dumpSync());
    const poller = maps[5].poller();
    poller.poll();
    (async () => { for await (const tick of maps[6].watch({ intervalMs: 0 })) dumps.push(tick.dump.count); })().catch(() => {});
    for (let i = 0; i < 24; i++) b.listInterfaces({ netns }).catch(() => {});
    for (let i = 0; i < 8; i++) { b.listPrograms().catch(() => {}); maps[7].dump().catch(() => {}); }
    globalThis.held = { maps, dumps, poller };
    parentPort.postMessage('busy');
    if (exitCode !== undefined) process.exit(exitCode);
  })();
`;

describeKernel('worker_threads and exit', () => {
  it('workers terminated or exiting with handles, dumps, a watch and calls in flight leave no fd, dump memory or namespace thread behind, and the main thread is unaffected', async () => {
    const ns = await createNetns(uniqueName('wk'));
    cleanup(() => ns.remove());
    const object = await filledMap(2048);
    using mine = await openMap(object.id);
    // What the process holds once the addon and Node's worker support have been used once (the
    // first Worker leaves an fd of Node's open for good).
    await listInterfaces({ netns: { path: ns.path } });
    await new Promise((resolve) => new Worker('', { eval: true }).once('exit', resolve));
    const fds = openFdCount();
    const { lentBlocks } = dumpMemoryStats();

    for (let round = 0; round < 3; round++) {
      const workers = [0, 1, 2].map((i) => {
        const worker = new Worker(busyWorker, { eval: true, workerData: { mapId: object.id, netns: { path: ns.path }, exitCode: i === 0 ? 7 : undefined } });
        const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
        worker.on('error', () => undefined);
        return { worker, exited, busy: new Promise((resolve) => worker.once('message', resolve)) };
      });
      // The first exits by itself (its message may be lost with it); the others are terminated.
      expect(await workers[0].exited).toBe(7);
      await Promise.all(workers.slice(1).map((w) => w.busy));
      await new Promise((r) => setTimeout(r, round));
      await Promise.all(workers.slice(1).map((w) => w.worker.terminate()));
    }

    expect(await settles(openFdCount, fds)).toBe(fds);
    // Every dump the workers held was given back when their environments went.
    expect(dumpMemoryStats().lentBlocks).toBe(lentBlocks);
    expect(await settles(() => strayThreads().join('\n'), '')).toBe('');
    expect((await mine.dump()).count).toBe(2048);
    expect((await listInterfaces({ netns: { path: ns.path } })).map((i) => i.name)).toEqual(['lo']);
  });

  // A child process that opens the map, starts a watch, holds dumps and leaves calls of each kind
  // in flight (in this thread and in two busy workers), then ends as `ending` says. It must end
  // by itself, as told, neither crashing (a signal), nor hanging on the threads still working.
  it.each([
    ['process.exit() with everything in flight', 'process.exit(3)', 3],
    ['an uncaught exception with everything in flight', "throw new Error('ended')", 1],
    ['natural exit once the watch is aborted and the calls settle, the handles left open', 'watching.abort()', 0],
  ])('a process ends on %s', async (_, ending, code) => {
    const ns = await createNetns(uniqueName('wx'));
    cleanup(() => ns.remove());
    const object = await filledMap(2048);
    const script = `
      const { Worker } = require('node:worker_threads');
      const b = require('bpfscope');
      const [mapId, path] = [Number(process.argv[1]), process.argv[2]];
      const watching = new AbortController();
      (async () => {
        const map = await b.openMap(mapId);
        globalThis.held = [await map.dump(), map.dumpSync()];
        (async () => { for await (const tick of map.watch({ intervalMs: 0, signal: watching.signal })) held.push(tick.dump.count); })();
        const workers = [0, 1].map(() => new Worker(${JSON.stringify(busyWorker)}, { eval: true, workerData: { mapId, netns: { path } } }));
        await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
        // Natural exit: nothing may keep the loop alive but the calls themselves.
        for (const w of workers) w.unref();
        for (let i = 0; i < 24; i++) b.listInterfaces({ netns: { path } }).catch(() => {});
        for (let i = 0; i < 8; i++) { b.listPrograms(); map.dump(); }
        setImmediate(() => { ${ending}; });
      })();
    `;
    const child = spawnSync(process.execPath, ['-e', script, String(object.id), ns.path], { encoding: 'utf8', timeout: 20_000 });
    expect({ status: child.status, signal: child.signal, error: child.error }).toEqual({ status: code, signal: null, error: undefined });
    if (code === 1) expect(child.stderr).toContain('Error: ended');
    else expect(child.stderr).toBe('');
  });

  it('a watch whose map is closed under it ends its loop with the closed handle error at the next tick, not a hang', async () => {
    const object = await filledMap(16);
    const map = await openMap(object.id);
    let ticks = 0;
    const loop = (async () => {
      for await (const tick of map.watch({ intervalMs: 5 })) {
        ticks++;
        expect(tick.dump.count).toBe(16);
        if (ticks === 2) map.close();
      }
    })();
    await expect(loop).rejects.toMatchObject({ code: 'ERR_BPFSCOPE_CLOSED', message: 'the map handle is closed' });
    expect(ticks).toBe(2);
  });

  it('dump memory a worker leaves is freed when it ends: no timer of its own is left to free it after 10 s', async () => {
    const object = await filledMap(4096);
    await listPrograms(); // this thread has the addon loaded, so the worker's end does not unload it
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const b = require('bpfscope');
       (async () => {
         const map = await b.openMap(workerData);
         globalThis.held = [await map.dump(), await map.dump(), map.dumpSync()];
         parentPort.postMessage('held');
       })();`,
      { eval: true, workerData: object.id },
    );
    await new Promise((resolve) => worker.once('message', resolve));
    await worker.terminate();
    // Its three dumps' buffers came back as it ended. Kept, they waited for a dump of this thread
    // (src/maps.ts tidyDumpMemory runs only where dumps were made): 64 MiB could stay for good.
    expect(dumpMemoryStats()).toMatchObject({ keptBlocks: 0, keptBytes: 0 });
  });
});

