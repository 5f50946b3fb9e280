#!/usr/bin/env python3
"""Captures real rtnetlink and ethtool replies from this machine as fuzz seeds (root).

Builds a small scene in a fresh namespace (a veth pair with addresses, a route with two next hops,
a neighbour, a clsact qdisc with a cls_bpf filter, an nsid, vxlan, macvlan and bridge devices and a
bridge port), dumps links, addresses, routes,
neighbours, qdiscs, tc filters and nsids there and in the host namespace, and writes each recv()
buffer as one seed of test/fuzz/corpus/rtnl_replies/ (u32 seq, u32 portid, then the bytes, the
input format of that target). A refused request adds an NLMSG_ERROR with extended-ack text.
`ethtool -S`'s two ioctl replies for the veth become a seed of test/fuzz/corpus/ethtool_stats/.
The .BTF section clang emits for map key/value types like Cilium's (structs, unions, bitfields,
char arrays, enums, typedefs, modifiers, a datasec) seeds test/fuzz/corpus/btf_types/; a few
packed dump pairs seed test/fuzz/corpus/map_diff/.
Usage: python3 scripts/fuzz-capture.py   (needs ip, tc, clang and llvm-objcopy)
"""
import ctypes
import fcntl
import os
import socket
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
OUT = os.path.join(ROOT, 'test', 'fuzz', 'corpus')
NS = 'bpfscope-capture'

NLM_F_REQUEST, NLM_F_DUMP, NLM_F_ACK = 1, 0x300, 4
NLMSG_ERROR, NLMSG_DONE = 2, 3
RTM = dict(GETLINK=18, GETADDR=22, GETROUTE=26, GETNEIGH=30, GETQDISC=38, GETTFILTER=46, GETNSID=90)
SOL_NETLINK, NETLINK_EXT_ACK = 270, 11


LIBC = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    if LIBC.setns(fd, 0) != 0:
        raise OSError(ctypes.get_errno(), 'setns')


def sh(*args):
    subprocess.run(args, check=True)


