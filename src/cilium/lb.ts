// The load balancer: services (`cilium_lb4_services_v2`), backends (`cilium_lb4_backends_v3`) and
// reverse NAT (`cilium_lb4_reverse_nat`) (cilium-maps.md §5.3, which leaves out the byte orders, the
// algorithm and the L7 proxy port below), and their IPv6 twins
// (`cilium_lb6_…`), whose structs put a 16-byte `union v6addr` where the IPv4 ones have a be32:
// every later field moves 12 bytes on, and the value sizes grow by 12 where an address is in them.
//
// Cilium versions → key/value layout (IPv4 offsets; IPv6: +12 after the address):
//
//   services  key struct lb4_key, 12 B (lb6_key 24 B): address be32 @0, dport be16 @4, backend_slot u16 @6
//             (0 = the service entry), proto @8 (0 before 1.17), scope @9
//             value struct lb4_service = lb6_service, 12 B: u32 @0 = backend_id (slot entries) / affinity
//             timeout (service entry; 1.17+: its low 24 bits, the upper 8 the algorithm, 1 random or
//             2 maglev, which 1.17's agent writes into every service entry), count u16 @4,
//             rev_nat_index be16 @6, flags @8, flags2 @9; 1.17+: qcount u16 @10. A service entry with
//             SVC_FLAG_L7LOADBALANCER (flags2 0x04) holds l7_lb_proxy_port there instead: a be16 in
//             bytes 0..1 (the struct's comment says host order, but the agent writes
//             HostToNetwork16(port) and bpf_sock.c reads it as __be16), no timeout, no algorithm
//   backends  key u32 backend_id; value struct lb4_backend, 12 B (lb6_backend 24 B): address be32 @0,
//             port be16 @4, proto @6, flags @7, cluster_id u8 @8 (1.14) / u16 @8 (1.15+), zone @10 (1.16+)
//   revNat    key be16 rev_nat_index; value 6 B packed (lb6_reverse_nat 18 B): address be32 @0, port be16 @4
// rev_nat_index is in network byte order wherever it is stored (the agent's ToNetwork() swaps it in
// the service value and the rev-NAT key; the datapath copies it into conntrack entries as it is):
// not in cilium-maps.md, read from pkg/maps/lbmap (1.14) and pkg/loadbalancer/maps (main).
// The algorithm bits: struct lb4_service and Service4Value.SetLbAlg, which updateMasterService
// calls for every service (pkg/maps/lbmap/lbmap.go), are in the 1.17 branch point and every
// version after it, not in 1.16. Every layout here was checked against the structs of each
// version (bpf/lib/common.h up to 1.18, bpf/lib/lb.h from 1.19) and the Go types that write them.
import { defineLayout, valueChecker, type Decoded } from '../layout';
import { checkFamily, decodeFamilyPairs, encodePairs, encodeVersion, rowFor, type DecodeOptions, type IpFamily, type MapLayout, type PackedEntries } from './codec';
import { protocolName } from './tables';
import { goIpText, tablePrinter } from './text';
import { formatVersion, recordPrototype, withLayout, type CiliumRecords, type Minor, type WithPrototype } from './version';

/** lb{4,6}_key.scope of a two-scope service's internal entry (loadbalancer.ScopeInternal). */
const SCOPE_INTERNAL = 1;

/** The address field of a family, and how far it pushes the fields after it. */
export function addressOf(family: IpFamily): { address: { offset: 0; type: 'ipv4' | 'ipv6' }; shift: number } {
  return { address: { offset: 0, type: family === 4 ? 'ipv4' : 'ipv6' }, shift: family === 4 ? 0 : 12 };
}

function serviceKey(family: IpFamily) {
  const { address, shift } = addressOf(family);
  return defineLayout({
    address,
    port: { offset: 4 + shift, type: 'be16' },
    backendSlot: { offset: 6 + shift, type: 'u16' },
    protocol: { offset: 8 + shift, type: 'u8' },
    scope: { offset: 9 + shift, type: 'u8' },
  }, 12 + shift);
}
const SERVICE_VALUE_FIELDS = {
  slotValue: { offset: 0, type: 'u32' },
  count: { offset: 4, type: 'u16' },
  revNatIndex: { offset: 6, type: 'be16' },
  flags: { offset: 8, type: 'u8' },
  flags2: { offset: 9, type: 'u8' },
} as const;
const SERVICE_VALUE_1_14 = defineLayout(SERVICE_VALUE_FIELDS, 12);
const SERVICE_VALUE_1_17 = defineLayout({ ...SERVICE_VALUE_FIELDS, qcount: { offset: 10, type: 'u16' } }, 12);

