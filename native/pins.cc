#include "pins.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "links.h"
#include "maps.h"
#include "programs.h"
#include "errors.h"
#include "ids.h"
#include "task.h"

namespace bpfscope::pins {

namespace {

// Pinned objects read so far: one table per kind, and the pins in the order found, each with its
// kind (and row) or, when it could not be read, its errno.
class PinnedSet {
 public:
  struct Entry {
    std::string path;
    ObjectKind kind;
    int err;  // nonzero: unreadable
  };
  bool Read(const std::string& path, Failure& failure);
  Napi::Object ToJs(Napi::Env env);
  void Unreadable(std::string path, int err) { entries_.push_back({std::move(path), ObjectKind::kProgram, err}); }

 private:
  programs::Context context_;
  Table programs_{programs::TableSchema()}, maps_{maps::TableSchema()}, links_{links::TableSchema()};
  std::vector<Entry> entries_;
};

// What an fd of this process is: the target of /proc/self/fd/<fd> names the object's kind.
bool KindOf(int fd, ObjectKind* kind) {
  char link[64], target[64];
  std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  ssize_t n = ::readlink(link, target, sizeof(target));
  return n > 0 && KindOfFdTarget(std::string_view(target, static_cast<size_t>(n)), kind);
}

// Opens one pinned object and appends its info to the table of its kind.
bool PinnedSet::Read(const std::string& path, Failure& failure) {
  Fd fd(bpf_obj_get(path.c_str()));
  if (!fd.valid() && errno == EACCES) {
    // Readable but not writable (a 0644 pin): opened read-only, which is all reading its info
    // needs. Where the kernel opens programs and links only read-write, their EACCES stands.
    LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
    fd.Reset(bpf_obj_get_opts(path.c_str(), &opts));
    if (!fd.valid()) errno = EACCES;
  }
  if (!fd.valid()) return failure.Set(errno, "BPF_OBJ_GET", path);
  ObjectKind kind;
  // bpffs pins programs, maps and links only; a BTF object is never one.
  if (!KindOf(fd.get(), &kind) || kind == ObjectKind::kBtf) return failure.Set(EBADF, "BPF_OBJ_GET", path, "not a program, map or link");
  bool ok = false;
  switch (kind) {
    case ObjectKind::kProgram:
      ok = programs::Read(fd.get(), programs_, context_, failure);
      break;
    case ObjectKind::kMap: {
      maps::Context none;
      ok = maps::Read(fd.get(), maps_, none, failure);
      break;
    }
    case ObjectKind::kLink: {
      links::Context none;
      ok = links::Read(fd.get(), links_, none, failure);
      break;
    }
    case ObjectKind::kBtf:
      break;  // refused above
  }
  if (ok) entries_.push_back({path, kind, 0});
  return ok;
}

// { entries: [{ path, kind, row } | { path, kind: 'unreadable', errno, code }], programs, maps, links (tables) }
Napi::Object PinnedSet::ToJs(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  Napi::Array entries = Napi::Array::New(env, entries_.size());
  uint32_t rows[3] = {0, 0, 0};
  for (uint32_t i = 0; i < entries_.size(); i++) {
    const Entry& entry = entries_[i];
    Napi::Object e = Napi::Object::New(env);
    e.Set("path", entry.path);
    if (entry.err != 0) {
      e.Set("kind", "unreadable");
      e.Set("errno", entry.err);
      const char* code = errors::Name(entry.err);
      e.Set("code", code ? std::string(code) : "E" + std::to_string(entry.err));
    } else {
      e.Set("kind", SpaceOf(entry.kind).kind);
      e.Set("row", rows[static_cast<int>(entry.kind)]++);
    }
    entries.Set(i, e);
  }
  o.Set("entries", entries);
  o.Set("programs", programs_.ToJs(env));
  o.Set("maps", maps_.ToJs(env));
  o.Set("links", links_.ToJs(env));
  return o;
}

class OpenTask : public Task {
 public:
  explicit OpenTask(std::string path) : path_(std::move(path)) {}
  bool Run(Failure& failure) override {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) return failure.Set(errno, "stat", path_);
    if (S_ISDIR(st.st_mode)) return failure.Set(EISDIR, "BPF_OBJ_GET", path_);
    return OnBpffs(path_, failure) && pinned_.Read(path_, failure);
  }
  Napi::Value Result(Napi::Env env) override { return pinned_.ToJs(env); }

 private:
  std::string path_;
  PinnedSet pinned_;
};

// The type of a directory entry; from lstat where the filesystem does not say.
unsigned char TypeOf(DIR* d, const dirent* e) {
  if (e->d_type != DT_UNKNOWN) return e->d_type;
  struct stat st {};
  if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) return DT_UNKNOWN;
  return S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
}

// Depth-first walk of a bpffs tree, in name order. Entries removed during the walk are skipped;
// pins and directories below the root that cannot be opened for another reason are reported in
// their place with their errno, so one unreadable pin or directory does not hide the rest.
// Symlinks (bpffs has them) are skipped, as bpftool's walk skips them: what one points to is
// listed where it is pinned.
class ListTask : public Task {
 public:
  explicit ListTask(std::string root) : root_(std::move(root)) {}
  bool Run(Failure& failure) override {
    if (!OnBpffs(root_, failure)) return false;
    DIR* d = ::opendir(root_.c_str());
    if (!d) return failure.Set(errno, "opendir", root_);
    Walk(d, root_);
    return true;
  }
  Napi::Value Result(Napi::Env env) override { return pinned_.ToJs(env); }

 private:
  // A directory below the root: walked, or reported unreadable in its place.
  void Descend(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (d) Walk(d, dir);
    else if (errno != ENOENT) pinned_.Unreadable(dir, errno);  // ENOENT: removed since listed
  }

  // Lists an open directory (and closes it), then reads its pins and descends, in name order.
  void Walk(DIR* d, const std::string& dir) {
    std::vector<std::pair<std::string, bool>> entries;
    while (struct dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      unsigned char type = TypeOf(d, e);
      if (type != DT_LNK) entries.emplace_back(e->d_name, type == DT_DIR);
    }
    ::closedir(d);
    std::sort(entries.begin(), entries.end());
    for (const auto& [name, is_dir] : entries) {
      std::string path = dir + (dir.back() == '/' ? "" : "/") + name;
      if (is_dir) {
        Descend(path);
        continue;
      }
      Failure one;
      if (!pinned_.Read(path, one) && one.err != ENOENT) pinned_.Unreadable(path, one.err);
    }
  }

  std::string root_;
  PinnedSet pinned_;
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
