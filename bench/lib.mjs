// Shared pieces of the benchmarks: timing, C baselines compiled at run time, markdown tables.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
  return runsMs(fn, runs);
}

/** Median wall time in ms of `fn` over `runs` back-to-back runs. */
async function runsMs(fn, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

/**
 * Times `fn` against a baseline in alternating blocks: `blocks` times, the baseline's median of
 * `runs` calls (`baselineMs(runs)`, a promise: a C program making them in a loop, started with
 * runBaseline) right before or after the median of `runs` calls of `fn`, after `warmup` calls of
 * `fn`. Both run in tight loops, as a poller would, and each pair seconds or less apart: on a shared
 * VM a burst of noise from the neighbours spoils the blocks it covers, not the figure, which is the
 * median of the per-block ratios. Each pair runs on one CPU, the next pair on the next CPU: this
 * thread is pinned there, and so is the baseline (libuv's threads stay unpinned; with `oneCpu`,
 * every thread of this process moves with it, as under `taskset -c N node`). On the VM of
 * 2026-11-25 one vCPU turned half again slower for seconds at a time (a 10k-entry C dump: 0.96 ms
 * on one, 1.45–1.51 ms on the other), and a pair split across the two measured that, not bpfscope.
 * Returns both medians and the ratio as table text, with the range of the per-block ratios.
 */
export async function paired(baselineMs, fn, { blocks, runs, warmup, oneCpu = false }) {
  const pin = oneCpu ? pinEveryThread : pinThisThread;
  globalThis.gc?.();
  const base = [];
  const ours = [];
  try {
    if (oneCpu) await pin(String(allowedCpus[0]));
    for (let i = 0; i < warmup; i++) await fn();
    for (let i = 0; i < blocks; i++) {
      await pin(String(allowedCpus[i % allowedCpus.length]));
      if (i % 2) base.push(await baselineMs(runs));
      ours.push(await runsMs(fn, runs));
      if (i % 2 === 0) base.push(await baselineMs(runs));
    }
  } finally {
    await pin(allowedCpus.join(','));
  }
  const ratios = ours.map((t, i) => t / base[i]);
  return {
    ms: median(ours),
    baselineMs: median(base),
    ratio: `${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
  };
}

/** The CPUs this process may run on, from /proc/self/status ("0-3,8" → [0, 1, 2, 3, 8]). */
export const allowedCpus = readFileSync('/proc/self/status', 'utf8').match(/^Cpus_allowed_list:\s*(.+)$/m)[1].split(',').flatMap((range) => {
  const [a, b = a] = range.split('-').map(Number);
  return Array.from({ length: b - a + 1 }, (_, k) => a + k);
});

/** Sets the CPU affinity of the calling (main) thread, whose id is the process id, and of the baselines. */
function pinThisThread(list) {
  return theRunner.ask(`pin ${process.pid} ${list}`);
}

/** The same for every thread of this process (libuv's pool, V8's helpers): what `taskset -c N node` does. */
async function pinEveryThread(list) {
  for (const tid of readdirSync('/proc/self/task')) await theRunner.ask(`pin ${tid} ${list}`);
}

/**
 * Runs a C baseline (a path and arguments without spaces) and resolves to the line it printed.
 * The runner process starts it, never this one: see scripts/bench/runner.c for why this process
 * must not fork while it is measured.
 */
export function runBaseline(binary, args) {
  return theRunner.ask(`run ${[binary, ...args].join(' ')}`);
}

/** Starts scripts/bench/runner.c. Its handles keep the event loop alive only while it has a question. */
function startRunner() {
  const child = spawn(compileBaseline('runner'), [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const handles = [child, child.stdin, child.stdout];
  const waiting = [];
  let pending = '';
  handles.forEach((h) => h.unref());
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const { resolve, reject, question } = waiting.shift();
      if (line.startsWith('error')) reject(new Error(`${question}: ${line}`));
      else resolve(line);
    }
    if (waiting.length === 0) handles.forEach((h) => h.unref());
  });
  return {
    ask(question) {
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject, question });
        handles.forEach((h) => h.ref());
        child.stdin.write(`${question}\n`);
      });
    },
  };
}

/** The median of `values` (the upper one of an even count). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
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
  if (buildDir === undefined) {
    buildDir = mkdtempSync(join(tmpdir(), 'bpfscope-bench-'));
    // The binaries are this run's alone (a child given one's path is done before this process).
    process.once('exit', () => rmSync(buildDir, { recursive: true, force: true }));
  }
  const out = join(buildDir, name);
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'libbpf', 'libmnl'], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
  execFileSync('cc', ['-O2', '-pthread', '-o', out, join(root, 'scripts/bench', `${name}.c`), ...flags], { stdio: 'inherit' });
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

/** Started when this module loads, before a benchmark allocates anything: starting it forks too. */
const theRunner = startRunner();
