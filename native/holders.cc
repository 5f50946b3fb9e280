#include "holders.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <linux/sockios.h>
#include <linux/stat.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <bpf/bpf.h>

#include "ids.h"
#include "netns.h"
#include "table.h"
#include "task.h"
#include "uapi_compat.h"

// Linux 5.14; the same number on x86_64 and arm64 (asm-generic), which older libc headers lack.
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

namespace bpfscope::holders {

#define HOLDER_NUMBERS(X) X(id) X(pid) X(fd)
#define HOLDER_STRINGS(X) X(kind) X(comm)
#define PERF_NUMBERS(X) X(pid) X(fd) X(progId) X(fdType)
#define PERF_BIGINTS(X) X(offset) X(addr)
#define PERF_STRINGS(X) X(name) X(comm)
#define NETNS_HOLDER_NUMBERS(X) X(pid) X(inode) X(dev) X(fd) X(tid) X(socket) X(family) X(type) X(protocol)
#define NETNS_HOLDER_STRINGS(X) X(kind) X(mountinfo)

namespace {

enum Numbers { HOLDER_NUMBERS(BPFSCOPE_COLUMN_ENUM) };
enum Strings { HOLDER_STRINGS(BPFSCOPE_COLUMN_ENUM) };

const Schema& TableSchema() {
  static const Schema schema{{HOLDER_NUMBERS(BPFSCOPE_COLUMN_NAME)}, {}, {}, {HOLDER_STRINGS(BPFSCOPE_COLUMN_NAME)}};
  return schema;
}

namespace perf_col {
enum Numbers { PERF_NUMBERS(BPFSCOPE_COLUMN_ENUM) };
enum Bigints { PERF_BIGINTS(BPFSCOPE_COLUMN_ENUM) };
enum Strings { PERF_STRINGS(BPFSCOPE_COLUMN_ENUM) };
}  // namespace perf_col

const Schema& PerfTableSchema() {
  static const Schema schema{{PERF_NUMBERS(BPFSCOPE_COLUMN_NAME)}, {}, {PERF_BIGINTS(BPFSCOPE_COLUMN_NAME)}, {PERF_STRINGS(BPFSCOPE_COLUMN_NAME)}};
  return schema;
}

namespace netns_col {
enum Numbers { NETNS_HOLDER_NUMBERS(BPFSCOPE_COLUMN_ENUM) };
enum Strings { NETNS_HOLDER_STRINGS(BPFSCOPE_COLUMN_ENUM) };
}  // namespace netns_col

const Schema& NetnsTableSchema() {
  static const Schema schema{{NETNS_HOLDER_NUMBERS(BPFSCOPE_COLUMN_NAME)}, {}, {}, {NETNS_HOLDER_STRINGS(BPFSCOPE_COLUMN_NAME)}};
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

// Calls visit(proc, name, pid) for every process in /proc, `proc` an fd of /proc and `name` the
// pid's directory there; fails when /proc itself cannot be read, or stops where visit returns
// false (having set `failure`).
template <typename Visit>
bool ForEachProcess(Failure& failure, Visit visit) {
  Fd proc(::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!proc.valid()) return failure.Set(errno, "open", "/proc");
  Dir pids = OpenDirAt(proc.get(), ".");
  if (!pids) return failure.Set(errno, "opendir", "/proc");
  while (const dirent* entry = ::readdir(pids.get())) {
    long pid = DecimalName(entry->d_name);
    if (pid > 0 && !visit(proc.get(), entry->d_name, static_cast<uint32_t>(pid))) return false;
  }
  return true;
}

// Calls visit(dir, fd, fd_name, target) for every fd of one process, `dir` the process's fd
// directory and `target` the text of the fd's link there, cut to 64 bytes: enough for an anon
// inode's kind ("anon_inode:bpf-map") or a namespace's ("net:[4026531840]"). A process whose fds
// may not be read (another user's, without CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE) goes into
// `unreadable` where one is given: what it holds is unknown. One that exited meanwhile held
// nothing worth reporting. Returns false where visit does.
template <typename Visit>
bool ForEachFd(int proc, const char* pid_name, uint32_t pid, std::vector<uint32_t>* unreadable, Visit visit) {
  Dir fds = OpenDirAt(proc, (std::string(pid_name) + "/fd").c_str());
  if (!fds) {
    if (unreadable != nullptr && (errno == EACCES || errno == EPERM)) unreadable->push_back(pid);
    return true;
  }
  int dir = ::dirfd(fds.get());
  char target[64];
  while (const dirent* entry = ::readdir(fds.get())) {
    long fd = DecimalName(entry->d_name);
    if (fd < 0) continue;
    ssize_t n = ::readlinkat(dir, entry->d_name, target, sizeof(target));
    if (n > 0 && !visit(dir, static_cast<int>(fd), entry->d_name, std::string_view(target, static_cast<size_t>(n)))) return false;
  }
  return true;
}

// A process's name (/proc/<pid>/comm); none when it exited before it was read: a comm file that
// could be read ends in '\n', so it is never empty.
std::optional<std::string> CommOf(int proc, const char* pid_name) {
  std::string text = ReadSmallFileAt(proc, (std::string(pid_name) + "/comm").c_str());
  return text.empty() ? std::nullopt : std::optional(text.substr(0, text.find('\n')));
}

// What the listings of processes' fds return: { table, unreadable: number[] }.
Napi::Value TableAndUnreadable(Napi::Env env, Table& table, const std::vector<uint32_t>& unreadable) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("table", table.ToJs(env));
  Napi::Array pids = Napi::Array::New(env, unreadable.size());
  for (uint32_t i = 0; i < unreadable.size(); i++) pids.Set(i, unreadable[i]);
  o.Set("unreadable", pids);
  return o;
}

// bpftool asks a BPF task_file iterator; this reads /proc instead, so that it loads no program and
// works on kernels without iterators: for every process, the links in /proc/<pid>/fd that name a
// BPF object's anon inode, and the object's id from /proc/<pid>/fdinfo/<fd>. It sees the
// processes of the pid namespace this /proc belongs to.
class ListHoldersTask : public Task {
 public:
  bool Run(Failure& failure) override {
    return ForEachProcess(failure, [this](int proc, const char* name, uint32_t pid) { return ReadProcess(proc, name, pid); });
  }

