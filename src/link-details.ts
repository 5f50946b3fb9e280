// The per-kind details of a device, as `ip -j -d link` prints them under linkinfo.info_data
// (IFLA_INFO_DATA) and linkinfo.info_slave_data (IFLA_INFO_SLAVE_DATA): the attribute tables are
// in native/netlink_parse.cc (ReadLinkDetails); this module types what they give and puts each
// value on its device.
import { native } from './native';
import { tableRowsOf, type NativeTable } from './table';

/**
 * A vxlan device's settings (IFLA_INFO_DATA, IFLA_VXLAN_*), named as `ip -j -d link` prints them
 * in camelCase. Flag attributes (`gbp`, `gpe`, `remcsumNoPartial`) are false when
 * absent, which is how the kernel says "not set"; every other field is undefined when the kernel did
 * not send it.
 */
export interface VxlanInfo {
  kind: 'vxlan';
  /** IFLA_VXLAN_COLLECT_METADATA: `external`, the VNI and remote come from each packet's tunnel metadata (a BPF program sets them; Cilium's `cilium_vxlan` is one). */
  external?: boolean;
  /** IFLA_VXLAN_VNIFILTER (Linux 5.18): an external device that accepts only the VNIs in its filter (`bridge vni`). */
  vnifilter?: boolean;
  /** IFLA_VXLAN_ID: the VNI (0 on an external device). */
  id?: number;
  /** IFLA_VXLAN_GROUP/GROUP6 when unicast: the one remote VTEP (`remote`). */
  remote?: string;
  /** IFLA_VXLAN_GROUP/GROUP6 when multicast: the group joined (`group`). */
  group?: string;
  /** IFLA_VXLAN_LOCAL/LOCAL6: the source address. */
  local?: string;
  /** IFLA_VXLAN_LINK: the ifindex of the underlying device (`dev`; ip prints its name), in the namespace the vxlan was made in: the device's `linkNetnsId` one once it was moved out of it. */
  link?: number;
  /** IFLA_VXLAN_PORT_RANGE: the UDP source port range (0-0: the kernel's own). */
  portRange?: { low: number; high: number };
  /** IFLA_VXLAN_PORT: the UDP destination port (`dstport`; Cilium: 8472). */
  port?: number;
  /** IFLA_VXLAN_LEARNING: source addresses are learned into the FDB. */
  learning?: boolean;
  /** IFLA_VXLAN_PROXY: ARP/ND proxy. */
  proxy?: boolean;
  /** IFLA_VXLAN_RSC: route short circuit. */
  rsc?: boolean;
  /** IFLA_VXLAN_L2MISS: netlink notifications on FDB misses. */
  l2miss?: boolean;
  /** IFLA_VXLAN_L3MISS: netlink notifications on neighbour misses. */
  l3miss?: boolean;
  /** IFLA_VXLAN_TTL: 0 means the kernel's default (`ttl auto`). */
  ttl?: number;
  /** IFLA_VXLAN_TTL_INHERIT: the outer TTL is the inner one's. */
  ttlInherit?: boolean;
  /** IFLA_VXLAN_TOS: 1 means inherit. */
  tos?: number;
  /** IFLA_VXLAN_DF: the outer header's Don't Fragment bit. */
  df?: 'unset' | 'set' | 'inherit' | number;
  /** IFLA_VXLAN_LABEL: the IPv6 flow label. */
  label?: number;
  /** IFLA_VXLAN_AGEING: FDB entry lifetime in seconds (0: none). */
  ageing?: number;
  /** IFLA_VXLAN_LIMIT: maximum FDB entries (0: unlimited). */
  limit?: number;
  /** IFLA_VXLAN_UDP_CSUM: UDP checksums over IPv4. */
  udpCsum?: boolean;
  /** IFLA_VXLAN_UDP_ZERO_CSUM6_TX: zero UDP checksums sent over IPv6. */
  udpZeroCsum6Tx?: boolean;
  /** IFLA_VXLAN_UDP_ZERO_CSUM6_RX: zero UDP checksums accepted over IPv6. */
  udpZeroCsum6Rx?: boolean;
  /** IFLA_VXLAN_REMCSUM_TX: remote checksum offload sent. */
  remcsumTx?: boolean;
  /** IFLA_VXLAN_REMCSUM_RX: remote checksum offload accepted. */
  remcsumRx?: boolean;
  /** IFLA_VXLAN_REMCSUM_NOPARTIAL. */
  remcsumNoPartial?: boolean;
  /** IFLA_VXLAN_GBP: the Group Based Policy extension. */
  gbp?: boolean;
  /** IFLA_VXLAN_GPE: the Generic Protocol Extension. */
  gpe?: boolean;
}

