/**
 * bpfscope's public API. Everything exported here is a contract; everything else is internal.
 * @module bpfscope
 */
export { BpfError, NotSupportedError, type BpfErrorFields } from './errors';
export {
  listPrograms,
  getProgram,
  enableStats,
  StatsHandle,
  type ProgramInfo,
} from './programs';
export { listMaps, getMapInfo, type MapInfo } from './maps';
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
  type UprobeMultiLinkInfo,
  type IterLinkInfo,
  type StructOpsLinkInfo,
  type SockmapLinkInfo,
  type UnknownLinkInfo,
} from './links';
export { defineLayout, Layout, formatMac, formatIpv6, type FieldSpec, type FieldType, type LayoutFields, type Decoded } from './layout';
export { versions, probeFeatures, type Versions, type Feature } from './features';
export { openPinned, listPinned, bpffsMounts, type PinnedObject, type UnreadablePin } from './pins';
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
