#include "netns.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <system_error>
#include <thread>

#include "addon.h"

// Linux 5.3 and 5.6, the same number on every architecture; libc headers older than them lack the names.
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

namespace bpfscope::netns {

namespace {

// Threads inside other namespaces at any one time, per environment; further calls wait in a
// queue. 200 concurrent calls must not mean 200 threads.
constexpr size_t kMaxThreads = 16;

void ThreadMain(Job* job);
void Finish(Napi::Env env, Napi::Function, std::nullptr_t*, Job* job);
void Free(Napi::Env, Job* job, std::nullptr_t*);
using Tsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, Job, Finish>;

}  // namespace

// One call's baton. The main thread builds it, settles its promise and joins its thread; the
// worker thread touches only `target`, `task`, `failure` and `ok`. Free() deletes it.
struct Job {
  Target target;
  std::unique_ptr<Task> task;
  PendingPromise promise;
  Tsfn tsfn;
  Failure failure;
  bool ok = false;
  std::thread thread;  // joined on the main thread, by Finish or Free

  Job(Napi::Env env, Target t, std::unique_ptr<Task> work)
      : target(std::move(t)), task(std::move(work)), promise(env) {}
};

namespace {

// Why a file outside nsfs (open at `fd`) cannot be entered. An empty regular file is what
// `ip netns del` leaves for an instant between unmounting a namespace and unlinking its file (and
// what a never-mounted name looks like).
std::string NotNetns(int fd) {
  struct stat st {};
  bool empty = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
  return empty ? "not a network namespace: an empty file, no namespace is mounted there (deleted?)"
               : "not a network namespace";
}

// The pid and fd a path /proc/PID/fd/FD names (PID may be "self"), digits as /proc spells them:
// the one path to a socket a process holds.
bool ProcFdOf(std::string_view path, pid_t* pid, int* fd) {
  auto number = [](std::string_view digits, long* out) {
    if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string_view::npos) return false;
    *out = std::stol(std::string(digits));
    return true;
  };
  constexpr std::string_view kProc = "/proc/", kFd = "/fd/";
  if (path.substr(0, kProc.size()) != kProc) return false;
  path.remove_prefix(kProc.size());
  size_t slash = path.find('/');
  if (slash == std::string_view::npos || path.substr(slash, kFd.size()) != kFd) return false;
  long p = ::getpid(), f;
  if (!number(path.substr(slash + kFd.size()), &f) || (path.substr(0, slash) != "self" && !number(path.substr(0, slash), &p)) || p == 0) return false;
  *pid = static_cast<pid_t>(p);
  *fd = static_cast<int>(f);
  return true;
}

// The namespace a socket was made in, the socket named by `path` and open as O_PATH at `at`: open()
// of a socket through /proc fails (ENXIO), so SIOCGSKNS asks a copy taken from its process. The copy
// is checked to be that same socket: the process may have closed the fd and put another file at
// its number meanwhile.
Fd SocketNetns(const std::string& path, int at, Failure& failure) {
  std::string object = "netns " + path;
  pid_t pid;
  int fd;
  if (!ProcFdOf(path, &pid, &fd)) {
    failure.Set(EINVAL, "setns", object, "not a network namespace: a socket, whose namespace is reached only as /proc/PID/fd/FD");
    return Fd();
  }
  Fd pidfd = OpenPidfd(pid);
  if (!pidfd.valid()) {
    int err = errno;
    failure.Set(err, "pidfd_open", object, err == ESRCH ? "the process is gone" : std::string());
    return Fd();
  }
  Fd socket = CopyFdOf(pidfd.get(), fd);
  if (!socket.valid()) {
    int err = errno;
    failure.Set(err, "pidfd_getfd", object, err == EBADF || err == ESRCH ? "the socket or its process is gone" : std::string());
    return Fd();
  }
  struct stat named {}, copy {};
  if (::fstat(at, &named) != 0 || ::fstat(socket.get(), &copy) != 0 || named.st_ino != copy.st_ino || named.st_dev != copy.st_dev) {
    failure.Set(ENOENT, "pidfd_getfd", object, "the socket is gone: another file is at its fd now");
    return Fd();
  }
  Fd ns(::ioctl(socket.get(), SIOCGSKNS));
  if (!ns.valid()) failure.Set(errno, "SIOCGSKNS", object);
  return ns;
}

// Enters the job's namespace on the calling (dedicated) thread.
bool Enter(const Target& target, Failure& failure) {
  if (target.fresh) {
    if (::unshare(CLONE_NEWNET) != 0) return failure.Set(errno, "unshare", "new network namespace");
    return true;
  }
  Fd ns = OpenNetns(target.path, failure);
  if (!ns.valid()) return false;
  // EINVAL here: an nsfs file of another kind of namespace.
  if (::setns(ns.get(), CLONE_NEWNET) != 0) {
    int err = errno;
    return failure.Set(err, "setns", "netns " + target.path, err == EINVAL ? "not a network namespace" : std::string());
  }
  return true;
}

// The thread's whole life: enter, work, report, exit. It never goes back to its first namespace:
// it ends instead, and the main thread joins it before giving its slot to the next job.
void ThreadMain(Job* job) {
  // Named as top -H and ps -L show it (and as tests count the threads in flight); prctl, since
  // pthread_setname_np needs glibc 2.34's symbol.
  prctl(PR_SET_NAME, "bpfscope-netns");
  if (Enter(job->target, job->failure)) job->ok = job->task->Run(job->failure);
  // When the environment is going away the call fails (napi_closing) and Free() joins this thread.
  job->tsfn.BlockingCall(job);
  job->tsfn.Release();
}

Slots& SlotsOf(Napi::Env env) { return env.GetInstanceData<Addon>()->netns_slots; }

// The slot of a job that ended goes to the first queued job (returned), or back to the pool.
Job* TakeSlot(Slots& slots) {
  if (slots.waiting.empty()) {
    slots.running--;
    return nullptr;
  }
  Job* next = slots.waiting.front();
  slots.waiting.pop_front();
  return next;
}

// Starts the job's thread. When the system refuses a thread (EAGAIN from a pids.max cgroup limit
// or RLIMIT_NPROC, common in containers), std::thread throws: uncaught, that aborted the whole
// process. The job fails with the errno instead and its slot passes to the next queued job.
void Launch(Napi::Env env, Job* job) {
  while (job) {
    // The thread-safe function (a uv_async handle) is made now, not when the call was queued.
    // libuv runs every pending async handle of the loop in one pass, including handles made before
    // the pass that become pending during it: a queued job's handle made up front was reached by
    // the pass that launched it, and by then its thread had often finished. One pass then settled
    // a whole batch of queued calls, 600 calls into a namespace of 1,200 devices holding the event
    // loop for 7.5 s. A handle made during a pass waits for the next one, so a pass settles at most
    // the kMaxThreads calls that were running when it began.
    job->tsfn = Tsfn::New(env, "bpfscope-netns", 0, 1, nullptr, Free, job);
    try {
      job->thread = std::thread(ThreadMain, job);
      return;
    } catch (const std::system_error& e) {
      job->failure.Set(e.code().value(), "pthread_create",
                       job->target.fresh ? "a thread for a new network namespace" : "a thread for netns " + job->target.path,
                       "the system refused a new thread (pids.max or RLIMIT_NPROC)");
      job->tsfn.Release();  // no thread will report through it; Node then finalizes it (Free)
      Job* next = TakeSlot(SlotsOf(env));
      job->promise.Settle(env, job->ok, job->failure, *job->task);
      job = next;
    }
  }
}

// The job's thread has reported (Node calls this on the main thread, or with a null env for a
// report still queued at teardown, after Free).
void Finish(Napi::Env env, Napi::Function, std::nullptr_t*, Job* job) {
  if (env == nullptr) return;
  // The thread has nothing left to do but exit: joining it here keeps the number of live
  // namespace threads at or under the cap.
  job->thread.join();
  // A terminated worker_thread's environment can no longer run JS: it starts no more threads.
  if (!CanRunJs(env)) return;
  Launch(env, TakeSlot(SlotsOf(env)));
  job->promise.Settle(env, job->ok, job->failure, *job->task);
}

// Node finalizes each job's thread-safe function exactly once: after Finish, or when the
// environment goes away (a terminated worker_thread, the process exiting) with the job running or
// reported (a job still queued has none yet: ~Slots deletes it). Its thread then may still be
// running, and must end before the function it reports through is freed.
void Free(Napi::Env, Job* job, std::nullptr_t*) {
  if (job->thread.joinable()) job->thread.join();
  delete job;
}

Napi::Value RunOnThread(Napi::Env env, Target target, std::unique_ptr<Task> task) {
  auto* job = new Job(env, std::move(target), std::move(task));
  if (!job->promise.made()) {
    delete job;  // a stopping environment (task.h PendingPromise)
    return env.Undefined();
  }
  Slots& slots = SlotsOf(env);
  if (slots.running < kMaxThreads) {
    slots.running++;
    Launch(env, job);
  } else {
    slots.waiting.push_back(job);
  }
  return job->promise.promise(env);
}

// Names a fresh namespace the way `ip netns add` does: a file under /var/run/netns with the
// namespace bind-mounted on it, so it outlives the thread that made it.
constexpr const char* kNetnsDir = "/var/run/netns";

// Makes /var/run/netns a shared mount point, as `ip netns add` does before its first name.
// Otherwise, on a machine where nothing has made it one yet (a fresh boot), the first later
// `ip netns add` bind-mounts the directory over itself and hides the namespaces named before:
// deleting one then unmounts only the copy in that bind, and its file cannot be unlinked (EBUSY),
// so the namespace outlives its deletion.
bool ShareNetnsDir(Failure& failure) {
  if (::mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) == 0) return true;
  if (errno != EINVAL) return failure.Set(errno, "mount", std::string(kNetnsDir) + " (make shared)");
  // EINVAL: not a mount point yet.
  if (::mount(kNetnsDir, kNetnsDir, "none", MS_BIND | MS_REC, nullptr) != 0)
    return failure.Set(errno, "mount", std::string(kNetnsDir) + " (bind onto itself)");
  if (::mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) != 0)
    return failure.Set(errno, "mount", std::string(kNetnsDir) + " (make shared)");
  return true;
}

