// Shared by the C programs of the benchmarks: a monotonic clock, and the median of their timings.
#pragma once
#include <stdlib.h>
#include <time.h>

static inline unsigned long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline int compare_ns(const void* a, const void* b) {
  unsigned long long x = *(const unsigned long long*)a, y = *(const unsigned long long*)b;
  return x < y ? -1 : x > y;
}

// The median of `n` timings (the upper one of an even count); sorts them in place.
static inline unsigned long long median_ns(unsigned long long* times, int n) {
  qsort(times, n, sizeof(*times), compare_ns);
  return times[n / 2];
}