/** The first version whose service entries keep the algorithm in the u32's upper 8 bits (SetLbAlg). */
const ALGORITHM_SINCE = 17;
/** The first version with a quarantined-backend count in the service value. */
const QCOUNT_SINCE = 17;
/** The first version whose backends carry a zone (and print it). */
const ZONE_SINCE = 16;
/** flags2's SVC_FLAG_L7LOADBALANCER: the service entry's u32 is the L7 proxy port (every version). */
const SVC_FLAG_L7_LOADBALANCER = 0x04;

/**
 * The u32 a service value holds first, as the map stores it (`lb4_service`'s union): a slot's
 * backend id; a service entry's L7 proxy port, or its affinity timeout with, where `algorithmBits`
 * (1.17+), the algorithm in the upper 8 bits. What the decoder split, put back together.
 */
function slotValueOf(s: Pick<ServiceRecord, 'backendSlot' | 'backendId' | 'affinityTimeout' | 'algorithm' | 'l7ProxyPort'>, algorithmBits: boolean): number {
  const { affinityTimeout = 0, algorithm = 0 } = s;
  if (s.backendSlot !== 0) return SLOT_PARTS.backendId(s.backendId ?? 0);
  if (s.l7ProxyPort !== undefined) return swap16(SLOT_PARTS.l7ProxyPort(s.l7ProxyPort));
  if (!algorithmBits) return SLOT_PARTS.affinityTimeout(affinityTimeout);
  return ((SLOT_PARTS.algorithm(algorithm) << 24) | SLOT_PARTS.affinityTimeout24(affinityTimeout)) >>> 0;
}

/**
 * Each part of the u32 checked against the bits it has there, as a layout checks a bitfield: a
 * 1.17+ timeout past 24 bits would spill into the algorithm, an algorithm or a port past its bits be cut.
 */
const slotPart = (name: string, bits: number) => valueChecker(name, { offset: 0, type: 'u32', bits: [0, bits] }) as (x: unknown) => number;
const SLOT_PARTS = {
  backendId: slotPart('backendId', 32),
  l7ProxyPort: slotPart('l7ProxyPort', 16),
  affinityTimeout: slotPart('affinityTimeout', 32),
  affinityTimeout24: slotPart('affinityTimeout', 24),
  algorithm: slotPart('algorithm', 8),
};

/**
 * A u16 as the other byte order reads it: the L7 proxy port sits in the u32's low bytes in network
 * order, and cilium-dbg prints be16 fields read as host-order uint16s (frag, socknat).
 */
export function swap16(value: number): number {
  return ((value & 0xff) << 8) | ((value >>> 8) & 0xff);
}

function serviceLayouts(family: IpFamily): MapLayout[] {
  const map = `cilium_lb${family}_services_v2`;
  const key = serviceKey(family);
  const name = `lb${family}_key / lb${family}_service`;
  return [
    { since: 14, until: 16, map, name, keySize: key.size, valueSize: 12, key, value: SERVICE_VALUE_1_14 },
    { since: 17, until: 20, map, name: `${name} with qcount, algorithm`, keySize: key.size, valueSize: 12, key, value: SERVICE_VALUE_1_17 },
  ];
}

const BACKEND_KEY = defineLayout({ backendId: { offset: 0, type: 'u32' } }, 4);

function backendLayouts(family: IpFamily): MapLayout[] {
  const { address, shift } = addressOf(family);
  const fields = {
    address,
    port: { offset: 4 + shift, type: 'be16' },
    protocol: { offset: 6 + shift, type: 'u8' },
    flags: { offset: 7 + shift, type: 'u8' },
  } as const;
  const size = 12 + shift;
  const map = `cilium_lb${family}_backends_v3`;
  const name = `u32 / lb${family}_backend`;
  return [
    { since: 14, until: 14, map, name: `${name} (cluster_id u8)`, keySize: 4, valueSize: size, key: BACKEND_KEY, value: defineLayout({ ...fields, clusterId: { offset: 8 + shift, type: 'u8' } }, size) },
    { since: 15, until: 15, map, name: `${name} (cluster_id u16)`, keySize: 4, valueSize: size, key: BACKEND_KEY, value: defineLayout({ ...fields, clusterId: { offset: 8 + shift, type: 'u16' } }, size) },
    {
      since: 16, until: 20, map, name: `${name} (cluster_id u16, zone)`, keySize: 4, valueSize: size, key: BACKEND_KEY,
      value: defineLayout({ ...fields, clusterId: { offset: 8 + shift, type: 'u16' }, zone: { offset: 10 + shift, type: 'u8' } }, size),
    },
  ];
}

