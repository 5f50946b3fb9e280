// Runs a node script in a child process under strace, to count the system calls bpfscope makes
// (a bound on work that does not depend on the machine's speed) and see their results.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir, toolEnv } from './kernel';

/** The package root, for `require` in child scripts (they run outside vitest). */
export const PACKAGE_ROOT = resolve(__dirname, '..', '..');

/** A child script's preamble: `b` is bpfscope, `t` is bpfscope/testing, `mark(s)` writes a marker line. */
export const PREAMBLE = `
const b = require(${JSON.stringify(PACKAGE_ROOT)});
const t = require(${JSON.stringify(join(PACKAGE_ROOT, 'dist/cjs/testing/index.js'))});
const fs = require('node:fs');
const mark = (s) => fs.writeSync(2, 'MARK ' + s + '\\n');
`;

export interface Traced {
  status: number | null;
  stdout: string;
  /** strace lines (the traced calls and write(2, "MARK …")), one per call, each after its thread id. */
  calls: string[];
}

/**
 * Runs `script` (after PREAMBLE) with `node -e` under `strace -f -e trace=<syscalls>,write`;
 * `inject`, an strace injection (`bpf:error=EAGAIN:when=2`), fails a call the kernel did not.
 */
export function traced(script: string, syscalls = 'bpf', inject?: string): Traced {
  const dir = tempDir('bpfscope-trace-');
  try {
    const out = join(dir, 'trace');
    // strace itself runs without the sanitizer preload; the traced node gets it back with -E.
    const preload = process.env.LD_PRELOAD ? ['-E', `LD_PRELOAD=${process.env.LD_PRELOAD}`] : [];
    const injection = inject ? ['-e', `inject=${inject}`] : [];
    const r = spawnSync('strace', ['-f', '-qq', '-s', '64', '-e', `trace=${syscalls},write`, ...injection, '-o', out, ...preload,
      process.execPath, '-e', PREAMBLE + script], { encoding: 'utf8', env: toolEnv, timeout: 120_000 });
    if (r.status !== 0) throw new Error(`traced script failed (${r.status}): ${r.stderr}`);
    const traced = new RegExp(`\\b(${syscalls.split(',').join('|')})\\(|MARK`);
    const calls = readFileSync(out, 'utf8').split('\n').filter((l) => traced.test(l));
    return { status: r.status, stdout: r.stdout, calls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The calls between `MARK from` and the next marker. */
export function between(calls: string[], from: string): string[] {
  const start = calls.findIndex((l) => l.includes(`MARK ${from}\\n`));
  if (start < 0) throw new Error(`no marker ${from}`);
  const rest = calls.slice(start + 1);
  const end = rest.findIndex((l) => l.includes('MARK '));
  return end < 0 ? rest : rest.slice(0, end);
}
