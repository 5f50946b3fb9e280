// BPF maps: enumeration and info (struct bpf_map_info plus what only fdinfo reports).
#pragma once

#include "common.h"
#include "uapi_compat.h"

namespace bpfscope::maps {

struct Record {
  uapi::MapInfo info {};
  uint32_t info_len = 0;  // bytes the kernel filled
  bool has_memlock = false, has_frozen = false;
  uint64_t memlock = 0, frozen = 0;
};

// Reads everything bpftool's `map show` prints about the map behind `fd`.
struct Context {};

bool Read(int fd, Record* out, Context& context, Failure& failure);
Napi::Object ToJs(Napi::Env env, const Record& record);

void Init(Napi::Env env, Napi::Object exports);

}  // namespace bpfscope::maps
