// `using` support: Symbol.dispose exists from Node 20 (and 18.18); older runtimes get the
// well-known symbol TypeScript's downlevel helpers look for.
export const disposeSymbol: typeof Symbol.dispose =
  (Symbol as { dispose?: typeof Symbol.dispose }).dispose ?? (Symbol.for('nodejs.dispose') as typeof Symbol.dispose);