  // { table, unreadable: number[] }
  Napi::Value Result(Napi::Env env) override {
    hint_.set(table_.rows());
    return TableAndUnreadable(env, table_, unreadable_);
  }

 private:
  // Adds a row per BPF fd of one process.
  bool ReadProcess(int proc, const char* pid_name, uint32_t pid) {
    Fd infos;
    std::optional<std::string> comm;
    return ForEachFd(proc, pid_name, pid, &unreadable_, [&](int, int fd, const char* fd_name, std::string_view target) {
      ObjectKind kind;
      if (!KindOfFdTarget(target, &kind)) return true;
      if (!infos.valid()) {
        infos.Reset(::openat(proc, (std::string(pid_name) + "/fdinfo").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        comm = CommOf(proc, pid_name);
      }
      uint64_t id;
      if (!FdinfoU64(ReadSmallFileAt(infos.get(), fd_name), SpaceOf(kind).fdinfo_id, &id)) return true;
      table_.AddRow();
      table_.Number(k_id, static_cast<double>(id));
      table_.Number(k_pid, pid);
      table_.Number(k_fd, fd);
      table_.String(k_kind, SpaceOf(kind).kind);
      if (comm) table_.String(k_comm, *comm);
      return true;
    });
  }

  static inline RowsHint hint_;
  Table table_{TableSchema(), hint_.get()};
  std::vector<uint32_t> unreadable_;
};

// bpftool perf: the programs processes run on perf events (tracepoints, kprobes, uprobes) and raw
// tracepoints, each told by BPF_TASK_FD_QUERY on the process's fd. bpftool asks every fd of every
// process; only a perf event's or a BPF link's can answer, which the fd's link text tells, so only
// those are asked. The pids are those of /proc, which the kernel looks up in the caller's pid
// namespace: the two must be the same.
class ListPerfAttachmentsTask : public Task {
 public:
  bool Run(Failure& failure) override {
    return ForEachProcess(failure, [&](int proc, const char* name, uint32_t pid) { return ReadProcess(proc, name, pid, failure); });
  }

  // { table, unreadable: number[] }
  Napi::Value Result(Napi::Env env) override { return TableAndUnreadable(env, table_, unreadable_); }

 private:
  bool ReadProcess(int proc, const char* pid_name, uint32_t pid, Failure& failure) {
    std::optional<std::string> comm;
    bool named = false;
    return ForEachFd(proc, pid_name, pid, &unreadable_, [&](int, int fd, const char*, std::string_view target) {
      ObjectKind kind;
      if (target != "anon_inode:[perf_event]" && !(KindOfFdTarget(target, &kind) && kind == ObjectKind::kLink)) return true;
      uint32_t prog_id, fd_type;
      __u64 offset, addr;
      if (int err = Query(pid, fd, &prog_id, &fd_type, &offset, &addr); err != 0) {
        // Closed or exited meanwhile (EBADF, ENOENT, which is also a perf event without a
        // program), a link other than a raw tracepoint's (ENOTSUPP), or a perf_event program on a
        // hardware or software event, which the kernel does not describe (EOPNOTSUPP).
        if (err == EBADF || err == ENOENT || err == uapi::kENOTSUPP || err == EOPNOTSUPP) return true;
        return failure.Set(err, "BPF_TASK_FD_QUERY", "fd " + std::to_string(fd) + " of process " + std::to_string(pid));
      }
      if (!named) {
        comm = CommOf(proc, pid_name);
        named = true;
      }
      table_.AddRow();
      table_.Number(perf_col::k_pid, pid);
      table_.Number(perf_col::k_fd, fd);
      table_.Number(perf_col::k_progId, prog_id);
      table_.Number(perf_col::k_fdType, fd_type);
      // The kernel fills both for every kind (0 where the kind has none); src/holders.ts keeps
      // the ones each kind has, as bpftool prints them.
      table_.BigInt(perf_col::k_offset, offset);
      table_.BigInt(perf_col::k_addr, addr);
      table_.String(perf_col::k_name, name_.data());
      if (comm) table_.String(perf_col::k_comm, *comm);
      return true;
    });
  }

  // One BPF_TASK_FD_QUERY; 0 or the errno. The name (a tracepoint, function or file) goes into
  // name_, which grows when the kernel says it is longer (ENOSPC and its length: a uprobe's path).
  int Query(uint32_t pid, int fd, uint32_t* prog_id, uint32_t* fd_type, __u64* offset, __u64* addr) {
    for (;;) {
      uint32_t len = static_cast<uint32_t>(name_.size());
      int ret = bpf_task_fd_query(static_cast<int>(pid), fd, 0, name_.data(), &len, prog_id, fd_type, offset, addr);
      if (ret == 0) return 0;
      if (-ret != ENOSPC || len < name_.size()) return -ret;
      name_.resize(len + 1);
    }
  }

  std::vector<char> name_ = std::vector<char>(256);
  Table table_{PerfTableSchema()};
  std::vector<uint32_t> unreadable_;
};

// The inode in a namespace link's text, `<kind>:[INODE]` (`net:[4026531840]`); 0 for other text.
uint64_t NsInode(std::string_view link, std::string_view kind) {
  if (link.size() < kind.size() + 3 || link.substr(0, kind.size()) != kind || link.substr(kind.size(), 2) != ":[" || link.back() != ']') return 0;
  uint64_t inode = 0;
  for (char c : link.substr(kind.size() + 2, link.size() - kind.size() - 3)) {
    if (c < '0' || c > '9') return 0;
    inode = inode * 10 + static_cast<uint64_t>(c - '0');
  }
  return inode;
}

// readlinkat's text, cut to 64 bytes: enough for a namespace link, or to tell a path by its first character.
std::string ReadLinkAt(int dir, const char* path) {
  char target[64];
  ssize_t n = ::readlinkat(dir, path, target, sizeof(target));
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : std::string();
}

// statx through syscall(): glibc has the wrapper only from 2.28, and a build from source may be
// older. AT_STATX_DONT_SYNC: the attributes the kernel has, without asking a network or FUSE
// filesystem's server, which for an fd on a hung NFS mount or a stuck FUSE daemon would never answer
// (lsof's old hang). The device and inode never need the server.
bool StatxAt(int dir, const char* path, int flags, struct statx* out) {
  return ::syscall(SYS_statx, dir, path, flags | AT_STATX_DONT_SYNC | AT_NO_AUTOMOUNT, STATX_INO, out) == 0;
}

// The lines of a mountinfo file that are nsfs mounts ("… - nsfs …"), or nothing when it cannot be
// read. A mount namespace copied from the host's holds every mount of the host (thousands on a
// Kubernetes node): only these few cross to JS, which parses them (src/mounts.ts).
std::optional<std::string> NsfsMountLines(int dir, const char* path) {
  Fd file(::openat(dir, path, O_RDONLY | O_CLOEXEC));
  if (!file.valid()) return std::nullopt;
  std::string text, lines;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(file.get(), buf, sizeof(buf))) > 0) text.append(buf, static_cast<size_t>(n));
  if (n < 0 || text.empty()) return std::nullopt;  // an exited process's mountinfo reads empty
  for (size_t pos = 0; pos < text.size();) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    if (line.find(" - nsfs ") != std::string_view::npos) lines.append(line).push_back('\n');
    pos = eol + 1;
  }
  return lines;
}

// What holds network namespaces, from /proc: each process's own namespace (/proc/PID/ns/net), the
// nsfs mounts of each mount namespace other than the caller's (read once per mount namespace, from
// its first process whose mountinfo reads), with `fds`, processes' fds on a namespace's file, with
// `threads`, the threads that are in another namespace than their process's first, and with
// `sockets`, the sockets made in another namespace than their process's. The fds
// are most of the cost: a readdir entry and a readlink each, and a statx for those that are paths
// (0.25 s for the 42,000 fds of 480 processes here, all paths). Rows:
//   kind 'net': pid, dev and inode of its namespace;
//   kind 'fd': pid, fd, dev and inode of the network namespace it holds;
//   kind 'thread': pid, tid, dev and inode of the thread's network namespace;
//   kind 'socket': pid, fd, dev and inode of the socket's network namespace, the socket's inode,
//     and its family, type and protocol (SO_DOMAIN, SO_TYPE, SO_PROTOCOL);
//   kind 'mnt': pid, inode of its mount namespace, and mountinfo, the nsfs lines of that pid's.
// Processes that cannot be read (another user's, without CAP_SYS_PTRACE) and those that exit
// meanwhile add what could be read.
class ListNetnsHoldersTask : public Task {
 public:
  ListNetnsHoldersTask(bool fds, bool threads, bool sockets) : fds_(fds), threads_(threads), sockets_(sockets) {}