/** A macvlan or macvtap device's settings (IFLA_MACVLAN_*), named as `ip -j -d link` prints them. */
export interface MacvlanInfo {
  kind: 'macvlan' | 'macvtap';
  /** IFLA_MACVLAN_MODE. */
  mode?: 'private' | 'vepa' | 'bridge' | 'passthru' | 'source' | number;
  /** IFLA_MACVLAN_FLAGS MACVLAN_FLAG_NOPROMISC: passthru mode leaves the lower device's promiscuity alone. */
  nopromisc?: boolean;
  /** IFLA_MACVLAN_FLAGS MACVLAN_FLAG_NODST: source mode does not also deliver by destination. */
  nodst?: boolean;
  /** IFLA_MACVLAN_MACADDR_COUNT: source addresses (source mode). */
  macaddrCount?: number;
  /** IFLA_MACVLAN_MACADDR_DATA: those source addresses, in the kernel's order (as ip prints them); undefined when there are none. */
  macaddrData?: string[];
  /** IFLA_MACVLAN_BC_QUEUE_LEN (Linux 5.11): the broadcast queue length asked for. */
  bcqueuelen?: number;
  /** IFLA_MACVLAN_BC_QUEUE_LEN_USED (Linux 5.11): the one in use (the largest asked for on the lower device). */
  usedbcqueuelen?: number;
}

/**
 * A bridge's settings and STP state (IFLA_BR_*), named as `ip -j -d link` prints them. Times are
 * clock_t, centiseconds: the settings as numbers (as ip prints them), the timers and multicast
 * intervals as bigints (ip prints the timers in seconds). On/off settings are 0/1, as ip prints them.
 */
