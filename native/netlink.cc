// Why libmnl: it is the small netlink library that ethtool, parts of iproute2 and nftables use,
// packaged everywhere (Debian libmnl0/libmnl-dev). It does the parts that are easy to get subtly
// wrong by hand — message and attribute alignment, bounds-checked attribute walking
// (mnl_attr_for_each stops at the first attribute whose length runs past the message), nesting
// while building requests — and nothing more: no caching, no object model, no threads, so every
// record below is our own and every request is visible here. libnl-route would give ready-made
// objects but pulls in its own cache layer and allocations per attribute, which would not help a
// 2,000-interface dump. The message types and attribute numbers come from the 6.1 uapi headers;
// attributes newer than them are simply not read (unknown attributes are ignored everywhere).
#include "netlink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/net_namespace.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <set>

#include "handle.h"
#include "ids.h"
#include "netns.h"
#include "programs.h"
#include "table.h"
#include "uapi_compat.h"

namespace bpfscope::netlink {

namespace {

// ---- the socket ------------------------------------------------------------------------------

// One NETLINK_ROUTE socket, bound to the namespace of the thread that opens it.
class Rtnl {
 public:
  Rtnl() = default;
  Rtnl(const Rtnl&) = delete;
  Rtnl& operator=(const Rtnl&) = delete;
  ~Rtnl() {
    if (nl_) mnl_socket_close(nl_);
  }

  bool Open(Failure& failure) {
    nl_ = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (!nl_) return failure.Set(errno, "socket", "NETLINK_ROUTE");
    int one = 1;
    // Error messages from the kernel (extended ack), without a copy of our request in them.
    mnl_socket_setsockopt(nl_, NETLINK_EXT_ACK, &one, sizeof(one));
    mnl_socket_setsockopt(nl_, NETLINK_CAP_ACK, &one, sizeof(one));
    if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) return failure.Set(errno, "bind", "NETLINK_ROUTE");
    portid_ = mnl_socket_get_portid(nl_);
    buf_.resize(kBufferSize);
    return true;
  }

  // A new request in the send buffer: header plus a zeroed family header of `fixed` bytes.
  nlmsghdr* Start(uint16_t type, uint16_t flags, size_t fixed) {
    std::memset(req_.data(), 0, req_.size());
    nlmsghdr* nlh = mnl_nlmsg_put_header(req_.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
    mnl_nlmsg_put_extra_header(nlh, fixed);
    return nlh;
  }
  size_t Room() const { return req_.size(); }

  // Sends the request and hands every reply message to `each` until the dump ends or the
  // request is acknowledged. A NLMSG_ERROR becomes `failure` (op, object, extended-ack text).
  bool Talk(nlmsghdr* req, const char* op, const std::string& object, const std::function<void(const nlmsghdr*)>& each,
            Failure& failure) {
    bool dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
    if (!dump) req->nlmsg_flags |= NLM_F_ACK;
    req->nlmsg_seq = ++seq_;
    if (mnl_socket_sendto(nl_, req, req->nlmsg_len) < 0) return failure.Set(errno, op, object);
    for (;;) {
      ssize_t n = mnl_socket_recvfrom(nl_, buf_.data(), buf_.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return failure.Set(errno, op, object);
      }
      int err = 0;
      std::string ack;
      switch (WalkReplies(buf_.data(), static_cast<size_t>(n), seq_, portid_, each, &err, &ack)) {
        case Replies::kMore: continue;
        case Replies::kDone: return true;
        case Replies::kError: return failure.Set(err, op, object, std::move(ack));
      }
    }
  }

  // A request whose only answer is the acknowledgement.
  bool Do(nlmsghdr* req, const char* op, const std::string& object, Failure& failure) {
    return Talk(req, op, object, [](const nlmsghdr*) {}, failure);
  }

 private:
  // Dumps come in skbs of at most 32 KiB (netlink's max_recvmsg_len cap).
  static constexpr size_t kBufferSize = 64 * 1024;
  mnl_socket* nl_ = nullptr;
  uint32_t portid_ = 0;
  uint32_t seq_ = 0;
  std::vector<char> buf_;
  std::array<char, 4096> req_ {};
};

// The ifindex of an alternative name too long for if_nametoindex (16 to 127 bytes, Linux 5.5+):
// RTM_GETLINK looks names up by IFLA_ALT_IFNAME, as `ip link show dev NAME` does.
bool IfIndexOfAltName(const std::string& name, int32_t* out, Failure& failure) {
  Rtnl nl;
  if (!nl.Open(failure)) return false;
  nlmsghdr* req = nl.Start(RTM_GETLINK, 0, sizeof(ifinfomsg));
  mnl_attr_put_strz(req, IFLA_ALT_IFNAME, name.c_str());
  // The kernel sends the device's whole RTM_NEWLINK; only its header is read.
  mnl_attr_put_u32(req, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  *out = 0;
  bool ok = nl.Talk(req, "RTM_GETLINK", "interface " + name, [&](const nlmsghdr* reply) {
    if (reply->nlmsg_type == RTM_NEWLINK && reply->nlmsg_len >= NLMSG_LENGTH(sizeof(ifinfomsg)))
      *out = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(reply))->ifi_index;
  }, failure);
  if (ok && *out <= 0) return failure.Set(ENODEV, "RTM_GETLINK", "interface " + name);
  return ok;
}

}  // namespace

bool IfIndex(const std::string& name, int32_t* out, Failure& failure) {
  if (name.size() >= IFNAMSIZ) return IfIndexOfAltName(name, out, failure);
  // if_nametoindex (SIOCGIFINDEX) finds alternative names of up to 15 bytes too.
  unsigned int index = if_nametoindex(name.c_str());
  if (index == 0) return failure.Set(errno, "if_nametoindex", "interface " + name);
  *out = static_cast<int32_t>(index);
  return true;
}

namespace {

// ---- records to JS ---------------------------------------------------------------------------

template <typename T>
void SetIf(Napi::Object& o, const char* key, const std::optional<T>& v) {
  if (v) o.Set(key, Napi::Number::New(o.Env(), *v));
}
void SetIf(Napi::Object& o, const char* key, const std::string& v) {
  if (!v.empty()) o.Set(key, v);
}

// Links cross to JS as a column table (table.h): a namespace may hold thousands of devices.
#define LINK_NUMBERS(X)                                                                                       \
  X(ifindex) X(type) X(flags) X(mtu) X(minMtu) X(maxMtu) X(master) X(txqlen) X(link) X(group) X(promiscuity) \
  X(numTxQueues) X(numRxQueues) X(linkNetnsId) X(operState) X(linkMode) X(xdpAttached) X(xdpProgId)       \
  X(xdpDrvProgId) X(xdpSkbProgId) X(xdpHwProgId)
#define LINK_STRINGS(X) X(name) X(kind) X(slaveKind) X(qdisc) X(alias) X(altNames) X(mac) X(broadcast) X(permMac)
// struct rtnl_link_stats64 in kernel order; a kernel that sends fewer leaves the rest missing.
#define LINK_BIGINTS(X)                                                                                       \
  X(rxPackets) X(txPackets) X(rxBytes) X(txBytes) X(rxErrors) X(txErrors) X(rxDropped) X(txDropped)          \
  X(multicast) X(collisions) X(rxLengthErrors) X(rxOverErrors) X(rxCrcErrors) X(rxFrameErrors)               \
  X(rxFifoErrors) X(rxMissedErrors) X(txAbortedErrors) X(txCarrierErrors) X(txFifoErrors)                    \
  X(txHeartbeatErrors) X(txWindowErrors) X(rxCompressed) X(txCompressed) X(rxNohandler) X(rxOtherhostDropped)

enum LinkNumber { LINK_NUMBERS(BPFSCOPE_COLUMN_ENUM) };
enum LinkString { LINK_STRINGS(BPFSCOPE_COLUMN_ENUM) };
enum LinkBigint { LINK_BIGINTS(BPFSCOPE_COLUMN_ENUM) kStatsColumns };

const Schema& LinkSchema() {
  static const Schema schema{{LINK_NUMBERS(BPFSCOPE_COLUMN_NAME)}, {}, {LINK_BIGINTS(BPFSCOPE_COLUMN_NAME)},
                             {LINK_STRINGS(BPFSCOPE_COLUMN_NAME)}};
  return schema;
}

template <typename T>
void NumberIf(Table& t, size_t col, const std::optional<T>& v) {
  if (v) t.Number(col, *v);
}
void StringIf(Table& t, size_t col, std::string_view v) {
  if (!v.empty()) t.String(col, v);
}
void HwAddrIf(Table& t, size_t col, Bytes addr) {
  if (addr.size == 0) return;
  char text[3 * 64];  // MAX_ADDR_LEN is 32; a longer attribute is cut, never overrun
  t.String(col, std::string_view(text, FormatHwAddr({addr.data, std::min<size_t>(addr.size, 64)}, text)));
}

void AddLinkRow(Table& t, const Link& l) {
  t.AddRow();
  t.Number(k_ifindex, l.ifindex);
  t.Number(k_type, l.type);
  t.Number(k_flags, l.flags);
  NumberIf(t, k_mtu, l.mtu);
  NumberIf(t, k_minMtu, l.min_mtu);
  NumberIf(t, k_maxMtu, l.max_mtu);
  NumberIf(t, k_master, l.master);
  NumberIf(t, k_txqlen, l.txqlen);
  NumberIf(t, k_link, l.link);
  NumberIf(t, k_group, l.group);
  NumberIf(t, k_promiscuity, l.promiscuity);
  NumberIf(t, k_numTxQueues, l.num_tx_queues);
  NumberIf(t, k_numRxQueues, l.num_rx_queues);
  NumberIf(t, k_linkNetnsId, l.link_netnsid);
  NumberIf(t, k_operState, l.operstate);
  NumberIf(t, k_linkMode, l.linkmode);
  if (l.has_xdp) {
    t.Number(k_xdpAttached, l.xdp_attached);
    t.Number(k_xdpProgId, l.xdp_prog_id);
    t.Number(k_xdpDrvProgId, l.xdp_drv_prog_id);
    t.Number(k_xdpSkbProgId, l.xdp_skb_prog_id);
    t.Number(k_xdpHwProgId, l.xdp_hw_prog_id);
  }
  t.String(k_name, l.name);
  StringIf(t, k_kind, l.kind);
  StringIf(t, k_slaveKind, l.slave_kind);
  StringIf(t, k_qdisc, l.qdisc);
  StringIf(t, k_alias, l.alias);
  StringIf(t, k_altNames, l.alt_names);
  HwAddrIf(t, k_mac, l.mac);
  HwAddrIf(t, k_broadcast, l.broadcast);
  HwAddrIf(t, k_permMac, l.perm_mac);
  size_t n = std::min<size_t>(l.stats_count(), kStatsColumns);
  for (size_t i = 0; i < n; i++) t.BigInt(i, l.stat(i));
}

// A device's details (ReadLinkDetails) cross as a second table, one row per value, only for the
// devices that have any: a namespace of veths (which send no IFLA_INFO_DATA) pays nothing for it.
// `row` is the device's row in the link table, `slave` says kindInfo (0) or slaveInfo (1), `key`
// is the value's name, and the value is in whichever of value/flag/big/text its type uses.
#define DETAIL_NUMBERS(X) X(row) X(value)
#define DETAIL_BOOLEANS(X) X(slave) X(flag)
#define DETAIL_STRINGS(X) X(key) X(text)
enum DetailNumber { DETAIL_NUMBERS(BPFSCOPE_COLUMN_ENUM) };
enum DetailBoolean { DETAIL_BOOLEANS(BPFSCOPE_COLUMN_ENUM) };
enum DetailString { DETAIL_STRINGS(BPFSCOPE_COLUMN_ENUM) };
constexpr size_t k_big = 0;

const Schema& LinkDetailSchema() {
  static const Schema schema{{DETAIL_NUMBERS(BPFSCOPE_COLUMN_NAME)}, {DETAIL_BOOLEANS(BPFSCOPE_COLUMN_NAME)}, {"big"},
                             {DETAIL_STRINGS(BPFSCOPE_COLUMN_NAME)}};
  return schema;
}

class DetailRows final : public DetailSink {
 public:
  DetailRows(Table& t, size_t row, bool slave) : t_(t), row_(static_cast<double>(row)), slave_(slave) {}
  void Number(const char* name, double v) override { Start(name).Number(k_value, v); }
  void BigInt(const char* name, uint64_t v) override { Start(name).BigInt(k_big, v); }
  void Boolean(const char* name, bool v) override { Start(name).Boolean(k_flag, v); }
  void String(const char* name, std::string_view v) override { Start(name).String(k_text, v); }

