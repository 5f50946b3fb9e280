// Reading Cilium's maps from the kernel: find each by its pin under `<bpffs>/tc/globals/`, else by
// name among all maps (names longer than 15 characters are truncated by the kernel, so those must
// also fit a known layout, and per-endpoint maps, whose truncated names collide, only by pin), then
// dump it into packed buffers and decode with the version's layout.
import { BpfError } from '../errors';
import { listMaps, openMap, type BpfMap, type MapInfo } from '../maps';
import type { MapDump } from '../map-dump';
import { checkOptions, describe } from '../validate';
import { checkFamily, type IpFamily, type MapLayout } from './codec';
import { conntrackMapNames, CT4_LAYOUTS, CT6_LAYOUTS, decodeConntrack, type ConntrackRecord } from './conntrack';
import { decodeEndpoints, ENDPOINT_LAYOUTS, type EndpointRecord } from './endpoints';
import { decodeIpcache, IPCACHE_LAYOUTS, lookupIpcache, lookupTarget, type IpcacheRecord } from './ipcache';
import { decodeBackends, decodeRevNat, decodeServices, lbLayouts, type BackendRecord, type RevNatRecord, type ServiceRecord } from './lb';
import { decodeNat, NAT4_LAYOUTS, NAT6_LAYOUTS, type NatRecord } from './nat';
import { decodeNatRetries, NAT_RETRIES6_LAYOUTS, NAT_RETRIES_LAYOUTS, type NatRetriesRecord } from './natretries';
import { decodeEgress, EGRESS6_LAYOUTS, EGRESS_LAYOUTS, type EgressRecord } from './egress';
import { BANDWIDTH_LAYOUTS, decodeBandwidth, type BandwidthRecord } from './bandwidth';
import { decodeFrag, FRAG6_LAYOUTS, FRAG_LAYOUTS, type FragRecord } from './frag';
import { decodeIpMasq, IPMASQ6_LAYOUTS, IPMASQ_LAYOUTS, type IpMasqRecord } from './ipmasq';
import type { PerCpuDecodeOptions } from './counters';
import { decodeMetrics, METRICS_LAYOUTS, type MetricsRecord } from './metrics';
import { decodePolicy, policyMapNames, POLICY_LAYOUTS, type PolicyRecord } from './policy';
import { addPolicyStats, decodePolicyStats, policyStatsKeys, POLICY_STATS_LAYOUTS, POLICY_STATS_MAP, POLICY_STATS_SINCE } from './policystats';
import { decodeRuntimeConfig, RUNTIME_CONFIG_INDICES, RUNTIME_CONFIG_LAYOUTS, type RuntimeConfigRecord } from './config';
import { AUTH_LAYOUTS, decodeAuth, type AuthRecord } from './auth';
import { decodeNodeIds, NODE_ID_LAYOUTS, type NodeIdRecord } from './nodeid';
import { decodeVtep, VTEP_LAYOUTS, type VtepRecord } from './vtep';
import { decodeSrv6Policy, decodeSrv6Sid, decodeSrv6Vrf, SRV6_POLICY6_LAYOUTS, SRV6_POLICY_LAYOUTS, SRV6_SID_LAYOUTS, SRV6_VRF6_LAYOUTS, SRV6_VRF_LAYOUTS, type Srv6PolicyRecord, type Srv6SidRecord, type Srv6VrfRecord } from './srv6';
import { decodeMaglev, MAGLEV6_LAYOUTS, MAGLEV_LAYOUTS, type MaglevRecord } from './maglev';
import { decodeMulticastGroups, decodeMulticastSubscribers, multicastGroup, MULTICAST_GROUP_LAYOUTS, type MulticastGroupRecord } from './multicast';
import { decodeSockRevNat, SOCK_REV_NAT6_LAYOUTS, SOCK_REV_NAT_LAYOUTS, type SockRevNatRecord } from './socknat';
import { DEFAULT_BPFFS, globalsDir, isKernelName } from './specs';
import { checkClusterId, perClusterNatMapNames } from './percluster';
import { decodeTunnel, TUNNEL_LAYOUTS, type TunnelRecord } from './tunnel';
import { decodeRecorder, RECORDER6_LAYOUTS, RECORDER_LAYOUTS, type RecorderRecord } from './recorder';
import { decodeSourceRanges, SOURCE_RANGE6_LAYOUTS, SOURCE_RANGE_LAYOUTS, type SourceRangeRecord } from './sourcerange';
import { chooseLayout, parseVersion, versionName, withLayout, type CiliumRecords, type LayoutUsed } from './version';

