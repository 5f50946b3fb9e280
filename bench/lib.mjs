// Shared pieces of the benchmarks: timing, C baselines compiled at run time, markdown tables.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Median wall time in ms of `fn` over `runs` runs, after `warmup` runs. The garbage of earlier
 * measurements is collected first (scripts/bench.sh runs node with --expose-gc), so that no series
 * pays for the one before it.
 */
export async function medianMs(fn, runs = 7, warmup = 1) {
  globalThis.gc?.();
  for (let i = 0; i < warmup; i++) await fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/**
 * Runs `measure` (an async function returning named times in ms) twice and keeps the lower of each
 * time. On a shared VM a burst of noise from its neighbours lasts seconds, long enough to cover
 * one series; C baselines, tools and bpfscope alike get the lower of two passes taken apart.
 */
export async function lowerOfTwo(measure) {
  const first = await measure();
  const second = await measure();
  return Object.fromEntries(Object.keys(first).map((k) => [k, Math.min(first[k], second[k])]));
}

/** Median wall time in ms of a command over `runs` runs (after one warm-up). */
export function commandMs(cmd, args, runs = 5) {
  return medianMs(() => {
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`);
  }, runs);
}

let buildDir;
/** Compiles scripts/bench/NAME.c against libbpf into a temp dir and returns the binary's path. */
export function compileBaseline(name) {
  buildDir ??= mkdtempSync(join(tmpdir(), 'bpfscope-bench-'));
  const out = join(buildDir, name);
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'libbpf', 'libmnl'], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
  execFileSync('cc', ['-O2', '-o', out, join(root, 'scripts/bench', `${name}.c`), ...flags], { stdio: 'inherit' });
  return out;
}

export const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
export const ratio = (a, b) => `${(a / b).toFixed(2)}×`;

/** Prints a markdown table. */
export function table(headers, rows) {
  const lines = [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  console.log(lines.join('\n'));
}
