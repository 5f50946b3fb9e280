// Baseline for one lookup: bpf_map_lookup_elem of a key the map holds (its first), the one syscall
// a lookup needs once the map's key and value sizes are known, which is what lookupSync() makes.
// Usage: map_lookup MAP_ID BLOCKS → prints "<median ns per lookup>": the median over BLOCKS blocks
// of 1,000 lookups in a loop (after one warm-up block), as the benchmark times lookupSync().
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>

#include "timing.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s MAP_ID BLOCKS\n", argv[0]);
    return 2;
  }
  int fd = bpf_map_get_fd_by_id(atoi(argv[1]));
  struct bpf_map_info info = {0};
  __u32 len = sizeof(info);
  if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) != 0) {
    perror("map");
    return 1;
  }
  size_t stride = info.value_size;
  if (info.type == BPF_MAP_TYPE_PERCPU_HASH || info.type == BPF_MAP_TYPE_PERCPU_ARRAY ||
      info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH)
    stride = ((info.value_size + 7) & ~7u) * libbpf_num_possible_cpus();
  void *key = malloc(info.key_size), *value = malloc(stride);
  if (bpf_map_get_next_key(fd, NULL, key) != 0) {
    perror("bpf_map_get_next_key (an empty map?)");
    return 1;
  }
  const int per_block = 1000;
  int blocks = atoi(argv[2]);
  unsigned long long* times = calloc(blocks + 1, sizeof(*times));
  for (int b = 0; b <= blocks; b++) {  // block 0 is the warm-up
    unsigned long long start = now_ns();
    for (int i = 0; i < per_block; i++) {
      if (bpf_map_lookup_elem(fd, key, value) != 0) {
        perror("bpf_map_lookup_elem");
        return 1;
      }
    }
    times[b] = (now_ns() - start) / per_block;
  }
  printf("%llu\n", median_ns(times + 1, blocks));
  return 0;
}
