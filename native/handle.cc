#include "handle.h"

#include "addon.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

namespace bpfscope {

namespace {
// A tag checked on every unwrap, so a foreign object is never cast to FdHandle.
constexpr napi_type_tag kFdHandleTag = {0x6270667363706521ULL, 0x4664486e646c6521ULL};
}  // namespace

void FdHandle::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "FdHandle",
                                    {InstanceMethod<&FdHandle::Close>("close"),
                                     InstanceAccessor<&FdHandle::GetFd>("fd"),
                                     InstanceAccessor<&FdHandle::GetClosed>("closed")});
  env.GetInstanceData<Addon>()->fd_handle = Napi::Persistent(ctor);
  exports.Set("FdHandle", ctor);
}

FdHandle::FdHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FdHandle>(info) {
  // Built only through New(); a `new FdHandle()` from JS owns nothing and reads as closed.
  napi_type_tag_object(info.Env(), info.This(), &kFdHandleTag);
}

Napi::Value FdHandle::New(Napi::Env env, Fd fd, const char* kind, std::optional<maps::Shape> map_shape) {
  Napi::Object object = env.GetInstanceData<Addon>()->fd_handle.New({});
  // Either call fails once the environment is stopping (task.h CanRunJs); `fd` then closes here.
  FdHandle* self = object.IsEmpty() ? nullptr : FdHandle::Unwrap(object);
  if (!self) return env.Undefined();
  self->fd_ = std::move(fd);
  self->kind_ = kind;
  self->map_shape_ = map_shape;
  return object;
}

int FdHandle::FdOf(Napi::Value value) {
  Napi::Env env = value.Env();
  bool tagged = false;
  if (!value.IsObject() || napi_check_object_type_tag(env, value, &kFdHandleTag, &tagged) != napi_ok || !tagged) {
    Napi::TypeError::New(env, "expected a bpfscope handle").ThrowAsJavaScriptException();
    return -1;
  }
  FdHandle* self = FdHandle::Unwrap(value.As<Napi::Object>());
  if (!self) return -1;  // napi_unwrap refused: a stopping environment (task.h CanRunJs)
  if (!self->fd_.valid()) {
    Napi::Error err = Napi::Error::New(env, "the " + (self->kind_.empty() ? std::string("bpf") : self->kind_) +
                                                " handle is closed");
    err.Set("code", "ERR_BPFSCOPE_CLOSED");
    err.ThrowAsJavaScriptException();
    return -1;
  }
  return self->fd_.get();
}

Fd FdHandle::DupOf(Napi::Value value) {
  int fd = FdOf(value);
  if (fd < 0) return Fd();
  Fd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!copy.valid()) {
    Napi::Error::New(value.Env(), std::string("cannot duplicate the handle's fd: ") + std::strerror(errno))
        .ThrowAsJavaScriptException();
  }
  return copy;
}

std::optional<maps::Shape> FdHandle::MapShapeOf(Napi::Value value) {
  FdHandle* self = FdHandle::Unwrap(value.As<Napi::Object>());
  return self ? self->map_shape_ : std::nullopt;
}

Napi::Value FdHandle::Close(const Napi::CallbackInfo& info) {
  fd_.Reset();
  return info.Env().Undefined();
}

Napi::Value FdHandle::GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_.get()); }

Napi::Value FdHandle::GetClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !fd_.valid());
}

}  // namespace bpfscope
