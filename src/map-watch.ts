// Polling a map for changes: each tick dumps into the buffers of the tick before last and
// compares packed buffers, so an unchanged map costs one batched dump and two memcmp, with no
// allocation per entry.
import { setTimeout as sleep } from 'node:timers/promises';
import { closedError, disposeSymbol } from './handle';
import { MapDump, type RawDump } from './map-dump';
import { native } from './native';
import { checkOptions } from './validate';

/** An entry that appeared or disappeared: views into the poller's buffers. */
export interface MapChange {
  key: Buffer;
  value: Buffer;
}

/** An entry whose value changed. */
export interface MapValueChange {
  key: Buffer;
  oldValue: Buffer;
  value: Buffer;
}

/**
 * What changed since the previous tick (the first tick reports every entry as added). The
 * buffers are the poller's own: they stay valid until the next tick's dump reuses them, so copy
 * what you keep longer.
 */
export interface MapChanges {
  added: MapChange[];
  removed: MapChange[];
  changed: MapValueChange[];
  /** The whole map as of this tick. */
  dump: MapDump;
}

export interface WatchOptions {
  /** Time between the end of one tick and the start of the next; default 1000, at most MAX_INTERVAL_MS (2^31 - 1). */
  intervalMs?: number;
  /** Ends the iteration: at once between ticks, and after a dump in flight completes (its tick is not yielded). */
  signal?: AbortSignal;
}

/** What a poller needs from its map (BpfMap provides it). */
export interface PollSource {
  /** One dump into the given buffers when they are large enough (native mapDump). */
  rawDump(sync: true, reuse?: RawDump): RawDump;
  rawDump(sync: false, reuse?: RawDump): Promise<RawDump>;
  wrap(raw: RawDump): MapDump;
}

/**
 * Diffs successive dumps of one map. `poll()` is synchronous, for loops that schedule themselves.
 * It keeps two dumps between polls (the last, to diff against, and the one before, for the next
 * dump to fill): `close()` (or `using`) drops them. The map stays open: it is its BpfMap's.
 */
export class MapPoller {
  private previous?: { raw: RawDump; dump: MapDump };
  private spare?: RawDump;
  private busy = false;
  private isClosed = false;

  /** @internal */
  constructor(private readonly source: PollSource) {}

  /** Dumps the map now (on this thread) and returns what changed since the last poll. */
  poll(): MapChanges {
    this.enter();
    try {
      return this.advance(this.source.rawDump(true, this.spare));
    } finally {
      this.busy = false;
    }
  }

  /** The same with the dump off the main thread. */
  async pollAsync(): Promise<MapChanges> {
    this.enter();
    try {
      return this.advance(await this.source.rawDump(false, this.spare));
    } finally {
      this.busy = false;
    }
  }

  /** Whether close() has run. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Drops the dumps the poller keeps: for a map of a million entries, tens of MiB that would
   * otherwise live as long as the poller does. Polls after it throw (code ERR_BPFSCOPE_CLOSED, as
   * a closed map handle's); a pollAsync() in flight still returns its changes. Idempotent.
   */
  close(): void {
    this.isClosed = true;
    this.previous = undefined;
    this.spare = undefined;
  }

  [disposeSymbol](): void {
    this.close();
  }

  private enter(): void {
    if (this.isClosed) throw closedError('map poller');
    // Two dumps in flight would write into the same spare buffers.
    if (this.busy) throw new Error('a poll of this map is already in progress');
    this.busy = true;
  }

