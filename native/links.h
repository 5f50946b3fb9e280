// BPF links: enumeration and info (struct bpf_link_info, with the unions newer than 6.1).
#pragma once

#include "table.h"

namespace bpfscope::links {

struct Context {};

// The columns of a link row: the union of every link type's fields; a row sets its type's only.
const Schema& TableSchema();

bool Read(int fd, Table& table, Context& context, Failure& failure);

void Init(Napi::Env env, Napi::Object exports);

}  // namespace bpfscope::links
