// The `cilium` namespace: Cilium's datapath maps decoded per version, printed as cilium-dbg prints them.
import { decodeConntrack, encodeConntrack, formatConntrack, CT4_LAYOUTS, CT6_LAYOUTS } from './conntrack';
import { decodeEndpoints, encodeEndpoints, formatEndpoints, ENDPOINT_LAYOUTS } from './endpoints';
import { decodeIpcache, encodeIpcache, formatIpcache, formatIpcacheGet, formatIpcacheMatch, lookupIpcache, IPCACHE_LAYOUTS } from './ipcache';
import { decodeBackends, decodeRevNat, decodeServices, encodeBackends, encodeRevNat, encodeServices, formatLb, formatLbBackends, formatLbFrontends, formatRevNat, BACKEND_LAYOUTS, BACKEND6_LAYOUTS, REV_NAT_LAYOUTS, REV_NAT6_LAYOUTS, SERVICE_LAYOUTS, SERVICE6_LAYOUTS } from './lb';
import { decodeMetrics, encodeMetrics, formatMetrics, METRICS_LAYOUTS } from './metrics';
import { decodeNat, encodeNat, formatNat, NAT4_LAYOUTS, NAT6_LAYOUTS } from './nat';
import { decodeNatRetries, encodeNatRetries, formatNatRetries, NAT_RETRIES6_LAYOUTS, NAT_RETRIES_LAYOUTS } from './natretries';
import { ciliumClock } from './clock';
import { decodeRuntimeConfig, encodeRuntimeConfig, formatRuntimeConfig, RUNTIME_CONFIG_LAYOUTS } from './config';
import { decodeEgress, encodeEgress, formatEgress, EGRESS6_LAYOUTS, EGRESS_LAYOUTS } from './egress';
import { decodeBandwidth, encodeBandwidth, formatBandwidth, BANDWIDTH_LAYOUTS } from './bandwidth';
import { decodeFrag, encodeFrag, formatFrag, FRAG6_LAYOUTS, FRAG_LAYOUTS } from './frag';
import { decodeIpMasq, encodeIpMasq, formatIpMasq, IPMASQ6_LAYOUTS, IPMASQ_LAYOUTS } from './ipmasq';
import { explainPod } from './explain';
import { AUTH_LAYOUTS, decodeAuth, encodeAuth, formatAuth } from './auth';
import { decodeNodeIds, encodeNodeIds, formatNodeIds, NODE_ID_LAYOUTS } from './nodeid';
import { decodeVtep, encodeVtep, formatVtep, VTEP_LAYOUTS } from './vtep';
import { ipcacheLookup, readAuth, readBackends, readBandwidth, readConntrack, readEgress, readEndpoints, readFrag, readIpcache, readIpMasq, readMaglev, readMetrics, readMulticast, readNat, readNatRetries, readNodeIds, readPolicy, readRevNat, readRuntimeConfig, readServices, readSockRevNat, readSrv6Policy, readSrv6Sid, readSrv6Vrf, readVtep, readTunnel, readRecorder, readSourceRanges } from './read';
import { decodeMulticastGroups, decodeMulticastSubscribers, encodeMulticastGroups, encodeMulticastSubscribers, formatMulticastGroups, formatMulticastSubscribers, MULTICAST_GROUP_LAYOUTS, MULTICAST_SUBSCRIBER_LAYOUTS } from './multicast';
import { decodeMaglev, encodeMaglev, formatMaglev, formatMaglevGet, MAGLEV6_LAYOUTS, MAGLEV_LAYOUTS } from './maglev';
import { decodeSockRevNat, encodeSockRevNat, formatSockRevNat, SOCK_REV_NAT6_LAYOUTS, SOCK_REV_NAT_LAYOUTS } from './socknat';
import { decodeSrv6Policy, decodeSrv6Sid, decodeSrv6Vrf, encodeSrv6Policy, encodeSrv6Sid, encodeSrv6Vrf, formatSrv6Policy, formatSrv6Sid, formatSrv6Vrf, SRV6_POLICY6_LAYOUTS, SRV6_POLICY_LAYOUTS, SRV6_SID_LAYOUTS, SRV6_VRF6_LAYOUTS, SRV6_VRF_LAYOUTS } from './srv6';
import { renderPodReport } from './report';
import { decodeTunnel, encodeTunnel, formatTunnel, TUNNEL_LAYOUTS } from './tunnel';
import { decodeRecorder, encodeRecorder, formatRecorder, RECORDER6_LAYOUTS, RECORDER_LAYOUTS } from './recorder';
import { ciliumPoller } from './poll';
import { decodeSourceRanges, encodeSourceRanges, formatSourceRanges, SOURCE_RANGE6_LAYOUTS, SOURCE_RANGE_LAYOUTS } from './sourcerange';
import { decodePolicy, encodePolicy, formatPolicy, policyMapNames, POLICY_LAYOUTS } from './policy';
import { decodePolicyStats, encodePolicyStats, POLICY_STATS_LAYOUTS } from './policystats';
import { formatPolicies, readPolicies } from './policies';
import { nodeVersion } from './nodeversion';
import { directionName, fileName, identityScope, isDropReason, reasonName, reservedIdentityName } from './tables';
import { CILIUM_VERSIONS, parseVersion, versionName, type CiliumVersion } from './version';

