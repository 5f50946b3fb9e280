// Map dumps: bpfscope's raw dump, decoded records (user layouts) and BTF values against a C
// program doing the same batch lookups into one buffer (scripts/bench/map_dump.c), against
// `bpftool -j map dump`, and against get_next_key iteration. Also one watch tick on an unchanged
// map, and the event loop's delay while an async 1M-entry dump runs.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { dumpMemoryStats, openMap } from 'bpfscope';
import { createMap, updateBatch } from 'bpfscope/testing';
import { allowedCpus, commandMs, compileBaseline, fmt, median, medianMs, paired, ratio, root, runBaseline, table } from './lib.mjs';
import { cBatchMs, cpus, decodeRecords, scenarios } from './map-scenarios.mjs';

const cBinary = compileBaseline('map_dump');
const cLookupBinary = compileBaseline('map_lookup');

/**
 * A consumer that reads every field of every record once and keeps each value (in a small ring,
 * so that V8 cannot optimize the read away and the values are really made), compiled with the
 * layouts' field names as code written for them would be: the fair way to time views, whose fields
 * decode on read. Returns how many fields it read.
 *
 * Each call makes its own ring, as a loop's own variables would be, and the last one is kept so
 * that it escapes. One ring kept for the whole run sits in V8's old generation, and storing a
 * young string or bigint into it records the slot for the next scavenge: for 10,000 flow entries
 * that cost 0.13–0.17 ms, a third of the loop's time, and a cost of the ring, not of the views
 * (records are stored into young objects too).
 */
let lastRing;
function readEveryField(keyLayout, valueLayout, perCpu) {
  const read = (v, layout) => Object.keys(layout.fields).map((f) => `ring[n++ & 1023] = ${v}[${JSON.stringify(f)}];`).join(' ');
  const value = perCpu ? `for (const v of r.values) { ${read('v', valueLayout)} }` : `const v = r.value; ${read('v', valueLayout)}`;
  const body = `const ring = new Array(1024); let n = 0; for (const r of records) { const k = r.key; ${read('k', keyLayout)} ${value} } keep(ring); return n;`;
  return new Function('keep', `return (records) => { ${body} };`)((ring) => { lastRing = ring; });
}

/**
 * Decoded records of a 100k-entry flow table are about 25 MB of objects, strings and bigints, more
 * than the young generation of Node 20 and 22 holds by default (16 MB semi-spaces on 64-bit Linux;
 * Node 24's V8 gives 64 MB): the scavenges that run while they are built copy them all. The records
 * are then also timed in a Node whose young generation holds them, as a user would start one for
 * such work.
 */
const YOUNG_GEN_SEMI_SPACE_MB = 64;

/** decodeRecords(scenario) paired with the C baseline (as paired() returns it), in a Node started with YOUNG_GEN_SEMI_SPACE_MB semi-spaces. */
function youngGenRecords(index, id, timing) {
  const args = ['--expose-gc', `--max-semi-space-size=${YOUNG_GEN_SEMI_SPACE_MB}`, join(root, 'bench/records-young-gen.mjs'), cBinary, String(index), String(id), JSON.stringify(timing)];
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' }));
}

/**
 * Dumps dropped until V8 has collected some of them (at most 1,000), timed one by one. Until then
 * every dump takes fresh memory: 160 to 300 dumps of a 10k-entry map. From then on, in any process
 * that has polled for a while, a dropped dump fills the memory of a collected one
 * (native/dump_memory.h): paired()'s gc() collects these, and the raw column times that state.
 * Returns the median ms of these dumps, the fresh-memory figure.
 */
async function dropUntilCollected(map) {
  const times = [];
  let lent = dumpMemoryStats().lentBlocks;
  for (let i = 0; i < 1000; i++) {
    const start = process.hrtime.bigint();
    await map.dump();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    const now = dumpMemoryStats().lentBlocks;
    if (now < lent + 2) break; // a finalizer gave blocks back
    lent = now;
  }
  return median(times);
}