  private advance(raw: RawDump): MapChanges {
    const dump = this.source.wrap(raw);
    const previous = this.previous;
    // Closed while the dump ran: its changes are returned, but nothing is kept for a next poll.
    if (!this.isClosed) {
      this.spare = previous?.raw;
      this.previous = { raw, dump };
    }
    const changes: MapChanges = { added: [], removed: [], changed: [], dump };
    if (!previous) {
      for (let i = 0; i < dump.count; i++) changes.added.push({ key: dump.key(i), value: dump.value(i) });
      return changes;
    }
    const old = previous.dump;
    // The unchanged map's fast path: whole buffers, padding and all. When they differ, the diff
    // compares per-CPU values without their slots' padding, which user space, not the program,
    // last wrote: a change of padding alone changes no entry.
    if (old.count === dump.count && old.keys.equals(dump.keys) && old.values.equals(dump.values)) return changes;
    const diff = native().mapDiff(old.keys, old.values, old.count, dump.keys, dump.values, dump.count, dump.keySize, dump.valueStride, dump.valueSize, dump.cpus ?? 0);
    const [added, removed, changed] = diff;
    let at = 3;
    for (let n = 0; n < added; n++, at++) changes.added.push({ key: dump.key(diff[at]), value: dump.value(diff[at]) });
    for (let n = 0; n < removed; n++, at++) changes.removed.push({ key: old.key(diff[at]), value: old.value(diff[at]) });
    for (let n = 0; n < changed; n++, at += 2) {
      changes.changed.push({ key: dump.key(diff[at + 1]), oldValue: old.value(diff[at]), value: dump.value(diff[at + 1]) });
    }
    return changes;
  }
}

/**
 * The longest interval a Node timer keeps: a longer one fires after 1 ms (TimeoutOverflowWarning),
 * which would turn a watch of a long interval into a loop of back-to-back dumps.
 */
export const MAX_INTERVAL_MS = 2 ** 31 - 1;

/** Ticks of a poller every `intervalMs` until `signal` aborts. Options are checked now, not at the first tick. */
export function watchPoller(poller: MapPoller, options: WatchOptions = {}): AsyncGenerator<MapChanges, void, undefined> {
  const { intervalMs = 1000, signal } = checkOptions<WatchOptions>(options, ['intervalMs', 'signal'], 'watch');
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 0 || intervalMs > MAX_INTERVAL_MS) {
    throw new RangeError(`intervalMs must be a number in 0..${MAX_INTERVAL_MS}, got ${String(intervalMs)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  return ticks(poller, intervalMs, signal);
}

/**
 * The sleeps of every watch on one signal, woken by one abort listener between them: Node warns
 * (MaxListenersExceededWarning) once an AbortSignal has more than 10 listeners, which an exporter
 * that watches a dozen maps until one shutdown signal reached with a listener per sleep.
 */
const sleepers = new WeakMap<AbortSignal, Set<() => void>>();

/** Resolves true after `ms`, or false as soon as `signal` aborts (at once if it has). */
export function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal === undefined) return sleep(ms, true);
  if (signal.aborted) return Promise.resolve(false);
  let wakes = sleepers.get(signal);
  if (wakes === undefined) {
    const all = new Set<() => void>();
    signal.addEventListener('abort', () => {
      for (const wake of all) wake();
      all.clear();
    }, { once: true });
    sleepers.set(signal, (wakes = all));
  }
  const waiting = wakes;
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      waiting.delete(wake);
      resolve(true);
    }, ms);
    waiting.add(wake);
  });
}

async function* ticks(poller: MapPoller, intervalMs: number, signal?: AbortSignal): AsyncGenerator<MapChanges, void, undefined> {
  // The poller is the watch's own: its dumps go when the iteration ends (abort, break, error).
  // try/finally rather than `using`, whose downlevel helper needs a global Symbol.dispose, which
  // Node 18 before 18.18 lacks.
  try {
    while (!signal?.aborted) {
      const changes = await poller.pollAsync();
      // An abort while the dump ran ends the iteration here: a loop that aborted (to shut down, or
      // with --count reached) gets no tick after abort() returned.
      if (signal?.aborted) return;
      yield changes;
      // An abort while the consumer held the tick ends the sleep at once.
      if (!(await sleepUnlessAborted(intervalMs, signal))) return;
    }
  } finally {
    poller.close();
  }
}
