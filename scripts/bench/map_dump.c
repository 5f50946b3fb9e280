// Baseline for map dumps: BPF_MAP_LOOKUP_BATCH through libbpf into one preallocated keys buffer
// and one values buffer, the physical limit of reading a map from user space (the same strategy
// as bpfscope: bounded batches, the last call's ENOENT carries data, ENOSPC grows the batch).
// Usage: map_dump MAP_ID ITERATIONS → prints "<entries> <median ns per dump>".
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int per_cpu(__u32 type) {
  return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

static int cmp(const void* a, const void* b) {
  unsigned long long x = *(const unsigned long long*)a, y = *(const unsigned long long*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s MAP_ID ITERATIONS\n", argv[0]);
    return 2;
  }
  int fd = bpf_map_get_fd_by_id(atoi(argv[1]));
  if (fd < 0) {
    perror("bpf_map_get_fd_by_id");
    return 1;
  }
  struct bpf_map_info info = {0};
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
    perror("bpf_obj_get_info_by_fd");
    return 1;
  }
  size_t ks = info.key_size, stride = info.value_size;
  if (per_cpu(info.type)) stride = ((info.value_size + 7) & ~7u) * libbpf_num_possible_cpus();
  // Room for every possible entry; pages the map does not fill are never touched.
  char* keys = malloc((size_t)info.max_entries * ks);
  char* values = malloc((size_t)info.max_entries * stride);
  size_t token = ks > 4 ? ks : 4;
  char* in = malloc(token);
  char* out = malloc(token);
  int runs = atoi(argv[2]);
  unsigned long long* times = calloc(runs + 1, sizeof(*times));
  size_t entries = 0;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  for (int r = 0; r <= runs; r++) {  // run 0 is the warm-up
    unsigned long long start = now_ns();
    size_t n = 0;
    __u32 chunk = 4096;
    int started = 0;
    for (;;) {
      __u32 count = chunk;
      if (n + count > info.max_entries) count = info.max_entries - n;
      if (count == 0) break;
      int err = bpf_map_lookup_batch(fd, started ? in : NULL, out, keys + n * ks, values + n * stride, &count, &opts);
      if (err && errno == ENOSPC && count == 0) {
        chunk *= 2;
        continue;
      }
      if (err && errno != ENOENT) {
        perror("bpf_map_lookup_batch");
        return 1;
      }
      n += count;
      if (err) break;
      memcpy(in, out, token);
      started = 1;
    }
    times[r] = now_ns() - start;
    entries = n;
  }
  qsort(times + 1, runs, sizeof(*times), cmp);
  printf("%zu %llu\n", entries, times[1 + runs / 2]);
  return 0;
}
