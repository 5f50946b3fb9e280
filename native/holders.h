// Which processes hold BPF programs, maps and links open (bpftool's "pids").
#pragma once

#include "common.h"

namespace bpfscope::holders {

void Init(Napi::Env env, Napi::Object exports);

}  // namespace bpfscope::holders
