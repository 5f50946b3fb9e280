// A pod's datapath story (the walkthrough, steps 1–5) as data: what was found at each step, the
// findings where one link of the chain does not hold, and the text rendering in walkthrough order.
// Gathering the facts is explain.ts; judging and rendering here are pure.
import type { EgressRecord } from './egress';
import type { Srv6PolicyRecord, Srv6VrfRecord } from './srv6';
import type { EndpointRecord } from './endpoints';
import type { IpcacheRecord } from './ipcache';
import type { MetricsRecord } from './metrics';
import { isKernelName } from './specs';
import { upperMac } from './text';
import { parseVersion, type CiliumVersion } from './version';

export interface PodInterfaceFact {
  name: string;
  ifindex: number;
  mac?: string;
  mtu?: number;
}

export interface PodRouteFact {
  /** 'default' or a prefix. */
  dst: string;
  gateway?: string;
  dev?: string;
  scope?: string;
}

export interface AttachmentFact {
  /** 'tcx/ingress', 'tc/ingress', 'netkit/peer', … (listAttachments' hooks) */
  hook: string;
  progId: number;
  progName: string;
  linkId?: number;
}

export interface PinnedLinkFact {
  path: string;
  linkId: number;
  progId: number;
  /** tcx/netkit/xdp links: the device. */
  ifindex?: number;
  attachType?: string;
}

export interface Finding {
  severity: 'error' | 'warning' | 'info';
  /** A stable identifier: 'endpoint-ifindex-mismatch', 'ipcache-missing', 'no-ingress-program', … */
  code: string;
  message: string;
}

/**
 * A pod's datapath story. What was not read is told apart from what was read and is absent: a
 * Cilium map that could not be read (not found, no permission: the step is in `errors`) leaves its
 * fields `undefined`, and no finding is drawn from it; a map read without an entry for the pod
 * gives `null`.
 */
export interface PodReport {
  /**
   * The Cilium version whose layouts decoded the maps (all of them: see explainPod); undefined when
   * no Cilium map could be read.
   */
  version?: CiliumVersion;
  bpffs: string;
  pod: {
    pids: number[];
    containerId?: string;
    /** The pod's network namespace: inode, and a path that names it. */
    netns?: { inode?: number; path?: string };
    interface?: PodInterfaceFact;
    /** The pod IP (the first global address of eth0) and every address of eth0 as CIDR. */
    ip?: string;
    addresses: string[];
    routes: PodRouteFact[];
    gateway?: string;
  };
  gateway?: {
    ip: string;
    /** The neighbour entry for the gateway in the pod. */
    neighbor?: { mac?: string; state?: string };
    /** Whether that MAC is the host veth's (Cilium's ARP responder answered). */
    isHostVethMac?: boolean;
    /** The host device that holds the gateway IP (cilium_host). */
    hostDevice?: { name: string; ifindex: number; mac?: string };
  };
  hostVeth?: PodInterfaceFact & { attachments: AttachmentFact[] };
  /**
   * Cilium's socket-level load balancing for the pod's processes: the `cil_sock…` programs that run
   * for its cgroup (attached to it or to an ancestor, Cilium's being the cgroup root), which turn a
   * service address into a backend at connect() and sendmsg(). Undefined when the pod has no
   * process to ask.
   */
  socketLb?: { cgroup: string; programs: { attachType: string | number; progId: number; progName: string }[] };
  /**
   * The ipcache entry the datapath uses for the pod IP (longest-prefix match); null when the ipcache
   * was read and no entry covers the IP; undefined when it was not looked up (the map could not be
   * read, or the pod has no IP).
   */
  ipcache?: IpcacheRecord | null;
  /**
   * The pod IP's cilium_lxc entry; null when cilium_lxc was read and holds none; undefined when it
   * was not looked up (the map could not be read, or the pod has no IP).
   */
  endpoint?: EndpointRecord | null;
  pinnedLinks: PinnedLinkFact[];
  /**
   * The egress gateway policies whose source is the pod IP; undefined when the node has no egress
   * gateway map of the pod's family (the feature is off).
   */
  egressPolicies?: EgressRecord[];
  /**
   * SRv6: the VRF mappings whose source is the pod IP, and the policies (destination → SID) of
   * those VRFs; undefined when the node has no SRv6 maps of the pod's family (the feature is off).
   */
  srv6?: { vrfs: Srv6VrfRecord[]; policies: Srv6PolicyRecord[] };
  /**
   * Drop counters of the node (the metrics map is per node, not per endpoint); undefined when
   * cilium_metrics could not be read.
   */
  drops?: MetricsRecord[];
  /**
   * The agent's heartbeat in cilium_runtime_config: AgentLiveness, its CLOCK_MONOTONIC in ns, which
   * it writes every second (--agent-liveness-update-interval) while it runs, and how long before
   * the report that was (negative: later, a clock read in between). null when the map holds 0: no
   * agent has written it since the map was made. undefined when the map could not be read.
   */
  agentLiveness?: { monotonicNs: bigint; ageMs: number } | null;
  findings: Finding[];
  /** Steps that could not run, with why (a map not found, a namespace gone). */
  errors: { step: string; message: string }[];
}

