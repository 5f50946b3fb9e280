// The datapath's runtime config: an array the agent writes and every Cilium program reads
// (`cilium-dbg bpf config list`).
//
// Cilium versions → map, key/value layout:
//
//   1.14–1.20-dev: cilium_runtime_config, BPF_MAP_TYPE_ARRAY of 256 entries (CONFIG_MAP_SIZE in
//     bpf/node_config.h up to 1.17, max_entries in bpf/lib/config_map.h from 1.18: 256 so that a
//     downgrade from a version with more entries needs no resize)
//     key   u32, enum runtime_config: 0 RUNTIME_CONFIG_UTIME_OFFSET, 1 RUNTIME_CONFIG_AGENT_LIVENESS
//     value u64
//   - UTimeOffset: the Unix time of boot in 512 ns units (pkg/datapath/linux/utime), which the
//     datapath adds to ktime_get_ns() >> 9 for wall-clock expiries (the auth map's);
//   - AgentLiveness: the agent's CLOCK_MONOTONIC in ns (bpf.GetMtime), written every
//     --agent-liveness-update-interval (1 s; pkg/datapath/agentliveness); the responder for L2
//     announcements stops answering ARP for service IPs once it is older than the lease (bpf_host.c
//     up to 1.18, bpf/lib/l2_responder.h after).
// cilium-dbg looks the two up by index (pkg/maps/configmap, cilium-dbg/cmd/bpf_config_list.go, the
// same at every anchor). Not in cilium-maps.md.
import { defineLayout } from '../layout';
import { decodePairs, encodePairs, encodeVersion, rowFor, type DecodeOptions, type MapLayout, type PackedEntries } from './codec';
import { columns } from './text';
import { withLayout, type CiliumRecords } from './version';

const INDEX = defineLayout({ index: { offset: 0, type: 'u32' } }, 4);
const VALUE = defineLayout({ value: { offset: 0, type: 'u64' } }, 8);

export const RUNTIME_CONFIG_LAYOUTS: readonly MapLayout[] = [
  { since: 14, until: 20, map: 'cilium_runtime_config', name: 'runtime_config index / u64', keySize: 4, valueSize: 8, key: INDEX, value: VALUE },
];

/** The array's length at every version (its max_entries). */
export const RUNTIME_CONFIG_ENTRIES = 256;

/** The indices every version defines, in index order, with cilium-dbg's names. */
export const RUNTIME_CONFIG_INDICES = [
  { index: 0, name: 'UTimeOffset' },
  { index: 1, name: 'AgentLiveness' },
] as const;

export interface RuntimeConfigRecord {
  index: number;
  /** cilium-dbg's name of the index ('UTimeOffset', 'AgentLiveness'); 'Unknown' for another. */
  name: string;
  value: bigint;
}

/** cilium-dbg's name of an index (configmap.Index.String). */
function indexName(index: number): string {
  return RUNTIME_CONFIG_INDICES.find((i) => i.index === index)?.name ?? 'Unknown';
}

/** Decodes packed runtime config entries (u32 index → u64). */
export function decodeRuntimeConfig(keys: Buffer, values: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<RuntimeConfigRecord> {
  const { keys: ks, values: vs, used } = decodePairs<{ index: number }, { value: bigint }>('runtime config', RUNTIME_CONFIG_LAYOUTS, keys, values, count, options);
  return withLayout(ks.map(({ index }, i): RuntimeConfigRecord => ({ index, name: indexName(index), value: vs[i].value })), used);
}

/** Packs runtime config entries (`name` is not stored: the index is). */
export function encodeRuntimeConfig(entries: readonly Pick<RuntimeConfigRecord, 'index' | 'value'>[], options: { version?: string } = {}): PackedEntries {
  const row = rowFor(RUNTIME_CONFIG_LAYOUTS, encodeVersion(options, 'cilium runtime config encode options'));
  return encodePairs(row, entries.map(({ index, value }) => [{ index }, { value }] as const));
}

/**
 * `cilium-dbg bpf config list`: Go's tabwriter over KEY and VALUE, AgentLiveness first, then
 * UTimeOffset, as cilium-dbg asks for them (records of other indices are not printed); a known
 * index missing from the records is an error, as cilium-dbg's failed lookup is. The same at every
 * version.
 */
export function formatRuntimeConfig(records: readonly RuntimeConfigRecord[]): string {
  if (!Array.isArray(records)) throw new TypeError('cilium.format.runtimeConfig: records must be an array');
  const rows = ['AgentLiveness', 'UTimeOffset'].map((name) => {
    const record = records.find((r) => r.name === name);
    if (record === undefined) throw new RangeError(`cilium.format.runtimeConfig: no ${name} record`);
    return [name, String(record.value)];
  });
  return columns(['KEY', 'VALUE'], rows);
}
