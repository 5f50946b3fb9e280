// A JS object that owns one kernel fd (a map being polled, a BPF_ENABLE_STATS fd, a fixture's
// program). close() releases it at once; the finalizer is the backstop when a handle is dropped.
#pragma once

#include "common.h"

namespace bpfscope {

class FdHandle : public Napi::ObjectWrap<FdHandle> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  // Wraps `fd` (ownership moves to the new JS object). `kind` names the object in errors.
  static Napi::Value New(Napi::Env env, Fd fd, const char* kind);
  // The fd behind a JS handle, or -1 (with a JS exception pending) for a closed or foreign value.
  static int FdOf(Napi::Value value);
  // A copy of the handle's fd (F_DUPFD_CLOEXEC) for an async task to own, so a concurrent close()
  // cannot hand the number to another object. Invalid, with a JS exception pending, on failure.
  static Fd DupOf(Napi::Value value);

  explicit FdHandle(const Napi::CallbackInfo& info);

 private:
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GetFd(const Napi::CallbackInfo& info);
  Napi::Value GetClosed(const Napi::CallbackInfo& info);

  Fd fd_;
  std::string kind_;
};

}  // namespace bpfscope
