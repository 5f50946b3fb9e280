// Baseline for bench/net.bench.mjs: an RTM_GETLINK dump in C with libmnl, inside a named netns.
// Each round opens a socket, dumps every link and parses the attributes bpfscope reads
// (name, kind, mtu, mac, link, netnsid, stats64, xdp); prints the median round time in ms.
// Usage: rtnl_dump /var/run/netns/NAME ROUNDS
#define _GNU_SOURCE
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "timing.h"

struct link { int ifindex; char name[16]; char kind[16]; unsigned mtu, link; int netnsid; unsigned char mac[6]; unsigned long long stats[25]; unsigned char xdp; };
static struct link links[100000];
static int nlinks;

static int collect(const struct nlattr *a, void *data) {
  const struct nlattr **tb = data;
  int type = mnl_attr_get_type(a);
  if (type < 80) tb[type] = a;
  return MNL_CB_OK;
}

static int on_link(const struct nlmsghdr *nlh, void *data) {
  const struct nlattr *tb[80] = {0};
  struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
  struct link *l = &links[nlinks++];
  memset(l, 0, sizeof(*l));
  l->ifindex = ifi->ifi_index;
  mnl_attr_parse(nlh, sizeof(*ifi), collect, tb);
  if (tb[IFLA_IFNAME]) strncpy(l->name, mnl_attr_get_str(tb[IFLA_IFNAME]), 15);
  if (tb[IFLA_MTU]) l->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
  if (tb[IFLA_LINK]) l->link = mnl_attr_get_u32(tb[IFLA_LINK]);
  l->netnsid = tb[IFLA_LINK_NETNSID] ? (int)mnl_attr_get_u32(tb[IFLA_LINK_NETNSID]) : -1;
  if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6) memcpy(l->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
  if (tb[IFLA_STATS64]) {
    size_t n = mnl_attr_get_payload_len(tb[IFLA_STATS64]);
    memcpy(l->stats, mnl_attr_get_payload(tb[IFLA_STATS64]), n < sizeof(l->stats) ? n : sizeof(l->stats));
  }
  if (tb[IFLA_LINKINFO]) {
    const struct nlattr *info[80] = {0};
    mnl_attr_parse_nested(tb[IFLA_LINKINFO], collect, info);
    if (info[IFLA_INFO_KIND]) strncpy(l->kind, mnl_attr_get_str(info[IFLA_INFO_KIND]), 15);
  }
  if (tb[IFLA_XDP]) {
    const struct nlattr *x[80] = {0};
    mnl_attr_parse_nested(tb[IFLA_XDP], collect, x);
    if (x[IFLA_XDP_ATTACHED]) l->xdp = mnl_attr_get_u8(x[IFLA_XDP_ATTACHED]);
  }
  return MNL_CB_OK;
}

static void dump(void) {
  static char buf[65536];
  struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
  mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID);
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_GETLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = 1;
  mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
  mnl_socket_sendto(nl, nlh, nlh->nlmsg_len);
  unsigned portid = mnl_socket_get_portid(nl);
  nlinks = 0;
  for (;;) {
    int n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
    if (n <= 0) break;
    int r = mnl_cb_run(buf, n, 1, portid, on_link, NULL);
    if (r <= MNL_CB_STOP) break;
  }
  mnl_socket_close(nl);
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) { perror(argv[1]); return 1; }
  int rounds = atoi(argv[2]);
  unsigned long long *t = calloc(rounds, sizeof(*t));
  for (int i = 0; i < rounds; i++) {
    unsigned long long start = now_ns();
    dump();
    t[i] = now_ns() - start;
  }
  printf("%.3f %d\n", median_ns(t, rounds) / 1e6, nlinks);
  return 0;
}
