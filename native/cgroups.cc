#include "cgroups.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <vector>

#include "ids.h"
#include "links.h"
#include "programs.h"
#include "table.h"
#include "task.h"
#include "uapi_compat.h"

namespace bpfscope::cgroups {

#define CGROUP_NUMBERS(X) X(attachType) X(progId) X(attachFlags)
#define CGROUP_BIGINTS(X) X(cgroupId)
#define CGROUP_STRINGS(X) X(cgroup)

namespace {

enum Numbers { CGROUP_NUMBERS(BPFSCOPE_COLUMN_ENUM) };
enum Bigints { CGROUP_BIGINTS(BPFSCOPE_COLUMN_ENUM) };
enum Strings { CGROUP_STRINGS(BPFSCOPE_COLUMN_ENUM) };

const Schema& TableSchema() {
  static const Schema schema{{CGROUP_NUMBERS(BPFSCOPE_COLUMN_NAME)}, {}, {CGROUP_BIGINTS(BPFSCOPE_COLUMN_NAME)},
                             {CGROUP_STRINGS(BPFSCOPE_COLUMN_NAME)}};
  return schema;
}

constexpr uint32_t kQueryEffective = 1u << 0;  // BPF_F_QUERY_EFFECTIVE

// The programs of one attach type on one cgroup, in the order they run. `flags` gets each
// program's attach flags (Linux 6.0+), or is left empty when the kernel only reports the hook's.
// Returns false with errno.
bool QueryCgroup(int cgroup, uint32_t attach_type, bool effective, std::vector<uint32_t>* ids,
                 std::vector<uint32_t>* flags, uint32_t* hook_flags) {
  uint32_t capacity = 16;
  bool per_program = !effective;  // the kernel refuses per-program flags with QUERY_EFFECTIVE
  for (;;) {
    ids->assign(capacity, 0);
    flags->assign(capacity, 0);
    uapi::ProgQueryAttr attr {};
    attr.target = static_cast<uint32_t>(cgroup);
    attr.attach_type = attach_type;
    attr.query_flags = effective ? kQueryEffective : 0;
    attr.count = capacity;
    attr.prog_ids = reinterpret_cast<uintptr_t>(ids->data());
    if (per_program) attr.prog_attach_flags = reinterpret_cast<uintptr_t>(flags->data());
    // The query attr grew past prog_cnt in 6.0; before that a set prog_attach_flags is EINVAL.
    size_t size = per_program ? sizeof(attr) : offsetof(uapi::ProgQueryAttr, pad);
    if (uapi::Syscall(uapi::kProgQuery, &attr, static_cast<unsigned>(size)) < 0) {
      if (errno == ENOSPC && attr.count > capacity) {
        capacity = attr.count;  // attached while we asked
        continue;
      }
      if (errno == EINVAL && per_program) {
        per_program = false;
        continue;
      }
      return false;
    }
    uint32_t n = std::min(attr.count, capacity);
    ids->resize(n);
    if (per_program) flags->resize(n);
    else flags->clear();
    *hook_flags = attr.attach_flags;
    return true;
  }
}

bool OnCgroup2(int dir, const std::string& path, Failure& failure) {
  struct statfs fs {};
  if (::fstatfs(dir, &fs) != 0) return failure.Set(errno, "statfs", path);
  if (static_cast<unsigned long>(fs.f_type) != CGROUP2_SUPER_MAGIC) return failure.Set(EXDEV, "statfs", path, "not on a cgroup2 mount");
  return true;
}

// cgroupQuery(path, attachTypes, effective, recursive) → { attachments (table), programs, links }:
// what `bpftool cgroup show PATH [effective]` (or, recursive, `bpftool cgroup tree PATH`) lists,
// with the programs' info and the links (a cgroup link names its cgroup by id) read in the same
// pass.
class CgroupQueryTask : public Task {
 public:
  CgroupQueryTask(std::string path, std::vector<uint32_t> types, bool effective, bool recursive)
      : path_(std::move(path)), types_(std::move(types)), effective_(effective), recursive_(recursive) {}

