// Keeps the prebuilt addon loadable with glibc 2.28 (Debian 10, RHEL 8) although the prebuilds are
// made on Debian 12 (glibc 2.36), whose headers and libc bind a few calls to newer symbol versions.
// Only the prebuilds compile this (binding.gyp defines BPFSCOPE_GLIBC_COMPAT and links with
// -Wl,--wrap for the wrapped calls, in its static-deps branch); a build from source targets the
// glibc it is built on. scripts/check-prebuilds.sh names any symbol that still needs more than 2.28.
#ifdef BPFSCOPE_GLIBC_COMPAT

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

// The version glibc's oldest symbols carry on each architecture the prebuilds target.
#if defined(__x86_64__)
#define BPFSCOPE_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define BPFSCOPE_GLIBC_BASE "GLIBC_2.17"
#else
#error "BPFSCOPE_GLIBC_COMPAT: prebuilds are made for x86_64 and aarch64 only"
#endif

extern "C" {

// glibc 2.33 turned stat64, fstat64 and fstatat64 from inline wrappers (around __xstat64,
// __fxstat64, __fxstatat64) into exported functions, each @GLIBC_2.33. newfstatat fills the same
// struct stat on x86_64 and arm64 and sets errno through syscall(); with AT_EMPTY_PATH it reads the fd.
__attribute__((visibility("hidden"))) int __wrap_stat64(const char* path, struct stat64* buf) {
  return static_cast<int>(syscall(SYS_newfstatat, AT_FDCWD, path, buf, 0));
}
__attribute__((visibility("hidden"))) int __wrap_fstat64(int fd, struct stat64* buf) {
  return static_cast<int>(syscall(SYS_newfstatat, fd, "", buf, AT_EMPTY_PATH));
}
__attribute__((visibility("hidden"))) int __wrap_fstatat64(int dirfd, const char* path, struct stat64* buf, int flags) {
  return static_cast<int>(syscall(SYS_newfstatat, dirfd, path, buf, flags));
}

// glibc 2.34 moved libpthread into libc and gave pthread_create/pthread_join (used by std::thread)
// a new default version, GLIBC_2.34; libc keeps the original version for older binaries, and it is
// the same function. The wrappers call that original version, which glibc 2.28 defines too (in
// libpthread.so.0, which Node itself loads there).
int bpfscope_pthread_create_base(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
int bpfscope_pthread_join_base(pthread_t, void**);
__asm__(".symver bpfscope_pthread_create_base, pthread_create@" BPFSCOPE_GLIBC_BASE);
__asm__(".symver bpfscope_pthread_join_base, pthread_join@" BPFSCOPE_GLIBC_BASE);

__attribute__((visibility("hidden"))) int __wrap_pthread_create(pthread_t* thread, const pthread_attr_t* attr,
                                                                void* (*start)(void*), void* arg) {
  return bpfscope_pthread_create_base(thread, attr, start, arg);
}
__attribute__((visibility("hidden"))) int __wrap_pthread_join(pthread_t thread, void** result) {
  return bpfscope_pthread_join_base(thread, result);
}

// libstdc++ (GCC 12) reads glibc 2.32's __libc_single_threaded to use plain instead of atomic
// reference counts (shared_ptr) while a process has one thread. The addon's own copy, which the
// link binds to instead, always says "multi-threaded": its objects are shared with libuv's pool
// threads anyway, so the counts stay atomic.
__attribute__((visibility("hidden"))) char __libc_single_threaded = 0;

}

#endif  // BPFSCOPE_GLIBC_COMPAT
