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

// Runs the task on libuv's pool; the promise resolves to Result() or rejects with a BpfError.
Napi::Value RunAsync(Napi::Env env, std::unique_ptr<Task> task);

// Runs the task on the calling (main) thread; throws a BpfError on failure. Only for the
// polling paths that need it: the body is the same Run().
Napi::Value RunSync(Napi::Env env, std::unique_ptr<Task> task);

// Whether `env` can still run JavaScript. A worker_thread being terminated still completes its
// queued async work, but Node no longer lets it run JS: N-API calls that might then fail with
// napi_pending_exception though none is pending, and node-addon-api, built without C++
// exceptions, makes such a failure fatal for the whole process. Nothing can observe the promise
// any more, so a completion checks this first and drops its result. (A termination that lands
// while a result is being built is not caught: docs/reliability.md.)
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