 private:
  Table& Start(const char* name) {
    t_.AddRow();
    t_.Number(k_row, row_);
    t_.Boolean(k_slave, slave_);
    t_.String(k_key, name);
    return t_;
  }
  Table& t_;
  double row_;
  bool slave_;
};

void AddLinkDetails(Table& t, size_t row, const Link& l) {
  if (l.info_data.size) {
    DetailRows rows(t, row, false);
    ReadLinkDetails(l.kind, false, l.info_data, rows);
  }
  if (l.slave_data.size) {
    DetailRows rows(t, row, true);
    ReadLinkDetails(l.slave_kind, true, l.slave_data, rows);
  }
}

Napi::Object AddressToJs(Napi::Env env, const Address& a) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("family", a.family);
  o.Set("ifindex", a.ifindex);
  o.Set("prefixlen", a.prefixlen);
  o.Set("scope", a.scope);
  o.Set("flags", a.flags);
  SetIf(o, "address", a.address);
  SetIf(o, "local", a.local);
  SetIf(o, "broadcast", a.broadcast);
  SetIf(o, "label", a.label);
  SetIf(o, "validLifetime", a.valid_lft);
  SetIf(o, "preferredLifetime", a.preferred_lft);
  SetIf(o, "proto", a.proto);
  return o;
}

Napi::Object RouteToJs(Napi::Env env, const Route& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("family", r.family);
  o.Set("dstLen", r.dst_len);
  o.Set("srcLen", r.src_len);
  o.Set("tos", r.tos);
  o.Set("protocol", r.protocol);
  o.Set("scope", r.scope);
  o.Set("type", r.type);
  o.Set("table", r.table);
  o.Set("flags", r.flags);
  SetIf(o, "dst", r.dst);
  SetIf(o, "src", r.src);
  SetIf(o, "gateway", r.gateway);
  SetIf(o, "prefsrc", r.prefsrc);
  SetIf(o, "oif", r.oif);
  SetIf(o, "priority", r.priority);
  SetIf(o, "pref", r.pref);
  // Seconds, in the ticks' resolution: the kernel converts to USER_HZ, which sysconf reports.
  if (r.expires) o.Set("expires", static_cast<double>(*r.expires) / static_cast<double>(sysconf(_SC_CLK_TCK)));
  if (!r.nexthops.empty()) {
    Napi::Array hops = Napi::Array::New(env, r.nexthops.size());
    for (uint32_t i = 0; i < r.nexthops.size(); i++) {
      Napi::Object h = Napi::Object::New(env);
      SetIf(h, "gateway", r.nexthops[i].gateway);
      h.Set("oif", r.nexthops[i].ifindex);
      h.Set("flags", r.nexthops[i].flags);
      h.Set("weight", r.nexthops[i].weight);
      hops.Set(i, h);
    }
    o.Set("nexthops", hops);
  }
  return o;
}

Napi::Object NeighborToJs(Napi::Env env, const Neighbor& n) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("family", n.family);
  o.Set("ifindex", n.ifindex);
  o.Set("state", n.state);
  o.Set("flags", n.flags);
  o.Set("type", n.type);
  SetIf(o, "dst", n.dst);
  SetIf(o, "lladdr", n.lladdr);
  SetIf(o, "probes", n.probes);
  return o;
}

