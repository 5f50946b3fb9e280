// Kernel ABI that Debian 12's 6.1 uapi headers (and libbpf 1.1.2) lack.
// One definition per item, each with the kernel release that introduced it. Offsets are checked
// by static_assert against ../shared/reference/bpf-and-bpftool.md §2.3–2.5. Nothing outside this
// file spells a kernel offset.
#pragma once

#include <linux/bpf.h>
#include <linux/if_link.h>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace bpfscope::uapi {

// bpf(2) commands: all exist in 6.1 headers, named here so the raw calls read like libbpf's.
constexpr int kProgQuery = BPF_PROG_QUERY;  // 16
constexpr int kObjGetInfoByFd = BPF_OBJ_GET_INFO_BY_FD;  // 15
constexpr int kLinkCreate = BPF_LINK_CREATE;  // 28
constexpr int kRawTracepointOpen = BPF_RAW_TRACEPOINT_OPEN;  // 17

// enum bpf_prog_type values newer than 6.1.
constexpr uint32_t kProgTypeNetfilter = 32;    // Linux 6.4

// enum bpf_attach_type values newer than 6.1.
constexpr uint32_t kAttachNetfilter = 45;      // Linux 6.4
constexpr uint32_t kAttachTcxIngress = 46;     // Linux 6.6
constexpr uint32_t kAttachTcxEgress = 47;      // Linux 6.6
constexpr uint32_t kAttachUprobeMulti = 48;    // Linux 6.6 (BPF_TRACE_UPROBE_MULTI)
constexpr uint32_t kAttachNetkitPrimary = 54;  // Linux 6.7
constexpr uint32_t kAttachNetkitPeer = 55;     // Linux 6.7

// enum bpf_link_type values newer than 6.1.
constexpr uint32_t kLinkTypeNetfilter = 10;    // Linux 6.4
constexpr uint32_t kLinkTypeTcx = 11;          // Linux 6.6
constexpr uint32_t kLinkTypeUprobeMulti = 12;  // Linux 6.6
constexpr uint32_t kLinkTypeNetkit = 13;       // Linux 6.7
constexpr uint32_t kLinkTypeSockmap = 14;      // Linux 6.10

// enum bpf_perf_event_type (Linux 6.6): what a perf_event link's info describes. The uprobe,
// kprobe and tracepoint kinds name a file, function or tracepoint; a plain perf event names none.
constexpr uint32_t kPerfEventUprobe = 1;
constexpr uint32_t kPerfEventUretprobe = 2;
constexpr uint32_t kPerfEventKprobe = 3;
constexpr uint32_t kPerfEventKretprobe = 4;
constexpr uint32_t kPerfEventTracepoint = 5;
constexpr uint32_t kPerfEventEvent = 6;

// Flags for mprog attachment (tcx/netkit), Linux 6.6.
constexpr uint32_t kFlagBefore = 1u << 3;
constexpr uint32_t kFlagAfter = 1u << 4;
constexpr uint32_t kFlagId = 1u << 5;
constexpr uint32_t kFlagLink = 1u << 13;

// union bpf_attr, .query member, with the mprog fields of Linux 6.6 (6.1 stops at prog_cnt).
struct ProgQueryAttr {
  uint32_t target;  // target_fd, or target_ifindex for tcx/netkit
  uint32_t attach_type;
  uint32_t query_flags;
  uint32_t attach_flags;  // out; must be 0 on input for mprog hooks
  uint64_t prog_ids;      // u32[] user pointer
  uint32_t count;         // in: capacity, out: total attached (6.1: prog_cnt)
  uint32_t pad;
  uint64_t prog_attach_flags;  // u32[] user pointer
  uint64_t link_ids;           // Linux 6.6; u32[] user pointer
  uint64_t link_attach_flags;  // Linux 6.6; u32[] user pointer
  uint64_t revision;           // Linux 6.6; out
};
static_assert(offsetof(ProgQueryAttr, prog_ids) == 16);
static_assert(offsetof(ProgQueryAttr, count) == 24);
static_assert(offsetof(ProgQueryAttr, prog_attach_flags) == 32);
static_assert(offsetof(ProgQueryAttr, link_ids) == 40);
static_assert(offsetof(ProgQueryAttr, revision) == 56);
static_assert(sizeof(ProgQueryAttr) == 64);