  bool Run(Failure& failure) override {
    struct stat own {};
    if (::stat("/proc/self/ns/net", &own) != 0) return failure.Set(errno, "stat", "/proc/self/ns/net");
    nsfs_dev_ = own.st_dev;
    own_mntns_ = NsInode(ReadLinkAt(AT_FDCWD, "/proc/self/ns/mnt"), "mnt");
    return ForEachProcess(failure, [this](int proc, const char* name, uint32_t pid) {
      ReadProcess(proc, name, pid);
      return true;
    });
  }

  Napi::Value Result(Napi::Env env) override {
    hint_.set(table_.rows());
    return table_.ToJs(env);
  }

 private:
  void Row(const char* kind, uint32_t pid, uint64_t inode) {
    table_.AddRow();
    table_.String(netns_col::k_kind, kind);
    table_.Number(netns_col::k_pid, pid);
    table_.Number(netns_col::k_inode, static_cast<double>(inode));
  }

  void ReadProcess(int proc, const char* pid_name, uint32_t pid) {
    std::string base(pid_name);
    struct stat net {};
    bool leader = ::fstatat(proc, (base + "/ns/net").c_str(), &net, 0) == 0;
    if (leader) {
      Row("net", pid, net.st_ino);
      table_.Number(netns_col::k_dev, static_cast<double>(net.st_dev));
    }
    uint64_t own_netns = leader ? net.st_ino : 0;
    if (threads_) ReadThreads(proc, base, pid, own_netns);
    uint64_t mntns = NsInode(ReadLinkAt(proc, (base + "/ns/mnt").c_str()), "mnt");
    if (mntns != 0 && mntns != own_mntns_ && !mntns_read_.count(mntns)) {
      if (std::optional<std::string> lines = NsfsMountLines(proc, (base + "/mountinfo").c_str())) {
        mntns_read_.insert(mntns);
        Row("mnt", pid, mntns);
        table_.String(netns_col::k_mountinfo, *lines);
      }
    }
    if (!fds_ && !sockets_) return;
    Fd pidfd;  // opened at the process's first socket
    bool copies_refused = false;
    ForEachFd(proc, pid_name, pid, nullptr, [&](int dir, int fd, const char* fd_name, std::string_view link) {
      if (uint64_t socket = NsInode(link, "socket")) {
        if (!sockets_ || copies_refused) return true;
        if (!pidfd.valid()) pidfd = netns::OpenPidfd(static_cast<pid_t>(pid));
        copies_refused = !pidfd.valid();
        const SocketNetns* made_in = copies_refused ? nullptr : NetnsOfSocket(pidfd.get(), fd, socket, &copies_refused);
        if (made_in == nullptr || made_in->inode == own_netns) return true;
        Row("socket", pid, made_in->inode);
        table_.Number(netns_col::k_fd, fd);
        table_.Number(netns_col::k_dev, static_cast<double>(made_in->dev));
        table_.Number(netns_col::k_socket, static_cast<double>(socket));
        table_.Number(netns_col::k_family, made_in->family);
        table_.Number(netns_col::k_type, made_in->type);
        table_.Number(netns_col::k_protocol, made_in->protocol);
        return true;
      }
      uint64_t inode = fds_ ? NetnsOfFd(dir, fd_name, link) : 0;
      if (inode == 0) return true;
      Row("fd", pid, inode);
      table_.Number(netns_col::k_fd, fd);
      table_.Number(netns_col::k_dev, static_cast<double>(nsfs_dev_));
      return true;
    });
  }

