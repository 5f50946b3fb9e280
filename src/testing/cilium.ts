// A fake Cilium node, built from real kernel objects: pods in named network namespaces whose eth0
// pairs with an `lxc…` veth on the host, a cilium_host/cilium_net pair holding the pods' gateway,
// Cilium's programs on the lxc hooks (tcx from 1.16, a cls_bpf filter before), and Cilium's maps
// for the chosen version, pinned in a private bpffs and filled consistently with the pods.
// Everything it makes is undone by destroy(), also when creation fails half way. A node whose
// process was killed before destroy() is recognised by its host device's alias and removed by the
// next node built in that namespace (a real Cilium's cilium_host is never touched).
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cilium } from '../cilium';
import { frag6MapSpec, globalMapSpecs, natRetries4MapSpec, globalsDir, endpointLinksDir, legacyNodeMapSpec, maglevInnerMapSpec, multicastMapSpecs, perClusterCtMapSpecs, perClusterNatMapSpecs, policyMapSpec, policyStatsMapSpec, tunnelMapSpec, recorderMapSpec, sourceRangeMapSpec, type CiliumMapSpec } from '../cilium/specs';
import { parseVersion, versionName, NEWEST_VERSION, type CiliumVersion } from '../cilium/version';
import { listInterfaces } from '../interfaces';
import { listNetns } from '../netns';
import { bpffsMounts } from '../pins';
import { addAddress, addNeighbor, addRoute, addTcFilter, createNetns, createVeth, deleteLink, deleteNetns, once, setLink, type NamedNetns, type Removable } from './net';
import { processStartTime } from './process';
import { attachTcx, createMap, loadProgram, mountBpffs, pin, unmount, updateElem, type KernelObject } from './objects';

/** A deliberate inconsistency, for testing what explainPod reports. */
export type FakePodFault =
  /** cilium_lxc points the endpoint at cilium_host's ifindex instead of its lxc veth. */
  | 'endpoint-ifindex'
  /** No ipcache entry for the pod IP (it falls under 0.0.0.0/0, world). */
  | 'ipcache'
  /** No cil_from_container on the lxc veth. */
  | 'program'
  /** The pod's neighbour entry for the gateway carries cilium_host's MAC, not the lxc veth's. */
  | 'gateway-neighbor'
  /** The pod's egress gateway policy has no gateway node (0.0.0.0), as when no node matches its selector. */
  | 'egress-gateway';

export interface FakePodOptions {
  /** IPv4 address of the pod. */
  ip: string;
  /** Default: 10000 + position × 1000 + 1 (outside the reserved range). */
  identity?: number;
  /** Default: 100 + position. */
  endpointId?: number;
  faults?: FakePodFault[];
}

export interface FakeCiliumNodeOptions {
  /** The Cilium version whose map names, sizes and layouts to use; default the newest. */
  version?: string;
  pods: FakePodOptions[];
  /** The gateway IP every pod routes through, held by cilium_host; default '10.3.0.179'. */
  gateway?: string;
  /** Name of the cilium_host-like device (and `cilium_net` its veth peer is named after it). */
  hostDevice?: string;
}

export interface FakeDevice {
  name: string;
  ifindex: number;
  mac: string;
}

export interface FakePod {
  ip: string;
  identity: number;
  endpointId: number;
  /** The pod's named namespace (/var/run/netns/<name>). */
  netns: { name: string; path: string };
  eth0: FakeDevice;
  /** The host-side veth. */
  lxc: FakeDevice;
  faults: FakePodFault[];
}

export interface FakeCiliumNode {
  version: CiliumVersion;
  /** The private bpffs mount. */
  bpffs: string;
  gateway: string;
  hostDevice: FakeDevice;
  pods: FakePod[];
  /** The pinned maps by name (cilium_ipcache_v2, cilium_lxc, …, cilium_policy_v2_00100). */
  maps: Record<string, KernelObject>;
  /** Removes every object, device, namespace and mount the fixture made; later calls, concurrent ones too, wait for the same removal. */
  destroy(): Promise<void>;
}