/** A rev-NAT index in network byte order: the reverse-NAT map's key, and the Maglev map's. */
export const REV_NAT_KEY = defineLayout({ revNatIndex: { offset: 0, type: 'be16' } }, 2);

function revNatLayouts(family: IpFamily): MapLayout[] {
  const { address, shift } = addressOf(family);
  const value = defineLayout({ address, port: { offset: 4 + shift, type: 'be16' } }, 6 + shift);
  return [{ since: 14, until: 20, map: `cilium_lb${family}_reverse_nat`, name: `u16 / lb${family}_reverse_nat`, keySize: 2, valueSize: value.size, key: REV_NAT_KEY, value }];
}

export const SERVICE_LAYOUTS: readonly MapLayout[] = serviceLayouts(4);
export const SERVICE6_LAYOUTS: readonly MapLayout[] = serviceLayouts(6);
export const BACKEND_LAYOUTS: readonly MapLayout[] = backendLayouts(4);
export const BACKEND6_LAYOUTS: readonly MapLayout[] = backendLayouts(6);
export const REV_NAT_LAYOUTS: readonly MapLayout[] = revNatLayouts(4);
export const REV_NAT6_LAYOUTS: readonly MapLayout[] = revNatLayouts(6);

/** The layout tables of one family. */
export function lbLayouts(family: IpFamily): { services: readonly MapLayout[]; backends: readonly MapLayout[]; revNat: readonly MapLayout[] } {
  return family === 4
    ? { services: SERVICE_LAYOUTS, backends: BACKEND_LAYOUTS, revNat: REV_NAT_LAYOUTS }
    : { services: SERVICE6_LAYOUTS, backends: BACKEND6_LAYOUTS, revNat: REV_NAT6_LAYOUTS };
}

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
  /** Service entries: session-affinity timeout in seconds (1.17+: the low 24 bits). */
  affinityTimeout?: number;
  /** Service entries, 1.17+: the load-balancing algorithm (upper 8 bits; 1 random, 2 maglev). */
  algorithm?: number;
  /** Service entries with SVC_FLAG_L7LOADBALANCER (flags2 0x04): the L7 proxy's port, in place of timeout and algorithm. */
  l7ProxyPort?: number;
  count: number;
  revNatIndex: number;
  flags: number;
  flags2: number;
  /** 1.17+: quarantined backends. */
  qcount?: number;
}

type ServiceKey = Decoded<ReturnType<typeof serviceKey>['fields']>;

