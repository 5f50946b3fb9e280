// Cilium's clock: what the datapath stamps NAT entries (`created`) and conntrack expiries
// (`lifetime`) with, and how cilium-dbg turns those stamps into seconds from now. The same from
// 1.14 to 1.20-dev (bpf/lib/time.h, pkg/maps/timestamp/timestamp.go):
//
//   bpf_mono_now()  ktime:   ktime_get_ns() / 1e9, seconds of CLOCK_MONOTONIC
//                   jiffies: jiffies64() >> 8 (BPF_MONO_SCALER)
//   to seconds      ktime: as it is; jiffies: (t << 8) / hertz, in u64 arithmetic
//
// The agent picks the source at start-up (jiffies when --enable-bpf-clock-probe and the kernel
// shows jiffies in /proc/schedstat) and writes it, before it serves anything, into
// <state dir>/agent-runtime-config.json: "ClockSource" (0 ktime, 1 jiffies) and "KernelHz".
// cilium-dbg asks the running agent first (GET /healthz), then reads that file; bpfscope reads the
// file only: it talks to no agent.
//
// Node's process.hrtime is libuv's uv_hrtime, clock_gettime(CLOCK_MONOTONIC), the clock
// ktime_get_ns() reads: its seconds are the datapath's, with no child process and no native call.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fsError, type BpfError } from '../errors';
import { checkOptions, checkPath } from '../validate';

/** Where the agent keeps its state (defaults.RuntimePath + defaults.StateDir). */
export const DEFAULT_STATE_DIR = '/var/run/cilium/state';
const RUNTIME_CONFIG = 'agent-runtime-config.json';
/** option.ClockSourceJiffies; every other value is ktime, as getClockSourceFromConfig reads it. */
const CLOCK_SOURCE_JIFFIES = 1;
/** BPF_MONO_SCALER: the datapath keeps jiffies shifted right by this. */
const MONO_SCALER = 8n;
const NS_PER_SEC = 1_000_000_000n;

export type ClockMode = 'ktime' | 'jiffies';

/** The datapath's clock: its source, and its time now in the units it stamps entries with. */
export interface CiliumClock {
  /** 'ktime': seconds of CLOCK_MONOTONIC; 'jiffies': the kernel's jiffies >> 8. */
  mode: ClockMode;
  /** The kernel's HZ the agent recorded (jiffies only; undefined for ktime). */
  hertz?: number;
  /** bpf_mono_now() as of the read, in the mode's units. */
  now: bigint;
}

/** Options of `cilium.clock()`. */
export interface ClockOptions {
  /**
   * The clock source, as cilium-dbg's `--time-diff-clocksource-mode` gives it: the agent's runtime
   * config is then not read. Default: the runtime config's.
   */
  mode?: ClockMode;
  /** With `mode: 'jiffies'`, the kernel's HZ (cilium-dbg's `--time-diff-clocksource-hz`). */
  hertz?: number;
  /** The agent's state directory, which holds agent-runtime-config.json; default /var/run/cilium/state. */
  stateDir?: string;
}

/**
 * Cilium's clock now: the source from the options, else from the agent's runtime config, and the
 * current time in the datapath's units (CLOCK_MONOTONIC seconds through process.hrtime, or jiffies
 * from /proc/schedstat, as cilium-dbg reads them, else from /proc/timer_list, which is root's).
 * Rejects with a BpfError when a file cannot be read (ENOENT: no agent ran with that state
 * directory), with an Error when the config is not JSON, and with a RangeError for a jiffies source
 * without a positive HZ (cilium-dbg: "invalid clock Hertz value (0)").
 */