/** Options of every reader. */
export interface ReadOptions {
  /** Where bpffs is mounted; default '/sys/fs/bpf'. */
  bpffs?: string;
  /** The Cilium version ('1.16', '1.16.15', …); default: the newest whose layout fits the map's sizes. */
  version?: string;
}

const READ_OPTIONS = ['bpffs', 'version'] as const;

type Decoder<T> = (keys: Buffer, values: Buffer, count: number, options: PerCpuDecodeOptions) => CiliumRecords<T>;

export interface Found {
  map: BpfMap;
  name: string;
  pinned?: string;
}

/** Checks a reader's options (`extra`: the keys it takes besides bpffs and version); bpffs defaults to /sys/fs/bpf. */
export function readOptions<T extends ReadOptions>(raw: unknown, extra: readonly string[], what: string): T & { bpffs: string } {
  const options = checkOptions<T>(raw, [...READ_OPTIONS, ...extra], what) as T;
  parseVersion(options.version); // bad versions fail before any kernel work
  if (options.bpffs !== undefined && (typeof options.bpffs !== 'string' || options.bpffs === '')) throw new TypeError(`${what}: bpffs must be a non-empty path`);
  return { ...options, bpffs: options.bpffs ?? DEFAULT_BPFFS };
}

/** Opens the first of `names` pinned under tc/globals, else the one map of that name whose sizes fit. */
async function findMap(names: readonly string[], table: readonly MapLayout[], bpffs: string, byName = true): Promise<Found> {
  const dir = globalsDir(bpffs);
  for (const name of names) {
    const pinned = `${dir}/${name}`;
    try {
      return { map: await openMap({ pinned }), name, pinned };
    } catch (err) {
      if (!(err instanceof BpfError && err.code === 'ENOENT')) throw err;
    }
  }
  if (byName) {
    // The sizes of the rows of that name when the table has some: names cut to 15 characters can
    // coincide (cilium_egress_gw_policy_v4 and _v4_v2), sizes then tell the maps apart.
    const rowsOf = (name: string) => (table.some((r) => r.map === name) ? table.filter((r) => r.map === name) : table);
    const fits = (m: MapInfo, rows: readonly MapLayout[]) => rows.some((r) => r.keySize === m.keySize && r.valueSize === m.valueSize);
    const all = await listMaps();
    for (const name of names) {
      const rows = rowsOf(name);
      const candidates = all.filter((m) => isKernelName(m.name, name) && fits(m, rows));
      if (candidates.length === 1) return { map: await openMap(candidates[0].id), name };
      if (candidates.length > 1) {
        throw new BpfError({
          errno: 0, code: 'EAMBIGUOUS', op: 'find map', object: name,
          description: `not pinned under ${dir}, and ${candidates.length} maps carry that name (ids ${candidates.map((m) => m.id).join(', ')}); pass the bpffs where it is pinned`,
        });
      }
    }
  }
  // The description is what the message says in place of the code: no errno's text fits a search.
  throw new BpfError({
    errno: 2, code: 'ENOENT', op: 'find map', object: names.join(' or '),
    description: `not pinned under ${dir}${byName ? ', and no map of that name' : ''}`,
  });
}

/**
 * `found`, when its sizes fit a row of `table` (one family's layouts), else a RangeError and the map
 * closed: the decoders tell the family of a map whose name no row carries (`cilium_ct_any4_global`,
 * a cluster's maps) by its sizes, and would read the other family's map pinned at that name as
 * that family's records.
 */
function ofFamily(found: Found, table: readonly MapLayout[]): Found {
  try {
    chooseLayout(found.name, table, found.map.info, undefined);
    return found;
  } catch (err) {
    found.map.close();
    throw err;
  }
}

/** A Cilium map found and opened, with the decoder and version its entries are read with. */
export interface Located<T> {
  found: Found;
  decode: Decoder<T>;
  version?: string;
}

/**
 * Decodes packed entries of a located map, with the sizes and name the map reports (and the CPUs
 * of a per-CPU map), and records where the map was found.
 */
export function decodeLocated<T>(loc: Located<T>, keys: Buffer, values: Buffer, count: number, cpus?: number): CiliumRecords<T> {
  const info = loc.found.map.info;
  const options: PerCpuDecodeOptions = { version: loc.version, keySize: info.keySize, valueSize: info.valueSize, map: loc.found.name };
  if (cpus !== undefined) options.cpus = cpus;
  const records = loc.decode(keys, values, count, options);
  const layout: LayoutUsed = { ...records.layout, mapId: info.id };
  if (loc.found.pinned) layout.pinned = loc.found.pinned;
  return withLayout(records, layout);
}

