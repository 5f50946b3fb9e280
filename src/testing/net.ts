// Network fixtures without `ip` or `tc`: named namespaces, veth pairs, bridges, addresses, routes,
// neighbour entries, generic XDP and cls_bpf filters. Each builder returns what removes it, so a
// test or the demo can undo exactly what it made.
import { isIP } from 'node:net';
import { withCallerStack } from '../errors';
import { native } from '../native';
import { netnsPath, type NetnsRef } from '../netns';
import { checkIfname, checkOptions } from '../validate';
import { KernelObject } from './objects';

/** Something a fixture made; remove() undoes it (and is safe to call twice). */
export interface Removable {
  remove(): Promise<void>;
}

/** `fn` run once: later calls, concurrent ones included, get the first call's promise. */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

export interface NamedNetns extends Removable {
  name: string;
  /** /var/run/netns/NAME. */
  path: string;
  /** `{ name }`, ready to pass as a NetnsRef. */
  ref: NetnsRef;
}

/** Creates a named network namespace as `ip netns add NAME` does (a bind mount under /var/run/netns). */
export async function createNetns(name: string): Promise<NamedNetns> {
  netnsPath({ name }, 'createNetns');
  const path = await withCallerStack(() => native().fixtures.createNetns(name));
  return { name, path, ref: { name }, remove: once(() => deleteNetns(name)) };
}

/** Deletes a named network namespace as `ip netns del NAME` does (it lives on while anything holds it). */
export async function deleteNetns(name: string): Promise<void> {
  netnsPath({ name }, 'deleteNetns');
  await withCallerStack(() => native().fixtures.deleteNetns(name));
}

export interface VethOptions {
  /** Name of the first end, in `netns`. */
  name: string;
  /** Name of the other end, created directly inside `peerNetns` (default: `netns`). */
  peerName: string;
  netns?: NetnsRef;
  peerNetns?: NetnsRef;
  /** Bring both ends up (default true). */
  up?: boolean;
}

