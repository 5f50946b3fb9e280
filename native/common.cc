#include "common.h"

#include "uapi_compat.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>

#include <cerrno>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace bpfscope {

long uapi::Syscall(int cmd, void* attr, unsigned int size) { return ::syscall(__NR_bpf, cmd, attr, size); }

std::string ReadSmallFileAt(int dir, const char* path) {
  Fd file(::openat(dir, path, O_RDONLY | O_CLOEXEC));
  if (!file.valid()) return {};
  char buf[2048];
  ssize_t n = ::read(file.get(), buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::string ReadFdinfo(int fd) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
  return ReadSmallFileAt(AT_FDCWD, path);
}

bool FdinfoU64(const std::string& text, const char* key, uint64_t* out) {
  size_t keylen = std::strlen(key);
  for (size_t pos = 0; pos < text.size();) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    if (eol - pos > keylen && text.compare(pos, keylen, key) == 0 && text[pos + keylen] == ':') {
      *out = std::strtoull(text.c_str() + pos + keylen + 1, nullptr, 10);
      return true;
    }
    pos = eol + 1;
  }
  return false;
}

bool OnBpffs(const std::string& path, Failure& failure) {
  struct statfs fs {};
  if (::statfs(path.c_str(), &fs) != 0) return failure.Set(errno, "statfs", path);
  if (static_cast<unsigned long>(fs.f_type) != BPF_FS_MAGIC) return failure.Set(EXDEV, "statfs", path, "not on a bpffs mount");
  return true;
}

bool ObjGetAccessDenied(const std::string& path, Failure& failure) {
  if (!OnBpffs(path, failure)) return false;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return failure.Set(EISDIR, "BPF_OBJ_GET", path, "a bpffs directory, not a pinned object");
  return failure.Set(EACCES, "BPF_OBJ_GET", path);
}

bool ArgU32(const Napi::CallbackInfo& info, size_t i, uint32_t* out) {
  if (info.Length() <= i || !info[i].IsNumber()) return false;
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 0 && v <= 4294967295.0) || v != static_cast<double>(static_cast<uint32_t>(v))) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

bool ArgBool(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && info[i].IsBoolean() && info[i].As<Napi::Boolean>().Value();
}

bool ArgString(const Napi::CallbackInfo& info, size_t i, std::string* out) {
  if (info.Length() <= i || !info[i].IsString()) return false;
  *out = info[i].As<Napi::String>().Utf8Value();
  return true;
}

Napi::Value ThrowType(Napi::Env env, const char* message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace bpfscope
