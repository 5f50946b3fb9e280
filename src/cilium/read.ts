// Reading Cilium's maps from the kernel: find each by its pin under `<bpffs>/tc/globals/`, else by
// name among all maps (names longer than 15 characters are truncated by the kernel, so those must
// also fit a known layout, and per-endpoint maps, whose truncated names collide, only by pin), then
// dump it into packed buffers and decode with the version's layout.
import { BpfError } from '../errors';
import { listMaps, openMap, type BpfMap, type MapInfo } from '../maps';
import { checkOptions } from '../validate';
import { checkFamily, type IpFamily, type MapLayout } from './codec';
import { conntrackMapNames, CT4_LAYOUTS, CT6_LAYOUTS, decodeConntrack, type ConntrackRecord } from './conntrack';
import { decodeEndpoints, ENDPOINT_LAYOUTS, type EndpointRecord } from './endpoints';
import { decodeIpcache, IPCACHE_LAYOUTS, lookupIpcache, type IpcacheRecord } from './ipcache';
import { decodeBackends, decodeRevNat, decodeServices, lbLayouts, type BackendRecord, type RevNatRecord, type ServiceRecord } from './lb';
import { decodeNat, NAT4_LAYOUTS, NAT6_LAYOUTS, type NatRecord } from './nat';
import { decodeEgress, EGRESS_LAYOUTS, type EgressRecord } from './egress';
import { decodeMetrics, METRICS_LAYOUTS, type MetricsDecodeOptions, type MetricsRecord } from './metrics';
import { decodePolicy, policyMapNames, POLICY_LAYOUTS, type PolicyRecord } from './policy';
import { DEFAULT_BPFFS, globalsDir } from './specs';
import { parseVersion, withLayout, type CiliumRecords, type LayoutUsed } from './version';

/** Options of every reader. */
export interface ReadOptions {
  /** Where bpffs is mounted; default '/sys/fs/bpf'. */
  bpffs?: string;
  /** The Cilium version ('1.16', '1.16.15', …); default: the newest whose layout fits the map's sizes. */
  version?: string;
}

const READ_OPTIONS = ['bpffs', 'version'] as const;
const KERNEL_NAME_LEN = 15;

type Decoder<T> = (keys: Buffer, values: Buffer, count: number, options: MetricsDecodeOptions) => CiliumRecords<T>;

interface Found {
  map: BpfMap;
  name: string;
  pinned?: string;
}

function readOptions<T extends ReadOptions>(raw: unknown, extra: readonly string[], what: string): T & { bpffs: string } {
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
    const fits = (m: MapInfo) => table.some((r) => r.keySize === m.keySize && r.valueSize === m.valueSize);
    const all = await listMaps();
    for (const name of names) {
      const candidates = all.filter((m) => m.name === name.slice(0, KERNEL_NAME_LEN) && fits(m));
      if (candidates.length === 1) return { map: await openMap(candidates[0].id), name };
      if (candidates.length > 1) {
        throw new BpfError({
          errno: 0, code: 'EAMBIGUOUS', op: 'find map',
          object: `${name}: not pinned under ${dir}, and ${candidates.length} maps carry that name (ids ${candidates.map((m) => m.id).join(', ')}); pass the bpffs where it is pinned`,
        });
      }
    }
  }
  throw new BpfError({ errno: 2, code: 'ENOENT', op: 'find map', object: `${names.join(' or ')} (not pinned under ${dir}${byName ? ', and no map of that name' : ''})` });
}

/** Dumps the map, closes it, decodes with `decode`, and records where the map was found. */
async function readFound<T>(
  found: Found,
  decode: Decoder<T>,
  version: string | undefined,
): Promise<CiliumRecords<T>> {
  try {
    const dump = await found.map.dump();
    const info = found.map.info;
    const options: MetricsDecodeOptions = { version, keySize: info.keySize, valueSize: info.valueSize, map: found.name };
    if (dump.cpus !== undefined) options.cpus = dump.cpus;
    const records = decode(dump.keys, dump.values, dump.count, options);
    const layout: LayoutUsed = { ...records.layout, mapId: info.id };
    if (found.pinned) layout.pinned = found.pinned;
    return withLayout(records, layout);
  } finally {
    found.map.close();
  }
}

async function read<T>(
  what: string,
  names: readonly string[],
  table: readonly MapLayout[],
  decode: Decoder<T>,
  rawOptions: unknown,
): Promise<CiliumRecords<T>> {
  const options = readOptions<ReadOptions>(rawOptions, [], `cilium.${what} options`);
  return readFound(await findMap(names, table, options.bpffs), decode, options.version);
}

/** `cilium-dbg bpf ipcache list`: `cilium_ipcache_v2` (1.18+), else `cilium_ipcache`. */
export function readIpcache(options?: ReadOptions): Promise<CiliumRecords<IpcacheRecord>> {
  const minor = parseVersion(options?.version);
  const names = minor !== undefined && minor <= 17 ? ['cilium_ipcache'] : ['cilium_ipcache_v2', 'cilium_ipcache'];
  return read('ipcache', names, IPCACHE_LAYOUTS, decodeIpcache, options);
}

