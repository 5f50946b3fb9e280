// BPF programs: enumeration, info (struct bpf_prog_info plus fdinfo), and run-time statistics.
#pragma once

#include <cerrno>

#include "btf.h"
#include "ids.h"
#include "table.h"

namespace bpfscope::programs {

struct Context {
  BtfCache btf;  // BTF objects read for full names, shared across one listing
};

// The columns of a program row (see table.h).
const Schema& TableSchema();

// Appends one row with everything bpftool's `prog show` prints about the program behind `fd`.
bool Read(int fd, Table& table, Context& context, Failure& failure);

// Appends a row for each program of `ids` (attached ones a listing found, to name them), opened
// by id. A program unloaded since it was found is left out. Without CAP_SYS_ADMIN every id is
// refused alike (EPERM): then no row is added and the caller's attachments go without names, as
// bpftool lists them.
template <typename Ids>
bool ReadByIds(const Ids& ids, Table& table, Failure& failure);

void Init(Napi::Env env, Napi::Object exports);

template <typename Ids>
bool ReadByIds(const Ids& ids, Table& table, Failure& failure) {
  Context context;
  for (uint32_t id : ids) {
    Fd fd = OpenById(kPrograms, id, failure);
    if (!fd.valid()) {
      if (failure.err != ENOENT && failure.err != EPERM) return false;
      bool refused = failure.err == EPERM;
      failure = Failure{};
      if (refused) return true;
      continue;
    }
    if (!Read(fd.get(), table, context, failure)) return false;
  }
  return true;
}

}  // namespace bpfscope::programs