  bool Run(Failure& failure) override {
    Fd root(::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root.valid()) return failure.Set(errno, "open", path_);
    if (!OnCgroup2(root.get(), path_, failure) || !Visit(root.get(), path_, failure)) return false;
    if (attachments_.rows() == 0) return true;  // nothing to name: the query alone needs no CAP_SYS_ADMIN
    // Effective rows name no links: a link belongs to the cgroup it attaches to.
    return programs::ReadByIds(prog_ids_, programs_, failure) && (effective_ || ReadLinks(failure));
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("attachments", attachments_.ToJs(env));
    o.Set("programs", programs_.ToJs(env));
    o.Set("links", links_.ToJs(env));
    return o;
  }

 private:
  // One cgroup, then (recursive) its children in name order, as a pre-order walk.
  bool Visit(int dir, const std::string& path, Failure& failure) {
    struct stat st {};
    if (::fstat(dir, &st) != 0) return failure.Set(errno, "stat", path);
    std::vector<uint32_t> ids, flags;
    for (uint32_t type : types_) {
      uint32_t hook_flags = 0;
      if (!QueryCgroup(dir, type, effective_, &ids, &flags, &hook_flags)) {
        // EINVAL: an attach type this kernel does not know; ENOENT: the cgroup was removed meanwhile.
        if (errno == EINVAL || errno == ENOENT) continue;
        return failure.Set(errno, "BPF_PROG_QUERY", "cgroup " + path);
      }
      for (size_t i = 0; i < ids.size(); i++) {
        attachments_.AddRow();
        attachments_.String(k_cgroup, path);
        attachments_.BigInt(k_cgroupId, st.st_ino);  // a cgroup2 directory's inode is the cgroup id
        attachments_.Number(k_attachType, type);
        attachments_.Number(k_progId, ids[i]);
        if (!effective_) attachments_.Number(k_attachFlags, flags.empty() ? hook_flags : flags[i]);
        prog_ids_.insert(ids[i]);
      }
    }
    if (!recursive_) return true;
    std::vector<std::string> children;
    {
      int copy = ::dup(dir);
      DIR* d = copy < 0 ? nullptr : ::fdopendir(copy);
      if (d == nullptr) {
        if (copy >= 0) ::close(copy);
        return failure.Set(errno, "opendir", path);
      }
      while (const dirent* e = ::readdir(d))
        if (e->d_type == DT_DIR && std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) children.emplace_back(e->d_name);
      ::closedir(d);
    }
    std::sort(children.begin(), children.end());
    for (const std::string& name : children) {
      Fd child(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
      if (!child.valid()) {
        if (errno == ENOENT) continue;  // removed since the listing
        return failure.Set(errno, "open", path + "/" + name);
      }
      if (!Visit(child.get(), path + "/" + name, failure)) return false;
    }
    return true;
  }

  // Every link, for the cgroup links among them; none without CAP_SYS_ADMIN, which the id walk needs.
  bool ReadLinks(Failure& failure) {
    bool ok = WalkIds(kLinks, failure, [&](uint32_t, int fd, Failure& f) {
      links::Context none;
      return links::Read(fd, links_, none, f);
    });
    if (ok || failure.err != EPERM) return ok;
    failure = Failure{};
    return true;
  }

  std::string path_;
  std::vector<uint32_t> types_;
  bool effective_, recursive_;
  std::set<uint32_t> prog_ids_;
  Table attachments_{TableSchema()}, programs_{programs::TableSchema()}, links_{links::TableSchema()};
};

Napi::Value CgroupQuery(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ArgString(info, 0, &path)) return ThrowType(env, "path must be a string");
  if (info.Length() < 4 || !info[1].IsArray() || !info[2].IsBoolean() || !info[3].IsBoolean())
    return ThrowType(env, "cgroupQuery(path, attachTypes, effective, recursive)");
  Napi::Array list = info[1].As<Napi::Array>();
  std::vector<uint32_t> types;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value v = list.Get(i);
    if (!v.IsNumber()) return ThrowType(env, "attach types must be numbers");
    types.push_back(v.As<Napi::Number>().Uint32Value());
  }
  return RunAsync(env, std::make_unique<CgroupQueryTask>(std::move(path), std::move(types), info[2].As<Napi::Boolean>(),
                                                         info[3].As<Napi::Boolean>()));
}

}  // namespace

void Init(Napi::Env env, Napi::Object exports) {
  ExportSchema(env, exports, "cgroupAttachment", TableSchema());
  exports.Set("cgroupQuery", Napi::Function::New(env, CgroupQuery, "cgroupQuery"));
}

}  // namespace bpfscope::cgroups