def write(target, name, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    with open(os.path.join(OUT, target, name), 'wb') as f:
        f.write(data)


class Rtnl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.bind((0, 0))
        self.portid = self.sock.getsockname()[0]
        self.seq = 100

    def request(self, name, rtm, flags, fixed, attrs=b''):
        """Sends one request and saves every reply buffer until DONE or an error/ack."""
        self.seq += 1
        body = fixed + attrs
        self.sock.send(struct.pack('=IHHII', 16 + len(body), rtm, NLM_F_REQUEST | flags, self.seq, 0) + body)
        part = 0
        while True:
            buf = self.sock.recv(65536)
            write('rtnl_replies', f'{name}-{part}', struct.pack('=II', self.seq, self.portid) + buf)
            part += 1
            off = 0
            while off + 16 <= len(buf):
                length, kind = struct.unpack_from('=IH', buf, off)
                if kind in (NLMSG_DONE, NLMSG_ERROR):
                    return
                off += (length + 3) & ~3


def dump_all(prefix, ifindex_for_filters):
    nl = Rtnl()
    ifinfo = struct.pack('=BxHiII', 0, 0, 0, 0, 0)
    nl.request(f'{prefix}-links', RTM['GETLINK'], NLM_F_DUMP, ifinfo)
    nl.request(f'{prefix}-addrs', RTM['GETADDR'], NLM_F_DUMP, struct.pack('=BBBBI', 0, 0, 0, 0, 0))
    nl.request(f'{prefix}-routes', RTM['GETROUTE'], NLM_F_DUMP, struct.pack('=BBBBBBBBI', 0, 0, 0, 0, 0, 0, 0, 0, 0))
    nl.request(f'{prefix}-neigh', RTM['GETNEIGH'], NLM_F_DUMP, struct.pack('=BxxxiHBB', 0, 0, 0, 0, 0))
    tcmsg = lambda ifindex, parent: struct.pack('=BxxxiIII', 0, ifindex, 0, parent, 0)
    nl.request(f'{prefix}-qdiscs', RTM['GETQDISC'], NLM_F_DUMP, tcmsg(0, 0))
    if ifindex_for_filters:
        nl.request(f'{prefix}-filters', RTM['GETTFILTER'], NLM_F_DUMP, tcmsg(ifindex_for_filters, 0xFFFFFFF2))
    nl.request(f'{prefix}-nsids', RTM['GETNSID'], NLM_F_DUMP, struct.pack('=Bxxx', 0))
    # A refused request: RTM_GETLINK for an ifindex that does not exist (ENODEV).
    nl.request(f'{prefix}-error', RTM['GETLINK'], NLM_F_ACK, struct.pack('=BxHiII', 0, 0, 999999, 0, 0))


def ethtool_seed(ifname):
    SIOCETHTOOL, GSSET_INFO, GSTRINGS, GSTATS, ETH_SS_STATS = 0x8946, 0x37, 0x1b, 0x1d, 1
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def ioctl(buf):
        ifr = struct.pack('16sP', ifname.encode(), ctypes.addressof(buf))
        fcntl.ioctl(sock.fileno(), SIOCETHTOOL, ifr)

    info = ctypes.create_string_buffer(struct.pack('=IIQI', GSSET_INFO, 0, 1 << ETH_SS_STATS, 0))
    ioctl(info)
    n = struct.unpack_from('=I', info.raw, 16)[0]
    strings = ctypes.create_string_buffer(struct.pack('=III', GSTRINGS, ETH_SS_STATS, n) + bytes(32 * n))
    ioctl(strings)
    stats = ctypes.create_string_buffer(struct.pack('=II', GSTATS, n) + bytes(8 * n))
    ioctl(stats)
    write('ethtool_stats', f'{ifname}-stats', struct.pack('=H', len(strings.raw) - 1) + strings.raw[:-1] + stats.raw[:-1])


BTF_SOURCE = r'''
typedef unsigned int __u32; typedef unsigned short __u16; typedef unsigned char __u8;
typedef unsigned long long __u64; typedef signed char __s8;
enum ct_dir { CT_EGRESS, CT_INGRESS, CT_SERVICE = -1 };
union v6addr { struct { __u32 p1, p2, p3, p4; }; __u8 addr[16]; };
struct ipcache_key { __u32 prefixlen; __u16 cluster_id; __u8 pad1; __u8 family; union { struct { __u32 ip4; __u32 pad4, pad5, pad6; }; union v6addr ip6; }; };
struct remote_endpoint_info { __u32 sec_identity; __u32 tunnel_endpoint; __u16 pad; __u8 key; __u8 flag_skip_tunnel:1, flag_has_tunnel_ep:1, pad2:6; };
struct ct_entry { __u64 reserved0; __u64 backend_id; __u64 packets, bytes; __u32 lifetime; __u16 rx_closing:1, tx_closing:1, nat46:1, lb_loopback:1, seen_non_syn:1, node_port:1, proxy_redirect:1, dsr_internal:1, from_l7lb:1, reserved1:1, from_tunnel:1, reserved:5; __u16 rev_nat_index; const volatile __u32 ifindex; enum ct_dir dir; char label[12]; __s8 deltas[3]; void *owner; };
struct { int (*type)[1]; struct ipcache_key *key; struct remote_endpoint_info *value; } cilium_ipcache __attribute__((section(".maps"), used));
struct { int (*type)[1]; __u32 *key; struct ct_entry *value; } cilium_ct4 __attribute__((section(".maps"), used));
int counters[4] __attribute__((section(".data"), used));
'''


def btf_seeds(tmp):
    src, obj = os.path.join(tmp, 'types.c'), os.path.join(tmp, 'types.o')
    with open(src, 'w') as f:
        f.write(BTF_SOURCE)
    sh('clang', '-g', '-O2', '-target', 'bpf', '-c', src, '-o', obj)
    raw = os.path.join(tmp, 'types.btf')
    sh('llvm-objcopy', '--dump-section', f'.BTF={raw}', obj)
    with open(raw, 'rb') as f:
        btf = f.read()
    # Roots: a few ids into the type section (the target also reduces them modulo the count).
    for key, value in ((1, 2), (3, 7), (11, 17), (0, 29)):
        write('btf_types', f'cilium-like-{key}-{value}', struct.pack('=II', key, value) + btf)


def map_diff_seeds():
    # An unchanged dump; one change, one removal and one addition; a repeated key (4-byte keys, 8-byte values).
    rec = lambda k, v: (struct.pack('=I', k), struct.pack('=Q', v))
    def seed(name, old, new):
        ok, ov = b''.join(rec(*e)[0] for e in old), b''.join(rec(*e)[1] for e in old)
        nk, nv = b''.join(rec(*e)[0] for e in new), b''.join(rec(*e)[1] for e in new)
        write('map_diff', name, bytes([4, 8, len(old), len(new)]) + ok + ov + nk + nv)
    seed('same', [(1, 10), (2, 20), (3, 30)], [(1, 10), (2, 20), (3, 30)])
    seed('changes', [(1, 10), (2, 20), (3, 30)], [(3, 31), (1, 10), (4, 40)])
    seed('repeated', [(7, 1), (7, 1)], [(7, 1), (7, 2), (8, 0)])


def main():
    if os.geteuid() != 0:
        sys.exit('fuzz-capture: run as root')
    tmp = tempfile.mkdtemp()
    btf_seeds(tmp)
    map_diff_seeds()
    obj = os.path.join(tmp, 'pass.o')
    with open(os.path.join(tmp, 'pass.c'), 'w') as f:
        f.write('__attribute__((section("tc"), used)) int pass(void *ctx) { return 0; }\n'
                'char _license[] __attribute__((section("license"), used)) = "GPL";\n')
    sh('clang', '-O2', '-target', 'bpf', '-c', os.path.join(tmp, 'pass.c'), '-o', obj)
    subprocess.run(['ip', 'netns', 'del', NS], stderr=subprocess.DEVNULL)
    sh('ip', 'netns', 'add', NS)
    try:
        ipn = lambda *a: sh('ip', '-n', NS, *a)
        ipn('link', 'add', 'cap0', 'type', 'veth', 'peer', 'name', 'cap1')
        ipn('link', 'set', 'cap0', 'up')
        ipn('link', 'set', 'cap1', 'up')
        ipn('addr', 'add', '10.77.0.1/24', 'dev', 'cap0')
        ipn('addr', 'add', 'fd00:77::1/64', 'dev', 'cap0', 'nodad')
        ipn('addr', 'add', '10.77.1.1/24', 'dev', 'cap1')
        ipn('route', 'add', '10.88.0.0/16', 'nexthop', 'via', '10.77.0.2', 'dev', 'cap0', 'weight', '2',
            'nexthop', 'via', '10.77.1.2', 'dev', 'cap1')
        ipn('neigh', 'add', '10.77.0.2', 'lladdr', '02:00:00:00:77:02', 'dev', 'cap0', 'nud', 'permanent')
        # Devices with per-kind details (IFLA_INFO_DATA / IFLA_INFO_SLAVE_DATA: ReadLinkDetails).
        ipn('link', 'add', 'capvx0', 'type', 'vxlan', 'external', 'dstport', '8472')
        ipn('link', 'add', 'capvx1', 'type', 'vxlan', 'id', '7', 'remote', 'fd00:77::2', 'dev', 'cap0', 'dstport', '4789')
        ipn('link', 'add', 'capmv0', 'link', 'cap0', 'type', 'macvlan', 'mode', 'bridge')
        ipn('link', 'add', 'capbr0', 'type', 'bridge', 'stp_state', '1')
        ipn('link', 'add', 'cap2', 'master', 'capbr0', 'type', 'veth', 'peer', 'name', 'cap3')
        sh('tc', '-n', NS, 'qdisc', 'add', 'dev', 'cap0', 'clsact')
        sh('tc', '-n', NS, 'filter', 'add', 'dev', 'cap0', 'ingress', 'bpf', 'da', 'obj', obj, 'sec', 'tc')
        sh('ip', 'netns', 'set', NS, 'auto')
        nsfd = os.open(f'/var/run/netns/{NS}', os.O_RDONLY)
        own = os.open('/proc/self/ns/net', os.O_RDONLY)
        setns(nsfd)
        try:
            ifindex = socket.if_nametoindex('cap0')
            dump_all('pod', ifindex)
            ethtool_seed('cap0')
        finally:
            setns(own)
        dump_all('host', 0)
    finally:
        subprocess.run(['ip', 'netns', 'del', NS])
    print('seeds:', {d: len(os.listdir(os.path.join(OUT, d))) for d in os.listdir(OUT)})


main()