// The CT and LB maps are preallocated: the fixture keeps them small (the agent's defaults are 524288/65536).
const FIXTURE_MAX_ENTRIES = 4096;
/** The smallest Maglev table the agent takes (--bpf-lb-maglev-table-size; its default 16381 is 64 KiB a service). */
const FIXTURE_MAGLEV_TABLE = 251;
/** The socket cookie of the first pod's connection to the service (cookies count up from 1 per boot). */
const FIXTURE_SOCKET_COOKIE = 4097n;
const SERVICE_IP = '10.96.0.10';
/** The node's own address (for source NAT) and an outside one, from the documentation ranges (RFC 5737). */
const NODE_IP = '192.0.2.10';
const NAT_REMOTE_IP = '203.0.113.1';
const NAT_REMOTE_NET = '203.0.113.0';
/** An egress gateway node and the address traffic leaves it with (RFC 5737 too). */
const GATEWAY_NODE_IP = '192.0.2.20';
const EGRESS_IP = '192.0.2.50';
/** The gateway node's IPv6 address and node id, a pod's identity on it, and a VTEP (documentation ranges). */
const GATEWAY_NODE_IP6 = '2001:db8::20';
const GATEWAY_NODE_ID = 1;
const REMOTE_POD_IDENTITY = 20001;
const VTEP_CIDR = '198.51.100.0';
const VTEP_IP = '192.0.2.30';
const VTEP_MAC = '00:50:56:aa:bb:01';
/** A multicast group (the address Cilium's docs use) and MCAST_SUB_F_REMOTE, a subscriber's flag for a node. */
const MULTICAST_GROUP = '229.0.0.1';
const MULTICAST_REMOTE = 1;
/** The gateway node's pod CIDRs, and a node of cluster 7 (a cluster mesh) with its pod CIDR. */
const REMOTE_POD_CIDR = '10.4.0.0';
const REMOTE_POD_CIDR6 = 'fd00:10:4::';
const MESH_CLUSTER_ID = 7;
const MESH_POD_CIDR = '10.5.0.0';
const MESH_NODE_IP = '192.0.2.21';
/** A pod of cluster 7, which the first pod has connections to. */
const MESH_POD_IP = '10.5.0.9';
/** When the fake node's authentications expire: 2030-01-01 00:00:00.2 UTC, in Cilium's 512 ns units. */
const AUTH_EXPIRATION = 1_893_456_000n * 1_953_125n + 390_625n;

function possibleCpus(): number {
  return readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',').reduce((n, range) => {
    const [a, b] = range.split('-').map(Number);
    return n + (b === undefined ? 1 : b - a + 1);
  }, 0);
}

