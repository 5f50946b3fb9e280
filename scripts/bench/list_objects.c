// Baseline for listPrograms()/listMaps(): the same syscalls in a C loop, through libbpf.
// Usage: list_objects prog|map ITERATIONS → prints the median wall time per listing in ns.
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "timing.h"

// fdinfo is read once per object, as bpfscope does for memlock (and frozen).
static void read_fdinfo(int fd) {
  char path[64], buf[2048];
  snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
  int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f >= 0) {
    if (read(f, buf, sizeof(buf)) < 0) perror("read");
    close(f);
  }
}

static int list_progs(void) {
  unsigned int id = 0, n = 0;
  while (bpf_prog_get_next_id(id, &id) == 0) {
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;
    unsigned int map_ids[32];
    struct bpf_prog_info info;
    memset(&info, 0, sizeof(info));
    info.nr_map_ids = 32;
    info.map_ids = (unsigned long)map_ids;
    unsigned int len = sizeof(info);
    bpf_obj_get_info_by_fd(fd, &info, &len);
    read_fdinfo(fd);
    close(fd);
    n++;
  }
  return n;
}

static int list_maps(void) {
  unsigned int id = 0, n = 0;
  while (bpf_map_get_next_id(id, &id) == 0) {
    int fd = bpf_map_get_fd_by_id(id);
    if (fd < 0) continue;
    char info[104];
    memset(info, 0, sizeof(info));
    unsigned int len = sizeof(info);
    bpf_obj_get_info_by_fd(fd, info, &len);
    read_fdinfo(fd);
    close(fd);
    n++;
  }
  return n;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  int progs = strcmp(argv[1], "prog") == 0;
  int iterations = atoi(argv[2]);
  unsigned long long* t = calloc(iterations, sizeof(*t));
  int count = 0;
  for (int i = 0; i < iterations; i++) {
    unsigned long long start = now_ns();
    count = progs ? list_progs() : list_maps();
    t[i] = now_ns() - start;
  }
  printf("%llu %d\n", median_ns(t, iterations), count);
  return 0;
}