bool ValidName(const std::string& name) {
  return !name.empty() && name.size() < 256 && name != "." && name != ".." && name.find('/') == std::string::npos;
}

// createNetns(name) → path
Napi::Value CreateNetns(const Napi::CallbackInfo& info) {
  std::string name;
  if (!ArgString(info, 0, &name) || !ValidName(name)) return ThrowType(info.Env(), "createNetns(name): a file name");
  std::string path = std::string(kNetnsDir) + "/" + name;
  Target fresh;
  fresh.fresh = true;
  return Run(
      info.Env(), fresh,
      [path](Failure& failure) {
        if (::mkdir(kNetnsDir, 0755) != 0 && errno != EEXIST) return failure.Set(errno, "mkdir", kNetnsDir);
        if (!ShareNetnsDir(failure)) return false;
        Fd file(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0));
        if (!file.valid()) return failure.Set(errno, "open", path);
        if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) {
          int err = errno;
          ::unlink(path.c_str());
          return failure.Set(err, "mount", path);
        }
        return true;
      },
      [path](Napi::Env env) { return Napi::String::New(env, path); });
}

// deleteNetns(name): the namespace goes away once no process, socket or mount holds it.
Napi::Value DeleteNetns(const Napi::CallbackInfo& info) {
  std::string name;
  if (!ArgString(info, 0, &name) || !ValidName(name)) return ThrowType(info.Env(), "deleteNetns(name): a file name");
  std::string path = std::string(kNetnsDir) + "/" + name;
  return RunAsync(
      info.Env(),
      [path](Failure& failure) {
        if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL) return failure.Set(errno, "umount", path);
        if (::unlink(path.c_str()) != 0) return failure.Set(errno, "unlink", path);
        return true;
      },
      [](Napi::Env env) { return env.Undefined(); });
}

