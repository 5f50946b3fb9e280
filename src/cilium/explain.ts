// explainPod: the walkthrough in one call. Gathers the facts step by step (a step that fails is
// recorded and the rest still run), then judges them (report.ts).
import { stat } from 'node:fs/promises';
import { cgroupOfProcess, listCgroupAttachments } from '../cgroups';
import { resolveContainer } from '../containers';
import { listAddresses, listInterfaces, listNeighbors, listRoutes } from '../interfaces';
import { netnsPath, visitNetns, type NetnsInfo, type NetnsRef } from '../netns';
import { findPeer } from '../peers';
import { formatIpv6, parseIpv4, parseIpv6 } from '../layout';
import { listPinned } from '../pins';
import { checkIfname, MAX_ALTNAME } from '../validate';
import type { EndpointRecord } from './endpoints';
import { lookupIpcache } from './ipcache';
import { readEgress, readEndpoints, readIpcache, readMetrics, readOptions, readRuntimeConfig, readSrv6Policy, readSrv6Vrf, type ReadOptions } from './read';
import { judge, type AttachmentFact, type PinnedLinkFact, type PodReport, type PodRouteFact } from './report';
import { endpointLinksDir } from './specs';
import type { CiliumRecords } from './version';
import { nodeVersion } from './nodeversion';

/** What `read` returns, or undefined when its map is not there (ENOENT: the feature is off on this node). */
async function ifFeatureOn<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The pod to explain. `ip`: IPv4 or IPv6 in any spelling ('FD00::A0F' is 'fd00::a0f'); not an address → TypeError. */
export type PodTarget = { pid: number } | { containerId: string } | { ip: string } | { netns: NetnsRef };

export interface ExplainOptions extends ReadOptions {
  /** The pod's interface, by name or alternative name (up to 127 bytes); default 'eth0'. */
  ifname?: string;
}

type Mutable = Omit<PodReport, 'findings'>;

/** Cilium's socket LB programs: cil_sock4_connect, cil_sock6_sendmsg, … */
const SOCKET_LB_PREFIX = 'cil_sock';

function checkTarget(target: unknown): PodTarget {
  if (target === null || typeof target !== 'object') throw new TypeError('explainPod expects { pid }, { containerId }, { ip } or { netns }');
  const keys = Object.keys(target);
  if (keys.length !== 1 || !['pid', 'containerId', 'ip', 'netns'].includes(keys[0])) {
    throw new TypeError(`explainPod expects exactly one of pid, containerId, ip, netns; got ${keys.join(', ') || 'none'}`);
  }
  const t = target as Record<string, unknown>;
  if ('pid' in t && (typeof t.pid !== 'number' || !Number.isInteger(t.pid) || t.pid < 1)) throw new RangeError(`pid must be a positive integer, got ${String(t.pid)}`);
  if ('containerId' in t && (typeof t.containerId !== 'string' || t.containerId === '')) throw new TypeError('containerId must be a non-empty string');
  if ('ip' in t) return { ip: canonicalIp(t.ip) };
  return target as PodTarget;
}

/**
 * An address as the kernel and the decoders print it (IPv6 lowercase and compressed, RFC 5952), so
 * that 'FD00::A0F' and 'fd00:0:0:0:0:0:0:a0f' match cilium_lxc's and eth0's 'fd00::a0f'.
 */
function canonicalIp(ip: unknown): string {
  if (typeof ip !== 'string') throw new TypeError('ip must be a string');
  return ip.includes(':') ? formatIpv6(parseIpv6(ip)) : [...parseIpv4(ip)].join('.');
}

/** The other namespace (not the caller's) with an interface holding `ip`, or null. */
async function namespaceWithAddress(ip: string): Promise<NetnsInfo | null> {
  const found = await visitNetns(async (namespaces) => {
    for (const ns of namespaces) {
      if (ns.current) continue;
      const addresses = await listAddresses({ netns: { path: ns.path } }).catch(() => []);
      if (addresses.some((a) => a.local === ip)) return ns;
    }
    return undefined;
  });
  return found ?? null;
}

/** Runs `fn`; on failure records the step and returns undefined. */
async function step<T>(report: Mutable, name: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    report.errors.push({ step: name, message: err instanceof Error ? err.message : String(err) });
    return undefined;
  }
}

/**
 * A pod's datapath, end to end: its namespace, eth0, addresses, routes and gateway; the gateway's
 * neighbour entry and whether it carries the host veth's MAC; the host veth and its programs; the
 * Cilium programs on the pod's cgroup (socket LB); the ipcache and cilium_lxc entries for the pod
 * IP, checked against the veth; the endpoint's pinned links; its egress gateway policies and SRv6
 * VRFs with their SIDs; the node's drop counters; whether the agent is alive; and findings wherever
 * the chain does not hold.
 */