export async function ciliumClock(options?: ClockOptions): Promise<CiliumClock> {
  const { mode, hertz, stateDir = DEFAULT_STATE_DIR } = checkOptions<ClockOptions>(options, ['mode', 'hertz', 'stateDir'], 'cilium.clock options');
  checkPath(stateDir, 'cilium.clock: stateDir');
  if (mode !== undefined && mode !== 'ktime' && mode !== 'jiffies') throw new RangeError(`cilium.clock: mode must be 'ktime' or 'jiffies', got ${String(mode)}`);
  if (mode === undefined && hertz !== undefined) throw new TypeError('cilium.clock: hertz goes with mode; without one, the runtime config gives both');
  const source = mode === undefined ? await runtimeClockSource(join(stateDir, RUNTIME_CONFIG)) : { mode, hertz };
  if (source.mode === 'ktime') return { mode: 'ktime', now: process.hrtime.bigint() / NS_PER_SEC };
  const hz = checkHertz(source.hertz, 'cilium.clock');
  return { mode: 'jiffies', hertz: hz, now: (await readJiffies()) >> MONO_SCALER };
}

/** getClockSourceFromConfig over the agent's runtime config. */
async function runtimeClockSource(path: string): Promise<{ mode: ClockMode; hertz?: number }> {
  const text = await readText(path);
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not JSON: ${(err as Error).message}`);
  }
  const { ClockSource: source, KernelHz: hertz } = (config ?? {}) as { ClockSource?: unknown; KernelHz?: unknown };
  if (source !== CLOCK_SOURCE_JIFFIES) return { mode: 'ktime' };
  return { mode: 'jiffies', hertz: typeof hertz === 'number' ? hertz : 0 };
}

function checkHertz(hertz: unknown, what: string): number {
  if (typeof hertz !== 'number' || !Number.isInteger(hertz) || hertz <= 0) throw new RangeError(`${what}: a jiffies clock needs a positive integer hertz, got ${String(hertz)}`);
  return hertz;
}

/**
 * The kernel's jiffies: /proc/schedstat's `timestamp` line, which cilium-dbg reads, exists with
 * CONFIG_SCHEDSTATS only; /proc/timer_list (mode 0400) prints the same counter as `jiffies:`.
 */
async function readJiffies(): Promise<bigint> {
  let schedstat: string | undefined;
  try {
    schedstat = await readText('/proc/schedstat');
  } catch (err) {
    if ((err as BpfError).code !== 'ENOENT') throw err;
  }
  const [path, text, line] = schedstat !== undefined
    ? ['/proc/schedstat', schedstat, /^timestamp (\d+)$/m]
    : ['/proc/timer_list', await readText('/proc/timer_list'), /^jiffies: (\d+)$/m];
  const found = line.exec(text);
  if (!found) throw new Error(`${path} has no jiffies count`);
  return BigInt(found[1]);
}

/** A file's text; a failed open or read is a BpfError, as every other failed kernel call. */
async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw fsError(err, path);
  }
}

/** A clock given to a formatter: checked, so that bad input is a TypeError/RangeError, not wrong text. */
export function checkClock(clock: unknown, what: string): CiliumClock | undefined {
  if (clock === undefined) return undefined;
  if (clock === null || typeof clock !== 'object') throw new TypeError(`${what}: clock must be { mode, hertz?, now } (cilium.clock() gives one)`);
  const { mode, hertz, now } = clock as Record<string, unknown>;
  if (mode !== 'ktime' && mode !== 'jiffies') throw new RangeError(`${what}: clock.mode must be 'ktime' or 'jiffies', got ${String(mode)}`);
  if (typeof now !== 'bigint' || now < 0n || now !== BigInt.asUintN(64, now)) throw new TypeError(`${what}: clock.now must be a u64 bigint`);
  return mode === 'ktime' ? { mode, now } : { mode, hertz: checkHertz(hertz, what), now };
}

/** NewCTTimeToSecConverter: a stamp in seconds, wrapping as Go's u64 arithmetic does. */
function seconds(clock: CiliumClock, stamp: bigint): bigint {
  if (clock.mode === 'ktime') return stamp;
  return BigInt.asUintN(64, stamp << MONO_SCALER) / BigInt(clock.hertz!);
}

/** Seconds from stamp `from` to stamp `to`: int64(to's seconds) − int64(from's), as cilium-dbg subtracts them. */
export function secondsBetween(clock: CiliumClock, from: bigint, to: bigint): bigint {
  return BigInt.asIntN(64, BigInt.asIntN(64, seconds(clock, to)) - BigInt.asIntN(64, seconds(clock, from)));
}
