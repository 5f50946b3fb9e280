// BPF programs: enumeration, info (struct bpf_prog_info plus fdinfo), and run-time statistics.
#pragma once

#include "btf.h"
#include "table.h"

namespace bpfscope::programs {

struct Context {
  BtfCache btf;  // BTF objects read for full names, shared across one listing
};

// The columns of a program row (see table.h).
const Schema& TableSchema();

// Appends one row with everything bpftool's `prog show` prints about the program behind `fd`.
bool Read(int fd, Table& table, Context& context, Failure& failure);

void Init(Napi::Env env, Napi::Object exports);

}  // namespace bpfscope::programs
