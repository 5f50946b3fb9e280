// Cilium's global maps per version: name, type, sizes, max_entries and flags as the agent creates
// them (cilium-maps.md §2.1, §3, §4.1, §5), and where they are pinned.
import type { MapTypeName } from '../names';
import { conntrackMapNames, CT4_LAYOUTS, CT6_LAYOUTS } from './conntrack';
import { rowFor, type IpFamily, type MapLayout } from './codec';
import { ENDPOINT_LAYOUTS } from './endpoints';
import { IPCACHE_LAYOUTS } from './ipcache';
import { BACKEND_LAYOUTS, REV_NAT_LAYOUTS, SERVICE_LAYOUTS } from './lb';
import { MAGLEV_LAYOUTS } from './maglev';
import { MULTICAST_GROUP_LAYOUTS, MULTICAST_SUBSCRIBER_LAYOUTS } from './multicast';
import { SOCK_REV_NAT_LAYOUTS } from './socknat';
import { NAT4_LAYOUTS, NAT6_LAYOUTS } from './nat';
import { NAT_RETRIES_LAYOUTS, SNAT_COLLISION_RETRIES } from './natretries';
import { EGRESS_LAYOUTS } from './egress';
import { AUTH_LAYOUTS } from './auth';
import { NODE_ID_LAYOUTS } from './nodeid';
import { VTEP_LAYOUTS } from './vtep';
import { BANDWIDTH_LAYOUTS } from './bandwidth';
import { FRAG6_LAYOUTS, FRAG_LAYOUTS } from './frag';
import { IPMASQ_LAYOUTS } from './ipmasq';
import { METRICS_LAYOUTS } from './metrics';
import { POLICY_LAYOUTS } from './policy';
import { POLICY_STATS_LAYOUTS, POLICY_STATS_SINCE } from './policystats';
import { RUNTIME_CONFIG_ENTRIES, RUNTIME_CONFIG_LAYOUTS } from './config';
import { TUNNEL_LAYOUTS } from './tunnel';
import { RECORDER6_LAYOUTS, RECORDER_LAYOUTS } from './recorder';
import { SOURCE_RANGE6_LAYOUTS, SOURCE_RANGE_LAYOUTS } from './sourcerange';
import { PER_CLUSTER_OUTER_ENTRIES, perClusterCtMapNames, perClusterCtOuterNames, perClusterNatMapNames } from './percluster';
import type { Minor } from './version';

export const DEFAULT_BPFFS = '/sys/fs/bpf';
const BPF_F_NO_PREALLOC = 1;
const BPF_F_NO_COMMON_LRU = 1 << 1;
export const BPF_F_RDONLY_PROG = 1 << 7;

/** The kernel keeps 15 characters of a map's or program's name (BPF_OBJ_NAME_LEN 16, cilium-maps.md §7.1). */
export const KERNEL_NAME_LEN = 15;

/**
 * Whether a name the kernel reports is `full` or its 15-character cut: a map's always is cut, a
 * program's unless its full name was read from BTF (which a program may lack, and which is withheld
 * without CAP_BPF): bpftool then shows `cil_from_contai`.
 */
export function isKernelName(reported: string, full: string): boolean {
  return reported === full || reported === full.slice(0, KERNEL_NAME_LEN);
}

/** `<bpffs>/tc/globals`: where the agent pins global maps. */
export function globalsDir(bpffs: string): string {
  return `${bpffs}/tc/globals`;
}

/** `<bpffs>/cilium/endpoints/<id>/links`: an endpoint's pinned tcx/netkit links (1.16+). */
export function endpointLinksDir(bpffs: string, endpointId: number): string {
  return `${bpffs}/cilium/endpoints/${endpointId}/links`;
}