const rows = [];
const handOffRows = [];
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
    // The C program's median over a block of batch dumps, the baseline each bpfscope block is paired with.
    const cBlock = async (runs, workerCpus) => {
      const baseline = await cBatchMs(cBinary, object.id, runs, { workerCpus });
      if (baseline.entries !== s.entries) throw new Error(`C baseline read ${baseline.entries} entries, expected ${s.entries}`);
      return baseline.ms;
    };
    // The same C dumps, each made on a second thread that may run on any CPU, as libuv's pool
    // threads may, and waited for in epoll_wait: the hand-off every async dump() makes.
    const cHandOffBlock = (runs) => cBlock(runs, allowedCpus.join(','));
    // A poller's steady state: V8 sizes its young generation to the garbage a dump leaves over
    // the first few calls, and compiles the decoders at its top tier.
    const timing = big ? { blocks: 3, runs: 3, warmup: 2 } : { blocks: 11, runs: 5, warmup: 8 };
    let lastColumns; // a poller's columns, filled again every call
    const series = {
      raw: () => map.dump(),
      released: async () => (await map.dump()).release(),
      releasedSync: () => map.dumpSync().release(),
      records: () => decodeRecords(map, s),
      viewsRead: async () => expectFields(readAll(await dumpViews())),
      iteratedRead: iterateReleased,
      columns: async () => {
        const dump = await map.dump();
        const columns = dump.columns(keyLayout, valueLayout);
        dump.release();
        if (columns.count !== s.entries) throw new Error(`columns of ${columns.count} entries, expected ${s.entries}`);
      },
      columnsInto: async () => {
        const dump = await map.dump();
        lastColumns = dump.columns(keyLayout, valueLayout, lastColumns);
        dump.release();
        if (lastColumns.count !== s.entries) throw new Error(`columns of ${lastColumns.count} entries, expected ${s.entries}`);
      },
      btf: () => map.dump({ format: 'btf' }),
    };
    const taken = {};
    const cFreshMs = (await cBatchMs(cBinary, object.id, big ? 3 : 21, { fresh: true })).ms;
    const freshMs = await dropUntilCollected(map);
    // Right after: later series release their dumps, and what a dropped dump left is kept 10 s.
    const handOff = big
      ? undefined
      : {
          raw: await paired(cHandOffBlock, series.raw, timing),
          released: await paired(cHandOffBlock, series.released, timing),
          releasedOneCpu: await paired(cBlock, series.released, { ...timing, oneCpu: true }),
          recordsOneCpu: await paired(cBlock, series.records, { ...timing, oneCpu: true }),
          iteratedOneCpu: await paired(cBlock, iterateReleased, { ...timing, oneCpu: true }),
        };
    for (const [name, fn] of Object.entries(series)) taken[name] = await paired(cBlock, fn, timing);
    taken.recordsYoungGen = youngGenRecords(scenarios.indexOf(s), object.id, timing);
    // Tens to hundreds of times slower: noise does not move these figures.
    const iterate = await medianMs(() => map.dump({ iterate: true }), big ? 1 : 5);
    const bpftool = await commandMs('bpftool', ['-j', 'map', 'dump', 'id', String(object.id)], big ? 1 : 3);
    const c = median(Object.values(taken).map((t) => t.baselineMs));
    const cell = (name) => `${fmt(taken[name].ms)}: ${taken[name].ratio}`;
    if (handOff) {
      const c2 = median([handOff.raw.baselineMs, handOff.released.baselineMs]);
      const label = `${s.label}, ${s.entries.toLocaleString('en-US')} entries`;
      const of = (t) => `${fmt(t.ms)}: ${t.ratio}`;
      handOffRows.push([label, fmt(c), fmt(c2), ratio(c2, c), of(handOff.raw), of(handOff.released), of(handOff.releasedOneCpu), of(handOff.recordsOneCpu), of(handOff.iteratedOneCpu)]);
    }
    rows.push([
      `${s.label}, ${s.entries.toLocaleString('en-US')} entries`,
      fmt(c),
      cell('raw'),
      `${fmt(freshMs)}: ${ratio(freshMs, c)}; C into fresh memory ${fmt(cFreshMs)}: ${ratio(freshMs, cFreshMs)}`,
      cell('released'),
      cell('releasedSync'),
      cell('records'),
      cell('recordsYoungGen'),
      cell('viewsRead'),
      cell('iteratedRead'),
      cell('columns'),
      cell('columnsInto'),
      cell('btf'),
      fmt(bpftool),
      fmt(iterate),
      ratio(bpftool, taken.raw.ms),
    ]);

    if (s.entries === 10_000 && s.map.type === 'hash') {
      // One tick of a poller on an unchanged map: a dump into reused buffers and a compare.
      const poller = map.poller();
      poller.poll();
      const ticks = { blocks: 11, runs: 9, warmup: 1 };
      const sync = await paired(cBlock, () => poller.poll(), ticks);
      const async = await paired(cBlock, () => poller.pollAsync(), ticks);
      const asyncHandOff = await paired(cHandOffBlock, () => poller.pollAsync(), ticks);
      const asyncOneCpu = await paired(cBlock, () => poller.pollAsync(), { ...ticks, oneCpu: true });
      const cell = (t) => `${fmt(t.ms)}: ${t.ratio}`;
      tickRow = [`unchanged hash, 10,000 entries`, fmt(median([sync.baselineMs, async.baselineMs])), cell(sync), cell(async), fmt(asyncHandOff.baselineMs), cell(asyncHandOff), cell(asyncOneCpu)];
      // What an async call adds whatever it does: one lookup, on the pool and on this thread. The
      // sync one against what the lookup syscall alone takes (the C program's, of the map's first
      // key), both in loops of 1,000 calls, paired: timing each call alone would add an await and
      // two clock reads to a call of a few µs.
      const key = Buffer.from(check.key(0));
      const thousandSync = () => {
        for (let i = 0; i < 1000; i++) map.lookupSync(key);
      };
      const thousandC = async (runs) => (Number(await runBaseline(cLookupBinary, [String(object.id), String(runs)])) / 1e6) * 1000;
      const lookups = await paired(thousandC, thousandSync, { blocks: 11, runs: 5, warmup: 2 });
      hop = { async: await medianMs(() => map.lookup(key), 501), sync: lookups.ms / 1000, c: lookups.baselineMs / 1000, ratio: lookups.ratio };
    }
    if (big) {
      // The event loop while async dumps of 1M entries run, dropped (left to V8, whose collections
      // pause the loop) and released (their buffers filled again), each after a full collection,
      // against one blocking dumpSync().
      const delay = async (dumpOnce) => {
        globalThis.gc?.(); // the garbage of the sections before is not this measure's
        const histogram = monitorEventLoopDelay({ resolution: 1 });
        histogram.enable();
        for (let i = 0; i < 5; i++) await dumpOnce();
        histogram.disable();
        return { max: histogram.max / 1e6, p99: histogram.percentile(99) / 1e6, mean: histogram.mean / 1e6 };
      };
      const dropped = await delay(() => map.dump());
      const released = await delay(async () => (await map.dump()).release());
      const blocking = await medianMs(() => map.dumpSync().release(), 3);
      loopDelay = { dropped, released, blocking, raw: taken.raw.ms, mb: (s.entries * (check.keySize + check.valueStride)) / 1e6 };
    }
  } finally {
    map.close();
    object.close();
  }
}

