// A small Cilium-like node in namespaces, built with bpfscope/testing's network fixtures (no `ip`):
// pods whose eth0 pairs with a host-side lxc… veth, pod addresses, the /32 gateway route and a
// default route via it, a neighbour entry for the gateway, tcx programs on the host veths, a
// legacy cls_bpf filter on one, generic XDP on another, a bridge with a port, and a `sleep`
// process in each pod (in a cgroup named like a containerd container) to resolve.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readlinkSync, rmdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import {
  addAddress,
  addNeighbor,
  addRoute,
  addTcFilter,
  attachTcx,
  attachXdp,
  createBridge,
  createNetns,
  createVeth,
  loadProgram,
  returnInsns,
  setLink,
  type KernelObject,
  type NamedNetns,
  type Removable,
} from 'bpfscope/testing';
import { cgroup2Mount, ipJson, run, toolEnv, uniqueName } from './kernel';

export const GATEWAY = '10.3.0.179';

export interface Pod {
  netns: string;
  host: string;
  hostIfindex: number;
  hostMac: string;
  podIfindex: number;
  ip: string;
  sleeper: ChildProcess;
  pid: number;
  containerId: string;
}

export interface World {
  pods: Pod[];
  bridge: string;
  bridgePort: string;
  fromContainer: KernelObject;
  toContainer: KernelObject;
  extraEgress: KernelObject;
  tcProg: KernelObject;
  xdpProg: KernelObject;
  podTcx: KernelObject;
  tcxLinks: KernelObject[];
  cgroupRoot: string;
  teardown(): Promise<void>;
}

/** Waits for a process to exit (or be gone already). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Brings a link of the world up with no IPv6 address of its own. A link-local address would make
 * the kernel work on for a second or more after the link is up (duplicate address detection, the
 * local route once it passes, router and multicast solicitations, each adding routes and
 * neighbour entries), and a test comparing a listing with `ip` would race that.
 */
async function quietUp(ifname: string, ns?: NamedNetns): Promise<void> {
  run('ip', [...(ns ? ['-n', ns.name] : []), 'link', 'set', 'dev', ifname, 'addrgenmode', 'none']);
  await setLink({ netns: ns?.ref, ifname, up: true });
}

