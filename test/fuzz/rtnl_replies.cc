// libFuzzer target: one recv() buffer of rtnetlink replies, walked exactly as Rtnl::Talk walks it
// (WalkReplies: stale replies, NLMSG_DONE/ERROR with extended-ack text), and every record handed
// to each message parser (each checks its own message type: links, addresses, routes with
// multipath next hops, neighbours, qdiscs, tc filters with cls_bpf options, nsids), a link's
// per-kind details included (ReadLinkDetails).
// Input: u32 seq, u32 portid (the request's, so replies can match), then the buffer.
#include <cstring>
#include <vector>

#include "netlink_parse.h"

using namespace bpfscope::netlink;

namespace {

// A parsed link is views into the message: read every byte they cover (as a listing would), so a
// view reaching past the buffer is an ASan report here.
volatile size_t sink;

// Reads every value a link's details give, as the details table would.
struct TouchDetails final : DetailSink {
  size_t sum = 0;
  void Number(const char* name, double v) override { sum += std::strlen(name) + static_cast<size_t>(v != 0); }
  void BigInt(const char* name, uint64_t v) override { sum += std::strlen(name) + v; }
  void Boolean(const char* name, bool v) override { sum += std::strlen(name) + v; }
  void String(const char* name, std::string_view v) override {
    sum += std::strlen(name);
    for (char c : v) sum += static_cast<unsigned char>(c);
  }
};

void Touch(const Link& l) {
  size_t sum = 0;
  for (std::string_view s : {l.name, l.kind, l.slave_kind, l.qdisc, l.alias})
    for (char c : s) sum += static_cast<unsigned char>(c);
  char text[3 * 64];
  for (Bytes b : {l.mac, l.broadcast, l.perm_mac}) sum += FormatHwAddr({b.data, b.size < 64 ? b.size : 64}, text);
  for (size_t i = 0; i < l.stats_count(); i++) sum += l.stat(i);
  TouchDetails details;
  ReadLinkDetails(l.kind, false, l.info_data, details);
  ReadLinkDetails(l.slave_kind, true, l.slave_data, details);
  sink = sum + details.sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  uint32_t seq, portid;
  std::memcpy(&seq, data, 4);
  std::memcpy(&portid, data + 4, 4);
  // The socket buffer is aligned; operator new's blocks are too, and exactly as long as the input,
  // so a read past the end is an ASan report.
  std::vector<uint8_t> aligned(data + 8, data + size);
  int err = 0;
  std::string ack;
  WalkReplies(aligned.data(), size - 8, seq, portid, [](const nlmsghdr* nlh) {
    size_t len = nlh->nlmsg_len;
    Link link;
    Address address;
    Route route;
    Neighbor neighbor;
    Qdisc qdisc;
    TcFilter filter;
    int32_t nsid;
    if (ParseLink(nlh, len, &link)) Touch(link);
    ParseAddress(nlh, len, &address);
    ParseRoute(nlh, len, &route);
    ParseNeighbor(nlh, len, &neighbor);
    ParseQdisc(nlh, len, &qdisc);
    ParseTcFilter(nlh, len, &filter);
    ParseNsid(nlh, len, &nsid);
  }, &err, &ack);
  return 0;
}
