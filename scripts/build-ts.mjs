#!/usr/bin/env node
// Compiles src/ to CommonJS (dist/cjs, with .d.ts) and writes the ESM entry points
// (dist/esm/*.mjs) that re-export it, so `import` and `require` share one module instance.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
rmSync(join(root, 'dist'), { recursive: true, force: true });
const tsc = require.resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);

// Each ESM entry names its exports explicitly (read from the CJS module), so that
// `import { listPrograms } from 'bpfscope'` works without relying on cjs-module-lexer heuristics.
const entries = { 'index.mjs': '../cjs/index.js', 'testing.mjs': '../cjs/testing/index.js' };
mkdirSync(join(root, 'dist/esm'), { recursive: true });
for (const [file, target] of Object.entries(entries)) {
  const names = Object.keys(require(join(root, 'dist/esm', target))).filter((n) => n !== 'default' && n !== '__esModule');
  const body = [
    `import cjs from '${target}';`,
    `export const { ${names.join(', ')} } = cjs;`,
    `export default cjs;`,
    '',
  ].join('\n');
  writeFileSync(join(root, 'dist/esm', file), body);
}