/** Dumps the map, closes it, and decodes the dump. */
async function readFound<T>(loc: Located<T>): Promise<CiliumRecords<T>> {
  try {
    const dump = await loc.found.map.dump();
    return decodeLocated(loc, dump.keys, dump.values, dump.count, dump.cpus);
  } finally {
    loc.found.map.close();
  }
}

/**
 * Looks `keys` up one by one (where a dump would read every entry, each a value per CPU of a
 * per-CPU map), closes the map, and decodes the entries found. The map's sizes are checked against
 * the layouts first, as a dump's decoding checks them, before keys of the layout's size are used.
 */
async function lookupFound<T>(loc: Located<T>, keys: readonly Buffer[]): Promise<CiliumRecords<T>> {
  const { map } = loc.found;
  try {
    decodeLocated(loc, Buffer.alloc(0), Buffer.alloc(0), 0);
    const values = await Promise.all(keys.map((key) => map.lookup(key)));
    const found = keys.flatMap((key, i) => (values[i] === undefined ? [] : [[key, values[i]] as const]));
    return decodeLocated(loc, Buffer.concat(found.map(([key]) => key)), Buffer.concat(found.map(([, value]) => value)), found.length, map.perCpu ? map.possibleCpus : undefined);
  } finally {
    map.close();
  }
}

/** The records each map kind a reader or poller can open decodes to. */
export interface CiliumMapRecords {
  ipcache: IpcacheRecord;
  endpoints: EndpointRecord;
  metrics: MetricsRecord;
  nat: NatRecord;
  natRetries: NatRetriesRecord;
  egress: EgressRecord;
  services: ServiceRecord;
  backends: BackendRecord;
  revNat: RevNatRecord;
  sockRevNat: SockRevNatRecord;
  srv6Vrf: Srv6VrfRecord;
  srv6Policy: Srv6PolicyRecord;
  srv6Sid: Srv6SidRecord;
  nodeIds: NodeIdRecord;
  auth: AuthRecord;
  vtep: VtepRecord;
  bandwidth: BandwidthRecord;
  ipmasq: IpMasqRecord;
  frag: FragRecord;
  tunnel: TunnelRecord;
  recorder: RecorderRecord;
  sourceRanges: SourceRangeRecord;
}
export type CiliumMapKind = keyof CiliumMapRecords;

interface Locator<T> {
  /** Whether the map comes per IP family (`{ family: 4 | 6 }`). */
  perFamily?: boolean;
  /** The names to look for, in order, and the layouts their sizes must fit. */
  find(version: string | undefined, family: IpFamily): { names: string[]; table: readonly MapLayout[] };
  decode: Decoder<T>;
}

/** The one table of a map per family: its name is the table's. */
const tableOnly = (table: readonly MapLayout[]) => ({ names: [table[0].map], table });

/**
 * A map renamed between versions (its table newest first): the names of the rows covering the
 * version, in the table's order, or every name without a version (newest first).
 */
function namesFor(table: readonly MapLayout[], version: string | undefined): { names: string[]; table: readonly MapLayout[] } {
  const minor = parseVersion(version);
  const rows = table.filter((r) => minor === undefined || (minor >= r.since && minor <= r.until));
  return { names: (rows.length > 0 ? rows : table).map((r) => r.map), table };
}