/** A veth pair; remove() deletes both ends. */
export async function createVeth(options: VethOptions): Promise<Removable> {
  checkOptions(options, ['name', 'peerName', 'netns', 'peerNetns', 'up'], 'createVeth');
  const name = checkIfname(options.name, 'createVeth: name');
  const peerName = checkIfname(options.peerName, 'createVeth: peerName');
  const netns = netnsPath(options.netns, 'createVeth: netns');
  const peerNetns = options.peerNetns ? netnsPath(options.peerNetns, 'createVeth: peerNetns') : undefined;
  await withCallerStack(() => native().fixtures.createNetdev(netns, name, 'veth', peerName, peerNetns));
  const remove = once(() => deleteLink({ netns: options.netns, ifname: name }));
  try {
    if (options.up ?? true) {
      await setLink({ netns: options.netns, ifname: name, up: true });
      await setLink({ netns: options.peerNetns ?? options.netns, ifname: peerName, up: true });
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { remove };
}

/** A bridge device, up unless `up` is false; remove() deletes it. */
export async function createBridge(options: { name: string; netns?: NetnsRef; up?: boolean }): Promise<Removable> {
  checkOptions(options, ['name', 'netns', 'up'], 'createBridge');
  const name = checkIfname(options.name, 'createBridge: name');
  const netns = netnsPath(options.netns, 'createBridge: netns');
  await withCallerStack(() => native().fixtures.createNetdev(netns, name, 'bridge'));
  const remove = once(() => deleteLink({ netns: options.netns, ifname: name }));
  if (options.up ?? true)
    await setLink({ netns: options.netns, ifname: name, up: true }).catch(async (err) => {
      await remove();
      throw err;
    });
  return { remove };
}

/**
 * Sets a link up or down; with `master`, enslaves it ('' releases it); with `alias`, sets the
 * alias `ip link` shows ('' clears it).
 */
export async function setLink(options: { netns?: NetnsRef; ifname: string; up: boolean; master?: string; alias?: string }): Promise<void> {
  checkOptions(options, ['netns', 'ifname', 'up', 'master', 'alias'], 'setLink');
  const ifname = checkIfname(options.ifname, 'setLink: ifname');
  const netns = netnsPath(options.netns, 'setLink: netns');
  if (options.master !== undefined && options.master !== '') checkIfname(options.master, 'setLink: master');
  if (options.alias !== undefined) {
    if (typeof options.alias !== 'string') throw new TypeError(`setLink: alias must be a string, got ${typeof options.alias}`);
    if (Buffer.byteLength(options.alias) > 255) throw new RangeError(`setLink: an alias has at most 255 bytes, got ${Buffer.byteLength(options.alias)}`);
  }
  await withCallerStack(() => native().fixtures.setLink(netns, ifname, !!options.up, options.master, options.alias));
}

export async function deleteLink(options: { netns?: NetnsRef; ifname: string }): Promise<void> {
  checkOptions(options, ['netns', 'ifname'], 'deleteLink');
  const ifname = checkIfname(options.ifname, 'deleteLink: ifname');
  await withCallerStack(() => native().fixtures.deleteLink(netnsPath(options.netns, 'deleteLink: netns'), ifname));
}

function splitCidr(cidr: string, what: string): [string, number] {
  const [ip, len, extra] = String(cidr).split('/');
  const family = isIP(ip);
  const full = family === 6 ? 128 : 32;
  const prefix = len === undefined ? full : Number(len);
  if (!family || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > full)
    throw new TypeError(`${what} must be an address or address/prefix, got '${cidr}'`);
  return [ip, prefix];
}

/** Adds an address ('10.3.0.115/32'; without a prefix: /32 or /128) to an interface. Goes with the interface. */
export async function addAddress(options: { netns?: NetnsRef; ifname: string; address: string }): Promise<void> {
  checkOptions(options, ['netns', 'ifname', 'address'], 'addAddress');
  const ifname = checkIfname(options.ifname, 'addAddress: ifname');
  const [ip, prefix] = splitCidr(options.address, 'addAddress: address');
  await withCallerStack(() => native().fixtures.addAddress(netnsPath(options.netns, 'addAddress: netns'), ifname, ip, prefix));
}

const SCOPE_VALUES = { global: 0, site: 200, link: 253, host: 254 } as const;

export interface RouteOptions {
  netns?: NetnsRef;
  /** 'default' or a prefix ('10.3.0.179/32'). */
  dst: string;
  /** The gateway (`via`). */
  via?: string;
  /** The output device (`dev`). */
  dev?: string;
  /** Default: 'link' for a device route without gateway, else 'global' (as `ip route add` does). */
  scope?: keyof typeof SCOPE_VALUES;
  /** `onlink`: the gateway is on the link even without a matching prefix. */
  onlink?: boolean;
  /** Default: 254 (main). */
  table?: number;
}

/** Adds a route (protocol boot, as `ip route add`). Goes with the interface or namespace. */
export async function addRoute(options: RouteOptions): Promise<void> {
  checkOptions(options, ['netns', 'dst', 'via', 'dev', 'scope', 'onlink', 'table'], 'addRoute');
  const netns = netnsPath(options.netns, 'addRoute: netns');
  const [dst, dstLen] = options.dst === 'default' ? ['', 0] : splitCidr(options.dst, 'addRoute: dst');
  if (options.via !== undefined && !isIP(options.via)) throw new TypeError(`addRoute: via must be an IP address, got '${options.via}'`);
  if (options.dev !== undefined) checkIfname(options.dev, 'addRoute: dev');
  if (options.via === undefined && options.dev === undefined) throw new TypeError('addRoute: needs via or dev');
  const scope = SCOPE_VALUES[options.scope ?? (options.via === undefined ? 'link' : 'global')];
  if (scope === undefined) throw new TypeError(`addRoute: unknown scope '${options.scope}'`);
  const table = options.table ?? 254;
  if (!Number.isInteger(table) || table < 1 || table > 0xffffffff) throw new RangeError(`addRoute: table must be 1..2^32-1, got ${table}`);
  await withCallerStack(() =>
    native().fixtures.addRoute(netns, dst, dstLen, options.via ?? '', options.dev ?? '', scope, !!options.onlink, table),
  );
}

const NUD_VALUES = { reachable: 0x02, stale: 0x04, noarp: 0x40, permanent: 0x80 } as const;

/** Adds (or replaces) a neighbour entry, like `ip neigh replace IP lladdr MAC dev IF nud STATE`. */
export async function addNeighbor(options: {
  netns?: NetnsRef;
  ifname: string;
  ip: string;
  lladdr: string;
  state?: keyof typeof NUD_VALUES;
}): Promise<void> {
  checkOptions(options, ['netns', 'ifname', 'ip', 'lladdr', 'state'], 'addNeighbor');
  const ifname = checkIfname(options.ifname, 'addNeighbor: ifname');
  if (!isIP(options.ip)) throw new TypeError(`addNeighbor: ip must be an IP address, got '${options.ip}'`);
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(options.lladdr)) throw new TypeError(`addNeighbor: lladdr must be a MAC address, got '${options.lladdr}'`);
  const state = NUD_VALUES[options.state ?? 'permanent'];
  if (state === undefined) throw new TypeError(`addNeighbor: unknown state '${options.state}'`);
  await withCallerStack(() =>
    native().fixtures.addNeighbor(netnsPath(options.netns, 'addNeighbor: netns'), ifname, options.ip, options.lladdr, state),
  );
}

/** Attaches an XDP program (generic mode by default); remove() detaches it. */
export async function attachXdp(options: {
  netns?: NetnsRef;
  ifname: string;
  program: KernelObject;
  mode?: 'generic' | 'driver';
}): Promise<Removable> {
  checkOptions(options, ['netns', 'ifname', 'program', 'mode'], 'attachXdp');
  const ifname = checkIfname(options.ifname, 'attachXdp: ifname');
  const netns = netnsPath(options.netns, 'attachXdp: netns');
  const mode = options.mode ?? 'generic';
  await withCallerStack(() => native().fixtures.setXdp(netns, ifname, options.program.handle, mode));
  return { remove: once(() => withCallerStack(() => native().fixtures.setXdp(netns, ifname, null, mode))) };
}

/**
 * Adds a clsact qdisc (if missing) and a direct-action cls_bpf filter, like
 * `tc qdisc add dev IF clsact; tc filter add dev IF ingress prio P handle H bpf da fd …`.
 * remove() deletes the clsact qdisc with every filter on it.
 */
export async function addTcFilter(options: {
  netns?: NetnsRef;
  ifname: string;
  direction: 'ingress' | 'egress';
  program: KernelObject;
  priority?: number;
  handle?: number;
  /** TCA_BPF_NAME; iproute2 writes 'obj.o:[section]'. */
  name?: string;
}): Promise<Removable> {
  checkOptions(options, ['netns', 'ifname', 'direction', 'program', 'priority', 'handle', 'name'], 'addTcFilter');
  const ifname = checkIfname(options.ifname, 'addTcFilter: ifname');
  const netns = netnsPath(options.netns, 'addTcFilter: netns');
  if (options.direction !== 'ingress' && options.direction !== 'egress') throw new TypeError("addTcFilter: direction must be 'ingress' or 'egress'");
  const priority = options.priority ?? 1;
  const handle = options.handle ?? 1;
  if (!Number.isInteger(priority) || priority < 1 || priority > 0xffff) throw new RangeError(`addTcFilter: priority must be 1..65535, got ${priority}`);
  if (!Number.isInteger(handle) || handle < 1 || handle > 0xffffffff) throw new RangeError(`addTcFilter: handle must be 1..2^32-1, got ${handle}`);
  await withCallerStack(() =>
    native().fixtures.addClsactBpf(netns, ifname, options.direction, options.program.handle, priority, handle, options.name ?? 'bpfscope'),
  );
  return { remove: once(() => withCallerStack(() => native().fixtures.deleteClsact(netns, ifname))) };
}

/** Netfilter protocol families and hooks (linux/netfilter.h: NFPROTO_*, NF_INET_*). */
const NF_FAMILIES = { ipv4: 2, ipv6: 10 } as const;
const NF_HOOKS = ['prerouting', 'input', 'forward', 'output', 'postrouting'] as const;

/**
 * A netfilter BPF link (Linux 6.4+): `program` (type 'netfilter') on `hook` of `family` in `netns`,
 * where it sees that namespace's packets only. `defrag` asks for reassembled packets (Linux 6.6+).
 * The link lives while the handle is open.
 */
export async function createNetfilterLink(options: {
  netns?: NetnsRef;
  program: KernelObject;
  family: keyof typeof NF_FAMILIES;
  hook: (typeof NF_HOOKS)[number];
  priority: number;
  defrag?: boolean;
}): Promise<KernelObject> {
  checkOptions(options, ['netns', 'program', 'family', 'hook', 'priority', 'defrag'], 'createNetfilterLink');
  const netns = netnsPath(options.netns, 'createNetfilterLink: netns');
  const pf = NF_FAMILIES[options.family];
  const hook = NF_HOOKS.indexOf(options.hook);
  if (pf === undefined) throw new TypeError(`createNetfilterLink: family must be ${Object.keys(NF_FAMILIES).join(' or ')}`);
  if (hook < 0) throw new TypeError(`createNetfilterLink: hook must be one of ${NF_HOOKS.join(', ')}`);
  if (!Number.isInteger(options.priority)) throw new RangeError(`createNetfilterLink: priority must be an integer, got ${options.priority}`);
  const flags = options.defrag ? 1 : 0; // BPF_F_NETFILTER_IP_DEFRAG
  const handle = await withCallerStack(() => native().fixtures.createNetfilterLink(netns, options.program.handle, pf, hook, options.priority, flags));
  return new KernelObject('link', handle);
}