const INGRESS_PROGRAM = 'cil_from_container';
/**
 * The hooks where cil_from_container meets the pod's packets: the host veth's ingress (tcx from
 * 1.16, tc before), or on a netkit pair (1.16+) the peer slot, which runs for what the pod sends
 * (Cilium attaches its "ingress" program with AttachNetkitPeer, cilium-maps.md §7.2).
 */
const FROM_CONTAINER_HOOKS = new Set(['tcx/ingress', 'tc/ingress', 'netkit/peer']);
/** The hooks whose links the agent pins under `<bpffs>/cilium/endpoints/<id>/links`. */
const PINNED_LINK_HOOK = /^(tcx|netkit)\//;
/** The agent's gateway markers in an egress policy: no gateway node found, and an excluded CIDR. */
const NO_GATEWAY = '0.0.0.0';
const EXCLUDED_CIDR = '0.0.0.1';
/** An egress IP the gateway has not got yet, in either family. */
const NO_EGRESS_IP = new Set(['0.0.0.0', '::']);
/**
 * How old the agent's heartbeat may be before the datapath itself stops trusting the agent's maps:
 * the L2 responder's limit, the L2 announcement lease (--l2-announcements-lease-duration, 15 s).
 */
const AGENT_LIVENESS_LIMIT_MS = 15_000;