function versionOf(version: string): CiliumVersion {
  if (typeof version !== 'string') throw new TypeError(`version must be a string like '1.16', got ${typeof version}`);
  return versionName(parseVersion(version)!);
}

function minorOf(version: string | undefined): number {
  return parseVersion(version, 'version') ?? parseVersion(CILIUM_VERSIONS[CILIUM_VERSIONS.length - 1])!;
}

export const cilium = Object.freeze({
  /** Readers: find the map by pin under `<bpffs>/tc/globals/` (else by name), dump and decode it. */
  ipcache: readIpcache,
  ipcacheLookup,
  endpoints: readEndpoints,
  metrics: readMetrics,
  conntrack: readConntrack,
  nat: readNat,
  /** `cilium-dbg bpf nat retries list` (1.18+): how many ports each new SNAT mapping tried; bucket 32 are the drops for want of one. */
  natRetries: readNatRetries,
  egress: readEgress,
  services: readServices,
  backends: readBackends,
  revNat: readRevNat,
  /** Each service's Maglev lookup table, read from the inner map its entry names. */
  maglev: readMaglev,
  sockRevNat: readSockRevNat,
  policy: readPolicy,
  srv6Vrf: readSrv6Vrf,
  srv6Policy: readSrv6Policy,
  srv6Sid: readSrv6Sid,
  /** `cilium_runtime_config`: UTimeOffset and AgentLiveness, the agent's heartbeat (`cilium-dbg bpf config list`). */
  runtimeConfig: readRuntimeConfig,
  nodeIds: readNodeIds,
  auth: readAuth,
  vtep: readVtep,
  bandwidth: readBandwidth,
  ipmasq: readIpMasq,
  frag: readFrag,
  /** `cilium_mcast_group_outer_v4_map` (1.16+): each multicast group with the subscribers of its inner map. */
  multicast: readMulticast,
  /** `cilium-dbg bpf tunnel list` (1.14–1.17): each remote pod CIDR's tunnel endpoint and IPsec key. */
  tunnel: readTunnel,
  /** `cilium-dbg bpf recorder list` (1.14–1.18): the PCAP recorder's capture rules. */
  recorder: readRecorder,
  /** `cilium_lb4_source_range` (`cilium_lb6_…` with `{ family: 6 }`): each service's source ranges (`cilium-dbg bpf lb list --source-ranges`). */
  sourceRanges: readSourceRanges,
  /** `cilium-dbg bpf policy get --all` / `bpf policy list`: every `cilium_policy_*` pinned under tc/globals, with its endpoint id, pin and entries. */
  policies: readPolicies,
  /** A map held open and diffed poll after poll, with what changed decoded (`poll()`, `pollAsync()`). */
  poller: ciliumPoller,
  /**
   * The datapath's clock as cilium-dbg reads it: the source (ktime or jiffies, with the kernel's
   * HZ) from the agent's runtime config unless given, and the current time in the units the
   * datapath stamps entries with; for `cilium.format.nat` and `cilium.format.conntrack`.
   */
  clock: ciliumClock,
  /** A pod's datapath end to end, with findings (cilium.format.pod renders it). */
  explainPod,
  /**
   * The Cilium version the maps pinned under `<bpffs>/tc/globals` tell: each map's name, type, sizes
   * and BPF_F_RDONLY_PROG flag against what each version's agent creates (a map left from before an
   * upgrade rules out only older versions), with the maps that tell it.
   */
  nodeVersion,
  /** The Cilium versions whose layouts and formats are known ('1.20' is 1.20-dev). */
  versions: CILIUM_VERSIONS,
  /**
   * The known version a version string stands for, as the `version` options read it: '1.16.15' and
   * 'v1.16.0-rc.1' → '1.16', newer than the newest → '1.20'. Not a version string → TypeError;
   * older than 1.14 → RangeError.
   */
  versionOf,
  /** Packed keys/values (as a map dump holds them) → records; each result carries `.layout`. */
  decode: Object.freeze({
    ipcache: decodeIpcache,
    endpoints: decodeEndpoints,
    metrics: decodeMetrics,
    conntrack: decodeConntrack,
    nat: decodeNat,
    /** Per CPU: `cpus` as for metrics. */
    natRetries: decodeNatRetries,
    egress: decodeEgress,
    services: decodeServices,
    backends: decodeBackends,
    revNat: decodeRevNat,
    /** Rev-NAT index keys and the tables their inner maps hold, packed (not the outer map's values). */
    maglev: decodeMaglev,
    sockRevNat: decodeSockRevNat,
    policy: decodePolicy,
    /** `cilium_policystats` (1.18+), per CPU: `cpus` as for metrics. */
    policyStats: decodePolicyStats,
    srv6Vrf: decodeSrv6Vrf,
    srv6Policy: decodeSrv6Policy,
    srv6Sid: decodeSrv6Sid,
    runtimeConfig: decodeRuntimeConfig,
    nodeIds: decodeNodeIds,
    auth: decodeAuth,
    vtep: decodeVtep,
    bandwidth: decodeBandwidth,
    ipmasq: decodeIpMasq,
    frag: decodeFrag,
    /** The outer multicast map: groups and their inner map ids. */
    multicastGroups: decodeMulticastGroups,
    /** One group's inner map. */
    multicastSubscribers: decodeMulticastSubscribers,
    tunnel: decodeTunnel,
    recorder: decodeRecorder,
    sourceRanges: decodeSourceRanges,
  }),
  /** Entries → packed keys/values of a version's layout, e.g. to fill a map for a test. */
  encode: Object.freeze({
    ipcache: encodeIpcache,
    endpoints: encodeEndpoints,
    metrics: encodeMetrics,
    conntrack: encodeConntrack,
    nat: encodeNat,
    natRetries: encodeNatRetries,
    egress: encodeEgress,
    services: encodeServices,
    backends: encodeBackends,
    revNat: encodeRevNat,
    /** Keys and tables: each table goes into an inner array at key 0, the array's fd into the outer map. */
    maglev: encodeMaglev,
    sockRevNat: encodeSockRevNat,
    policy: encodePolicy,
    policyStats: encodePolicyStats,
    srv6Vrf: encodeSrv6Vrf,
    srv6Policy: encodeSrv6Policy,
    srv6Sid: encodeSrv6Sid,
    runtimeConfig: encodeRuntimeConfig,
    nodeIds: encodeNodeIds,
    auth: encodeAuth,
    vtep: encodeVtep,
    bandwidth: encodeBandwidth,
    ipmasq: encodeIpMasq,
    frag: encodeFrag,
    /** Groups and their inner maps (each inner map's fd as innerMapId, to write them). */
    multicastGroups: encodeMulticastGroups,
    multicastSubscribers: encodeMulticastSubscribers,
    tunnel: encodeTunnel,
    recorder: encodeRecorder,
    sourceRanges: encodeSourceRanges,
  }),
  /**
   * Records → the text `cilium-dbg bpf … list` of that version prints: `{ version }`, else the one
   * that decoded the records (kept by filtered, sliced or spread copies too), else the newest.
   */
  format: Object.freeze({
    ipcache: formatIpcache,
    endpoints: formatEndpoints,
    metrics: formatMetrics,
    conntrack: formatConntrack,
    nat: formatNat,
    natRetries: formatNatRetries,
    lb: formatLb,
    revNat: formatRevNat,
    maglev: formatMaglev,
    sockRevNat: formatSockRevNat,
    egress: formatEgress,
    srv6Vrf: formatSrv6Vrf,
    srv6Policy: formatSrv6Policy,
    srv6Sid: formatSrv6Sid,
    runtimeConfig: formatRuntimeConfig,
    nodeIds: formatNodeIds,
    /** Each expiration as a UTC wall-clock time (the stored value is Unix time in 512 ns units). */
    auth: formatAuth,
    vtep: formatVtep,
    bandwidth: formatBandwidth,
    ipmasq: formatIpMasq,
    frag: formatFrag,
    /** `cilium-dbg bpf multicast group list`. */
    multicastGroups: formatMulticastGroups,
    /** `cilium-dbg bpf multicast subscriber list all` (or `<group>`, of that group's record). */
    multicastSubscribers: formatMulticastSubscribers,
    tunnel: formatTunnel,
    /** Both families' maps, as nat: `families` says which maps were read. */
    recorder: formatRecorder,
    /** An endpoint's policy map as `cilium-dbg bpf policy get <id> -n` prints it (sorted as it sorts). */
    policy: formatPolicy,
    /** An explainPod report as text, in the walkthrough's order. */
    pod: renderPodReport,
    /** `cilium-dbg bpf ipcache get <ip>`: the longest prefix that covers the address, in cluster 0. */
    ipcacheGet: formatIpcacheGet,
    /** `cilium-dbg bpf ipcache match <prefix>` (1.18+): the entry whose key prints as the prefix. */
    ipcacheMatch: formatIpcacheMatch,
    /** `cilium-dbg bpf lb maglev get <service id>` (1.14–1.17): the service's tables. */
    maglevGet: formatMaglevGet,
    /** `cilium-dbg bpf lb list --frontends`: each services-map entry raw, its value as stored (both families' records). */
    lbFrontends: formatLbFrontends,
    /** `cilium-dbg bpf lb list --backends`: each backend id with `<protocol>://<address>` (both families' records). */
    lbBackends: formatLbBackends,
    /** `cilium-dbg bpf lb list --source-ranges` (both families' records). */
    sourceRanges: formatSourceRanges,
    /** `cilium-dbg bpf policy get --all -n` (`{ numeric: false }`: `bpf policy list`): each map's endpoint id, pin and table. */
    policies: formatPolicies,
  }),
  /** Longest-prefix match over decoded ipcache records, as the datapath does; an IPv4-mapped address as the IPv4 one. */
  lookupIpcache,
  /** Each map's "Cilium versions → key/value layout" table. */
  layouts: Object.freeze({
    ipcache: IPCACHE_LAYOUTS,
    endpoints: ENDPOINT_LAYOUTS,
    metrics: METRICS_LAYOUTS,
    conntrack4: CT4_LAYOUTS,
    conntrack6: CT6_LAYOUTS,
    nat4: NAT4_LAYOUTS,
    nat6: NAT6_LAYOUTS,
    natRetries: NAT_RETRIES_LAYOUTS,
    natRetries6: NAT_RETRIES6_LAYOUTS,
    egress: EGRESS_LAYOUTS,
    egress6: EGRESS6_LAYOUTS,
    services: SERVICE_LAYOUTS,
    services6: SERVICE6_LAYOUTS,
    backends: BACKEND_LAYOUTS,
    backends6: BACKEND6_LAYOUTS,
    revNat: REV_NAT_LAYOUTS,
    revNat6: REV_NAT6_LAYOUTS,
    maglev: MAGLEV_LAYOUTS,
    maglev6: MAGLEV6_LAYOUTS,
    sockRevNat: SOCK_REV_NAT_LAYOUTS,
    sockRevNat6: SOCK_REV_NAT6_LAYOUTS,
    policy: POLICY_LAYOUTS,
    policyStats: POLICY_STATS_LAYOUTS,
    srv6Vrf: SRV6_VRF_LAYOUTS,
    srv6Vrf6: SRV6_VRF6_LAYOUTS,
    srv6Policy: SRV6_POLICY_LAYOUTS,
    srv6Policy6: SRV6_POLICY6_LAYOUTS,
    srv6Sid: SRV6_SID_LAYOUTS,
    runtimeConfig: RUNTIME_CONFIG_LAYOUTS,
    nodeIds: NODE_ID_LAYOUTS,
    auth: AUTH_LAYOUTS,
    vtep: VTEP_LAYOUTS,
    bandwidth: BANDWIDTH_LAYOUTS,
    ipmasq: IPMASQ_LAYOUTS,
    ipmasq6: IPMASQ6_LAYOUTS,
    frag: FRAG_LAYOUTS,
    frag6: FRAG6_LAYOUTS,
    multicastGroups: MULTICAST_GROUP_LAYOUTS,
    multicastSubscribers: MULTICAST_SUBSCRIBER_LAYOUTS,
    tunnel: TUNNEL_LAYOUTS,
    recorder: RECORDER_LAYOUTS,
    recorder6: RECORDER6_LAYOUTS,
    sourceRanges: SOURCE_RANGE_LAYOUTS,
    sourceRanges6: SOURCE_RANGE6_LAYOUTS,
  }),
  /** Cilium's name tables, per version. */
  names: Object.freeze({
    reason: (code: number, version?: string) => reasonName(code, minorOf(version)),
    file: (id: number, version?: string) => fileName(id, minorOf(version)),
    identity: (identity: number, version?: string) => reservedIdentityName(identity, minorOf(version)),
    direction: directionName,
    identityScope: (identity: number, version?: string) => identityScope(identity, minorOf(version)),
    isDropReason,
    policyMaps: policyMapNames,
  }),
});

