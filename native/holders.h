// Which processes hold BPF programs, maps and links open (bpftool's "pids"), and what holds network
// namespaces (src/netns.ts): processes in them, fds on them, nsfs mounts of other mount namespaces.
#pragma once

#include "common.h"

namespace bpfscope::holders {

void Init(Napi::Env env, Napi::Object exports);

}  // namespace bpfscope::holders