export async function buildWorld(podCount = 3): Promise<World> {
  const undo: (() => Promise<void> | void)[] = [];
  const track = <T extends Removable>(r: T): T => {
    undo.push(() => r.remove());
    return r;
  };
  const own = (o: KernelObject): KernelObject => {
    undo.push(() => o.close());
    return o;
  };
  // Undoes everything, then reports what failed: a swallowed failure once hid namespaces that
  // outlived their deletion.
  const teardown = async (): Promise<void> => {
    const failures: unknown[] = [];
    for (const fn of undo.reverse()) {
      try {
        await fn();
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, `world teardown: ${failures.length} undo step(s) failed`);
  };
  try {
    const tag = uniqueName('w');
    const cgroupRoot = `${cgroup2Mount()}/bpfscope-${tag}`;
    mkdirSync(cgroupRoot);
    undo.push(() => rmdirSync(cgroupRoot));

    const fromContainer = own(await loadProgram({ type: 'sched_cls', name: 'cil_from_container' }));
    const toContainer = own(await loadProgram({ type: 'sched_cls', name: 'cil_to_container' }));
    const extraEgress = own(await loadProgram({ type: 'sched_cls', name: 'bpfs_egress_two' }));
    const tcProg = own(await loadProgram({ type: 'sched_cls', name: 'bpfs_legacy_tc' }));
    const xdpProg = own(await loadProgram({ type: 'xdp', name: 'bpfs_xdp_pass', insns: returnInsns(2) }));
    const podTcx = own(await loadProgram({ type: 'sched_cls', name: 'bpfs_in_pod' }));
    const tcxLinks: KernelObject[] = [];

    const pods: Pod[] = [];
    for (let i = 0; i < podCount; i++) {
      const ns = track(await createNetns(`${tag}p${i}`));
      const host = `lxc${tag}${i}`.slice(0, 15);
      track(await createVeth({ name: host, peerName: 'eth0', peerNetns: ns.ref, up: false }));
      await quietUp(host);
      await quietUp('eth0', ns);
      const ip = `10.3.0.${11 + i}`;
      await setLink({ netns: ns.ref, ifname: 'lo', up: true });
      await addAddress({ netns: ns.ref, ifname: 'eth0', address: `${ip}/32` });
      await addRoute({ netns: ns.ref, dst: `${GATEWAY}/32`, dev: 'eth0' });
      await addRoute({ netns: ns.ref, dst: 'default', via: GATEWAY, dev: 'eth0' });
      const [hostLink] = ipJson<{ ifindex: number; address: string }[]>(['link', 'show', host]);
      const [podLink] = ipJson<{ ifindex: number }[]>(['link', 'show', 'eth0'], ns.name);
      await addNeighbor({ netns: ns.ref, ifname: 'eth0', ip: GATEWAY, lladdr: hostLink.address });
      tcxLinks.push(own(await attachTcx(fromContainer, hostLink.ifindex, 'ingress')));
      tcxLinks.push(own(await attachTcx(toContainer, hostLink.ifindex, 'egress')));

      const containerId = randomBytes(32).toString('hex');
      const scope = `${cgroupRoot}/cri-containerd-${containerId}.scope`;
      mkdirSync(scope);
      const sleeper = spawn('ip', ['netns', 'exec', ns.name, 'sleep', '300'], { stdio: 'ignore', env: toolEnv });
      undo.push(async () => {
        sleeper.kill('SIGKILL');
        await exited(sleeper);
        if (existsSync(scope)) rmdirSync(scope);
      });
      await new Promise((r) => setTimeout(r, 50));
      // `ip netns exec` execs sleep in the same process once it has entered the namespace.
      for (let tries = 0; tries < 100; tries++) {
        try {
          if (readlinkSync(`/proc/${sleeper.pid}/exe`).endsWith('/sleep')) break;
        } catch {
          // not yet
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      writeFileSync(`${scope}/cgroup.procs`, String(sleeper.pid));
      pods.push({
        netns: ns.name,
        host,
        hostIfindex: hostLink.ifindex,
        hostMac: hostLink.address,
        podIfindex: podLink.ifindex,
        ip,
        sleeper,
        pid: sleeper.pid!,
        containerId,
      });
    }
    // Pod 0's host side: a second egress program after the first (execution order).
    tcxLinks.push(own(await attachTcx(extraEgress, pods[0].hostIfindex, 'egress')));
    // Inside pod 0, a tcx program attached without a link (bpftool uses BPF_PROG_ATTACH): only a
    // query from a thread inside that namespace can see it.
    run('ip', ['netns', 'exec', pods[0].netns, 'bpftool', 'net', 'attach', 'tcx_ingress', 'id', String(podTcx.id), 'dev', 'eth0']);
    // Pod 1's host side: a legacy cls_bpf filter; pod 2's: generic XDP.
    track(await addTcFilter({ ifname: pods[1].host, direction: 'ingress', program: tcProg, priority: 7, handle: 3, name: 'bpf_lxc.o:[from-container]' }));
    if (pods[2]) track(await attachXdp({ ifname: pods[2].host, program: xdpProg }));

    const bridge = `br${tag}`.slice(0, 15);
    const bridgePort = `bp${tag}`.slice(0, 15);
    // Down until its addrgenmode is none: a bridge brought up with it on makes a link-local
    // address (its operstate reads UNKNOWN, as up, until linkwatch runs), whose local route
    // appears only when DAD ends, a second or more later, in the middle of a comparison with ip.
    track(await createBridge({ name: bridge, up: false }));
    await quietUp(bridge);
    track(await createVeth({ name: bridgePort, peerName: `bq${tag}`.slice(0, 15), up: false }));
    await quietUp(`bq${tag}`.slice(0, 15));
    run('ip', ['link', 'set', 'dev', bridgePort, 'addrgenmode', 'none']);
    await setLink({ ifname: bridgePort, up: true, master: bridge });

    // Carrier and operstate change asynchronously (linkwatch); comparisons need them settled.
    const devices = [bridge, bridgePort, ...pods.map((p) => p.host)];
    for (let tries = 0; ; tries++) {
      const states = ipJson<{ ifname: string; operstate: string }[]>(['link', 'show']);
      if (devices.every((d) => states.find((s) => s.ifname === d)?.operstate === 'UP')) break;
      if (tries > 300) throw new Error(`devices did not come up: ${JSON.stringify(states.filter((s) => devices.includes(s.ifname)))}`);
      await new Promise((r) => setTimeout(r, 10));
    }

    return { pods, bridge, bridgePort, fromContainer, toContainer, extraEgress, tcProg, xdpProg, podTcx, tcxLinks, cgroupRoot, teardown };
  } catch (err) {
    await teardown().catch((undoErr: unknown) => {
      throw new AggregateError([err, undoErr], 'building the world failed, and so did undoing it');
    });
    throw err;
  }
}
