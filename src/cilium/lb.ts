// The IPv4 load balancer: services (`cilium_lb4_services_v2`), backends (`cilium_lb4_backends_v3`)
// and reverse NAT (`cilium_lb4_reverse_nat`) (cilium-maps.md §5.3).
//
// Cilium versions → key/value layout:
//
//   services  key struct lb4_key, 12 B: address be32 @0, dport be16 @4, backend_slot u16 @6 (0 = the service
//             entry), proto @8 (0 before 1.17), scope @9
//             value struct lb4_service, 12 B: u32 @0 = backend_id (slot entries) / affinity timeout (service
//             entry; 1.20-dev: upper 8 bits the algorithm), count u16 @4, rev_nat_index u16 @6, flags @8,
//             flags2 @9; 1.17+: qcount u16 @10
//   backends  key u32 backend_id; value struct lb4_backend, 12 B: address be32 @0, port be16 @4, proto @6,
//             flags @7, cluster_id u8 @8 (1.14) / u16 @8 (1.15+), zone @10 (1.16+)
//   revNat    key u16 rev_nat_index; value 6 B packed: address be32 @0, port be16 @4
import { defineLayout, type Decoded } from '../layout';
import { decodePairs, encodePairs, encodeVersion, rowFor, type DecodeOptions, type MapLayout, type PackedEntries } from './codec';
import { withLayout, type CiliumRecords } from './version';

const SERVICE_KEY = defineLayout({
  address: { offset: 0, type: 'ipv4' },
  port: { offset: 4, type: 'be16' },
  backendSlot: { offset: 6, type: 'u16' },
  protocol: { offset: 8, type: 'u8' },
  scope: { offset: 9, type: 'u8' },
}, 12);
const SERVICE_VALUE_FIELDS = {
  slotValue: { offset: 0, type: 'u32' },
  count: { offset: 4, type: 'u16' },
  revNatIndex: { offset: 6, type: 'u16' },
  flags: { offset: 8, type: 'u8' },
  flags2: { offset: 9, type: 'u8' },
} as const;
const SERVICE_VALUE_1_14 = defineLayout(SERVICE_VALUE_FIELDS, 12);
const SERVICE_VALUE_1_17 = defineLayout({ ...SERVICE_VALUE_FIELDS, qcount: { offset: 10, type: 'u16' } }, 12);

const SERVICES = 'cilium_lb4_services_v2';

export const SERVICE_LAYOUTS: readonly MapLayout[] = [
  { since: 14, until: 16, map: SERVICES, name: 'lb4_key / lb4_service', keySize: 12, valueSize: 12, key: SERVICE_KEY, value: SERVICE_VALUE_1_14 },
  { since: 17, until: 19, map: SERVICES, name: 'lb4_key / lb4_service with qcount', keySize: 12, valueSize: 12, key: SERVICE_KEY, value: SERVICE_VALUE_1_17 },
  { since: 20, until: 20, map: SERVICES, name: 'lb4_key / lb4_service with qcount, algorithm', keySize: 12, valueSize: 12, key: SERVICE_KEY, value: SERVICE_VALUE_1_17 },
];

const BACKEND_KEY = defineLayout({ backendId: { offset: 0, type: 'u32' } }, 4);
const BACKEND_FIELDS = {
  address: { offset: 0, type: 'ipv4' },
  port: { offset: 4, type: 'be16' },
  protocol: { offset: 6, type: 'u8' },
  flags: { offset: 7, type: 'u8' },
} as const;
const BACKEND_1_14 = defineLayout({ ...BACKEND_FIELDS, clusterId: { offset: 8, type: 'u8' } }, 12);
const BACKEND_1_15 = defineLayout({ ...BACKEND_FIELDS, clusterId: { offset: 8, type: 'u16' } }, 12);
const BACKEND_1_16 = defineLayout({ ...BACKEND_FIELDS, clusterId: { offset: 8, type: 'u16' }, zone: { offset: 10, type: 'u8' } }, 12);
const BACKENDS = 'cilium_lb4_backends_v3';

export const BACKEND_LAYOUTS: readonly MapLayout[] = [
  { since: 14, until: 14, map: BACKENDS, name: 'u32 / lb4_backend (cluster_id u8)', keySize: 4, valueSize: 12, key: BACKEND_KEY, value: BACKEND_1_14 },
  { since: 15, until: 15, map: BACKENDS, name: 'u32 / lb4_backend (cluster_id u16)', keySize: 4, valueSize: 12, key: BACKEND_KEY, value: BACKEND_1_15 },
  { since: 16, until: 20, map: BACKENDS, name: 'u32 / lb4_backend (cluster_id u16, zone)', keySize: 4, valueSize: 12, key: BACKEND_KEY, value: BACKEND_1_16 },
];

const REV_NAT_KEY = defineLayout({ revNatIndex: { offset: 0, type: 'u16' } }, 2);
const REV_NAT_VALUE = defineLayout({ address: { offset: 0, type: 'ipv4' }, port: { offset: 4, type: 'be16' } }, 6);