export interface CiliumMapSpec {
  name: string;
  type: MapTypeName;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

export type GlobalMapKind = 'ipcache' | 'endpoints' | 'metrics' | 'ct4' | 'ctAny4' | 'ct6' | 'ctAny6' | 'snat4' | 'egress' | 'services' | 'backends' | 'revNat' | 'runtimeConfig' | 'nodeIds' | 'auth' | 'vtep' | 'bandwidth' | 'ipmasq4' | 'frag4' | 'maglev4' | 'sockRevNat4';

function spec(row: MapLayout, type: MapTypeName, maxEntries: number, flags = 0, name = row.map): CiliumMapSpec {
  return { name, type, keySize: row.keySize, valueSize: row.valueSize, maxEntries, flags };
}

/** The global maps of a version, with the agent's default sizes (CT: `CTMapEntriesGlobal*Default`; SNAT: `--bpf-nat-global-max`). */
export function globalMapSpecs(minor: Minor): Record<GlobalMapKind, CiliumMapSpec> {
  const ct4 = rowFor(CT4_LAYOUTS, minor);
  const ct6 = rowFor(CT6_LAYOUTS, minor);
  return {
    ipcache: spec(rowFor(IPCACHE_LAYOUTS, minor), 'lpm_trie', 512000, BPF_F_NO_PREALLOC),
    // The datapath only reads cilium_lxc: main creates it BPF_F_RDONLY_PROG, 1.19 and older with no flags (§3).
    endpoints: spec(rowFor(ENDPOINT_LAYOUTS, minor), 'hash', 65535, minor >= 20 ? BPF_F_RDONLY_PROG : 0),
    metrics: spec(rowFor(METRICS_LAYOUTS, minor), 'percpu_hash', 1024),
    ct4: spec(ct4, 'lru_hash', 524288, 0, conntrackMapNames(4).tcp),
    ctAny4: spec(ct4, 'lru_hash', 262144, 0, conntrackMapNames(4).any),
    ct6: spec(ct6, 'lru_hash', 524288, 0, conntrackMapNames(6).tcp),
    ctAny6: spec(ct6, 'lru_hash', 262144, 0, conntrackMapNames(6).any),
    snat4: spec(rowFor(NAT4_LAYOUTS, minor), 'lru_hash', 524288),
    egress: spec(rowFor(EGRESS_LAYOUTS, minor), 'lpm_trie', 16384, BPF_F_NO_PREALLOC),
    services: spec(rowFor(SERVICE_LAYOUTS, minor), 'hash', 65536),
    backends: spec(rowFor(BACKEND_LAYOUTS, minor), 'hash', 65536),
    revNat: spec(rowFor(REV_NAT_LAYOUTS, minor), 'hash', 65536),
    runtimeConfig: spec(rowFor(RUNTIME_CONFIG_LAYOUTS, minor), 'array', RUNTIME_CONFIG_ENTRIES),
    // The node map the version's datapath reads (pkg/maps/nodemap: 16384 entries).
    nodeIds: spec(rowFor(NODE_ID_LAYOUTS, minor), 'hash', 16384, BPF_F_NO_PREALLOC),
    auth: spec(rowFor(AUTH_LAYOUTS, minor), 'hash', 1 << 19, BPF_F_NO_PREALLOC), // AuthMapEntriesDefault
    // MaxVTEPDevices; read-only to programs from 1.19 (pkg/maps/vtep).
    vtep: spec(rowFor(VTEP_LAYOUTS, minor), 'hash', 8, minor >= 19 ? BPF_F_RDONLY_PROG : 0),
    // As many as cilium_lxc: one per endpoint (and, from 1.18, direction).
    bandwidth: spec(rowFor(BANDWIDTH_LAYOUTS, minor), 'hash', 65535, BPF_F_NO_PREALLOC),
    // The datapath only reads the ip-masq-agent's CIDRs: from 1.19 the agent says so.
    ipmasq4: spec(rowFor(IPMASQ_LAYOUTS, minor), 'lpm_trie', 16384, BPF_F_NO_PREALLOC | (minor >= 19 ? BPF_F_RDONLY_PROG : 0)),
    // `--bpf-fragments-map-max`; the agent creates it with no flags.
    frag4: spec(rowFor(FRAG_LAYOUTS, minor), 'lru_hash', 8192),
    // The outer map (CILIUM_LB_MAGLEV_MAP_MAX_ENTRIES); main creates it BPF_F_RDONLY_PROG, 1.19 and older with no flags.
    maglev4: spec(rowFor(MAGLEV_LAYOUTS, minor), 'hash_of_maps', 65536, minor >= 20 ? BPF_F_RDONLY_PROG : 0),
    // SockRevNat4MapSize; from 1.18 the agent sizes it by --bpf-sock-rev-map-max or the memory it has.
    sockRevNat4: spec(rowFor(SOCK_REV_NAT_LAYOUTS, minor), 'lru_hash', 256 * 1024),
  };
}

/**
 * `cilium_node_map` as the agents of 1.16 and 1.17 keep it beside cilium_node_map_v2, which their
 * datapath reads (copied into v2 once, unpinned by 1.18); undefined in other versions (before 1.16
 * it is the map globalMapSpecs gives).
 */
export function legacyNodeMapSpec(minor: Minor): CiliumMapSpec | undefined {
  if (minor < 16 || minor > 17) return undefined;
  return spec(rowFor(NODE_ID_LAYOUTS, 15), 'hash', 16384, BPF_F_NO_PREALLOC);
}

/** `cilium_snat_v4_alloc_retries` (1.18+; undefined before): a per-CPU array, a bucket per retry count. */
export function natRetries4MapSpec(minor: Minor): CiliumMapSpec | undefined {
  const row = NAT_RETRIES_LAYOUTS[0];
  return minor < row.since ? undefined : spec(row, 'percpu_array', SNAT_COLLISION_RETRIES + 1);
}

/** `cilium_ipv6_frag_datagrams` (1.18+; undefined before), as cilium_ipv4_frag_datagrams. */
export function frag6MapSpec(minor: Minor): CiliumMapSpec | undefined {
  return minor < FRAG6_LAYOUTS[0].since ? undefined : spec(rowFor(FRAG6_LAYOUTS, minor), 'lru_hash', 8192);
}

/**
 * A service's Maglev table, the outer map's inner kind (`cilium_maglev_inner`): an array of one
 * entry, key u32 0, value `entries` u32 backend ids (--bpf-lb-maglev-table-size, 16381 by default).
 */
export function maglevInnerMapSpec(entries: number): CiliumMapSpec {
  return { name: 'cilium_maglev_inner', type: 'array', keySize: 4, valueSize: 4 * entries, maxEntries: 1, flags: 0 };
}

/**
 * An endpoint's policy map: `cilium_policy_<id %05d>` (≤1.16) or `cilium_policy_v2_<id %05d>`;
 * BPF_F_NO_PREALLOC as every LPM trie, from 1.19 BPF_F_RDONLY_PROG too (newPolicyMap in
 * pkg/maps/policymap, BPF_F_RDONLY_PROG_COND in bpf/lib/policy.h).
 */
export function policyMapSpec(minor: Minor, endpointId: number): CiliumMapSpec {
  const row = rowFor(POLICY_LAYOUTS, minor);
  return spec(row, 'lpm_trie', 16384, BPF_F_NO_PREALLOC | (minor >= 19 ? BPF_F_RDONLY_PROG : 0), `${row.map}_${String(endpointId).padStart(5, '0')}`);
}

/**
 * `cilium_policystats` (1.18+; undefined before): an LRU per-CPU hash with per-CPU LRU lists, of
 * `--bpf-policy-stats-map-max` (65536) entries rounded down to a multiple of the possible CPUs.
 */
export function policyStatsMapSpec(minor: Minor, cpus: number): CiliumMapSpec | undefined {
  if (minor < POLICY_STATS_SINCE) return undefined;
  const maxEntries = 1 << 16;
  return spec(rowFor(POLICY_STATS_LAYOUTS, minor), 'lru_percpu_hash', maxEntries - (maxEntries % cpus), BPF_F_NO_COMMON_LRU);
}

/**
 * `cilium_mcast_group_outer_v4_map` (1.16+; undefined before), a hash of maps of MCAST_MAX_GROUP
 * groups, and the inner hash of subscribers each group's entry names (`cilium_mcast_subscriber_v4_inner`,
 * MCAST_MAX_SUBSCRIBERS); both preallocated (flags 0), as the agent makes them by default: its
 * --preallocate-bpf-maps is on unless turned off (Helm's bpf.preallocateMaps: false), which makes them
 * BPF_F_NO_PREALLOC.
 */
export function multicastMapSpecs(minor: Minor): { groups: CiliumMapSpec; subscribers: CiliumMapSpec } | undefined {
  const groups = MULTICAST_GROUP_LAYOUTS[0];
  if (minor < groups.since) return undefined;
  const maxEntries = 1024;
  return {
    groups: spec(groups, 'hash_of_maps', maxEntries),
    subscribers: spec(rowFor(MULTICAST_SUBSCRIBER_LAYOUTS, minor), 'hash', maxEntries),
  };
}

/** `cilium_tunnel_map` (1.14–1.17, in tunnel routing mode; undefined after): a hash the agent creates with flags 0. */
export function tunnelMapSpec(minor: Minor): CiliumMapSpec | undefined {
  return minor > TUNNEL_LAYOUTS[0].until ? undefined : spec(rowFor(TUNNEL_LAYOUTS, minor), 'hash', 65536);
}

/** The PCAP recorder's `cilium_capture4_rules` / `cilium_capture6_rules` (1.14–1.18, with --enable-recorder; undefined after). */
export function recorderMapSpec(minor: Minor, family: IpFamily): CiliumMapSpec | undefined {
  const table = family === 6 ? RECORDER6_LAYOUTS : RECORDER_LAYOUTS;
  return minor > table[0].until ? undefined : spec(rowFor(table, minor), 'hash', 16384, BPF_F_NO_PREALLOC);
}

/** An outer array of maps of Cluster Mesh: a slot per cluster id, the inner map's fd written, its id read. */
function perClusterOuterSpec(name: string): CiliumMapSpec {
  return { name, type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: PER_CLUSTER_OUTER_ENTRIES, flags: 0 };
}

/**
 * `cilium_lb4_source_range` / `cilium_lb6_source_range`: LPM tries of the LB maps' size, 65536
 * (--bpf-lb-source-range-map-max); BPF_F_NO_PREALLOC as every LPM trie, from 1.20 BPF_F_RDONLY_PROG too.
 */
export function sourceRangeMapSpec(minor: Minor, family: IpFamily): CiliumMapSpec {
  return spec(rowFor(family === 6 ? SOURCE_RANGE6_LAYOUTS : SOURCE_RANGE_LAYOUTS, minor), 'lpm_trie', 65536, BPF_F_NO_PREALLOC | (minor >= 20 ? BPF_F_RDONLY_PROG : 0));
}

/**
 * Cluster Mesh's per-cluster conntrack maps of a version, per family: the outer arrays of maps
 * (`cilium_per_cluster_ct_tcp4`, …; a slot per cluster id) and one cluster's inner LRU hashes
 * (`cilium_per_cluster_ct_tcp4_<id>`, …), of the global maps' layout and default sizes, flags 0 as
 * the Go side creates them (src/cilium/percluster.ts says who has them).
 */
export function perClusterCtMapSpecs(minor: Minor, clusterId: number): Record<IpFamily, { outer: { tcp: CiliumMapSpec; any: CiliumMapSpec }; inner: { tcp: CiliumMapSpec; any: CiliumMapSpec } }> {
  const global = globalMapSpecs(minor);
  const family = (f: IpFamily, tcp: CiliumMapSpec, any: CiliumMapSpec) => {
    const outer = perClusterCtOuterNames(f);
    const inner = perClusterCtMapNames(f, clusterId);
    return { outer: { tcp: perClusterOuterSpec(outer.tcp), any: perClusterOuterSpec(outer.any) }, inner: { tcp: { ...tcp, name: inner.tcp }, any: { ...any, name: inner.any } } };
  };
  return { 4: family(4, global.ct4, global.ctAny4), 6: family(6, global.ct6, global.ctAny6) };
}

/**
 * Cluster Mesh's per-cluster SNAT maps of a version, per family: the outer array of maps
 * (`cilium_per_cluster_snat_v4_external`) and one cluster's inner LRU hash (`…_external_<id>`), of
 * the global SNAT map's layout and default size (--bpf-nat-global-max), flags 0 from the Go side.
 */
export function perClusterNatMapSpecs(minor: Minor, clusterId: number): Record<IpFamily, { outer: CiliumMapSpec; inner: CiliumMapSpec }> {
  const family = (f: IpFamily) => {
    const { outer, inner } = perClusterNatMapNames(f, clusterId);
    return { outer: perClusterOuterSpec(outer), inner: spec(rowFor(f === 4 ? NAT4_LAYOUTS : NAT6_LAYOUTS, minor), 'lru_hash', 524288, 0, inner) };
  };
  return { 4: family(4), 6: family(6) };
}

/**
 * The global maps every agent pins whatever its configuration: the ipcache, the endpoints, the drop
 * and forward counters, the node map its datapath reads and the runtime config. Where one of a
 * version's names is missing, that version's agent does not run here.
 */
export const ALWAYS_PINNED: readonly GlobalMapKind[] = ['ipcache', 'endpoints', 'metrics', 'nodeIds', 'runtimeConfig'];

/**
 * Every map specs.ts knows the agent of a version pins under tc/globals, but the endpoints' policy
 * maps (policyMapSpec, one per endpoint): the global maps, and those of the version's optional
 * features (multicast, tunnel routing, the recorder, …), whether or not a node enables them.
 */
export function pinnedMapSpecs(minor: Minor): CiliumMapSpec[] {
  const specs: (CiliumMapSpec | undefined)[] = [
    ...Object.values(globalMapSpecs(minor)),
    legacyNodeMapSpec(minor),
    natRetries4MapSpec(minor),
    frag6MapSpec(minor),
    policyStatsMapSpec(minor, 1),
    multicastMapSpecs(minor)?.groups,
    tunnelMapSpec(minor),
    recorderMapSpec(minor, 4),
    recorderMapSpec(minor, 6),
    sourceRangeMapSpec(minor, 4),
    sourceRangeMapSpec(minor, 6),
  ];
  return specs.filter((s): s is CiliumMapSpec => s !== undefined);
}