Napi::Object TcFilterToJs(Napi::Env env, const TcFilter& f) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ifindex", f.ifindex);
  o.Set("handle", f.handle);
  o.Set("parent", f.parent);
  o.Set("priority", f.info >> 16);
  o.Set("protocol", ntohs(static_cast<uint16_t>(f.info & 0xffff)));
  SetIf(o, "chain", f.chain);
  o.Set("kind", f.kind);
  SetIf(o, "name", f.bpf_name);
  SetIf(o, "progId", f.bpf_id);
  SetIf(o, "tag", f.bpf_tag);
  SetIf(o, "bpfFlags", f.bpf_flags);
  SetIf(o, "bpfFlagsGen", f.bpf_flags_gen);
  SetIf(o, "classid", f.bpf_classid);
  return o;
}

template <typename Record>
Napi::Array ArrayToJs(Napi::Env env, const std::vector<Record>& records, Napi::Object (*to_js)(Napi::Env, const Record&)) {
  Napi::Array list = Napi::Array::New(env, records.size());
  for (uint32_t i = 0; i < records.size(); i++) list.Set(i, to_js(env, records[i]));
  return list;
}

// ---- dumps -----------------------------------------------------------------------------------

// One dump request (`type`, with a zeroed family header of `Fixed`): each reply parsed by `parse`
// is handed to `each` while its message is still in the receive buffer.
template <typename Record, typename Fixed>
bool DumpEach(Rtnl& nl, uint16_t type, const char* op, const std::string& object,
              bool (*parse)(const void*, size_t, Record*), const std::function<void(Record&)>& each,
              Failure& failure, const std::function<void(nlmsghdr*)>& customize = {}) {
  nlmsghdr* req = nl.Start(type, NLM_F_DUMP, sizeof(Fixed));
  if (customize) customize(req);
  return nl.Talk(req, op, object, [&](const nlmsghdr* nlh) {
    Record record;
    if (parse(nlh, nlh->nlmsg_len, &record)) each(record);
  }, failure);
}

// The same, keeping every record (records that own their bytes).
template <typename Record, typename Fixed>
bool Dump(Rtnl& nl, uint16_t type, const char* op, const std::string& object,
          bool (*parse)(const void*, size_t, Record*), std::vector<Record>* out, Failure& failure,
          const std::function<void(nlmsghdr*)>& customize = {}) {
  return DumpEach<Record, Fixed>(nl, type, op, object, parse, [out](Record& r) { out->push_back(std::move(r)); },
                                 failure, customize);
}

// What a dump task keeps of its records, and how it hands them to JS. Small listings (addresses,
// routes, neighbours) become an array of objects on the main thread:
template <typename Record, Napi::Object (*ToJs)(Napi::Env, const Record&)>
struct Objects {
  std::vector<Record> records;
  void Add(Record& r) { records.push_back(std::move(r)); }
  Napi::Value Result(Napi::Env env) { return ArrayToJs(env, records, ToJs); }
};

// Links (thousands in a namespace) become table rows as they arrive, on the worker thread, and
// cross as one column table.
struct LinkRows {
  static inline RowsHint hint;
  Table table{LinkSchema(), hint.get()};
  Table details{LinkDetailSchema()};
  void Add(const Link& l) {
    AddLinkRow(table, l);
    if (l.info_data.size || l.slave_data.size) AddLinkDetails(details, table.rows() - 1, l);
  }
  // The link table, with the details table as its `details` when any device has some.
  Napi::Value Result(Napi::Env env) {
    hint.set(table.rows());
    Napi::Object out = table.ToJs(env);
    if (details.rows()) out.Set("details", details.ToJs(env));
    return out;
  }
};

template <typename Record, typename Fixed, typename Collector>
class DumpTask : public Task {
 public:
  using Parse = bool (*)(const void*, size_t, Record*);
  // `also`, when set, asks for a second dump with the request it customizes (neighbours: the
  // proxy entries, which a plain dump leaves out).
  DumpTask(uint16_t type, const char* op, Parse parse, void (*also)(nlmsghdr*))
      : type_(type), op_(op), parse_(parse), also_(also) {}
  bool Run(Failure& failure) override {
    Rtnl nl;
    auto keep = [this](Record& r) { collected_.Add(r); };
    return nl.Open(failure) && DumpEach<Record, Fixed>(nl, type_, op_, "dump", parse_, keep, failure) &&
           (!also_ || DumpEach<Record, Fixed>(nl, type_, op_, "dump", parse_, keep, failure, also_));
  }
  Napi::Value Result(Napi::Env env) override { return collected_.Result(env); }

 private:
  uint16_t type_;
  const char* op_;
  Parse parse_;
  void (*also_)(nlmsghdr*);
  Collector collected_;
};

template <typename Record, typename Fixed, typename Collector>
Napi::Function DumpFunction(Napi::Env env, const char* name, uint16_t type, const char* op,
                            bool (*parse)(const void*, size_t, Record*), void (*also)(nlmsghdr*) = nullptr) {
  struct Spec {
    uint16_t type;
    const char* op;
    bool (*parse)(const void*, size_t, Record*);
    void (*also)(nlmsghdr*);
  };
  auto* spec = new Spec{type, op, parse, also};  // lives as long as the function (process lifetime)
  return Napi::Function::New(
      env,
      [](const Napi::CallbackInfo& info) -> Napi::Value {
        auto* s = static_cast<Spec*>(info.Data());
        netns::Target target;
        if (!netns::ArgTarget(info, 0, &target)) return info.Env().Undefined();
        return netns::Run(info.Env(), target, std::make_unique<DumpTask<Record, Fixed, Collector>>(s->type, s->op, s->parse, s->also));
      },
      name, spec);
}

// A neighbour dump asking for the proxy entries (`ip neigh show proxy`), kept in a table of their own.
void ProxyNeighbors(nlmsghdr* req) { static_cast<ndmsg*>(mnl_nlmsg_get_payload(req))->ndm_flags = NTF_PROXY; }

// ---- nsids -----------------------------------------------------------------------------------

// The nsid each of `paths` has in the thread's namespace (RTM_GETNSID with NETNSA_FD): -1 when
// none is assigned, nullopt when the file cannot be opened (a process that exited).
class NsidsTask : public Task {
 public:
  explicit NsidsTask(std::vector<std::string> paths) : paths_(std::move(paths)) {}
  bool Run(Failure& failure) override {
    Rtnl nl;
    if (!nl.Open(failure)) return false;
    for (const std::string& path : paths_) {
      Failure unopened;  // a namespace that is gone, or a path that names none, has no nsid
      Fd ns = netns::OpenNetns(path, unopened);
      if (!ns.valid()) {
        nsids_.push_back(std::nullopt);
        continue;
      }
      nlmsghdr* req = nl.Start(RTM_GETNSID, 0, sizeof(rtgenmsg));
      mnl_attr_put_u32(req, NETNSA_FD, static_cast<uint32_t>(ns.get()));
      std::optional<int32_t> nsid;
      Failure f;
      bool ok = nl.Talk(req, "RTM_GETNSID", "netns " + path, [&](const nlmsghdr* nlh) {
        int32_t v;
        if (ParseNsid(nlh, nlh->nlmsg_len, &v)) nsid = v;
      }, f);
      // EINVAL: the file is not a network namespace; treat it like one that vanished.
      if (!ok && f.err != EINVAL) {
        failure = f;
        return false;
      }
      nsids_.push_back(nsid);
    }
    return true;
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Array list = Napi::Array::New(env, nsids_.size());
    for (uint32_t i = 0; i < nsids_.size(); i++)
      list.Set(i, nsids_[i] ? Napi::Value(Napi::Number::New(env, *nsids_[i])) : env.Null());
    return list;
  }

