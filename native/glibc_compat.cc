// Keeps the prebuilt addon loadable with glibc 2.28 (Debian 10, RHEL 8) although the prebuilds are
// made on Debian 12 (glibc 2.36), whose headers bind two things to newer glibc symbol versions.
// scripts/check-prebuilds.sh names any symbol that still needs more than GLIBC_2.28.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern "C" {

// glibc 2.33 turned stat64 from an inline wrapper (around __xstat64) into an exported function,
// stat64@GLIBC_2.33. binding.gyp links with -Wl,--wrap=stat64, so every stat() in the addon lands
// here: newfstatat fills the same struct stat on x86_64 and arm64 and sets errno through syscall().
__attribute__((visibility("hidden"))) int __wrap_stat64(const char* path, struct stat64* buf) {
  return static_cast<int>(syscall(SYS_newfstatat, AT_FDCWD, path, buf, 0));
}

// libstdc++ (GCC 12) reads glibc 2.32's __libc_single_threaded to use plain instead of atomic
// reference counts (shared_ptr) while a process has one thread. The addon's own copy, which the
// link binds to instead, always says "multi-threaded": its objects are shared with libuv's pool
// threads anyway, so the counts stay atomic.
__attribute__((visibility("hidden"))) char __libc_single_threaded = 0;

}