/** The ipcache entry the datapath would use for `ip` (longest-prefix match), or undefined. */
export async function ipcacheLookup(ip: string, options?: ReadOptions & { clusterId?: number }): Promise<IpcacheRecord | undefined> {
  const { clusterId = 0, ...rest } = checkOptions<ReadOptions & { clusterId?: number }>(options, [...READ_OPTIONS, 'clusterId'], 'cilium.ipcacheLookup options');
  if (typeof ip !== 'string') throw new TypeError('ip must be a string');
  return lookupIpcache(await readIpcache(rest), ip, clusterId);
}

/** `cilium-dbg bpf endpoint list`: `cilium_lxc`. */
export function readEndpoints(options?: ReadOptions): Promise<CiliumRecords<EndpointRecord>> {
  return read('endpoints', ['cilium_lxc'], ENDPOINT_LAYOUTS, decodeEndpoints, options);
}

/** `cilium-dbg bpf metrics list`: `cilium_metrics`, summed over CPUs. */
export function readMetrics(options?: ReadOptions): Promise<CiliumRecords<MetricsRecord>> {
  return read('metrics', ['cilium_metrics'], METRICS_LAYOUTS, decodeMetrics, options);
}

/** Options of the readers of maps that come in an IPv4 and an IPv6 variant. */
export interface FamilyReadOptions extends ReadOptions {
  /** 4 (default) or 6. */
  family?: IpFamily;
}

function familyOptions(raw: unknown, what: string): ReadOptions & { bpffs: string; family: IpFamily } {
  const { family = 4, ...rest } = readOptions<FamilyReadOptions>(raw, ['family'], `cilium.${what} options`);
  return { ...rest, family: checkFamily(family) };
}

/** Both conntrack maps of a family (TCP, then everything else). */
export async function readConntrack(options?: FamilyReadOptions): Promise<CiliumRecords<ConntrackRecord>> {
  const { family, ...rest } = familyOptions(options, 'conntrack');
  const names = conntrackMapNames(family);
  const table = family === 4 ? CT4_LAYOUTS : CT6_LAYOUTS;
  const tcp = await readFound(await findMap([names.tcp], table, rest.bpffs), decodeConntrack, rest.version);
  const any = await readFound(await findMap([names.any], table, rest.bpffs), decodeConntrack, rest.version);
  return withLayout([...tcp, ...any], tcp.layout);
}

/** `cilium-dbg bpf egress list`: `cilium_egress_gw_policy_v4`. */
export function readEgress(options?: ReadOptions): Promise<CiliumRecords<EgressRecord>> {
  return read('egress', ['cilium_egress_gw_policy_v4'], EGRESS_LAYOUTS, decodeEgress, options);
}

/** One map that comes per family: the table of the family asked for, its map by pin or name. */
async function readByFamily<T>(what: string, tableOf: (family: IpFamily) => readonly MapLayout[], decode: Decoder<T>, raw: unknown): Promise<CiliumRecords<T>> {
  const { family, bpffs, version } = familyOptions(raw, what);
  const table = tableOf(family);
  return readFound(await findMap([table[0].map], table, bpffs), decode, version);
}

/** `cilium-dbg bpf nat list`: `cilium_snat_v4_external`, or `cilium_snat_v6_external` with `{ family: 6 }`. */
export function readNat(options?: FamilyReadOptions): Promise<CiliumRecords<NatRecord>> {
  return readByFamily('nat', (family) => (family === 4 ? NAT4_LAYOUTS : NAT6_LAYOUTS), decodeNat, options);
}

export function readServices(options?: FamilyReadOptions): Promise<CiliumRecords<ServiceRecord>> {
  return readByFamily('services', (family) => lbLayouts(family).services, decodeServices, options);
}

export function readBackends(options?: FamilyReadOptions): Promise<CiliumRecords<BackendRecord>> {
  return readByFamily('backends', (family) => lbLayouts(family).backends, decodeBackends, options);
}

export function readRevNat(options?: FamilyReadOptions): Promise<CiliumRecords<RevNatRecord>> {
  return readByFamily('revNat', (family) => lbLayouts(family).revNat, decodeRevNat, options);
}

/** An endpoint's policy map, found by pin only (the kernel's 15-character names collide). */
export async function readPolicy(endpointId: number, options?: ReadOptions): Promise<CiliumRecords<PolicyRecord>> {
  if (typeof endpointId !== 'number' || !Number.isInteger(endpointId) || endpointId < 0 || endpointId > 0xffff) {
    throw new RangeError(`endpointId must be an integer in 0..65535, got ${String(endpointId)}`);
  }
  const o = readOptions<ReadOptions>(options, [], 'cilium.policy options');
  const minor = parseVersion(o.version);
  const names = policyMapNames(endpointId); // newest name first
  if (minor !== undefined && minor <= 16) names.reverse();
  return readFound(await findMap(names, POLICY_LAYOUTS, o.bpffs, false), decodePolicy, o.version);
}
