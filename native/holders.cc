#include "holders.h"

#include <dirent.h>
#include <fcntl.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ids.h"
#include "table.h"
#include "task.h"

namespace bpfscope::holders {

#define HOLDER_NUMBERS(X) X(id) X(pid) X(fd)
#define HOLDER_STRINGS(X) X(kind) X(comm)

namespace {

enum Numbers { HOLDER_NUMBERS(BPFSCOPE_COLUMN_ENUM) };
enum Strings { HOLDER_STRINGS(BPFSCOPE_COLUMN_ENUM) };

const Schema& TableSchema() {
  static const Schema schema{{HOLDER_NUMBERS(BPFSCOPE_COLUMN_NAME)}, {}, {}, {HOLDER_STRINGS(BPFSCOPE_COLUMN_NAME)}};
  return schema;
}

struct CloseDir {
  void operator()(DIR* dir) const { ::closedir(dir); }
};
using Dir = std::unique_ptr<DIR, CloseDir>;

// Opens `path` under the directory fd `at` for readdir; null with errno set when it cannot.
Dir OpenDirAt(int at, const char* path) {
  int fd = ::openat(at, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    int err = errno;
    ::close(fd);
    errno = err;
  }
  return Dir(dir);
}

// A decimal name such as a pid's or an fd's directory entry; -1 for any other name.
long DecimalName(const char* name) {
  if (*name < '0' || *name > '9') return -1;
  char* end;
  long v = std::strtol(name, &end, 10);
  return *end == '\0' ? v : -1;
}

// bpftool asks a BPF task_file iterator; this reads /proc instead, so that it loads no program and
// works on kernels without iterators: for every process, the links in /proc/<pid>/fd that name a
// BPF object's anon inode, and the object's id from /proc/<pid>/fdinfo/<fd>. It sees the
// processes of the pid namespace this /proc belongs to. Processes whose fds it may not read
// (another user's, without CAP_SYS_PTRACE) are listed apart: what they hold is unknown.
class ListHoldersTask : public Task {
 public:
  bool Run(Failure& failure) override {
    Fd proc(::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!proc.valid()) return failure.Set(errno, "open", "/proc");
    Dir pids = OpenDirAt(proc.get(), ".");
    if (!pids) return failure.Set(errno, "opendir", "/proc");
    while (const dirent* entry = ::readdir(pids.get())) {
      long pid = DecimalName(entry->d_name);
      if (pid > 0) ReadProcess(proc.get(), entry->d_name, static_cast<uint32_t>(pid));
    }
    return true;
  }

  // { table, unreadable: number[] }
  Napi::Value Result(Napi::Env env) override {
    hint_.set(table_.rows());
    Napi::Object o = Napi::Object::New(env);
    o.Set("table", table_.ToJs(env));
    Napi::Array unreadable = Napi::Array::New(env, unreadable_.size());
    for (uint32_t i = 0; i < unreadable_.size(); i++) unreadable.Set(i, unreadable_[i]);
    o.Set("unreadable", unreadable);
    return o;
  }

 private:
  // Adds a row per BPF fd of one process. A process or fd that is gone by the time it is read
  // (ENOENT, ESRCH) held nothing worth reporting.
  void ReadProcess(int proc, const char* pid_name, uint32_t pid) {
    std::string fd_dir = std::string(pid_name) + "/fd", info_dir = std::string(pid_name) + "/fdinfo";
    Dir fds = OpenDirAt(proc, fd_dir.c_str());
    if (!fds) {
      if (errno == EACCES || errno == EPERM) unreadable_.push_back(pid);
      return;
    }
    Fd infos;
    std::optional<std::string> comm;
    char target[64];
    while (const dirent* entry = ::readdir(fds.get())) {
      long fd = DecimalName(entry->d_name);
      if (fd < 0) continue;
      ssize_t n = ::readlinkat(::dirfd(fds.get()), entry->d_name, target, sizeof(target));
      ObjectKind kind;
      if (n <= 0 || !KindOfFdTarget(std::string_view(target, static_cast<size_t>(n)), &kind)) continue;
      if (!infos.valid()) {
        infos.Reset(::openat(proc, info_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        // Empty only when unreadable (the process exited meanwhile): a comm file ends in '\n'.
        std::string text = ReadSmallFileAt(proc, (std::string(pid_name) + "/comm").c_str());
        comm = text.empty() ? std::nullopt : std::optional(text.substr(0, text.find('\n')));
      }
      uint64_t id;
      if (!FdinfoU64(ReadSmallFileAt(infos.get(), entry->d_name), SpaceOf(kind).fdinfo_id, &id)) continue;
      table_.AddRow();
      table_.Number(k_id, static_cast<double>(id));
      table_.Number(k_pid, pid);
      table_.Number(k_fd, static_cast<double>(fd));
      table_.String(k_kind, SpaceOf(kind).kind);
      if (comm) table_.String(k_comm, *comm);
    }
  }

  static inline RowsHint hint_;
  Table table_{TableSchema(), hint_.get()};
  std::vector<uint32_t> unreadable_;
};

}  // namespace

void Init(Napi::Env env, Napi::Object exports) {
  ExportSchema(env, exports, "holder", TableSchema());
  exports.Set("listHolders", Napi::Function::New(
                                 env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                                   return RunAsync(info.Env(), std::make_unique<ListHoldersTask>());
                                 },
                                 "listHolders"));
}

}  // namespace bpfscope::holders
