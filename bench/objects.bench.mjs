// listPrograms() over 1,000 programs and listMaps() over 1,000 maps, against a C loop making the
// same syscalls (scripts/bench/list_objects.c) and against `bpftool -j prog|map show`.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { listMaps, listPrograms } from 'bpfscope';
import { createMap, loadProgram, mountBpffs, pin, unmount } from 'bpfscope/testing';
import { commandMs, compileBaseline, fmt, paired, ratio, table } from './lib.mjs';

const N = Number(process.env.BENCH_OBJECTS ?? 1000);
const dir = join('/tmp', `bpfscope-bench-objects-${process.pid}`);
mkdirSync(dir, { recursive: true });
await mountBpffs(dir);
try {
  // Pin every object and drop its fd: 2,000 open fds would pass the default soft limit.
  for (let i = 0; i < N; i++) {
    const p = await loadProgram({ type: 'sched_cls', name: `bench_p${i}` });
    await pin(p, join(dir, `p${i}`));
    p.close();
    const m = await createMap({ type: 'hash', name: `bench_m${i}`, keySize: 4, valueSize: 8, maxEntries: 4 });
    await pin(m, join(dir, `m${i}`));
    m.close();
  }
  const baseline = compileBaseline('list_objects');
  const rows = [];
  for (const [kind, fn, tool] of [['prog', listPrograms, 'prog'], ['map', listMaps, 'map']]) {
    const count = (await fn()).length;
    const cBlock = (runs) => Number(execFileSync(baseline, [kind, String(runs)], { encoding: 'utf8' }).trim().split(' ')[0]) / 1e6;
    const ours = await paired(cBlock, fn, { blocks: 7, runs: 5, warmup: 3 });
    const bpftool = await commandMs('bpftool', ['-j', tool, 'show'], 5);
    rows.push([`${kind === 'prog' ? 'listPrograms()' : 'listMaps()'} (${count} objects)`, fmt(ours.baselineMs), fmt(ours.ms), fmt(bpftool), ours.ratio, ratio(bpftool, ours.ms)]);
  }
  console.log(`### Listing objects (${N} programs, ${N} maps loaded by the benchmark)\n`);
  table(['call', 'C loop ms', 'bpfscope ms', 'bpftool -j ms', 'bpfscope / C (target ≤ 1.5×)', 'bpftool / bpfscope'], rows);
  console.log('');
} finally {
  await unmount(dir);
}