  // Where a socket was made, and what it is: one lookup for every fd and process that shares it.
  struct SocketNetns {
    uint64_t inode;
    dev_t dev;
    int family, type, protocol;
  };

  // A socket keeps the namespace it was made in alive wherever its process is now (a CNI plugin or a
  // proxy that made it inside and went back, Go's netns.Do). Which one is asked of a copy of the
  // socket taken with pidfd_getfd (open() through /proc fails on a socket): ptrace attach access to
  // the process, and a handful of syscalls a socket, which is why it is asked for apart.
  // Null when the copy cannot be taken, or is not that socket any more (the process closed the fd
  // and put another file there meanwhile), or its namespace may not be asked (SIOCGSKNS:
  // CAP_NET_ADMIN over it). `refused` is set when the copy is refused (EPERM or EACCES: no right to
  // this process's fds, Yama's ptrace_scope, an LSM): its other sockets would fail alike. A socket
  // whose namespace may not be asked says nothing of the next one's.
  const SocketNetns* NetnsOfSocket(int pidfd, int fd, uint64_t socket, bool* refused) {
    if (auto known = sockets_seen_.find(socket); known != sockets_seen_.end()) return &known->second;
    Fd copy = netns::CopyFdOf(pidfd, fd);
    struct stat st {};
    if (!copy.valid()) {
      *refused = errno == EPERM || errno == EACCES;
      return nullptr;
    }
    if (::fstat(copy.get(), &st) != 0 || st.st_ino != socket) return nullptr;
    SocketNetns found{};
    socklen_t len = sizeof(int);
    if (!NamespaceOfSocket(copy.get(), &found) || ::getsockopt(copy.get(), SOL_SOCKET, SO_DOMAIN, &found.family, &len) != 0 ||
        ::getsockopt(copy.get(), SOL_SOCKET, SO_TYPE, &found.type, &len) != 0 ||
        ::getsockopt(copy.get(), SOL_SOCKET, SO_PROTOCOL, &found.protocol, &len) != 0)
      return nullptr;
    return &sockets_seen_.emplace(socket, found).first->second;
  }

