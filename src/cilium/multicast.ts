// Multicast groups and their subscribers (`cilium-dbg bpf multicast group list`, `cilium-dbg bpf
// multicast subscriber list <group>|all`). A map of maps: the outer map names, per IPv4 group, an
// inner hash of the group's subscribers: local pods that joined it by IGMP, and remote nodes the
// datapath sends a copy to through the tunnel.
//
// Cilium versions → maps, key/value layout (1.16–1.20-dev, unchanged; 1.14 and 1.15 have none):
//
//   cilium_mcast_group_outer_v4_map   BPF_MAP_TYPE_HASH_OF_MAPS, MCAST_MAX_GROUP = 1024 entries,
//                                     flags 0 (preallocated, the agent's default), BPF_F_NO_PREALLOC
//                                     with --preallocate-bpf-maps=false (as Helm sets it)
//     key   mcast_group_v4: the group's address, be32, 4 B
//     value u32: the inner map's fd when written; its id when user space reads it
//   cilium_mcast_subscriber_v4_inner (each group's inner map; the kernel keeps 'cilium_mcast_su')
//                                     BPF_MAP_TYPE_HASH, MCAST_MAX_SUBSCRIBERS = 1024 entries,
//                                     flags as the outer map's
//     key   be32 saddr: the subscriber's address, 4 B
//     value struct mcast_subscriber_v4, 12 B: saddr be32 @0 (the key again), ifindex u32 @4,
//           pad1 u16 @8, pad2 u8 @10, flags u8 @11 (MCAST_SUB_F_REMOTE = 1: a remote node)
// The agent creates and pins the outer map with --multicast-enabled on a kernel with
// bpf_for_each_map_elem (5.13+), else no node has it. The datapath adds a local subscriber when a
// pod sends an IGMP report (ifindex: the pod's lxc device, where the report came in) and removes it
// on leave; `cilium-dbg bpf multicast subscriber add` adds remote ones (ifindex: cilium_vxlan's,
// which the 1.20-dev datapath no longer reads: it sends remote copies to ENCAP_IFINDEX). Read from
// bpf/lib/mcast.h, pkg/maps/multicast/subscribermap.go and cilium-dbg/cmd/bpf_multicast_*.go of
// 1.16 to 1.20-dev (which changed only logging and where the map is declared); not in cilium-maps.md.
import { defineLayout, formatIpv6, parseIpv4, parseIpv6, type Decoded } from '../layout';
import { decodePairs, encodePairs, encodeVersion, rowFor, type DecodeOptions, type MapLayout, type PackedEntries } from './codec';
import { INNER_MAP_ID } from './maglev';
import { tabwrite } from './text';
import { withLayout, type CiliumRecords } from './version';

const GROUP = defineLayout({ group: { offset: 0, type: 'ipv4' } }, 4);
const SUBSCRIBER_KEY = defineLayout({ address: { offset: 0, type: 'ipv4' } }, 4);
const SUBSCRIBER = defineLayout({
  address: { offset: 0, type: 'ipv4' },
  ifindex: { offset: 4, type: 'u32' },
  flags: { offset: 11, type: 'u8' },
}, 12);

/** The outer map: each group's entry names its inner map of subscribers. */
export const MULTICAST_GROUP_LAYOUTS: readonly MapLayout[] = [
  { since: 16, until: 20, map: 'cilium_mcast_group_outer_v4_map', name: 'mcast_group_v4 / inner map id (hash of maps)', keySize: 4, valueSize: 4, key: GROUP, value: INNER_MAP_ID },
];
/** A group's inner map. */
export const MULTICAST_SUBSCRIBER_LAYOUTS: readonly MapLayout[] = [
  { since: 16, until: 20, map: 'cilium_mcast_subscriber_v4_inner', name: 'be32 saddr / mcast_subscriber_v4', keySize: 4, valueSize: 12, key: SUBSCRIBER_KEY, value: SUBSCRIBER },
];

