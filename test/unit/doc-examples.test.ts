// The README's TypeScript examples compile, as written, against the built package: a name renamed
// or a field retyped breaks the example a new user copies first. docs/maps.md's overview compiles
// too, with the names it leaves to the reader (layouts, a key and value, a signal) declared and its `…`
// loop bodies empty.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const ROOT = process.cwd();

/** The ```ts blocks of a Markdown file, in order. */
function tsBlocks(file: string): string[] {
  return [...readFileSync(join(ROOT, file), 'utf8').matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

const MAPS_PREAMBLE = [
  "import type { Layout } from 'bpfscope';",
  "declare const keyLayout: Layout<{ id: { offset: 0; type: 'u32' } }>;",
  "declare const valueLayout: Layout<{ packets: { offset: 0; type: 'u64' } }>;",
  'declare const key: Buffer, value: Buffer;',
  'declare const signal: AbortSignal;',
  '',
].join('\n');

it('the README examples and the docs/maps.md overview type-check as ES modules', () => {
  const readme = tsBlocks('README.md');
  const maps = tsBlocks('docs/maps.md');
  expect(readme.length).toBe(3);
  expect(maps.length).toBe(1);
  const dir = mkdtempSync(join(tmpdir(), 'bpfscope-doc-examples-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules/bpfscope'));
    symlinkSync(join(ROOT, 'node_modules/@types'), join(dir, 'node_modules/@types'));
    const files = readme.map((code, i) => {
      writeFileSync(join(dir, `readme-${i + 1}.mts`), code);
      return `readme-${i + 1}.mts`;
    });
    writeFileSync(join(dir, 'maps.mts'), MAPS_PREAMBLE + maps[0].replaceAll('{ … }', '{}'));
    files.push('maps.mts');
    const tsc = require.resolve('typescript/bin/tsc');
    const r = spawnSync(
      process.execPath,
      [tsc, '--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2022,esnext.disposable', '--types', 'node', '--module', 'nodenext', '--moduleResolution', 'nodenext', ...files],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
