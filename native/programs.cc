#include "programs.h"

#include <bpf/bpf.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "handle.h"
#include "ids.h"
#include "task.h"
#include "uapi_compat.h"

namespace bpfscope::programs {

namespace {

constexpr size_t kNameCut = BPF_OBJ_NAME_LEN - 1;  // the kernel keeps 15 chars + NUL
constexpr uint32_t kInlineMapIds = 32;             // enough for most programs in one info call

bool Covers(uint32_t info_len, size_t end) { return info_len >= end; }
#define PROG_HAS(rec, field) Covers((rec).info_len, BPFSCOPE_OFFSETOFEND(struct bpf_prog_info, field))

// CLOCK_REALTIME - CLOCK_BOOTTIME, to turn load_time (ns since boot) into wall-clock time.
int64_t BootToRealtimeNs() {
  struct timespec real {}, boot {};
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_BOOTTIME, &boot);
  return (int64_t(real.tv_sec) - boot.tv_sec) * 1000000000LL + (int64_t(real.tv_nsec) - boot.tv_nsec);
}

bool GetInfo(int fd, struct bpf_prog_info* info, uint32_t* len, uint32_t id, Failure& failure) {
  *len = sizeof(*info);
  if (bpf_obj_get_info_by_fd(fd, info, len) != 0)
    return failure.Set(errno, "BPF_OBJ_GET_INFO_BY_FD", "program " + std::to_string(id ? id : info->id));
  return true;
}

}  // namespace

bool Read(int fd, Record* out, Context& context, Failure& failure) {
  out->map_ids.resize(kInlineMapIds);
  struct bpf_prog_info& info = out->info;
  std::memset(&info, 0, sizeof(info));
  info.nr_map_ids = kInlineMapIds;
  info.map_ids = reinterpret_cast<uintptr_t>(out->map_ids.data());
  if (!GetInfo(fd, &info, &out->info_len, 0, failure)) return false;

  uint32_t id = info.id;
  bool want_full_name = info.btf_id != 0 && info.nr_func_info > 0 && strnlen(info.name, sizeof(info.name)) == kNameCut;
  if (info.nr_map_ids > kInlineMapIds || want_full_name) {
    // Second call: all map ids, and func_info[0] whose BTF FUNC carries the untruncated name.
    uint32_t nr_maps = info.nr_map_ids;
    struct bpf_func_info func {};
    out->map_ids.resize(nr_maps);
    struct bpf_prog_info again {};
    again.nr_map_ids = nr_maps;
    again.map_ids = reinterpret_cast<uintptr_t>(out->map_ids.data());
    if (want_full_name) {
      again.nr_func_info = 1;
      again.func_info_rec_size = sizeof(func);
      again.func_info = reinterpret_cast<uintptr_t>(&func);
    }
    uint32_t len = 0;
    if (!GetInfo(fd, &again, &len, id, failure)) return false;
    out->map_ids.resize(std::min(nr_maps, again.nr_map_ids));
    if (want_full_name && again.btf_id) out->full_name = BtfTypeName(context.btf, again.btf_id, func.type_id);
  } else {
    out->map_ids.resize(info.nr_map_ids);
  }
  // Pointers into our buffers mean nothing once we return.
  info.map_ids = 0;
  info.func_info = 0;

  std::string fdinfo = ReadFdinfo(fd);
  out->has_memlock = FdinfoU64(fdinfo, "memlock", &out->memlock);
  return true;
}

Napi::Object ToJs(Napi::Env env, const Record& r) {
  static const int64_t kBootOffset = BootToRealtimeNs();  // changes only if the clock is set
  const struct bpf_prog_info& info = r.info;
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", info.id);
  o.Set("type", info.type);
  std::string kernel_name(info.name, strnlen(info.name, sizeof(info.name)));
  o.Set("kernelName", kernel_name);
  o.Set("name", r.full_name.empty() ? kernel_name : r.full_name);
  char tag[2 * BPF_TAG_SIZE + 1];
  for (int i = 0; i < BPF_TAG_SIZE; i++) std::snprintf(tag + 2 * i, 3, "%02x", info.tag[i]);
  o.Set("tag", std::string(tag, 2 * BPF_TAG_SIZE));
  o.Set("gplCompatible", Napi::Boolean::New(env, info.gpl_compatible));
  if (info.load_time) {
    o.Set("loadTimeNs", U64(env, info.load_time));
    o.Set("loadedAtMs", double(int64_t(info.load_time) + kBootOffset) / 1e6);
    o.Set("uid", info.created_by_uid);
  }
  o.Set("bytesXlated", info.xlated_prog_len);
  o.Set("jited", Napi::Boolean::New(env, info.jited_prog_len > 0));
  o.Set("bytesJited", info.jited_prog_len);
  if (r.has_memlock) o.Set("bytesMemlock", U64(env, r.memlock));
  Napi::Array maps = Napi::Array::New(env, r.map_ids.size());
  for (uint32_t i = 0; i < r.map_ids.size(); i++) maps.Set(i, r.map_ids[i]);
  o.Set("mapIds", maps);
  if (info.btf_id) o.Set("btfId", info.btf_id);
  if (info.ifindex) o.Set("offloadIfindex", info.ifindex);
  if (PROG_HAS(r, run_cnt)) {
    o.Set("runTimeNs", U64(env, info.run_time_ns));
    o.Set("runCount", U64(env, info.run_cnt));
  }
  if (PROG_HAS(r, recursion_misses)) o.Set("recursionMisses", U64(env, info.recursion_misses));
  if (PROG_HAS(r, verified_insns)) o.Set("verifiedInsns", info.verified_insns);
  if (PROG_HAS(r, attach_btf_id) && info.attach_btf_id) {
    o.Set("attachBtfObjId", info.attach_btf_obj_id);
    o.Set("attachBtfId", info.attach_btf_id);
  }
  return o;
}

namespace {

struct Kind {
  using Record = programs::Record;
  using Context = programs::Context;
  static constexpr const IdSpace& kSpace = kPrograms;
  static bool Read(int fd, Record* out, Context& context, Failure& failure) {
    return programs::Read(fd, out, context, failure);
  }
  static Napi::Object ToJs(Napi::Env env, const Record& record) { return programs::ToJs(env, record); }
};

// BPF_ENABLE_STATS: run_time_ns/run_cnt advance while the returned fd is open.
class EnableStatsTask : public Task {
 public:
  bool Run(Failure& failure) override {
    int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
    if (fd < 0) return failure.Set(errno, "BPF_ENABLE_STATS", "run-time statistics");
    fd_.Reset(fd);
    return true;
  }
  Napi::Value Result(Napi::Env env) override { return FdHandle::New(env, std::move(fd_), "statistics"); }

 private:
  Fd fd_;
};

Napi::Value EnableStats(const Napi::CallbackInfo& info) {
  return RunAsync(info.Env(), std::make_unique<EnableStatsTask>());
}

}  // namespace

void Init(Napi::Env env, Napi::Object exports) {
  ExportListAndGet<Kind>(env, exports, "listPrograms", "getProgram");
  exports.Set("enableStats", Napi::Function::New(env, EnableStats, "enableStats"));
}

}  // namespace bpfscope::programs
