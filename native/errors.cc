#include "errors.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "addon.h"
#include "uapi_compat.h"

namespace bpfscope::errors {

const char* Name(int err) {
  switch (err) {
#define BPFSCOPE_ERRNO(e) case e: return #e;
    BPFSCOPE_ERRNO(EPERM) BPFSCOPE_ERRNO(ENOENT) BPFSCOPE_ERRNO(ESRCH) BPFSCOPE_ERRNO(EINTR)
    BPFSCOPE_ERRNO(EIO) BPFSCOPE_ERRNO(ENXIO) BPFSCOPE_ERRNO(E2BIG) BPFSCOPE_ERRNO(EBADF)
    BPFSCOPE_ERRNO(EAGAIN) BPFSCOPE_ERRNO(ENOMEM) BPFSCOPE_ERRNO(EACCES) BPFSCOPE_ERRNO(EFAULT)
    BPFSCOPE_ERRNO(EBUSY) BPFSCOPE_ERRNO(EEXIST) BPFSCOPE_ERRNO(EXDEV) BPFSCOPE_ERRNO(ENODEV)
    BPFSCOPE_ERRNO(ENOTDIR) BPFSCOPE_ERRNO(EISDIR) BPFSCOPE_ERRNO(EINVAL) BPFSCOPE_ERRNO(ENFILE)
    BPFSCOPE_ERRNO(EMFILE) BPFSCOPE_ERRNO(ENOTTY) BPFSCOPE_ERRNO(EFBIG) BPFSCOPE_ERRNO(ENOSPC)
    BPFSCOPE_ERRNO(ERANGE) BPFSCOPE_ERRNO(ENAMETOOLONG) BPFSCOPE_ERRNO(ENOSYS) BPFSCOPE_ERRNO(ELOOP)
    BPFSCOPE_ERRNO(ENOTEMPTY) BPFSCOPE_ERRNO(EOPNOTSUPP) BPFSCOPE_ERRNO(EPROTO) BPFSCOPE_ERRNO(EMSGSIZE)
    BPFSCOPE_ERRNO(EAFNOSUPPORT) BPFSCOPE_ERRNO(EPROTONOSUPPORT) BPFSCOPE_ERRNO(EADDRNOTAVAIL)
    BPFSCOPE_ERRNO(ENETDOWN) BPFSCOPE_ERRNO(ENOBUFS) BPFSCOPE_ERRNO(ETIMEDOUT) BPFSCOPE_ERRNO(ECONNREFUSED)
    BPFSCOPE_ERRNO(EOVERFLOW) BPFSCOPE_ERRNO(ENODATA) BPFSCOPE_ERRNO(ENOMSG) BPFSCOPE_ERRNO(EBADMSG)
    BPFSCOPE_ERRNO(ESTALE) BPFSCOPE_ERRNO(ECANCELED) BPFSCOPE_ERRNO(EDOM) BPFSCOPE_ERRNO(ENOTCONN) BPFSCOPE_ERRNO(ECONNRESET)
#undef BPFSCOPE_ERRNO
    case uapi::kENOTSUPP: return "ENOTSUPP";
    default: return nullptr;
  }
}

static std::string Describe(int err) {
  if (err == uapi::kENOTSUPP) return "Operation not supported by this kernel object";
  char buf[128];
  // GNU strerror_r returns the message pointer.
  return strerror_r(err, buf, sizeof(buf));
}

Napi::Value Make(Napi::Env env, const Failure& failure) {
  Napi::Object fields = Napi::Object::New(env);
  const char* name = Name(failure.err);
  char fallback[16];
  if (!name) {
    std::snprintf(fallback, sizeof(fallback), "E%d", failure.err);
    name = fallback;
  }
  fields.Set("errno", failure.err);
  fields.Set("code", name);
  fields.Set("op", failure.op);
  fields.Set("object", failure.object);
  fields.Set("description", Describe(failure.err));
  if (!failure.detail.empty()) fields.Set("detail", failure.detail);

  Addon* addon = env.GetInstanceData<Addon>();
  if (addon && !addon->bpf_error.IsEmpty()) return addon->bpf_error.New({fields});
  Napi::Error plain = Napi::Error::New(env, failure.op + " " + failure.object + ": " + Describe(failure.err));
  plain.Value().Set("code", name);
  return plain.Value();
}

Napi::Value Throw(Napi::Env env, const Failure& failure) {
  Napi::Error(env, Make(env, failure)).ThrowAsJavaScriptException();
  return env.Undefined();
}

static Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) return ThrowType(info.Env(), "setErrorClass(ctor)");
  Addon* addon = info.Env().GetInstanceData<Addon>();
  addon->bpf_error = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
}

}  // namespace bpfscope::errors
