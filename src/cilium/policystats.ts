// Policy counters, 1.18+: `cilium_policystats`, one LRU per-CPU hash (BPF_F_NO_COMMON_LRU) for all
// endpoints, from an endpoint and a policy entry's key to the packets and bytes that entry let
// through. Up to 1.17 the counters were in the policy entry itself (src/cilium/policy.ts).
//
// Cilium versions → key/value layout (bpf/lib/common.h 1.18, bpf/lib/policy.h 1.19 and main):
//
//   key   struct policy_stats_key, 12 B: endpoint_id u16 @0, pad1 @2, prefix_len u8 @3 (the entry's
//         protocol and port prefix, 0–24: its lpm_prefix_length), sec_label u32 @4, egress bit0 @8,
//         protocol @9, dport be16 @10 (the port's bits past the prefix zeroed)
//   value struct policy_stats_value, 16 B per CPU: packets u64 @0, bytes u64 @8
//   1.18–1.20 the same; max_entries --bpf-policy-stats-map-max (65536) rounded down to a multiple of
//            the possible CPUs
import { defineLayout, type Decoded } from '../layout';
import { encodePairs, encodeVersion, rowFor, type MapLayout, type PackedEntries } from './codec';
import { COUNTER, decodeCounterPairs, encodeCounters, type CpuCounters, type Counters, type PerCpuDecodeOptions } from './counters';
import { STATIC_PREFIX_BITS, type PolicyRecord } from './policy';
import { withLayout, type CiliumRecords } from './version';

const KEY = defineLayout({
  endpointId: { offset: 0, type: 'u16' },
  prefixLen: { offset: 3, type: 'u8' },
  identity: { offset: 4, type: 'u32' },
  egress: { offset: 8, type: 'u8', bits: [0, 1] },
  protocol: { offset: 9, type: 'u8' },
  port: { offset: 10, type: 'be16' },
}, 12);

export const POLICY_STATS_MAP = 'cilium_policystats';

export const POLICY_STATS_LAYOUTS: readonly MapLayout[] = [
  { since: 18, until: 20, map: POLICY_STATS_MAP, name: 'policy_stats_key / policy_stats_value per CPU', keySize: 12, valueSize: 16, key: KEY, value: COUNTER },
];

/** The first version whose policy counters are in cilium_policystats. */
export const POLICY_STATS_SINCE = 18;

export interface PolicyStatsRecord extends Counters {
  endpointId: number;
  /** The policy entry's key, as in PolicyRecord. */
  identity: number;
  direction: 'ingress' | 'egress';
  /** The entry's protocol and port prefix length (0 any, 8 the protocol, 24 protocol and port). */
  lpmPrefixLength: number;
  /** 0 where the prefix does not cover it. */
  protocol: number;
  port: number;
}

/** Decodes packed `cilium_policystats` keys and per-CPU values (possible CPUs × 16 bytes per entry). */
export function decodePolicyStats(keys: Buffer, values: Buffer, count: number, options: PerCpuDecodeOptions = {}): CiliumRecords<PolicyStatsRecord> {
  const { keys: ks, counters, used } = decodeCounterPairs<Decoded<typeof KEY.fields>>('policy stats', POLICY_STATS_LAYOUTS, keys, values, count, options);
  return withLayout(ks.map((k, i): PolicyStatsRecord => ({
    endpointId: k.endpointId,
    identity: k.identity,
    direction: k.egress ? 'egress' : 'ingress',
    lpmPrefixLength: k.prefixLen,
    protocol: k.protocol,
    port: k.port,
    ...counters[i],
  })), used);
}

/** A policy stats entry to encode: its key, and its counters per CPU, in CPU order. */
export type PolicyStatsEntry = Omit<PolicyStatsRecord, 'packets' | 'bytes' | 'perCpu'> & { perCpu: readonly CpuCounters[] };

/** Packs entries into `cilium_policystats` keys and per-CPU values (`cpus` × 16 bytes per entry). */
export function encodePolicyStats(entries: readonly PolicyStatsEntry[], options: { version?: string; cpus: number }): PackedEntries {
  const { cpus, ...rest } = options;
  const values = encodeCounters(entries.map((e) => e.perCpu), cpus);
  const row = rowFor(POLICY_STATS_LAYOUTS, encodeVersion(rest, 'cilium policy stats encode options'));
  const packed = encodePairs(row, entries.map((e) => [keyFields(e), {}] as const));
  return { ...packed, values };
}

/** A stats key as records show it: the endpoint and the fields of the policy key it repeats. */
type StatsKey = Omit<PolicyStatsRecord, keyof Counters>;

/** A stats key's fields as the map lays them out. */
function keyFields(k: StatsKey): Decoded<typeof KEY.fields> {
  return { endpointId: k.endpointId, prefixLen: k.lpmPrefixLength, identity: k.identity, egress: k.direction === 'egress' ? 1 : 0, protocol: k.protocol, port: k.port };
}

/**
 * The stats key of an endpoint's policy entry, as cilium-dbg builds it (`StatsMap.GetStat`): the
 * policy key's fields, its prefix length less the 40 static bits as a u8.
 */
function statsKeyOf(r: PolicyRecord, endpointId: number): StatsKey {
  return { endpointId, lpmPrefixLength: (r.prefixLength - STATIC_PREFIX_BITS) & 0xff, identity: r.identity, direction: r.direction, protocol: r.protocol ?? 0, port: r.port };
}

/** The `cilium_policystats` keys of an endpoint's policy records, to look each up as cilium-dbg does. */
export function policyStatsKeys(records: readonly PolicyRecord[], endpointId: number): Buffer[] {
  return records.map((r) => KEY.encode(keyFields(statsKeyOf(r, endpointId))));
}

function statsKeyText(k: StatsKey): string {
  return `${k.endpointId}/${k.lpmPrefixLength}/${k.identity}/${k.direction}/${k.protocol}/${k.port}`;
}

/**
 * Gives each policy record of the endpoint the packets and bytes `cilium_policystats` holds for it,
 * matched by the key cilium-dbg looks it up with; a record the map has no row for keeps none
 * (cilium-dbg prints `-`).
 */
export function addPolicyStats(records: PolicyRecord[], stats: readonly PolicyStatsRecord[], endpointId: number): void {
  const byKey = new Map(stats.map((s) => [statsKeyText(s), s]));
  for (const r of records) {
    const found = byKey.get(statsKeyText(statsKeyOf(r, endpointId)));
    if (found) Object.assign(r, { packets: found.packets, bytes: found.bytes });
  }
}