/** MCAST_SUB_F_REMOTE: the subscriber is a node, reached through the tunnel. */
const REMOTE = 1;

export interface MulticastSubscriberRecord {
  /** A local pod's address, or a remote node's (the tunnel endpoint the group's traffic is sent to). */
  address: string;
  /** A local pod's lxc device; for a remote node the tunnel device it was added with (cilium_vxlan). */
  ifindex: number;
  /** MCAST_SUB_F_REMOTE (bit 0 of flags) set: a remote node, where the datapath reads it so. */
  remote: boolean;
  /** The flags byte as stored; cilium-dbg prints any non-zero flags as a remote node. */
  flags: number;
}

export interface MulticastGroupRecord {
  /** The group's IPv4 multicast address. */
  group: string;
  /** The id of the inner map holding the group's subscribers (the outer map's value as user space reads it). */
  innerMapId: number;
  /**
   * The group's subscribers, in the kernel's order: `cilium.multicast()` reads them from the inner
   * map; undefined from `cilium.decode.multicastGroups`, whose bytes only name that map.
   */
  subscribers?: MulticastSubscriberRecord[];
}

type Group = Decoded<typeof GROUP.fields>;
type InnerMapId = Decoded<typeof INNER_MAP_ID.fields>;
type Subscriber = Decoded<typeof SUBSCRIBER.fields>;

