#include "maps.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>

#include "ids.h"
#include "uapi_compat.h"

namespace bpfscope::maps {

#define MAP_NUMBERS(X)                                                                                       \
  X(id) X(type) X(keySize) X(valueSize) X(maxEntries) X(flags) X(btfId) X(btfKeyTypeId) X(btfValueTypeId) \
  X(btfVmlinuxValueTypeId) X(btfVmlinuxId) X(offloadIfindex)
#define MAP_BOOLEANS(X) X(frozen)
#define MAP_BIGINTS(X) X(mapExtra) X(bytesMemlock)
#define MAP_STRINGS(X) X(name)

namespace {
enum Numbers { MAP_NUMBERS(BPFSCOPE_COLUMN_ENUM) };
enum Booleans { MAP_BOOLEANS(BPFSCOPE_COLUMN_ENUM) };
enum Bigints { MAP_BIGINTS(BPFSCOPE_COLUMN_ENUM) };
enum Strings { MAP_STRINGS(BPFSCOPE_COLUMN_ENUM) };
}  // namespace

const Schema& TableSchema() {
  static const Schema schema{{MAP_NUMBERS(BPFSCOPE_COLUMN_NAME)},
                             {MAP_BOOLEANS(BPFSCOPE_COLUMN_NAME)},
                             {MAP_BIGINTS(BPFSCOPE_COLUMN_NAME)},
                             {MAP_STRINGS(BPFSCOPE_COLUMN_NAME)}};
  return schema;
}

bool Read(int fd, Table& table, Context&, Failure& failure) {
  uapi::MapInfo full {};
  uint32_t len = sizeof(full);
  if (bpf_obj_get_info_by_fd(fd, &full, &len) != 0)
    return failure.Set(errno, "BPF_OBJ_GET_INFO_BY_FD", "map fd " + std::to_string(fd));
  std::string fdinfo = ReadFdinfo(fd);
  uint64_t memlock = 0, frozen = 0;
  bool has_memlock = FdinfoU64(fdinfo, "memlock", &memlock);
  bool has_frozen = FdinfoU64(fdinfo, "frozen", &frozen);

  const struct bpf_map_info& info = full.base;
  table.AddRow();
  table.Number(k_id, info.id);
  table.Number(k_type, info.type);
  table.String(k_name, std::string(info.name, strnlen(info.name, sizeof(info.name))));
  table.Number(k_keySize, info.key_size);
  table.Number(k_valueSize, info.value_size);
  table.Number(k_maxEntries, info.max_entries);
  table.Number(k_flags, info.map_flags);
  if (info.btf_id) {
    table.Number(k_btfId, info.btf_id);
    table.Number(k_btfKeyTypeId, info.btf_key_type_id);
    table.Number(k_btfValueTypeId, info.btf_value_type_id);
  }
  if (info.btf_vmlinux_value_type_id) table.Number(k_btfVmlinuxValueTypeId, info.btf_vmlinux_value_type_id);
  if (len >= BPFSCOPE_OFFSETOFEND(struct bpf_map_info, map_extra)) table.BigInt(k_mapExtra, info.map_extra);
  if (len >= BPFSCOPE_OFFSETOFEND(uapi::MapInfo, btf_vmlinux_id) && full.btf_vmlinux_id)
    table.Number(k_btfVmlinuxId, full.btf_vmlinux_id);
  if (info.ifindex) table.Number(k_offloadIfindex, info.ifindex);
  if (has_frozen) table.Boolean(k_frozen, frozen != 0);
  if (has_memlock) table.BigInt(k_bytesMemlock, memlock);
  return true;
}

namespace {

struct Kind {
  using Context = maps::Context;
  static constexpr const IdSpace& kSpace = kMaps;
  static const Schema& TableSchema() { return maps::TableSchema(); }
  static bool Read(int fd, Table& table, Context& context, Failure& failure) {
    return maps::Read(fd, table, context, failure);
  }
};

}  // namespace

void Init(Napi::Env env, Napi::Object exports) {
  ExportListAndGet<Kind>(env, exports, "map", "listMaps", "getMapInfo");
}

}  // namespace bpfscope::maps