export type { IpcacheRecord, IpcacheEntry } from './ipcache';
export type { EndpointRecord, EndpointEntry } from './endpoints';
export type { MetricsRecord, MetricsEntry, MetricsDecodeOptions } from './metrics';
export type { ConntrackRecord, ConntrackEntry } from './conntrack';
export type { NatRecord, NatEntry } from './nat';
export type { NatRetriesRecord } from './natretries';
export type { CiliumClock, ClockMode, ClockOptions } from './clock';
export type { EgressRecord } from './egress';
export type { RuntimeConfigRecord } from './config';
export type { NodeIdRecord, NodeIdEntry } from './nodeid';
export type { AuthRecord } from './auth';
export type { VtepRecord } from './vtep';
export type { BandwidthRecord } from './bandwidth';
export type { IpMasqRecord } from './ipmasq';
export type { FragRecord } from './frag';
export type { TunnelRecord, TunnelEntry } from './tunnel';
export type { RecorderRecord, RecorderEntry } from './recorder';
export type { Srv6VrfRecord, Srv6PolicyRecord, Srv6SidRecord, FamilyEncodeOptions } from './srv6';
export type { ServiceRecord, BackendRecord, RevNatRecord, ServiceEntry, LbEncodeOptions } from './lb';
export type { PolicyRecord, PolicyEntry } from './policy';
export type { MaglevRecord } from './maglev';
export type { SockRevNatRecord } from './socknat';
export type { PolicyStatsRecord, PolicyStatsEntry } from './policystats';
export type { CpuCounters, PerCpuDecodeOptions } from './counters';
export type { ReadOptions, FamilyReadOptions, CiliumMapKind, CiliumMapRecords } from './read';
export type { CiliumPoller, CiliumChanges } from './poll';
export type { PodTarget, ExplainOptions } from './explain';
export type { DecodeOptions, PackedEntries, MapLayout, AnyLayout, IpFamily } from './codec';
export type { Family } from './text';
export { CILIUM_VERSIONS } from './version';
export { DIRECTIONS } from './tables';
export type { CiliumVersion, CiliumRecords, LayoutUsed, VersionedLayout } from './version';
export type { MetricDirection } from './tables';
export type { PodReport, Finding, AttachmentFact, PinnedLinkFact, PodInterfaceFact, PodRouteFact } from './report';
export type { MulticastGroupRecord, MulticastSubscriberRecord } from './multicast';
export type { MulticastReadOptions } from './read';
export type { SourceRangeRecord } from './sourcerange';
export type { EndpointPolicyMap, PoliciesFormatOptions } from './policies';
export type { ClusterReadOptions } from './read';
export type { NodeVersion, VersionEvidence } from './nodeversion';