const LOCATORS: { [K in CiliumMapKind]: Locator<CiliumMapRecords[K]> } = {
  ipcache: {
    // `cilium_ipcache_v2` (1.18+), else `cilium_ipcache`.
    find: (version) => {
      const minor = parseVersion(version);
      return { names: minor !== undefined && minor <= 17 ? ['cilium_ipcache'] : ['cilium_ipcache_v2', 'cilium_ipcache'], table: IPCACHE_LAYOUTS };
    },
    decode: decodeIpcache,
  },
  endpoints: { find: () => tableOnly(ENDPOINT_LAYOUTS), decode: decodeEndpoints },
  metrics: { find: () => tableOnly(METRICS_LAYOUTS), decode: decodeMetrics },
  egress: {
    perFamily: true,
    // IPv4: `cilium_egress_gw_policy_v4_v2` (1.20+), which the datapath looks up first, else the older map.
    find: (version, family) => (family === 6 ? tableOnly(EGRESS6_LAYOUTS) : namesFor(EGRESS_LAYOUTS, version)),
    decode: decodeEgress,
  },
  nat: { perFamily: true, find: (_, family) => tableOnly(family === 4 ? NAT4_LAYOUTS : NAT6_LAYOUTS), decode: decodeNat },
  natRetries: { perFamily: true, find: (_, family) => tableOnly(family === 4 ? NAT_RETRIES_LAYOUTS : NAT_RETRIES6_LAYOUTS), decode: decodeNatRetries },
  services: { perFamily: true, find: (_, family) => tableOnly(lbLayouts(family).services), decode: decodeServices },
  backends: { perFamily: true, find: (_, family) => tableOnly(lbLayouts(family).backends), decode: decodeBackends },
  revNat: { perFamily: true, find: (_, family) => tableOnly(lbLayouts(family).revNat), decode: decodeRevNat },
  sockRevNat: { perFamily: true, find: (_, family) => tableOnly(family === 4 ? SOCK_REV_NAT_LAYOUTS : SOCK_REV_NAT6_LAYOUTS), decode: decodeSockRevNat },
  srv6Vrf: { perFamily: true, find: (_, family) => tableOnly(family === 4 ? SRV6_VRF_LAYOUTS : SRV6_VRF6_LAYOUTS), decode: decodeSrv6Vrf },
  srv6Policy: { perFamily: true, find: (_, family) => tableOnly(family === 4 ? SRV6_POLICY_LAYOUTS : SRV6_POLICY6_LAYOUTS), decode: decodeSrv6Policy },
  srv6Sid: { find: () => tableOnly(SRV6_SID_LAYOUTS), decode: decodeSrv6Sid },
  // `cilium_node_map_v2` (1.16+), else `cilium_node_map`; without a version, v2 first.
  nodeIds: { find: (version) => namesFor(NODE_ID_LAYOUTS, version), decode: decodeNodeIds },
  auth: { find: () => tableOnly(AUTH_LAYOUTS), decode: decodeAuth },
  vtep: { find: () => tableOnly(VTEP_LAYOUTS), decode: decodeVtep },
  bandwidth: { find: () => tableOnly(BANDWIDTH_LAYOUTS), decode: decodeBandwidth },
  ipmasq: { perFamily: true, find: (_, family) => tableOnly(family === 4 ? IPMASQ_LAYOUTS : IPMASQ6_LAYOUTS), decode: decodeIpMasq },
  frag: { perFamily: true, find: (_, family) => tableOnly(family === 4 ? FRAG_LAYOUTS : FRAG6_LAYOUTS), decode: decodeFrag },
  tunnel: { find: () => tableOnly(TUNNEL_LAYOUTS), decode: decodeTunnel },
  recorder: { perFamily: true, find: (_, family) => tableOnly(family === 4 ? RECORDER_LAYOUTS : RECORDER6_LAYOUTS), decode: decodeRecorder },
  sourceRanges: { perFamily: true, find: (_, family) => tableOnly(family === 4 ? SOURCE_RANGE_LAYOUTS : SOURCE_RANGE6_LAYOUTS), decode: decodeSourceRanges },
};

/** Options of the readers of maps that come in an IPv4 and an IPv6 variant. */
export interface FamilyReadOptions extends ReadOptions {
  /** 4 (default) or 6. */
  family?: IpFamily;
}

/** Finds and opens the map of a kind (by pin under `<bpffs>/tc/globals/`, else by name). */
export async function locate<K extends CiliumMapKind>(kind: K, raw: unknown, what = `cilium.${kind} options`): Promise<Located<CiliumMapRecords[K]>> {
  const locator = LOCATORS[kind] as Locator<CiliumMapRecords[K]>;
  if (locator === undefined) throw new TypeError(`unknown Cilium map kind ${JSON.stringify(kind)}: one of ${Object.keys(LOCATORS).join(', ')}`);
  const { family = 4, bpffs, version } = readOptions<FamilyReadOptions>(raw, locator.perFamily ? ['family'] : [], what);
  const { names, table } = locator.find(version, checkFamily(family));
  rejectAbsent(version, table, names);
  return { found: await findMap(names, table, bpffs), decode: locator.decode, version };
}

/**
 * A map the version does not have is missing (ENOENT, without looking), as on a node without it:
 * cilium_ipv6_frag_datagrams before 1.18, the multicast maps before 1.16, cilium_tunnel_map from 1.18.
 */
function rejectAbsent(version: string | undefined, table: readonly MapLayout[], names: readonly string[]): void {
  const minor = parseVersion(version);
  const since = Math.min(...table.map((r) => r.since));
  const until = Math.max(...table.map((r) => r.until));
  if (minor !== undefined && (minor < since || minor > until)) {
    const why = minor < since ? `it came with ${versionName(since)}` : `the last version with it is ${versionName(until)}`;
    throw new BpfError({ errno: 2, code: 'ENOENT', op: 'find map', object: names.join(' or '), description: `Cilium ${versionName(minor)} has no such map (${why})` });
  }
}

