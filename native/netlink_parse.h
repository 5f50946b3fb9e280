// Parsers for the bytes of netlink and ethtool replies: records out, nothing else. No N-API and no
// system calls, so the fuzz targets (test/fuzz/) link this file alone; netlink.cc does the talking.
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bpfscope::netlink {

// Bytes of one attribute, inside the message they came in.
struct Bytes {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

// RTM_NEWLINK, read in place: the views point into the message and are valid while it is. A
// namespace may hold thousands of devices; nothing here allocates.
struct Link {
  int32_t ifindex = 0;
  uint16_t type = 0;   // ifi_type, ARPHRD_*
  uint32_t flags = 0;  // ifi_flags, IFF_*
  std::string_view name, kind, slave_kind, qdisc, alias;  // empty when absent
  Bytes info_data, slave_data;  // IFLA_INFO_DATA, IFLA_INFO_SLAVE_DATA (ReadLinkDetails); empty when absent
  std::string alt_names;  // IFLA_PROP_LIST's IFLA_ALT_IFNAMEs (5.5+), space-separated; empty when none
  Bytes mac, broadcast, perm_mac;                         // hardware addresses; empty when absent
  std::optional<uint32_t> mtu, min_mtu, max_mtu, master, txqlen, link, group, promiscuity;
  std::optional<uint32_t> num_tx_queues, num_rx_queues;
  std::optional<int32_t> link_netnsid;
  std::optional<uint8_t> operstate, linkmode;
  Bytes stats64;  // struct rtnl_link_stats64, as many whole u64 fields as the kernel sent
  bool has_xdp = false;
  uint8_t xdp_attached = 0;  // XDP_ATTACHED_*
  uint32_t xdp_prog_id = 0, xdp_drv_prog_id = 0, xdp_skb_prog_id = 0, xdp_hw_prog_id = 0;

  size_t stats_count() const { return stats64.size / sizeof(uint64_t); }
  uint64_t stat(size_t i) const;  // i < stats_count(); the attribute is only 4-byte aligned
};

// "aa:bb:cc:dd:ee:ff" for a hardware address of any length, into `out` (3 bytes per input byte);
// returns the text's length.
size_t FormatHwAddr(Bytes addr, char* out);

// Receives a device's details (ReadLinkDetails), each under its name as InterfaceInfo's kindInfo /
// slaveInfo spell it ("portRange.low": a member of an object).
class DetailSink {
 public:
  virtual void Number(const char* name, double v) = 0;
  virtual void BigInt(const char* name, uint64_t v) = 0;
  virtual void Boolean(const char* name, bool v) = 0;
  virtual void String(const char* name, std::string_view v) = 0;

 protected:
  ~DetailSink() = default;
};

// The attributes in `data`, a device's IFLA_INFO_DATA when its kind is `kind` (or, with `slave`,
// the IFLA_INFO_SLAVE_DATA its master of kind `kind` puts there), handed to `sink`. False for a
// kind without a table here (veth sends no data).
bool ReadLinkDetails(std::string_view kind, bool slave, Bytes data, DetailSink& sink);

// RTM_NEWADDR.
struct Address {
  uint8_t family = 0, prefixlen = 0, scope = 0;
  uint32_t flags = 0;  // IFA_FLAGS when present, else ifa_flags
  int32_t ifindex = 0;
  std::string address, local, broadcast, label;
  std::optional<uint32_t> valid_lft, preferred_lft;
  std::optional<uint8_t> proto;
};

// One next hop of RTA_MULTIPATH.
struct NextHop {
  std::string gateway;
  int32_t ifindex = 0;
  uint8_t flags = 0;
  uint32_t weight = 1;
};

// RTM_NEWROUTE.
struct Route {
  uint8_t family = 0, dst_len = 0, src_len = 0, tos = 0, protocol = 0, scope = 0, type = 0;
  uint32_t table = 0, flags = 0;
  std::string dst, src, gateway, prefsrc;
  std::optional<int32_t> oif;
  std::optional<uint32_t> priority;
  std::optional<uint8_t> pref;
  // RTA_CACHEINFO's rta_expires, in clock ticks (USER_HZ), when the route expires (an IPv6 route
  // learned from a router advertisement, or added with one).
  std::optional<int32_t> expires;
  std::vector<NextHop> nexthops;
};

// RTM_NEWNEIGH.
struct Neighbor {
  uint8_t family = 0, flags = 0, type = 0;
  uint16_t state = 0;
  int32_t ifindex = 0;
  std::string dst, lladdr;
  std::optional<uint32_t> probes;
};

// RTM_NEWQDISC and RTM_NEWTFILTER share struct tcmsg.
struct Qdisc {
  int32_t ifindex = 0;
  uint32_t handle = 0, parent = 0;
  std::string kind;
};

struct TcFilter {
  int32_t ifindex = 0;
  uint32_t handle = 0, parent = 0, info = 0;  // info: priority << 16 | protocol (network order)
  std::optional<uint32_t> chain;
  std::string kind;
  bool has_options = false;
  // cls_bpf (TCA_KIND "bpf")
  std::string bpf_name, bpf_tag;
  std::optional<uint32_t> bpf_id, bpf_flags, bpf_flags_gen, bpf_classid;
};

bool ParseLink(const void* message, size_t len, Link* out);
bool ParseAddress(const void* message, size_t len, Address* out);
bool ParseRoute(const void* message, size_t len, Route* out);
bool ParseNeighbor(const void* message, size_t len, Neighbor* out);
bool ParseQdisc(const void* message, size_t len, Qdisc* out);
bool ParseTcFilter(const void* message, size_t len, TcFilter* out);
bool ParseNsid(const void* message, size_t len, int32_t* out);

// How one recv() buffer of replies to request `seq` on socket `portid` ended.
enum class Replies {
  kMore,   // every message was a record (handed to `each`): the dump goes on in the next buffer
  kDone,   // NLMSG_DONE, or the acknowledgement (NLMSG_ERROR with error 0)
  kError,  // the kernel refused: *err is the positive errno, *ack its extended-ack text if any
};
// Walks the messages in `buf`, skipping replies to other requests. Messages are bounds-checked
// against `len` (a message that claims more bytes than are left ends the walk).
Replies WalkReplies(const void* buf, size_t len, uint32_t seq, uint32_t portid,
                    const std::function<void(const nlmsghdr*)>& each, int* err, std::string* ack);

// SIOCETHTOOL replies: `strings` holds a struct ethtool_gstrings (ETH_SS_STATS), `stats` a struct
// ethtool_stats, each as the kernel filled it in a buffer of that many bytes. Appends one name and
// one value per statistic both describe and both buffers hold.
void ParseEthtoolStats(const void* strings, size_t strings_len, const void* stats, size_t stats_len,
                       std::vector<std::string>* names, std::vector<uint64_t>* values);

}  // namespace bpfscope::netlink