  // The (inode, dev) of the namespace `socket` was made in. SIOCGSKNS makes an nsfs fd to stat and
  // close, two thirds of a socket's cost here (10 of 16 µs); the namespace's cookie
  // (SO_NETNS_COOKIE, Linux 5.14) is one getsockopt, so SIOCGSKNS is asked once per cookie. Kernels
  // without the cookie ask it for every socket.
  bool NamespaceOfSocket(int socket, SocketNetns* out) {
    uint64_t cookie;
    socklen_t len = sizeof(cookie);
    bool by_cookie = ::getsockopt(socket, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) == 0;
    if (by_cookie) {
      if (auto known = namespaces_by_cookie_.find(cookie); known != namespaces_by_cookie_.end()) {
        out->inode = known->second.st_ino;
        out->dev = known->second.st_dev;
        return true;
      }
    }
    Fd ns(::ioctl(socket, SIOCGSKNS));
    struct stat st {};
    if (!ns.valid() || ::fstat(ns.get(), &st) != 0) return false;
    if (by_cookie) namespaces_by_cookie_.emplace(cookie, st);
    out->inode = st.st_ino;
    out->dev = st.st_dev;
    return true;
  }

  // A thread enters a namespace alone with setns or unshare (Go's netns.Do on a locked OS thread, a
  // CNI plugin mid-call); while it is there, and once the namespace's name is gone, its
  // /proc/PID/task/TID/ns/net may be all that holds it. Rows for the threads whose namespace is not
  // the first thread's, `first` (0: every thread's, when the first has exited: a zombie leader has none).
  // /proc/PID/task links 2 + its threads, so a single-threaded process costs one stat.
  void ReadThreads(int proc, const std::string& base, uint32_t pid, uint64_t first) {
    std::string tasks = base + "/task";
    struct stat dir {};
    if (::fstatat(proc, tasks.c_str(), &dir, 0) != 0 || dir.st_nlink <= 3) return;
    Dir tids = OpenDirAt(proc, tasks.c_str());
    if (!tids) return;
    while (const dirent* entry = ::readdir(tids.get())) {
      long tid = DecimalName(entry->d_name);
      if (tid <= 0 || tid == pid) continue;
      // The link's text names the inode without opening the namespace (a stat would follow it).
      uint64_t inode = NsInode(ReadLinkAt(::dirfd(tids.get()), (std::string(entry->d_name) + "/ns/net").c_str()), "net");
      if (inode == 0 || inode == first) continue;
      Row("thread", pid, inode);
      table_.Number(netns_col::k_tid, static_cast<double>(tid));
      table_.Number(netns_col::k_dev, static_cast<double>(nsfs_dev_));
    }
  }

