#include "pins.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <variant>
#include <vector>

#include "links.h"
#include "maps.h"
#include "programs.h"
#include "errors.h"
#include "task.h"

namespace bpfscope::pins {

namespace {

enum class Kind { kProgram, kMap, kLink };

struct Pinned {
  std::string path;
  Kind kind;
  std::variant<programs::Record, maps::Record, links::Record> record;
};

// The anon inode behind a bpf fd names its kind: "anon_inode:bpf-prog", "bpf-map", "bpf-link".
bool KindOf(int fd, Kind* kind) {
  char link[64], target[64];
  std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  ssize_t n = ::readlink(link, target, sizeof(target) - 1);
  if (n <= 0) return false;
  target[n] = '\0';
  if (std::strcmp(target, "anon_inode:bpf-prog") == 0) *kind = Kind::kProgram;
  else if (std::strcmp(target, "anon_inode:bpf-map") == 0) *kind = Kind::kMap;
  else if (std::strcmp(target, "anon_inode:bpf-link") == 0) *kind = Kind::kLink;
  else return false;
  return true;
}

bool OnBpffs(const std::string& path, Failure& failure) {
  struct statfs fs {};
  if (::statfs(path.c_str(), &fs) != 0) return failure.Set(errno, "statfs", path);
  if (static_cast<unsigned long>(fs.f_type) != BPF_FS_MAGIC) return failure.Set(EXDEV, "statfs", path, "not on a bpffs mount");
  return true;
}

// Opens one pinned object and reads its info.
bool ReadPinned(const std::string& path, Pinned* out, programs::Context& context, Failure& failure) {
  Fd fd(bpf_obj_get(path.c_str()));
  if (!fd.valid()) return failure.Set(errno, "BPF_OBJ_GET", path);
  out->path = path;
  if (!KindOf(fd.get(), &out->kind)) return failure.Set(EBADF, "BPF_OBJ_GET", path, "not a program, map or link");
  switch (out->kind) {
    case Kind::kProgram: {
      programs::Record r;
      if (!programs::Read(fd.get(), &r, context, failure)) return false;
      out->record = std::move(r);
      return true;
    }
    case Kind::kMap: {
      maps::Record r;
      maps::Context none;
      if (!maps::Read(fd.get(), &r, none, failure)) return false;
      out->record = r;
      return true;
    }
    case Kind::kLink: {
      links::Record r;
      links::Context none;
      if (!links::Read(fd.get(), &r, none, failure)) return false;
      out->record = std::move(r);
      return true;
    }
  }
  return false;
}

Napi::Object ToJs(Napi::Env env, const Pinned& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("path", p.path);
  switch (p.kind) {
    case Kind::kProgram:
      o.Set("kind", "program");
      o.Set("info", programs::ToJs(env, std::get<programs::Record>(p.record)));
      break;
    case Kind::kMap:
      o.Set("kind", "map");
      o.Set("info", maps::ToJs(env, std::get<maps::Record>(p.record)));
      break;
    case Kind::kLink:
      o.Set("kind", "link");
      o.Set("info", links::ToJs(env, std::get<links::Record>(p.record)));
      break;
  }
  return o;
}

class OpenTask : public Task {
 public:
  explicit OpenTask(std::string path) : path_(std::move(path)) {}
  bool Run(Failure& failure) override {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) return failure.Set(errno, "stat", path_);
    if (S_ISDIR(st.st_mode)) return failure.Set(EISDIR, "BPF_OBJ_GET", path_);
    programs::Context context;
    return OnBpffs(path_, failure) && ReadPinned(path_, &pinned_, context, failure);
  }
  Napi::Value Result(Napi::Env env) override { return ToJs(env, pinned_); }

 private:
  std::string path_;
  Pinned pinned_;
};

// Depth-first walk of a bpffs tree. Entries removed during the walk are skipped; entries that
// cannot be opened for another reason are reported with their errno, so one unreadable pin does
// not hide the rest.
class ListTask : public Task {
 public:
  explicit ListTask(std::string root) : root_(std::move(root)) {}
  bool Run(Failure& failure) override {
    if (!OnBpffs(root_, failure)) return false;
    programs::Context context;
    return Walk(root_, context, failure, 0);
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Array list = Napi::Array::New(env, pinned_.size() + errors_.size());
    uint32_t n = 0;
    for (const Pinned& p : pinned_) list.Set(n++, ToJs(env, p));
    for (const auto& [path, err] : errors_) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("path", path);
      o.Set("kind", "unreadable");
      o.Set("errno", err);
      const char* code = errors::Name(err);
      o.Set("code", code ? std::string(code) : "E" + std::to_string(err));
      list.Set(n++, o);
    }
    return list;
  }

 private:
  bool Walk(const std::string& dir, programs::Context& context, Failure& failure, int depth) {
    if (depth > 64) return true;  // bpffs has no symlinks, but be bounded anyway
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
      if (errno == ENOENT && depth > 0) return true;
      return failure.Set(errno, "opendir", dir);
    }
    std::vector<std::pair<std::string, bool>> entries;
    while (struct dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      entries.emplace_back(e->d_name, e->d_type == DT_DIR);
    }
    ::closedir(d);
    std::sort(entries.begin(), entries.end());
    for (const auto& [name, is_dir] : entries) {
      std::string path = dir + (dir.back() == '/' ? "" : "/") + name;
      if (is_dir) {
        if (!Walk(path, context, failure, depth + 1)) return false;
        continue;
      }
      Pinned pinned;
      Failure one;
      if (ReadPinned(path, &pinned, context, one)) pinned_.push_back(std::move(pinned));
      else if (one.err != ENOENT) errors_.emplace_back(path, one.err);
    }
    return true;
  }

  std::string root_;
  std::vector<Pinned> pinned_;
  std::vector<std::pair<std::string, int>> errors_;
};

Napi::Value OpenPinned(const Napi::CallbackInfo& info) {
  std::string path;
  if (!ArgString(info, 0, &path)) return ThrowType(info.Env(), "path must be a string");
  return RunAsync(info.Env(), std::make_unique<OpenTask>(std::move(path)));
}

Napi::Value ListPinned(const Napi::CallbackInfo& info) {
  std::string root;
  if (!ArgString(info, 0, &root)) return ThrowType(info.Env(), "root must be a string");
  return RunAsync(info.Env(), std::make_unique<ListTask>(std::move(root)));
}

}  // namespace

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("openPinned", Napi::Function::New(env, OpenPinned, "openPinned"));
  exports.Set("listPinned", Napi::Function::New(env, ListPinned, "listPinned"));
}

}  // namespace bpfscope::pins