/** The findings for a report's facts, in walkthrough order. */
export function judge(r: Omit<PodReport, 'findings'>): Finding[] {
  const out: Finding[] = [];
  const add = (severity: Finding['severity'], code: string, message: string) => out.push({ severity, code, message });
  for (const e of r.errors) add('error', 'step-failed', `${e.step}: ${e.message}`);

  // 1. The pod.
  if (!r.pod.interface) add('error', 'no-pod-interface', 'the pod has no eth0');
  else if (!r.pod.ip) add('error', 'no-pod-ip', `${r.pod.interface.name} has no global address`);
  if (r.pod.interface && !r.pod.gateway) add('warning', 'no-default-gateway', 'the pod has no default route via a gateway');

  // 2. The gateway and its neighbour entry.
  if (r.gateway) {
    if (!r.gateway.hostDevice) add('warning', 'gateway-not-on-host', `no host device holds the gateway ${r.gateway.ip} (cilium_host normally does)`);
    if (!r.gateway.neighbor?.mac) {
      add('info', 'gateway-neighbor-missing', `the pod has no neighbour entry for ${r.gateway.ip} yet (no traffic since the entry expired)`);
    } else if (r.hostVeth?.mac && r.gateway.isHostVethMac === false) {
      add('warning', 'gateway-mac-not-host-veth', `the gateway ${r.gateway.ip} resolves to ${r.gateway.neighbor.mac}, not the host veth's ${r.hostVeth.mac}: Cilium's ARP responder did not answer`);
    }
  }

  // 3. The host veth and its programs.
  if (!r.hostVeth) {
    if (r.pod.interface) add('error', 'no-peer', `the pod's ${r.pod.interface.name} has no veth peer on the host`);
  } else {
    const ingress = r.hostVeth.attachments.filter((a) => FROM_CONTAINER_HOOKS.has(a.hook));
    if (!ingress.some((a) => isKernelName(a.progName, INGRESS_PROGRAM))) {
      add('error', 'no-ingress-program', `no ${INGRESS_PROGRAM} on ${r.hostVeth.name} ingress (tcx, tc or netkit peer): packets from the pod bypass Cilium` +
        (ingress.length ? ` (attached: ${ingress.map((a) => a.progName).join(', ')})` : ''));
    }
  }

  if (r.socketLb && r.socketLb.programs.length === 0) {
    add('info', 'no-socket-lb', `no cil_sock program runs for the pod's cgroup ${r.socketLb.cgroup}: service addresses are translated per packet, if at all, not at connect()`);
  }

  // 4. The ipcache and endpoint entries, checked against step 3: only those of maps that were read.
  if (r.pod.ip) {
    const ipcache = r.ipcache;
    const exact = ipcache && ipcache.prefixLength === (r.pod.ip.includes(':') ? 128 : 32);
    if (ipcache === null) add('error', 'ipcache-missing', `no ipcache entry covers ${r.pod.ip}`);
    else if (ipcache && !exact) add('error', 'ipcache-missing', `no ipcache entry for ${r.pod.ip}; it falls under ${ipcache.prefix} (identity ${ipcache.identity}${ipcache.identityName ? ` ${ipcache.identityName}` : ''})`);
    const ep = r.endpoint;
    if (ep === null) {
      add('error', 'endpoint-missing', `no cilium_lxc entry for ${r.pod.ip}: the datapath does not know it as a local endpoint`);
    } else if (ep) {
      if (r.hostVeth && ep.ifindex !== r.hostVeth.ifindex) {
        add('error', 'endpoint-ifindex-mismatch', `cilium_lxc says endpoint ${ep.endpointId} is on ifindex ${ep.ifindex}, but the pod's host veth ${r.hostVeth.name} is ifindex ${r.hostVeth.ifindex}`);
      }
      if (r.pod.interface?.mac && ep.mac !== r.pod.interface.mac) {
        add('warning', 'endpoint-mac-mismatch', `cilium_lxc has MAC ${ep.mac} for the endpoint, the pod's ${r.pod.interface.name} has ${r.pod.interface.mac}`);
      }
      if (r.hostVeth?.mac && ep.nodeMac !== r.hostVeth.mac) {
        add('warning', 'endpoint-node-mac-mismatch', `cilium_lxc has node MAC ${ep.nodeMac}, the host veth has ${r.hostVeth.mac}`);
      }
      if (exact && ipcache.identity !== ep.identity) {
        add('error', 'identity-mismatch', `the ipcache gives ${r.pod.ip} identity ${ipcache.identity}, cilium_lxc identity ${ep.identity}`);
      }
    }
  }

  // Pinned links (1.16+): the agent pins its tcx links, and a netkit pair's links the same way
  // (cilium-maps.md §7.2, §7.3).
  const linked = r.hostVeth?.attachments.filter((a) => PINNED_LINK_HOOK.test(a.hook) && a.linkId !== undefined) ?? [];
  if (r.endpoint && parseVersion(r.version)! >= 16 && linked.length > 0 && r.pinnedLinks.length === 0) {
    add('warning', 'links-not-pinned', `no pinned links under ${r.bpffs}/cilium/endpoints/${r.endpoint.endpointId}/links: the programs would not survive an agent restart`);
  }
  for (const link of r.pinnedLinks) {
    if (r.hostVeth && link.ifindex !== undefined && link.ifindex !== r.hostVeth.ifindex) {
      add('error', 'pinned-link-wrong-device', `${link.path} (link ${link.linkId}) is attached to ifindex ${link.ifindex}, not ${r.hostVeth.name} (${r.hostVeth.ifindex})`);
    }
  }

  // Egress gateway: the agent's markers for a policy that cannot be served (drop reasons 194 and 204).
  for (const p of r.egressPolicies ?? []) {
    if (p.gatewayIp === NO_GATEWAY) {
      add('warning', 'egress-no-gateway', `traffic from ${p.sourceIp} to ${p.destinationCidr} matches an egress gateway policy that no gateway node serves: the datapath drops it (No egress gateway found)`);
    } else if (p.gatewayIp !== EXCLUDED_CIDR && NO_EGRESS_IP.has(p.egressIp) && parseVersion(r.version)! >= 16) {
      add('warning', 'egress-no-ip', `traffic from ${p.sourceIp} to ${p.destinationCidr} goes to gateway ${p.gatewayIp}, which has no egress IP: it drops it there (No Egress IP configured)`);
    }
  }

  // 5. Drops.
  const dropped = r.drops?.filter((d) => d.packets > 0n) ?? [];
  if (dropped.length > 0) {
    const total = dropped.reduce((sum, d) => sum + d.packets, 0n);
    add('info', 'drops', `the node dropped ${total} packets: ${[...new Set(dropped.map((d) => d.reasonName))].join(', ')}`);
  }

  // The agent.
  if (r.agentLiveness === null) {
    add('info', 'agent-liveness-unset', 'cilium_runtime_config has no AgentLiveness: no agent has written its heartbeat (with L2 announcements on, the datapath answers no ARP for service IPs)');
  } else if (r.agentLiveness && r.agentLiveness.ageMs > AGENT_LIVENESS_LIMIT_MS) {
    add('warning', 'agent-not-alive', `the agent's last heartbeat (AgentLiveness, written every second while it runs) is ${livenessAge(r.agentLiveness.ageMs)} old: it is down or stuck, and its maps are not being updated (with L2 announcements on, the datapath has stopped answering ARP for service IPs)`);
  }
  return out;
}

