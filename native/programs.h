// BPF programs: enumeration, info (struct bpf_prog_info), and run-time statistics.
#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "btf.h"
#include "common.h"

namespace bpfscope::programs {

struct Record {
  struct bpf_prog_info info {};
  uint32_t info_len = 0;          // bytes the kernel filled: fields past it are unknown to it
  std::vector<uint32_t> map_ids;
  std::string full_name;          // from BTF func_info when the kernel's name is cut at 15 chars
  bool has_memlock = false;
  uint64_t memlock = 0;
};

struct Context {
  BtfCache btf;  // BTF objects read for full names, shared across one listing
};

// Reads everything bpftool's `prog show` prints about the program behind `fd`.
bool Read(int fd, Record* out, Context& context, Failure& failure);
Napi::Object ToJs(Napi::Env env, const Record& record);

void Init(Napi::Env env, Napi::Object exports);

}  // namespace bpfscope::programs
