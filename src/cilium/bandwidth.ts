// The bandwidth manager's EDT map: per endpoint (and, from 1.18, per direction) the rate its
// traffic is paced to (`cilium-dbg bpf bandwidth list`).
//
// Cilium versions → key/value layout of cilium_throttle (a hash, 65535 entries, BPF_F_NO_PREALLOC):
//
//   1.14–1.16  key   struct edt_id, 8 B: id u64 @0 (the endpoint id)
//              value struct edt_info, 56 B: bps u64 @0 (bytes per second), t_last u64 @8,
//                    t_horizon_drop u64 @16, pad[4]
//   1.17       key   as above
//              value struct edt_info, 56 B: as above, with prio u32 @24 (the pod's priority + 1;
//                    0: none), pad_32, pad[3]
//   1.18+      key   struct edt_id, 8 B: id u32 @0, direction u8 @4 (0 egress, 1 ingress), pad[3]
//              value struct edt_info, 56 B: as in 1.17, t_horizon_drop @16 in a union with
//                    tokens, the ingress token bucket's fill (bpf/lib/token_bucket.h)
// Read from bpf/lib/common.h (1.14–1.18), bpf/lib/edt.h (1.19+) and pkg/maps/bwmap/bwmap.go.
import { defineLayout, type Decoded } from '../layout';
import { decodePairs, encodePairs, encodeVersion, rowFor, type DecodeOptions, type MapLayout, type PackedEntries } from './codec';
import { columns, compareCells, decimalQuantity } from './text';
import { formatVersion, withLayout, type CiliumRecords } from './version';

const KEY = defineLayout({ endpointId: { offset: 0, type: 'u64' } }, 8);
const KEY_DIRECTION = defineLayout({
  endpointId: { offset: 0, type: 'u32' },
  direction: { offset: 4, type: 'u8' },
}, 8);
const INFO = {
  bps: { offset: 0, type: 'u64' },
  tLast: { offset: 8, type: 'u64' },
  horizonOrTokens: { offset: 16, type: 'u64' },
} as const;
const VALUE = defineLayout(INFO, 56);
const VALUE_PRIO = defineLayout({ ...INFO, prio: { offset: 24, type: 'u32' } }, 56);

const MAP = 'cilium_throttle';
/** Newest first; the sizes never changed, so only a version tells the layouts apart. */
export const BANDWIDTH_LAYOUTS: readonly MapLayout[] = [
  { since: 18, until: 20, map: MAP, name: 'edt_id (id, direction) / edt_info (prio)', keySize: 8, valueSize: 56, key: KEY_DIRECTION, value: VALUE_PRIO },
  { since: 17, until: 17, map: MAP, name: 'edt_id / edt_info (prio)', keySize: 8, valueSize: 56, key: KEY, value: VALUE_PRIO },
  { since: 14, until: 16, map: MAP, name: 'edt_id / edt_info', keySize: 8, valueSize: 56, key: KEY, value: VALUE },
];

/** The first version whose keys carry a direction, and whose ingress entries hold tokens. */
const DIRECTION_SINCE = 18;
/** edt_id.direction of an ingress entry (DIRECTION_INGRESS); anything else is egress. */
const INGRESS = 1;

export interface BandwidthRecord {
  /** The endpoint whose traffic is paced (a u64 before 1.18, which the agent fills from a u16). */
  endpointId: number;
  /** 1.18+: 0 egress, 1 ingress (any other value counts as egress); undefined before. */
  direction?: number;
  /** The rate, in bytes per second (cilium-dbg prints bits). */
  bps: bigint;
  /** When the last packet was scheduled to leave (ns, the datapath's clock). */
  tLast: bigint;
  /** How far ahead a packet may be scheduled before it is dropped (ns); egress entries. */
  tHorizonDrop?: bigint;
  /** 1.18+, ingress entries: the bytes left in the token bucket (the union with tHorizonDrop). */
  tokens?: bigint;
  /** 1.17+: the pod's priority plus one (0: none set); undefined before. */
  prio?: number;
}

type Key = Decoded<typeof KEY_DIRECTION.fields>;
type Value = Decoded<typeof VALUE_PRIO.fields>;

/** Decodes packed cilium_throttle entries; the version decides the layout (the sizes never changed). */
export function decodeBandwidth(keys: Buffer, values: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<BandwidthRecord> {
  const { keys: ks, values: vs, minor, used } = decodePairs<Key | { endpointId: bigint }, Value>('bandwidth', BANDWIDTH_LAYOUTS, keys, values, count, options);
  return withLayout(ks.map((k, i): BandwidthRecord => {
    const v = vs[i];
    const direction = minor >= DIRECTION_SINCE ? (k as Key).direction : undefined;
    const record: BandwidthRecord = { endpointId: Number(k.endpointId), direction, bps: v.bps, tLast: v.tLast, prio: v.prio };
    if (direction === INGRESS) record.tokens = v.horizonOrTokens;
    else record.tHorizonDrop = v.horizonOrTokens;
    return record;
  }), used);
}

/** Packs entries with the version's layout; a direction or prio the version lacks is left out. */
export function encodeBandwidth(entries: readonly BandwidthRecord[], options: { version?: string } = {}): PackedEntries {
  const row = rowFor(BANDWIDTH_LAYOUTS, encodeVersion(options, 'cilium bandwidth encode options'));
  const wide = row.key === KEY;
  return encodePairs(row, entries.map(({ endpointId, direction = 0, bps, tLast = 0n, tHorizonDrop, tokens, prio = 0 }) => [
    { endpointId: wide ? BigInt(endpointId) : endpointId, direction },
    { bps, tLast, horizonOrTokens: tokens ?? tHorizonDrop ?? 0n, prio },
  ] as const));
}

/** Go's int64 arithmetic, which cilium-dbg does the rate in. */
const int64 = (value: bigint) => BigInt.asIntN(64, value);

/**
 * `cilium-dbg bpf bandwidth list` of the version (formatVersion picks it): rows sorted cell by cell
 * as strings, the rate in bits per second as a Kubernetes quantity (8M), `No entries found.` for
 * none (on stderr). Up to 1.17: IDENTITY and EGRESS BANDWIDTH (BitsPerSec). 1.17's map printed the
 * value as "bps, prio", which its list command reads as a number and fails on: every rate prints
 * 0. 1.18+: IDENTITY, DIRECTION (Ingress for 1, else Egress), PRIO, BANDWIDTH (BitsPerSec). Read
 * from cilium-dbg/cmd/bpf_bandwidth_list.go (cilium/cmd/ in 1.14) and bwmap's String methods.
 */
export function formatBandwidth(records: readonly BandwidthRecord[], options?: { version?: string }): string {
  const minor = formatVersion(records, options, 'cilium.format.bandwidth');
  if (records.length === 0) return 'No entries found.\n';
  const rate = (r: BandwidthRecord) => (minor === 17 ? '0' : decimalQuantity(int64(int64(r.bps) * 8n)));
  const rows = records.map((r) => {
    const id = String(r.endpointId);
    if (minor < DIRECTION_SINCE) return [id, rate(r)];
    return [id, r.direction === INGRESS ? 'Ingress' : 'Egress', String(r.prio ?? 0), rate(r)];
  });
  const header = minor < DIRECTION_SINCE ? ['IDENTITY', 'EGRESS BANDWIDTH (BitsPerSec)'] : ['IDENTITY', 'DIRECTION', 'PRIO', 'BANDWIDTH (BitsPerSec)'];
  return columns(header, rows.sort(compareCells));
}
