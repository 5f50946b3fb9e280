#include "errors.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "addon.h"
#include "uapi_compat.h"

namespace bpfscope::errors {

// Every errno of Linux's user-space ABI (asm-generic/errno-base.h and errno.h, 1 to 133), so that
// none reaches JS as "E<n>". Aliases (EWOULDBLOCK, EDEADLOCK, ENOTSUP) are left out: they share a
// number with the name listed.
#define BPFSCOPE_ERRNOS(X)                                                                                        \
  X(EPERM) X(ENOENT) X(ESRCH) X(EINTR) X(EIO) X(ENXIO) X(E2BIG) X(ENOEXEC) X(EBADF) X(ECHILD) X(EAGAIN)           \
  X(ENOMEM) X(EACCES) X(EFAULT) X(ENOTBLK) X(EBUSY) X(EEXIST) X(EXDEV) X(ENODEV) X(ENOTDIR) X(EISDIR) X(EINVAL)   \
  X(ENFILE) X(EMFILE) X(ENOTTY) X(ETXTBSY) X(EFBIG) X(ENOSPC) X(ESPIPE) X(EROFS) X(EMLINK) X(EPIPE) X(EDOM)       \
  X(ERANGE) X(EDEADLK) X(ENAMETOOLONG) X(ENOLCK) X(ENOSYS) X(ENOTEMPTY) X(ELOOP) X(ENOMSG) X(EIDRM) X(ECHRNG)    \
  X(EL2NSYNC) X(EL3HLT) X(EL3RST) X(ELNRNG) X(EUNATCH) X(ENOCSI) X(EL2HLT) X(EBADE) X(EBADR) X(EXFULL) X(ENOANO) \
  X(EBADRQC) X(EBADSLT) X(EBFONT) X(ENOSTR) X(ENODATA) X(ETIME) X(ENOSR) X(ENONET) X(ENOPKG) X(EREMOTE)          \
  X(ENOLINK) X(EADV) X(ESRMNT) X(ECOMM) X(EPROTO) X(EMULTIHOP) X(EDOTDOT) X(EBADMSG) X(EOVERFLOW) X(ENOTUNIQ)    \
  X(EBADFD) X(EREMCHG) X(ELIBACC) X(ELIBBAD) X(ELIBSCN) X(ELIBMAX) X(ELIBEXEC) X(EILSEQ) X(ERESTART) X(ESTRPIPE) \
  X(EUSERS) X(ENOTSOCK) X(EDESTADDRREQ) X(EMSGSIZE) X(EPROTOTYPE) X(ENOPROTOOPT) X(EPROTONOSUPPORT)              \
  X(ESOCKTNOSUPPORT) X(EOPNOTSUPP) X(EPFNOSUPPORT) X(EAFNOSUPPORT) X(EADDRINUSE) X(EADDRNOTAVAIL) X(ENETDOWN)     \
  X(ENETUNREACH) X(ENETRESET) X(ECONNABORTED) X(ECONNRESET) X(ENOBUFS) X(EISCONN) X(ENOTCONN) X(ESHUTDOWN)       \
  X(ETOOMANYREFS) X(ETIMEDOUT) X(ECONNREFUSED) X(EHOSTDOWN) X(EHOSTUNREACH) X(EALREADY) X(EINPROGRESS) X(ESTALE) \
  X(EUCLEAN) X(ENOTNAM) X(ENAVAIL) X(EISNAM) X(EREMOTEIO) X(EDQUOT) X(ENOMEDIUM) X(EMEDIUMTYPE) X(ECANCELED)     \
  X(ENOKEY) X(EKEYEXPIRED) X(EKEYREVOKED) X(EKEYREJECTED) X(EOWNERDEAD) X(ENOTRECOVERABLE) X(ERFKILL)           \
  X(EHWPOISON)

// The kernel's internal errnos (include/linux/errno.h), which no user-space header names, yet some
// leak out of system calls: ENOTSUPP from bpf() above all.
struct InternalErrno {
  int err;
  const char* name;
};
constexpr InternalErrno kInternal[] = {
    {512, "ERESTARTSYS"}, {513, "ERESTARTNOINTR"}, {514, "ERESTARTNOHAND"}, {515, "ENOIOCTLCMD"},
    {516, "ERESTART_RESTARTBLOCK"}, {517, "EPROBE_DEFER"}, {518, "EOPENSTALE"}, {519, "ENOPARAM"},
    {521, "EBADHANDLE"}, {522, "ENOTSYNC"}, {523, "EBADCOOKIE"}, {uapi::kENOTSUPP, "ENOTSUPP"},
    {525, "ETOOSMALL"}, {526, "ESERVERFAULT"}, {527, "EBADTYPE"}, {528, "EJUKEBOX"}, {529, "EIOCBQUEUED"},
    {530, "ERECALLCONFLICT"}, {531, "ENOGRACE"},
};

const char* Name(int err) {
  switch (err) {
#define BPFSCOPE_ERRNO(e) case e: return #e;
    BPFSCOPE_ERRNOS(BPFSCOPE_ERRNO)
#undef BPFSCOPE_ERRNO
    default: break;
  }
  for (const InternalErrno& internal : kInternal)
    if (internal.err == err) return internal.name;
  return nullptr;
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

// errnoName(n) → the code a BpfError of errno n gets: test/unit/errors.test.ts holds the table up
// against the system's errno names.
static Napi::Value ErrnoName(const Napi::CallbackInfo& info) {
  uint32_t err;
  if (!ArgU32(info, 0, &err)) return ThrowType(info.Env(), "errnoName(n)");
  const char* name = Name(static_cast<int>(err));
  return name ? Napi::String::New(info.Env(), name) : info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
  exports.Set("errnoName", Napi::Function::New(env, ErrnoName, "errnoName"));
}

}  // namespace bpfscope::errors