// waitInNetns(netns, fifo): a call that holds its namespace thread until `fifo` has a writer, for
// the tests of the thread cap (opening a FIFO for reading waits for one).
Napi::Value WaitInNetns(const Napi::CallbackInfo& info) {
  Target target;
  std::string fifo;
  if (!ArgTarget(info, 0, &target)) return info.Env().Undefined();
  if (!ArgString(info, 1, &fifo)) return ThrowType(info.Env(), "waitInNetns(netns, fifo)");
  return Run(
      info.Env(), target,
      [fifo](Failure& failure) {
        Fd reader(::open(fifo.c_str(), O_RDONLY | O_CLOEXEC));
        return reader.valid() || failure.Set(errno, "open", fifo);
      },
      [](Napi::Env env) { return env.Undefined(); });
}

// netnsId(path) → { dev, ino } of the namespace a path leads to (OpenNetns): for a socket's
// /proc/PID/fd/FD, a stat would give the socket's own inode.
Napi::Value NetnsId(const Napi::CallbackInfo& info) {
  std::string path;
  if (!ArgString(info, 0, &path) || path.empty() || path.find('\0') != std::string::npos) return ThrowType(info.Env(), "netnsId(path)");
  auto id = std::make_shared<struct stat>();
  return RunAsync(
      info.Env(),
      [path, id](Failure& failure) {
        Fd ns = OpenNetns(path, failure);
        return ns.valid() && (::fstat(ns.get(), id.get()) == 0 || failure.Set(errno, "fstat", "netns " + path));
      },
      [id](Napi::Env env) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("dev", static_cast<double>(id->st_dev));
        o.Set("ino", static_cast<double>(id->st_ino));
        return o;
      });
}

}  // namespace