export interface BridgeInfo {
  kind: 'bridge';
  /** IFLA_BR_FORWARD_DELAY, centiseconds. */
  forwardDelay?: number;
  /** IFLA_BR_HELLO_TIME, centiseconds. */
  helloTime?: number;
  /** IFLA_BR_MAX_AGE, centiseconds. */
  maxAge?: number;
  /** IFLA_BR_AGEING_TIME: FDB entry lifetime, centiseconds. */
  ageingTime?: number;
  /** IFLA_BR_STP_STATE: 0 off, 1 kernel STP, 2 user-space STP. */
  stpState?: number;
  /** IFLA_BR_PRIORITY: the bridge priority. */
  priority?: number;
  /** IFLA_BR_VLAN_FILTERING: 0/1; the kernel sends it only when built with CONFIG_BRIDGE_VLAN_FILTERING. */
  vlanFiltering?: number;
  /** IFLA_BR_VLAN_PROTOCOL (with vlan filtering built in). */
  vlanProtocol?: '802.1Q' | '802.1ad' | number;
  /** IFLA_BR_BRIDGE_ID: priority (hex) and address, 'PPPP.aa:bb:cc:dd:ee:ff' (ip prints the address without leading zeros). */
  bridgeId?: string;
  /** IFLA_BR_ROOT_ID: the designated root, as bridgeId. */
  rootId?: string;
  /** IFLA_BR_ROOT_PORT. */
  rootPort?: number;
  /** IFLA_BR_ROOT_PATH_COST. */
  rootPathCost?: number;
  /** IFLA_BR_TOPOLOGY_CHANGE. */
  topologyChange?: number;
  /** IFLA_BR_TOPOLOGY_CHANGE_DETECTED. */
  topologyChangeDetected?: number;
  /** IFLA_BR_HELLO_TIMER, centiseconds left. */
  helloTimer?: bigint;
  /** IFLA_BR_TCN_TIMER, centiseconds left. */
  tcnTimer?: bigint;
  /** IFLA_BR_TOPOLOGY_CHANGE_TIMER, centiseconds left. */
  topologyChangeTimer?: bigint;
  /** IFLA_BR_GC_TIMER: until the next FDB garbage collection, centiseconds. */
  gcTimer?: bigint;
  /** IFLA_BR_VLAN_DEFAULT_PVID (with vlan filtering built in). */
  vlanDefaultPvid?: number;
  /** IFLA_BR_VLAN_STATS_ENABLED (with vlan filtering built in). */
  vlanStatsEnabled?: number;
  /** IFLA_BR_VLAN_STATS_PER_PORT (with vlan filtering built in). */
  vlanStatsPerPort?: number;
  /** IFLA_BR_GROUP_FWD_MASK: link-local groups forwarded. */
  groupFwdMask?: number;
  /** IFLA_BR_GROUP_ADDR: the STP group address. */
  groupAddr?: string;
  /** IFLA_BR_MCAST_SNOOPING. */
  mcastSnooping?: number;
  /** IFLA_BR_MULTI_BOOLOPT BR_BOOLOPT_NO_LL_LEARN: no learning from link-local frames. */
  noLinklocalLearn?: number;
  /** IFLA_BR_MULTI_BOOLOPT BR_BOOLOPT_MCAST_VLAN_SNOOPING. */
  mcastVlanSnooping?: number;
  /** IFLA_BR_MULTI_BOOLOPT BR_BOOLOPT_MST_ENABLE (Linux 5.18): multiple spanning trees. */
  mstEnabled?: number;
  /** IFLA_BR_MCAST_ROUTER: 0 disabled, 1 learned, 2 permanent. */
  mcastRouter?: number;
  /** IFLA_BR_MCAST_QUERY_USE_IFADDR. */
  mcastQueryUseIfaddr?: number;
  /** IFLA_BR_MCAST_QUERIER. */
  mcastQuerier?: number;
  /** IFLA_BR_MCAST_HASH_ELASTICITY. */
  mcastHashElasticity?: number;
  /** IFLA_BR_MCAST_HASH_MAX. */
  mcastHashMax?: number;
  /** IFLA_BR_MCAST_LAST_MEMBER_CNT. */
  mcastLastMemberCnt?: number;
  /** IFLA_BR_MCAST_STARTUP_QUERY_CNT. */
  mcastStartupQueryCnt?: number;
  /** IFLA_BR_MCAST_LAST_MEMBER_INTVL, centiseconds. */
  mcastLastMemberIntvl?: bigint;
  /** IFLA_BR_MCAST_MEMBERSHIP_INTVL, centiseconds. */
  mcastMembershipIntvl?: bigint;
  /** IFLA_BR_MCAST_QUERIER_INTVL, centiseconds. */
  mcastQuerierIntvl?: bigint;
  /** IFLA_BR_MCAST_QUERY_INTVL, centiseconds. */
  mcastQueryIntvl?: bigint;
  /** IFLA_BR_MCAST_QUERY_RESPONSE_INTVL, centiseconds. */
  mcastQueryResponseIntvl?: bigint;
  /** IFLA_BR_MCAST_STARTUP_QUERY_INTVL, centiseconds. */
  mcastStartupQueryIntvl?: bigint;
  /** IFLA_BR_MCAST_STATS_ENABLED. */
  mcastStatsEnabled?: number;
  /** IFLA_BR_MCAST_IGMP_VERSION. */
  mcastIgmpVersion?: number;
  /** IFLA_BR_MCAST_MLD_VERSION. */
  mcastMldVersion?: number;
  /** IFLA_BR_NF_CALL_IPTABLES: bridged IPv4 traffic goes through iptables. */
  nfCallIptables?: number;
  /** IFLA_BR_NF_CALL_IP6TABLES. */
  nfCallIp6tables?: number;
  /** IFLA_BR_NF_CALL_ARPTABLES. */
  nfCallArptables?: number;
  /** IFLA_BR_FDB_N_LEARNED (Linux 6.8): FDB entries learned. */
  fdbNLearned?: number;
  /** IFLA_BR_FDB_MAX_LEARNED (Linux 6.8): their limit (0: none). */
  fdbMaxLearned?: number;
}

