// Map dumps: bpfscope's raw dump, decoded records (user layouts) and BTF values against a C
// program doing the same batch lookups into one buffer (scripts/bench/map_dump.c), against
// `bpftool -j map dump`, and against get_next_key iteration. Also one watch tick on an unchanged
// map, and the event loop's delay while an async 1M-entry dump runs.
import { execFileSync } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { defineLayout, openMap } from 'bpfscope';
import { createMap, updateBatch } from 'bpfscope/testing';
import { commandMs, compileBaseline, fmt, lowerOfTwo, medianMs, ratio, table } from './lib.mjs';

const baseline = compileBaseline('map_dump');

/** The C baseline's median ms for one dump of map `id`. */
function cBatchMs(id, runs) {
  const [entries, ns] = execFileSync(baseline, [String(id), String(runs)], { encoding: 'utf8' }).trim().split(' ').map(Number);
  return { entries, ms: ns / 1e6 };
}

// BTF type ids are positions + 1.
const u8 = { kind: 'int', name: 'unsigned char', size: 1 };
const u16 = { kind: 'int', name: 'unsigned short', size: 2 };
const u32 = { kind: 'int', name: 'unsigned int', size: 4 };
const u64 = { kind: 'int', name: 'long long unsigned int', size: 8 };
const member = (name, type, byte) => ({ name, type, bitOffset: byte * 8 });

// Flow-table-like hash: 16-byte key, 24-byte value.
const FLOW_BTF = {
  types: [u8, u16, u32, u64,
    /* 5 */ { kind: 'array', type: 1, indexType: 3, length: 3 },
    /* 6 */ { kind: 'struct', name: 'flow_key', size: 16, members: [member('saddr', 3, 0), member('daddr', 3, 4), member('sport', 2, 8), member('dport', 2, 10), member('proto', 1, 12), member('pad', 5, 13)] },
    /* 7 */ { kind: 'struct', name: 'flow_stats', size: 24, members: [member('packets', 4, 0), member('bytes', 4, 8), member('ifindex', 3, 16), member('flags', 3, 20)] }],
  keyTypeId: 6,
  valueTypeId: 7,
};
const FLOW_KEY = defineLayout({ saddr: { offset: 0, type: 'ipv4' }, daddr: { offset: 4, type: 'ipv4' }, sport: { offset: 8, type: 'be16' }, dport: { offset: 10, type: 'be16' }, proto: { offset: 12, type: 'u8' } }, 16);
const FLOW_VALUE = defineLayout({ packets: { offset: 0, type: 'u64' }, bytes: { offset: 8, type: 'u64' }, ifindex: { offset: 16, type: 'u32' }, flags: { offset: 20, type: 'u32' } }, 24);

// ipcache-like LPM trie: 24-byte key (prefixlen, cluster, family, 16-byte address), 12-byte value.
const IPCACHE_BTF = {
  types: [u8, u16, u32, u64,
    /* 5 */ { kind: 'array', type: 1, indexType: 3, length: 16 },
    /* 6 */ { kind: 'struct', name: 'ipcache_key', size: 24, members: [member('prefixlen', 3, 0), member('cluster_id', 2, 4), member('pad1', 1, 6), member('family', 1, 7), member('ip', 5, 8)] },
    /* 7 */ { kind: 'struct', name: 'remote_endpoint_info', size: 12, members: [member('sec_identity', 3, 0), member('tunnel_endpoint', 3, 4), member('key', 1, 8), member('flags', 1, 9), member('pad', 2, 10)] }],
  keyTypeId: 6,
  valueTypeId: 7,
};
const IPCACHE_KEY = defineLayout({ prefixlen: { offset: 0, type: 'u32' }, family: { offset: 7, type: 'u8' }, ip: { offset: 8, type: 'ipv4' } }, 24);
const IPCACHE_VALUE = defineLayout({ identity: { offset: 0, type: 'u32' }, tunnel: { offset: 4, type: 'ipv4' }, key: { offset: 8, type: 'u8' }, flags: { offset: 9, type: 'u8' } }, 12);

