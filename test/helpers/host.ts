// Test helpers that need no test runner (so vitest's globalSetup can use them too): the tools
// (bpftool, ip, tc, ethtool) the tests compare bpfscope against, unique names and temporary
// directories recorded in a journal, and facts about the host. Only tests run tools.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processStartTime } from 'bpfscope/testing';

export const isRoot = process.getuid?.() === 0;
export const inCI = process.env.CI === 'true' || process.env.CI === '1';

/**
 * The environment for the tools the tests run: without the sanitizer runtimes that
 * `npm run test:asan` preloads into node, which would otherwise instrument (and fail) `ip` itself.
 */
export const toolEnv: NodeJS.ProcessEnv = (() => {
  const { LD_PRELOAD: _preload, ...env } = process.env;
  return env;
})();

/**
 * Whether the sanitizer runtimes are preloaded (`npm run test:asan`). ASan's allocator keeps freed
 * memory in its quarantine (up to 256 MiB) and unmaps it later, on whichever thread frees next:
 * neither RSS nor who calls munmap then says what the addon freed.
 */
export const underAsan = /libasan/.test(process.env.LD_PRELOAD ?? '');

/** Output up to 1 GiB: vmlinux's BTF dumps run to tens of MiB, past Node's default of 1 MiB. */
const MAX_OUTPUT = 1 << 30;

/** Runs a tool (or node itself, which keeps the sanitizer preload) and returns its stdout. */
export function run(cmd: string, args: string[], input?: string): string {
  const env = cmd === process.execPath ? process.env : toolEnv;
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], env, maxBuffer: MAX_OUTPUT });
}

/** The built `bpfscope` command (dist/cjs), without colour: its exit code, stdout and stderr. */
export function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['dist/cjs/cli/main.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: MAX_OUTPUT });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `bpftool -j …`, parsed. */
export function bpftool<T = unknown>(...args: string[]): T {
  return JSON.parse(run('bpftool', ['-j', ...args])) as T;
}

/** `ip -j …` (optionally inside a named netns), parsed. */
export function ipJson<T = unknown>(args: string[], netns?: string): T {
  const full = netns ? ['-n', netns, '-j', ...args] : ['-j', ...args];
  const out = run('ip', full).trim();
  return (out ? JSON.parse(out) : []) as T;
}

// What this process named and made. Each file must end with none of it left on the host
// (test/helpers/leftovers.ts); a journal on disk keeps the list until it does, for the next run to
// remove if this one is killed first (Ctrl-C ends the test processes before their cleanups run).
export const JOURNAL_DIR = join(tmpdir(), 'bpfscope-test-journal');
const journalFile = join(JOURNAL_DIR, `${process.pid}-${processStartTime(process.pid)}`);
export const made = { names: new Set<string>(), dirs: new Set<string>() };

function record(kind: 'name' | 'dir', value: string): void {
  (kind === 'name' ? made.names : made.dirs).add(value);
  mkdirSync(JOURNAL_DIR, { recursive: true });
  appendFileSync(journalFile, `${kind} ${value}\n`);
}

/** Drops the journal once the file ended with nothing left. */
export function closeJournal(): void {
  rmSync(journalFile, { force: true });
}

let counter = 0;
/**
 * A short unique name (interface names allow 15 characters). Netns, interfaces and cgroups whose
 * names contain it must be gone when the file ends.
 */
export function uniqueName(prefix: string): string {
  counter++;
  const tag = `${process.pid.toString(36)}${counter.toString(36)}`;
  const name = `${prefix}${tag}`.slice(0, 15);
  record('name', name);
  return name;
}

/** mkdtemp under `parent` (default: the temp directory); it must be gone when the file ends. */
export function tempDir(prefix: string, parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, prefix));
  record('dir', dir);
  return dir;
}

let cgroup2: string | undefined;
/** Where cgroup v2 is mounted: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host. */
export function cgroup2Mount(): string {
  if (cgroup2 === undefined) {
    const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' - ')[1]?.startsWith('cgroup2 '));
    if (!line) throw new Error('no cgroup2 mount');
    cgroup2 = line.split(' ')[4];
  }
  return cgroup2;
}

/** The kernel's possible CPUs ("0-1" → 2): the slots of a per-CPU map's value. */
export function possibleCpus(): number {
  return readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',').reduce((n, range) => {
    const [lo, hi] = range.split('-').map(Number);
    return n + (hi === undefined ? 1 : hi - lo + 1);
  }, 0);
}

/** How many fds this process has open. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}
