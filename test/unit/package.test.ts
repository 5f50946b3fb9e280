// The package as users load it: ESM and CJS entry points, self-reference, types of the exports.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import * as esm from 'bpfscope';

const require = createRequire(import.meta.url);

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { encoding: 'utf8', cwd: process.cwd() });
}

it('ships ESM and CJS entry points that expose the same names', () => {
  const cjsNames = JSON.parse(node(['-e', "console.log(JSON.stringify(Object.keys(require('bpfscope')).sort()))"]));
  const esmNames = JSON.parse(
    node(['--input-type=module', '-e', "import * as m from 'bpfscope'; console.log(JSON.stringify(Object.keys(m).filter(k => k !== 'default').sort()))"]),
  );
  expect(esmNames).toEqual(cjsNames);
  for (const name of ['listPrograms', 'getProgram', 'listMaps', 'getMapInfo', 'listLinks', 'getLink', 'openPinned', 'listPinned', 'enableStats', 'BpfError']) {
    expect(cjsNames).toContain(name);
  }
  expect(typeof esm.listPrograms).toBe('function');
});

it('shares one BpfError class between import and require', () => {
  const out = node([
    '--input-type=module',
    '-e',
    "import { BpfError } from 'bpfscope'; import { createRequire } from 'node:module'; const r = createRequire(import.meta.url); console.log(BpfError === r('bpfscope').BpfError)",
  ]);
  expect(out.trim()).toBe('true');
});

it('a load failure names the file and the missing library', async () => {
  const { describeLoadFailure } = await import('../../dist/cjs/native.js');
  const msg = describeLoadFailure(
    new Error('libbpf.so.1: cannot open shared object file: No such file or directory'),
    '/opt/app/node_modules/bpfscope',
  );
  expect(msg).toBe(
    'bpfscope: cannot load the native addon from /opt/app/node_modules/bpfscope: the shared library libbpf.so.1 is missing (Debian/Ubuntu: apt-get install libbpf1)',
  );
  const withFile = describeLoadFailure(
    new Error('/x/build/Release/bpfscope.node: libmnl.so.0: cannot open shared object file: No such file or directory'),
    '/x',
  );
  expect(withFile).toContain('/x/build/Release/bpfscope.node');
  expect(withFile).toContain('libmnl.so.0 is missing (Debian/Ubuntu: apt-get install libmnl0)');
  // Nothing built (npm install --ignore-scripts): the command that builds it where the package is.
  const nothing = new Error("No native build was found for platform=linux arch=x64 runtime=node abi=115 uv=1 libc=glibc node=20.20.2\n    loaded from: /x\n");
  expect(describeLoadFailure(nothing, '/opt/app/node_modules/bpfscope')).toContain('run `npm rebuild bpfscope`');
  expect(describeLoadFailure(nothing, '/home/me/bpfscope')).toContain('run `npm run build:addon`');
});

it('the CLI prints a load failure with one bpfscope: prefix, and exits 1', () => {
  // A package root with the compiled JS and no addon: node-gyp-build finds nothing to load.
  const dir = mkdtempSync(join(tmpdir(), 'bpfscope-noaddon-'));
  try {
    mkdirSync(join(dir, 'node_modules/bpfscope'), { recursive: true });
    cpSync(join(process.cwd(), 'dist'), join(dir, 'node_modules/bpfscope/dist'), { recursive: true });
    cpSync(join(process.cwd(), 'package.json'), join(dir, 'node_modules/bpfscope/package.json'));
    symlinkSync(join(process.cwd(), 'node_modules/node-gyp-build'), join(dir, 'node_modules/node-gyp-build'));
    // node-gyp-build would load the ASan build (npm run test:asan) named there instead.
    const env = { ...process.env, BPFSCOPE_PREBUILD: undefined };
    const r = spawnSync(process.execPath, [join(dir, 'node_modules/bpfscope/dist/cjs/cli/main.js'), 'prog'], { encoding: 'utf8', env });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^bpfscope: cannot load the native addon from .*: no prebuild matches this platform and nothing was built; run `npm rebuild bpfscope`/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A TypeScript consumer finds the types of both entry points under every moduleResolution users
// set, with strict checking of the declarations themselves (no skipLibCheck). The package is
// linked into a scratch node_modules, as an install puts it there.
it('types resolve for bpfscope and bpfscope/testing under node10, node16, nodenext and bundler', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfscope-types-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(process.cwd(), join(dir, 'node_modules/bpfscope'));
    symlinkSync(join(process.cwd(), 'node_modules/@types'), join(dir, 'node_modules/@types'));
    const body = [
      "import { listPrograms, type ProgramInfo } from 'bpfscope';",
      "import { loadProgram, type KernelObject } from 'bpfscope/testing';",
      'export const use: [typeof listPrograms, typeof loadProgram] = [listPrograms, loadProgram];',
      'export type Used = [ProgramInfo, KernelObject];',
      '',
    ].join('\n');
    for (const file of ['consumer.ts', 'consumer.mts', 'consumer.cts']) writeFileSync(join(dir, file), body);
    const tsc = require.resolve('typescript/bin/tsc');
    const settings: [string, string, string[]][] = [
      ['node10', 'commonjs', ['consumer.ts']],
      ['node16', 'node16', ['consumer.mts', 'consumer.cts']],
      ['nodenext', 'nodenext', ['consumer.mts', 'consumer.cts']],
      ['bundler', 'esnext', ['consumer.ts']],
    ];
    const failures: string[] = [];
    for (const [resolution, module, files] of settings) {
      const r = spawnSync(
        process.execPath,
        [tsc, '--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2022,esnext.disposable', '--types', 'node', '--module', module, '--moduleResolution', resolution, ...files],
        { cwd: dir, encoding: 'utf8' },
      );
      if (r.status !== 0) failures.push(`moduleResolution ${resolution}:\n${r.stdout}${r.stderr}`);
    }
    expect(failures).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