 private:
  std::vector<std::string> paths_;
  std::vector<std::optional<int32_t>> nsids_;
};

// ---- ethtool ---------------------------------------------------------------------------------

// `ethtool -S`: the driver's statistics (veth: peer_ifindex first), by SIOCETHTOOL.
class EthtoolStatsTask : public Task {
 public:
  explicit EthtoolStatsTask(std::string ifname) : ifname_(std::move(ifname)) {}
  bool Run(Failure& failure) override {
    std::string object = "interface " + ifname_;
    // The ioctl takes names of up to 15 bytes: a longer alternative name goes by the device's name.
    char name[IFNAMSIZ] = {};
    if (ifname_.size() >= IFNAMSIZ) {
      int32_t ifindex;
      if (!IfIndex(ifname_, &ifindex, failure)) return false;
      if (!if_indextoname(static_cast<unsigned>(ifindex), name)) return failure.Set(errno, "if_indextoname", object);
    } else {
      std::memcpy(name, ifname_.c_str(), ifname_.size());
    }
    Fd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock.valid()) return failure.Set(errno, "socket", "AF_INET");
    auto ioctl = [&](void* data, const char* cmd) {
      struct ifreq ifr {};
      std::memcpy(ifr.ifr_name, name, sizeof(name));
      ifr.ifr_data = static_cast<char*>(data);
      if (::ioctl(sock.get(), SIOCETHTOOL, &ifr) != 0) return failure.Set(errno, "SIOCETHTOOL", object, cmd);
      return true;
    };
    std::vector<uint8_t> sset(sizeof(ethtool_sset_info) + sizeof(uint32_t), 0);
    auto* info = reinterpret_cast<ethtool_sset_info*>(sset.data());
    info->cmd = ETHTOOL_GSSET_INFO;
    info->sset_mask = 1ULL << ETH_SS_STATS;
    if (!ioctl(info, "ETHTOOL_GSSET_INFO")) return false;
    if (!(info->sset_mask & (1ULL << ETH_SS_STATS))) return failure.Set(EOPNOTSUPP, "SIOCETHTOOL", object, "the driver has no statistics");
    uint32_t n = info->data[0];

    std::vector<uint8_t> strings(sizeof(ethtool_gstrings) + size_t(n) * ETH_GSTRING_LEN, 0);
    auto* gs = reinterpret_cast<ethtool_gstrings*>(strings.data());
    gs->cmd = ETHTOOL_GSTRINGS;
    gs->string_set = ETH_SS_STATS;
    gs->len = n;
    if (!ioctl(gs, "ETHTOOL_GSTRINGS")) return false;

    std::vector<uint8_t> stats(sizeof(ethtool_stats) + size_t(n) * sizeof(uint64_t), 0);
    auto* st = reinterpret_cast<ethtool_stats*>(stats.data());
    st->cmd = ETHTOOL_GSTATS;
    st->n_stats = n;
    if (!ioctl(st, "ETHTOOL_GSTATS")) return false;

    ParseEthtoolStats(strings.data(), strings.size(), stats.data(), stats.size(), &names_, &values_);
    return true;
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    Napi::Array names = Napi::Array::New(env, names_.size());
    Napi::BigUint64Array values = Napi::BigUint64Array::New(env, values_.size());
    if (values.IsEmpty()) return values;  // a stopping environment (task.h CanRunJs)
    for (uint32_t i = 0; i < names_.size(); i++) {
      names.Set(i, names_[i]);
      values[i] = values_[i];
    }
    o.Set("names", names);
    o.Set("values", values);
    return o;
  }

 private:
  std::string ifname_;
  std::vector<std::string> names_;
  std::vector<uint64_t> values_;
};

// ---- BPF attachments -------------------------------------------------------------------------

// One program on an mprog hook (tcx, netkit) or the netns flow dissector, in execution order.
struct MprogEntry {
  int32_t ifindex = 0;
  uint32_t attach_type = 0;
  uint32_t prog_id = 0, link_id = 0, prog_flags = 0, link_flags = 0;
  uint64_t revision = 0;
};

// Raw BPF_PROG_QUERY (libbpf 1.1.2 cannot return link ids or the revision). `target` is an ifindex
// in the thread's namespace, or a netns fd for the flow dissector. Returns false with errno.
bool MprogQuery(uint32_t target, uint32_t attach_type, bool with_links, std::vector<MprogEntry>* out, int32_t ifindex) {
  uint32_t capacity = 64;
  for (;;) {
    std::vector<uint32_t> ids(capacity), flags(capacity), links(capacity), link_flags(capacity);
    uapi::ProgQueryAttr attr {};
    attr.target = target;
    attr.attach_type = attach_type;
    attr.count = capacity;
    attr.prog_ids = reinterpret_cast<uintptr_t>(ids.data());
    attr.prog_attach_flags = reinterpret_cast<uintptr_t>(flags.data());
    if (with_links) {
      attr.link_ids = reinterpret_cast<uintptr_t>(links.data());
      attr.link_attach_flags = reinterpret_cast<uintptr_t>(link_flags.data());
    }
    long r = uapi::Syscall(uapi::kProgQuery, &attr, sizeof(attr));
    if (r < 0 && errno == ENOSPC && attr.count > capacity) {
      capacity = attr.count;  // attached while we asked: ask again with room for all
      continue;
    }
    if (r < 0) return false;
    for (uint32_t i = 0; i < std::min(attr.count, capacity); i++)
      out->push_back(MprogEntry{ifindex, attach_type, ids[i], links[i], flags[i], link_flags[i], attr.revision});
    return true;
  }
}

constexpr uint32_t kAttachFlowDissector = BPF_FLOW_DISSECTOR;

// Legacy tc filters hang off qdiscs; these are the parents `bpftool net` and `tc filter show`
// look at: clsact's two hooks, an ingress qdisc, and every other qdisc's handle.
struct TcParent {
  uint32_t parent;
  std::string hook;  // "tc/ingress", "tc/egress", "tc/<qdisc kind>"
};

std::vector<TcParent> ParentsOf(const Qdisc& q) {
  if (q.kind == "clsact")
    return {{TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS), "tc/ingress"}, {TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS), "tc/egress"}};
  if (q.kind == "ingress") return {{TC_H_MAKE(TC_H_INGRESS, 0), "tc/ingress"}};
  if (q.handle == 0) return {};
  return {{q.handle, "tc/" + q.kind}};
}

// Everything `bpftool net show` reports for one namespace (or one device in it), with the
// programs' info read by id in the same pass.
class AttachmentsTask : public Task {
 public:
  AttachmentsTask(std::string ifname, int32_t ifindex) : ifname_(std::move(ifname)), ifindex_(ifindex) {}

