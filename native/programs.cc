#include "programs.h"

#include <bpf/bpf.h>
#include <time.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

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

// The whole text of /proc/kallsyms; empty when it cannot be read.
std::string ReadKallsyms() {
  Fd file(::open("/proc/kallsyms", O_RDONLY | O_CLOEXEC));
  std::string text;
  if (!file.valid()) return text;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(file.get(), buf, sizeof(buf))) > 0) text.append(buf, static_cast<size_t>(n));
  return text;
}

// The address of a kallsyms line starting at `at` ("ffffffff814ded50 T __bpf_call_base"), or 0.
uint64_t KallsymsAddress(const std::string& text, size_t at) {
  uint64_t address = 0;
  for (; at < text.size() && std::isxdigit(static_cast<unsigned char>(text[at])); at++)
    address = address << 4 | static_cast<uint64_t>(std::isdigit(static_cast<unsigned char>(text[at])) ? text[at] - '0' : (text[at] | 0x20) - 'a' + 10);
  return address;
}

// Sizes `buffer` to `count` elements for the kernel to fill, and gives its address as
// bpf_prog_info takes one.
template <typename T>
__u64 Room(std::vector<T>& buffer, size_t count) {
  buffer.resize(count);
  return reinterpret_cast<uintptr_t>(buffer.data());
}

// programCode(id, jit) → the program's translated instructions as the kernel hands them to
// bpftool's `prog dump xlated`, and what prints them: { insns: Buffer, jited (whether the kernel
// gave its functions' addresses), funcInfo: Uint32Array (insn_off, type_id pairs), lineInfo:
// Uint32Array (insn_off, file_name_off, line_off, line_col quads), btfId, calls: { at, address,
// symbol? }[] }. A call's address is how bpftool finds what it calls: a function of this program
// by its jited_ksyms index, anything else at __bpf_call_base plus the instruction's imm, which the
// verifier set to the helper's (or inlined map op's) distance from it; its symbol is the first
// /proc/kallsyms entry at that address. The kernel withholds the instructions from callers
// without CAP_BPF (and zeroes what leaks addresses without CAP_SYSLOG): EPERM then.
// With jit, also what `prog dump jited` reads: { image: Buffer (every function's machine code,
// one after another), functions: { address, size, symbol? }[] (jited_ksyms, jited_func_lens),
// lineAddresses: BigUint64Array (jited_line_info: where each line_info record's code starts) }.
// The kernel hands those over only to callers it shows kernel addresses to (bpf_dump_raw_ok:
// CAP_SYSLOG unless kernel.kptr_restrict is 0 and perf_event_paranoid at most 1), and zeroes their
// pointers otherwise: EPERM for `read JITed code` then; a program the JIT did not compile: ENODATA.
class ProgramCodeTask : public Task {
 public:
  ProgramCodeTask(uint32_t id, bool jit) : id_(id), jit_(jit) {}