console.log(`### Map dumps (${cpus} possible CPUs)\n`);
console.log(
  'Each cell times bpfscope and the C batch dump of the same map in 11 alternating blocks (3 for 1M entries), each block the ' +
    'median of 5 calls in a loop (3), after 8 warm-up calls (2). A cell gives the median time in ms, then the median of the ' +
    "per-block ratios to the C dump and their range. The C batch column is the median of the row's C blocks.\n",
);
table(
  [
    'map', 'C batch', 'bpfscope raw: dump(), dropped (target ≤ 1.2×)', 'the same before V8 first collects dropped dumps', 'dump(), then release()', 'dumpSync(), then release()',
    'decoded records, objects (≤ 2.5×)', `the same, node --max-semi-space-size=${YOUNG_GEN_SEMI_SPACE_MB}`, 'record views, every field read', 'iterateRecords, every field read, release() (≤ 2.5×)',
    'columns: dump.columns(key, value), release() (≤ 2.5×)', 'the same into the previous call\'s columns', 'BTF values', 'bpftool -j map dump', 'get_next_key iteration', 'bpftool / raw (≥ 10× at 100k)',
  ],
  rows,
);
const us = (ms) => `${(ms * 1e3).toFixed(1)} µs`;
console.log(
  `\ndump() runs on libuv's thread pool: the round trip there and back costs ${(hop.async - hop.sync).toFixed(3)} ms here (one lookup(): ` +
    `${us(hop.async)} async; ${us(hop.sync)} with lookupSync(), ${hop.ratio} a C program's bpf_map_lookup_elem, ${us(hop.c)}, both in loops of 1,000). ` +
    'dumpSync() and the C baseline run on the calling thread. ' +
    'The C baseline reads into one buffer it reuses. A dump() that is dropped is freed when V8 collects it, after tens of MiB of ' +
    'dumps; its buffers are then kept, and a later dump of the map fills them. The raw column times that state, which a process ' +
    'that polls reaches after its first collection. Before it (the next column: the median of the dumps made until V8 first ' +
    'collected some, one by one, not paired) each dump gets fresh memory, which the kernel faults in and zeroes as it writes; ' +
    'the column also gives the C program dumping into fresh memory (mapped for each dump, faulted in a batch at a time as bpfscope does) ' +
    'and the ratio to that. ' +
    'A released dump (`release()`, or `using`) hands its buffers to the next dump of the handle, as the C program does. ' +
    'Decoded records are plain objects with every field decoded (`dump({ key, value })`, which releases its dump itself); ' +
    `the next column times them in a Node started with --max-semi-space-size=${YOUNG_GEN_SEMI_SPACE_MB}, whose young generation holds ` +
    "a 100k-entry dump's records, so that no scavenge copies them while they are built (Node 24's default; Node 20's and 22's is 16). " +
    'Record views (`dump({ key, value, views: true })`) are one small object per entry whose fields decode when read; the column times ' +
    'a dump whose every field is then read once (each value kept, so that none is optimized away). The next does the same with ' +
    '`dump.iterateRecords(key, value)`, which makes each view as the loop reaches it, and releases the dump after the loop. ' +
    'Columns (`dump.columns(key, value)`) decode every field of every entry into one array per field, plain integers into typed ' +
    'arrays and u64 with no bigint per entry, then release the dump; the next column passes the previous call\'s columns ' +
    '(`dump.columns(key, value, previous)`), whose arrays are filled again.',
);
console.log('\nOne watch tick (poll) on an unchanged map, against one C batch dump of it (target ≤ 1.3×):\n');
table(['map', 'C batch', 'poll() (sync)', 'pollAsync()', 'C batch on a second thread', 'pollAsync() against it', 'pollAsync(), the process on one CPU'], [tickRow]);
console.log(
  '\nAsync calls against a C dump that makes the same hand-off: each dump on a second thread that may run on any CPU, as ' +
    "libuv's pool threads may, woken through a condition variable and waited for in epoll_wait on an eventfd, as Node's " +
    "event loop waits. The hand-off's cost (the C columns' ratio, their medians measured seconds apart) is the machine's: " +
    'here a vCPU that halted while its thread waited is woken through its host. The last three columns pin every thread of ' +
    'this process, libuv\'s pool included, to the CPU the C baseline runs on, as `taskset -c N node` would, and compare ' +
    'with the C dump on the calling thread: no vCPU is woken, and the kernel writes each dump on the CPU that decodes it ' +
    '(where two CPUs share no cache, writing lines the other has read waits for them: docs/maps.md).\n',
);
table(
  [
    'map', 'C batch', 'C batch on a second thread', 'the hand-off: second thread / calling thread', 'dump(), dropped, against it', 'dump(), then release(), against it',
    'the process on one CPU: dump(), then release()', 'the process on one CPU: decoded records, objects', 'the process on one CPU: iterateRecords, every field read, release()',
  ],
  handOffRows,
);
console.log(
  `\nEvent loop during five async dumps of the 1,000,000-entry hash (each ${fmt(loopDelay.raw)} ms; monitorEventLoopDelay, 1 ms resolution): ` +
    `dropped, delay max ${fmt(loopDelay.dropped.max)} ms, p99 ${fmt(loopDelay.dropped.p99)} ms, mean ${fmt(loopDelay.dropped.mean)} ms; ` +
    `released, max ${fmt(loopDelay.released.max)} ms, p99 ${fmt(loopDelay.released.p99)} ms, mean ${fmt(loopDelay.released.mean)} ms. ` +
    `A dropped dump leaves its ${fmt(loopDelay.mb)} MB to V8, whose collections pause the loop; ` +
    `a released one's buffers are filled again. A blocking dumpSync() of it holds the loop ${fmt(loopDelay.blocking)} ms.\n`,
);
