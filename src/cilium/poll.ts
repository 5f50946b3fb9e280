// Polling a Cilium map for changes, decoded: what an exporter or dashboard needs from
// cilium_metrics (drop counters) or cilium_ipcache (identities coming and going) several times a
// second. The map's MapPoller diffs packed dumps; only the entries that changed are decoded.
import { disposeSymbol } from '../handle';
import type { MapChanges, MapPoller } from '../map-watch';
import { decodeLocated, locate, type CiliumMapKind, type CiliumMapRecords, type FamilyReadOptions, type Located } from './read';
import type { LayoutUsed } from './version';

/** What changed in a Cilium map since the previous poll (the first poll reports every entry as added). */
export interface CiliumChanges<T> {
  added: T[];
  removed: T[];
  /** Entries whose value changed: the record before and after (metrics: the counters then and now). */
  changed: { old: T; new: T }[];
  /** The layout the entries were decoded with, and where the map was found. */
  layout: LayoutUsed;
}

/**
 * A Cilium map held open and diffed poll after poll: an unchanged map costs one batched dump and
 * a compare, and decodes nothing. `close()` (or `using`) releases the map.
 */
export class CiliumPoller<T> {
  private readonly poller: MapPoller;

  /** @internal */
  constructor(private readonly located: Located<T>) {
    this.poller = located.found.map.poller();
  }

  /** Dumps the map now, on this thread, and decodes what changed. */
  poll(): CiliumChanges<T> {
    return this.decode(this.poller.poll());
  }

  /** The same with the dump off the main thread. */
  async pollAsync(): Promise<CiliumChanges<T>> {
    return this.decode(await this.poller.pollAsync());
  }

  /** Closes the map and drops the dumps kept for the next poll. Idempotent. */
  close(): void {
    this.poller.close();
    this.located.found.map.close();
  }

  [disposeSymbol](): void {
    this.close();
  }

  private decode(changes: MapChanges): CiliumChanges<T> {
    const cpus = changes.dump.cpus;
    const decode = (keys: Buffer[], values: Buffer[]) => decodeLocated(this.located, Buffer.concat(keys), Buffer.concat(values), keys.length, cpus);
    const added = decode(changes.added.map((e) => e.key), changes.added.map((e) => e.value));
    const removed = decode(changes.removed.map((e) => e.key), changes.removed.map((e) => e.value));
    const keys = changes.changed.map((e) => e.key);
    const before = decode(keys, changes.changed.map((e) => e.oldValue));
    const after = decode(keys, changes.changed.map((e) => e.value));
    return { added: [...added], removed: [...removed], changed: before.map((old, i) => ({ old, new: after[i] })), layout: added.layout };
  }
}

/**
 * Opens a Cilium map (by pin, else by name, as the readers find it) for polling:
 * `cilium.poller('metrics', { bpffs })`, then `poll()` or `pollAsync()` on the caller's schedule.
 */
export async function ciliumPoller<K extends CiliumMapKind>(kind: K, options?: FamilyReadOptions): Promise<CiliumPoller<CiliumMapRecords[K]>> {
  return new CiliumPoller(await locate(kind, options, `cilium.poller('${String(kind)}') options`));
}