export async function explainPod(target: PodTarget, options?: ExplainOptions): Promise<PodReport> {
  const t = checkTarget(target);
  // Checked as every reader checks them, here: a bad version or bpffs fails the call, not each
  // step of the report.
  const o = readOptions<ExplainOptions>(options, ['ifname'], 'explainPod options');
  const { bpffs } = o;
  const read: ReadOptions = { bpffs, version: o.version };
  // A name or an alternative name, as findPeer takes.
  const ifname = o.ifname === undefined ? 'eth0' : checkIfname(o.ifname, 'explainPod options: ifname', MAX_ALTNAME);
  const report: Mutable = {
    bpffs,
    pod: { pids: [], addresses: [], routes: [] },
    pinnedLinks: [],
    errors: [],
  };
  // Every map of one report is decoded with one version: the caller's, else the one the node's
  // maps tell (cilium.nodeVersion), else the one the first map read was decoded with (each reader
  // alone picks the newest version its own sizes fit, and those differ: a v1 ipcache reads as 1.17,
  // cilium_lxc as 1.20). The ipcache is read first: its layout changed across versions, so its
  // sizes narrow the version the most.
  read.version ??= (await step(report, 'Cilium version', () => nodeVersion({ bpffs })))?.version;
  const decoded = <T>(records: CiliumRecords<T>): CiliumRecords<T> => {
    read.version ??= records.layout.version;
    report.version ??= records.layout.version;
    return records;
  };

  // The Cilium maps first: an { ip } target is found through cilium_lxc.
  const ipcache = await step(report, 'ipcache', async () => decoded(await readIpcache(read)));
  const endpoints = await step(report, 'cilium_lxc', async () => decoded(await readEndpoints(read)));

  // 1. The pod's namespace.
  let netns: NetnsRef | undefined;
  let byIp: EndpointRecord | undefined;
  if ('pid' in t) {
    netns = { pid: t.pid };
    report.pod.pids = [t.pid];
  } else if ('netns' in t) {
    netns = t.netns;
  } else if ('containerId' in t) {
    report.pod.containerId = t.containerId;
    // resolveContainer finds at least one process, or rejects (recorded by step()).
    const found = await step(report, 'resolve container', () => resolveContainer(t.containerId));
    if (found) {
      report.pod.pids = found.pids;
      netns = { pid: found.pids[0] };
    }
  } else {
    report.pod.ip = t.ip;
    byIp = endpoints?.find((e) => e.ip === t.ip && !e.isHost);
    // The datapath's way first: cilium_lxc's ifindex, then that veth's peer namespace.
    const other = byIp ? (await findPeer({ ifindex: byIp.ifindex }).catch(() => undefined))?.peer : undefined;
    if (other && !other.netns.current) {
      netns = { path: other.netns.path };
      report.pod.pids = other.netns.pids;
    } else {
      // cilium_lxc does not lead there (no entry, or a wrong ifindex): the namespace holding the IP.
      const found = await step(report, 'find pod by IP', () => namespaceWithAddress(t.ip));
      if (found) {
        netns = { path: found.path };
        report.pod.pids = found.pids;
      } else if (found === null) {
        report.errors.push({ step: 'find pod by IP', message: `no network namespace holds ${t.ip}` });
      }
    }
  }

  if (netns) {
    const ns = netns;
    const path = netnsPath(ns)!;
    report.pod.netns = { path };
    const inode = await step(report, 'pod namespace', async () => (await stat(path)).ino);
    if (inode !== undefined) report.pod.netns.inode = inode;
    const links = await step(report, 'pod interfaces', () => listInterfaces({ netns: ns }));
    const eth = links?.find((l) => l.name === ifname || l.altNames?.includes(ifname));
    if (eth) report.pod.interface = { name: eth.name, ifindex: eth.ifindex, mac: eth.mac, mtu: eth.mtu };
    const addrs = (await step(report, 'pod addresses', () => listAddresses({ netns: ns }))) ?? [];
    const own = addrs.filter((a) => eth && a.ifindex === eth.ifindex);
    report.pod.addresses = own.map((a) => `${a.local}/${a.prefixlen}`);
    report.pod.ip ??= (own.find((a) => a.scope === 'global' && a.family === 'inet') ?? own.find((a) => a.scope === 'global'))?.local;
    const routes = (await step(report, 'pod routes', () => listRoutes({ netns: ns }))) ?? [];
    report.pod.routes = routes.filter((r) => r.table === 'main').map((r) => {
      const route: PodRouteFact = { dst: r.dst };
      if (r.gateway !== undefined) route.gateway = r.gateway;
      if (r.dev !== undefined) route.dev = r.dev;
      if (typeof r.scope === 'string') route.scope = r.scope;
      return route;
    });
    report.pod.gateway = report.pod.routes.find((r) => r.dst === 'default' && r.gateway)?.gateway;

    // 3. The host-side peer and its programs.
    const peer = eth ? await step(report, 'veth peer', () => findPeer({ netns: ns, ifname })) : undefined;
    if (peer?.peer) {
      const p = peer.peer;
      report.hostVeth = {
        name: p.name, ifindex: p.ifindex, mac: p.mac,
        attachments: p.attachments.map((a): AttachmentFact => {
          const fact: AttachmentFact = { hook: a.hook, progId: a.progId, progName: a.progName ?? '' };
          if ('linkId' in a) fact.linkId = a.linkId;
          return fact;
        }),
      };
    }

    // 2. The gateway: its neighbour entry in the pod, and the host device holding it.
    if (report.pod.gateway) {
      const gw = report.pod.gateway;
      report.gateway = { ip: gw };
      const neighbors = (await step(report, 'pod neighbours', () => listNeighbors({ netns: ns }))) ?? [];
      const entry = neighbors.find((n) => n.ip === gw && (!eth || n.ifindex === eth.ifindex));
      if (entry) {
        report.gateway.neighbor = { mac: entry.lladdr, state: entry.state.join(',') };
        if (report.hostVeth?.mac && entry.lladdr) report.gateway.isHostVethMac = entry.lladdr === report.hostVeth.mac;
      }
      const hostAddrs = (await step(report, 'host addresses', () => listAddresses())) ?? [];
      const holder = hostAddrs.find((a) => a.local === gw);
      if (holder) {
        const hostLinks = (await step(report, 'host interfaces', () => listInterfaces())) ?? [];
        const dev = hostLinks.find((l) => l.ifindex === holder.ifindex);
        report.gateway.hostDevice = { name: dev?.name ?? holder.ifname ?? `ifindex ${holder.ifindex}`, ifindex: holder.ifindex, mac: dev?.mac };
      }
    }
  }

  // Socket LB: the cil_sock programs that run for the pod's cgroup.
  if (report.pod.pids.length > 0) {
    const pid = report.pod.pids[0];
    const cgroup = await step(report, 'pod cgroup', () => cgroupOfProcess(pid));
    const effective = cgroup ? await step(report, 'socket LB', () => listCgroupAttachments({ path: cgroup, effective: true })) : undefined;
    if (cgroup && effective) {
      const programs = effective.filter((a) => a.progName?.startsWith(SOCKET_LB_PREFIX));
      report.socketLb = { cgroup, programs: programs.map((a) => ({ attachType: a.attachType, progId: a.progId, progName: a.progName! })) };
    }
  }

  // 4. The pod IP in the ipcache and cilium_lxc: null when the map was read and holds none.
  if (report.pod.ip) {
    const ip = report.pod.ip;
    if (ipcache) report.ipcache = lookupIpcache(ipcache, ip) ?? null;
    if (endpoints) report.endpoint = byIp ?? endpoints.find((e) => e.ip === ip && !e.isHost) ?? null;
  }

  // The endpoint's pinned links.
  if (report.endpoint) {
    const dir = endpointLinksDir(bpffs, report.endpoint.endpointId);
    const pins = (await step(report, 'pinned links', async () => {
      try {
        return await listPinned(dir);
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') return [];
        throw err;
      }
    })) ?? [];
    report.pinnedLinks = pins.flatMap((p): PinnedLinkFact[] => {
      if (p.kind !== 'link') return [];
      const info = p.info as { id: number; progId: number; ifindex?: number; attachType?: string };
      return [{ path: p.path, linkId: info.id, progId: info.progId, ifindex: info.ifindex, attachType: info.attachType }];
    });
  }

  // Egress gateway policies and SRv6 VRFs for the pod IP: their maps exist only where the feature is on.
  if (report.pod.ip) {
    const ip = report.pod.ip;
    const family = ip.includes(':') ? 6 : 4;
    const egressMaps = family === 6 ? 'cilium_egress_gw_policy_v6' : 'cilium_egress_gw_policy_v4(_v2)';
    const policies = await step(report, egressMaps, () => ifFeatureOn(async () => decoded(await readEgress({ ...read, family }))));
    if (policies) report.egressPolicies = policies.filter((p) => p.sourceIp === ip);
    const srv6 = await step(report, `cilium_srv6_vrf_v${family}, cilium_srv6_policy_v${family}`, () => ifFeatureOn(async () => {
      const vrfs = decoded(await readSrv6Vrf({ ...read, family })).filter((v) => v.sourceIp === ip);
      const ids = new Set(vrfs.map((v) => v.vrfId));
      const policies = ids.size === 0 ? [] : decoded(await readSrv6Policy({ ...read, family })).filter((p) => ids.has(p.vrfId));
      return { vrfs, policies };
    }));
    if (srv6) report.srv6 = srv6;
  }

  // 5. Drops.
  const metrics = await step(report, 'cilium_metrics', async () => decoded(await readMetrics(read)));
  if (metrics) report.drops = metrics.filter((m) => m.isDrop);

  // The agent's heartbeat: its CLOCK_MONOTONIC, which process.hrtime reads too (libuv's uv_hrtime).
  // Not decoded(): the map's layout is every version's, so it says nothing of the version.
  const config = await step(report, 'cilium_runtime_config', () => readRuntimeConfig(read));
  const liveness = config?.find((c) => c.name === 'AgentLiveness')?.value;
  if (liveness !== undefined) {
    report.agentLiveness = liveness === 0n ? null : { monotonicNs: liveness, ageMs: Number(process.hrtime.bigint() - liveness) / 1e6 };
  }

  return { ...report, findings: judge(report) };
}
