// Baseline for map dumps: BPF_MAP_LOOKUP_BATCH through libbpf into one preallocated keys buffer
// and one values buffer, the physical limit of reading a map from user space (the same strategy
// as bpfscope: bounded batches, the last call's ENOENT carries data, ENOSPC grows the batch).
// Usage: map_dump MAP_ID ITERATIONS [WORKER_CPUS] → prints "<entries> <median ns per dump>".
// With WORKER_CPUS ("0-1"), each dump runs on a second thread allowed on those CPUs while the
// timing thread waits for it in epoll_wait on an eventfd: the hand-off an async dump() makes, where
// libuv wakes a pool thread through a condition variable and is woken back through an eventfd
// the event loop polls. The difference to the plain run is what that hop costs on this machine.
// With --fresh, each dump gets buffers of memory the process has not used before, faulted in a
// batch at a time with MADV_POPULATE_WRITE as bpfscope does: the baseline for a dump whose buffers
// are new, as every dropped dump's are until V8 first collects some. They are mapped before the
// timed dump and stay mapped until the program exits, as dropped dumps stay until collected:
// memory unmapped after each dump would hand the next one pages the kernel had just freed.
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpus.h"
#include "timing.h"

static int per_cpu(__u32 type) {
  return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

static int fd;
static struct bpf_map_info info;
static size_t ks, stride, token;
static char *keys, *values, *in, *out;
static int fresh;

// Faults in [p, p + bytes) in one call (Linux 5.14+).
static void populate(char* p, size_t bytes) {
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t start = (uintptr_t)p & ~(page - 1), end = ((uintptr_t)p + bytes + page - 1) & ~(page - 1);
  madvise((void*)start, end - start, MADV_POPULATE_WRITE);
}

// One whole dump into the buffers; returns the entries read, or -1 after printing the error.
static long dump(void) {
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  size_t n = 0;
  __u32 chunk = 4096;
  int started = 0;
  for (;;) {
    __u32 count = chunk;
    if (n + count > info.max_entries) count = info.max_entries - n;
    if (count == 0) break;
    if (fresh) {
      populate(keys + n * ks, count * ks);
      populate(values + n * stride, count * stride);
    }
    int err = bpf_map_lookup_batch(fd, started ? in : NULL, out, keys + n * ks, values + n * stride, &count, &opts);
    if (err && errno == ENOSPC && count == 0) {
      chunk *= 2;
      continue;
    }
    if (err && errno != ENOENT) {
      perror("bpf_map_lookup_batch");
      return -1;
    }
    n += count;
    if (err) break;
    memcpy(in, out, token);
    started = 1;
  }
  return (long)n;
}

// The worker: waits for a request, dumps, posts the result to the eventfd.
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t requested = PTHREAD_COND_INITIALIZER;
static int pending;
static long result;
static int done_fd;

static void* worker(void* arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&lock);
    while (!pending) pthread_cond_wait(&requested, &lock);
    pending = 0;
    pthread_mutex_unlock(&lock);
    result = dump();
    uint64_t one = 1;
    if (write(done_fd, &one, sizeof(one)) != sizeof(one)) abort();
  }
  return NULL;
}

int main(int argc, char** argv) {
  fresh = argc > 1 && strcmp(argv[1], "--fresh") == 0;
  argc -= fresh;
  argv += fresh;
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: %s [--fresh] MAP_ID ITERATIONS [WORKER_CPUS]\n", argv[0]);
    return 2;
  }
  fd = bpf_map_get_fd_by_id(atoi(argv[1]));
  if (fd < 0) {
    perror("bpf_map_get_fd_by_id");
    return 1;
  }
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
    perror("bpf_obj_get_info_by_fd");
    return 1;
  }
  ks = info.key_size;
  stride = info.value_size;
  if (per_cpu(info.type)) stride = ((info.value_size + 7) & ~7u) * libbpf_num_possible_cpus();
  // Room for every possible entry; pages the map does not fill are never touched.
  size_t keys_bytes = (size_t)info.max_entries * ks, values_bytes = (size_t)info.max_entries * stride;
  if (!fresh) {
    keys = malloc(keys_bytes);
    values = malloc(values_bytes);
  }
  token = ks > 4 ? ks : 4;
  in = malloc(token);
  out = malloc(token);

  int threaded = argc == 4, epfd = -1;
  if (threaded) {
    cpu_set_t cpus;
    pthread_attr_t attr;
    pthread_t thread;
    struct epoll_event ev = {.events = EPOLLIN};
    done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (parse_cpus(argv[3], &cpus) != 0 || done_fd < 0 || epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, done_fd, &ev) != 0 ||
        pthread_attr_init(&attr) != 0 || pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus) != 0 ||
        pthread_create(&thread, &attr, worker, NULL) != 0) {
      fprintf(stderr, "cannot start the worker thread on CPUs %s\n", argv[3]);
      return 1;
    }
  }

  int runs = atoi(argv[2]);
  unsigned long long* times = calloc(runs + 1, sizeof(*times));
  long entries = 0;
  for (int r = 0; r <= runs; r++) {  // run 0 is the warm-up
    if (fresh) {
      keys = mmap(NULL, keys_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      values = mmap(NULL, values_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (keys == MAP_FAILED || values == MAP_FAILED) {
        perror("mmap");
        return 1;
      }
    }
    unsigned long long start = now_ns();
    if (threaded) {
      pthread_mutex_lock(&lock);
      pending = 1;
      pthread_cond_signal(&requested);
      pthread_mutex_unlock(&lock);
      struct epoll_event ev;
      uint64_t posted;
      while (epoll_wait(epfd, &ev, 1, -1) != 1) {
      }
      if (read(done_fd, &posted, sizeof(posted)) != sizeof(posted)) abort();
      entries = result;
    } else {
      entries = dump();
    }
    if (entries < 0) return 1;
    times[r] = now_ns() - start;
  }
  printf("%ld %llu\n", entries, median_ns(times + 1, runs));
  return 0;
}