// union bpf_attr, .link_create member, with the netfilter, tcx/netkit and uprobe_multi
// extensions.
struct LinkCreateAttr {
  uint32_t prog_fd;
  uint32_t target;  // target_fd, or target_ifindex for tcx/netkit/xdp
  uint32_t attach_type;
  uint32_t flags;
  union {
    struct { uint32_t relative, pad; uint64_t expected_revision; } mprog;  // tcx/netkit, Linux 6.6
    struct { uint32_t pf, hooknum; int32_t priority; uint32_t flags; } netfilter;  // Linux 6.4
    struct {  // Linux 6.6; every array holds cnt u64s (ref_ctr_offsets and cookies may be 0)
      uint64_t path, offsets, ref_ctr_offsets, cookies;
      uint32_t cnt, flags, pid;
    } uprobe_multi;
  };
} __attribute__((aligned(8)));
static_assert(offsetof(LinkCreateAttr, mprog.relative) == 16);
static_assert(offsetof(LinkCreateAttr, mprog.expected_revision) == 24);
static_assert(offsetof(LinkCreateAttr, netfilter.priority) == 24);
static_assert(offsetof(LinkCreateAttr, uprobe_multi.cookies) == 40);
static_assert(offsetof(LinkCreateAttr, uprobe_multi.pid) == 56);
static_assert(sizeof(LinkCreateAttr) == 64);

// union bpf_attr, .raw_tracepoint member: the cookie is Linux 6.10 (6.1 stops at prog_fd).
struct RawTracepointOpenAttr {
  uint64_t name;  // user pointer to the tracepoint's name
  uint32_t prog_fd;
  uint32_t pad;
  uint64_t cookie;
};
static_assert(offsetof(RawTracepointOpenAttr, cookie) == 16);

// struct bpf_link_info as of Linux 6.17 (6.1 headers: 48 bytes, without netfilter/tcx/netkit/...).
struct LinkInfo {
  uint32_t type;
  uint32_t id;
  uint32_t prog_id;
  uint32_t pad;
  union {
    struct { uint64_t tp_name; uint32_t tp_name_len; uint64_t cookie; } raw_tracepoint;  // cookie: Linux 6.17
    struct { uint32_t attach_type, target_obj_id, target_btf_id, pad; uint64_t cookie; } tracing;  // cookie: Linux 6.17
    struct { uint64_t cgroup_id; uint32_t attach_type; } cgroup;
    struct {
      uint64_t target_name; uint32_t target_name_len;
      uint32_t map_id;  // iter over a map
      union { struct { uint64_t cgroup_id; uint32_t order; } cgroup; struct { uint32_t tid, pid; } task; };
    } iter;
    struct { uint32_t netns_ino, attach_type; } netns;
    struct { uint32_t ifindex; } xdp;
    struct { uint32_t map_id; } struct_ops;
    struct { uint32_t pf, hooknum; int32_t priority; uint32_t flags; } netfilter;  // Linux 6.4
    struct { uint64_t addrs; uint32_t count, flags; uint64_t missed, cookies; } kprobe_multi;  // Linux 6.6; missed 6.7; cookies 6.9
    struct {  // Linux 6.8
      uint64_t path, offsets, ref_ctr_offsets, cookies;
      uint32_t path_size, count, flags, pid;
    } uprobe_multi;
    struct {  // Linux 6.6; kprobe.missed 6.7; every cookie 6.9; uprobe.ref_ctr_offset 6.16
      uint32_t type, pad;
      union {
        struct { uint64_t file_name; uint32_t name_len, offset; uint64_t cookie, ref_ctr_offset; } uprobe;
        struct { uint64_t func_name; uint32_t name_len, offset; uint64_t addr, missed, cookie; } kprobe;
        struct { uint64_t tp_name; uint32_t name_len, pad; uint64_t cookie; } tracepoint;
        struct { uint64_t config; uint32_t type, pad; uint64_t cookie; } event;
      };
    } perf_event;
    struct { uint32_t ifindex, attach_type; } tcx;      // Linux 6.6
    struct { uint32_t ifindex, attach_type; } netkit;   // Linux 6.7
    struct { uint32_t map_id, attach_type; } sockmap;   // Linux 6.10
  };
} __attribute__((aligned(8)));
static_assert(offsetof(LinkInfo, tcx.ifindex) == 16);
static_assert(offsetof(LinkInfo, tcx.attach_type) == 20);
static_assert(offsetof(LinkInfo, netfilter.priority) == 24);
static_assert(offsetof(LinkInfo, cgroup.attach_type) == 24);
static_assert(offsetof(LinkInfo, tracing.cookie) == 32);
static_assert(offsetof(LinkInfo, raw_tracepoint.cookie) == 32);
static_assert(offsetof(LinkInfo, perf_event.uprobe.ref_ctr_offset) == 48);
static_assert(offsetof(LinkInfo, perf_event.kprobe.cookie) == 56);
static_assert(offsetof(LinkInfo, perf_event.event.cookie) == 40);
static_assert(sizeof(LinkInfo) == 64);