/**
 * A netkit device's settings (IFLA_NETKIT_*, Linux 6.7), named as `ip -j -d link` prints them.
 * Untested against a kernel (the test machine's kernel has no netkit): read by the same code as
 * the other kinds, from a table of its attributes.
 */
export interface NetkitInfo {
  kind: 'netkit';
  /** IFLA_NETKIT_MODE. */
  mode?: 'l2' | 'l3' | number;
  /** IFLA_NETKIT_PRIMARY: this is the primary device of the pair (ip prints `type primary` or `type peer`). */
  primary?: boolean;
  /** IFLA_NETKIT_POLICY: what this device does with a packet when no program decides. */
  policy?: 'forward' | 'blackhole' | number;
  /** IFLA_NETKIT_PEER_POLICY: the same for its peer. */
  peerPolicy?: 'forward' | 'blackhole' | number;
  /** IFLA_NETKIT_SCRUB (Linux 6.11): whether skb mark and priority are cleared crossing namespaces. */
  scrub?: 'none' | 'default' | number;
  /** IFLA_NETKIT_PEER_SCRUB (Linux 6.11): the same for its peer. */
  peerScrub?: 'none' | 'default' | number;
}

/** A device's per-kind details (`ip -d link`), told apart by `kind`. */
export type KindInfo = VxlanInfo | MacvlanInfo | BridgeInfo | NetkitInfo;

/**
 * A bridge port's state in its bridge (IFLA_INFO_SLAVE_DATA, IFLA_BRPORT_*), named as
 * `ip -j -d link` prints `info_slave_data`. Timers are centiseconds left (ip prints seconds).
 */