  // The inode of the network namespace an fd (`name` in a /proc/PID/fd directory, whose text is
  // `link`) holds, or 0. Its link reads `net:[INODE]` when it was opened through /proc/PID/ns/net; opened through a
  // bind mount (/var/run/netns/NAME: vishvananda/netns handles, CNI plugins), it reads as the
  // mount's path, and as "/" once the mount is gone (`ip netns del`), the fd then being all that
  // holds the namespace. Only such a path is looked at further: sockets, pipes and anon inodes,
  // most of a node's fds, cost one readlink.
  uint64_t NetnsOfFd(int dir, const char* name, std::string_view link) {
    if (uint64_t inode = NsInode(link, "net")) return inode;
    if (link.empty() || link[0] != '/') return 0;
    struct statx file {};
    if (!StatxAt(dir, name, 0, &file) || makedev(file.stx_dev_major, file.stx_dev_minor) != nsfs_dev_) return 0;
    // A namespace file, but of which kind: NS_GET_NSTYPE needs it open. The fd is first taken as
    // O_PATH, which runs no driver's open, and checked to be that same file: the process may have
    // put another file (a FIFO, whose open waits for a writer) at that number meanwhile.
    Fd at(::openat(dir, name, O_PATH | O_CLOEXEC));
    struct statx same {};
    if (!at.valid() || !StatxAt(at.get(), "", AT_EMPTY_PATH, &same) || same.stx_ino != file.stx_ino ||
        makedev(same.stx_dev_major, same.stx_dev_minor) != nsfs_dev_)
      return 0;
    Fd ns(::open(("/proc/thread-self/fd/" + std::to_string(at.get())).c_str(), O_RDONLY | O_CLOEXEC));
    return ns.valid() && ::ioctl(ns.get(), NS_GET_NSTYPE) == CLONE_NEWNET ? file.stx_ino : 0;
  }

  bool fds_;
  bool threads_;
  bool sockets_;
  std::unordered_map<uint64_t, SocketNetns> sockets_seen_;      // by socket inode
  std::unordered_map<uint64_t, struct stat> namespaces_by_cookie_;  // by netns cookie
  dev_t nsfs_dev_ = 0;
  uint64_t own_mntns_ = 0;
  std::unordered_set<uint64_t> mntns_read_;
  static inline RowsHint hint_;
  Table table_{NetnsTableSchema(), hint_.get()};
};

}  // namespace

void Init(Napi::Env env, Napi::Object exports) {
  ExportSchema(env, exports, "holder", TableSchema());
  exports.Set("listHolders", Napi::Function::New(
                                 env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                                   return RunAsync(info.Env(), std::make_unique<ListHoldersTask>());
                                 },
                                 "listHolders"));
  ExportSchema(env, exports, "perfAttachment", PerfTableSchema());
  exports.Set("listPerfAttachments", Napi::Function::New(
                                         env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                                           return RunAsync(info.Env(), std::make_unique<ListPerfAttachmentsTask>());
                                         },
                                         "listPerfAttachments"));
  ExportSchema(env, exports, "netnsHolder", NetnsTableSchema());
  exports.Set("listNetnsHolders", Napi::Function::New(
                                      env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                                        return RunAsync(info.Env(), std::make_unique<ListNetnsHoldersTask>(ArgBool(info, 0), ArgBool(info, 1), ArgBool(info, 2)));
                                      },
                                      "listNetnsHolders"));
}

}  // namespace bpfscope::holders