  bool Run(Failure& failure) override {
    Rtnl nl;
    if (!nl.Open(failure)) return false;
    if (!ifname_.empty() && !IfIndex(ifname_, &ifindex_, failure)) return false;
    if (!ReadLinks(nl, failure)) return false;
    std::vector<Qdisc> qdiscs;
    if (!Dump<Qdisc, tcmsg>(nl, RTM_GETQDISC, "RTM_GETQDISC", "dump", ParseQdisc, &qdiscs, failure)) return false;
    for (const Device& link : devices_) {
      uint32_t types[] = {uapi::kAttachTcxIngress, uapi::kAttachTcxEgress, uapi::kAttachNetkitPrimary, uapi::kAttachNetkitPeer};
      for (uint32_t type : types) {
        bool netkit = type == uapi::kAttachNetkitPrimary || type == uapi::kAttachNetkitPeer;
        if (netkit && !link.netkit) continue;
        if (MprogQuery(static_cast<uint32_t>(link.ifindex), type, true, &mprog_, link.ifindex)) continue;
        // EINVAL: a kernel before tcx (6.6); ENOENT: 6.6-rc kernels for a hook never used;
        // ENODEV: the device went away since the link dump. None of these is an attachment.
        if (errno == EINVAL || errno == ENOENT || errno == ENODEV) continue;
        return failure.Set(errno, "BPF_PROG_QUERY", "interface " + link.name);
      }
      for (const Qdisc& q : qdiscs) {
        if (q.ifindex != link.ifindex) continue;
        for (const TcParent& p : ParentsOf(q)) {
          std::vector<TcFilter> filters;
          bool ok = Dump<TcFilter, tcmsg>(nl, RTM_GETTFILTER, "RTM_GETTFILTER", "interface " + link.name, ParseTcFilter,
                                          &filters, failure, [&](nlmsghdr* req) {
                                            auto* tcm = static_cast<tcmsg*>(mnl_nlmsg_get_payload(req));
                                            tcm->tcm_ifindex = link.ifindex;
                                            tcm->tcm_parent = p.parent;
                                          });
          if (!ok) {
            if (failure.err != ENODEV && failure.err != EINVAL) return false;
            failure = Failure{};  // the device or qdisc went away meanwhile
            continue;
          }
          for (TcFilter& f : filters)
            if (f.has_options) tc_.push_back({p.hook, std::move(f)});
        }
      }
    }
    Fd self(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (self.valid()) MprogQuery(static_cast<uint32_t>(self.get()), kAttachFlowDissector, false, &flow_, 0);
    return ReadPrograms(failure);
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("links", links_.Result(env));
    o.Set("mprog", ArrayToJs<MprogEntry>(env, mprog_, MprogToJs));
    Napi::Array tc = Napi::Array::New(env, tc_.size());
    for (uint32_t i = 0; i < tc_.size(); i++) {
      Napi::Object f = TcFilterToJs(env, tc_[i].second);
      f.Set("hook", tc_[i].first);
      tc.Set(i, f);
    }
    o.Set("tc", tc);
    o.Set("flowDissector", ArrayToJs<MprogEntry>(env, flow_, MprogToJs));
    o.Set("programs", programs_.ToJs(env));
    return o;
  }

 private:
  static Napi::Object MprogToJs(Napi::Env env, const MprogEntry& e) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("ifindex", e.ifindex);
    o.Set("attachType", e.attach_type);
    o.Set("progId", e.prog_id);
    o.Set("linkId", e.link_id);
    o.Set("progFlags", e.prog_flags);
    o.Set("linkFlags", e.link_flags);
    o.Set("revision", U64(env, e.revision));
    return o;
  }

  // Every device (or the one asked for) as a table row, and what the rest of the pass needs of it.
  bool ReadLinks(Rtnl& nl, Failure& failure) {
    auto keep = [this](const Link& l) {
      links_.Add(l);
      devices_.push_back({l.ifindex, std::string(l.name), l.kind == "netkit",
                          {l.xdp_prog_id, l.xdp_drv_prog_id, l.xdp_skb_prog_id, l.xdp_hw_prog_id}});
    };
    if (ifindex_ == 0) return DumpEach<Link, ifinfomsg>(nl, RTM_GETLINK, "RTM_GETLINK", "dump", ParseLink, keep, failure);
    nlmsghdr* req = nl.Start(RTM_GETLINK, 0, sizeof(ifinfomsg));
    static_cast<ifinfomsg*>(mnl_nlmsg_get_payload(req))->ifi_index = ifindex_;
    return nl.Talk(req, "RTM_GETLINK", "interface " + (ifname_.empty() ? std::to_string(ifindex_) : ifname_),
                   [&](const nlmsghdr* nlh) {
                     Link link;
                     if (ParseLink(nlh, nlh->nlmsg_len, &link)) keep(link);
                   }, failure);
  }

  // Each attached program's info, read once (programs::ReadByIds).
  bool ReadPrograms(Failure& failure) {
    std::set<uint32_t> ids;
    for (const Device& d : devices_) ids.insert(d.xdp_prog_ids.begin(), d.xdp_prog_ids.end());
    for (const MprogEntry& e : mprog_) ids.insert(e.prog_id);
    for (const MprogEntry& e : flow_) ids.insert(e.prog_id);
    for (const auto& f : tc_)
      if (f.second.bpf_id) ids.insert(*f.second.bpf_id);
    ids.erase(0);
    return programs::ReadByIds(ids, programs_, failure);
  }

  struct Device {
    int32_t ifindex;
    std::string name;
    bool netkit;
    std::array<uint32_t, 4> xdp_prog_ids;
  };

  std::string ifname_;
  int32_t ifindex_;
  LinkRows links_;
  std::vector<Device> devices_;
  std::vector<MprogEntry> mprog_, flow_;
  std::vector<std::pair<std::string, TcFilter>> tc_;
  Table programs_{programs::TableSchema()};
};


// ---- fixtures: creating what the tests and the demo inspect (never used by inspection) -------

struct IpBytes {
  int family = 0;
  uint8_t bytes[16] {};
  size_t len = 0;
};

bool ParseIp(const std::string& text, IpBytes* out) {
  if (inet_pton(AF_INET, text.c_str(), out->bytes) == 1) {
    out->family = AF_INET;
    out->len = 4;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), out->bytes) == 1) {
    out->family = AF_INET6;
    out->len = 16;
    return true;
  }
  return false;
}

bool ParseMac(const std::string& text, uint8_t mac[6]) {
  unsigned int b[6];
  char tail;
  if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6) return false;
  for (int i = 0; i < 6; i++) {
    if (b[i] > 255) return false;
    mac[i] = static_cast<uint8_t>(b[i]);
  }
  return true;
}

// A program handle's fd, duplicated on the main thread so a concurrent close() cannot reuse the
// number while the request is in flight. Invalid (with a JS exception pending) on bad input.
std::shared_ptr<Fd> DupProgram(const Napi::Value& value) {
  int fd = FdHandle::FdOf(value);
  if (fd < 0) return nullptr;
  auto dup = std::make_shared<Fd>(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!dup->valid()) {
    ThrowType(value.Env(), "cannot duplicate the program fd");
    return nullptr;
  }
  return dup;
}

Napi::Value Undefined(Napi::Env env) { return env.Undefined(); }

// Runs `build` (which fills one request on an open socket) in `target` and waits for the ack.
using Builder = std::function<bool(Rtnl&, nlmsghdr**, std::string* object, Failure&)>;
Napi::Value Request(Napi::Env env, const netns::Target& target, const char* op, Builder build) {
  return netns::Run(
      env, target,
      [op, build](Failure& failure) {
        Rtnl nl;
        nlmsghdr* req = nullptr;
        std::string object;
        if (!nl.Open(failure) || !build(nl, &req, &object, failure)) return false;
        return nl.Do(req, op, object, failure);
      },
      Undefined);
}

// Leading arguments every fixture shares: (netns, ifname, …).
bool TargetAndName(const Napi::CallbackInfo& info, netns::Target* target, std::string* name, const char* usage) {
  if (!netns::ArgTarget(info, 0, target)) return false;
  if (!ArgString(info, 1, name) || name->empty() || name->size() >= IFNAMSIZ) {
    ThrowType(info.Env(), usage);
    return false;
  }
  return true;
}