/** `cilium-dbg bpf ipcache list`: `cilium_ipcache_v2` (1.18+), else `cilium_ipcache`. */
export async function readIpcache(options?: ReadOptions): Promise<CiliumRecords<IpcacheRecord>> {
  return readFound(await locate('ipcache', options));
}

/** The ipcache entry the datapath would use for `ip` (longest-prefix match), or undefined. */
export async function ipcacheLookup(ip: string, options?: ReadOptions & { clusterId?: number }): Promise<IpcacheRecord | undefined> {
  const { clusterId = 0, ...rest } = checkOptions<ReadOptions & { clusterId?: number }>(options, [...READ_OPTIONS, 'clusterId'], 'cilium.ipcacheLookup options');
  if (typeof ip !== 'string') throw new TypeError('ip must be a string');
  // Bad input fails before the map is found and dumped, not after (or as the map's ENOENT/EPERM).
  lookupTarget(ip, clusterId, 'cilium.ipcacheLookup');
  return lookupIpcache(await readIpcache(rest), ip, clusterId);
}

/** `cilium-dbg bpf endpoint list`: `cilium_lxc`. */
export async function readEndpoints(options?: ReadOptions): Promise<CiliumRecords<EndpointRecord>> {
  return readFound(await locate('endpoints', options));
}

/** `cilium-dbg bpf metrics list`: `cilium_metrics`, summed over CPUs. */
export async function readMetrics(options?: ReadOptions): Promise<CiliumRecords<MetricsRecord>> {
  return readFound(await locate('metrics', options));
}

/** Options of `cilium.conntrack()` and `cilium.nat()`. */
export interface ClusterReadOptions extends FamilyReadOptions {
  /**
   * A remote cluster's id (1..255): that cluster's maps of Cluster Mesh (`cilium_per_cluster_ct_tcp4_<id>`
   * and `_any4_<id>`, `cilium_per_cluster_snat_v4_external_<id>`, or the IPv6 ones), as `cilium-dbg
   * bpf ct list cluster <id>` and `bpf nat list cluster <id>` read them.
   */
  cluster?: number;
}

/**
 * Both conntrack maps of a family (TCP, then everything else): the global ones, or with `cluster`
 * that cluster's, which cilium-dbg opens by their pins (never through the outer maps), and which
 * are found by pin only: the kernel cuts all their names to the same 15 characters.
 */
export async function readConntrack(options?: ClusterReadOptions): Promise<CiliumRecords<ConntrackRecord>> {
  const { family = 4, bpffs, version, cluster } = readOptions<ClusterReadOptions>(options, ['family', 'cluster'], 'cilium.conntrack options');
  const clusterId = cluster === undefined ? undefined : checkClusterId(cluster, 'cilium.conntrack options');
  const names = conntrackMapNames(checkFamily(family), clusterId);
  const table = family === 4 ? CT4_LAYOUTS : CT6_LAYOUTS;
  const byName = clusterId === undefined;
  const tcp = await readFound({ found: ofFamily(await findMap([names.tcp], table, bpffs, byName), table), decode: decodeConntrack, version });
  const any = await readFound({ found: ofFamily(await findMap([names.any], table, bpffs, byName), table), decode: decodeConntrack, version });
  return withLayout([...tcp, ...any], tcp.layout);
}

/**
 * `cilium-dbg bpf egress list`: `cilium_egress_gw_policy_v4_v2` (1.20+) or `cilium_egress_gw_policy_v4`,
 * or `cilium_egress_gw_policy_v6` (1.18+) with `{ family: 6 }`.
 */
export async function readEgress(options?: FamilyReadOptions): Promise<CiliumRecords<EgressRecord>> {
  return readFound(await locate('egress', options));
}

/**
 * `cilium-dbg bpf nat list`: `cilium_snat_v4_external`, or `cilium_snat_v6_external` with `{ family: 6 }`;
 * with `cluster`, `list cluster <id>`: that cluster's `cilium_per_cluster_snat_v{4,6}_external_<id>`,
 * by pin only, as for conntrack.
 */
export async function readNat(options?: ClusterReadOptions): Promise<CiliumRecords<NatRecord>> {
  const { family = 4, bpffs, version, cluster } = readOptions<ClusterReadOptions>(options, ['family', 'cluster'], 'cilium.nat options');
  if (cluster === undefined) return readFound(await locate('nat', { family, bpffs, version }));
  const { inner } = perClusterNatMapNames(checkFamily(family), checkClusterId(cluster, 'cilium.nat options'));
  const table = family === 4 ? NAT4_LAYOUTS : NAT6_LAYOUTS;
  return readFound({ found: ofFamily(await findMap([inner], table, bpffs, false), table), decode: decodeNat, version });
}

