#include "netlink_parse.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/if_addr.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/net_namespace.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "uapi_compat.h"

namespace bpfscope::netlink {

namespace {

// ---- attributes ------------------------------------------------------------------------------

// Attributes of one message or nest, by type. Types past the table are ignored (newer kernels).
struct Attrs {
  std::array<const nlattr*, 80> at {};
  const nlattr* operator[](size_t type) const { return type < at.size() ? at[type] : nullptr; }
};

int Collect(const nlattr* attr, void* data) {
  auto* attrs = static_cast<Attrs*>(data);
  uint16_t type = mnl_attr_get_type(attr);
  if (type < attrs->at.size()) attrs->at[type] = attr;
  return MNL_CB_OK;
}

Attrs ParsePayload(const void* payload, size_t len) {
  Attrs attrs;
  mnl_attr_parse_payload(payload, len, Collect, &attrs);
  return attrs;
}

Attrs ParseNested(const nlattr* nest) {
  if (!nest) return Attrs{};
  return ParsePayload(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest));
}

template <typename T>
std::optional<T> Get(const nlattr* a) {
  if (!a || mnl_attr_get_payload_len(a) < sizeof(T)) return std::nullopt;
  T v;
  std::memcpy(&v, mnl_attr_get_payload(a), sizeof(T));
  return v;
}

// A string attribute, without trusting it to be NUL-terminated.
std::string_view StrView(const nlattr* a) {
  if (!a) return {};
  const char* p = static_cast<const char*>(mnl_attr_get_payload(a));
  return std::string_view(p, strnlen(p, mnl_attr_get_payload_len(a)));
}
std::string Str(const nlattr* a) { return std::string(StrView(a)); }

// IFLA_PROP_LIST holds one IFLA_ALT_IFNAME per alternative name: joined with spaces, which no
// interface name may contain (dev_valid_name).
int CollectAltName(const nlattr* attr, void* data) {
  if (mnl_attr_get_type(attr) != IFLA_ALT_IFNAME) return MNL_CB_OK;
  auto* names = static_cast<std::string*>(data);
  std::string_view name = StrView(attr);
  if (name.empty()) return MNL_CB_OK;
  if (!names->empty()) names->push_back(' ');
  names->append(name);
  return MNL_CB_OK;
}

Bytes Payload(const nlattr* a) {
  if (!a) return {};
  return {static_cast<const uint8_t*>(mnl_attr_get_payload(a)), mnl_attr_get_payload_len(a)};
}

// Hex digits of `len` bytes into `out`, with `separator` between bytes unless it is 0; returns
// the length written (3 * len - 1 with a separator, 2 * len without).
size_t HexInto(const uint8_t* p, size_t len, char separator, char* out) {
  static const char kDigits[] = "0123456789abcdef";
  char* at = out;
  for (size_t i = 0; i < len; i++) {
    if (i && separator) *at++ = separator;
    *at++ = kDigits[p[i] >> 4];
    *at++ = kDigits[p[i] & 15];
  }
  return static_cast<size_t>(at - out);
}

// "aa:bb:…" (hardware addresses); without `separator`, plain hex (tags).
std::string Hex(const uint8_t* p, size_t len, bool separator = true) {
  std::string s(len * 3, '\0');
  s.resize(HexInto(p, len, separator ? ':' : 0, s.data()));
  return s;
}

std::string HwAddr(const nlattr* a) {
  Bytes b = Payload(a);
  return Hex(b.data, b.size);
}

// An IP address attribute: 4 bytes IPv4, 16 bytes IPv6; anything else as hex.
std::string IpAddr(const nlattr* a) {
  if (!a) return {};
  const void* p = mnl_attr_get_payload(a);
  size_t len = mnl_attr_get_payload_len(a);
  char text[INET6_ADDRSTRLEN];
  if (len == 4 && inet_ntop(AF_INET, p, text, sizeof(text))) return text;
  if (len == 16 && inet_ntop(AF_INET6, p, text, sizeof(text))) return text;
  return Hex(static_cast<const uint8_t*>(p), len);
}

// The message header and fixed family header of one message, or null if `len` cannot hold them
// or the message claims more bytes than it has.
template <typename Fixed>
const nlmsghdr* Message(const void* message, size_t len, Fixed* fixed) {
  if (len < NLMSG_HDRLEN) return nullptr;
  auto* nlh = static_cast<const nlmsghdr*>(message);
  if (nlh->nlmsg_len > len || nlh->nlmsg_len < NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(Fixed))) return nullptr;
  std::memcpy(fixed, mnl_nlmsg_get_payload(nlh), sizeof(Fixed));
  return nlh;
}

template <typename Fixed>
Attrs MessageAttrs(const nlmsghdr* nlh) {
  size_t offset = NLMSG_ALIGN(sizeof(Fixed));
  const char* payload = static_cast<const char*>(mnl_nlmsg_get_payload(nlh));
  return ParsePayload(payload + offset, mnl_nlmsg_get_payload_len(nlh) - offset);
}

}  // namespace

// ---- parsers ---------------------------------------------------------------------------------

uint64_t Link::stat(size_t i) const {
  uint64_t v;
  std::memcpy(&v, stats64.data + i * sizeof(v), sizeof(v));
  return v;
}

