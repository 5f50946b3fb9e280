// Running a Task inside another network namespace. This is the only place that calls setns():
// the work runs on a dedicated std::thread that enters the namespace, does the Task and exits, so
// neither the main thread nor libuv's pool threads ever change namespace.
#pragma once

#include <sys/types.h>

#include <deque>
#include <memory>
#include <string>

#include "task.h"

namespace bpfscope::netns {

// Where a task runs. An empty path means the caller's own namespace (libuv's pool).
struct Target {
  std::string path;    // /proc/PID/ns/net, /var/run/netns/NAME, any nsfs file or a socket's /proc/PID/fd/FD
  bool fresh = false;  // unshare(CLONE_NEWNET) instead: a new, empty namespace (fixtures only)
};

struct Job;

// The namespace threads of one environment (the main thread's or a worker_thread's): how many
// run, and the calls waiting for one. Only that environment's main thread touches them. Being per
// environment, a worker_thread that is terminated with calls queued takes them with it, instead
// of leaving another environment to start their threads and settle their promises.
struct Slots {
  Slots() = default;
  Slots(const Slots&) = delete;
  Slots& operator=(const Slots&) = delete;
  ~Slots();  // deletes the jobs still queued
  size_t running = 0;
  std::deque<Job*> waiting;
};

// A pidfd of process `pid` (pidfd_open, Linux 5.3); invalid with errno set when it cannot be had.
Fd OpenPidfd(pid_t pid);

// A copy, in this process, of fd `fd` of the process `pidfd` names (pidfd_getfd, Linux 5.6). It
// needs ptrace attach access to that process; invalid with errno set when refused or gone.
Fd CopyFdOf(int pidfd, int fd);

// The network namespace a path names, open for setns() or NETNSA_FD: an nsfs file, or, for a
// /proc/PID/fd/FD that is a socket, the namespace the socket was made in (SIOCGSKNS on a copy of
// it), which a socket alone may keep alive. Anything else is refused without being opened (see
// Enter in netns.cc); invalid with `failure` set then, its object "netns PATH".
Fd OpenNetns(const std::string& path, Failure& failure);

// Reads argument `i`: undefined/null → own namespace, a string → that nsfs path.
// Returns false (with a TypeError pending) for anything else.
bool ArgTarget(const Napi::CallbackInfo& info, size_t i, Target* out);

// Runs `task` in `target` and returns a Promise of its Result().
Napi::Value Run(Napi::Env env, const Target& target, std::unique_ptr<Task> task);

// Run() with a task built from two closures.
inline Napi::Value Run(Napi::Env env, const Target& target, FnTask::RunFn run, FnTask::ResultFn result) {
  return Run(env, target, std::make_unique<FnTask>(std::move(run), std::move(result)));
}

void Init(Napi::Env env, Napi::Object exports);

}  // namespace bpfscope::netns
