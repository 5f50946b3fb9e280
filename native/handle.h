// A JS object that owns one kernel fd (a map being polled, a BPF_ENABLE_STATS fd, a fixture's
// program). close() releases it at once; the finalizer is the backstop when a handle is dropped.
#pragma once

#include <optional>

#include "common.h"
#include "maps.h"

namespace bpfscope {

class FdHandle : public Napi::ObjectWrap<FdHandle> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  // Wraps `fd` (ownership moves to the new JS object). `kind` names the object in errors. A map's
  // handle also keeps the map's shape as read when it was opened: a map's type, sizes and id never
  // change, so its lookups and dumps need not ask the kernel again (that syscall was 1.3 µs of the
  // 5.7 µs a lookupSync() took here).
  static Napi::Value New(Napi::Env env, Fd fd, const char* kind, std::optional<maps::Shape> map_shape = std::nullopt);
  // The fd behind a JS handle, or -1 (with a JS exception pending) for a closed or foreign value.
  static int FdOf(Napi::Value value);
  // A copy of the handle's fd (F_DUPFD_CLOEXEC) for an async task to own, so a concurrent close()
  // cannot hand the number to another object. Invalid, with a JS exception pending, on failure.
  static Fd DupOf(Napi::Value value);
  // The map shape New() was given, for a value FdOf() accepted; nullopt for any other.
  static std::optional<maps::Shape> MapShapeOf(Napi::Value value);

  explicit FdHandle(const Napi::CallbackInfo& info);

 private:
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GetFd(const Napi::CallbackInfo& info);
  Napi::Value GetClosed(const Napi::CallbackInfo& info);

  Fd fd_;
  std::string kind_;
  std::optional<maps::Shape> map_shape_;
};

}  // namespace bpfscope