// struct bpf_map_info: the 6.1 header has every field up to map_extra (88 bytes). Linux 6.9 named
// the u32 before map_extra, which the header leaves as an unnamed pad (`__u32 :32`), btf_vmlinux_id;
// older kernels zero it. (Linux 6.16 added `hash`, an input, after map_extra: not read here.)
constexpr size_t kMapInfoBtfVmlinuxId = 76;
static_assert(offsetof(bpf_map_info, btf_value_type_id) + sizeof(uint32_t) == kMapInfoBtfVmlinuxId);
static_assert(offsetof(bpf_map_info, map_extra) == 80);
static_assert(sizeof(bpf_map_info) == 88);
inline uint32_t MapBtfVmlinuxId(const bpf_map_info& info) {
  uint32_t id;
  std::memcpy(&id, reinterpret_cast<const char*>(&info) + kMapInfoBtfVmlinuxId, sizeof(id));
  return id;
}

// struct bpf_prog_info: the 6.1 header already has every field up to attach_btf_id (232 bytes).
static_assert(offsetof(bpf_prog_info, run_time_ns) == 192);
static_assert(offsetof(bpf_prog_info, verified_insns) == 216);
static_assert(sizeof(bpf_prog_info) == 232);

// rtnetlink link attributes newer than 6.1 (each enum continues where the 6.1 header stops).
constexpr uint16_t kIflaBrFdbNLearned = 48;          // Linux 6.8
constexpr uint16_t kIflaBrFdbMaxLearned = 49;        // Linux 6.8
static_assert(kIflaBrFdbNLearned == IFLA_BR_MCAST_QUERIER_STATE + 1);
constexpr uint16_t kIflaBrportMab = 40;              // Linux 6.2
constexpr uint16_t kIflaBrportMcastNGroups = 41;     // Linux 6.3
constexpr uint16_t kIflaBrportMcastMaxGroups = 42;   // Linux 6.3
static_assert(kIflaBrportMab == IFLA_BRPORT_LOCKED + 1);
// netkit's IFLA_INFO_DATA (Linux 6.7; scrub 6.11). The enum netkit_action/mode/scrub values are
// spelled where they are named (netlink_parse.cc).
constexpr uint16_t kIflaNetkitPrimary = 2;
constexpr uint16_t kIflaNetkitPolicy = 3;
constexpr uint16_t kIflaNetkitPeerPolicy = 4;
constexpr uint16_t kIflaNetkitMode = 5;
constexpr uint16_t kIflaNetkitScrub = 6;       // Linux 6.11
constexpr uint16_t kIflaNetkitPeerScrub = 7;   // Linux 6.11

// ENOTSUPP: kernel-internal errno that BPF_MAP_LOOKUP_BATCH returns for map types without batch ops.
constexpr int kENOTSUPP = 524;

// bpf(2) without libbpf: used where libbpf 1.1.2 cannot express the call.
long Syscall(int cmd, void* attr, unsigned int size);

}  // namespace bpfscope::uapi

#define BPFSCOPE_OFFSETOFEND(type, member) (offsetof(type, member) + sizeof(((type*)0)->member))