// Per-CPU counters: u32 key, { packets, bytes } per CPU.
const COUNTER_BTF = {
  types: [u32, u64, { kind: 'struct', name: 'counter', size: 16, members: [member('packets', 2, 0), member('bytes', 2, 8)] }],
  keyTypeId: 1,
  valueTypeId: 3,
};
const COUNTER_KEY = defineLayout({ index: { offset: 0, type: 'u32' } }, 4);
const COUNTER_VALUE = defineLayout({ packets: { offset: 0, type: 'u64' }, bytes: { offset: 8, type: 'u64' } }, 16);

function flowEntries(n) {
  const keys = Buffer.alloc(n * 16);
  const values = Buffer.alloc(n * 24);
  for (let i = 0; i < n; i++) {
    keys.writeUInt32BE(0x0a000000 + i, i * 16);
    keys.writeUInt32BE(0x0a030000 + (i % 251), i * 16 + 4);
    keys.writeUInt16BE(1024 + (i % 60000), i * 16 + 8);
    keys.writeUInt16BE(443, i * 16 + 10);
    keys[i * 16 + 12] = 6;
    values.writeBigUInt64LE(BigInt(i), i * 24);
    values.writeBigUInt64LE(BigInt(i) * 1500n, i * 24 + 8);
    values.writeUInt32LE(i % 64, i * 24 + 16);
  }
  return { keys, values };
}

function ipcacheEntries(n) {
  const keys = Buffer.alloc(n * 24);
  const values = Buffer.alloc(n * 12);
  for (let i = 0; i < n; i++) {
    keys.writeUInt32LE(64, i * 24); // 32 static bits + /32
    keys[i * 24 + 7] = 1; // IPv4
    keys.writeUInt32BE(0x0a000000 + i, i * 24 + 8);
    values.writeUInt32LE(256 + (i % 5000), i * 12);
    values.writeUInt32BE(0xc0a80001 + (i % 16), i * 12 + 4);
  }
  return { keys, values };
}

function counterEntries(n, cpus) {
  const keys = Buffer.alloc(n * 4);
  const values = Buffer.alloc(n * 16 * cpus);
  for (let i = 0; i < n; i++) {
    keys.writeUInt32LE(i * 7, i * 4);
    for (let c = 0; c < cpus; c++) values.writeBigUInt64LE(BigInt(i + c), (i * cpus + c) * 16);
  }
  return { keys, values };
}

/**
 * A consumer that reads every field of every record once and keeps each value (in a small ring,
 * so that V8 cannot optimize the read away and the values are really made), compiled with the
 * layouts' field names as code written for them would be: the fair way to time views, whose fields
 * decode on read. Returns how many fields it read.
 */
const sink = new Array(1024).fill(0);
function readEveryField(keyLayout, valueLayout, perCpu) {
  const read = (v, layout) => Object.keys(layout.fields).map((f) => `sink[n++ & 1023] = ${v}[${JSON.stringify(f)}];`).join(' ');
  const value = perCpu ? `for (const v of r.values) { ${read('v', valueLayout)} }` : `const v = r.value; ${read('v', valueLayout)}`;
  const body = `let n = 0; for (const r of records) { const k = r.key; ${read('k', keyLayout)} ${value} } return n;`;
  return new Function('sink', `return (records) => { ${body} };`)(sink);
}

const cpus = Number(execFileSync('nproc', ['--all'], { encoding: 'utf8' })) || 1;
const scenarios = [
  { label: 'hash 16 B/24 B', entries: 10_000, map: { type: 'hash', keySize: 16, valueSize: 24, maxEntries: 10_000, btf: FLOW_BTF }, fill: flowEntries, layouts: [FLOW_KEY, FLOW_VALUE] },
  { label: 'hash 16 B/24 B', entries: 100_000, map: { type: 'hash', keySize: 16, valueSize: 24, maxEntries: 100_000, btf: FLOW_BTF }, fill: flowEntries, layouts: [FLOW_KEY, FLOW_VALUE] },
  { label: 'hash 16 B/24 B', entries: 1_000_000, map: { type: 'hash', keySize: 16, valueSize: 24, maxEntries: 1_000_000, btf: FLOW_BTF }, fill: flowEntries, layouts: [FLOW_KEY, FLOW_VALUE] },
  { label: 'lpm_trie /32 (ipcache-like 24 B/12 B)', entries: 100_000, map: { type: 'lpm_trie', keySize: 24, valueSize: 12, maxEntries: 100_000, flags: 1, btf: IPCACHE_BTF }, fill: ipcacheEntries, layouts: [IPCACHE_KEY, IPCACHE_VALUE] },
  { label: 'percpu_hash 4 B/16 B', entries: 10_000, map: { type: 'percpu_hash', keySize: 4, valueSize: 16, maxEntries: 10_000, btf: COUNTER_BTF }, fill: (n) => counterEntries(n, cpus), layouts: [COUNTER_KEY, COUNTER_VALUE], perCpu: true },
  { label: 'sparse hash, max_entries 4M', entries: 1_000, map: { type: 'hash', keySize: 16, valueSize: 24, maxEntries: 4 << 20, flags: 1, btf: FLOW_BTF }, fill: flowEntries, layouts: [FLOW_KEY, FLOW_VALUE] },
];