/**
 * `cilium-dbg bpf nat retries list` (1.18+): `cilium_snat_v4_alloc_retries`, or
 * `cilium_snat_v6_alloc_retries` with `{ family: 6 }`, each bucket's count summed over CPUs.
 */
export async function readNatRetries(options?: FamilyReadOptions): Promise<CiliumRecords<NatRetriesRecord>> {
  return readFound(await locate('natRetries', options));
}

export async function readServices(options?: FamilyReadOptions): Promise<CiliumRecords<ServiceRecord>> {
  return readFound(await locate('services', options));
}

export async function readBackends(options?: FamilyReadOptions): Promise<CiliumRecords<BackendRecord>> {
  return readFound(await locate('backends', options));
}

export async function readRevNat(options?: FamilyReadOptions): Promise<CiliumRecords<RevNatRecord>> {
  return readFound(await locate('revNat', options));
}

/** `cilium-dbg bpf socknat list` (1.18+): `cilium_lb4_reverse_sk`, or `cilium_lb6_reverse_sk` with `{ family: 6 }`. */
export async function readSockRevNat(options?: FamilyReadOptions): Promise<CiliumRecords<SockRevNatRecord>> {
  return readFound(await locate('sockRevNat', options));
}

/** An entry of a hash of maps, with the inner map it names and that map's entries. */
interface InnerMapEntry {
  /** The outer entry's key and value (the inner map's id). */
  key: Buffer;
  value: Buffer;
  info: MapInfo;
  dump: MapDump;
}

/**
 * Reads a hash of maps found as `row` names it, each entry with its inner map (map.dumpInner()),
 * and decodes the entries with `decode`. Its sizes are checked first, by decoding no entries: a map
 * of that name whose sizes no layout has fails before its inner maps are read. Each inner map must
 * be readable and fit `inner` (else a RangeError saying it is no `innerKind`). An entry whose inner
 * map was freed between the outer dump and its opening (its slot emptied, or given a new map) is
 * left out, as a read a moment later would not show it. The layout reported names the outer map's
 * id and pin.
 */
async function readHashOfMaps<T>(
  found: Found,
  row: MapLayout,
  innerKind: string,
  inner: (info: MapInfo, dump: MapDump) => boolean,
  decode: (entries: readonly InnerMapEntry[]) => CiliumRecords<T>,
): Promise<CiliumRecords<T>> {
  try {
    const { info } = found.map;
    decode([]);
    if (info.valueSize !== row.valueSize || info.type !== 'hash_of_maps') {
      throw new RangeError(`${found.name}: a ${String(info.type)} map with ${info.valueSize}-byte values is no hash of maps of u32 inner map ids`);
    }
    const outer = await found.map.dumpInner();
    const entries = outer.inner.flatMap((m, i): InnerMapEntry[] => {
      if (m === undefined) return [];
      if (m.dump === undefined || !inner(m.info, m.dump)) throw new RangeError(`${found.name}: inner map ${m.info.id} is no ${innerKind}`);
      return [{ key: outer.dump.key(i), value: outer.dump.value(i), info: m.info, dump: m.dump }];
    });
    const records = decode(entries);
    const layout: LayoutUsed = { ...records.layout, mapId: info.id };
    if (found.pinned) layout.pinned = found.pinned;
    return withLayout(records, layout);
  } finally {
    found.map.close();
  }
}

/**
 * `cilium-dbg bpf lb maglev list`: `cilium_lb4_maglev`, or `cilium_lb6_maglev` with `{ family: 6 }`,
 * each service's table read from the inner array its entry names.
 */
export async function readMaglev(options?: FamilyReadOptions): Promise<CiliumRecords<MaglevRecord>> {
  const { family = 4, bpffs, version } = readOptions<FamilyReadOptions>(options, ['family'], 'cilium.maglev options');
  const table = checkFamily(family) === 4 ? MAGLEV_LAYOUTS : MAGLEV6_LAYOUTS;
  const found = await findMap([table[0].map], table, bpffs);
  return readHashOfMaps(found, table[0], 'one-entry array holding a Maglev table', (info, dump) => info.type === 'array' && dump.count === 1, (entries) => {
    const records = decodeMaglev(
      Buffer.concat(entries.map((e) => e.key)),
      Buffer.concat(entries.map((e) => e.dump.value(0))),
      entries.length,
      { version, keySize: found.map.info.keySize, valueSize: entries[0]?.info.valueSize, map: found.name },
    );
    entries.forEach((e, i) => (records[i].innerMapId = e.info.id));
    return records;
  });
}

/** Options of `cilium.multicast()`. */
export interface MulticastReadOptions extends ReadOptions {
  /** One group's address: that group alone, as `cilium-dbg bpf multicast subscriber list <group>` reads it. */
  group?: string;
}

