// veth peers across namespaces: from a pod's eth0 to its host-side lxc… device (and its BPF
// programs), or from a host-side device to the namespace and processes behind it. This is the
// `nsenter -t PID -n ethtool -S eth0 | grep peer_ifindex` → `ip link | grep IDX` → `bpftool net`
// chain in one call.
import { joinAttachments, rawAttachments, deviceOption, type Attachment } from './attachments';
import { BpfError, withCallerStack } from './errors';
import { getEthtoolStats, interfacesOf, type InterfaceInfo, type NetnsOptions } from './interfaces';
import { native } from './native';
import { netnsInfoOf, netnsPath, nsidsFrom, ownNetnsId, visitNetns, type NetnsInfo } from './netns';
import { checkOptions } from './validate';

export interface FindPeerOptions extends NetnsOptions {
  /** The interface whose peer to find, by name or alternative name (up to 127 bytes of UTF-8, as the kernel counts); default 'eth0'. */
  ifname?: string;
  /** Or the interface by ifindex (in `netns`). */
  ifindex?: number;
}

export interface PeerInfo {
  /** The peer device, with fields as listInterfaces() gives them (ifindex valid in `netns`). */
  interface: InterfaceInfo;
  name: string;
  ifindex: number;
  mac?: string;
  /** The namespace the peer is in. For the caller's own namespace what holds it is not collected: `names`, `pids`, `mounts` and `foreignMounts` are empty, `fds` undefined. */
  netns: NetnsInfo;
  /** BPF programs on the peer device (tcx, tc, XDP), as listAttachments() gives them. */
  attachments: Attachment[];
  /** How the peer's ifindex was found: IFLA_LINK from rtnetlink, or the veth driver's ethtool `peer_ifindex`. */
  foundBy: 'IFLA_LINK' | 'ethtool';
}

export interface FindPeerResult {
  /** The interface that was asked about. */
  local: InterfaceInfo;
  /** Its peer; undefined when the device has none (not a veth/netkit, or the peer is gone). */
  peer?: PeerInfo;
}

function enodev(object: string, detail?: string): BpfError {
  return new BpfError({ errno: 19, code: 'ENODEV', op: 'findPeer', object, description: 'No such device', detail });
}

/** The caller's own namespace as a NetnsInfo; what holds it (names, pids, …) is not collected for it. */
async function ownNetns(): Promise<NetnsInfo> {
  const own = await ownNetnsId();
  return { inode: own.ino, dev: own.dev, names: [], pids: [], mounts: [], foreignMounts: [], path: '/proc/self/ns/net', current: true };
}

/**
 * The namespace that has nsid `nsid` as seen from inside `from` (undefined: the caller's own).
 * The caller's namespace is tried first, since a pod's peer is usually on the host.
 */
async function namespaceWithNsid(from: string | undefined, nsid: number): Promise<NetnsInfo | undefined> {
  if (from !== undefined) {
    const [own] = await nsidsFrom(from, ['/proc/self/ns/net']);
    if (own === nsid) return ownNetns();
  }
  return visitNetns(async (namespaces) => {
    if (from === undefined) return namespaces.find((ns) => ns.nsid === nsid);
    const nsids = await nsidsFrom(from, namespaces.map((ns) => ns.path));
    return namespaces.find((_, i) => nsids[i] === nsid);
  });
}

/**
 * The veth (or netkit) peer of an interface. From a pod (`{ netns: { pid } }`, default ifname
 * 'eth0') it finds the host-side device with its BPF attachments; from a host-side device it
 * finds the pod's namespace with its names and pids. The peer's ifindex comes from IFLA_LINK,
 * or from ethtool's `peer_ifindex` where the kernel sends no IFLA_LINK.
 */