// An ifinfomsg header inside a nest (VETH_INFO_PEER starts with one).
void PutIfinfo(nlmsghdr* nlh) {
  std::memset(mnl_nlmsg_get_payload_tail(nlh), 0, sizeof(ifinfomsg));
  nlh->nlmsg_len += MNL_ALIGN(sizeof(ifinfomsg));
}

// createNetdev(netns, name, kind 'veth'|'bridge', peerName?, peerNetns?): a veth pair (the peer
// created straight inside peerNetns under its final name) or a bridge.
Napi::Value CreateNetdev(const Napi::CallbackInfo& info) {
  netns::Target target;
  std::string name, kind, peer, peer_ns;
  const char* usage = "createNetdev(netns, name, 'veth'|'bridge', peerName?, peerNetns?)";
  if (!TargetAndName(info, &target, &name, usage)) return info.Env().Undefined();
  if (!ArgString(info, 2, &kind) || (kind != "veth" && kind != "bridge")) return ThrowType(info.Env(), usage);
  if (kind == "veth" && (!ArgString(info, 3, &peer) || peer.empty() || peer.size() >= IFNAMSIZ)) return ThrowType(info.Env(), usage);
  if (info.Length() > 4 && info[4].IsString()) ArgString(info, 4, &peer_ns);
  auto peer_fd = std::make_shared<Fd>();
  return Request(info.Env(), target, "RTM_NEWLINK", [=](Rtnl& nl, nlmsghdr** out, std::string* object, Failure& failure) {
    *object = kind + " " + name;
    if (!peer_ns.empty()) {
      peer_fd->Reset(::open(peer_ns.c_str(), O_RDONLY | O_CLOEXEC));
      if (!peer_fd->valid()) return failure.Set(errno, "open netns", "netns " + peer_ns);
    }
    nlmsghdr* req = nl.Start(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(ifinfomsg));
    mnl_attr_put_strz(req, IFLA_IFNAME, name.c_str());
    nlattr* linkinfo = mnl_attr_nest_start(req, IFLA_LINKINFO);
    mnl_attr_put_strz(req, IFLA_INFO_KIND, kind.c_str());
    if (kind == "veth") {
      nlattr* data = mnl_attr_nest_start(req, IFLA_INFO_DATA);
      nlattr* peer_nest = mnl_attr_nest_start(req, 1 /* VETH_INFO_PEER */);
      PutIfinfo(req);
      mnl_attr_put_strz(req, IFLA_IFNAME, peer.c_str());
      if (peer_fd->valid()) mnl_attr_put_u32(req, IFLA_NET_NS_FD, static_cast<uint32_t>(peer_fd->get()));
      mnl_attr_nest_end(req, peer_nest);
      mnl_attr_nest_end(req, data);
    }
    mnl_attr_nest_end(req, linkinfo);
    *out = req;
    return true;
  });
}

// setLink(netns, ifname, up, master?, alias?): brings a link up or down, sets (or, with '', clears)
// its master, and sets (or, with '', clears) its alias (`ip link set … alias`).
Napi::Value SetLink(const Napi::CallbackInfo& info) {
  netns::Target target;
  std::string name, master, alias;
  if (!TargetAndName(info, &target, &name, "setLink(netns, ifname, up, master?, alias?)")) return info.Env().Undefined();
  bool up = ArgBool(info, 2);
  bool set_master = info.Length() > 3 && ArgString(info, 3, &master);
  bool set_alias = info.Length() > 4 && ArgString(info, 4, &alias);
  if (set_alias && alias.size() > 255) return ThrowType(info.Env(), "setLink: an alias has at most 255 bytes (IFALIASZ - 1)");
  return Request(info.Env(), target, "RTM_NEWLINK", [=](Rtnl& nl, nlmsghdr** out, std::string* object, Failure& failure) {
    *object = "interface " + name;
    int32_t ifindex, master_index = 0;
    if (!IfIndex(name, &ifindex, failure)) return false;
    if (set_master && !master.empty() && !IfIndex(master, &master_index, failure)) return false;
    nlmsghdr* req = nl.Start(RTM_NEWLINK, 0, sizeof(ifinfomsg));
    auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_get_payload(req));
    ifi->ifi_index = ifindex;
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = up ? IFF_UP : 0;
    if (set_master) mnl_attr_put_u32(req, IFLA_MASTER, static_cast<uint32_t>(master_index));
    // Without its NUL: the kernel stores what it is given, and an empty one clears the alias.
    if (set_alias) mnl_attr_put(req, IFLA_IFALIAS, alias.size(), alias.data());
    *out = req;
    return true;
  });
}

// deleteLink(netns, ifname): a veth takes its peer with it.
Napi::Value DeleteLink(const Napi::CallbackInfo& info) {
  netns::Target target;
  std::string name;
  if (!TargetAndName(info, &target, &name, "deleteLink(netns, ifname)")) return info.Env().Undefined();
  return Request(info.Env(), target, "RTM_DELLINK", [=](Rtnl& nl, nlmsghdr** out, std::string* object, Failure& failure) {
    *object = "interface " + name;
    int32_t ifindex;
    if (!IfIndex(name, &ifindex, failure)) return false;
    nlmsghdr* req = nl.Start(RTM_DELLINK, 0, sizeof(ifinfomsg));
    static_cast<ifinfomsg*>(mnl_nlmsg_get_payload(req))->ifi_index = ifindex;
    *out = req;
    return true;
  });
}

// addAddress(netns, ifname, address, prefixlen)
Napi::Value AddAddress(const Napi::CallbackInfo& info) {
  netns::Target target;
  std::string name, text;
  uint32_t prefixlen;
  IpBytes ip;
  const char* usage = "addAddress(netns, ifname, address, prefixlen)";
  if (!TargetAndName(info, &target, &name, usage)) return info.Env().Undefined();
  if (!ArgString(info, 2, &text) || !ParseIp(text, &ip) || !ArgU32(info, 3, &prefixlen) || prefixlen > ip.len * 8)
    return ThrowType(info.Env(), usage);
  return Request(info.Env(), target, "RTM_NEWADDR", [=](Rtnl& nl, nlmsghdr** out, std::string* object, Failure& failure) {
    *object = text + "/" + std::to_string(prefixlen) + " on " + name;
    int32_t ifindex;
    if (!IfIndex(name, &ifindex, failure)) return false;
    nlmsghdr* req = nl.Start(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(ifaddrmsg));
    auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_get_payload(req));
    ifa->ifa_family = static_cast<uint8_t>(ip.family);
    ifa->ifa_prefixlen = static_cast<uint8_t>(prefixlen);
    ifa->ifa_index = static_cast<uint32_t>(ifindex);
    mnl_attr_put(req, IFA_LOCAL, ip.len, ip.bytes);
    mnl_attr_put(req, IFA_ADDRESS, ip.len, ip.bytes);
    *out = req;
    return true;
  });
}

