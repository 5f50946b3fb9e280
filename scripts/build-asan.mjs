#!/usr/bin/env node
// Builds the addon with ASan + UBSan through cmake-js (same sources as binding.gyp) into
// build-asan/build/Release, where node-gyp-build finds it with BPFSCOPE_PREBUILD=build-asan.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
if (spawnSync('pkg-config', ['--exists', 'libbpf', 'libmnl']).status !== 0) {
  const setup = spawnSync('bash', [join(root, 'scripts/setup.sh')], { stdio: 'inherit' });
  if (setup.status !== 0) process.exit(setup.status ?? 1);
}
if (spawnSync('cmake', ['--version']).status !== 0) {
  console.error('bpfscope: the sanitizer build needs cmake (apt-get install cmake)');
  process.exit(1);
}
const prefix = resolve(dirname(process.execPath), '..');
const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin/cmake-js');
const args = [cmakeJs, 'rebuild', '--out', 'build-asan/build', '--CDBPFSCOPE_SANITIZE=ON', '--config', 'Release'];
if (existsSync(join(prefix, 'include/node/node.h'))) args.push('--directory', root, `--CDCMAKE_JS_INC=${join(prefix, 'include/node')}`);
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, npm_config_nodedir: existsSync(join(prefix, 'include/node/node.h')) ? prefix : process.env.npm_config_nodedir } });
process.exit(r.status ?? 1);
