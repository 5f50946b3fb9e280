#!/usr/bin/env node
// Builds the native addon with node-gyp against the local Node headers (no download).
//   --if-needed   (the npm install hook) do nothing when a prebuild or an earlier build loads.
// Installs the system packages it needs through scripts/setup.sh first.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

if (process.argv.includes('--if-needed')) {
  try {
    require('node-gyp-build')(root);
    process.exit(0);
  } catch {
    // nothing loads: build below
  }
}

const pkgConfigOk = spawnSync('pkg-config', ['--exists', 'libbpf', 'libmnl']).status === 0;
if (!pkgConfigOk) {
  const setup = spawnSync('bash', [join(root, 'scripts/setup.sh')], { stdio: 'inherit' });
  if (setup.status !== 0) process.exit(setup.status ?? 1);
}

// node-gyp downloads headers unless told where Node's own are: the prefix of this node binary.
const prefix = resolve(dirname(process.execPath), '..');
const nodedir = existsSync(join(prefix, 'include/node/node.h')) ? prefix : undefined;
let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  gyp = join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
}
const args = [gyp, 'rebuild', '--release', `--jobs=${process.env.JOBS ?? 'max'}`];
if (nodedir) args.push(`--nodedir=${nodedir}`);
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.error('bpfscope: building the native addon failed (see above).');
  process.exit(result.status ?? 1);
}
execFileSync(process.execPath, ['-e', `require('node-gyp-build')(${JSON.stringify(root)})`], { cwd: root });
