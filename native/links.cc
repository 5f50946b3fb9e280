#include "links.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "ids.h"
#include "task.h"

namespace bpfscope::links {

namespace {

constexpr uint32_t kNameMax = 4096;

bool GetInfo(int fd, uapi::LinkInfo* info, uint32_t* len, Failure& failure) {
  *len = sizeof(*info);
  if (bpf_obj_get_info_by_fd(fd, info, len) != 0)
    return failure.Set(errno, "BPF_OBJ_GET_INFO_BY_FD", "link fd " + std::to_string(fd));
  return true;
}

}  // namespace

bool Read(int fd, Record* out, Context&, Failure& failure) {
  uapi::LinkInfo& info = out->info;
  std::memset(&info, 0, sizeof(info));
  if (!GetInfo(fd, &info, &out->info_len, failure)) return false;

  // Types that carry a string need a second call with a buffer in the right union member.
  std::vector<char> buf(kNameMax, '\0');
  uapi::LinkInfo again {};
  uint64_t ptr = reinterpret_cast<uintptr_t>(buf.data());
  switch (info.type) {
    case BPF_LINK_TYPE_RAW_TRACEPOINT:
      again.raw_tracepoint.tp_name = ptr;
      again.raw_tracepoint.tp_name_len = kNameMax;
      break;
    case BPF_LINK_TYPE_ITER:
      again.iter.target_name = ptr;
      again.iter.target_name_len = kNameMax;
      break;
    case uapi::kLinkTypeUprobeMulti:
      again.uprobe_multi.path = ptr;
      again.uprobe_multi.path_size = kNameMax;
      break;
    case BPF_LINK_TYPE_PERF_EVENT:
      if (out->info_len < BPFSCOPE_OFFSETOFEND(uapi::LinkInfo, perf_event.type)) return true;
      // uprobe.file_name, kprobe.func_name and tracepoint.tp_name share one offset.
      again.perf_event.uprobe.file_name = ptr;
      again.perf_event.uprobe.name_len = kNameMax;
      if (info.perf_event.type == 5 /* BPF_PERF_EVENT_EVENT */) return true;
      break;
    default:
      return true;
  }
  uint32_t len = 0;
  if (!GetInfo(fd, &again, &len, failure)) {
    // Older kernels do not fill names for every type; keep the first answer.
    if (failure.err != EINVAL) return false;
    failure = Failure{};
    return true;
  }
  info = again;
  out->name.assign(buf.data(), strnlen(buf.data(), kNameMax));
  // Pointers into our buffer mean nothing once we return.
  return true;
}

Napi::Object ToJs(Napi::Env env, const Record& r) {
  const uapi::LinkInfo& i = r.info;
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", i.id);
  o.Set("type", i.type);
  o.Set("progId", i.prog_id);
  auto has = [&](size_t end) { return r.info_len >= end; };
#define LINK_HAS(field) has(BPFSCOPE_OFFSETOFEND(uapi::LinkInfo, field))
  switch (i.type) {
    case BPF_LINK_TYPE_RAW_TRACEPOINT:
      o.Set("tpName", r.name);
      break;
    case BPF_LINK_TYPE_TRACING:
      o.Set("attachType", i.tracing.attach_type);
      o.Set("targetObjId", i.tracing.target_obj_id);
      o.Set("targetBtfId", i.tracing.target_btf_id);
      break;
    case BPF_LINK_TYPE_CGROUP:
      o.Set("cgroupId", U64(env, i.cgroup.cgroup_id));
      o.Set("attachType", i.cgroup.attach_type);
      break;
    case BPF_LINK_TYPE_ITER:
      o.Set("targetName", r.name);
      if (r.name == "bpf_map_elem" || r.name == "bpf_sk_storage_map") o.Set("mapId", i.iter.map_id);
      break;
    case BPF_LINK_TYPE_NETNS:
      o.Set("netnsIno", i.netns.netns_ino);
      o.Set("attachType", i.netns.attach_type);
      break;
    case BPF_LINK_TYPE_XDP:
      o.Set("ifindex", i.xdp.ifindex);
      break;
    case BPF_LINK_TYPE_STRUCT_OPS:
      o.Set("mapId", i.struct_ops.map_id);
      break;
    case uapi::kLinkTypeNetfilter:
      o.Set("pf", i.netfilter.pf);
      o.Set("hook", i.netfilter.hooknum);
      o.Set("priority", i.netfilter.priority);
      o.Set("flags", i.netfilter.flags);
      break;
    case BPF_LINK_TYPE_KPROBE_MULTI:
      if (LINK_HAS(kprobe_multi.flags)) {
        o.Set("count", i.kprobe_multi.count);
        o.Set("flags", i.kprobe_multi.flags);
      }
      if (LINK_HAS(kprobe_multi.missed)) o.Set("missed", U64(env, i.kprobe_multi.missed));
      break;
    case uapi::kLinkTypeUprobeMulti:
      o.Set("path", r.name);
      o.Set("count", i.uprobe_multi.count);
      o.Set("flags", i.uprobe_multi.flags);
      o.Set("pid", i.uprobe_multi.pid);
      break;
    case BPF_LINK_TYPE_PERF_EVENT:
      if (LINK_HAS(perf_event.type)) {
        o.Set("perfEventType", i.perf_event.type);
        if (!r.name.empty()) o.Set("name", r.name);
      }
      break;
    case uapi::kLinkTypeTcx:
      o.Set("ifindex", i.tcx.ifindex);
      o.Set("attachType", i.tcx.attach_type);
      break;
    case uapi::kLinkTypeNetkit:
      o.Set("ifindex", i.netkit.ifindex);
      o.Set("attachType", i.netkit.attach_type);
      break;
    case uapi::kLinkTypeSockmap:
      o.Set("mapId", i.sockmap.map_id);
      o.Set("attachType", i.sockmap.attach_type);
      break;
    default:
      break;
  }
#undef LINK_HAS
  return o;
}

namespace {

struct Kind {
  using Record = links::Record;
  using Context = links::Context;
  static constexpr const IdSpace& kSpace = kLinks;
  static bool Read(int fd, Record* out, Context& context, Failure& failure) {
    return links::Read(fd, out, context, failure);
  }
  static Napi::Object ToJs(Napi::Env env, const Record& record) { return links::ToJs(env, record); }
};

}  // namespace

void Init(Napi::Env env, Napi::Object exports) {
  ExportListAndGet<Kind>(env, exports, "listLinks", "getLink");
}

}  // namespace bpfscope::links
