// The maps the map benchmark dumps: their BTF, the user layouts that decode them, the data that
// fills them. Shared by bench/maps.bench.mjs and bench/records-young-gen.mjs.
import { execFileSync } from 'node:child_process';
import { defineLayout } from 'bpfscope';
import { runBaseline } from './lib.mjs';

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

export const cpus = Number(execFileSync('nproc', ['--all'], { encoding: 'utf8' })) || 1;
export const scenarios = [
  { label: 'hash 16 B/24 B', entries: 10_000, map: { type: 'hash', keySize: 16, valueSize: 24, maxEntries: 10_000, btf: FLOW_BTF }, fill: flowEntries, layouts: [FLOW_KEY, FLOW_VALUE] },
  { label: 'hash 16 B/24 B', entries: 100_000, map: { type: 'hash', keySize: 16, valueSize: 24, maxEntries: 100_000, btf: FLOW_BTF }, fill: flowEntries, layouts: [FLOW_KEY, FLOW_VALUE] },
  { label: 'hash 16 B/24 B', entries: 1_000_000, map: { type: 'hash', keySize: 16, valueSize: 24, maxEntries: 1_000_000, btf: FLOW_BTF }, fill: flowEntries, layouts: [FLOW_KEY, FLOW_VALUE] },
  { label: 'lpm_trie /32 (ipcache-like 24 B/12 B)', entries: 100_000, map: { type: 'lpm_trie', keySize: 24, valueSize: 12, maxEntries: 100_000, flags: 1, btf: IPCACHE_BTF }, fill: ipcacheEntries, layouts: [IPCACHE_KEY, IPCACHE_VALUE] },
  { label: 'percpu_hash 4 B/16 B', entries: 10_000, map: { type: 'percpu_hash', keySize: 4, valueSize: 16, maxEntries: 10_000, btf: COUNTER_BTF }, fill: (n) => counterEntries(n, cpus), layouts: [COUNTER_KEY, COUNTER_VALUE], perCpu: true },
  { label: 'sparse hash, max_entries 4M', entries: 1_000, map: { type: 'hash', keySize: 16, valueSize: 24, maxEntries: 4 << 20, flags: 1, btf: FLOW_BTF }, fill: flowEntries, layouts: [FLOW_KEY, FLOW_VALUE] },
];

/**
 * The C baseline's (scripts/bench/map_dump.c) median ms over `runs` dumps of map `id`, and the
 * entries it read. With `workerCpus` (a CPU list), each dump runs on a second thread allowed on
 * them and is waited for in epoll_wait, the hand-off an async dump() makes. With `fresh`, each
 * dump fills buffers of fresh memory.
 */
export async function cBatchMs(binary, id, runs, { workerCpus, fresh = false } = {}) {
  const args = [...(fresh ? ['--fresh'] : []), String(id), String(runs), ...(workerCpus ? [workerCpus] : [])];
  const [entries, ns] = (await runBaseline(binary, args)).trim().split(' ').map(Number);
  return { entries, ms: ns / 1e6 };
}

/**
 * Every entry as plain-object records: `dump({ key, value })`, which releases its dump itself, or
 * for per-CPU maps perCpuRecords() from a dump that is then released.
 */
export async function decodeRecords(map, scenario) {
  const [key, value] = scenario.layouts;
  if (!scenario.perCpu) return map.dump({ key, value });
  const dump = await map.dump();
  const records = dump.perCpuRecords(key, value);
  dump.release();
  return records;
}
