// Cilium's name tables (cilium-maps.md §4.4, §4.6, §4.7, §6): metric reasons, directions, source
// file ids and reserved identities, each entry with the versions that have it.
import type { Minor } from './version';

/** [code, text, since, until?]: `pkg/monitor/api/drop.go` `errors`. */
const REASON_ROWS: readonly (readonly [number, string, Minor, Minor?])[] = [
  [0, 'Success', 14], [2, 'Invalid packet', 14], [3, 'Interface', 14], [4, 'Interface Decrypted', 14],
  [5, 'LB, sock cgroup: No backend slot entry found', 14], [6, 'LB, sock cgroup: No backend entry found', 14],
  [7, 'LB, sock cgroup: Reverse entry update failed', 14], [8, 'LB, sock cgroup: Reverse entry stale', 14],
  [9, 'Fragmented packet', 14], [10, 'Fragmented packet entry update failed', 14],
  [11, 'Missed tail call to custom program', 14],
  [12, 'Interface Decrypting', 18], [13, 'Interface Encrypting', 18],
  [14, 'LB: sock cgroup: Reverse entry delete succeeded', 18], [15, 'MTU error message', 19],
  [130, 'Invalid source mac', 14], [131, 'Invalid destination mac', 14], [132, 'Invalid source ip', 14],
  [133, 'Policy denied', 14], [134, 'Invalid packet', 14], [135, 'CT: Truncated or invalid header', 14],
  [136, 'Fragmentation needed', 14], [137, 'CT: Unknown L4 protocol', 14],
  [138, "CT: Can't create entry from packet", 14], [139, 'Unsupported L3 protocol', 14],
  [140, 'Missed tail call', 14], [141, 'Error writing to packet', 14], [142, 'Unknown L4 protocol', 14],
  [143, 'Unknown ICMPv4 code', 14], [144, 'Unknown ICMPv4 type', 14], [145, 'Unknown ICMPv6 code', 14],
  [146, 'Unknown ICMPv6 type', 14], [147, 'Error retrieving tunnel key', 14],
  [148, 'Error retrieving tunnel options', 14], [149, 'Invalid Geneve option', 14],
  [150, 'Unknown L3 target address', 14], [151, 'Stale or unroutable IP', 14],
  [152, 'No matching local container found', 14], [153, 'Error while correcting L3 checksum', 14],
  [154, 'Error while correcting L4 checksum', 14], [155, 'CT: Map insertion failed', 14],
  [156, 'Invalid IPv6 extension header', 14], [157, 'IP fragmentation not supported', 14],
  [158, 'Service backend not found', 14], [160, 'No tunnel/encapsulation endpoint (datapath BUG!)', 14],
  [161, 'NAT 46/64 not enabled', 14], [162, 'Reached EDT rate-limiting drop horizon', 14],
  [163, 'Unknown connection tracking state', 14], [164, 'Local host is unreachable', 14],
  [165, 'No configuration available to perform policy decision', 14], [166, 'Unsupported L2 protocol', 14],
  [167, 'No mapping for NAT masquerade', 14], [168, 'Unsupported protocol for NAT masquerade', 14],
  [169, 'FIB lookup failed', 14], [170, 'Encapsulation traffic is prohibited', 14], [171, 'Invalid identity', 14],
  [172, 'Unknown sender', 14], [173, 'NAT not needed', 14], [174, 'Is a ClusterIP', 14],
  [175, 'First logical datagram fragment not found', 14], [176, 'Forbidden ICMPv6 message', 14],
  [177, 'Denied by LB src range check', 14], [178, 'Socket lookup failed', 14], [179, 'Socket assign failed', 14],
  [180, 'Proxy redirection not supported for protocol', 14], [181, 'Policy denied by denylist', 14],
  [182, 'VLAN traffic disallowed by VLAN filter', 14], [183, 'Incorrect VNI from VTEP', 14],
  [184, 'Failed to update or lookup TC buffer', 14], [185, 'No SID was found for the IP address', 14],
  [186, 'SRv6 state was removed during tail call', 14], [187, 'L3 translation from IPv4 to IPv6 failed (NAT46)', 14],
  [188, 'L3 translation from IPv6 to IPv4 failed (NAT64)', 14], [189, 'Authentication required', 14],
  [190, 'No conntrack map found', 14], [191, 'No nat map found', 14], [192, 'Invalid ClusterID', 14],
  [193, 'Unsupported packet protocol for DSR encapsulation', 14], [194, 'No egress gateway found', 14],
  [195, 'Traffic is unencrypted', 15], [196, 'TTL exceeded', 14], [197, 'No node ID found', 14],
  [198, 'Rate limited', 15],
  // 199–201 and 203 are in 1.15.7 (not at the 1.15 branch point); 202 was backported to 1.14.16.
  [199, 'IGMP handled', 15], [200, 'IGMP subscribed', 15], [201, 'Multicast handled', 15],
  [202, 'Host datapath not ready', 14], [203, 'Endpoint policy program not available', 15],
  [204, 'No Egress IP configured', 16], [205, 'Punt to proxy', 18], [206, 'No device', 20],
];

const REASONS_BY_VERSION = new Map<Minor, Map<number, string>>();

function reasonTable(minor: Minor): Map<number, string> {
  let table = REASONS_BY_VERSION.get(minor);
  if (!table) {
    table = new Map(REASON_ROWS.filter(([, , since, until]) => minor >= since && minor <= (until ?? Infinity)).map(([c, t]) => [c, t]));
    REASONS_BY_VERSION.set(minor, table);
  }
  return table;
}

/** `DropReason(code)` of that version: the text, or `'<code>, 0'` for codes it does not know. */
export function reasonName(code: number, minor: Minor): string {
  return reasonTable(minor).get(code) ?? `${code}, 0`;
}