const rows = [];
let tickRow;
let hop;
let loopDelay;
for (const s of scenarios) {
  const object = await createMap({ name: 'bench_dump', ...s.map });
  const map = await openMap(object.id);
  try {
    const { keys, values } = s.fill(s.entries);
    await updateBatch(object, keys, values, s.entries);
    const big = s.entries >= 1_000_000;
    const runs = big ? 5 : 11;
    // A poller's steady state: V8 sizes its young generation to the garbage a dump leaves over
    // the first few calls, and compiles the decoders at its top tier.
    const warmup = big ? 2 : 8;
    const check = await map.dump();
    if (check.count !== s.entries) throw new Error(`bpfscope read ${check.count} entries, expected ${s.entries}`);
    const [keyLayout, valueLayout] = s.layouts;
    const dumpViews = s.perCpu
      ? async () => (await map.dump()).perCpuRecordViews(keyLayout, valueLayout)
      : () => map.dump({ key: keyLayout, value: valueLayout, views: true });
    const readAll = readEveryField(keyLayout, valueLayout, s.perCpu);
    const fields = Object.keys(keyLayout.fields).length + Object.keys(valueLayout.fields).length * (s.perCpu ? cpus : 1);
    const expectFields = (n) => {
      if (n !== s.entries * fields) throw new Error(`read ${n} fields, expected ${s.entries * fields}`);
    };
    // What a loop over a fresh dump looks like: `using dump = await map.dump()`, views made as the
    // loop reaches them, the buffers handed back to the next dump at the end.
    const iterateReleased = async () => {
      const dump = await map.dump();
      expectFields(readAll(s.perCpu ? dump.iteratePerCpuRecords(keyLayout, valueLayout) : dump.iterateRecords(keyLayout, valueLayout)));
      dump.release();
    };
    // dump({ key, value }) releases its dump itself; per-CPU maps decode from a dump.
    const decodeRecords = s.perCpu
      ? async () => {
          const dump = await map.dump();
          const records = dump.perCpuRecords(keyLayout, valueLayout);
          dump.release();
          return records;
        }
      : () => map.dump({ key: keyLayout, value: valueLayout });
    const { c, raw, released, releasedSync, records, viewsRead, iteratedRead, btf, iterate, bpftool } = await lowerOfTwo(async () => {
      const baseline = cBatchMs(object.id, runs);
      if (baseline.entries !== s.entries) throw new Error(`C baseline read ${baseline.entries} entries, expected ${s.entries}`);
      return {
        c: baseline.ms,
        raw: await medianMs(() => map.dump(), runs, warmup),
        released: await medianMs(async () => (await map.dump()).release(), runs, warmup),
        releasedSync: await medianMs(() => map.dumpSync().release(), runs, warmup),
        records: await medianMs(decodeRecords, runs, warmup),
        viewsRead: await medianMs(async () => expectFields(readAll(await dumpViews())), runs, warmup),
        iteratedRead: await medianMs(iterateReleased, runs, warmup),
        btf: await medianMs(() => map.dump({ format: 'btf' }), big ? 3 : runs, warmup),
        iterate: await medianMs(() => map.dump({ iterate: true }), big ? 1 : 5),
        bpftool: await commandMs('bpftool', ['-j', 'map', 'dump', 'id', String(object.id)], big ? 1 : 3),
      };
    });
    rows.push([
      `${s.label}, ${s.entries.toLocaleString('en-US')} entries`,
      fmt(c),
      `${fmt(raw)} (${ratio(raw, c)})`,
      `${fmt(released)} (${ratio(released, c)})`,
      `${fmt(releasedSync)} (${ratio(releasedSync, c)})`,
      `${fmt(records)} (${ratio(records, c)})`,
      `${fmt(viewsRead)} (${ratio(viewsRead, c)})`,
      `${fmt(iteratedRead)} (${ratio(iteratedRead, c)})`,
      `${fmt(btf)} (${ratio(btf, c)})`,
      fmt(bpftool),
      fmt(iterate),
      ratio(bpftool, raw),
    ]);

    if (s.entries === 10_000 && s.map.type === 'hash') {
      // One tick of a poller on an unchanged map: a dump into reused buffers and a compare.
      const poller = map.poller();
      poller.poll();
      const { sync, async, cTick } = await lowerOfTwo(async () => ({
        sync: await medianMs(() => poller.poll(), 31),
        async: await medianMs(() => poller.pollAsync(), 31),
        cTick: cBatchMs(object.id, 31).ms,
      }));
      tickRow = [`unchanged hash, 10,000 entries`, fmt(cTick), `${fmt(sync)} (${ratio(sync, cTick)})`, `${fmt(async)} (${ratio(async, cTick)})`];
      // What an async call adds whatever it does: one lookup, on the pool and on this thread.
      const key = Buffer.from(check.key(0));
      hop = await lowerOfTwo(async () => ({ async: await medianMs(() => map.lookup(key), 201), sync: await medianMs(() => map.lookupSync(key), 201) }));
    }
    if (big) {
      // The event loop while async dumps of 1M entries run, against one blocking dumpSync().
      const histogram = monitorEventLoopDelay({ resolution: 1 });
      histogram.enable();
      for (let i = 0; i < 5; i++) await map.dump();
      histogram.disable();
      const blocking = await medianMs(() => map.dumpSync(), 3);
      loopDelay = { max: histogram.max / 1e6, p99: histogram.percentile(99) / 1e6, mean: histogram.mean / 1e6, blocking, raw };
    }
  } finally {
    map.close();
    object.close();
  }
}

