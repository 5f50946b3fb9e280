// Polling maps: the changes a poller and watch() report are exactly the changes made between ticks.
import { expect, it } from 'vitest';
import { MAX_INTERVAL_MS, type MapChanges } from 'bpfscope';
import { deleteElem, updateBatch, updateElem } from 'bpfscope/testing';
import { describeKernel } from '../helpers/kernel';
import { u32, u64, mustMap } from '../helpers/maps';



/** The changes as sorted [key, old, new] hex triples, copied out of the poller's buffers. */
function summary(c: MapChanges): { added: string[][]; removed: string[][]; changed: string[][] } {
  const hex = (b: Buffer): string => b.toString('hex');
  return {
    added: c.added.map((e) => [hex(e.key), hex(e.value)]).sort(),
    removed: c.removed.map((e) => [hex(e.key), hex(e.value)]).sort(),
    changed: c.changed.map((e) => [hex(e.key), hex(e.oldValue), hex(e.value)]).sort(),
  };
}
const h = (b: Buffer): string => b.toString('hex');

describeKernel('map polling', () => {
  it('poll() reports exactly the entries added, removed and changed since the last poll', async () => {
    const { object, map } = await mustMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1024 });
    for (let i = 0; i < 100; i++) await updateElem(object, u32(i), u64(i));
    const poller = map.poller();
    const first = poller.poll();
    expect(first.added).toHaveLength(100); // the first tick: everything is new
    expect(first.dump.count).toBe(100);

    expect(summary(poller.poll())).toEqual({ added: [], removed: [], changed: [] });

    await updateElem(object, u32(500), u64(5));
    await deleteElem(object, u32(7));
    await updateElem(object, u32(8), u64(888));
    expect(summary(poller.poll())).toEqual({
      added: [[h(u32(500)), h(u64(5))]],
      removed: [[h(u32(7)), h(u64(7))]],
      changed: [[h(u32(8)), h(u64(8)), h(u64(888))]],
    });

    // Values only: the keys stay in place, the compare runs position by position.
    await updateElem(object, u32(1), u64(11));
    await updateElem(object, u32(2), u64(22));
    expect(summary(poller.poll())).toEqual({
      added: [],
      removed: [],
      changed: [[h(u32(1)), h(u64(1)), h(u64(11))], [h(u32(2)), h(u64(2)), h(u64(22))]],
    });
    expect(summary(poller.poll())).toEqual({ added: [], removed: [], changed: [] });

    // Growth past the reused buffers: 900 more entries.
    const keys = Buffer.alloc(900 * 4);
    for (let i = 0; i < 900; i++) keys.writeUInt32LE(1000 + i, i * 4);
    await updateBatch(object, keys, Buffer.alloc(900 * 8, 1), 900);
    const grown = poller.poll();
    expect(grown.added).toHaveLength(900);
    expect(grown.removed).toHaveLength(0);
    expect(grown.changed).toHaveLength(0);
    expect(grown.dump.count).toBe(1000);
    expect(summary(poller.poll())).toEqual({ added: [], removed: [], changed: [] });
  });

  it('reuses its buffers: an unchanged map is dumped into the buffers of the tick before last', async () => {
    const { object, map } = await mustMap({ type: 'hash', keySize: 16, valueSize: 24, maxEntries: 20000 });
    const n = 10_000;
    const keys = Buffer.alloc(n * 16);
    for (let i = 0; i < n; i++) keys.writeUInt32LE(i, i * 16);
    await updateBatch(object, keys, Buffer.alloc(n * 24, 3), n);
    const poller = map.poller();
    const t1 = poller.poll().dump;
    const t2 = poller.poll().dump;
    const t3 = poller.poll().dump;
    const t4 = poller.poll().dump;
    expect(t3.keys.buffer).toBe(t1.keys.buffer);
    expect(t3.values.buffer).toBe(t1.values.buffer);
    expect(t4.keys.buffer).toBe(t2.keys.buffer);
    expect(t2.keys.buffer).not.toBe(t1.keys.buffer);
    expect(t4.count).toBe(n);
  });

  it('per-CPU and array maps report per-CPU value changes', async () => {
    const { object, map } = await mustMap({ type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 16 });
    const poller = map.poller();
    expect(poller.poll().added).toHaveLength(16);
    const block = Buffer.alloc(map.possibleCpus * 8, 9);
    await updateElem(object, u32(3), block);
    const changes = poller.poll();
    expect(summary(changes)).toEqual({
      added: [],
      removed: [],
      changed: [[h(u32(3)), h(Buffer.alloc(map.possibleCpus * 8)), h(block)]],
    });
  });

  it('per-CPU values change only where their valueSize bytes do, not their slots\' padding', async () => {
    // 4-byte values in 8-byte slots: the kernel copies a slot's padding from what user space wrote.
    const { object, map } = await mustMap({ type: 'percpu_hash', keySize: 4, valueSize: 4, maxEntries: 8 });
    const cpus = map.possibleCpus;
    const block = (value: (cpu: number) => number, pad: number) => {
      const b = Buffer.alloc(cpus * 8, pad);
      for (let c = 0; c < cpus; c++) b.writeUInt32LE(value(c), c * 8);
      return b;
    };
    const poller = map.poller();
    await updateElem(object, u32(1), block((c) => c + 1, 0));
    expect(poller.poll().added).toHaveLength(1);
    // Padding alone: same keys in the same order (compared in place), nothing changed.
    await updateElem(object, u32(1), block((c) => c + 1, 0xee));
    expect(summary(poller.poll())).toEqual({ added: [], removed: [], changed: [] });
    // Padding again with a key added, so keys are joined by hash: only the new key is reported.
    await updateElem(object, u32(1), block((c) => c + 1, 0x11));
    await updateElem(object, u32(2), block(() => 7, 0));
    expect(summary(await poller.pollAsync())).toEqual({ added: [[h(u32(2)), h(block(() => 7, 0))]], removed: [], changed: [] });
    // A value byte of the last CPU is a change, padding and all.
    const last = block((c) => (c === cpus - 1 ? 99 : c + 1), 0x22);
    await updateElem(object, u32(1), last);
    expect(summary(poller.poll())).toEqual({ added: [], removed: [], changed: [[h(u32(1)), h(block((c) => c + 1, 0x11)), h(last)]] });
  });

  it('watch() yields each tick until its signal aborts', async () => {
    const { object, map } = await mustMap({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 64 });
    await updateElem(object, u32(1), u32(1));
    const controller = new AbortController();
    const ticks = map.watch({ intervalMs: 5, signal: controller.signal });
    const first = await ticks.next();
    expect(first.done).toBe(false);
    expect(summary(first.value as MapChanges).added).toEqual([[h(u32(1)), h(u32(1))]]);
    await updateElem(object, u32(2), u32(2));
    await updateElem(object, u32(1), u32(10));
    const second = await ticks.next();
    expect(summary(second.value as MapChanges)).toEqual({
      added: [[h(u32(2)), h(u32(2))]],
      removed: [],
      changed: [[h(u32(1)), h(u32(1)), h(u32(10))]],
    });
    expect(summary((await ticks.next()).value as MapChanges)).toEqual({ added: [], removed: [], changed: [] });
    controller.abort();
    expect((await ticks.next()).done).toBe(true);
  });

  it('watch() yields no tick after its signal aborts: already aborted, during a dump, between ticks', async () => {
    const { object, map } = await mustMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 64 });
    await updateElem(object, u32(1), u32(1));
    const aborted = new AbortController();
    aborted.abort();
    expect(await map.watch({ signal: aborted.signal }).next()).toEqual({ value: undefined, done: true });
    // Aborted while the tick's dump is in flight: the dump completes, its tick is not yielded.
    const during = new AbortController();
    const ticks = map.watch({ intervalMs: 0, signal: during.signal });
    const pending = ticks.next();
    during.abort();
    expect(await pending).toEqual({ value: undefined, done: true });
    // Aborted between ticks, while the consumer holds one: the next call ends at once.
    const between = new AbortController();
    const later = map.watch({ intervalMs: 60_000, signal: between.signal });
    expect((await later.next()).value?.added).toHaveLength(1);
    between.abort();
    expect(await later.next()).toEqual({ value: undefined, done: true });
  });

  it('many watches on one signal (an exporter\'s, one per map) take one abort listener between them, and all end on abort', async () => {
    // Node warns (MaxListenersExceededWarning) once an AbortSignal has more than 10 listeners: each
    // watch's sleep between ticks took one.
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const maps = await Promise.all(Array.from({ length: 12 }, () => mustMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 })));
      const controller = new AbortController();
      const ticks = maps.map(({ map }) => map.watch({ intervalMs: 60_000, signal: controller.signal }));
      for (const t of ticks) expect((await t.next()).done).toBe(false);
      // Every watch is now in its sleep: the next ticks wait for it.
      const next = ticks.map((t) => t.next());
      await new Promise((resolve) => setTimeout(resolve, 50));
      controller.abort();
      expect(await Promise.all(next)).toEqual(ticks.map(() => ({ value: undefined, done: true })));
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later turn
      expect(warnings).toEqual([]);
      // A watch started on the aborted signal ends at once, as before.
      expect(await maps[0].map.watch({ signal: controller.signal }).next()).toEqual({ value: undefined, done: true });
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a watch loop under concurrent churn neither crashes nor hangs, and ends on abort', async () => {
    const { object, map } = await mustMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4096 });
    const controller = new AbortController();
    let stop = false;
    const churn = (async () => {
      for (let round = 0; !stop; round++) {
        const k = u32((round * 31) % 2000);
        if (round % 3 === 2) await deleteElem(object, k).catch(() => undefined);
        else await updateElem(object, k, u64(round));
      }
    })();
    let ticks = 0;
    let seen = 0;
    setTimeout(() => controller.abort(), 500);
    try {
      for await (const change of map.watch({ intervalMs: 1, signal: controller.signal })) {
        ticks++;
        seen += change.added.length + change.removed.length + change.changed.length;
        expect(change.dump.count).toBeLessThanOrEqual(4096);
      }
    } finally {
      stop = true;
      await churn;
    }
    expect(ticks).toBeGreaterThan(5);
    expect(seen).toBeGreaterThan(0);
  });

  it('a poller closes like every handle: idempotent, with `using`; polls after it throw, the map stays open', async () => {
    const { object, map } = await mustMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8 });
    await updateElem(object, u32(1), u64(1));
    const poller = map.poller();
    expect(poller.closed).toBe(false);
    // A poll in flight at close() still returns its changes.
    const inFlight = poller.pollAsync();
    poller.close();
    poller.close();
    expect(poller.closed).toBe(true);
    expect((await inFlight).added).toHaveLength(1);
    expect(() => poller.poll()).toThrow(expect.objectContaining({ code: 'ERR_BPFSCOPE_CLOSED', message: 'the map poller is closed' }));
    await expect(poller.pollAsync()).rejects.toMatchObject({ code: 'ERR_BPFSCOPE_CLOSED' });
    expect(map.closed).toBe(false);
    expect((await map.dump()).count).toBe(1);
    let scoped: ReturnType<typeof map.poller>;
    {
      using p = map.poller();
      scoped = p;
      expect(p.poll().added).toHaveLength(1);
    }
    expect(scoped.closed).toBe(true);
  });

  it('rejects bad watch options and overlapping polls', async () => {
    const { map } = await mustMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 });
    expect(() => map.watch({ intervalMs: -1 })).toThrow(RangeError);
    expect(() => map.watch({ intervalMs: Number.NaN })).toThrow(RangeError);
    // Past 2^31 - 1 ms a Node timer fires after 1 ms: the watch would dump back to back.
    expect(() => map.watch({ intervalMs: 2 ** 31 })).toThrow(new RangeError('intervalMs must be a number in 0..2147483647, got 2147483648'));
    expect(() => map.watch({ intervalMs: MAX_INTERVAL_MS })).not.toThrow();
    expect(() => map.watch({ interval: 5 } as never)).toThrow(TypeError);
    expect(() => map.watch({ signal: { aborted: false } } as never)).toThrow(new TypeError('signal must be an AbortSignal'));
    const poller = map.poller();
    const pending = poller.pollAsync();
    await expect(poller.pollAsync()).rejects.toThrow('already in progress');
    await pending;
  });
});