// The environment is going away with calls still queued: they have no thread or thread-safe
// function yet, and no JS is left to see their promises.
Slots::~Slots() {
  for (Job* job : waiting) delete job;
}

Fd OpenPidfd(pid_t pid) { return Fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))); }

Fd CopyFdOf(int pidfd, int fd) { return Fd(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, fd, 0))); }

Fd OpenNetns(const std::string& path, Failure& failure) {
  std::string object = "netns " + path;
  // The file is looked at (O_PATH) before it is opened, since opening is not harmless for every
  // file a caller may name: open() of a FIFO waits for a writer, holding this thread, one of the
  // kMaxThreads, and the process's exit for ever; a device runs its driver's open (a watchdog
  // starts counting down).
  Fd at(::open(path.c_str(), O_PATH | O_CLOEXEC));
  struct statfs fs {};
  if (!at.valid()) {
    int err = errno;
    // A process's fd is reached through its /proc/PID/fd, which another user's process keeps from
    // the caller by the directory's mode as well as by ptrace checks: its own op names both.
    pid_t pid;
    int fd;
    bool procFd = ProcFdOf(path, &pid, &fd);
    std::string gone = procFd ? "the process or its fd is gone" : "the process or namespace is gone";
    failure.Set(err, procFd ? "open /proc/PID/fd" : "open netns", object, err == ENOENT ? gone : std::string());
  } else if (::fstatfs(at.get(), &fs) != 0) {
    failure.Set(errno, "fstatfs", object);
  } else if (fs.f_type == SOCKFS_MAGIC) {
    return SocketNetns(path, at.get(), failure);
  } else if (fs.f_type != NSFS_MAGIC) {
    // Not nsfs: what setns would refuse, refused as setns would.
    failure.Set(EINVAL, "setns", object, NotNetns(at.get()));
  } else {
    // setns takes no O_PATH descriptor: the same file is opened through it, whatever the path names by now.
    Fd ns(::open(("/proc/thread-self/fd/" + std::to_string(at.get())).c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns.valid()) failure.Set(errno, "open netns", object);
    return ns;
  }
  return Fd();
}

bool ArgTarget(const Napi::CallbackInfo& info, size_t i, Target* out) {
  *out = Target{};
  if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) return true;
  if (!info[i].IsString()) {
    ThrowType(info.Env(), "netns must be a path string");
    return false;
  }
  out->path = info[i].As<Napi::String>().Utf8Value();
  if (out->path.empty() || out->path.find('\0') != std::string::npos) {
    ThrowType(info.Env(), "netns path must be non-empty, without NUL bytes");
    return false;
  }
  return true;
}

Napi::Value Run(Napi::Env env, const Target& target, std::unique_ptr<Task> task) {
  if (target.path.empty() && !target.fresh) return RunAsync(env, std::move(task));
  return RunOnThread(env, target, std::move(task));
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("netnsId", Napi::Function::New(env, NetnsId, "netnsId"));
  Napi::Object fixtures = exports.Get("fixtures").As<Napi::Object>();
  fixtures.Set("createNetns", Napi::Function::New(env, CreateNetns, "createNetns"));
  fixtures.Set("deleteNetns", Napi::Function::New(env, DeleteNetns, "deleteNetns"));
  fixtures.Set("waitInNetns", Napi::Function::New(env, WaitInNetns, "waitInNetns"));
}

}  // namespace bpfscope::netns