console.log(`### Map dumps (${cpus} possible CPUs; ms, medians after warm-up calls: 8, or 2 for 1M entries)\n`);
table(
  [
    'map', 'C batch', 'bpfscope raw: dump() (target ≤ 1.2×)', 'dump(), then release()', 'dumpSync(), then release()',
    'decoded records, objects (≤ 2.5×)', 'record views, every field read', 'iterateRecords, every field read, release() (≤ 2.5×)',
    'BTF values', 'bpftool -j map dump', 'get_next_key iteration', 'bpftool / raw (≥ 10× at 100k)',
  ],
  rows,
);
console.log(
  `\ndump() runs on libuv's thread pool: the round trip there and back costs ${(hop.async - hop.sync).toFixed(3)} ms here (one lookup(): ` +
    `${hop.async.toFixed(3)} ms async, ${hop.sync.toFixed(3)} ms with lookupSync()). dumpSync() and the C baseline run on the calling thread. ` +
    'The C baseline reads into one buffer it reuses. A dump() that is dropped gets fresh memory, which the kernel faults in and zeroes ' +
    'as it writes; a released dump (`release()`, or `using`) hands its buffers to the next dump of the handle, as the C program does. ' +
    'Decoded records are plain objects with every field decoded (`dump({ key, value })`, which releases its dump itself). ' +
    'Record views (`dump({ key, value, views: true })`) are one small object per entry whose fields decode when read; the column times ' +
    'a dump whose every field is then read once (each value kept, so that none is optimized away). The next does the same with ' +
    '`dump.iterateRecords(key, value)`, which makes each view as the loop reaches it, and releases the dump after the loop.',
);
console.log('\nOne watch tick (poll) on an unchanged map, against one C batch dump of it (target ≤ 1.3×):\n');
table(['map', 'C batch', 'poll() (sync)', 'pollAsync()'], [tickRow]);
console.log(
  `\nEvent loop during async dumps of the 1,000,000-entry hash (each ${fmt(loopDelay.raw)} ms): delay max ${fmt(loopDelay.max)} ms, ` +
    `p99 ${fmt(loopDelay.p99)} ms, mean ${fmt(loopDelay.mean)} ms (monitorEventLoopDelay, 1 ms resolution); ` +
    `a blocking dumpSync() of it holds the loop ${fmt(loopDelay.blocking)} ms.\n`,
);