  bool Run(Failure& failure) override {
    Fd fd = OpenById(kPrograms, id_, failure);
    if (!fd.valid()) return false;
    std::string object = "program " + std::to_string(id_);
    struct bpf_prog_info info {};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0) return failure.Set(errno, "BPF_OBJ_GET_INFO_BY_FD", object);
    if (info.xlated_prog_len == 0)
      return failure.Set(EPERM, "BPF_OBJ_GET_INFO_BY_FD", object, "the kernel gave no instructions: it withholds them without CAP_BPF");
    if (jit_ && info.jited_prog_len == 0)
      return failure.Set(ENODATA, "BPF_OBJ_GET_INFO_BY_FD", object, "the program has no JITed code: the kernel runs it in its interpreter (net.core.bpf_jit_enable is 0) or on a device");
    struct bpf_prog_info again {};
    again.xlated_prog_len = info.xlated_prog_len;
    again.xlated_prog_insns = Room(insns_, again.xlated_prog_len);
    again.nr_jited_ksyms = info.nr_jited_ksyms;
    again.jited_ksyms = Room(ksyms_, again.nr_jited_ksyms);
    // Records as the kernel sizes them (func_info_rec_size, line_info_rec_size), read into words.
    again.nr_func_info = info.nr_func_info;
    again.func_info_rec_size = info.func_info_rec_size;
    again.func_info = Room(func_info_, size_t(again.nr_func_info) * again.func_info_rec_size / 4);
    again.nr_line_info = info.nr_line_info;
    again.line_info_rec_size = info.line_info_rec_size;
    again.line_info = Room(line_info_, size_t(again.nr_line_info) * again.line_info_rec_size / 4);
    if (jit_) {
      again.jited_prog_len = info.jited_prog_len;
      again.jited_prog_insns = Room(image_, again.jited_prog_len);
      again.nr_jited_func_lens = info.nr_jited_func_lens;
      again.jited_func_lens = Room(func_lens_, again.nr_jited_func_lens);
      // One address a record (jited_line_info_rec_size is sizeof(__u64) in every kernel that has it).
      again.nr_jited_line_info = info.jited_line_info_rec_size == sizeof(__u64) ? info.nr_jited_line_info : 0;
      again.jited_line_info_rec_size = sizeof(__u64);
      again.jited_line_info = Room(line_addresses_, again.nr_jited_line_info);
    }
    len = sizeof(again);
    if (bpf_obj_get_info_by_fd(fd.get(), &again, &len) != 0) return failure.Set(errno, "BPF_OBJ_GET_INFO_BY_FD", object);
    // What the kernel filled, never more than asked for.
    insns_.resize(std::min<size_t>(insns_.size(), again.xlated_prog_len));
    ksyms_.resize(std::min<size_t>(ksyms_.size(), again.nr_jited_ksyms));
    func_rec_words_ = again.func_info_rec_size / 4;
    line_rec_words_ = again.line_info_rec_size / 4;
    btf_id_ = again.btf_id;
    if (jit_) {
      if (again.jited_prog_insns == 0 || again.jited_ksyms == 0 || again.jited_func_lens == 0)
        return failure.Set(EPERM, "read JITed code", object, "the kernel withheld the program's machine code and addresses");
      image_.resize(std::min<size_t>(image_.size(), again.jited_prog_len));
      func_lens_.resize(std::min<size_t>(func_lens_.size(), again.nr_jited_func_lens));
      line_addresses_.resize(again.jited_line_info == 0 ? 0 : std::min<size_t>(line_addresses_.size(), again.nr_jited_line_info));
    }
    ResolveSymbols();
    return true;
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("insns", Napi::Buffer<uint8_t>::Copy(env, insns_.data(), insns_.size()));
    o.Set("jited", !ksyms_.empty());
    o.Set("funcInfo", Words(env, func_info_, func_rec_words_, 2));
    o.Set("lineInfo", Words(env, line_info_, line_rec_words_, 4));
    o.Set("btfId", btf_id_);
    Napi::Array calls = Napi::Array::New(env, calls_.size());
    for (uint32_t i = 0; i < calls_.size(); i++) {
      Napi::Object call = Napi::Object::New(env);
      call.Set("at", calls_[i].at);
      call.Set("address", Napi::BigInt::New(env, calls_[i].address));
      if (!calls_[i].symbol.empty()) call.Set("symbol", calls_[i].symbol);
      calls.Set(i, call);
    }
    o.Set("calls", calls);
    if (!jit_) return o;
    o.Set("image", Napi::Buffer<uint8_t>::Copy(env, image_.data(), image_.size()));
    // A function a jited_ksyms address and a jited_func_lens length, as bpftool pairs them.
    size_t count = std::min(ksyms_.size(), func_lens_.size());
    Napi::Array functions = Napi::Array::New(env, count);
    for (uint32_t i = 0; i < count; i++) {
      Napi::Object function = Napi::Object::New(env);
      function.Set("address", Napi::BigInt::New(env, static_cast<uint64_t>(ksyms_[i])));
      function.Set("size", func_lens_[i]);
      if (!function_symbols_[i].empty()) function.Set("symbol", function_symbols_[i]);
      functions.Set(i, function);
    }
    o.Set("functions", functions);
    Napi::BigUint64Array lines = Napi::BigUint64Array::New(env, line_addresses_.size());
    std::copy(line_addresses_.begin(), line_addresses_.end(), lines.Data());
    o.Set("lineAddresses", lines);
    return o;
  }

 private:
  struct Call {
    uint32_t at;
    uint64_t address;
    std::string symbol;
  };

  // The first `keep` words of each record `stride` words long, as one Uint32Array.
  static Napi::Uint32Array Words(Napi::Env env, const std::vector<uint32_t>& records, uint32_t stride, uint32_t keep) {
    size_t n = stride >= keep ? records.size() / stride : 0;
    Napi::Uint32Array out = Napi::Uint32Array::New(env, n * keep);
    for (size_t r = 0; r < n; r++)
      for (uint32_t w = 0; w < keep; w++) out[r * keep + w] = records[r * stride + w];
    return out;
  }

  // Each call's address (see above), then the kernel symbols at the calls' addresses and, for a
  // JIT dump, at the functions' (bpftool's headings, `bpf_prog_<tag>_<name>`), from one read of
  // /proc/kallsyms.
  void ResolveSymbols() {
    size_t count = insns_.size() / sizeof(struct bpf_insn);
    const auto* insns = reinterpret_cast<const struct bpf_insn*>(insns_.data());
    auto is_call = [](const struct bpf_insn& insn) { return insn.code == (BPF_JMP | BPF_CALL); };
    bool any_call = std::any_of(insns, insns + count, is_call);
    if (jit_) function_symbols_.resize(ksyms_.size());
    if (!any_call && !jit_) return;
    std::string kallsyms = ReadKallsyms();
    std::unordered_set<uint64_t> wanted;
    if (any_call) {
      size_t base_at = kallsyms.find(" __bpf_call_base\n");
      uint64_t call_base = base_at == std::string::npos ? 0 : KallsymsAddress(kallsyms, kallsyms.rfind('\n', base_at) + 1);
      for (size_t i = 0; i < count; i++) {
        if (!is_call(insns[i])) continue;
        uint64_t address = call_base + static_cast<uint64_t>(static_cast<int64_t>(insns[i].imm));
        if (insns[i].src_reg == BPF_PSEUDO_CALL && static_cast<uint32_t>(insns[i].imm) < ksyms_.size()) address = ksyms_[insns[i].imm];
        calls_.push_back({static_cast<uint32_t>(i), address, {}});
        // bpftool gives up on symbols when kptr_restrict hides the addresses (__bpf_call_base at 0).
        if (call_base != 0) wanted.insert(address);
      }
    }
    if (jit_)
      for (__u64 address : ksyms_)
        if (address != 0) wanted.insert(address);
    if (wanted.empty()) return;
    std::unordered_map<uint64_t, std::string> found;
    for (size_t at = 0; at < kallsyms.size() && found.size() < wanted.size();) {
      size_t end = kallsyms.find('\n', at);
      if (end == std::string::npos) end = kallsyms.size();
      uint64_t address = KallsymsAddress(kallsyms, at);
      // "ADDRESS TYPE NAME[\t[MODULE]]"
      size_t type = kallsyms.find(' ', at) + 1, name = type + 2;
      if (address != 0 && type != 0 && name < end && wanted.count(address) && !found.count(address)) {
        size_t name_end = kallsyms.find_first_of(" \t", name);
        found.emplace(address, kallsyms.substr(name, std::min(name_end, end) - name));
      }
      at = end + 1;
    }
    for (Call& call : calls_)
      if (auto it = found.find(call.address); it != found.end()) call.symbol = it->second;
    for (size_t i = 0; i < function_symbols_.size(); i++)
      if (auto it = found.find(ksyms_[i]); it != found.end()) function_symbols_[i] = it->second;
  }

  uint32_t id_;
  bool jit_;
  std::vector<uint8_t> insns_, image_;
  std::vector<__u64> ksyms_, line_addresses_;
  std::vector<uint32_t> func_info_, line_info_, func_lens_;
  uint32_t func_rec_words_ = 0, line_rec_words_ = 0, btf_id_ = 0;
  std::vector<Call> calls_;
  std::vector<std::string> function_symbols_;
};

Napi::Value ProgramCode(const Napi::CallbackInfo& info) {
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsBoolean()) {
    Napi::TypeError::New(info.Env(), "programCode(id, jit)").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  return RunAsync(info.Env(), std::make_unique<ProgramCodeTask>(info[0].As<Napi::Number>().Uint32Value(), info[1].As<Napi::Boolean>().Value()));
}

}  // namespace

void Init(Napi::Env env, Napi::Object exports) {
  ExportListAndGet<Kind>(env, exports, "program", "listPrograms", "getProgram");
  exports.Set("enableStats", Napi::Function::New(env, EnableStats, "enableStats"));
  exports.Set("programCode", Napi::Function::New(env, ProgramCode, "programCode"));
}

}  // namespace bpfscope::programs