export interface BridgePortInfo {
  kind: 'bridge';
  /** IFLA_BRPORT_STATE: the STP port state. */
  state?: 'disabled' | 'listening' | 'learning' | 'forwarding' | 'blocking' | number;
  /** IFLA_BRPORT_PRIORITY. */
  priority?: number;
  /** IFLA_BRPORT_COST: the STP path cost. */
  cost?: number;
  /** IFLA_BRPORT_MODE: hairpin, frames may leave by the port they came in by. */
  hairpin?: boolean;
  /** IFLA_BRPORT_GUARD: BPDU guard. */
  guard?: boolean;
  /** IFLA_BRPORT_PROTECT: root port protection. */
  rootBlock?: boolean;
  /** IFLA_BRPORT_FAST_LEAVE: multicast fast leave. */
  fastleave?: boolean;
  /** IFLA_BRPORT_LEARNING: source addresses are learned. */
  learning?: boolean;
  /** IFLA_BRPORT_UNICAST_FLOOD: unknown unicast is flooded to this port. */
  flood?: boolean;
  /** IFLA_BRPORT_ID: the STP port id (ip prints it in hex). */
  id?: number;
  /** IFLA_BRPORT_NO: the port number (ip prints it in hex). */
  no?: number;
  /** IFLA_BRPORT_DESIGNATED_PORT. */
  designatedPort?: number;
  /** IFLA_BRPORT_DESIGNATED_COST. */
  designatedCost?: number;
  /** IFLA_BRPORT_BRIDGE_ID: the designated bridge, 'PPPP.aa:bb:cc:dd:ee:ff'. */
  bridgeId?: string;
  /** IFLA_BRPORT_ROOT_ID: the designated root, as bridgeId. */
  rootId?: string;
  /** IFLA_BRPORT_HOLD_TIMER, centiseconds. */
  holdTimer?: bigint;
  /** IFLA_BRPORT_MESSAGE_AGE_TIMER, centiseconds. */
  messageAgeTimer?: bigint;
  /** IFLA_BRPORT_FORWARD_DELAY_TIMER, centiseconds. */
  forwardDelayTimer?: bigint;
  /** IFLA_BRPORT_TOPOLOGY_CHANGE_ACK. */
  topologyChangeAck?: number;
  /** IFLA_BRPORT_CONFIG_PENDING. */
  configPending?: number;
  /** IFLA_BRPORT_PROXYARP. */
  proxyArp?: boolean;
  /** IFLA_BRPORT_PROXYARP_WIFI. */
  proxyArpWifi?: boolean;
  /** IFLA_BRPORT_MULTICAST_ROUTER: 0 disabled, 1 learned, 2 permanent, 3 temporary. */
  multicastRouter?: number;
  /** IFLA_BRPORT_MCAST_FLOOD. */
  mcastFlood?: boolean;
  /** IFLA_BRPORT_BCAST_FLOOD. */
  bcastFlood?: boolean;
  /** IFLA_BRPORT_MCAST_TO_UCAST. */
  mcastToUnicast?: boolean;
  /** IFLA_BRPORT_NEIGH_SUPPRESS: ARP/ND suppression. */
  neighSuppress?: boolean;
  /** IFLA_BRPORT_GROUP_FWD_MASK. */
  groupFwdMask?: number;
  /** IFLA_BRPORT_VLAN_TUNNEL. */
  vlanTunnel?: boolean;
  /** IFLA_BRPORT_ISOLATED: no traffic to other isolated ports. */
  isolated?: boolean;
  /** IFLA_BRPORT_LOCKED (Linux 5.18): only hosts with FDB entries may send. */
  locked?: boolean;
  /** IFLA_BRPORT_MAB (Linux 6.2): MAC authentication bypass on a locked port. */
  mab?: boolean;
  /** IFLA_BRPORT_BACKUP_PORT: the ifindex of the backup port (ip prints its name). */
  backupPort?: number;
  /** IFLA_BRPORT_MCAST_EHT_HOSTS_LIMIT. */
  mcastEhtHostsLimit?: number;
  /** IFLA_BRPORT_MCAST_EHT_HOSTS_CNT. */
  mcastEhtHostsCnt?: number;
  /** IFLA_BRPORT_MCAST_N_GROUPS (Linux 6.3): multicast groups joined on this port. */
  mcastNGroups?: number;
  /** IFLA_BRPORT_MCAST_MAX_GROUPS (Linux 6.3): their limit (0: none). */
  mcastMaxGroups?: number;
}

/** A device's details as the port of its master (`ip -d link`'s info_slave_data), told apart by `kind`. */
export type SlaveInfo = BridgePortInfo;

/** One value of the addon's details table (native/netlink.cc, DetailRows). */
interface DetailRow {
  row: number;
  slave: boolean;
  key: string;
  value?: number;
  flag?: boolean;
  big?: bigint;
  text?: string;
}

const detailRows = tableRowsOf<DetailRow>(() => native().schemas.interfaceDetail);

/** Where a listing's details go: each device's kind and master's kind, by row. */
interface DetailTarget {
  kind?: string;
  slaveKind?: string;
  kindInfo?: KindInfo;
  slaveInfo?: SlaveInfo;
}

/** Puts each value of the details table on its device (`rows`: the link table's rows, in order). */
export function addLinkDetails(rows: DetailTarget[], details: NativeTable): void {
  for (const d of detailRows(details)) {
    const device = rows[d.row];
    let into = (d.slave
      ? (device.slaveInfo ??= { kind: device.slaveKind } as SlaveInfo)
      : (device.kindInfo ??= { kind: device.kind } as KindInfo)) as unknown as Record<string, unknown>;
    let key = d.key;
    const value = d.text ?? d.value ?? d.big ?? d.flag;
    // "macaddrData[]": one item of a list, in the kernel's order.
    if (key.endsWith('[]')) {
      ((into[key.slice(0, -2)] ??= []) as unknown[]).push(value);
      continue;
    }
    // "portRange.low": a member of an object.
    const dot = key.indexOf('.');
    if (dot > 0) {
      into = (into[key.slice(0, dot)] ??= {}) as Record<string, unknown>;
      key = key.slice(dot + 1);
    }
    into[key] = value;
  }
}