/** Decodes the outer map's entries: group addresses and their inner map ids (its values as a dump reads them). */
export function decodeMulticastGroups(keys: Buffer, values: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<MulticastGroupRecord> {
  const { keys: ks, values: vs, used } = decodePairs<Group, InnerMapId>('multicast groups', MULTICAST_GROUP_LAYOUTS, keys, values, count, options);
  return withLayout(ks.map((k, i): MulticastGroupRecord => ({ group: k.group, innerMapId: vs[i].innerMapId })), used);
}

/** Decodes one group's inner map: its subscribers (the address the value holds, as the datapath and cilium-dbg read it). */
export function decodeMulticastSubscribers(keys: Buffer, values: Buffer, count: number, options: DecodeOptions = {}): CiliumRecords<MulticastSubscriberRecord> {
  const { values: vs, used } = decodePairs<unknown, Subscriber>('multicast subscribers', MULTICAST_SUBSCRIBER_LAYOUTS, keys, values, count, options);
  return withLayout(vs.map((v): MulticastSubscriberRecord => ({ address: v.address, ifindex: v.ifindex, remote: (v.flags & REMOTE) !== 0, flags: v.flags })), used);
}

/**
 * Packs the outer map's entries. A dump reads each value as the inner map's id; to write the map,
 * give each inner map's fd as `innerMapId`: the kernel takes an fd where it gives back an id.
 */
export function encodeMulticastGroups(entries: readonly Pick<MulticastGroupRecord, 'group' | 'innerMapId'>[], options: { version?: string } = {}): PackedEntries {
  const row = rowFor(MULTICAST_GROUP_LAYOUTS, encodeVersion(options, 'cilium multicast groups encode options'));
  return encodePairs(row, entries.map(({ group, innerMapId }) => [{ group }, { innerMapId }] as const));
}

/** Packs one group's subscribers for its inner map, each keyed by its address as the datapath keys them. */
export function encodeMulticastSubscribers(entries: readonly Pick<MulticastSubscriberRecord, 'address' | 'ifindex' | 'flags'>[], options: { version?: string } = {}): PackedEntries {
  const row = rowFor(MULTICAST_SUBSCRIBER_LAYOUTS, encodeVersion(options, 'cilium multicast subscribers encode options'));
  return encodePairs(row, entries.map(({ address, ifindex, flags }) => [{ address }, { address, ifindex, flags }] as const));
}

/**
 * A group as cilium-dbg's `parseMulticastGroupArgs` takes it: an IPv4 multicast address (224.0.0.0/4),
 * returned as the decoders print it. Another address is a RangeError saying what cilium-dbg says,
 * `invalid multicast IP: <address>` (IPv6, IPv4-mapped ones too, as Go's netip prints them); no
 * address at all `invalid IP address format` (where cilium-dbg quotes Go's parser).
 */
export function multicastGroup(group: unknown): string {
  if (typeof group !== 'string') throw new TypeError(`a multicast group must be a string, got ${typeof group}`);
  let address: Buffer;
  try {
    address = group.includes(':') ? parseIpv6(group) : parseIpv4(group);
  } catch {
    throw new RangeError(`invalid IP address format: '${group}' is no IP address`);
  }
  // netip.ParseAddr refuses an IPv4 octet with a leading zero (224.000.0.1), which parseIpv4 reads as 224.0.0.1.
  const dotted = group.slice(group.lastIndexOf(':') + 1);
  if (dotted.split('.').some((octet) => /^0\d/.test(octet))) {
    throw new RangeError(`invalid IP address format: '${group}' has an IPv4 field with a leading zero`);
  }
  if (address.length !== 4) throw new RangeError(`invalid multicast IP: ${formatIpv6(address)}`);
  const text = [...address].join('.');
  if ((address[0] & 0xf0) !== 0xe0) throw new RangeError(`invalid multicast IP: ${text}`);
  return text;
}

/** netip.Addr.Compare of two IPv4 addresses: by value. */
function compareIpv4(a: string, b: string): number {
  return parseIpv4(a).readUInt32BE() - parseIpv4(b).readUInt32BE();
}

/**
 * `cilium-dbg bpf multicast group list` (1.16+, the same text since): `Group Address`, then the
 * groups sorted by address, one a line (written through a tabwriter, but without a tab, so never
 * padded). The header alone for none.
 */
export function formatMulticastGroups(records: readonly Pick<MulticastGroupRecord, 'group'>[]): string {
  if (!Array.isArray(records)) throw new TypeError('cilium.format.multicastGroups: records must be an array');
  return ['Group Address', ...records.map((r) => r.group).sort(compareIpv4)].map((line) => `${line}\n`).join('');
}

/** `tabwriter.NewWriter(os.Stdout, 16, 1, 0, ' ', 0)`: the subscriber list's own widths. */
const SUBSCRIBER_WIDTHS = { minWidth: 16, padding: 0 };

/**
 * `cilium-dbg bpf multicast subscriber list <group>|all` (1.16+, the same text since) of the groups
 * given: Group, Subscriber, Type, every cell ended by a tab (so the last column is padded too), 16
 * columns wide at least; groups sorted by address, a group's subscribers by address under it (the
 * group named on its first line), `Local Endpoint` or, for non-zero flags, `Remote Node`; a group
 * without subscribers on a line of its own. The header alone for no groups (`all` on a node
 * without). Records need their subscribers, as `cilium.multicast()` gives them.
 */
export function formatMulticastSubscribers(records: readonly Pick<MulticastGroupRecord, 'group' | 'subscribers'>[]): string {
  if (!Array.isArray(records)) throw new TypeError('cilium.format.multicastSubscribers: records must be an array');
  for (const { group, subscribers } of records) {
    // Subscribers alone (cilium.decode.multicastSubscribers of one inner map) name no group.
    if (typeof group !== 'string' || !Array.isArray(subscribers)) {
      throw new TypeError(`cilium.format.multicastSubscribers: each record must be a group with its subscribers array, as cilium.multicast() reads them; got group ${String(group)}`);
    }
  }
  const lines: string[][] = [['Group', 'Subscriber', 'Type', '']];
  for (const { group, subscribers } of [...records].sort((a, b) => compareIpv4(a.group, b.group))) {
    if (subscribers.length === 0) lines.push([group, '']);
    [...subscribers].sort((a, b) => compareIpv4(a.address, b.address)).forEach((s, i) => {
      lines.push([i === 0 ? group : '', s.address, s.flags !== 0 ? 'Remote Node' : 'Local Endpoint', '']);
    });
  }
  return tabwrite(lines, SUBSCRIBER_WIDTHS);
}