size_t FormatHwAddr(Bytes addr, char* out) { return HexInto(addr.data, addr.size, ':', out); }

bool ParseLink(const void* message, size_t len, Link* out) {
  ifinfomsg ifi;
  const nlmsghdr* nlh = Message(message, len, &ifi);
  if (!nlh || nlh->nlmsg_type != RTM_NEWLINK) return false;
  Attrs a = MessageAttrs<ifinfomsg>(nlh);
  out->ifindex = ifi.ifi_index;
  out->type = ifi.ifi_type;
  out->flags = ifi.ifi_flags;
  out->name = StrView(a[IFLA_IFNAME]);
  out->qdisc = StrView(a[IFLA_QDISC]);
  out->alias = StrView(a[IFLA_IFALIAS]);
  if (const nlattr* props = a[IFLA_PROP_LIST]) mnl_attr_parse_nested(props, CollectAltName, &out->alt_names);
  out->mac = Payload(a[IFLA_ADDRESS]);
  out->broadcast = Payload(a[IFLA_BROADCAST]);
  out->perm_mac = Payload(a[IFLA_PERM_ADDRESS]);
  out->mtu = Get<uint32_t>(a[IFLA_MTU]);
  out->min_mtu = Get<uint32_t>(a[IFLA_MIN_MTU]);
  out->max_mtu = Get<uint32_t>(a[IFLA_MAX_MTU]);
  out->master = Get<uint32_t>(a[IFLA_MASTER]);
  out->txqlen = Get<uint32_t>(a[IFLA_TXQLEN]);
  out->link = Get<uint32_t>(a[IFLA_LINK]);
  out->group = Get<uint32_t>(a[IFLA_GROUP]);
  out->promiscuity = Get<uint32_t>(a[IFLA_PROMISCUITY]);
  out->num_tx_queues = Get<uint32_t>(a[IFLA_NUM_TX_QUEUES]);
  out->num_rx_queues = Get<uint32_t>(a[IFLA_NUM_RX_QUEUES]);
  out->link_netnsid = Get<int32_t>(a[IFLA_LINK_NETNSID]);
  out->operstate = Get<uint8_t>(a[IFLA_OPERSTATE]);
  out->linkmode = Get<uint8_t>(a[IFLA_LINKMODE]);
  // Lenient: struct rtnl_link_stats64 grows (rx_nohandler 4.6, rx_otherhost_dropped 5.19).
  out->stats64 = Payload(a[IFLA_STATS64]);
  if (a[IFLA_LINKINFO]) {
    Attrs info = ParseNested(a[IFLA_LINKINFO]);
    out->kind = StrView(info[IFLA_INFO_KIND]);
    out->slave_kind = StrView(info[IFLA_INFO_SLAVE_KIND]);
    out->info_data = Payload(info[IFLA_INFO_DATA]);
    out->slave_data = Payload(info[IFLA_INFO_SLAVE_DATA]);
  }
  if (a[IFLA_XDP]) {
    Attrs xdp = ParseNested(a[IFLA_XDP]);
    out->has_xdp = true;
    out->xdp_attached = Get<uint8_t>(xdp[IFLA_XDP_ATTACHED]).value_or(0);
    out->xdp_prog_id = Get<uint32_t>(xdp[IFLA_XDP_PROG_ID]).value_or(0);
    out->xdp_drv_prog_id = Get<uint32_t>(xdp[IFLA_XDP_DRV_PROG_ID]).value_or(0);
    out->xdp_skb_prog_id = Get<uint32_t>(xdp[IFLA_XDP_SKB_PROG_ID]).value_or(0);
    out->xdp_hw_prog_id = Get<uint32_t>(xdp[IFLA_XDP_HW_PROG_ID]).value_or(0);
  }
  return true;
}

bool ParseAddress(const void* message, size_t len, Address* out) {
  ifaddrmsg ifa;
  const nlmsghdr* nlh = Message(message, len, &ifa);
  if (!nlh || nlh->nlmsg_type != RTM_NEWADDR) return false;
  Attrs a = MessageAttrs<ifaddrmsg>(nlh);
  out->family = ifa.ifa_family;
  out->prefixlen = ifa.ifa_prefixlen;
  out->scope = ifa.ifa_scope;
  out->ifindex = static_cast<int32_t>(ifa.ifa_index);
  out->flags = Get<uint32_t>(a[IFA_FLAGS]).value_or(ifa.ifa_flags);
  out->address = IpAddr(a[IFA_ADDRESS]);
  out->local = IpAddr(a[IFA_LOCAL]);
  out->broadcast = IpAddr(a[IFA_BROADCAST]);
  out->label = Str(a[IFA_LABEL]);
  if (auto ci = Get<ifa_cacheinfo>(a[IFA_CACHEINFO])) {
    out->valid_lft = ci->ifa_valid;
    out->preferred_lft = ci->ifa_prefered;
  }
  out->proto = Get<uint8_t>(a[IFA_PROTO]);
  return true;
}