/** Decodes packed service keys and values; the family follows the key size (12: IPv4, 24: IPv6). */
export function decodeServices(keys: Buffer, values: Buffer, count: number, options?: DecodeOptions): CiliumRecords<ServiceRecord> {
  const { keys: ks, values: vs, minor, used } = decodeFamilyPairs<ServiceKey, Decoded<typeof SERVICE_VALUE_FIELDS> & { qcount?: number }>('services', { 4: SERVICE_LAYOUTS, 6: SERVICE6_LAYOUTS }, 'key', 24, keys, values, count, options);
  const prototype = recordPrototype(minor);
  return withLayout(ks.map((k, i): ServiceRecord => {
    const { slotValue, ...v } = vs[i];
    const record: WithPrototype<ServiceRecord> = { __proto__: prototype, ...k, ...v };
    if (k.backendSlot !== 0) record.backendId = slotValue;
    else if ((v.flags2 & SVC_FLAG_L7_LOADBALANCER) !== 0) record.l7ProxyPort = swap16(slotValue);
    else if (minor >= ALGORITHM_SINCE) Object.assign(record, { affinityTimeout: slotValue & 0xffffff, algorithm: slotValue >>> 24 });
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

/** Decodes packed backend keys and values; the family follows the value size (12: IPv4, 24: IPv6). */
export function decodeBackends(keys: Buffer, values: Buffer, count: number, options?: DecodeOptions): CiliumRecords<BackendRecord> {
  const { keys: ks, values: vs, minor, used } = decodeFamilyPairs<Decoded<typeof BACKEND_KEY.fields>, Omit<BackendRecord, 'backendId'>>('backends', { 4: BACKEND_LAYOUTS, 6: BACKEND6_LAYOUTS }, 'value', 24, keys, values, count, options);
  const prototype = recordPrototype(minor);
  return withLayout(ks.map((k, i): BackendRecord => ({ __proto__: prototype, ...k, ...vs[i] }) as WithPrototype<BackendRecord>), used);
}

export interface RevNatRecord {
  revNatIndex: number;
  address: string;
  port: number;
}

/** Decodes packed reverse-NAT keys and values; the family follows the value size (6: IPv4, 18: IPv6). */
export function decodeRevNat(keys: Buffer, values: Buffer, count: number, options?: DecodeOptions): CiliumRecords<RevNatRecord> {
  const { keys: ks, values: vs, minor, used } = decodeFamilyPairs<Decoded<typeof REV_NAT_KEY.fields>, Omit<RevNatRecord, 'revNatIndex'>>('revNat', { 4: REV_NAT_LAYOUTS, 6: REV_NAT6_LAYOUTS }, 'value', 18, keys, values, count, options);
  const prototype = recordPrototype(minor);
  return withLayout(ks.map((k, i): RevNatRecord => ({ __proto__: prototype, ...k, ...vs[i] }) as WithPrototype<RevNatRecord>), used);
}

/** A service to encode: the record's fields, with the ones the encoder can default left optional. */
export type ServiceEntry = Omit<ServiceRecord, 'count' | 'revNatIndex' | 'flags' | 'flags2' | 'protocol' | 'scope'> & Partial<ServiceRecord>;

/** Options of the encoders: the version's layout, and the family (default 4). */
export interface LbEncodeOptions {
  version?: string;
  family?: IpFamily;
}

/** The layout row an encoder writes with. */
function encodeRow(options: LbEncodeOptions | undefined, what: 'services' | 'backends' | 'revNat'): MapLayout {
  const { family = 4, ...rest } = options ?? {};
  return rowFor(lbLayouts(checkFamily(family))[what], encodeVersion(rest, `cilium ${what} encode options`));
}

export function encodeServices(entries: readonly ServiceEntry[], options?: LbEncodeOptions): PackedEntries {
  const row = encodeRow(options, 'services');
  return encodePairs(row, entries.map((e) => {
    const { address, port, backendSlot, protocol = 0, scope = 0, backendId, affinityTimeout, algorithm, l7ProxyPort, ...value } = e;
    const slotValue = slotValueOf({ backendSlot, backendId, affinityTimeout, algorithm, l7ProxyPort }, row.since >= ALGORITHM_SINCE);
    return [{ address, port, backendSlot, protocol, scope }, { ...value, slotValue }] as const;
  }));
}

export function encodeBackends(entries: readonly (Omit<BackendRecord, 'clusterId' | 'flags' | 'protocol'> & Partial<BackendRecord>)[], options?: LbEncodeOptions): PackedEntries {
  const row = encodeRow(options, 'backends');
  return encodePairs(row, entries.map(({ backendId, ...value }) => [{ backendId }, value] as const));
}

export function encodeRevNat(entries: readonly RevNatRecord[], options?: LbEncodeOptions): PackedEntries {
  const row = encodeRow(options, 'revNat');
  return encodePairs(row, entries.map(({ revNatIndex, ...value }) => [{ revNatIndex }, value] as const));
}

/** `loadbalancer.ServiceFlags` bits (flags | flags2 << 8). */
const SVC = {
  externalIps: 1 << 0, nodePort: 1 << 1, extLocal: 1 << 2, hostPort: 1 << 3, sessionAffinity: 1 << 4, loadBalancer: 1 << 5,
  routable: 1 << 6, sourceRange: 1 << 7, localRedirect: 1 << 8, nat46x64: 1 << 9, l7LoadBalancer: SVC_FLAG_L7_LOADBALANCER << 8, loopback: 1 << 11,
  intLocal: 1 << 12, twoScopes: 1 << 13, quarantinedOrDeny: 1 << 14, dsr: 1 << 15,
} as const;

/** `ServiceFlags.SVCType()`: the first type bit set, in its order. */
function serviceType(flags: number): string {
  if (flags & SVC.externalIps) return 'ExternalIPs';
  if (flags & SVC.nodePort) return 'NodePort';
  if (flags & SVC.loadBalancer) return 'LoadBalancer';
  if (flags & SVC.hostPort) return 'HostPort';
  if (flags & SVC.localRedirect) return 'LocalRedirect';
  return 'ClusterIP';
}

/**
 * `ServiceFlags.String()` of that version (pkg/loadbalancer/loadbalancer.go): from 1.17 bit 14 is
 * `deny` under a source range (the service entry) and `quarantined` otherwise (a backend slot's),
 * and bit 15 `dsr`; from 1.18 bit 11 reads `delegate-if-local` but on a HostPort service.
 */
function serviceFlagsText(flags: number, minor: Minor): string {
  const type = serviceType(flags);
  const words = [type];
  if (flags & SVC.extLocal) words.push('Local');
  if (flags & SVC.intLocal) words.push('InternalLocal');
  if (flags & SVC.twoScopes) words.push('two-scopes');
  if (flags & SVC.sessionAffinity) words.push('sessionAffinity');
  if (!(flags & SVC.routable)) words.push('non-routable');
  const deny = minor >= 17 && (flags & SVC.sourceRange) !== 0 && (flags & SVC.quarantinedOrDeny) !== 0;
  if (flags & SVC.sourceRange) words.push('check source-range', ...(deny ? ['deny'] : []));
  if (flags & SVC.nat46x64) words.push('46x64');
  if (flags & SVC.l7LoadBalancer) words.push('l7-load-balancer');
  if (flags & SVC.loopback) words.push(minor >= 18 && type !== 'HostPort' ? 'delegate-if-local' : 'loopback');
  if (minor >= 17 && !deny && (flags & SVC.quarantinedOrDeny)) words.push('quarantined');
  if (minor >= 17 && (flags & SVC.dsr)) words.push('dsr');
  return words.join(', ');
}

const isIpv6 = (address: string) => address.includes(':');

/** `Service{4,6}Key.String()`: address and port, the protocol from 1.17, `/i` for the internal scope, the slot but in 1.15. */
function serviceKeyText(s: ServiceRecord, minor: Minor): string {
  const protocol = minor >= 17 ? `/${protocolName(s.protocol, minor)}` : '';
  const scope = s.scope === SCOPE_INTERNAL ? '/i' : '';
  const slot = minor === 15 ? '' : ` (${s.backendSlot})`;
  // types.IPv6 prints through net.IP up to 1.19, netip.Addr after.
  const address = isIpv6(s.address) ? `[${goIpText(s.address, minor >= 20)}]` : s.address;
  return `${address}:${s.port}${protocol}${scope}${slot}`;
}

/** The value column of one service entry: the service itself (slot 0) or its backend. */
function serviceValueText(s: ServiceRecord, backends: ReadonlyMap<number, BackendRecord>, minor: Minor): string {
  if (s.backendSlot === 0) {
    const flags = s.flags | (s.flags2 << 8);
    const text = `${isIpv6(s.address) ? '[::]' : '0.0.0.0'}:0 (${s.revNatIndex}) (0) [${serviceFlagsText(flags, minor)}]`;
    if (minor === 15) return text;
    // cilium-dbg prints the proxy port by the flags' bit, the decoder keeps it by flags2's (the same bit).
    const proxyPort = (flags & SVC.l7LoadBalancer) !== 0 ? `(L7LB Proxy Port: ${s.l7ProxyPort ?? 0})` : '';
    return `${text} ${proxyPort}`;
  }
  const backend = backends.get(s.backendId ?? 0);
  if (!backend) return `backend ${s.backendId ?? 0} not found`;
  // Backend addresses moved to netip (with `@cluster` when not 0) in 1.19.
  const ip = goIpText(backend.address, minor >= 19) + (minor >= 19 && backend.clusterId !== 0 ? `@${backend.clusterId}` : '');
  const protocol = minor >= 17 ? `/${protocolName(backend.protocol, minor)}` : '';
  return `${isIpv6(s.address) ? `[${ip}]` : ip}:${backend.port}${protocol} (${s.revNatIndex}) (${s.backendSlot})`;
}

/**
 * What `cilium-dbg bpf lb list` of that version prints (cilium-dbg/cmd/bpf_lb_list.go): each service
 * entry under its key, the service entry's flags and each slot's backend, through Go's tabwriter
 * (rows sorted, see tablePrinter). Services and backends of both families together, as cilium-dbg
 * reads them; the version as formatVersion picks it from the services.
 */
export function formatLb(lb: { services: readonly ServiceRecord[]; backends: readonly BackendRecord[] }, options?: { version?: string }): string {
  if (lb === null || typeof lb !== 'object' || !Array.isArray(lb.services) || !Array.isArray(lb.backends)) {
    throw new TypeError('cilium.format.lb: expects { services, backends }, arrays of records');
  }
  const minor = formatVersion(lb.services, options, 'cilium.format.lb');
  const backends = new Map(lb.backends.map((b) => [b.backendId, b]));
  return tablePrinter('SERVICE ADDRESS', 'BACKEND ADDRESS (REVNAT_ID) (SLOT)', lb.services.map((s) => [serviceKeyText(s, minor), serviceValueText(s, backends, minor)] as const));
}

/**
 * What `cilium-dbg bpf lb list --revnat` of that version prints: each reverse-NAT index with the
 * address and port replies are rewritten to (`RevNat{4,6}Value.String`, Go's JoinHostPort).
 */
export function formatRevNat(records: readonly RevNatRecord[], options?: { version?: string }): string {
  const minor = formatVersion(records, options, 'cilium.format.revNat');
  return tablePrinter('ID', 'BACKEND ADDRESS (REVNAT_ID) (SLOT)', records.map((r) => {
    const address = goIpText(r.address, minor >= 20);
    return [String(r.revNatIndex), `${isIpv6(address) ? `[${address}]` : address}:${r.port}`] as const;
  }));
}

/** Go's `%x`. */
const hex = (value: number) => `0x${value.toString(16)}`;

/**
 * `Service{4,6}Value.String()`: the u32 as stored (backend id, timeout and algorithm, or proxy
 * port), the backend count, from 1.17 `[qcount]`, the rev-NAT index and both flag bytes in hex.
 */
function serviceValueRawText(s: ServiceRecord, minor: Minor): string {
  const qcount = minor >= QCOUNT_SINCE ? `[${s.qcount ?? 0}]` : '';
  return `${slotValueOf(s, minor >= ALGORITHM_SINCE)} ${s.count}${qcount} (${s.revNatIndex}) [${hex(s.flags)} ${hex(s.flags2)}]`;
}

/**
 * What `cilium-dbg bpf lb list --frontends` of that version prints: the services maps of both
 * families, each entry as its key's and its value's own String() (SERVICE ADDRESS, BACKEND ID),
 * where the default listing resolves each slot's backend. The key reads as in `lb list` (1.15 has
 * no slot in it, so a service's entries share one key); the value is the raw entry.
 */
export function formatLbFrontends(records: readonly ServiceRecord[], options?: { version?: string }): string {
  const minor = formatVersion(records, options, 'cilium.format.lbFrontends');
  return tablePrinter('SERVICE ADDRESS', 'BACKEND ID', records.map((s) => [serviceKeyText(s, minor), serviceValueRawText(s, minor)] as const));
}

/**
 * `Backend{4,6}ValueV3.String()`: `<protocol>://<address>`, the address as netip prints it (IPv6
 * bare, an IPv4-mapped one as `::ffff:a.b.c.d`) with `@<cluster>` when not 0, and no port; from
 * 1.16 a zone's name in brackets, which cilium-dbg looks up in a zone mapping only the agent loads
 * (--fixed-zone-mapping): `[]` for any zone.
 */
function backendValueText(b: BackendRecord, minor: Minor): string {
  const cluster = b.clusterId !== 0 ? `@${b.clusterId}` : '';
  const zone = minor >= ZONE_SINCE && b.zone ? '[]' : '';
  return `${protocolName(b.protocol, minor)}://${b.address}${cluster}${zone}`;
}

/**
 * What `cilium-dbg bpf lb list --backends` of that version prints: the backends maps of both
 * families, each backend id with its value's String() under the titles ID and BACKEND ADDRESS
 * (REVNAT_ID) (SLOT), which cilium-dbg keeps from the default listing.
 */
export function formatLbBackends(records: readonly BackendRecord[], options?: { version?: string }): string {
  const minor = formatVersion(records, options, 'cilium.format.lbBackends');
  return tablePrinter('ID', 'BACKEND ADDRESS (REVNAT_ID) (SLOT)', records.map((b) => [String(b.backendId), backendValueText(b, minor)] as const));
}
