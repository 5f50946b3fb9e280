// BPF maps: enumeration and info (struct bpf_map_info plus what only fdinfo reports).
#pragma once

#include "table.h"

namespace bpfscope::maps {

struct Context {};

// The columns of a map row (see table.h).
const Schema& TableSchema();

// Appends one row with everything bpftool's `map show` prints about the map behind `fd`.
bool Read(int fd, Table& table, Context& context, Failure& failure);

void Init(Napi::Env env, Napi::Object exports);

}  // namespace bpfscope::maps