// addRoute(netns, dst, dstLen, gateway, ifname, scope, onlink, table): dst '' is the default route.
Napi::Value AddRoute(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  netns::Target target;
  std::string dst_text, gw_text, name;
  uint32_t dst_len, scope, table;
  IpBytes dst, gw;
  const char* usage = "addRoute(netns, dst, dstLen, gateway, ifname, scope, onlink, table)";
  if (!netns::ArgTarget(info, 0, &target)) return env.Undefined();
  if (!ArgString(info, 1, &dst_text) || !ArgU32(info, 2, &dst_len) || !ArgString(info, 3, &gw_text) ||
      !ArgString(info, 4, &name) || !ArgU32(info, 5, &scope) || scope > 255 || !ArgU32(info, 7, &table))
    return ThrowType(env, usage);
  bool onlink = ArgBool(info, 6);
  if (!dst_text.empty() && !ParseIp(dst_text, &dst)) return ThrowType(env, usage);
  if (!gw_text.empty() && !ParseIp(gw_text, &gw)) return ThrowType(env, usage);
  int family = dst.family ? dst.family : gw.family;
  if (!family || (dst.family && gw.family && dst.family != gw.family) || dst_len > (family == AF_INET ? 32u : 128u) ||
      (gw_text.empty() && name.empty()))
    return ThrowType(env, usage);
  return Request(env, target, "RTM_NEWROUTE", [=](Rtnl& nl, nlmsghdr** out, std::string* object, Failure& failure) {
    *object = "route " + (dst_text.empty() ? std::string("default") : dst_text + "/" + std::to_string(dst_len));
    int32_t oif = 0;
    if (!name.empty() && !IfIndex(name, &oif, failure)) return false;
    nlmsghdr* req = nl.Start(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof(rtmsg));
    auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_get_payload(req));
    rtm->rtm_family = static_cast<uint8_t>(family);
    rtm->rtm_dst_len = static_cast<uint8_t>(dst_len);
    rtm->rtm_table = static_cast<uint8_t>(table < 256 ? table : uint32_t{RT_TABLE_UNSPEC});
    rtm->rtm_protocol = RTPROT_BOOT;  // what `ip route add` uses
    rtm->rtm_scope = static_cast<uint8_t>(scope);
    rtm->rtm_type = RTN_UNICAST;
    if (onlink) rtm->rtm_flags |= RTNH_F_ONLINK;
    if (table >= 256) mnl_attr_put_u32(req, RTA_TABLE, table);
    if (dst.family) mnl_attr_put(req, RTA_DST, dst.len, dst.bytes);
    if (gw.family) mnl_attr_put(req, RTA_GATEWAY, gw.len, gw.bytes);
    if (oif) mnl_attr_put_u32(req, RTA_OIF, static_cast<uint32_t>(oif));
    *out = req;
    return true;
  });
}

// addNeighbor(netns, ifname, ip, lladdr, state)
Napi::Value AddNeighbor(const Napi::CallbackInfo& info) {
  netns::Target target;
  std::string name, ip_text, mac_text;
  uint32_t state;
  IpBytes ip;
  uint8_t mac[6];
  const char* usage = "addNeighbor(netns, ifname, ip, lladdr, state)";
  if (!TargetAndName(info, &target, &name, usage)) return info.Env().Undefined();
  if (!ArgString(info, 2, &ip_text) || !ParseIp(ip_text, &ip) || !ArgString(info, 3, &mac_text) || !ParseMac(mac_text, mac) ||
      !ArgU32(info, 4, &state) || state > 0xffff)
    return ThrowType(info.Env(), usage);
  std::vector<uint8_t> lladdr(mac, mac + 6);
  return Request(info.Env(), target, "RTM_NEWNEIGH", [=](Rtnl& nl, nlmsghdr** out, std::string* object, Failure& failure) {
    *object = "neighbour " + ip_text + " on " + name;
    int32_t ifindex;
    if (!IfIndex(name, &ifindex, failure)) return false;
    nlmsghdr* req = nl.Start(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, sizeof(ndmsg));
    auto* nd = static_cast<ndmsg*>(mnl_nlmsg_get_payload(req));
    nd->ndm_family = static_cast<uint8_t>(ip.family);
    nd->ndm_ifindex = ifindex;
    nd->ndm_state = static_cast<uint16_t>(state);
    mnl_attr_put(req, NDA_DST, ip.len, ip.bytes);
    mnl_attr_put(req, NDA_LLADDR, lladdr.size(), lladdr.data());
    *out = req;
    return true;
  });
}

// setXdp(netns, ifname, program | null, 'generic'|'driver'): attaches (or, with null, detaches) XDP.
Napi::Value SetXdp(const Napi::CallbackInfo& info) {
  netns::Target target;
  std::string name, mode;
  const char* usage = "setXdp(netns, ifname, program | null, 'generic'|'driver')";
  if (!TargetAndName(info, &target, &name, usage)) return info.Env().Undefined();
  if (!ArgString(info, 3, &mode) || (mode != "generic" && mode != "driver")) return ThrowType(info.Env(), usage);
  std::shared_ptr<Fd> prog = std::make_shared<Fd>();
  if (!info[2].IsNull()) {
    prog = DupProgram(info[2]);
    if (!prog) return info.Env().Undefined();
  }
  uint32_t flags = mode == "generic" ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
  return Request(info.Env(), target, "RTM_SETLINK", [=](Rtnl& nl, nlmsghdr** out, std::string* object, Failure& failure) {
    *object = "xdp on " + name;
    int32_t ifindex;
    if (!IfIndex(name, &ifindex, failure)) return false;
    nlmsghdr* req = nl.Start(RTM_SETLINK, 0, sizeof(ifinfomsg));
    static_cast<ifinfomsg*>(mnl_nlmsg_get_payload(req))->ifi_index = ifindex;
    nlattr* xdp = mnl_attr_nest_start(req, IFLA_XDP);
    mnl_attr_put_u32(req, IFLA_XDP_FD, static_cast<uint32_t>(prog->valid() ? prog->get() : -1));
    mnl_attr_put_u32(req, IFLA_XDP_FLAGS, flags);
    mnl_attr_nest_end(req, xdp);
    *out = req;
    return true;
  });
}

// createNetfilterLink(netns, program, pf, hooknum, priority, flags): BPF_LINK_CREATE with
// BPF_NETFILTER (Linux 6.4+). The hook belongs to the namespace of the thread that creates it, so
// it is created in `netns` (a test's own namespace, never the host's).
Napi::Value CreateNetfilterLink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "createNetfilterLink(netns, program, pf, hooknum, priority, flags)";
  netns::Target target;
  if (!netns::ArgTarget(info, 0, &target)) return env.Undefined();
  uint32_t pf, hooknum, flags;
  if (!ArgU32(info, 2, &pf) || !ArgU32(info, 3, &hooknum) || info.Length() < 5 || !info[4].IsNumber() || !ArgU32(info, 5, &flags))
    return ThrowType(env, usage);
  int32_t priority = info[4].As<Napi::Number>().Int32Value();
  std::shared_ptr<Fd> prog = DupProgram(info[1]);
  if (!prog) return env.Undefined();
  auto link = std::make_shared<Fd>();
  return netns::Run(
      env, target,
      [=](Failure& failure) {
        uapi::LinkCreateAttr attr{};
        attr.prog_fd = static_cast<uint32_t>(prog->get());
        attr.attach_type = uapi::kAttachNetfilter;
        attr.netfilter = {pf, hooknum, priority, flags};
        long fd = uapi::Syscall(uapi::kLinkCreate, &attr, sizeof(attr));
        if (fd < 0) {
          return failure.Set(errno, "BPF_LINK_CREATE",
                             "netfilter pf " + std::to_string(pf) + " hook " + std::to_string(hooknum) + " priority " + std::to_string(priority));
        }
        link->Reset(static_cast<int>(fd));
        return true;
      },
      [link](Napi::Env e) { return FdHandle::New(e, std::move(*link), "link"); });
}

