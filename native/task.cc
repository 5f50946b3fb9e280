#include "task.h"

#include "errors.h"

namespace bpfscope {

namespace {

class TaskWorker : public Napi::AsyncWorker {
 public:
  TaskWorker(Napi::Env env, std::unique_ptr<Task> task)
      : Napi::AsyncWorker(env, "bpfscope"), promise_(env), task_(std::move(task)) {}

  const PendingPromise& promise() const { return promise_; }

  void Execute() override { ok_ = task_->Run(failure_); }

  void OnOK() override { promise_.Settle(Env(), ok_, failure_, *task_); }

 private:
  PendingPromise promise_;
  std::unique_ptr<Task> task_;
  Failure failure_;
  bool ok_ = false;
};

}  // namespace

bool CanRunJs(Napi::Env env) {
  // A cheap call that N-API refuses, as it refuses any that might run JS, once Node has stopped
  // the environment; a pending exception would refuse it too, but then JS still runs.
  napi_value ignored;
  return napi_coerce_to_bool(env, env.Undefined(), &ignored) == napi_ok || env.IsExceptionPending();
}

void PendingPromise::Settle(Napi::Env env, bool ok, const Failure& failure, Task& task) {
  if (!deferred_ || !CanRunJs(env)) return;
  Napi::HandleScope scope(env);
  if (!ok) {
    napi_reject_deferred(env, deferred_, errors::Make(env, failure));
  } else {
    Napi::Value result = task.Result(env);
    if (env.IsExceptionPending())
      napi_reject_deferred(env, deferred_, env.GetAndClearPendingException().Value());
    else
      napi_resolve_deferred(env, deferred_, result);
  }
  deferred_ = nullptr;
}

Napi::Value RunAsync(Napi::Env env, std::unique_ptr<Task> task) {
  auto* worker = new TaskWorker(env, std::move(task));
  if (!worker->promise().made()) {
    delete worker;  // its task's fds close with it
    return env.Undefined();
  }
  worker->Queue();
  return worker->promise().promise(env);
}

Napi::Value RunSync(Napi::Env env, std::unique_ptr<Task> task) {
  Failure failure;
  if (!task->Run(failure)) return errors::Throw(env, failure);
  return task->Result(env);
}

}  // namespace bpfscope
