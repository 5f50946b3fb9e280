#include "links.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <vector>

#include "btf.h"
#include "ids.h"
#include "uapi_compat.h"

namespace bpfscope::links {

#define LINK_NUMBERS(X)                                                                                  \
  X(id) X(type) X(progId) X(ifindex) X(attachType) X(targetObjId) X(targetBtfId) X(netnsIno) X(mapId) \
  X(pf) X(hook) X(priority) X(flags) X(count) X(pid) X(perfEventType) X(offset) X(eventType)
#define LINK_BIGINTS(X) X(cgroupId) X(missed) X(addr) X(cookie) X(refCtrOffset) X(eventConfig)
#define LINK_STRINGS(X) X(tpName) X(targetName) X(path) X(name)

namespace {

enum Numbers { LINK_NUMBERS(BPFSCOPE_COLUMN_ENUM) };
enum Bigints { LINK_BIGINTS(BPFSCOPE_COLUMN_ENUM) };
enum Strings { LINK_STRINGS(BPFSCOPE_COLUMN_ENUM) };

constexpr uint32_t kNameMax = 4096;

bool GetInfo(int fd, uapi::LinkInfo* info, uint32_t* len, Failure& failure) {
  *len = sizeof(*info);
  if (bpf_obj_get_info_by_fd(fd, info, len) != 0)
    return failure.Set(errno, "BPF_OBJ_GET_INFO_BY_FD", "link fd " + std::to_string(fd));
  return true;
}

}  // namespace

const Schema& TableSchema() {
  static const Schema schema{{LINK_NUMBERS(BPFSCOPE_COLUMN_NAME)},
                             {},
                             {LINK_BIGINTS(BPFSCOPE_COLUMN_NAME)},
                             {LINK_STRINGS(BPFSCOPE_COLUMN_NAME)},
                             nullptr,
                             "probeArrays"};  // a multi-probe link's arrays, as Buffers holds them
  return schema;
}

namespace {

// Uprobes name a file, kprobes a function, tracepoints themselves; a plain perf event has no name.
bool PerfEventHasName(uint32_t type) {
  switch (type) {
    case uapi::kPerfEventUprobe:
    case uapi::kPerfEventUretprobe:
    case uapi::kPerfEventKprobe:
    case uapi::kPerfEventKretprobe:
    case uapi::kPerfEventTracepoint:
      return true;
    default:
      return false;  // a plain perf event, and kinds newer than this file
  }
}

// Whether the kernel filled `field`: it reports the length it knows, and newer fields lie past it.
#define LINK_HAS(field) (len >= BPFSCOPE_OFFSETOFEND(uapi::LinkInfo, field))

// Members that kernels added inside the info's union without growing it (the struct has been 64
// bytes since Linux 6.8): the length cannot tell whether this kernel fills them, and one that
// predates a member leaves it as we passed it, zero. The kernel's BTF declares those it fills.
struct UnionMembers {
  bool kprobe_multi;           // Linux 6.6: count, flags, addrs
  bool kprobe_multi_missed;    // Linux 6.7
  bool kprobe_multi_cookies;   // Linux 6.9
  bool perf_event_cookie;      // Linux 6.9, every kind of perf event
  bool uprobe_ref_ctr_offset;  // Linux 6.16
  bool tracing_cookie;         // Linux 6.17
  bool raw_tracepoint_cookie;  // Linux 6.17
};

// Read from the kernel's BTF by the first link that needs it (a few MiB to parse), then kept.
UnionMembers Declared() {
  static std::mutex mutex;
  static std::optional<UnionMembers> kept;
  std::lock_guard<std::mutex> lock(mutex);
  if (kept) return *kept;
  KernelStruct info("bpf_link_info");
  UnionMembers declared{info.Has("kprobe_multi"), info.Has("kprobe_multi.missed"), info.Has("kprobe_multi.cookies"),
                        info.Has("perf_event.uprobe.cookie"), info.Has("perf_event.uprobe.ref_ctr_offset"),
                        info.Has("tracing.cookie"), info.Has("raw_tracepoint.cookie")};
  // A kernel's structs do not change while it runs, nor does its having no BTF (ENOENT); any other
  // failure to read it (ENOMEM) is not kept, and the next link asks again.
  if (info.error() == 0 || info.error() == ENOENT) kept = declared;
  return declared;
}

// What a second BPF_OBJ_GET_INFO_BY_FD fills, through pointers in the info: the link's name, and
// a multi-probe link's arrays, one after another (uprobe_multi: offsets, ref_ctr_offsets,
// cookies; kprobe_multi: addrs, cookies; `count` u64s each).
struct Buffers {
  std::vector<char> name = std::vector<char>(kNameMax, '\0');
  std::vector<uint64_t> arrays;
};

// Points `again` at `buffers` for what the first answer (`info`, `len`) says the link has beyond
// its info. False when it has nothing more that this kernel fills.
bool PointAtBuffers(const uapi::LinkInfo& info, uint32_t len, uapi::LinkInfo* again, Buffers* buffers) {
  uint64_t name = reinterpret_cast<uintptr_t>(buffers->name.data());
  // Array `index` of `count` u64s in buffers->arrays.
  auto array = [buffers](size_t index, uint32_t count) -> uint64_t {
    return reinterpret_cast<uintptr_t>(buffers->arrays.data() + index * count);
  };
  switch (info.type) {
    case BPF_LINK_TYPE_RAW_TRACEPOINT:
      again->raw_tracepoint.tp_name = name;
      again->raw_tracepoint.tp_name_len = kNameMax;
      return true;
    case BPF_LINK_TYPE_ITER:
      again->iter.target_name = name;
      again->iter.target_name_len = kNameMax;
      return true;
    case uapi::kLinkTypeUprobeMulti: {
      // Linux 6.6 and 6.7 have uprobe_multi links but fill no info for them, and their struct is
      // shorter: 6.6 refuses a path buffer past its end (E2BIG), failing the whole listing.
      if (!LINK_HAS(uprobe_multi.pid)) return false;
      again->uprobe_multi.path = name;
      again->uprobe_multi.path_size = kNameMax;
      uint32_t count = info.uprobe_multi.count;
      if (count == 0) return true;  // the kernel refuses arrays for no probes
      buffers->arrays.resize(3 * size_t{count});
      again->uprobe_multi.offsets = array(0, count);
      again->uprobe_multi.ref_ctr_offsets = array(1, count);
      again->uprobe_multi.cookies = array(2, count);
      again->uprobe_multi.count = count;
      return true;
    }
    case BPF_LINK_TYPE_KPROBE_MULTI: {
      // Addresses without cookies (Linux 6.6 to 6.8) are not read: a function is both.
      uint32_t count = info.kprobe_multi.count;
      if (count == 0 || !Declared().kprobe_multi_cookies) return false;
      buffers->arrays.resize(2 * size_t{count});
      again->kprobe_multi.addrs = array(0, count);
      again->kprobe_multi.cookies = array(1, count);
      again->kprobe_multi.count = count;
      return true;
    }
    case BPF_LINK_TYPE_PERF_EVENT:
      if (!LINK_HAS(perf_event.type) || !PerfEventHasName(info.perf_event.type)) return false;
      // uprobe.file_name, kprobe.func_name and tracepoint.tp_name share one offset.
      again->perf_event.uprobe.file_name = name;
      again->perf_event.uprobe.name_len = kNameMax;
      return true;
    default:
      return false;
  }
}

// Reads the link's info, and what its info points to: a name, a multi-probe link's arrays.
bool ReadInfo(int fd, uapi::LinkInfo* out, uint32_t* out_len, std::string* name, std::vector<uint64_t>* arrays,
              Failure& failure) {
  uapi::LinkInfo& info = *out;
  if (!GetInfo(fd, &info, out_len, failure)) return false;
  Buffers buffers;
  uapi::LinkInfo again {};
  if (!PointAtBuffers(info, *out_len, &again, &buffers)) return true;
  uint32_t len = 0;
  if (!GetInfo(fd, &again, &len, failure)) {
    // Older kernels do not fill names for every type; keep the first answer.
    if (failure.err != EINVAL) return false;
    failure = Failure{};
    return true;
  }
  // The pointers in `again` name our buffers, which mean nothing once we return.
  info = again;
  name->assign(buffers.name.data(), strnlen(buffers.name.data(), kNameMax));
  *arrays = std::move(buffers.arrays);
  return true;
}

// A perf_event link's fields, by the kind of perf event it is. Kernels before 6.6 fill none, and
// leave the kind 0 (BPF_PERF_EVENT_UNSPEC), which later ones never report: they fill a kind or fail.
void PerfEventRow(const uapi::LinkInfo& i, uint32_t len, const std::string& name, Table& table) {
  const auto& event = i.perf_event;
  if (!LINK_HAS(perf_event.type) || event.type == 0) return;
  table.Number(k_perfEventType, event.type);
  if (!name.empty()) table.String(k_name, name);
  switch (event.type) {
    case uapi::kPerfEventUprobe:
    case uapi::kPerfEventUretprobe:
      table.Number(k_offset, event.uprobe.offset);
      if (Declared().perf_event_cookie) table.BigInt(k_cookie, event.uprobe.cookie);
      if (Declared().uprobe_ref_ctr_offset) table.BigInt(k_refCtrOffset, event.uprobe.ref_ctr_offset);
      break;
    case uapi::kPerfEventKprobe:
    case uapi::kPerfEventKretprobe:
      table.Number(k_offset, event.kprobe.offset);
      table.BigInt(k_addr, event.kprobe.addr);
      if (LINK_HAS(perf_event.kprobe.missed)) table.BigInt(k_missed, event.kprobe.missed);
      if (Declared().perf_event_cookie) table.BigInt(k_cookie, event.kprobe.cookie);
      break;
    case uapi::kPerfEventTracepoint:
      if (Declared().perf_event_cookie) table.BigInt(k_cookie, event.tracepoint.cookie);
      break;
    case uapi::kPerfEventEvent:
      table.Number(k_eventType, event.event.type);
      table.BigInt(k_eventConfig, event.event.config);
      if (Declared().perf_event_cookie) table.BigInt(k_cookie, event.event.cookie);
      break;
    default:
      break;  // a kind newer than this file
  }
}

}  // namespace

bool Read(int fd, Table& table, Context&, Failure& failure) {
  uapi::LinkInfo i {};
  uint32_t len = 0;
  std::string name;
  std::vector<uint64_t> arrays;
  if (!ReadInfo(fd, &i, &len, &name, &arrays, failure)) return false;
  table.AddRow();
  table.Number(k_id, i.id);
  table.Number(k_type, i.type);
  table.Number(k_progId, i.prog_id);
  switch (i.type) {
    case BPF_LINK_TYPE_RAW_TRACEPOINT:
      table.String(k_tpName, name);
      if (Declared().raw_tracepoint_cookie) table.BigInt(k_cookie, i.raw_tracepoint.cookie);
      break;
    case BPF_LINK_TYPE_TRACING:
      table.Number(k_attachType, i.tracing.attach_type);
      table.Number(k_targetObjId, i.tracing.target_obj_id);
      table.Number(k_targetBtfId, i.tracing.target_btf_id);
      if (Declared().tracing_cookie) table.BigInt(k_cookie, i.tracing.cookie);
      break;
    case BPF_LINK_TYPE_CGROUP:
      table.BigInt(k_cgroupId, i.cgroup.cgroup_id);
      table.Number(k_attachType, i.cgroup.attach_type);
      break;
    case BPF_LINK_TYPE_ITER:
      table.String(k_targetName, name);
      if (name == "bpf_map_elem" || name == "bpf_sk_storage_map") table.Number(k_mapId, i.iter.map_id);
      break;
    case BPF_LINK_TYPE_NETNS:
      table.Number(k_netnsIno, i.netns.netns_ino);
      table.Number(k_attachType, i.netns.attach_type);
      break;
    case BPF_LINK_TYPE_XDP:
      table.Number(k_ifindex, i.xdp.ifindex);
      break;
    case BPF_LINK_TYPE_STRUCT_OPS:
      table.Number(k_mapId, i.struct_ops.map_id);
      break;
    case uapi::kLinkTypeNetfilter:
      table.Number(k_pf, i.netfilter.pf);
      table.Number(k_hook, i.netfilter.hooknum);
      table.Number(k_priority, i.netfilter.priority);
      table.Number(k_flags, i.netfilter.flags);
      break;
    case BPF_LINK_TYPE_KPROBE_MULTI:
      if (Declared().kprobe_multi) {
        table.Number(k_count, i.kprobe_multi.count);
        table.Number(k_flags, i.kprobe_multi.flags);
      }
      if (Declared().kprobe_multi_missed) table.BigInt(k_missed, i.kprobe_multi.missed);
      table.BigIntList(arrays.data(), arrays.size());
      break;
    case uapi::kLinkTypeUprobeMulti:
      if (LINK_HAS(uprobe_multi.pid)) {
        table.String(k_path, name);
        table.Number(k_count, i.uprobe_multi.count);
        table.Number(k_flags, i.uprobe_multi.flags);
        table.Number(k_pid, i.uprobe_multi.pid);
      }
      table.BigIntList(arrays.data(), arrays.size());
      break;
    case BPF_LINK_TYPE_PERF_EVENT:
      PerfEventRow(i, len, name, table);
      break;
    case uapi::kLinkTypeTcx:
      table.Number(k_ifindex, i.tcx.ifindex);
      table.Number(k_attachType, i.tcx.attach_type);
      break;
    case uapi::kLinkTypeNetkit:
      table.Number(k_ifindex, i.netkit.ifindex);
      table.Number(k_attachType, i.netkit.attach_type);
      break;
    case uapi::kLinkTypeSockmap:
      table.Number(k_mapId, i.sockmap.map_id);
      table.Number(k_attachType, i.sockmap.attach_type);
      break;
    default:
      break;
  }
  return true;
}
#undef LINK_HAS

namespace {

struct Kind {
  using Context = links::Context;
  static constexpr const IdSpace& kSpace = kLinks;
  static const Schema& TableSchema() { return links::TableSchema(); }
  static bool Read(int fd, Table& table, Context& context, Failure& failure) {
    return links::Read(fd, table, context, failure);
  }
};

}  // namespace

void Init(Napi::Env env, Napi::Object exports) {
  ExportListAndGet<Kind>(env, exports, "link", "listLinks", "getLink");
}

}  // namespace bpfscope::links
