// `cilium-dbg bpf ipcache list` from Node: cilium.ipcache() (find by pin, batch dump, decode) and
// cilium.format.ipcache() on a pinned cilium_ipcache_v2 holding BENCH_IPCACHE /32 entries, against
// a C batch dump of the same map (scripts/bench/cilium_ipcache_dump.c, the physical limit without
// decoding) and against `bpftool -j map dump` (what a Node tool would shell out to); and one tick of
// cilium.poller('ipcache') on the unchanged map.
import { mkdirSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cilium, openMap } from 'bpfscope';
import { createMap, mountBpffs, pin, unmount, updateBatch } from 'bpfscope/testing';
import { commandMs, compileBaseline, fmt, median, paired, ratio, runBaseline, table } from './lib.mjs';

const N = Number(process.env.BENCH_IPCACHE ?? 100000);
const bpffs = mkdtempSync(join(tmpdir(), 'bpfscope-bench-cilium-'));
await mountBpffs(bpffs);
try {
  mkdirSync(join(bpffs, 'tc/globals'), { recursive: true });
  const path = join(bpffs, 'tc/globals/cilium_ipcache_v2');
  const map = await createMap({ type: 'lpm_trie', name: 'cilium_ipcache_v2', keySize: 24, valueSize: 24, maxEntries: 512000, flags: 1 });
  const packed = cilium.encode.ipcache(Array.from({ length: N }, (_, i) => ({
    prefix: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`,
    identity: 256 + (i % 50000),
  })));
  await updateBatch(map, packed.keys, packed.values, packed.count);
  await pin(map, path);
  map.close();

  const baseline = compileBaseline('cilium_ipcache_dump');
  const cBlock = async (runs) => {
    const [cNs, cCount] = (await runBaseline(baseline, [path, String(runs)])).trim().split(' ').map(Number);
    if (cCount !== N) throw new Error(`C baseline read ${cCount} entries, expected ${N}`);
    return cNs / 1e6;
  };
  const timing = { blocks: 5, runs: 3, warmup: 3 };
  const raw = await paired(cBlock, async () => {
    const m = await openMap({ pinned: path });
    try {
      await m.dump();
    } finally {
      m.close();
    }
  }, timing);
  const decoded = await paired(cBlock, () => cilium.ipcache({ bpffs }), timing);
  const text = await paired(cBlock, async () => cilium.format.ipcache(await cilium.ipcache({ bpffs })), timing);
  // A poller's tick on the unchanged map: one dump into reused buffers, a compare, nothing decoded.
  const poller = await cilium.poller('ipcache', { bpffs });
  let tick;
  try {
    poller.poll();
    tick = await paired(cBlock, () => poller.pollAsync(), timing);
  } finally {
    poller.close();
  }
  const c = median([raw, decoded, text, tick].map((t) => t.baselineMs));
  const bpftool = await commandMs('bpftool', ['-j', 'map', 'dump', 'pinned', path], 3);

  console.log(`### Cilium ipcache (${N} /32 entries in cilium_ipcache_v2)\n`);
  table(['what', 'ms', '/ C batch dump', 'bpftool -j / this'], [
    ['C: bpf_obj_get + BPF_MAP_LOOKUP_BATCH into buffers', fmt(c), '1.00×', ratio(bpftool, c)],
    ['openMap({ pinned }).dump() (packed buffers)', fmt(raw.ms), raw.ratio, ratio(bpftool, raw.ms)],
    ['cilium.ipcache() (find, dump, decode to records)', fmt(decoded.ms), decoded.ratio, ratio(bpftool, decoded.ms)],
    ['cilium.format.ipcache(await cilium.ipcache()) (cilium-dbg text)', fmt(text.ms), text.ratio, ratio(bpftool, text.ms)],
    ["cilium.poller('ipcache').pollAsync(), the map unchanged (one tick)", fmt(tick.ms), tick.ratio, ratio(bpftool, tick.ms)],
    ['bpftool -j map dump pinned (hex JSON, no decoding)', fmt(bpftool), ratio(bpftool, c), '1.00×'],
  ]);
  console.log('');
} finally {
  await unmount(bpffs);
  rmdirSync(bpffs);
}