// addClsactBpf(netns, ifname, 'ingress'|'egress', program, priority, handle, name): a clsact qdisc
// (kept if present) and a direct-action cls_bpf filter, as `tc filter add … bpf da` makes.
Napi::Value AddClsactBpf(const Napi::CallbackInfo& info) {
  netns::Target target;
  std::string name, dir, tc_name;
  uint32_t priority, handle;
  const char* usage = "addClsactBpf(netns, ifname, 'ingress'|'egress', program, priority, handle, name)";
  if (!TargetAndName(info, &target, &name, usage)) return info.Env().Undefined();
  if (!ArgString(info, 2, &dir) || (dir != "ingress" && dir != "egress") || !ArgU32(info, 4, &priority) ||
      priority > 0xffff || !ArgU32(info, 5, &handle) || !ArgString(info, 6, &tc_name))
    return ThrowType(info.Env(), usage);
  std::shared_ptr<Fd> prog = DupProgram(info[3]);
  if (!prog) return info.Env().Undefined();
  uint32_t parent = TC_H_MAKE(TC_H_CLSACT, dir == "ingress" ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS);
  return netns::Run(
      info.Env(), target,
      [=](Failure& failure) {
        Rtnl nl;
        int32_t ifindex;
        if (!nl.Open(failure) || !IfIndex(name, &ifindex, failure)) return false;
        nlmsghdr* req = nl.Start(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, sizeof(tcmsg));
        auto* tcm = static_cast<tcmsg*>(mnl_nlmsg_get_payload(req));
        tcm->tcm_ifindex = ifindex;
        tcm->tcm_handle = TC_H_MAKE(TC_H_CLSACT, 0);
        tcm->tcm_parent = TC_H_CLSACT;
        mnl_attr_put_strz(req, TCA_KIND, "clsact");
        if (!nl.Do(req, "RTM_NEWQDISC", "clsact on " + name, failure)) {
          if (failure.err != EEXIST) return false;
          failure = Failure{};
        }
        req = nl.Start(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, sizeof(tcmsg));
        tcm = static_cast<tcmsg*>(mnl_nlmsg_get_payload(req));
        tcm->tcm_ifindex = ifindex;
        tcm->tcm_parent = parent;
        tcm->tcm_handle = handle;
        tcm->tcm_info = TC_H_MAKE(priority << 16, htons(ETH_P_ALL));
        mnl_attr_put_strz(req, TCA_KIND, "bpf");
        nlattr* options = mnl_attr_nest_start(req, TCA_OPTIONS);
        mnl_attr_put_u32(req, TCA_BPF_FD, static_cast<uint32_t>(prog->get()));
        mnl_attr_put_strz(req, TCA_BPF_NAME, tc_name.c_str());
        mnl_attr_put_u32(req, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
        mnl_attr_nest_end(req, options);
        return nl.Do(req, "RTM_NEWTFILTER", "cls_bpf " + dir + " on " + name, failure);
      },
      Undefined);
}

// deleteClsact(netns, ifname): removes the clsact qdisc and every filter on it.
Napi::Value DeleteClsact(const Napi::CallbackInfo& info) {
  netns::Target target;
  std::string name;
  if (!TargetAndName(info, &target, &name, "deleteClsact(netns, ifname)")) return info.Env().Undefined();
  return Request(info.Env(), target, "RTM_DELQDISC", [=](Rtnl& nl, nlmsghdr** out, std::string* object, Failure& failure) {
    *object = "clsact on " + name;
    int32_t ifindex;
    if (!IfIndex(name, &ifindex, failure)) return false;
    nlmsghdr* req = nl.Start(RTM_DELQDISC, 0, sizeof(tcmsg));
    auto* tcm = static_cast<tcmsg*>(mnl_nlmsg_get_payload(req));
    tcm->tcm_ifindex = ifindex;
    tcm->tcm_handle = TC_H_MAKE(TC_H_CLSACT, 0);
    tcm->tcm_parent = TC_H_CLSACT;
    *out = req;
    return true;
  });
}

// ---- entry points ----------------------------------------------------------------------------

// netNsids(netns, paths[])
Napi::Value NetNsids(const Napi::CallbackInfo& info) {
  netns::Target target;
  if (!netns::ArgTarget(info, 0, &target)) return info.Env().Undefined();
  if (info.Length() < 2 || !info[1].IsArray()) return ThrowType(info.Env(), "netNsids(netns, paths)");
  Napi::Array list = info[1].As<Napi::Array>();
  std::vector<std::string> paths;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value v = list.Get(i);
    if (!v.IsString()) return ThrowType(info.Env(), "netns paths must be strings");
    paths.push_back(v.As<Napi::String>().Utf8Value());
  }
  return netns::Run(info.Env(), target, std::make_unique<NsidsTask>(std::move(paths)));
}

// netEthtoolStats(netns, ifname)
Napi::Value NetEthtoolStats(const Napi::CallbackInfo& info) {
  netns::Target target;
  if (!netns::ArgTarget(info, 0, &target)) return info.Env().Undefined();
  std::string ifname;
  if (!ArgString(info, 1, &ifname)) return ThrowType(info.Env(), "netEthtoolStats(netns, ifname)");
  return netns::Run(info.Env(), target, std::make_unique<EthtoolStatsTask>(std::move(ifname)));
}

// netAttachments(netns, ifname | ifindex | undefined)
Napi::Value NetAttachments(const Napi::CallbackInfo& info) {
  netns::Target target;
  if (!netns::ArgTarget(info, 0, &target)) return info.Env().Undefined();
  std::string ifname;
  uint32_t ifindex = 0;
  if (info.Length() > 1 && !info[1].IsUndefined() && !ArgString(info, 1, &ifname) && !ArgU32(info, 1, &ifindex))
    return ThrowType(info.Env(), "netAttachments(netns, ifname | ifindex)");
  return netns::Run(info.Env(), target, std::make_unique<AttachmentsTask>(std::move(ifname), static_cast<int32_t>(ifindex)));
}

}  // namespace

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("netLinks", DumpFunction<Link, ifinfomsg, LinkRows>(env, "netLinks", RTM_GETLINK, "RTM_GETLINK", ParseLink));
  exports.Set("netAddresses", DumpFunction<Address, ifaddrmsg, Objects<Address, AddressToJs>>(
                                  env, "netAddresses", RTM_GETADDR, "RTM_GETADDR", ParseAddress));
  exports.Set("netRoutes",
              DumpFunction<Route, rtmsg, Objects<Route, RouteToJs>>(env, "netRoutes", RTM_GETROUTE, "RTM_GETROUTE", ParseRoute));
  exports.Set("netNeighbors", DumpFunction<Neighbor, ndmsg, Objects<Neighbor, NeighborToJs>>(
                                  env, "netNeighbors", RTM_GETNEIGH, "RTM_GETNEIGH", ParseNeighbor, ProxyNeighbors));
  ExportSchema(env, exports, "interface", LinkSchema());
  ExportSchema(env, exports, "interfaceDetail", LinkDetailSchema());
  exports.Set("netNsids", Napi::Function::New(env, NetNsids, "netNsids"));
  exports.Set("netEthtoolStats", Napi::Function::New(env, NetEthtoolStats, "netEthtoolStats"));
  exports.Set("netAttachments", Napi::Function::New(env, NetAttachments, "netAttachments"));

  Napi::Object fixtures = exports.Get("fixtures").As<Napi::Object>();
  fixtures.Set("createNetdev", Napi::Function::New(env, CreateNetdev, "createNetdev"));
  fixtures.Set("setLink", Napi::Function::New(env, SetLink, "setLink"));
  fixtures.Set("deleteLink", Napi::Function::New(env, DeleteLink, "deleteLink"));
  fixtures.Set("addAddress", Napi::Function::New(env, AddAddress, "addAddress"));
  fixtures.Set("addRoute", Napi::Function::New(env, AddRoute, "addRoute"));
  fixtures.Set("addNeighbor", Napi::Function::New(env, AddNeighbor, "addNeighbor"));
  fixtures.Set("setXdp", Napi::Function::New(env, SetXdp, "setXdp"));
  fixtures.Set("addClsactBpf", Napi::Function::New(env, AddClsactBpf, "addClsactBpf"));
  fixtures.Set("createNetfilterLink", Napi::Function::New(env, CreateNetfilterLink, "createNetfilterLink"));
  fixtures.Set("deleteClsact", Napi::Function::New(env, DeleteClsact, "deleteClsact"));
}

}  // namespace bpfscope::netlink
