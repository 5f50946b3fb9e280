// cilium.clock(): the clock source from the agent's runtime config (or given), and the time now in
// the datapath's units, against the kernel's own counters in /proc/timer_list (root only): `now
// at N nsecs` is ktime_get(), CLOCK_MONOTONIC, and `jiffies: N` the tick count.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { BpfError, cilium } from 'bpfscope';
import { cleanup, describeKernel, tempDir } from '../helpers/kernel';

function timerList(): { seconds: bigint; jiffies: bigint } {
  const text = readFileSync('/proc/timer_list', 'utf8');
  return { seconds: BigInt(/^now at (\d+) nsecs$/m.exec(text)![1]) / 1_000_000_000n, jiffies: BigInt(/^jiffies: (\d+)$/m.exec(text)![1]) };
}

/** A state directory holding agent-runtime-config.json with `config` (a string as it is, else JSON). */
function stateDir(config?: unknown): string {
  const dir = tempDir('bpfscope-cilium-state-');
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  if (config !== undefined) writeFileSync(join(dir, 'agent-runtime-config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

describeKernel('cilium.clock', () => {
  it('ktime: the seconds of CLOCK_MONOTONIC, as the kernel counts them', async () => {
    const before = timerList().seconds;
    const clock = await cilium.clock({ mode: 'ktime' });
    const after = timerList().seconds;
    expect(clock.mode).toBe('ktime');
    expect(clock.hertz).toBeUndefined();
    expect(clock.now >= before && clock.now <= after, `${before} ≤ ${clock.now} ≤ ${after}`).toBe(true);
  });

  it('jiffies: the kernel\'s tick count shifted right by 8 (BPF_MONO_SCALER)', async () => {
    const before = timerList().jiffies >> 8n;
    const clock = await cilium.clock({ mode: 'jiffies', hertz: 250 });
    const after = timerList().jiffies >> 8n;
    expect(clock).toMatchObject({ mode: 'jiffies', hertz: 250 });
    expect(clock.now >= before && clock.now <= after, `${before} ≤ ${clock.now} ≤ ${after}`).toBe(true);
  });

  it('reads the source from the agent\'s runtime config: ClockSource 1 is jiffies at KernelHz, anything else ktime', async () => {
    expect(await cilium.clock({ stateDir: stateDir({ ClockSource: 1, KernelHz: 100, EnableIPv6: true }) })).toMatchObject({ mode: 'jiffies', hertz: 100 });
    expect((await cilium.clock({ stateDir: stateDir({ ClockSource: 0, KernelHz: 100 }) })).mode).toBe('ktime');
    expect((await cilium.clock({ stateDir: stateDir({}) })).mode).toBe('ktime');
    // cilium-dbg: "invalid clock Hertz value (0)".
    await expect(cilium.clock({ stateDir: stateDir({ ClockSource: 1 }) })).rejects.toThrow(RangeError);
    await expect(cilium.clock({ stateDir: stateDir('{"ClockSource": 1,') })).rejects.toThrow(/agent-runtime-config\.json is not JSON/);
    // No agent ever ran with that state directory.
    const missing = stateDir();
    const err = await cilium.clock({ stateDir: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({ code: 'ENOENT', errno: 2, op: 'open', object: join(missing, 'agent-runtime-config.json') });
    expect((err as Error).message).toBe(`open ${join(missing, 'agent-runtime-config.json')}: no such file or directory (ENOENT)`);
    // A directory where the file should be: the read fails, and Node's message names no path.
    const wrong = stateDir();
    mkdirSync(join(wrong, 'agent-runtime-config.json'));
    const eisdir = await cilium.clock({ stateDir: wrong }).catch((e: unknown) => e);
    expect(eisdir).toMatchObject({ code: 'EISDIR', op: 'read', object: join(wrong, 'agent-runtime-config.json') });
    expect((eisdir as Error).message).toBe(`read ${join(wrong, 'agent-runtime-config.json')}: illegal operation on a directory (EISDIR)`);
  });

  it('bad options are TypeErrors and RangeErrors, before any file is read', async () => {
    await expect(cilium.clock({ mode: 'utc' as never })).rejects.toThrow(RangeError);
    await expect(cilium.clock({ mode: 'jiffies' })).rejects.toThrow(RangeError);
    await expect(cilium.clock({ mode: 'jiffies', hertz: 2.5 })).rejects.toThrow(RangeError);
    await expect(cilium.clock({ hertz: 250 })).rejects.toThrow(TypeError);
    await expect(cilium.clock({ stateDir: '' })).rejects.toThrow(TypeError);
    // A path the kernel cannot take is bad input, not a failed open.
    await expect(cilium.clock({ stateDir: '/var/run/cilium\0/state' })).rejects.toThrow(TypeError);
    await expect(cilium.clock({ statedir: '/tmp' } as never)).rejects.toThrow(/did you mean 'stateDir'/);
  });
});
