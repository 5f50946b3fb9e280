#include "task.h"

#include "errors.h"

namespace bpfscope {

namespace {

class TaskWorker : public Napi::AsyncWorker {
 public:
  TaskWorker(Napi::Env env, std::unique_ptr<Task> task)
      : Napi::AsyncWorker(env, "bpfscope"), deferred_(Napi::Promise::Deferred::New(env)), task_(std::move(task)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override { ok_ = task_->Run(failure_); }

  void OnOK() override {
    Napi::Env env = Env();
    if (!CanRunJs(env)) return;
    Napi::HandleScope scope(env);
    if (!ok_) {
      deferred_.Reject(errors::Make(env, failure_));
      return;
    }
    Napi::Value result = task_->Result(env);
    if (env.IsExceptionPending()) {
      deferred_.Reject(env.GetAndClearPendingException().Value());
      return;
    }
    deferred_.Resolve(result);
  }

 private:
  Napi::Promise::Deferred deferred_;
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

Napi::Value RunAsync(Napi::Env env, std::unique_ptr<Task> task) {
  auto* worker = new TaskWorker(env, std::move(task));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value RunSync(Napi::Env env, std::unique_ptr<Task> task) {
  Failure failure;
  if (!task->Run(failure)) return errors::Throw(env, failure);
  return task->Result(env);
}

}  // namespace bpfscope