export const REV_NAT_LAYOUTS: readonly MapLayout[] = [
  { since: 14, until: 20, map: 'cilium_lb4_reverse_nat', name: 'u16 / lb4_reverse_nat', keySize: 2, valueSize: 6, key: REV_NAT_KEY, value: REV_NAT_VALUE },
];

export interface ServiceRecord {
  address: string;
  port: number;
  /** 0: the service entry (count = number of backends); n > 0: the n-th backend slot. */
  backendSlot: number;
  /** IP protocol (0 = any, before 1.17). */
  protocol: number;
  /** 0 external, 1 internal (two-scope services). */
  scope: number;
  /** Slot entries: the backend. */
  backendId?: number;
  /** Service entries: session-affinity timeout in seconds (1.20-dev: the low 24 bits). */
  affinityTimeout?: number;
  /** Service entries, 1.20-dev: the load-balancing algorithm (upper 8 bits). */
  algorithm?: number;
  count: number;
  revNatIndex: number;
  flags: number;
  flags2: number;
  /** 1.17+: quarantined backends. */
  qcount?: number;
}

export function decodeServices(keys: Buffer, values: Buffer, count: number, options?: DecodeOptions): CiliumRecords<ServiceRecord> {
  const { keys: ks, values: vs, minor, used } = decodePairs<Decoded<typeof SERVICE_KEY.fields>, Decoded<typeof SERVICE_VALUE_FIELDS> & { qcount?: number }>('services', SERVICE_LAYOUTS, keys, values, count, options);
  return withLayout(ks.map((k, i): ServiceRecord => {
    const { slotValue, ...v } = vs[i];
    const record: ServiceRecord = { ...k, ...v };
    if (k.backendSlot !== 0) record.backendId = slotValue;
    else if (minor >= 20) Object.assign(record, { affinityTimeout: slotValue & 0xffffff, algorithm: slotValue >>> 24 });
    else record.affinityTimeout = slotValue;
    return record;
  }), used);
}

export interface BackendRecord {
  backendId: number;
  address: string;
  port: number;
  protocol: number;
  flags: number;
  clusterId: number;
  /** 1.16+. */
  zone?: number;
}

export function decodeBackends(keys: Buffer, values: Buffer, count: number, options?: DecodeOptions): CiliumRecords<BackendRecord> {
  const { keys: ks, values: vs, used } = decodePairs<Decoded<typeof BACKEND_KEY.fields>, Decoded<typeof BACKEND_1_16.fields>>('backends', BACKEND_LAYOUTS, keys, values, count, options);
  return withLayout(ks.map((k, i): BackendRecord => ({ ...k, ...vs[i] })), used);
}

export interface RevNatRecord {
  revNatIndex: number;
  address: string;
  port: number;
}

export function decodeRevNat(keys: Buffer, values: Buffer, count: number, options?: DecodeOptions): CiliumRecords<RevNatRecord> {
  const { keys: ks, values: vs, used } = decodePairs<Decoded<typeof REV_NAT_KEY.fields>, Decoded<typeof REV_NAT_VALUE.fields>>('revNat', REV_NAT_LAYOUTS, keys, values, count, options);
  return withLayout(ks.map((k, i): RevNatRecord => ({ ...k, ...vs[i] })), used);
}

/** A service to encode: the record's fields, with the ones the encoder can default left optional. */
export type ServiceEntry = Omit<ServiceRecord, 'count' | 'revNatIndex' | 'flags' | 'flags2' | 'protocol' | 'scope'> & Partial<ServiceRecord>;

export function encodeServices(entries: readonly ServiceEntry[], options?: { version?: string }): PackedEntries {
  const minor = encodeVersion(options, 'cilium services encode options');
  const row = rowFor(SERVICE_LAYOUTS, minor);
  return encodePairs(row, entries.map((e) => {
    const { address, port, backendSlot, protocol = 0, scope = 0, backendId, affinityTimeout = 0, algorithm = 0, ...value } = e;
    const slotValue = backendSlot !== 0 ? (backendId ?? 0) : row.since >= 20 ? ((algorithm << 24) | affinityTimeout) >>> 0 : affinityTimeout;
    return [{ address, port, backendSlot, protocol, scope }, { ...value, slotValue }] as const;
  }));
}

export function encodeBackends(entries: readonly (Omit<BackendRecord, 'clusterId' | 'flags' | 'protocol'> & Partial<BackendRecord>)[], options?: { version?: string }): PackedEntries {
  const row = rowFor(BACKEND_LAYOUTS, encodeVersion(options, 'cilium backends encode options'));
  return encodePairs(row, entries.map(({ backendId, ...value }) => [{ backendId }, value] as const));
}

export function encodeRevNat(entries: readonly RevNatRecord[], options?: { version?: string }): PackedEntries {
  const row = rowFor(REV_NAT_LAYOUTS, encodeVersion(options, 'cilium revNat encode options'));
  return encodePairs(row, entries.map(({ revNatIndex, ...value }) => [{ revNatIndex }, value] as const));
}