/**
 * `cilium-dbg bpf multicast group list` and `subscriber list all` (1.16+): the groups of
 * `cilium_mcast_group_outer_v4_map`, each with the subscribers of the inner map its entry names.
 * With `group`, that group alone (read with the others), rejecting with ENOENT when the map has no
 * such group, as cilium-dbg fails for it; an address that is no IPv4 multicast address is a
 * RangeError before anything is read.
 */
export async function readMulticast(options?: MulticastReadOptions): Promise<CiliumRecords<MulticastGroupRecord>> {
  const { bpffs, version, group } = readOptions<MulticastReadOptions>(options, ['group'], 'cilium.multicast options');
  const wanted = group === undefined ? undefined : multicastGroup(group);
  const table = MULTICAST_GROUP_LAYOUTS;
  rejectAbsent(version, table, [table[0].map]);
  const found = await findMap([table[0].map], table, bpffs);
  const records = await readHashOfMaps(found, table[0], 'hash of multicast subscribers', (info) => info.type === 'hash', (entries) => {
    const { info } = found.map;
    const groups = decodeMulticastGroups(
      Buffer.concat(entries.map((e) => e.key)),
      Buffer.concat(entries.map((e) => e.value)),
      entries.length,
      { version, keySize: info.keySize, valueSize: info.valueSize, map: found.name },
    );
    entries.forEach(({ info: inner, dump }, i) => {
      const decoded = decodeMulticastSubscribers(dump.keys, dump.values, dump.count, { version: groups.layout.version, keySize: inner.keySize, valueSize: inner.valueSize });
      groups[i].subscribers = [...decoded];
    });
    return groups;
  });
  if (wanted === undefined) return records;
  const chosen = records.filter((r) => r.group === wanted);
  if (chosen.length === 0) {
    throw new BpfError({ errno: 2, code: 'ENOENT', op: 'find multicast group', object: wanted, description: `multicast group ${wanted} does not exist in ${found.name}` });
  }
  return withLayout(chosen, records.layout);
}

/** `cilium-dbg bpf srv6 vrf`: `cilium_srv6_vrf_v4`, or `cilium_srv6_vrf_v6` with `{ family: 6 }`. */
export async function readSrv6Vrf(options?: FamilyReadOptions): Promise<CiliumRecords<Srv6VrfRecord>> {
  return readFound(await locate('srv6Vrf', options));
}

/** `cilium-dbg bpf srv6 policy`: `cilium_srv6_policy_v4`, or `cilium_srv6_policy_v6` with `{ family: 6 }`. */
export async function readSrv6Policy(options?: FamilyReadOptions): Promise<CiliumRecords<Srv6PolicyRecord>> {
  return readFound(await locate('srv6Policy', options));
}

/** `cilium-dbg bpf srv6 sid`: `cilium_srv6_sid`. */
export async function readSrv6Sid(options?: ReadOptions): Promise<CiliumRecords<Srv6SidRecord>> {
  return readFound(await locate('srv6Sid', options));
}

/** `cilium-dbg bpf bandwidth list`: `cilium_throttle`. */
export async function readBandwidth(options?: ReadOptions): Promise<CiliumRecords<BandwidthRecord>> {
  return readFound(await locate('bandwidth', options));
}

/** `cilium-dbg bpf ipmasq list`: `cilium_ipmasq_v4`, or `cilium_ipmasq_v6` with `{ family: 6 }`. */
export async function readIpMasq(options?: FamilyReadOptions): Promise<CiliumRecords<IpMasqRecord>> {
  return readFound(await locate('ipmasq', options));
}

/** `cilium-dbg bpf frag list`: `cilium_ipv4_frag_datagrams`, or `cilium_ipv6_frag_datagrams` (1.18+) with `{ family: 6 }`. */
export async function readFrag(options?: FamilyReadOptions): Promise<CiliumRecords<FragRecord>> {
  return readFound(await locate('frag', options));
}

/** `cilium-dbg bpf tunnel list` (1.14–1.17): `cilium_tunnel_map`, which 1.18 removed (ENOENT for 1.18 and newer). */
export async function readTunnel(options?: ReadOptions): Promise<CiliumRecords<TunnelRecord>> {
  return readFound(await locate('tunnel', options));
}

/**
 * `cilium-dbg bpf recorder list` (1.14–1.18): `cilium_capture4_rules`, or `cilium_capture6_rules`
 * with `{ family: 6 }`; 1.19 removed them (ENOENT for 1.19 and newer).
 */
export async function readRecorder(options?: FamilyReadOptions): Promise<CiliumRecords<RecorderRecord>> {
  return readFound(await locate('recorder', options));
}

