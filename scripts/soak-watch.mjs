#!/usr/bin/env node
// Soak: one map watched for a long time while its entries churn; prints RSS, heap and external
// memory over time and fails if RSS grows past a bound after the warm-up. Not part of CI.
//   node scripts/soak-watch.mjs [--minutes 10] [--entries 50000] [--interval-ms 100] [--dropped-dumps]
// With --dropped-dumps the map is dumped every interval and each dump dropped instead of watched:
// the memory of collected dumps kept for reuse (dumpMemoryStats) is printed too.
// (after the build; root, like the kernel tests).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const b = require(root);
const t = require(join(root, 'dist/cjs/testing/index.js'));

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const minutes = arg('--minutes', 10);
const entries = arg('--entries', 50_000);
const intervalMs = arg('--interval-ms', 100);
const droppedDumps = process.argv.includes('--dropped-dumps');
const mib = (n) => (n / 2 ** 20).toFixed(1);

const obj = await t.createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: entries * 2 });
const keys = Buffer.alloc(entries * 4), values = Buffer.alloc(entries * 8);
for (let i = 0; i < entries; i++) keys.writeUInt32LE(i, i * 4);
await t.updateBatch(obj, keys, values, entries);
const map = await b.openMap(obj.id);
const controller = new AbortController();
const end = Date.now() + minutes * 60_000;
const samples = [];
let ticks = 0, changes = 0, writes = 0;

// Churn between ticks: some values change, some keys come and go.
const churn = (async () => {
  const key = Buffer.alloc(4), value = Buffer.alloc(8);
  while (!controller.signal.aborted) {
    for (let i = 0; i < 200; i++) {
      const k = Math.floor(Math.random() * entries * 1.5);
      key.writeUInt32LE(k);
      value.writeBigUInt64LE(BigInt(writes++));
      if (k % 5 === 0) await t.deleteElem(obj, key).catch(() => {});
      else await t.updateElem(obj, key, value).catch(() => {});
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
})();

const sampler = setInterval(() => {
  const m = process.memoryUsage();
  const s = { minute: ((Date.now() - (end - minutes * 60_000)) / 60_000).toFixed(1), ticks, changes, rss: m.rss, heap: m.heapUsed, external: m.external };
  samples.push(s);
  const kept = droppedDumps ? ` ${JSON.stringify(b.dumpMemoryStats())}` : '';
  console.log(`t=${s.minute} min ticks=${ticks} changes=${changes} rss=${mib(s.rss)} MiB heap=${mib(s.heap)} MiB external=${mib(s.external)} MiB${kept}`);
  if (Date.now() >= end) controller.abort();
}, Math.min(30_000, minutes * 6_000));

if (droppedDumps) {
  for (; !controller.signal.aborted; ticks++) {
    changes += (await map.dump()).count;
    if (intervalMs) await new Promise((r) => setTimeout(r, intervalMs));
  }
} else {
  for await (const c of map.watch({ intervalMs, signal: controller.signal })) {
    ticks++;
    changes += c.added.length + c.removed.length + c.changed.length;
  }
}
clearInterval(sampler);
await churn;
map.close();
obj.close();

// Growth after the first sample (warm-up) to the last, and the largest RSS seen.
const warm = samples[1] ?? samples[0], last = samples.at(-1);
const growth = last.rss - warm.rss;
console.log(`\n### soak-watch${droppedDumps ? ' --dropped-dumps' : ''}: ${minutes} min, ${entries} entries, interval ${intervalMs} ms`);
console.log(`ticks ${ticks}, ${droppedDumps ? 'entries dumped' : 'changes reported'} ${changes}, map writes ${writes}`);
console.log(`RSS after warm-up ${mib(warm.rss)} MiB → end ${mib(last.rss)} MiB (growth ${mib(growth)} MiB), max ${mib(Math.max(...samples.map((s) => s.rss)))} MiB`);
if (growth > 16 * 2 ** 20) {
  console.error('soak-watch: RSS grew by more than 16 MiB after the warm-up');
  process.exit(1);
}
