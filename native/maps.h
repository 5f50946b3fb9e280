// BPF maps: enumeration and info (struct bpf_map_info plus what only fdinfo reports), opening a
// map as a handle, lookups, batched dumps into packed buffers, and the diff of two dumps.
#pragma once

#include "table.h"

namespace bpfscope::maps {

struct Context {};

// The columns of a map row (see table.h).
const Schema& TableSchema();

// Appends one row with everything bpftool's `map show` prints about the map behind `fd`.
bool Read(int fd, Table& table, Context& context, Failure& failure);

// What a lookup or a dump needs to size its buffers: read from the kernel when the map is opened,
// kept by its handle (FdHandle), never taken from JS.
struct Shape {
  uint32_t id = 0, type = 0, key_size = 0, value_size = 0, max_entries = 0;
  uint32_t value_stride = 0;  // bytes one lookup writes: per-CPU maps get cpus × round_up(value_size, 8)
  uint32_t cpus = 0;          // possible CPUs for per-CPU maps, 0 otherwise
};

void Init(Napi::Env env, Napi::Object exports);

}  // namespace bpfscope::maps