/** Codes of 130 and above are drops, and so is 2 (`IsDrop`). */
export function isDropReason(code: number): boolean {
  return code >= 130 || code === 2;
}

/** `dir` → the text `metrics list` prints; any other value is UNKNOWN. */
export const DIRECTIONS = ['UNKNOWN', 'INGRESS', 'EGRESS', 'SERVICE'] as const;
export type MetricDirection = (typeof DIRECTIONS)[number];

export function directionName(dir: number): MetricDirection {
  return DIRECTIONS[dir] ?? 'UNKNOWN';
}

// Source file ids (`__id_for_file`, bpf/lib/source_info.h); renumbered between versions, none before 1.16.
const BASE_FILES: Record<number, string> = {
  1: 'bpf_host.c', 2: 'bpf_lxc.c', 3: 'bpf_overlay.c', 4: 'bpf_xdp.c', 5: 'bpf_sock.c', 6: 'bpf_network.c', 7: 'bpf_wireguard.c',
};
const HEADERS_1_16 = ['arp.h', 'drop.h', 'srv6.h', 'icmp6.h', 'nodeport.h', 'lb.h', 'mcast.h', 'ipv4.h', 'conntrack.h', 'l3.h', 'trace.h', 'encap.h', 'encrypt.h'];
const HEADERS_1_17 = [...HEADERS_1_16, 'host_firewall.h', 'nodeport_egress.h'];
const HEADERS_1_18 = [...HEADERS_1_17.map((h) => (h === 'l3.h' ? 'local_delivery.h' : h)), 'ipv6.h', 'classifiers.h'];
const HEADERS_1_19 = [
  'drop.h', 'srv6.h', 'icmp6.h', 'nodeport.h', 'lb.h', 'mcast.h', 'ipv4.h', 'conntrack.h', 'local_delivery.h',
  'trace.h', 'encap.h', 'host_firewall.h', 'nodeport_egress.h', 'ipv6.h', 'classifiers.h',
];

function fileTable(headers: string[], withoutNetwork = false): Map<number, string> {
  const table = new Map<number, string>(Object.entries(BASE_FILES).map(([id, name]) => [Number(id), name]));
  if (withoutNetwork) table.delete(6);
  headers.forEach((name, i) => table.set(101 + i, name));
  return table;
}

const FILES: Map<Minor, Map<number, string>> = new Map([
  [16, fileTable(HEADERS_1_16)],
  [17, fileTable(HEADERS_1_17)],
  [18, fileTable(HEADERS_1_18)],
  [19, fileTable(HEADERS_1_19)],
  [20, fileTable(HEADERS_1_19, true)], // main: id 6 is "available"
]);

/** `BPFFileName(id)` of that version: the file, or `unknown(<id>)`. Undefined before 1.16 (no file ids). */
export function fileName(id: number, minor: Minor): string | undefined {
  const table = FILES.get(minor);
  if (!table) return undefined;
  return table.get(id) ?? `unknown(${id})`;
}

/** Reserved identities (`pkg/identity/numericidentity.go`), names from `pkg/labels/labels.go`. */
const RESERVED_IDENTITIES: readonly (readonly [number, string, Minor])[] = [
  [0, 'unknown', 14], [1, 'host', 14], [2, 'world', 14], [3, 'unmanaged', 14], [4, 'health', 14], [5, 'init', 14],
  [6, 'remote-node', 14], [7, 'kube-apiserver', 14], [8, 'ingress', 14], [9, 'world-ipv4', 15], [10, 'world-ipv6', 15],
];

export function reservedIdentityName(identity: number, minor: Minor): string | undefined {
  const row = RESERVED_IDENTITIES.find(([id, , since]) => id === identity && minor >= since);
  return row?.[1];
}

/** The first version with the remote-node scope (`IdentityScopeRemoteNode = 2<<24`). */
const REMOTE_NODE_SCOPE_SINCE: Minor = 15;

/** Identity scope (bits 24–31) in that version: 0 global/reserved, 1 local (CIDR/FQDN), 2 remote-node (1.15+). */
export function identityScope(identity: number, minor: Minor): 'global' | 'local' | 'remote-node' | 'unknown' {
  const scope = identity >>> 24;
  if (scope === 2 && minor >= REMOTE_NODE_SCOPE_SINCE) return 'remote-node';
  return scope === 0 ? 'global' : scope === 1 ? 'local' : 'unknown';
}

/** IP protocols as cilium-dbg names them (`pkg/u8proto` `protoNames`), [number, name, since]; others print as the number. */
const PROTOCOLS: readonly (readonly [number, string, Minor])[] = [
  [0, 'ANY', 14], [1, 'ICMP', 14], [2, 'IGMP', 19], [4, 'IPIP', 20], [6, 'TCP', 14], [17, 'UDP', 14], [41, 'IPv6', 20],
  [47, 'GRE', 20], [50, 'ESP', 20], [51, 'AH', 20], [58, 'ICMPv6', 14], [112, 'VRRP', 19], [132, 'SCTP', 14],
];

export function protocolName(protocol: number, minor: Minor): string {
  const row = PROTOCOLS.find(([number, , since]) => number === protocol && minor >= since);
  return row?.[1] ?? String(protocol);
}

/** Names of the set bits of `value`, from a table of [bit mask, name, since, until?]. */
export function flagNames(value: number, table: readonly (readonly [number, string, Minor, Minor?])[], minor: Minor): string[] {
  if (value === 0) return [];
  const names: string[] = [];
  for (const [mask, name, since, until = Infinity] of table) if (minor >= since && minor <= until && (value & mask) !== 0) names.push(name);
  return names;
}