/** Undo steps, run in reverse; every step runs even when one fails, and the first error is thrown. */
class Teardown {
  private readonly steps: (() => unknown)[] = [];
  add(step: () => unknown): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    let first: unknown;
    while (this.steps.length > 0) {
      try {
        await this.steps.pop()!();
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }
}

// What the host device's alias says of the node: that it is a fake one, made by which process (pid
// and start time, so a reused pid is not taken for it), and where its pods and pins are (the bpffs
// path URI-encoded: the fields are separated by spaces).
const ALIAS_PREFIX = 'bpfscope fake Cilium node';

/**
 * Removes what a fake node whose process died before destroy() left in the caller's namespace (its
 * pods' namespaces, its bpffs, its host device), found from the alias of its host device. Resolves
 * true when it removed one, false when there is no such device; rejects when the device is there
 * but is no fake node's (a real Cilium node) or belongs to a live process's node. createFakeCiliumNode
 * calls it first; test runners may call it before their tests.
 */
export async function removeStaleFakeCiliumNode(hostName = 'cilium_host'): Promise<boolean> {
  const existing = (await listInterfaces()).find((i) => i.name === hostName);
  if (!existing) return false;
  const fields = Object.fromEntries((existing.alias ?? '').slice(ALIAS_PREFIX.length).trim().split(' ').map((f) => f.split('=')));
  if (!existing.alias?.startsWith(ALIAS_PREFIX) || !fields.pid || !fields.tag || !fields.bpffs) {
    throw new Error(`createFakeCiliumNode: ${hostName} already exists in this network namespace and is no fake node's (a real Cilium node?); pass hostDevice to use another name`);
  }
  if (processStartTime(Number(fields.pid)) === fields.start) {
    throw new Error(`createFakeCiliumNode: ${hostName} belongs to a fake Cilium node of process ${fields.pid}, which is still running`);
  }
  for (const ns of await listNetns({ fds: false })) {
    for (const name of ns.names.filter((n) => n.startsWith(`cilpod-${fields.tag}-`))) await deleteNetns(name);
  }
  const bpffs = decodeURIComponent(fields.bpffs);
  if ((await bpffsMounts()).some((m) => m === bpffs)) {
    await unmount(bpffs);
    rmdirSync(bpffs);
  }
  await deleteLink({ ifname: hostName });
  return true;
}

async function device(name: string, netns?: NamedNetns): Promise<FakeDevice> {
  const found = (await listInterfaces(netns ? { netns: netns.ref } : undefined)).find((i) => i.name === name);
  if (!found?.mac) throw new Error(`fake Cilium node: ${name} did not appear`);
  return { name, ifindex: found.ifindex, mac: found.mac };
}

/** Builds the node; see the module comment. */
export async function createFakeCiliumNode(options: FakeCiliumNodeOptions): Promise<FakeCiliumNode> {
  const minor = parseVersion(options.version) ?? NEWEST_VERSION;
  if (!Array.isArray(options.pods) || options.pods.length === 0) throw new TypeError('createFakeCiliumNode: pods must be a non-empty array');
  const gateway = options.gateway ?? '10.3.0.179';
  const hostName = options.hostDevice ?? 'cilium_host';
  const tag = randomBytes(3).toString('hex');
  await removeStaleFakeCiliumNode(hostName);
  const teardown = new Teardown();
  const track = <T extends Removable | KernelObject>(thing: T): T => {
    teardown.add(() => ('remove' in thing ? thing.remove() : thing.close()));
    return thing;
  };

  try {
    // The private bpffs.
    const bpffs = mkdtempSync(join(tmpdir(), 'bpfscope-cilium-'));
    teardown.add(() => rmdirSync(bpffs));
    await mountBpffs(bpffs);
    teardown.add(() => unmount(bpffs));
    mkdirSync(globalsDir(bpffs), { recursive: true });

    // cilium_host (with the gateway IP) and its peer cilium_net.
    const netName = hostName.endsWith('_host') ? hostName.replace(/_host$/, '_net') : `${hostName.slice(0, 13)}_n`;
    track(await createVeth({ name: hostName, peerName: netName }));
    await setLink({ ifname: hostName, up: true, alias: `${ALIAS_PREFIX} pid=${process.pid} start=${processStartTime(process.pid)} tag=${tag} bpffs=${encodeURIComponent(bpffs)}` });
    await addAddress({ ifname: hostName, address: `${gateway}/32` });
    const hostDevice = await device(hostName);

    // The pods: namespace, eth0 ↔ lxc…, address, routes via the gateway, the gateway's neighbour.
    const pods: FakePod[] = [];
    for (const [i, spec] of options.pods.entries()) {
      const faults = spec.faults ?? [];
      const ns = track(await createNetns(`cilpod-${tag}-${i}`));
      const lxcName = `lxc${randomBytes(6).toString('hex')}`;
      track(await createVeth({ name: lxcName, peerName: 'eth0', peerNetns: ns.ref }));
      await setLink({ netns: ns.ref, ifname: 'lo', up: true });
      await addAddress({ netns: ns.ref, ifname: 'eth0', address: `${spec.ip}/32` });
      await addRoute({ netns: ns.ref, dst: `${gateway}/32`, dev: 'eth0', scope: 'link' });
      await addRoute({ netns: ns.ref, dst: 'default', via: gateway, dev: 'eth0' });
      const lxc = await device(lxcName);
      const eth0 = await device('eth0', ns);
      await addNeighbor({ netns: ns.ref, ifname: 'eth0', ip: gateway, lladdr: faults.includes('gateway-neighbor') ? hostDevice.mac : lxc.mac });
      pods.push({
        ip: spec.ip,
        identity: spec.identity ?? 10000 + i * 1000 + 1,
        endpointId: spec.endpointId ?? 100 + i,
        netns: { name: ns.name, path: ns.path },
        eth0,
        lxc,
        faults,
      });
    }

    // Cilium's maps for the version, pinned under tc/globals.
    const maps: Record<string, KernelObject> = {};
    const makeMap = async (spec: CiliumMapSpec, maxEntries = spec.maxEntries, innerMap?: KernelObject) => {
      const map = track(await createMap({ ...spec, maxEntries, innerMap }));
      await pin(map, `${globalsDir(bpffs)}/${spec.name}`);
      maps[spec.name] = map;
      return map;
    };
    const fill = async (map: KernelObject, packed: { keys: Buffer; values: Buffer; count: number; keySize: number }, valueStride: number) => {
      for (let i = 0; i < packed.count; i++) {
        await updateElem(map, packed.keys.subarray(i * packed.keySize, (i + 1) * packed.keySize), packed.values.subarray(i * valueStride, (i + 1) * valueStride));
      }
    };
    // A map of maps' entry given an inner map: the kernel takes its fd as the value.
    const putInner = async (outer: KernelObject, key: Buffer, inner: KernelObject) => {
      const fd = Buffer.alloc(4);
      fd.writeUInt32LE(inner.fd);
      await updateElem(outer, key, fd);
    };
    // An array of maps' slot, a u32 key.
    const slot = (index: number) => {
      const key = Buffer.alloc(4);
      key.writeUInt32LE(index);
      return key;
    };
    const version = versionName(minor);
    const specs = globalMapSpecs(minor);

    const ipcache = cilium.encode.ipcache([
      { prefix: '0.0.0.0/0', identity: 2 },
      { prefix: `${gateway}/32`, identity: 1 },
      ...pods.filter((p) => !p.faults.includes('ipcache')).map((p) => ({ prefix: `${p.ip}/32`, identity: p.identity })),
    ], { version });
    await fill(await makeMap(specs.ipcache), ipcache, ipcache.valueSize);

    const endpoints = cilium.encode.endpoints([
      { ip: gateway, flags: ['host'] },
      ...pods.map((p) => ({
        ip: p.ip,
        endpointId: p.endpointId,
        ifindex: p.faults.includes('endpoint-ifindex') ? hostDevice.ifindex : p.lxc.ifindex,
        mac: p.eth0.mac,
        nodeMac: p.lxc.mac,
        identity: p.identity,
      })),
    ], { version });
    await fill(await makeMap(specs.endpoints), endpoints, endpoints.valueSize);

    const cpus = possibleCpus();
    const spread = (packets: number, bytes: number) => [{ packets: BigInt(packets), bytes: BigInt(bytes) }];
    const metrics = cilium.encode.metrics([
      { reason: 0, direction: 'EGRESS', line: 1713, fileId: 2, perCpu: spread(99, 7611) },
      { reason: 3, direction: 'INGRESS', line: 861, fileId: 1, perCpu: spread(2310, 453216) },
      { reason: 133, direction: 'EGRESS', line: 1363, fileId: 2, perCpu: spread(12, 888) },
    ], { version, cpus });
    await fill(await makeMap(specs.metrics), metrics, cpus * 16);

    // Conntrack: one TCP flow from each pod to the next; the other CT maps exist, empty.
    const [first] = pods;
    const flows = cilium.encode.conntrack(pods.map((p, i) => ({
      daddr: pods[(i + 1) % pods.length].ip, saddr: p.ip, dport: 80, sport: 40000 + i, protocol: 6,
      lifetime: 21600, srcSecId: p.identity, packets: 10n, bytes: 1500n,
    })), { version, family: 4 });
    await fill(await makeMap(specs.ct4, FIXTURE_MAX_ENTRIES), flows, flows.valueSize);
    for (const kind of ['ctAny4', 'ct6', 'ctAny6'] as const) await makeMap(specs[kind], FIXTURE_MAX_ENTRIES);
    // Cluster Mesh's per-cluster conntrack of cluster 7: the first pod's TCP flow and DNS query to
    // a pod there (the tuple's addresses stored reversed, as the datapath stores them), in that
    // cluster's inner maps, pinned as the agent pins them and put into the outer maps' slot 7 (each
    // written with its fd); its IPv6 maps exist, empty.
    const meshFlows = {
      tcp: [{ daddr: first.ip, saddr: MESH_POD_IP, dport: 8080, sport: 42000, protocol: 6, lifetime: 21600, srcSecId: first.identity, packets: 4n, bytes: 296n }],
      any: [{ daddr: first.ip, saddr: MESH_POD_IP, dport: 53, sport: 42001, protocol: 17, lifetime: 60, srcSecId: first.identity, packets: 1n, bytes: 74n }],
    };
    const perCluster = perClusterCtMapSpecs(minor, MESH_CLUSTER_ID);
    for (const family of [4, 6] as const) {
      for (const kind of ['tcp', 'any'] as const) {
        const inner = await makeMap(perCluster[family].inner[kind], FIXTURE_MAX_ENTRIES);
        if (family === 4) {
          const packed = cilium.encode.conntrack(meshFlows[kind], { version, family });
          await fill(inner, packed, packed.valueSize);
        }
        await putInner(await makeMap(perCluster[family].outer[kind], undefined, inner), slot(MESH_CLUSTER_ID), inner);
      }
    }

    // Source NAT: the first pod's flow to an outside address, masqueraded to the node's address,
    // stored both ways as the datapath stores it (documentation addresses: nothing is sent).
    const snat = cilium.encode.nat([
      { daddr: NAT_REMOTE_IP, saddr: first.ip, dport: 443, sport: 41000, protocol: 6, direction: 'out', toAddress: NODE_IP, toPort: 61000, created: 1000n, needsCt: true },
      { daddr: NODE_IP, saddr: NAT_REMOTE_IP, dport: 61000, sport: 443, protocol: 6, direction: 'in', toAddress: first.ip, toPort: 41000, created: 1000n },
    ], { version });
    await fill(await makeMap(specs.snat4, FIXTURE_MAX_ENTRIES), snat, snat.valueSize);
    // Cluster Mesh's per-cluster SNAT of cluster 7: the first pod's flow to the pod there,
    // source-NATed to the node's address, both ways, in cluster 7's inner map; its IPv6 map empty.
    const perClusterNat = perClusterNatMapSpecs(minor, MESH_CLUSTER_ID);
    const meshSnat = cilium.encode.nat([
      { daddr: MESH_POD_IP, saddr: first.ip, dport: 8080, sport: 42000, protocol: 6, direction: 'out', toAddress: NODE_IP, toPort: 62000, created: 1000n, needsCt: true },
      { daddr: NODE_IP, saddr: MESH_POD_IP, dport: 62000, sport: 8080, protocol: 6, direction: 'in', toAddress: first.ip, toPort: 42000, created: 1000n },
    ], { version });
    for (const family of [4, 6] as const) {
      const inner = await makeMap(perClusterNat[family].inner, FIXTURE_MAX_ENTRIES);
      if (family === 4) await fill(inner, meshSnat, meshSnat.valueSize);
      await putInner(await makeMap(perClusterNat[family].outer, undefined, inner), slot(MESH_CLUSTER_ID), inner);
    }
    // 1.18+: how many ports new mappings tried: most the first, some a second, two none free (dropped).
    const retriesSpec = natRetries4MapSpec(minor);
    if (retriesSpec) {
      const split = (a: number, b: number) => (cpus > 1 ? [a, b] : [a + b]);
      const retries = cilium.encode.natRetries([{ retries: 0, perCpu: split(120, 80) }, { retries: 1, perCpu: [7] }, { retries: 32, perCpu: split(0, 2) }], { version, cpus });
      await fill(await makeMap(retriesSpec), retries, cpus * 8);
    }
    // Egress gateway policies: each pod's traffic to 203.0.113.0/24 leaves through a gateway node.
    const egress = cilium.encode.egress(pods.map((p) => ({
      sourceIp: p.ip, destinationCidr: `${NAT_REMOTE_NET}/24`,
      ...(p.faults.includes('egress-gateway') ? { egressIp: '0.0.0.0', gatewayIp: '0.0.0.0' } : { egressIp: EGRESS_IP, gatewayIp: GATEWAY_NODE_IP }),
    })), { version });
    await fill(await makeMap(specs.egress), egress, egress.valueSize);

    // Node ids: the gateway node, by both its addresses, with IPsec SPI 3 (kept from 1.16). The
    // agents of 1.16 and 1.17 also keep the older map, which their datapath no longer reads.
    const nodes = [{ ip: GATEWAY_NODE_IP, nodeId: GATEWAY_NODE_ID, spi: 3 }, { ip: GATEWAY_NODE_IP6, nodeId: GATEWAY_NODE_ID, spi: 3 }];
    const nodeIds = cilium.encode.nodeIds(nodes, { version });
    await fill(await makeMap(specs.nodeIds), nodeIds, nodeIds.valueSize);
    const legacyNodeMap = legacyNodeMapSpec(minor);
    if (legacyNodeMap) {
      const legacy = cilium.encode.nodeIds(nodes, { version: '1.15' });
      await fill(await makeMap(legacyNodeMap), legacy, legacy.valueSize);
    }
    // Mutual authentication (SPIRE): the first pod with a pod on the gateway node, and with the
    // second pod on this node (remote node id 0) when there is one.
    const auth = cilium.encode.auth([
      { localIdentity: first.identity, remoteIdentity: REMOTE_POD_IDENTITY, remoteNodeId: GATEWAY_NODE_ID, authType: 1, expiration: AUTH_EXPIRATION },
      ...pods.slice(1, 2).map((p) => ({ localIdentity: first.identity, remoteIdentity: p.identity, remoteNodeId: 0, authType: 1, expiration: AUTH_EXPIRATION })),
    ], { version });
    await fill(await makeMap(specs.auth), auth, auth.valueSize);
    const vtep = cilium.encode.vtep([{ vtepIp: VTEP_CIDR, vtepMac: VTEP_MAC, tunnelEndpoint: VTEP_IP }], { version });
    await fill(await makeMap(specs.vtep), vtep, vtep.valueSize);
    // The bandwidth manager: the first pod's egress paced to 10 Mbit/s (1.17+: with priority 2 set),
    // from 1.18 its ingress to 5 Mbit/s through the token bucket.
    const bandwidth = cilium.encode.bandwidth([
      { endpointId: first.endpointId, direction: 0, bps: 1_250_000n, tLast: 0n, tHorizonDrop: 2_000_000_000n, prio: 3 },
      ...(minor >= 18 ? [{ endpointId: first.endpointId, direction: 1, bps: 625_000n, tLast: 0n, tokens: 625_000n, prio: 0 }] : []),
    ], { version });
    await fill(await makeMap(specs.bandwidth), bandwidth, bandwidth.valueSize);
    // The ip-masq-agent's default non-masquerade CIDRs (RFC 1918, link-local).
    const ipmasq = cilium.encode.ipmasq(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'].map((cidr) => ({ cidr })), { version });
    await fill(await makeMap(specs.ipmasq4), ipmasq, ipmasq.valueSize);
    // A UDP datagram from the first pod to the outside address, fragmented: its ports, kept for
    // the fragments that follow. The IPv6 map (1.18+) exists, empty.
    const frag = cilium.encode.frag([
      { id: 0x1234, protocol: 17, sourceIp: first.ip, destinationIp: NAT_REMOTE_IP, sourcePort: 41001, destinationPort: 53 },
    ], { version });
    await fill(await makeMap(specs.frag4, FIXTURE_MAX_ENTRIES), frag, frag.valueSize);
    const frag6 = frag6MapSpec(minor);
    if (frag6) await makeMap(frag6, FIXTURE_MAX_ENTRIES);

    // One UDP service (10.96.0.10:53) balanced over the pods. From 1.17 the agent writes the
    // algorithm into every service entry: 1 (random) by default.
    const services = cilium.encode.services([
      { address: SERVICE_IP, port: 53, backendSlot: 0, protocol: minor >= 17 ? 17 : 0, algorithm: 1, count: pods.length, revNatIndex: 1 },
      ...pods.map((_, i) => ({ address: SERVICE_IP, port: 53, backendSlot: i + 1, protocol: minor >= 17 ? 17 : 0, backendId: i + 1, revNatIndex: 1 })),
    ], { version });
    await fill(await makeMap(specs.services, FIXTURE_MAX_ENTRIES), services, services.valueSize);
    const backends = cilium.encode.backends(pods.map((p, i) => ({ backendId: i + 1, address: p.ip, port: 53, protocol: 17 })), { version });
    await fill(await makeMap(specs.backends, FIXTURE_MAX_ENTRIES), backends, backends.valueSize);
    const revNat = cilium.encode.revNat([{ revNatIndex: 1, address: SERVICE_IP, port: 53 }], { version });
    await fill(await makeMap(specs.revNat, FIXTURE_MAX_ENTRIES), revNat, revNat.valueSize);
    // The service's Maglev table, its slots spread over the backends, in an inner array that
    // cilium_lb4_maglev names by the service's rev-NAT index (the map written with the array's fd).
    // The array is the outer map's inner template too; the outer map holds it once it is in.
    const maglev = cilium.encode.maglev([{ revNatIndex: 1, backendIds: Array.from({ length: FIXTURE_MAGLEV_TABLE }, (_, i) => (i % pods.length) + 1) }], { version });
    const table = track(await createMap(maglevInnerMapSpec(FIXTURE_MAGLEV_TABLE)));
    await updateElem(table, Buffer.alloc(4), maglev.values);
    await putInner(await makeMap(specs.maglev4, FIXTURE_MAX_ENTRIES, table), maglev.keys, table);
    // Socket LB: the first pod's socket to the service, sent to the second pod (or itself, alone).
    const sockRevNat = cilium.encode.sockRevNat([{
      cookie: FIXTURE_SOCKET_COOKIE, backendAddress: pods[1 % pods.length].ip, backendPort: 53, frontendAddress: SERVICE_IP, frontendPort: 53, revNatIndex: 1,
    }], { version });
    await fill(await makeMap(specs.sockRevNat4, FIXTURE_MAX_ENTRIES), sockRevNat, sockRevNat.valueSize);
    // 1.16+: a multicast group the first pod joined (as its IGMP report would add it, on its lxc
    // device) and the gateway node subscribes to (cilium_host standing in for cilium_vxlan, which
    // the fake node lacks), in the inner hash the outer map names by the group (written with its fd).
    const multicast = multicastMapSpecs(minor);
    if (multicast) {
      const subscribers = track(await createMap(multicast.subscribers));
      await fill(subscribers, cilium.encode.multicastSubscribers([
        { address: first.ip, ifindex: first.lxc.ifindex, flags: 0 },
        { address: GATEWAY_NODE_IP, ifindex: hostDevice.ifindex, flags: MULTICAST_REMOTE },
      ], { version }), multicast.subscribers.valueSize);
      const groups = cilium.encode.multicastGroups([{ group: MULTICAST_GROUP, innerMapId: subscribers.fd }], { version });
      await fill(await makeMap(multicast.groups, multicast.groups.maxEntries, subscribers), groups, groups.valueSize);
    }

    // The runtime config as an agent writes it at start: the Unix time of boot in 512 ns units (from
    // /proc/stat's btime, as pkg/datapath/linux/utime reads it). AgentLiveness stays 0, as before an
    // agent's first heartbeat: no agent runs here to renew it every second.
    const btime = BigInt(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]);
    const runtimeConfig = cilium.encode.runtimeConfig([{ index: 0, value: btime * (1_000_000_000n >> 9n) }], { version });
    await fill(await makeMap(specs.runtimeConfig), runtimeConfig, runtimeConfig.valueSize);

    // Per endpoint: a policy map allowing TCP 80 from the other pods and all egress. The egress
    // entry has counted traffic: in the entry up to 1.17, in cilium_policystats from 1.18 (where
    // the ingress entries, which counted none, have no row).
    const statsSpec = policyStatsMapSpec(minor, cpus);
    const statsMap = statsSpec && (await makeMap(statsSpec, FIXTURE_MAX_ENTRIES - (FIXTURE_MAX_ENTRIES % cpus)));
    for (const p of pods) {
      const policy = cilium.encode.policy([
        { identity: 0, direction: 'egress', packets: 4n, bytes: 296n },
        ...pods.filter((o) => o !== p).map((o) => ({ identity: o.identity, direction: 'ingress' as const, protocol: 6, port: 80 })),
      ], { version });
      await fill(await makeMap(policyMapSpec(minor, p.endpointId)), policy, policy.valueSize);
      if (statsMap) {
        const stats = cilium.encode.policyStats([
          { endpointId: p.endpointId, identity: 0, direction: 'egress', lpmPrefixLength: 0, protocol: 0, port: 0, perCpu: spread(4, 296) },
        ], { version, cpus });
        await fill(statsMap, stats, cpus * 16);
      }
    }

    // 1.14–1.17, tunnel routing: the gateway node's pod CIDRs tunneled to it with its IPsec key (3,
    // as its node map SPI), and a pod CIDR of cluster 7 to that cluster's node.
    const tunnelSpec = tunnelMapSpec(minor);
    if (tunnelSpec) {
      const tunnel = cilium.encode.tunnel([
        { ip: REMOTE_POD_CIDR, endpoint: GATEWAY_NODE_IP, encryptKey: 3 },
        { ip: REMOTE_POD_CIDR6, endpoint: GATEWAY_NODE_IP, encryptKey: 3 },
        { ip: MESH_POD_CIDR, clusterId: MESH_CLUSTER_ID, endpoint: MESH_NODE_IP },
      ], { version });
      await fill(await makeMap(tunnelSpec, FIXTURE_MAX_ENTRIES), tunnel, tunnel.valueSize);
    }
    // 1.14–1.18, --enable-recorder: rule 1 captures the first pod's HTTPS to the outside network
    // (128 bytes a packet), rule 2 all DNS over IPv6 to the documentation range (whole packets).
    const recorder4 = recorderMapSpec(minor, 4);
    const recorder6 = recorderMapSpec(minor, 6);
    if (recorder4 && recorder6) {
      const rule4 = cilium.encode.recorder([{
        sourceIp: first.ip, sourcePrefixLength: 32, sourcePort: 0, destinationIp: NAT_REMOTE_NET, destinationPrefixLength: 24, destinationPort: 443, protocol: 6, ruleId: 1, capLen: 128,
      }], { version });
      await fill(await makeMap(recorder4), rule4, rule4.valueSize);
      const rule6 = cilium.encode.recorder([{
        sourceIp: '::', sourcePrefixLength: 0, sourcePort: 0, destinationIp: '2001:db8::', destinationPrefixLength: 32, destinationPort: 53, protocol: 17, ruleId: 2, capLen: 0,
      }], { version, family: 6 });
      await fill(await makeMap(recorder6), rule6, rule6.valueSize);
    }

    // Source ranges (--enable-svc-source-range-check, on by default): the documentation network
    // and one host admitted to the service (rev-NAT index 1), as a LoadBalancer service's
    // loadBalancerSourceRanges would put them (the service entry itself carries no source-range
    // flag here, so `lb list` stays a ClusterIP's); the IPv6 map with a range of an IPv6 service 2.
    const ranges4 = cilium.encode.sourceRanges([{ revNatIndex: 1, cidr: `${NAT_REMOTE_NET}/24` }, { revNatIndex: 1, cidr: `${NODE_IP}/32` }], { version });
    await fill(await makeMap(sourceRangeMapSpec(minor, 4)), ranges4, ranges4.valueSize);
    const ranges6 = cilium.encode.sourceRanges([{ revNatIndex: 2, cidr: '2001:db8::/32' }], { version, family: 6 });
    await fill(await makeMap(sourceRangeMapSpec(minor, 6)), ranges6, ranges6.valueSize);

    // Programs: cil_from_container on each lxc ingress (tcx with a pinned link from 1.16, a cls_bpf
    // filter named `<prog>-<ifname>` before), cil_to_host/cil_from_host on cilium_host, cil_to_host
    // on cilium_net.
    const clsact = new Set<string>();
    const attach = async (ifname: string, ifindex: number, progName: string, direction: 'ingress' | 'egress', linksDir: string) => {
      const program = track(await loadProgram({ type: 'sched_cls', name: progName }));
      if (minor >= 16) {
        const link = track(await attachTcx(program, ifindex, direction));
        mkdirSync(linksDir, { recursive: true });
        await pin(link, `${linksDir}/${progName}`);
      } else {
        // One clsact qdisc per device holds both directions; removing it once removes every filter.
        const filter = await addTcFilter({ ifname, direction, program, name: `${progName}-${ifname}` });
        if (!clsact.has(ifname)) track(filter);
        clsact.add(ifname);
      }
    };
    for (const p of pods) {
      if (!p.faults.includes('program')) await attach(p.lxc.name, p.lxc.ifindex, 'cil_from_container', 'ingress', endpointLinksDir(bpffs, p.endpointId));
    }
    // cil_to_host runs on cilium_net's ingress too (cilium-maps.md §7.1, §7.3).
    const deviceLinks = (ifname: string) => `${bpffs}/cilium/devices/${ifname.replace(/\./g, '-')}/links`;
    await attach(hostName, hostDevice.ifindex, 'cil_to_host', 'ingress', deviceLinks(hostName));
    await attach(hostName, hostDevice.ifindex, 'cil_from_host', 'egress', deviceLinks(hostName));
    await attach(netName, (await device(netName)).ifindex, 'cil_to_host', 'ingress', deviceLinks(netName));

    return { version, bpffs, gateway, hostDevice, pods, maps, destroy: once(() => teardown.run()) };
  } catch (err) {
    await teardown.run().catch(() => undefined); // the creation error is the one to report
    throw err;
  }
}