export async function findPeer(options?: FindPeerOptions): Promise<FindPeerResult> {
  const o = checkOptions<FindPeerOptions>(options, ['netns', 'ifname', 'ifindex'], 'findPeer');
  const netns = netnsPath(o.netns, 'findPeer: netns');
  // Matched below against the listing's names and alternative names.
  const device = deviceOption(o, 'findPeer') ?? 'eth0';
  const links = interfacesOf(await withCallerStack(() => native().netLinks(netns)));
  // By name as the kernel resolves one: the interface's name or one of its alternative names.
  const local = links.find((l) => (typeof device === 'string' ? l.name === device || l.altNames?.includes(device) : l.ifindex === device));
  if (!local) throw enodev(`interface ${device}`, netns ? `not in netns ${netns}` : 'not in this namespace');

  // Only a veth or a netkit device has a peer: the IFLA_LINK of a macvlan, vlan or ipvlan names
  // its lower device (a Multus macvlan's is a host NIC), which is no peer.
  if (local.kind !== 'veth' && local.kind !== 'netkit') return { local };

  // IFLA_LINK. The kernel leaves it out when it equals the device's own ifindex; older kernels
  // did so even for a peer in another namespace that has the same ifindex, whence ethtool.
  let peerIfindex = local.linkIndex || undefined;
  let foundBy: PeerInfo['foundBy'] = 'IFLA_LINK';
  if (!peerIfindex && local.kind === 'veth') {
    const stats = await getEthtoolStats({ ...(o.netns ? { netns: o.netns } : {}), ifname: local.name });
    const fromEthtool = stats.get('peer_ifindex');
    if (fromEthtool) {
      peerIfindex = Number(fromEthtool);
      foundBy = 'ethtool';
    }
  }
  if (!peerIfindex) return { local };

  // Without IFLA_LINK_NETNSID the peer is in the same namespace (the kernel sends it whenever the
  // peer is elsewhere). ethtool gives no namespace: if the same namespace has no such ifindex,
  // the lookup below finds no device and the result has no peer.
  let peerNs: NetnsInfo | undefined;
  if (local.linkNetnsId === undefined) {
    peerNs = netns === undefined ? await ownNetns() : await netnsInfoOf(netns);
  } else {
    peerNs = await namespaceWithNsid(netns, local.linkNetnsId);
  }
  if (!peerNs) {
    throw enodev(`peer of ${local.name} (ifindex ${peerIfindex}, nsid ${local.linkNetnsId ?? 'none'})`,
      'no namespace found with that nsid: it may have just been deleted, or be held where listNetns() does not look (only by the kernel, or by processes whose fds the caller may not read)');
  }
  const peerPath = peerNs.current ? undefined : peerNs.path;
  const found = await rawAttachments(peerPath, peerIfindex).catch((err: unknown) => {
    if (err instanceof BpfError && err.code === 'ENODEV') return undefined; // the peer went away meanwhile
    throw err;
  });
  // The peer's fields as listInterfaces() gives them. Its listing above holds the peer alone:
  // in the local namespace the whole listing read first has it, with M-DOWN found and its master
  // named; elsewhere a master (the bridge of a docker0 or cni0 host veth) is named by its ifindex.
  const sameNamespace = local.linkNetnsId === undefined;
  const iface = found && (sameNamespace ? links : interfacesOf(found.links)).find((l) => l.ifindex === peerIfindex);
  if (!found || !iface) return { local };
  if (!sameNamespace && iface.masterIfindex !== undefined) {
    const master = iface.masterIfindex;
    const listed = await rawAttachments(peerPath, master).catch(() => undefined); // gone meanwhile: unnamed
    const name = listed && interfacesOf(listed.links).find((l) => l.ifindex === master)?.name;
    if (name !== undefined) iface.master = name;
  }
  const peer: PeerInfo = {
    interface: iface,
    name: iface.name,
    ifindex: iface.ifindex,
    netns: peerNs,
    attachments: joinAttachments(found),
    foundBy,
  };
  if (iface.mac !== undefined) peer.mac = iface.mac;
  return { local, peer };
}
