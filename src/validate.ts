// Argument checks shared by every module: bad input gets a TypeError or RangeError here,
// before native code runs.

/** A kernel object id: an integer in 1..2^32-1. */
export function checkId(value: unknown, what: string): number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value)) throw new RangeError(`${what} must be an integer, got ${value}`);
  if (value < 1 || value > 0xffffffff) throw new RangeError(`${what} must be between 1 and 4294967295, got ${value}`);
  return value;
}

/** A non-empty path string without NUL bytes. */
export function checkPath(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string, got ${describe(value)}`);
  if (value.length === 0) throw new TypeError(`${what} must not be empty`);
  if (value.includes('\0')) throw new TypeError(`${what} must not contain NUL bytes`);
  return value;
}

/** The longest interface name (IFNAMSIZ - 1): what if_nametoindex and the ethtool ioctl take. */
export const MAX_IFNAME = 15;
/** The longest alternative name (ALTIFNAMSIZ - 1): `ip link property add … altname` takes up to 127. */
export const MAX_ALTNAME = 127;

/**
 * An interface name the kernel could hold (dev_valid_name): 1 to 15 bytes (IFNAMSIZ - 1, in
 * UTF-8, as the kernel counts; `maxBytes` MAX_ALTNAME where alternative names are matched too),
 * not '.' or '..', without '/' or whitespace. Anything else names no device, and is refused here
 * rather than by a netlink or ioctl call. (':' is left to the kernel: SIOCETHTOOL reads 'eth0:1'
 * as eth0.)
 */
export function checkIfname(value: unknown, what: string, maxBytes = MAX_IFNAME): string {
  if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > maxBytes || value === '.' || value === '..' || /[/\s]/.test(value)) {
    throw new TypeError(`${what} must be an interface name of 1 to ${maxBytes} bytes without '/' or spaces, got ${describe(value)}`);
  }
  return value;
}

/** Rejects keys an options object does not know, naming the near miss. */
export function checkOptions<T extends object>(value: unknown, known: readonly string[], what: string): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') throw new TypeError(`${what} must be an object`);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const near = known.find((k) => k.toLowerCase() === key.toLowerCase());
      throw new TypeError(`${what}: unknown option '${key}'${near ? ` (did you mean '${near}'?)` : ''}`);
    }
  }
  return value as Partial<T>;
}

/**
 * `value` as a Buffer over the same memory (no copy) when it is a Buffer or Uint8Array: decoders
 * read through Buffer methods (toString, indexOf, subarray), which a plain Uint8Array lacks or
 * gives other meanings. A TypeError naming `what` for anything else.
 */
export function checkBytes(value: unknown, what: string): Buffer {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${what} must be a Buffer or Uint8Array, got ${describe(value)}`);
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

export function describe(value: unknown): string {
  // typeof and String() of these say the same word: 'got undefined', not 'got undefined undefined'.
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}