bool ParseRoute(const void* message, size_t len, Route* out) {
  rtmsg rtm;
  const nlmsghdr* nlh = Message(message, len, &rtm);
  if (!nlh || nlh->nlmsg_type != RTM_NEWROUTE) return false;
  Attrs a = MessageAttrs<rtmsg>(nlh);
  out->family = rtm.rtm_family;
  out->dst_len = rtm.rtm_dst_len;
  out->src_len = rtm.rtm_src_len;
  out->tos = rtm.rtm_tos;
  out->protocol = rtm.rtm_protocol;
  out->scope = rtm.rtm_scope;
  out->type = rtm.rtm_type;
  out->flags = rtm.rtm_flags;
  out->table = Get<uint32_t>(a[RTA_TABLE]).value_or(rtm.rtm_table);
  out->dst = IpAddr(a[RTA_DST]);
  out->src = IpAddr(a[RTA_SRC]);
  out->gateway = IpAddr(a[RTA_GATEWAY]);
  out->prefsrc = IpAddr(a[RTA_PREFSRC]);
  out->oif = Get<int32_t>(a[RTA_OIF]);
  out->priority = Get<uint32_t>(a[RTA_PRIORITY]);
  out->pref = Get<uint8_t>(a[RTA_PREF]);
  if (auto ci = Get<rta_cacheinfo>(a[RTA_CACHEINFO]); ci && ci->rta_expires != 0) out->expires = ci->rta_expires;
  if (const nlattr* mp = a[RTA_MULTIPATH]) {
    const uint8_t* p = static_cast<const uint8_t*>(mnl_attr_get_payload(mp));
    size_t left = mnl_attr_get_payload_len(mp);
    while (left >= sizeof(rtnexthop)) {
      rtnexthop nh;
      std::memcpy(&nh, p, sizeof(nh));
      if (nh.rtnh_len < sizeof(rtnexthop) || nh.rtnh_len > left) break;
      Attrs na = ParsePayload(p + RTNH_LENGTH(0), nh.rtnh_len - RTNH_LENGTH(0));
      out->nexthops.push_back(NextHop{IpAddr(na[RTA_GATEWAY]), nh.rtnh_ifindex, nh.rtnh_flags, nh.rtnh_hops + 1u});
      size_t step = RTNH_ALIGN(nh.rtnh_len);
      if (step >= left) break;
      p += step;
      left -= step;
    }
  }
  return true;
}

bool ParseNeighbor(const void* message, size_t len, Neighbor* out) {
  ndmsg nd;
  const nlmsghdr* nlh = Message(message, len, &nd);
  if (!nlh || nlh->nlmsg_type != RTM_NEWNEIGH) return false;
  Attrs a = MessageAttrs<ndmsg>(nlh);
  out->family = nd.ndm_family;
  out->ifindex = nd.ndm_ifindex;
  out->state = nd.ndm_state;
  out->flags = nd.ndm_flags;
  out->type = nd.ndm_type;
  out->dst = IpAddr(a[NDA_DST]);
  out->lladdr = HwAddr(a[NDA_LLADDR]);
  out->probes = Get<uint32_t>(a[NDA_PROBES]);
  return true;
}

bool ParseQdisc(const void* message, size_t len, Qdisc* out) {
  tcmsg tcm;
  const nlmsghdr* nlh = Message(message, len, &tcm);
  if (!nlh || nlh->nlmsg_type != RTM_NEWQDISC) return false;
  Attrs a = MessageAttrs<tcmsg>(nlh);
  out->ifindex = tcm.tcm_ifindex;
  out->handle = tcm.tcm_handle;
  out->parent = tcm.tcm_parent;
  out->kind = Str(a[TCA_KIND]);
  return true;
}

bool ParseTcFilter(const void* message, size_t len, TcFilter* out) {
  tcmsg tcm;
  const nlmsghdr* nlh = Message(message, len, &tcm);
  if (!nlh || nlh->nlmsg_type != RTM_NEWTFILTER) return false;
  Attrs a = MessageAttrs<tcmsg>(nlh);
  out->ifindex = tcm.tcm_ifindex;
  out->handle = tcm.tcm_handle;
  out->parent = tcm.tcm_parent;
  out->info = tcm.tcm_info;
  out->chain = Get<uint32_t>(a[TCA_CHAIN]);
  out->kind = Str(a[TCA_KIND]);
  out->has_options = a[TCA_OPTIONS] != nullptr;
  if (out->kind == "bpf" && out->has_options) {
    Attrs o = ParseNested(a[TCA_OPTIONS]);
    out->bpf_name = Str(o[TCA_BPF_NAME]);
    out->bpf_id = Get<uint32_t>(o[TCA_BPF_ID]);
    out->bpf_flags = Get<uint32_t>(o[TCA_BPF_FLAGS]);
    out->bpf_flags_gen = Get<uint32_t>(o[TCA_BPF_FLAGS_GEN]);
    out->bpf_classid = Get<uint32_t>(o[TCA_BPF_CLASSID]);
    if (const nlattr* tag = o[TCA_BPF_TAG])
      out->bpf_tag = Hex(static_cast<const uint8_t*>(mnl_attr_get_payload(tag)), mnl_attr_get_payload_len(tag), false);
  }
  return true;
}

bool ParseNsid(const void* message, size_t len, int32_t* out) {
  rtgenmsg gen;
  const nlmsghdr* nlh = Message(message, len, &gen);
  if (!nlh || nlh->nlmsg_type != RTM_NEWNSID) return false;
  auto nsid = Get<int32_t>(MessageAttrs<rtgenmsg>(nlh)[NETNSA_NSID]);
  if (!nsid) return false;
  *out = *nsid;
  return true;
}

