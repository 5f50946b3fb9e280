// Programs attached to cgroups (bpftool cgroup show / tree).
#pragma once

#include "common.h"

namespace bpfscope::cgroups {

void Init(Napi::Env env, Napi::Object exports);

}  // namespace bpfscope::cgroups
