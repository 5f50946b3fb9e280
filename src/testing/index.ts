/**
 * `bpfscope/testing`: real kernel objects for tests, demos and examples.
 * @module bpfscope/testing
 */
export {
  KernelObject,
  insn,
  mapInsns,
  returnInsns,
  loadBtf,
  loadProgram,
  createMap,
  updateElem,
  updateBatch,
  deleteElem,
  attachTcx,
  attachCgroup,
  detachCgroup,
  attachTracepoint,
  attachUprobe,
  attachPerfEvent,
  attachRawTracepoint,
  attachUprobeMulti,
  createLink,
  testRun,
  pin,
  mountBpffs,
  unmount,
  type BtfTypeSpec,
  type LoadProgramOptions,
  type CreateMapOptions,
  type UprobeOptions,
  type UprobeMultiOptions,
} from './objects';
export {
  createNetns,
  deleteNetns,
  createVeth,
  createBridge,
  setLink,
  deleteLink,
  addAddress,
  addRoute,
  addNeighbor,
  attachXdp,
  addTcFilter,
  createNetfilterLink,
  type Removable,
  type NamedNetns,
  type VethOptions,
  type RouteOptions,
} from './net';
export {
  createFakeCiliumNode,
  removeStaleFakeCiliumNode,
  type FakeCiliumNode,
  type FakeCiliumNodeOptions,
  type FakePod,
  type FakePodOptions,
  type FakePodFault,
  type FakeDevice,
} from './cilium';
export type { NativeFdHandle } from '../native';
export { processStartTime } from './process';