// ---- per-kind link details -------------------------------------------------------------------
// IFLA_INFO_DATA and IFLA_INFO_SLAVE_DATA hold attributes whose numbers belong to the device's
// kind. Each kind is a table below (attribute, name as `ip -j -d link` prints it in camelCase, how
// its bytes read); one reader walks them all, so a kind is its table and nothing else.

namespace {

// How an attribute's payload reads.
enum class Read : uint8_t {
  kU8, kU16, kU32, kU64, kBe16, kBe32,  // integers (at `offset` in a struct attribute)
  kFlag,      // NLA_FLAG: true when present, false when absent
  kIp,        // in_addr or in6_addr
  kPeerIp,    // a tunnel's peer: named "group" when it is a multicast address
  kHwAddr,    // "aa:bb:cc:dd:ee:ff"
  kBridgeId,  // struct ifla_bridge_id: "8000.aa:bb:cc:dd:ee:ff", priority in hex as ip prints it
  kBoolOpt,   // struct br_boolopt_multi: bit `mask` of optval, 0 or 1, if optmask has it
  kHwAddrs,   // a nest of hardware addresses (attributes of type `mask`), one value each, in order
};

struct ValueName {
  uint32_t value;
  const char* name;
};

struct DetailAttr {
  uint16_t type;
  const char* name;
  Read read;
  enum As : uint8_t { kNumber, kBoolean, kName } as = kNumber;
  uint32_t mask = 0;  // kBoolean: the bit that is the value (0: any nonzero value is true); kBoolOpt: the option's bit; kHwAddrs: the items' type
  uint8_t offset = 0;  // a member of a struct attribute
  const ValueName* names = nullptr;  // kName: value → name (an unnamed value stays a number)
  uint8_t names_count = 0;
};

constexpr DetailAttr Num(uint16_t type, const char* name, Read read, uint8_t offset = 0) {
  return {type, name, read, DetailAttr::kNumber, 0, offset};
}
constexpr DetailAttr Bool(uint16_t type, const char* name, Read read = Read::kU8, uint32_t mask = 0) {
  return {type, name, read, DetailAttr::kBoolean, mask};
}
template <size_t N>
constexpr DetailAttr Named(uint16_t type, const char* name, Read read, const ValueName (&names)[N]) {
  return {type, name, read, DetailAttr::kName, 0, 0, names, N};
}
constexpr DetailAttr Of(uint16_t type, const char* name, Read read, uint32_t mask = 0) {
  return {type, name, read, DetailAttr::kNumber, mask};
}

struct KindTable {
  const char* kind;
  bool slave;  // IFLA_INFO_SLAVE_DATA of a master of this kind
  const DetailAttr* attrs;
  size_t count;
};

// iproute2's names (ip/iplink_vxlan.c, iplink_macvlan.c, iplink_bridge.c, iplink_bridge_slave.c,
// iplink_netkit.c).
constexpr ValueName kVxlanDf[] = {{0, "unset"}, {1, "set"}, {2, "inherit"}};
constexpr ValueName kMacvlanModes[] = {{1, "private"}, {2, "vepa"}, {4, "bridge"}, {8, "passthru"}, {16, "source"}};
constexpr ValueName kVlanProtocols[] = {{0x8100, "802.1Q"}, {0x88a8, "802.1ad"}};
constexpr ValueName kBridgePortStates[] = {{0, "disabled"}, {1, "listening"}, {2, "learning"}, {3, "forwarding"}, {4, "blocking"}};
constexpr ValueName kNetkitModes[] = {{0, "l2"}, {1, "l3"}};            // enum netkit_mode
constexpr ValueName kNetkitPolicies[] = {{0, "forward"}, {2, "blackhole"}};  // NETKIT_PASS, NETKIT_DROP
constexpr ValueName kNetkitScrubs[] = {{0, "none"}, {1, "default"}};    // enum netkit_scrub

constexpr DetailAttr kVxlan[] = {
    Bool(IFLA_VXLAN_COLLECT_METADATA, "external"),
    Bool(IFLA_VXLAN_VNIFILTER, "vnifilter"),
    Num(IFLA_VXLAN_ID, "id", Read::kU32),
    Of(IFLA_VXLAN_GROUP, "remote", Read::kPeerIp),
    Of(IFLA_VXLAN_GROUP6, "remote", Read::kPeerIp),
    Of(IFLA_VXLAN_LOCAL, "local", Read::kIp),
    Of(IFLA_VXLAN_LOCAL6, "local", Read::kIp),
    Num(IFLA_VXLAN_LINK, "link", Read::kU32),
    Num(IFLA_VXLAN_PORT_RANGE, "portRange.low", Read::kBe16, 0),  // struct ifla_vxlan_port_range
    Num(IFLA_VXLAN_PORT_RANGE, "portRange.high", Read::kBe16, 2),
    Num(IFLA_VXLAN_PORT, "port", Read::kBe16),
    Bool(IFLA_VXLAN_LEARNING, "learning"),
    Bool(IFLA_VXLAN_PROXY, "proxy"),
    Bool(IFLA_VXLAN_RSC, "rsc"),
    Bool(IFLA_VXLAN_L2MISS, "l2miss"),
    Bool(IFLA_VXLAN_L3MISS, "l3miss"),
    Num(IFLA_VXLAN_TTL, "ttl", Read::kU8),
    Bool(IFLA_VXLAN_TTL_INHERIT, "ttlInherit"),  // NLA_FLAG when set, but dumped as a u8
    Num(IFLA_VXLAN_TOS, "tos", Read::kU8),
    Named(IFLA_VXLAN_DF, "df", Read::kU8, kVxlanDf),
    Num(IFLA_VXLAN_LABEL, "label", Read::kBe32),
    Num(IFLA_VXLAN_AGEING, "ageing", Read::kU32),
    Num(IFLA_VXLAN_LIMIT, "limit", Read::kU32),
    Bool(IFLA_VXLAN_UDP_CSUM, "udpCsum"),
    Bool(IFLA_VXLAN_UDP_ZERO_CSUM6_TX, "udpZeroCsum6Tx"),
    Bool(IFLA_VXLAN_UDP_ZERO_CSUM6_RX, "udpZeroCsum6Rx"),
    Bool(IFLA_VXLAN_REMCSUM_TX, "remcsumTx"),
    Bool(IFLA_VXLAN_REMCSUM_RX, "remcsumRx"),
    Bool(IFLA_VXLAN_REMCSUM_NOPARTIAL, "remcsumNoPartial", Read::kFlag),
    Bool(IFLA_VXLAN_GBP, "gbp", Read::kFlag),
    Bool(IFLA_VXLAN_GPE, "gpe", Read::kFlag),
};

constexpr DetailAttr kMacvlan[] = {
    Named(IFLA_MACVLAN_MODE, "mode", Read::kU32, kMacvlanModes),
    Bool(IFLA_MACVLAN_FLAGS, "nopromisc", Read::kU16, MACVLAN_FLAG_NOPROMISC),
    Bool(IFLA_MACVLAN_FLAGS, "nodst", Read::kU16, MACVLAN_FLAG_NODST),
    Num(IFLA_MACVLAN_MACADDR_COUNT, "macaddrCount", Read::kU32),
    // A name ending in [] is a list: one value per item (addLinkDetails in src/link-details.ts).
    Of(IFLA_MACVLAN_MACADDR_DATA, "macaddrData[]", Read::kHwAddrs, IFLA_MACVLAN_MACADDR),
    Num(IFLA_MACVLAN_BC_QUEUE_LEN, "bcqueuelen", Read::kU32),
    Num(IFLA_MACVLAN_BC_QUEUE_LEN_USED, "usedbcqueuelen", Read::kU32),
};

// Times are clock_t (centiseconds, USER_HZ 100): u32 settings as ip prints them, u64 timers and
// multicast intervals as bigints.
constexpr DetailAttr kBridge[] = {
    Num(IFLA_BR_FORWARD_DELAY, "forwardDelay", Read::kU32),
    Num(IFLA_BR_HELLO_TIME, "helloTime", Read::kU32),
    Num(IFLA_BR_MAX_AGE, "maxAge", Read::kU32),
    Num(IFLA_BR_AGEING_TIME, "ageingTime", Read::kU32),
    Num(IFLA_BR_STP_STATE, "stpState", Read::kU32),
    Num(IFLA_BR_PRIORITY, "priority", Read::kU16),
    Num(IFLA_BR_VLAN_FILTERING, "vlanFiltering", Read::kU8),
    Named(IFLA_BR_VLAN_PROTOCOL, "vlanProtocol", Read::kBe16, kVlanProtocols),
    Of(IFLA_BR_BRIDGE_ID, "bridgeId", Read::kBridgeId),
    Of(IFLA_BR_ROOT_ID, "rootId", Read::kBridgeId),
    Num(IFLA_BR_ROOT_PORT, "rootPort", Read::kU16),
    Num(IFLA_BR_ROOT_PATH_COST, "rootPathCost", Read::kU32),
    Num(IFLA_BR_TOPOLOGY_CHANGE, "topologyChange", Read::kU8),
    Num(IFLA_BR_TOPOLOGY_CHANGE_DETECTED, "topologyChangeDetected", Read::kU8),
    Num(IFLA_BR_HELLO_TIMER, "helloTimer", Read::kU64),
    Num(IFLA_BR_TCN_TIMER, "tcnTimer", Read::kU64),
    Num(IFLA_BR_TOPOLOGY_CHANGE_TIMER, "topologyChangeTimer", Read::kU64),
    Num(IFLA_BR_GC_TIMER, "gcTimer", Read::kU64),
    Num(IFLA_BR_VLAN_DEFAULT_PVID, "vlanDefaultPvid", Read::kU16),
    Num(IFLA_BR_VLAN_STATS_ENABLED, "vlanStatsEnabled", Read::kU8),
    Num(IFLA_BR_VLAN_STATS_PER_PORT, "vlanStatsPerPort", Read::kU8),
    Num(IFLA_BR_GROUP_FWD_MASK, "groupFwdMask", Read::kU16),
    Of(IFLA_BR_GROUP_ADDR, "groupAddr", Read::kHwAddr),
    Num(IFLA_BR_MCAST_SNOOPING, "mcastSnooping", Read::kU8),
    Of(IFLA_BR_MULTI_BOOLOPT, "noLinklocalLearn", Read::kBoolOpt, 1u << BR_BOOLOPT_NO_LL_LEARN),
    Of(IFLA_BR_MULTI_BOOLOPT, "mcastVlanSnooping", Read::kBoolOpt, 1u << BR_BOOLOPT_MCAST_VLAN_SNOOPING),
    Of(IFLA_BR_MULTI_BOOLOPT, "mstEnabled", Read::kBoolOpt, 1u << BR_BOOLOPT_MST_ENABLE),
    Num(IFLA_BR_MCAST_ROUTER, "mcastRouter", Read::kU8),
    Num(IFLA_BR_MCAST_QUERY_USE_IFADDR, "mcastQueryUseIfaddr", Read::kU8),
    Num(IFLA_BR_MCAST_QUERIER, "mcastQuerier", Read::kU8),
    Num(IFLA_BR_MCAST_HASH_ELASTICITY, "mcastHashElasticity", Read::kU32),
    Num(IFLA_BR_MCAST_HASH_MAX, "mcastHashMax", Read::kU32),
    Num(IFLA_BR_MCAST_LAST_MEMBER_CNT, "mcastLastMemberCnt", Read::kU32),
    Num(IFLA_BR_MCAST_STARTUP_QUERY_CNT, "mcastStartupQueryCnt", Read::kU32),
    Num(IFLA_BR_MCAST_LAST_MEMBER_INTVL, "mcastLastMemberIntvl", Read::kU64),
    Num(IFLA_BR_MCAST_MEMBERSHIP_INTVL, "mcastMembershipIntvl", Read::kU64),
    Num(IFLA_BR_MCAST_QUERIER_INTVL, "mcastQuerierIntvl", Read::kU64),
    Num(IFLA_BR_MCAST_QUERY_INTVL, "mcastQueryIntvl", Read::kU64),
    Num(IFLA_BR_MCAST_QUERY_RESPONSE_INTVL, "mcastQueryResponseIntvl", Read::kU64),
    Num(IFLA_BR_MCAST_STARTUP_QUERY_INTVL, "mcastStartupQueryIntvl", Read::kU64),
    Num(IFLA_BR_MCAST_STATS_ENABLED, "mcastStatsEnabled", Read::kU8),
    Num(IFLA_BR_MCAST_IGMP_VERSION, "mcastIgmpVersion", Read::kU8),
    Num(IFLA_BR_MCAST_MLD_VERSION, "mcastMldVersion", Read::kU8),
    Num(IFLA_BR_NF_CALL_IPTABLES, "nfCallIptables", Read::kU8),
    Num(IFLA_BR_NF_CALL_IP6TABLES, "nfCallIp6tables", Read::kU8),
    Num(IFLA_BR_NF_CALL_ARPTABLES, "nfCallArptables", Read::kU8),
    Num(uapi::kIflaBrFdbNLearned, "fdbNLearned", Read::kU32),
    Num(uapi::kIflaBrFdbMaxLearned, "fdbMaxLearned", Read::kU32),
};

constexpr DetailAttr kBridgePort[] = {
    Named(IFLA_BRPORT_STATE, "state", Read::kU8, kBridgePortStates),
    Num(IFLA_BRPORT_PRIORITY, "priority", Read::kU16),
    Num(IFLA_BRPORT_COST, "cost", Read::kU32),
    Bool(IFLA_BRPORT_MODE, "hairpin"),
    Bool(IFLA_BRPORT_GUARD, "guard"),
    Bool(IFLA_BRPORT_PROTECT, "rootBlock"),
    Bool(IFLA_BRPORT_FAST_LEAVE, "fastleave"),
    Bool(IFLA_BRPORT_LEARNING, "learning"),
    Bool(IFLA_BRPORT_UNICAST_FLOOD, "flood"),
    Num(IFLA_BRPORT_ID, "id", Read::kU16),
    Num(IFLA_BRPORT_NO, "no", Read::kU16),
    Num(IFLA_BRPORT_DESIGNATED_PORT, "designatedPort", Read::kU16),
    Num(IFLA_BRPORT_DESIGNATED_COST, "designatedCost", Read::kU16),
    Of(IFLA_BRPORT_BRIDGE_ID, "bridgeId", Read::kBridgeId),
    Of(IFLA_BRPORT_ROOT_ID, "rootId", Read::kBridgeId),
    Num(IFLA_BRPORT_HOLD_TIMER, "holdTimer", Read::kU64),
    Num(IFLA_BRPORT_MESSAGE_AGE_TIMER, "messageAgeTimer", Read::kU64),
    Num(IFLA_BRPORT_FORWARD_DELAY_TIMER, "forwardDelayTimer", Read::kU64),
    Num(IFLA_BRPORT_TOPOLOGY_CHANGE_ACK, "topologyChangeAck", Read::kU8),
    Num(IFLA_BRPORT_CONFIG_PENDING, "configPending", Read::kU8),
    Bool(IFLA_BRPORT_PROXYARP, "proxyArp"),
    Bool(IFLA_BRPORT_PROXYARP_WIFI, "proxyArpWifi"),
    Num(IFLA_BRPORT_MULTICAST_ROUTER, "multicastRouter", Read::kU8),
    Bool(IFLA_BRPORT_MCAST_FLOOD, "mcastFlood"),
    Bool(IFLA_BRPORT_BCAST_FLOOD, "bcastFlood"),
    Bool(IFLA_BRPORT_MCAST_TO_UCAST, "mcastToUnicast"),
    Bool(IFLA_BRPORT_NEIGH_SUPPRESS, "neighSuppress"),
    Num(IFLA_BRPORT_GROUP_FWD_MASK, "groupFwdMask", Read::kU16),
    Bool(IFLA_BRPORT_VLAN_TUNNEL, "vlanTunnel"),
    Bool(IFLA_BRPORT_ISOLATED, "isolated"),
    Bool(IFLA_BRPORT_LOCKED, "locked"),
    Bool(uapi::kIflaBrportMab, "mab"),
    Num(IFLA_BRPORT_BACKUP_PORT, "backupPort", Read::kU32),
    Num(IFLA_BRPORT_MCAST_EHT_HOSTS_LIMIT, "mcastEhtHostsLimit", Read::kU32),
    Num(IFLA_BRPORT_MCAST_EHT_HOSTS_CNT, "mcastEhtHostsCnt", Read::kU32),
    Num(uapi::kIflaBrportMcastNGroups, "mcastNGroups", Read::kU32),
    Num(uapi::kIflaBrportMcastMaxGroups, "mcastMaxGroups", Read::kU32),
};

constexpr DetailAttr kNetkit[] = {
    Named(uapi::kIflaNetkitMode, "mode", Read::kU32, kNetkitModes),
    Bool(uapi::kIflaNetkitPrimary, "primary"),
    Named(uapi::kIflaNetkitPolicy, "policy", Read::kU32, kNetkitPolicies),
    Named(uapi::kIflaNetkitPeerPolicy, "peerPolicy", Read::kU32, kNetkitPolicies),
    Named(uapi::kIflaNetkitScrub, "scrub", Read::kU32, kNetkitScrubs),
    Named(uapi::kIflaNetkitPeerScrub, "peerScrub", Read::kU32, kNetkitScrubs),
};

template <size_t N>
constexpr KindTable Kind(const char* kind, bool slave, const DetailAttr (&attrs)[N]) {
  return {kind, slave, attrs, N};
}
constexpr KindTable kKinds[] = {
    Kind("vxlan", false, kVxlan),   Kind("macvlan", false, kMacvlan), Kind("macvtap", false, kMacvlan),
    Kind("bridge", false, kBridge), Kind("netkit", false, kNetkit),   Kind("bridge", true, kBridgePort),
};

// The integer at `offset` of the payload, or nothing when the payload is too short for it.
std::optional<uint64_t> Integer(Bytes p, Read read, size_t offset) {
  auto at = [&](auto v) -> std::optional<decltype(v)> {
    if (p.size < offset + sizeof(v)) return std::nullopt;
    std::memcpy(&v, p.data + offset, sizeof(v));
    return v;
  };
  switch (read) {
    case Read::kU8: return at(uint8_t{});
    case Read::kU16: return at(uint16_t{});
    case Read::kU32: return at(uint32_t{});
    case Read::kU64: return at(uint64_t{});
    case Read::kBe16: if (auto v = at(uint16_t{})) return ntohs(*v); return std::nullopt;
    case Read::kBe32: if (auto v = at(uint32_t{})) return ntohl(*v); return std::nullopt;
    default: return std::nullopt;
  }
}

bool IsMulticast(Bytes p) {
  return (p.size == 4 && (p.data[0] & 0xf0) == 0xe0) || (p.size == 16 && p.data[0] == 0xff);
}

struct HwAddrItems {
  const DetailAttr& detail;
  DetailSink& sink;
};

int CollectHwAddr(const nlattr* attr, void* data) {
  auto* items = static_cast<HwAddrItems*>(data);
  if (mnl_attr_get_type(attr) != items->detail.mask) return MNL_CB_OK;
  Bytes p = Payload(attr);
  items->sink.String(items->detail.name, Hex(p.data, p.size));
  return MNL_CB_OK;
}

void ReadDetail(const DetailAttr& d, const nlattr* a, DetailSink& sink) {
  if (d.read == Read::kFlag) return sink.Boolean(d.name, a != nullptr);
  if (!a) return;
  Bytes p = Payload(a);
  switch (d.read) {
    case Read::kIp: return sink.String(d.name, IpAddr(a));
    case Read::kPeerIp: return sink.String(IsMulticast(p) ? "group" : d.name, IpAddr(a));
    case Read::kHwAddr: return sink.String(d.name, Hex(p.data, p.size));
    case Read::kHwAddrs: {
      HwAddrItems items{d, sink};
      mnl_attr_parse_nested(a, CollectHwAddr, &items);
      return;
    }
    case Read::kBridgeId: {
      ifla_bridge_id id;
      if (p.size < sizeof(id)) return;
      std::memcpy(&id, p.data, sizeof(id));
      char prio[6];
      std::snprintf(prio, sizeof(prio), "%02x%02x.", id.prio[0], id.prio[1]);
      return sink.String(d.name, prio + Hex(id.addr, sizeof(id.addr)));
    }
    case Read::kBoolOpt: {
      br_boolopt_multi opts;
      if (p.size < sizeof(opts)) return;
      std::memcpy(&opts, p.data, sizeof(opts));
      // A bit the kernel does not know is not in optmask: left out, not reported as 0.
      if (opts.optmask & d.mask) sink.Number(d.name, (opts.optval & d.mask) ? 1 : 0);
      return;
    }
    default: break;
  }
  std::optional<uint64_t> v = Integer(p, d.read, d.offset);
  if (!v) return;
  if (d.as == DetailAttr::kBoolean) return sink.Boolean(d.name, d.mask ? (*v & d.mask) != 0 : *v != 0);
  if (d.as == DetailAttr::kName) {
    for (const ValueName* n = d.names; n != d.names + d.names_count; n++)
      if (n->value == *v) return sink.String(d.name, n->name);
  }
  if (d.read == Read::kU64) return sink.BigInt(d.name, *v);
  sink.Number(d.name, static_cast<double>(*v));
}

}  // namespace

