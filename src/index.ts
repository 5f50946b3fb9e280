/**
 * bpfscope's public API. Everything exported here is a contract; everything else is internal.
 * @module bpfscope
 */
export { BpfError, type BpfErrorFields } from './errors';
export {
  listPrograms,
  getProgram,
  getProgramMetadata,
  enableStats,
  StatsHandle,
  type ProgramInfo,
} from './programs';
export { FdOwner } from './handle';
export { listMaps, getMapInfo, openMap, dumpMemoryStats, BpfMap, type MapInfo, type MapRef, type DumpOptions, type DumpMemoryStats, type InnerMapsDump } from './maps';
export {
  MapDump,
  type MapEntry,
  type BpftoolEntry,
  type BtfEntry,
  type MapRecord,
  type PerCpuMapRecord,
  type MapRecordView,
  type PerCpuMapRecordView,
} from './map-dump';
export { MAX_INTERVAL_MS, MapPoller, type MapChanges, type MapChange, type MapValueChange, type WatchOptions } from './map-watch';
export { type BtfValue, type BtfType, type BtfTypeTable } from './btf';
export {
  listLinks,
  getLink,
  type LinkInfo,
  type TcxLinkInfo,
  type NetkitLinkInfo,
  type XdpLinkInfo,
  type CgroupLinkInfo,
  type NetnsLinkInfo,
  type TracingLinkInfo,
  type RawTracepointLinkInfo,
  type NetfilterLinkInfo,
  type PerfEventLinkInfo,
  type KprobeMultiLinkInfo,
  type KprobeMultiFunction,
  type UprobeMultiLinkInfo,
  type UprobeMultiProbe,
  type IterLinkInfo,
  type StructOpsLinkInfo,
  type SockmapLinkInfo,
  type UnknownLinkInfo,
} from './links';
export { defineLayout, Layout, formatMac, formatIpv6, type FieldSpec, type FieldType, type FieldValue, type ScalarOf, type ScalarType, type IpUnionType, type LayoutFields, type Decoded, type LayoutView, type Columns, type ColumnOf } from './layout';
export { versions, probeFeatures, type Versions, type Feature } from './features';
export { openPinned, listPinned, bpffsMounts, type PinnedObject, type UnreadablePin } from './pins';
export { listHolders, type BpfHolders, type HolderProcess } from './holders';
export { listCgroupAttachments, type CgroupAttachment, type CgroupAttachmentOptions } from './cgroups';
export {
  PROGRAM_TYPES,
  MAP_TYPES,
  LINK_TYPES,
  ATTACH_TYPES,
  type ProgramTypeName,
  type MapTypeName,
  type LinkTypeName,
  type AttachTypeName,
} from './names';
export {
  cilium,
  type IpcacheRecord,
  type IpcacheEntry,
  type EndpointRecord,
  type EndpointEntry,
  type MetricsRecord,
  type MetricsEntry,
  type MetricsDecodeOptions,
  type ConntrackRecord,
  type ConntrackEntry,
  type NatRecord,
  type NatEntry,
  type EgressRecord,
  type Srv6VrfRecord,
  type Srv6PolicyRecord,
  type Srv6SidRecord,
  type BandwidthRecord,
  type IpMasqRecord,
  type FragRecord,
  type ServiceRecord,
  type BackendRecord,
  type RevNatRecord,
  type PolicyRecord,
  type PolicyEntry,
  type PolicyStatsRecord,
  type PolicyStatsEntry,
  type CpuCounters,
  type PerCpuDecodeOptions,
  type DecodeOptions as CiliumDecodeOptions,
  type PackedEntries,
  type MapLayout as CiliumMapLayout,
  type CiliumVersion,
  type CiliumRecords,
  type LayoutUsed,
  type VersionedLayout,
  type MetricDirection,
  type PodReport,
  type Finding,
  type AttachmentFact,
  type PinnedLinkFact,
  type PodInterfaceFact,
  type PodRouteFact,
  type ServiceEntry,
  type AnyLayout,
  type Family,
  CILIUM_VERSIONS,
  DIRECTIONS,
  type ReadOptions as CiliumReadOptions,
  type FamilyReadOptions as CiliumFamilyReadOptions,
  type FamilyEncodeOptions as CiliumFamilyEncodeOptions,
  type CiliumMapKind,
  type CiliumMapRecords,
  type CiliumPoller,
  type CiliumChanges,
  type LbEncodeOptions,
  type IpFamily,
  type PodTarget,
  type ExplainOptions,
  type CiliumClock,
  type ClockMode as CiliumClockMode,
  type ClockOptions as CiliumClockOptions,
} from './cilium';
export { listNetns, netnsPath, NETNS_DIR, type ListNetnsOptions, type NetnsFd, type NetnsForeignMount, type NetnsInfo, type NetnsRef, type NetnsThread } from './netns';
export {
  listInterfaces,
  listAddresses,
  listRoutes,
  listNeighbors,
  getEthtoolStats,
  linkFlagNames,
  OPER_STATES,
  type NetnsOptions,
  type InterfaceInfo,
  type LinkStats,
  type OperState,
  type XdpMode,
  type AddressInfo,
  type RouteInfo,
  type NextHopInfo,
  type NeighborInfo,
  type Scope,
} from './interfaces';
export { type KindInfo, type SlaveInfo, type VxlanInfo, type MacvlanInfo, type BridgeInfo, type NetkitInfo, type BridgePortInfo } from './link-details';
export {
  listAttachments,
  findLinkDevices,
  type LinkDevice,
  type Attachment,
  type AttachmentHook,
  type MprogAttachment,
  type TcAttachment,
  type XdpAttachment,
  type FlowDissectorAttachment,
  type NetfilterAttachment,
  type ListAttachmentsOptions,
} from './attachments';
export { findPeer, type FindPeerOptions, type FindPeerResult, type PeerInfo } from './peers';
export { resolveContainer, containerIdOfCgroup, type ContainerInfo, type ContainerRuntime } from './containers';
