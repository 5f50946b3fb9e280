// `using` support: Symbol.dispose exists from Node 20 (and 18.18); older runtimes get the
// well-known symbol TypeScript's downlevel helpers look for.
export const disposeSymbol: typeof Symbol.dispose =
  (Symbol as { dispose?: typeof Symbol.dispose }).dispose ?? (Symbol.for('nodejs.dispose') as typeof Symbol.dispose);

import type { NativeFdHandle } from './native';

/** What using a closed handle throws (code ERR_BPFSCOPE_CLOSED), as the addon does for its handles: `what` is, say, 'map handle'. */
export function closedError(what: string): Error {
  return Object.assign(new Error(`the ${what} is closed`), { code: 'ERR_BPFSCOPE_CLOSED' });
}

/**
 * A public object that owns one kernel fd: `close()` releases it at once, `using` at the end of
 * the scope, and the garbage collector as a backstop (the native handle's finalizer).
 */
export class FdOwner {
  /** @internal */
  constructor(protected readonly handle: NativeFdHandle) {}

  /** Whether close() has run. */
  get closed(): boolean {
    return this.handle.closed;
  }

  close(): void {
    this.handle.close();
  }

  [disposeSymbol](): void {
    this.close();
  }
}
