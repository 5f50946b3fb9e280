// BPF links: enumeration and info (struct bpf_link_info, with the unions newer than 6.1).
#pragma once

#include <string>

#include "common.h"
#include "uapi_compat.h"

namespace bpfscope::links {

struct Record {
  uapi::LinkInfo info {};
  uint32_t info_len = 0;
  std::string name;  // tp_name, iter target, uprobe path or probed function, where the type has one
};

struct Context {};

bool Read(int fd, Record* out, Context& context, Failure& failure);
Napi::Object ToJs(Napi::Env env, const Record& record);

void Init(Napi::Env env, Napi::Object exports);

}  // namespace bpfscope::links