bool ReadLinkDetails(std::string_view kind, bool slave, Bytes data, DetailSink& sink) {
  for (const KindTable& k : kKinds) {
    if (k.slave != slave || kind != k.kind) continue;
    Attrs attrs = ParsePayload(data.data, data.size);
    for (size_t i = 0; i < k.count; i++) ReadDetail(k.attrs[i], attrs[k.attrs[i].type], sink);
    return true;
  }
  return false;
}


namespace {
// The positive errno of a negative netlink error code; anything else is not one the kernel sends
// (and -INT_MIN would not fit an int).
int Errno(int code) { return code < 0 && code != INT32_MIN ? -code : EPROTO; }
}  // namespace

Replies WalkReplies(const void* buf, size_t len, uint32_t seq, uint32_t portid,
                    const std::function<void(const nlmsghdr*)>& each, int* err, std::string* ack) {
  // Not mnl_nlmsg_ok/mnl_nlmsg_next: they compare (int)nlmsg_len, so a length of 2^31 or more
  // passes the check and the walk jumps outside the buffer (found by test/fuzz/rtnl_replies).
  const char* at = static_cast<const char*>(buf);
  for (size_t left = len, step; left >= sizeof(nlmsghdr); at += step, left -= step) {
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(at);
    if (nlh->nlmsg_len < sizeof(nlmsghdr) || nlh->nlmsg_len > left) break;
    step = std::min<size_t>(NLMSG_ALIGN(size_t{nlh->nlmsg_len}), left);
    if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != portid) continue;  // a stale reply
    size_t payload_len = mnl_nlmsg_get_payload_len(nlh);
    const char* payload = static_cast<const char*>(mnl_nlmsg_get_payload(nlh));
    // NLMSGERR_ATTR_MSG after the error/done payload, when the kernel sent one.
    auto ack_text = [&](size_t skip) -> std::string {
      if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || payload_len <= skip) return {};
      return Str(ParsePayload(payload + skip, payload_len - skip)[NLMSGERR_ATTR_MSG]);
    };
    if (nlh->nlmsg_type == NLMSG_DONE) {
      int code = 0;
      if (payload_len >= sizeof(int)) std::memcpy(&code, payload, sizeof(int));
      if (code >= 0) return Replies::kDone;
      *err = Errno(code);
      *ack = ack_text(sizeof(int));
      return Replies::kError;
    }
    if (nlh->nlmsg_type == NLMSG_ERROR) {
      nlmsgerr e;
      if (payload_len < sizeof(e)) {
        *err = EPROTO;
        return Replies::kError;
      }
      std::memcpy(&e, payload, sizeof(e));
      if (e.error == 0) return Replies::kDone;  // the acknowledgement
      // Without NLM_F_CAPPED the kernel echoes our whole request after the error; the extended
      // ack attributes start at the next 4-byte boundary after it.
      size_t skip = sizeof(nlmsgerr);
      if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e.msg.nlmsg_len > sizeof(nlmsghdr)) skip += e.msg.nlmsg_len - sizeof(nlmsghdr);
      *err = Errno(e.error);
      *ack = ack_text(NLMSG_ALIGN(skip));
      return Replies::kError;
    }
    each(nlh);
  }
  return Replies::kMore;
}

