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

// Absent columns stay missing: the load time only when the kernel recorded one, the counters only
// when bpf_prog_info reached them (run_cnt: Linux 5.1, recursion_misses: 5.12, verified_insns: 5.16).
#define PROGRAM_NUMBERS(X) \
  X(id) X(type) X(uid) X(bytesXlated) X(bytesJited) X(btfId) X(verifiedInsns) X(attachBtfObjId) X(attachBtfId) \
  X(offloadIfindex) X(loadedAtMs)
#define PROGRAM_BOOLEANS(X) X(gplCompatible) X(jited)
#define PROGRAM_BIGINTS(X) X(loadTimeNs) X(bytesMemlock) X(runTimeNs) X(runCount) X(recursionMisses)
#define PROGRAM_STRINGS(X) X(name) X(kernelName) X(tag)

namespace {

enum Numbers { PROGRAM_NUMBERS(BPFSCOPE_COLUMN_ENUM) };
enum Booleans { PROGRAM_BOOLEANS(BPFSCOPE_COLUMN_ENUM) };
enum Bigints { PROGRAM_BIGINTS(BPFSCOPE_COLUMN_ENUM) };
enum Strings { PROGRAM_STRINGS(BPFSCOPE_COLUMN_ENUM) };

constexpr size_t kNameCut = BPF_OBJ_NAME_LEN - 1;  // the kernel keeps 15 chars + NUL
constexpr uint32_t kInlineMapIds = 64;             // enough for most programs in one info call

#define PROG_HAS(len, field) ((len) >= BPFSCOPE_OFFSETOFEND(struct bpf_prog_info, field))

// CLOCK_REALTIME - CLOCK_BOOTTIME, to turn load_time (ns since boot) into wall-clock time.
int64_t BootToRealtimeNs() {
  struct timespec real {}, boot {};
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_BOOTTIME, &boot);
  return (int64_t(real.tv_sec) - boot.tv_sec) * 1000000000LL + (int64_t(real.tv_nsec) - boot.tv_nsec);
}

bool GetInfo(int fd, struct bpf_prog_info* info, uint32_t* len, Failure& failure) {
  *len = sizeof(*info);
  if (bpf_obj_get_info_by_fd(fd, info, len) != 0)
    return failure.Set(errno, "BPF_OBJ_GET_INFO_BY_FD", "program fd " + std::to_string(fd));
  return true;
}

}  // namespace

const Schema& TableSchema() {
  static const Schema schema{{PROGRAM_NUMBERS(BPFSCOPE_COLUMN_NAME)},
                             {PROGRAM_BOOLEANS(BPFSCOPE_COLUMN_NAME)},
                             {PROGRAM_BIGINTS(BPFSCOPE_COLUMN_NAME)},
                             {PROGRAM_STRINGS(BPFSCOPE_COLUMN_NAME)},
                             "mapIds"};
  return schema;
}

bool Read(int fd, Table& table, Context& context, Failure& failure) {
  uint32_t map_ids[kInlineMapIds];
  struct bpf_prog_info info {};
  info.nr_map_ids = kInlineMapIds;
  info.map_ids = reinterpret_cast<uintptr_t>(map_ids);
  uint32_t len = 0;
  if (!GetInfo(fd, &info, &len, failure)) return false;

  std::vector<uint32_t> more_map_ids;
  std::string full_name;
  bool want_full_name = info.btf_id != 0 && info.nr_func_info > 0 && strnlen(info.name, sizeof(info.name)) == kNameCut;
  if (info.nr_map_ids > kInlineMapIds || want_full_name) {
    // Second call: all map ids, and func_info[0], whose BTF FUNC carries the untruncated name.
    struct bpf_func_info func {};
    more_map_ids.resize(info.nr_map_ids);
    struct bpf_prog_info again {};
    again.nr_map_ids = info.nr_map_ids;
    again.map_ids = reinterpret_cast<uintptr_t>(more_map_ids.data());
    if (want_full_name) {
      again.nr_func_info = 1;
      again.func_info_rec_size = sizeof(func);
      again.func_info = reinterpret_cast<uintptr_t>(&func);
    }
    uint32_t again_len = 0;
    if (!GetInfo(fd, &again, &again_len, failure)) return false;
    more_map_ids.resize(std::min<uint32_t>(more_map_ids.size(), again.nr_map_ids));
    if (want_full_name && again.btf_id) full_name = BtfTypeName(context.btf, again.btf_id, func.type_id);
  }
  uint64_t memlock = 0;
  bool has_memlock = FdinfoU64(ReadFdinfo(fd), "memlock", &memlock);

  static const int64_t kBootOffset = BootToRealtimeNs();  // changes only if the clock is set
  table.AddRow();
  table.Number(k_id, info.id);
  table.Number(k_type, info.type);
  std::string kernel_name(info.name, strnlen(info.name, sizeof(info.name)));
  table.String(k_name, full_name.empty() ? kernel_name : full_name);
  table.String(k_kernelName, std::move(kernel_name));
  char tag[2 * BPF_TAG_SIZE + 1];
  for (int i = 0; i < BPF_TAG_SIZE; i++) std::snprintf(tag + 2 * i, 3, "%02x", info.tag[i]);
  table.String(k_tag, std::string(tag, 2 * BPF_TAG_SIZE));
  table.Boolean(k_gplCompatible, info.gpl_compatible);
  if (info.load_time) {
    table.BigInt(k_loadTimeNs, info.load_time);
    table.Number(k_loadedAtMs, double(int64_t(info.load_time) + kBootOffset) / 1e6);
    table.Number(k_uid, info.created_by_uid);
  }
  // Without CAP_BPF the kernel zeroes both sizes. A loaded program has at least one instruction,
  // so a zero xlated size means withheld: then whether it is JITed is not known either.
  if (info.xlated_prog_len > 0) {
    table.Number(k_bytesXlated, info.xlated_prog_len);
    table.Boolean(k_jited, info.jited_prog_len > 0);
    table.Number(k_bytesJited, info.jited_prog_len);
  }
  if (has_memlock) table.BigInt(k_bytesMemlock, memlock);
  if (more_map_ids.empty()) table.List(map_ids, std::min(info.nr_map_ids, kInlineMapIds));
  else table.List(more_map_ids.data(), more_map_ids.size());
  if (info.btf_id) table.Number(k_btfId, info.btf_id);
  if (info.ifindex) table.Number(k_offloadIfindex, info.ifindex);
  if (PROG_HAS(len, run_cnt)) {
    table.BigInt(k_runTimeNs, info.run_time_ns);
    table.BigInt(k_runCount, info.run_cnt);
  }
  if (PROG_HAS(len, recursion_misses)) table.BigInt(k_recursionMisses, info.recursion_misses);
  if (PROG_HAS(len, verified_insns)) table.Number(k_verifiedInsns, info.verified_insns);
  if (PROG_HAS(len, attach_btf_id) && info.attach_btf_id) {
    table.Number(k_attachBtfObjId, info.attach_btf_obj_id);
    table.Number(k_attachBtfId, info.attach_btf_id);
  }
  return true;
}

namespace {

struct Kind {
  using Context = programs::Context;
  static constexpr const IdSpace& kSpace = kPrograms;
  static const Schema& TableSchema() { return programs::TableSchema(); }
  static bool Read(int fd, Table& table, Context& context, Failure& failure) {
    return programs::Read(fd, table, context, failure);
  }
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
  ExportListAndGet<Kind>(env, exports, "program", "listPrograms", "getProgram");
  exports.Set("enableStats", Napi::Function::New(env, EnableStats, "enableStats"));
}

}  // namespace bpfscope::programs
