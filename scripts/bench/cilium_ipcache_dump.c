// Baseline for bench/cilium.bench.mjs: what C needs to read a pinned ipcache map in full, i.e.
// bpf_obj_get + BPF_MAP_LOOKUP_BATCH into one key buffer and one value buffer (the physical limit
// for "cilium-dbg bpf ipcache list" without decoding). Prints the median of RUNS runs in ns, and
// the entry count.
//   usage: cilium_ipcache_dump PINNED_PATH RUNS
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "timing.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s PINNED_PATH RUNS\n", argv[0]);
    return 2;
  }
  int runs = atoi(argv[2]);
  unsigned long long *times = calloc(runs, sizeof(*times));
  long count = 0;
  for (int r = 0; r < runs; r++) {
    unsigned long long start = now_ns();
    int fd = bpf_obj_get(argv[1]);
    if (fd < 0) {
      perror("bpf_obj_get");
      return 1;
    }
    struct bpf_map_info info = {0};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) {
      perror("bpf_map_get_info_by_fd");
      return 1;
    }
    char *keys = malloc((size_t)info.max_entries * info.key_size);
    char *values = malloc((size_t)info.max_entries * info.value_size);
    // The batch token: a bucket index for hash maps, a whole key for maps on the generic batch
    // path (LPM trie), so it gets room for either.
    char in[64], out[64];
    __u32 batch = 4096;
    void *inp = NULL;
    count = 0;
    for (;;) {
      __u32 n = batch;
      LIBBPF_OPTS(bpf_map_batch_opts, opts);
      int err = bpf_map_lookup_batch(fd, inp, out, keys + count * info.key_size, values + count * info.value_size, &n, &opts);
      count += n;
      if (err && errno != ENOENT) {
        perror("bpf_map_lookup_batch");
        return 1;
      }
      if (err) break;
      memcpy(in, out, sizeof(in));
      inp = in;
    }
    close(fd);
    times[r] = now_ns() - start;
    free(keys);
    free(values);
  }
  printf("%llu %ld\n", median_ns(times, runs), count);
  return 0;
}