void ParseEthtoolStats(const void* strings, size_t strings_len, const void* stats, size_t stats_len,
                       std::vector<std::string>* names, std::vector<uint64_t>* values) {
  ethtool_gstrings gs;
  ethtool_stats st;
  if (strings_len < sizeof(gs) || stats_len < sizeof(st)) return;
  std::memcpy(&gs, strings, sizeof(gs));
  std::memcpy(&st, stats, sizeof(st));
  // The kernel reports how many it filled; never trust that past what the buffers hold.
  size_t count = std::min<size_t>({gs.len, st.n_stats, (strings_len - sizeof(gs)) / ETH_GSTRING_LEN,
                                   (stats_len - sizeof(st)) / sizeof(uint64_t)});
  const char* text = static_cast<const char*>(strings) + sizeof(gs);
  const uint8_t* numbers = static_cast<const uint8_t*>(stats) + sizeof(st);
  for (size_t i = 0; i < count; i++) {
    const char* s = text + i * ETH_GSTRING_LEN;
    names->emplace_back(s, strnlen(s, ETH_GSTRING_LEN));
    uint64_t v;
    std::memcpy(&v, numbers + i * sizeof(uint64_t), sizeof(v));
    values->push_back(v);
  }
}

}  // namespace bpfscope::netlink