/** `cilium-dbg bpf lb list --source-ranges`: `cilium_lb4_source_range`, or `cilium_lb6_source_range` with `{ family: 6 }`. */
export async function readSourceRanges(options?: FamilyReadOptions): Promise<CiliumRecords<SourceRangeRecord>> {
  return readFound(await locate('sourceRanges', options));
}

/**
 * `cilium-dbg bpf config list`: the indices of `cilium_runtime_config` every version defines
 * (UTimeOffset, AgentLiveness), looked up one by one as cilium-dbg does, in index order.
 */
export async function readRuntimeConfig(options?: ReadOptions): Promise<CiliumRecords<RuntimeConfigRecord>> {
  const { bpffs, version } = readOptions<ReadOptions>(options, [], 'cilium.runtimeConfig options');
  const found = await findMap([RUNTIME_CONFIG_LAYOUTS[0].map], RUNTIME_CONFIG_LAYOUTS, bpffs);
  const keys = RUNTIME_CONFIG_INDICES.map(({ index }) => {
    const key = Buffer.alloc(4);
    key.writeUInt32LE(index);
    return key;
  });
  return lookupFound({ found, decode: decodeRuntimeConfig, version }, keys);
}

/**
 * `cilium-dbg bpf nodeid list`: the node map the version's datapath reads, `cilium_node_map_v2`
 * (1.16+) or `cilium_node_map` (1.14–1.15); without a version the first found, v2 first.
 */
export async function readNodeIds(options?: ReadOptions): Promise<CiliumRecords<NodeIdRecord>> {
  return readFound(await locate('nodeIds', options));
}

/** `cilium-dbg bpf auth list`: `cilium_auth_map`. */
export async function readAuth(options?: ReadOptions): Promise<CiliumRecords<AuthRecord>> {
  return readFound(await locate('auth', options));
}

/** `cilium-dbg bpf vtep list`: `cilium_vtep_map`. */
export async function readVtep(options?: ReadOptions): Promise<CiliumRecords<VtepRecord>> {
  return readFound(await locate('vtep', options));
}

/**
 * An endpoint's policy map, found by pin only (the kernel's 15-character names collide); from 1.18
 * with the counters `cilium_policystats` (pinned beside it) keeps for its entries, none without it.
 */
export async function readPolicy(endpointId: number, options?: ReadOptions): Promise<CiliumRecords<PolicyRecord>> {
  // A wrong type is a TypeError, a number out of range a RangeError, as checkId() tells them apart.
  if (typeof endpointId !== 'number') throw new TypeError(`endpointId must be a number, got ${describe(endpointId)}`);
  if (!Number.isInteger(endpointId) || endpointId < 0 || endpointId > 0xffff) {
    throw new RangeError(`endpointId must be an integer in 0..65535, got ${String(endpointId)}`);
  }
  const o = readOptions<ReadOptions>(options, [], 'cilium.policy options');
  const minor = parseVersion(o.version);
  const names = policyMapNames(endpointId); // newest name first
  if (minor !== undefined && minor <= 16) names.reverse();
  return readPolicyMap(await findMap(names, POLICY_LAYOUTS, o.bpffs, false), endpointId, o);
}

/**
 * Reads a policy map found (and closes it); when its layout is 1.18's or newer, adds the counters
 * `cilium_policystats` under `bpffs` keeps for `endpointId`'s entries. An endpoint id unknown
 * (undefined) is then an Error, as cilium-dbg 1.18+ fails to open a map its name gives none for.
 */
export async function readPolicyMap(found: Found, endpointId: number | undefined, { bpffs, version }: { bpffs: string; version?: string }): Promise<CiliumRecords<PolicyRecord>> {
  const records = await readFound({ found, decode: decodePolicy, version });
  const decodedWith = parseVersion(records.layout.version)!;
  if (decodedWith >= POLICY_STATS_SINCE) {
    if (endpointId === undefined) throw new Error(`${found.pinned ?? found.name}: failed to parse endpoint ID (no number after the name's last '_'), which Cilium ${records.layout.version} reads the counters by`);
    // By pin only, as the policy map: a map of that name elsewhere may be another node's.
    const stats = await findMap([POLICY_STATS_MAP], POLICY_STATS_LAYOUTS, bpffs, false).catch((err: unknown) => (err instanceof BpfError && err.code === 'ENOENT' ? undefined : Promise.reject(err)));
    if (stats) {
      const rows = await lookupFound({ found: stats, decode: decodePolicyStats, version: records.layout.version }, policyStatsKeys(records, endpointId));
      addPolicyStats(records, rows, endpointId);
    }
  }
  return records;
}