/** A heartbeat's age in seconds, to the tenth. */
function livenessAge(ageMs: number): string {
  return `${(ageMs / 1000).toFixed(1)} s`;
}

/** Why a pod IP's map entry is not shown: the map had none (null), or it was not looked up. */
function absence(entry: null | undefined, ip: string | undefined): string {
  if (entry === null) return 'no entry';
  return ip ? 'not read' : '- (no pod IP)';
}

/** The report as text, in the walkthrough's order. */
export function renderPodReport(r: PodReport): string {
  const lines: string[] = [];
  const section = (title: string) => lines.push('', title);
  const item = (text: string) => lines.push(`  ${text}`);
  const p = r.pod;
  lines.push(`Pod ${p.ip ?? '(no IP)'}  (${r.version ? `Cilium ${r.version} layouts` : 'no Cilium map read'}, bpffs ${r.bpffs})`);

  section('1. Pod');
  if (p.containerId) item(`container ${p.containerId}`);
  item(`pids ${p.pids.length ? p.pids.join(', ') : '-'}; netns ${p.netns?.inode ?? '-'}${p.netns?.path ? ` (${p.netns.path})` : ''}`);
  if (p.interface) item(`${p.interface.name}: ifindex ${p.interface.ifindex}, mac ${p.interface.mac ?? '-'}${p.interface.mtu ? `, mtu ${p.interface.mtu}` : ''}`);
  item(`addresses ${p.addresses.length ? p.addresses.join(', ') : '-'}`);
  for (const route of p.routes) item(`route ${route.dst}${route.gateway ? ` via ${route.gateway}` : ''}${route.dev ? ` dev ${route.dev}` : ''}${route.scope ? ` scope ${route.scope}` : ''}`);
  item(`default gateway ${p.gateway ?? '-'}`);

  section('2. Gateway');
  if (r.gateway) {
    const g = r.gateway;
    item(`neighbour ${g.ip} → ${g.neighbor?.mac ?? '(none)'}${g.neighbor?.state ? ` (${g.neighbor.state})` : ''}`);
    if (g.isHostVethMac !== undefined) item(g.isHostVethMac ? 'that is the host veth\'s MAC: Cilium\'s ARP responder answered' : 'that is not the host veth\'s MAC');
    item(g.hostDevice ? `${g.ip} is held by ${g.hostDevice.name} (ifindex ${g.hostDevice.ifindex}, mac ${g.hostDevice.mac ?? '-'})` : `no host device holds ${g.ip}`);
  } else {
    item('-');
  }

  section('3. Host veth and programs');
  if (r.hostVeth) {
    const h = r.hostVeth;
    item(`${h.name}: ifindex ${h.ifindex}, mac ${h.mac ?? '-'}`);
    if (h.attachments.length === 0) item('no BPF programs attached');
    for (const a of h.attachments) item(`${a.hook.padEnd(12)} ${a.progName} (prog ${a.progId}${a.linkId !== undefined ? `, link ${a.linkId}` : ''})`);
  } else {
    item('no peer found');
  }
  if (r.socketLb) {
    const programs = r.socketLb.programs.map((p) => `${p.progName} (prog ${p.progId}, ${p.attachType})`);
    item(`socket LB for cgroup ${r.socketLb.cgroup}: ${programs.length ? programs.join(', ') : 'none'}`);
  }

  section('4. Cilium maps');
  const ic = r.ipcache;
  item(ic ? `ipcache ${ic.prefix}: identity ${ic.identity}${ic.identityName ? ` (${ic.identityName})` : ''}, tunnel ${ic.tunnelEndpoint}, encrypt key ${ic.encryptKey}, flags ${ic.flags.join(',') || '<none>'}` : `ipcache: ${absence(ic, p.ip)}`);
  const ep = r.endpoint;
  item(ep ? `endpoint ${ep.key}: id ${ep.endpointId}, identity ${ep.identity}, ifindex ${ep.ifindex}, mac ${upperMac(ep.mac)}, nodemac ${upperMac(ep.nodeMac)}${ep.isHost ? ' (localhost)' : ''}` : `endpoint: ${absence(ep, p.ip)}`);
  for (const link of r.pinnedLinks) item(`pinned ${link.path}: link ${link.linkId}, prog ${link.progId}${link.ifindex !== undefined ? `, ifindex ${link.ifindex}` : ''}`);
  if (r.egressPolicies) {
    if (r.egressPolicies.length === 0) item('egress gateway: no policy for the pod');
    for (const p of r.egressPolicies) item(`egress gateway ${p.sourceIp} → ${p.destinationCidr}: gateway ${p.gatewayIp}, egress IP ${p.egressIp}`);
  }
  if (r.srv6) {
    if (r.srv6.vrfs.length === 0) item('SRv6: no VRF for the pod');
    for (const v of r.srv6.vrfs) {
      const sids = r.srv6.policies.filter((p) => p.vrfId === v.vrfId).map((p) => `${p.destinationCidr} via SID ${p.sid}`);
      item(`SRv6 VRF ${v.vrfId} for ${v.sourceIp} → ${v.destinationCidr}: ${sids.length > 0 ? sids.join(', ') : 'no policy, not encapsulated'}`);
    }
  }

  section('5. Drops');
  const dropped = r.drops?.filter((d) => d.packets > 0n) ?? [];
  if (!r.drops) item('not read');
  else if (dropped.length === 0) item('none');
  for (const d of dropped) item(`${d.reasonName} ${d.direction}: ${d.packets} packets, ${d.bytes} bytes${d.file ? ` (${d.file}:${d.line})` : ''}`);

  section('Agent');
  const live = r.agentLiveness;
  item(live ? `last heartbeat ${livenessAge(live.ageMs)} ago (AgentLiveness ${live.monotonicNs})` : live === null ? 'no heartbeat written (AgentLiveness 0)' : 'not read');

  section('Findings');
  if (r.findings.length === 0) item('none: every link of the chain holds');
  for (const f of r.findings) item(`${f.severity.toUpperCase().padEnd(7)} ${f.code}: ${f.message}`);
  return `${lines.join('\n')}\n`;
}
