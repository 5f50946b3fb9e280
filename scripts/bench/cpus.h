// Shared by the C programs of the benchmarks: CPU lists as Linux prints them. cpu_set_t needs
// _GNU_SOURCE, which the including file defines before its first include.
#pragma once
#include <sched.h>
#include <stdlib.h>

// "0-3,8" → a CPU set; returns 0 on success.
static inline int parse_cpus(const char* list, cpu_set_t* set) {
  CPU_ZERO(set);
  while (*list) {
    char* end;
    long a = strtol(list, &end, 10), b = a;
    if (end == list) return -1;
    if (*end == '-') b = strtol(end + 1, &end, 10);
    for (long c = a; c <= b; c++) CPU_SET(c, set);
    if (*end == ',') end++;
    list = end;
  }
  return 0;
}
