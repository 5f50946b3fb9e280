// The package as users load it: ESM and CJS entry points, self-reference, types of the exports.
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import * as esm from 'bpfscope';

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
});
