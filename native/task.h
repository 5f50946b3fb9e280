// Kernel work runs off the main thread. A Task is a baton in sharp's sense: Run() touches only
// its own C++ fields (any thread), Result() builds the JS value (main thread).
#pragma once

#include <memory>

#include "common.h"

namespace bpfscope {

class Task {
 public:
  virtual ~Task() = default;
  // Does the kernel work. Returns false after recording what failed in `failure`.
  virtual bool Run(Failure& failure) = 0;
  // Builds the JS result on the main thread after a successful Run().
  virtual Napi::Value Result(Napi::Env env) = 0;
};

// A call's promise and the deferred that settles it, made through N-API directly: when a stopping
// environment refuses napi_create_promise, node-addon-api's Deferred keeps an uninitialized
// napi_value, and returning that to JS crashes the process. Here the call sees made() false and
// returns undefined instead (nothing can run the JS that would look at it).
class PendingPromise {
 public:
  explicit PendingPromise(napi_env env) {
    if (napi_create_promise(env, &deferred_, &promise_) != napi_ok) deferred_ = nullptr, promise_ = nullptr;
  }
  bool made() const { return promise_ != nullptr; }
  Napi::Value promise(Napi::Env env) const { return made() ? Napi::Value(env, promise_) : env.Undefined(); }
  // Resolves with Result(), or rejects with the failure or what Result() threw; once. Refused calls
  // in a stopping environment are ignored: no JS is left to see the promise.
  void Settle(Napi::Env env, bool ok, const Failure& failure, Task& task);

 private:
  napi_deferred deferred_ = nullptr;  // null once settled
  napi_value promise_ = nullptr;
};

// Runs the task on libuv's pool; the promise resolves to Result() or rejects with a BpfError.
Napi::Value RunAsync(Napi::Env env, std::unique_ptr<Task> task);

// Runs the task on the calling (main) thread; throws a BpfError on failure. Only for the
// polling paths that need it: the body is the same Run().
Napi::Value RunSync(Napi::Env env, std::unique_ptr<Task> task);

// Whether `env` can still run JavaScript. A worker_thread being terminated still completes its
// queued async work, but Node no longer lets it run JS, and refuses every N-API call that might
// (napi_pending_exception, though none is pending). Nothing can observe the promise any more, so a
// completion checks this first and drops its result. Termination can also land while a result is
// being built (worker.terminate() runs on another thread): a refused call on a live value only
// throws, which node-addon-api swallows (NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS), but a refused
// creation hands back an empty handle, and any method called on an empty handle is fatal to the
// whole process. So a builder checks each buffer, typed array or instance it creates before it
// writes through it, and returns the empty value instead.
bool CanRunJs(Napi::Env env);

// Calls RunAsync or RunSync depending on `sync`.
inline Napi::Value Dispatch(Napi::Env env, std::unique_ptr<Task> task, bool sync) {
  return sync ? RunSync(env, std::move(task)) : RunAsync(env, std::move(task));
}

}  // namespace bpfscope

#include <functional>

namespace bpfscope {

// A Task from two closures, for calls whose baton is a handful of copied arguments.
class FnTask : public Task {
 public:
  using RunFn = std::function<bool(Failure&)>;
  using ResultFn = std::function<Napi::Value(Napi::Env)>;
  FnTask(RunFn run, ResultFn result) : run_(std::move(run)), result_(std::move(result)) {}
  bool Run(Failure& failure) override { return run_(failure); }
  Napi::Value Result(Napi::Env env) override { return result_(env); }

 private:
  RunFn run_;
  ResultFn result_;
};

inline Napi::Value RunAsync(Napi::Env env, FnTask::RunFn run, FnTask::ResultFn result) {
  return RunAsync(env, std::make_unique<FnTask>(std::move(run), std::move(result)));
}

}  // namespace bpfscope
