// Shared pieces of the addon: an owned fd, the record of a failed kernel call, and small readers.
#pragma once

#include <napi.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <utility>

namespace bpfscope {

// A failed kernel call, kept as data until the main thread turns it into a BpfError.
// errno is per-thread, so it is read right after the call that failed, never later.
struct Failure {
  int err = 0;          // positive errno (524 = ENOTSUPP); 0 means no failure
  std::string op;       // the kernel operation, e.g. "BPF_PROG_GET_FD_BY_ID"
  std::string object;   // what it was done to, e.g. "program 42"
  std::string detail;   // extra text: netlink extended ack, a verifier log

  // Records the failure and returns false, so callers can write `return failure.Set(...)`.
  bool Set(int error, std::string operation, std::string target, std::string more = {}) {
    err = error;
    op = std::move(operation);
    object = std::move(target);
    detail = std::move(more);
    return false;
  }
  explicit operator bool() const { return err != 0; }
};

// Owns a file descriptor; closes it when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.Release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) Reset(other.Release());
    return *this;
  }
  ~Fd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// The first 2 KiB of a small file such as a /proc entry, `path` relative to the directory fd `dir`
// (AT_FDCWD for the working directory); empty if it cannot be read.
std::string ReadSmallFileAt(int dir, const char* path);
// The text of /proc/self/fdinfo/<fd> (empty if unreadable): the kernel reports memlock, frozen
// and the owner of a prog_array only there.
std::string ReadFdinfo(int fd);
// Finds `key:\t<number>` in fdinfo text. Returns false when the key is absent.
bool FdinfoU64(const std::string& text, const char* key, uint64_t* out);

// Whether `path` is on a bpffs mount; records the failure (statfs's own, or EXDEV "not on a bpffs
// mount") when it is not.
bool OnBpffs(const std::string& path, Failure& failure);
// Records why BPF_OBJ_GET of `path` failed with EACCES. The kernel says EACCES both for a pin the
// caller may not open and for a path that holds no pin at all (bpf_inode_type): a file outside
// bpffs (EXDEV, as OnBpffs), or a bpffs directory (EISDIR). Only the first is about permissions.
// For the failure path only: it makes a statfs and a stat.
bool ObjGetAccessDenied(const std::string& path, Failure& failure);

// JS values for kernel numbers: u64 is always a BigInt.
inline Napi::Value U64(Napi::Env env, uint64_t v) { return Napi::BigInt::New(env, v); }
inline Napi::Value U32(Napi::Env env, uint32_t v) { return Napi::Number::New(env, v); }

// A JS Buffer holding a copy of `len` bytes.
inline Napi::Value Bytes(Napi::Env env, const void* data, size_t len) {
  return Napi::Buffer<uint8_t>::Copy(env, static_cast<const uint8_t*>(data), len);
}

// Reads argument `i` as a u32 id; the TS layer has already validated it, this guards against misuse.
bool ArgU32(const Napi::CallbackInfo& info, size_t i, uint32_t* out);
// Reads argument `i` as a string.
bool ArgString(const Napi::CallbackInfo& info, size_t i, std::string* out);
// Argument `i` if it is a boolean, else false. No coercion: ToBoolean() is one of the calls a
// stopping environment refuses (task.h CanRunJs), and reading the empty value it then gives is fatal.
bool ArgBool(const Napi::CallbackInfo& info, size_t i);

// Throws a TypeError and returns undefined, for the few checks native code makes itself.
Napi::Value ThrowType(Napi::Env env, const char* message);

}  // namespace bpfscope
