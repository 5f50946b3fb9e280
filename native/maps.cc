#include "maps.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "ids.h"
#include "task.h"

namespace bpfscope::maps {

bool Read(int fd, Record* out, Context&, Failure& failure) {
  std::memset(&out->info, 0, sizeof(out->info));
  out->info_len = sizeof(out->info);
  if (bpf_obj_get_info_by_fd(fd, &out->info, &out->info_len) != 0)
    return failure.Set(errno, "BPF_OBJ_GET_INFO_BY_FD", "map fd " + std::to_string(fd));
  std::string fdinfo = ReadFdinfo(fd);
  out->has_memlock = FdinfoU64(fdinfo, "memlock", &out->memlock);
  out->has_frozen = FdinfoU64(fdinfo, "frozen", &out->frozen);
  return true;
}

Napi::Object ToJs(Napi::Env env, const Record& r) {
  const struct bpf_map_info& info = r.info.base;
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", info.id);
  o.Set("type", info.type);
  o.Set("name", std::string(info.name, strnlen(info.name, sizeof(info.name))));
  o.Set("keySize", info.key_size);
  o.Set("valueSize", info.value_size);
  o.Set("maxEntries", info.max_entries);
  o.Set("flags", info.map_flags);
  if (info.btf_id) {
    o.Set("btfId", info.btf_id);
    o.Set("btfKeyTypeId", info.btf_key_type_id);
    o.Set("btfValueTypeId", info.btf_value_type_id);
  }
  if (info.btf_vmlinux_value_type_id) o.Set("btfVmlinuxValueTypeId", info.btf_vmlinux_value_type_id);
  if (r.info_len >= BPFSCOPE_OFFSETOFEND(struct bpf_map_info, map_extra)) o.Set("mapExtra", U64(env, info.map_extra));
  if (r.info_len >= BPFSCOPE_OFFSETOFEND(uapi::MapInfo, btf_vmlinux_id) && r.info.btf_vmlinux_id)
    o.Set("btfVmlinuxId", r.info.btf_vmlinux_id);
  if (info.ifindex) o.Set("offloadIfindex", info.ifindex);
  if (r.has_frozen) o.Set("frozen", Napi::Boolean::New(env, r.frozen != 0));
  if (r.has_memlock) o.Set("bytesMemlock", U64(env, r.memlock));
  return o;
}

namespace {

struct Kind {
  using Record = maps::Record;
  using Context = maps::Context;
  static constexpr const IdSpace& kSpace = kMaps;
  static bool Read(int fd, Record* out, Context& context, Failure& failure) {
    return maps::Read(fd, out, context, failure);
  }
  static Napi::Object ToJs(Napi::Env env, const Record& record) { return maps::ToJs(env, record); }
};

}  // namespace

void Init(Napi::Env env, Napi::Object exports) {
  ExportListAndGet<Kind>(env, exports, "listMaps", "getMapInfo");
}

}  // namespace bpfscope::maps
